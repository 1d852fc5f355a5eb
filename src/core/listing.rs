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

/// Mirrors `inspect.getmodulename` for a file name: the name before the longest suffix it ends
/// with (ties broken by the suffix text, as sorting `(-len(suffix), suffix)` does), or `None`.
pub fn module_name<'a>(filename: &'a str, suffixes: &[String]) -> Option<&'a str> {
    let mut ordered: Vec<&String> = suffixes.iter().collect();
    ordered.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    ordered
        .into_iter()
        .find(|suffix| filename.ends_with(suffix.as_str()))
        .map(|suffix| &filename[..filename.len() - suffix.len()])
}

/// Names in a directory, sorted as Python sorts `os.listdir`'s result (by code point, which is
/// UTF-8 byte order); empty when it cannot be read.
fn sorted_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = read_names(dir).into_iter().collect();
    names.sort();
    names
}

/// Mirrors `pkgutil._iter_file_finder_modules` (the same from 3.9 to 3.13): the modules and
/// packages directly in `dir`, as `(prefix + name, is_package)` in file-name order. `suffixes`
/// are `importlib.machinery.all_suffixes()`. A directory counts as a package only with an
/// `__init__` file; a module and a package of the same name are listed once (packages sort
/// first).
pub fn iter_file_finder_modules(
    dir: &str,
    suffixes: &[String],
    prefix: &str,
) -> Vec<(String, bool)> {
    let mut found: Vec<(String, bool)> = Vec::new();
    if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        return found;
    }
    let mut yielded: HashSet<String> = HashSet::new();
    for filename in sorted_names(dir) {
        let mut modname = module_name(&filename, suffixes).map(str::to_owned);
        if let Some(name) = &modname {
            if name == "__init__" || yielded.contains(name) {
                continue;
            }
        }
        let path = format!("{}/{}", dir.trim_end_matches('/'), filename);
        let mut is_package = false;
        let is_empty_name = modname.as_deref().is_none_or(str::is_empty);
        if is_empty_name
            && !filename.contains('.')
            && std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
        {
            let has_init = sorted_names(&path)
                .iter()
                .any(|inner| module_name(inner, suffixes) == Some("__init__"));
            if !has_init {
                continue;
            }
            modname = Some(filename.clone());
            is_package = true;
        }
        if let Some(name) = modname.filter(|n| !n.is_empty() && !n.contains('.')) {
            yielded.insert(name.clone());
            found.push((format!("{prefix}{name}"), is_package));
        }
    }
    found
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

    fn suffixes() -> Vec<String> {
        [
            ".py",
            ".pyc",
            ".cpython-311-x86_64-linux-gnu.so",
            ".abi3.so",
            ".so",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    #[test]
    fn module_names_like_inspect() {
        let s = suffixes();
        assert_eq!(module_name("m.py", &s), Some("m"));
        assert_eq!(
            module_name("m.cpython-311-x86_64-linux-gnu.so", &s),
            Some("m")
        );
        assert_eq!(module_name("m.abi3.so", &s), Some("m"));
        assert_eq!(module_name("a.b.py", &s), Some("a.b"));
        assert_eq!(module_name(".py", &s), Some(""));
        assert_eq!(module_name("m.txt", &s), None);
        assert_eq!(module_name("pkg", &s), None);
    }

    #[test]
    fn file_finder_modules_like_pkgutil() {
        let dir = std::env::temp_dir().join(format!("importspace-iter-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["pkg", "nsdir", "dotted.dir", "both"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for file in [
            "mod.py",
            "mod.pyc",
            "ext.abi3.so",
            "pkg/__init__.py",
            "nsdir/x.py",
            "dotted.dir/__init__.py",
            "both/__init__.pyc",
            "both.py",
            "a.b.py",
            "__init__.py",
            "notes.txt",
            ".py",
        ] {
            std::fs::write(dir.join(file), b"").unwrap();
        }
        let found = iter_file_finder_modules(dir.to_str().unwrap(), &suffixes(), "p.");
        let expected: Vec<(String, bool)> = [
            ("p.both", true),
            ("p.ext", false),
            ("p.mod", false),
            ("p.pkg", true),
        ]
        .iter()
        .map(|(n, p)| ((*n).to_owned(), *p))
        .collect();
        assert_eq!(found, expected);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(iter_file_finder_modules(dir.to_str().unwrap(), &suffixes(), "").is_empty());
    }
}
