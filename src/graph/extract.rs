//! The import sites of one module's source, read from ruff's syntax tree (docs/graph.md).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, BoolOp, ExceptHandler, Expr, Mod, Number, Operator, Stmt, UnaryOp,
};
use ruff_python_parser::{Mode, ParseOptions};
use ruff_text_size::{Ranged, TextSize};
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

/// A syntax tree nested deeper than this many levels is freed on a thread with a stack sized for
/// it: the syntax tree's destructor recurses once per level, and a pathological file (a million
/// unary minuses) would otherwise overflow the parsing thread's stack.
const SHALLOW_TREE: usize = 1_000;
/// Stack bytes per nesting level when a deep tree is freed (its destructor's frames per level,
/// generously).
const STACK_PER_LEVEL: usize = 1_024;
/// `stacker`'s red zone and growth step for the reader's own recursion (the parser grows its stack
/// the same way).
const RED_ZONE: usize = 128 * 1024;
const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// The import sites of `source` (already decoded text), or its first syntax error.
///
/// Mirrors what CPython's compiler emits `IMPORT_NAME` for (`compiler_import`,
/// `compiler_from_import` in Python/compile.c), plus the literal calls of `importlib.import_module`
/// and `__import__`; the context of each site comes from the statements around it.
pub fn extract(source: &str) -> Result<ModuleImports, SyntaxError> {
    if u32::try_from(source.len()).is_err() {
        // ruff's offsets are 32-bit.
        return Err(SyntaxError {
            line: 1,
            message: "source is larger than 4 GiB".to_owned(),
        });
    }
    let parsed = std::panic::catch_unwind(|| {
        ruff_python_parser::parse_unchecked(source, ParseOptions::from(Mode::Module))
    })
    .map_err(|_| SyntaxError {
        line: 1,
        message: "the parser failed on this source".to_owned(),
    })?;
    let lines = LineIndex::new(source);
    let error = parsed.errors().first().map(|error| SyntaxError {
        line: lines.line(error.location.start()),
        message: error.error.to_string(),
    });
    let mut reader = SiteReader::new(&lines);
    if let Mod::Module(module) = parsed.syntax() {
        reader.visit_body(&module.body);
    }
    let depth = reader.max_depth;
    let imports = reader.finish();
    free_syntax_tree(parsed, depth);
    match error {
        Some(error) => Err(error),
        None => Ok(imports),
    }
}

/// Drop `tree`, on a thread of its own with a stack deep enough when it nests deeper than
/// [`SHALLOW_TREE`]. If no such thread can be started, the tree is leaked rather than risk
/// overflowing this thread's stack (only a pathological file gets there).
fn free_syntax_tree<T: Send + 'static>(tree: T, depth: usize) {
    if depth <= SHALLOW_TREE {
        drop(tree);
        return;
    }
    let stack = depth
        .saturating_mul(STACK_PER_LEVEL)
        .saturating_add(1 << 20);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<T>(1);
    match std::thread::Builder::new()
        .name("importspace-free-tree".to_owned())
        .stack_size(stack)
        .spawn(move || drop(receiver.recv()))
    {
        Ok(handle) => {
            if let Err(std::sync::mpsc::SendError(tree)) = sender.send(tree) {
                std::mem::forget(tree);
            }
            let _ = handle.join();
        }
        Err(_) => std::mem::forget(tree),
    }
}

/// Byte offsets to 1-based line numbers, counting `\n`, `\r\n` and `\r` as line ends as CPython's
/// tokenizer does.
struct LineIndex {
    /// The offset each line after the first starts at.
    starts: Vec<u32>,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        let starts = memchr::memchr2_iter(b'\n', b'\r', bytes)
            .filter(|&at| !(bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n')))
            .map(|at| (at + 1) as u32)
            .collect();
        LineIndex { starts }
    }

    fn line(&self, offset: TextSize) -> u32 {
        let offset = offset.to_u32();
        self.starts.partition_point(|&start| start <= offset) as u32 + 1
    }
}

/// Walks one module's syntax tree, collecting its import sites and its literal `__all__`.
struct SiteReader<'l> {
    lines: &'l LineIndex,
    /// The context of the statement or expression being read.
    context: Context,
    /// The functions and classes around it (0: the module body itself).
    scope_depth: u32,
    depth: usize,
    max_depth: usize,
    sites: Vec<ImportSite>,
    all: Option<Vec<String>>,
}

