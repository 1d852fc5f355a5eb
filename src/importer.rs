//! The `importlib._bootstrap` algorithm, per namespace: `__import__`, `_gcd_import`,
//! `_find_and_load`, `_find_spec`, `_load_unlocked`, `_handle_fromlist`, `module_from_spec`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::exceptions::{
    PyAttributeError, PyDeprecationWarning, PyImportError, PyImportWarning, PyKeyError,
    PyModuleNotFoundError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString, PyTuple};
use pyo3::{ffi, intern};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::names;
use crate::errors::{import_error, module_not_found, no_module_named, repr_str, warn};
use crate::finder::PathFinder;
use crate::loader::{
    self, ExtensionFileLoader, FileLoader, SourceFileLoader, SourcelessFileLoader,
};
use crate::locks::{Deadlock, LockTable};
use crate::runtime::runtime;
use crate::shared::SharedImporter;

pyo3::create_exception!(
    importspace,
    NamespaceClosedError,
    pyo3::exceptions::PyRuntimeError,
    "Raised when a closed namespace is asked to import."
);

/// The built-in and frozen modules a namespace gets its own copy of (see `importspace._faces`):
/// the import system, bound to the namespace's machinery, and the process-wide registries
/// (`atexit`, codecs, fork hooks, `copyreg`), so what the namespace registers stays its own or
/// is undone when it closes.
const FACE_MODULES: [&str; 6] = [
    "_frozen_importlib",
    "_frozen_importlib_external",
    "atexit",
    "_codecs",
    "posix",
    "copyreg",
];

/// Standard-library extension module name → the process's instance of it when its
/// initialisation is single-phase, None when it is multi-phase (see
/// `Importer::stdlib_single_phase_instance`).
static STDLIB_SINGLE_PHASE: pyo3::sync::PyOnceLock<Py<PyDict>> = pyo3::sync::PyOnceLock::new();

/// The registry of `STDLIB_SINGLE_PHASE`.
pub fn stdlib_single_phase_instances(py: Python<'_>) -> &Bound<'_, PyDict> {
    STDLIB_SINGLE_PHASE
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py)
}

/// The import system of one namespace: its `sys`-like state, its builtins and its locks.
///
/// `__import__` is a bound method of this object, stored in the namespace's builtins dict.
#[pyclass(name = "Importer", module = "importspace", frozen, weakref)]
pub struct Importer {
    /// `modules`, `path`, `meta_path`, `path_hooks` and `path_importer_cache`.
    pub state: Py<PyDict>,
    /// The namespace's `sys` face, whose `__dict__` is `state`.
    sys: Py<PyAny>,
    /// The dict every namespaced module gets as `__builtins__`.
    pub builtins_dict: Py<PyDict>,
    pub label: String,
    locks: LockTable,
    closed: AtomicBool,
    /// Whether this namespace loaded an extension module, and so counts among the namespaces
    /// that compiled code's run-time imports are routed to (`overlay::route_compiled_imports`).
    routes_compiled_imports: AtomicBool,
    /// How many module bodies of this namespace are executing now (any thread): while none
    /// is, no module is partially initialised and `bind_chain_for_import_from` has nothing to do.
    loading: AtomicUsize,
    /// `importlib._RELOADING`.
    reloading: Py<PyDict>,
    /// Dotted name → its top-level name, interned: `import a.b.c` returns `a`, and the
    /// statement passes the same name object each time, so the top name is one identity-hit
    /// lookup away instead of a new string (and a by-content key comparison) per statement.
    top_names: Py<PyDict>,
    /// A weak reference to the `Namespace` this importer serves, for `namespace_of`.
    owner: pyo3::sync::PyOnceLock<Py<PyAny>>,
}

