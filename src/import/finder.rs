//! The path-based finders: `PathFinder` (walks the namespace's `path` through its
//! `path_importer_cache`) and `FileFinder` (one directory, with its listing cache).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use pyo3::exceptions::PyImportError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::finder::{self, DirectoryHit};
use crate::core::listing::{self, DirListing};
use crate::core::{names, paths};
use crate::errors::warn;
use crate::fsio;
use crate::import::loader::LoaderKind;
use crate::import::namespace_path::NamespacePath;
use crate::import::spec;
use crate::import::state::sys_item;
use crate::runtime::runtime;

/// The loaders a native `FileFinder` tries, in CPython's order: extensions, source, bytecode
/// (`_get_supported_file_loaders`).
fn supported_loaders(py: Python<'_>) -> Vec<(String, LoaderKind)> {
    let rt = runtime(py);
    let mut loaders: Vec<(String, LoaderKind)> = rt
        .extension_suffixes
        .iter()
        .map(|s| (s.clone(), LoaderKind::Extension))
        .collect();
    loaders.push((".py".to_owned(), LoaderKind::Source));
    loaders.push((".pyc".to_owned(), LoaderKind::Sourceless));
    loaders
}

/// A finder for the modules of one directory.
///
/// Mirrors `importlib._bootstrap_external.FileFinder`.
#[pyclass(name = "FileFinder", module = "importspace", frozen)]
pub struct FileFinder {
    path: String,
    loaders: Vec<(String, LoaderKind)>,
    listing: Mutex<DirListing>,
}

/// `loader_details` as `FileFinder.__init__` reads them: `(loader_class, suffixes)` pairs, each
/// suffix paired with its class, in order.
fn loaders_from_details(details: &Bound<'_, PyTuple>) -> PyResult<Vec<(String, LoaderKind)>> {
    let mut loaders = Vec::new();
    for detail in details.iter() {
        let (cls, suffixes): (Bound<'_, PyAny>, Bound<'_, PyAny>) = detail.extract()?;
        let kind = LoaderKind::for_class(&cls);
        for suffix in suffixes.try_iter()? {
            loaders.push((suffix?.extract::<String>()?, kind.clone()));
        }
    }
    Ok(loaders)
}

impl FileFinder {
    pub fn for_directory(py: Python<'_>, path: &str) -> PyResult<Self> {
        FileFinder::with_loaders(py, path, supported_loaders(py))
    }

    fn with_loaders(
        py: Python<'_>,
        path: &str,
        loaders: Vec<(String, LoaderKind)>,
    ) -> PyResult<Self> {
        let rule = runtime(py).finder_path_rule;
        let mut cwd_error = None;
        let normalised = rule.normalise(path, || {
            fsio::getcwd(py).unwrap_or_else(|e| {
                cwd_error = Some(e);
                String::new()
            })
        });
        if let Some(err) = cwd_error {
            return Err(err);
        }
        Ok(FileFinder {
            path: normalised,
            loaders,
            listing: Mutex::new(DirListing::new()),
        })
    }

    /// The listing cache. Held only briefly, for in-memory work, with the GIL held.
    fn lock_listing(&self) -> std::sync::MutexGuard<'_, DirListing> {
        self.listing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mirrors `FileFinder.find_spec`: package, then module, then namespace portion.
    pub fn find<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let tail = names::tail(fullname);
        let dir = if self.path.is_empty() {
            fsio::getcwd(py)?
        } else {
            self.path.clone()
        };
        // The listing lock is only ever held for in-memory work, never across a GIL release:
        // a thread holding it while it waits for the GIL, and a thread holding the GIL while it
        // waits for the lock, would deadlock. So the directory is read with neither held.
        let stamp = py.detach(|| listing::dir_stamp(&dir));
        let stale = self.lock_listing().is_stale(stamp);
        if stale {
            let names = py.detach(|| listing::read_names(&dir));
            self.lock_listing().refill(stamp, names);
        }
        let suffixes: Vec<&str> = self.loaders.iter().map(|(s, _)| s.as_str()).collect();
        let listed = finder::Listed::read(&self.lock_listing(), tail, &suffixes);
        let hit = finder::find_in_directory(&listed, &self.path, tail, &suffixes);
        match hit {
            Some(DirectoryHit::Package { init, loader, dir }) => {
                let loader = self.loaders[loader].1.make(py, fullname, &init)?;
                spec::file_spec(py, fullname, &init, loader, Some(&dir)).map(Some)
            }
            Some(DirectoryHit::Module { file, loader }) => {
                let loader = self.loaders[loader].1.make(py, fullname, &file)?;
                spec::file_spec(py, fullname, &file, loader, None).map(Some)
            }
            Some(DirectoryHit::NamespacePortion { dir }) => {
                let locations = PyList::new(py, [dir])?;
                spec::namespace_spec(py, fullname, locations.into_any()).map(Some)
            }
            None => Ok(None),
        }
    }
}

