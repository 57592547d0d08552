//! `exim_log.Line`: one parsed log line, and `exim_log.parse_line`.
//!
//! A `Line` owns a copy of the line's bytes and the `exim_log::LogLine` parsed from
//! them (kept together with `self_cell`), so a line is parsed once, in a batch
//! without the GIL when read from a file, and each attribute is converted to a Python
//! object only when it is read.

use std::hash::{Hash, Hasher};

use exim_log::LogLine;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::error::{Where, line_error};
use crate::pick::{get_field, pick, to_dict};

self_cell::self_cell!(
    /// A line's bytes and the `LogLine` borrowing them.
    pub(crate) struct OwnedLine {
        owner: Box<[u8]>,
        #[covariant]
        dependent: LogLine,
    }
    impl {Debug}
);

impl OwnedLine {
    /// Copies `bytes` and parses them.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, exim_log::ParseError> {
        OwnedLine::try_new(Box::from(bytes), |b| exim_log::parse_line(b))
    }

    /// Copies `bytes` and parses them with `options` (strictness, expected selectors).
    pub(crate) fn parse_with(
        bytes: &[u8],
        options: &exim_log::Options,
    ) -> Result<Self, exim_log::ParseError> {
        OwnedLine::try_new(Box::from(bytes), |b| options.parse_line(b))
    }

    fn line(&self) -> &LogLine<'_> {
        self.borrow_dependent()
    }
}

/// Where a line came from, when it was read from a stream: line number, byte
/// offset (of the decompressed stream) and file.
pub(crate) type Origin = exim_log::reader::Position;

/// One parsed log line. Every key of the JSON schema is an attribute; keys absent
/// from this line read as `None`.
#[pyclass(frozen, module = "exim_log", name = "Line")]
pub(crate) struct Line {
    pub(crate) inner: OwnedLine,
    pub(crate) origin: Option<Origin>,
}

impl Line {
    fn key<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        Ok(pick(py, self.inner.line(), key)?.unwrap_or_else(|| py.None().into_bound(py)))
    }

    /// The flag as logged, if any.
    pub(crate) fn flag_str(&self) -> Option<&'static str> {
        self.inner.line().flag.map(|f| f.as_str())
    }

    pub(crate) fn new(inner: OwnedLine, origin: Option<Origin>) -> Self {
        Line { inner, origin }
    }

    fn bytes(&self) -> &[u8] {
        self.inner.line().raw.as_bytes()
    }
}

