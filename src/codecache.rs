//! A process-wide cache of the code objects the native file loaders make, shared by every
//! namespace (issue 5).
//!
//! Code objects are immutable, so the second namespace that imports a file can run the code
//! object the first one made instead of reading and unmarshalling the pyc again, or compiling
//! the source again. No CPython function is mirrored here: CPython imports each module once per
//! process. The loaders that use the cache (`import::loader::code::source_get_code`, mirroring
//! `SourceLoader.get_code`, and `import::loader::code::sourceless_get_code`, mirroring
//! `SourcelessFileLoader.get_code`) are used only for the exact native loader classes; Python
//! subclasses keep CPython's own `get_code` and never see the cache.
//!
//! # Never stale
//! A cached code object is served only when every input the uncached load would look at is
//! provably the same as when the entry was made, so the uncached load would produce equal code:
//! - the entry's slot: the loader kind, the file's path, and for a source file the pyc path
//!   (`cache_from_source`, which carries the optimization level and `sys.pycache_prefix`) and
//!   the optimization level itself;
//! - `_imp.check_hash_based_pycs` (source files);
//! - the `stat()` of the source and of the pyc (absent, or its device, inode, size, mtime and
//!   ctime in nanoseconds), taken *before* the files are read. A sourceless module's key is its
//!   pyc's `stat()`.
//!
//! This is stricter than CPython's own pyc check (mtime in whole seconds and size): an edit
//! that keeps the size and the mtime's seconds still changes the nanoseconds, the ctime (which
//! no user call can set) or, for a file replaced by rename, the inode.
//!
//! One case is left that no `stat()` shows: a file changed twice within one tick of the file
//! system's clock (coarse kernel timestamps; one second on HFS+ or ext3, two on FAT) keeps all
//! its timestamps. As git does for its index ("racily clean" entries), an entry made when one
//! of the files it read had changed less than [`RACY_MARGIN_NS`] before the `stat()` keeps a
//! copy of those files' bytes, and is served only after they are read again and compared.
//! Once a comparison succeeds at a time past that margin, any later change shows in the
//! timestamps, and the copy is dropped. Clocks stepped back or skewed (network file systems)
//! beyond the margin are not covered.
//!
//! What an entry depends on by content is only what the load read: a load from a valid
//! timestamp pyc read the pyc (the source only through its `stat()`, as CPython); a checked
//! hash pyc read both; a compile read the source (and the pyc it refused, if any).
//!
//! # Same effects
//! Errors are never cached: a load that fails leaves no entry, so the next one fails the same
//! way. A load that compiled the source would, uncached, write the pyc again unless
//! `sys.dont_write_bytecode`; its entry keeps the header that write uses, and a hit writes the
//! pyc from the cached code (read at each hit, as importlib reads it). A pyc written that way
//! moves the pyc's `stat()`, so the next load reads it and caches that.
//!
//! # Bounds and threads
//! At most `max_entries` entries and `max_bytes` bytes (a code object is counted as the size of
//! the pyc or source it was made from, plus any racy copy), least recently used evicted first,
//! an eighth at a time. `importspace.set_code_cache_limits` changes them (0 turns the cache
//! off), `importspace.clear_code_cache` empties it, `importspace.code_cache_info` reports it.
//!
//! One `std::sync::Mutex` guards the table. It is never held across a call into Python, nor
//! while a Python object is released (that can run arbitrary `__del__` code): evicted and
//! replaced entries are taken out under the lock and dropped after it is released. Taking a new
//! reference (`clone_ref`) under the lock runs no Python code.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// How long after a file's last change (the later of its mtime and ctime) its `stat()` is not
/// trusted to show a further change: two seconds, the coarsest timestamp of common file systems
/// (FAT), well above the kernel clock's tick.
pub const RACY_MARGIN_NS: i128 = 2_000_000_000;

