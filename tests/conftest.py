"""Shared fixtures: the host-state guard every test runs under, package-tree builders, and the
differential runner that imports the same tree natively in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import importspace


def _host_import_state():
    return (
        dict(sys.modules),
        list(sys.path),
        list(sys.meta_path),
        list(sys.path_hooks),
        dict(sys.path_importer_cache),
    )


def _process_wide(name):
    """Codec modules the interpreter's one codec registry imports on first lookup (the shared
    `encodings` search function puts them in the host's sys.modules, from any namespace's code
    as from the host's; see docs/compliance.md)."""
    return name.startswith("encodings.")


@pytest.fixture(autouse=True)
def host_unchanged(tmp_path_factory):
    """Every test: the host's sys.modules, sys.path, sys.meta_path, sys.path_hooks and
    sys.path_importer_cache are exactly the same afterwards (same keys, same objects)."""
    # pytest's tmp_path imports getpass (and pwd, termios) in the host on first use: do it first.
    tmp_path_factory.getbasetemp()
    modules, path, meta_path, path_hooks, importer_cache = _host_import_state()
    yield
    after_modules, after_path, after_meta, after_hooks, after_cache = _host_import_state()
    added = {name for name in set(after_modules) - set(modules) if not _process_wide(name)}
    assert added == set(), "namespace work added host modules"
    assert set(modules) - set(after_modules) == set(), "namespace work removed host modules"
    changed = [k for k in modules if after_modules[k] is not modules[k]]
    assert changed == [], f"host modules replaced: {changed}"
    assert after_path == path
    assert after_meta == meta_path
    assert after_hooks == path_hooks
    assert set(after_cache) == set(importer_cache)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `{relative path: source}` under root (dedented); returns root."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def write_bytecode(monkeypatch):
    """`sys.dont_write_bytecode = False` for the test (the environment may set it)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


@pytest.fixture
def no_bytecode(monkeypatch):
    """`sys.dont_write_bytecode = True` for the test."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.fixture
def tree(tmp_path):
    """A builder: `tree({'pkg/__init__.py': '...'})` writes files under tmp_path and returns it."""

    def build(files: dict[str, str]) -> Path:
        return write_tree(tmp_path, files)

    return build


@pytest.fixture
def namespace(tmp_path):
    """A namespace over tmp_path plus the host's path, closed after the test."""
    ns = importspace.Namespace(path=[str(tmp_path), *sys.path])
    yield ns
    ns.close()


def run_native(root: Path, script: str, *, extra_env: dict[str, str] | None = None) -> object:
    """Run `script` in a fresh interpreter with `root` first on sys.path. The script assigns its
    answer to `result`, which must be JSON-serialisable; returns it."""
    wrapper = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "sys.dont_write_bytecode = True\n"
        + textwrap.dedent(script)
        + "\nprint('\\n' + json.dumps(result))\n"
    )
    env = None
    if extra_env:
        import os

        env = {**os.environ, **extra_env}
    proc = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_in_namespace(ns: importspace.Namespace, script: str) -> object:
    """Run `script` as a module body inside `ns` (its imports go through the namespace); the
    script assigns its answer to `result`. Returns it after a JSON round trip, so the answer
    compares equal to run_native's."""
    code = compile(textwrap.dedent(script), "<differential>", "exec")
    scope = {"__name__": "__differential__", "__builtins__": ns.builtins.__dict__}
    exec(code, scope)
    return json.loads(json.dumps(scope["result"]))


def assert_matches_native(
    root: Path, script: str, *, path: list | None = None, native_setup: str = ""
) -> None:
    """Run `script` natively (after `native_setup`) and in a fresh namespace over `path`
    (default: root, then the host's path); assert the answers are equal; close the namespace."""
    native = run_native(root, native_setup + script)
    ns = importspace.Namespace(path=[str(root), *sys.path] if path is None else path)
    try:
        assert run_in_namespace(ns, script) == native
    finally:
        ns.close()
