//! `exim_log.LogSelector`: a `log_selector` setting (format reference §9), bound to
//! `exim_log::LogSelector`.

use exim_log::{LogSelector as RustSelector, Selector};
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::{Where, parse_error};

/// The set of log selectors a `log_selector` setting turns on. Construct it from a
/// setting (`LogSelector("+subject -retry_defer")`; empty means Exim's defaults);
/// `in` tests a name, iteration gives the names that are on (in Exim's table order).
#[pyclass(frozen, eq, hash, module = "exim_log", name = "LogSelector")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct LogSelector {
    pub(crate) set: RustSelector,
}

/// Parses a setting into a set, or a `ParseError` with the offset of the bad item.
pub(crate) fn parse_setting(py: Python<'_>, setting: &str) -> PyResult<RustSelector> {
    RustSelector::parse(setting).map_err(|e| {
        let err = parse_error(
            py,
            &e.message(),
            e.kind().name(),
            e.offset() as u64,
            &Where::default(),
        );
        let value = err.value(py);
        let _ = value.setattr("found", e.found());
        let _ = value.setattr("suggestion", e.suggestion());
        err
    })
}

fn selector(name: &str) -> PyResult<Selector> {
    Selector::from_name(name)
        .ok_or_else(|| PyKeyError::new_err(format!("unknown log selector {name:?}")))
}

#[pymethods]
impl LogSelector {
    /// Parses a `log_selector` value, or a whole `log_selector = ...` line, with
    /// Exim's rules (start from the defaults, apply `+name`/`-name` left to right).
    #[new]
    #[pyo3(signature = (setting = ""))]
    fn new(py: Python<'_>, setting: &str) -> PyResult<Self> {
        Ok(LogSelector {
            set: parse_setting(py, setting)?,
        })
    }

    /// Exim's default set.
    #[staticmethod]
    fn default() -> Self {
        LogSelector {
            set: RustSelector::exim_default(),
        }
    }

    /// The empty set (`-all`).
    #[staticmethod]
    fn empty() -> Self {
        LogSelector {
            set: RustSelector::empty(),
        }
    }

    /// Every selector (`+all`).
    #[staticmethod]
    fn all() -> Self {
        LogSelector {
            set: RustSelector::all(),
        }
    }

    /// Every selector name Exim knows, in table order.
    #[staticmethod]
    fn names() -> Vec<&'static str> {
        Selector::all().map(Selector::name).collect()
    }

    /// What selector `name` adds to (or changes in) the log. `KeyError` for an unknown name.
    #[staticmethod]
    fn effect(name: &str) -> PyResult<&'static str> {
        Ok(selector(name)?.effect())
    }

    /// True when Exim turns selector `name` on by default.
    #[staticmethod]
    fn is_default(name: &str) -> PyResult<bool> {
        Ok(selector(name)?.is_default())
    }

    /// The selectors on here but not in Exim's defaults.
    fn added(&self) -> Self {
        LogSelector {
            set: self.set.added(),
        }
    }

    /// The default selectors that are off here.
    fn removed(&self) -> Self {
        LogSelector {
            set: self.set.removed(),
        }
    }

    /// The canonical (shortest) setting string; parsing it gives back the same set.
    fn to_setting(&self) -> String {
        self.set.to_setting()
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        let name = name
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("selector names are str"))?;
        Ok(Selector::from_name(&name.to_cow()?).is_some_and(|s| self.set.contains(s)))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let names: Vec<&'static str> = self.set.iter().map(Selector::name).collect();
        Ok(pyo3::types::PyList::new(py, names)?
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn __len__(&self) -> usize {
        self.set.len()
    }

    fn __str__(&self) -> String {
        self.set.to_setting()
    }

    fn __repr__(&self) -> String {
        // Selector names are [a-z0-9_]: no quoting needed.
        format!("LogSelector('{}')", self.set.to_setting())
    }
}

/// Parses a `log_selector` setting; same as `LogSelector(setting)`.
#[pyfunction]
pub(crate) fn parse_log_selector(py: Python<'_>, setting: &str) -> PyResult<LogSelector> {
    LogSelector::new(py, setting)
}
