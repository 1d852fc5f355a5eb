//! What C code sees while an extension module initialises inside a namespace.
//!
//! Compiled extensions import from C, and neither C entry point can be pointed at a namespace
//! (docs/isolation.md, "What C code sees"):
//! - `PyImport_Import` (pyo3, pybind11, most hand-written extensions) calls the running frame's
//!   `__import__`, then reads the module from the interpreter's modules dict;
//! - `PyImport_ImportModuleLevelObject` (Cython, mypyc) reads the interpreter's modules dict,
//!   and on a miss calls the host's `_frozen_importlib._find_and_load`.
//!
//! So while an extension loaded into a namespace runs its create and exec steps, the host gets
//! short-lived hooks, undone exactly when the last initialising extension (any thread, any
//! namespace) is done:
//! - every module of the namespace is shown in the interpreter's modules dict, and so is each
//!   module the namespace loads meanwhile; the host's entry, or its absence, is put back
//!   afterwards;
//! - `_frozen_importlib._find_and_load` becomes a `ThreadRedirect`: on an initialising thread
//!   it is that namespace's `_find_and_load`, on every other thread the host's function;
//! - when the running frame's builtins are not the namespace's (host code called
//!   `ns.import_module` on an extension directly), their `__import__` is redirected the same way.
//!
//! No lock is taken: the records are Python dicts touched with the GIL held.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use pyo3::{ffi, intern};
use pyo3::{PyTraverseError, PyVisit};

use crate::import::state::Importer;
use crate::runtime::runtime;

fn current_thread() -> u64 {
    // SAFETY: a plain query of the calling thread's identifier.
    unsafe { ffi::PyThread_get_thread_ident() as u64 }
}

/// Standard-library extension module name → the process's instance of it when its
/// initialisation is single-phase, None when it is multi-phase (see
/// `Importer::stdlib_single_phase_instance`, in `extension`).
static STDLIB_SINGLE_PHASE: pyo3::sync::PyOnceLock<Py<PyDict>> = pyo3::sync::PyOnceLock::new();

/// The registry of `STDLIB_SINGLE_PHASE`.
pub fn stdlib_single_phase_instances(py: Python<'_>) -> &Bound<'_, PyDict> {
    STDLIB_SINGLE_PHASE
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py)
}

/// The host's module `name`, imported by the host's import system if need be; while the
/// overlay hides it (see `hide_host_only`), the host's hidden module.
///
/// Engine code must not use `py.import` (`PyImport_Import`): that calls the running frame's
/// `__import__`, which inside a namespace is the namespace's, and then reads the host's
/// `sys.modules`.
pub fn host_import<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let name = PyString::new(py, name);
    if let Some(module) = hidden_host_module(py, &name)? {
        return Ok(module);
    }
    crate::runtime::host_import_unhidden(py, &name)
}

/// How many extension initialisations are in progress, in all threads and namespaces.
static DEPTH: AtomicUsize = AtomicUsize::new(0);

struct Records {
    /// Host `sys.modules` entries shown differently: name → `(had, previous)`.
    saved: Py<PyDict>,
    /// Thread id → list of `(builtins_dict, find_and_load, import)`, innermost last.
    threads: Py<PyDict>,
    /// `(dict, key, original)` for each redirect installed, to undo at the end.
    redirects: Py<PyList>,
    /// Modules the host's own import system added to its `sys.modules` while the overlay was
    /// set aside (`outside_overlay`): name → module. They are the host's, not the extension's.
    host_added: Py<PyDict>,
}

static RECORDS: PyOnceLock<Records> = PyOnceLock::new();

fn records(py: Python<'_>) -> &'static Records {
    RECORDS.get_or_init(py, || Records {
        saved: PyDict::new(py).unbind(),
        threads: PyDict::new(py).unbind(),
        redirects: PyList::empty(py).unbind(),
        host_added: PyDict::new(py).unbind(),
    })
}

/// The innermost initialisation on this thread: `(builtins_dict, find_and_load, import)`;
/// none while the host imports with the overlay set aside (a `None` on top of the stack).
fn innermost<'py>(py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Some(stack) = records(py).threads.bind(py).get_item(current_thread())? else {
        return Ok(None);
    };
    let stack = stack.cast_into::<PyList>()?;
    match stack.len() {
        0 => Ok(None),
        n => {
            let top = stack.get_item(n - 1)?;
            if top.is_none() {
                Ok(None)
            } else {
                Ok(Some(top.cast_into::<PyTuple>()?))
            }
        }
    }
}

