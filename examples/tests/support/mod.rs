//! Helpers shared by the report tests: feeding an in-memory log through the
//! reader and assembler, and running the built `exim-log` command.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogReader;

/// Every assembled item of `log`, in emission order.
pub fn assembled(log: &[u8]) -> Vec<Assembled> {
    Assembler::new()
        .messages(LogReader::new(log).into_records())
        .map(|a| a.expect("in-memory read"))
        .collect()
}

/// Runs `exim-log SUBCOMMAND ARGS...` (stdin empty, not a terminal);
/// returns (exit code, stdout, stderr).
pub fn run(subcommand: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .arg(subcommand)
        .args(args)
        .output()
        .expect("run exim-log");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `exim-log SUBCOMMAND ARGS...`, which must succeed and print one JSON
/// document (`--json`); returns the document.
pub fn run_json(subcommand: &str, args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(subcommand, args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON output")
}

/// Writes `log` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, log: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, log).expect("write log");
    p.display().to_string()
}
