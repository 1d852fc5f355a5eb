//! importspace: isolated import namespaces for CPython, with the import machinery in Rust.
//!
//! Layers, from the bottom up (see docs/architecture.md):
//! - `core`: the pure-Rust pieces (names, pyc headers, paths, listings, source decoding);
//! - `errors`, `runtime` (the host interpreter's objects), `fsio`, `locks`, `codecache`;
//! - `import`: the import system of one namespace, one file per importlib concept;
//! - `namespace`: the public `Namespace`;
//! - `watch`: the file watcher of the dev-loop reloader (`importspace.Reloader`).

mod codecache;
pub mod core;
mod errors;
mod fsio;
pub mod graph;
mod import;
mod locks;
mod namespace;
mod prefetch;
mod runtime;
pub mod version;
mod watch;

use pyo3::prelude::*;

#[pymodule]
mod _native {
    #[pymodule_export]
    use crate::codecache::{clear_code_cache, code_cache_info, set_code_cache_limits};
    #[pymodule_export]
    use crate::graph::python::{build_import_graph, GraphModule, ImportEdge, ImportGraph};
    #[pymodule_export]
    use crate::import::extension::overlay::ThreadRedirect;
    #[pymodule_export]
    use crate::import::finder::{FileFinder, FileFinderHook, PathFinder};
    #[pymodule_export]
    use crate::import::loader::{
        ExtensionFileLoader, FileLoader, SourceFileLoader, SourcelessFileLoader,
    };
    #[pymodule_export]
    use crate::import::namespace_path::NamespacePath;
    #[pymodule_export]
    use crate::import::shared::SharedImporter;
    #[pymodule_export]
    use crate::import::{Importer, NamespaceClosedError};
    #[pymodule_export]
    use crate::namespace::Namespace;
    #[pymodule_export]
    use crate::prefetch::Prefetch;
    #[pymodule_export]
    use crate::watch::interrupt::raise_in_thread;
    #[pymodule_export]
    use crate::watch::python::FileWatcher;

    use pyo3::prelude::*;

    /// Panics in Rust. It exists for the test that a panic reaches Python as an exception
    /// (pyo3's `PanicException`, a `BaseException`), never as an abort of the process; built
    /// only with the `test-hooks` feature.
    #[cfg(feature = "test-hooks")]
    #[pyfunction]
    fn _panic_for_tests(message: &str) {
        panic!("{message}");
    }

    /// Refuses a CPython minor version the version table has no row for, with the table's
    /// message, before anything else runs; exports the row the Python side reads as `VERSION`
    /// (`importspace/_version.py`).
    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let minor = m.py().version_info().minor;
        let row = crate::version::for_minor(minor)
            .map_err(|unknown| pyo3::exceptions::PyImportError::new_err(unknown.to_string()))?;
        let view = pyo3::types::PyDict::new(m.py());
        for (name, value) in crate::version::python_view(row) {
            view.set_item(name, value)?;
        }
        m.add("VERSION", view)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}

#[allow(unused_imports)]
use _native as _;

/// The extension's Rust allocations go through mimalloc (docs/decisions.md); Python objects keep
/// CPython's allocator, and no block is freed by the other one.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
