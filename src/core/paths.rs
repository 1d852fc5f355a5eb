//! POSIX path arithmetic as `importlib._bootstrap_external` does it (no `os.path`), and
//! `cache_from_source`.

/// The path separator. importspace supports POSIX systems only (see docs/compliance.md).
pub const SEP: char = '/';

/// Mirrors `_bootstrap_external._path_join` on POSIX: drop empty parts, strip trailing
/// separators from each part, join with `/`.
pub fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    let mut first = true;
    for part in parts.iter().filter(|p| !p.is_empty()) {
        if !first {
            out.push(SEP);
        }
        out.push_str(part.trim_end_matches(SEP));
        first = false;
    }
    out
}

/// `join(&[a, b])` without the slice.
pub fn join2(dir: &str, name: &str) -> String {
    join(&[dir, name])
}

/// Mirrors `_bootstrap_external._path_split`: split at the last separator.
pub fn split(path: &str) -> (&str, &str) {
    match path.rfind(SEP) {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Mirrors `_bootstrap_external._path_isabs` on POSIX.
pub fn is_absolute(path: &str) -> bool {
    path.starts_with(SEP)
}

/// How a version of CPython turns a path entry into `FileFinder.path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinderPathRule {
    /// 3.9 and 3.10: `path or '.'`, joined onto the cwd when relative.
    JoinOntoCwd,
    /// 3.11: `''` and `'.'` become the cwd; other relative paths are joined onto it.
    CwdForDot,
    /// 3.12+: `_path_abspath`, which also drops a leading `./`.
    AbsPath,
}

impl FinderPathRule {
    /// Mirrors the path normalisation in `FileFinder.__init__`.
    pub fn normalise(self, path: &str, cwd: impl FnOnce() -> String) -> String {
        match self {
            FinderPathRule::JoinOntoCwd => {
                let path = if path.is_empty() { "." } else { path };
                if is_absolute(path) {
                    path.to_owned()
                } else {
                    join2(&cwd(), path)
                }
            }
            FinderPathRule::CwdForDot => {
                if path.is_empty() || path == "." {
                    cwd()
                } else if !is_absolute(path) {
                    join2(&cwd(), path)
                } else {
                    path.to_owned()
                }
            }
            FinderPathRule::AbsPath => {
                if path.is_empty() || path == "." {
                    cwd()
                } else if !is_absolute(path) {
                    join2(&cwd(), path.strip_prefix("./").unwrap_or(path))
                } else {
                    path.to_owned()
                }
            }
        }
    }
}

/// The error of `cache_from_source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// `sys.implementation.cache_tag` is None: `NotImplementedError`.
    NoCacheTag,
    /// `ValueError('{!r} is not alphanumeric')` for the optimization level.
    BadOptimization(String),
}

/// What `cache_from_source` reads from the interpreter.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `sys.implementation.cache_tag`, e.g. `cpython-311`.
    pub cache_tag: Option<String>,
    /// The optimization suffix: `""` for `-O0`, else the level (`sys.flags.optimize`).
    pub optimization: String,
    /// `sys.pycache_prefix`.
    pub pycache_prefix: Option<String>,
    /// 3.12+: a relative directory is made absolute by `_path_abspath`, which drops a leading
    /// `./`; before, by `_path_join(getcwd(), head)`, which keeps it.
    pub abspath_drops_dot_slash: bool,
}

