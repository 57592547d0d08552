//! `exim_log.Options` (strict parsing against a configuration, `exim_log::Options`)
//! and `exim_log.infer_selectors()` (`exim_log::Inference`, what a log sample says
//! about the `log_selector` that wrote it; format reference §9).

use exim_log::{Evidence, Inference, Selector, Strictness};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::line::{Line, parse_line};
use crate::selector::{LogSelector, parse_setting};
use crate::source::{open, read_error};

/// What the Exim that wrote a log was configured to log: a `log_selector`
/// setting, the `log_timezone` option and the strictness of `parse_line`.
#[pyclass(frozen, eq, hash, module = "exim_log", name = "Options")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Options {
    pub(crate) inner: exim_log::Options,
}

#[pymethods]
impl Options {
    /// `setting` is a `log_selector` value (str, empty = Exim's defaults) or a
    /// `LogSelector`; `log_timezone` is True/False when known, None for either.
    #[new]
    #[pyo3(signature = (setting = None, *, strict = false, log_timezone = None))]
    fn new(
        py: Python<'_>,
        setting: Option<&Bound<'_, PyAny>>,
        strict: bool,
        log_timezone: Option<bool>,
    ) -> PyResult<Self> {
        let selectors = match setting {
            None => exim_log::LogSelector::exim_default(),
            Some(s) => match s.cast::<LogSelector>() {
                Ok(sel) => sel.get().set,
                Err(_) => parse_setting(py, &s.extract::<String>()?)?,
            },
        };
        let mut inner = exim_log::Options::new(selectors);
        if let Some(tz) = log_timezone {
            inner = inner.with_log_timezone(tz);
        }
        if strict {
            inner = inner.strict();
        }
        Ok(Options { inner })
    }

    /// The effective `log_selector`.
    #[getter]
    fn selectors(&self) -> LogSelector {
        LogSelector {
            set: self.inner.selectors,
        }
    }

    /// True in strict mode.
    #[getter]
    fn strict(&self) -> bool {
        self.inner.strictness == Strictness::Strict
    }

    /// The `log_timezone` option: True, False, or None (unknown).
    #[getter]
    fn log_timezone(&self) -> Option<bool> {
        self.inner.log_timezone
    }

    /// True when every line must start `TIMESTAMP [pid]` (`+pid`).
    fn expects_pid(&self) -> bool {
        self.inner.expects_pid()
    }

    /// True when timestamps must carry milliseconds (`+millisec`).
    fn expects_millisec(&self) -> bool {
        self.inner.expects_millisec()
    }

    /// Parses one line with these options; same as `parse_line(line, options=self)`.
    fn parse_line(&self, py: Python<'_>, line: &Bound<'_, PyAny>) -> PyResult<Line> {
        parse_line(py, line, Some(self))
    }

    fn __repr__(&self) -> String {
        let tz = match self.inner.log_timezone {
            None => "None",
            Some(true) => "True",
            Some(false) => "False",
        };
        format!(
            "Options('{}', strict={}, log_timezone={tz})",
            self.inner.selectors.to_setting(),
            if self.strict() { "True" } else { "False" }
        )
    }
}

fn names<'py>(py: Python<'py>, it: impl Iterator<Item = Selector>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, it.map(Selector::name))
}

/// Reads `source` (like `lines()`) and gathers the `log_selector` evidence of
/// every line, without the GIL; returns the summary dict described in the stub.
#[pyfunction]
#[pyo3(signature = (source, *, rotated = false, wanted = None))]
pub(crate) fn infer_selectors<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    rotated: bool,
    wanted: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let wanted = match wanted {
        None => None,
        Some(w) => Some(match w.cast::<LogSelector>() {
            Ok(sel) => sel.get().set,
            Err(_) => parse_setting(py, &w.extract::<String>()?)?,
        }),
    };
    let mut src = open(py, source, rotated)?;
    let result = py.detach(|| {
        let mut inf = Inference::new();
        let mut buf = Vec::new();
        loop {
            match src.read_line(&mut buf) {
                Ok(Some(_)) => {
                    inf.add_raw(&buf);
                }
                Ok(None) => break,
                // A line over the cap says nothing; a failed read ends the sample.
                Err(e) if !e.is_fatal() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(inf)
    });
    let inf = result.map_err(|e| read_error(py, e))?;
    let d = PyDict::new(py);
    d.set_item("lines", inf.lines())?;
    d.set_item("unparsed", inf.unparsed())?;
    let inf = &inf;
    let with = |ev: Evidence| Selector::all().filter(move |s| inf.evidence(*s) == ev);
    d.set_item("seen", names(py, with(Evidence::Seen))?)?;
    d.set_item("off", names(py, with(Evidence::Off))?)?;
    d.set_item("no_evidence", names(py, with(Evidence::NoEvidence))?)?;
    let fields = PyDict::new(py);
    for (s, effect) in inf.reliable_fields() {
        fields.set_item(s.name(), effect)?;
    }
    d.set_item("reliable_fields", fields)?;
    let observations: Vec<_> = inf.observations().collect();
    d.set_item(
        "observations",
        pythonize::pythonize(py, &observations).map_err(PyErr::from)?,
    )?;
    match wanted {
        Some(w) => d.set_item("missing", names(py, inf.missing(w).iter())?)?,
        None => d.set_item("missing", py.None())?,
    }
    Ok(d)
}
