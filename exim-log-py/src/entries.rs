//! Multi-line logs and syslog: `exim_log.reject_entries()` (`exim_log::rejectlog`),
//! `exim_log.panic_entries()` (`exim_log::paniclog`) and
//! `exim_log.parse_syslog_line()` (`exim_log::syslog`), format reference §10.
//!
//! A reject or panic log entry spans lines, so the whole source is read into
//! one buffer (these logs are small next to the main log); reading and splitting
//! into entries run without the GIL, then each entry becomes a Python object
//! whose `to_dict()` is the Rust serialization (pythonize).

use exim_log::paniclog::{PanicEntry as RustPanic, PanicLog};
use exim_log::rejectlog::{RejectEntry as RustReject, RejectLog};
use exim_log::syslog::SyslogLine as RustSyslog;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::error::{Where, line_error};
use crate::line::{Line, OwnedLine, input_bytes};
use crate::source::{open, read_error, skip_errors};

/// Reads every line of `source` into one buffer (each line `\n`-ended), without the GIL.
fn read_all(py: Python<'_>, source: &Bound<'_, PyAny>, rotated: bool) -> PyResult<Vec<u8>> {
    let mut src = open(py, source, rotated)?;
    py.detach(|| {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while src.read_line(&mut buf)?.is_some() {
            all.extend_from_slice(&buf);
            all.push(b'\n');
        }
        Ok(all)
    })
    .map_err(|e| read_error(py, e))
}

fn to_dict<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(PyErr::from)
}

/// A deep copy of a stored `to_dict()` result: the caller may change what it gets
/// (as with `Line.to_dict()`, which builds a new dict each time).
fn fresh<'py>(py: Python<'py>, dict: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    py.import("copy")?
        .call_method1("deepcopy", (dict.bind(py),))
}

/// One header of a reject log entry.
#[pyclass(frozen, get_all, module = "exim_log", name = "Header")]
pub(crate) struct Header {
    /// The spool flag: `P` Received, `I` Message-ID, `F` From, `T` To, `C` Cc,
    /// `B` Bcc, `R` Reply-To, `S` Sender, `*` deleted/replaced, `' '` other.
    flag: char,
    /// `Name: value` as logged, folded lines included.
    text: String,
    /// The name before the first `:`.
    name: Option<String>,
    /// The value after `Name:`, folded lines included.
    value: Option<String>,
}

#[pymethods]
impl Header {
    fn __repr__(&self) -> String {
        format!("<Header {:?} {:?}>", self.flag, self.text)
    }
}

/// One reject log entry (see the stub).
#[pyclass(frozen, module = "exim_log", name = "RejectEntry")]
pub(crate) struct RejectEntry {
    #[pyo3(get)]
    offset: u64,
    #[pyo3(get)]
    line: Py<Line>,
    #[pyo3(get)]
    envelope_from: Option<String>,
    #[pyo3(get)]
    envelope_to: Vec<String>,
    #[pyo3(get)]
    envelope_to_more: bool,
    #[pyo3(get)]
    headers: Py<PyList>,
    #[pyo3(get)]
    truncated: bool,
    #[pyo3(get)]
    raw: String,
    dict: Py<PyAny>,
}

#[pymethods]
impl RejectEntry {
    /// The Rust JSON object of the entry (SCHEMA.md), as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        fresh(py, &self.dict)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        entry_repr(py, "RejectEntry", self.offset, &self.line)
    }
}

/// `<Kind at OFFSET: 'first line'>`, the `repr()` of a reject or panic entry
/// (its first line as the `str()` of its `Line`).
fn entry_repr(py: Python<'_>, kind: &str, offset: u64, line: &Py<Line>) -> String {
    let line = line
        .bind(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    format!("<{kind} at {offset}: {line:?}>")
}

/// One panic log entry (see the stub).
#[pyclass(frozen, module = "exim_log", name = "PanicEntry")]
pub(crate) struct PanicEntry {
    #[pyo3(get)]
    offset: u64,
    #[pyo3(get)]
    line: Py<Line>,
    #[pyo3(get)]
    detail: Option<String>,
    #[pyo3(get)]
    raw: String,
    dict: Py<PyAny>,
}

#[pymethods]
impl PanicEntry {
    /// The Rust JSON object of the entry, as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        fresh(py, &self.dict)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        entry_repr(py, "PanicEntry", self.offset, &self.line)
    }
}

/// An entry's first line as a `Line` (parsed again from its own bytes, so the
/// `Line` owns them; the entry was only found because this parse succeeds).
fn first_line(raw: &[u8]) -> Result<OwnedLine, exim_log::ParseError> {
    OwnedLine::parse(raw)
}

