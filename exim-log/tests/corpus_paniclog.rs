//! Every panic log of the Exim test suite splits into entries without error,
//! one entry per timestamped line; indented lines continue the entry before
//! them (spec §10.2).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::paniclog::PanicLog;

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
fn paniclog_corpus_splits_into_entries() {
    let files = common::corpus_files("paniclog");
    if files.is_empty() {
        return;
    }
    let (mut entries, mut continued) = (0, 0);
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let want = data
            .split(|b| *b == b'\n')
            .filter(|l| timestamped(l))
            .count();
        let mut got = 0;
        for e in sections(&data).into_iter().flat_map(PanicLog::new) {
            let e = e.unwrap_or_else(|err| panic!("{}: {err:?}", f.display()));
            got += 1;
            if let Some(d) = e.detail {
                continued += 1;
                assert!(!d.is_empty(), "{}", f.display());
            }
        }
        assert_eq!(got, want, "{}", f.display());
        entries += got;
    }
    eprintln!(
        "paniclog: {} files, {entries} entries, {continued} with continuation lines",
        files.len()
    );
    assert!(entries > 100 && continued > 0);
}
