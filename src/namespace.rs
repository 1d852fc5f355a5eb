//! `importspace.Namespace`: the public face of one namespace (the API contract: README.md and docs/isolation.md).

use pyo3::exceptions::{PyImportError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::names;
use crate::errors::{module_not_found, repr_str};
use crate::import::extension::overlay;
use crate::import::finder::{FileFinderHook, PathFinder};
use crate::import::shared::SharedImporter;
use crate::import::state::sys_item;
use crate::import::{import_module_args, Importer};
use crate::runtime::runtime;

/// An isolated world of modules inside this interpreter.
///
/// `importspace.Namespace` is a Python subclass (`python/importspace/_namespace.py`) that adds
/// `run_path`, `run_module` and the registry `namespace_of` reads.
#[pyclass(name = "Namespace", module = "importspace", frozen, weakref, subclass)]
pub struct Namespace {
    importer: Py<Importer>,
    sys: Py<PyModule>,
    builtins: Py<PyModule>,
    label: Option<String>,
    share: Py<PyTuple>,
}

/// `path=` as a list of `os.fspath` values; `None` copies the host's `sys.path`.
fn initial_path<'py>(
    py: Python<'py>,
    path: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let rt = runtime(py);
    let Some(path) = path.filter(|p| !p.is_none()) else {
        let host_path = rt.host_sys.bind(py).getattr(intern!(py, "path"))?;
        return PyList::new(py, host_path.try_iter()?.collect::<PyResult<Vec<_>>>()?);
    };
    if path.is_instance_of::<PyString>() || path.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "path must be a list of directories, not {}",
            path.get_type().name()?
        )));
    }
    let fspath = overlay::host_import(py, "os")?.getattr("fspath")?;
    let entries = path
        .try_iter()?
        .map(|entry| fspath.call1((entry?,)))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, entries)
}

fn share_names<'py>(
    py: Python<'py>,
    share: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Vec<String>, Bound<'py, PyTuple>)> {
    let Some(share) = share else {
        return Ok((Vec::new(), PyTuple::empty(py)));
    };
    if share.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "share must be an iterable of module names, not str",
        ));
    }
    let mut names_out = Vec::new();
    for item in share.try_iter()? {
        let item = item?;
        let Ok(name) = item.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "share names must be str, not {}",
                item.get_type().name()?
            )));
        };
        let name = name.to_str()?;
        if name.is_empty() || name.starts_with('.') || name.ends_with('.') {
            return Err(PyValueError::new_err(format!(
                "invalid module name in share: {}",
                repr_str(name)
            )));
        }
        names_out.push(name.to_owned());
    }
    let tuple = PyTuple::new(py, &names_out)?;
    Ok((names_out, tuple))
}

impl Namespace {
    fn importer<'py>(&self, py: Python<'py>) -> &Bound<'py, Importer> {
        self.importer.bind(py)
    }

    fn state<'py>(&self, py: Python<'py>) -> &Bound<'py, PyDict> {
        self.importer.get().state.bind(py)
    }

    /// `sys.<key>` of the namespace (`state::sys_item`).
    fn get_state<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        sys_item(self.state(py), &PyString::new(py, key))
    }

    fn describe(&self) -> String {
        match &self.label {
            Some(label) => repr_str(label),
            None => "(unnamed)".to_owned(),
        }
    }
}

