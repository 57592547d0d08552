//! Every reject log of the Exim test suite splits into entries without error,
//! one entry per timestamped line (spec §10.1).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::Event;
use exim_log::rejectlog::RejectLog;

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
            .filter(|l| common::timestamped(l))
            .count();
        let mut got = 0;
        for e in common::sections(&data).into_iter().flat_map(RejectLog::new) {
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
