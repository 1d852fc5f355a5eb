//! The loaders: source, sourceless (pyc only) and extension modules.
//!
//! Mirrors `importlib._bootstrap_external.SourceFileLoader`, `SourcelessFileLoader` and
//! `ExtensionFileLoader`. Only compiling, unmarshalling and executing are handed to CPython.

use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCode, PyDict, PyString};
use pyo3::{ffi, intern};
use pyo3::{PyClass, PyClassInitializer};
use std::os::unix::fs::MetadataExt;

use crate::codecache;
use crate::core::paths::{self, CacheError, CacheSettings};
use crate::core::pyc::{self, PycKind};
use crate::core::source;
use crate::errors::{import_error, PycRefusal};
use crate::fsio;
use crate::runtime::runtime;

/// Which loader a `FileFinder` builds for a suffix (`_get_supported_file_loaders`, or the
/// `loader_details` given to `FileFinder(path, *loader_details)`).
#[derive(Debug)]
pub enum LoaderKind {
    Extension,
    Source,
    Sourceless,
    /// Any other loader class, called as `cls(fullname, path)`.
    Custom(Py<PyAny>),
}

impl Clone for LoaderKind {
    fn clone(&self) -> Self {
        match self {
            LoaderKind::Extension => LoaderKind::Extension,
            LoaderKind::Source => LoaderKind::Source,
            LoaderKind::Sourceless => LoaderKind::Sourceless,
            LoaderKind::Custom(cls) => LoaderKind::Custom(Python::attach(|py| cls.clone_ref(py))),
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
            LoaderKind::Custom(cls.clone().unbind())
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
            LoaderKind::Custom(cls) => cls.bind(py).call1((name, path))?,
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

/// The settings `cache_from_source` reads, as they are now.
pub fn cache_settings(py: Python<'_>) -> PyResult<CacheSettings> {
    let rt = runtime(py);
    let sys = rt.host_sys.bind(py);
    let optimize: i64 = sys
        .getattr(intern!(py, "flags"))?
        .getattr(intern!(py, "optimize"))?
        .extract()?;
    let prefix = sys.getattr(intern!(py, "pycache_prefix"))?;
    Ok(CacheSettings {
        cache_tag: rt.cache_tag.clone(),
        optimization: if optimize == 0 {
            String::new()
        } else {
            optimize.to_string()
        },
        pycache_prefix: if prefix.is_none() {
            None
        } else {
            Some(prefix.extract()?)
        },
        abspath_drops_dot_slash: rt.minor >= 12,
    })
}

/// `cache_from_source(path)`, with `None` where CPython raises `NotImplementedError`.
pub fn bytecode_path_for(py: Python<'_>, source_path: &str) -> PyResult<Option<String>> {
    bytecode_path_with(py, source_path, &cache_settings(py)?)
}

/// `cache_from_source(path)` under `settings`, with `None` where CPython raises
/// `NotImplementedError`.
fn bytecode_path_with(
    py: Python<'_>,
    source_path: &str,
    settings: &CacheSettings,
) -> PyResult<Option<String>> {
    match paths::cache_from_source(source_path, settings, || {
        fsio::getcwd(py).unwrap_or_default()
    }) {
        Ok(path) => Ok(Some(path)),
        Err(CacheError::NoCacheTag) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Mirrors `_bootstrap_external._compile_bytecode`: unmarshal, insist on a code object, and
/// point its filenames at the source.
fn compile_bytecode<'py>(
    py: Python<'py>,
    data: &[u8],
    name: &str,
    bytecode_path: &str,
    source_path: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let code = pyo3::marshal::loads(py, data)?;
    if !code.is_instance_of::<PyCode>() {
        let message = format!(
            "Non-code object in {}",
            crate::errors::repr_str(bytecode_path)
        );
        return Err(import_error(py, &message, Some(name), Some(bytecode_path)));
    }
    if let Some(source_path) = source_path {
        runtime(py)
            .fix_co_filename
            .bind(py)
            .call1((&code, source_path))?;
    }
    Ok(code)
}

/// `marshal.version`: the format `marshal.dumps` writes by default (5 from 3.14).
static MARSHAL_VERSION: PyOnceLock<i32> = PyOnceLock::new();

/// Mirrors the `marshal.dumps(code)` of `_code_to_timestamp_pyc` / `_code_to_hash_pyc`, byte for
/// byte. marshal flags an object for back-references only when its refcount is above 1, and
/// importlib's caller always holds more than one reference to the code object, so the top-level
/// code object gets `FLAG_REF` there; an extra reference held across the call does the same here.
fn marshal_code<'py>(code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let py = code.py();
    let version = *MARSHAL_VERSION.get_or_try_init(py, || {
        crate::import::extension::overlay::host_import(py, "marshal")?
            .getattr("version")?
            .extract::<i32>()
    })?;
    let held = code.clone();
    let data = pyo3::marshal::dumps(&held, version);
    drop(held);
    data
}

/// Mirrors `SourceLoader.source_to_code`: `compile(data, path, 'exec', dont_inherit=True)`.
fn source_to_code<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    path: &Bound<'py, PyAny>,
    optimize: i32,
) -> PyResult<Bound<'py, PyAny>> {
    runtime(py)
        .compile
        .bind(py)
        .call1((data, path, intern!(py, "exec"), 0, true, optimize))
}

/// Mirrors `_bootstrap_external.decode_source`: `tokenize.detect_encoding` (its refusals are
/// `SyntaxError`s), the whole file decoded with that codec, universal newlines.
fn decode_source<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyString>> {
    let declared = source::detect_encoding(data)?;
    if let Some(name) = declared.codec_to_look_up() {
        // `codecs.lookup(encoding)`: `find_cookie` checks the codec exists.
        let lookup = crate::import::extension::overlay::host_import(py, "_codecs")?
            .call_method1(intern!(py, "lookup"), (name,));
        if let Err(err) = lookup {
            if err.is_instance_of::<pyo3::exceptions::PyLookupError>(py) {
                return Err(source::EncodingError::UnknownEncoding(name.to_owned()).into());
            }
            return Err(err);
        }
    }
    let codec = declared.codec()?;
    let body = if declared.bom() { &data[3..] } else { data };
    let text = PyBytes::new(py, body).call_method1(intern!(py, "decode"), (codec,))?;
    let text: String = text.extract()?;
    Ok(PyString::new(py, &source::universal_newlines(&text)))
}

/// `_imp.source_hash(key, data)` as 8 bytes.
fn source_hash(py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<Vec<u8>> {
    let rt = runtime(py);
    rt.source_hash
        .bind(py)
        .call1((rt.source_hash_key.bind(py), data))?
        .extract()
}

/// What a load from source read and decided, for the code cache.
#[derive(Default)]
struct SourceRead<'py> {
    /// The pyc's bytes, when the load read them (valid or not).
    pyc: Option<Vec<u8>>,
    /// The source's bytes, when the load read them.
    source: Option<Bound<'py, PyBytes>>,
    /// For code compiled from source: the header of the pyc written (or, with
    /// `sys.dont_write_bytecode`, that would have been written).
    write_header: Option<Vec<u8>>,
    /// The pyc the load wrote.
    written: Option<WrittenPyc>,
}

/// A pyc a load wrote: the file's device and inode, and its bytes.
struct WrittenPyc {
    dev: u64,
    ino: u64,
    data: Vec<u8>,
}

/// Mirrors `SourceLoader.get_code` with the shared code cache in front: a load whose files and
/// settings are the same as an earlier one's (in any namespace) gives that load's code object.
/// See `codecache` for what is compared and why that never serves stale code.
fn source_get_code<'py>(
    py: Python<'py>,
    name: &str,
    source_path: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let settings = cache_settings(py)?;
    let bytecode_path = bytecode_path_with(py, source_path, &settings)?;
    // The load as it is without the cache: `path_stats` only when there is a pyc to check.
    let uncached = |bytecode_path: Option<&str>| {
        let stat = bytecode_path.and_then(|_| fsio::stat(py, source_path).ok());
        load_source(
            py,
            name,
            source_path,
            bytecode_path,
            stat,
            &mut SourceRead::default(),
        )
    };
    if !codecache::enabled() {
        return uncached(bytecode_path.as_deref());
    }
    let rt = runtime(py);
    let hash_mode = rt
        .imp
        .bind(py)
        .getattr(intern!(py, "check_hash_based_pycs"))?;
    let Some(hash_mode) = hash_mode
        .cast::<PyString>()
        .ok()
        .and_then(|mode| mode.to_str().ok())
        .map(codecache::HashMode::parse)
    else {
        // Not a str: the uncached load raises (as importlib) if it meets a hash-based pyc.
        return uncached(bytecode_path.as_deref());
    };
    let seen_at = codecache::now_ns();
    let (source_meta, pyc_meta) = py.detach(|| {
        (
            std::fs::metadata(source_path),
            bytecode_path.as_deref().map(std::fs::metadata),
        )
    });
    let Ok(source_meta) = source_meta else {
        // No stat, no pyc (as `get_code` when `path_stats` fails); reading the source decides.
        let mut read = SourceRead::default();
        return load_source(
            py,
            name,
            source_path,
            bytecode_path.as_deref(),
            None,
            &mut read,
        );
    };
    let source_stamp = codecache::FileStamp::of(&source_meta);
    let pyc_stamp = pyc_meta
        .and_then(Result::ok)
        .map(|meta| codecache::FileStamp::of(&meta));
    let validation = codecache::Validation {
        bytecode_path,
        optimization: settings.optimization,
        hash_mode: Some(hash_mode),
        source: Some(source_stamp),
        pyc: pyc_stamp,
    };
    let kind = codecache::Kind::Source;
    if let Some(hit) = codecache::lookup(py, kind, source_path, &validation) {
        if codecache::confirm(py, kind, source_path, &hit, seen_at) {
            if let (Some(header), Some(bytecode_path)) =
                (&hit.write_header, &validation.bytecode_path)
            {
                // The uncached load would compile and write the pyc again.
                if !rt.dont_write_bytecode(py)? {
                    let written =
                        write_pyc(py, source_path, bytecode_path, header.clone(), &hit.code)?;
                    if let Some(written) = written {
                        let code = hit.code.clone();
                        remember_written(py, source_path, &validation, written, seen_at, code);
                    }
                }
            }
            return Ok(hit.code);
        }
    }
    let mut read = SourceRead::default();
    let code = load_source(
        py,
        name,
        source_path,
        validation.bytecode_path.as_deref(),
        Some(fsio::Stat::from_metadata(&source_meta)),
        &mut read,
    )?;
    if let Some(written) = read.written {
        let code = remember_written(py, source_path, &validation, written, seen_at, code);
        return Ok(code);
    }
    let mut racy = codecache::RacyFiles::new(seen_at);
    let mut size = 0;
    if let (Some(data), Some(stamp), Some(bytecode_path)) =
        (read.pyc, &validation.pyc, &validation.bytecode_path)
    {
        size = data.len();
        racy.note(bytecode_path, stamp, || data);
    }
    if let Some(source) = &read.source {
        size = source.as_bytes().len();
        racy.note(source_path, &source_stamp, || source.as_bytes().to_vec());
    }
    let made = codecache::Made {
        validation,
        racy,
        write_header: read.write_header,
        size,
    };
    Ok(codecache::insert(py, kind, source_path, code, made))
}