#[pymethods]
impl Line {
    /// ISO 8601 timestamp as logged (the `timestamp` key of `to_dict()`).
    #[getter]
    fn timestamp<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        let mut buf = [0u8; 32];
        let n = iso_timestamp(&self.inner.line().timestamp, &mut buf);
        // Only ASCII digits and separators were written.
        PyString::new(
            py,
            std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default(),
        )
    }

    /// The timestamp as a timezone-aware `datetime.datetime`: the logged
    /// offset (`log_timezone`), else UTC, the same reading as `unix_time`
    /// and the Arrow column (a naive datetime compares with no aware one).
    #[getter]
    fn datetime<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.line().timestamp;
        let dt = py.import("datetime")?;
        let timezone = dt.getattr("timezone")?;
        let tz = match t.utc_offset_minutes {
            Some(m) => {
                let delta = dt.getattr("timedelta")?.call1((0, i64::from(m) * 60))?;
                timezone.call1((delta,))?
            }
            None => timezone.getattr("utc")?,
        };
        let micro = u32::from(t.millisecond.unwrap_or(0)) * 1000;
        // datetime refuses second 60 (a leap second Exim may log): clamp to 59.
        dt.getattr("datetime")?.call1((
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second.min(59),
            micro,
            tz,
        ))
    }

    /// Seconds since the Unix epoch (the wall-clock time taken as UTC unless the
    /// line has an offset).
    #[getter]
    fn unix_time(&self) -> f64 {
        self.inner.line().timestamp.unix_millis() as f64 / 1000.0
    }

    /// `[pid]` of the writing process (`+pid`), else None. (The pid a daemon or
    /// queue-run line names is `daemon_pid` / `runner_pid`.)
    #[getter]
    fn pid(&self) -> Option<u32> {
        self.inner.line().pid
    }

    /// The message id, or None for lines not about a message.
    #[getter]
    fn message_id<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        self.inner
            .line()
            .message_id
            .map(|id| PyString::new(py, id.as_str()))
    }

    /// The flag of a message line (`<=`, `=>`, `**`, ...), or None.
    #[getter]
    fn flag<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        use exim_log::Flag;
        // Interned: read on every line of a typical script.
        let s = match self.inner.line().flag? {
            Flag::Arrival => intern!(py, "<="),
            Flag::Delivery => intern!(py, "=>"),
            Flag::Additional => intern!(py, "->"),
            Flag::Deferral => intern!(py, "=="),
            Flag::Failure => intern!(py, "**"),
            Flag::Cutthrough => intern!(py, ">>"),
            Flag::Suppressed => intern!(py, "*>"),
            Flag::FakeReject => intern!(py, "(="),
            other => return Some(PyString::new(py, other.as_str())),
        };
        Some(s.clone())
    }

    /// What the line records (`arrival`, `delivery`, ..., `unknown`).
    #[getter]
    fn event<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        use exim_log::Event;
        // The message events are most lines of a mainlog: interned.
        let event = &self.inner.line().event;
        match event {
            Event::Arrival(_) => intern!(py, "arrival").clone(),
            Event::Delivery(_) => intern!(py, "delivery").clone(),
            Event::Completed(_) => intern!(py, "completed").clone(),
            Event::Deferral(_) => intern!(py, "deferral").clone(),
            Event::Failure(_) => intern!(py, "failure").clone(),
            other => PyString::new(py, other.name()),
        }
    }

    /// The whole line without its line ending (invalid UTF-8 replaced by U+FFFD).
    #[getter]
    fn raw(&self) -> String {
        self.inner.line().raw.to_string_lossy().into_owned()
    }

    /// The whole line without its line ending, as bytes.
    #[getter]
    fn raw_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.bytes())
    }

    /// The text after the prefix (timestamp, pid and message id).
    #[getter]
    fn text(&self) -> String {
        self.inner.line().text().to_string_lossy().into_owned()
    }

    /// 1-based line number in the stream it was read from, or None.
    #[getter]
    fn line_number(&self) -> Option<u64> {
        self.origin.as_ref().map(|o| o.line)
    }

    /// Byte offset of the line in the (decompressed) stream it was read from, or None.
    #[getter]
    fn offset(&self) -> Option<u64> {
        self.origin.as_ref().map(|o| o.byte)
    }

    /// The file the line was read from, or None.
    #[getter]
    fn file(&self) -> Option<String> {
        self.origin
            .as_ref()
            .and_then(|o| o.file.as_deref())
            .map(|f| f.display().to_string())
    }

    // The keys scripts read most get a getter each: found by the normal attribute
    // lookup, they skip the failed lookup (and its AttributeError) that precedes
    // `__getattr__`. The values still come from the generic `pick`.
    /// `<=`: the envelope sender (`<>` for a bounce); deliveries: `F=`. `None` when absent.
    #[getter]
    fn sender<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "sender")
    }

    /// Deliveries and rejections: the address. `None` when absent.
    #[getter]
    fn recipient<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "recipient")
    }

    /// `<=` with `+received_recipients`: the ` for a b c` addresses. `None` when absent.
    #[getter]
    fn recipients<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "recipients")
    }

    /// `H=`: the remote host (`name`, `helo`, `ip`, `port`, ...), a `Fields`. `None` when absent.
    #[getter]
    fn host<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "host")
    }

    /// `U=`: ident, or the login of a local caller. `None` when absent.
    #[getter]
    fn user<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "user")
    }

    /// `A=`: SMTP authentication (`authenticator`, `id`, `sender`), a `Fields`. `None` when absent.
    #[getter]
    fn auth<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "auth")
    }

    /// `S=`: size in bytes. `None` when absent.
    #[getter]
    fn size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "size")
    }

    /// `T="..."`: the subject as logged, Exim's escaping undone. `None` when absent.
    #[getter]
    fn subject<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "subject")
    }

    /// The subject as a mail client shows it (RFC 2047 encoded words
    /// decoded, raw 8-bit read as UTF-8 or else windows-1252). `None` when absent.
    #[getter]
    fn subject_decoded(&self) -> Option<String> {
        match &self.inner.line().event {
            exim_log::Event::Arrival(a) => a.subject_decoded(),
            _ => None,
        }
    }

    /// The subject's bytes exactly as logged between the quotes (Exim's
    /// escaping kept). `None` when absent.
    #[getter]
    fn subject_raw<'py>(&self, py: Python<'py>) -> Option<Bound<'py, pyo3::types::PyBytes>> {
        match &self.inner.line().event {
            exim_log::Event::Arrival(a) => {
                a.subject.map(|q| pyo3::types::PyBytes::new(py, q.raw()))
            }
            _ => None,
        }
    }

    /// `P=`: the protocol (`esmtps`, `local`, ...). `None` when absent.
    #[getter]
    fn protocol<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "protocol")
    }

    /// `X=`, `CV=`, `DN=`, `SNI=`: TLS details, a `Fields`. `None` when absent.
    #[getter]
    fn tls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "tls")
    }

    /// `R=`: the router. `None` when absent.
    #[getter]
    fn router<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "router")
    }

    /// `T=`: the transport. `None` when absent.
    #[getter]
    fn transport<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "transport")
    }

    /// `**` / `==`: the error text. `None` when absent.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "error")
    }

    /// Rejections and other events: why, as logged. `None` when absent.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "reason")
    }

    /// `cwd=... args:` lines (`+arguments`): the working directory. `None` when absent.
    #[getter]
    fn cwd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "cwd")
    }

    /// `cwd=... args:` lines: the arguments, unquoted. `None` when absent.
    #[getter]
    fn args<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.key(py, "args")
    }

    /// Any other key of the JSON schema (`sender`, `host`, `size`, ...).
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        get_field(py, self.inner.line(), "Line", name)
    }

    /// The value of key `name` of `to_dict()`, or `default` when the line has none.
    #[pyo3(signature = (name, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match pick(py, self.inner.line(), name)? {
            Some(v) => v,
            None => default.unwrap_or_else(|| py.None().into_bound(py)),
        })
    }

    /// The line as a dict, equal to the Rust JSON object (SCHEMA.md) for the same line.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, self.inner.line())
    }

    /// The keys of `to_dict()` for this line.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let d = self.to_dict(py)?.cast_into::<PyDict>()?;
        Ok(d.keys())
    }

    fn __dir__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let keys = slf.get().keys(py)?;
        let cls = slf.get_type().dir()?;
        for k in cls.iter() {
            keys.append(k)?;
        }
        Ok(keys)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let l = self.inner.line();
        let mut s = format!(
            "Line(event='{}', timestamp='{}'",
            l.event.name(),
            l.timestamp
        );
        if let Some(id) = l.message_id {
            s.push_str(&format!(", message_id='{}'", id.as_str()));
        }
        const MAX: usize = 120;
        let raw = l.raw.to_string_lossy();
        let (raw, more) = match raw.char_indices().nth(MAX) {
            Some((cut, _)) => (raw.get(..cut).unwrap_or_default(), "..."),
            None => (&*raw, ""),
        };
        let raw = PyString::new(py, raw).repr()?;
        s.push_str(&format!(", raw={raw}{more})"));
        Ok(s)
    }

    fn __str__(&self) -> String {
        self.raw()
    }

    /// Two lines are equal when their bytes are (the parse is a function of them).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Line>() {
            Ok(o) => self.bytes() == o.get().bytes(),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.bytes().hash(&mut h);
        h.finish()
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let f = py.import("exim_log")?.getattr("parse_line")?;
        Ok((f, (PyBytes::new(py, slf.get().bytes()),)))
    }
}

