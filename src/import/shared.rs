//! Host modules handed into a namespace as they are: C built-ins, the default shared set and the
//! names given with `share=`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

use crate::core::names::ModuleName;
use crate::import::extension::overlay;
use crate::import::loader::create_extension_module;
use crate::import::state::Importer;
use crate::runtime::runtime;

/// Modules every namespace takes from the host, and why (see docs/compliance.md):
/// - `_frozen_importlib` and `_frozen_importlib_external` are found here, but each namespace
///   gets its own copy bound to its machinery (`Importer::module_face`, `importspace._faces.bootstrap_faces`); `importlib`'s
///   `__init__` then registers them as `importlib._bootstrap*` in the namespace's modules.
/// - `encodings` registers the codec search function process-wide when it is imported.
/// - `warnings`: the C half (`_warnings`, shared as a built-in) reads `filters`, `showwarning`
///   and `_showwarnmsg` from the interpreter's `sys.modules['warnings']`, so a namespace's own
///   copy would make `catch_warnings` and `simplefilter` there act on nothing (a test in
///   tests/test_finders.py records the warnings a namespace's import raises).
/// - `copyreg` is served as a face (`importspace._faces.copyreg_face`): the interpreter's
///   functions, which C code reads from the interpreter's `sys.modules`, with the namespace's own
///   registries.
/// - `threading` holds process-wide state: the registry of running threads and the sentinel
///   lock of the thread that imports it (`_MainThread()` calls `_thread._set_sentinel()`, so a
///   namespace's copy imported from a non-main thread made that thread's `join()` hang), and the
///   interpreter joins only the host's non-daemon threads at exit.
/// - `ast` adds properties and deprecated aliases to the C classes of the built-in `_ast`
///   (process-wide) when it is first imported: a namespace's own copy would patch them with its
///   functions, which would then serve the host and pin the namespace's modules for good.
pub const DEFAULT_SHARED: &[&str] = &[
    "_frozen_importlib",
    "_frozen_importlib_external",
    "encodings",
    "warnings",
    "ast",
    "copyreg",
    "threading",
];

/// Built-in modules that the host had not imported, made once per process so that every
/// namespace shares one object.
static UNIMPORTED_BUILTINS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// A meta path finder and loader for shared modules.
///
/// It stands where CPython's `BuiltinImporter` stands in `sys.meta_path`, and answers for the
/// built-in modules too: a shared module is the host's object, never re-created or re-run.
#[pyclass(name = "SharedImporter", module = "importspace", frozen)]
pub struct SharedImporter {
    /// Shared top names; each covers its submodules.
    shared: Vec<String>,
}

impl SharedImporter {
    pub fn new(py: Python<'_>, extra: Vec<String>) -> Self {
        let mut shared: Vec<String> = DEFAULT_SHARED.iter().map(|s| (*s).to_owned()).collect();
        shared.extend(runtime(py).builtin_names.iter().cloned());
        shared.extend(extra);
        SharedImporter { shared }
    }

    /// Whether `name` is one of the shared names or a submodule of one.
    pub fn covers(&self, name: &str) -> bool {
        let name = ModuleName::new(name);
        self.shared.iter().any(|package| name.is_within(package))
    }

    /// The host's module for `name`: from its `sys.modules`, else made (built-ins) or imported
    /// by the host's import system (a shared module is by definition the host's).
    pub fn host_module<'py>(
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rt = runtime(py);
        if let Some(module) = rt.host_modules(py)?.get_item(name)? {
            return Ok(module);
        }
        if let Some(module) = overlay::hidden_host_module(py, name)? {
            return Ok(module);
        }
        let name_str = name.to_str()?;
        if rt.builtin_names.iter().any(|b| b == name_str) {
            let cache = UNIMPORTED_BUILTINS
                .get_or_init(py, || PyDict::new(py).unbind())
                .bind(py);
            if let Some(module) = cache.get_item(name)? {
                return Ok(module);
            }
            // Made as the host's import system would: with BuiltinImporter's spec and attributes.
            let builtin_spec = rt
                .builtin_importer
                .bind(py)
                .call_method1(intern!(py, "find_spec"), (name,))?;
            let spec = if builtin_spec.is_none() {
                spec.clone()
            } else {
                builtin_spec
            };
            let module = create_extension_module(py, rt.create_builtin.bind(py), &spec)?;
            crate::import::spec::init_module_attrs(py, &spec, &module, false)?;
            rt.exec_builtin.bind(py).call1((&module,))?;
            cache.set_item(name, &module)?;
            return Ok(module);
        }
        overlay::outside_overlay(py, || {
            // Through the host's `_gcd_import`, a Python function: C code that imports while
            // the module initialises (`PyImport_Import`, which calls the running frame's
            // `__import__`) then runs under the host's frame and imports into the host, not
            // into the namespace whose code asked for the shared module.
            if let Some(module) = rt.host_modules(py)?.get_item(name)? {
                return Ok(module);
            }
            overlay::host_import(py, "_frozen_importlib")?
                .call_method1(intern!(py, "_gcd_import"), (name,))
        })
    }
}

#[pymethods]
impl SharedImporter {
    #[pyo3(signature = (fullname, path=None, target=None))]
    fn find_spec<'py>(
        slf: &Bound<'py, Self>,
        fullname: &str,
        path: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = (path, target);
        let py = slf.py();
        if !slf.get().covers(fullname) {
            return Ok(None);
        }
        let rt = runtime(py);
        let origin = if rt.builtin_names.iter().any(|b| b == fullname) {
            Some("built-in")
        } else {
            None
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "origin"), origin)?;
        Ok(Some(
            rt.module_spec
                .bind(py)
                .call((fullname, slf), Some(&kwargs))?,
        ))
    }

    fn create_module<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = spec.getattr(intern!(py, "name"))?.cast_into::<PyString>()?;
        SharedImporter::host_module(py, &name, spec)
    }

    fn exec_module(&self, _module: &Bound<'_, PyAny>) {}

    fn __repr__(&self) -> &'static str {
        "<importspace.SharedImporter>"
    }
}

impl Importer {
    /// The host's `sys.modules[name]` when `name` is shared with the host (by the
    /// `SharedImporter` on the meta path).
    pub(crate) fn shared_host_entry<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let meta_path = self.state_item(py, intern!(py, "meta_path"))?;
        let name_str = name.to_str()?;
        let mut covered = false;
        for finder in meta_path.try_iter()? {
            if let Ok(shared) = finder?.cast::<SharedImporter>() {
                covered = covered || shared.get().covers(name_str);
            }
        }
        if !covered {
            return Ok(None);
        }
        match runtime(py).host_modules(py)?.get_item(name)? {
            Some(module) => Ok(Some(module)),
            None => overlay::hidden_host_module(py, name),
        }
    }
}
