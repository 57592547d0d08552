//! Where lines come from: bytes, a Python file object, a path (plain or gzip), a
//! list of paths or a rotated set, all read by `exim_log::reader`.
//!
//! Reading, decompressing and parsing happen in batches with the GIL released
//! (`Python::detach`); a Python file object's `read()` is the only step that
//! re-attaches, once per read buffer.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exim_log::ReadError;
use exim_log::reader::{LogFiles, ReadErrorKind};
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
                    Ok(s.to_cow()?.as_bytes().to_vec())
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

/// Opens what the Python caller passed: `bytes`/`bytearray`, a path, a list of
/// paths, or a file object; with `rotated`, the rotated set of the path. Every
/// form is one `exim_log::reader::LogFiles`; its first input is opened now, so
/// a missing file or a failing `read()` raises at the call, not at the first
/// `next()`.
pub(crate) fn open(py: Python<'_>, source: &Bound<'_, PyAny>, rotated: bool) -> PyResult<LogFiles> {
    let mut files = LogFiles::default();
    if let Ok(b) = source.cast::<PyBytes>() {
        files.push_reader(io::Cursor::new(b.as_bytes().to_vec()), None);
    } else if let Ok(b) = source.cast::<PyByteArray>() {
        files.push_reader(io::Cursor::new(b.to_vec()), None);
    } else if source.cast::<PyList>().is_ok() || source.cast::<PyTuple>().is_ok() {
        if rotated {
            return Err(PyValueError::new_err(
                "rotated=True takes one path, not a list",
            ));
        }
        let paths: Vec<PathBuf> = source.extract()?;
        // A list is read in the order given (no open now: an error belongs to its turn).
        return Ok(LogFiles::new(paths));
    } else if source.hasattr("read")? {
        if rotated {
            return Err(PyValueError::new_err(
                "rotated=True takes a path, not a file object",
            ));
        }
        let name = source
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<PathBuf>().ok())
            .map(Arc::from);
        let file = source.clone().unbind();
        files.push_reader(
            PyRead {
                file,
                rest: Vec::new(),
                pos: 0,
            },
            name,
        );
        // Detecting gzip reads the first bytes: through PyRead, with the GIL.
        files.open_first().map_err(|e| read_error(py, e))?;
        return Ok(files);
    } else {
        let path: PathBuf = source.extract().map_err(|_| {
            PyTypeError::new_err(
                "expected bytes, a path (str or os.PathLike), a list of paths or a file object",
            )
        })?;
        if rotated {
            let set = py
                .detach(|| exim_log::reader::rotated(&path))
                .map_err(|e| io_error(e, Some(&path)))?;
            return Ok(LogFiles::new(set));
        }
        files.push_path(path);
    }
    py.detach(|| files.open_first())
        .map_err(|e| read_error(py, e))?;
    Ok(files)
}

/// The files `source` names (a path, a list of paths, a path's rotated set
/// with `rotated`), oldest first; `None` for bytes and file objects, which
/// only one thread can read.
pub(crate) fn paths(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    rotated: bool,
) -> PyResult<Option<Vec<PathBuf>>> {
    if source.cast::<PyBytes>().is_ok()
        || source.cast::<PyByteArray>().is_ok()
        || source.hasattr("read")?
    {
        return Ok(None);
    }
    if source.cast::<PyList>().is_ok() || source.cast::<PyTuple>().is_ok() {
        return Ok(source.extract::<Vec<PathBuf>>().ok());
    }
    let Ok(path) = source.extract::<PathBuf>() else {
        return Ok(None);
    };
    if rotated {
        return Ok(py.detach(|| exim_log::reader::rotated(&path)).ok());
    }
    Ok(Some(vec![path]))
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
    let pos = e.position.clone();
    let file = pos.file.clone();
    let at = Where::of(&pos);
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
