//! `exim_log.lines()`: iterate the parsed lines of a source.

use std::collections::VecDeque;

use exim_log::ReadError;
use exim_log::reader::{LogFiles, Position};
use pyo3::prelude::*;

use crate::error::{Where, line_error};
use crate::line::{Line, OwnedLine};
use crate::source::{BATCH_BYTES, open, read_error, skip_errors};

/// What one line of a batch became.
enum Item {
    Line(OwnedLine, Position),
    /// No valid prefix: the parse error, where the line starts (and its file).
    Unparsed(exim_log::ParseError, Position),
    /// A reader error (open/read failure, line over the cap).
    Read(ReadError),
}

/// An iterator of parsed `Line`s, made by `exim_log.lines()`.
#[pyclass(module = "exim_log", name = "LineReader")]
pub(crate) struct LineReader {
    source: Option<LogFiles>,
    skip_errors: bool,
    pending: VecDeque<Item>,
    buf: Vec<u8>,
}

impl LineReader {
    /// Reads and parses about `BATCH_BYTES` of input into `pending`, without the GIL.
    fn fill(&mut self, py: Python<'_>) {
        let Some(source) = self.source.as_mut() else {
            return;
        };
        let (pending, buf, skip) = (&mut self.pending, &mut self.buf, self.skip_errors);
        let ended = py.detach(|| {
            let mut bytes = 0;
            while bytes < BATCH_BYTES {
                match source.read_line(buf) {
                    Ok(None) => return true,
                    Ok(Some(pos)) => {
                        bytes += buf.len() + 1;
                        match OwnedLine::parse(buf) {
                            Ok(l) => pending.push_back(Item::Line(l, pos)),
                            Err(_) if skip => {}
                            Err(e) => pending.push_back(Item::Unparsed(e, pos)),
                        }
                    }
                    Err(e) if skip && !e.is_fatal() => {}
                    Err(e) => {
                        pending.push_back(Item::Read(e));
                        // Hand the error over now, so it is raised in order.
                        return false;
                    }
                }
            }
            false
        });
        if ended {
            self.source = None;
        }
    }
}

#[pymethods]
impl LineReader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Line>> {
        while self.pending.is_empty() {
            if self.source.is_none() {
                return Ok(None);
            }
            self.fill(py);
        }
        match self.pending.pop_front() {
            Some(Item::Line(l, origin)) => Ok(Some(Line::new(l, Some(origin)))),
            Some(Item::Unparsed(e, pos)) => Err(line_error(py, e, &Where::of(&pos))),
            Some(Item::Read(e)) => Err(read_error(py, e)),
            None => Ok(None),
        }
    }
}

/// Iterates the parsed lines of `source` (see the stub for the accepted sources).
#[pyfunction]
#[pyo3(signature = (source, *, rotated = false, errors = "raise"))]
pub(crate) fn lines(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    rotated: bool,
    errors: &str,
) -> PyResult<LineReader> {
    let skip_errors = skip_errors(errors)?;
    Ok(LineReader {
        source: Some(open(py, source, rotated)?),
        skip_errors,
        pending: VecDeque::new(),
        buf: Vec::new(),
    })
}
