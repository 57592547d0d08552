//! Every reject log of the Exim test suite splits into entries without error,
//! one entry per timestamped line (spec §10.1).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::Event;
use exim_log::rejectlog::RejectLog;

fn timestamped(line: &[u8]) -> bool {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    (0..4).all(d) && line.get(4) == Some(&b'-') && d(5) && d(6) && line.get(7) == Some(&b'-')
}

/// The test harness appends a daemon's log after a blank line and
/// `******** SERVER ********` (corpus README: neither is Exim output), so a
/// file is split there and each part is read as one log.
fn sections(data: &[u8]) -> Vec<&[u8]> {
    const SEP: &[u8] = b"******** SERVER ********\n";
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let at = rest
            .windows(SEP.len())
            .position(|w| w == SEP)
            .filter(|&p| p == 0 || rest.get(p - 1) == Some(&b'\n'));
        let Some(p) = at else {
            out.push(rest);
            return out;
        };
        let (head, tail) = rest.split_at(p);
        // Drop the blank line before the separator.
        let head = head.strip_suffix(b"\n").unwrap_or(head);
        out.push(head);
        rest = tail.get(SEP.len()..).unwrap_or_default();
    }
}

#[test]
fn rejectlog_corpus_splits_into_entries() {
    let files = common::corpus_files("rejectlog");
    if files.is_empty() {
        return;
    }
    let (mut entries, mut with_headers, mut headers, mut unknown) = (0, 0, 0, 0);
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let want = data
            .split(|b| *b == b'\n')
            .filter(|l| timestamped(l))
            .count();
        let mut got = 0;
        for e in sections(&data).into_iter().flat_map(RejectLog::new) {
            let e = e.unwrap_or_else(|err| panic!("{}: {err:?}", f.display()));
            assert!(e.raw.as_bytes().starts_with(e.line.raw.as_bytes()));
            got += 1;
            if matches!(e.line.event, Event::Unknown) {
                unknown += 1;
            }
            if e.envelope_from.is_some() {
                with_headers += 1;
                // Every header has a flag and a name (spec §10.1).
                for h in e.headers() {
                    assert!(
                        h.name().is_some(),
                        "{}: header without a name: {:?}",
                        f.display(),
                        h.text
                    );
                    headers += 1;
                }
                assert!(!e.envelope_to.is_empty(), "{}", f.display());
            }
        }
        assert_eq!(got, want, "{}", f.display());
        entries += got;
    }
    eprintln!(
        "rejectlog: {} files, {entries} entries, {with_headers} with envelope and {headers} headers, {unknown} unknown events",
        files.len()
    );
    assert!(entries > 500, "{entries}");
}
