//! The prefetch experiment of issue 13: while a namespace imports, a native thread without the
//! interpreter lock reads ahead the files the import will need, as the static import graph
//! predicts them.
//!
//! The thread (`Prefetch`) takes a list of module files, or builds the graph of some roots
//! itself first. For each file, in the order an import would first need it (`import_order`),
//! it lists the file's directory once, stats the module file, and reads the pyc the loader
//! would read (a source's `cache_from_source` path, a sourceless pyc, or an extension's binary).
//! That warms the kernel's caches. With `keep`, the bytes of each pyc are also kept in a bounded
//! table (`take`), which the source and sourceless loaders consult, behind the code cache, before
//! reading the disk.
//!
//! A kept pyc is served only to a load whose own `stat()` of that file gives the very stamp
//! (device, inode, size, mtime, ctime) the thread saw on the open file, and only when that
//! stamp is not racy (changed less than `RACY_MARGIN_NS` before the read), so the loader never
//! sees bytes other than those it would read. The thread never calls into Python: a file in a
//! codec only Python knows is left unparsed by its graph. Unmarshalling stays with the loader.
//! docs/performance.md, "Prefetch experiment (issue 13)", has the measurements.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::codecache::{self, FileStamp};
use crate::core::listing;
use crate::core::names::ModuleName;
use crate::core::paths::{self, CacheSettings};
use crate::graph::build::{self, Options};
use crate::graph::extract::Context;
use crate::graph::model::Graph;
use crate::graph::python::resolver_from;
use crate::graph::resolve::{ModuleKind, Resolver};

/// The bound on the bytes kept across every prefetch at once.
const MAX_KEPT_BYTES: usize = 64 << 20;

/// One pyc read ahead: its bytes, the stamp of the open file, and the prefetch that read it.
struct Kept {
    owner: u64,
    stamp: FileStamp,
    data: Vec<u8>,
}

/// The pycs read ahead and not yet served, by path.
#[derive(Default)]
struct Table {
    entries: HashMap<String, Kept>,
    bytes: usize,
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);
/// How many entries `TABLE` holds, so a load with nothing kept never takes the lock.
static KEPT: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// How many loads were served kept bytes, over the process's life.
static SERVED: AtomicUsize = AtomicUsize::new(0);

/// The table; only ever held for in-memory work, never across a call into Python.
fn table() -> MutexGuard<'static, Option<Table>> {
    TABLE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The kept bytes of `path`, when a prefetch read them from the file now stamped `stamp`.
/// The entry is removed either way once asked for.
pub(crate) fn take(path: &str, stamp: &FileStamp) -> Option<Vec<u8>> {
    if KEPT.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let mut guard = table();
    let table = guard.as_mut()?;
    let kept = table.entries.remove(path)?;
    table.bytes -= kept.data.len();
    KEPT.store(table.entries.len(), Ordering::Relaxed);
    let fresh = kept.stamp == *stamp;
    if fresh {
        SERVED.fetch_add(1, Ordering::Relaxed);
    }
    fresh.then_some(kept.data)
}

/// Keep `data` for `path` unless the bound is reached; false when it was not kept.
/// Nothing is kept once `cancel` is set (checked under the table's lock, so `forget` after
/// setting it leaves nothing behind).
fn keep(owner: u64, cancel: &AtomicBool, path: String, stamp: FileStamp, data: Vec<u8>) -> bool {
    let mut guard = table();
    if cancel.load(Ordering::Relaxed) {
        return false;
    }
    let table = guard.get_or_insert_with(Table::default);
    if table.bytes + data.len() > MAX_KEPT_BYTES || table.entries.contains_key(&path) {
        return false;
    }
    table.bytes += data.len();
    table.entries.insert(path, Kept { owner, stamp, data });
    KEPT.store(table.entries.len(), Ordering::Relaxed);
    true
}

/// Drop what prefetch `owner` kept and no load took.
fn forget(owner: u64) {
    let mut guard = table();
    if let Some(table) = guard.as_mut() {
        table.entries.retain(|_, kept| kept.owner != owner);
        table.bytes = table.entries.values().map(|k| k.data.len()).sum();
        KEPT.store(table.entries.len(), Ordering::Relaxed);
    }
}

