//! `exim_log.messages()` and `exim_log.trace()`: lines grouped into messages by
//! `exim_log::assemble`, with the `cwd=` link to the submitting process.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use exim_log::ReadError;
use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Link};
use exim_log::budget::MemoryBudget;
use exim_log::reader::{LogFiles, Record};
use exim_log::trace::{Pattern, PatternError, Trace, TraceOptions, Traced};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::line::{Line, Origin, OwnedLine};
use crate::pick::to_dict;
use crate::source::{BATCH_BYTES, open, read_error};

/// A record parsed for Python (lines in a message always have a valid prefix; an
/// unparsable standalone line is dropped by `messages()`, see the stub).
fn prepare(r: &Record) -> Option<(OwnedLine, Origin)> {
    let l = OwnedLine::parse(r.raw()).ok()?;
    Some((l, r.position().clone()))
}

/// A message with its lines already parsed (done without the GIL).
struct Prepared {
    message: exim_log::assemble::Message,
    lines: Vec<(OwnedLine, Origin)>,
    arguments: Vec<Option<(OwnedLine, Origin)>>,
}

enum Item {
    Message(Box<Prepared>),
    Line(OwnedLine, Origin),
    Read(ReadError),
}

/// An args line linked to a message: the `cwd=... args:` line and how it was linked.
#[pyclass(frozen, module = "exim_log", name = "LinkedArguments")]
pub(crate) struct LinkedArguments {
    line: Py<Line>,
    link: &'static str,
    ambiguous: bool,
}

#[pymethods]
impl LinkedArguments {
    /// The `cwd=... N args: ...` line.
    #[getter]
    fn line(&self, py: Python<'_>) -> Py<Line> {
        self.line.clone_ref(py)
    }

    /// How it was linked: `named_id` (the args name the id, `-Mc ID`), `pid` (same
    /// `[pid]`, `+pid`) or `adjacent` (the adjacency heuristic, no `+pid`).
    #[getter]
    fn link(&self) -> &'static str {
        self.link
    }

    /// True when several args lines qualified for the adjacency rule (the nearest won).
    #[getter]
    fn ambiguous(&self) -> bool {
        self.ambiguous
    }

    /// The working directory of the process: the script's directory for a web form.
    #[getter]
    fn cwd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.line.bind(py).getattr("cwd")
    }

    /// The command line of the process, unquoted.
    #[getter]
    fn args<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.line.bind(py).getattr("args")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let raw = self.line.bind(py).getattr("raw")?.repr()?;
        Ok(format!("LinkedArguments(link='{}', line={raw})", self.link))
    }
}

/// One message: every line carrying its id, in input order, with its links.
#[pyclass(frozen, module = "exim_log", name = "Message")]
pub(crate) struct Message {
    inner: exim_log::assemble::Message,
    lines: Vec<Py<Line>>,
    arguments: Vec<Py<LinkedArguments>>,
    submission: Option<usize>,
}

impl Message {
    fn new(py: Python<'_>, p: Prepared) -> PyResult<Self> {
        let lines = p
            .lines
            .into_iter()
            .map(|(l, o)| Py::new(py, Line::new(l, Some(o))))
            .collect::<PyResult<Vec<_>>>()?;
        let mut arguments = Vec::new();
        for (a, parsed) in p.message.arguments.iter().zip(p.arguments) {
            let Some((l, o)) = parsed else { continue };
            arguments.push(Py::new(
                py,
                LinkedArguments {
                    line: Py::new(py, Line::new(l, Some(o)))?,
                    link: a.link.name(),
                    ambiguous: matches!(a.link, Link::Adjacent { ambiguous: true }),
                },
            )?);
        }
        let submission = p
            .message
            .submission()
            .and_then(|s| p.message.arguments.iter().position(|a| std::ptr::eq(a, s)));
        Ok(Message {
            inner: p.message,
            lines,
            arguments,
            submission,
        })
    }
}

