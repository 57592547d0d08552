//! Iterating parsed lines from bytes, a Python file object or a path.
//!
//! Lines are parsed in batches of about [`CHUNK`] bytes with the GIL released
//! (`Python::detach`): the bytes are split and parsed into [`OwnedLine`]s by Rust
//! alone, and only `__next__` touches Python, to wrap one ready line in a `Line`.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::error::{Where, kind_name, parse_error};
use crate::line::{Line, Origin, OwnedLine};

/// Bytes read (or taken from memory) per batch.
const CHUNK: usize = 1 << 20;

/// Where the bytes come from.
enum Source {
    /// Bytes given by the caller (copied once), and how far they were consumed.
    Memory { data: Arc<[u8]>, pos: usize },
    /// A Python object with a `read(n)` method (binary or text mode).
    PyFile(Py<PyAny>),
    /// Any Rust reader (a file opened by path), read without the GIL.
    Reader(Box<dyn Read + Send + Sync>),
}

/// A line that failed to parse, kept until `__next__` reaches it.
struct Failed {
    description: &'static str,
    kind: &'static str,
    offset: u64,
    line: u64,
}

/// The result of parsing one line of a batch.
enum Item {
    Line(OwnedLine, Origin),
    Error(Failed),
}

/// State shared by the batch parser: positions and the partial last line.
struct Splitter {
    /// Bytes of a line whose end has not been read yet.
    carry: Vec<u8>,
    /// Number of the next line (1-based).
    line_number: u64,
    /// Stream offset of the next line.
    offset: u64,
    file: Option<Arc<str>>,
    skip_errors: bool,
}

impl Splitter {
    /// Parses every complete line of `carry + data` into `out`; keeps the rest. With
    /// `last`, the rest is a final line without a line ending.
    fn feed(&mut self, data: &[u8], last: bool, out: &mut VecDeque<Item>) {
        if self.carry.is_empty() {
            let rest = self.lines(data, last, out);
            self.carry.extend_from_slice(rest);
        } else {
            let mut buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(data);
            let rest = self.lines(&buf, last, out).to_vec();
            self.carry = rest;
        }
    }

    /// Parses the complete lines of `data`, returning the unfinished tail.
    fn lines<'d>(&mut self, data: &'d [u8], last: bool, out: &mut VecDeque<Item>) -> &'d [u8] {
        let mut rest = data;
        loop {
            let (line, tail) = match memchr::memchr(b'\n', rest) {
                Some(i) => rest.split_at(i + 1),
                None if last && !rest.is_empty() => (rest, &[][..]),
                None => return rest,
            };
            self.one(line, out);
            rest = tail;
        }
    }

    fn one(&mut self, line: &[u8], out: &mut VecDeque<Item>) {
        let origin = Origin {
            line_number: self.line_number,
            offset: self.offset,
            file: self.file.clone(),
        };
        match OwnedLine::parse(line) {
            Ok(l) => out.push_back(Item::Line(l, origin)),
            Err(e) if !self.skip_errors => out.push_back(Item::Error(Failed {
                description: e.kind.description(),
                kind: kind_name(e.kind),
                offset: self.offset + e.offset as u64,
                line: self.line_number,
            })),
            Err(_) => {}
        }
        self.line_number += 1;
        self.offset += line.len() as u64;
    }
}

/// An iterator of parsed `Line`s (see `exim_log.lines`).
#[pyclass(module = "exim_log", name = "LineReader")]
pub(crate) struct LineReader {
    source: Option<Source>,
    split: Splitter,
    pending: VecDeque<Item>,
}

impl LineReader {
    fn new(source: Source, file: Option<String>, skip_errors: bool) -> Self {
        LineReader {
            source: Some(source),
            split: Splitter {
                carry: Vec::new(),
                line_number: 1,
                offset: 0,
                file: file.map(Arc::from),
                skip_errors,
            },
            pending: VecDeque::new(),
        }
    }

