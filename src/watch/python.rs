//! `importspace._native.FileWatcher`: the reloader's file watcher, over `notify` and
//! `notify-debouncer-full`.
//!
//! The platform's watcher (inotify here) feeds the debouncer, which merges the events of each
//! path over a short window (renames paired, duplicate creations dropped) and hands them over a
//! channel. `wait` then folds batches into one list of changes and returns once the burst has
//! gone quiet for `settle` seconds: an editor's save in several steps, or a `git checkout` of
//! several files, is one restart. It waits detached from the interpreter, in slices, checking
//! for signals between them, so Ctrl-C reaches a main thread waiting here; `close` from another
//! thread ends a wait at the next slice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use super::changes::{Changes, WatchSet};

/// How long the debouncer holds a path's events before handing them over, and how often it
/// looks. Short: `settle` is what merges a burst.
const DEBOUNCE: Duration = Duration::from_millis(20);
const DEBOUNCE_TICK: Duration = Duration::from_millis(10);

/// The longest slice a `wait` spends detached before it checks for signals and `close`.
const SLICE: Duration = Duration::from_millis(50);

/// A burst that never goes quiet (a file written continuously) still ends a `wait` after this
/// many `settle` windows.
const MAX_SETTLE_WINDOWS: u32 = 20;

type PlatformDebouncer = Debouncer<RecommendedWatcher, RecommendedCache>;

/// The platform watcher and what it watches. One mutex, taken detached and never held while
/// calling into Python.
struct Watches {
    debouncer: Option<PlatformDebouncer>,
    set: WatchSet,
    /// Directories watched non-recursively, for the exact files in them.
    dirs: HashSet<PathBuf>,
}

/// Watches files and directory trees and reports their changes, a burst at a time.
#[pyclass(name = "FileWatcher", module = "importspace", frozen)]
pub struct FileWatcher {
    watches: Mutex<Watches>,
    events: Mutex<Receiver<DebounceEventResult>>,
    settle: Duration,
    closed: AtomicBool,
}

fn os_error(error: &notify::Error) -> PyErr {
    match &error.kind {
        notify::ErrorKind::Io(io) => {
            PyOSError::new_err(format!("file watcher: {io}{}", paths_suffix(&error.paths)))
        }
        _ => PyOSError::new_err(format!("file watcher: {error}")),
    }
}

fn paths_suffix(paths: &[PathBuf]) -> String {
    match paths.first() {
        Some(path) => format!(": {}", path.display()),
        None => String::new(),
    }
}

/// `path` made absolute against the current directory, as the reloader's paths are; notify
/// reports events under the path a watch was given.
fn absolute(path: PathBuf) -> PyResult<PathBuf> {
    if path.is_absolute() {
        return Ok(path);
    }
    Ok(std::env::current_dir()?.join(path))
}

impl FileWatcher {
    fn watches(&self) -> PyResult<std::sync::MutexGuard<'_, Watches>> {
        self.watches
            .lock()
            .map_err(|_| PyRuntimeError::new_err("file watcher: a thread panicked while watching"))
    }

    fn check_open(&self) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(PyValueError::new_err("the file watcher is closed"));
        }
        Ok(())
    }
}

#[pymethods]
impl FileWatcher {
    /// `settle`: seconds a burst of changes must stay quiet (counted from its newest event) before
    /// `wait` returns it.
    #[new]
    #[pyo3(signature = (settle = 0.05))]
    fn new(settle: f64) -> PyResult<Self> {
        if !(settle.is_finite() && (0.0..=60.0).contains(&settle)) {
            return Err(PyValueError::new_err(
                "settle must be a number of seconds from 0 to 60",
            ));
        }
        let (sender, receiver) = mpsc::channel();
        let debouncer =
            new_debouncer(DEBOUNCE, Some(DEBOUNCE_TICK), sender).map_err(|e| os_error(&e))?;
        Ok(FileWatcher {
            watches: Mutex::new(Watches {
                debouncer: Some(debouncer),
                set: WatchSet::default(),
                dirs: HashSet::new(),
            }),
            events: Mutex::new(receiver),
            settle: Duration::from_secs_f64(settle),
            closed: AtomicBool::new(false),
        })
    }

    /// Watch one file by its path (made absolute against the current directory). Its
    /// directory is what the platform watches, so a file that is replaced, deleted or created
    /// later is seen. Returns False, watching nothing, when that directory does not exist.
    fn watch_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<bool> {
        self.check_open()?;
        let path = absolute(path)?;
        let Some(dir) = path.parent().map(Path::to_path_buf) else {
            return Err(PyValueError::new_err(format!(
                "not a file path: {}",
                path.display()
            )));
        };
        let mut watches = self.watches()?;
        if !watches.dirs.contains(&dir) && !watches.set.covered_by_tree(&dir) {
            let Watches {
                debouncer, dirs, ..
            } = &mut *watches;
            let debouncer = debouncer.as_mut().ok_or_else(closed)?;
            match py.detach(|| debouncer.watch(&dir, RecursiveMode::NonRecursive)) {
                Ok(()) => {
                    dirs.insert(dir);
                }
                Err(error) if is_not_found(&error) => return Ok(false),
                Err(error) => return Err(os_error(&error)),
            }
        }
        watches.set.add_file(path);
        Ok(true)
    }