#[pymethods]
impl FileFinder {
    /// `FileFinder(path, *loader_details)`; with no details, the native loaders.
    #[new]
    #[pyo3(signature = (path, *loader_details))]
    fn new(py: Python<'_>, path: &str, loader_details: &Bound<'_, PyTuple>) -> PyResult<Self> {
        if loader_details.is_empty() {
            FileFinder::for_directory(py, path)
        } else {
            FileFinder::with_loaders(py, path, loaders_from_details(loader_details)?)
        }
    }

    /// Mirrors `FileFinder.path_hook(*loader_details)`: a hook making finders with those loaders.
    #[classmethod]
    #[pyo3(signature = (*loader_details))]
    fn path_hook(
        _cls: &Bound<'_, pyo3::types::PyType>,
        loader_details: &Bound<'_, PyTuple>,
    ) -> PyResult<FileFinderHook> {
        Ok(FileFinderHook {
            loaders: if loader_details.is_empty() {
                None
            } else {
                Some(loaders_from_details(loader_details)?)
            },
        })
    }

    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    #[pyo3(signature = (fullname, target=None))]
    fn find_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = target;
        self.find(py, fullname)
    }

    /// Mirrors `FileFinder.invalidate_caches`: the next lookup lists the directory again.
    fn invalidate_caches(&self) {
        self.lock_listing().invalidate();
    }

    /// Mirrors `pkgutil._iter_file_finder_modules`, which `pkgutil.iter_modules` registers for
    /// `importlib.machinery.FileFinder` only: other finders are asked for `iter_modules(prefix)`.
    #[pyo3(signature = (prefix=None))]
    fn iter_modules(&self, py: Python<'_>, prefix: Option<&str>) -> Vec<(String, bool)> {
        let rt = runtime(py);
        let mut suffixes = vec![".py".to_owned(), ".pyc".to_owned()];
        suffixes.extend(rt.extension_suffixes.iter().cloned());
        let prefix = prefix.unwrap_or("");
        py.detach(|| listing::iter_file_finder_modules(&self.path, &suffixes, prefix))
    }

    /// The names in the listing cache (`FileFinder._path_cache`), for `pkgutil`-style listing.
    #[getter]
    fn _path_cache(&self) -> Vec<String> {
        self.lock_listing().names().map(str::to_owned).collect()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for (_, kind) in &self.loaders {
            kind.traverse(&visit)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        for (_, kind) in &self.loaders {
            kind.clear();
        }
    }

    fn __repr__(&self) -> String {
        format!("FileFinder({})", crate::errors::repr_str(&self.path))
    }
}

/// The path hook that makes a `FileFinder` for a directory.
///
/// Mirrors the closure `FileFinder.path_hook(...)` returns.
#[pyclass(name = "FileFinderHook", module = "importspace", frozen)]
pub struct FileFinderHook {
    /// The `loader_details` given to `FileFinder.path_hook`; `None` for the native loaders.
    loaders: Option<Vec<(String, LoaderKind)>>,
}

impl FileFinderHook {
    pub fn native() -> Self {
        FileFinderHook { loaders: None }
    }

    fn finder_for(&self, py: Python<'_>, path: &str) -> PyResult<FileFinder> {
        match &self.loaders {
            None => FileFinder::for_directory(py, path),
            Some(loaders) => FileFinder::with_loaders(py, path, loaders.clone()),
        }
    }
}

