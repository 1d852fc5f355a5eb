//! The import system of one namespace, one file per importlib concept.
//!
//! From the bottom up (no file uses one above it; the finder and the namespace path use each
//! other, as `PathFinder` and `_NamespacePath` do):
//! - `import_log`: the runtime import record (`Namespace.record_imports`), which `state` holds
//!   and `methods` and the `Namespace` write;
//! - `state`: the `Importer` and the namespace's `sys`-like state, read with one error rule;
//! - `spec`: building `ModuleSpec`s, `_init_module_attrs`, and `ModuleSpec`'s properties
//!   computed without a Python call;
//! - `loader`: the source, sourceless and extension loaders, over the code cache;
//! - `finder`, `namespace_path`: `PathFinder`, `FileFinder` and `_NamespacePath`;
//! - `extension`: what keeps an extension module's C code inside its namespace (the overlay,
//!   once-per-process modules, the faces of `_pickle`, `_json` and the import system itself);
//! - `shared`: the meta-path finder that hands host modules into a namespace;
//! - `legacy`: `find_module` and `load_module` support (3.9–3.11 finders, 3.9 zipimport);
//! - `import_from`: the caller-bytecode check that `IMPORT_FROM` needs during circular imports;
//! - `tracemalloc`: the small Python frame a load runs under while tracemalloc traces;
//! - `bootstrap`: the `importlib._bootstrap` algorithm itself; `reload`: `importlib.reload`;
//! - `args`: `__import__`'s and `import_module`'s argument handling, as C parses them;
//! - `methods`: the Python-visible methods of `Importer`.

mod args;
mod bootstrap;
pub mod extension;
pub mod finder;
mod import_from;
mod import_log;
mod legacy;
pub mod loader;
mod methods;
pub mod namespace_path;
mod reload;
pub mod shared;
pub mod spec;
pub mod state;
mod tracemalloc;

pub use args::import_module_args;
pub use state::{Importer, NamespaceClosedError};
