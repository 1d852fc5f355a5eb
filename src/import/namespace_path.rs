//! The search path of a namespace package (PEP 420), recomputed from its parent's path.

use std::sync::Mutex;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::names;
use crate::import::finder::PathFinder;
use crate::import::state::sys_item;

struct Computed {
    path: Py<PyList>,
    last_parent_path: Option<Py<PyTuple>>,
    epoch: u64,
}

/// Mirrors `importlib._bootstrap_external._NamespacePath`, reading the parent's `__path__`
/// from the namespace's modules (or the namespace's `path` for a top-level package).
/// Its repr is `_NamespacePath([...])`, which `importlib.resources` looks for.
#[pyclass(name = "_NamespacePath", module = "importspace", frozen, sequence)]
pub struct NamespacePath {
    name: String,
    finder: Py<PathFinder>,
    computed: Mutex<Computed>,
}

impl NamespacePath {
    pub fn new(
        py: Python<'_>,
        name: &str,
        path: Bound<'_, PyList>,
        finder: Py<PathFinder>,
    ) -> PyResult<Self> {
        let epoch = finder.get().epoch();
        let this = NamespacePath {
            name: name.to_owned(),
            finder,
            computed: Mutex::new(Computed {
                path: path.unbind(),
                last_parent_path: None,
                epoch,
            }),
        };
        let parent = this.parent_path(py)?;
        this.computed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_parent_path = Some(parent.unbind());
        Ok(this)
    }

    /// Mirrors `_NamespacePath._get_parent_path`.
    fn parent_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let finder = self.finder.get();
        let state = finder.state(py);
        let parent = names::parent(&self.name);
        let value = if parent.is_empty() {
            sys_item(state, intern!(py, "path"))?
        } else {
            let modules = sys_item(state, intern!(py, "modules"))?;
            modules.get_item(parent)?.getattr(intern!(py, "__path__"))?
        };
        PyTuple::new(py, value.try_iter()?.collect::<PyResult<Vec<_>>>()?)
    }

    /// The cached fields, held only to read or swap them.
    fn lock_computed(&self) -> std::sync::MutexGuard<'_, Computed> {
        self.computed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mirrors `_NamespacePath._recalculate`.
    fn recalculate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let parent = self.parent_path(py)?;
        let epoch = self.finder.get().epoch();
        // The lock guards only the swap of these fields: comparisons (Python code) and the
        // release of replaced objects (finalizers) happen with it released, so no thread ever
        // waits for the GIL while holding it.
        let (last_epoch, last_parent, current) = {
            let computed = self.lock_computed();
            (
                computed.epoch,
                computed.last_parent_path.as_ref().map(|p| p.clone_ref(py)),
                computed.path.clone_ref(py),
            )
        };
        let unchanged = last_epoch == epoch
            && match last_parent {
                Some(last) => last.bind(py).eq(&parent)?,
                None => false,
            };
        if unchanged {
            return Ok(current.into_bound(py));
        }
        let found = self
            .finder
            .get()
            .get_spec(py, &self.name, parent.as_any())?;
        let mut new_path = current;
        if let Some(spec) = found {
            if spec.getattr(intern!(py, "loader"))?.is_none() {
                let locations = spec.getattr(intern!(py, "submodule_search_locations"))?;
                if locations.is_truthy()? {
                    new_path = locations.cast_into::<PyList>()?.unbind();
                }
            }
        }
        let replaced = {
            let mut computed = self.lock_computed();
            computed.epoch = epoch;
            (
                std::mem::replace(&mut computed.path, new_path.clone_ref(py)),
                computed.last_parent_path.replace(parent.unbind()),
            )
        };
        drop(replaced);
        Ok(new_path.into_bound(py))
    }
}

#[pymethods]
impl NamespacePath {
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.recalculate(py)?.try_iter().map(|it| it.into_any())
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.recalculate(py)?.as_any().get_item(index)
    }

    fn __setitem__(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let path = self.lock_computed().path.clone_ref(py);
        path.bind(py).as_any().set_item(index, value)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.recalculate(py)?.len())
    }

    fn __contains__(&self, py: Python<'_>, item: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.recalculate(py)?.contains(item)
    }

    fn append(&self, py: Python<'_>, item: &Bound<'_, PyAny>) -> PyResult<()> {
        let path = self.lock_computed().path.clone_ref(py);
        path.bind(py).append(item)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("_NamespacePath({})", self.recalculate(py)?.repr()?))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.finder)?;
        if let Ok(computed) = self.computed.try_lock() {
            visit.call(&computed.path)?;
            if let Some(last) = &computed.last_parent_path {
                visit.call(last)?;
            }
        }
        Ok(())
    }
}
