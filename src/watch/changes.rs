//! What a reloader watches, and how file events become changes. No pyo3: `cargo test` covers it.
//!
//! A reloader watches two kinds of thing:
//! - **files**, by exact path: the files the program loaded. Their directories are watched, not
//!   the files themselves, so an editor that saves by writing a temporary file and renaming it
//!   over the old one (vim, JetBrains, VS Code's atomic save) is still seen, and so is a file
//!   that is deleted and written again;
//! - **trees**: directories given with `--watch`, recursively. Inside a tree, the debris of
//!   editors, version control and Python itself does not count (`ignored_in_tree`): the pycs the
//!   program's own imports write would otherwise restart it forever.
//!
//! `Changes` folds the events of one burst into one entry per path, in the order the paths first
//! changed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use notify::event::{EventKind, ModifyKind, RenameMode};

/// Directory names that are never source a program loads: Python's bytecode caches, version
/// control, and tool caches. Hidden directories (a leading `.`) are left out as well.
const IGNORED_DIRS: &[&str] = &["__pycache__", "node_modules"];

/// File-name endings of editor swap and backup files and of bytecode.
const IGNORED_SUFFIXES: &[&str] = &["~", ".swp", ".swx", ".swo", ".tmp", ".pyc", ".pyo"];

/// vim writes (and removes) a file of this name to test that a directory is writable.
const VIM_PROBE: &str = "4913";

/// Whether a path inside a watched tree (`relative` to the tree's root) is debris: anything under
/// a hidden directory or a bytecode or tool cache, a hidden file (editor locks such as emacs's
/// `.#name`), a swap, backup or bytecode file.
pub fn ignored_in_tree(relative: &Path) -> bool {
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        let name = component.as_os_str().to_string_lossy();
        if name.starts_with('.') && name != "." && name != ".." {
            return true;
        }
        let is_file = components.peek().is_none();
        if IGNORED_DIRS.contains(&name.as_ref()) {
            return true;
        }
        if is_file && (name == VIM_PROBE || IGNORED_SUFFIXES.iter().any(|end| name.ends_with(end)))
        {
            return true;
        }
    }
    false
}

/// Why a path is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// It is one of the exact files.
    File,
    /// It is inside a watched tree, and not debris.
    Tree,
}

/// The paths a reloader acts on: exact files and directory trees.
#[derive(Debug, Default)]
pub struct WatchSet {
    files: HashSet<PathBuf>,
    trees: Vec<PathBuf>,
}

impl WatchSet {
    /// Add an exact file; false if it was there already.
    pub fn add_file(&mut self, path: PathBuf) -> bool {
        self.files.insert(path)
    }

    /// Add a directory tree; false if it was there already.
    pub fn add_tree(&mut self, root: PathBuf) -> bool {
        if self.trees.contains(&root) {
            return false;
        }
        self.trees.push(root);
        true
    }

    /// Whether `dir` is inside (or is) one of the trees, so a watch of the tree covers it.
    pub fn covered_by_tree(&self, dir: &Path) -> bool {
        self.trees.iter().any(|root| dir.starts_with(root))
    }

    /// Why `path` is watched, or None when it is not.
    pub fn origin(&self, path: &Path) -> Option<Origin> {
        if self.files.contains(path) {
            return Some(Origin::File);
        }
        self.trees.iter().find_map(|root| {
            let relative = path.strip_prefix(root).ok()?;
            (!ignored_in_tree(relative)).then_some(Origin::Tree)
        })
    }

    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter()
    }

    pub fn trees(&self) -> &[PathBuf] {
        &self.trees
    }
}

/// What happened to a path over a burst of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A path inside a tree that did not exist before the burst.
    Added,
    /// Written, touched, or replaced (an editor's rename over it, or deleted and written again).
    Modified,
    /// Gone at the end of the burst (deleted, or renamed away).
    Removed,
    /// The platform lost events (an inotify queue overflow): anything may have changed.
    Rescan,
}

impl ChangeKind {
    /// The word the Python side shows.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
            ChangeKind::Rescan => "rescan",
        }
    }

    /// The kind after `self` is followed by `next` in one burst: a file written after it was
    /// added stays added; a file removed and then written again was modified.
    fn then(self, next: ChangeKind) -> ChangeKind {
        match (self, next) {
            (ChangeKind::Added, ChangeKind::Modified) => ChangeKind::Added,
            (ChangeKind::Added, ChangeKind::Removed) => ChangeKind::Removed,
            (ChangeKind::Removed, ChangeKind::Added | ChangeKind::Modified) => ChangeKind::Modified,
            (ChangeKind::Modified, ChangeKind::Added) => ChangeKind::Modified,
            (_, next) => next,
        }
    }
}

/// The changes of one burst, one per path, in the order the paths first changed.
#[derive(Debug, Default)]
pub struct Changes {
    by_path: IndexMap<PathBuf, ChangeKind>,
    /// How many relevant events were folded in: a reloader waits until this stops growing.
    events: usize,
}

