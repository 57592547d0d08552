//! `exim_log.Received`, `parse_received`, `received_headers`, `exim_message_ids`:
//! `Received:` headers (format reference §11), bound to `exim_log::received`.

use std::hash::{Hash, Hasher};

use exim_log::Received as RustReceived;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::line::input_bytes;
use crate::pick::{get_field, to_dict};

self_cell::self_cell!(
    /// A header's bytes and the `Received` borrowing them.
    struct OwnedReceived {
        owner: Box<[u8]>,
        #[covariant]
        dependent: RustReceived,
    }
);

/// One parsed `Received:` header. Every key of its JSON form is an attribute
/// (`mta`, `from_`, `by`, `protocol`, `tls`, `exim_version`, `envelope_from`, `id`,
/// `message_id`, `for_`, `date`, `date_text`, `raw`); absent keys read as `None`.
#[pyclass(frozen, module = "exim_log", name = "Received")]
pub(crate) struct Received {
    inner: OwnedReceived,
}

impl Received {
    fn new(bytes: &[u8]) -> Self {
        Received {
            inner: OwnedReceived::new(Box::from(bytes), |b| RustReceived::parse(b)),
        }
    }

    fn get(&self) -> &RustReceived<'_> {
        self.inner.borrow_dependent()
    }
}

#[pymethods]
impl Received {
    /// True when Exim wrote this header (it has an `(Exim VERSION)` comment).
    #[getter]
    fn is_exim(&self) -> bool {
        self.get().is_exim()
    }

    /// The release part of `exim_version`: `4.94.2` of `4.94.2 (FreeBSD)`.
    #[getter]
    fn exim_release(&self) -> Option<String> {
        self.get()
            .exim_release()
            .map(|t| t.to_string_lossy().into_owned())
    }

    /// The Exim message id of the header (`None` for other MTAs' queue ids).
    #[getter]
    fn message_id(&self) -> Option<&str> {
        self.get().message_id.map(|m| m.as_str())
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        get_field(py, self.get(), "Received", name)
    }

    /// The header as a dict (the Rust JSON serialization).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, self.get())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let r = self.get();
        let mta = pythonize::pythonize(py, &r.mta)?.str()?.to_string();
        let id = match r.message_id {
            Some(m) => format!(", message_id='{}'", m.as_str()),
            None => String::new(),
        };
        let raw = PyString::new(py, &r.raw.to_string_lossy()).repr()?;
        Ok(format!("Received(mta='{mta}'{id}, raw={raw})"))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Received>() {
            Ok(o) => self.inner.borrow_owner() == o.get().inner.borrow_owner(),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.borrow_owner().hash(&mut h);
        h.finish()
    }
}

/// Parses one `Received:` header (with or without its name, folded or not). Never
/// fails: what could be read is filled in, and the whole header stays in `raw`.
#[pyfunction]
pub(crate) fn parse_received(header: &Bound<'_, PyAny>) -> PyResult<Received> {
    Ok(Received::new(&input_bytes(header)?))
}

/// The `Received:` headers of a header block (or a whole message: the walk stops at
/// the blank line ending the headers), parsed, newest first (as they appear).
#[pyfunction]
pub(crate) fn received_headers<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let bytes = input_bytes(block)?;
    let parsed: Vec<Received> = py.detach(|| {
        exim_log::received_headers(&bytes)
            .map(Received::new)
            .collect()
    });
    PyList::new(py, parsed)
}

/// The Exim message ids of a header block's `Received:` headers, oldest hop first:
/// the ids to look up in the mainlog.
#[pyfunction]
pub(crate) fn exim_message_ids(block: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let bytes = input_bytes(block)?;
    Ok(exim_log::exim_message_ids(&bytes)
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect())
}
