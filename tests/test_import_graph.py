"""The static import graph (`Namespace.import_graph`, `python -m importspace graph|check`).

What each module resolves to is checked against CPython: a fresh interpreter runs
`importlib.util.find_spec` for every module the graph holds and must find the same file with the
same kind of loader. Import sites are checked against what the source says."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import importspace

KIND_OF_LOADER = {
    "SourceFileLoader": "source",
    "SourcelessFileLoader": "pyc",
    "ExtensionFileLoader": "extension",
    "BuiltinImporter": "builtin",
    "FrozenImporter": "frozen",
}

NATIVE_SPECS = """
import importlib.util, json, sys
sys.path[:0] = {path!r}
KIND = {kinds!r}
found = {{}}
for name in {names!r}:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        found[name] = ["missing", None]
    elif spec.name != name:
        found[name] = ["alias", spec.name]
    elif spec.loader is None or type(spec.loader).__name__ == "NamespaceLoader" or (
        spec.origin in (None, "namespace") and spec.submodule_search_locations is not None
    ):
        found[name] = ["namespace", None]
    else:
        loader = spec.loader if isinstance(spec.loader, type) else type(spec.loader)
        found[name] = [KIND.get(loader.__name__, loader.__name__), spec.origin]
print(json.dumps(found))
"""


def native_specs(path: list[str], names: list[str]) -> dict:
    """What CPython's own `find_spec` finds for each name, in a fresh interpreter."""
    # -S: the namespace does not run `site`, so it has none of the meta path finders that
    # `.pth` files install (setuptools' distutils shim).
    script = NATIVE_SPECS.format(path=path, kinds=KIND_OF_LOADER, names=names)
    proc = subprocess.run(
        [sys.executable, "-S", "-B", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def assert_resolves_as_cpython(graph, path: list[str]) -> None:
    """Every module of the graph (but those only their parent can set) is what CPython finds."""
    ours = {
        m.name: [m.kind, m.file if m.kind not in ("frozen", "builtin", "namespace") else None]
        for m in graph.modules
        if m.kind != "set_by_parent" and not m.name.startswith(".")
    }
    native = native_specs(path, sorted(ours))
    for name, (kind, origin) in native.items():
        if kind == "alias":
            # A package that puts another module in sys.modules under a name of its own
            # (importlib/__init__ sets importlib._bootstrap to _frozen_importlib): the graph
            # says what the finder finds for that name (docs/compliance.md).
            continue
        if kind == "frozen":
            origin = None
        if kind == "builtin":
            origin = None
        assert ours[name] == [kind, origin], name


def edges_of(graph, importer: str) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(e.imported, e.line, tuple(e.context)) for e in graph.edges if e.importer == importer]


def make_ns(root: Path) -> importspace.Namespace:
    return importspace.Namespace([str(root), *sys.path])


@pytest.fixture
def graph_of(tmp_path):
    """`graph_of(files, *roots, **options)`: write the files, build the graph of the roots in a
    namespace over tmp_path and the host's path."""
    made = []

    def build(files, *roots, **options):
        for rel, text in files.items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(textwrap.dedent(text))
        ns = make_ns(tmp_path)
        made.append(ns)
        return ns.import_graph(*roots, **options)

    yield build
    for ns in made:
        ns.close()


CONTEXTS = {
    "app/__init__.py": """\
        import os
        import app.util as util
        from . import helpers
        from .helpers import tool, NAME
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import app.typed
        try:
            import app.fast
        except ImportError:
            import app.slow
        if os.name == "nt":
            import app.windows
        class Holder:
            import app.in_class
        def later():
            import app.deferred
        import importlib
        importlib.import_module("app.dynamic")
        from app.helpers import *
        """,
    "app/util.py": "",
    "app/helpers/__init__.py": "__all__ = ['starred']\nNAME = 1\n",
    "app/helpers/tool.py": "",
    "app/helpers/starred.py": "",
    "app/typed.py": "",
    "app/slow.py": "",
    "app/windows.py": "",
    "app/in_class.py": "",
    "app/deferred.py": "",
    "app/dynamic.py": "",
}


def test_every_context_tag(graph_of):
    graph = graph_of(CONTEXTS, "app")
    assert edges_of(graph, "app") == [
        ("os", 1, ()),
        ("app.util", 2, ()),
        ("app.helpers", 3, ()),
        ("app.helpers", 4, ()),
        ("app.helpers.tool", 4, ()),
        ("typing", 5, ()),
        ("app.typed", 7, ("type_checking",)),
        ("app.fast", 9, ("optional",)),
        ("app.slow", 11, ("conditional",)),
        ("app.windows", 13, ("conditional",)),
        ("app.in_class", 15, ()),
        ("app.deferred", 17, ("deferred",)),
        ("importlib", 18, ()),
        ("app.dynamic", 19, ("dynamic",)),
        ("app.helpers", 20, ()),
        ("app.helpers.starred", 20, ()),
    ]
    # `from . import helpers` in app/__init__ names app itself (no self edge) and app.helpers.
    assert graph["app.fast"].kind == "missing"
    assert graph.imports("app", skip=["deferred", "type_checking", "optional"])[:3] == [
        "os",
        "app.util",
        "app.helpers",
    ]
    without = graph_of({}, "app", type_checking=False)
    assert "app.typed" not in without.imports("app")


def test_lazy_imports_are_tagged(graph_of):
    graph = graph_of({"lz.py": "lazy import json\nlazy from os import path\n"}, "lz")
    assert edges_of(graph, "lz") == [("json", 1, ("lazy",)), ("os", 2, ("lazy",))]


def test_resolution_matches_cpython(tmp_path, graph_of):
    second = tmp_path / "second"
    files = {
        "pkg/__init__.py": "from . import mod, sub\nimport pkg.sub.deep\nimport nspkg.a\n",
        "pkg/mod.py": "from .sub import deep\n",
        # Not imported by the package (it would fail), so the native side can import `pkg`.
        "pkg/broken.py": "from ..outside import x\nimport pkg.absent\nimport nope.nada\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": "import os.path\nimport json\nimport sys\n",
        "nspkg/a.py": "import nspkg.b\n",
        "second/nspkg/b.py": "",
        "second/compiled/__init__.py": "from . import old\n",
    }
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    # A sourceless module: a .pyc in the package itself, no .py beside it.
    (tmp_path / "second/compiled/old_src.py").write_text("X = 1\n")
    py_compile.compile(
        str(tmp_path / "second/compiled/old_src.py"),
        cfile=str(tmp_path / "second/compiled/old.pyc"),
    )
    (tmp_path / "second/compiled/old_src.py").unlink()
    # An extension module: a real one of the standard library, under a name of the tree.
    ext = next(
        p
        for p in Path(os.path.dirname(os.__file__), "lib-dynload").iterdir()
        if p.name.startswith("_csv.")
    )
    shutil.copy(ext, tmp_path / "pkg" / ext.name)
    (tmp_path / "pkg/uses_ext.py").write_text("from . import _csv\n")
    ns = importspace.Namespace([str(tmp_path), str(second), *sys.path])
    try:
        graph = ns.import_graph("pkg", "compiled")
    finally:
        ns.close()
    kinds = {m.name: m.kind for m in graph.modules}
    assert kinds["pkg"] == "source"
    assert kinds["pkg._csv"] == "extension"
    assert kinds["nspkg"] == "namespace"
    assert kinds["nspkg.b"] == "source"
    assert kinds["compiled.old"] == "pyc"
    assert kinds["os.path"] == "set_by_parent"
    assert kinds["sys"] == "builtin"
    assert kinds["pkg.absent"] == "missing"
    assert kinds["nope.nada"] == "missing"
    assert kinds["..outside"] == "missing"  # beyond the top-level package, listed as written
    assert graph["pkg._csv"].once_per_process is not None
    assert_resolves_as_cpython(graph, [str(tmp_path), str(second)])


def test_problems_are_reported_not_raised(graph_of):
    graph = graph_of(
        {
            "broken.py": "import json\ndef f(:\n    pass\n",
            "latin.py": b"# coding: latin-1\nx = '\xe9'\nimport json\n",
            "cp.py": b"# coding: cp1252\nx = '\x80'\nimport json\n",
            "bad_utf8.py": b"x = '\xff'\nimport json\n",
            "bad_cookie.py": b"# coding: no-such-codec\nimport json\n",
        },
        "broken",
        "latin",
        "cp",
        "bad_utf8",
        "bad_cookie",
    )
    assert graph["broken"].problem.startswith("SyntaxError")
    assert "line 2" in graph["broken"].problem
    assert graph["latin"].problem is None and graph.imports("latin") == ["json"]
    assert graph["cp"].problem is None and graph.imports("cp") == ["json"]
    assert graph["bad_utf8"].problem.startswith("SyntaxError")
    assert graph["bad_cookie"].problem.startswith("SyntaxError")


def test_cycles_paths_upstream_downstream(graph_of):
    graph = graph_of(
        {
            "cyc/__init__.py": "",
            "cyc/a.py": "from cyc import b\n",
            "cyc/b.py": "import cyc.c\n",
            "cyc/c.py": "import cyc.a\nimport cyc.d\n",
            "cyc/d.py": "def f():\n    import cyc.e\n",
            "cyc/e.py": "",
        },
        "cyc",
    )
    assert graph.cycles() == [["cyc.a", "cyc.b", "cyc.c"]]
    assert graph.path("cyc.a", "cyc.e") == ["cyc.a", "cyc.b", "cyc.c", "cyc.d", "cyc.e"]
    assert graph.path("cyc.a", "cyc.e", skip=["deferred"]) is None
    assert set(graph.upstream("cyc.a", skip=["deferred"])) == {
        "cyc",
        "cyc.b",
        "cyc.c",
        "cyc.d",
    }
    assert set(graph.downstream("cyc.d")) == {"cyc.a", "cyc.b", "cyc.c"}
    with pytest.raises(KeyError):
        graph.upstream("nowhere")
    with pytest.raises(ValueError, match="unknown import context"):
        graph.cycles(skip=["sometimes"])
    data = json.loads(graph.to_json())
    assert {m["name"] for m in data["modules"]} == {m.name for m in graph.modules}
    assert len(data["edges"]) == len(graph.edges)
    dot = graph.to_dot()
    assert dot.startswith("digraph imports {") and '"cyc.d" -> "cyc.e" [style=dashed];' in dot


def test_follow_false_reads_only_the_roots(graph_of):
    files = {"solo/__init__.py": "import json\n"}
    assert graph_of(files, "solo", follow=False)["json"].parsed is False
    followed = graph_of(files, "solo")
    assert followed["json"].parsed is True
    assert "json.decoder" in followed


def test_default_roots_are_the_non_stdlib_entries(tmp_path):
    (tmp_path / "top.py").write_text("import json\n")
    (tmp_path / "data").mkdir()  # a directory holding no module is no node
    ns = importspace.Namespace([str(tmp_path), *[p for p in sys.path if "site-packages" not in p]])
    try:
        graph = ns.import_graph(follow=False)
    finally:
        ns.close()
    assert "top" in graph and "data" not in graph
    assert not any(m.parsed for m in graph.modules if m.name.split(".")[0] == "json")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "importspace", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_command_line_graph_and_check(tmp_path):
    files = {
        "plug/__init__.py": "import json\nfrom . import core\ntry:\n    import maybe_not\n"
        "except ImportError:\n    pass\n",
        "plug/core.py": "import absent_dep\n",
        "good/__init__.py": "import json\n",
        # soft.extra runs only when its optional import succeeds: what it lacks is optional too
        "soft/__init__.py": "try:\n    from . import extra\nexcept ImportError:\n    pass\n",
        "soft/extra.py": "import absent_too\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    text = cli("graph", "--path", str(tmp_path), "plug", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "plug [source]" in text.stdout and "-> plug.core  line 2" in text.stdout
    as_json = json.loads(cli("graph", "--format", "json", "plug", cwd=tmp_path).stdout)
    assert {"importer": "plug", "imported": "plug.core", "line": 2, "context": []} in as_json[
        "edges"
    ]
    assert cli("graph", "--format=dot", "plug", cwd=tmp_path).stdout.startswith("digraph")
    bad = cli("check", "plug", cwd=tmp_path)
    assert bad.returncode == 1
    assert "absent_dep  imported by plug.core line 1" in bad.stdout
    assert "maybe_not  imported by plug line 4 (optional)" in bad.stdout
    good = cli("check", "good", cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.endswith("check: OK\n")
    soft = cli("check", "soft", cwd=tmp_path)
    assert soft.returncode == 0, soft.stdout
    assert (
        "absent_too  imported by soft.extra line 1 "
        "(its importer is reached through an optional import)"
    ) in soft.stdout
    assert cli("check", "not_there", cwd=tmp_path).returncode == 1
    usage = cli("graph", cwd=tmp_path)
    assert usage.returncode == 2 and "give at least one MODULE" in usage.stderr
    assert cli("graph", "--format", "xml", "plug", cwd=tmp_path).returncode == 2
