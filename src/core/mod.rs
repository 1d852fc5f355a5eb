//! Pure-Rust cores of the import machinery: no pyo3, unit-tested with `cargo test`.

pub mod finder;
pub mod listing;
pub mod names;
pub mod paths;
pub mod pyc;
pub mod source;