/// The files of the modules an import of `roots` runs, in the order it first needs them: depth
/// first from each root, a module's parent packages before it, its imports in line order.
/// Imports that do not run with the module body (deferred, `TYPE_CHECKING`, lazy) are left out;
/// optional and conditional ones are kept, as they usually run.
pub fn import_order(graph: &Graph, roots: &[String]) -> Vec<String> {
    let skip = [Context::DEFERRED, Context::TYPE_CHECKING, Context::LAZY];
    let mut imports: Vec<Vec<(u32, usize)>> = vec![Vec::new(); graph.len()];
    for edge in graph.edges() {
        if !skip.iter().any(|flag| edge.context.contains(*flag)) {
            imports[edge.importer].push((edge.line, edge.imported));
        }
    }
    for list in &mut imports {
        list.sort();
    }
    let parent = |index: usize| {
        ModuleName::new(&graph.module(index).name)
            .parent()
            .and_then(|p| graph.index_of(p.as_str()))
    };
    let mut seen = vec![false; graph.len()];
    let mut files = Vec::new();
    let mut stack: Vec<usize> = roots
        .iter()
        .rev()
        .filter_map(|r| graph.index_of(r))
        .collect();
    while let Some(index) = stack.pop() {
        if seen[index] {
            continue;
        }
        if let Some(up) = parent(index).filter(|up| !seen[*up]) {
            stack.push(index);
            stack.push(up);
            continue;
        }
        seen[index] = true;
        let module = graph.module(index);
        if matches!(
            module.kind,
            ModuleKind::Source | ModuleKind::Bytecode | ModuleKind::Extension
        ) {
            files.extend(module.file.clone());
        }
        stack.extend(imports[index].iter().rev().map(|(_, m)| *m));
    }
    files
}

/// Where the thread gets its files.
enum Job {
    /// Module files, in the order they will be needed.
    Files(Vec<String>),
    /// The graph of `roots`, built on the thread with the namespace's search rules.
    Graph {
        resolver: Resolver,
        roots: Vec<String>,
    },
}

/// What the thread did, read by `Prefetch.stats()`.
#[derive(Default)]
struct Progress {
    cancel: AtomicBool,
    files: AtomicUsize,
    bytes: AtomicU64,
    kept: AtomicUsize,
    graph_ms: AtomicU64,
    total_ms: AtomicU64,
}

/// The thread's loop: list, stat and read each file in turn, until done or cancelled.
fn run(
    job: Job,
    settings: CacheSettings,
    cwd: String,
    owner: u64,
    keeping: bool,
    progress: &Progress,
) {
    let started = Instant::now();
    let files = match job {
        Job::Files(files) => files,
        Job::Graph { resolver, roots } => {
            let options = Options {
                follow: true,
                type_checking: false,
            };
            // No Python on this thread: a codec only Python knows leaves that file unparsed.
            let refuse = |codec: &str, _: &[u8]| Err(format!("codec {codec} not read ahead"));
            let graph = match rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("importspace-prefetch-graph-{i}"))
                .build()
            {
                Ok(pool) => pool.install(|| build::build(&resolver, &roots, &options, &refuse)),
                Err(_) => return,
            };
            progress
                .graph_ms
                .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            import_order(&graph, &roots)
        }
    };
    let mut listed: HashSet<String> = HashSet::new();
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
        let (target, is_pyc) = if file.ends_with(".py") {
            match paths::cache_from_source(&file, &settings, || cwd.clone()) {
                Ok(pyc) => (pyc, true),
                Err(_) => (file, false),
            }
        } else {
            let is_pyc = file.ends_with(".pyc");
            (file, is_pyc)
        };
        let Ok(mut handle) = std::fs::File::open(&target) else {
            continue;
        };
        let Ok(meta) = handle.metadata() else {
            continue;
        };
        let mut data = Vec::with_capacity(meta.len() as usize);
        if handle.read_to_end(&mut data).is_err() {
            continue;
        }
        progress.files.fetch_add(1, Ordering::Relaxed);
        progress
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        let stamp = FileStamp::of(&meta);
        if keeping
            && is_pyc
            && !stamp.is_racy(codecache::now_ns())
            && keep(owner, &progress.cancel, target, stamp, data)
        {
            progress.kept.fetch_add(1, Ordering::Relaxed);
        }
    }
    progress
        .total_ms
        .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
}

