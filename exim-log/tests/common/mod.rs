//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

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
