//! Every reject log of the Exim test suite splits into entries without error,
//! one entry per timestamped line (spec §10.1).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::Event;
use exim_log::rejectlog::RejectLog;

#[test]
fn rejectlog_corpus_splits_into_entries() {
    let (mut with_headers, mut headers, mut unknown) = (0, 0, 0);
    let (files, entries) = common::check_entry_logs("rejectlog", |f, sections| {
        let mut got = 0;
        for e in sections.into_iter().flat_map(RejectLog::new) {
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
        got
    });
    if files == 0 {
        return;
    }
    eprintln!(
        "rejectlog: {files} files, {entries} entries, {with_headers} with envelope and {headers} headers, {unknown} unknown events"
    );
    assert!(entries > 500, "{entries}");
}
