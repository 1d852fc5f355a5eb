//! The loaders: source, sourceless (pyc only) and extension modules.
//!
//! Mirrors `importlib._bootstrap_external.SourceFileLoader`, `SourcelessFileLoader` and
//! `ExtensionFileLoader`. Only compiling, unmarshalling and executing are handed to CPython.

mod code;

use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use pyo3::{ffi, intern};
use pyo3::{PyClass, PyClassInitializer, PyTraverseError, PyVisit};
use std::sync::{Arc, Mutex};

use crate::core::paths;
use crate::errors::import_error;
use crate::fsio;
use crate::import::extension::overlay::host_import;
use crate::runtime::runtime;
pub use code::{bytecode_path_for, cache_settings};
use code::{decode_source, source_get_code, source_to_code, sourceless_get_code};

/// Which loader a `FileFinder` builds for a suffix (`_get_supported_file_loaders`, or the
/// `loader_details` given to `FileFinder(path, *loader_details)`).
#[derive(Debug, Clone)]
pub enum LoaderKind {
    Extension,
    Source,
    Sourceless,
    /// Any other loader class, called as `cls(fullname, path)`.
    Custom(Arc<LoaderClass>),
}

/// A loader class other than the native ones, shared by the finders made with it and held so
/// the garbage collector sees it (`__traverse__`) and can break a cycle through it
/// (`__clear__`): a loader class may well refer back to its finder or hook.
#[derive(Debug)]
pub struct LoaderClass(Mutex<Option<Py<PyAny>>>);

impl LoaderClass {
    fn class(&self) -> std::sync::MutexGuard<'_, Option<Py<PyAny>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl LoaderKind {
    /// Show the garbage collector the loader class held, if any. A class being changed by
    /// another thread right now is skipped (the collector holds the GIL, so none is).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let LoaderKind::Custom(class) = self {
            if let Ok(held) = class.0.try_lock() {
                if let Some(cls) = held.as_ref() {
                    visit.call(cls)?;
                }
            }
        }
        Ok(())
    }

    /// Drop the loader class held, if any (`__clear__` of the finder or hook holding it).
    pub fn clear(&self) {
        if let LoaderKind::Custom(class) = self {
            let taken = class.class().take();
            drop(taken);
        }
    }
}

impl LoaderKind {
    /// The kind for a loader class: the native loaders by identity, anything else as it is.
    pub fn for_class(cls: &Bound<'_, PyAny>) -> LoaderKind {
        let py = cls.py();
        if cls.is(py.get_type::<SourceFileLoader>()) {
            LoaderKind::Source
        } else if cls.is(py.get_type::<SourcelessFileLoader>()) {
            LoaderKind::Sourceless
        } else if cls.is(py.get_type::<ExtensionFileLoader>()) {
            LoaderKind::Extension
        } else {
            LoaderKind::Custom(Arc::new(LoaderClass(Mutex::new(Some(
                cls.clone().unbind(),
            )))))
        }
    }

    /// Build the loader object for module `name` at `path`.
    pub fn make<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        path: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self {
            LoaderKind::Custom(class) => {
                let cls = class.class().as_ref().map(|cls| cls.clone_ref(py));
                match cls {
                    Some(cls) => cls.bind(py).call1((name, path))?,
                    None => return Err(PyImportError::new_err("the loader class was cleared")),
                }
            }
            LoaderKind::Extension => {
                Bound::new(py, with_file(ExtensionFileLoader, name, path))?.into_any()
            }
            LoaderKind::Source => {
                Bound::new(py, with_file(SourceFileLoader, name, path))?.into_any()
            }
            LoaderKind::Sourceless => {
                Bound::new(py, with_file(SourcelessFileLoader, name, path))?.into_any()
            }
        })
    }
}

/// The module name and file a loader is for (`FileLoader.name` / `.path`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileLocation {
    name: String,
    path: String,
}

impl FileLocation {
    /// Mirrors `_check_name`: a loader answers only for its own module.
    fn check_name(&self, py: Python<'_>, fullname: Option<&str>) -> PyResult<()> {
        match fullname {
            Some(asked) if asked != self.name => Err(import_error(
                py,
                &format!("loader for {} cannot handle {}", self.name, asked),
                Some(asked),
                None,
            )),
            _ => Ok(()),
        }
    }

