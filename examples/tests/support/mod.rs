//! Helpers shared by the report tests: feeding an in-memory log through the
//! reader and assembler, and running the built programs.
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

/// Runs a built example program; returns (exit code, stdout, stderr).
pub fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin).args(args).output().expect("run example");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `log` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, log: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, log).expect("write log");
    p.display().to_string()
}
