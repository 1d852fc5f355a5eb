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
    /// CPython's message for this error (the `ImportError`'s only argument).
    pub fn message(&self) -> &'static str {
        match self {
            ResolveError::NoParentPackage => {
                "attempted relative import with no known parent package"
            }
            ResolveError::BeyondTopLevel => "attempted relative import beyond top-level package",
        }
    }
}

/// A dotted module name (`"a.b.c"`), borrowed: the arithmetic on it in one place.
///
/// Borrowed and `Copy` rather than owned: every name the engine walks is already held as a `&str`
/// or `String` by its caller (extracted from a Python `str`), and `parent`, `tail`, `head` and
/// `ancestors` are slices of it, so none of them allocates; only [`ModuleName::child`] and
/// [`ModuleName::resolve_relative`], which make new names, return an owned `String`.
///
/// Any text is accepted, as CPython accepts any `str` as a name: empty components (`"a..b"`,
/// `".a"`, `"a."`) are split exactly as `str.rpartition('.')` / `str.partition('.')` split them,
/// and nothing is validated. The engine keeps names as UTF-8: a name with lone surrogates
/// (`'q\udc80'`), which is no valid UTF-8, is dealt with at the Python edge (see
/// `errors::unencodable_name_not_found`) before a `ModuleName` exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleName<'a>(&'a str);

impl<'a> ModuleName<'a> {
    /// Wrap a dotted name; any text is accepted (see the type's documentation).
    pub const fn new(name: &'a str) -> Self {
        ModuleName(name)
    }

    /// The name as text.
    pub const fn as_str(self) -> &'a str {
        self.0
    }

    /// True if the name has no dot, i.e. names a top-level module: `"a"`, but not `"a.b"`.
    pub fn is_top_level(self) -> bool {
        !self.0.contains('.')
    }

    /// The parent package: `"a.b.c"` → `Some("a.b")`, and `None` for a top-level name (`"a"`).
    ///
    /// `Option` rather than the empty-string convention of the free [`parent`] (which is
    /// `self.parent()` with `None` as `""`), so that "no parent" is not a name. It is `None`
    /// exactly when the name has no dot: a malformed `".a"` has the parent `Some("")`, as
    /// `name.rpartition('.')[0]` says.
    pub fn parent(self) -> Option<ModuleName<'a>> {
        self.0.rfind('.').map(|dot| ModuleName(&self.0[..dot]))
    }

    /// The last component: `"a.b.c"` → `"c"`, `"a"` → `"a"` (`name.rpartition('.')[2]`).
    pub fn tail(self) -> &'a str {
        match self.0.rfind('.') {
            Some(dot) => &self.0[dot + 1..],
            None => self.0,
        }
    }

    /// The top-level package: `"a.b.c"` → `"a"`, `"a"` → `"a"` (`name.partition('.')[0]`).
    pub fn head(self) -> ModuleName<'a> {
        match self.0.find('.') {
            Some(dot) => ModuleName(&self.0[..dot]),
            None => self,
        }
    }

    /// Every proper ancestor, outermost first: `"a.b.c"` → `"a"`, `"a.b"`; none for `"a"`.
    ///
    /// The name is its last ancestor, a dot and its [`tail`](Self::tail) (or just its tail if it
    /// has no ancestor); this is the order `_find_and_load` imports parents in.
    pub fn ancestors(self) -> impl Iterator<Item = ModuleName<'a>> + Clone + 'a {
        let name = self.0;
        name.match_indices('.')
            .map(move |(dot, _)| ModuleName(&name[..dot]))
    }

    /// Whether this is `package` or a module below it: `"a.b"` is within `"a"` and `"a.b"`,
    /// `"ab"` is not within `"a"`.
    pub fn is_within(self, package: &str) -> bool {
        self.0 == package || self.is_below(package)
    }

    /// Whether this is a module strictly below `package`: `"a.b"` is below `"a"`, `"a"` is not.
    pub fn is_below(self, package: &str) -> bool {
        self.0.len() > package.len()
            && self.0.starts_with(package)
            && self.0.as_bytes()[package.len()] == b'.'
    }

    /// The name of the child `tail` of this package: `"a.b"` and `"c"` → `"a.b.c"`.
    ///
    /// `tail` is joined as given; with no dot in it, `ModuleName::new(&child).parent()` is `self`.
    pub fn child(self, tail: &str) -> String {
        let mut child = String::with_capacity(self.0.len() + 1 + tail.len());
        child.push_str(self.0);
        child.push('.');
        child.push_str(tail);
        child
    }

    /// Resolve this name, relative to `package` at `level` (the number of leading dots, at
    /// least 1, the dots themselves not part of `self`), to an absolute name.
    ///
    /// Mirrors `importlib._bootstrap._resolve_name` (and the C `resolve_name` in
    /// `Python/import.c`), with `_sanity_check`'s error for an empty package: the base is
    /// `package` with `level - 1` trailing components dropped, and `package.rsplit('.', level - 1)`
    /// must have at least `level` parts. An empty name resolves to the base package itself.
    pub fn resolve_relative(
        self,
        package: ModuleName<'_>,
        level: usize,
    ) -> Result<String, ResolveError> {
        if package.0.is_empty() {
            return Err(ResolveError::NoParentPackage);
        }
        let mut base = package;
        for _ in 1..level {
            base = base.parent().ok_or(ResolveError::BeyondTopLevel)?;
        }
        if self.0.is_empty() {
            Ok(base.0.to_owned())
        } else {
            Ok(base.child(self.0))
        }
    }
}

