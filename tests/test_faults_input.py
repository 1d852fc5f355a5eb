"""Bad input, differentially: wrong names, levels, globals, fromlists and packages given to
`importlib.import_module`, `importlib.util.find_spec` and `__import__` inside a namespace and to the
namespace's own methods; path entries that cannot be used; an import state that is emptied or
None; finders and loaders that raise; modules that replace themselves; and a closed namespace.
Each probe runs natively (in a subprocess) and inside a namespace; the answers (exception type
and exact message, or the module) must be equal.

Cases already covered elsewhere are listed in docs/reliability.md: test_import_semantics.py's
`test_dunder_import_errors`, `test_dunder_import_warnings`, `test_star_imports`,
`test_import_module_with_package`, `test_find_spec`; test_finders.py's path entry and path hook
tests; test_namespace_api.py's bad names and `close`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from conftest import run_in_namespace, run_native
from difftools import STDLIB_DIRS, assert_same

import importspace

DROP_CWD = "while '' in sys.path:\n    sys.path.remove('')\n"

PRELUDE = """
import sys

def error(exc):
    out = [type(exc).__name__, str(exc)]
    if isinstance(exc, ImportError):
        out += [exc.name, exc.path]
    return out

def describe(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "loader") and hasattr(value, "submodule_search_locations"):
        return {"spec": value.name}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if hasattr(value, "__spec__") and not isinstance(value, type):
        return {"module": value.__name__}
    return {"object": type(value).__name__}

def outcome(fn, *args, **kwargs):
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:
        return error(exc)
    return ["ok", describe(value)]
"""

TREE = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "x = 1\n",
    "pkg/sub/__init__.py": "",
    "plainmod.py": "y = 2\n",
}


def differential(ns: importspace.Namespace, root: Path, script: str, *, extra=None) -> object:
    """`script` (after PRELUDE) natively and inside `ns`; equal answers, returned. `extra`:
    names bound in the namespace's run only (the native run defines them itself)."""
    text = PRELUDE + textwrap.dedent(script)
    native = run_native(root, DROP_CWD + text)
    if extra:
        code = compile(text, "<differential>", "exec")
        scope = {"__name__": "__differential__", "__builtins__": ns.builtins.__dict__, **extra}
        exec(code, scope)
        inside = json.loads(json.dumps(scope["result"]))
    else:
        inside = run_in_namespace(ns, text)
    assert_same(inside, native)
    return native


