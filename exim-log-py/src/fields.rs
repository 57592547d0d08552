//! `exim_log.Fields`: the nested objects of a line (`host`, `tls`, `auth`, ...) as
//! dicts that also allow attribute access (`line.host.ip`).
//!
//! A `dict` subclass, so a `Fields` compares equal to the plain dict `to_dict()`
//! gives for the same value and works wherever a mapping is expected.

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use pythonize::{
    PythonizeError, PythonizeMappingType, PythonizeTypes, PythonizeUnnamedMappingAdapter,
};

/// A nested object of a parsed line: a `dict` whose keys are also attributes.
/// Absent keys read as `None`, as on `Line`.
#[pyclass(extends = PyDict, module = "exim_log", name = "Fields", subclass)]
pub(crate) struct Fields;

#[pymethods]
impl Fields {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        // dict.__init__ fills the mapping from the same arguments.
        Fields
    }

    // `__getattribute__` rather than `__getattr__`: the keys are what scripts read
    // (`line.host.ip`), and a `__getattr__` would only run after the normal lookup
    // failed and built an AttributeError. A key therefore wins over a `dict` method
    // of the same name in attribute access (no schema key is named like one).
    fn __getattribute__<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if let Some(v) = slf.as_super().get_item(name)? {
            return Ok(v);
        }
        let generic = OBJECT_GETATTRIBUTE
            .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py
                    .import("builtins")?
                    .getattr("object")?
                    .getattr("__getattribute__")?
                    .unbind())
            })?
            .bind(py)
            .call1((slf, name));
        match generic {
            Err(e)
                if e.is_instance_of::<PyAttributeError>(py) && !name.to_str()?.starts_with('_') =>
            {
                Ok(py.None().into_bound(py))
            }
            other => other,
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        // `dict.copy()` of a subclass is a plain dict, whose repr does not recurse here.
        let inner = slf.as_super().copy()?.repr()?;
        Ok(format!("Fields({inner})"))
    }
}

/// `object.__getattribute__`: the normal lookup (methods, dunders) for `Fields`.
static OBJECT_GETATTRIBUTE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// pythonize types that build [`Fields`]s for structs and plain dicts for maps.
pub(crate) struct FieldsTypes;

/// Builds a [`Fields`] for each serialized struct.
pub(crate) struct FieldsMap;

impl PythonizeMappingType for FieldsMap {
    type Builder<'py> = Bound<'py, PyDict>;

    fn builder<'py>(py: Python<'py>, _len: Option<usize>) -> PyResult<Self::Builder<'py>> {
        Ok(Bound::new(py, Fields)?.into_any().cast_into::<PyDict>()?)
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
