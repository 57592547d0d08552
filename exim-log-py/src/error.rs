//! `exim_log.ParseError`: a `ValueError` with the position of the problem.
//!
//! Like orjson's `JSONDecodeError`, it subclasses `ValueError` so `except ValueError`
//! keeps working, and carries the position as attributes rather than only in the
//! message: `offset` (byte offset: into the line for `parse_line`, into the stream for
//! readers), `line` (1-based line number, or `None`), `file` (path, or `None`) and
//! `kind` (a short machine-readable name of what went wrong); for `log_selector`
//! settings also `found` (the offending text) and `suggestion` (closest valid name).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pyo3::create_exception!(
    exim_log,
    ParseError,
    PyValueError,
    "A log line (or header, or setting) could not be parsed.\n\n\
     Attributes: `offset` (byte offset of the problem), `line` (1-based line number \
     or None), `file` (path or None), `kind` (short name of the problem)."
);

/// Where a parse error happened, beyond the offset the parser reports.
#[derive(Clone, Debug, Default)]
pub(crate) struct Where {
    /// Byte offset of the start of the line within the stream (0 for a lone line).
    pub(crate) line_start: u64,
    /// 1-based line number, when known.
    pub(crate) line: Option<u64>,
    /// The file, when reading one.
    pub(crate) file: Option<String>,
}

impl Where {
    /// Where a line read from a stream starts.
    pub(crate) fn of(pos: &exim_log::reader::Position) -> Self {
        Where {
            line_start: pos.byte,
            line: Some(pos.line),
            file: pos.file().map(|f| f.display().to_string()),
        }
    }
}

/// Builds a `ParseError` with its attributes.
pub(crate) fn parse_error(
    py: Python<'_>,
    description: &str,
    kind: &str,
    offset: u64,
    at: &Where,
) -> PyErr {
    let mut msg = format!("{description} at byte {offset}");
    if let Some(line) = at.line {
        msg.push_str(&format!(" (line {line}"));
        if let Some(f) = &at.file {
            msg.push_str(&format!(" of {f}"));
        }
        msg.push(')');
    } else if let Some(f) = &at.file {
        msg.push_str(&format!(" of {f}"));
    }
    let err = ParseError::new_err(msg);
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it
    // did, the error would still be a ParseError with its message.
    let _ = value.setattr("offset", offset);
    let _ = value.setattr("line", at.line);
    let _ = value.setattr("file", at.file.as_deref());
    let _ = value.setattr("kind", kind);
    let _ = value.setattr("found", py.None());
    let _ = value.setattr("suggestion", py.None());
    err
}

/// A line parse error (offset into the line) as a Python `ParseError`.
pub(crate) fn line_error(py: Python<'_>, e: exim_log::ParseError, at: &Where) -> PyErr {
    let offset = at.line_start + e.offset as u64;
    let err = parse_error(py, e.kind.description(), e.kind.name(), offset, at);
    if let exim_log::ErrorKind::SelectorMismatch(s) = e.kind {
        // The selector the line contradicts, as `found` names the bad item of a setting.
        let _ = err.value(py).setattr("found", s.name());
    }
    err
}