/// This thread's stack of initialisation records, created empty on first use.
fn thread_stack<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
    let threads = records(py).threads.bind(py);
    match threads.get_item(current_thread())? {
        Some(stack) => Ok(stack.cast_into::<PyList>()?),
        None => {
            let stack = PyList::empty(py);
            threads.set_item(current_thread(), &stack)?;
            Ok(stack)
        }
    }
}

/// Pop this thread's innermost record, dropping the stack once it is empty.
fn pop_thread_record(py: Python<'_>, stack: &Bound<'_, PyList>) {
    let _ = stack.call_method0(intern!(py, "pop"));
    if stack.is_empty() {
        let _ = records(py).threads.bind(py).del_item(current_thread());
    }
}

/// Run `import` (an import by the host's own import system: a shared module, `share=`, that the
/// host has not imported yet) with this thread's overlay set aside, so the host's import
/// machinery and the modules it binds are the host's own: `_find_and_load` is the host's on this
/// thread, and every host entry the overlay replaced is put back for the duration. Without this,
/// an extension whose initialisation imports a shared module re-entered the namespace's import
/// for it without end (`RecursionError`), and the host's new module could bind the namespace's.
/// The overlay is shown again afterwards; what the host added meanwhile stays the host's.
/// Mirrors nothing in CPython: there the host is the only import system.
pub fn outside_overlay<'py, T>(
    py: Python<'py>,
    import: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    if DEPTH.load(Ordering::Acquire) == 0 {
        return import();
    }
    let recs = records(py);
    let host = runtime(py).host_modules(py)?;
    let saved = recs.saved.bind(py);
    // name → the namespace's module shown there now; and the names hidden now.
    let shown = PyDict::new(py);
    let hidden = PyList::empty(py);
    for (name, record) in saved.iter() {
        match host.get_item(&name)? {
            Some(module) => shown.set_item(&name, module)?,
            None => hidden.append(&name)?,
        }
        let (had, previous): (bool, Bound<'_, PyAny>) = record.extract()?;
        if had {
            host.set_item(&name, previous)?;
        } else if host.contains(&name)? {
            host.del_item(&name)?;
        }
    }
    let before = host.copy()?;
    let stack = thread_stack(py)?;
    stack.append(py.None())?;
    let result = import();
    pop_thread_record(py, &stack);
    let mut first_error = None;
    let host_added = recs.host_added.bind(py);
    for (name, module) in host.iter() {
        let known = before.get_item(&name)?.is_some_and(|old| old.is(&module));
        if !known {
            if let Err(err) = host_added.set_item(&name, &module) {
                first_error.get_or_insert(err);
            }
        }
    }
    for name in hidden.iter() {
        let rehidden = (|| -> PyResult<()> {
            match host.get_item(&name)? {
                Some(current) => {
                    saved.set_item(&name, (true, current))?;
                    host.del_item(&name)
                }
                None => saved.set_item(&name, (false, py.None())),
            }
        })();
        if let Err(err) = rehidden {
            first_error.get_or_insert(err);
        }
    }
    for (name, module) in shown.iter() {
        let reshown = (|| -> PyResult<()> {
            match host.get_item(&name)? {
                Some(current) => saved.set_item(&name, (true, current))?,
                None => saved.set_item(&name, (false, py.None()))?,
            }
            host.set_item(&name, &module)
        })();
        if let Err(err) = reshown {
            first_error.get_or_insert(err);
        }
    }
    let value = result?;
    match first_error {
        Some(err) => Err(err),
        None => Ok(value),
    }
}