@pytest.fixture
def root(tree, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return tree(TREE)


# ---------------------------------------------------------------- names and packages

BAD_NAMES = """
r = []
for label, args in [
    ("int", (1,)),
    ("bytes", (b"pkg",)),
    ("None", (None,)),
    ("list", (["pkg"],)),
    ("empty", ("",)),
    ("lone dot", (".",)),
    ("relative, no package", (".mod",)),
    ("relative, empty package", (".mod", "")),
    ("relative, None package", (".mod", None)),
    ("relative, int package", (".mod", 1)),
    ("relative, bytes package", (".mod", b"pkg")),
    ("relative, package not imported", (".x", "no_such_pkg_q")),
    ("relative, package not a package", (".x", "plainmod")),
    ("relative, dotted package", (".x", ".pkg")),
    ("beyond top level", ("...mod", "pkg")),
    ("beyond top level, bare dots", ("..", "pkg")),
    ("beyond top level, deep", ("....x", "pkg.sub")),
    ("trailing dot", ("pkg.",)),
    ("double dot", ("pkg..mod",)),
    ("NUL", ("pk\\0g",)),
    ("parent is a module", ("plainmod.x",)),
    ("str subclass", (type("S", (str,), {})("pkg.mod"),)),
]:
    r.append([label, "import_module", outcome(IMPORT_MODULE, *args)])
    r.append([label, "find_spec", outcome(FIND_SPEC, *args)])
result = r
"""


def test_importlib_inside_the_namespace_bad_names(namespace, root):
    # `importlib.import_module` and `importlib.util.find_spec` as code inside the namespace
    # calls them.
    setup = (
        "import importlib, importlib.util\n"
        "IMPORT_MODULE, FIND_SPEC = importlib.import_module, importlib.util.find_spec\n"
    )
    differential(namespace, root, setup + BAD_NAMES)


def test_namespace_methods_bad_names(namespace, root):
    # `ns.import_module` and `ns.find_spec`, against importlib's functions natively.
    native_setup = (
        "try:\n    IMPORT_MODULE\nexcept NameError:\n"
        "    import importlib, importlib.util\n"
        "    IMPORT_MODULE, FIND_SPEC = importlib.import_module, importlib.util.find_spec\n"
    )
    differential(
        namespace,
        root,
        native_setup + BAD_NAMES,
        extra={"IMPORT_MODULE": namespace.import_module, "FIND_SPEC": namespace.find_spec},
    )


def test_names_with_lone_surrogates(namespace, root):
    differential(
        namespace,
        root,
        """
        import importlib, importlib.util
        result = [
            outcome(importlib.import_module, "\\udcff"),
            outcome(importlib.util.find_spec, "\\udcff"),
            outcome(__import__, "pkg.\\udcff"),
        ]
        """,
    )


def test_non_printable_names_in_messages(namespace, root):
    # Messages quote names with repr(): characters Python does not print are escaped.
    differential(
        namespace,
        root,
        """
        import importlib
        result = [
            outcome(importlib.import_module, name)
            for name in ["a\\xa0b", "x\\u200by", "caf\\xe9", "t\\U000e0001", "pkg.\\x85"]
        ] + [outcome(__import__, "pkg.z\\u2028", None, None, None, 0)]
        """,
    )


def test_a_rust_panic_is_an_exception_not_an_abort(tree):
    # A panic in Rust reaches Python as pyo3's PanicException (a BaseException), in a child so
    # that an abort would show as a signal, not kill the test run.
    code = textwrap.dedent(
        """
        import importspace, sys
        try:
            importspace._native._panic_for_tests("boom")
        except BaseException as exc:
            print(type(exc).__name__, exc, isinstance(exc, Exception))
        ns = importspace.Namespace(path=sys.path)
        print(ns.import_module("json").dumps([1]))
        """
    )
    env = dict(os.environ, RUST_BACKTRACE="0")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["PanicException boom False", "[1]"]


def test_dunder_import_bad_globals_and_packages(namespace, root):
    # What test_import_semantics' test_dunder_import_errors does not already try.
    differential(
        namespace,
        root,
        """
        import types
        from collections import UserDict
        G = {"__name__": "pkg.mod", "__package__": "pkg"}
        S = type("Spec", (), {"parent": 5})()
        l = None  # locals
        result = [
            ["mappingproxy globals, relative",
             outcome(__import__, "mod", types.MappingProxyType(G), None, None, 1)],
            ["UserDict globals, relative", outcome(__import__, "mod", UserDict(G), l, None, 1)],
            ["list globals, absolute", outcome(__import__, "pkg.mod", [], None, None, 0)],
            ["int globals, absolute", outcome(__import__, "plainmod", 5, None, None, 0)],
            ["__package__ bytes", outcome(__import__, "mod", {"__package__": b"pkg"}, l, None, 1)],
            ["__package__ None, spec.parent int",
             outcome(__import__, "mod", {"__package__": None, "__spec__": S}, l, None, 1)],
            ["__package__ empty", outcome(__import__, "mod", {"__package__": ""}, l, None, 1)],
            ["name int, relative", outcome(__import__, 1, G, None, None, 1)],
            ["fromlist of ints", outcome(__import__, "pkg", G, None, [1], 0)],
            ["fromlist bytes item", outcome(__import__, "pkg", G, None, [b"mod"], 0)],
            ["fromlist item, module", outcome(__import__, "plainmod", G, None, [None], 0)],
            ["fromlist generator", outcome(__import__, "pkg", G, None, (x for x in ["mod"]), 0)],
        ]
        """,
    )


STAR = {
    "star/__init__.py": "__all__ = ['ok', b'bytes_name']\nok = 1\n",
    "star/ok.py": "",
    "starmod.py": "__all__ = ('fine', None)\nfine = 1\n",
    "starall_not_seq.py": "__all__ = 5\n",
    "use_star.py": "from star import *\n",
    "use_starmod.py": "from starmod import *\n",
    "use_not_seq.py": "from starall_not_seq import *\n",
}


def test_star_import_with_bad_all(namespace, tree, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree(STAR)
    differential(
        namespace,
        root,
        """
        result = [
            outcome(__import__, "use_star"),
            "use_star" in sys.modules,
            outcome(__import__, "use_starmod"),
            outcome(__import__, "use_not_seq"),
            outcome(__import__, "star", fromlist=["*"]),
        ]
        """,
    )


# ---------------------------------------------------------------- path entries


def test_path_like_entry_added_later_is_skipped(tree, monkeypatch):
    # An os.PathLike put on the path after the namespace was made is not a str: skipped, as
    # natively (the constructor converts entries; see test_path_like_entries_become_strings).
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree({"onlyhere/plmod.py": "X = 1\n"})
    where = root / "onlyhere"
    script = f"""
    import pathlib
    sys.path[:] = [pathlib.Path({str(where)!r})] + [p for p in sys.path if p != {str(root)!r}]
    result = [outcome(__import__, "plmod"), [type(k).__name__ for k in sys.path_importer_cache
                                              if not isinstance(k, str)]]
    """
    native = run_native(root, DROP_CWD + PRELUDE + textwrap.dedent(script))
    assert native[0][0] == "ModuleNotFoundError"
    ns = importspace.Namespace(path=list(sys.path))
    try:
        assert run_in_namespace(ns, PRELUDE + textwrap.dedent(script)) == native
    finally:
        ns.close()


EMPTY_ENTRY = """
import os, sys
sys.path[:] = [""] + {stdlib!r}
os.chdir({doomed!r})
os.rmdir({doomed!r})
r = [outcome(__import__, "cwdonly"), outcome(__import__, "json")]
r.append([repr(k) for k in sys.path_importer_cache if k in ("", {doomed!r})])
result = r
"""


def test_empty_entry_after_the_cwd_was_deleted(tmp_path, monkeypatch):
    # '' stands for the cwd; with the cwd gone (getcwd fails), the entry is skipped, not
    # cached, and not an error; the rest of the path still works.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    doomed = tmp_path / "doomed"
    doomed.mkdir()
    (doomed / "cwdonly.py").write_text("")
    (doomed / "cwdonly.py").unlink()
    script = PRELUDE + EMPTY_ENTRY.format(stdlib=STDLIB_DIRS, doomed=str(doomed))
    native = run_native(tmp_path, script)
    assert native[0][0] == "ModuleNotFoundError"
    assert native[1] == ["ok", {"module": "json"}]
    doomed.mkdir()
    monkeypatch.chdir(tmp_path)  # restored after the test, even from a deleted cwd
    ns = importspace.Namespace(path=STDLIB_DIRS)
    try:
        assert run_in_namespace(ns, script) == native
    finally:
        os.chdir(tmp_path)
        ns.close()


# ---------------------------------------------------------------- the import state emptied

META_PATH_NONE = "sys.meta_path is None, Python is likely shutting down"


def test_meta_path_none_or_empty_inside(namespace, root):
    # Rebound from code inside the namespace, as `sys.meta_path`.
    native = differential(
        namespace,
        root,
        """
        import warnings
        saved = sys.meta_path
        r = {}
        sys.meta_path = None
        r["None"] = outcome(__import__, "plainmod")
        r["None, already imported"] = outcome(__import__, "sys")
        sys.meta_path = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r["empty"] = outcome(__import__, "plainmod")
        r["empty, warnings"] = [[w.category.__name__, str(w.message)] for w in caught]
        sys.meta_path = saved
        r["restored"] = outcome(__import__, "plainmod")
        result = r
        """,
    )
    assert native["None"][:2] == ["ImportError", META_PATH_NONE]
    assert native["empty, warnings"] == [["ImportWarning", "sys.meta_path is empty"]]


@pytest.mark.parametrize("how", ["None", "emptied"])
def test_meta_path_none_or_empty_from_the_host(root, how):
    native = run_native(
        root,
        DROP_CWD
        + PRELUDE
        + f"""
import warnings
sys.meta_path{" = None" if how == "None" else "[:] = []"}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    r = [outcome(__import__, "plainmod")]
result = r + [[[w.category.__name__, str(w.message)] for w in caught]]
""",
    )
    ns = importspace.Namespace(path=[str(root)])
    try:
        if how == "None":
            ns.meta_path = None
        else:
            ns.meta_path.clear()
        scope: dict = {}
        exec(PRELUDE, scope)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = [scope["outcome"](ns.import_module, "plainmod")]
        r.append([[w.category.__name__, str(w.message)] for w in caught])
        assert r == native
        assert ns.sys.meta_path is ns.meta_path
    finally:
        ns.close()


# ---------------------------------------------------------------- finders and loaders that raise

RAISING = """
import importlib.abc, importlib.util
class Boom(Exception):
    pass

class RaisingFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.endswith("trigger"):
            raise Boom("finder failed for " + name)
        if name.endswith("imperr"):
            raise ImportError("finder refused " + name, name=name)
        return None

class FailingLoader(importlib.abc.Loader):
    def create_module(self, spec):
        if spec.name.endswith("create_fails"):
            raise Boom("create_module failed")
        return None
    def exec_module(self, module):
        module.PARTIAL = True
        if module.__name__.endswith("replaced_then_fails"):
            sys.modules[module.__name__] = "replacement"
        raise Boom("exec_module failed for " + module.__name__)

class NoCreate:
    def exec_module(self, module):
        pass

class LoaderFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        tail = name.rpartition(".")[2]
        if tail in ("exec_fails", "create_fails", "replaced_then_fails"):
            return importlib.util.spec_from_loader(name, FailingLoader())
        if tail == "no_create":
            return importlib.util.spec_from_loader(name, NoCreate())
        return None

sys.meta_path.insert(0, RaisingFinder)
sys.meta_path.insert(1, LoaderFinder)
import pkg
r = {}
for name in ["trigger", "pkg.trigger", "imperr", "pkg.imperr", "pkg.exec_fails",
             "pkg.create_fails", "pkg.replaced_then_fails", "exec_fails", "pkg.no_create"]:
    r[name] = [outcome(__import__, name), name in sys.modules,
               hasattr(pkg, name.rpartition(".")[2])]
r["from pkg import"] = outcome(__import__, "pkg", fromlist=["exec_fails"])
r["bound after fromlist"] = hasattr(pkg, "exec_fails")
r["import_module"] = outcome(importlib.import_module, "pkg.exec_fails")
r["find_spec raising"] = outcome(importlib.util.find_spec, "pkg.trigger")
sys.meta_path.remove(RaisingFinder)
r["after removal"] = outcome(__import__, "pkg.mod")
r["modules"] = sorted(k for k in sys.modules if k.startswith("pkg"))
result = r
"""


def test_finders_and_loaders_that_raise(namespace, root):
    import importlib

    native = differential(namespace, root, "import importlib\n" + RAISING)
    assert native["pkg.exec_fails"][0][:2] == ["Boom", "exec_module failed for pkg.exec_fails"]
    assert native["trigger"][0][:2] == ["Boom", "finder failed for trigger"]
    assert sorted(k for k in namespace.modules if k.startswith("pkg")) == ["pkg", "pkg.mod"]
    assert "pkg" not in sys.modules and importlib.import_module("importlib") is importlib


REPLACING = {
    "selfrep.py": "import sys\nsys.modules[__name__] = {'replaced': True}\n",
    "selfmod.py": (
        "import sys, types\n"
        "other = types.ModuleType('selfmod_other')\n"
        "other.WHO = 'other'\n"
        "sys.modules[__name__] = other\n"
    ),
    "selfdel.py": "import sys\ndel sys.modules[__name__]\n",
    "reppkg/__init__.py": "",
    "reppkg/child.py": "import sys\nsys.modules[__name__] = 42\n",
    "uses.py": (
        "import selfrep, selfmod\nfrom reppkg import child\nSEEN = [selfrep, selfmod.WHO, child]\n"
    ),
}


def test_module_replacing_itself_during_exec(namespace, tree, monkeypatch):
    # The replacement is what the import returns (top-level and submodule, by __import__, the
    # import statement and import_module); a module that deletes its own entry fails.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree(REPLACING)
    native = differential(
        namespace,
        root,
        """
        import importlib
        r = {}
        r["dict"] = outcome(__import__, "selfrep")
        r["module"] = outcome(lambda: __import__("selfmod").WHO)
        r["deleted"] = outcome(__import__, "selfdel")
        r["statement"] = outcome(lambda: __import__("uses").SEEN)
        r["child"] = outcome(importlib.import_module, "reppkg.child")
        r["child bound"] = getattr(sys.modules["reppkg"], "child", None)
        r["again"] = outcome(importlib.import_module, "selfrep")
        result = r
        """,
    )
    assert native["statement"] == ["ok", [{"replaced": True}, "other", 42]]


# ---------------------------------------------------------------- a closed namespace


def test_every_method_of_a_closed_namespace(tree):
    root = tree({"closing.py": "X = 1\n", "cpkg/__init__.py": "", "cpkg/sub.py": ""})
    ns = importspace.Namespace(path=[str(root)], name="shut")
    module = ns.import_module("closing")
    inner_import = ns.builtins.__import__
    ns.close()
    closed = (importspace.NamespaceClosedError, "namespace 'shut' is closed")

    def raises(fn, *args):
        with pytest.raises(closed[0]) as info:
            fn(*args)
        assert str(info.value) == closed[1]

    # Everything that imports, finds or runs code refuses.
    raises(ns.import_module, "closing")
    raises(ns.import_module, "sys")
    raises(ns.import_module, ".sub", "cpkg")
    raises(ns.find_spec, "closing")
    raises(ns.find_spec, "cpkg.sub")
    raises(ns.reload, module)
    raises(ns.run_path, str(root / "closing.py"))
    raises(ns.run_module, "closing")
    raises(inner_import, "closing")
    raises(exec, "import os", module.__dict__)  # code the namespace loaded
    raises(ns._importer._gcd_import, "closing")
    raises(ns._importer._find_spec, "closing", None)
    # The rest still answers: the state objects (emptied), the faces, the flags.
    assert ns.closed is True
    assert ns.modules == {} and ns.path_importer_cache == {}
    assert ns.path == [str(root)]
    assert len(ns.meta_path) == 3 and len(ns.path_hooks) == 2
    assert ns.sys.modules is ns.modules
    assert ns.invalidate_caches() is None
    assert ns.path_importer_cache == {}, "nothing is looked up again after close"
    assert repr(ns) == "<importspace.Namespace 'shut'>"
    assert importspace.namespace_of(module) is ns
    ns.close()  # twice is fine
    with ns as same:  # and so is a with block, which closes again
        assert same is ns
    assert module.X == 1  # modules already handed out keep working