fn deadlock_error(py: Python<'_>, deadlock: Deadlock) -> PyErr {
    match runtime(py)
        .deadlock_error
        .bind(py)
        .call1((deadlock.message(),))
    {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

impl Importer {
    pub fn new(
        py: Python<'_>,
        sys: Py<PyAny>,
        state: Py<PyDict>,
        builtins_dict: Py<PyDict>,
        label: String,
    ) -> Self {
        Importer {
            state,
            sys,
            builtins_dict,
            label,
            locks: LockTable::new(),
            closed: AtomicBool::new(false),
            routes_compiled_imports: AtomicBool::new(false),
            loading: AtomicUsize::new(0),
            reloading: PyDict::new(py).unbind(),
            top_names: PyDict::new(py).unbind(),
            owner: pyo3::sync::PyOnceLock::new(),
        }
    }

    /// Remember the namespace (by weak reference) this importer serves; set once.
    pub fn adopt(&self, py: Python<'_>, namespace: &Bound<'_, PyAny>) -> PyResult<()> {
        let weak = pyo3::types::PyWeakrefReference::new(namespace)?;
        let _ = self.owner.set(py, weak.into_any().unbind());
        Ok(())
    }

    pub fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.closed.store(true, Ordering::SeqCst);
        if self.routes_compiled_imports.swap(false, Ordering::AcqRel) {
            crate::overlay::stop_routing_compiled_imports(py)?;
        }
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    fn check_open(&self) -> PyResult<()> {
        if self.is_closed() {
            Err(NamespaceClosedError::new_err(format!(
                "namespace {} is closed",
                self.label
            )))
        } else {
            Ok(())
        }
    }

    pub fn live_locks(&self) -> usize {
        self.locks.live_locks()
    }

    fn state_item<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.state.bind(py).get_item(key)?.ok_or_else(|| {
            PyAttributeError::new_err(format!(
                "module 'sys' has no attribute {}",
                key.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })
    }

    /// The namespace's `sys.modules`.
    pub fn modules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.state_item(py, intern!(py, "modules"))
    }

    /// The importer whose `__import__` a builtins dict holds, if it is a namespace's.
    pub fn owner_of_builtins<'py>(
        py: Python<'py>,
        builtins: &Bound<'py, PyDict>,
    ) -> Option<Bound<'py, Importer>> {
        builtins
            .get_item(intern!(py, "__import__"))
            .ok()
            .flatten()
            .and_then(|import| import.getattr(intern!(py, "__self__")).ok())
            .and_then(|owner| owner.cast_into::<Importer>().ok())
    }

    /// Whether this namespace has a module `name` of its own (not the host's object).
    pub fn has_own_module(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        host_module: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let Ok(modules) = self.modules(py) else {
            return Ok(false);
        };
        Ok(Self::modules_get(&modules, name)?
            .is_some_and(|module| !module.is_none() && !host_module.is_some_and(|h| h.is(&module))))
    }

    fn modules_get<'py>(
        modules: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Ok(dict) = modules.cast::<PyDict>() {
            return dict.get_item(name);
        }
        match modules.get_item(name) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is_instance_of::<PyKeyError>(modules.py()) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn modules_remove(modules: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<()> {
        match modules.del_item(name) {
            Ok(()) => Ok(()),
            Err(err) if err.is_instance_of::<PyKeyError>(modules.py()) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// `module.__spec__._initializing`, as `_PyModuleSpec_IsInitializing` reads it.
    fn is_initializing(py: Python<'_>, module: &Bound<'_, PyAny>) -> bool {
        let rt = runtime(py);
        // An exact module keeps `__spec__` in its dict, and an exact ModuleSpec keeps
        // `_initializing` in its own (neither class defines the name), so a dict lookup answers
        // as getattr would, without walking the type; a miss still goes through getattr.
        let spec = match module.cast_exact::<PyModule>() {
            Ok(exact) => exact
                .dict()
                .get_item(intern!(py, "__spec__"))
                .ok()
                .flatten(),
            Err(_) => None,
        };
        let Some(spec) = spec.or_else(|| module.getattr(intern!(py, "__spec__")).ok()) else {
            return false;
        };
        if spec.is_none() {
            return false;
        }
        let flag = if spec.get_type().is(rt.module_spec.bind(py)) {
            instance_dict_item(&spec, intern!(py, "_initializing"))
        } else {
            None
        };
        match flag.or_else(|| spec.getattr(intern!(py, "_initializing")).ok()) {
            Some(value) => value.is_truthy().unwrap_or(false),
            None => false,
        }
    }

    /// Mirrors `import.c:import_ensure_initialized`: wait for a module another thread is still
    /// initializing.
    fn ensure_initialized(
        &self,
        py: Python<'_>,
        module: &Bound<'_, PyAny>,
        name: &Bound<'_, PyString>,
    ) {
        if Self::is_initializing(py, module) {
            // A name with lone surrogates has no lock: the engine never loads such a module.
            if let Ok(name) = name.to_str() {
                self.locks.wait_until_free(py, name);
            }
        }
    }

    /// An absolute import with no fromlist, returning the named module itself: the cached fast
    /// path, else `_find_and_load`. Mirrors `_gcd_import` after its checks.
    pub fn import_absolute<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let modules = self.modules(py)?;
        if let Some(module) = Self::modules_get(&modules, name)? {
            if !module.is_none() {
                // Waiting helps only for a module whose lock this namespace may hold: one it is
                // loading. While no body runs (`loading == 0`) none is, and the
                // `__spec__._initializing` reads can be skipped. A module marked by another
                // import system has no lock here: CPython's `_lock_unlock_module` would take
                // and drop a free lock for it, which is no wait either.
                if self.loading.load(Ordering::SeqCst) > 0 {
                    self.ensure_initialized(py, &module, name);
                }
                return Ok(module);
            }
        }
        self.find_and_load(py, name)
    }

    /// `find_and_load_here`, from a small Python frame of its own while tracemalloc traces.
    ///
    /// tracemalloc gives every allocation the line number of the innermost Python frame, found by
    /// walking that code's line table. Without a frame of its own, a load's allocations would
    /// all walk the importing module's table, which costs time in proportion to the module's
    /// size per allocation (a module of 2,000 imports: 12.4 s, and 0.44 s with the frame;
    /// performance.md).
    fn find_and_load<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if runtime(py).tracemalloc_is_tracing(py) {
            if let Ok(importer) = self.importer_object(py) {
                let is_self = importer
                    .cast::<Importer>()
                    .is_ok_and(|i| std::ptr::eq(i.get(), self));
                if is_self {
                    let load = importer.getattr(intern!(py, "_find_and_load_here"))?;
                    return runtime(py)
                        .load_in_own_frame
                        .bind(py)
                        .call1((load, name))
                        .map_err(|err| without_own_frame(py, err));
                }
            }
        }
        self.find_and_load_here(py, name)
    }

    /// Mirrors `importlib._bootstrap._find_and_load`.
    fn find_and_load_here<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let Ok(name_str) = name.to_str() else {
            // Lone surrogates (`'pkg.\udcff'`): the parent is imported as CPython imports it,
            // then the name itself is not found (compliance.md).
            let (parent, _, _): (Bound<'py, PyString>, Bound<'py, PyAny>, Bound<'py, PyAny>) = name
                .call_method1(intern!(py, "rpartition"), (".",))?
                .extract()?;
            if parent.len()? > 0 {
                self.import_absolute(py, &parent)?;
            }
            return Err(crate::errors::unencodable_name_not_found(py, name));
        };
        let modules = self.modules(py)?;
        let mut module = Self::modules_get(&modules, name)?;
        let needs_lock = match &module {
            None => true,
            Some(m) => Self::is_initializing(py, m),
        };
        if needs_lock {
            {
                let _guard = self
                    .locks
                    .acquire(py, name_str)
                    .map_err(|d| deadlock_error(py, d))?;
                let modules = self.modules(py)?;
                module = Self::modules_get(&modules, name)?;
                if module.is_none() {
                    return self.find_and_load_unlocked(py, name);
                }
            }
            self.locks.wait_until_free(py, name_str);
        }
        let module = module.expect("checked above");
        if module.is_none() {
            return Err(module_not_found(
                py,
                &format!("import of {name_str} halted; None in sys.modules"),
                name_str,
            ));
        }
        Ok(module)
    }

    /// Mirrors `importlib._bootstrap._find_and_load_unlocked`.
    fn find_and_load_unlocked<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name_str = name.to_str()?;
        let parent = names::parent(name_str);
        let mut path = None;
        let mut parent_spec = None;
        if !parent.is_empty() {
            let parent_name = PyString::new(py, parent);
            let modules = self.modules(py)?;
            if Self::modules_get(&modules, &parent_name)?.is_none() {
                self.import_absolute(py, &parent_name)?;
            }
            let modules = self.modules(py)?;
            if let Some(module) = Self::modules_get(&modules, name)? {
                return Ok(module);
            }
            let parent_module = modules.get_item(&parent_name)?;
            match parent_module.getattr(intern!(py, "__path__")) {
                Ok(p) => path = Some(p),
                Err(_) if self.shared_host_entry(py, name)?.is_some() => {
                    // A shared module's non-package "submodule" that it registered itself
                    // (`os` puts `os.path` in `sys.modules`, 3.9–3.12's `typing` `typing.io`).
                    let module = self.shared_host_entry(py, name)?.expect("checked");
                    modules.set_item(name, &module)?;
                    return Ok(module);
                }
                Err(_) => {
                    let message = format!(
                        "{}; {} is not a package",
                        no_module_named(name_str),
                        repr_str(parent)
                    );
                    return Err(module_not_found(py, &message, name_str));
                }
            }
            if runtime(py).minor >= 11 {
                parent_spec = parent_module
                    .getattr(intern!(py, "__spec__"))
                    .ok()
                    .filter(|s| !s.is_none());
            }
        }
        let Some(spec) = self.find_spec(py, name, path.as_ref(), None)? else {
            return Err(module_not_found(py, &no_module_named(name_str), name_str));
        };
        let child = names::tail(name_str);
        let pending = match &parent_spec {
            Some(spec) => spec.getattr(intern!(py, "_uninitialized_submodules")).ok(),
            None => None,
        };
        if let Some(pending) = &pending {
            pending.call_method1(intern!(py, "append"), (child,))?;
        }
        let loaded = self.load_unlocked(py, &spec);
        if let Some(pending) = &pending {
            pending.call_method0(intern!(py, "pop"))?;
        }
        let module = loaded?;
        if crate::overlay::active_for(py, self.builtins_dict.bind(py)) {
            crate::overlay::show(py, name, &module)?;
        }
        if !parent.is_empty() {
            let parent_module = self.modules(py)?.get_item(parent)?;
            if let Err(err) = parent_module.setattr(child, &module) {
                if !err.is_instance_of::<PyAttributeError>(py) {
                    return Err(err);
                }
                let message = format!(
                    "Cannot set an attribute on {} for child module {}",
                    repr_str(parent),
                    repr_str(child)
                );
                warn(py, &py.get_type::<PyImportWarning>(), &message, 1)?;
            }
        }
        Ok(module)
    }

    /// Mirrors `importlib._bootstrap._find_spec`: ask each finder on the meta path.
    pub fn find_spec<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        path: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        // A closed namespace finds nothing, as it imports nothing (no finder runs again).
        self.check_open()?;
        let rt = runtime(py);
        let meta_path = self.state_item(py, intern!(py, "meta_path"))?;
        if meta_path.is_none() {
            return Err(PyImportError::new_err(
                "sys.meta_path is None, Python is likely shutting down",
            ));
        }
        if meta_path.len()? == 0 {
            warn(
                py,
                &py.get_type::<PyImportWarning>(),
                "sys.meta_path is empty",
                1,
            )?;
        }
        let modules = self.modules(py)?;
        let is_reload = Self::modules_get(&modules, name)?.is_some();
        let finders: Vec<Bound<'py, PyAny>> = if rt.minor >= 14 {
            PyList::new(py, meta_path.try_iter()?.collect::<PyResult<Vec<_>>>()?)?
                .iter()
                .collect()
        } else {
            meta_path.try_iter()?.collect::<PyResult<Vec<_>>>()?
        };
        let none = py.None().into_bound(py);
        let path_arg = path.unwrap_or(&none);
        let target_arg = target.unwrap_or(&none);
        for finder in finders {
            let spec = if let Ok(native) = finder.cast::<PathFinder>() {
                // A name with lone surrogates matches no file name the native finder lists.
                match name.to_str() {
                    Ok(name) => PathFinder::find(native, name, path)?,
                    Err(_) => None,
                }
            } else {
                self.foreign_find_spec(py, &finder, name, path_arg, target_arg)?
            };
            let Some(spec) = spec.filter(|s| !s.is_none()) else {
                continue;
            };
            if !is_reload {
                if let Some(module) = Self::modules_get(&self.modules(py)?, name)? {
                    return match module.getattr(intern!(py, "__spec__")) {
                        Ok(existing) if !existing.is_none() => Ok(Some(existing)),
                        _ => Ok(Some(spec)),
                    };
                }
            }
            return Ok(Some(spec));
        }
        Ok(None)
    }

    /// False when `FrozenImporter.find_spec` (unchanged) would return None for `name`: it asks
    /// `_imp.find_frozen` (3.11+) or `_imp.is_frozen` first, and so can be asked here directly,
    /// without its two Python-level calls per module.
    fn may_be_frozen(&self, py: Python<'_>, name: &Bound<'_, PyString>) -> PyResult<bool> {
        let rt = runtime(py);
        let class_dict = rt
            .frozen_importer
            .bind(py)
            .getattr(intern!(py, "__dict__"))?;
        let unchanged = class_dict
            .get_item(intern!(py, "find_spec"))
            .is_ok_and(|f| f.is(rt.frozen_find_spec.bind(py)));
        if !unchanged {
            return Ok(true);
        }
        let answer = rt.is_frozen_query.bind(py).call1((name,))?;
        Ok(if rt.minor >= 11 {
            !answer.is_none()
        } else {
            answer.is_truthy()?
        })
    }

    /// A Python-level finder, called under the global import lock as `_find_spec` does; on
    /// 3.9–3.11 a finder with only `find_module` is used through `_find_spec_legacy`.
    fn foreign_find_spec<'py>(
        &self,
        py: Python<'py>,
        finder: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
        path: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let rt = runtime(py);
        if finder.is(rt.frozen_importer.bind(py)) && !self.may_be_frozen(py, name)? {
            return Ok(None);
        }
        if let Ok(shared) = finder.cast::<SharedImporter>() {
            if !name.to_str().is_ok_and(|name| shared.get().covers(name)) {
                return Ok(None);
            }
        }
        rt.acquire_global_lock.bind(py).call0()?;
        let result = (|| -> PyResult<Option<Bound<'py, PyAny>>> {
            match finder.getattr(intern!(py, "find_spec")) {
                Ok(find_spec) => Ok(Some(find_spec.call1((name, path, target))?)),
                Err(err) if err.is_instance_of::<PyAttributeError>(py) => {
                    if rt.minor >= 12 || !finder.hasattr(intern!(py, "find_module"))? {
                        return Ok(None);
                    }
                    let finder_name = finder
                        .getattr(intern!(py, "__name__"))
                        .or_else(|_| finder.get_type().name().map(Bound::into_any))?;
                    if rt.minor >= 10 {
                        let message = format!(
                            "{finder_name}.find_spec() not found; falling back to find_module()"
                        );
                        warn(py, &py.get_type::<PyImportWarning>(), &message, 1)?;
                    }
                    let loader = finder.call_method1(intern!(py, "find_module"), (name, path))?;
                    if loader.is_none() {
                        return Ok(None);
                    }
                    Ok(Some(rt.spec_from_loader.bind(py).call1((name, loader))?))
                }
                Err(err) => Err(err),
            }
        })();
        rt.release_global_lock.bind(py).call0()?;
        result
    }

    /// Mirrors `importlib._bootstrap._load_unlocked`.
    fn load_unlocked<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loader = spec.getattr(intern!(py, "loader"))?;
        // The key goes into `modules` interned, as the names in code objects are, so lookups
        // match by identity instead of comparing characters.
        let name = spec.getattr(intern!(py, "name"))?.cast_into::<PyString>()?;
        let name = PyString::intern(py, name.to_str()?);
        if let Ok(_shared) = loader.cast::<SharedImporter>() {
            if FACE_MODULES.contains(&name.to_str()?) {
                return self.module_face(py, &name);
            }
            let module = SharedImporter::host_module(py, &name, spec)?;
            self.modules(py)?.set_item(&name, &module)?;
            return Ok(module);
        }
        if !loader.is_none() && !loader.hasattr(intern!(py, "exec_module"))? {
            warn_load_module_fallback(py, &loader)?;
            return self.load_backward_compatible(py, spec, &loader, &name);
        }
        match name.to_str()? {
            "_pickle" => return self.load_pickle_face(py, spec, &loader, &name),
            "_json" if runtime(py).minor <= 11 => {
                return self.load_json_face(py, spec, &loader, &name)
            }
            _ => {}
        }
        if loader::is_extension_loader(py, &loader)? {
            return self.load_extension(py, spec, &loader, &name);
        }
        if name.to_str()? == "types" {
            return self.load_types_module(py, spec, &loader, &name);
        }
        self.load_module_body(py, spec, &loader, &name)
    }

    /// An extension module's create and exec steps, with what its C code sees set to the
    /// namespace (`overlay`), what it put in the interpreter's `sys.modules` reclaimed, and a
    /// load refused when the module was initialised against another namespace.
    fn load_extension<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(module) = self.stdlib_single_phase_instance(py, spec, name)? {
            self.modules(py)?.set_item(name, &module)?;
            return Ok(module);
        }
        let importer = self.importer_object(py)?;
        let builtins_dict = self.builtins_dict.bind(py);
        let prefix = format!("{}.", name.to_str()?);
        crate::overlay::route_compiled_imports_once(py, &self.routes_compiled_imports)?;
        // The outermost extension load takes a copy of the host's modules, to reclaim what
        // the extension's C code put there itself.
        let host_before = if crate::overlay::depth() == 0 {
            Some(runtime(py).host_modules(py)?.copy()?)
        } else {
            None
        };
        let loaded = crate::overlay::with_overlay(py, builtins_dict, &importer, || {
            self.show_loaded(py)?;
            self.load_module_body(py, spec, loader, name)
        })
        .map_err(|err| once_per_process_hint(py, err, name));
        if let Some(host_before) = host_before {
            self.reclaim_added_modules(py, &prefix, &host_before)?;
        }
        let module = loaded?;
        let namespace_key = self.builtins_dict.bind(py).as_ptr() as usize;
        let refusal = if loader::replaced_state_registration(py, &module, namespace_key)? {
            Some(
                "its single-phase initialisation made it the process's one module of its \
                 definition (PyState_FindModule), in place of one still in use"
                    .to_owned(),
            )
        } else {
            self.foreign_globals(py, &module)?
                .map(|stale| format!("its globals hold another namespace's {}", repr_str(&stale)))
        };
        if let Some(detail) = refusal {
            Self::modules_remove(&self.modules(py)?, name)?;
            self.unbind_from_parent(py, name, &module)?;
            return Err(reinit_refused(py, name.to_str()?, &detail));
        }
        Ok(module)
    }

    /// CPython keeps one instance of a single-phase extension module per process
    /// (`PyState_FindModule`, `m_copy`; `import.c` `_PyImport_FindExtensionObject`). Initialised
    /// under a namespace, its state would hold that namespace's modules for the life of the
    /// process, and the next namespace's load would hand back the same object. So a
    /// single-phase module of the standard library's `lib-dynload` is initialised by the host's
    /// import system and shared by every namespace, as built-in modules are: it is part of the
    /// default shared set, found out from its definition the first time a namespace asks for it
    /// (`host_created_module`). None for any other module, which the namespace loads itself.
    fn stdlib_single_phase_instance<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let rt = runtime(py);
        let Ok(origin) = spec.getattr(intern!(py, "origin"))?.extract::<String>() else {
            return Ok(None);
        };
        // CPython's test extensions (`_testsinglephase`, `_testcapi`, ...) exist to exercise the
        // import system's own handling of single-phase modules (test_import's
        // `SinglephaseInitTests`): the namespace loads them itself, as any other extension.
        if !rt.is_stdlib_extension(&origin) || name.to_str()?.starts_with("_test") {
            return Ok(None);
        }
        let instances = stdlib_single_phase_instances(py);
        let known = instances.get_item(name)?;
        if known.as_ref().is_some_and(|known| known.is_none()) {
            return Ok(None);
        }
        let host = rt.host_modules(py)?;
        let held = match host.get_item(name)? {
            Some(module) => Some(module),
            None => crate::overlay::hidden_host_module(py, name)?,
        };
        let module = match held.or(known) {
            Some(module) => module,
            None => crate::overlay::outside_overlay(py, || host_created_module(py, name, &origin))?,
        };
        let single = loader::has_single_phase_init(&module);
        if single {
            instances.set_item(name, &module)?;
            crate::overlay::route_compiled_imports_once(py, &self.routes_compiled_imports)?;
        } else {
            instances.set_item(name, py.None())?;
        }
        Ok(single.then_some(module))
    }

    /// The namespace's `_pickle`: CPython's C pickler behind a face whose entry points run
    /// under a frame of the namespace, so the C code's `PyImport_Import` finds the namespace's
    /// modules (`importspace/_pickle_face.py`). 3.9-3.11's `_pickle` is a single-phase module,
    /// the host's instance in every namespace (`stdlib_single_phase_instance`); from 3.12 each
    /// namespace initialises its own.
    fn load_pickle_face<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !loader::is_extension_loader(py, loader)? {
            return self.load_module_body(py, spec, loader, name);
        }
        let c_pickle = self.load_extension(py, spec, loader, name)?;
        // A single-phase `_pickle` (3.9-3.11) is the host's instance, whose state holds the
        // host's `copyreg.dispatch_table`.
        let state_dispatch_table = if loader::has_single_phase_init(&c_pickle) {
            crate::runtime::host_import(py, "copyreg")?.getattr(intern!(py, "dispatch_table"))?
        } else {
            py.None().into_bound(py)
        };
        let face = crate::runtime::host_import(py, "importspace._faces")?.call_method1(
            intern!(py, "pickle_face"),
            (&c_pickle, self.builtins_dict.bind(py), state_dispatch_table),
        )?;
        self.install_face(py, spec, loader, name, face)
    }

    /// The namespace's `_json` on 3.9-3.11, whose C scanner finds `JSONDecodeError` outside the
    /// namespace when it raises (`Modules/_json.c` `raise_errmsg`: a process-wide static on
    /// 3.9, the interpreter's modules dict on 3.10 and 3.11): its own instance behind a face
    /// that raises the namespace's class (`importspace/_json_face.py`).
    fn load_json_face<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !loader::is_extension_loader(py, loader)? {
            return self.load_module_body(py, spec, loader, name);
        }
        let c_json = self.load_extension(py, spec, loader, name)?;
        let face = crate::runtime::host_import(py, "importspace._faces")?.call_method1(
            intern!(py, "json_face"),
            (&c_json, self.builtins_dict.bind(py), self.modules(py)?),
        )?;
        self.install_face(py, spec, loader, name, face)
    }

    /// Put a face (`importspace._faces`) in the namespace's modules as `name`, with the
    /// attributes of the module it stands for.
    fn install_face<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
        face: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        face.setattr(intern!(py, "__spec__"), spec)?;
        face.setattr(intern!(py, "__loader__"), loader)?;
        face.setattr(
            intern!(py, "__file__"),
            spec.getattr(intern!(py, "origin"))?,
        )?;
        self.modules(py)?.set_item(name, &face)?;
        Ok(face)
    }

    /// C code may put modules straight into the interpreter's `sys.modules` while an extension
    /// initialises: `pyexpat` adds `pyexpat.errors` and `pyexpat.model`, a Cython module adds
    /// itself, `cython_runtime` and its shared ABI module (`_cython_3_0_11`). Each key that was
    /// not there before moves into the namespace (unless it has its own), and a submodule of
    /// the extension that replaced a host entry moves too, the host's entry put back.
    fn reclaim_added_modules(
        &self,
        py: Python<'_>,
        prefix: &str,
        host_before: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let host = runtime(py).host_modules(py)?;
        let modules = self.modules(py)?;
        let after: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = host.iter().collect();
        for (key, value) in after {
            if crate::overlay::added_by_host(py, &key, &value)? {
                continue;
            }
            match host_before.get_item(&key)? {
                Some(old) if old.is(&value) => continue,
                Some(old) => {
                    let own = key
                        .cast::<PyString>()
                        .ok()
                        .and_then(|k| k.to_str().ok().map(|k| k.starts_with(prefix)))
                        .unwrap_or(false);
                    if !own {
                        continue;
                    }
                    host.set_item(&key, old)?;
                }
                None => host.del_item(&key)?,
            }
            if !modules.contains(&key)? {
                modules.set_item(&key, value)?;
            }
        }
        Ok(())
    }

    /// Some extensions are initialised once per process whatever loads them: a single-phase
    /// module's later loads are the first one's module or a copy of its dict
    /// (`_PyImport_FindExtensionObject`), Cython hands back the module it made, and mypyc keeps
    /// a compiled package's globals in one static. When the module's dict holds a Python
    /// function or module that runs in another namespace, or a module of a name this namespace
    /// has another module of, it was initialised against another namespace (or the host): the
    /// name of the first such global, so the load can be refused. A module no `sys.modules`
    /// holds under its name is the extension's own (pyo3 and Cython make submodules).
    fn foreign_globals(
        &self,
        py: Python<'_>,
        module: &Bound<'_, PyAny>,
    ) -> PyResult<Option<String>> {
        if !module.is_instance_of::<PyModule>() {
            return Ok(None);
        }
        let modules = self.modules(py)?;
        let dict = module.cast::<PyModule>()?.dict();
        for (key, value) in dict.iter() {
            // A Python function whose globals run in another namespace (mypyc keeps a compiled
            // package's globals in one process-wide static, filled by its first load).
            if let Ok(globals) = value.getattr(intern!(py, "__globals__")) {
                if self.runs_in_other_namespace(py, &globals) {
                    return Ok(Some(key.str()?.to_string()));
                }
            }
            if !value.is_instance_of::<PyModule>() {
                continue;
            }
            let Ok(name) = value.getattr(intern!(py, "__name__")) else {
                continue;
            };
            let Ok(name) = name.cast_into::<PyString>() else {
                continue;
            };
            let name_str = name.to_str()?;
            if matches!(name_str, "sys" | "builtins") {
                continue;
            }
            let ours = Self::modules_get(&modules, &name)?;
            if ours.as_ref().is_some_and(|m| m.is(&value)) {
                continue;
            }
            // A module of a name this namespace has another module of (the host's, or another
            // namespace's), or a Python module that runs in another namespace.
            let other =
                self.runs_in_other_namespace(py, &value.cast::<PyModule>()?.dict().into_any());
            if ours.is_some() || other {
                return Ok(Some(name_str.to_owned()));
            }
            // Any other module is the extension's own: pyo3 and Cython extensions make
            // submodules (`pydantic_core._pydantic_core._schema_gather`,
            // `cryptography.hazmat.bindings._rust.asn1`) that no `sys.modules` holds.
        }
        Ok(None)
    }

    /// Whether `globals` (a function's globals or a module's dict) belong to a module that runs
    /// in another namespace: its `__builtins__` carry another importer's `__import__`.
    fn runs_in_other_namespace(&self, py: Python<'_>, globals: &Bound<'_, PyAny>) -> bool {
        let Ok(Some(builtins)) = globals
            .cast::<PyDict>()
            .map(|g| g.get_item(intern!(py, "__builtins__")).ok().flatten())
        else {
            return false;
        };
        !builtins.is(self.builtins_dict.bind(py))
            && builtins
                .cast::<PyDict>()
                .ok()
                .and_then(|b| Importer::owner_of_builtins(py, b))
                .is_some()
    }

    /// The host's `sys.modules[name]` when `name` is shared with the host (by the
    /// `SharedImporter` on the meta path).
    fn shared_host_entry<'py>(
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
            None => crate::overlay::hidden_host_module(py, name),
        }
    }

    /// Show every module of the namespace in the interpreter's modules dict, and hide the
    /// host's others (outermost load only), for the C code of an extension that starts
    /// initialising (see `overlay`); each module loaded after is shown as it is loaded
    /// (`find_and_load_unlocked`).
    fn show_loaded(&self, py: Python<'_>) -> PyResult<()> {
        let modules = self.modules(py)?;
        let Ok(modules) = modules.cast::<PyDict>() else {
            return Ok(());
        };
        if crate::overlay::depth() == 1 {
            crate::overlay::hide_host_only(py, modules)?;
        }
        for (key, module) in modules.iter() {
            if let Ok(key) = key.cast::<PyString>() {
                if !module.is_none() {
                    crate::overlay::show(py, key, &module)?;
                }
            }
        }
        Ok(())
    }

    /// `__import__`'s owner: this importer as a Python object.
    fn importer_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.builtins_dict
            .bind(py)
            .get_item(intern!(py, "__import__"))?
            .ok_or_else(|| PyImportError::new_err("__import__ not found"))?
            .getattr(intern!(py, "__self__"))
    }

    /// `types` computes `ModuleType = type(sys)` (then deletes `sys`): it runs with the real
    /// `sys` in the namespace's modules, so its `ModuleType` is the real one, not the class of
    /// the namespace's `sys` face. Put back right after.
    fn load_types_module<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let modules = self.modules(py)?;
        let sys_key = intern!(py, "sys");
        let face = Self::modules_get(&modules, sys_key)?;
        let swap = face.as_ref().is_some_and(|f| f.is(self.sys.bind(py)));
        if swap {
            modules.set_item(sys_key, runtime(py).host_sys.bind(py))?;
        }
        let loaded = self.load_module_body(py, spec, loader, name);
        if swap {
            self.modules(py)?.set_item(sys_key, self.sys.bind(py))?;
        }
        loaded
    }

    /// The part of `_load_unlocked` after the legacy and shared cases: create, register, exec.
    fn load_module_body<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loader = loader.clone();
        let name = name.clone();
        let module = self.module_from_spec(py, spec, &loader)?;
        spec.setattr(intern!(py, "_initializing"), true)?;
        self.loading.fetch_add(1, Ordering::SeqCst);
        let result = (|| -> PyResult<Bound<'py, PyAny>> {
            let modules = self.modules(py)?;
            modules.set_item(&name, &module)?;
            let executed = if loader.is_none() {
                if spec
                    .getattr(intern!(py, "submodule_search_locations"))?
                    .is_none()
                {
                    Err(import_error(
                        py,
                        "missing loader",
                        Some(name.to_str()?),
                        None,
                    ))
                } else {
                    Ok(())
                }
            } else if loader.is_exact_instance_of::<SourceFileLoader>()
                || loader.is_exact_instance_of::<SourcelessFileLoader>()
            {
                // The native loaders run without a Python-level method call.
                FileLoader::exec_module(loader.cast::<FileLoader>()?, &module)
            } else {
                loader
                    .call_method1(intern!(py, "exec_module"), (&module,))
                    .map(drop)
            };
            if let Err(err) = executed {
                let modules = self.modules(py)?;
                Self::modules_remove(&modules, &name)?;
                self.unbind_from_parent(py, &name, &module)?;
                return Err(err);
            }
            let modules = self.modules(py)?;
            let module = modules.call_method1(intern!(py, "pop"), (&name,))?;
            modules.set_item(&name, &module)?;
            Ok(module)
        })();
        // `_initializing` is cleared before `loading` drops, so that `loading == 0` means no
        // module this namespace loaded is marked as initialising (see `import_absolute`).
        let cleared = spec.setattr(intern!(py, "_initializing"), false);
        self.loading.fetch_sub(1, Ordering::SeqCst);
        cleared?;
        result
    }

    /// The namespace's own copy of a module in `FACE_MODULES` (see `importspace._faces`);
    /// `_frozen_importlib` and `_frozen_importlib_external` are made together.
    fn module_face<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let importer = self.importer_object(py)?;
        let meta_path = self.state_item(py, intern!(py, "meta_path"))?;
        let faces = crate::runtime::host_import(py, "importspace._faces")?.call_method1(
            "make_face",
            (
                name,
                importer,
                self.sys.bind(py),
                meta_path,
                self.builtins_dict.bind(py),
            ),
        )?;
        let faces = faces.cast_into::<PyDict>()?;
        let modules = self.modules(py)?;
        for (face_name, face) in faces.iter() {
            let face_name = PyString::intern(py, face_name.cast::<PyString>()?.to_str()?);
            if Self::modules_get(&modules, &face_name)?.is_none() {
                modules.set_item(&face_name, face)?;
            }
        }
        modules.get_item(name)
    }

    /// Undo a binding `_handle_fromlist` made early (see `bind_loading_child`) when the child's
    /// load fails, so no parent attribute is left, as natively.
    fn unbind_from_parent(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        module: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let name_str = name.to_str()?;
        let parent = names::parent(name_str);
        if parent.is_empty() {
            return Ok(());
        }
        let modules = self.modules(py)?;
        let Some(parent_module) = Self::modules_get(&modules, &PyString::new(py, parent))? else {
            return Ok(());
        };
        let child = names::tail(name_str);
        if let Ok(bound) = parent_module.getattr(child) {
            if bound.is(module) {
                let _ = parent_module.delattr(child);
            }
        }
        Ok(())
    }

    /// Mirrors `importlib._bootstrap._load_backward_compatible` for loaders with only
    /// `load_module`.
    fn load_backward_compatible<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loaded = if is_legacy_zipimporter(py, loader)? {
            self.zip_load_module(py, loader, name).map(drop)
        } else {
            loader
                .call_method1(intern!(py, "load_module"), (name,))
                .map(drop)
        };
        if let Err(err) = loaded {
            let modules = self.modules(py)?;
            if Self::modules_get(&modules, name)?.is_some() {
                let module = modules.call_method1(intern!(py, "pop"), (name,))?;
                modules.set_item(name, &module)?;
            }
            return Err(err);
        }
        let modules = self.modules(py)?;
        let module = modules.call_method1(intern!(py, "pop"), (name,))?;
        modules.set_item(name, &module)?;
        for (attr, value) in [("__loader__", loader.clone()), ("__spec__", spec.clone())] {
            if module.getattr(attr).map(|v| v.is_none()).unwrap_or(true) {
                let _ = module.setattr(attr, value);
            }
        }
        if module
            .getattr("__package__")
            .map(|v| v.is_none())
            .unwrap_or(true)
        {
            let package = if module.hasattr("__path__")? {
                name.clone().into_any()
            } else {
                PyString::new(py, names::parent(name.to_str()?)).into_any()
            };
            let _ = module.setattr("__package__", package);
        }
        Ok(module)
    }

    /// Mirrors 3.9's `zipimport.zipimporter.load_module`, with the namespace's modules and
    /// builtins: the shared `zipimport` module would put the module in the host's `sys.modules`
    /// and run it with the host's builtins. (3.10+ zipimporters have `exec_module`.)
    fn zip_load_module<'py>(
        &self,
        py: Python<'py>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rt = runtime(py);
        // The functions of the `zipimport` the loader's class comes from: the namespace's own
        // (its `_get_data` imports zlib inside the namespace), else the host's.
        let module_name = loader.get_type().getattr(intern!(py, "__module__"))?;
        let own = Self::modules_get(&self.modules(py)?, module_name.cast::<PyString>()?)?
            .filter(|m| !m.is_none());
        let zipimport = match own {
            Some(module) => module,
            None => rt
                .host_modules(py)?
                .get_item("zipimport")?
                .ok_or_else(|| PyImportError::new_err("zipimport is not loaded"))?,
        };
        let (code, is_package, module_path): (Bound<'py, PyAny>, bool, Bound<'py, PyAny>) =
            zipimport
                .call_method1("_get_module_code", (loader, name))?
                .extract()?;
        let modules = self.modules(py)?;
        let module_type = rt.module_type.bind(py);
        let module = match Self::modules_get(&modules, name)? {
            Some(m) if m.is_instance(module_type)? => m,
            _ => {
                let m = module_type.call1((name,))?;
                modules.set_item(name, &m)?;
                m
            }
        };
        module.setattr(intern!(py, "__loader__"), loader)?;
        let executed = (|| -> PyResult<()> {
            if is_package {
                let inner = zipimport.call_method1("_get_module_path", (loader, name))?;
                let archive: String = loader.getattr("archive")?.extract()?;
                let inner: String = inner.extract()?;
                let full = crate::core::paths::join2(&archive, &inner);
                module.setattr(intern!(py, "__path__"), PyList::new(py, [full])?)?;
            }
            if !module.hasattr(intern!(py, "__builtins__"))? {
                module.setattr(intern!(py, "__builtins__"), self.builtins_dict.bind(py))?;
            }
            let globals = module.getattr(intern!(py, "__dict__"))?;
            crate::runtime::host_import(py, "_frozen_importlib_external")?
                .call_method1("_fix_up_module", (&globals, name, module_path))?;
            loader::exec_code_in_module(py, &code, &module)
        })();
        if let Err(err) = executed {
            Self::modules_remove(&self.modules(py)?, name)?;
            return Err(err);
        }
        match Self::modules_get(&self.modules(py)?, name)? {
            Some(m) => Ok(m),
            None => Err(PyImportError::new_err(format!(
                "Loaded module {} not found in sys.modules",
                name.repr()?
            ))),
        }
    }

    /// Mirrors `importlib._bootstrap.module_from_spec`, then gives the module the namespace's
    /// builtins before any of its code runs.
    pub fn module_from_spec<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rt = runtime(py);
        let mut module = None;
        let native_source = loader.is_exact_instance_of::<SourceFileLoader>();
        if !native_source && !loader.is_none() {
            if loader.hasattr(intern!(py, "create_module"))? {
                let created = loader.call_method1(intern!(py, "create_module"), (spec,))?;
                if !created.is_none() {
                    let extension = loader::is_extension_loader(py, loader)?;
                    let made_before = if extension {
                        let maker = self.importer_object(py)?;
                        loader::extension_module_made_before(py, spec, &created, &maker)?
                    } else {
                        loader::MadeBefore::No
                    };
                    match made_before {
                        loader::MadeBefore::No => {}
                        // A Cython or pyo3 module hands back the module object it made at its
                        // first load, which is bound to that namespace's modules.
                        loader::MadeBefore::ByAnotherNamespace
                            if !loader::is_single_phase(&created) =>
                        {
                            let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
                            return Err(reinit_refused(
                                py,
                                &name,
                                "it hands back the module object it made for another namespace",
                            ));
                        }
                        // A single-phase module's one object (3.9): process-wide, kept with
                        // the attributes it has; `load_unlocked` refuses it if it holds another
                        // namespace's modules or functions.
                        _ => return Ok(created),
                    }
                    module = Some(created);
                }
            } else if loader.hasattr(intern!(py, "exec_module"))? {
                return Err(PyImportError::new_err(
                    "loaders that define exec_module() must also define create_module()",
                ));
            }
        }
        let module = match module {
            Some(module) => module,
            None => rt
                .module_type
                .bind(py)
                .call1((spec.getattr(intern!(py, "name"))?,))?,
        };
        // A namespace package runs no code, and natively has no `__builtins__`.
        let namespace_package =
            loader.is_none() || loader.is_instance(rt.namespace_loader.bind(py))?;
        init_module_attrs(py, spec, &module, false)?;
        if !namespace_package
            && !loader::is_native_extension_loader(loader)
            && !loader.is_instance_of::<ExtensionFileLoader>()
        {
            if let Ok(dict) = module.getattr(intern!(py, "__dict__")) {
                if let Ok(dict) = dict.cast::<PyDict>() {
                    if !dict.contains(intern!(py, "__builtins__"))? {
                        dict.set_item(intern!(py, "__builtins__"), self.builtins_dict.bind(py))?;
                    }
                }
            }
        }
        Ok(module)
    }

    /// Mirrors `importlib._bootstrap._handle_fromlist`, plus the binding CPython's `IMPORT_FROM`
    /// needs: a child that is still loading is bound onto its parent so `from pkg import sub`
    /// finds it (CPython falls back to the global `sys.modules` instead).
    fn handle_fromlist<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
        fromlist: &Bound<'py, PyAny>,
        recursive: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        // A statement's fromlist is a tuple: walk it without a Python iterator object.
        let mut tuple_items;
        let mut other_items;
        let items: &mut dyn Iterator<Item = PyResult<Bound<'py, PyAny>>> =
            match fromlist.cast::<PyTuple>() {
                Ok(tuple) => {
                    tuple_items = tuple.iter().map(Ok);
                    &mut tuple_items
                }
                Err(_) => {
                    other_items = fromlist.try_iter()?;
                    &mut other_items
                }
            };
        for item in items {
            let item = item?;
            let Ok(x) = item.cast::<PyString>() else {
                let place = if recursive {
                    format!(
                        "{}.__all__",
                        module.getattr(intern!(py, "__name__"))?.str()?
                    )
                } else {
                    "``from list''".to_owned()
                };
                return Err(PyTypeError::new_err(format!(
                    "Item in {place} must be str, not {}",
                    type_name(&item)
                )));
            };
            let x_str = x.to_str()?;
            if x_str == "*" {
                if !recursive {
                    if let Ok(all) = module.getattr(intern!(py, "__all__")) {
                        self.handle_fromlist(py, module, &all, true)?;
                    }
                }
                continue;
            }
            if has_attr(module, x)? {
                continue;
            }
            let from_name = format!(
                "{}.{}",
                module.getattr(intern!(py, "__name__"))?.str()?,
                x_str
            );
            let from_name = PyString::new(py, &from_name);
            match self.import_absolute(py, &from_name) {
                Ok(child) => {
                    self.bind_loading_child(py, module, x, &from_name)?;
                    if !module.hasattr(x)? && !child.is_none() {
                        // The parent refused the attribute (a module object replaced by one
                        // without a writable `__dict__`): `IMPORT_FROM` then falls back to the
                        // interpreter's `sys.modules`, so the child is shown there until it has
                        // been read (`overlay::show_for_c_caller`).
                        crate::overlay::show_for_c_caller(py, &from_name, &child)?;
                    }
                }
                Err(err) if err.is_instance_of::<PyModuleNotFoundError>(py) => {
                    let exc_name = err.value(py).getattr(intern!(py, "name")).ok();
                    let same = exc_name
                        .map(|n| n.eq(&from_name).unwrap_or(false))
                        .unwrap_or(false);
                    let modules = self.modules(py)?;
                    let blocked =
                        matches!(Self::modules_get(&modules, &from_name)?, Some(m) if m.is_none());
                    if same && !blocked {
                        continue;
                    }
                    return Err(err);
                }
                Err(err) => return Err(err),
            }
        }
        Ok(module.clone())
    }

    /// See `handle_fromlist`: bind `parent.x` to the loading module `from_name` when the
    /// parent does not have it yet.
    fn bind_loading_child(
        &self,
        py: Python<'_>,
        parent: &Bound<'_, PyAny>,
        x: &Bound<'_, PyString>,
        from_name: &Bound<'_, PyString>,
    ) -> PyResult<()> {
        if parent.hasattr(x)? {
            return Ok(());
        }
        let modules = self.modules(py)?;
        if let Some(child) = Self::modules_get(&modules, from_name)? {
            if !child.is_none() {
                let _ = parent.setattr(x, child);
            }
        }
        Ok(())
    }

    /// `import a.b.c as d` compiles to `IMPORT_NAME a.b.c` (no fromlist) then `IMPORT_FROM b`,
    /// `IMPORT_FROM c`. During a circular import, `a.b` may still be loading and so not yet an
    /// attribute of `a`; natively `ceval.c:import_from` then falls back to the interpreter's
    /// global `sys.modules` (test_import's `circular_imports/binding.py`), which does not hold
    /// namespaced modules. So when a link of the chain is missing from its parent, is in the
    /// namespace's modules and still initialising, and the caller's next instruction is
    /// `IMPORT_FROM`, bind it onto its parent now (`load_unlocked` unbinds it if that load then
    /// fails; natively it is bound when the load succeeds). A plain `import a.b.c` binds nothing
    /// early: natively `a.b.c` is an `AttributeError` until the load completes, and so it stays.
    fn bind_chain_for_import_from(
        &self,
        py: Python<'_>,
        top: &Bound<'_, PyAny>,
        name: &str,
    ) -> PyResult<()> {
        let mut parent = top.clone();
        let mut start = name.find('.').map_or(name.len(), |dot| dot + 1);
        let mut caller_imports_from = None;
        while start < name.len() {
            let end = name[start..]
                .find('.')
                .map_or(name.len(), |dot| start + dot);
            let child = PyString::new(py, &name[start..end]);
            if let Ok(bound) = parent.getattr(&child) {
                parent = bound;
            } else {
                let modules = self.modules(py)?;
                let Some(module) = Self::modules_get(&modules, &PyString::new(py, &name[..end]))?
                else {
                    return Ok(());
                };
                if module.is_none() || !Self::is_initializing(py, &module) {
                    return Ok(());
                }
                if !*caller_imports_from.get_or_insert_with(|| next_instruction_is_import_from(py))
                {
                    return Ok(());
                }
                let _ = parent.setattr(&child, &module);
                parent = module;
            }
            start = end + 1;
        }
        Ok(())
    }

    /// Mirrors `_calc___package__` as the C `resolve_name` in `Python/import.c` runs it, with
    /// its messages and warnings.
    fn calc_package<'py>(
        &self,
        py: Python<'py>,
        globals: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        // `None` is a value here, as in C: only a missing argument (`NULL`) means "no globals".
        let Some(globals) = globals else {
            return Err(PyKeyError::new_err("'__name__' not in globals"));
        };
        let Ok(globals) = globals.cast::<PyDict>() else {
            return Err(PyTypeError::new_err("globals must be a dict"));
        };
        let package = globals
            .get_item(intern!(py, "__package__"))?
            .filter(|p| !p.is_none());
        let spec = globals
            .get_item(intern!(py, "__spec__"))?
            .filter(|s| !s.is_none());
        if let Some(package) = package {
            let Ok(package) = package.cast::<PyString>() else {
                return Err(PyTypeError::new_err("package must be a string"));
            };
            if let Some(spec) = spec {
                let parent = spec_parent(py, &spec)?;
                if !package.as_any().eq(&parent)? {
                    // C's `resolve_name` words it without the values `_calc___package__` adds.
                    let message = "__package__ != __spec__.parent";
                    if runtime(py).minor >= 12 {
                        warn(py, &py.get_type::<PyDeprecationWarning>(), message, 1)?;
                    } else {
                        warn(py, &py.get_type::<PyImportWarning>(), message, 1)?;
                    }
                }
            }
            return Ok(package.to_str()?.to_owned());
        }
        if let Some(spec) = spec {
            let parent = spec_parent(py, &spec)?;
            let Ok(parent) = parent.cast::<PyString>() else {
                return Err(PyTypeError::new_err("__spec__.parent must be a string"));
            };
            return Ok(parent.to_str()?.to_owned());
        }
        warn(py, &py.get_type::<PyImportWarning>(), "can't resolve package from __spec__ or __package__, falling back on __name__ and __path__", 1)?;
        let Some(name) = globals.get_item(intern!(py, "__name__"))? else {
            return Err(PyKeyError::new_err("'__name__' not in globals"));
        };
        let Ok(name) = name.cast::<PyString>() else {
            return Err(PyTypeError::new_err("__name__ must be a string"));
        };
        let name = name.to_str()?;
        if globals.contains(intern!(py, "__path__"))? {
            Ok(name.to_owned())
        } else {
            Ok(names::parent(name).to_owned())
        }
    }

    /// The interned top-level name `top` of the dotted `name`, from `top_names`.
    fn top_name<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        top: &str,
    ) -> PyResult<Bound<'py, PyString>> {
        /// Beyond this many dotted names (code that builds names at run time), start again.
        const MAX_TOP_NAMES: usize = 4096;
        if !name.is_exact_instance_of::<PyString>() {
            // A str subclass may hash and compare as it likes: no cache for it.
            return Ok(PyString::intern(py, top));
        }
        let cache = self.top_names.bind(py);
        if let Some(found) = cache.get_item(name)? {
            if let Ok(found) = found.cast_into::<PyString>() {
                return Ok(found);
            }
        }
        let interned = PyString::intern(py, top);
        if cache.len() >= MAX_TOP_NAMES {
            cache.clear();
        }
        cache.set_item(name, &interned)?;
        Ok(interned)
    }

    /// Mirrors `PyImport_ImportModuleLevelObject`, the C body of `__import__`.
    pub fn import_hook<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        globals: Option<&Bound<'py, PyAny>>,
        fromlist: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Ok(name) = name.cast::<PyString>() else {
            return Err(PyTypeError::new_err(if runtime(py).minor <= 10 {
                // `PyArg_ParseTuple`'s "U" (getargs.c `converterr`) says "None", not "NoneType".
                let got = if name.is_none() {
                    "None".to_owned()
                } else {
                    type_name(name)
                };
                format!("__import__() argument 1 must be str, not {got}")
            } else {
                "module name must be a string".to_owned()
            }));
        };
        if level < 0 {
            return Err(PyValueError::new_err("level must be >= 0"));
        }
        let name_str = match name.to_str() {
            Ok(text) => text,
            // Lone surrogates: an absolute import finds the name in `sys.modules` or fails with
            // CPython's ModuleNotFoundError; only a cached dotted or from-import of such a name,
            // or a relative one, raises the UnicodeEncodeError (compliance.md).
            Err(err) => {
                if level != 0 {
                    return Err(err);
                }
                let module = self.import_absolute(py, name)?;
                let plain = !name.to_string_lossy().contains('.')
                    && !fromlist.is_some_and(|f| f.is_truthy().unwrap_or(true));
                return if plain { Ok(module) } else { Err(err) };
            }
        };
        let resolved: Bound<'py, PyString> = if level > 0 {
            let package = self.calc_package(py, globals)?;
            let resolved = names::resolve_relative(name_str, &package, level as usize)
                .map_err(|e| PyImportError::new_err(e.message()))?;
            PyString::new(py, &resolved)
        } else {
            if name_str.is_empty() {
                return Err(PyValueError::new_err("Empty module name"));
            }
            name.clone()
        };
        let module = self.import_absolute(py, &resolved)?;
        let has_from = match fromlist {
            Some(f) if !f.is_none() => f.is_truthy()?,
            _ => false,
        };
        if !has_from {
            if level == 0 || !name_str.is_empty() {
                match name_str.bytes().position(|b| b == b'.') {
                    None => Ok(module),
                    Some(dot) if level == 0 => {
                        let top = self.top_name(py, name, &name_str[..dot])?;
                        let top = self.import_absolute(py, &top)?;
                        if self.loading.load(Ordering::SeqCst) > 0 {
                            self.bind_chain_for_import_from(py, &top, name_str)?;
                        }
                        Ok(top)
                    }
                    Some(_) => {
                        let resolved_str = resolved.to_str()?;
                        let to_return = names::returned_prefix(resolved_str, name_str);
                        let to_return = PyString::new(py, to_return);
                        match Self::modules_get(&self.modules(py)?, &to_return)? {
                            Some(m) => Ok(m),
                            None => Err(PyKeyError::new_err(format!(
                                "{} not in sys.modules as expected",
                                to_return.repr()?
                            ))),
                        }
                    }
                }
            } else {
                Ok(module)
            }
        } else if has_attr(&module, intern!(py, "__path__"))? {
            self.handle_fromlist(py, &module, fromlist.expect("has_from"), false)
        } else {
            Ok(module)
        }
    }

    /// Mirrors `importlib._bootstrap._gcd_import(name, package, level)` with `_sanity_check`.
    pub fn gcd_import<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Ok(name) = name.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "module name must be str, not {}",
                name.get_type().repr()?
            )));
        };
        if level < 0 {
            return Err(PyValueError::new_err("level must be >= 0"));
        }
        let mut resolved = name.clone();
        if level > 0 {
            let package = match package.map(|p| p.cast::<PyString>()) {
                Some(Ok(p)) => p.to_str()?.to_owned(),
                _ => return Err(PyTypeError::new_err("__package__ not set to a string")),
            };
            if package.is_empty() {
                return Err(PyImportError::new_err(
                    "attempted relative import with no known parent package",
                ));
            }
            let abs = names::resolve_relative(name.to_str()?, &package, level as usize)
                .map_err(|e| PyImportError::new_err(e.message()))?;
            resolved = PyString::new(py, &abs);
        } else if name.len()? == 0 {
            return Err(PyValueError::new_err("Empty module name"));
        }
        self.find_and_load(py, &resolved)
    }

    /// Mirrors `importlib.reload` and `_bootstrap._exec`.
    pub fn reload<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let name = match module
            .getattr(intern!(py, "__spec__"))
            .and_then(|s| s.getattr(intern!(py, "name")))
        {
            Ok(name) => name,
            Err(_) => module
                .getattr(intern!(py, "__name__"))
                .map_err(|_| PyTypeError::new_err("reload() argument must be a module"))?,
        };
        let name = name.cast_into::<PyString>()?;
        let name_str = name.to_str()?.to_owned();
        let modules = self.modules(py)?;
        if !matches!(Self::modules_get(&modules, &name)?, Some(m) if m.is(module)) {
            // `importlib.reload` formats the name with `str` (3.9–3.13), unlike `_bootstrap._exec`.
            let message = format!("module {name_str} not in sys.modules");
            return Err(import_error(py, &message, Some(&name_str), None));
        }
        let reloading = self.reloading.bind(py);
        if let Some(current) = reloading.get_item(&name)? {
            return Ok(current);
        }
        reloading.set_item(&name, module)?;
        let result = (|| -> PyResult<Bound<'py, PyAny>> {
            let parent = names::parent(&name_str);
            let pkgpath = if parent.is_empty() {
                None
            } else {
                let Some(parent_module) = Self::modules_get(&modules, &PyString::new(py, parent))?
                else {
                    return Err(import_error(
                        py,
                        &format!("parent {} not in sys.modules", repr_str(parent)),
                        Some(parent),
                        None,
                    ));
                };
                Some(parent_module.getattr(intern!(py, "__path__"))?)
            };
            let spec = self.find_spec(py, &name, pkgpath.as_ref(), Some(module))?;
            let Some(spec) = spec else {
                return Err(module_not_found(
                    py,
                    &format!("spec not found for the module {}", repr_str(&name_str)),
                    &name_str,
                ));
            };
            module.setattr(intern!(py, "__spec__"), &spec)?;
            self.exec_spec(py, &spec, module)?;
            self.modules(py)?.get_item(&name)
        })();
        let _ = reloading.del_item(&name);
        result
    }

    /// Mirrors `importlib._bootstrap._exec`: run a spec's loader over an existing module.
    fn exec_spec(
        &self,
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        module: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let name = spec.getattr(intern!(py, "name"))?.cast_into::<PyString>()?;
        let name_str = name.to_str()?.to_owned();
        let _guard = self
            .locks
            .acquire(py, &name_str)
            .map_err(|d| deadlock_error(py, d))?;
        let modules = self.modules(py)?;
        if !matches!(Self::modules_get(&modules, &name)?, Some(m) if m.is(module)) {
            return Err(import_error(
                py,
                &format!("module {} not in sys.modules", repr_str(&name_str)),
                Some(&name_str),
                None,
            ));
        }
        let result = (|| -> PyResult<()> {
            let loader = spec.getattr(intern!(py, "loader"))?;
            if loader.is_none()
                && spec
                    .getattr(intern!(py, "submodule_search_locations"))?
                    .is_none()
            {
                return Err(import_error(py, "missing loader", Some(&name_str), None));
            }
            init_module_attrs(py, spec, module, true)?;
            if loader.is_none() {
                return Ok(());
            }
            if loader.is_instance_of::<SharedImporter>() {
                return Ok(());
            }
            if !loader.hasattr(intern!(py, "exec_module"))? {
                warn_load_module_fallback(py, &loader)?;
                if is_legacy_zipimporter(py, &loader)? {
                    self.zip_load_module(py, &loader, &name)?;
                } else {
                    loader.call_method1(intern!(py, "load_module"), (&name,))?;
                }
            } else {
                loader.call_method1(intern!(py, "exec_module"), (module,))?;
            }
            Ok(())
        })();
        let modules = self.modules(py)?;
        if let Ok(current) = modules.call_method1(intern!(py, "pop"), (&name,)) {
            modules.set_item(&name, current)?;
        }
        result
    }
}

