//! Building CPython's import exceptions with their attributes set (`name=`, `path=`), and the
//! `From` conversions of the pure-Rust cores' errors (`crate::core`, which has no pyo3) into the
//! exceptions CPython raises for them, so that call sites write `?` or `.into()`.

use crate::core::names::ResolveError;
use crate::core::paths::CacheError;
use crate::core::pyc::PycError;
use crate::core::source::EncodingError;
use pyo3::exceptions::{
    PyEOFError, PyImportError, PyModuleNotFoundError, PyNotImplementedError, PySyntaxError,
    PyValueError,
};
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

/// `ImportError(message)`, as `_resolve_name` / `_sanity_check` raise it (no `name`, no `path`).
impl From<ResolveError> for PyErr {
    fn from(err: ResolveError) -> PyErr {
        PyImportError::new_err(err.message())
    }
}

/// `SyntaxError(message)`, as `tokenize.detect_encoding` raises it under `decode_source` (whose
/// `readline` has no file name, so the message names none).
impl From<EncodingError> for PyErr {
    fn from(err: EncodingError) -> PyErr {
        PySyntaxError::new_err(err.message())
    }
}

/// What `cache_from_source` raises: `NotImplementedError('sys.implementation.cache_tag is None')`
/// or `ValueError('{optimization!r} is not alphanumeric')`.
impl From<CacheError> for PyErr {
    fn from(err: CacheError) -> PyErr {
        match err {
            CacheError::NoCacheTag => {
                PyNotImplementedError::new_err("sys.implementation.cache_tag is None")
            }
            CacheError::BadOptimization(level) => {
                PyValueError::new_err(format!("{} is not alphanumeric", repr_str(&level)))
            }
        }
    }
}

/// A refused pyc header with what its exception names: the module and the bytecode file, as
/// `_classify_pyc` / `_validate_*_pyc` get them in `exc_details`.
#[derive(Debug, Clone, Copy)]
pub struct PycRefusal<'a> {
    /// Why the header was refused.
    pub error: &'a PycError,
    /// The module's name (quoted in the message, and the `ImportError`'s `name`).
    pub name: &'a str,
    /// The bytecode file's path (the `ImportError`'s `path`).
    pub path: &'a str,
}

impl<'a> PycRefusal<'a> {
    /// `error` refused for module `name` read from the bytecode file `path`.
    pub fn new(error: &'a PycError, name: &'a str, path: &'a str) -> Self {
        PycRefusal { error, name, path }
    }
}

