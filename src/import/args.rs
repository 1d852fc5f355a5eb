//! Argument handling of `__import__` and `importlib.import_module`, as C parses it.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::core::names;
use crate::runtime::runtime;

pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// An optional argument as C receives it: `Missing` when not passed (`NULL`), else the object,
/// `None` included. `__import__` tells the two apart (`globals=None` is not a dict).
pub enum CArg<'py> {
    Missing,
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for CArg<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(CArg::Given(obj.to_owned()))
    }
}

impl<'py> CArg<'py> {
    pub(crate) fn given(&self) -> Option<&Bound<'py, PyAny>> {
        match self {
            CArg::Missing => None,
            CArg::Given(value) => Some(value),
        }
    }
}

/// `level` parsed as `builtins.__import__` parses it: a C `int` (argument clinic's `int`
/// converter; `PyArg_ParseTuple`'s `i` on 3.9). A value outside that is handed to the
/// interpreter's own `__import__` so the `TypeError`/`OverflowError` is the native one, word for
/// word on every version; its argument parsing fails before it could import anything.
pub(crate) fn level_from(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    level: &Bound<'_, PyAny>,
) -> PyResult<i64> {
    if !level.is_instance_of::<pyo3::types::PyFloat>() {
        if let Ok(level) = level.extract::<i32>() {
            return Ok(i64::from(level));
        }
    }
    let rt = runtime(py);
    // 3.9 and 3.10 parse `name` ("U") before `level`; later versions check `name` after parsing.
    let probe_name =
        if rt.version.import_args_parsed_by_getargs && !name.is_instance_of::<PyString>() {
            name.clone()
        } else {
            PyString::new(py, "").into_any()
        };
    let builtin = rt
        .host_builtins
        .bind(py)
        .getattr(intern!(py, "__import__"))?;
    if builtin.is_instance_of::<pyo3::types::PyCFunction>() {
        let none = py.None();
        // Raises for any `level` the C parser rejects, which is every one that reaches here.
        builtin.call1((probe_name, &none, &none, &none, level))?;
    }
    Err(PyTypeError::new_err(format!(
        "'{}' object cannot be interpreted as an integer",
        type_name(level)
    )))
}

/// `importlib.import_module(name, package)` argument handling.
pub fn import_module_args<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
    package: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, i64)> {
    // `name.startswith('.')` first, as importlib does, so a bad name fails as it does there.
    let relative = name
        .call_method1(intern!(py, "startswith"), (".",))?
        .is_truthy()?;
    if !relative {
        return Ok((name.clone(), 0));
    }
    let text = name.cast::<PyString>()?.to_str()?;
    let level = names::leading_dots(text);
    if level > 0 {
        let has_package = match package {
            Some(p) => p.is_truthy()?,
            None => false,
        };
        if !has_package {
            return Err(PyTypeError::new_err(format!(
                "the 'package' argument is required to perform a relative import for {}",
                name.repr()?
            )));
        }
    }
    Ok((PyString::new(py, &text[level..]).into_any(), level as i64))
}