/// An extension module that was initialised before in this process (in another namespace or
/// the host) and would hand this namespace that initialisation's module or globals.
/// The module CPython's own `ExtensionFileLoader` creates for the extension at `origin`,
/// created (not executed) by the host's `_bootstrap.module_from_spec`, under the host's frames:
/// a single-phase module runs its whole initialisation there, and what it imports is the
/// host's; a multi-phase module is only created, and dropped by the caller. What the creation
/// added to the host's `sys.modules` (a single-phase module puts itself there, with what it
/// imported) and `sys.path_importer_cache` is taken back out; the host's own later import of a
/// single-phase module gets this instance (`overlay::stdlib_instance_for_host`).
fn host_created_module<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyString>,
    origin: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let rt = runtime(py);
    let host = rt.host_modules(py)?;
    let importer_cache = rt
        .host_sys
        .bind(py)
        .getattr(intern!(py, "path_importer_cache"))?
        .cast_into::<PyDict>()?;
    let modules_before = host.copy()?;
    let cache_before = importer_cache.copy()?;
    let external = crate::runtime::host_import(py, "_frozen_importlib_external")?;
    let loader = external
        .getattr(intern!(py, "ExtensionFileLoader"))?
        .call1((name, origin))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "loader"), &loader)?;
    let spec = external
        .getattr(intern!(py, "spec_from_file_location"))?
        .call((name, origin), Some(&kwargs))?;
    let created = rt
        .host_bootstrap
        .bind(py)
        .getattr(intern!(py, "module_from_spec"))?
        .call1((spec,));
    for (added, before) in [(&host, &modules_before), (&importer_cache, &cache_before)] {
        for key in added.keys() {
            if !before.contains(&key)? {
                added.del_item(&key)?;
            }
        }
    }
    created
}