/// Mirrors `SourceLoader._cache_bytecode`: write the pyc for `code` after `header`, with the
/// source's mode plus owner write (`_calc_mode`). Failures are quiet (`None`).
fn write_pyc(
    py: Python<'_>,
    source_path: &str,
    bytecode_path: &str,
    mut data: Vec<u8>,
    code: &Bound<'_, PyAny>,
) -> PyResult<Option<WrittenPyc>> {
    data.extend_from_slice(marshal_code(code)?.as_bytes());
    let mode = fsio::stat(py, source_path)
        .map(|st| st.mode | 0o200)
        .unwrap_or(0o666);
    let written = py.detach(|| fsio::write_cache_file(bytecode_path, &data, mode));
    Ok(written.map(|(dev, ino)| WrittenPyc { dev, ino, data }))
}

/// After `written` was written for `code`: the validation under which a load finds that pyc
/// and, uncached, would unmarshal code equal to `code`. `None` when the pyc path is no longer
/// the file written (another writer replaced it).
fn validation_after_write(
    py: Python<'_>,
    validation: &codecache::Validation,
    written: &WrittenPyc,
) -> Option<codecache::Validation> {
    let bytecode_path = validation.bytecode_path.as_deref()?;
    let meta = py.detach(|| std::fs::metadata(bytecode_path)).ok()?;
    if meta.dev() != written.dev || meta.ino() != written.ino {
        return None;
    }
    Some(codecache::Validation {
        pyc: Some(codecache::FileStamp::of(&meta)),
        ..validation.clone()
    })
}

