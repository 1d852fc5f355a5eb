//! Loads under a small Python frame of their own while tracemalloc traces.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::runtime::runtime;

/// The load of `name` by `importer` (its `_find_and_load_here`), from a small Python frame of
/// its own (`importspace._loaders.load_in_own_frame`), for when tracemalloc traces.
///
/// tracemalloc gives every allocation the line number of the innermost Python frame, found by
/// walking that code's line table. Without a frame of its own, a load's allocations would
/// all walk the importing module's table, which costs time in proportion to the module's
/// size per allocation (a module of 2,000 imports: 12.4 s, and 0.44 s with the frame;
/// docs/performance.md).
pub(crate) fn load_in_own_frame<'py>(
    py: Python<'py>,
    importer: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let load = importer.getattr(intern!(py, "_find_and_load_here"))?;
    runtime(py)
        .load_in_own_frame
        .bind(py)
        .call1((load, name))
        .map_err(|err| without_own_frame(py, err))
}

/// `err` without the traceback entry of the `load_in_own_frame` frame it came through: tracebacks of failed imports look the same with tracemalloc on and off (CPython
/// leaves its own importlib frames out of them too).
pub(crate) fn without_own_frame(py: Python<'_>, err: PyErr) -> PyErr {
    if let Some(tb) = err.traceback(py) {
        let is_own_frame = tb
            .getattr(intern!(py, "tb_frame"))
            .and_then(|f| f.getattr(intern!(py, "f_code")))
            .and_then(|c| c.getattr(intern!(py, "co_name")))
            .is_ok_and(|n| n.eq("load_in_own_frame").unwrap_or(false));
        if is_own_frame {
            if let Ok(next) = tb.getattr(intern!(py, "tb_next")) {
                let value = err.value(py).clone();
                if value.setattr(intern!(py, "__traceback__"), next).is_ok() {
                    // Rebuilt from the value: a `PyErr` may keep its traceback apart from it.
                    return PyErr::from_value(value.into_any());
                }
            }
        }
    }
    err
}