fn reinit_refused(py: Python<'_>, name: &str, detail: &str) -> PyErr {
    import_error(
        py,
        &format!(
            "extension module {} was initialised before in this process and cannot be \
             initialised again for this namespace ({detail}) (importspace: share the host's \
             with Namespace(share=({},)))",
            repr_str(name),
            repr_str(names::head(name))
        ),
        Some(name),
        None,
    )
}

/// An extension that refuses a second load in one process (numpy: "cannot load module more
/// than once per process"; pyo3: "may only be initialized once per interpreter process") can
/// only be the host's: say how.
fn once_per_process_hint(py: Python<'_>, err: PyErr, name: &Bound<'_, PyString>) -> PyErr {
    if !err.is_instance_of::<PyImportError>(py) {
        return err;
    }
    let message = err
        .value(py)
        .str()
        .map(|m| m.to_string())
        .unwrap_or_default();
    if !(message.contains("more than once") || message.contains("once per")) {
        return err;
    }
    let top = name
        .to_str()
        .map(|n| names::head(n).to_owned())
        .unwrap_or_default();
    let hinted = import_error(
        py,
        &format!(
            "{message} (importspace: this extension cannot be loaded a second time; \
             share the host's with Namespace(share=({},)))",
            repr_str(&top)
        ),
        name.to_str().ok(),
        None,
    );
    hinted.set_cause(py, Some(err));
    hinted
}