    /// Parses the next batch into `pending`; at the end of input drops the source.
    fn fill(&mut self, py: Python<'_>) -> PyResult<()> {
        let Some(source) = self.source.as_mut() else {
            return Ok(());
        };
        let split = &mut self.split;
        let pending = &mut self.pending;
        let done = match source {
            Source::Memory { data, pos } => py.detach(|| {
                let rest = data.get(*pos..).unwrap_or_default();
                // Cut at the last line ending within the chunk so no line is split.
                let take = if rest.len() <= CHUNK {
                    rest.len()
                } else {
                    let window = rest.get(..CHUNK).unwrap_or_default();
                    memchr::memrchr(b'\n', window).map_or(rest.len(), |i| i + 1)
                };
                let (now, _) = rest.split_at(take);
                *pos += take;
                let last = *pos >= data.len();
                split.feed(now, last, pending);
                last
            }),
            Source::PyFile(f) => {
                let chunk = f.bind(py).call_method1("read", (CHUNK,))?;
                let bytes: Vec<u8> = if let Ok(s) = chunk.cast::<PyString>() {
                    s.to_str()?.as_bytes().to_vec()
                } else if let Ok(b) = chunk.cast::<PyBytes>() {
                    b.as_bytes().to_vec()
                } else if let Ok(b) = chunk.cast::<PyByteArray>() {
                    b.to_vec()
                } else {
                    return Err(PyTypeError::new_err(
                        "read() of the file object must return bytes or str",
                    ));
                };
                let last = bytes.is_empty();
                py.detach(|| split.feed(&bytes, last, pending));
                last
            }
            Source::Reader(r) => py.detach(|| -> std::io::Result<bool> {
                let mut buf = vec![0u8; CHUNK];
                let n = loop {
                    match r.read(&mut buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                let data = buf.get(..n).unwrap_or_default();
                split.feed(data, n == 0, pending);
                Ok(n == 0)
            })?,
        };
        if done {
            self.source = None;
        }
        Ok(())
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
            self.fill(py)?;
        }
        match self.pending.pop_front() {
            Some(Item::Line(l, origin)) => Ok(Some(Line::new(l, Some(origin)))),
            Some(Item::Error(f)) => {
                let at = Where {
                    line_start: 0,
                    line: Some(f.line),
                    file: self.split.file.as_deref().map(str::to_owned),
                };
                Err(parse_error(py, f.description, f.kind, f.offset, &at))
            }
            None => Ok(None),
        }
    }

    /// The path being read, or None.
    #[getter]
    fn file(&self) -> Option<&str> {
        self.split.file.as_deref()
    }
}

/// What `lines()` accepts: bytes-like, a path, or a file object.
pub(crate) fn open_source(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    skip_errors: bool,
) -> PyResult<LineReader> {
    if let Ok(b) = source.cast::<PyBytes>() {
        let data: Arc<[u8]> = Arc::from(b.as_bytes());
        return Ok(LineReader::new(
            Source::Memory { data, pos: 0 },
            None,
            skip_errors,
        ));
    }
    if let Ok(b) = source.cast::<PyByteArray>() {
        let data: Arc<[u8]> = Arc::from(b.to_vec());
        return Ok(LineReader::new(
            Source::Memory { data, pos: 0 },
            None,
            skip_errors,
        ));
    }
    if source.hasattr("read")? {
        let name = source
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<String>().ok());
        return Ok(LineReader::new(
            Source::PyFile(source.clone().unbind()),
            name,
            skip_errors,
        ));
    }
    if let Ok(path) = source.extract::<std::path::PathBuf>() {
        let shown = path.display().to_string();
        let f = py.detach(|| std::fs::File::open(&path))?;
        return Ok(LineReader::new(
            Source::Reader(Box::new(f)),
            Some(shown),
            skip_errors,
        ));
    }
    Err(PyTypeError::new_err(
        "expected bytes, a path (str or os.PathLike) or a binary file object",
    ))
}

/// Iterates the parsed lines of `source`: `bytes`/`bytearray`, a path (`str` or
/// `os.PathLike`), or a file object (binary or text). A line without a valid
/// prefix raises `ParseError` (with `offset`, `line`, `file`), after which iteration
/// may go on; with `errors="skip"` such lines are skipped.
#[pyfunction]
#[pyo3(signature = (source, *, errors = "raise"))]
pub(crate) fn lines(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    errors: &str,
) -> PyResult<LineReader> {
    let skip = match errors {
        "raise" => false,
        "skip" => true,
        other => {
            return Err(PyValueError::new_err(format!(
                "errors must be 'raise' or 'skip', not {other:?}"
            )));
        }
    };
    open_source(py, source, skip)
}
