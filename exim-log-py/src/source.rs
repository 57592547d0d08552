//! Where lines come from: bytes, a Python file object, a path (plain or gzip), a
//! list of paths or a rotated set, all read by `exim_log::reader`.
//!
//! Reading, decompressing and parsing happen in batches with the GIL released
//! (`Python::detach`); a Python file object's `read()` is the only step that
//! re-attaches, once per read buffer.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exim_log::ReadError;
use exim_log::reader::{Input, LogFiles, LogReader, Position, Prefilter, ReadErrorKind};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString, PyTuple};

use crate::error::{Where, parse_error};

/// Bytes of input handled per batch (one `detach`).
pub(crate) const BATCH_BYTES: usize = 1 << 20;

/// A Python file object as a `Read`: `read(n)` is called with the GIL
/// re-attached. Text-mode files give `str`, sent on as UTF-8.
pub(crate) struct PyRead {
    file: Py<PyAny>,
    /// Encoded text not yet handed out (a `str` chunk may exceed `n` bytes).
    rest: Vec<u8>,
    pos: usize,
}

impl Read for PyRead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.rest.len() {
            let chunk = Python::attach(|py| -> PyResult<Vec<u8>> {
                let c = self.file.bind(py).call_method1("read", (out.len(),))?;
                if let Ok(b) = c.cast::<PyBytes>() {
                    Ok(b.as_bytes().to_vec())
                } else if let Ok(s) = c.cast::<PyString>() {
                    Ok(s.to_str()?.as_bytes().to_vec())
                } else if let Ok(b) = c.cast::<PyByteArray>() {
                    Ok(b.to_vec())
                } else {
                    Err(PyTypeError::new_err(
                        "read() of the file object must return bytes or str",
                    ))
                }
            })
            .map_err(io::Error::other)?;
            self.rest = chunk;
            self.pos = 0;
        }
        let avail = self.rest.get(self.pos..).unwrap_or_default();
        let n = avail.len().min(out.len());
        let (src, _) = avail.split_at(n);
        if let Some(dst) = out.get_mut(..n) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

/// A stream that is not a named file: bytes or a Python file object.
type Stream = Box<dyn Read + Send + Sync>;

/// A line's position and file, as `exim_log::reader` reports them.
pub(crate) type Located = (Position, Option<Arc<Path>>);

/// The reader behind an iterator.
pub(crate) enum Source {
    /// One file opened by path (gzip detected).
    File(LogReader<Input<File>>),
    /// Bytes or a Python file object (gzip detected).
    Stream(LogReader<Input<Stream>>),
    /// Several files read in order (a list, or a rotated set oldest first).
    Files(LogFiles),
}

impl Source {
    /// The next line into `buf`, like `LogFiles::read_line`; `None` at the end.
    pub(crate) fn read_line(&mut self, buf: &mut Vec<u8>) -> Option<Result<Located, ReadError>> {
        match self {
            Source::File(r) => transpose(r.read_line(buf), r.file()),
            Source::Stream(r) => transpose(r.read_line(buf), r.file()),
            Source::Files(f) => f.read_line(buf),
        }
    }

    /// The next line that contains a needle of `filter`, into `buf`.
    pub(crate) fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Option<Result<Located, ReadError>> {
        match self {
            Source::File(r) => transpose(r.read_matching_line(filter, buf), r.file()),
            Source::Stream(r) => transpose(r.read_matching_line(filter, buf), r.file()),
            Source::Files(f) => f.read_matching_line(filter, buf),
        }
    }
}