#[pymethods]
impl FileFinderHook {
    #[new]
    fn new() -> Self {
        FileFinderHook::native()
    }

    fn __call__(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<FileFinder> {
        if let Ok(raw) = path.cast::<PyBytes>() {
            if let Some(made) = bytes_entry_before_311(py, raw.as_bytes(), self) {
                return made;
            }
        }
        let text: Option<String> = path.extract().ok();
        match text {
            Some(text) if fsio::is_dir(if text.is_empty() { "." } else { &text }) => {
                self.finder_for(py, &text)
            }
            _ => {
                let kwargs = PyDict::new(py);
                kwargs.set_item("path", path)?;
                Err(PyErr::from_value(
                    py.get_type::<PyImportError>()
                        .call(("only directories are supported",), Some(&kwargs))?,
                ))
            }
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for (_, kind) in self.loaders.iter().flatten() {
            kind.traverse(&visit)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        for (_, kind) in self.loaders.iter().flatten() {
            kind.clear();
        }
    }

    fn __repr__(&self) -> &'static str {
        "<importspace.FileFinderHook>"
    }
}

/// 3.9 and 3.10 hand bytes path entries to the path hooks. `path_hook_for_FileFinder` accepts
/// a bytes directory (`_path_isdir` stats it), then `FileFinder.__init__` fails in `_path_isabs`
/// mixing bytes with str; an empty entry becomes `'.'` there. Anything else, and any bytes entry
/// from 3.11 (which `PathFinder._get_spec` skips before the hooks), is refused as a non-directory.
fn bytes_entry_before_311(
    py: Python<'_>,
    raw: &[u8],
    hook: &FileFinderHook,
) -> Option<PyResult<FileFinder>> {
    use std::os::unix::ffi::OsStrExt;
    if !runtime(py).version.bytes_path_entries_reach_hooks {
        return None;
    }
    if raw.is_empty() {
        return Some(hook.finder_for(py, "."));
    }
    let is_dir = std::fs::metadata(std::ffi::OsStr::from_bytes(raw)).is_ok_and(|m| m.is_dir());
    is_dir.then(|| {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "startswith first arg must be bytes or a tuple of bytes, not str",
        ))
    })
}

/// The meta path finder for the namespace's `path`.
///
/// Mirrors `importlib._bootstrap_external.PathFinder`, but bound to one namespace's state
/// (its `sys`-like dict holding `path`, `path_hooks`, `path_importer_cache` and `modules`).
#[pyclass(name = "PathFinder", module = "importspace", frozen)]
pub struct PathFinder {
    state: Py<PyDict>,
    /// The namespace's builtins dict: `find_distributions` imports `importlib.metadata` with
    /// its `__import__`.
    builtins: Py<PyDict>,
    /// Bumped by `invalidate_caches`, so namespace paths recompute (`_NamespacePath._epoch`).
    epoch: AtomicU64,
}