impl Changes {
    /// Fold in one event (its kind and paths as notify reports them). Events about paths the set
    /// does not watch, and accesses (an import opening a file is one), are dropped.
    pub fn record(&mut self, set: &WatchSet, kind: &EventKind, paths: &[PathBuf]) {
        match kind {
            EventKind::Access(_) | EventKind::Other => {}
            EventKind::Create(_) => self.created(set, paths.first()),
            EventKind::Remove(_) => self.fold(set, paths.first(), |_| ChangeKind::Removed),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                self.fold(set, paths.first(), |_| ChangeKind::Removed)
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => self.created(set, paths.first()),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                self.fold(set, paths.first(), |_| ChangeKind::Removed);
                self.created(set, paths.get(1));
            }
            EventKind::Modify(_) | EventKind::Any => {
                self.fold(set, paths.first(), |_| ChangeKind::Modified)
            }
        }
    }

    /// The platform dropped events: record one `Rescan`, so the reloader restarts.
    pub fn rescan(&mut self) {
        self.events += 1;
        self.by_path.insert(PathBuf::new(), ChangeKind::Rescan);
    }

    /// A path appeared (created, or renamed into place). One of the exact files was replaced
    /// (`Modified`): editors save that way. A new path in a tree was `Added`.
    fn created(&mut self, set: &WatchSet, path: Option<&PathBuf>) {
        self.fold(set, path, |origin| match origin {
            Origin::File => ChangeKind::Modified,
            Origin::Tree => ChangeKind::Added,
        })
    }

    fn fold(
        &mut self,
        set: &WatchSet,
        path: Option<&PathBuf>,
        kind: impl FnOnce(Origin) -> ChangeKind,
    ) {
        let Some(path) = path else { return };
        let Some(origin) = set.origin(path) else {
            return;
        };
        let next = kind(origin);
        self.events += 1;
        self.by_path
            .entry(path.clone())
            .and_modify(|kind| *kind = kind.then(next))
            .or_insert(next);
    }

    /// How many relevant events were folded in so far.
    pub fn events(&self) -> usize {
        self.events
    }

    /// `(path, kind)`, in the order the paths first changed.
    pub fn into_vec(self) -> Vec<(PathBuf, ChangeKind)> {
        self.by_path.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, DataChange, RemoveKind};

    fn set() -> WatchSet {
        let mut set = WatchSet::default();
        set.add_file(PathBuf::from("/app/main.py"));
        set.add_tree(PathBuf::from("/app/templates"));
        set
    }

    fn write() -> EventKind {
        EventKind::Modify(ModifyKind::Data(DataChange::Content))
    }

    #[test]
    fn debris_in_trees_is_ignored() {
        for path in [
            "pkg/__pycache__/mod.cpython-311.pyc",
            ".git/index",
            "pkg/.hidden/x.py",
            ".#main.py",
            "main.py~",
            ".main.py.swp",
            "pkg/4913",
            "mod.pyc",
            "node_modules/x/index.js",
            "pkg/__pycache__",
        ] {
            assert!(ignored_in_tree(Path::new(path)), "{path}");
        }
        for path in [
            "main.py",
            "pkg/sub/mod.py",
            "templates/index.html",
            "4913/x.py",
            "a.b",
        ] {
            assert!(!ignored_in_tree(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn origin_of_files_and_trees() {
        let set = set();
        assert_eq!(set.origin(Path::new("/app/main.py")), Some(Origin::File));
        assert_eq!(set.origin(Path::new("/app/other.py")), None);
        assert_eq!(
            set.origin(Path::new("/app/templates/a.html")),
            Some(Origin::Tree)
        );
        assert_eq!(set.origin(Path::new("/app/templates/.a.html.swp")), None);
        assert!(set.covered_by_tree(Path::new("/app/templates/sub")));
        assert!(!set.covered_by_tree(Path::new("/app")));
    }

    #[test]
    fn a_burst_folds_into_one_change_per_path() {
        let set = set();
        let mut changes = Changes::default();
        let main = PathBuf::from("/app/main.py");
        for _ in 0..3 {
            changes.record(&set, &write(), std::slice::from_ref(&main));
        }
        changes.record(&set, &write(), &[PathBuf::from("/app/unwatched.py")]);
        changes.record(
            &set,
            &EventKind::Access(AccessKind::Any),
            std::slice::from_ref(&main),
        );
        assert_eq!(changes.events(), 3);
        assert_eq!(changes.into_vec(), vec![(main, ChangeKind::Modified)]);
    }

    #[test]
    fn an_editors_rename_over_a_file_is_a_modification() {
        let set = set();
        let mut changes = Changes::default();
        let tmp = PathBuf::from("/app/main.py.tmp");
        let main = PathBuf::from("/app/main.py");
        changes.record(
            &set,
            &EventKind::Create(CreateKind::File),
            std::slice::from_ref(&tmp),
        );
        changes.record(
            &set,
            &EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &[tmp, main.clone()],
        );
        assert_eq!(changes.into_vec(), vec![(main, ChangeKind::Modified)]);
    }

    #[test]
    fn removal_then_rewrite_is_a_modification_and_removal_stays() {
        let set = set();
        let main = PathBuf::from("/app/main.py");
        let page = PathBuf::from("/app/templates/page.html");
        let mut changes = Changes::default();
        changes.record(
            &set,
            &EventKind::Remove(RemoveKind::File),
            std::slice::from_ref(&main),
        );
        changes.record(
            &set,
            &EventKind::Create(CreateKind::File),
            std::slice::from_ref(&main),
        );
        changes.record(
            &set,
            &EventKind::Create(CreateKind::File),
            std::slice::from_ref(&page),
        );
        changes.record(&set, &write(), std::slice::from_ref(&page));
        let mut removed = Changes::default();
        removed.record(&set, &write(), std::slice::from_ref(&main));
        removed.record(
            &set,
            &EventKind::Remove(RemoveKind::File),
            std::slice::from_ref(&main),
        );
        assert_eq!(
            changes.into_vec(),
            vec![
                (main.clone(), ChangeKind::Modified),
                (page, ChangeKind::Added)
            ]
        );
        assert_eq!(removed.into_vec(), vec![(main, ChangeKind::Removed)]);
    }

    #[test]
    fn rescan_is_reported() {
        let mut changes = Changes::default();
        changes.rescan();
        assert_eq!(
            changes.into_vec(),
            vec![(PathBuf::new(), ChangeKind::Rescan)]
        );
    }
}