/// Default bound on the number of entries.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// Default bound on the bytes counted for the entries (see the module docs).
pub const DEFAULT_MAX_BYTES: usize = 128 << 20;

/// What an entry costs besides its code and racy copies: the table's own bookkeeping.
const ENTRY_OVERHEAD: usize = 256;

/// The identity and validation fields of a file, from `stat()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl FileStamp {
    pub fn of(meta: &Metadata) -> FileStamp {
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
            ctime_ns: meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
        }
    }

    /// When the file last changed, as far as its timestamps tell.
    fn changed_at(&self) -> i128 {
        self.mtime_ns.max(self.ctime_ns)
    }

    /// True when a change made after `seen_at` could leave this stamp as it is.
    fn is_racy(&self, seen_at: i128) -> bool {
        seen_at < self.changed_at() + RACY_MARGIN_NS
    }
}

/// The wall clock in nanoseconds since the epoch (negative before it), the clock file
/// timestamps are taken from.
pub fn now_ns() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// Which loader made an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Source,
    Sourceless,
}

/// `_imp.check_hash_based_pycs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashMode {
    Default,
    Always,
    Never,
    Other(String),
}

impl HashMode {
    pub fn parse(mode: &str) -> HashMode {
        match mode {
            "default" => HashMode::Default,
            "always" => HashMode::Always,
            "never" => HashMode::Never,
            other => HashMode::Other(other.to_owned()),
        }
    }
}

/// Everything besides file contents that decides what a load gives (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// `cache_from_source(path)` for a source file (`None`: no cache tag); `None` for a pyc.
    pub bytecode_path: Option<String>,
    /// The optimization level's pyc name part (`''`, `'1'`, `'2'`).
    pub optimization: String,
    /// `None` for a sourceless module, which never checks a hash.
    pub hash_mode: Option<HashMode>,
    /// The source's stamp (`None` for a sourceless module).
    pub source: Option<FileStamp>,
    /// The pyc's stamp; `None` when it is absent (or cannot be stat()ed).
    pub pyc: Option<FileStamp>,
}

impl Validation {
    /// Two validations for the same slot: the same pyc path and optimization.
    fn same_slot(&self, other: &Validation) -> bool {
        self.bytecode_path == other.bytecode_path && self.optimization == other.optimization
    }
}

/// The bytes of the files an entry read whose stamps cannot be trusted yet.
#[derive(Debug)]
pub struct Racy {
    files: Vec<(String, Box<[u8]>)>,
    /// From this time on a successful comparison makes the entry trusted.
    until_ns: i128,
}

impl Racy {
    fn bytes(&self) -> usize {
        self.files.iter().map(|(p, b)| p.len() + b.len()).sum()
    }

    /// Read the files again and compare.
    fn holds(&self) -> bool {
        self.files
            .iter()
            .all(|(path, bytes)| std::fs::read(path).is_ok_and(|now| now[..] == bytes[..]))
    }
}

/// Collects the racy files a load read, given when the stamps were taken.
struct RacyFiles {
    seen_at: i128,
    racy: Racy,
}

impl RacyFiles {
    fn new(seen_at: i128) -> RacyFiles {
        RacyFiles {
            seen_at,
            racy: Racy {
                files: Vec::new(),
                until_ns: i128::MIN,
            },
        }
    }

    /// The load read `path`, whose stamp (taken before the read) is `stamp`; `bytes` gives what
    /// it read, asked for only when the stamp cannot be trusted.
    fn note(&mut self, path: &str, stamp: &FileStamp, bytes: impl FnOnce() -> Vec<u8>) {
        if stamp.is_racy(self.seen_at) {
            self.racy
                .files
                .push((path.to_owned(), bytes().into_boxed_slice()));
            self.racy.until_ns = self.racy.until_ns.max(stamp.changed_at() + RACY_MARGIN_NS);
        }
    }

    fn finish(self) -> Option<Arc<Racy>> {
        (!self.racy.files.is_empty()).then(|| Arc::new(self.racy))
    }
}

