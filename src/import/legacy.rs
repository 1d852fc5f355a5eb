//! `find_module` and `load_module` support: `importlib._bootstrap._find_spec_legacy` and
//! `_load_backward_compatible` (3.9–3.11 finders, loaders with only `load_module`), and 3.9's
//! `zipimport.zipimporter.load_module` with the namespace's modules and builtins.

use pyo3::exceptions::{PyImportError, PyImportWarning};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::args::type_name;
use super::extension::overlay::host_import;
use super::loader;
use super::state::Importer;
use crate::core::names;
use crate::errors::warn;
use crate::runtime::runtime;

impl Importer {
    /// Mirrors `importlib._bootstrap._load_backward_compatible` for loaders with only
    /// `load_module`.
    pub(crate) fn load_backward_compatible<'py>(
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
    pub(crate) fn zip_load_module<'py>(
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
            host_import(py, "_frozen_importlib_external")?
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
}

/// Mirrors `importlib._bootstrap._find_spec_legacy`: a meta path finder without `find_spec`,
/// asked through `find_module` where this version still does (3.9–3.11), with the warning
/// 3.10 and 3.11 give; `None` where it does not, or when the finder has no `find_module`.
pub(crate) fn find_spec_legacy<'py>(
    py: Python<'py>,
    finder: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
    path: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let rt = runtime(py);
    if !rt.version.meta_path_find_module_fallback || !finder.hasattr(intern!(py, "find_module"))? {
        return Ok(None);
    }
    let finder_name = finder
        .getattr(intern!(py, "__name__"))
        .or_else(|_| finder.get_type().name().map(Bound::into_any))?;
    if rt.version.warns_on_find_module_fallback {
        let message = format!("{finder_name}.find_spec() not found; falling back to find_module()");
        warn(py, &py.get_type::<PyImportWarning>(), &message, 1)?;
    }
    let loader = finder.call_method1(intern!(py, "find_module"), (name, path))?;
    if loader.is_none() {
        return Ok(None);
    }
    Ok(Some(rt.spec_from_loader.bind(py).call1((name, loader))?))
}

/// True for a 3.9 `zipimport.zipimporter` (the host's or a namespace's own), which has only
/// `load_module`.
pub(crate) fn is_legacy_zipimporter(py: Python<'_>, loader: &Bound<'_, PyAny>) -> PyResult<bool> {
    if !runtime(py).version.zipimporter_is_legacy {
        return Ok(false);
    }
    let cls = loader.get_type();
    Ok(cls.name()?.to_str()? == "zipimporter"
        && cls
            .getattr(intern!(py, "__module__"))?
            .eq(intern!(py, "zipimport"))?)
}

/// The ImportWarning `_load_unlocked` and `_exec` give (from 3.10) for a loader that has
/// `load_module` but no `exec_module`.
pub(crate) fn warn_load_module_fallback(py: Python<'_>, loader: &Bound<'_, PyAny>) -> PyResult<()> {
    if !runtime(py).version.warns_on_load_module_fallback {
        return Ok(());
    }
    let message = format!(
        "{}.exec_module() not found; falling back to load_module()",
        object_name(loader)
    );
    warn(py, &py.get_type::<PyImportWarning>(), &message, 1)
}

/// The name CPython's `_object_name` gives an object in warnings.
pub(crate) fn object_name(obj: &Bound<'_, PyAny>) -> String {
    obj.getattr("__qualname__")
        .and_then(|n| n.str().map(|s| s.to_string()))
        .unwrap_or_else(|_| type_name(obj))
}
