//! `importlib.reload` and `importlib._bootstrap._exec`, per namespace.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::legacy::{is_legacy_zipimporter, warn_load_module_fallback};
use super::shared::SharedImporter;
use super::spec::init_module_attrs;
use super::state::{deadlock_error, Importer};
use crate::core::names;
use crate::errors::{import_error, module_not_found, repr_str};

impl Importer {
    /// Mirrors `importlib.reload` and `_bootstrap._exec`.
    pub fn reload<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let name = match module
            .getattr(intern!(py, "__spec__"))
            .and_then(|s| s.getattr(intern!(py, "name")))
        {
            Ok(name) => name,
            Err(_) => module
                .getattr(intern!(py, "__name__"))
                .map_err(|_| PyTypeError::new_err("reload() argument must be a module"))?,
        };
        let name = name.cast_into::<PyString>()?;
        let name_str = name.to_str()?.to_owned();
        let modules = self.modules(py)?;
        if !matches!(Self::modules_get(&modules, &name)?, Some(m) if m.is(module)) {
            // `importlib.reload` formats the name with `str` (3.9–3.13), unlike `_bootstrap._exec`.
            let message = format!("module {name_str} not in sys.modules");
            return Err(import_error(py, &message, Some(&name_str), None));
        }
        let reloading = self.reloading.bind(py);
        if let Some(current) = reloading.get_item(&name)? {
            return Ok(current);
        }
        reloading.set_item(&name, module)?;
        let result = (|| -> PyResult<Bound<'py, PyAny>> {
            let parent = names::parent(&name_str);
            let pkgpath = if parent.is_empty() {
                None
            } else {
                let Some(parent_module) = Self::modules_get(&modules, &PyString::new(py, parent))?
                else {
                    return Err(import_error(
                        py,
                        &format!("parent {} not in sys.modules", repr_str(parent)),
                        Some(parent),
                        None,
                    ));
                };
                Some(parent_module.getattr(intern!(py, "__path__"))?)
            };
            let spec = self.find_spec(py, &name, pkgpath.as_ref(), Some(module))?;
            let Some(spec) = spec else {
                return Err(module_not_found(
                    py,
                    &format!("spec not found for the module {}", repr_str(&name_str)),
                    &name_str,
                ));
            };
            module.setattr(intern!(py, "__spec__"), &spec)?;
            self.exec_spec(py, &spec, module)?;
            self.modules(py)?.get_item(&name)
        })();
        let _ = reloading.del_item(&name);
        result
    }

    /// Mirrors `importlib._bootstrap._exec`: run a spec's loader over an existing module.
    pub(crate) fn exec_spec(
        &self,
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        module: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let name = spec.getattr(intern!(py, "name"))?.cast_into::<PyString>()?;
        let name_str = name.to_str()?.to_owned();
        let _guard = self
            .locks
            .acquire(py, &name_str)
            .map_err(|d| deadlock_error(py, d))?;
        let modules = self.modules(py)?;
        if !matches!(Self::modules_get(&modules, &name)?, Some(m) if m.is(module)) {
            return Err(import_error(
                py,
                &format!("module {} not in sys.modules", repr_str(&name_str)),
                Some(&name_str),
                None,
            ));
        }
        let result = (|| -> PyResult<()> {
            let loader = spec.getattr(intern!(py, "loader"))?;
            if loader.is_none()
                && spec
                    .getattr(intern!(py, "submodule_search_locations"))?
                    .is_none()
            {
                return Err(import_error(py, "missing loader", Some(&name_str), None));
            }
            init_module_attrs(py, spec, module, true)?;
            if loader.is_none() {
                return Ok(());
            }
            if loader.is_instance_of::<SharedImporter>() {
                return Ok(());
            }
            if !loader.hasattr(intern!(py, "exec_module"))? {
                warn_load_module_fallback(py, &loader)?;
                if is_legacy_zipimporter(py, &loader)? {
                    self.zip_load_module(py, &loader, &name)?;
                } else {
                    loader.call_method1(intern!(py, "load_module"), (&name,))?;
                }
            } else {
                loader.call_method1(intern!(py, "exec_module"), (module,))?;
            }
            Ok(())
        })();
        let modules = self.modules(py)?;
        if let Ok(current) = modules.call_method1(intern!(py, "pop"), (&name,)) {
            modules.set_item(&name, current)?;
        }
        result
    }
}
