//! Errors: a small kind plus the byte offset where parsing stopped.

use thiserror::Error;

/// What went wrong while parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is empty (or only a line ending).
    Empty,
    /// The line does not start with `YYYY-MM-DD HH:MM:SS`.
    Timestamp,
    /// A date or time field is out of range (month 13, hour 24, ...).
    TimestampRange,
    /// The prefix is not followed by any text.
    MissingText,
    /// A value that must be present is malformed.
    Syntax,
    /// Strict [`crate::Options`]: the line contradicts the configured `log_selector`
    /// (e.g. no `[pid]` under `+pid`, or `T=` on an arrival without `+subject`).
    SelectorMismatch(crate::Selector),
    /// Strict [`crate::Options`]: the timestamp has (or lacks) a UTC offset against
    /// the configured `log_timezone`.
    TimezoneMismatch,
}

impl ErrorKind {
    /// The stable `snake_case` name of the kind, as the command-line programs and
    /// the Python `ParseError.kind` attribute show it (like [`crate::Event::name`]).
    ///
    /// ```
    /// use exim_log::{ErrorKind, Selector};
    /// assert_eq!(ErrorKind::TimestampRange.name(), "timestamp_range");
    /// assert_eq!(ErrorKind::SelectorMismatch(Selector::Pid).name(), "selector_mismatch");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::Timestamp => "timestamp",
            ErrorKind::TimestampRange => "timestamp_range",
            ErrorKind::MissingText => "missing_text",
            ErrorKind::Syntax => "syntax",
            ErrorKind::SelectorMismatch(_) => "selector_mismatch",
            ErrorKind::TimezoneMismatch => "timezone_mismatch",
        }
    }

    /// A short human description.
    pub const fn description(&self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty line",
            ErrorKind::Timestamp => "line does not start with a timestamp (YYYY-MM-DD HH:MM:SS)",
            ErrorKind::TimestampRange => "timestamp field out of range",
            ErrorKind::MissingText => "no text after the line prefix",
            ErrorKind::Syntax => "syntax error",
            ErrorKind::SelectorMismatch(_) => "line contradicts the log_selector setting",
            ErrorKind::TimezoneMismatch => "line contradicts the log_timezone setting",
        }
    }
}

/// A parse error: its kind and the byte offset into the parsed input where it was found.
///
/// Line numbers and file names are added by the streaming reader, which knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
#[error("{} at byte {offset}", kind.description())]
pub struct ParseError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset into the input (always `<=` the input length).
    pub offset: usize,
}

impl ParseError {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        ParseError { kind, offset }
    }
}
