//! The directory listing cache behind `FileFinder`.

use std::collections::HashSet;
use std::time::SystemTime;

/// A directory's modification time, compared exactly (CPython compares `st_mtime` floats).
pub type DirStamp = Option<SystemTime>;

/// The names in one directory, with the directory mtime they were read at.
///
/// The stamp `None` plays the part of CPython's `-1`: a directory that cannot be stat'ed keeps
/// the listing it has, and a new or invalidated listing is read at the first stat that succeeds.
///
/// Mirrors `FileFinder._path_cache` / `_path_mtime` / `_fill_cache`: the listing is refreshed when
/// the directory's mtime differs from the one it was read at, or after `invalidate()`.
#[derive(Debug, Default)]
pub struct DirListing {
    stamp: DirStamp,
    names: HashSet<String>,
}

impl DirListing {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the listing must be read again for a directory now stamped `current`.
    pub fn is_stale(&self, current: DirStamp) -> bool {
        self.stamp != current
    }

    /// Replace the listing with `names`, read at `stamp`.
    pub fn refill(&mut self, stamp: DirStamp, names: HashSet<String>) {
        self.stamp = stamp;
        self.names = names;
    }

    /// Forget the stamp, so the next lookup reads the directory again
    /// (`FileFinder.invalidate_caches` sets `_path_mtime = -1`).
    pub fn invalidate(&mut self) {
        self.stamp = None;
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// `tail + suffix` is in the listing, without building the joined string when no entry
    /// could match.
    pub fn contains_joined(&self, tail: &str, suffix: &str) -> bool {
        let mut joined = String::with_capacity(tail.len() + suffix.len());
        joined.push_str(tail);
        joined.push_str(suffix);
        self.names.contains(&joined)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

/// Read the names in a directory. Errors give an empty listing, as `_fill_cache` does; names that
/// are not valid UTF-8 cannot name a module and are left out.
pub fn read_names(dir: &str) -> HashSet<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        Err(_) => HashSet::new(),
    }
}

/// The directory's mtime, or `None` when it cannot be stat'ed (CPython uses -1 then).
pub fn dir_stamp(dir: &str) -> DirStamp {
    std::fs::metadata(dir).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness() {
        let mut listing = DirListing::new();
        let t = Some(SystemTime::UNIX_EPOCH);
        assert!(listing.is_stale(t));
        assert!(!listing.is_stale(None));
        listing.refill(t, ["a.py".to_owned()].into_iter().collect());
        assert!(!listing.is_stale(t));
        assert!(listing.contains("a.py"));
        assert!(listing.contains_joined("a", ".py"));
        assert!(listing.is_stale(Some(SystemTime::now())));
        listing.invalidate();
        assert!(listing.is_stale(t));
        assert!(!listing.is_stale(None));
    }

    #[test]
    fn reads_a_real_directory() {
        let dir = std::env::temp_dir().join(format!("importspace-listing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.py"), b"").unwrap();
        let names = read_names(dir.to_str().unwrap());
        assert!(names.contains("m.py"));
        assert!(dir_stamp(dir.to_str().unwrap()).is_some());
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(read_names(dir.to_str().unwrap()).is_empty());
        assert!(dir_stamp(dir.to_str().unwrap()).is_none());
    }
}