struct Entry {
    kind: Kind,
    validation: Validation,
    code: Py<PyAny>,
    racy: Option<Arc<Racy>>,
    /// For code compiled from source: the header of the pyc the uncached load writes.
    write_header: Option<Vec<u8>>,
    cost: usize,
    last_used: u64,
    serial: u64,
}

/// FxHash (rustc's): paths are not attacker-chosen keys here, and SipHash showed in profiles.
#[derive(Default, Clone, Copy)]
struct PathHasher(u64);

impl std::hash::Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type PathMap<V> = HashMap<String, V, std::hash::BuildHasherDefault<PathHasher>>;

struct Table {
    /// Path → its entries (one per loader kind and slot; nearly always one).
    map: PathMap<Vec<Entry>>,
    entries: usize,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    clock: u64,
    serial: u64,
}

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(|| {
    Mutex::new(Table {
        map: PathMap::default(),
        entries: 0,
        bytes: 0,
        max_entries: DEFAULT_MAX_ENTRIES,
        max_bytes: DEFAULT_MAX_BYTES,
        clock: 0,
        serial: 0,
    })
});
static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

fn table() -> MutexGuard<'static, Table> {
    // Nothing under the lock can leave the table inconsistent halfway, so a panic elsewhere
    // while it was held does not make it unusable.
    TABLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Table {
    fn position(&self, kind: Kind, path: &str, validation: &Validation) -> Option<usize> {
        self.map
            .get(path)?
            .iter()
            .position(|entry| entry.kind == kind && entry.validation.same_slot(validation))
    }

    /// Take out the entry at `path`, `index`.
    fn take(&mut self, path: &str, index: usize) -> Entry {
        let bucket = self.map.get_mut(path).expect("a bucket of the table");
        let entry = bucket.swap_remove(index);
        if bucket.is_empty() {
            self.map.remove(path);
        }
        self.entries -= 1;
        self.bytes -= entry.cost;
        entry
    }

    /// Take out least recently used entries until both bounds hold with an eighth to spare.
    fn evict(&mut self, out: &mut Vec<Entry>) {
        if self.entries <= self.max_entries && self.bytes <= self.max_bytes {
            return;
        }
        let keep_entries = self.max_entries - self.max_entries / 8;
        let keep_bytes = self.max_bytes - self.max_bytes / 8;
        let mut ages: Vec<(u64, String, u64)> = self
            .map
            .iter()
            .flat_map(|(path, bucket)| {
                bucket
                    .iter()
                    .map(move |entry| (entry.last_used, path.clone(), entry.serial))
            })
            .collect();
        ages.sort_unstable_by_key(|(used, _, _)| *used);
        for (_, path, serial) in ages {
            if self.entries <= keep_entries && self.bytes <= keep_bytes {
                break;
            }
            if let Some(index) = self.find_serial(&path, serial) {
                out.push(self.take(&path, index));
            }
        }
    }

    fn find_serial(&self, path: &str, serial: u64) -> Option<usize> {
        self.map
            .get(path)?
            .iter()
            .position(|entry| entry.serial == serial)
    }
}

/// A cached code object that matched a load's validation.
pub struct Hit<'py> {
    pub code: Bound<'py, PyAny>,
    /// For code compiled from source: the header of the pyc a load writes.
    pub write_header: Option<Vec<u8>>,
    racy: Option<Arc<Racy>>,
    serial: u64,
}

/// The cached code a load of `path` under `validation` may be given: an entry with the same
/// validation whose racy files still hold (`lookup`, then `confirm`). `seen_at` was taken
/// before the load's `stat()`s.
pub fn serve<'py>(
    py: Python<'py>,
    kind: Kind,
    path: &str,
    validation: &Validation,
    seen_at: i128,
) -> Option<Hit<'py>> {
    lookup(py, kind, path, validation).filter(|hit| confirm(py, kind, path, hit, seen_at))
}