/// Writes `t` as `Timestamp`'s `Display` does (ISO 8601, SCHEMA.md), into `buf`;
/// returns the length. `core::fmt` costs more than the rest of a line's iteration,
/// and `timestamp` is the field every script reads.
fn iso_timestamp(t: &exim_log::Timestamp, buf: &mut [u8; 32]) -> usize {
    let mut n = 0;
    let mut put = |b: u8| {
        if let Some(slot) = buf.get_mut(n) {
            *slot = b;
            n += 1;
        }
    };
    let digits = |v: u32, width: u32, put: &mut dyn FnMut(u8)| {
        for i in (0..width).rev() {
            put(b'0' + ((v / 10u32.pow(i)) % 10) as u8);
        }
    };
    digits(u32::from(t.year), 4, &mut put);
    put(b'-');
    digits(u32::from(t.month), 2, &mut put);
    put(b'-');
    digits(u32::from(t.day), 2, &mut put);
    put(b'T');
    digits(u32::from(t.hour), 2, &mut put);
    put(b':');
    digits(u32::from(t.minute), 2, &mut put);
    put(b':');
    digits(u32::from(t.second), 2, &mut put);
    if let Some(ms) = t.millisecond {
        put(b'.');
        digits(u32::from(ms), 3, &mut put);
    }
    if let Some(off) = t.utc_offset_minutes {
        put(if off < 0 { b'-' } else { b'+' });
        let a = u32::from(off.unsigned_abs());
        digits(a / 60, 2, &mut put);
        put(b':');
        digits(a % 60, 2, &mut put);
    }
    n
}

/// Text or bytes from Python, as bytes.
pub(crate) fn input_bytes<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(std::borrow::Cow::Owned(s.to_cow()?.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(std::borrow::Cow::Borrowed(b.as_bytes()));
    }
    let v: Vec<u8> = obj.extract()?;
    Ok(std::borrow::Cow::Owned(v))
}

/// Parses one log line (`str` or `bytes`; a trailing line ending is ignored).
///
/// Raises `ParseError` (a `ValueError`) when the line has no valid prefix; any text
/// after a valid prefix gives a `Line`, with event `unknown` when not recognized.
///
/// With `options` (an `Options`), the line is checked against the configured
/// `log_selector`/`log_timezone` when they are strict.
#[pyfunction]
#[pyo3(signature = (line, options = None))]
pub(crate) fn parse_line(
    py: Python<'_>,
    line: &Bound<'_, PyAny>,
    options: Option<&crate::options::Options>,
) -> PyResult<Line> {
    let bytes = input_bytes(line)?;
    let parsed = match options {
        Some(o) => OwnedLine::parse_with(&bytes, &o.inner),
        None => OwnedLine::parse(&bytes),
    };
    match parsed {
        Ok(inner) => Ok(Line::new(inner, None)),
        Err(e) => Err(line_error(py, e, &Where::default())),
    }
}
