//! The runtime import record of one namespace (`Namespace.record_imports`,
//! `Namespace.import_log`): which module's code imported which module, at which line, in which
//! scope. It is what a static import graph is measured against.
//!
//! # What is recorded
//! Every import that succeeds through the namespace's `__import__` (import statements, and
//! `PyImport_Import` from C), its `_gcd_import` (`importlib.import_module` inside the
//! namespace) and `Namespace.import_module`, found in the namespace's modules already or not.
//! A from-import of a package also records each imported name that is one of its submodules.
//! The imports the engine makes on its own (the parents of `a.b.c`, `find_spec`'s parent) are
//! part of the recorded import, not records of their own. A failed import is not recorded.
//!
//! # Cost
//! While recording is off (the default) the import path pays one relaxed atomic load
//! (`ImportLog::begin`) and reads no frame. While it is on, a recorded import reads its calling
//! frame through the C API (`PyEval_GetFrame`, `PyEval_GetGlobals`, `PyFrame_GetLineNumber`,
//! `PyFrame_GetCode`; no `sys._getframe`), builds one tuple and appends it under a mutex. On
//! 3.11+ `PyEval_GetFrame` creates the caller's frame object if it had none yet (once per
//! frame, as a traceback or `sys._getframe` would).
//!
//! # Order and threads
//! Each import takes a sequence number when it starts (`begin`) and is recorded when it
//! succeeds (`finish`). The log is sorted by that number, so it is in the order the imports
//! started: `a` importing `b` comes before the imports `b`'s body makes. An import that started
//! before recording was last turned on, or that ends after it was turned off, is not recorded.
//! One `std::sync::Mutex` guards the records. As in `codecache.rs`, it is never held across a
//! call into Python nor while a record is released.
//!
//! # What a record holds
//! A tuple of exact `str`, `int`, `bool` and `None` only, so a record is never part of a
//! reference cycle, and `Importer.__traverse__` need not visit the records.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString, PyTuple};

/// The import log of one namespace (a field of its `Importer`).
pub(crate) struct ImportLog {
    /// Whether imports are being recorded: the one thing the import path reads while off.
    on: AtomicBool,
    /// The next import's number (`begin`).
    next_seq: AtomicU64,
    records: Mutex<Records>,
}

#[derive(Default)]
struct Records {
    /// Recording was turned on at least once: the log is a list, not `None`.
    started: bool,
    /// The number of the first import that started after recording was last turned on.
    first_seq: u64,
    entries: Vec<Entry>,
}

struct Entry {
    /// The import's number, then 0 for the import itself and 1, 2, ... for the submodules its
    /// fromlist named.
    key: (u64, usize),
    /// `(importer, imported, line, scope, module_level)`.
    record: Py<PyTuple>,
}