impl PathFinder {
    pub fn new(state: Py<PyDict>, builtins: Py<PyDict>) -> Self {
        PathFinder {
            state,
            builtins,
            epoch: AtomicU64::new(0),
        }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    pub fn state<'py>(&self, py: Python<'py>) -> &Bound<'py, PyDict> {
        self.state.bind(py)
    }

    /// `sys.<key>` of the namespace (`state::sys_item`).
    fn state_item<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        sys_item(self.state.bind(py), key)
    }

    /// Mirrors `PathFinder._path_hooks`: the first hook that does not raise ImportError.
    fn path_hooks<'py>(
        &self,
        py: Python<'py>,
        entry: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let hooks = self.state_item(py, intern!(py, "path_hooks"))?;
        // `sys.path_hooks = None` is not skipped: iterating it raises TypeError, as natively.
        if !hooks.is_none() && !hooks.is_truthy()? {
            warn(
                py,
                &py.get_type::<pyo3::exceptions::PyImportWarning>(),
                "sys.path_hooks is empty",
                1,
            )?;
        }
        for hook in hooks.try_iter()? {
            let hook = hook?;
            let made = if let Ok(native) = hook.cast::<FileFinderHook>() {
                native
                    .get()
                    .__call__(py, entry)
                    .and_then(|f| Ok(Bound::new(py, f)?.into_any()))
            } else {
                under_import_lock(py, || hook.call1((entry,)))
            };
            match made {
                Ok(finder) => return Ok(finder),
                Err(err) if err.is_instance_of::<PyImportError>(py) => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(py.None().into_bound(py))
    }

    /// Mirrors `PathFinder._path_importer_cache`.
    fn importer_for<'py>(
        &self,
        py: Python<'py>,
        entry: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let entry = if entry
            .cast::<PyString>()
            .map(|s| s.to_str().map(str::is_empty).unwrap_or(false))
            .unwrap_or(false)
        {
            match std::env::current_dir() {
                Ok(cwd) => PyString::new(py, &cwd.to_string_lossy()).into_any(),
                Err(_) => return Ok(None),
            }
        } else {
            entry.clone()
        };
        let cache = self.state_item(py, intern!(py, "path_importer_cache"))?;
        match cache.get_item(&entry) {
            Ok(finder) => Ok(Some(finder).filter(|f| !f.is_none())),
            Err(err) if err.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => {
                let finder = self.path_hooks(py, &entry)?;
                cache.set_item(&entry, &finder)?;
                Ok(Some(finder).filter(|f| !f.is_none()))
            }
            Err(err) => Err(err),
        }
    }

    /// Mirrors `PathFinder._get_spec`: the first entry whose finder has a spec with a loader
    /// wins; namespace portions are gathered until then.
    pub fn get_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let bytes_reach_hooks = runtime(py).version.bytes_path_entries_reach_hooks;
        let namespace_path = PyList::empty(py);
        for entry in path.try_iter()? {
            let entry = entry?;
            let acceptable = entry.is_instance_of::<PyString>()
                || (bytes_reach_hooks && entry.is_instance_of::<pyo3::types::PyBytes>());
            if !acceptable {
                continue;
            }
            let Some(finder) = self.importer_for(py, &entry)? else {
                continue;
            };
            let found = if let Ok(native) = finder.cast::<FileFinder>() {
                native.get().find(py, fullname)?
            } else {
                under_import_lock(py, || legacy_or_find_spec(py, &finder, fullname))?
            };
            let Some(found) = found.filter(|s| !s.is_none()) else {
                continue;
            };
            if !found.getattr(intern!(py, "loader"))?.is_none() {
                return Ok(Some(found));
            }
            let portions = found.getattr(intern!(py, "submodule_search_locations"))?;
            if portions.is_none() {
                return Err(PyImportError::new_err("spec missing loader"));
            }
            for portion in portions.try_iter()? {
                namespace_path.append(portion?)?;
            }
        }
        Ok(Some(spec::namespace_spec(
            py,
            fullname,
            namespace_path.into_any(),
        )?))
    }

    /// Mirrors `PathFinder.find_spec`.
    pub fn find<'py>(
        slf: &Bound<'py, Self>,
        fullname: &str,
        path: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        let this = slf.get();
        let path = match path.filter(|p| !p.is_none()) {
            Some(path) => path.clone(),
            None => this.state_item(py, intern!(py, "path"))?,
        };
        let Some(found) = this.get_spec(py, fullname, &path)? else {
            return Ok(None);
        };
        if !found.getattr(intern!(py, "loader"))?.is_none() {
            return Ok(Some(found));
        }
        let portions = found.getattr(intern!(py, "submodule_search_locations"))?;
        if portions.is_truthy()? {
            found.setattr(intern!(py, "origin"), py.None())?;
            let ns_path = NamespacePath::new(
                py,
                fullname,
                portions.cast_into::<PyList>()?,
                slf.clone().unbind(),
            )?;
            found.setattr(
                intern!(py, "submodule_search_locations"),
                Bound::new(py, ns_path)?,
            )?;
            Ok(Some(found))
        } else {
            Ok(None)
        }
    }
}

/// Run a Python-level path hook or path-entry finder under the global import lock, as CPython
/// runs every meta path finder (`_find_spec`'s `_ImportLockContext`): third-party hooks and
/// finders may count on it (test_threaded_import's `test_parallel_path_hooks`). The native
/// hook and finders need no such lock.
fn under_import_lock<'py, T>(py: Python<'py>, call: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let rt = runtime(py);
    rt.acquire_global_lock.bind(py).call0()?;
    let result = call();
    rt.release_global_lock.bind(py).call0()?;
    result
}