/// Mirrors `importlib._bootstrap_external.cache_from_source` on POSIX.
///
/// `cwd` is asked for only when `pycache_prefix` is set and `path` is relative.
pub fn cache_from_source(
    path: &str,
    settings: &CacheSettings,
    cwd: impl FnOnce() -> String,
) -> Result<String, CacheError> {
    let (head, tail) = split(path);
    let (base, sep, rest) = match tail.rfind('.') {
        Some(i) => (&tail[..i], ".", &tail[i + 1..]),
        None => ("", "", tail),
    };
    let tag = settings
        .cache_tag
        .as_deref()
        .ok_or(CacheError::NoCacheTag)?;
    let mut filename = String::with_capacity(tail.len() + tag.len() + 12);
    filename.push_str(if base.is_empty() { rest } else { base });
    filename.push_str(sep);
    filename.push_str(tag);
    if !settings.optimization.is_empty() {
        if !settings.optimization.chars().all(char::is_alphanumeric) {
            return Err(CacheError::BadOptimization(settings.optimization.clone()));
        }
        filename.push_str(".opt-");
        filename.push_str(&settings.optimization);
    }
    filename.push_str(".pyc");
    match &settings.pycache_prefix {
        Some(prefix) => {
            let absolute_head;
            let head = if is_absolute(head) {
                head
            } else {
                let relative = match settings.abspath_drops_dot_slash {
                    true => head.strip_prefix("./").unwrap_or(head),
                    false => head,
                };
                absolute_head = join2(&cwd(), relative);
                &absolute_head
            };
            Ok(join(&[prefix, head.trim_start_matches(SEP), &filename]))
        }
        None => Ok(join(&[head, "__pycache__", &filename])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tag: &str, opt: &str, prefix: Option<&str>) -> CacheSettings {
        CacheSettings {
            cache_tag: Some(tag.to_owned()),
            optimization: opt.to_owned(),
            pycache_prefix: prefix.map(str::to_owned),
            abspath_drops_dot_slash: false,
        }
    }

    #[test]
    fn join_and_split() {
        assert_eq!(join(&["/a/", "b", "", "c"]), "/a/b/c");
        assert_eq!(split("/a/b/c.py"), ("/a/b", "c.py"));
        assert_eq!(split("c.py"), ("", "c.py"));
    }

    #[test]
    fn cache_paths() {
        let s = settings("cpython-311", "", None);
        let cwd = || unreachable!();
        assert_eq!(
            cache_from_source("/p/mod.py", &s, cwd).unwrap(),
            "/p/__pycache__/mod.cpython-311.pyc"
        );
        assert_eq!(
            cache_from_source("/p/foo", &s, || unreachable!()).unwrap(),
            "/p/__pycache__/foocpython-311.pyc"
        );
        assert_eq!(
            cache_from_source("/p/a.b.py", &s, || unreachable!()).unwrap(),
            "/p/__pycache__/a.b.cpython-311.pyc"
        );
        let s = settings("cpython-311", "2", None);
        assert_eq!(
            cache_from_source("/p/m.py", &s, || unreachable!()).unwrap(),
            "/p/__pycache__/m.cpython-311.opt-2.pyc"
        );
        let s = settings("cpython-311", "", Some("/tmp/pc"));
        assert_eq!(
            cache_from_source("rel/m.py", &s, || "/cwd".to_owned()).unwrap(),
            "/tmp/pc/cwd/rel/m.cpython-311.pyc"
        );
        let s = settings("cpython-311", "a-b", None);
        assert_eq!(
            cache_from_source("/p/m.py", &s, || unreachable!()),
            Err(CacheError::BadOptimization("a-b".to_owned()))
        );
        let s = CacheSettings {
            cache_tag: None,
            optimization: String::new(),
            pycache_prefix: None,
            abspath_drops_dot_slash: true,
        };
        assert_eq!(
            cache_from_source("/p/m.py", &s, || unreachable!()),
            Err(CacheError::NoCacheTag)
        );
    }

    #[test]
    fn finder_paths_per_version() {
        let cwd = || "/cwd".to_owned();
        assert_eq!(FinderPathRule::JoinOntoCwd.normalise(".", cwd), "/cwd/.");
        assert_eq!(FinderPathRule::CwdForDot.normalise(".", cwd), "/cwd");
        assert_eq!(FinderPathRule::AbsPath.normalise("./x", cwd), "/cwd/x");
        assert_eq!(FinderPathRule::CwdForDot.normalise("./x", cwd), "/cwd/./x");
        assert_eq!(FinderPathRule::AbsPath.normalise("/abs", cwd), "/abs");
    }
}