/// `EOFError(message)` for a truncated header, else `ImportError(message, name=name, path=path)`.
impl From<PycRefusal<'_>> for PyErr {
    fn from(refusal: PycRefusal<'_>) -> PyErr {
        let message = refusal.error.message(&repr_str(refusal.name));
        if refusal.error.is_eof() {
            PyEOFError::new_err(message)
        } else {
            Python::attach(|py| import_error(py, &message, Some(refusal.name), Some(refusal.path)))
        }
    }
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

    use super::PycRefusal;
    use crate::core::names::ResolveError;
    use crate::core::paths::CacheError;
    use crate::core::pyc::{self, PycError};
    use crate::core::source::EncodingError;
    use pyo3::prelude::*;
    use pyo3::types::PyDict;

    /// An exception as the tests compare it: type name, `str()`, and `name` / `path` where the
    /// type has them (`None` otherwise, and where unset).
    type Described = (String, String, Option<String>, Option<String>);

    fn describe(py: Python<'_>, err: PyErr) -> Described {
        let value = err.into_value(py).into_bound(py);
        let attr = |attr: &str| -> Option<String> {
            value
                .getattr(attr)
                .ok()
                .and_then(|v| v.extract::<Option<String>>().unwrap())
        };
        (
            value.get_type().name().unwrap().to_string(),
            value.str().unwrap().to_string(),
            attr("name"),
            attr("path"),
        )
    }

    /// Run `code` (which must raise) with `vars`, `ext` bound to
    /// `importlib._bootstrap_external` and `boot` to `importlib._bootstrap`, and describe the
    /// exception CPython raised.
    fn cpython_raises(py: Python<'_>, code: &str, vars: &Bound<'_, PyDict>) -> Described {
        let code = format!(
            "import importlib._bootstrap as boot, importlib._bootstrap_external as ext\n\
             _err = None\ntry:\n    {code}\nexcept BaseException as e:\n    _err = e\n"
        );
        let code = std::ffi::CString::new(code).unwrap();
        py.run(&code, Some(vars), Some(vars)).unwrap();
        let raised = vars.get_item("_err").unwrap().expect("_err is set");
        assert!(!raised.is_none(), "CPython raised nothing");
        describe(py, PyErr::from_value(raised))
    }

    fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        Python::initialize();
        Python::attach(f)
    }

    #[test]
    fn resolve_errors_are_cpythons_import_errors() {
        with_python(|py| {
            let vars = PyDict::new(py);
            let beyond = cpython_raises(py, "boot._resolve_name('x', 'a', 3)", &vars);
            assert_eq!(
                beyond,
                (
                    "ImportError".to_owned(),
                    "attempted relative import beyond top-level package".to_owned(),
                    None,
                    None
                )
            );
            assert_eq!(describe(py, ResolveError::BeyondTopLevel.into()), beyond);
            let ours = crate::core::names::resolve_relative("x", "a", 3).unwrap_err();
            assert_eq!(describe(py, ours.into()), beyond);

            let no_parent = cpython_raises(py, "boot._sanity_check('x', '', 1)", &vars);
            assert_eq!(
                no_parent.1,
                "attempted relative import with no known parent package"
            );
            assert_eq!(
                describe(py, ResolveError::NoParentPackage.into()),
                no_parent
            );
        });
    }

    #[test]
    fn encoding_errors_are_cpythons_syntax_errors() {
        with_python(|py| {
            let cases = [
                (
                    EncodingError::InvalidDeclaration,
                    "b'#\\xff\\n'",
                    "invalid or missing encoding declaration",
                ),
                (
                    EncodingError::UnknownEncoding("nope".to_owned()),
                    "b'# coding: nope\\n'",
                    "unknown encoding: nope",
                ),
                (
                    EncodingError::BomMismatch,
                    "b'\\xef\\xbb\\xbf# coding: latin-1\\n'",
                    "encoding problem: utf-8",
                ),
            ];
            for (err, source, message) in cases {
                let vars = PyDict::new(py);
                let theirs = cpython_raises(py, &format!("ext.decode_source({source})"), &vars);
                assert_eq!(theirs.0, "SyntaxError");
                assert_eq!(theirs.1, message);
                assert_eq!(describe(py, err.into()), theirs);
            }
        });
    }

    #[test]
    fn cache_errors_are_cache_from_sources() {
        with_python(|py| {
            // `cache_from_source` run with a `sys` whose `cache_tag` is None, in its own globals:
            // the process's `sys.implementation` is not touched while other tests run.
            let vars = PyDict::new(py);
            let no_tag = cpython_raises(
                py,
                "import sys, types\n    \
                 fake = types.SimpleNamespace(implementation=types.SimpleNamespace(cache_tag=None), \
                 flags=sys.flags, pycache_prefix=None)\n    \
                 g = dict(vars(ext), sys=fake)\n    \
                 types.FunctionType(ext.cache_from_source.__code__, g)('x.py', None, optimization=None)",
                &vars,
            );
            assert_eq!(
                no_tag,
                (
                    "NotImplementedError".to_owned(),
                    "sys.implementation.cache_tag is None".to_owned(),
                    None,
                    None
                )
            );
            assert_eq!(describe(py, CacheError::NoCacheTag.into()), no_tag);

            for level in ["a-b", "é!", "it's"] {
                let vars = PyDict::new(py);
                vars.set_item("level", level).unwrap();
                let theirs = cpython_raises(
                    py,
                    "ext.cache_from_source('x.py', optimization=level)",
                    &vars,
                );
                assert_eq!(theirs.0, "ValueError");
                let ours = CacheError::BadOptimization(level.to_owned());
                assert_eq!(describe(py, ours.into()), theirs);
            }
            let vars = PyDict::new(py);
            vars.set_item("level", "a-b").unwrap();
            let theirs = cpython_raises(
                py,
                "ext.cache_from_source('x.py', optimization=level)",
                &vars,
            );
            assert_eq!(theirs.1, "'a-b' is not alphanumeric");
        });
    }

    #[test]
    fn pyc_refusals_are_cpythons() {
        with_python(|py| {
            let magic: Vec<u8> = py
                .import("importlib.util")
                .unwrap()
                .getattr("MAGIC_NUMBER")
                .unwrap()
                .extract()
                .unwrap();
            let with_magic = |rest: &[u8]| [magic.as_slice(), rest].concat();
            let timestamp = pyc::timestamp_header(&magic, 1, 2);
            let hashed = pyc::hash_header(&magic, &[7; 8], true);
            // (data, what CPython runs on it, our refusal of the same data)
            let cases: Vec<(Vec<u8>, &str, PycError)> = vec![
                (
                    b"\x00\x01\x02\x03rest".to_vec(),
                    "ext._classify_pyc(data, name, details)",
                    pyc::classify(b"\x00\x01\x02\x03rest", &magic).unwrap_err(),
                ),
                (
                    with_magic(&[0; 4]),
                    "ext._classify_pyc(data, name, details)",
                    pyc::classify(&with_magic(&[0; 4]), &magic).unwrap_err(),
                ),
                (
                    with_magic(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                    "ext._classify_pyc(data, name, details)",
                    pyc::classify(&with_magic(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), &magic)
                        .unwrap_err(),
                ),
                (
                    timestamp.clone(),
                    "ext._validate_timestamp_pyc(data, 5, 2, name, details)",
                    pyc::validate_timestamp(pyc::classify(&timestamp, &magic).unwrap(), 5, 2)
                        .unwrap_err(),
                ),
                (
                    hashed.clone(),
                    "ext._validate_hash_pyc(data, bytes(8), name, details)",
                    pyc::validate_hash(pyc::classify(&hashed, &magic).unwrap(), &[0; 8])
                        .unwrap_err(),
                ),
            ];
            let kinds = [
                "BadMagic",
                "Truncated",
                "InvalidFlags",
                "Stale",
                "HashMismatch",
            ];
            for ((data, code, err), kind) in cases.into_iter().zip(kinds) {
                assert!(
                    format!("{err:?}").starts_with(kind),
                    "{err:?} is not {kind}"
                );
                for name in ["pkg.mod", "pkg.é's"] {
                    let path = "/x/__pycache__/mod.cpython-311.pyc";
                    let vars = PyDict::new(py);
                    vars.set_item("data", pyo3::types::PyBytes::new(py, &data))
                        .unwrap();
                    vars.set_item("name", name).unwrap();
                    let details = PyDict::new(py);
                    details.set_item("name", name).unwrap();
                    details.set_item("path", path).unwrap();
                    vars.set_item("details", details).unwrap();
                    let theirs = cpython_raises(py, code, &vars);
                    let ours = describe(py, PycRefusal::new(&err, name, path).into());
                    assert_eq!(ours, theirs, "{kind} for {name}");
                    if err.is_eof() {
                        assert_eq!(theirs.0, "EOFError");
                    } else {
                        assert_eq!(theirs.0, "ImportError");
                        assert_eq!(theirs.2.as_deref(), Some(name));
                        assert_eq!(theirs.3.as_deref(), Some(path));
                    }
                }
            }
        });
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