/// The entry for `path` in `validation`'s slot, if its validation is the same; a stale entry
/// in that slot is dropped.
fn lookup<'py>(
    py: Python<'py>,
    kind: Kind,
    path: &str,
    validation: &Validation,
) -> Option<Hit<'py>> {
    let mut stale = None;
    let hit = {
        let mut table = table();
        match table.position(kind, path, validation) {
            None => None,
            Some(index) => {
                let clock = table.clock + 1;
                table.clock = clock;
                let entry = &mut table.map.get_mut(path).expect("a bucket")[index];
                if entry.validation == *validation {
                    entry.last_used = clock;
                    Some(Hit {
                        code: entry.code.clone_ref(py).into_bound(py),
                        write_header: entry.write_header.clone(),
                        racy: entry.racy.clone(),
                        serial: entry.serial,
                    })
                } else {
                    stale = Some(table.take(path, index));
                    None
                }
            }
        }
    };
    drop(stale);
    if hit.is_none() {
        MISSES.fetch_add(1, Ordering::Relaxed);
    }
    hit
}

/// Whether a hit may be served: an entry with racy files is served only when they still hold
/// the bytes it read (and becomes trusted when `seen_at`, taken before the load's `stat()`s,
/// is past their margin); one that fails is dropped.
fn confirm(py: Python<'_>, kind: Kind, path: &str, hit: &Hit<'_>, seen_at: i128) -> bool {
    let Some(racy) = &hit.racy else {
        HITS.fetch_add(1, Ordering::Relaxed);
        return true;
    };
    let holds = py.detach(|| racy.holds());
    let mut taken = None;
    {
        let mut table = table();
        if let Some(index) = table.find_serial(path, hit.serial) {
            if !holds {
                taken = Some(table.take(path, index));
            } else if seen_at >= racy.until_ns {
                let entry = &mut table.map.get_mut(path).expect("a bucket")[index];
                debug_assert_eq!(entry.kind, kind);
                // Trusted from now on; the copy holds bytes only, so dropping it under the lock
                // runs no Python.
                if let Some(racy) = entry.racy.take() {
                    let freed = racy.bytes();
                    entry.cost -= freed;
                    table.bytes -= freed;
                }
            }
        }
    }
    drop(taken);
    if holds {
        HITS.fetch_add(1, Ordering::Relaxed);
    } else {
        MISSES.fetch_add(1, Ordering::Relaxed);
    }
    holds
}

/// Whether two loads under one validation read the same bytes where it mattered.
fn same_reads(a: &Option<Arc<Racy>>, b: &Option<Arc<Racy>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.files == b.files,
        _ => false,
    }
}

/// What a load that missed made, to be remembered (`remember`).
pub struct Made {
    validation: Validation,
    racy: RacyFiles,
    /// For code compiled from source: the header of the pyc a load writes.
    write_header: Option<Vec<u8>>,
    /// The size of the pyc or source the code was made from.
    size: usize,
}

impl Made {
    /// A load under `validation` whose stamps were taken after `seen_at`; no file noted yet.
    pub fn new(validation: Validation, seen_at: i128) -> Made {
        Made {
            validation,
            racy: RacyFiles::new(seen_at),
            write_header: None,
            size: 0,
        }
    }

    /// The load made its code from `path` (`len` bytes), whose stamp, taken before the read, is
    /// `stamp`; `bytes` gives what it read, asked for only while the stamp cannot be trusted.
    /// The entry's size is the last file noted.
    pub fn read(
        mut self,
        path: &str,
        stamp: &FileStamp,
        len: usize,
        bytes: impl FnOnce() -> Vec<u8>,
    ) -> Made {
        self.racy.note(path, stamp, bytes);
        self.size = len;
        self
    }

