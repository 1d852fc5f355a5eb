//! File-system access for the finders and loaders: reads and stats detached from the
//! interpreter, `OSError`s with `filename` set, and atomic writes.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use crate::core::paths;

/// What the loaders need of a `stat()`.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    /// `st_mtime` as a float.
    pub mtime: f64,
    /// `int(st_mtime)`.
    pub mtime_int: i64,
    pub size: u64,
    pub mode: u32,
}

impl Stat {
    pub fn from_metadata(meta: &fs::Metadata) -> Stat {
        let secs = meta.mtime();
        let nanos = meta.mtime_nsec();
        let mtime = secs as f64 + nanos as f64 * 1e-9;
        // int() truncates toward zero, while `mtime()` is floored.
        let mtime_int = if secs < 0 && nanos > 0 {
            secs + 1
        } else {
            secs
        };
        Stat {
            mtime,
            mtime_int,
            size: meta.size(),
            mode: meta.mode(),
        }
    }
}

/// `OSError(errno, strerror, filename)`, which Python turns into the matching subclass.
pub fn os_error(py: Python<'_>, err: &std::io::Error, filename: &str) -> PyErr {
    let errno = err.raw_os_error().unwrap_or(0);
    let message = strerror(err);
    match py.get_type::<PyOSError>().call1((errno, message, filename)) {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

fn strerror(err: &std::io::Error) -> String {
    // io::Error's Display appends " (os error N)"; Python shows strerror alone.
    let text = err.to_string();
    match text.rfind(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// `os.stat(path)`.
pub fn stat(py: Python<'_>, path: &str) -> PyResult<Stat> {
    py.detach(|| fs::metadata(path).map(|m| Stat::from_metadata(&m)))
        .map_err(|e| os_error(py, &e, path))
}

pub use crate::core::finder::is_dir;

/// Read a whole file.
pub fn read(py: Python<'_>, path: &str) -> PyResult<Vec<u8>> {
    read_sized(py, path, None)
}

/// Read a whole file whose size a `stat()` made just before gave (`None`: not known).
pub fn read_sized(py: Python<'_>, path: &str, size: Option<u64>) -> PyResult<Vec<u8>> {
    py.detach(|| read_whole(path, size))
        .map_err(|e| os_error(py, &e, path))
}

/// The most a size hint reserves up front; a larger file grows the buffer as it is read.
const MOST_RESERVED: u64 = 64 * 1024 * 1024;

/// `open` + `read` to the end + `close`, as `FileIO.readall` does, without the `fstat` that
/// `std::fs::read` makes to size its buffer. With `size` (from a `stat()` the caller made
/// anyway: the code cache's key, `path_stats`) the buffer holds the file and one byte more, so
/// the file is read in two calls, the second finding the end, as `FileIO.readall` reads it.
/// Without it, a 16 KiB start, doubled as it fills. (`Read::read_to_end` with no size hint
/// starts its reads at 8 KiB whatever room the buffer has: four or five calls for a 50 KiB pyc.)
pub fn read_whole(path: &str, size: Option<u64>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    let room = size.map_or(16 * 1024, |size| size.min(MOST_RESERVED) + 1);
    let mut data = vec![0u8; room as usize];
    let mut filled = 0;
    loop {
        if filled == data.len() {
            data.resize(data.len() * 2, 0);
        }
        match file.read(&mut data[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    data.truncate(filled);
    Ok(data)
}

/// `os.getcwd()`.
pub fn getcwd(py: Python<'_>) -> PyResult<String> {
    match std::env::current_dir() {
        Ok(dir) => Ok(dir.to_string_lossy().into_owned()),
        Err(e) => Err(os_error(py, &e, "")),
    }
}

static TEMP_SERIAL: AtomicU64 = AtomicU64::new(0);

/// Mirrors `_bootstrap_external._write_atomic`: write to `{path}.{n}` opened with
/// `O_EXCL|O_CREAT|O_WRONLY` and `mode & 0o666`, then `rename` over `path`; on failure the
/// temporary file is removed. Readers never see a half-written file. Gives the device and inode
/// of the file written, so a later `stat()` can tell whether `path` is still that file.
pub fn write_atomic(path: &str, data: &[u8], mode: u32) -> std::io::Result<(u64, u64)> {
    let serial = TEMP_SERIAL.fetch_add(1, Ordering::Relaxed);
    let temp = format!("{path}.{}{serial}", std::process::id());
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o666)
            .open(&temp)?;
        file.write_all(data)?;
        let meta = file.metadata()?;
        drop(file);
        fs::rename(&temp, path)?;
        Ok((meta.dev(), meta.ino()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Mirrors `SourceFileLoader.set_data`: create the missing directories (giving up quietly when
/// one cannot be made), then write atomically. Failures are not errors: the pyc is a cache.
/// Gives the device and inode of the file written, or `None` when nothing was written.
pub fn write_cache_file(path: &str, data: &[u8], mode: u32) -> Option<(u64, u64)> {
    let (mut parent, _) = paths::split(path);
    let mut missing = Vec::new();
    while !parent.is_empty() && !is_dir(parent) {
        let (up, part) = paths::split(parent);
        missing.push(part);
        parent = up;
    }
    let mut made = parent.to_owned();
    for part in missing.iter().rev() {
        made = paths::join2(&made, part);
        match fs::create_dir(&made) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    write_atomic(path, data, mode).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_temp_files() {
        let dir = std::env::temp_dir().join(format!("importspace-fsio-{}", std::process::id()));
        let target = dir.join("__pycache__").join("m.pyc");
        write_cache_file(target.to_str().unwrap(), b"data", 0o644);
        assert_eq!(fs::read(&target).unwrap(), b"data");
        write_cache_file(target.to_str().unwrap(), b"again", 0o644);
        assert_eq!(fs::read(&target).unwrap(), b"again");
        let names: Vec<_> = fs::read_dir(dir.join("__pycache__")).unwrap().collect();
        assert_eq!(names.len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mtime_int_truncates_toward_zero_like_int() {
        use std::time::{Duration, UNIX_EPOCH};
        let dir = std::env::temp_dir().join(format!("importspace-stat-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        fs::write(&file, b"x = 1\n").unwrap();
        let handle = fs::File::options().write(true).open(&file).unwrap();
        for (when, int) in [
            (UNIX_EPOCH - Duration::from_millis(1500), -1),
            (UNIX_EPOCH + Duration::from_millis(2500), 2),
            (UNIX_EPOCH - Duration::from_secs(3), -3),
        ] {
            handle.set_modified(when).unwrap();
            let st = Stat::from_metadata(&fs::metadata(&file).unwrap());
            assert_eq!(st.mtime_int, int);
            assert_eq!(st.size, 6);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cache_file_under_a_file_is_silently_not_written() {
        let dir = std::env::temp_dir().join(format!("importspace-nodir-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("__pycache__"), b"a file").unwrap();
        let target = dir.join("__pycache__").join("m.pyc");
        write_cache_file(target.to_str().unwrap(), b"data", 0o644);
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("__pycache__")]);
        assert_eq!(fs::read(dir.join("__pycache__")).unwrap(), b"a file");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cache_file_mode_is_masked_to_0o666() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("importspace-mode-{}", std::process::id()));
        let target = dir.join("deep").join("m.pyc");
        write_cache_file(target.to_str().unwrap(), b"data", 0o100_755);
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        // The umask may take bits away, never add them; the execute bits never survive.
        assert_eq!(mode & 0o111, 0);
        assert_eq!(mode & !0o644, 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn strerror_drops_the_rust_suffix() {
        let err = std::io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&err), "No such file or directory");
    }

    #[test]
    fn read_whole_reads_every_byte_whatever_the_size_hint() {
        let dir = std::env::temp_dir().join(format!("importspace-read-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for len in [0usize, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000] {
            let path = dir.join(format!("f{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            fs::write(&path, &data).unwrap();
            let path = path.to_str().unwrap();
            // Exact, too small (the file grew after its stat), too large (it shrank), none.
            for hint in [
                Some(len as u64),
                Some(len as u64 / 2),
                Some(len as u64 * 3 + 5),
                None,
            ] {
                assert_eq!(
                    read_whole(path, hint).unwrap(),
                    data,
                    "len {len}, hint {hint:?}"
                );
            }
        }
        assert!(read_whole(dir.join("absent").to_str().unwrap(), Some(3)).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
