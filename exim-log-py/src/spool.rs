//! `exim_log.SpoolHeader`, `parse_spool_header`, `spool`, `parse_queue_listing`:
//! Exim's mail queue (spool `-H` files, `exim -bp` output), bound to
//! `exim_log::spool` and `exim_log::reader::SpoolDir`.

use exim_log::reader::{SpoolDir, SpoolDirError};
use exim_log::spool::{self as rs, HeaderFile, SpoolError, SpoolErrorKind};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::error::{Where, parse_error};
use crate::line::input_bytes;
use crate::pick::{get_field, to_dict};
use crate::source::skip_errors;

self_cell::self_cell!(
    /// A `-H` file's bytes and the `HeaderFile` borrowing them.
    struct OwnedHeaderFile {
        owner: Box<[u8]>,
        #[covariant]
        dependent: HeaderFile,
    }
);

/// The stable name of a spool error kind (the `kind` attribute of `ParseError`).
fn kind_name(kind: SpoolErrorKind) -> &'static str {
    match kind {
        SpoolErrorKind::IdLine => "id_line",
        SpoolErrorKind::OwnerLine => "owner_line",
        SpoolErrorKind::SenderLine => "sender_line",
        SpoolErrorKind::TimeLine => "time_line",
        SpoolErrorKind::Variable => "variable",
        SpoolErrorKind::NonRecipients => "non_recipients",
        SpoolErrorKind::RecipientCount => "recipient_count",
        SpoolErrorKind::Recipient => "recipient",
        SpoolErrorKind::HeaderSeparator => "header_separator",
        SpoolErrorKind::Header => "header",
        SpoolErrorKind::Listing => "listing",
        _ => "other",
    }
}

fn spool_error(py: Python<'_>, e: SpoolError, file: Option<String>) -> PyErr {
    let at = Where {
        file,
        ..Where::default()
    };
    parse_error(
        py,
        e.kind.description(),
        kind_name(e.kind),
        e.offset as u64,
        &at,
    )
}

fn dir_error(e: SpoolDirError) -> PyErr {
    PyOSError::new_err(e.to_string())
}

/// One parsed spool `-H` file. Every key of its JSON form is an attribute (`id`,
/// `login`, `uid`, `gid`, `sender`, `received_time`, `warning_count`, `envelope`,
/// `variables`, `non_recipients`, `recipients`, `headers`); `path`, `data_len` and
/// `listing_size` are set when it was read from a spool directory.
#[pyclass(frozen, module = "exim_log", name = "SpoolHeader")]
pub(crate) struct SpoolHeader {
    inner: OwnedHeaderFile,
    path: Option<String>,
    data_len: Option<u64>,
    journal: Option<Vec<u8>>,
}

impl SpoolHeader {
    fn parse(bytes: Box<[u8]>) -> Result<Self, SpoolError> {
        Ok(SpoolHeader {
            inner: OwnedHeaderFile::try_new(bytes, |b| rs::parse_header(b))?,
            path: None,
            data_len: None,
            journal: None,
        })
    }

    fn get(&self) -> &HeaderFile<'_> {
        self.inner.borrow_dependent()
    }
}

#[pymethods]
impl SpoolHeader {
    /// The message id.
    #[getter]
    fn id(&self) -> &str {
        self.get().id.as_str()
    }

    /// The `-H` file, when read from a spool directory.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The length of the `-D` file, when read from a spool directory.
    #[getter]
    fn data_len(&self) -> Option<u64> {
        self.data_len
    }

    /// The size `exim -bp` shows (needs `data_len`).
    #[getter]
    fn listing_size(&self) -> Option<u64> {
        Some(self.get().listing_size(self.data_len?))
    }

    /// True when the envelope has `-frozen`.
    #[getter]
    fn frozen(&self) -> bool {
        self.get().envelope.frozen.is_some()
    }