impl ImportLog {
    pub(crate) fn new() -> Self {
        ImportLog {
            on: AtomicBool::new(false),
            next_seq: AtomicU64::new(0),
            records: Mutex::new(Records::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Nothing under the lock can leave the records inconsistent halfway.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called as an import starts: `None` while recording is off (one atomic load, the whole
    /// cost of the log then), else the import's number, to pass to `finish`.
    #[inline]
    pub(crate) fn begin(&self) -> Option<u64> {
        if self.on.load(Ordering::Relaxed) {
            Some(self.next_seq.fetch_add(1, Ordering::Relaxed))
        } else {
            None
        }
    }

    /// `Namespace.record_imports(on)`. Turning it on when it was off starts a new, empty log;
    /// turning it on while on, or off while off, changes nothing; turning it off keeps the log.
    /// The interpreter is attached (`_py`), so the records a new log replaces are released
    /// at once, after the lock.
    pub(crate) fn set(&self, _py: Python<'_>, on: bool) {
        let dropped = {
            let mut records = self.lock();
            if self.on.load(Ordering::SeqCst) == on {
                return;
            }
            if on {
                records.started = true;
                records.first_seq = self.next_seq.load(Ordering::SeqCst);
            }
            self.on.store(on, Ordering::SeqCst);
            if on {
                std::mem::take(&mut records.entries)
            } else {
                Vec::new()
            }
        };
        drop(dropped);
    }

    /// The records as a list of tuples, in the order their imports started; `None` while
    /// recording was never turned on.
    pub(crate) fn records<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let mut entries: Vec<((u64, usize), Py<PyTuple>)> = {
            let records = self.lock();
            if !records.started {
                return Ok(None);
            }
            // `clone_ref` only takes a reference: no Python code runs under the lock.
            records
                .entries
                .iter()
                .map(|entry| (entry.key, entry.record.clone_ref(py)))
                .collect()
        };
        entries.sort_unstable_by_key(|(key, _)| *key);
        PyList::new(py, entries.into_iter().map(|(_, record)| record)).map(Some)
    }

    /// Record the import numbered `seq` (`begin`), which succeeded: the frame that performed it
    /// imported `resolved`, the absolute name the engine imported. `from`, for an import with a
    /// fromlist, is the module the import returned and the fromlist: each name the fromlist
    /// handling bound to a submodule is recorded too, right after. `namespace_builtins` is the
    /// namespace's builtins dict (a frame whose globals hold it runs the namespace's code);
    /// `modules` gives the namespace's `sys.modules`, read only when a fromlist needs it.
    pub(crate) fn finish<'py>(
        &self,
        py: Python<'py>,
        seq: u64,
        namespace_builtins: &Bound<'py, PyDict>,
        resolved: &Bound<'py, PyString>,
        from: Option<(&Bound<'py, PyAny>, &Bound<'py, PyAny>)>,
        modules: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let caller = Caller::read(py, namespace_builtins);
        let mut imported = vec![exact_str(resolved)];
        if let Some((module, fromlist)) = from {
            if !fromlist.is_none() && fromlist.is_truthy()? {
                fromlist_submodules(py, module, fromlist, resolved, &modules()?, &mut imported)?;
            }
        }
        let mut made = Vec::with_capacity(imported.len());
        for (sub, name) in imported.into_iter().enumerate() {
            let record = (
                caller.importer.clone(),
                name,
                caller.line,
                caller.scope.clone(),
                caller.module_level,
            )
                .into_pyobject(py)?;
            made.push(Entry {
                key: (seq, sub),
                record: record.unbind(),
            });
        }
        let refused = {
            let mut records = self.lock();
            if self.on.load(Ordering::SeqCst) && seq >= records.first_seq {
                records.entries.append(&mut made);
            }
            made
        };
        drop(refused);
        Ok(())
    }
}

/// The frame that performed an import, as a record shows it.
struct Caller<'py> {
    /// Its globals' `__name__`, when it runs the namespace's code.
    importer: Option<Bound<'py, PyString>>,
    /// `PyFrame_GetLineNumber`.
    line: Option<i32>,
    /// Its code's `co_name`: `<module>`, a function's or a class's name.
    scope: Option<Bound<'py, PyString>>,
    /// Its code runs with a dict for locals (no `CO_OPTIMIZED`): a module body, a class body,
    /// `exec`'d code; not a function, lambda, generator or (before 3.12) comprehension.
    module_level: bool,
}

impl<'py> Caller<'py> {
    fn unknown() -> Self {
        Caller {
            importer: None,
            line: None,
            scope: None,
            module_level: false,
        }
    }

    /// The innermost Python frame of this thread (`PyEval_GetFrame`): the code that ran the
    /// import statement or called `__import__`. When that frame is `importlib.import_module`'s
    /// own (which calls `_gcd_import` on behalf of its caller), the frame below it.
    fn read(py: Python<'py>, namespace_builtins: &Bound<'py, PyDict>) -> Self {
        // SAFETY: the interpreter is attached (`py`); `PyEval_GetFrame` returns a borrowed
        // reference to this thread's innermost frame, or NULL when no Python code runs.
        let frame = unsafe { Bound::from_borrowed_ptr_or_opt(py, ffi::PyEval_GetFrame().cast()) };
        let Some(mut frame) = frame else {
            return Caller::unknown();
        };
        // SAFETY: as above; `PyEval_GetGlobals` returns the same frame's globals, borrowed.
        let mut globals = unsafe { Bound::from_borrowed_ptr_or_opt(py, ffi::PyEval_GetGlobals()) };
        let mut code = frame_code(&frame);
        let name = globals.as_ref().and_then(|g| global_name(g));
        let is_import_module = name.as_ref().is_some_and(|n| n == "importlib")
            && code
                .getattr(intern!(py, "co_name"))
                .is_ok_and(|n| n.eq("import_module").unwrap_or(false));
        if is_import_module {
            // SAFETY: `frame` is a live frame object; `PyFrame_GetBack` returns a new
            // reference to the frame below it, or NULL.
            let back = unsafe {
                Bound::from_owned_ptr_or_opt(py, ffi::PyFrame_GetBack(frame.as_ptr().cast()).cast())
            };
            let Some(back) = back else {
                return Caller::unknown();
            };
            frame = back;
            globals = frame.getattr(intern!(py, "f_globals")).ok();
            code = frame_code(&frame);
        }
        let importer = globals
            .as_ref()
            .filter(|g| runs_namespace_code(g, namespace_builtins))
            .and_then(|g| global_name(g));
        // SAFETY: `frame` is a live frame object.
        let line = unsafe { ffi::PyFrame_GetLineNumber(frame.as_ptr().cast()) };
        let scope = code
            .getattr(intern!(py, "co_name"))
            .ok()
            .and_then(|n| n.cast_into::<PyString>().ok());
        let module_level = code
            .getattr(intern!(py, "co_flags"))
            .and_then(|f| f.extract::<i32>())
            .is_ok_and(|flags| flags & ffi::CO_OPTIMIZED == 0);
        Caller {
            importer,
            line: (line >= 0).then_some(line),
            scope,
            module_level,
        }
    }
}

/// `PyFrame_GetCode(frame)`.
fn frame_code<'py>(frame: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
    // SAFETY: `frame` is a frame object (from `PyEval_GetFrame` or `PyFrame_GetBack`);
    // `PyFrame_GetCode` returns a new reference to its code object, never NULL.
    unsafe {
        Bound::from_owned_ptr(
            frame.py(),
            ffi::PyFrame_GetCode(frame.as_ptr().cast()).cast(),
        )
    }
}

