//! Module names to what the namespace's import system would find for them, without importing:
//! built-in and frozen modules first, then the path finder's walk over `path` (or a package's
//! `__path__`) with `FileFinder`'s own directory search (`core::finder`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::core::finder::{self, DirectoryHit, Listed};
use crate::core::listing::{self, DirListing};
use crate::core::names;

/// What kind of module a name resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// A `.py` file (`SourceFileLoader`).
    Source,
    /// A `.pyc` file with no source beside it (`SourcelessFileLoader`).
    Bytecode,
    /// A compiled extension module (`ExtensionFileLoader`).
    Extension,
    /// A namespace package (PEP 420): directories without `__init__`.
    Namespace,
    /// Compiled into the interpreter (`sys.builtin_module_names`, `BuiltinImporter`).
    Builtin,
    /// Frozen into the interpreter (`FrozenImporter`); its source file, when the path holds it,
    /// is read for its imports.
    Frozen,
    /// Not found by any finder, but its parent is a plain module (not a package), which can only
    /// be imported from if the parent puts it in `sys.modules` itself (`os` sets `os.path`).
    SetByParent,
    /// Not found.
    Missing,
}

impl ModuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Source => "source",
            ModuleKind::Bytecode => "pyc",
            ModuleKind::Extension => "extension",
            ModuleKind::Namespace => "namespace",
            ModuleKind::Builtin => "builtin",
            ModuleKind::Frozen => "frozen",
            ModuleKind::SetByParent => "set_by_parent",
            ModuleKind::Missing => "missing",
        }
    }
}

/// The kind of file each loader suffix finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Extension,
    Source,
    Bytecode,
}

/// What the namespace's import system is made of, read from it once (with the GIL).
#[derive(Clone, Debug, Default)]
pub struct SearchRules {
    /// The namespace's `path`, as strings (other entries are left out by the caller).
    pub path: Vec<String>,
    /// The loaders' suffixes in `FileFinder`'s order, each with the kind of file it finds.
    pub suffixes: Vec<(String, FileKind)>,
    /// `sys.builtin_module_names`.
    pub builtin: HashSet<String>,
    /// The names `FrozenImporter` finds.
    pub frozen: HashSet<String>,
    /// The current directory, for `""` path entries.
    pub cwd: String,
}

/// What a name resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub kind: ModuleKind,
    /// The file the loader would read (`__init__` for a package); none for built-in, namespace
    /// and missing modules.
    pub file: Option<String>,
    /// The package's `__path__`; `None` for a module that is not a package.
    pub search: Option<Vec<String>>,
}

impl Found {
    fn missing() -> Found {
        Found {
            kind: ModuleKind::Missing,
            file: None,
            search: None,
        }
    }

    pub fn is_package(&self) -> bool {
        self.search.is_some()
    }
}

/// Resolves names with the namespace's rules, remembering every directory listing and every
/// answer. Shared by the threads that parse in parallel.
pub struct Resolver {
    rules: SearchRules,
    suffix_names: Vec<String>,
    listings: Mutex<HashMap<String, Arc<DirListing>>>,
    found: Mutex<HashMap<String, Arc<Found>>>,
}

impl Resolver {
    pub fn new(rules: SearchRules) -> Resolver {
        let suffix_names = rules.suffixes.iter().map(|(s, _)| s.clone()).collect();
        Resolver {
            rules,
            suffix_names,
            listings: Mutex::new(HashMap::new()),
            found: Mutex::new(HashMap::new()),
        }
    }

    pub fn rules(&self) -> &SearchRules {
        &self.rules
    }

    /// The loader suffixes, in order.
    pub fn suffixes(&self) -> &[String] {
        &self.suffix_names
    }

    /// What importing `name` would find; ancestors are resolved first, as `_find_and_load`
    /// imports the parent before it searches the parent's `__path__`.
    pub fn find(&self, name: &str) -> Arc<Found> {
        if let Some(found) = lock(&self.found).get(name) {
            return found.clone();
        }
        let found = Arc::new(self.find_uncached(name));
        lock(&self.found)
            .entry(name.to_owned())
            .or_insert(found)
            .clone()
    }

    fn find_uncached(&self, name: &str) -> Found {
        let module = names::ModuleName::new(name);
        let Some(parent) = module.parent() else {
            return self.find_top_level(name);
        };
        let parent_found = self.find(parent.as_str());
        match (&parent_found.kind, &parent_found.search) {
            (ModuleKind::Missing, _) => Found::missing(),
            (_, Some(search)) => {
                let search = search.clone();
                self.frozen(name, &search, module.tail())
                    .or_else(|| self.find_on_path(&search, module.tail()))
                    .unwrap_or_else(Found::missing)
            }
            (_, None) => Found {
                kind: ModuleKind::SetByParent,
                file: None,
                search: None,
            },
        }
    }

    /// Mirrors the meta path of a namespace: `BuiltinImporter`, `FrozenImporter`, then the path.
    fn find_top_level(&self, name: &str) -> Found {
        if self.rules.builtin.contains(name) {
            return Found {
                kind: ModuleKind::Builtin,
                file: None,
                search: None,
            };
        }
        let path = self.rules.path.clone();
        if let Some(found) = self.frozen(name, &path, name) {
            return found;
        }
        self.find_on_path(&path, name)
            .unwrap_or_else(Found::missing)
    }