#[pymethods]
impl Namespace {
    #[new]
    #[pyo3(signature = (path=None, *, name=None, share=None))]
    fn new(
        py: Python<'_>,
        path: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        share: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let rt = runtime(py);
        let path = initial_path(py, path)?;
        let (shared, share_tuple) = share_names(py, share)?;
        let sys = rt.namespace_sys.bind(py).call0()?.cast_into::<PyModule>()?;
        let state = sys.dict();
        let label = match &name {
            Some(label) => repr_str(label),
            None => "(unnamed)".to_owned(),
        };
        let builtins = make_builtins(py)?;
        let builtins_dict = builtins.dict();
        let importer = Bound::new(
            py,
            Importer::new(
                py,
                sys.clone().into_any().unbind(),
                state.clone().unbind(),
                builtins_dict.clone().unbind(),
                label,
            ),
        )?;
        builtins_dict.set_item(
            intern!(py, "__import__"),
            importer.getattr(intern!(py, "__import__"))?,
        )?;

        let modules = PyDict::new(py);
        modules.set_item(intern!(py, "sys"), &sys)?;
        modules.set_item(intern!(py, "builtins"), &builtins)?;
        // The process has one main module; code that swaps it (runpy, `python -m importspace
        // run`) swaps the namespace's entry, as natively it swaps `sys.modules['__main__']`.
        if let Some(main) = rt.host_modules(py)?.get_item(intern!(py, "__main__"))? {
            modules.set_item(intern!(py, "__main__"), main)?;
        }
        let shared_importer = SharedImporter::new(py, shared);
        // C accelerators that are single-phase on this version and keep objects of the Python
        // modules they import (`version::Behaviour::world_capturing_single_phase`): whichever
        // world initialised the process's one instance would own those objects, so a
        // namespace has `None` for them (unless shared) and their modules use their Python
        // implementations, as where the accelerator is missing.
        for &name in rt.version.world_capturing_single_phase {
            if !shared_importer.covers(name) {
                modules.set_item(name, py.None())?;
            }
        }
        let path_finder = Bound::new(
            py,
            PathFinder::new(state.clone().unbind(), builtins_dict.clone().unbind()),
        )?;
        let meta_path = PyList::new(
            py,
            [
                Bound::new(py, shared_importer)?.into_any(),
                rt.frozen_importer.bind(py).clone(),
                path_finder.into_any(),
            ],
        )?;
        let hooks = PyList::empty(py);
        // The namespace's own `zipimport`, imported when a path entry first needs it.
        hooks.append(
            rt.zip_import_hook
                .bind(py)
                .call1((importer.getattr(intern!(py, "__import__"))?,))?,
        )?;
        hooks.append(Bound::new(py, FileFinderHook::native())?)?;
        state.set_item(intern!(py, "modules"), modules)?;
        state.set_item(intern!(py, "path"), path)?;
        state.set_item(intern!(py, "meta_path"), meta_path)?;
        state.set_item(intern!(py, "path_hooks"), hooks)?;
        state.set_item(intern!(py, "path_importer_cache"), PyDict::new(py))?;
        Ok(Namespace {
            importer: importer.unbind(),
            sys: sys.unbind(),
            builtins: builtins.unbind(),
            label: name,
            share: share_tuple.unbind(),
        })
    }