    /// The load made its code from the pyc its validation names (`bytecode_path`, stamped
    /// `pyc`), whose bytes are `data`; nothing is noted when the validation names no pyc.
    pub fn read_pyc(mut self, data: Vec<u8>) -> Made {
        if let (Some(path), Some(stamp)) = (&self.validation.bytecode_path, &self.validation.pyc) {
            self.size = data.len();
            self.racy.note(path, stamp, || data);
        }
        self
    }

    /// The header of the pyc a later load of this code writes (code compiled from source).
    pub fn writes_header(mut self, header: Option<Vec<u8>>) -> Made {
        self.write_header = header;
        self
    }
}

/// Remember `code`, made for `path` under `made.validation`; returns the code the load gives:
/// `code`, or an equal one another thread remembered first for the same files.
pub fn remember<'py>(
    py: Python<'py>,
    kind: Kind,
    path: &str,
    code: Bound<'py, PyAny>,
    made: Made,
) -> Bound<'py, PyAny> {
    let racy = made.racy.finish();
    let cost = made.size
        + racy.as_ref().map_or(0, |r| r.bytes())
        + path.len()
        + made
            .validation
            .bytecode_path
            .as_ref()
            .map_or(0, String::len)
        + ENTRY_OVERHEAD;
    let mut out: Vec<Entry> = Vec::new();
    let mut result = None;
    {
        let mut table = table();
        if table.max_entries == 0 || cost > table.max_bytes {
            // Not remembered: dropped below, after the lock.
        } else {
            let clock = table.clock + 1;
            table.clock = clock;
            if let Some(index) = table.position(kind, path, &made.validation) {
                let entry = &mut table.map.get_mut(path).expect("a bucket")[index];
                // Another load of the very same files came first: give its code, so every
                // namespace runs one object.
                if entry.validation == made.validation && same_reads(&entry.racy, &racy) {
                    entry.last_used = clock;
                    result = Some(entry.code.clone_ref(py).into_bound(py));
                } else {
                    out.push(table.take(path, index));
                }
            }
            if result.is_none() {
                table.serial += 1;
                let entry = Entry {
                    kind,
                    validation: made.validation,
                    code: code.clone().unbind(),
                    racy,
                    write_header: made.write_header,
                    cost,
                    last_used: clock,
                    serial: table.serial,
                };
                table.map.entry(path.to_owned()).or_default().push(entry);
                table.entries += 1;
                table.bytes += cost;
                table.evict(&mut out);
            }
        }
    }
    drop(out);
    result.unwrap_or(code)
}

/// Whether loads should look in the cache at all.
pub fn enabled() -> bool {
    table().max_entries > 0
}

/// Empty the code cache shared by all namespaces, and reset its hit and miss counts.
///
/// Never needed for correctness (every entry is validated at each use); it frees the memory
/// the cached code objects hold once no namespace uses them.
#[pyfunction]
pub fn clear_code_cache() {
    let taken = {
        let mut table = table();
        table.entries = 0;
        table.bytes = 0;
        std::mem::take(&mut table.map)
    };
    HITS.store(0, Ordering::Relaxed);
    MISSES.store(0, Ordering::Relaxed);
    drop(taken);
}

/// The code cache's counters and bounds: `hits`, `misses`, `entries`, `bytes`, `max_entries`,
/// `max_bytes`.
#[pyfunction]
pub fn code_cache_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let (entries, bytes, max_entries, max_bytes) = {
        let table = table();
        (
            table.entries,
            table.bytes,
            table.max_entries,
            table.max_bytes,
        )
    };
    let info = PyDict::new(py);
    info.set_item("hits", HITS.load(Ordering::Relaxed))?;
    info.set_item("misses", MISSES.load(Ordering::Relaxed))?;
    info.set_item("entries", entries)?;
    info.set_item("bytes", bytes)?;
    info.set_item("max_entries", max_entries)?;
    info.set_item("max_bytes", max_bytes)?;
    Ok(info)
}