/// True for a 3.9 `zipimport.zipimporter` (the host's or a namespace's own), which has only
/// `load_module`.
fn is_legacy_zipimporter(py: Python<'_>, loader: &Bound<'_, PyAny>) -> PyResult<bool> {
    if runtime(py).minor >= 10 {
        return Ok(false);
    }
    let cls = loader.get_type();
    Ok(cls.name()?.to_str()? == "zipimporter"
        && cls
            .getattr(intern!(py, "__module__"))?
            .eq(intern!(py, "zipimport"))?)
}

/// `obj.__dict__[key]` for an object with an instance dict, without a type walk.
/// `hasattr(obj, name)`, answered from the module's `__dict__` when `obj` is an exact module
/// that has the name there: `ModuleType`'s own data descriptors (`__dict__`, `__annotations__`,
/// `__class__`) give a value for those names too, so the answer is the same, without the generic
/// attribute lookup through the type.
fn has_attr(obj: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<bool> {
    if let Ok(module) = obj.cast_exact::<PyModule>() {
        if module.dict().contains(name)? {
            return Ok(true);
        }
    }
    obj.hasattr(name)
}

fn instance_dict_item<'py>(
    obj: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    // SAFETY: `PyObject_GenericGetDict` returns a new reference to the instance dict, or NULL
    // with an exception set (then cleared by `PyErr::take`).
    let dict = unsafe {
        Bound::from_owned_ptr_or_opt(
            obj.py(),
            ffi::PyObject_GenericGetDict(obj.as_ptr(), std::ptr::null_mut()),
        )
    };
    match dict {
        Some(dict) => dict
            .cast_into::<PyDict>()
            .ok()?
            .get_item(key)
            .ok()
            .flatten(),
        None => {
            PyErr::take(obj.py());
            None
        }
    }
}

