//! The bottom of the import system: the `Importer` of one namespace and its `sys`-like state
//! (`modules`, `path`, `meta_path`, `path_hooks`, `path_importer_cache`).
//!
//! Every read of that state goes through `sys_item`, with one error rule: a missing key is the
//! `AttributeError` CPython's importlib gets reading a deleted `sys` attribute
//! (`module 'sys' has no attribute 'path_hooks'`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::exceptions::{PyAttributeError, PyImportError, PyKeyError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::import_log::ImportLog;
use crate::core::names;
use crate::locks::{Deadlock, LockTable};
use crate::runtime::runtime;

/// `sys.<key>` of a namespace whose `sys`-like dict is `state`: the one reader of that state.
/// Mirrors what importlib's `sys.modules`, `sys.meta_path`, ... attribute reads do, so a key
/// the user deleted raises as it does natively.
pub fn sys_item<'py>(
    state: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    state.get_item(key)?.ok_or_else(|| {
        PyAttributeError::new_err(format!(
            "module 'sys' has no attribute {}",
            key.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

pyo3::create_exception!(
    importspace,
    NamespaceClosedError,
    pyo3::exceptions::PyRuntimeError,
    "Raised when a closed namespace is asked to import."
);

/// The import system of one namespace: its `sys`-like state, its builtins and its locks.
///
/// `__import__` is a bound method of this object, stored in the namespace's builtins dict.
#[pyclass(name = "Importer", module = "importspace", frozen, weakref)]
pub struct Importer {
    /// `modules`, `path`, `meta_path`, `path_hooks` and `path_importer_cache`.
    pub state: Py<PyDict>,
    /// The namespace's `sys` face, whose `__dict__` is `state`.
    pub(crate) sys: Py<PyAny>,
    /// The dict every namespaced module gets as `__builtins__`.
    pub builtins_dict: Py<PyDict>,
    pub label: String,
    pub(crate) locks: LockTable,
    pub(crate) closed: AtomicBool,
    /// Whether this namespace loaded an extension module, and so counts among the namespaces
    /// that compiled code's run-time imports are routed to (`overlay::route_compiled_imports`).
    pub(crate) routes_compiled_imports: AtomicBool,
    /// How many module bodies of this namespace are executing now (any thread): while none
    /// is, no module is partially initialised and `bind_chain_for_import_from` has nothing to do.
    pub(crate) loading: AtomicUsize,
    /// `importlib._RELOADING`.
    pub(crate) reloading: Py<PyDict>,
    /// Dotted name → its top-level name, interned: `import a.b.c` returns `a`, and the
    /// statement passes the same name object each time, so the top name is one identity-hit
    /// lookup away instead of a new string (and a by-content key comparison) per statement.
    pub(crate) top_names: Py<PyDict>,
    /// A weak reference to the `Namespace` this importer serves, for `namespace_of`.
    pub(crate) owner: pyo3::sync::PyOnceLock<Py<PyAny>>,
    /// `Namespace.record_imports` / `import_log` (`import_log.rs`).
    pub(crate) import_log: ImportLog,
}

/// The `_DeadlockError` of the host's `_bootstrap`, with the lock table's message.
pub(crate) fn deadlock_error(py: Python<'_>, deadlock: Deadlock) -> PyErr {
    match runtime(py)
        .deadlock_error
        .bind(py)
        .call1((deadlock.message(),))
    {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

impl Importer {
    /// A closed-over importer for a namespace whose `sys` face is `sys` and whose `sys`-like
    /// dict is `state`.
    pub fn new(
        py: Python<'_>,
        sys: Py<PyAny>,
        state: Py<PyDict>,
        builtins_dict: Py<PyDict>,
        label: String,
    ) -> Self {
        Importer {
            state,
            sys,
            builtins_dict,
            label,
            locks: LockTable::new(),
            closed: AtomicBool::new(false),
            routes_compiled_imports: AtomicBool::new(false),
            loading: AtomicUsize::new(0),
            reloading: PyDict::new(py).unbind(),
            top_names: PyDict::new(py).unbind(),
            owner: pyo3::sync::PyOnceLock::new(),
            import_log: ImportLog::new(),
        }
    }

    /// Remember the namespace (by weak reference) this importer serves; set once.
    pub fn adopt(&self, py: Python<'_>, namespace: &Bound<'_, PyAny>) -> PyResult<()> {
        let weak = pyo3::types::PyWeakrefReference::new(namespace)?;
        let _ = self.owner.set(py, weak.into_any().unbind());
        Ok(())
    }

    /// Mark closed: no import runs in this namespace again. True when the namespace had
    /// routed compiled code's imports, which its closing must stop (`Importer::close`).
    pub(crate) fn mark_closed(&self) -> bool {
        self.closed.store(true, Ordering::SeqCst);
        self.routes_compiled_imports.swap(false, Ordering::AcqRel)
    }

    /// Whether `close` ran.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// `NamespaceClosedError` once closed.
    pub(crate) fn check_open(&self) -> PyResult<()> {
        if self.is_closed() {
            Err(NamespaceClosedError::new_err(format!(
                "namespace {} is closed",
                self.label
            )))
        } else {
            Ok(())
        }
    }

    /// How many module locks exist now (tests check none leak).
    pub fn live_locks(&self) -> usize {
        self.locks.live_locks()
    }

    /// `sys.<key>` of this namespace (see `sys_item`).
    pub fn state_item<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        sys_item(self.state.bind(py), key)
    }

    /// The namespace's `sys.modules`.
    pub fn modules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.state_item(py, intern!(py, "modules"))
    }

    /// The importer whose `__import__` a builtins dict holds, if it is a namespace's.
    pub fn owner_of_builtins<'py>(
        py: Python<'py>,
        builtins: &Bound<'py, PyDict>,
    ) -> Option<Bound<'py, Importer>> {
        builtins
            .get_item(intern!(py, "__import__"))
            .ok()
            .flatten()
            .and_then(|import| import.getattr(intern!(py, "__self__")).ok())
            .and_then(|owner| owner.cast_into::<Importer>().ok())
    }

    /// Whether this namespace has a module `name` of its own (not the host's object).
    pub fn has_own_module(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        host_module: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let Ok(modules) = self.modules(py) else {
            return Ok(false);
        };
        Ok(Self::modules_get(&modules, name)?
            .is_some_and(|module| !module.is_none() && !host_module.is_some_and(|h| h.is(&module))))
    }

    /// `modules.get(name)` for a `sys.modules` of any mapping type.
    pub(crate) fn modules_get<'py>(
        modules: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Ok(dict) = modules.cast::<PyDict>() {
            return dict.get_item(name);
        }
        match modules.get_item(name) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is_instance_of::<PyKeyError>(modules.py()) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `modules.pop(name, None)` for a `sys.modules` of any mapping type.
    pub(crate) fn modules_remove(
        modules: &Bound<'_, PyAny>,
        name: &Bound<'_, PyString>,
    ) -> PyResult<()> {
        match modules.del_item(name) {
            Ok(()) => Ok(()),
            Err(err) if err.is_instance_of::<PyKeyError>(modules.py()) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// `__import__`'s owner: this importer as a Python object.
    pub(crate) fn importer_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.builtins_dict
            .bind(py)
            .get_item(intern!(py, "__import__"))?
            .ok_or_else(|| PyImportError::new_err("__import__ not found"))?
            .getattr(intern!(py, "__self__"))
    }

    /// Undo a binding `_handle_fromlist` made early (see `bind_loading_child`) when the child's
    /// load fails, so no parent attribute is left, as natively.
    pub(crate) fn unbind_from_parent(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        module: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let name_str = name.to_str()?;
        let parent = names::parent(name_str);
        if parent.is_empty() {
            return Ok(());
        }
        let modules = self.modules(py)?;
        let Some(parent_module) = Self::modules_get(&modules, &PyString::new(py, parent))? else {
            return Ok(());
        };
        let child = names::tail(name_str);
        if let Ok(bound) = parent_module.getattr(child) {
            if bound.is(module) {
                let _ = parent_module.delattr(child);
            }
        }
        Ok(())
    }
}
