//! What an extension module's definition (`PyModuleDef`) says: single-phase or multi-phase
//! initialisation, whether a load handed back a module made before, and its
//! `PyState_FindModule` registration.

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule, PyWeakrefReference};

use crate::runtime::runtime;

/// Extension modules made by namespaced loads in this process: file → weak references to the
/// module and to the `Importer` of the namespace it was made for.
static MADE_EXTENSION_MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Where the module an extension's create step returned was made before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeBefore {
    /// A new module object.
    No,
    /// The host's module of that name (3.9 hands back a single-phase module's one object).
    ByTheHost,
    /// The very object an earlier load of the same file made for another namespace.
    ByAnotherNamespace,
    /// The very object an earlier load of the same file made for this namespace.
    ByThisNamespace,
}

/// Classify `created`, the module an extension's create step returned for `spec` in the
/// namespace whose `Importer` is `maker`, and remember a new one as made for its file.
pub fn extension_module_made_before(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    created: &Bound<'_, PyAny>,
    maker: &Bound<'_, PyAny>,
) -> PyResult<MadeBefore> {
    let name = spec.getattr(intern!(py, "name"))?;
    if runtime(py)
        .host_modules(py)?
        .get_item(&name)?
        .is_some_and(|host| host.is(created))
    {
        return Ok(MadeBefore::ByTheHost);
    }
    let origin = spec.getattr(intern!(py, "origin"))?;
    if origin.is_none() {
        return Ok(MadeBefore::No);
    }
    let made = MADE_EXTENSION_MODULES
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    if let Some(record) = made.get_item(&origin)? {
        let (module, made_for): (Bound<'_, PyAny>, Bound<'_, PyAny>) = record.extract()?;
        if module.call0()?.is(created) {
            return Ok(if made_for.call0()?.is(maker) {
                MadeBefore::ByThisNamespace
            } else {
                MadeBefore::ByAnotherNamespace
            });
        }
    }
    if let (Ok(module), Ok(made_for)) = (
        pyo3::types::PyWeakrefReference::new(created),
        pyo3::types::PyWeakrefReference::new(maker),
    ) {
        made.set_item(&origin, (module, made_for))?;
    }
    Ok(MadeBefore::No)
}

/// `m_size == -1`: a single-phase module that supports no re-initialisation.
pub fn is_single_phase(module: &Bound<'_, PyAny>) -> bool {
    module_def(module).is_some_and(|def| def.m_size == -1)
}

/// The `PyModuleDef` a module was made from (`PyModule_GetDef`); None for a module made
/// without one, or an object that is not a module.
fn module_def(module: &Bound<'_, PyAny>) -> Option<&'static ffi::PyModuleDef> {
    if !module.is_instance_of::<PyModule>() {
        return None;
    }
    // SAFETY: `module` is a module, so `PyModule_GetDef` sets no error; it returns NULL or a
    // def, which extension modules keep in static storage for the life of the process.
    unsafe { ffi::PyModule_GetDef(module.as_ptr()).as_ref() }
}

/// Whether `module` was made by single-phase initialisation (`PyInit_*` returning the module;
/// its definition has no `m_slots`), as opposed to PEP 489 multi-phase initialisation.
pub fn has_single_phase_init(module: &Bound<'_, PyAny>) -> bool {
    module_def(module).is_some_and(|def| def.m_slots.is_null())
}

/// Definition address → `(weak reference to the module last loaded for it through a
/// namespace, that namespace's key)`, for single-phase modules with module state (see
/// `replaced_state_registration`).
static STATE_REGISTRATIONS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// A single-phase extension module with module state (`m_size >= 0`, no `m_slots`) is
/// registered as the process's one module of its definition each time it initialises
/// (`import.c` `_PyState_AddModule`), and its C code finds its state with `PyState_FindModule`.
/// So an initialisation in one namespace takes the state from under another namespace's (or
/// the host's) module of that definition (protobuf's `google._upb._message`: a segmentation
/// fault when the first namespace's messages are used). When `module`, just loaded by the
/// namespace identified by `namespace_key`, displaced such a module that is still alive, that
/// one is registered again and true is returned, so the load can be refused. Displacing this
/// namespace's own earlier module is what CPython does on a reload, and is left alone.
pub fn replaced_state_registration(
    py: Python<'_>,
    module: &Bound<'_, PyAny>,
    namespace_key: usize,
) -> PyResult<bool> {
    let Some(def) = module_def(module) else {
        return Ok(false);
    };
    if def.m_size < 0 || !def.m_slots.is_null() {
        return Ok(false);
    }
    let registrations = STATE_REGISTRATIONS
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    let key = std::ptr::from_ref(def) as usize;
    let mut previous = None;
    if let Some(entry) = registrations.get_item(key)? {
        let (weak, owner): (Bound<'_, PyWeakrefReference>, usize) = entry.extract()?;
        previous = weak
            .upgrade()
            .filter(|earlier| !earlier.is(module) && owner != namespace_key);
    }
    if previous.is_none() {
        for (_, candidate) in runtime(py).host_modules(py)?.iter() {
            let same = !candidate.is(module)
                && module_def(&candidate).is_some_and(|other| std::ptr::eq(other, def));
            if same {
                previous = Some(candidate);
                break;
            }
        }
    }
    match previous {
        Some(previous) => {
            // SAFETY: `previous` is a live module made from `def`; re-registering it undoes
            // what the new initialisation's `_PyState_AddModule` did.
            if unsafe {
                ffi::PyState_AddModule(previous.as_ptr(), std::ptr::from_ref(def).cast_mut())
            } < 0
            {
                return Err(PyErr::fetch(py));
            }
            Ok(true)
        }
        None => {
            registrations.set_item(key, (PyWeakrefReference::new(module)?, namespace_key))?;
            Ok(false)
        }
    }
}
