//! importspace: isolated import namespaces for CPython, with the import machinery in Rust.
//!
//! `core` holds the pure-Rust pieces (names, pyc headers, paths, listings); the other modules
//! are the pyo3 edge: the `importlib._bootstrap` algorithm (`importer`), the finders, the
//! loaders, module locks and the public `Namespace`.

mod codecache;
pub mod core;
mod errors;
mod finder;
mod fsio;
mod importer;
mod loader;
mod locks;
mod namespace;
mod nspath;
mod overlay;
mod runtime;
mod shared;
mod spec;
pub mod version;

use pyo3::prelude::*;

#[pymodule]
mod _native {
    #[pymodule_export]
    use crate::codecache::{clear_code_cache, code_cache_info, set_code_cache_limits};
    #[pymodule_export]
    use crate::finder::{FileFinder, FileFinderHook, PathFinder};
    #[pymodule_export]
    use crate::importer::{Importer, NamespaceClosedError};
    #[pymodule_export]
    use crate::loader::{ExtensionFileLoader, FileLoader, SourceFileLoader, SourcelessFileLoader};
    #[pymodule_export]
    use crate::namespace::Namespace;
    #[pymodule_export]
    use crate::nspath::NamespacePath;
    #[pymodule_export]
    use crate::overlay::ThreadRedirect;
    #[pymodule_export]
    use crate::shared::SharedImporter;

    use pyo3::prelude::*;

    /// Panics in Rust. It exists for the test that a panic reaches Python as an exception
    /// (pyo3's `PanicException`, a `BaseException`), never as an abort of the process.
    #[pyfunction]
    fn _panic_for_tests(message: &str) {
        panic!("{message}");
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}

#[allow(unused_imports)]
use _native as _;