/// A path-entry finder's `find_spec(fullname)`, or on 3.9–3.11 the legacy `find_loader`
/// fallback (`PathFinder._legacy_get_spec`).
fn legacy_or_find_spec<'py>(
    py: Python<'py>,
    finder: &Bound<'py, PyAny>,
    fullname: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if finder.hasattr(intern!(py, "find_spec"))? {
        return Ok(Some(
            finder.call_method1(intern!(py, "find_spec"), (fullname,))?,
        ));
    }
    if !runtime(py).version.path_entry_find_loader_fallback {
        return Ok(None);
    }
    let (loader, portions): (Bound<'py, PyAny>, Bound<'py, PyAny>) =
        if finder.hasattr(intern!(py, "find_loader"))? {
            finder
                .call_method1(intern!(py, "find_loader"), (fullname,))?
                .extract()?
        } else {
            (
                finder.call_method1(intern!(py, "find_module"), (fullname,))?,
                PyList::empty(py).into_any(),
            )
        };
    if !loader.is_none() {
        return Ok(Some(
            runtime(py)
                .spec_from_loader
                .bind(py)
                .call1((fullname, loader))?,
        ));
    }
    let locations = if portions.is_none() {
        PyList::empty(py).into_any()
    } else {
        portions
    };
    Ok(Some(spec::namespace_spec(py, fullname, locations)?))
}

#[pymethods]
impl PathFinder {
    #[pyo3(signature = (fullname, path=None, target=None))]
    fn find_spec<'py>(
        slf: &Bound<'py, Self>,
        fullname: &str,
        path: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = target;
        PathFinder::find(slf, fullname, path)
    }

    /// Mirrors `PathFinder._get_spec`, for namespace paths that recompute.
    #[pyo3(signature = (fullname, path, target=None))]
    fn _get_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: &Bound<'py, PyAny>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = target;
        self.get_spec(py, fullname, path)
    }

    /// Mirrors `PathFinder.invalidate_caches`: drop `None` and relative entries from the
    /// importer cache, invalidate every finder in it, and make namespace paths recompute.
    fn invalidate_caches(&self, py: Python<'_>) -> PyResult<()> {
        let drop_relative = runtime(py).version.invalidate_caches_drops_relative_entries;
        let cache = self.state_item(py, intern!(py, "path_importer_cache"))?;
        let items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = cache
            .call_method0(intern!(py, "items"))?
            .try_iter()?
            .map(|kv| kv?.extract())
            .collect::<PyResult<_>>()?;
        for (key, finder) in items {
            let relative = drop_relative
                && key
                    .extract::<String>()
                    .map(|k| !paths::is_absolute(&k))
                    .unwrap_or(true);
            if finder.is_none() || relative {
                cache.del_item(&key)?;
            } else if let Ok(native) = finder.cast::<FileFinder>() {
                native.get().invalidate_caches();
            } else if finder.hasattr(intern!(py, "invalidate_caches"))? {
                finder.call_method0(intern!(py, "invalidate_caches"))?;
            }
        }
        self.epoch.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Mirrors `PathFinder.find_distributions`: `importlib.metadata.MetadataPathFinder`'s, with
    /// the namespace's own `importlib.metadata`, so distributions are searched on its path.
    #[pyo3(signature = (*args, **kwargs))]
    fn find_distributions<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let import = self
            .builtins
            .bind(py)
            .get_item(intern!(py, "__import__"))?
            .ok_or_else(|| PyImportError::new_err("__import__ not found"))?;
        let fromlist = PyList::new(py, ["MetadataPathFinder"])?;
        let metadata = import.call1(("importlib.metadata", py.None(), py.None(), fromlist, 0))?;
        metadata
            .getattr(intern!(py, "MetadataPathFinder"))?
            .call_method(intern!(py, "find_distributions"), args, kwargs)
    }

    fn __repr__(&self) -> &'static str {
        "<importspace.PathFinder>"
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.state)?;
        visit.call(&self.builtins)
    }
}
