//! Building `ModuleSpec` objects as `spec_from_file_location` and `PathFinder._get_spec` do.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

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
    // `ModuleSpec.cached` computes `cache_from_source(origin)` in Python at first access, which
    // `module_from_spec` makes at once: computed natively here instead. Anything unusual (no
    // cache tag, an error) is left to the property, which then does exactly what it does natively.
    if origin.ends_with(".py") {
        if let Ok(Some(cached)) = crate::loader::bytecode_path_for(py, origin) {
            spec.setattr(intern!(py, "_cached"), cached)?;
        }
    }
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
