//! File watching for the dev-loop reloader (`importspace.Reloader`, `python -m importspace run
//! --reload`).
//!
//! - `changes`: pure Rust, no pyo3: which paths a reloader cares about (`WatchSet`: exact files,
//!   and directory trees with editor and cache debris left out) and how the events of one burst
//!   of writes fold into one list of changes (`Changes`);
//! - `python`: the `FileWatcher` class, over the `notify` crate (inotify, FSEvents, kqueue,
//!   ReadDirectoryChangesW) and `notify-debouncer-full`, whose blocking `wait` runs detached from
//!   the interpreter;
//! - `interrupt`: `raise_in_thread`, which stops a program the reloader runs in a thread other
//!   than the main one.
//!
//! See docs/reload.md.

pub mod changes;
pub mod interrupt;
pub mod python;