impl<'a> From<&'a str> for ModuleName<'a> {
    fn from(name: &'a str) -> Self {
        ModuleName(name)
    }
}

impl AsRef<str> for ModuleName<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Display for ModuleName<'_> {
    /// The name as is, unquoted (messages quote it with `errors::repr_str`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The parent of a dotted name: `"a.b.c"` → `"a.b"`, `"a"` → `""`.
///
/// Mirrors `name.rpartition('.')[0]` as `importlib._bootstrap` uses it; [`ModuleName::parent`]
/// with `None` as `""`.
pub fn parent(name: &str) -> &str {
    ModuleName(name).parent().map_or("", ModuleName::as_str)
}

/// The last component of a dotted name: `"a.b.c"` → `"c"`.
///
/// Mirrors `name.rpartition('.')[2]`; [`ModuleName::tail`].
pub fn tail(name: &str) -> &str {
    ModuleName(name).tail()
}

/// The first component of a dotted name: `"a.b.c"` → `"a"`.
///
/// Mirrors `name.partition('.')[0]`; [`ModuleName::head`].
pub fn head(name: &str) -> &str {
    ModuleName(name).head().as_str()
}

/// Every proper ancestor of a dotted name, nearest last: `"a.b.c"` → `["a", "a.b"]`;
/// [`ModuleName::ancestors`].
pub fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    ModuleName(name).ancestors().map(ModuleName::as_str)
}

/// Resolve a relative module name to an absolute one; [`ModuleName::resolve_relative`].
///
/// Mirrors `importlib._bootstrap._resolve_name` (and the C `resolve_name` in `Python/import.c`):
/// `package.rsplit('.', level - 1)` must have at least `level` parts. An empty `name` resolves to
/// the base package itself. `level` must be at least 1.
pub fn resolve_relative(name: &str, package: &str, level: usize) -> Result<String, ResolveError> {
    ModuleName(name).resolve_relative(ModuleName(package), level)
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
    fn within_and_below_follow_dots_not_prefixes() {
        let name = ModuleName::new("a.b");
        assert!(name.is_within("a") && name.is_within("a.b"));
        assert!(name.is_below("a") && !name.is_below("a.b"));
        assert!(!ModuleName::new("ab").is_within("a"));
        assert!(!ModuleName::new("a").is_below("a"));
    }

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
    fn module_name_parts() {
        let name = ModuleName::new("a.b.c");
        assert_eq!(name.as_str(), "a.b.c");
        assert_eq!(name.parent(), Some(ModuleName::new("a.b")));
        assert_eq!(name.tail(), "c");
        assert_eq!(name.head(), ModuleName::new("a"));
        assert!(!name.is_top_level());
        assert_eq!(name.to_string(), "a.b.c");

        let top = ModuleName::from("a");
        assert_eq!(top.parent(), None);
        assert_eq!(top.tail(), "a");
        assert_eq!(top.head(), top);
        assert!(top.is_top_level());
        assert!(top.ancestors().next().is_none());

        // Malformed names split as `rpartition` / `partition` split them.
        assert_eq!(ModuleName::new(".a").parent(), Some(ModuleName::new("")));
        assert_eq!(ModuleName::new("a.").tail(), "");
        assert_eq!(ModuleName::new("").parent(), None);
        assert!(ModuleName::new("").is_top_level());
    }

    #[test]
    fn module_name_ancestors_and_children() {
        let name = ModuleName::new("a.b.c");
        let ancestors: Vec<_> = name.ancestors().map(ModuleName::as_str).collect();
        assert_eq!(ancestors, vec!["a", "a.b"]);
        assert_eq!(ModuleName::new("a.b").child("c"), "a.b.c");
        assert_eq!(
            ModuleName::new(&ModuleName::new("a.b").child("c")).parent(),
            Some(ModuleName::new("a.b"))
        );
    }

    #[test]
    fn module_name_resolves_like_the_free_function() {
        let pkg = ModuleName::new("a.b");
        assert_eq!(
            ModuleName::new("x").resolve_relative(pkg, 1).unwrap(),
            "a.b.x"
        );
        assert_eq!(
            ModuleName::new("x").resolve_relative(pkg, 2).unwrap(),
            "a.x"
        );
        assert_eq!(ModuleName::new("").resolve_relative(pkg, 2).unwrap(), "a");
        assert_eq!(
            ModuleName::new("x").resolve_relative(pkg, 3),
            Err(ResolveError::BeyondTopLevel)
        );
        assert_eq!(
            ModuleName::new("x").resolve_relative(ModuleName::new(""), 1),
            Err(ResolveError::NoParentPackage)
        );
        // `"a..b".rsplit('.', 2)` has three parts: the empty component counts.
        assert_eq!(
            ModuleName::new("x")
                .resolve_relative(ModuleName::new("a..b"), 3)
                .unwrap(),
            "a.x"
        );
    }

    #[test]
    fn dots() {
        assert_eq!(leading_dots("..a"), 2);
        assert_eq!(leading_dots("a"), 0);
    }
}