fn transpose(
    r: Result<Option<Position>, ReadError>,
    file: Option<&Arc<Path>>,
) -> Option<Result<Located, ReadError>> {
    match r {
        Ok(Some(pos)) => Some(Ok((pos, file.cloned()))),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Opens what the Python caller passed: `bytes`/`bytearray`, a path, a list of
/// paths, or a file object; with `rotated`, the rotated set of the path.
pub(crate) fn open(py: Python<'_>, source: &Bound<'_, PyAny>, rotated: bool) -> PyResult<Source> {
    let stream = |s: Stream| -> PyResult<Source> {
        let r = LogReader::detect(s).map_err(|e| io_error(e, None))?;
        Ok(Source::Stream(r))
    };
    if let Ok(b) = source.cast::<PyBytes>() {
        return stream(Box::new(io::Cursor::new(b.as_bytes().to_vec())));
    }
    if let Ok(b) = source.cast::<PyByteArray>() {
        return stream(Box::new(io::Cursor::new(b.to_vec())));
    }
    if source.cast::<PyList>().is_ok() || source.cast::<PyTuple>().is_ok() {
        if rotated {
            return Err(PyValueError::new_err(
                "rotated=True takes one path, not a list",
            ));
        }
        let paths: Vec<PathBuf> = source.extract()?;
        return Ok(Source::Files(LogFiles::new(paths)));
    }
    if source.hasattr("read")? {
        if rotated {
            return Err(PyValueError::new_err(
                "rotated=True takes a path, not a file object",
            ));
        }
        let file = source.clone().unbind();
        // Detecting gzip reads the first bytes: through PyRead, with the GIL.
        let r = LogReader::detect(Box::new(PyRead {
            file,
            rest: Vec::new(),
            pos: 0,
        }) as Stream)
        .map_err(|e| io_error(e, None))?;
        let name = source
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<PathBuf>().ok());
        return Ok(Source::Stream(match name {
            Some(n) => r.with_file(n),
            None => r,
        }));
    }
    let path: PathBuf = source.extract().map_err(|_| {
        PyTypeError::new_err(
            "expected bytes, a path (str or os.PathLike), a list of paths or a file object",
        )
    })?;
    if rotated {
        let set = py
            .detach(|| exim_log::reader::rotated(&path))
            .map_err(|e| io_error(e, Some(&path)))?;
        return Ok(Source::Files(LogFiles::new(set)));
    }
    let r = py
        .detach(|| LogReader::open(&path))
        .map_err(|e| read_error(py, e))?;
    Ok(Source::File(r))
}

/// An `io::Error` as the matching `OSError` subclass, with the file name.
fn io_error(e: io::Error, file: Option<&Path>) -> PyErr {
    // The caller's own exception, raised inside a file object's read().
    if e.get_ref().is_some_and(|inner| inner.is::<PyErr>()) {
        if let Some(inner) = e.into_inner()
            && let Ok(pyerr) = inner.downcast::<PyErr>()
        {
            return *pyerr;
        }
        return PyOSError::new_err("read failed");
    }
    let file = file.map(|f| f.display().to_string());
    match e.raw_os_error() {
        // OSError(errno, strerror, filename) picks the subclass (FileNotFoundError...).
        Some(code) => {
            let text = e.to_string();
            let strerror = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text)
                .to_owned();
            PyOSError::new_err((code, strerror, file))
        }
        None => {
            let msg = match file {
                Some(f) => format!("{f}: {e}"),
                None => e.to_string(),
            };
            PyOSError::new_err(msg)
        }
    }
}

/// A reader error as a Python exception: `OSError` for open/read failures,
/// `ParseError` for a line over the length cap.
pub(crate) fn read_error(py: Python<'_>, e: ReadError) -> PyErr {
    let file = e.file.clone();
    let pos = e.position;
    let at = Where {
        line_start: pos.byte,
        line: Some(pos.line),
        file: file.as_deref().map(|f| f.display().to_string()),
    };
    let description = e.to_string();
    match e.kind {
        ReadErrorKind::Open(io) => io_error(io, file.as_deref()),
        ReadErrorKind::Read { source, .. } => {
            let err = io_error(source, file.as_deref());
            let value = err.value(py);
            // Where the unreadable part starts (the first line not yielded).
            let _ = value.setattr("line", pos.line);
            let _ = value.setattr("offset", pos.byte);
            err
        }
        ReadErrorKind::LineTooLong { .. } => {
            parse_error(py, &description, "line_too_long", pos.byte, &at)
        }
        ReadErrorKind::Parse(p) => crate::error::line_error(py, p, &at),
        _ => PyOSError::new_err(description),
    }
}

/// `errors=` of the readers: raise on a bad line, or skip it.
pub(crate) fn skip_errors(errors: &str) -> PyResult<bool> {
    match errors {
        "raise" => Ok(false),
        "skip" => Ok(true),
        other => Err(PyValueError::new_err(format!(
            "errors must be 'raise' or 'skip', not {other:?}"
        ))),
    }
}
