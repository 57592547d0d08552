//! How a subcommand ends: exit statuses as grep and ripgrep give them (0
//! success, 1 nothing matched, 2 errors), and a closed pipe (`| head`) that ends
//! the run quietly with 0.

use std::fmt;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;

/// How a run that got to its end went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Success,
    /// Exit 1: a grep-like subcommand (`trace`) found nothing.
    NothingMatched,
    /// Exit 2: the output was written, but errors were met (and printed) on the
    /// way, such as a truncated `.gz` file.
    Failed,
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum Error {
    /// Standard output was closed by its reader: not an error for a Unix
    /// filter, so the run ends with 0 and prints nothing.
    BrokenPipe,
    /// Exit 2 with this message on stderr (after `exim-log: `).
    Message(String),
}

/// The result of a subcommand.
pub type Outcome = Result<Status, Error>;

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Message(e.to_string())
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(io::ErrorKind::BrokenPipe) => Error::BrokenPipe,
            _ => Error::Message(e.to_string()),
        }
    }
}

impl From<exim_log::json::Error> for Error {
    fn from(e: exim_log::json::Error) -> Self {
        Error::Message(e.to_string())
    }
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Message(s)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BrokenPipe => f.write_str("broken pipe"),
            Error::Message(m) => f.write_str(m),
        }
    }
}

/// Prints an error of the run (`exim-log: ...`) on stderr.
pub fn warn(message: impl fmt::Display) {
    say(format_args!("exim-log: {message}"));
}

/// Writes one line on stderr, ignoring a failed write: `eprintln!` panics
/// when stderr is a closed pipe (`2>&1 | head`, a log collector gone), and a
/// diagnostic that cannot be shown must not end the run or change its status.
pub fn say(line: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Says on stderr, in one line, when a memory budget made the run give
/// something up (issue 16: never silently). `parts` are counts with what
/// they count (`(3, "messages flushed early")`); parts at 0 are left out,
/// and nothing is printed when all are 0. Every subcommand with a budget
/// says it through here, so the line reads the same everywhere:
/// `exim-log: the memory budget was hit: 3 messages flushed early (raise --memory-budget)`.
pub fn budget_hits(parts: &[(u64, &str)]) {
    if let Some(line) = budget_hits_line(parts) {
        warn(line);
    }
}

/// The line of [`budget_hits`], or `None` when nothing was given up.
pub fn budget_hits_line(parts: &[(u64, &str)]) -> Option<String> {
    let hit: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if hit.is_empty() {
        return None;
    }
    Some(format!(
        "the memory budget was hit: {} (raise --memory-budget)",
        hit.join(", ")
    ))
}

/// The exit status of an outcome (0, 1 or 2), printing its error.
pub fn exit_status(outcome: Outcome) -> u8 {
    match outcome {
        Ok(Status::Success) | Err(Error::BrokenPipe) => 0,
        Ok(Status::NothingMatched) => 1,
        Ok(Status::Failed) => 2,
        Err(Error::Message(m)) => {
            warn(m);
            2
        }
    }
}

/// [`exit_status`] as the `ExitCode` of `main`.
pub fn exit_code(outcome: Outcome) -> ExitCode {
    ExitCode::from(exit_status(outcome))
}

/// Standard output, buffered (flush it at the end: a flush error is an
/// output error like any other).
pub fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Writes `value` as indented JSON and a newline: the `--json` output of the
/// reports.
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `Status::Failed` when `failed`, else `Status::Success`.
pub fn status(failed: bool) -> Status {
    if failed {
        Status::Failed
    } else {
        Status::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_hits_line_names_only_what_was_hit() {
        assert_eq!(budget_hits_line(&[(0, "a"), (0, "b")]), None);
        assert_eq!(
            budget_hits_line(&[(0, "messages flushed early"), (2, "keys cut")]).as_deref(),
            Some("the memory budget was hit: 2 keys cut (raise --memory-budget)")
        );
        assert_eq!(
            budget_hits_line(&[(1, "x"), (3, "y")]).as_deref(),
            Some("the memory budget was hit: 1 x, 3 y (raise --memory-budget)")
        );
    }
}
