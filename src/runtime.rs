//! One typed registry of the interpreter objects the engine calls: `ModuleSpec`, `_imp`'s
//! functions, `compile`, the pyc magic. Filled once per process.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule, PyString, PyType};

use crate::core::paths::FinderPathRule;
use crate::version::{self, Behaviour};

pub struct Runtime {
    /// What this minor version does where versions differ (`version::ROWS`): the engine reads
    /// these fields instead of comparing version numbers.
    pub version: &'static Behaviour,
    pub host_sys: Py<PyModule>,
    pub host_builtins: Py<PyModule>,
    /// The host's `_frozen_importlib`, whose `_find_and_load` C code calls on a miss
    /// (`import.c` `import_find_and_load`).
    pub host_bootstrap: Py<PyModule>,
    /// The standard library's folder of extension modules (`lib-dynload` beside `os.py`).
    pub stdlib_dynload: Option<String>,
    /// `importlib.machinery.ModuleSpec`.
    pub module_spec: Py<PyType>,
    /// `types.ModuleType`.
    pub module_type: Py<PyType>,
    /// `importspace._loaders.NamespaceLoader`, a subclass of `_bootstrap_external._NamespaceLoader`.
    pub namespace_loader: Py<PyType>,
    /// `_bootstrap_external.ExtensionFileLoader`.
    pub host_extension_loader: Py<PyType>,
    /// `_bootstrap._DeadlockError`.
    pub deadlock_error: Py<PyType>,
    /// `_frozen_importlib.BuiltinImporter`.
    pub builtin_importer: Py<PyAny>,
    /// `_frozen_importlib.FrozenImporter`, used as it is in every namespace's meta path.
    pub frozen_importer: Py<PyAny>,
    /// `FrozenImporter.__dict__['find_spec']` as the interpreter made it: while the class still
    /// holds this object, its `find_spec` is known to find only what `is_frozen_query` answers.
    pub frozen_find_spec: Py<PyAny>,
    /// `_imp.find_frozen` (3.11+, None for a name that is not frozen) or `_imp.is_frozen`.
    pub is_frozen_query: Py<PyAny>,
    /// `_bootstrap.spec_from_loader`, for legacy `find_module` finders.
    pub spec_from_loader: Py<PyAny>,
    pub imp: Py<PyModule>,
    pub create_dynamic: Py<PyAny>,
    pub exec_dynamic: Py<PyAny>,
    pub create_builtin: Py<PyAny>,
    pub exec_builtin: Py<PyAny>,
    pub source_hash: Py<PyAny>,
    pub fix_co_filename: Py<PyAny>,
    pub acquire_global_lock: Py<PyAny>,
    pub release_global_lock: Py<PyAny>,
    pub compile: Py<PyAny>,
    /// `importlib.util.MAGIC_NUMBER`.
    pub magic: Vec<u8>,
    /// The key `_imp.source_hash` takes: `_RAW_MAGIC_NUMBER`, or 3.14's `pyc_magic_number_token`.
    pub source_hash_key: Py<PyAny>,
    /// `sys.implementation.cache_tag`.
    pub cache_tag: Option<String>,
    /// `_imp.extension_suffixes()`.
    pub extension_suffixes: Vec<String>,
    /// `sys.builtin_module_names`.
    pub builtin_names: Vec<String>,
    pub finder_path_rule: FinderPathRule,
    /// `importspace._faces.ZipImportHook`, each namespace's zip archive path hook.
    pub zip_import_hook: Py<PyAny>,
    /// `importspace._sys.NamespaceSys`, the factory of each namespace's `sys`.
    pub namespace_sys: Py<PyAny>,
    /// `importspace._loaders.load_in_own_frame`: runs a load in a small frame (tracemalloc).
    pub load_in_own_frame: Py<PyAny>,
    /// tracemalloc was started with the interpreter (`-X tracemalloc`, `PYTHONTRACEMALLOC`),
    /// which need not import `_tracemalloc`.
    tracemalloc_at_startup: bool,
}

static RUNTIME: PyOnceLock<Runtime> = PyOnceLock::new();

