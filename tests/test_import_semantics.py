"""Differential tests of import semantics: each package tree is imported natively (a fresh
interpreter, `run_native`) and inside a Namespace (`run_in_namespace`), and the two answers must be
equal: return values of `__import__`, module attributes, spec fields, warnings and exceptions (type,
exact message, `name`/`path`, cause). Version-specific messages come from the interpreter running
the tests, so one expectation serves 3.9 to 3.13.

A probe script runs in both worlds; `PRELUDE` gives it `outcome()` and `describe()`. `API` is
importlib's functions natively and the Namespace's methods inside (`ns.import_module`,
`ns.find_spec`, `ns.reload`, `ns.invalidate_caches`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
import textwrap
import types
import warnings
from pathlib import Path
from typing import Callable

import pytest
from conftest import run_in_namespace, run_native, write_tree
from difftools import assert_same

import importspace

PRELUDE = '''
def describe(value):
    """A JSON-able description of an import result that identifies modules by name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if hasattr(value, "__spec__") and not isinstance(value, type):
        return {"module": getattr(value, "__name__", "?")}
    if callable(value) and hasattr(value, "__qualname__"):
        return {"callable": getattr(value, "__module__", "?") + "." + value.__qualname__}
    return {"object": type(value).__name__}


def error(exc):
    out = {"raised": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ImportError):
        out["name"] = exc.name
        out["path"] = exc.path
    if exc.__cause__ is not None:
        out["cause"] = [type(exc.__cause__).__name__, str(exc.__cause__)]
    return out


def outcome(fn, *args, **kwargs):
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:
        return error(exc)
    return {"ok": describe(value)}


def spec_fields(spec):
    if spec is None:
        return None
    smsl = spec.submodule_search_locations
    return {
        "type": type(spec).__name__,
        "name": spec.name,
        "origin": spec.origin,
        "cached": spec.cached,
        "has_location": spec.has_location,
        "parent": spec.parent,
        "smsl": None if smsl is None else list(smsl),
        "smsl repr": None if smsl is None else repr(smsl),
        "loader_state": repr(spec.loader_state),
        "loader type": type(spec.loader).__name__,
    }


def module_attrs(module):
    spec = module.__spec__
    out = {a: getattr(module, a, "<missing>") for a in ("__name__", "__file__", "__package__")}
    out["__cached__"] = getattr(module, "__cached__", "<missing>")
    path = getattr(module, "__path__", None)
    out["__path__"] = None if path is None else list(path)
    out["__path__ repr"] = None if path is None else repr(path)
    out["__loader__ type"] = type(module.__loader__).__name__
    out["__loader__ is spec.loader"] = module.__loader__ is spec.loader
    out["module type"] = type(module).__name__
    out["dunders"] = sorted(k for k in vars(module) if k.startswith("__"))
    out["spec"] = spec_fields(spec)
    return out


try:
    API
except NameError:
    import importlib
    import importlib.util

    class API:
        import_module = staticmethod(importlib.import_module)
        find_spec = staticmethod(importlib.util.find_spec)
        reload = staticmethod(importlib.reload)
        invalidate_caches = staticmethod(importlib.invalidate_caches)
