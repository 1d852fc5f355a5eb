//! `Prefetch`, what the experiment of issue 13 kept: a native thread, without the interpreter
//! lock, reads ahead the files an import will need while the importing thread runs module
//! bodies, so that their bytes are in the kernel's page cache when the loader asks.
//!
//! It takes module files in the order the import will first need them (a static graph's
//! `ImportGraph.import_files`, saved by an earlier run). For each, it lists the file's directory
//! once and stats the file (the finder's work), then reads the file the loader would read: a
//! source's pyc (`cache_from_source`), a sourceless pyc, an extension's binary (which `dlopen`
//! maps). The bytes are dropped: the engine reads and validates every file as it always does,
//! so a prefetch can make an import faster or slower but never change what it loads.
//!
//! It pays only when the files are not in the page cache yet (after a reboot, or when other
//! work pushed them out). docs/performance.md, "Prefetch experiment (issue 13)", has the
//! measurements, and what was tried and dropped: keeping the pycs' bytes for the loader, and a
//! graph built on the thread itself.

use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::listing;
use crate::core::paths::{self, CacheSettings};

/// What the thread did, read by `Prefetch.stats()`.
#[derive(Default)]
struct Progress {
    cancel: AtomicBool,
    files: AtomicUsize,
    bytes: AtomicU64,
    /// Milliseconds from the start to the last file; 0 while it runs.
    total_ms: AtomicU64,
}

/// The file the loader of module file `file` reads: a source's pyc, else the file itself.
fn file_to_read(file: String, settings: &CacheSettings, cwd: &str) -> String {
    if file.ends_with(".py") {
        if let Ok(pyc) = paths::cache_from_source(&file, settings, || cwd.to_owned()) {
            return pyc;
        }
    }
    file
}

/// The thread's loop: list, stat and read each file in turn, until done or cancelled. Files
/// that cannot be read are passed over: the import meets them as it would have anyway.
fn run(files: Vec<String>, settings: CacheSettings, cwd: String, progress: &Progress) {
    let started = Instant::now();
    let mut listed: HashSet<String> = HashSet::new();
    let mut buffer = Vec::new();
    for file in files {
        if progress.cancel.load(Ordering::Relaxed) {
            break;
        }
        let (dir, _) = paths::split(&file);
        if listed.insert(dir.to_owned()) {
            let _ = listing::dir_stamp(dir);
            let _ = listing::read_names(dir);
        }
        let _ = std::fs::metadata(&file);
        let target = file_to_read(file, &settings, &cwd);
        buffer.clear();
        let read = std::fs::File::open(&target).and_then(|mut f| f.read_to_end(&mut buffer));
        if let Ok(size) = read {
            progress.files.fetch_add(1, Ordering::Relaxed);
            progress.bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
    }
    let elapsed = started.elapsed().as_millis().max(1) as u64;
    progress.total_ms.store(elapsed, Ordering::Relaxed);
}

/// Reads ahead, on a thread of its own, the files an import will need (see the module docs).
/// `close()`, or the end of its `with` block, stops the thread.
#[pyclass(name = "Prefetch", module = "importspace", frozen)]
pub struct Prefetch {
    progress: Arc<Progress>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Prefetch {
    /// Wait for the thread, with the interpreter lock released.
    fn join(&self, py: Python<'_>) {
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = py.detach(|| thread.join());
        }
    }
}

#[pymethods]
impl Prefetch {
    /// Start reading ahead `files`: module files (`.py`, `.pyc`, extensions) in the order the
    /// import will first need them. A `.py` file's pyc is read under the `cache_from_source`
    /// settings of now.
    #[new]
    fn new(py: Python<'_>, files: Vec<std::path::PathBuf>) -> PyResult<Self> {
        let files: Vec<String> = files
            .into_iter()
            .filter_map(|f| f.into_os_string().into_string().ok())
            .collect();
        let settings = crate::import::loader::cache_settings(py)?;
        let cwd = crate::fsio::getcwd(py).unwrap_or_default();
        let progress = Arc::new(Progress::default());
        let shared = Arc::clone(&progress);
        let thread = std::thread::Builder::new()
            .name("importspace-prefetch".to_owned())
            .spawn(move || run(files, settings, cwd, &shared))
            .map_err(|err| {
                PyRuntimeError::new_err(format!("cannot start the prefetch thread: {err}"))
            })?;
        Ok(Prefetch {
            progress,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Wait until the thread has read every file.
    fn wait(&self, py: Python<'_>) {
        self.join(py);
    }

    /// Stop the thread after the file it is reading, and wait for it.
    fn close(&self, py: Python<'_>) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        self.join(py);
    }

    /// True once the thread has finished (every file read, or stopped).
    #[getter]
    fn done(&self) -> bool {
        self.progress.total_ms.load(Ordering::Relaxed) > 0
    }

    /// What the thread did so far: `files` and `bytes` read, and `total_ms`, the milliseconds
    /// it took (0 while it runs).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.progress;
        let stats = PyDict::new(py);
        stats.set_item("files", p.files.load(Ordering::Relaxed))?;
        stats.set_item("bytes", p.bytes.load(Ordering::Relaxed))?;
        stats.set_item("total_ms", p.total_ms.load(Ordering::Relaxed))?;
        Ok(stats)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        let p = &self.progress;
        let state = if p.total_ms.load(Ordering::Relaxed) > 0 {
            "done"
        } else {
            "running"
        };
        format!(
            "<Prefetch {state}: {} files read>",
            p.files.load(Ordering::Relaxed)
        )
    }
}

impl Drop for Prefetch {
    /// Dropped without `close()`: the thread stops after its current file, on its own.
    fn drop(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
    }
}