    /// Mirrors `FrozenImporter.find_spec`, which comes before the path finder for top-level
    /// modules and submodules alike. The source file the path (`search`) would find for it is
    /// kept, to read its imports.
    fn frozen(&self, name: &str, search: &[String], tail: &str) -> Option<Found> {
        if !self.rules.frozen.contains(name) {
            return None;
        }
        let on_path = self.find_on_path(search, tail);
        Some(Found {
            kind: ModuleKind::Frozen,
            file: on_path.as_ref().and_then(|f| f.file.clone()),
            search: on_path.and_then(|f| f.search),
        })
    }

    /// Mirrors `PathFinder._get_spec`: each entry's `FileFinder` in turn; the first module or
    /// regular package wins; namespace portions are gathered, and make a namespace package if
    /// nothing else is found.
    fn find_on_path(&self, entries: &[String], tail: &str) -> Option<Found> {
        let mut portions = Vec::new();
        for entry in entries {
            let dir = if entry.is_empty() {
                self.rules.cwd.as_str()
            } else {
                entry
            };
            let listing = self.listing(dir);
            let listed = Listed::read(&listing, tail, &self.suffix_names);
            match finder::find_in_directory(&listed, entry, tail, &self.suffix_names) {
                Some(DirectoryHit::Package { init, loader, dir }) => {
                    return Some(Found {
                        kind: self.file_kind(loader),
                        file: Some(init),
                        search: Some(vec![dir]),
                    });
                }
                Some(DirectoryHit::Module { file, loader }) => {
                    return Some(Found {
                        kind: self.file_kind(loader),
                        file: Some(file),
                        search: None,
                    });
                }
                Some(DirectoryHit::NamespacePortion { dir }) => portions.push(dir),
                None => {}
            }
        }
        (!portions.is_empty()).then_some(Found {
            kind: ModuleKind::Namespace,
            file: None,
            search: Some(portions),
        })
    }

    fn file_kind(&self, loader: usize) -> ModuleKind {
        match self.rules.suffixes[loader].1 {
            FileKind::Extension => ModuleKind::Extension,
            FileKind::Source => ModuleKind::Source,
            FileKind::Bytecode => ModuleKind::Bytecode,
        }
    }

    /// A directory's listing, read once for the whole build.
    fn listing(&self, dir: &str) -> Arc<DirListing> {
        if let Some(listing) = lock(&self.listings).get(dir) {
            return listing.clone();
        }
        let mut listing = DirListing::new();
        listing.refill(listing::dir_stamp(dir), listing::read_names(dir));
        lock(&self.listings)
            .entry(dir.to_owned())
            .or_insert_with(|| Arc::new(listing))
            .clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn rules(path: Vec<String>) -> SearchRules {
        SearchRules {
            path,
            suffixes: vec![
                (".so".into(), FileKind::Extension),
                (".py".into(), FileKind::Source),
                (".pyc".into(), FileKind::Bytecode),
            ],
            builtin: ["sys".to_owned()].into_iter().collect(),
            frozen: HashSet::new(),
            cwd: "/".into(),
        }
    }

    #[test]
    fn kinds_and_namespace_portions() {
        let root = std::env::temp_dir().join(format!("importspace-resolve-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for dir in ["a/pkg", "a/ns/one", "b/ns/two"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in [
            "a/pkg/__init__.py",
            "a/pkg/mod.py",
            "a/pkg/ext.so",
            "a/ns/one/__init__.py",
            "b/ns/two.pyc",
            "a/plain.py",
        ] {
            fs::write(root.join(file), "").unwrap();
        }
        let a = root.join("a").to_str().unwrap().to_owned();
        let b = root.join("b").to_str().unwrap().to_owned();
        let resolver = Resolver::new(rules(vec![a.clone(), b.clone()]));
        assert_eq!(resolver.find("sys").kind, ModuleKind::Builtin);
        assert_eq!(
            resolver.find("pkg").file,
            Some(format!("{a}/pkg/__init__.py"))
        );
        assert_eq!(resolver.find("pkg.mod").kind, ModuleKind::Source);
        assert_eq!(resolver.find("pkg.ext").kind, ModuleKind::Extension);
        let ns = resolver.find("ns");
        assert_eq!(ns.kind, ModuleKind::Namespace);
        assert_eq!(ns.search, Some(vec![format!("{a}/ns"), format!("{b}/ns")]));
        assert_eq!(resolver.find("ns.one").kind, ModuleKind::Source);
        assert_eq!(resolver.find("ns.two").kind, ModuleKind::Bytecode);
        assert_eq!(resolver.find("plain.sub").kind, ModuleKind::SetByParent);
        assert_eq!(resolver.find("absent").kind, ModuleKind::Missing);
        assert_eq!(resolver.find("absent.sub").kind, ModuleKind::Missing);
        assert_eq!(resolver.find("pkg.absent").kind, ModuleKind::Missing);
        fs::remove_dir_all(&root).unwrap();
    }
}
