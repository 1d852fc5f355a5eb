//! Building CPython's import exceptions with their attributes set (`name=`, `path=`).

use pyo3::exceptions::{PyImportError, PyModuleNotFoundError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use std::ffi::CString;

/// `ImportError(message, name=name, path=path)`.
pub fn import_error(
    py: Python<'_>,
    message: &str,
    name: Option<&str>,
    path: Option<&str>,
) -> PyErr {
    build(py, &py.get_type::<PyImportError>(), message, name, path)
}

/// `ModuleNotFoundError(message, name=name)`.
pub fn module_not_found(py: Python<'_>, message: &str, name: &str) -> PyErr {
    build(
        py,
        &py.get_type::<PyModuleNotFoundError>(),
        message,
        Some(name),
        None,
    )
}

fn build(
    py: Python<'_>,
    kind: &Bound<'_, PyType>,
    message: &str,
    name: Option<&str>,
    path: Option<&str>,
) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        if let Some(name) = name {
            kwargs.set_item("name", name)?;
        }
        if let Some(path) = path {
            kwargs.set_item("path", path)?;
        }
        Ok(PyErr::from_value(kind.call((message,), Some(&kwargs))?))
    })();
    made.unwrap_or_else(|err| err)
}

/// `warnings.warn(message, category, stacklevel)`.
pub fn warn(
    py: Python<'_>,
    category: &Bound<'_, PyType>,
    message: &str,
    stacklevel: i32,
) -> PyResult<()> {
    let message = CString::new(message.replace('\0', "\\x00")).expect("no NUL after escaping");
    PyErr::warn(py, category.as_any(), &message, stacklevel)
}

/// The message `ModuleNotFoundError` gives for a missing module: `No module named 'x'`.
pub fn no_module_named(name: &str) -> String {
    format!(
        "No module named {}",
        crate::core::pyc::python_repr_str(name)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_module_named_quotes_like_repr() {
        assert_eq!(super::no_module_named("a.b"), "No module named 'a.b'");
        assert_eq!(super::no_module_named("it's"), "No module named \"it's\"");
    }
}