#[pymethods]
impl Message {
    /// The message id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id().as_str()
    }

    /// Why it was emitted: `completed`, `end_of_input` (still in flight when the
    /// input ended) or `evicted` (pushed out by the in-flight cap).
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.name()
    }

    /// True when its `Completed` line was read.
    #[getter]
    fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }

    /// Every line carrying the id, in input order.
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.lines.iter().map(|l| l.clone_ref(py)))
    }

    /// The arrival (`<=`) line, if it was read.
    #[getter]
    fn arrival(&self, py: Python<'_>) -> Option<Py<Line>> {
        self.lines
            .iter()
            .find(|l| l.get().flag_str() == Some("<="))
            .map(|l| l.clone_ref(py))
    }

    /// Linked `cwd=... args:` lines: the submitting process and processes that
    /// named the id (`-Mc`), in the order they were linked.
    #[getter]
    fn arguments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.arguments.iter().map(|a| a.clone_ref(py)))
    }

    /// The args line of the process that submitted the message, if linked.
    #[getter]
    fn submission(&self, py: Python<'_>) -> Option<Py<LinkedArguments>> {
        self.submission
            .and_then(|i| self.arguments.get(i))
            .map(|a| a.clone_ref(py))
    }

    /// The working directory of the submitting process (the `cwd=` link), if linked.
    #[getter]
    fn cwd<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.submission(py) {
            Some(s) => Ok(Some(s.get().cwd(py)?)),
            None => Ok(None),
        }
    }

    /// True when earlier lines of this id came out before, in a message
    /// flushed early (status ``evicted``: the memory budget or the in-flight cap).
    #[getter]
    fn continued(&self) -> bool {
        self.inner.continued
    }

    /// For a bounce, the id of the message that caused it.
    #[getter]
    fn bounce_parent(&self) -> Option<&str> {
        self.inner.bounce_parent.as_deref()
    }

    /// Ids of bounces of this message seen while it was in flight.
    #[getter]
    fn bounces(&self) -> Vec<String> {
        self.inner.bounces.clone()
    }

    /// Deliveries whose confirmation names the next hop's Exim id: dicts with
    /// `recipient` and `message_id`.
    #[getter]
    fn next_hops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, &self.inner.next_hops)
    }

    /// Seconds on the queue (`Completed QT=`, else first to last line).
    #[getter]
    fn queue_time(&self) -> Option<f64> {
        self.inner.queue_time().map(|t| t.as_secs_f64())
    }

    /// The message as a dict: the JSON of SCHEMA.md "Messages (assembled)".
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, &self.inner)
    }

    fn __len__(&self) -> usize {
        self.lines.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.lines(py)?.try_iter()?.into_any())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let cwd = match self.cwd(py)? {
            Some(c) => format!(", cwd={}", c.repr()?),
            None => String::new(),
        };
        Ok(format!(
            "Message(id='{}', status='{}', lines={}{cwd})",
            self.inner.id(),
            self.inner.status.name(),
            self.lines.len()
        ))
    }
}

/// What a `MessageReader` does with the lines it reads.
enum Kind {
    /// `messages()`: every message, and with `standalone` the other lines.
    Messages {
        assembler: Box<Assembler>,
        standalone: bool,
    },
    /// `trace()`: the library's trace engine.
    Trace(Box<Trace>),
}

/// An iterator of `Message`s (and, with `standalone=True`, of the `Line`s that
/// belong to no message), made by `messages()` and `trace()`.
///
/// Frozen, its state behind a mutex, as `LineReader`: one iterator shared by
/// several threads hands each item to exactly one of them, and the mutex is
/// only taken with the GIL released.
#[pyclass(frozen, module = "exim_log", name = "MessageReader")]
pub(crate) struct MessageReader {
    state: Mutex<State>,
}

struct State {
    source: Option<LogFiles>,
    kind: Kind,
    pending: VecDeque<Item>,
    buf: Vec<u8>,
}

impl MessageReader {
    fn new(source: LogFiles, kind: Kind) -> Self {
        MessageReader {
            state: Mutex::new(State {
                source: Some(source),
                kind,
                pending: VecDeque::new(),
                buf: Vec::new(),
            }),
        }
    }
}