impl<'l> SiteReader<'l> {
    fn new(lines: &'l LineIndex) -> SiteReader<'l> {
        SiteReader {
            lines,
            context: Context::MODULE_LEVEL,
            scope_depth: 0,
            depth: 0,
            max_depth: 0,
            sites: Vec::new(),
            all: None,
        }
    }

    fn finish(self) -> ModuleImports {
        let all = self.all.map(|mut names| {
            let mut seen = std::collections::HashSet::new();
            names.retain(|name| seen.insert(name.clone()));
            names
        });
        ModuleImports {
            sites: self.sites,
            all,
        }
    }

    /// One level deeper into the tree, growing the stack on the heap when it runs low.
    fn nested(&mut self, read: impl FnOnce(&mut Self)) {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        stacker::maybe_grow(RED_ZONE, STACK_GROWTH, || read(self));
        self.depth -= 1;
    }

    /// Read with `extra` added to the context.
    fn within(&mut self, extra: Context, read: impl FnOnce(&mut Self)) {
        let outer = self.context;
        self.context = outer.with(extra);
        read(self);
        self.context = outer;
    }

    /// Read the body of a function (`deferred`) or a class (its own scope, same context).
    fn scoped(&mut self, extra: Context, read: impl FnOnce(&mut Self)) {
        self.scope_depth += 1;
        self.within(extra, read);
        self.scope_depth -= 1;
    }

    fn push(&mut self, site: ImportSite) {
        self.sites.push(site);
    }

    fn line(&self, node: &impl Ranged) -> u32 {
        self.lines.line(node.start())
    }

    fn statement_context(&self, is_lazy: bool) -> Context {
        if is_lazy {
            self.context.with(Context::LAZY)
        } else {
            self.context
        }
    }

    fn read_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => {
                let context = self.statement_context(import.is_lazy);
                let line = self.line(import);
                for alias in &import.names {
                    self.push(ImportSite {
                        module: alias.name.as_str().to_owned(),
                        level: 0,
                        names: SmallVec::new(),
                        is_from: false,
                        line,
                        context,
                    });
                }
            }
            Stmt::ImportFrom(import) => {
                let site = ImportSite {
                    module: import
                        .module
                        .as_ref()
                        .map_or_else(String::new, |module| module.as_str().to_owned()),
                    level: import.level,
                    names: import
                        .names
                        .iter()
                        .map(|alias| alias.name.as_str().to_owned())
                        .collect(),
                    is_from: true,
                    line: self.line(import),
                    context: self.statement_context(import.is_lazy),
                };
                self.push(site);
            }
            Stmt::FunctionDef(function) => {
                // Decorators, defaults and annotations run when the `def` does; the body later.
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &function.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_parameters(&function.parameters);
                if let Some(returns) = &function.returns {
                    self.visit_annotation(returns);
                }
                self.scoped(Context::DEFERRED, |reader| {
                    reader.visit_body(&function.body)
                });
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &class.type_params {
                    self.visit_type_params(type_params);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.scoped(Context::MODULE_LEVEL, |reader| {
                    reader.visit_body(&class.body)
                });
            }
            Stmt::If(if_) => self.read_if(if_),
            Stmt::Try(try_) => {
                let body_context = if try_.handlers.iter().any(catches_import_error) {
                    Context::OPTIONAL
                } else {
                    Context::MODULE_LEVEL
                };
                self.within(body_context, |reader| reader.visit_body(&try_.body));
                for handler in &try_.handlers {
                    let ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(type_) = &handler.type_ {
                        self.visit_expr(type_);
                    }
                    self.within(Context::CONDITIONAL, |reader| {
                        reader.visit_body(&handler.body)
                    });
                }
                // `else` runs when the body did (an optional import succeeded).
                self.within(body_context, |reader| reader.visit_body(&try_.orelse));
                self.visit_body(&try_.finalbody);
            }
            Stmt::For(for_) => {
                self.visit_expr(&for_.iter);
                self.visit_expr(&for_.target);
                self.within(Context::CONDITIONAL, |reader| {
                    reader.visit_body(&for_.body);
                    reader.visit_body(&for_.orelse);
                });
            }
            Stmt::While(while_) => {
                self.visit_expr(&while_.test);
                self.within(Context::CONDITIONAL, |reader| {
                    reader.visit_body(&while_.body);
                    reader.visit_body(&while_.orelse);
                });
            }
            Stmt::Match(match_) => {
                self.visit_expr(&match_.subject);
                self.within(Context::CONDITIONAL, |reader| {
                    for case in &match_.cases {
                        reader.visit_match_case(case);
                    }
                });
            }
            Stmt::With(with) => {
                for item in &with.items {
                    self.visit_with_item(item);
                }
                let suppresses = with
                    .items
                    .iter()
                    .any(|item| suppresses_import_error(&item.context_expr));
                let body_context = if suppresses {
                    Context::OPTIONAL
                } else {
                    Context::MODULE_LEVEL
                };
                self.within(body_context, |reader| reader.visit_body(&with.body));
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.read_all_assignment(target, &assign.value, false);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.read_all_assignment(&assign.target, value, false);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AugAssign(assign) => {
                if assign.op == Operator::Add {
                    self.read_all_assignment(&assign.target, &assign.value, true);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Expr(expression) => {
                self.read_all_method_call(&expression.value);
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    /// `if`/`elif`/`else`: `if TYPE_CHECKING:` bodies never run; other branches are conditional.
    fn read_if(&mut self, if_: &ast::StmtIf) {
        self.visit_expr(&if_.test);
        let (when_true, mut when_false) = branch_contexts(&if_.test);
        self.within(when_true, |reader| reader.visit_body(&if_.body));
        for clause in &if_.elif_else_clauses {
            match &clause.test {
                Some(test) => {
                    self.within(when_false, |reader| reader.visit_expr(test));
                    let (clause_true, clause_false) = branch_contexts(test);
                    self.within(when_false.with(clause_true), |reader| {
                        reader.visit_body(&clause.body)
                    });
                    when_false = when_false.with(clause_false);
                }
                None => self.within(when_false, |reader| reader.visit_body(&clause.body)),
            }
        }
    }

    /// `importlib.import_module("literal")` / `import_module(...)` and `__import__("literal")` /
    /// `builtins.__import__(...)`.
    fn read_call(&mut self, call: &ast::ExprCall) {
        enum Callee {
            ImportModule,
            DunderImport,
        }
        let callee = match &*call.func {
            Expr::Name(name) if name.id.as_str() == "import_module" => Callee::ImportModule,
            Expr::Name(name) if name.id.as_str() == "__import__" => Callee::DunderImport,
            Expr::Attribute(attribute)
                if attribute.attr.as_str() == "import_module"
                    && is_name(&attribute.value, "importlib") =>
            {
                Callee::ImportModule
            }
            Expr::Attribute(attribute)
                if attribute.attr.as_str() == "__import__"
                    && is_name(&attribute.value, "builtins") =>
            {
                Callee::DunderImport
            }
            _ => return,
        };
        let Some(name) = call
            .arguments
            .find_argument_value("name", 0)
            .and_then(string_literal)
        else {
            return;
        };
        let line = self.line(call);
        let context = self.context.with(Context::DYNAMIC);
        match callee {
            Callee::ImportModule => {
                // `importlib._bootstrap._resolve_name`: a relative name is taken relative to
                // `package`; only `__package__` / `__spec__.parent` give the statement's base.
                let level = name.bytes().take_while(|&byte| byte == b'.').count();
                if level > 0 {
                    let package_is_own = call
                        .arguments
                        .find_argument_value("package", 1)
                        .is_some_and(names_own_package);
                    if !package_is_own {
                        return;
                    }
                }
                if name.len() == level && level == 0 {
                    return;
                }
                self.push(ImportSite {
                    module: name[level..].to_owned(),
                    level: level as u32,
                    names: SmallVec::new(),
                    is_from: false,
                    line,
                    context,
                });
            }
            Callee::DunderImport => {
                if name.is_empty() {
                    return;
                }
                let level = match call.arguments.find_argument_value("level", 4) {
                    None => 0,
                    Some(Expr::NumberLiteral(number)) => match &number.value {
                        Number::Int(int) => match int.as_u8() {
                            Some(level) => u32::from(level),
                            None => return,
                        },
                        _ => return,
                    },
                    Some(_) => return,
                };
                let (names, is_from) = match call.arguments.find_argument_value("fromlist", 3) {
                    None => (SmallVec::new(), false),
                    Some(fromlist) => match literal_string_sequence(fromlist) {
                        Some(names) => {
                            let is_from = !names.is_empty();
                            (names.into_iter().collect(), is_from)
                        }
                        // Not a literal: `__import__` returns the leaf; its names are unknown.
                        None => (SmallVec::new(), !is_none(fromlist)),
                    },
                };
                self.push(ImportSite {
                    module: name.to_owned(),
                    level,
                    names,
                    is_from,
                    line,
                    context,
                });
            }
        }
    }

    /// `__all__ = [...]`, `__all__: list[str] = (...)`, `__all__ += [...]` in the module body.
    fn read_all_assignment(&mut self, target: &Expr, value: &Expr, augmented: bool) {
        if self.scope_depth != 0 || !is_name(target, "__all__") {
            return;
        }
        let mut names = Vec::new();
        literal_strings(value, &mut names);
        let all = self.all.get_or_insert_with(Vec::new);
        // An unconditional assignment replaces; one under a condition may or may not have run.
        if !augmented && self.context == Context::MODULE_LEVEL {
            all.clear();
        }
        all.extend(names);
    }

    /// `__all__.extend([...])` and `__all__.append("name")` in the module body.
    fn read_all_method_call(&mut self, expression: &Expr) {
        if self.scope_depth != 0 {
            return;
        }
        let Expr::Call(call) = expression else {
            return;
        };
        let Expr::Attribute(attribute) = &*call.func else {
            return;
        };
        if !is_name(&attribute.value, "__all__") {
            return;
        }
        let Some(argument) = call.arguments.find_positional(0) else {
            return;
        };
        let mut names = Vec::new();
        match attribute.attr.as_str() {
            "extend" => literal_strings(argument, &mut names),
            "append" => names.extend(string_literal(argument).map(str::to_owned)),
            _ => return,
        }
        self.all.get_or_insert_with(Vec::new).extend(names);
    }
}

impl<'a> Visitor<'a> for SiteReader<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.nested(|reader| reader.read_stmt(stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.nested(|reader| match expr {
            Expr::Call(call) => {
                reader.read_call(call);
                visitor::walk_expr(reader, expr);
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    reader.visit_parameters(parameters);
                }
                reader.within(Context::DEFERRED, |reader| reader.visit_expr(&lambda.body));
            }
            _ => visitor::walk_expr(reader, expr),
        });
    }
}

/// The contexts of an `if`'s body and of what follows when its test is false.
fn branch_contexts(test: &Expr) -> (Context, Context) {
    match test {
        _ if names_type_checking(test) => (Context::TYPE_CHECKING, Context::MODULE_LEVEL),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::Not && names_type_checking(&unary.operand) => {
            (Context::MODULE_LEVEL, Context::TYPE_CHECKING)
        }
        Expr::BoolOp(bool_op)
            if bool_op.op == BoolOp::And && bool_op.values.iter().any(names_type_checking) =>
        {
            (Context::TYPE_CHECKING, Context::CONDITIONAL)
        }
        _ => (Context::CONDITIONAL, Context::CONDITIONAL),
    }
}

/// `TYPE_CHECKING`, `typing.TYPE_CHECKING`, `t.TYPE_CHECKING`...
fn names_type_checking(expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => name.id.as_str() == "TYPE_CHECKING",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

/// Whether an `except` clause catches a failed import: a bare `except`, or one naming
/// `ImportError`, `ModuleNotFoundError`, `Exception` or `BaseException` (alone or in a tuple).
fn catches_import_error(handler: &ExceptHandler) -> bool {
    let ExceptHandler::ExceptHandler(handler) = handler;
    handler
        .type_
        .as_deref()
        .is_none_or(names_import_error_class)
}

fn names_import_error_class(expr: &Expr) -> bool {
    const CLASSES: [&str; 4] = [
        "ImportError",
        "ModuleNotFoundError",
        "Exception",
        "BaseException",
    ];
    match expr {
        Expr::Name(name) => CLASSES.contains(&name.id.as_str()),
        Expr::Attribute(attribute) => CLASSES.contains(&attribute.attr.as_str()),
        Expr::Tuple(tuple) => tuple.elts.iter().any(names_import_error_class),
        _ => false,
    }
}

/// `contextlib.suppress(ImportError)` / `suppress(ModuleNotFoundError, ...)`.
fn suppresses_import_error(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    let is_suppress = match &*call.func {
        Expr::Name(name) => name.id.as_str() == "suppress",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "suppress",
        _ => false,
    };
    is_suppress && call.arguments.args.iter().any(names_import_error_class)
}

fn is_name(expr: &Expr, id: &str) -> bool {
    matches!(expr, Expr::Name(name) if name.id.as_str() == id)
}

fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::NoneLiteral(_))
}

/// `__package__` or `__spec__.parent`: the base a relative import statement uses.
fn names_own_package(expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => name.id.as_str() == "__package__",
        Expr::Attribute(attribute) => {
            attribute.attr.as_str() == "parent" && is_name(&attribute.value, "__spec__")
        }
        _ => false,
    }
}

/// A string literal's value (implicit concatenation included; f-strings and bytes are not
/// literals here).
fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
        _ => None,
    }
}

/// A list or tuple made only of string literals (`None` if anything in it is not one).
fn literal_string_sequence(expr: &Expr) -> Option<Vec<String>> {
    let elements = match expr {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        _ => return None,
    };
    elements
        .iter()
        .map(|element| string_literal(element).map(str::to_owned))
        .collect()
}

/// The string literals of a list or tuple display, or of a `+` of such displays (the literal
/// parts of `__all__ = [...] + other.__all__`).
fn literal_strings(expr: &Expr, names: &mut Vec<String>) {
    match expr {
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            names.extend(elts.iter().filter_map(string_literal).map(str::to_owned));
        }
        Expr::BinOp(binary) if binary.op == Operator::Add => {
            literal_strings(&binary.left, names);
            literal_strings(&binary.right, names);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