/// Whether the host's own import system added `module` as `name` while the overlay was set
/// aside during the current outermost extension load (see `outside_overlay`).
pub fn added_by_host(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    module: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    Ok(records(py)
        .host_added
        .bind(py)
        .get_item(name)?
        .is_some_and(|added| added.is(module)))
}

/// A callable that, on a thread where a namespaced extension is initialising, is that
/// namespace's function (`slot` of the innermost record), and elsewhere the original.
#[pyclass(name = "ThreadRedirect", module = "importspace", frozen)]
pub struct ThreadRedirect {
    slot: usize,
    original: Py<PyAny>,
}

#[pymethods]
impl ThreadRedirect {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(record) = innermost(py)? {
            return record.get_item(self.slot)?.call(args, kwargs);
        }
        if self.slot == FIND_AND_LOAD_SLOT {
            if let Ok(name) = args.get_item(0) {
                // Another thread's import of a host module hidden while an extension
                // initialises in a namespace: the host's module, not a second copy.
                if let Some(module) = hidden_host_module(py, &name)? {
                    return Ok(module);
                }
                if let Some(importer) = namespace_for_compiled_import(py, &name)? {
                    return importer
                        .as_any()
                        .getattr(intern!(py, "_find_and_load"))?
                        .call(args, kwargs);
                }
                if let Some(instance) = stdlib_instance_for_host(py, &name)? {
                    return Ok(instance);
                }
            }
        }
        self.original.bind(py).call(args, kwargs)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<importspace redirect of {}>",
            self.original.bind(py).repr()?
        ))
    }

    /// The function this stands in for, as `functools.wraps` names it.
    #[getter]
    fn __wrapped__(&self, py: Python<'_>) -> Py<PyAny> {
        self.original.clone_ref(py)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.original)
    }
}

/// The record slot of `_find_and_load` (see `with_overlay`).
const FIND_AND_LOAD_SLOT: usize = 1;

/// Compiled code (Cython, mypyc) imports with `PyImport_ImportModuleLevelObject`, also at run
/// time, long after its module initialised (pydantic 1 imports lazily inside its validators):
/// that reads the interpreter's `sys.modules` and on a miss calls the host's
/// `_frozen_importlib._find_and_load` (`import.c` `import_find_and_load`), never a namespace's.
/// Such a miss belongs to the namespace whose code is running (the current frame's builtins are
/// its) when that namespace has its own module of the name's top-level package; otherwise the
/// host's import goes on. Compiled functions push no frame, so the running frame is the Python
/// code that called into them.
fn namespace_for_compiled_import<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, Importer>>> {
    let Ok(name) = name.cast::<PyString>() else {
        return Ok(None);
    };
    // SAFETY: a borrowed reference to the running frame's builtins (NULL without a frame).
    let frame_builtins = unsafe { Bound::from_borrowed_ptr_or_opt(py, ffi::PyEval_GetBuiltins()) };
    let Some(importer) = frame_builtins
        .and_then(|b| b.cast_into::<PyDict>().ok())
        .and_then(|b| Importer::owner_of_builtins(py, &b))
    else {
        return Ok(None);
    };
    let top = PyString::new(py, crate::core::names::head(name.to_str()?));
    let host_top = runtime(py).host_modules(py)?.get_item(&top)?;
    if importer.get().has_own_module(py, &top, host_top.as_ref())? {
        Ok(Some(importer))
    } else {
        Ok(None)
    }
}

/// How many open namespaces have loaded an extension module (see `route_compiled_imports`).
static ROUTING_NAMESPACES: AtomicUsize = AtomicUsize::new(0);

/// Route compiled code's run-time imports (see `namespace_for_compiled_import`) while a
/// namespace that loaded an extension module is open: the host's
/// `_frozen_importlib._find_and_load` is then a `ThreadRedirect` that calls the original for
/// every import that belongs to no namespace, and it is put back when the last such namespace
/// closes. Called once per namespace, at its first extension load.
pub fn route_compiled_imports(py: Python<'_>) -> PyResult<()> {
    ROUTING_NAMESPACES.fetch_add(1, Ordering::AcqRel);
    let namespace = runtime(py).host_bootstrap.bind(py).dict();
    let Some(original) = namespace.get_item(intern!(py, "_find_and_load"))? else {
        return Ok(());
    };
    if original.is_instance_of::<ThreadRedirect>() {
        return Ok(());
    }
    let hook = ThreadRedirect {
        slot: FIND_AND_LOAD_SLOT,
        original: original.unbind(),
    };
    namespace.set_item(intern!(py, "_find_and_load"), Bound::new(py, hook)?)
}

