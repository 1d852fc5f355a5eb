//! The import sites of one module's source.

use smallvec::SmallVec;

/// Where an import site sits, as a set of flags (several can hold at once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Context(u8);

impl Context {
    /// Module level: runs when the module body runs (class bodies included).
    pub const MODULE_LEVEL: Context = Context(0);
    /// Inside a function or lambda body: runs only when that is called.
    pub const DEFERRED: Context = Context(1);
    /// Inside `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): never runs.
    pub const TYPE_CHECKING: Context = Context(2);
    /// Inside a `try` whose handlers catch `ImportError` (or `ModuleNotFoundError`, `Exception`,
    /// `BaseException`, a bare `except`): an optional dependency.
    pub const OPTIONAL: Context = Context(4);
    /// Under another `if` (`sys.version_info`, `sys.platform`...), or a `match`/loop body.
    pub const CONDITIONAL: Context = Context(8);
    /// `importlib.import_module("literal")` or `__import__("literal")`.
    pub const DYNAMIC: Context = Context(16);
    /// `lazy import` / `lazy from ... import` (PEP 810, 3.15).
    pub const LAZY: Context = Context(32);

    pub fn contains(self, other: Context) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn with(self, other: Context) -> Context {
        Context(self.0 | other.0)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    /// The names of the flags set, in the order above (empty for module level).
    pub fn names(self) -> SmallVec<[&'static str; 4]> {
        const NAMES: [(Context, &str); 6] = [
            (Context::DEFERRED, "deferred"),
            (Context::TYPE_CHECKING, "type_checking"),
            (Context::OPTIONAL, "optional"),
            (Context::CONDITIONAL, "conditional"),
            (Context::DYNAMIC, "dynamic"),
            (Context::LAZY, "lazy"),
        ];
        NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// One import statement's target (or one call's literal argument).
///
/// `import a.b as c, d` gives two sites (`a.b` and `d`, no names); `from ..x.y import p, q`
/// gives one site with `module = "x.y"`, `level = 2`, `names = [p, q]`; `from . import *` gives
/// `module = ""`, `level = 1`, `names = ["*"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSite {
    /// The dotted module name as written, without the leading dots.
    pub module: String,
    /// The number of leading dots (0: absolute).
    pub level: u32,
    /// The names after `import` in a `from` import (`"*"` for a star import); for a call, the
    /// literal `fromlist` of `__import__`; empty for `import a.b`.
    pub names: SmallVec<[String; 2]>,
    /// `true` for `from ... import ...` and for `__import__` with a non-empty fromlist.
    pub is_from: bool,
    /// 1-based line of the statement (or call).
    pub line: u32,
    pub context: Context,
}

/// What `extract` reads from one module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleImports {
    pub sites: Vec<ImportSite>,
    /// `__all__` when the module assigns it a literal list or tuple of strings at module level
    /// (extended by literal `+=` / `.extend([...])`); `None` otherwise.
    pub all: Option<Vec<String>>,
}

/// A source that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line of the error.
    pub line: u32,
    pub message: String,
}

/// Placeholder until the extraction lands (merged from its branch).
pub fn extract(_source: &str) -> Result<ModuleImports, SyntaxError> {
    Ok(ModuleImports::default())
}