/// The ImportWarning `_load_unlocked` and `_exec` give (from 3.10) for a loader that has
/// `load_module` but no `exec_module`.
fn warn_load_module_fallback(py: Python<'_>, loader: &Bound<'_, PyAny>) -> PyResult<()> {
    if runtime(py).minor < 10 {
        return Ok(());
    }
    let message = format!(
        "{}.exec_module() not found; falling back to load_module()",
        object_name(loader)
    );
    warn(py, &py.get_type::<PyImportWarning>(), &message, 1)
}

/// The name CPython's `_object_name` gives an object in warnings.
fn object_name(obj: &Bound<'_, PyAny>) -> String {
    obj.getattr("__qualname__")
        .and_then(|n| n.str().map(|s| s.to_string()))
        .unwrap_or_else(|_| type_name(obj))
}

/// Mirrors `importlib._bootstrap._init_module_attrs`.
pub fn init_module_attrs(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    module: &Bound<'_, PyAny>,
    overwrite: bool,
) -> PyResult<()> {
    // A plain module's attributes are its dict's entries (its type defines none of these
    // names, and a fresh module has no `__getattr__`): look there, without the AttributeError
    // a failed `getattr` formats.
    let plain = module
        .get_type()
        .is(runtime(py).module_type.bind(py))
        .then(|| module.getattr(intern!(py, "__dict__")).ok())
        .flatten()
        .and_then(|d| d.cast_into::<pyo3::types::PyDict>().ok());
    let missing = |attr: &Bound<'_, PyString>| -> bool {
        overwrite
            || match &plain {
                Some(dict) if !dict.contains(intern!(py, "__getattr__")).unwrap_or(true) => dict
                    .get_item(attr)
                    .ok()
                    .flatten()
                    .is_none_or(|v| v.is_none()),
                _ => module.getattr(attr).map(|v| v.is_none()).unwrap_or(true),
            }
    };
    if missing(intern!(py, "__name__")) {
        let _ = module.setattr(intern!(py, "__name__"), spec.getattr(intern!(py, "name"))?);
    }
    if missing(intern!(py, "__loader__")) {
        let mut loader = spec.getattr(intern!(py, "loader"))?;
        if loader.is_none() {
            let locations = spec.getattr(intern!(py, "submodule_search_locations"))?;
            if !locations.is_none() {
                let namespace_loader = runtime(py).namespace_loader.bind(py);
                let made =
                    namespace_loader.call_method1(intern!(py, "__new__"), (namespace_loader,))?;
                made.setattr(intern!(py, "_path"), &locations)?;
                spec.setattr(intern!(py, "loader"), &made)?;
                let _ = module.setattr(intern!(py, "__file__"), py.None());
                loader = made;
            }
        }
        let _ = module.setattr(intern!(py, "__loader__"), loader);
    }
    // `parent`, `has_location` and `cached` are properties of `ModuleSpec`; for an exact one they
    // are computed from its fields here, without a Python-level call each (and `cached`'s
    // Python `cache_from_source`).
    if missing(intern!(py, "__package__")) {
        let _ = module.setattr(intern!(py, "__package__"), spec_parent(py, spec)?);
    }
    let _ = module.setattr(intern!(py, "__spec__"), spec);
    let locations = spec.getattr(intern!(py, "submodule_search_locations"))?;
    if !locations.is_none() && missing(intern!(py, "__path__")) {
        let _ = module.setattr(intern!(py, "__path__"), &locations);
    }
    let has_location = match exact_spec_field(py, spec, intern!(py, "_set_fileattr")) {
        Some(located) => located,
        None => spec.getattr(intern!(py, "has_location"))?,
    };
    if has_location.is_truthy()? {
        if missing(intern!(py, "__file__")) {
            let _ = module.setattr(
                intern!(py, "__file__"),
                spec.getattr(intern!(py, "origin"))?,
            );
        }
        if missing(intern!(py, "__cached__")) {
            let cached = spec_cached(py, spec)?;
            if !cached.is_none() {
                let _ = module.setattr(intern!(py, "__cached__"), cached);
            }
        }
    }
    Ok(())
}