/// `route_compiled_imports` for a namespace that has not routed yet (`routes` is its flag).
pub fn route_compiled_imports_once(
    py: Python<'_>,
    routes: &std::sync::atomic::AtomicBool,
) -> PyResult<()> {
    if routes.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    route_compiled_imports(py)
}

/// The host's own import of a single-phase standard-library extension module that a namespace
/// loaded first (`Importer::stdlib_single_phase_instance`) gets that instance, which it then
/// holds in its `sys.modules` as natively: initialising it again would register a second
/// instance as its definition's module (`_PyState_AddModule`) and give the namespaces' instance
/// the new one's state (3.9's `_struct` would raise another `struct.error`).
fn stdlib_instance_for_host<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(instance) = stdlib_single_phase_instances(py).get_item(name)? else {
        return Ok(None);
    };
    if instance.is_none() {
        return Ok(None);
    }
    runtime(py).host_modules(py)?.set_item(name, &instance)?;
    Ok(Some(instance))
}

/// A namespace that routed compiled imports closes: the last one puts the host's
/// `_find_and_load` back (unless an extension is initialising, whose end puts it back).
pub fn stop_routing_compiled_imports(py: Python<'_>) -> PyResult<()> {
    if ROUTING_NAMESPACES.fetch_sub(1, Ordering::AcqRel) != 1 || depth() != 0 {
        return Ok(());
    }
    let namespace = runtime(py).host_bootstrap.bind(py).dict();
    if let Some(current) = namespace.get_item(intern!(py, "_find_and_load"))? {
        if let Ok(router) = current.cast::<ThreadRedirect>() {
            namespace.set_item(
                intern!(py, "_find_and_load"),
                router.get().original.bind(py),
            )?;
        }
    }
    Ok(())
}

/// How many extension initialisations are in progress (all threads and namespaces).
pub fn depth() -> usize {
    DEPTH.load(Ordering::Acquire)
}

/// True when a namespaced extension with these builtins is initialising on this thread. One
/// atomic read when none is anywhere.
pub fn active_for(py: Python<'_>, builtins_dict: &Bound<'_, PyDict>) -> bool {
    if DEPTH.load(Ordering::Acquire) == 0 {
        return false;
    }
    matches!(innermost(py), Ok(Some(record)) if record.get_item(0).is_ok_and(|b| b.is(builtins_dict)))
}

/// Record the host's entry for `name` (or its absence) in `records`, the first time only.
fn remember_host_entry(
    py: Python<'_>,
    records: &Bound<'_, PyDict>,
    host: &Bound<'_, PyDict>,
    name: &Bound<'_, PyString>,
) -> PyResult<()> {
    if !records.contains(name)? {
        match host.get_item(name)? {
            Some(previous) => records.set_item(name, (true, previous))?,
            None => records.set_item(name, (false, py.None()))?,
        }
    }
    Ok(())
}

