//! Module-name arithmetic: parents, children and relative-name resolution.

/// The error of resolving a relative name, with CPython's exact messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// `ImportError('attempted relative import with no known parent package')`.
    NoParentPackage,
    /// `ImportError('attempted relative import beyond top-level package')`.
    BeyondTopLevel,
}

impl ResolveError {
    pub fn message(&self) -> &'static str {
        match self {
            ResolveError::NoParentPackage => {
                "attempted relative import with no known parent package"
            }
            ResolveError::BeyondTopLevel => "attempted relative import beyond top-level package",
        }
    }
}

/// The parent of a dotted name: `"a.b.c"` → `"a.b"`, `"a"` → `""`.
///
/// Mirrors `name.rpartition('.')[0]` as `importlib._bootstrap` uses it.
pub fn parent(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) => &name[..dot],
        None => "",
    }
}

/// The last component of a dotted name: `"a.b.c"` → `"c"`.
///
/// Mirrors `name.rpartition('.')[2]`.
pub fn tail(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) => &name[dot + 1..],
        None => name,
    }
}

/// The first component of a dotted name: `"a.b.c"` → `"a"`.
///
/// Mirrors `name.partition('.')[0]`.
pub fn head(name: &str) -> &str {
    match name.find('.') {
        Some(dot) => &name[..dot],
        None => name,
    }
}

/// Every proper ancestor of a dotted name, nearest last: `"a.b.c"` → `["a", "a.b"]`.
pub fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('.').map(move |(dot, _)| &name[..dot])
}

/// Resolve a relative module name to an absolute one.
///
/// Mirrors `importlib._bootstrap._resolve_name` (and the C `resolve_name` in `Python/import.c`):
/// `package.rsplit('.', level - 1)` must have at least `level` parts. An empty `name` resolves to
/// the base package itself. `level` must be at least 1.
pub fn resolve_relative(name: &str, package: &str, level: usize) -> Result<String, ResolveError> {
    if package.is_empty() {
        return Err(ResolveError::NoParentPackage);
    }
    let mut base_end = package.len();
    for _ in 1..level {
        match package[..base_end].rfind('.') {
            Some(dot) => base_end = dot,
            None => return Err(ResolveError::BeyondTopLevel),
        }
    }
    let base = &package[..base_end];
    if name.is_empty() {
        Ok(base.to_owned())
    } else {
        let mut resolved = String::with_capacity(base.len() + 1 + name.len());
        resolved.push_str(base);
        resolved.push('.');
        resolved.push_str(name);
        Ok(resolved)
    }
}

/// How many leading dots a name passed to `importlib.import_module` has.
pub fn leading_dots(name: &str) -> usize {
    name.bytes().take_while(|b| *b == b'.').count()
}

/// The module name `__import__` returns for a plain `import a.b.c` statement with level > 0:
/// the resolved module name cut by as many characters as `name` has after its first dot.
///
/// Mirrors the `cut_off` arithmetic of `importlib._bootstrap.__import__`.
pub fn returned_prefix<'a>(resolved: &'a str, name: &str) -> &'a str {
    let cut_off = name.len() - head(name).len();
    &resolved[..resolved.len() - cut_off]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_tail_head() {
        assert_eq!(parent("a.b.c"), "a.b");
        assert_eq!(parent("a"), "");
        assert_eq!(tail("a.b.c"), "c");
        assert_eq!(tail("a"), "a");
        assert_eq!(head("a.b.c"), "a");
        assert_eq!(head("a"), "a");
    }

    #[test]
    fn ancestors_in_order() {
        assert_eq!(ancestors("a.b.c").collect::<Vec<_>>(), vec!["a", "a.b"]);
        assert!(ancestors("a").next().is_none());
    }

    #[test]
    fn resolve_levels() {
        assert_eq!(resolve_relative("x", "a.b", 1).unwrap(), "a.b.x");
        assert_eq!(resolve_relative("x", "a.b", 2).unwrap(), "a.x");
        assert_eq!(resolve_relative("", "a.b", 2).unwrap(), "a");
        assert_eq!(resolve_relative("", "a", 1).unwrap(), "a");
        assert_eq!(
            resolve_relative("x", "a.b", 3),
            Err(ResolveError::BeyondTopLevel)
        );
        assert_eq!(
            resolve_relative("x", "", 1),
            Err(ResolveError::NoParentPackage)
        );
    }

    #[test]
    fn resolve_error_messages_are_cpythons() {
        assert_eq!(
            ResolveError::BeyondTopLevel.message(),
            "attempted relative import beyond top-level package"
        );
        assert_eq!(
            ResolveError::NoParentPackage.message(),
            "attempted relative import with no known parent package"
        );
    }

    #[test]
    fn returned_prefix_cuts_like_bootstrap() {
        assert_eq!(returned_prefix("pkg.a.b", "a.b"), "pkg.a");
        assert_eq!(returned_prefix("pkg.a", "a"), "pkg.a");
    }

    #[test]
    fn dots() {
        assert_eq!(leading_dots("..a"), 2);
        assert_eq!(leading_dots("a"), 0);
    }
}
