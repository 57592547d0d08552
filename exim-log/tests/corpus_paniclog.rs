//! Every panic log of the Exim test suite splits into entries without error,
//! one entry per timestamped line; indented lines continue the entry before
//! them (spec §10.2).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::paniclog::PanicLog;

#[test]
fn paniclog_corpus_splits_into_entries() {
    let mut continued = 0;
    let (files, entries) = common::check_entry_logs("paniclog", |f, sections| {
        let mut got = 0;
        for e in sections.into_iter().flat_map(PanicLog::new) {
            let e = e.unwrap_or_else(|err| panic!("{}: {err:?}", f.display()));
            got += 1;
            if let Some(d) = e.detail {
                continued += 1;
                assert!(!d.is_empty(), "{}", f.display());
            }
        }
        got
    });
    if files == 0 {
        return;
    }
    eprintln!("paniclog: {files} files, {entries} entries, {continued} with continuation lines");
    assert!(entries > 100 && continued > 0);
}
