//! `importspace._native.raise_in_thread`: how the reloader stops a program running in a thread
//! that is not the main one (`Reloader.start`), without `ctypes` in the host.

use std::os::raw::c_long;

use pyo3::exceptions::{PyBaseException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Mirrors `PyThreadState_SetAsyncExc`: make the thread with `threading` ident `thread_id`
/// raise `exc_type` (a `BaseException` subclass) the next time it runs Python bytecode; `None`
/// withdraws an exception set this way that has not been raised yet. Returns how many threads
/// were affected (0 when no thread has that ident). A thread blocked in a system call raises
/// it only once the call returns.
#[pyfunction]
#[pyo3(signature = (thread_id, exc_type))]
pub fn raise_in_thread(thread_id: u64, exc_type: Option<&Bound<'_, PyType>>) -> PyResult<usize> {
    let exc = match exc_type {
        Some(exc_type) => {
            if !exc_type.is_subclass_of::<PyBaseException>()? {
                return Err(PyTypeError::new_err(
                    "exc_type must be a BaseException subclass or None",
                ));
            }
            exc_type.as_ptr()
        }
        None => std::ptr::null_mut(),
    };
    // The ident is the C `unsigned long` thread id (`PyThread_get_thread_ident`); pyo3-ffi
    // declares the parameter as `long`, the same width, so the bits pass through unchanged.
    let id = thread_id as c_long;
    // SAFETY: we hold the GIL (the `Bound` arguments prove it, and a pyfunction runs attached);
    // `exc` is a borrowed pointer to a live type object or NULL, both accepted by the function,
    // which takes its own reference.
    let count = unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(id, exc) };
    Ok(usize::try_from(count).unwrap_or(0))
}