/// Remember `code` as the code of the pyc the load just wrote, when that pyc is still there.
/// Its bytes are kept while its timestamps are too recent to trust, so an edit in place is
/// still seen.
fn remember_written<'py>(
    py: Python<'py>,
    source_path: &str,
    validation: &codecache::Validation,
    written: WrittenPyc,
    seen_at: i128,
    code: Bound<'py, PyAny>,
) -> Bound<'py, PyAny> {
    let Some(after) = validation_after_write(py, validation, &written) else {
        return code;
    };
    let (Some(bytecode_path), Some(stamp)) = (&after.bytecode_path, &after.pyc) else {
        return code;
    };
    let mut racy = codecache::RacyFiles::new(seen_at);
    let size = written.data.len();
    racy.note(bytecode_path, stamp, || written.data);
    let made = codecache::Made {
        validation: after,
        racy,
        write_header: None,
        size,
    };
    codecache::insert(py, codecache::Kind::Source, source_path, code, made)
}

/// Mirrors `SourceLoader.get_code`: use a valid pyc, else compile the source and write the pyc.
/// `stat` is `path_stats(source_path)` (`None` when it failed); `read` is told what was read.
fn load_source<'py>(
    py: Python<'py>,
    name: &str,
    source_path: &str,
    bytecode_path: Option<&str>,
    stat: Option<fsio::Stat>,
    read: &mut SourceRead<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let rt = runtime(py);
    let mut source_bytes: Option<Bound<'py, PyBytes>> = None;
    let mut source_mtime = None;
    let mut stale_hash: Option<(Option<Vec<u8>>, bool)> = None;
    if let (Some(bytecode_path), Some(st)) = (bytecode_path, stat) {
        source_mtime = Some((st.mtime_int, st.size));
        if let Ok(data) = py.detach(|| fsio::read_whole(bytecode_path)) {
            let data = &*read.pyc.insert(data);
            if let Ok(kind) = pyc::classify(data, &rt.magic) {
                let valid = match kind {
                    PycKind::Timestamp { .. } => {
                        pyc::validate_timestamp(kind, st.mtime_int, st.size).is_ok()
                    }
                    PycKind::Hash { check_source, .. } => {
                        let mode: String = rt
                            .imp
                            .bind(py)
                            .getattr(intern!(py, "check_hash_based_pycs"))?
                            .extract()?;
                        if mode != "never" && (check_source || mode == "always") {
                            let bytes = PyBytes::new(py, &fsio::read(py, source_path)?);
                            let hash = source_hash(py, &bytes)?;
                            read.source = Some(bytes.clone());
                            source_bytes = Some(bytes);
                            let ok = pyc::validate_hash(kind, &hash).is_ok();
                            stale_hash = Some((Some(hash), check_source));
                            ok
                        } else {
                            stale_hash = Some((None, check_source));
                            true
                        }
                    }
                };
                if valid {
                    return compile_bytecode(
                        py,
                        &data[pyc::HEADER_LEN..],
                        name,
                        bytecode_path,
                        Some(source_path),
                    );
                }
            }
        }
    }
    let source_bytes = match source_bytes {
        Some(bytes) => bytes,
        None => PyBytes::new(py, &fsio::read(py, source_path)?),
    };
    read.source = Some(source_bytes.clone());
    // The path object stays alive until the pyc is marshalled: natively `co_filename` is the
    // loader's own `path` string, so marshal sees it referenced twice and flags it FLAG_REF.
    let source_path_obj = PyString::new(py, source_path);
    let code = source_to_code(py, source_bytes.as_any(), source_path_obj.as_any(), -1)?;
    if let (Some(bytecode_path), Some((mtime, _))) = (bytecode_path, source_mtime) {
        let header = match &stale_hash {
            Some((hash, check_source)) => {
                let hash = match hash {
                    Some(hash) => hash.clone(),
                    None => source_hash(py, &source_bytes)?,
                };
                pyc::hash_header(&rt.magic, &hash, *check_source)
            }
            None => pyc::timestamp_header(&rt.magic, mtime, source_bytes.as_bytes().len() as u64),
        };
        read.write_header = Some(header.clone());
        if !rt.dont_write_bytecode(py)? {
            read.written = write_pyc(py, source_path, bytecode_path, header, &code)?;
        }
    }
    Ok(code)
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
            crate::import::extension::overlay::host_import(py, "_frozen_importlib_external")?
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
        if runtime(py).minor < 10 {
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

/// Mirrors `SourcelessFileLoader.get_code`: a bad header is an error here, not a recompile.
/// With the shared code cache in front, keyed by the pyc's `stat()` (see `codecache`).
fn sourceless_get_code<'py>(
    py: Python<'py>,
    name: &str,
    path: &str,
) -> PyResult<Bound<'py, PyAny>> {
    if !codecache::enabled() {
        return load_sourceless(py, name, path, fsio::read(py, path)?);
    }
    let seen_at = codecache::now_ns();
    let Ok(meta) = py.detach(|| std::fs::metadata(path)) else {
        return load_sourceless(py, name, path, fsio::read(py, path)?);
    };
    let stamp = codecache::FileStamp::of(&meta);
    let validation = codecache::Validation {
        bytecode_path: None,
        optimization: String::new(),
        hash_mode: None,
        source: None,
        pyc: Some(stamp),
    };
    let kind = codecache::Kind::Sourceless;
    if let Some(hit) = codecache::lookup(py, kind, path, &validation) {
        if codecache::confirm(py, kind, path, &hit, seen_at) {
            return Ok(hit.code);
        }
    }
    let data = fsio::read(py, path)?;
    let code = load_sourceless(py, name, path, &data)?;
    let mut racy = codecache::RacyFiles::new(seen_at);
    let size = data.len();
    racy.note(path, &stamp, || data);
    let made = codecache::Made {
        validation,
        racy,
        write_header: None,
        size,
    };
    Ok(codecache::insert(py, kind, path, code, made))
}

/// The uncached `SourcelessFileLoader.get_code` over the pyc's bytes.
fn load_sourceless<'py>(
    py: Python<'py>,
    name: &str,
    path: &str,
    data: impl AsRef<[u8]>,
) -> PyResult<Bound<'py, PyAny>> {
    let data = data.as_ref();
    pyc::classify(data, &runtime(py).magic)
        .map_err(|e| PyErr::from(PycRefusal::new(&e, name, path)))?;
    compile_bytecode(py, &data[pyc::HEADER_LEN..], name, path, None)
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