    /// Mirrors `_LoaderBasics.is_package`: the file is `__init__.<suffix>` and the module is
    /// not itself called `__init__`.
    fn is_init_file(&self, fullname: &str) -> bool {
        let (_, filename) = paths::split(&self.path);
        let base = filename.rsplit_once('.').map_or(filename, |(b, _)| b);
        base == "__init__" && crate::core::names::tail(fullname) != "__init__"
    }
}

/// `path_stats(path)` → `{'mtime': …, 'size': …}`.
fn path_stats_dict<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyDict>> {
    let st = fsio::stat(py, path)?;
    let stats = PyDict::new(py);
    stats.set_item(intern!(py, "mtime"), st.mtime)?;
    stats.set_item(intern!(py, "size"), st.size)?;
    Ok(stats)
}

/// Run a code object in a module's namespace (`exec(code, module.__dict__)`).
///
/// Like `exec`, a module dict without `__builtins__` gets the calling frame's builtins (the
/// namespace's when namespaced code calls `loader.exec_module(module)` on a module it made
/// itself); modules the engine creates already have the namespace's.
pub fn exec_code_in_module(
    py: Python<'_>,
    code: &Bound<'_, PyAny>,
    module: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let globals = module
        .getattr(intern!(py, "__dict__"))?
        .cast_into::<PyDict>()?;
    if !globals.contains(intern!(py, "__builtins__"))? {
        // SAFETY: PyEval_GetBuiltins returns a borrowed reference to a live dict (the current
        // frame's builtins, or the interpreter's when no frame runs), never NULL.
        let builtins = unsafe { Bound::from_borrowed_ptr(py, ffi::PyEval_GetBuiltins()) };
        globals.set_item(intern!(py, "__builtins__"), builtins)?;
    }
    // SAFETY: `code` is a code object (checked by the callers), `globals` a dict; both are
    // alive for the call; the result is a new reference or NULL with an exception set.
    unsafe {
        let result = ffi::PyEval_EvalCode(code.as_ptr(), globals.as_ptr(), globals.as_ptr());
        Bound::from_owned_ptr_or_err(py, result)?;
    }
    Ok(())
}

/// Mirrors `_LoaderBasics.exec_module` around a `get_code` result.
fn exec_with_code(
    py: Python<'_>,
    code: Option<Bound<'_, PyAny>>,
    module: &Bound<'_, PyAny>,
) -> PyResult<()> {
    match code {
        Some(code) => exec_code_in_module(py, &code, module),
        None => {
            let name = module.getattr(intern!(py, "__name__"))?;
            Err(PyImportError::new_err(format!(
                "cannot load module {} when get_code() returns None",
                name.repr()?
            )))
        }
    }
}

/// Mirrors `ExtensionFileLoader.create_module`, keeping the host's `sys.modules` as it was:
/// single-phase init inserts the module there, so it is taken back out (or the host's own entry
/// put back).
pub fn create_extension_module<'py>(
    py: Python<'py>,
    create: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let host_modules = runtime(py).host_modules(py)?;
    let name = spec.getattr(intern!(py, "name"))?;
    let previous = host_modules.get_item(&name)?;
    if previous.is_some() {
        host_modules.del_item(&name)?;
    }
    let created = create.call1((spec,));
    match previous {
        Some(previous) => host_modules.set_item(&name, previous)?,
        None => {
            if host_modules.contains(&name)? {
                host_modules.del_item(&name)?;
            }
        }
    }
    created
}

/// The base of the file loaders: the module name and file, equality, `get_filename`,
/// `get_data`, and `_LoaderBasics`' `create_module` / `exec_module` / `is_package`.
///
/// Mirrors `importlib._bootstrap_external.FileLoader` (with `_LoaderBasics`).
#[pyclass(name = "FileLoader", module = "importspace", subclass, frozen)]
pub struct FileLoader {
    file: FileLocation,
}

impl FileLoader {
    fn located(name: &str, path: &str) -> Self {
        FileLoader {
            file: FileLocation {
                name: name.to_owned(),
                path: path.to_owned(),
            },
        }
    }

