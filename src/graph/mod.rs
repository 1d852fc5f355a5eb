//! The static import graph: what a package will import, read from its files without running them.
//!
//! - `decode`: a file's bytes to text, as the source loader decodes them (PEP 263, BOM);
//! - `extract`: the import sites of one module's source, with their context (ruff's parser);
//! - `resolve`: module names to files, by the finder rules the namespace's own engine uses
//!   (`core::finder`);
//! - `model`: the graph itself and its questions (cycles, paths, upstream, downstream);
//! - `build`: the walk from the roots, parsing in parallel outside the GIL;
//! - `python`: the `ImportGraph` class `Namespace.import_graph` returns.
//!
//! See docs/graph.md.

pub mod build;
pub mod decode;
pub mod extract;
pub mod model;
pub mod python;
pub mod resolve;