/// A read-ahead running on its own thread (see the module docs): `Namespace.prefetch` makes it.
/// `close()` (or leaving its `with` block) stops the thread and drops the bytes no load took.
#[pyclass(name = "Prefetch", module = "importspace", frozen)]
pub struct Prefetch {
    id: u64,
    progress: Arc<Progress>,
    /// `SERVED` when the prefetch started.
    served_before: usize,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Prefetch {
    fn start(py: Python<'_>, job: Job, keeping: bool) -> PyResult<Self> {
        let settings = crate::import::loader::cache_settings(py)?;
        let cwd = crate::fsio::getcwd(py).unwrap_or_default();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let progress = Arc::new(Progress::default());
        let shared = Arc::clone(&progress);
        let thread = std::thread::Builder::new()
            .name("importspace-prefetch".to_owned())
            .spawn(move || run(job, settings, cwd, id, keeping, &shared))
            .map_err(|err| {
                PyRuntimeError::new_err(format!("cannot start the prefetch thread: {err}"))
            })?;
        Ok(Prefetch {
            id,
            progress,
            served_before: SERVED.load(Ordering::Relaxed),
            thread: Mutex::new(Some(thread)),
        })
    }

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
    /// Read ahead `files` (module files in the order they will be needed).
    #[staticmethod]
    #[pyo3(signature = (files, *, keep))]
    fn from_files(py: Python<'_>, files: Vec<String>, keep: bool) -> PyResult<Self> {
        Prefetch::start(py, Job::Files(files), keep)
    }

    /// Build the graph of `roots` on the thread (`follow=True`, without `TYPE_CHECKING`
    /// imports), then read ahead the files of `import_order`. The search rules are those
    /// `build_import_graph` takes.
    #[staticmethod]
    #[pyo3(signature = (path, roots, suffixes, builtin, frozen, cwd, *, keep))]
    #[allow(clippy::too_many_arguments)]
    fn from_graph(
        py: Python<'_>,
        path: Vec<String>,
        roots: Vec<String>,
        suffixes: Vec<(String, String)>,
        builtin: Vec<String>,
        frozen: Vec<String>,
        cwd: String,
        keep: bool,
    ) -> PyResult<Self> {
        let resolver = resolver_from(path, suffixes, builtin, frozen, cwd)?;
        Prefetch::start(py, Job::Graph { resolver, roots }, keep)
    }

    /// Wait until the thread has read everything.
    fn wait(&self, py: Python<'_>) {
        self.join(py);
    }

    /// Stop the thread and drop the bytes it kept that no load took.
    fn close(&self, py: Python<'_>) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        self.join(py);
        forget(self.id);
    }

    /// What the thread did so far: files read, bytes read, pycs kept, loads served kept bytes
    /// since it started (by any prefetch), and the milliseconds it
    /// took to build the graph (0 when it was given files) and to finish (0 while running).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.progress;
        let stats = PyDict::new(py);
        stats.set_item("files", p.files.load(Ordering::Relaxed))?;
        stats.set_item("bytes", p.bytes.load(Ordering::Relaxed))?;
        stats.set_item("kept", p.kept.load(Ordering::Relaxed))?;
        let served = SERVED.load(Ordering::Relaxed) - self.served_before;
        stats.set_item("served", served)?;
        stats.set_item("graph_ms", p.graph_ms.load(Ordering::Relaxed))?;
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
}

impl Drop for Prefetch {
    /// Dropped without `close()`: tell the thread to stop, and drop what it kept.
    fn drop(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        forget(self.id);
    }
}

/// The files of the modules importing `roots` runs, in the order it first needs them
/// (`import_order`), from a graph built with `follow=True`.
#[pyfunction]
pub fn graph_import_order(
    graph: &Bound<'_, crate::graph::python::ImportGraph>,
    roots: Vec<String>,
) -> Vec<String> {
    import_order(graph.get().graph(), &roots)
}