    /// The code object for this loader's module, by the subclass's rules.
    fn code_for<'py>(
        slf: &Bound<'py, Self>,
        fullname: Option<&str>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        let file = &slf.get().file;
        file.check_name(py, fullname)?;
        let name = fullname.unwrap_or(&file.name);
        if slf.is_exact_instance_of::<SourceFileLoader>() {
            source_get_code(py, name, &file.path).map(Some)
        } else if slf.is_exact_instance_of::<SourcelessFileLoader>() {
            sourceless_get_code(py, name, &file.path).map(Some)
        } else if slf.is_instance_of::<SourceFileLoader>()
            || slf.is_instance_of::<SourcelessFileLoader>()
        {
            // A Python subclass may override `get_data`, `path_stats`, `set_data` or
            // `source_to_code`: CPython's own `get_code` calls them, so it is used as it is.
            let base = if slf.is_instance_of::<SourceFileLoader>() {
                "SourceLoader"
            } else {
                "SourcelessFileLoader"
            };
            host_import(py, "_frozen_importlib_external")?
                .getattr(base)?
                .getattr(intern!(py, "get_code"))?
                .call1((slf, name))
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

#[pymethods]
impl FileLoader {
    #[new]
    fn new(fullname: &str, path: &str) -> Self {
        FileLoader::located(fullname, path)
    }

    #[getter]
    fn name(&self) -> &str {
        &self.file.name
    }

    #[getter]
    fn path(&self) -> &str {
        &self.file.path
    }

    fn create_module(&self, _spec: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        None
    }

    /// Mirrors `_LoaderBasics.exec_module`.
    pub fn exec_module(slf: &Bound<'_, Self>, module: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let name: String = module.getattr(intern!(py, "__name__"))?.extract()?;
        let native = slf.is_exact_instance_of::<SourceFileLoader>()
            || slf.is_exact_instance_of::<SourcelessFileLoader>();
        let code = if native {
            FileLoader::code_for(slf, Some(&name))?
        } else {
            // As `_LoaderBasics.exec_module`: through `get_code`, which a subclass may override.
            Some(slf.call_method1(intern!(py, "get_code"), (&name,))?)
                .filter(|code| !code.is_none())
        };
        exec_with_code(py, code, module)
    }

    #[pyo3(signature = (fullname=None))]
    fn get_code<'py>(
        slf: &Bound<'py, Self>,
        fullname: Option<&str>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        FileLoader::code_for(slf, fullname)
    }

    #[pyo3(signature = (fullname=None))]
    fn get_filename(&self, py: Python<'_>, fullname: Option<&str>) -> PyResult<String> {
        self.file.check_name(py, fullname)?;
        Ok(self.file.path.clone())
    }

    fn get_data<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &fsio::read(py, path)?))
    }

    /// Mirrors `FileLoader.get_resource_reader`: from 3.10 an `importlib.readers.FileReader`
    /// over this loader, taken from the caller's import system (a namespace's own
    /// `importlib.readers` inside a namespace). 3.9 answers `None`, and `importlib.resources`
    /// then reads the package's directory itself, as it does for loaders without readers.
    #[pyo3(signature = (fullname=None))]
    fn get_resource_reader<'py>(
        slf: &Bound<'py, Self>,
        fullname: Option<&str>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        slf.get().file.check_name(py, fullname)?;
        if !runtime(py).version.file_loader_reader_is_file_reader {
            return Ok(None);
        }
        let reader = crate::runtime::caller_import_from(py, "importlib.readers", "FileReader")?;
        reader.call1((slf,)).map(Some)
    }

    /// Mirrors `_LoaderBasics.is_package`.
    #[pyo3(signature = (fullname=None))]
    fn is_package(&self, py: Python<'_>, fullname: Option<&str>) -> PyResult<bool> {
        self.file.check_name(py, fullname)?;
        Ok(self.file.is_init_file(fullname.unwrap_or(&self.file.name)))
    }

    /// Mirrors `FileLoader.__eq__`: the same class, module and file.
    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<FileLoader>() {
            Ok(other) => other.get_type().is(slf.get_type()) && other.get().file == slf.get().file,
            Err(_) => false,
        }
    }

    /// Mirrors `FileLoader.__hash__`: `hash(name) ^ hash(path)`.
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.file.hash(&mut hasher);
        hasher.finish()
    }
}

/// A file loader subclass's initializer: the subclass over a `FileLoader` for `name` at `path`.
fn with_file<T>(loader: T, name: &str, path: &str) -> PyClassInitializer<T>
where
    T: PyClass<BaseType = FileLoader>,
{
    PyClassInitializer::from(FileLoader::located(name, path)).add_subclass(loader)
}