    /// The `Subject:` header, unfolded (`None` when there is none).
    #[getter]
    fn subject(&self) -> Option<String> {
        self.get()
            .subject()
            .map(|s| s.to_string_lossy().into_owned())
    }

    /// `X-PHP-Originating-Script` as `{uid, script}` (`None` when absent).
    #[getter]
    fn originating_script<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.get()
            .originating_script()
            .map(|s| to_dict(py, &s))
            .transpose()
    }

    /// cPanel's `X-PHP-Script` as `{host, path, client, clients}` (`None` when absent).
    #[getter]
    fn php_script<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.get().php_script().map(|s| to_dict(py, &s)).transpose()
    }

    /// The value of the first live header called `name` (case-insensitive),
    /// unfolded; `None` when there is none.
    fn header(&self, name: &str) -> Option<String> {
        self.get()
            .header(name)
            .map(|h| h.value().to_string_lossy().into_owned())
    }

    /// True when `address` was delivered (`D` in `exim -bp`): in the
    /// non-recipients tree, or in the `-J` journal beside the file.
    fn is_delivered(&self, address: &str) -> bool {
        let a = address.as_bytes();
        self.get().is_delivered(a)
            || self
                .journal
                .as_deref()
                .is_some_and(|j| j.split(|&c| c == b'\n').any(|l| l == a))
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        get_field(py, self.get(), "SpoolHeader", name)
    }

    /// The file as a dict (the Rust JSON serialization).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_dict(py, self.get())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let h = self.get();
        let sender = PyString::new(py, &h.sender.to_string_lossy()).repr()?;
        Ok(format!(
            "SpoolHeader(id='{}', sender={sender}, recipients={})",
            h.id,
            h.recipient_count()
        ))
    }
}

/// Parses a spool `-H` file (`bytes` or `str`).
///
/// Raises `ParseError` (a `ValueError`) with the byte `offset` and a `kind` such
/// as `"recipient"` or `"header"` when the file is not valid.
#[pyfunction]
pub(crate) fn parse_spool_header(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<SpoolHeader> {
    let bytes: Box<[u8]> = Box::from(input_bytes(data)?.as_ref());
    py.detach(|| SpoolHeader::parse(bytes))
        .map_err(|e| spool_error(py, e, None))
}

/// The queued messages of a spool directory (the directory holding `input/`, or
/// `input/` itself; split into `input/X/` or not), in `exim -bp` order.
///
/// `errors="raise"` raises `ParseError` (with `file`) on a file that is not
/// valid; `"skip"` leaves it out. `OSError` when the directory cannot be read.
#[pyfunction]
#[pyo3(signature = (path, *, errors = "raise"))]
pub(crate) fn spool<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    errors: &str,
) -> PyResult<Bound<'py, PyList>> {
    let skip = skip_errors(errors)?;
    let result: Result<Vec<SpoolHeader>, PyErrLater> = py.detach(|| {
        let dir = SpoolDir::open(&path).map_err(PyErrLater::Dir)?;
        let mut out = Vec::new();
        for file in dir {
            let file = file.map_err(PyErrLater::Dir)?;
            let name = file.path.display().to_string();
            match SpoolHeader::parse(file.header.into_boxed_slice()) {
                Ok(mut h) => {
                    h.path = Some(name);
                    h.data_len = file.data_len;
                    h.journal = file.journal;
                    out.push(h);
                }
                Err(_) if skip => {}
                Err(e) => return Err(PyErrLater::Parse(e, name)),
            }
        }
        Ok(out)
    });
    match result {
        Ok(v) => PyList::new(py, v),
        Err(PyErrLater::Dir(e)) => Err(dir_error(e)),
        Err(PyErrLater::Parse(e, file)) => Err(spool_error(py, e, Some(file))),
    }
}

/// An error found without the GIL, turned into a Python exception after.
enum PyErrLater {
    Dir(SpoolDirError),
    Parse(SpoolError, String),
}

