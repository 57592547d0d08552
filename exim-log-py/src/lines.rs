//! `exim_log.lines()`: iterate the parsed lines of a source.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use exim_log::ReadError;
use exim_log::reader::{LogFiles, Position};
use pyo3::prelude::*;

use crate::entries::EntryLine;
use crate::error::{Where, line_error};
use crate::line::{Line, OwnedLine};
use crate::source::{BATCH_BYTES, open, read_error, skip_errors};

/// What one line of a batch became.
enum Item {
    Line(OwnedLine, Position),
    /// No valid prefix: the parse error, where the line starts (and its file).
    Unparsed(exim_log::ParseError, Position),
    /// No valid prefix, but a line of a multi-line entry (envelope, header,
    /// indented continuation), as `exim-log ndjson` writes it.
    Entry(EntryLine),
    /// A reader error (open/read failure, line over the cap).
    Read(ReadError),
}

/// An iterator of parsed `Line`s, made by `exim_log.lines()`.
///
/// Frozen, its state behind a mutex: one iterator shared by several threads
/// hands each line to exactly one of them (a `&mut self` method would raise
/// `RuntimeError: Already borrowed` instead). The mutex is only taken with
/// the GIL released, so a thread waiting for it never blocks the holder.
#[pyclass(frozen, module = "exim_log", name = "LineReader")]
pub(crate) struct LineReader {
    state: Mutex<State>,
}

struct State {
    source: Option<LogFiles>,
    skip_errors: bool,
    pending: VecDeque<Item>,
    buf: Vec<u8>,
}

impl State {
    /// Reads and parses about `BATCH_BYTES` of input into `pending` (called
    /// without the GIL).
    fn fill(&mut self) {
        let Some(source) = self.source.as_mut() else {
            return;
        };
        let (pending, buf, skip) = (&mut self.pending, &mut self.buf, self.skip_errors);
        let ended = read_batch(source, pending, buf, skip);
        if ended {
            self.source = None;
        }
    }

    /// The next item, reading a batch when none is pending; `None` at the end.
    fn next(&mut self) -> Option<Item> {
        while self.pending.is_empty() {
            self.source.as_ref()?;
            self.fill();
        }
        self.pending.pop_front()
    }
}

/// Reads and parses about `BATCH_BYTES` of input into `pending`; true at the end.
fn read_batch(
    source: &mut LogFiles,
    pending: &mut VecDeque<Item>,
    buf: &mut Vec<u8>,
    skip: bool,
) -> bool {
    let mut bytes = 0;
    while bytes < BATCH_BYTES {
        match source.read_line(buf) {
            Ok(None) => return true,
            Ok(Some(pos)) => {
                bytes += buf.len() + 1;
                match OwnedLine::parse(buf) {
                    Ok(l) => pending.push_back(Item::Line(l, pos)),
                    // Before skip: these lines are not errors (ndjson writes them).
                    Err(e) => match EntryLine::of(buf, Some(pos.clone())) {
                        Some(entry) => pending.push_back(Item::Entry(entry)),
                        None if skip => {}
                        None => pending.push_back(Item::Unparsed(e, pos)),
                    },
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
}

#[pymethods]
impl LineReader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let state = &self.state;
        // Lock and parse without the GIL (see the type's comment).
        let item = py.detach(|| state.lock().unwrap_or_else(PoisonError::into_inner).next());
        match item {
            Some(Item::Line(l, origin)) => {
                Ok(Some(Bound::new(py, Line::new(l, Some(origin)))?.into_any()))
            }
            Some(Item::Entry(e)) => Ok(Some(Bound::new(py, e)?.into_any())),
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
        state: Mutex::new(State {
            source: Some(open(py, source, rotated)?),
            skip_errors,
            pending: VecDeque::new(),
            buf: Vec::new(),
        }),
    })
}
