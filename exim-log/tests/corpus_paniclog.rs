//! Every panic log of the Exim test suite splits into entries without error,
//! one entry per timestamped line; indented lines continue the entry before
//! them (spec §10.2).

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use exim_log::paniclog::PanicLog;

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
            .filter(|l| common::timestamped(l))
            .count();
        let mut got = 0;
        for e in common::sections(&data).into_iter().flat_map(PanicLog::new) {
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