/// Whether globals belong to code of this namespace: their `__builtins__` is its builtins dict
/// (or its `builtins` module), as for every module it loads and code `exec`'d there.
fn runs_namespace_code(globals: &Bound<'_, PyAny>, namespace_builtins: &Bound<'_, PyDict>) -> bool {
    let Ok(globals) = globals.cast::<PyDict>() else {
        return false;
    };
    match globals.get_item(intern!(globals.py(), "__builtins__")) {
        Ok(Some(builtins)) => {
            builtins.is(namespace_builtins)
                || builtins
                    .cast::<PyModule>()
                    .is_ok_and(|m| m.dict().is(namespace_builtins))
        }
        _ => false,
    }
}

/// `globals['__name__']`, when it is a str.
fn global_name<'py>(globals: &Bound<'py, PyAny>) -> Option<Bound<'py, PyString>> {
    let globals = globals.cast::<PyDict>().ok()?;
    let name = globals.get_item(intern!(globals.py(), "__name__")).ok()??;
    name.cast::<PyString>().ok().map(exact_str)
}

/// An exact `str` with the text of `s` (a `str` subclass could carry references).
fn exact_str<'py>(s: &Bound<'py, PyString>) -> Bound<'py, PyString> {
    if s.is_exact_instance_of::<PyString>() {
        s.clone()
    } else {
        PyString::new(s.py(), &s.to_string_lossy())
    }
}

/// `getattr(module, name, None)`, from the `__dict__` of a module object, so no module
/// `__getattr__` runs.
fn attribute<'py>(
    module: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    match module.cast::<PyModule>() {
        Ok(module) => module.dict().get_item(name).ok().flatten(),
        Err(_) => module.getattr(name).ok(),
    }
}

/// The submodules a from-import of `package` named: for each name of `fromlist` (and of
/// `package.__all__` for `*`), `<package>.<name>` when that is in the namespace's modules and is
/// what `package.<name>` is bound to. Nothing for a module that is not a package, whose fromlist
/// `_handle_fromlist` does not look at.
fn fromlist_submodules<'py>(
    py: Python<'py>,
    package: &Bound<'py, PyAny>,
    fromlist: &Bound<'py, PyAny>,
    resolved: &Bound<'py, PyString>,
    modules: &Bound<'py, PyAny>,
    out: &mut Vec<Bound<'py, PyString>>,
) -> PyResult<()> {
    if attribute(package, intern!(py, "__path__")).is_none() {
        return Ok(());
    }
    let base = attribute(package, intern!(py, "__name__"))
        .and_then(|n| n.cast_into::<PyString>().ok())
        .unwrap_or_else(|| resolved.clone());
    let mut names = Vec::new();
    for item in fromlist.try_iter()? {
        let item = item?;
        if item
            .cast::<PyString>()
            .is_ok_and(|s| s.to_str().is_ok_and(|s| s == "*"))
        {
            if let Some(all) = attribute(package, intern!(py, "__all__")) {
                if let Ok(all) = all.try_iter() {
                    names.extend(all.flatten());
                }
            }
        } else {
            names.push(item);
        }
    }
    for name in names {
        let Ok(name) = name.cast::<PyString>() else {
            continue;
        };
        let full = PyString::new(
            py,
            &format!("{}.{}", base.to_string_lossy(), name.to_string_lossy()),
        );
        let Some(module) = modules.get_item(&full).ok().filter(|m| !m.is_none()) else {
            continue;
        };
        if attribute(package, name).is_some_and(|bound| bound.is(&module)) {
            out.push(full);
        }
    }
    Ok(())
}