/// `from <module> import <item>` as the running frame would do it: with the `__import__` of
/// its builtins, so code running in a namespace gets the namespace's module. This is what
/// CPython's own lazy imports inside importlib methods do (`from importlib.readers import
/// FileReader`), but relative to the caller rather than to the frozen module.
pub fn caller_import_from<'py>(
    py: Python<'py>,
    module: &str,
    item: &str,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: a borrowed reference to the running frame's builtins dict (or the interpreter's).
    let builtins = unsafe { Bound::from_borrowed_ptr_or_err(py, ffi::PyEval_GetBuiltins())? };
    let import = builtins.get_item("__import__")?;
    let fromlist = pyo3::types::PyList::new(py, [item])?;
    import
        .call1((module, py.None(), py.None(), fromlist, 0))?
        .getattr(item)
}

/// The host's module `name`, imported by the host's import system if need be, with no regard
/// to the extension overlay: engine code uses `overlay::host_import`, which also finds what
/// the overlay hides; the registry below loads with this before any namespace exists.
///
/// This goes to `PyImport_ImportModuleLevelObject`, which asks the host's `sys.modules` and the
/// host's importlib only.
pub fn host_import_unhidden<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `name` is a live str; both calls return a new reference or NULL.
    unsafe {
        if let Some(module) =
            Bound::from_owned_ptr_or_opt(py, ffi::PyImport_GetModule(name.as_ptr()))
        {
            return Ok(module);
        }
        if let Some(err) = PyErr::take(py) {
            return Err(err);
        }
        let top = ffi::PyImport_ImportModuleLevelObject(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
        let top = Bound::from_owned_ptr_or_err(py, top)?;
        if let Some(module) =
            Bound::from_owned_ptr_or_opt(py, ffi::PyImport_GetModule(name.as_ptr()))
        {
            return Ok(module);
        }
        if let Some(err) = PyErr::take(py) {
            return Err(err);
        }
        // The import succeeded but `sys.modules` no longer has the name: the module came from
        // a namespace's entry shown there for a C caller (`overlay::show_for_c_caller`), which
        // a later `__import__` of that namespace, run by the module bodies this import
        // executed, has put back. The import's own result still is the module (for a dotted
        // name, its top package, whose attributes lead to it).
        let mut module = top;
        for part in name.to_str()?.split('.').skip(1) {
            module = module.getattr(part)?;
        }
        Ok(module)
    }
}

/// `host_import_unhidden` of a name given as text, for the registry's own loading.
fn host_import<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    host_import_unhidden(py, &PyString::new(py, name))
}

