use super::*;

/// `(module, level, names, line, context names)` of one site.
type SiteFields = (String, u32, Vec<String>, u32, Vec<&'static str>);

/// The fields of each site, in order.
fn sites(source: &str) -> Vec<SiteFields> {
    extract(source)
        .expect("parses")
        .sites
        .into_iter()
        .map(|site| {
            (
                site.module,
                site.level,
                site.names.into_vec(),
                site.line,
                site.context.names().into_vec(),
            )
        })
        .collect()
}

fn site(
    module: &str,
    level: u32,
    names: &[&str],
    line: u32,
    context: &[&'static str],
) -> SiteFields {
    (
        module.to_owned(),
        level,
        names.iter().map(|name| (*name).to_owned()).collect(),
        line,
        context.to_vec(),
    )
}

#[test]
fn statements_give_one_site_per_module() {
    let source = "import a.b as c, d\nfrom ..x.y import (p,\n    q)\nfrom . import *\nfrom __future__ import annotations\n";
    assert_eq!(
        sites(source),
        vec![
            site("a.b", 0, &[], 1, &[]),
            site("d", 0, &[], 1, &[]),
            site("x.y", 2, &["p", "q"], 2, &[]),
            site("", 1, &["*"], 4, &[]),
            site("__future__", 0, &["annotations"], 5, &[]),
        ]
    );
}

#[test]
fn function_and_lambda_bodies_are_deferred_but_their_headers_are_not() {
    let source = "\
@deco(__import__('d1'))
def f(x=__import__('d2')):
    import inner
    class K:
        import in_class
    def g():
        from . import deep
h = lambda: __import__('in_lambda')
class C:
    import class_level
";
    assert_eq!(
        sites(source),
        vec![
            site("d1", 0, &[], 1, &["dynamic"]),
            site("d2", 0, &[], 2, &["dynamic"]),
            site("inner", 0, &[], 3, &["deferred"]),
            site("in_class", 0, &[], 5, &["deferred"]),
            site("", 1, &["deep"], 7, &["deferred"]),
            site("in_lambda", 0, &[], 8, &["deferred", "dynamic"]),
            site("class_level", 0, &[], 10, &[]),
        ]
    );
}

#[test]
fn type_checking_blocks_and_their_else() {
    let source = "\
from typing import TYPE_CHECKING
import typing
if TYPE_CHECKING:
    import only_for_types
else:
    import at_run_time
if typing.TYPE_CHECKING:
    import also_types
elif sys.version_info >= (3, 11):
    import newer
if not TYPE_CHECKING:
    import runs
else:
    import types_again
if TYPE_CHECKING and x:
    import both
if TYPE_CHECKING or x:
    import either
";
    assert_eq!(
        sites(source),
        vec![
            site("typing", 0, &["TYPE_CHECKING"], 1, &[]),
            site("typing", 0, &[], 2, &[]),
            site("only_for_types", 0, &[], 4, &["type_checking"]),
            site("at_run_time", 0, &[], 6, &[]),
            site("also_types", 0, &[], 8, &["type_checking"]),
            site("newer", 0, &[], 10, &["conditional"]),
            site("runs", 0, &[], 12, &[]),
            site("types_again", 0, &[], 14, &["type_checking"]),
            site("both", 0, &[], 16, &["type_checking"]),
            site("either", 0, &[], 18, &["conditional"]),
        ]
    );
}

#[test]
fn optional_imports_and_their_fallbacks() {
    let source = "\
try:
    import fast
except ImportError:
    import slow
else:
    import fast.extra
finally:
    import always
try:
    import a
except (ValueError, ModuleNotFoundError):
    pass
try:
    import b
except KeyError:
    import c
try:
    import d
except:
    pass
with contextlib.suppress(ImportError):
    import e
with open(p):
    import f
";
    assert_eq!(
        sites(source),
        vec![
            site("fast", 0, &[], 2, &["optional"]),
            site("slow", 0, &[], 4, &["conditional"]),
            site("fast.extra", 0, &[], 6, &["optional"]),
            site("always", 0, &[], 8, &[]),
            site("a", 0, &[], 10, &["optional"]),
            site("b", 0, &[], 14, &[]),
            site("c", 0, &[], 16, &["conditional"]),
            site("d", 0, &[], 18, &["optional"]),
            site("e", 0, &[], 22, &["optional"]),
            site("f", 0, &[], 24, &[]),
        ]
    );
}

#[test]
fn loops_and_match_are_conditional() {
    let source = "\
for x in y:
    import in_for
while w:
    import in_while
match v:
    case 1:
        import in_case
";
    assert_eq!(
        sites(source),
        vec![
            site("in_for", 0, &[], 2, &["conditional"]),
            site("in_while", 0, &[], 4, &["conditional"]),
            site("in_case", 0, &[], 7, &["conditional"]),
        ]
    );
}

#[test]
fn literal_dynamic_imports() {
    let source = "\
import importlib
importlib.import_module('pkg.mod')
import_module('.rel', __package__)
import_module('..up.x', package=__spec__.parent)
import_module('.skipped', 'some.package')
importlib.import_module(name)
importlib.import_module(f'pkg.{x}')
__import__('a.b')
__import__('c', globals(), locals(), ['d', 'e'])
__import__('f', fromlist=names)
__import__('g', fromlist=None)
__import__('h', globals(), None, [], 1)
builtins.__import__('i')
";
    assert_eq!(
        sites(source),
        vec![
            site("importlib", 0, &[], 1, &[]),
            site("pkg.mod", 0, &[], 2, &["dynamic"]),
            site("rel", 1, &[], 3, &["dynamic"]),
            site("up.x", 2, &[], 4, &["dynamic"]),
            site("a.b", 0, &[], 8, &["dynamic"]),
            site("c", 0, &["d", "e"], 9, &["dynamic"]),
            site("f", 0, &[], 10, &["dynamic"]),
            site("g", 0, &[], 11, &["dynamic"]),
            site("h", 1, &[], 12, &["dynamic"]),
            site("i", 0, &[], 13, &["dynamic"]),
        ]
    );
    let imports = extract("__import__('c', fromlist=['d'])\n__import__('f', fromlist=x)\n")
        .unwrap()
        .sites;
    assert!(imports[0].is_from && imports[1].is_from);
}

#[test]
fn lazy_imports() {
    let source = "lazy import a\nlazy from b import c\ndef f():\n    lazy import d\n";
    assert_eq!(
        sites(source),
        vec![
            site("a", 0, &[], 1, &["lazy"]),
            site("b", 0, &["c"], 2, &["lazy"]),
            site("d", 0, &[], 4, &["deferred", "lazy"]),
        ]
    );
}

#[test]
fn literal_parts_of_all() {
    let all = |source: &str| extract(source).unwrap().all;
    assert_eq!(all("x = 1\n"), None);
    assert_eq!(
        all("__all__ = ['a', 'b']\n__all__ += ('c',)\n__all__.append('d')\n__all__.extend(['e', x])\n"),
        Some(vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()])
    );
    assert_eq!(
        all("__all__ = ['old']\n__all__: list[str] = ['new'] + other.__all__ + ['more']\n"),
        Some(vec!["new".into(), "more".into()])
    );
    // A conditional assignment may not run: both lists count.
    assert_eq!(
        all("__all__ = ['a']\nif x:\n    __all__ = ['b', 'a']\n"),
        Some(vec!["a".into(), "b".into()])
    );
    // Not the module's: a class attribute or a function's local.
    assert_eq!(
        all("class C:\n    __all__ = ['c']\ndef f():\n    __all__ = ['f']\n"),
        None
    );
}

#[test]
fn line_numbers_count_every_line_ending() {
    let source = "x = 1\r\nimport a\rimport b\n\n\\\nimport c\n";
    let lines: Vec<u32> = extract(source)
        .unwrap()
        .sites
        .iter()
        .map(|s| s.line)
        .collect();
    assert_eq!(lines, vec![2, 3, 6]);
}

#[test]
fn syntax_errors_are_reported_with_their_line() {
    let error = extract("import a\n\ndef f(:\n    pass\n").unwrap_err();
    assert_eq!(error.line, 3);
    assert!(!error.message.is_empty());
    assert!(extract("from . import\n").is_err());
    assert!(extract("x = (\n").is_err());
}

#[test]
fn modern_syntax_parses() {
    let source = "\
type Alias[T] = list[T]
def f[T](x: T) -> T:
    return x
print(f\"{'nested' + f\"{1}\"}\")
match p:
    case {'k': [1, *rest]} if rest:
        import m
try:
    pass
except* ValueError:
    import n
";
    let modules: Vec<String> = extract(source)
        .unwrap()
        .sites
        .into_iter()
        .map(|site| site.module)
        .collect();
    assert_eq!(modules, vec!["m", "n"]);
}

#[test]
fn pathological_nesting_is_read_without_overflowing_the_stack() {
    const DEPTH: usize = 200_000;
    let deep_unary = format!("import a\nx = {}1\n", "-".repeat(DEPTH));
    assert_eq!(extract(&deep_unary).unwrap().sites.len(), 1);
    let deep_parens = format!(
        "x = {}__import__('b'){}\n",
        "(".repeat(DEPTH),
        ")".repeat(DEPTH)
    );
    assert_eq!(extract(&deep_parens).unwrap().sites[0].module, "b");
    let long_chain = format!("x = 1{}\nimport c\n", " + 1".repeat(DEPTH));
    assert_eq!(extract(&long_chain).unwrap().sites[0].module, "c");
    let deep_calls = format!("x = {}1{}\n", "f(".repeat(DEPTH / 4), ")".repeat(DEPTH / 4));
    assert!(extract(&deep_calls).unwrap().sites.is_empty());
}