/// `err` without the traceback entry of the `load_in_own_frame` frame it came through: tracebacks of failed imports look the same with tracemalloc on and off (CPython
/// leaves its own importlib frames out of them too).
fn without_own_frame(py: Python<'_>, err: PyErr) -> PyErr {
    if let Some(tb) = err.traceback(py) {
        let is_own_frame = tb
            .getattr(intern!(py, "tb_frame"))
            .and_then(|f| f.getattr(intern!(py, "f_code")))
            .and_then(|c| c.getattr(intern!(py, "co_name")))
            .is_ok_and(|n| n.eq("load_in_own_frame").unwrap_or(false));
        if is_own_frame {
            if let Ok(next) = tb.getattr(intern!(py, "tb_next")) {
                let value = err.value(py).clone();
                if value.setattr(intern!(py, "__traceback__"), next).is_ok() {
                    // Rebuilt from the value: a `PyErr` may keep its traceback apart from it.
                    return PyErr::from_value(value.into_any());
                }
            }
        }
    }
    err
}

/// A field of an exact `ModuleSpec` from its instance dict (it has no class attribute of that
/// name), or `None` for any other spec object or a missing field.
fn exact_spec_field<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    if spec.get_type().is(runtime(py).module_spec.bind(py)) {
        instance_dict_item(spec, key)
    } else {
        None
    }
}

/// `spec.parent`. For an exact `ModuleSpec` the property is computed here as it computes it
/// (the name for a package, else the name's parent), without a Python-level call.
fn spec_parent<'py>(py: Python<'py>, spec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let name = exact_spec_field(py, spec, intern!(py, "name"));
    let locations = exact_spec_field(py, spec, intern!(py, "submodule_search_locations"));
    let (Some(name), Some(locations)) = (name, locations) else {
        return spec.getattr(intern!(py, "parent"));
    };
    if !locations.is_none() {
        return Ok(name);
    }
    match name.cast::<PyString>().ok().and_then(|n| n.to_str().ok()) {
        Some(text) => Ok(PyString::new(py, names::parent(text)).into_any()),
        None => spec.getattr(intern!(py, "parent")),
    }
}