/// The registry, filled on first use.
pub fn runtime(py: Python<'_>) -> &'static Runtime {
    RUNTIME
        .get_or_try_init(py, || Runtime::load(py))
        .expect("importspace: the interpreter lacks part of importlib's machinery")
}

impl Runtime {
    fn load(py: Python<'_>) -> PyResult<Runtime> {
        let sys = host_import(py, "sys")?.cast_into::<PyModule>()?;
        let minor: u8 = sys.getattr("version_info")?.getattr("minor")?.extract()?;
        let version = version::for_minor(minor)
            .map_err(|unknown| pyo3::exceptions::PyImportError::new_err(unknown.to_string()))?;
        let bootstrap = host_import(py, "_frozen_importlib")?;
        let external = host_import(py, "_frozen_importlib_external")?;
        let imp = host_import(py, "_imp")?.cast_into::<PyModule>()?;
        let builtins = host_import(py, "builtins")?.cast_into::<PyModule>()?;
        let magic: Vec<u8> = external.getattr("MAGIC_NUMBER")?.extract()?;
        let source_hash_key = match external.getattr("_RAW_MAGIC_NUMBER") {
            Ok(key) => key.unbind(),
            Err(_) => imp.getattr("pyc_magic_number_token")?.unbind(),
        };
        let cache_tag: Option<String> = sys
            .getattr("implementation")?
            .getattr("cache_tag")?
            .extract()?;
        let extension_suffixes: Vec<String> = imp.call_method0("extension_suffixes")?.extract()?;
        let builtin_names: Vec<String> = sys.getattr("builtin_module_names")?.extract()?;
        Ok(Runtime {
            host_sys: sys.clone().unbind(),
            host_builtins: builtins.clone().unbind(),
            host_bootstrap: bootstrap.clone().cast_into::<PyModule>()?.unbind(),
            stdlib_dynload: host_import(py, "os")?
                .getattr("__file__")
                .and_then(|file| file.extract::<String>())
                .ok()
                .and_then(|file| {
                    std::path::Path::new(&file)
                        .parent()
                        .map(|dir| dir.join("lib-dynload").to_string_lossy().into_owned())
                }),
            module_spec: bootstrap
                .getattr("ModuleSpec")?
                .cast_into::<PyType>()?
                .unbind(),
            module_type: sys.get_type().unbind(),
            namespace_loader: host_import(py, "importspace._loaders")?
                .getattr("NamespaceLoader")?
                .cast_into::<PyType>()?
                .unbind(),
            host_extension_loader: external
                .getattr("ExtensionFileLoader")?
                .cast_into::<PyType>()?
                .unbind(),
            deadlock_error: bootstrap
                .getattr("_DeadlockError")?
                .cast_into::<PyType>()?
                .unbind(),
            builtin_importer: bootstrap.getattr("BuiltinImporter")?.unbind(),
            frozen_importer: bootstrap.getattr("FrozenImporter")?.unbind(),
            frozen_find_spec: bootstrap
                .getattr("FrozenImporter")?
                .getattr("__dict__")?
                .get_item("find_spec")?
                .unbind(),
            is_frozen_query: match imp.getattr("find_frozen") {
                Ok(find_frozen) => find_frozen.unbind(),
                Err(_) => imp.getattr("is_frozen")?.unbind(),
            },
            spec_from_loader: bootstrap.getattr("spec_from_loader")?.unbind(),
            create_dynamic: imp.getattr("create_dynamic")?.unbind(),
            exec_dynamic: imp.getattr("exec_dynamic")?.unbind(),
            create_builtin: imp.getattr("create_builtin")?.unbind(),
            exec_builtin: imp.getattr("exec_builtin")?.unbind(),
            source_hash: imp.getattr("source_hash")?.unbind(),
            fix_co_filename: imp.getattr("_fix_co_filename")?.unbind(),
            acquire_global_lock: imp.getattr("acquire_lock")?.unbind(),
            release_global_lock: imp.getattr("release_lock")?.unbind(),
            imp: imp.unbind(),
            compile: builtins.getattr("compile")?.unbind(),
            magic,
            source_hash_key,
            cache_tag,
            extension_suffixes,
            builtin_names,
            finder_path_rule: version.finder_path_rule,
            version,
            zip_import_hook: host_import(py, "importspace._faces")?
                .getattr("ZipImportHook")?
                .unbind(),
            namespace_sys: host_import(py, "importspace._sys")?
                .getattr("NamespaceSys")?
                .unbind(),
            load_in_own_frame: host_import(py, "importspace._loaders")?
                .getattr("load_in_own_frame")?
                .unbind(),
            tracemalloc_at_startup: {
                let from_option = sys.getattr("_xoptions")?.contains("tracemalloc")?;
                let ignore_env: bool = sys
                    .getattr("flags")?
                    .getattr("ignore_environment")?
                    .is_truthy()?;
                let from_env = !ignore_env
                    && std::env::var_os("PYTHONTRACEMALLOC").is_some_and(|v| !v.is_empty());
                from_option || from_env
            },
        })
    }

    /// The host's real `sys.modules`.
    /// Whether `origin` is an extension module of the standard library (in `lib-dynload`).
    pub fn is_stdlib_extension(&self, origin: &str) -> bool {
        self.stdlib_dynload.as_deref().is_some_and(|dynload| {
            std::path::Path::new(origin).parent() == Some(std::path::Path::new(dynload))
        })
    }

    pub fn host_modules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(self
            .host_sys
            .bind(py)
            .getattr(pyo3::intern!(py, "modules"))?
            .cast_into::<PyDict>()?)
    }

    /// Whether tracemalloc traces now: `_tracemalloc.is_tracing()` once something imported it,
    /// else whether it was started with the interpreter.
    pub fn tracemalloc_is_tracing(&self, py: Python<'_>) -> bool {
        let module = self.host_modules(py).ok().and_then(|modules| {
            modules
                .get_item(pyo3::intern!(py, "_tracemalloc"))
                .ok()
                .flatten()
        });
        match module {
            Some(module) => module
                .call_method0(pyo3::intern!(py, "is_tracing"))
                .and_then(|t| t.is_truthy())
                .unwrap_or(false),
            None => self.tracemalloc_at_startup,
        }
    }

    /// `sys.dont_write_bytecode`, read at each call as importlib does.
    pub fn dont_write_bytecode(&self, py: Python<'_>) -> PyResult<bool> {
        self.host_sys
            .bind(py)
            .getattr("dont_write_bytecode")?
            .is_truthy()
    }
}
