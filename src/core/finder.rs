//! The search `FileFinder.find_spec` makes in one directory, with no Python objects: the engine's
//! `FileFinder` builds a spec from its answer, the static import graph a module node.

use std::fs;

use smallvec::SmallVec;

use super::listing::DirListing;
use super::paths;

/// What one directory holds for a module name's last part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryHit {
    /// A regular package: `dir/tail/__init__<suffix>`, found with the loader at `loader`.
    Package {
        init: String,
        loader: usize,
        dir: String,
    },
    /// A module file `dir/tail<suffix>`, found with the loader at `loader`.
    Module { file: String, loader: usize },
    /// A directory `dir/tail` with no `__init__`: a portion of a namespace package.
    NamespacePortion { dir: String },
}

/// Which of the names the search may stat are in the directory's listing: `tail` itself, and
/// `tail` + each suffix. Read with the listing's lock held, used after it is released.
#[derive(Debug, Clone)]
pub struct Listed {
    tail: bool,
    with_suffix: SmallVec<[bool; 8]>,
}

impl Listed {
    pub fn read<S: AsRef<str>>(listing: &DirListing, tail: &str, suffixes: &[S]) -> Listed {
        Listed {
            tail: listing.contains(tail),
            with_suffix: suffixes
                .iter()
                .map(|suffix| listing.contains_joined(tail, suffix.as_ref()))
                .collect(),
        }
    }
}

/// Mirrors the search in `FileFinder.find_spec`, given what the directory's up-to-date listing
/// holds (`listed`): a package (`tail/__init__` with each loader suffix in order), then a module
/// (`tail` + each suffix), then a namespace portion. `suffixes` are the loaders' suffixes in the
/// finder's order; `path` is the finder's own path (`""` for the current directory).
pub fn find_in_directory<S: AsRef<str>>(
    listed: &Listed,
    path: &str,
    tail: &str,
    suffixes: &[S],
) -> Option<DirectoryHit> {
    let base_path = paths::join2(path, tail);
    let mut is_namespace = false;
    if listed.tail {
        for (loader, suffix) in suffixes.iter().enumerate() {
            let init = paths::join2(&base_path, &format!("__init__{}", suffix.as_ref()));
            if is_file(&init) {
                return Some(DirectoryHit::Package {
                    init,
                    loader,
                    dir: base_path,
                });
            }
        }
        is_namespace = is_dir(&base_path);
    }
    for (loader, suffix) in suffixes.iter().enumerate() {
        if listed.with_suffix[loader] {
            let file = paths::join2(path, &format!("{tail}{}", suffix.as_ref()));
            if is_file(&file) {
                return Some(DirectoryHit::Module { file, loader });
            }
        }
    }
    is_namespace.then_some(DirectoryHit::NamespacePortion { dir: base_path })
}

/// `_path_isfile`: a stat that cannot fail.
pub fn is_file(path: &str) -> bool {
    fs::metadata(path).map(|m| m.is_file()).unwrap_or(false)
}

/// `_path_isdir`: a stat that cannot fail.
pub fn is_dir(path: &str) -> bool {
    fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::listing::{dir_stamp, read_names};

    fn find(dir: &str, tail: &str, suffixes: &[&str]) -> Option<DirectoryHit> {
        let mut listing = DirListing::new();
        listing.refill(dir_stamp(dir), read_names(dir));
        find_in_directory(&Listed::read(&listing, tail, suffixes), dir, tail, suffixes)
    }

    #[test]
    fn package_then_module_then_portion() {
        let root = std::env::temp_dir().join(format!("importspace-finder-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("pkg")).unwrap();
        fs::write(root.join("pkg/__init__.py"), "").unwrap();
        fs::write(root.join("pkg.py"), "").unwrap();
        fs::write(root.join("mod.pyc"), "").unwrap();
        fs::write(root.join("mod.py"), "").unwrap();
        fs::create_dir_all(root.join("portion")).unwrap();
        let dir = root.to_str().unwrap();
        let suffixes = [".so", ".py", ".pyc"];
        assert_eq!(
            find(dir, "pkg", &suffixes),
            Some(DirectoryHit::Package {
                init: format!("{dir}/pkg/__init__.py"),
                loader: 1,
                dir: format!("{dir}/pkg"),
            })
        );
        assert_eq!(
            find(dir, "mod", &suffixes),
            Some(DirectoryHit::Module {
                file: format!("{dir}/mod.py"),
                loader: 1
            })
        );
        assert_eq!(
            find(dir, "portion", &suffixes),
            Some(DirectoryHit::NamespacePortion {
                dir: format!("{dir}/portion")
            })
        );
        assert_eq!(find(dir, "absent", &suffixes), None);
        fs::remove_dir_all(&root).unwrap();
    }
}
