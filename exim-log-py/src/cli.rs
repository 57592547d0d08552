//! `python -m exim_log` and the `exim-log` console script: the Rust command
//! itself (`exim_log_cli`, the code `cargo install exim-log-cli` builds), run in
//! this process, so the subcommands are the same code, not a second version.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the `exim-log` command with `argv` (program name first) on the
/// process's own stdin, stdout and stderr; returns its exit status (0 success,
/// 1 nothing matched, 2 error). The GIL is released meanwhile.
#[pyfunction]
pub(crate) fn run_command(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| exim_log_cli::run(argv))
}