/// Put back each recorded host entry (`name → (had, previous)`); the first error, if any.
fn restore_host_entries(
    host: &Bound<'_, PyDict>,
    entries: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
) -> Option<PyErr> {
    let mut first_error = None;
    for (name, record) in entries {
        let restored = record
            .extract::<(bool, Bound<'_, PyAny>)>()
            .and_then(|(had, previous)| {
                if had {
                    host.set_item(&name, previous)
                } else if host.contains(&name)? {
                    host.del_item(&name)
                } else {
                    Ok(())
                }
            });
        if let Err(err) = restored {
            first_error.get_or_insert(err);
        }
    }
    first_error
}

/// Hide from the interpreter's modules dict every module the namespace has none of, while the
/// outermost extension initialises: compiled code imports with
/// `PyImport_ImportModuleLevelObject`, which takes any module it finds there, so without this
/// an extension initialising in a namespace bound the host's modules of names the namespace
/// had not imported yet (pydantic 1 bound the host's `json`). A miss goes to the namespace's
/// import; what is shared comes from the host through `outside_overlay`.
pub fn hide_host_only(py: Python<'_>, namespace_modules: &Bound<'_, PyDict>) -> PyResult<()> {
    let host = runtime(py).host_modules(py)?;
    let saved = records(py).saved.bind(py);
    let names: Vec<Bound<'_, PyAny>> = host.keys().iter().collect();
    for name in names {
        if namespace_modules.contains(&name)? {
            continue;
        }
        remember_host_entry(py, saved, &host, name.cast::<PyString>()?)?;
        host.del_item(&name)?;
    }
    Ok(())
}

/// The host's module `name` when the overlay hides it now (see `hide_host_only`).
pub fn hidden_host_module<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if DEPTH.load(Ordering::Acquire) == 0 {
        return Ok(None);
    }
    let Some(record) = records(py).saved.bind(py).get_item(name)? else {
        return Ok(None);
    };
    let (had, previous): (bool, Bound<'py, PyAny>) = record.extract()?;
    if !had || runtime(py).host_modules(py)?.contains(name)? {
        return Ok(None);
    }
    Ok(Some(previous))
}

/// Show the namespace's `module` as `name` in the interpreter's modules dict.
pub fn show(py: Python<'_>, name: &Bound<'_, PyString>, module: &Bound<'_, PyAny>) -> PyResult<()> {
    let host = runtime(py).host_modules(py)?;
    remember_host_entry(py, records(py).saved.bind(py), &host, name)?;
    host.set_item(name, module)
}

/// Install `ThreadRedirect(slot)` as `dict[key]`, unless one is already there.
fn redirect(py: Python<'_>, dict: &Bound<'_, PyAny>, key: &str, slot: usize) -> PyResult<()> {
    let original = dict.get_item(key)?;
    if original.is_instance_of::<ThreadRedirect>() {
        return Ok(());
    }
    let hook = ThreadRedirect {
        slot,
        original: original.clone().unbind(),
    };
    dict.set_item(key, Bound::new(py, hook)?)?;
    records(py)
        .redirects
        .bind(py)
        .append((dict, key, original))?;
    Ok(())
}

/// Run `init` (an extension's create or exec step) with the overlay for this namespace.
pub fn with_overlay<'py, T>(
    py: Python<'py>,
    builtins_dict: &Bound<'py, PyDict>,
    importer: &Bound<'py, PyAny>,
    init: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    let recs = records(py);
    let record = (
        builtins_dict,
        importer.getattr(intern!(py, "_find_and_load"))?,
        importer.getattr(intern!(py, "__import__"))?,
    );
    let stack = thread_stack(py)?;
    stack.append(record)?;
    if DEPTH.fetch_add(1, Ordering::AcqRel) == 0 {
        recs.host_added.bind(py).clear();
    }
    let installed = (|| -> PyResult<()> {
        redirect(
            py,
            runtime(py).host_bootstrap.bind(py).dict().as_any(),
            "_find_and_load",
            FIND_AND_LOAD_SLOT,
        )?;
        // SAFETY: a borrowed reference to the running frame's builtins dict.
        let frame_builtins =
            unsafe { Bound::from_borrowed_ptr_or_err(py, ffi::PyEval_GetBuiltins())? };
        if !frame_builtins.is(builtins_dict) {
            redirect(py, &frame_builtins, "__import__", 2)?;
        }
        Ok(())
    })();
    let result = installed.and_then(|()| init());
    pop_thread_record(py, &stack);
    let undone = if DEPTH.fetch_sub(1, Ordering::AcqRel) == 1 {
        undo(py)
    } else {
        Ok(())
    };
    let value = result?;
    undone?;
    Ok(value)
}

