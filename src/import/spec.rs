//! `ModuleSpec`s: building them as `spec_from_file_location` and `PathFinder._get_spec` do,
//! `_init_module_attrs`, and `ModuleSpec`'s properties (`parent`, `cached`) computed from an
//! exact spec's fields without a Python-level call.

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::core::names;
use crate::runtime::runtime;

/// Mirrors `spec_from_file_location(name, origin, loader=loader, submodule_search_locations=…)`
/// as `FileFinder._get_spec` calls it: an absolute origin, `has_location` true, and
/// `submodule_search_locations = [package_dir]` for a package.
pub fn file_spec<'py>(
    py: Python<'py>,
    name: &str,
    origin: &str,
    loader: Bound<'py, PyAny>,
    package_dir: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "origin"), origin)?;
    let spec = runtime(py)
        .module_spec
        .bind(py)
        .call((name, loader), Some(&kwargs))?;
    spec.setattr(intern!(py, "_set_fileattr"), true)?;
    if let Some(dir) = package_dir {
        spec.setattr(
            intern!(py, "submodule_search_locations"),
            PyList::new(py, [dir])?,
        )?;
    }
    Ok(spec)
}

/// `ModuleSpec(name, None)` with the given search locations: a namespace package portion.
pub fn namespace_spec<'py>(
    py: Python<'py>,
    name: &str,
    locations: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = runtime(py).module_spec.bind(py).call1((name, py.None()))?;
    spec.setattr(intern!(py, "submodule_search_locations"), locations)?;
    Ok(spec)
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
        // 3.15 no longer sets `__cached__` (`version::Behaviour::sets_dunder_cached`).
        if runtime(py).version.sets_dunder_cached && missing(intern!(py, "__cached__")) {
            let cached = spec_cached(py, spec)?;
            if !cached.is_none() {
                let _ = module.setattr(intern!(py, "__cached__"), cached);
            }
        }
    }
    Ok(())
}

/// `cls.__dict__[key]`: the class's own attribute, read from its type dict without the
/// `mappingproxy` that `cls.__dict__` makes at each call. `None` when `cls` is no class.
pub(crate) fn class_own_item<'py>(
    cls: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    let cls = cls.cast::<pyo3::types::PyType>().ok()?;
    // SAFETY: `cls` is a type object, alive while borrowed; `tp_dict` of a ready type is its
    // dict or NULL (3.12+'s static builtin types keep theirs per interpreter), and the
    // reference is borrowed, so `from_borrowed_ptr_or_opt` takes a new one.
    let dict = unsafe {
        let type_ptr = cls.as_ptr().cast::<ffi::PyTypeObject>();
        Bound::from_borrowed_ptr_or_opt(cls.py(), (*type_ptr).tp_dict)
    }?;
    dict.cast_into::<PyDict>()
        .ok()?
        .get_item(key)
        .ok()
        .flatten()
}

/// `obj.__dict__[key]` for an object with an instance dict, without a type walk.
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

/// A field of an exact `ModuleSpec` from its instance dict (it has no class attribute of that
/// name), or `None` for any other spec object or a missing field.
pub(crate) fn exact_spec_field<'py>(
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
pub(crate) fn spec_parent<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
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
pub(crate) fn spec_cached<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
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
        crate::import::loader::bytecode_path_for(py, origin)?
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

/// `module.__spec__._initializing`, as `_PyModuleSpec_IsInitializing` reads it.
pub(crate) fn is_initializing(py: Python<'_>, module: &Bound<'_, PyAny>) -> bool {
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
