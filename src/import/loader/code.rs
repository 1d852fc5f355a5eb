//! The code of a source or sourceless module: `SourceLoader.get_code` and
//! `SourcelessFileLoader.get_code`, with the shared code cache in front (`codecache`), and what
//! they use: `cache_from_source`, `decode_source`, `_compile_bytecode`, the pyc written back
//! atomically (`_cache_bytecode`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCode, PyString};
use std::os::unix::fs::MetadataExt;

use crate::codecache;
use crate::core::paths::{self, CacheError, CacheSettings};
use crate::core::pyc::{self, PycKind};
use crate::core::source;
use crate::errors::{import_error, PycRefusal};
use crate::fsio;
use crate::import::extension::overlay::host_import;
use crate::runtime::runtime;

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
        abspath_drops_dot_slash: rt.version.cache_abspath_drops_dot_slash,
    })
}

/// `cache_from_source(path)`, with `None` where CPython raises `NotImplementedError`.
pub fn bytecode_path_for(py: Python<'_>, source_path: &str) -> PyResult<Option<String>> {
    bytecode_path_with(py, source_path, &cache_settings(py)?)
}

/// `cache_from_source(path)` under `settings`, with `None` where CPython raises
/// `NotImplementedError`.
pub(crate) fn bytecode_path_with(
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
pub(crate) fn compile_bytecode<'py>(
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
pub(crate) fn marshal_code<'py>(code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let py = code.py();
    let version = *MARSHAL_VERSION.get_or_try_init(py, || {
        host_import(py, "marshal")?
            .getattr("version")?
            .extract::<i32>()
    })?;
    let held = code.clone();
    let data = pyo3::marshal::dumps(&held, version);
    drop(held);
    data
}

/// Mirrors `SourceLoader.source_to_code`: `compile(data, path, 'exec', dont_inherit=True)`.
pub(crate) fn source_to_code<'py>(
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
pub(crate) fn decode_source<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyString>> {
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
pub(crate) fn source_hash(py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<Vec<u8>> {
    let rt = runtime(py);
    rt.source_hash
        .bind(py)
        .call1((rt.source_hash_key.bind(py), data))?
        .extract()
}

/// What a load from source read and decided, for the code cache.
#[derive(Default)]
pub(crate) struct SourceRead<'py> {
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
pub(crate) struct WrittenPyc {
    dev: u64,
    ino: u64,
    data: Vec<u8>,
}

/// Mirrors `SourceLoader.get_code` with the shared code cache in front: a load whose files and
/// settings are the same as an earlier one's (in any namespace) gives that load's code object.
/// See `codecache` for what is compared and why that never serves stale code.
pub(crate) fn source_get_code<'py>(
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
    if let Some(hit) = codecache::serve(py, kind, source_path, &validation, seen_at) {
        if let (Some(header), Some(bytecode_path)) = (&hit.write_header, &validation.bytecode_path)
        {
            // The uncached load would compile and write the pyc again.
            if !rt.dont_write_bytecode(py)? {
                let written = write_pyc(py, source_path, bytecode_path, header.clone(), &hit.code)?;
                if let Some(written) = written {
                    let code = hit.code.clone();
                    remember_written(py, source_path, &validation, written, seen_at, code);
                }
            }
        }
        return Ok(hit.code);
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
    let mut made = codecache::Made::new(validation, seen_at).writes_header(read.write_header);
    if let Some(data) = read.pyc {
        made = made.read_pyc(data);
    }
    if let Some(source) = &read.source {
        let text = source.as_bytes();
        made = made.read(source_path, &source_stamp, text.len(), || text.to_vec());
    }
    Ok(codecache::remember(py, kind, source_path, code, made))
}

/// Mirrors `SourceLoader._cache_bytecode`: write the pyc for `code` after `header`, with the
/// source's mode plus owner write (`_calc_mode`). Failures are quiet (`None`).
pub(crate) fn write_pyc(
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
pub(crate) fn validation_after_write(
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
pub(crate) fn remember_written<'py>(
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
    if after.bytecode_path.is_none() || after.pyc.is_none() {
        return code;
    }
    let made = codecache::Made::new(after, seen_at).read_pyc(written.data);
    codecache::remember(py, codecache::Kind::Source, source_path, code, made)
}

/// Mirrors `SourceLoader.get_code`: use a valid pyc, else compile the source and write the pyc.
/// `stat` is `path_stats(source_path)` (`None` when it failed); `read` is told what was read.
pub(crate) fn load_source<'py>(
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

/// Mirrors `SourcelessFileLoader.get_code`: a bad header is an error here, not a recompile.
/// With the shared code cache in front, keyed by the pyc's `stat()` (see `codecache`).
pub(crate) fn sourceless_get_code<'py>(
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
    if let Some(hit) = codecache::serve(py, kind, path, &validation, seen_at) {
        return Ok(hit.code);
    }
    let data = fsio::read(py, path)?;
    let code = load_sourceless(py, name, path, &data)?;
    let made = codecache::Made::new(validation, seen_at).read(path, &stamp, data.len(), || data);
    Ok(codecache::remember(py, kind, path, code, made))
}

/// The uncached `SourcelessFileLoader.get_code` over the pyc's bytes.
pub(crate) fn load_sourceless<'py>(
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
