//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The Exim test-suite corpus, `../shared/corpus/exim-testsuite` beside the
/// repository (or `$EXIM_LOG_CORPUS`). `None` when it is missing outside CI; under
/// `CI=true` a missing corpus fails the test instead of passing silently.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/exim-testsuite"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "corpus not found at {} (set EXIM_LOG_CORPUS to the exim-testsuite folder)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}; CI requires it");
    }
    eprintln!("skipping corpus test: {msg}");
    None
}

/// Every file in a corpus subfolder (e.g. `mainlog`), sorted by name.
pub fn corpus_files(sub: &str) -> Vec<PathBuf> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
        .unwrap_or_else(|e| panic!("reading corpus folder {sub}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Calls `each` with the path and every line (without its `\n`) of every
/// file of the corpus folder `sub`, in order; returns the number of files.
pub fn corpus_lines(sub: &str, mut each: impl FnMut(&Path, &[u8])) -> usize {
    let files = corpus_files(sub);
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for line in data.split(|b| *b == b'\n') {
            each(f, line);
        }
    }
    files.len()
}

/// True when `line` starts like a log line's timestamp, `YYYY-MM-` (spec §1.1);
/// the corpus README says other lines are not Exim log lines.
pub fn timestamped(line: &[u8]) -> bool {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    (0..4).all(d) && line.get(4) == Some(&b'-') && d(5) && d(6) && line.get(7) == Some(&b'-')
}

/// The test harness appends a daemon's log after a blank line and
/// `******** SERVER ********` (corpus README: neither is Exim output), so a
/// file is split there and each part is read as one log.
pub fn sections(data: &[u8]) -> Vec<&[u8]> {
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

/// Reads every file of the entry-log corpus folder `sub` (`rejectlog`,
/// `paniclog`) and gives `entries` each file with its harness sections
/// ([`sections`]); `entries` returns how many entries it read, which must be
/// the file's count of timestamped lines (spec §10: one entry per timestamped
/// line). Returns the number of files and of entries.
pub fn check_entry_logs(
    sub: &str,
    mut entries: impl FnMut(&Path, Vec<&[u8]>) -> usize,
) -> (usize, usize) {
    let files = corpus_files(sub);
    let mut total = 0;
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let want = data
            .split(|b| *b == b'\n')
            .filter(|l| timestamped(l))
            .count();
        let got = entries(f, sections(&data));
        assert_eq!(got, want, "{}", f.display());
        total += got;
    }
    (files.len(), total)
}
