//! The `importlib._bootstrap` algorithm, per namespace: `__import__`
//! (`PyImport_ImportModuleLevelObject`), `_gcd_import`, `_find_and_load`, `_find_spec`,
//! `_load_unlocked`, `module_from_spec`, `_handle_fromlist` and `_calc___package__`.

use std::sync::atomic::Ordering;

use pyo3::exceptions::{
    PyAttributeError, PyDeprecationWarning, PyImportError, PyImportWarning, PyKeyError,
    PyModuleNotFoundError, PyTypeError, PyValueError,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString, PyTuple};

use super::args::type_name;
use super::extension::{self, overlay};
use super::finder::PathFinder;
use super::legacy::{find_spec_legacy, warn_load_module_fallback};
use super::loader::{
    self, ExtensionFileLoader, FileLoader, SourceFileLoader, SourcelessFileLoader,
};
use super::shared::SharedImporter;
use super::spec::{class_own_item, init_module_attrs, is_initializing, spec_parent};
use super::state::{deadlock_error, Importer};
use super::tracemalloc::load_in_own_frame;
use crate::core::names;
use crate::errors::{import_error, module_not_found, no_module_named, repr_str, warn};
use crate::runtime::runtime;
use crate::version::PackageMismatchWarning;

impl Importer {
    /// Mirrors `import.c:import_ensure_initialized`: wait for a module another thread is still
    /// initializing.
    pub(crate) fn ensure_initialized(
        &self,
        py: Python<'_>,
        module: &Bound<'_, PyAny>,
        name: &Bound<'_, PyString>,
    ) {
        if is_initializing(py, module) {
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

    /// `find_and_load_here`, from a small Python frame of its own while tracemalloc traces
    /// (`tracemalloc::load_in_own_frame`).
    pub(crate) fn find_and_load<'py>(
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
                    return load_in_own_frame(py, &importer, name);
                }
            }
        }
        self.find_and_load_here(py, name)
    }

    /// Mirrors `importlib._bootstrap._find_and_load`.
    pub(crate) fn find_and_load_here<'py>(
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
            Some(m) => is_initializing(py, m),
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
    pub(crate) fn find_and_load_unlocked<'py>(
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
            if runtime(py).version.tracks_uninitialized_submodules {
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
        if overlay::active_for(py, self.builtins_dict.bind(py)) {
            overlay::show(py, name, &module)?;
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
        let finders: Vec<Bound<'py, PyAny>> = if rt.version.find_spec_copies_meta_path {
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
    pub(crate) fn may_be_frozen(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
    ) -> PyResult<bool> {
        let rt = runtime(py);
        let unchanged = class_own_item(rt.frozen_importer.bind(py), intern!(py, "find_spec"))
            .is_some_and(|f| f.is(rt.frozen_find_spec.bind(py)));
        if !unchanged {
            return Ok(true);
        }
        let answer = rt.is_frozen_query.bind(py).call1((name,))?;
        Ok(if rt.version.frozen_query_is_find_frozen {
            !answer.is_none()
        } else {
            answer.is_truthy()?
        })
    }

    /// A Python-level finder, called under the global import lock as `_find_spec` does; on
    /// 3.9–3.11 a finder with only `find_module` is used through `_find_spec_legacy`.
    pub(crate) fn foreign_find_spec<'py>(
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
                    find_spec_legacy(py, finder, name, path)
                }
                Err(err) => Err(err),
            }
        })();
        rt.release_global_lock.bind(py).call0()?;
        result
    }

    /// Mirrors `importlib._bootstrap._load_unlocked`.
    pub(crate) fn load_unlocked<'py>(
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
            if extension::faces::FACE_MODULES.contains(&name.to_str()?) {
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
        if loader::is_extension_loader(py, &loader)? {
            let run_body = || self.load_module_body(py, spec, &loader, &name);
            let module = self.load_extension(py, spec, &name, run_body)?;
            return match name.to_str()? {
                "_pickle" => self.c_module_face(py, spec, &loader, &name, module),
                "_json" if runtime(py).version.json_reads_host_decoder => {
                    self.c_module_face(py, spec, &loader, &name, module)
                }
                _ => Ok(module),
            };
        }
        if name.to_str()? == "types" {
            return self.load_types_module(py, spec, &loader, &name);
        }
        self.load_module_body(py, spec, &loader, &name)
    }

    /// `types` computes `ModuleType = type(sys)` (then deletes `sys`): it runs with the real
    /// `sys` in the namespace's modules, so its `ModuleType` is the real one, not the class of
    /// the namespace's `sys` face. Put back right after.
    pub(crate) fn load_types_module<'py>(
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
    pub(crate) fn load_module_body<'py>(
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
                    if loader::is_extension_loader(py, loader)?
                        && self.extension_made_before(py, spec, &created)?
                    {
                        return Ok(created);
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
    pub(crate) fn handle_fromlist<'py>(
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
                        overlay::show_for_c_caller(py, &from_name, &child)?;
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
    pub(crate) fn bind_loading_child(
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

    /// Mirrors `_calc___package__` as the C `resolve_name` in `Python/import.c` runs it, with
    /// its messages and warnings.
    pub(crate) fn calc_package<'py>(
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
                    match runtime(py).version.package_mismatch_warning {
                        PackageMismatchWarning::DeprecationWarning => {
                            warn(py, &py.get_type::<PyDeprecationWarning>(), message, 1)?
                        }
                        PackageMismatchWarning::ImportWarning => {
                            warn(py, &py.get_type::<PyImportWarning>(), message, 1)?
                        }
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
    pub(crate) fn top_name<'py>(
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
        self.import_hook_resolved(py, name, globals, fromlist, level)
            .map(|(module, _)| module)
    }

    /// `import_hook`, also giving the absolute name it imported (`abs_name` in C): what
    /// `__import__` returns, and the name the import log records.
    pub(crate) fn import_hook_resolved<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        globals: Option<&Bound<'py, PyAny>>,
        fromlist: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyString>)> {
        let Ok(name) = name.cast::<PyString>() else {
            return Err(PyTypeError::new_err(
                if runtime(py).version.import_args_parsed_by_getargs {
                    // `PyArg_ParseTuple`'s "U" (getargs.c `converterr`) says "None", not "NoneType".
                    let got = if name.is_none() {
                        "None".to_owned()
                    } else {
                        type_name(name)
                    };
                    format!("__import__() argument 1 must be str, not {got}")
                } else {
                    "module name must be a string".to_owned()
                },
            ));
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
                return if plain {
                    Ok((module, name.clone()))
                } else {
                    Err(err)
                };
            }
        };
        let resolved: Bound<'py, PyString> = if level > 0 {
            let package = self.calc_package(py, globals)?;
            let resolved = names::resolve_relative(name_str, &package, level as usize)?;
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
        let returned = if !has_from {
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
        }?;
        Ok((returned, resolved))
    }

    /// Mirrors `importlib._bootstrap._gcd_import(name, package, level)` with `_sanity_check`;
    /// also gives the absolute name it imported (for the import log).
    pub fn gcd_import<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyString>)> {
        let resolved = self.gcd_resolve(py, name, package, level)?;
        Ok((self.find_and_load(py, &resolved)?, resolved))
    }

    /// The absolute name `_gcd_import` imports: `_sanity_check`, then `_resolve_name`.
    fn gcd_resolve<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<Bound<'py, PyString>> {
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
                return Err(names::ResolveError::NoParentPackage.into());
            }
            let abs = names::resolve_relative(name.to_str()?, &package, level as usize)?;
            resolved = PyString::new(py, &abs);
        } else if name.len()? == 0 {
            return Err(PyValueError::new_err("Empty module name"));
        }
        Ok(resolved)
    }
}

/// `hasattr(obj, name)`, answered from the module's `__dict__` when `obj` is an exact module
/// that has the name there: `ModuleType`'s own data descriptors (`__dict__`, `__annotations__`,
/// `__class__`) give a value for those names too, so the answer is the same, without the generic
/// attribute lookup through the type.
pub(crate) fn has_attr(obj: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<bool> {
    if let Ok(module) = obj.cast_exact::<PyModule>() {
        if module.dict().contains(name)? {
            return Ok(true);
        }
    }
    obj.hasattr(name)
}
