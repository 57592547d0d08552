//! `exim_log.Fields`: the nested objects of a line (`host`, `tls`, `auth`, ...) as
//! dicts that also allow attribute access (`line.host.ip`).
//!
//! A `dict` subclass, so a `Fields` compares equal to the plain dict `to_dict()`
//! gives for the same value and works wherever a mapping is expected. The class
//! itself is Python (`python/exim_log/_fields.py`); this module builds its
//! instances for pythonize.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyMapping};
use pythonize::{
    PythonizeError, PythonizeMappingType, PythonizeTypes, PythonizeUnnamedMappingAdapter,
};

/// `exim_log._fields.Fields` (a `dict` subclass written in Python: the stable ABI
/// cannot subclass `dict` from native code before Python 3.12).
static FIELDS_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// pythonize types that build `Fields` for structs and plain dicts for maps.
pub(crate) struct FieldsTypes;

/// Builds a `Fields` for each serialized struct.
pub(crate) struct FieldsMap;

impl PythonizeMappingType for FieldsMap {
    type Builder<'py> = Bound<'py, PyDict>;

    fn builder<'py>(py: Python<'py>, _len: Option<usize>) -> PyResult<Self::Builder<'py>> {
        let class = FIELDS_CLASS.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("exim_log._fields")?.getattr("Fields")?.unbind())
        })?;
        Ok(class.bind(py).call0()?.cast_into::<PyDict>()?)
    }

    fn push_item<'py>(
        builder: &mut Self::Builder<'py>,
        key: Bound<'py, PyAny>,
        value: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        builder.set_item(key, value)
    }

    fn finish<'py>(builder: Self::Builder<'py>) -> PyResult<Bound<'py, PyMapping>> {
        Ok(builder.into_mapping())
    }
}

impl PythonizeTypes for FieldsTypes {
    type Map = FieldsMap;
    type NamedMap = PythonizeUnnamedMappingAdapter<FieldsMap>;
    type List = PyList;
}

/// A pythonize error as a Python exception (it only fails on Python errors).
pub(crate) fn pythonize_err(e: PythonizeError) -> PyErr {
    PyErr::from(e)
}