    /// `importlib.import_module`, inside the namespace.
    #[pyo3(signature = (name, package=None))]
    fn import_module<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let importer = self.importer(py).get();
        let seq = importer.import_log.begin();
        // An absolute name needs none of `_gcd_import`'s checks beyond being a non-empty str.
        let absolute = name.cast::<PyString>().ok().filter(|text| {
            // Lossy: a name with lone surrogates is still absolute when it starts with no dot.
            let text = text.to_string_lossy();
            !text.is_empty() && !text.starts_with('.')
        });
        let (module, resolved) = match absolute {
            Some(text) => (importer.import_absolute(py, text)?, text.clone()),
            None => {
                let (name, level) = import_module_args(py, name, package)?;
                importer.gcd_import(py, &name, package, level)?
            }
        };
        if let Some(seq) = seq {
            let builtins = importer.builtins_dict.bind(py);
            importer
                .import_log
                .finish(py, seq, builtins, &resolved, None, || importer.modules(py))?;
        }
        Ok(module)
    }

    /// Start recording the imports made in the namespace (a new, empty log when it was off),
    /// or stop (the log stays readable). See `import/import_log.rs`.
    #[pyo3(signature = (on=true))]
    fn record_imports(&self, py: Python<'_>, on: bool) {
        self.importer(py).get().import_log.set(py, on);
    }

    /// The import log as plain tuples `(importer, imported, line, scope, module_level)`, in
    /// the order the imports started; `None` while recording was never turned on. The Python
    /// subclass's `import_log` makes them `ImportRecord`s.
    fn _import_records<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        self.importer(py).get().import_log.records(py)
    }

    /// `importlib.util.find_spec`, inside the namespace.
    #[pyo3(signature = (name, package=None))]
    fn find_spec<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let importer = self.importer(py).get();
        // `name.startswith('.')` and then `package.rsplit(...)` on the arguments as given, as
        // importlib.util does: a name or package that is no str fails as it fails there.
        let relative = name
            .call_method1(intern!(py, "startswith"), (".",))?
            .is_truthy()?;
        let name = name.cast::<PyString>()?.to_str()?;
        let fullname = if relative {
            let package = match package.filter(|p| p.is_truthy().unwrap_or(false)) {
                Some(p) => p,
                None => {
                    return Err(PyImportError::new_err(format!(
                        "no package specified for {} (required for relative module names)",
                        repr_str(name)
                    )))
                }
            };
            let level = names::leading_dots(name);
            if !package.is_instance_of::<PyString>() {
                package.call_method1(intern!(py, "rsplit"), (".", level - 1))?;
            }
            let package = package.extract::<String>()?;
            names::resolve_relative(&name[level..], &package, level)?
        } else {
            name.to_owned()
        };
        let fullname_py = PyString::new(py, &fullname);
        let modules = importer.modules(py)?;
        let existing = match modules.get_item(&fullname_py) {
            Ok(m) => Some(m),
            Err(err) if err.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => None,
            Err(err) => return Err(err),
        };
        match existing {
            None => {
                let parent_name = names::parent(&fullname);
                let parent_path = if parent_name.is_empty() {
                    None
                } else {
                    let fromlist = PyList::new(py, ["__path__"])?;
                    let parent = importer.import_hook(
                        py,
                        PyString::new(py, parent_name).as_any(),
                        None,
                        Some(fromlist.as_any()),
                        0,
                    )?;
                    match parent.getattr(intern!(py, "__path__")) {
                        Ok(path) => Some(path),
                        Err(cause) => {
                            let message = format!(
                                "__path__ attribute not found on {} while trying to find {}",
                                repr_str(parent_name),
                                repr_str(&fullname)
                            );
                            let err = module_not_found(py, &message, &fullname);
                            err.set_cause(py, Some(cause));
                            return Err(err);
                        }
                    }
                };
                importer.find_spec(py, &fullname_py, parent_path.as_ref(), None)
            }
            Some(module) if module.is_none() => Ok(None),
            Some(module) => match module.getattr(intern!(py, "__spec__")) {
                Ok(spec) if spec.is_none() => {
                    Err(PyValueError::new_err(format!("{name}.__spec__ is None")))
                }
                Ok(spec) => Ok(Some(spec)),
                Err(_) => Err(PyValueError::new_err(format!("{name}.__spec__ is not set"))),
            },
        }
    }

    /// `importlib.reload`, inside the namespace.
    fn reload<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.importer(py).get().reload(py, module)
    }

    /// `importlib.invalidate_caches`, inside the namespace.
    fn invalidate_caches(&self, py: Python<'_>) -> PyResult<()> {
        for finder in self.get_state(py, "meta_path")?.try_iter()? {
            let finder = finder?;
            if finder.hasattr(intern!(py, "invalidate_caches"))? {
                finder.call_method0(intern!(py, "invalidate_caches"))?;
            }
        }
        Ok(())
    }

    /// Drop every module of the namespace; later imports raise `NamespaceClosedError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let importer = self.importer(py).get();
        importer.close(py)?;
        overlay::restore_transient(py)?;
        for key in ["modules", "path_importer_cache"] {
            if let Some(value) = self.state(py).get_item(key)? {
                if let Ok(dict) = value.cast::<PyDict>() {
                    dict.clear();
                }
            }
        }
        Ok(())
    }

    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        self.importer(py).get().is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes through `close` as the class defines it (the Python subclass adds to it).
    #[pyo3(signature = (*_args))]
    fn __exit__(slf: &Bound<'_, Self>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        slf.call_method0(intern!(slf.py(), "close"))?;
        Ok(false)
    }

    /// The namespace's import system (its `__import__` is a bound method of it).
    #[getter]
    fn _importer(&self, py: Python<'_>) -> Py<Importer> {
        self.importer.clone_ref(py)
    }

    #[getter]
    fn name(&self) -> Option<&str> {
        self.label.as_deref()
    }

    #[getter]
    fn share<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.share.bind(py).clone()
    }

    /// The namespace's `sys`: its own import state, the real `sys` for everything else.
    #[getter]
    fn sys<'py>(&self, py: Python<'py>) -> Bound<'py, PyModule> {
        self.sys.bind(py).clone()
    }

    #[getter]
    fn builtins<'py>(&self, py: Python<'py>) -> Bound<'py, PyModule> {
        self.builtins.bind(py).clone()
    }

    #[getter]
    fn modules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.get_state(py, "modules")
    }

    #[setter]
    fn set_modules(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.state(py).set_item("modules", value)
    }

    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.get_state(py, "path")
    }

    #[setter]
    fn set_path(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.state(py).set_item("path", value)
    }

    #[getter]
    fn meta_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.get_state(py, "meta_path")
    }

    #[setter]
    fn set_meta_path(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.state(py).set_item("meta_path", value)
    }

    #[getter]
    fn path_hooks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.get_state(py, "path_hooks")
    }

    #[setter]
    fn set_path_hooks(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.state(py).set_item("path_hooks", value)
    }

    #[getter]
    fn path_importer_cache<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.get_state(py, "path_importer_cache")
    }

    #[setter]
    fn set_path_importer_cache(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.state(py).set_item("path_importer_cache", value)
    }

    /// Let the importer know its namespace (`namespace_of`); called once, by `__init__`.
    fn _adopt(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        slf.get().importer(py).get().adopt(py, slf.as_any())
    }

    /// How many module locks are held or waited for (0 when no import is in progress).
    fn _live_locks(&self, py: Python<'_>) -> usize {
        self.importer(py).get().live_locks()
    }

    fn __repr__(&self) -> String {
        format!("<importspace.Namespace {}>", self.describe())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.importer)?;
        visit.call(&self.sys)?;
        visit.call(&self.builtins)?;
        visit.call(&self.share)
    }
}

/// A fresh `builtins` module for a namespace: a copy of the host's builtins, to which the
/// caller adds the namespace's `__import__`.
fn make_builtins(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
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