/// Parses `exim -bp` / `mailq` output (`str` or `bytes`) into one dict per
/// message (`id`, `age`, `age_minutes`, `size`, `sender`, `login`, `frozen`,
/// `error`, `recipients` of `{address, delivered, generated}`).
///
/// `errors="raise"` raises `ParseError` on a record that cannot be read;
/// `"skip"` leaves it out.
#[pyfunction]
#[pyo3(signature = (text, *, errors = "raise"))]
pub(crate) fn parse_queue_listing<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    errors: &str,
) -> PyResult<Bound<'py, PyList>> {
    let skip = skip_errors(errors)?;
    let bytes = input_bytes(text)?;
    let out = PyList::empty(py);
    for entry in rs::parse_listing(&bytes) {
        match entry {
            Ok(e) => out.append(to_dict(py, &e)?)?,
            Err(_) if skip => {}
            Err(e) => return Err(spool_error(py, e, None)),
        }
    }
    Ok(out)
}

/// The queue report (see the stub): from a spool directory (a path to a
/// directory) or from `exim -bp` output (`str`/`bytes`, or a path to a file).
#[pyfunction]
#[pyo3(signature = (source, *, top = 10, threshold = 1, now = None, logs = None, rotated = false))]
pub(crate) fn queue(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    top: usize,
    threshold: u64,
    now: Option<i64>,
    logs: Option<&Bound<'_, PyAny>>,
    rotated: bool,
) -> PyResult<crate::report::Report> {
    let now = now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    let mut q = exim_log::report::queue::QueueReport::new(now);
    let path: Option<std::path::PathBuf> = if source.is_instance_of::<pyo3::types::PyBytes>() {
        None
    } else if source.is_instance_of::<PyString>() {
        // A str is a path when it names something that exists, else the listing.
        let s: String = source.extract()?;
        let p = std::path::PathBuf::from(&s);
        (!s.contains('\n') && p.exists()).then_some(p)
    } else {
        source.extract().ok()
    };
    // Read a listing once: its ids are looked up in `logs` before it is counted.
    let listing = match &path {
        Some(p) if p.is_dir() => None,
        Some(p) => Some(
            std::fs::read(p).map_err(|e| PyOSError::new_err(format!("{}: {e}", p.display())))?,
        ),
        None => Some(input_bytes(source)?.into_owned()),
    };
    if let Some(logs) = logs {
        let ids: std::collections::HashSet<String> = match (&listing, &path) {
            (Some(bytes), _) => rs::parse_listing(bytes)
                .flatten()
                .map(|e| e.id.to_string())
                .collect(),
            (None, Some(p)) => SpoolDir::open(p)
                .map_err(dir_error)?
                .flatten()
                .filter_map(|f| f.id().map(str::to_string))
                .collect(),
            (None, None) => Default::default(),
        };
        let mut found = Vec::new();
        crate::weblog::each_message(
            py,
            crate::source::open(py, logs, rotated)?,
            exim_log::budget::MemoryBudget::DEFAULT,
            |m| {
                if ids.contains(m.id().as_str())
                    && let Some(a) = exim_log::report::arrival::LoggedArrival::of(m)
                {
                    found.push(a);
                }
            },
        )?;
        for a in found {
            q.link(a);
        }
    }
    match path {
        Some(p) if p.is_dir() => {
            let r: Result<(), SpoolDirError> = py.detach(|| {
                for f in SpoolDir::open(&p)? {
                    q.add_queued(&f?);
                }
                Ok(())
            });
            r.map_err(dir_error)?;
        }
        _ => add_listing(py, &mut q, listing.as_deref().unwrap_or_default())?,
    }
    Ok(crate::report::Report::queue(q, top, threshold))
}

fn add_listing(
    py: Python<'_>,
    q: &mut exim_log::report::queue::QueueReport,
    bytes: &[u8],
) -> PyResult<()> {
    for e in rs::parse_listing(bytes) {
        match e {
            Ok(e) => q.add_entry(&e),
            Err(e) => return Err(spool_error(py, e, None)),
        }
    }
    Ok(())
}