/// A loader for Python source files.
///
/// Mirrors `importlib._bootstrap_external.SourceFileLoader` (with `SourceLoader`).
#[pyclass(name = "SourceFileLoader", module = "importspace", extends = FileLoader, frozen, subclass)]
pub struct SourceFileLoader;

#[pymethods]
impl SourceFileLoader {
    #[new]
    fn new(fullname: &str, path: &str) -> PyClassInitializer<Self> {
        with_file(SourceFileLoader, fullname, path)
    }

    /// Mirrors `SourceLoader.get_source`.
    #[pyo3(signature = (fullname=None))]
    fn get_source<'py>(
        slf: &Bound<'py, Self>,
        fullname: Option<&str>,
    ) -> PyResult<Bound<'py, PyString>> {
        let py = slf.py();
        let file = &slf.as_super().get().file;
        file.check_name(py, fullname)?;
        let data = fsio::read(py, &file.path).map_err(|cause| {
            let err = import_error(
                py,
                "source not available through get_data()",
                Some(fullname.unwrap_or(&file.name)),
                None,
            );
            err.set_cause(py, Some(cause));
            err
        })?;
        decode_source(py, &data)
    }

    fn path_stats<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyDict>> {
        path_stats_dict(py, path)
    }

    #[pyo3(signature = (path, data, *, _mode=0o666))]
    fn set_data(&self, py: Python<'_>, path: &str, data: &[u8], _mode: u32) {
        py.detach(|| fsio::write_cache_file(path, data, _mode));
    }

    #[pyo3(signature = (data, path, *, _optimize=-1))]
    fn source_to_code<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        path: &Bound<'py, PyAny>,
        _optimize: i32,
    ) -> PyResult<Bound<'py, PyAny>> {
        source_to_code(py, data, path, _optimize)
    }
}

/// A loader for `.pyc` files with no source.
///
/// Mirrors `importlib._bootstrap_external.SourcelessFileLoader`.
#[pyclass(name = "SourcelessFileLoader", module = "importspace", extends = FileLoader, frozen, subclass)]
pub struct SourcelessFileLoader;

#[pymethods]
impl SourcelessFileLoader {
    #[new]
    fn new(fullname: &str, path: &str) -> PyClassInitializer<Self> {
        with_file(SourcelessFileLoader, fullname, path)
    }

    #[pyo3(signature = (fullname=None))]
    fn get_source(&self, fullname: Option<&str>) -> Option<String> {
        let _ = fullname;
        None
    }
}

/// A loader for C extension modules.
///
/// Mirrors `importlib._bootstrap_external.ExtensionFileLoader`.
#[pyclass(name = "ExtensionFileLoader", module = "importspace", extends = FileLoader, frozen, subclass)]
pub struct ExtensionFileLoader;

#[pymethods]
impl ExtensionFileLoader {
    #[new]
    fn new(name: &str, path: &str) -> PyClassInitializer<Self> {
        with_file(ExtensionFileLoader, name, path)
    }

    fn create_module<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        create_extension_module(py, runtime(py).create_dynamic.bind(py), spec)
    }

    fn exec_module(&self, py: Python<'_>, module: &Bound<'_, PyAny>) -> PyResult<()> {
        runtime(py).exec_dynamic.bind(py).call1((module,))?;
        Ok(())
    }

    /// Mirrors `ExtensionFileLoader.is_package`: the file is `__init__` plus an extension suffix.
    #[pyo3(signature = (fullname=None))]
    fn is_package(slf: &Bound<'_, Self>, fullname: Option<&str>) -> bool {
        let _ = fullname;
        let file = &slf.as_super().get().file;
        let (_, filename) = paths::split(&file.path);
        runtime(slf.py())
            .extension_suffixes
            .iter()
            .any(|suffix| filename.strip_prefix("__init__") == Some(suffix.as_str()))
    }

    #[pyo3(signature = (fullname=None))]
    fn get_source(&self, fullname: Option<&str>) -> Option<String> {
        let _ = fullname;
        None
    }
}

/// A native or CPython `ExtensionFileLoader`.
pub fn is_extension_loader(py: Python<'_>, loader: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(is_native_extension_loader(loader)
        || loader.is_instance(runtime(py).host_extension_loader.bind(py))?)
}

/// The native `ExtensionFileLoader` (or a subclass): no Python-level call to create it.
pub fn is_native_extension_loader(loader: &Bound<'_, PyAny>) -> bool {
    loader.is_instance_of::<ExtensionFileLoader>()
}