/// Splits `buf` into entries with `split` and converts them; `errors` as in `lines()`.
fn entries<'b, E: Send>(
    py: Python<'_>,
    buf: &'b [u8],
    errors: &str,
    split: impl FnOnce(&'b [u8]) -> Vec<Result<(E, OwnedLine), exim_log::ParseError>> + Send,
) -> PyResult<Vec<(E, OwnedLine)>> {
    let skip = skip_errors(errors)?;
    let parsed = py.detach(|| split(buf));
    let mut out = Vec::with_capacity(parsed.len());
    for p in parsed {
        match p {
            Ok(e) => out.push(e),
            Err(_) if skip => {}
            Err(e) => return Err(line_error(py, e, &Where::default())),
        }
    }
    Ok(out)
}

/// The entries of a reject log (see the stub).
#[pyfunction]
#[pyo3(signature = (source, *, rotated = false, errors = "raise"))]
pub(crate) fn reject_entries(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    rotated: bool,
    errors: &str,
) -> PyResult<Vec<RejectEntry>> {
    let buf = read_all(py, source, rotated)?;
    let parsed = entries(py, &buf, errors, |b| {
        RejectLog::new(b)
            .map(|r| r.and_then(|e: RustReject<'_>| Ok((first_line(e.line.raw.as_bytes())?, e))))
            .map(|r| r.map(|(l, e)| (e, l)))
            .collect()
    })?;
    parsed
        .into_iter()
        .map(|(e, l)| {
            let headers = e
                .headers()
                .map(|h| Header {
                    flag: h.flag,
                    text: h.text.to_string_lossy().into_owned(),
                    name: h.name().map(|t| t.to_string_lossy().into_owned()),
                    value: h.value().map(|t| t.to_string_lossy().into_owned()),
                })
                .map(|h| Py::new(py, h))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(RejectEntry {
                offset: e.offset as u64,
                line: Py::new(py, Line::new(l, None))?,
                envelope_from: e.envelope_from.map(|t| t.to_string_lossy().into_owned()),
                envelope_to: e
                    .envelope_to
                    .iter()
                    .map(|t| t.to_string_lossy().into_owned())
                    .collect(),
                envelope_to_more: e.envelope_to.more(),
                headers: PyList::new(py, headers)?.unbind(),
                truncated: e.truncated,
                raw: e.raw.to_string_lossy().into_owned(),
                dict: to_dict(py, &e)?.unbind(),
            })
        })
        .collect()
}

/// The entries of a panic log (see the stub).
#[pyfunction]
#[pyo3(signature = (source, *, rotated = false, errors = "raise"))]
pub(crate) fn panic_entries(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    rotated: bool,
    errors: &str,
) -> PyResult<Vec<PanicEntry>> {
    let buf = read_all(py, source, rotated)?;
    let parsed = entries(py, &buf, errors, |b| {
        PanicLog::new(b)
            .map(|r| {
                r.and_then(|e: RustPanic<'_>| Ok((e.clone(), first_line(e.line.raw.as_bytes())?)))
            })
            .collect()
    })?;
    parsed
        .into_iter()
        .map(|(e, l)| {
            Ok(PanicEntry {
                offset: e.offset as u64,
                line: Py::new(py, Line::new(l, None))?,
                detail: e.detail.map(|t| t.to_string_lossy().into_owned()),
                raw: e.raw.to_string_lossy().into_owned(),
                dict: to_dict(py, &e)?.unbind(),
            })
        })
        .collect()
}

/// One syslog line carrying Exim text (see the stub).
#[pyclass(frozen, module = "exim_log", name = "SyslogLine")]
pub(crate) struct SyslogLine {
    #[pyo3(get)]
    priority: Option<u16>,
    #[pyo3(get)]
    facility: Option<u16>,
    #[pyo3(get)]
    severity: Option<u16>,
    #[pyo3(get)]
    time: String,
    #[pyo3(get)]
    syslog_host: Option<String>,
    #[pyo3(get)]
    program: String,
    #[pyo3(get)]
    pid: Option<u32>,
    #[pyo3(get)]
    chunk: Option<(u32, u32, bool)>,
    #[pyo3(get)]
    message_id: Option<String>,
    #[pyo3(get)]
    flag: Option<&'static str>,
    #[pyo3(get)]
    event: &'static str,
    #[pyo3(get)]
    raw: String,
    dict: Py<PyAny>,
}

#[pymethods]
impl SyslogLine {
    /// The Rust JSON object of the line, as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        fresh(py, &self.dict)
    }

    /// A key of `to_dict()` (an event field such as `host` or `sender`), or `default`.
    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.dict.bind(py);
        match d.get_item(key) {
            Ok(v) => Ok(v),
            Err(_) => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    fn __repr__(&self) -> String {
        format!("<SyslogLine {} {:?}>", self.event, self.raw)
    }
}

/// Parses one syslog line (see the stub).
#[pyfunction]
pub(crate) fn parse_syslog_line(py: Python<'_>, line: &Bound<'_, PyAny>) -> PyResult<SyslogLine> {
    let bytes = input_bytes(line)?;
    let s: RustSyslog<'_> = exim_log::syslog::parse_syslog_line(&bytes)
        .map_err(|e| line_error(py, e, &Where::default()))?;
    let lossy = |t: exim_log::Text<'_>| t.to_string_lossy().into_owned();
    Ok(SyslogLine {
        priority: s.priority,
        facility: s.facility(),
        severity: s.severity(),
        time: lossy(s.time),
        syslog_host: s.host.map(lossy),
        program: lossy(s.program),
        pid: s.pid,
        chunk: s.chunk.map(|c| (c.index, c.count, c.at_newline)),
        message_id: s.body.message_id.map(|m| m.as_str().to_owned()),
        flag: s.body.flag.map(|f| f.as_str()),
        event: s.body.event.name(),
        raw: lossy(s.raw),
        dict: to_dict(py, &s)?.unbind(),
    })
}

/// A line of a multi-line entry read on its own by `exim_log.lines()`: the
/// envelope, header and indented continuation lines that follow a reject
/// line (or a mainlog line with a multi-line detail), which have no
/// timestamp. What `exim-log ndjson` writes as `{"rejectlog": kind, ...}`
/// (`exim_log::rejectlog::entry_line`).
#[pyclass(frozen, module = "exim_log", name = "EntryLine")]
pub(crate) struct EntryLine {
    /// The line without its line ending (the classification is made again
    /// from it for `to_dict()`, so the dict is the Rust serialization).
    bytes: Vec<u8>,
    kind: &'static str,
    flag: Option<char>,
    name: Option<String>,
    value: Option<String>,
    origin: Option<exim_log::reader::Position>,
}

impl EntryLine {
    /// The entry line `raw` is, if it is one.
    pub(crate) fn of(raw: &[u8], origin: Option<exim_log::reader::Position>) -> Option<Self> {
        let l = exim_log::rejectlog::entry_line(raw)?;
        let text = |t: exim_log::Text<'_>| t.to_string_lossy().into_owned();
        Some(EntryLine {
            bytes: l.raw.as_bytes().to_vec(),
            kind: kind_name(l.kind),
            flag: l.flag,
            name: l.name.map(text),
            value: l.value.map(text),
            origin,
        })
    }
}

/// The serialized name of an entry line's kind (SCHEMA.md `rejectlog`).
fn kind_name(k: exim_log::rejectlog::EntryLineKind) -> &'static str {
    use exim_log::rejectlog::EntryLineKind as K;
    match k {
        K::EnvelopeFrom => "envelope_from",
        K::EnvelopeTo => "envelope_to",
        K::Header => "header",
        K::Truncated => "truncated",
        _ => "continuation",
    }
}

#[pymethods]
impl EntryLine {
    /// What the line is: `envelope_from`, `envelope_to`, `header`,
    /// `continuation` or `truncated` (the `rejectlog` key of `to_dict()`).
    #[getter]
    fn rejectlog(&self) -> &'static str {
        self.kind
    }

    /// A header's type flag, or None.
    #[getter]
    fn flag(&self) -> Option<char> {
        self.flag
    }

    /// A header's name, or None.
    #[getter]
    fn name(&self) -> Option<String> {
        self.name.clone()
    }

    /// The address of `Envelope-from:`/`Envelope-to:`, a header's text after
    /// `Name:`, a continuation line without its leading white space; or None.
    #[getter]
    fn value(&self) -> Option<String> {
        self.value.clone()
    }

    /// The whole line without its line ending.
    #[getter]
    fn raw(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// 1-based line number in the stream it was read from, or None.
    #[getter]
    fn line_number(&self) -> Option<u64> {
        self.origin.as_ref().map(|o| o.line)
    }

    /// Byte offset of the line in the (decompressed) stream, or None.
    #[getter]
    fn offset(&self) -> Option<u64> {
        self.origin.as_ref().map(|o| o.byte)
    }

    /// The file the line was read from, or None.
    #[getter]
    fn file(&self) -> Option<String> {
        self.origin
            .as_ref()
            .and_then(|o| o.file())
            .map(|f| f.display().to_string())
    }

    /// The JSON object `exim-log ndjson` writes for the line, as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match exim_log::rejectlog::entry_line(&self.bytes) {
            Some(l) => to_dict(py, &l),
            None => Err(pyo3::exceptions::PyValueError::new_err("not an entry line")),
        }
    }

    fn __repr__(&self) -> String {
        format!("<EntryLine {} {:?}>", self.kind, self.raw())
    }
}