/// `spec.cached`. For an exact `ModuleSpec` the property is computed here as it computes it:
/// `_cached`, else (with a location) `_get_cached(origin)` — `cache_from_source` for a `.py`
/// origin, the origin itself for a `.pyc`, else None — stored in `_cached` as the property does.
fn spec_cached<'py>(py: Python<'py>, spec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let cached = exact_spec_field(py, spec, intern!(py, "_cached"));
    let origin = exact_spec_field(py, spec, intern!(py, "origin"));
    let located = exact_spec_field(py, spec, intern!(py, "_set_fileattr"));
    let (Some(cached), Some(origin), Some(located)) = (cached, origin, located) else {
        return spec.getattr(intern!(py, "cached"));
    };
    if !cached.is_none() || origin.is_none() || !located.is_truthy()? {
        return Ok(cached);
    }
    let Some(origin) = origin.cast::<PyString>().ok().and_then(|o| o.to_str().ok()) else {
        return spec.getattr(intern!(py, "cached"));
    };
    let computed = if origin.ends_with(".py") {
        crate::loader::bytecode_path_for(py, origin)?
    } else if origin.ends_with(".pyc") {
        Some(origin.to_owned())
    } else {
        None
    };
    let value = match computed {
        Some(path) => PyString::new(py, &path).into_any(),
        None => py.None().into_bound(py),
    };
    spec.setattr(intern!(py, "_cached"), &value)?;
    Ok(value)
}

/// `(IMPORT_NAME, IMPORT_FROM, EXTENDED_ARG)` opcodes of this interpreter: checked on 3.9–3.13
/// (`dis.opmap`); on other versions read from the host's `opcode` module if it is loaded.
fn import_opcodes(py: Python<'_>) -> Option<(u8, u8, u8)> {
    match runtime(py).minor {
        9..=12 => Some((108, 109, 144)),
        13 => Some((75, 74, 71)),
        _ => {
            let modules = runtime(py).host_sys.bind(py).getattr("modules").ok()?;
            let opmap = modules.get_item("opcode").ok()?.getattr("opmap").ok()?;
            let op = |name: &str| opmap.get_item(name).ok()?.extract::<u8>().ok();
            Some((op("IMPORT_NAME")?, op("IMPORT_FROM")?, op("EXTENDED_ARG")?))
        }
    }
}

/// Whether the Python frame calling `__import__` is at an `IMPORT_NAME` followed by
/// `IMPORT_FROM` (skipping `EXTENDED_ARG`s; on 3.9 `f_lasti` may point at the `EXTENDED_ARG`
/// before `IMPORT_NAME`). When the opcodes are unknown, assume it is, so the import succeeds.
fn next_instruction_is_import_from(py: Python<'_>) -> bool {
    let Some((import_name, import_from, extended_arg)) = import_opcodes(py) else {
        return true;
    };
    let inspect = || -> PyResult<bool> {
        let frame = runtime(py)
            .host_sys
            .bind(py)
            .getattr("_getframe")?
            .call0()?;
        let Ok(mut i) = usize::try_from(frame.getattr("f_lasti")?.extract::<isize>()?) else {
            return Ok(false);
        };
        let code = frame.getattr("f_code")?.getattr("co_code")?;
        let code = code.cast::<pyo3::types::PyBytes>()?.as_bytes();
        let opcode_at = |i: usize| code.get(i).copied();
        while opcode_at(i) == Some(extended_arg) {
            i += 2;
        }
        if opcode_at(i) != Some(import_name) {
            return Ok(false);
        }
        i += 2;
        while opcode_at(i) == Some(extended_arg) {
            i += 2;
        }
        Ok(opcode_at(i) == Some(import_from))
    };
    inspect().unwrap_or(false)
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
    fn given(&self) -> Option<&Bound<'py, PyAny>> {
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
fn level_from(py: Python<'_>, name: &Bound<'_, PyAny>, level: &Bound<'_, PyAny>) -> PyResult<i64> {
    if !level.is_instance_of::<pyo3::types::PyFloat>() {
        if let Ok(level) = level.extract::<i32>() {
            return Ok(i64::from(level));
        }
    }
    let rt = runtime(py);
    // 3.9 and 3.10 parse `name` ("U") before `level`; later versions check `name` after parsing.
    let probe_name = if rt.minor <= 10 && !name.is_instance_of::<PyString>() {
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

#[pymethods]
impl Importer {
    /// The namespace's `builtins.__import__`.
    #[pyo3(
        signature = (name, globals=CArg::Missing, locals=None, fromlist=None, level=CArg::Missing),
        text_signature = "($self, name, globals=None, locals=None, fromlist=None, level=0)"
    )]
    fn __import__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        globals: CArg<'py>,
        locals: Option<&Bound<'py, PyAny>>,
        fromlist: Option<&Bound<'py, PyAny>>,
        level: CArg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::overlay::restore_transient(py)?;
        let level = match level.given() {
            Some(level) => level_from(py, name, level)?,
            None => 0,
        };
        let module = self.import_hook(py, name, globals.given(), fromlist, level)?;
        // `PyImport_Import` (C code) passes an empty list, and reads the module back from the
        // interpreter's `sys.modules` (see `overlay::show_for_c_caller`).
        let from_c = level == 0
            && fromlist
                .is_some_and(|f| f.is_exact_instance_of::<PyList>() && f.len().ok() == Some(0))
            && locals.is_some_and(|l| globals.given().is_some_and(|g| g.is(l)));
        if from_c {
            if let Ok(name) = name.cast::<PyString>() {
                if let Some(resolved) = Self::modules_get(&self.modules(py)?, name)? {
                    // While an extension initialises, the overlay shows each module once it
                    // has loaded; one still running its body (3.13's `typing` helpers import
                    // `typing` from C while `typing` defines `Protocol`) is shown now.
                    if crate::overlay::active_for(py, self.builtins_dict.bind(py)) {
                        crate::overlay::show(py, name, &resolved)?;
                    } else {
                        crate::overlay::show_for_c_caller(py, name, &resolved)?;
                    }
                }
            }
        }
        Ok(module)
    }

    /// The namespace's `builtins.__import__` is a method of this object, so pickling it pickles
    /// this object: as the `builtins` module of whatever world unpickles it (through that
    /// world's `importlib.import_module`), whose `__import__` is then looked up, as natively
    /// `builtins.__import__` pickles by reference (`Objects/methodobject.c` `meth_reduce`).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str,))> {
        let importlib = self.import_absolute(py, intern!(py, "importlib"))?;
        Ok((
            importlib.getattr(intern!(py, "import_module"))?,
            ("builtins",),
        ))
    }

    /// `importlib._bootstrap._gcd_import`, bound to this namespace.
    #[pyo3(signature = (name, package=None, level=0))]
    fn _gcd_import<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.gcd_import(py, name, package, level)
    }

    /// `_bootstrap._find_and_load(name, import_)`, bound to this namespace.
    #[pyo3(signature = (name, import_=None))]
    fn _find_and_load<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        import_: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = import_;
        self.find_and_load(py, name)
    }

    /// `_find_and_load` without the tracemalloc frame: what `_loaders.load_in_own_frame` calls.
    fn _find_and_load_here<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.find_and_load_here(py, name)
    }

    /// `_bootstrap._find_spec(name, path, target=None)`, bound to this namespace.
    #[pyo3(signature = (name, path, target=None))]
    fn _find_spec<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        path: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.find_spec(py, name, path.filter(|p| !p.is_none()), target)
    }

    /// `_bootstrap._exec(spec, module)`: run a spec's loader over an existing module.
    fn _exec<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.exec_spec(py, spec, module)?;
        let name = spec.getattr(intern!(py, "name"))?;
        self.modules(py)?.get_item(name)
    }

    /// `_bootstrap._load(spec)`: `_load_unlocked` under the module's lock.
    fn _load<'py>(&self, py: Python<'py>, spec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let _guard = self
            .locks
            .acquire(py, &name)
            .map_err(|d| deadlock_error(py, d))?;
        self.load_unlocked(py, spec)
    }

    /// `_bootstrap._load_unlocked(spec)`, bound to this namespace.
    fn _load_unlocked<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.load_unlocked(py, spec)
    }

    /// `_bootstrap.module_from_spec(spec)`; the module also gets the namespace's builtins.
    #[pyo3(name = "module_from_spec")]
    fn py_module_from_spec<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loader = spec.getattr(intern!(py, "loader"))?;
        self.module_from_spec(py, spec, &loader)
    }

    /// `_bootstrap._handle_fromlist(module, fromlist, import_, *, recursive=False)`.
    #[pyo3(signature = (module, fromlist, import_=None, *, recursive=false))]
    fn _handle_fromlist<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
        fromlist: &Bound<'py, PyAny>,
        import_: Option<&Bound<'py, PyAny>>,
        recursive: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = import_;
        self.handle_fromlist(py, module, fromlist, recursive)
    }

    /// `importlib.reload(module)`, bound to this namespace.
    #[pyo3(name = "reload")]
    fn py_reload<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.reload(py, module)
    }

    /// The `Namespace` this importer serves, or `None` once it is gone.
    #[getter]
    fn _owner<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.owner.get(py) {
            Some(weak) => {
                let target = weak.bind(py).call0()?;
                Ok(Some(target).filter(|t| !t.is_none()))
            }
            None => Ok(None),
        }
    }

    fn __repr__(&self) -> String {
        format!("<importspace.Importer for {}>", self.label)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.state)?;
        visit.call(&self.sys)?;
        visit.call(&self.builtins_dict)?;
        visit.call(&self.reloading)
    }
}

/// A fresh `builtins` module for a namespace: a copy of the host's builtins, to which the
/// caller adds the namespace's `__import__`.
pub fn make_builtins(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let rt = runtime(py);
    let module = rt
        .module_type
        .bind(py)
        .call1(("builtins",))?
        .cast_into::<PyModule>()?;
    module
        .dict()
        .update(rt.host_builtins.bind(py).dict().as_mapping())?;
    Ok(module)
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