'''


def _script(script: str) -> str:
    return PRELUDE + "\n" + textwrap.dedent(script)


def _run_ns_api(ns: importspace.Namespace, script: str) -> object:
    """`run_in_namespace`, with `API` bound to the namespace's own methods."""
    api = types.SimpleNamespace(
        import_module=ns.import_module,
        find_spec=ns.find_spec,
        reload=ns.reload,
        invalidate_caches=ns.invalidate_caches,
    )
    code = compile(script, "<differential>", "exec")
    scope = {"__name__": "__differential__", "__builtins__": ns.builtins.__dict__, "API": api}
    exec(code, scope)
    return json.loads(json.dumps(scope["result"]))


def differential(
    ns: importspace.Namespace,
    root: Path,
    script: str,
    *,
    api: bool = False,
    reset: Callable[[], object] | None = None,
):
    """Run `script` natively and in `ns`; assert the answers are equal and return it. A script
    that changes the tree passes `reset`, called before each run."""
    text = _script(script)
    if reset:
        reset()
    native = run_native(root, text)
    if reset:
        reset()
    inside = _run_ns_api(ns, text) if api else run_in_namespace(ns, text)
    assert_same(inside, native)
    return native


def rebuilder(root: Path, files: dict[str, str]) -> Callable[[], object]:
    """A `reset` for `differential`: empty `root` and write `files` again."""

    def rebuild() -> None:
        for child in root.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        write_tree(root, files)

    return rebuild


def _warning_rows(caught) -> list[list[str]]:
    rows = []
    for w in caught:
        filename = w.filename
        if filename in ("<string>", "<differential>"):
            filename = "<script>"
        rows.append([w.category.__name__, str(w.message), filename])
    return rows


def differential_warnings(ns: importspace.Namespace, root: Path, script: str):
    """`differential`, also comparing every warning raised (category, message, file)."""
    text = _script(script)
    native_text = (
        "import warnings as _w_mod\n"
        "with _w_mod.catch_warnings(record=True) as _caught:\n"
        "    _w_mod.simplefilter('always')\n"
        + textwrap.indent(text, "    ")
        + "\nfor _w in _caught:\n"
        "    if _w.filename == '<string>':\n"
        "        _w.filename = '<script>'\n"
        "result = {'result': result, 'warnings': "
        "[[w.category.__name__, str(w.message), w.filename] for w in _caught]}\n"
    )
    native = run_native(root, native_text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inner = run_in_namespace(ns, text)
    inside = {"result": inner, "warnings": _warning_rows(caught)}
    assert_same(inside, native)
    return native


# The package tree most tests share.
TREE = {
    "pkg/__init__.py": "pkg_attr = 'p'\n",
    "pkg/mod.py": "x = 1\n",
    "pkg/other.py": "from . import mod\nfrom .mod import x as mx\n",
    "pkg/sub/__init__.py": "from . import leaf\nfrom .. import mod as parent_mod\n",
    "pkg/sub/leaf.py": "from ..mod import x\nfrom . import sibling\nfrom .sibling import y\n",
    "pkg/sub/sibling.py": "y = 2\n",
    "pkg/sub/lazy.py": "z = 3\n",
    "pkg/deep/__init__.py": "",
    "pkg/deep/er/__init__.py": "",
    "pkg/deep/er/est.py": "w = 4\n",
    "pkg/star_all/__init__.py": "__all__ = ['a', 'sm', 'missing_sub']\na = 1\nb = 2\n_c = 3\n",
    "pkg/star_all/sm.py": "",
    "pkg/star_all/missing_sub_is_not_here.py": "",
    "pkg/star_noall/__init__.py": "a = 1\n_b = 2\n",
    "pkg/star_noall/sm.py": "",
    "pkg/star_mod.py": "__all__ = ('q',)\nq = 1\nr = 2\n",
    "pkg/use_star_all.py": (
        "from .star_all import *\nNAMES = sorted(n for n in dir() if not n.startswith('__'))\n"
    ),
    "pkg/use_star_noall.py": (
        "from .star_noall import *\nNAMES = sorted(n for n in dir() if not n.startswith('__'))\n"
    ),
    "pkg/use_star_mod.py": (
        "from .star_mod import *\nNAMES = sorted(n for n in dir() if not n.startswith('__'))\n"
    ),
    "pkg/bad_all/__init__.py": "__all__ = ['ok', 1]\nok = 1\n",
    "pkg/bad_all_mod.py": "__all__ = ['ok', 2.5]\nok = 1\n",
    "pkg/broken_dep.py": "import no_such_module_xyz\n",
    "pkg/boom.py": "import pkg.mod\nvalue = 1\nraise ValueError('boom in body')\n",
    "pkg/synerr.py": "x = 1\ndef broken(:\n    pass\n",
    "pkg/custom_err.py": (
        "class PluginError(Exception):\n    pass\nraise PluginError('custom', 42)\n"
    ),
    "pkg/name_err.py": "undefined_name_here\n",
    "pkg/outer.py": "from pkg import inner\n",
    "pkg/inner.py": "from pkg import outer\nraise RuntimeError('inner fails')\n",
    "pkg/replaces.py": "import sys\nsys.modules[__name__] = 'replacement'\n",
    "top.py": "t = 1\n",
}


@pytest.fixture
def pkg_tree(tree):
    return tree(TREE)


# --- import statements and __import__ return values -------------------------------------------


def test_import_statement_forms(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        r = {}
        import top
        r["import top"] = describe(top)
        import pkg.sub.leaf
        r["import pkg.sub.leaf binds"] = describe(pkg)
        r["pkg.sub.leaf reachable"] = describe(pkg.sub.leaf)
        import pkg.deep.er.est as d
        r["import a.b.c as d"] = describe(d)
        r["d.w"] = d.w
        from pkg.sub import leaf, sibling
        r["from pkg.sub import leaf, sibling"] = describe([leaf, sibling])
        from pkg import other
        r["from pkg import other"] = [describe(other), describe(other.mod), other.mx]
        from pkg.sub.leaf import x, y
        r["from module import names"] = [x, y]
        r["sub attrs"] = describe([pkg.sub.leaf, pkg.sub.parent_mod, pkg.sub.leaf.sibling])
        r["modules order"] = [k for k in sys.modules if k == "top" or k.startswith("pkg")]
        result = r
        """,
    )


def test_dunder_import_return_values(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        G = {"__name__": "pkg.sub.leaf", "__package__": "pkg.sub", "__spec__": None}
        GP = {"__name__": "pkg", "__package__": "pkg", "__spec__": None}
        calls = [
            ("top", {}, None, None, 0),
            ("pkg", {}, None, None, 0),
            ("pkg.sub.leaf", {}, None, None, 0),
            ("pkg.sub.leaf", {}, None, ["x"], 0),
            ("pkg.sub", {}, None, ["leaf"], 0),
            ("pkg.deep.er", {}, None, ("est",), 0),
            ("pkg", {}, None, ["mod", "does_not_exist"], 0),
            ("pkg.mod", {}, None, ["does_not_exist"], 0),
            ("pkg.mod", {}, None, [], 0),
            ("pkg.mod", {}, None, (), 0),
            ("pkg.mod", {}, None, "", 0),
            ("sibling", G, None, None, 1),
            ("", G, None, None, 1),
            ("", G, None, ["sibling", "lazy"], 1),
            ("", G, None, None, 2),
            ("mod", G, None, None, 2),
            ("sub.leaf", GP, None, None, 1),
            ("deep.er.est", GP, None, None, 1),
            ("deep.er.est", GP, None, ["w"], 1),
            ("deep.er", GP, None, ["est"], 1),
        ]
        rows = []
        for name, g, l, fromlist, level in calls:
            rows.append([name, level, outcome(__import__, name, g, l, fromlist, level)])
        rows.append(["kwargs", outcome(__import__, "pkg.mod", fromlist=["x"])])
        rows.append(["no globals", outcome(__import__, "pkg.sub.sibling")])
        rows.append(["lazy bound", hasattr(sys.modules["pkg.sub"], "lazy")])
        rows.append(["modules", [k for k in sys.modules if k.startswith("pkg")]])
        result = rows
        """,
    )


def test_fromlist_imports_submodules_and_ignores_missing_names(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        r = {}
        r["before"] = "pkg.sub.lazy" in sys.modules
        r["return"] = describe(__import__("pkg.sub", fromlist=["lazy", "nothing_here"]))
        r["after"] = ["pkg.sub.lazy" in sys.modules, hasattr(sys.modules["pkg.sub"], "lazy")]
        r["nothing bound"] = hasattr(sys.modules["pkg.sub"], "nothing_here")
        r["missing name"] = "pkg.sub.nothing_here" in sys.modules
        try:
            from pkg import nothing_here
        except ImportError as exc:
            r["from pkg import missing"] = error(exc)
        try:
            from pkg.mod import nothing_here
        except ImportError as exc:
            r["from module import missing"] = error(exc)
        r["dependency failure not swallowed"] = outcome(__import__, "pkg", fromlist=["broken_dep"])
        sys.modules["pkg.blocked"] = None
        r["None blocks fromlist"] = outcome(__import__, "pkg", fromlist=["blocked"])
        r["non-str item, package"] = outcome(__import__, "pkg", fromlist=[1])
        r["non-str item, module"] = outcome(__import__, "pkg.mod", fromlist=[1])
        r["bytes item"] = outcome(__import__, "pkg", fromlist=[b"mod"])
        result = r
        """,
    )


def test_star_imports(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        r = {}
        r["with __all__"] = outcome(lambda: __import__("pkg.use_star_all").use_star_all.NAMES)
        r["sm imported"] = "pkg.star_all.sm" in sys.modules
        r["without __all__"] = outcome(
            lambda: __import__("pkg.use_star_noall").use_star_noall.NAMES
        )
        r["noall sm imported"] = "pkg.star_noall.sm" in sys.modules
        r["module __all__"] = outcome(lambda: __import__("pkg.use_star_mod").use_star_mod.NAMES)
        r["fromlist * with __all__"] = outcome(__import__, "pkg.star_all", fromlist=["*"])
        r["non-str in package __all__"] = outcome(__import__, "pkg.bad_all", fromlist=["*"])
        scope = {"__builtins__": __builtins__}
        try:
            exec("from pkg.bad_all_mod import *", scope)
            r["non-str in module __all__"] = "no error"
        except TypeError as exc:
            r["non-str in module __all__"] = error(exc)
        try:
            exec("from pkg.bad_all import *", scope)
            r["star statement, bad package __all__"] = "no error"
        except TypeError as exc:
            r["star statement, bad package __all__"] = error(exc)
        result = r
        """,
    )


def test_submodule_replacing_itself_in_modules(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        r = {"import": outcome(__import__, "pkg.replaces", fromlist=["x"])}
        r["bound on parent"] = describe(getattr(sys.modules["pkg"], "replaces", None))
        r["in modules"] = describe(sys.modules.get("pkg.replaces"))
        r["import_module"] = outcome(API.import_module, "pkg.replaces")
        result = r
        """,
        api=True,
    )


CYCLES = {
    "cyc/__init__.py": "",
    # `import a.b.c as d` while `cyc.a` is still loading: IMPORT_FROM's fallback case.
    "cyc/a/__init__.py": "import cyc.a.b\nA_DONE = True\n",
    "cyc/a/b.py": (
        "import cyc.a.c as c_alias\n"
        "import cyc.a as a_alias\n"
        "from cyc import a as a_from\n"
        "from cyc.a import c as c_from\n"
        "SEEN = [c_alias.__name__, a_alias.__name__, a_from.__name__, c_from.__name__,\n"
        "        hasattr(a_alias, 'A_DONE')]\n"
    ),
    "cyc/a/c.py": "C = 1\n",
    # The same with more than 256 names, so EXTENDED_ARG comes before IMPORT_NAME/IMPORT_FROM.
    "cyc/e/__init__.py": "import cyc.e.b\n",
    "cyc/e/b.py": (
        "".join(f"name{i} = {i}\n" for i in range(300))
        + "import cyc.e.c as c_alias\nSEEN = c_alias.__name__\n"
    ),
    "cyc/e/c.py": "",
    # A plain `import a.b` in a cycle binds nothing early: attribute access fails as natively.
    "cyc/p/__init__.py": "from . import q\n",
    "cyc/p/q.py": (
        "import cyc.p\n"
        "try:\n"
        "    cyc.p\n"
        "    ERR = None\n"
        "except AttributeError as exc:\n"
        "    ERR = str(exc)\n"
    ),
    # The early binding is undone when the load fails.
    "cyc/f/__init__.py": "import cyc.f.g\n",
    "cyc/f/g.py": "import cyc.f as f_alias\nraise KeyError('g fails')\n",
    # `from pkg import sub` of a loading submodule, then the submodule fails.
    "cyc/h/__init__.py": "from cyc.h import k\n",
    "cyc/h/k.py": "from cyc import h\nfrom cyc.h import k as me\nraise OSError('k fails')\n",
    # A partially initialised module's attribute, both error messages.
    "cyc/m1.py": "from cyc.m2 import two\none = 1\n",
    "cyc/m2.py": "from cyc.m1 import one\ntwo = 2\n",
    "cyc/n1.py": "import cyc.n2\nval = 1\n",
    "cyc/n2.py": "import cyc.n1\ncyc.n1.val\n",
}


def test_import_as_and_from_during_circular_imports(namespace, tree):
    root = tree(CYCLES)
    differential(
        namespace,
        root,
        """
        import sys
        r = {}
        r["as-form"] = outcome(lambda: __import__("cyc.a.b").a.b.SEEN)
        r["as-form, EXTENDED_ARG"] = outcome(lambda: __import__("cyc.e.b").e.b.SEEN)
        r["plain"] = outcome(lambda: __import__("cyc.p.q").p.q.ERR)
        r["as-form, failing"] = outcome(__import__, "cyc.f")
        r["from-form, failing"] = outcome(__import__, "cyc.h")
        r["from partial module"] = outcome(__import__, "cyc.m1")
        r["attribute of partial module"] = outcome(__import__, "cyc.n1")
        cyc = sys.modules["cyc"]
        r["cyc attrs"] = sorted(k for k in vars(cyc) if not k.startswith("__"))
        r["modules"] = [k for k in sys.modules if k.startswith("cyc")]
        result = r
        """,
    )


def test_import_as_of_module_missing_from_parent(namespace, pkg_tree):
    """A module in sys.modules but not bound on its parent: a plain `import a.b` then `a.b` fails
    as natively. `import a.b as c` is found natively through IMPORT_FROM's fallback to the
    global sys.modules; in a namespace it is not (documented in docs/compliance.md, "Isolation
    edges": only modules still loading are bound early)."""
    script = """
        import sys
        import pkg.mod
        del pkg.mod
        r = {}
        try:
            import pkg.mod
            pkg.mod
            r["plain"] = "bound"
        except AttributeError as exc:
            r["plain"] = error(exc)
        try:
            import pkg.mod as m
            r["as"] = describe(m)
        except ImportError as exc:
            r["as"] = error(exc)
        result = r
        """
    text = _script(script)
    native = run_native(pkg_tree, text)
    inside = run_in_namespace(namespace, text)
    assert_same(inside["plain"], native["plain"])
    assert native["as"] == {"module": "pkg.mod"}
    assert inside["as"] == {
        "raised": "ImportError",
        "message": f"cannot import name 'mod' from 'pkg' ({pkg_tree / 'pkg' / '__init__.py'})",
        "name": "pkg",
        "path": str(pkg_tree / "pkg" / "__init__.py"),
    }
    assert not hasattr(namespace.modules["pkg"], "mod")


# --- module attributes and specs ----------------------------------------------------------------


def test_module_and_spec_attributes(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import pkg.sub.leaf, pkg.mod, top, pkg.deep.er.est
        result = {
            m.__name__: module_attrs(m)
            for m in (top, pkg, pkg.mod, pkg.sub, pkg.sub.leaf, pkg.deep.er, pkg.deep.er.est)
        }
        """,
    )


# --- import_module and find_spec ----------------------------------------------------------------


def test_import_module_with_package(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        im = API.import_module
        r = [
            ["pkg.sub.leaf", outcome(im, "pkg.sub.leaf")],
            [".mod", "pkg", outcome(im, ".mod", "pkg")],
            [".sub.leaf", "pkg", outcome(im, ".sub.leaf", "pkg")],
            ["..mod", "pkg.sub", outcome(im, "..mod", "pkg.sub")],
            ["..", "pkg.sub", outcome(im, "..", "pkg.sub")],
            [".", "pkg.sub", outcome(im, ".", "pkg.sub")],
            ["top", "pkg", outcome(im, "top", "pkg")],
            [".mod no package", outcome(im, ".mod")],
            [".mod empty package", outcome(im, ".mod", "")],
            [".mod int package", outcome(im, ".mod", 1)],
            ["...x beyond top", outcome(im, "...x", "pkg")],
            ["empty", outcome(im, "")],
            ["int", outcome(im, 1)],
            ["missing", outcome(im, "no_such_module_xyz")],
            ["missing sub", outcome(im, "pkg.no_such_sub")],
            ["not a package", outcome(im, "pkg.mod.x")],
            ["relative missing", outcome(im, ".nothing", "pkg")],
        ]
        sys.modules["pkg.blocked"] = None
        r.append(["blocked", outcome(im, "pkg.blocked")])
        r.append(["blocked child", outcome(im, "pkg.blocked.child")])
        result = r
        """,
        api=True,
    )


def test_find_spec(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        fs = API.find_spec
        def spec(*args):
            try:
                return {"ok": spec_fields(fs(*args))}
            except Exception as exc:
                return error(exc)
        r = {}
        r["found module"] = spec("pkg.mod")
        r["pkg not imported by finding a top-level"] = "pkg" in sys.modules
        r["found package"] = spec("pkg.sub")
        r["parent imported"] = ["pkg" in sys.modules, "pkg.sub" in sys.modules]
        r["missing"] = spec("no_such_module_xyz")
        r["missing sub"] = spec("pkg.no_such_sub")
        r["relative"] = spec(".mod", "pkg")
        r["relative two levels"] = spec("..mod", "pkg.sub")
        r["relative no package"] = spec(".mod")
        r["relative beyond top"] = spec("...mod", "pkg")
        r["parent not a package"] = spec("pkg.mod.x")
        r["parent missing"] = spec("no_such_parent_xyz.child")
        import pkg.mod
        r["imported returns __spec__"] = fs("pkg.mod") is pkg.mod.__spec__
        sys.modules["pkg.blocked"] = None
        r["None in modules"] = spec("pkg.blocked")
        specless = type(pkg)("specless")
        sys.modules["specless"] = specless
        r["__spec__ None"] = spec("specless")
        del specless.__spec__
        r["__spec__ missing"] = spec("specless")
        sys.modules["pkg.rel_specless"] = type(pkg)("pkg.rel_specless")
        r["__spec__ None, relative"] = spec(".rel_specless", "pkg")
        result = r
        """,
        api=True,
    )


# --- error paths of __import__ -----------------------------------------------------------------


def test_dunder_import_errors(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        G = {"__name__": "pkg.mod", "__package__": "pkg", "__spec__": None}
        l = None  # locals
        r = [
            ["non-str name", outcome(__import__, 1)],
            ["bytes name", outcome(__import__, b"pkg")],
            ["None name", outcome(__import__, None)],
            ["level < 0", outcome(__import__, "pkg", {}, None, None, -1)],
            ["float level", outcome(__import__, "pkg", {}, None, None, 1.5)],
            ["None level", outcome(__import__, "pkg", {}, None, None, None)],
            ["str level", outcome(__import__, "pkg", {}, None, None, "1")],
            ["huge level", outcome(__import__, "pkg", {}, None, None, 2**31)],
            ["huger level", outcome(__import__, "pkg", {}, None, None, 2**64)],
            ["negative huge level", outcome(__import__, "pkg", {}, None, None, -(2**31) - 1)],
            ["bool level", outcome(__import__, "mod", G, None, None, True)],
            ["bad name and level", outcome(__import__, 1, {}, None, None, None)],
            ["level keyword", outcome(__import__, "mod", G, level=1)],
            ["relative, no globals", outcome(__import__, "mod", level=1)],
            ["fromlist not iterable", outcome(__import__, "pkg", {}, None, 5, 0)],
            ["fromlist str", outcome(__import__, "pkg", {}, None, "mod", 0)],
            ["empty name", outcome(__import__, "")],
            ["empty name, fromlist", outcome(__import__, "", {}, None, ["x"], 0)],
            ["relative, no package", outcome(__import__, "x", {"__package__": ""}, None, None, 1)],
            ["relative, globals None", outcome(__import__, "x", None, None, None, 1)],
            ["relative, globals not a dict", outcome(__import__, "x", [], None, None, 1)],
            ["relative, __package__ int", outcome(__import__, "x", {"__package__": 1}, l, None, 1)],
            ["beyond top level", outcome(__import__, "x", G, None, None, 2)],
            ["beyond top level, deep", outcome(__import__, "", G, None, None, 3)],
            ["non-str fromlist item", outcome(__import__, "pkg", G, None, ["mod", None], 0)],
            ["missing", outcome(__import__, "no_such_module_xyz")],
            ["missing dotted", outcome(__import__, "no_such_module_xyz.sub")],
            ["missing submodule", outcome(__import__, "pkg.no_such_sub")],
            ["not a package", outcome(__import__, "pkg.mod.x")],
            ["not a package, deeper", outcome(__import__, "pkg.mod.x.y")],
            ["relative missing", outcome(__import__, "nothing", G, None, None, 1)],
        ]
        sys.modules["pkg.blocked"] = None
        r.append(["None in modules", outcome(__import__, "pkg.blocked")])
        r.append(["None in modules, child", outcome(__import__, "pkg.blocked.child")])
        r.append(["None in modules, relative", outcome(__import__, "blocked", G, None, None, 1)])
        sys.modules["blocked_top"] = None
        r.append(["None in modules, top", outcome(__import__, "blocked_top")])
        result = r
        """,
    )


def test_dunder_import_warnings(namespace, tree):
    root = tree(
        {
            **TREE,
            "pkg/mismatch.py": "__package__ = 'pkg.sub'\nfrom . import sibling\n",
            "pkg/matching.py": "from . import mod\n",
        }
    )
    out = differential_warnings(
        namespace,
        root,
        """
        import types
        S = type("Spec", (), {"parent": "pkg"})()
        M = "pkg.mismatch"
        l = None  # locals
        r = [
            ["package != spec.parent", outcome(lambda: __import__(M).mismatch.sibling)],
            ["matching", outcome(__import__, "pkg.matching")],
            [
                "explicit globals mismatch",
                outcome(__import__, "mod", {"__package__": "pkg.sub", "__spec__": S}, l, None, 1),
            ],
            ["no package, no spec", outcome(__import__, "mod", {"__name__": "pkg.x"}, l, None, 1)],
            [
                "no package, __path__",
                outcome(__import__, "sub", {"__name__": "pkg", "__path__": []}, None, None, 1),
            ],
            ["no package, no __name__", outcome(__import__, "x", {}, None, None, 1)],
            ["__name__ not str", outcome(__import__, "x", {"__name__": 5}, None, None, 1)],
        ]
        result = r
        """,
    )
    assert out["warnings"], "the probe must raise warnings natively"


# --- failing imports -----------------------------------------------------------------------------


def test_failing_submodule_is_removed_and_not_bound(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import sys
        import pkg
        r = {}
        r["import"] = outcome(__import__, "pkg.boom")
        r["in modules"] = "pkg.boom" in sys.modules
        r["bound"] = hasattr(pkg, "boom")
        r["dependency kept"] = "pkg.mod" in sys.modules
        r["fromlist"] = outcome(__import__, "pkg", fromlist=["boom"])
        r["bound after fromlist"] = hasattr(pkg, "boom")
        r["again"] = outcome(__import__, "pkg.boom")
        r["cycle with failure"] = outcome(__import__, "pkg.outer")
        r["after cycle"] = [
            [k, k in sys.modules, hasattr(pkg, k.rpartition(".")[2])]
            for k in ("pkg.outer", "pkg.inner")
        ]
        r["syntax error"] = outcome(__import__, "pkg.synerr")
        r["custom exception"] = outcome(__import__, "pkg.custom_err")
        try:
            __import__("pkg.custom_err")
        except Exception as exc:
            r["custom args"] = [type(exc).__module__, list(exc.args)]
        r["name error"] = outcome(__import__, "pkg.name_err")
        r["missing dependency"] = outcome(__import__, "pkg.broken_dep")
        r["modules"] = [k for k in sys.modules if k.startswith("pkg")]
        r["pkg attrs"] = sorted(k for k in vars(pkg) if not k.startswith("__"))
        result = r
        """,
    )
    pkg = namespace.modules["pkg"]
    for name in ("boom", "outer", "inner", "synerr", "custom_err", "name_err", "broken_dep"):
        assert f"pkg.{name}" not in namespace.modules
        assert not hasattr(pkg, name)


def test_syntax_error_details(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        try:
            import pkg.synerr
        except SyntaxError as exc:
            result = [exc.filename, exc.lineno, exc.msg, exc.text]
        """,
    )


# --- PEP 420 namespace packages ----------------------------------------------------------------


def test_namespace_package_portions(namespace, tree):
    root = tree(
        {
            "p1/nsp/a.py": "A = 1\n",
            "p1/nsp/deep/x.py": "",
            "p2/nsp/b.py": "from . import a\nfrom .deep import y\n",
            "p2/nsp/deep/y.py": "",
            "p3/unrelated.py": "",
        }
    )
    differential(
        namespace,
        root,
        f"""
        import sys
        ROOT = {str(root)!r}
        sys.path[:0] = [ROOT + "/p1", ROOT + "/p2", ROOT + "/p3"]
        import nsp.b
        import nsp.deep.x
        result = {{
            "nsp": module_attrs(nsp),
            "nsp.deep": module_attrs(nsp.deep),
            "nsp.b": module_attrs(nsp.b),
            "b.a": describe(nsp.b.a),
            "missing": outcome(__import__, "nsp.nothing"),
            "spec": spec_fields(API.find_spec("nsp")),
            "fresh spec": spec_fields(API.find_spec("nsp.deep.x")),
        }}
        """,
        api=True,
    )


def test_namespace_package_sees_new_portions(namespace, tree):
    files = {"p1/nsp/a.py": "", "p2/unrelated.py": "", "p3/unrelated.py": ""}
    root = tree(files)
    differential(
        namespace,
        root,
        f"""
        import os, sys
        ROOT = {str(root)!r}
        sys.path[:0] = [ROOT + "/p1", ROOT + "/p2"]
        import nsp.a
        r = {{"before": list(nsp.__path__)}}
        os.makedirs(ROOT + "/p2/nsp")
        with open(ROOT + "/p2/nsp/b.py", "w") as f:
            f.write("B = 2\\n")
        API.invalidate_caches()
        r["after invalidate"] = list(nsp.__path__)
        r["import b"] = outcome(lambda: __import__("nsp.b").b.B)
        os.makedirs(ROOT + "/p4/nsp")
        with open(ROOT + "/p4/nsp/c.py", "w") as f:
            f.write("C = 3\\n")
        sys.path.append(ROOT + "/p4")
        r["after path change"] = list(nsp.__path__)
        r["import c"] = outcome(lambda: __import__("nsp.c").c.C)
        r["repr"] = repr(nsp.__path__)
        result = r
        """,
        api=True,
        reset=rebuilder(root, files),
    )
    nsp = namespace.modules["nsp"]
    assert "_NamespacePath" in repr(nsp.__path__)
    assert nsp.__file__ is None and nsp.__spec__.origin is None


def test_package_beats_module_beats_namespace_portion(namespace, tree):
    root = tree(
        {
            "p1/rival/x.py": "",
            "p1/rival2/x.py": "",
            "p1/first.py": "WHERE = 'p1 module'\n",
            "p2/rival.py": "WHERE = 'p2 module'\n",
            "p2/first/__init__.py": "WHERE = 'p2 package'\n",
            "p3/rival2/__init__.py": "WHERE = 'p3 package'\n",
            "p3/both/__init__.py": "WHERE = 'p3 package'\n",
            "p3/both.py": "WHERE = 'p3 module'\n",
            "p3/both2/x.py": "",
            "p3/both2.py": "WHERE = 'p3 module'\n",
            "p3/onlyns/x.py": "",
        }
    )
    differential(
        namespace,
        root,
        f"""
        import sys
        ROOT = {str(root)!r}
        sys.path[:0] = [ROOT + "/p1", ROOT + "/p2", ROOT + "/p3"]
        result = {{}}
        for name in ("rival", "rival2", "first", "both", "both2", "onlyns"):
            m = __import__(name)
            result[name] = [getattr(m, "WHERE", None), m.__file__, m.__spec__.origin]
        """,
    )


# --- builtins and lazy imports ------------------------------------------------------------------


def test_builtins_of_every_namespaced_module(namespace, pkg_tree):
    namespace.import_module("pkg.sub.leaf")
    namespace.import_module("pkg.other")
    namespace.import_module("json")
    namespace.import_module("dataclasses")
    ns_builtins = namespace.builtins.__dict__
    checked = []
    for name, module in list(namespace.modules.items()):
        if module is None or module is sys.modules.get(name):
            continue  # shared with the host
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        if not (origin.endswith(".py") or origin == "frozen"):
            continue
        checked.append(name)
        assert module.__dict__.get("__builtins__") is ns_builtins, name
    assert {"pkg", "pkg.sub", "pkg.sub.leaf", "pkg.mod", "json", "dataclasses"} <= set(checked)
    assert ns_builtins["__import__"] is not __import__


def test_function_called_from_host_imports_inside_namespace(namespace, tree):
    tree(
        {
            **TREE,
            "lazyuser.py": (
                "def get_mod():\n"
                "    import pkg.mod\n"
                "    return pkg.mod\n"
                "def get_relative():\n"
                "    from pkg.sub import lazy\n"
                "    return lazy\n"
                "def get_json():\n"
                "    import json\n"
                "    return json\n"
                "def get_missing():\n"
                "    import lazyuser_missing_xyz\n"
            ),
        }
    )
    lazyuser = namespace.import_module("lazyuser")
    assert "pkg.mod" not in namespace.modules
    mod = lazyuser.get_mod()
    assert mod is namespace.modules["pkg.mod"]
    assert lazyuser.get_relative() is namespace.modules["pkg.sub.lazy"]
    json_inside = lazyuser.get_json()
    assert json_inside is namespace.modules["json"]
    assert json_inside is not sys.modules.get("json")
    with pytest.raises(ModuleNotFoundError, match="^No module named 'lazyuser_missing_xyz'$"):
        lazyuser.get_missing()
    for name in ("pkg", "pkg.mod", "lazyuser"):
        assert name not in sys.modules


# --- isolation -----------------------------------------------------------------------------------


def test_same_name_in_two_namespaces(tmp_path):
    write_tree(tmp_path / "A", {"same/__init__.py": "WHERE = 'A'\n", "same/sub.py": "S = 'A'\n"})
    write_tree(tmp_path / "B", {"same/__init__.py": "WHERE = 'B'\n", "same/sub.py": "S = 'B'\n"})
    with importspace.Namespace(path=[str(tmp_path / "A"), *sys.path], name="A") as ns_a:
        with importspace.Namespace(path=[str(tmp_path / "B"), *sys.path], name="B") as ns_b:
            sub_a = ns_a.import_module("same.sub")
            sub_b = ns_b.import_module("same.sub")
            same_a, same_b = ns_a.modules["same"], ns_b.modules["same"]
            assert same_a is not same_b and sub_a is not sub_b
            assert (same_a.WHERE, sub_a.S, same_b.WHERE, sub_b.S) == ("A", "A", "B", "B")
            assert same_a.__file__ == str(tmp_path / "A" / "same" / "__init__.py")
            assert same_b.__file__ == str(tmp_path / "B" / "same" / "__init__.py")
            assert same_a.sub is sub_a and same_b.sub is sub_b
            for name in ("same", "same.sub"):
                assert name not in sys.modules
                with pytest.raises(ModuleNotFoundError, match="^No module named 'same'$"):
                    importlib.import_module(name)
            with pytest.raises(ModuleNotFoundError, match="^No module named 'same'$"):
                __import__("same")
            assert importlib.util.find_spec("same") is None


# --- reload --------------------------------------------------------------------------------------


def test_reload(namespace, tree):
    files = {
        **TREE,
        "counter.py": "try:\n    n += 1\nexcept NameError:\n    n = 1\n",
        "pkg/fails_later.py": (
            "try:\n    runs += 1\nexcept NameError:\n    runs = 1\n"
            "if runs > 1:\n    raise LookupError('second run')\n"
        ),
    }
    root = tree(files)
    differential(
        namespace,
        root,
        f"""
        import sys
        ROOT = {str(root)!r}
        import counter, pkg.mod, pkg.fails_later
        r = {{}}
        again = API.reload(counter)
        r["same object, re-executed"] = [again is counter, counter.n]
        with open(ROOT + "/counter.py", "w") as f:
            f.write("n = 100\\nextra = 'new source here'\\n")
        API.reload(counter)
        r["new source"] = [counter.n, counter.extra]
        r["submodule"] = outcome(API.reload, pkg.mod)
        r["failing body"] = outcome(API.reload, pkg.fails_later)
        r["still in modules"] = sys.modules.get("pkg.fails_later") is pkg.fails_later
        r["non-module"] = outcome(API.reload, 1)
        r["ghost"] = outcome(API.reload, type(pkg)("ghost_mod"))
        r["impostor"] = outcome(API.reload, type(pkg)("pkg.mod"))
        del sys.modules["pkg"]
        r["parent gone"] = outcome(API.reload, pkg.mod)
        result = r
        """,
        api=True,
        reset=rebuilder(root, files),
    )


def test_module_type_inside_namespace(namespace, pkg_tree):
    differential(
        namespace,
        pkg_tree,
        """
        import inspect, types
        import pkg.mod
        result = [
            types.ModuleType.__name__,
            isinstance(pkg.mod, types.ModuleType),
            inspect.ismodule(pkg.mod),
        ]
        """,
    )
