//! Extension modules inside a namespace: everything that keeps their C code in its namespace.
//!
//! - `overlay`: what C code sees while an extension initialises (the interpreter's modules dict,
//!   the host's `_find_and_load`), and the routing of compiled code's run-time imports;
//! - this file: the load itself (`load_extension`), the refusal of a module initialised against
//!   another namespace, one instance per process for single-phase standard-library modules;
//! - `definition`: what an extension module's `PyModuleDef` says (single-phase or not, made
//!   before, its `PyState_FindModule` registration);
//! - `faces`: the namespace's own faces of `_pickle`, `_json` and the built-in registries.

pub mod definition;
pub mod faces;
pub mod overlay;

use pyo3::exceptions::PyImportError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString};

use super::state::Importer;
use crate::core::names::{self, ModuleName};
use crate::errors::{import_error, repr_str};
use crate::runtime::runtime;
use definition::MadeBefore;

impl Importer {
    /// Close: no import runs in this namespace again; if it loaded an extension, its routing
    /// of compiled code's run-time imports stops (`overlay::stop_routing_compiled_imports`).
    pub fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.mark_closed() {
            overlay::stop_routing_compiled_imports(py)?;
        }
        Ok(())
    }

    /// `module_from_spec`'s check of the module an extension's create step returned: true
    /// when it is a module made before that is to be used as it is (a single-phase module's
    /// one object, 3.9, which `load_extension` refuses if it holds another namespace's modules
    /// or functions); an error when it is the module object a Cython or pyo3 extension made for
    /// another namespace at its first load, bound to that namespace's modules.
    pub(crate) fn extension_made_before(
        &self,
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        created: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let maker = self.importer_object(py)?;
        match definition::extension_module_made_before(py, spec, created, &maker)? {
            MadeBefore::No => Ok(false),
            MadeBefore::ByAnotherNamespace if !definition::is_single_phase(created) => {
                let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
                Err(reinit_refused(
                    py,
                    &name,
                    "it hands back the module object it made for another namespace",
                ))
            }
            _ => Ok(true),
        }
    }

    /// An extension module's create and exec steps, with what its C code sees set to the
    /// namespace (`overlay`), what it put in the interpreter's `sys.modules` reclaimed, and a
    /// load refused when the module was initialised against another namespace.
    /// `run_body` is the create-and-exec step (`_load_unlocked`'s own).
    pub(crate) fn load_extension<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
        run_body: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(module) = self.stdlib_single_phase_instance(py, spec, name)? {
            self.modules(py)?.set_item(name, &module)?;
            return Ok(module);
        }
        let importer = self.importer_object(py)?;
        let builtins_dict = self.builtins_dict.bind(py);
        let package = name.to_str()?.to_owned();
        overlay::route_compiled_imports_once(py, &self.routes_compiled_imports)?;
        // The outermost extension load takes a copy of the host's modules, to reclaim what
        // the extension's C code put there itself.
        let host_before = if overlay::depth() == 0 {
            Some(runtime(py).host_modules(py)?.copy()?)
        } else {
            None
        };
        let loaded = overlay::with_overlay(py, builtins_dict, &importer, || {
            self.show_loaded(py)?;
            run_body()
        })
        .map_err(|err| once_per_process_hint(py, err, name));
        if let Some(host_before) = host_before {
            self.reclaim_added_modules(py, &package, &host_before)?;
        }
        let module = loaded?;
        let namespace_key = self.builtins_dict.bind(py).as_ptr() as usize;
        let refusal = if definition::replaced_state_registration(py, &module, namespace_key)? {
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
    pub(crate) fn stdlib_single_phase_instance<'py>(
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
        let instances = overlay::stdlib_single_phase_instances(py);
        let known = instances.get_item(name)?;
        if known.as_ref().is_some_and(|known| known.is_none()) {
            return Ok(None);
        }
        let host = rt.host_modules(py)?;
        let held = match host.get_item(name)? {
            Some(module) => Some(module),
            None => overlay::hidden_host_module(py, name)?,
        };
        let module = match held.or(known) {
            Some(module) => module,
            None => overlay::outside_overlay(py, || host_created_module(py, name, &origin))?,
        };
        let single = definition::has_single_phase_init(&module);
        if single {
            instances.set_item(name, &module)?;
            overlay::route_compiled_imports_once(py, &self.routes_compiled_imports)?;
        } else {
            instances.set_item(name, py.None())?;
        }
        Ok(single.then_some(module))
    }

    /// C code may put modules straight into the interpreter's `sys.modules` while an extension
    /// initialises: `pyexpat` adds `pyexpat.errors` and `pyexpat.model`, a Cython module adds
    /// itself, `cython_runtime` and its shared ABI module (`_cython_3_0_11`). Each key that was
    /// not there before moves into the namespace (unless it has its own), and a submodule of
    /// the extension that replaced a host entry moves too, the host's entry put back.
    pub(crate) fn reclaim_added_modules(
        &self,
        py: Python<'_>,
        package: &str,
        host_before: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let host = runtime(py).host_modules(py)?;
        let modules = self.modules(py)?;
        let after: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = host.iter().collect();
        for (key, value) in after {
            if overlay::added_by_host(py, &key, &value)? {
                continue;
            }
            match host_before.get_item(&key)? {
                Some(old) if old.is(&value) => continue,
                Some(old) => {
                    let own = key
                        .cast::<PyString>()
                        .ok()
                        .and_then(|k| {
                            k.to_str()
                                .ok()
                                .map(|k| ModuleName::new(k).is_below(package))
                        })
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
    pub(crate) fn foreign_globals(
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
    pub(crate) fn runs_in_other_namespace(
        &self,
        py: Python<'_>,
        globals: &Bound<'_, PyAny>,
    ) -> bool {
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

    /// Show every module of the namespace in the interpreter's modules dict, and hide the
    /// host's others (outermost load only), for the C code of an extension that starts
    /// initialising (see `overlay`); each module loaded after is shown as it is loaded
    /// (`find_and_load_unlocked`).
    pub(crate) fn show_loaded(&self, py: Python<'_>) -> PyResult<()> {
        let modules = self.modules(py)?;
        let Ok(modules) = modules.cast::<PyDict>() else {
            return Ok(());
        };
        if overlay::depth() == 1 {
            overlay::hide_host_only(py, modules)?;
        }
        for (key, module) in modules.iter() {
            if let Ok(key) = key.cast::<PyString>() {
                if !module.is_none() {
                    overlay::show(py, key, &module)?;
                }
            }
        }
        Ok(())
    }
}

/// The module CPython's own `ExtensionFileLoader` creates for the extension at `origin`,
/// created (not executed) by the host's `_bootstrap.module_from_spec`, under the host's frames:
/// a single-phase module runs its whole initialisation there, and what it imports is the
/// host's; a multi-phase module is only created, and dropped by the caller. What the creation
/// added to the host's `sys.modules` (a single-phase module puts itself there, with what it
/// imported) and `sys.path_importer_cache` is taken back out; the host's own later import of a
/// single-phase module gets this instance (`overlay::stdlib_instance_for_host`).
pub(crate) fn host_created_module<'py>(
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
    let external = overlay::host_import(py, "_frozen_importlib_external")?;
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

pub(crate) fn reinit_refused(py: Python<'_>, name: &str, detail: &str) -> PyErr {
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
pub(crate) fn once_per_process_hint(
    py: Python<'_>,
    err: PyErr,
    name: &Bound<'_, PyString>,
) -> PyErr {
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
