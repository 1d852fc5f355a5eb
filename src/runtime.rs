//! One typed registry of the interpreter objects the engine calls: `ModuleSpec`, `_imp`'s
//! functions, `compile`, the pyc magic. Filled once per process.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule, PyType};

use crate::core::paths::FinderPathRule;

pub struct Runtime {
    /// `sys.version_info.minor` (3.x).
    pub minor: u8,
    pub host_sys: Py<PyModule>,
    pub host_builtins: Py<PyModule>,
    /// `importlib.machinery.ModuleSpec`.
    pub module_spec: Py<PyType>,
    /// `types.ModuleType`.
    pub module_type: Py<PyType>,
    /// `_bootstrap_external._NamespaceLoader` (an alias of `NamespaceLoader` from 3.11).
    pub namespace_loader: Py<PyType>,
    /// `_bootstrap._DeadlockError`.
    pub deadlock_error: Py<PyType>,
    /// `_frozen_importlib.FrozenImporter`, used as it is in every namespace's meta path.
    pub frozen_importer: Py<PyAny>,
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
    /// `importspace._sys.NamespaceSys`, the class of each namespace's `sys`.
    pub namespace_sys: Py<PyAny>,
}

static RUNTIME: PyOnceLock<Runtime> = PyOnceLock::new();

/// The registry, filled on first use.
pub fn runtime(py: Python<'_>) -> &'static Runtime {
    RUNTIME
        .get_or_try_init(py, || Runtime::load(py))
        .expect("importspace: the interpreter lacks part of importlib's machinery")
}

impl Runtime {
    fn load(py: Python<'_>) -> PyResult<Runtime> {
        let sys = py.import("sys")?;
        let minor: u8 = sys.getattr("version_info")?.getattr("minor")?.extract()?;
        let bootstrap = py.import("_frozen_importlib")?;
        let external = py.import("_frozen_importlib_external")?;
        let imp = py.import("_imp")?;
        let builtins = py.import("builtins")?;
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
            minor,
            host_sys: sys.clone().unbind(),
            host_builtins: builtins.clone().unbind(),
            module_spec: bootstrap
                .getattr("ModuleSpec")?
                .cast_into::<PyType>()?
                .unbind(),
            module_type: sys.get_type().unbind(),
            namespace_loader: external
                .getattr("_NamespaceLoader")?
                .cast_into::<PyType>()?
                .unbind(),
            deadlock_error: bootstrap
                .getattr("_DeadlockError")?
                .cast_into::<PyType>()?
                .unbind(),
            frozen_importer: bootstrap.getattr("FrozenImporter")?.unbind(),
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
            finder_path_rule: FinderPathRule::for_version(minor),
            namespace_sys: py
                .import("importspace._sys")?
                .getattr("NamespaceSys")?
                .unbind(),
        })
    }

    /// The host's real `sys.modules`.
    pub fn host_modules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(self
            .host_sys
            .bind(py)
            .getattr("modules")?
            .cast_into::<PyDict>()?)
    }

    /// `sys.dont_write_bytecode`, read at each call as importlib does.
    pub fn dont_write_bytecode(&self, py: Python<'_>) -> PyResult<bool> {
        self.host_sys
            .bind(py)
            .getattr("dont_write_bytecode")?
            .is_truthy()
    }
}
