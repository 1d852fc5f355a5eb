//! Building CPython's import exceptions with their attributes set (`name=`, `path=`).

use pyo3::exceptions::{PyImportError, PyModuleNotFoundError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyType};
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

/// `repr(s)`, as CPython's messages quote names and paths (`{name!r}`).
///
/// ASCII text, which nearly every name is, is quoted in Rust (`core::pyc::python_repr_str`);
/// text with other characters goes to Python's own `repr`, which alone knows which of them are
/// printable (`str.isprintable`) and escapes the rest (`'a\xa0b'`, `'\u200b'`).
pub fn repr_str(s: &str) -> String {
    if s.is_ascii() {
        return crate::core::pyc::python_repr_str(s);
    }
    Python::attach(|py| match PyString::new(py, s).repr() {
        Ok(repr) => repr.to_string(),
        Err(_) => crate::core::pyc::python_repr_str(s),
    })
}

/// The message `ModuleNotFoundError` gives for a missing module: `No module named 'x'`.
pub fn no_module_named(name: &str) -> String {
    format!("No module named {}", repr_str(name))
}

/// `ModuleNotFoundError` for a name with lone surrogates (`'q\udc80'`), which is not in
/// `sys.modules`: no file name the finders list can match it (the engine keeps names as UTF-8),
/// so the import ends as CPython's would when nothing is found.
pub fn unencodable_name_not_found(py: Python<'_>, name: &Bound<'_, PyString>) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let message = format!("No module named {}", name.repr()?);
        let kwargs = PyDict::new(py);
        kwargs.set_item("name", name)?;
        let kind = py.get_type::<PyModuleNotFoundError>();
        Ok(PyErr::from_value(kind.call((message,), Some(&kwargs))?))
    })();
    made.unwrap_or_else(|err| err)
}

/// Run `body` in a callback that C calls directly, with no pyo3 trampoline around it (a pending
/// call): an error goes to `sys.unraisablehook`, and so does a panic, as pyo3's `PanicException`;
/// unwinding into C would abort the process.
pub fn run_c_callback(py: Python<'_>, body: impl FnOnce() -> PyResult<()>) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let err = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => err,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic in a C callback".to_owned());
            pyo3::panic::PanicException::new_err(message)
        }
    };
    err.write_unraisable(py, None);
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_module_named_quotes_like_repr() {
        assert_eq!(super::no_module_named("a.b"), "No module named 'a.b'");
        assert_eq!(super::no_module_named("it's"), "No module named \"it's\"");
    }

    #[test]
    fn a_panic_in_a_c_callback_becomes_unraisable() {
        use pyo3::prelude::*;
        Python::initialize();
        Python::attach(|py| {
            let sys = py.import("sys").unwrap();
            let seen = pyo3::types::PyList::empty(py);
            let hook = sys.getattr("unraisablehook").unwrap();
            let append = seen.getattr("append").unwrap();
            sys.setattr("unraisablehook", &append).unwrap();
            super::run_c_callback(py, || panic!("boom"));
            super::run_c_callback(py, || Ok(()));
            sys.setattr("unraisablehook", hook).unwrap();
            assert_eq!(seen.len(), 1);
            let exc = seen.get_item(0).unwrap().getattr("exc_value").unwrap();
            assert_eq!(exc.get_type().name().unwrap().to_string(), "PanicException");
            assert_eq!(exc.str().unwrap().to_string(), "boom");
        });
    }
}