/// Change the code cache's bounds; `None` leaves a bound as it is, 0 entries turns the cache
/// off. Entries over the new bounds are evicted at once.
#[pyfunction]
#[pyo3(signature = (*, max_entries=None, max_bytes=None))]
pub fn set_code_cache_limits(max_entries: Option<i64>, max_bytes: Option<i64>) -> PyResult<()> {
    let bound = |value: Option<i64>, name: &str| -> PyResult<Option<usize>> {
        match value {
            Some(v) if v < 0 => Err(PyValueError::new_err(format!(
                "{name} must be >= 0, not {v}"
            ))),
            Some(v) => Ok(Some(usize::try_from(v).unwrap_or(usize::MAX))),
            None => Ok(None),
        }
    };
    let max_entries = bound(max_entries, "max_entries")?;
    let max_bytes = bound(max_bytes, "max_bytes")?;
    let mut out = Vec::new();
    {
        let mut table = table();
        if let Some(value) = max_entries {
            table.max_entries = value;
        }
        if let Some(value) = max_bytes {
            table.max_bytes = value;
        }
        if table.max_entries == 0 {
            table.entries = 0;
            table.bytes = 0;
            out.extend(std::mem::take(&mut table.map).into_values().flatten());
        } else {
            table.evict(&mut out);
        }
    }
    drop(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mtime_ns: i128, ctime_ns: i128) -> FileStamp {
        FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns,
        }
    }

    #[test]
    fn a_recent_change_is_racy() {
        let now = 10 * RACY_MARGIN_NS;
        assert!(stamp(now, now).is_racy(now));
        assert!(stamp(0, now - RACY_MARGIN_NS + 1).is_racy(now));
        assert!(!stamp(0, now - RACY_MARGIN_NS).is_racy(now));
        // An mtime set into the future keeps the file racy.
        assert!(stamp(now * 2, 0).is_racy(now));
    }

    #[test]
    fn racy_files_keep_only_untrusted_bytes() {
        let now = 10 * RACY_MARGIN_NS;
        let mut files = RacyFiles::new(now);
        files.note("old", &stamp(0, 0), || panic!("an old file is not copied"));
        assert!(RacyFiles::new(now).finish().is_none());
        files.note("new", &stamp(now, now - 5), || b"abc".to_vec());
        let racy = files.finish().expect("one racy file");
        assert_eq!(racy.files.len(), 1);
        assert_eq!(racy.until_ns, now + RACY_MARGIN_NS);
        assert_eq!(racy.bytes(), 3 + 3);
    }

    #[test]
    fn racy_files_are_compared_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("importspace-racy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        std::fs::write(&file, b"VALUE = 1\n").unwrap();
        let stamp = FileStamp::of(&std::fs::metadata(&file).unwrap());
        let mut files = RacyFiles::new(now_ns());
        files.note(file.to_str().unwrap(), &stamp, || b"VALUE = 1\n".to_vec());
        let racy = files.finish().expect("a file just written is racy");
        assert!(racy.holds());
        std::fs::write(&file, b"VALUE = 2\n").unwrap();
        assert!(!racy.holds());
        std::fs::remove_file(&file).unwrap();
        assert!(!racy.holds());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn slots_differ_by_pyc_path_and_optimization() {
        let base = Validation {
            bytecode_path: Some("a.pyc".into()),
            optimization: String::new(),
            hash_mode: Some(HashMode::Default),
            source: Some(stamp(1, 1)),
            pyc: None,
        };
        let newer = Validation {
            source: Some(stamp(2, 2)),
            ..base.clone()
        };
        assert!(base.same_slot(&newer));
        assert_ne!(base, newer);
        let optimized = Validation {
            optimization: "1".into(),
            ..base.clone()
        };
        assert!(!base.same_slot(&optimized));
        assert_eq!(HashMode::parse("always"), HashMode::Always);
        assert_eq!(HashMode::parse("x"), HashMode::Other("x".into()));
    }
}