/// Put every redirected function and every shown `sys.modules` entry back as it was.
fn undo(py: Python<'_>) -> PyResult<()> {
    let recs = records(py);
    let mut first_error = None;
    let redirects = recs.redirects.bind(py);
    let entries: Vec<Bound<'_, PyAny>> = redirects.iter().collect();
    for entry in entries.iter().rev() {
        let (dict, key, original): (Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>) =
            match entry.extract() {
                Ok(parts) => parts,
                Err(err) => {
                    first_error.get_or_insert(err);
                    continue;
                }
            };
        // The `_find_and_load` redirect stays while compiled imports are routed (a namespace
        // that loaded its first extension during this overlay counts on it).
        let routed = ROUTING_NAMESPACES.load(Ordering::Acquire) > 0
            && dict.is(runtime(py).host_bootstrap.bind(py).dict())
            && key.extract::<&str>().is_ok_and(|k| k == "_find_and_load");
        if routed {
            continue;
        }
        if let Err(err) = dict.set_item(key, original) {
            first_error.get_or_insert(err);
        }
    }
    let _ = redirects.call_method0(intern!(py, "clear"));
    let host = runtime(py).host_modules(py)?;
    let saved = recs.saved.bind(py);
    let entries: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = saved.iter().collect();
    saved.clear();
    if let Some(err) = restore_host_entries(&host, entries) {
        first_error.get_or_insert(err);
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// Names shown in the interpreter's modules dict for one `PyImport_Import` call from C code
/// running in a namespace (outside an extension's initialisation): name → `(had, previous)`.
static TRANSIENT: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
/// Whether `TRANSIENT` holds anything (one atomic read on the import fast path).
static TRANSIENT_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `PyImport_Import` (what `PyImport_ImportModule` and pyo3's `py.import` use; in CPython's
/// own C, e.g. 3.12+'s `typing` helpers behind `Generic` and `TypeVar`) calls the running
/// frame's `__import__`, then reads the module from the interpreter's modules dict. Inside a
/// namespace that read fails, or finds the host's module of that name. So for such a call
/// (recognised by its empty *list* fromlist, docs/isolation.md, "What C code sees") the namespace's module is
/// shown there until the C caller has read it: it is put back at the next call into any
/// namespace's `__import__`, at the next pending-call check of the interpreter (the main
/// thread's next bytecode boundaries), or when a namespace closes, whichever comes first.
pub fn show_for_c_caller(
    py: Python<'_>,
    name: &Bound<'_, PyString>,
    module: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let host = runtime(py).host_modules(py)?;
    if host
        .get_item(name)?
        .is_some_and(|current| current.is(module))
    {
        return Ok(());
    }
    let transient = TRANSIENT
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    remember_host_entry(py, transient, &host, name)?;
    host.set_item(name, module)?;
    if !TRANSIENT_SHOWN.swap(true, Ordering::AcqRel) {
        // SAFETY: a plain C callback with no argument; it runs with the GIL held.
        unsafe { ffi::Py_AddPendingCall(Some(restore_pending), std::ptr::null_mut()) };
    }
    Ok(())
}

extern "C" fn restore_pending(_arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    // SAFETY: pending calls run on a thread attached to the interpreter.
    let py = unsafe { Python::assume_attached() };
    crate::errors::run_c_callback(py, || restore_transient(py));
    0
}

/// Put back what `show_for_c_caller` showed. One atomic read when nothing is shown.
pub fn restore_transient(py: Python<'_>) -> PyResult<()> {
    // A plain load first: this runs at every `__import__`, and a swap would write each time.
    if !TRANSIENT_SHOWN.load(Ordering::Acquire) || !TRANSIENT_SHOWN.swap(false, Ordering::AcqRel) {
        return Ok(());
    }
    let Some(transient) = TRANSIENT.get(py) else {
        return Ok(());
    };
    let transient = transient.bind(py);
    let host = runtime(py).host_modules(py)?;
    let entries: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = transient.iter().collect();
    transient.clear();
    match restore_host_entries(&host, entries) {
        Some(err) => Err(err),
        None => Ok(()),
    }
}
