"""CPython's own circular-import cases, natively and inside a Namespace.

The cases are read at test time from the running interpreter's
`test/test_import/data/circular_imports/` and copied into tmp_path under the same dotted name
(`test.test_import.data.circular_imports`); nothing is copied into this repository. Two kinds of
case:
- every module of that directory, imported on its own in a fresh world;
- every test of `test/test_import/__init__.py` that imports from that directory, replayed as its
  sequence of import statements.
Each statement's outcome (success, or exception type and exact message), the identity relations
between the modules and functions bound, each package's submodule attributes and the order of
`sys.modules` must be the same natively and in the namespace.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_in_namespace, run_native, write_tree
from difftools import assert_same

import importspace

STDLIB = Path(os.__file__).parent
TEST_IMPORT = STDLIB / "test" / "test_import"
DATA = TEST_IMPORT / "data" / "circular_imports"
PREFIX = "test.test_import.data.circular_imports"


def _module_names() -> list[str]:
    names = []
    for source in sorted(DATA.rglob("*.py")):
        parts = list(source.relative_to(DATA).with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join([PREFIX, *parts]))
    return names


def _scenarios() -> dict[str, list[str]]:
    """test name -> the import statements (source text) it runs from the circular cases."""
    source_file = TEST_IMPORT / "__init__.py"
    source = source_file.read_text(encoding="utf-8")
    scenarios = {}
    for cls in ast.walk(ast.parse(source)):
        if not isinstance(cls, ast.ClassDef):
            continue
        for func in cls.body:
            if not isinstance(func, ast.FunctionDef) or not func.name.startswith("test"):
                continue
            statements = []
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                if any(n == PREFIX or n.startswith(PREFIX + ".") for n in names):
                    statements.append(node)
            if statements:
                statements.sort(key=lambda n: (n.lineno, n.col_offset))
                texts = [ast.get_source_segment(source, n) for n in statements]
                scenarios[f"{cls.name}.{func.name}"] = texts
    return scenarios


def _params(kind: str) -> list:
    absent = pytest.mark.skip(reason=f"no {DATA} in this interpreter's test suite")
    if not DATA.is_dir() or not (TEST_IMPORT / "__init__.py").is_file():
        return [pytest.param(None, marks=absent, id="absent")]
    if kind == "modules":
        return [pytest.param(n, id=n[len(PREFIX) + 1 :]) for n in _module_names()]
    return [pytest.param(stmts, id=name) for name, stmts in _scenarios().items()]


def _copy_cases(root: Path) -> None:
    """`test/test_import/data/circular_imports` under root. `test` and `test.test_import` are
    empty packages (the real `test_import/__init__.py` is the test module itself); `data` keeps
    whatever the real one is (a namespace package when it has no `__init__.py`)."""
    write_tree(root, {"test/__init__.py": "", "test/test_import/__init__.py": ""})
    if (TEST_IMPORT / "data" / "__init__.py").is_file():
        write_tree(root, {"test/test_import/data/__init__.py": ""})
    shutil.copytree(
        DATA,
        root / "test" / "test_import" / "data" / "circular_imports",
        ignore=shutil.ignore_patterns("__pycache__"),
    )


# Replays `STATEMENTS` one by one in the same global scope, then describes the world.
PROBE = """
import sys

PREFIX = "test.test_import.data.circular_imports"


def error(exc):
    out = {"raised": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ImportError):
        out["name"] = exc.name
        out["path"] = exc.path
    return out


def run(statement):
    scope = {"__name__": "__circular__", "__builtins__": __builtins__}
    try:
        exec(statement, scope)
    except Exception as exc:
        return {"raised": error(exc)}, scope
    return {"ok": True}, scope


def label(value, seen):
    if hasattr(value, "__spec__") and not isinstance(value, type):
        text = "module " + value.__name__
    elif callable(value) and hasattr(value, "__qualname__"):
        text = "function " + getattr(value, "__module__", "?") + "." + value.__qualname__
    else:
        return "value " + type(value).__name__ + " " + repr(value)
    first = seen.setdefault(id(value), text)
    return text if first == text else text + " (is " + first + ")"


seen = {}
steps = []
for statement in STATEMENTS:
    answer, scope = run(statement)
    answer["bound"] = {
        k: label(v, seen) for k, v in sorted(scope.items()) if not k.startswith("__")
    }
    steps.append([statement, answer])
world = {}
for name in [k for k in sys.modules if k == PREFIX or k.startswith(PREFIX + ".")]:
    module = sys.modules[name]
    if module is None:
        world[name] = None
        continue
    world[name] = {
        k: label(v, seen)
        for k, v in sorted(vars(module).items())
        if not k.startswith("__") and (hasattr(v, "__spec__") or callable(v))
    }
result = {"steps": steps, "modules in order": list(world), "world": world}
"""


def _differential(namespace, root: Path, statements: list[str]) -> dict:
    _copy_cases(root)
    probe = f"STATEMENTS = {statements!r}\n" + PROBE
    native = run_native(root, probe)
    inside = run_in_namespace(namespace, probe)
    assert_same(inside, native)
    return native


@pytest.mark.parametrize("module", _params("modules"))
def test_circular_case_module(namespace, tmp_path, module):
    _differential(namespace, tmp_path, [f"import {module}"])


@pytest.mark.parametrize("statements", _params("scenarios"))
def test_circular_case_from_test_import(namespace, tmp_path, statements):
    _differential(namespace, tmp_path, statements)


def test_cases_are_found():
    """The parametrization above really sees CPython's cases (a silent empty list would pass)."""
    if not DATA.is_dir():
        pytest.skip(f"no {DATA}")
    names = _module_names()
    assert f"{PREFIX}.basic" in names and f"{PREFIX}.subpkg.subpackage2" in names
    scenarios = _scenarios()
    assert "CircularImportTests.test_direct" in scenarios
    assert len(scenarios["CircularImportTests.test_crossreference1"]) == 2


def test_circular_import_as_after_the_namespace_imported_opcode(tmp_path):
    """`import a.b.c as d` during a circular import reads the interpreter's opcode numbers the
    first time it needs them, with the host's import system. In a fresh process whose host has
    no `opcode` but whose namespace has its own (numpy after typing_extensions), that host
    import must still give them, else the chain is not bound early and the import fails."""
    write_tree(
        tmp_path,
        {
            "p/__init__.py": "from . import sub\n",
            "p/sub/__init__.py": "from . import m\n",
            "p/sub/m.py": "import p.sub.x as y\n",
            "p/sub/x.py": "",
        },
    )
    body = "import opcode\nimport p\nprint(p.sub.m.y.__name__)\n"
    native = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
         + body],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    in_namespace = subprocess.run(
        [sys.executable, "-I", "-S", "-c",
         f"import sys; sys.path[:0] = [{str(Path(importspace.__file__).parents[1])!r}]\n"
         "import importspace\n"
         f"ns = importspace.Namespace([{str(tmp_path)!r}, *sys.path])\n"
         "assert 'opcode' not in sys.modules\n"
         "ns.import_module('opcode')\n"
         "print(ns.import_module('p').sub.m.y.__name__)\n"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert native.stdout == "p.sub.x\n", native.stderr
    assert in_namespace.stdout == native.stdout, in_namespace.stderr