    /// Watch a directory recursively (made absolute against the current directory): every
    /// file under it but editor, version-control and bytecode debris. A file path is watched
    /// as `watch_file` does. A path that does not exist is a `FileNotFoundError`.
    fn watch_tree(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.check_open()?;
        let root = absolute(path)?;
        if root.is_file() && self.watch_file(py, root.clone())? {
            return Ok(());
        }
        if !root.is_dir() {
            return Err(pyo3::exceptions::PyFileNotFoundError::new_err((
                2,
                "No such file or directory",
                root.display().to_string(),
            )));
        }
        let mut watches = self.watches()?;
        if watches.set.trees().contains(&root) {
            return Ok(());
        }
        let Watches {
            debouncer,
            dirs,
            set,
        } = &mut *watches;
        let debouncer = debouncer.as_mut().ok_or_else(closed)?;
        py.detach(|| -> Result<(), notify::Error> {
            // The tree's watch covers the directories watched for single files under it.
            let inside: Vec<PathBuf> = dirs
                .iter()
                .filter(|d| d.starts_with(&root))
                .cloned()
                .collect();
            for dir in inside {
                let _ = debouncer.unwatch(&dir);
                dirs.remove(&dir);
            }
            debouncer.watch(&root, RecursiveMode::Recursive)
        })
        .map_err(|e| os_error(&e))?;
        set.add_tree(root);
        Ok(())
    }

    /// The exact files watched, as absolute paths.
    #[getter]
    fn files(&self) -> PyResult<Vec<String>> {
        let watches = self.watches()?;
        let mut files: Vec<String> = watches
            .set
            .files()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        files.sort();
        Ok(files)
    }

    /// The directory trees watched, as absolute paths.
    #[getter]
    fn trees(&self) -> PyResult<Vec<String>> {
        let watches = self.watches()?;
        Ok(watches
            .set
            .trees()
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect())
    }

    /// Wait for changes: block (detached from the interpreter) until a watched path changes,
    /// then until the burst has been quiet for `settle` seconds; return `[(kind, path), ...]`,
    /// one per path in the order they first changed, `kind` one of "added", "modified",
    /// "removed" (and "rescan" with an empty path when the platform lost events). Returns `[]`
    /// when `timeout` seconds pass with no change, or when `close()` is called meanwhile.
    /// Signals are handled between slices of 50 ms, so Ctrl-C interrupts a main thread here.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Vec<(&'static str, String)>> {
        self.check_open()?;
        let start = Instant::now();
        let deadline = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => Some(start + Duration::from_secs_f64(t)),
            Some(_) => {
                return Err(PyValueError::new_err(
                    "timeout must be None or seconds >= 0",
                ))
            }
        };
        let mut changes = Changes::default();
        // Once something changed: when the burst counts as over, and the cap on waiting for that.
        let mut quiet_at: Option<(Instant, Instant)> = None;
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Ok(Vec::new());
            }
            let now = Instant::now();
            let until = match (quiet_at, deadline) {
                (Some((quiet, cap)), _) => quiet.min(cap),
                (None, Some(deadline)) => deadline,
                (None, None) => now + SLICE,
            };
            if now >= until {
                break;
            }
            let slice = (until - now).min(SLICE);
            let received = py.detach(|| match self.events.lock() {
                Ok(events) => events.recv_timeout(slice),
                Err(_) => Err(RecvTimeoutError::Disconnected),
            });
            match received {
                Ok(Ok(batch)) => {
                    // The quiet window runs from the newest relevant event's own time: the
                    // debouncer already held it back for `DEBOUNCE`.
                    let mut newest: Option<Instant> = None;
                    let watches = self.watches()?;
                    for event in &batch {
                        let before = changes.events();
                        if event.need_rescan() {
                            changes.rescan();
                        } else {
                            changes.record(&watches.set, &event.kind, &event.paths);
                        }
                        if changes.events() > before {
                            newest = Some(newest.map_or(event.time, |t| t.max(event.time)));
                        }
                    }
                    drop(watches);
                    if let Some(newest) = newest {
                        let now = Instant::now();
                        let cap = quiet_at.map_or(now + self.settle * MAX_SETTLE_WINDOWS, |q| q.1);
                        let quiet = newest + self.settle;
                        quiet_at = Some((quiet_at.map_or(quiet, |q| q.0.max(quiet)), cap));
                    }
                }
                Ok(Err(errors)) => {
                    if let Some(error) = errors.first() {
                        return Err(os_error(error));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(Vec::new()),
            }
            py.check_signals()?;
        }
        Ok(changes
            .into_vec()
            .into_iter()
            .map(|(path, kind)| (kind.as_str(), path.to_string_lossy().into_owned()))
            .collect())
    }

    /// Stop watching; a `wait` in another thread returns `[]` at its next slice. Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.closed.store(true, Ordering::Release);
        let debouncer = self.watches()?.debouncer.take();
        // Dropping stops the debouncer's thread and the platform watcher's.
        py.detach(move || drop(debouncer));
        Ok(())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn __repr__(&self) -> PyResult<String> {
        let watches = self.watches()?;
        let state = if self.closed.load(Ordering::Acquire) {
            "closed"
        } else {
            "open"
        };
        Ok(format!(
            "<importspace.FileWatcher {state}: {} files, {} trees>",
            watches.set.files().count(),
            watches.set.trees().len()
        ))
    }
}

fn closed() -> PyErr {
    PyValueError::new_err("the file watcher is closed")
}

fn is_not_found(error: &notify::Error) -> bool {
    match &error.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}