impl State {
    /// Reads, assembles and parses about `BATCH_BYTES` of input (or, for a
    /// trace, a batch of results); called without the GIL.
    fn fill(&mut self) {
        let Some(source) = self.source.as_mut() else {
            return;
        };
        let (kind, pending, buf) = (&mut self.kind, &mut self.pending, &mut self.buf);
        let ended = match kind {
            Kind::Messages {
                assembler,
                standalone,
            } => fill_messages(source, assembler, *standalone, pending, buf),
            Kind::Trace(trace) => fill_trace(source, trace, pending),
        };
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

/// `messages()`: true at the end of the input.
fn fill_messages(
    source: &mut LogFiles,
    asm: &mut Assembler,
    standalone: bool,
    pending: &mut VecDeque<Item>,
    buf: &mut Vec<u8>,
) -> bool {
    let mut bytes = 0;
    while bytes < BATCH_BYTES {
        match source.read_line(buf) {
            Ok(None) => {
                asm.finish();
                drain(asm, pending, standalone);
                return true;
            }
            Ok(Some(pos)) => {
                bytes += buf.len() + 1;
                asm.push(Record::new(std::mem::take(buf), pos));
                drain(asm, pending, standalone);
            }
            // A line over the length cap belongs to no message we can tell.
            Err(e) if !e.is_fatal() => {}
            Err(e) => {
                pending.push_back(Item::Read(e));
                return false;
            }
        }
    }
    false
}

/// Results of a trace handed over per batch.
const TRACE_BATCH: usize = 256;

/// `trace()`: true at the end of the input.
fn fill_trace(source: &mut LogFiles, trace: &mut Trace, pending: &mut VecDeque<Item>) -> bool {
    for _ in 0..TRACE_BATCH {
        match trace.next(source) {
            None => return true,
            Some(Ok(Traced::Message(m))) => pending.push_back(prepare_message(*m)),
            Some(Ok(Traced::Line(r))) => {
                if let Some((l, o)) = prepare(&r) {
                    pending.push_back(Item::Line(l, o));
                }
            }
            Some(Ok(_)) => {}
            // A line over the length cap belongs to no message we can tell.
            Some(Err(e)) if !e.is_fatal() => {}
            Some(Err(e)) => {
                pending.push_back(Item::Read(e));
                return false;
            }
        }
    }
    false
}

fn prepare_message(m: exim_log::assemble::Message) -> Item {
    let lines = m.records().filter_map(prepare).collect();
    let arguments = m.arguments.iter().map(|a| prepare(&a.record)).collect();
    Item::Message(Box::new(Prepared {
        message: m,
        lines,
        arguments,
    }))
}

fn drain(asm: &mut Assembler, pending: &mut VecDeque<Item>, standalone: bool) {
    while let Some(a) = asm.pop() {
        match a {
            Assembled::Message(m) => pending.push_back(prepare_message(m)),
            Assembled::Line(r) if standalone => {
                if let Some((l, o)) = prepare(&r) {
                    pending.push_back(Item::Line(l, o));
                }
            }
            _ => {}
        }
    }
}

#[pymethods]
impl MessageReader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let state = &self.state;
        // Lock and assemble without the GIL (see the type's comment).
        let item = py.detach(|| state.lock().unwrap_or_else(PoisonError::into_inner).next());
        match item {
            Some(Item::Message(p)) => Ok(Some(Py::new(py, Message::new(py, *p)?)?.into_any())),
            Some(Item::Line(l, o)) => Ok(Some(Py::new(py, Line::new(l, Some(o)))?.into_any())),
            Some(Item::Read(e)) => Err(read_error(py, e)),
            None => Ok(None),
        }
    }
}

/// Iterates the messages of `source` (see the stub).
#[pyfunction]
#[pyo3(signature = (source, *, rotated = false, standalone = false, memory_budget = None))]
pub(crate) fn messages(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    rotated: bool,
    standalone: bool,
    memory_budget: Option<usize>,
) -> PyResult<MessageReader> {
    let budget = memory_budget.map_or(MemoryBudget::DEFAULT, MemoryBudget::bytes);
    let kind = Kind::Messages {
        assembler: Box::new(Assembler::with_options(
            AssemblerOptions::default().memory_budget(budget),
        )),
        standalone,
    };
    Ok(MessageReader::new(open(py, source, rotated)?, kind))
}

/// Iterates the messages with the given ids, or matching the given patterns
/// (see the stub): `exim_log::trace`, as the `exim-log trace` command.
#[pyfunction]
#[pyo3(signature = (source, patterns, *, rotated = false, literal = false, ignore_case = true))]
pub(crate) fn trace(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    patterns: &Bound<'_, PyAny>,
    rotated: bool,
    literal: bool,
    ignore_case: bool,
) -> PyResult<MessageReader> {
    let patterns: Vec<String> = if let Ok(s) = patterns.cast::<PyString>() {
        vec![s.to_cow()?.into_owned()]
    } else {
        patterns
            .try_iter()?
            .map(|i| i.and_then(|i| i.extract::<String>()))
            .collect::<PyResult<_>>()?
    };
    let pattern = Pattern::new(&patterns, literal, ignore_case).map_err(|e| match e {
        PatternError::Empty => PyValueError::new_err("trace() needs at least one id or pattern"),
        PatternError::Newline => {
            PyValueError::new_err("a trace() pattern cannot contain a newline")
        }
        e => PyValueError::new_err(format!("invalid trace() pattern: {e}")),
    })?;
    let mut trace = Trace::new(pattern, TraceOptions::default());
    // Anything but a file object can be read twice: a regular expression first
    // runs alone over the raw bytes (see `exim_log::trace`).
    if trace.wants_first_pass() && !source.hasattr("read")? {
        let mut first = open(py, source, rotated)?;
        py.detach(|| trace.first_pass(&mut first));
    }
    Ok(MessageReader::new(
        open(py, source, rotated)?,
        Kind::Trace(Box::new(trace)),
    ))
}
