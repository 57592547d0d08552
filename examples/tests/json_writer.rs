//! `exim_log::json::write` (the writer of `exim-log ndjson`) against
//! `serde_json` (the oracle): the same bytes for every line of the Exim
//! test-suite corpus (mainlog, rejectlog, paniclog) and of generated logs in
//! every layout the generator has (old and new ids, `+pid`, `+millisec`, a UTC
//! offset, `+all`-like fields, subjects with escapes and raw 8-bit bytes), and
//! for the assembled messages of those logs.

use std::path::PathBuf;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogReader;
use exim_log_benches::{Config, IdFormat, generate};

fn corpus_files() -> Vec<PathBuf> {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/exim-testsuite"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "corpus not found at {}",
            dir.display()
        );
        eprintln!("skipping the corpus: not found at {}", dir.display());
        return Vec::new();
    }
    let mut files = Vec::new();
    for sub in ["mainlog", "rejectlog", "paniclog"] {
        let entries = std::fs::read_dir(dir.join(sub)).unwrap_or_else(|e| panic!("{sub}: {e}"));
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
    }
    files.sort();
    files
}

fn generated() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in 0..6u64 {
        let mut c = Config::with_incidents(seed, 150_000);
        c.pid = seed % 2 == 0;
        c.millisec = seed % 3 == 0;
        c.utc_offset_minutes = (seed % 3 == 1).then_some(-330);
        c.rich = seed >= 3;
        if seed == 4 {
            c.id_format = IdFormat::Old;
        }
        out.push((format!("generated seed {seed}"), generate(&c).0));
    }
    out
}

/// Our bytes against serde_json's for one value.
fn same<T: serde::Serialize>(what: &str, value: &T) {
    let mut ours = Vec::new();
    exim_log::json::write(&mut ours, value).unwrap_or_else(|e| panic!("{what}: {e}"));
    let theirs = serde_json::to_vec(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        ours == theirs,
        "{what}:\n ours:   {}\n serde: {}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
}

fn check_log(name: &str, log: &[u8]) -> usize {
    let mut lines = 0;
    for (i, raw) in log.split_inclusive(|b| *b == b'\n').enumerate() {
        if let Ok(line) = exim_log::parse_line(raw) {
            same(&format!("{name} line {}", i + 1), &line);
            lines += 1;
        }
    }
    let records = LogReader::new(log).into_records();
    for item in Assembler::new().messages(records).flatten() {
        if let Assembled::Message(m) = item {
            same(&format!("{name} message {}", m.id()), &m);
        }
    }
    lines
}

#[test]
fn json_writer_equals_serde_json_on_the_corpus() {
    let mut lines = 0;
    for path in corpus_files() {
        let log = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        lines += check_log(&path.display().to_string(), &log);
    }
    eprintln!("{lines} corpus lines compared");
}

#[test]
fn json_writer_equals_serde_json_on_generated_logs() {
    let mut lines = 0;
    for (name, log) in generated() {
        lines += check_log(&name, &log);
    }
    assert!(lines > 5_000, "only {lines} lines");
}
