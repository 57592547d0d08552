//! `exim_log.lines()`: iterate the parsed lines of a source.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use exim_log::ReadError;
use exim_log::reader::Position;
use pyo3::prelude::*;

use crate::error::{Where, line_error};
use crate::line::{Line, Origin, OwnedLine};
use crate::source::{BATCH_BYTES, Source, open, read_error, skip_errors};

/// What one line of a batch became.
enum Item {
    Line(OwnedLine, Origin),
    /// No valid prefix: the parse error, where the line starts and its file.
    Unparsed(exim_log::ParseError, Position, Option<Arc<Path>>),
    /// A reader error (open/read failure, line over the cap).
    Read(ReadError),
}

/// An iterator of parsed `Line`s, made by `exim_log.lines()`.
#[pyclass(module = "exim_log", name = "LineReader")]
pub(crate) struct LineReader {
    source: Option<Source>,
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
                    None => return true,
                    Some(Ok((pos, file))) => {
                        bytes += buf.len() + 1;
                        match OwnedLine::parse(buf) {
                            Ok(l) => pending.push_back(Item::Line(l, Origin::new(pos, file))),
                            Err(_) if skip => {}
                            Err(e) => pending.push_back(Item::Unparsed(e, pos, file)),
                        }
                    }
                    Some(Err(e)) if skip && !e.is_fatal() => {}
                    Some(Err(e)) => {
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
            Some(Item::Unparsed(e, pos, file)) => {
                let at = Where {
                    line_start: pos.byte,
                    line: Some(pos.line),
                    file: file.as_deref().map(|f| f.display().to_string()),
                };
                Err(line_error(py, e, &at))
            }
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
