"""The native loaders, differentially: pyc files written, pycs used or refused, sourceless
modules, source decoding, syntax errors, tracebacks and the loader API, each compared with what
CPython's own import system does with the same tree (in a subprocess, or in-process through
`importlib.machinery`'s loaders)."""

from __future__ import annotations

import _imp
import codecs
import importlib.machinery
import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import stat
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from conftest import run_in_namespace, run_native

import importspace

TAG = sys.implementation.cache_tag
MAGIC = importlib.util.MAGIC_NUMBER

# Codecs are process-wide (`encodings` is shared with every namespace): a codec lookup imports its
# module into the host's sys.modules, natively or not. Load the ones used here at collection.
for _codec in ("cp1252", "utf-16", "utf-8-sig", "latin-1"):
    codecs.lookup(_codec)

RICH_MODULE = '''\
"""A module with a bit of everything marshal writes."""
import os

CONSTS = ("alpha", "beta", 1.5, 2j, b"raw", frozenset({1, 2}), None, ..., 10**30)
SHARED = ("alpha", "alpha")


def function(a, b=2, *args, key, **kwargs):
    text = "hello " + a
    return [text for _ in range(3)], {k: v for k, v in kwargs.items()}, os.sep


class Thing:
    slot: int = 3

    def method(self):
        return lambda q: q + self.slot


async def coroutine(items):
    async for item in items:
        await item
    return (yield_ := 1)
'''


# ---------------------------------------------------------------- helpers


def run_python(
    root: Path, script: str, *, flags: tuple[str, ...] = (), cwd: Path | None = None
) -> object:
    """Run `script` in a fresh `python *flags`, with `root` first on sys.path and pyc writing
    on. The script assigns its answer to `result` (JSON-serialisable)."""
    wrapper = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "sys.dont_write_bytecode = False\n"
        + textwrap.dedent(script)
        + "\nprint('\\n' + json.dumps(result))\n"
    )
    proc = subprocess.run(
        [sys.executable, *flags, "-c", wrapper],
        capture_output=True,
        text=True,
        cwd=cwd or root,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def in_namespace_subprocess(root: Path, names: list[str], *, flags: tuple[str, ...] = ()) -> object:
    """In a fresh `python *flags`: the pycs CPython's SourceFileLoader writes there for the
    modules `names` (files directly in root), then the docstrings of those modules imported in
    a Namespace over `root`, and the pycs it wrote (hex)."""
    return run_python(
        root,
        f"""
        import importlib.machinery, importlib.util, os
        import importspace
        here = {{}}
        for n in {names!r}:
            source = os.path.join(sys.path[0], n + ".py")
            importlib.machinery.SourceFileLoader(n, source).get_code(n)
            cache = importlib.util.cache_from_source(source)
            with open(cache, "rb") as f:
                here[n] = f.read().hex()
            os.remove(cache)
        ns = importspace.Namespace(path=list(sys.path))
        docs = [getattr(ns.import_module(n), "__doc__", None) for n in {names!r}]
        result = [docs, here]
        """,
        flags=flags,
    )


def natively(root: Path, names: list[str], *, flags: tuple[str, ...] = ()) -> object:
    return run_python(
        root,
        f"""
        import importlib
        result = [getattr(importlib.import_module(n), "__doc__", None) for n in {names!r}]
        """,
        flags=flags,
    )


def pyc_files(root: Path) -> dict[str, bytes]:
    """Every .pyc under root, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.pyc"))}


def clear_caches(root: Path) -> None:
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache)


def cache_path(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"


def error_of(exc: BaseException) -> list:
    """What a differential test compares of an exception."""
    return [
        type(exc).__name__,
        str(exc),
        getattr(exc, "name", None),
        getattr(exc, "path", None),
    ]


NATIVE_ERROR = """
def error_of(exc):
    return [type(exc).__name__, str(exc), getattr(exc, "name", None), getattr(exc, "path", None)]
"""


def import_error_in(ns: importspace.Namespace, name: str) -> list:
    with pytest.raises(BaseException) as info:  # noqa: B017 - the type is what is compared
        ns.import_module(name)
    return error_of(info.value)


def native_import_error(root: Path, name: str) -> list:
    return run_native(
        root,
        NATIVE_ERROR
        + f"""
try:
    __import__({name!r})
except BaseException as exc:
    result = error_of(exc)
else:
    result = None
""",
    )


def pyc_header(flags: int, word1: bytes, word2: bytes = b"") -> bytes:
    return MAGIC + flags.to_bytes(4, "little") + word1 + word2


def timestamp_pyc(source_text: str, mtime: int, size: int, filename: str) -> bytes:
    code = compile(source_text, filename, "exec", dont_inherit=True)
    return pyc_header(0, (mtime & 0xFFFFFFFF).to_bytes(4, "little"), size.to_bytes(4, "little")) + (
        marshal.dumps(code)
    )


# marshal flags an object for back-references (FLAG_REF) only when its refcount is above 1.
# Before 3.12 interned strings are mortal, so whether a name in a pyc is flagged depends on what
# else the process holds: natively, two processes can write different bytes for one source. So a
# pyc is compared byte for byte with the one CPython's own SourceFileLoader writes in the same
# process, and with a native subprocess's from 3.12 on (interned strings are immortal there);
# before 3.12, with the subprocess's header and unmarshalled code.
EXACT_ACROSS_PROCESSES = sys.version_info >= (3, 12)


def cpython_pyc(name: str, source: Path) -> bytes:
    """The pyc CPython's own SourceFileLoader.get_code writes for `source` in this process,
    from the cache file as it is now; the cache file is then put back as it was."""
    cache = Path(importlib.util.cache_from_source(str(source)))
    saved = cache.read_bytes() if cache.exists() else None
    top_missing = None
    parent = cache.parent
    while not parent.exists():
        top_missing, parent = parent, parent.parent
    importlib.machinery.SourceFileLoader(name, str(source)).get_code(name)
    data = cache.read_bytes()
    if saved is not None:
        cache.write_bytes(saved)
    else:
        cache.unlink()
        if top_missing is not None:
            shutil.rmtree(top_missing)
    return data


def assert_pyc_matches(ours: bytes, here: bytes, native: bytes) -> None:
    """`ours` is what CPython writes in this process (`here`) and in a subprocess (`native`)."""
    assert ours == here
    if EXACT_ACROSS_PROCESSES:
        assert ours == native
    else:
        assert ours[:16] == native[:16]
        assert marshal.loads(ours[16:]) == marshal.loads(native[16:])


def assert_pycs_match(ours: dict, here: dict, native: dict) -> None:
    assert sorted(ours) == sorted(here) == sorted(native)
    for key in ours:
        assert_pyc_matches(ours[key], here[key], native[key])


# ---------------------------------------------------------------- pyc writing


def test_written_pycs_are_byte_identical_to_natives(tree, namespace, write_bytecode):
    files = {
        "rich.py": RICH_MODULE,
        "pkg/__init__.py": "PARENT = True\n",
        "pkg/sub.py": "import rich\nfrom . import PARENT\nVALUE = rich.CONSTS\n",
        "empty.py": "",
    }
    root = tree(files)
    # In dependency order: what is alive when a module is compiled is the same each time.
    modules = {"rich": "rich.py", "empty": "empty.py", "pkg": "pkg/__init__.py"}
    modules["pkg.sub"] = "pkg/sub.py"
    natively(root, list(modules))
    native_pycs = pyc_files(root)
    assert sorted(native_pycs) == [
        f"__pycache__/empty.{TAG}.pyc",
        f"__pycache__/rich.{TAG}.pyc",
        f"pkg/__pycache__/__init__.{TAG}.pyc",
        f"pkg/__pycache__/sub.{TAG}.pyc",
    ]
    clear_caches(root)
    here = {}
    for name, rel in modules.items():
        source = root / rel
        here[str(cache_path(source).relative_to(root))] = cpython_pyc(name, source)
        namespace.import_module(name)
    assert_pycs_match(pyc_files(root), here, native_pycs)


def test_pycs_with_pycache_prefix(tree, tmp_path, namespace, write_bytecode, monkeypatch):
    root = tree({"m.py": RICH_MODULE, "pkg/__init__.py": "X = 1\n"})
    prefix = tmp_path / "prefix"
    run_python(
        root,
        f"""
        sys.pycache_prefix = {str(prefix)!r}
        import m, pkg
        result = None
        """,
    )
    native_pycs = pyc_files(prefix)
    expected_dir = str(root).lstrip("/")
    assert sorted(native_pycs) == [
        f"{expected_dir}/m.{TAG}.pyc",
        f"{expected_dir}/pkg/__init__.{TAG}.pyc",
    ]
    assert not list(root.rglob("__pycache__"))
    shutil.rmtree(prefix)
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    here = {f"{expected_dir}/m.{TAG}.pyc": cpython_pyc("m", root / "m.py")}
    module = namespace.import_module("m")
    init = root / "pkg" / "__init__.py"
    here[f"{expected_dir}/pkg/__init__.{TAG}.pyc"] = cpython_pyc("pkg", init)
    namespace.import_module("pkg")
    assert module.__cached__ == str(prefix / expected_dir / f"m.{TAG}.pyc")
    assert not list(root.rglob("__pycache__"))
    # (On 3.9 and 3.10 `import os` runs the stdlib from source in the namespace, which writes
    # its pycs under the prefix too.)
    ours = {k: v for k, v in pyc_files(prefix).items() if k.startswith(expected_dir + "/")}
    assert_pycs_match(ours, here, native_pycs)


@pytest.mark.parametrize("flags", [("-O",), ("-OO",)], ids=["O1", "O2"])
def test_pycs_under_optimization(tree, flags):
    root = tree({"m.py": RICH_MODULE + "assert False, 'stripped under -O'\n"})
    native_docs = natively(root, ["m"], flags=flags)
    native_pycs = pyc_files(root)
    level = flags[0].count("O")
    assert list(native_pycs) == [f"__pycache__/m.{TAG}.opt-{level}.pyc"]
    clear_caches(root)
    docs, here = in_namespace_subprocess(root, ["m"], flags=flags)
    assert docs == native_docs
    key = f"__pycache__/m.{TAG}.opt-{level}.pyc"
    assert_pycs_match(pyc_files(root), {key: bytes.fromhex(here["m"])}, native_pycs)
    # The optimized pyc is then used, not rewritten.
    before = os.stat(root / key).st_mtime_ns
    assert (
        run_python(
            root,
            "import importspace\n"
            "result = importspace.Namespace(path=list(sys.path)).import_module('m').__doc__",
            flags=flags,
        )
        == native_docs[0]
    )
    assert os.stat(root / key).st_mtime_ns == before


@pytest.mark.parametrize("mode", [0o444, 0o600, 0o640, 0o755])
def test_pyc_mode_follows_source_mode(tree, namespace, write_bytecode, mode):
    root = tree({"m.py": "X = 1\n"})
    os.chmod(root / "m.py", mode)
    natively(root, ["m"])
    native_mode = stat.S_IMODE(os.stat(cache_path(root / "m.py")).st_mode)
    clear_caches(root)
    namespace.import_module("m")
    ns_mode = stat.S_IMODE(os.stat(cache_path(root / "m.py")).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert ns_mode == native_mode == (mode | 0o200) & 0o666 & ~umask


def test_no_temporary_files_left(tree, namespace, write_bytecode):
    root = tree({"m.py": "X = 1\n", "n.py": "Y = 2\n"})
    namespace.import_module("m")
    # A stale pyc is replaced in place, through a temporary file that must not stay behind.
    cache = cache_path(root / "n.py")
    cache.write_bytes(b"garbage that is no pyc")
    assert namespace.import_module("n").Y == 2
    assert sorted(p.name for p in (root / "__pycache__").iterdir()) == [
        f"m.{TAG}.pyc",
        f"n.{TAG}.pyc",
    ]
    assert cache.read_bytes().startswith(MAGIC)


def test_unwritable_cache_location_is_not_an_error(tree, namespace, write_bytecode):
    # __pycache__ is a file: the pyc cannot be written, which is silently ignored, as natively.
    root = tree({"m.py": "X = 1\n", "__pycache__": "not a directory\n"})
    assert run_native(root, "import sys; sys.dont_write_bytecode = False; import m; result = m.X")
    assert namespace.import_module("m").X == 1
    assert (root / "__pycache__").read_text() == "not a directory\n"
    assert sorted(p.name for p in root.iterdir()) == ["__pycache__", "m.py"]


def test_nothing_written_when_dont_write_bytecode(tree, namespace, no_bytecode):
    root = tree({"m.py": "X = 1\n", "pkg/__init__.py": "", "pkg/sub.py": ""})
    run_native(root, "import m, pkg.sub; result = None")
    assert pyc_files(root) == {}
    namespace.import_module("m")
    namespace.import_module("pkg.sub")
    assert pyc_files(root) == {}
    assert not list(root.rglob("__pycache__"))


def test_dont_write_bytecode_is_read_at_each_import(tree, namespace, monkeypatch):
    root = tree({"a.py": "", "b.py": ""})
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    namespace.import_module("a")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    namespace.import_module("b")
    assert sorted(pyc_files(root)) == [f"__pycache__/b.{TAG}.pyc"]


# ---------------------------------------------------------------- pycs read


def _plant_pyc_from_other_source(root: Path, name: str = "m") -> Path:
    """m.py says VALUE = 'source'; its pyc (valid mtime and size) says VALUE = 'pycode'."""
    source = root / f"{name}.py"
    source.write_text("VALUE = 'source'\n")
    st = os.stat(source)
    cache = cache_path(source)
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(
        timestamp_pyc("VALUE = 'pycode'\n", int(st.st_mtime), st.st_size, str(source))
    )
    return cache


def test_a_valid_pyc_is_used(tree, namespace, write_bytecode):
    root = tree({"pkg/__init__.py": ""})
    cache = _plant_pyc_from_other_source(root)
    _plant_pyc_from_other_source(root / "pkg", "__init__")
    before = cache.read_bytes()
    native = run_native(root, "import m, pkg; result = [m.VALUE, pkg.VALUE]")
    assert native == ["pycode", "pycode"]
    assert namespace.import_module("m").VALUE == "pycode"
    assert namespace.import_module("pkg").VALUE == "pycode"
    assert cache.read_bytes() == before


def test_code_filename_is_fixed_to_the_source_path(tree, namespace):
    root = tree({"m.py": "def f():\n    pass\n"})
    source = root / "m.py"
    st = os.stat(source)
    cache = cache_path(source)
    cache.parent.mkdir()
    cache.write_bytes(
        timestamp_pyc(source.read_text(), int(st.st_mtime), st.st_size, "/elsewhere/m.py")
    )
    native = run_native(root, "import m; result = m.f.__code__.co_filename")
    assert native == str(source)
    assert namespace.import_module("m").f.__code__.co_filename == native


STALE_CASES = {
    "mtime": lambda st: (int(st.st_mtime) + 1, st.st_size),
    "size": lambda st: (int(st.st_mtime), st.st_size + 1),
    "both": lambda st: (0, 0),
}


@pytest.mark.parametrize("case", sorted(STALE_CASES))
def test_stale_pyc_is_recompiled_and_rewritten(tree, namespace, write_bytecode, case):
    root = tree({"m.py": "VALUE = 'source'\n"})
    source = root / "m.py"
    cache = cache_path(source)
    cache.parent.mkdir()
    mtime, size = STALE_CASES[case](os.stat(source))
    stale = timestamp_pyc("VALUE = 'pycode'\n", mtime, size, str(source))
    cache.write_bytes(stale)
    assert run_python(root, "import m; result = m.VALUE") == "source"
    native_pyc = cache.read_bytes()
    assert native_pyc != stale
    cache.write_bytes(stale)
    here = cpython_pyc("m", source)
    assert namespace.import_module("m").VALUE == "source"
    assert_pyc_matches(cache.read_bytes(), here, native_pyc)


BAD_PYCS = {
    "bad-magic": lambda good: b"\x00\x00\r\n" + good[4:],
    "empty": lambda good: b"",
    "magic-only": lambda good: good[:4],
    "truncated-header": lambda good: good[:12],
    "bad-flags": lambda good: good[:4] + (4).to_bytes(4, "little") + good[8:],
    "bad-flags-high": lambda good: good[:4] + (0x80000000).to_bytes(4, "little") + good[8:],
}


@pytest.mark.parametrize("case", sorted(BAD_PYCS))
def test_bad_pyc_header_is_recompiled_as_natively(tree, namespace, write_bytecode, case):
    root = tree({"m.py": "VALUE = 'source'\n"})
    source = root / "m.py"
    st = os.stat(source)
    cache = cache_path(source)
    cache.parent.mkdir()
    good = timestamp_pyc("VALUE = 'pycode'\n", int(st.st_mtime), st.st_size, str(source))
    bad = BAD_PYCS[case](good)
    cache.write_bytes(bad)
    assert run_python(root, "import m; result = m.VALUE") == "source"
    native_pyc = cache.read_bytes()
    cache.write_bytes(bad)
    here = cpython_pyc("m", source)
    assert namespace.import_module("m").VALUE == "source"
    assert_pyc_matches(cache.read_bytes(), here, native_pyc)


def test_pyc_with_corrupt_body_raises_as_natively(tree, namespace):
    # A valid header over bytes marshal refuses is not a recompile: the error propagates.
    root = tree({"m.py": "VALUE = 'source'\n"})
    source = root / "m.py"
    st = os.stat(source)
    cache = cache_path(source)
    cache.parent.mkdir()
    good = timestamp_pyc("VALUE = 'pycode'\n", int(st.st_mtime), st.st_size, str(source))
    cache.write_bytes(good[:16] + b"\xff\xff\xff")
    assert import_error_in(namespace, "m") == native_import_error(root, "m")


HASH_MODES = ["default", "always", "never"]


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
@pytest.mark.parametrize("mode", HASH_MODES)
def test_hash_based_pycs(tree, namespace, write_bytecode, monkeypatch, checked, mode):
    root = tree({"m.py": "VALUE = 'old'\n"})
    source = root / "m.py"
    invalidation = (
        py_compile.PycInvalidationMode.CHECKED_HASH
        if checked
        else py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    cache = Path(py_compile.compile(str(source), invalidation_mode=invalidation, doraise=True))
    # The source changes; the pyc's hash is now stale.
    source.write_text("VALUE = 'new'\n")
    old_pyc = cache.read_bytes()
    native = run_python(root, "import m; result = m.VALUE", flags=("--check-hash-based-pycs", mode))
    native_pyc = cache.read_bytes()
    cache.write_bytes(old_pyc)
    monkeypatch.setattr(_imp, "check_hash_based_pycs", mode)
    here = cpython_pyc("m", source)
    assert namespace.import_module("m").VALUE == native
    assert_pyc_matches(cache.read_bytes(), here, native_pyc)
    validated = mode != "never" and (checked or mode == "always")
    assert native == ("new" if validated else "old")
    if validated:
        # Rewritten as a hash pyc with the same check flag, over the new source's hash.
        flags = 0b11 if checked else 0b01
        expected_hash = importlib.util.source_hash(source.read_bytes())
        assert native_pyc[:16] == pyc_header(flags, expected_hash)
    else:
        assert native_pyc == old_pyc


@pytest.mark.parametrize("mode", HASH_MODES)
def test_fresh_hash_pyc_is_used(tree, namespace, monkeypatch, mode):
    root = tree({"m.py": "VALUE = 'source'\n"})
    source = root / "m.py"
    cache = cache_path(source)
    cache.parent.mkdir()
    code = compile("VALUE = 'pycode'\n", str(source), "exec")
    source_hash = importlib.util.source_hash(source.read_bytes())
    cache.write_bytes(pyc_header(0b11, source_hash) + marshal.dumps(code))
    native = run_python(root, "import m; result = m.VALUE", flags=("--check-hash-based-pycs", mode))
    assert native == "pycode"
    monkeypatch.setattr(_imp, "check_hash_based_pycs", mode)
    assert namespace.import_module("m").VALUE == native


# ---------------------------------------------------------------- sourceless modules


SOURCELESS_ATTRS = """
import m
result = [m.VALUE, m.__file__, m.__cached__, m.__spec__.origin, m.__spec__.cached,
          type(m.__loader__).__name__, m.f.__code__.co_filename, m.__package__,
          m.__spec__.has_location]
"""


def test_sourceless_module_loads_like_natively(tree, namespace):
    root = tree({})
    code = compile("VALUE = 7\ndef f():\n    pass\n", "/compiled/as/m.py", "exec")
    (root / "m.pyc").write_bytes(pyc_header(0, b"\0" * 8) + marshal.dumps(code))
    native = run_native(root, SOURCELESS_ATTRS)
    assert native[0] == 7
    assert native[6] == "/compiled/as/m.py"
    assert run_in_namespace(namespace, SOURCELESS_ATTRS) == native


def test_sourceless_package(tree, namespace):
    root = tree({"spkg/mod.py": "X = 1\n"})
    code = compile("VALUE = 'init'\n", "spkg/__init__.py", "exec")
    (root / "spkg" / "__init__.pyc").write_bytes(pyc_header(0, b"\0" * 8) + marshal.dumps(code))
    script = """
import spkg, spkg.mod
result = [spkg.VALUE, spkg.__file__, list(spkg.__path__), spkg.__package__, spkg.mod.X,
          spkg.__loader__.is_package("spkg")]
"""
    assert run_in_namespace(namespace, script) == run_native(root, script)


def test_sourceless_hash_pyc_is_never_checked(tree, namespace):
    root = tree({})
    code = compile("VALUE = 3\n", "m.py", "exec")
    (root / "m.pyc").write_bytes(pyc_header(0b11, b"\xab" * 8) + marshal.dumps(code))
    assert namespace.import_module("m").VALUE == run_native(root, "import m; result = m.VALUE")


SOURCELESS_BAD = {
    "bad-magic": lambda good: b"\x01\x02\r\n" + good[4:],
    "short-magic": lambda good: good[:2],
    "empty": lambda good: b"",
    "truncated-header": lambda good: good[:15],
    "bad-flags": lambda good: good[:4] + (6).to_bytes(4, "little") + good[8:],
    "corrupt-body": lambda good: good[:16] + b"\xff",
    "truncated-body": lambda good: good[:20],
    "no-body": lambda good: good[:16],
}


@pytest.mark.parametrize("case", sorted(SOURCELESS_BAD))
def test_sourceless_bad_pyc_error_matches_native(tree, namespace, case):
    root = tree({})
    good = pyc_header(0, b"\0" * 8) + marshal.dumps(compile("VALUE = 1\n", "m.py", "exec"))
    (root / "m.pyc").write_bytes(SOURCELESS_BAD[case](good))
    native = native_import_error(root, "m")
    assert native is not None
    assert import_error_in(namespace, "m") == native
    assert "m" not in namespace.modules


@pytest.mark.parametrize("where", ["sourceless", "cached"])
def test_non_code_object_in_pyc(tree, namespace, where):
    root = tree({})
    if where == "sourceless":
        (root / "m.pyc").write_bytes(pyc_header(0, b"\0" * 8) + marshal.dumps(42))
    else:
        source = root / "m.py"
        source.write_text("VALUE = 1\n")
        st = os.stat(source)
        cache = cache_path(source)
        cache.parent.mkdir()
        word1 = int(st.st_mtime).to_bytes(4, "little")
        cache.write_bytes(
            pyc_header(0, word1, st.st_size.to_bytes(4, "little")) + marshal.dumps((1, 2))
        )
    native = native_import_error(root, "m")
    assert native[0] == "ImportError"
    assert native[1].startswith("Non-code object in ")
    assert import_error_in(namespace, "m") == native


# ---------------------------------------------------------------- source decoding


SOURCE_SCRIPT = """
import m
result = [m.TEXT, m.__loader__.get_source("m")]
"""


@pytest.mark.parametrize(
    "data",
    [
        "# -*- coding: latin-1 -*-\nTEXT = 'caf\u00e9 \u00e0'\n".encode("latin-1"),
        "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nTEXT = '\u20ac'\n".encode(
            "cp1252"
        ),
        b"\xef\xbb\xbfTEXT = '\xc3\xa9t\xc3\xa9'\n",
        b"\xef\xbb\xbf# coding: utf-8\nTEXT = 'bom and cookie'\n",
        b"TEXT = 'crlf'\r\nOTHER = 1\r\n\r\n",
        b"TEXT = 'cr'\rOTHER = 1\r",
        b"TEXT = 'no newline at end'",
        "TEXT = '\u00fcnicode default'\n".encode(),
    ],
    ids=["latin1", "cp1252-second-line", "bom", "bom-cookie", "crlf", "cr", "no-eol", "utf8"],
)
def test_decoding_and_get_source(tree, namespace, no_bytecode, data):
    root = tree({})
    (root / "m.py").write_bytes(data)
    native = run_native(root, SOURCE_SCRIPT)
    assert run_in_namespace(namespace, SOURCE_SCRIPT) == native


GET_SOURCE_PAYLOADS = [
    b"x = 1\r\ny = 2\r",
    b"x = 1\rlast\r\r",
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"# coding=Latin_1\nx = '\xe9'\n",
    b"# coding: ISO-8859-1-Windows-3.0-Latin-1\nx = '\xe9'\n",
    b"# coding: UTF_8\nx = 1\n",
    b"# -*- coding: utf-8-unix -*-\nx = 1\n",
    b"# coding: utf8\nx = 1\n",
    b"\x0c  # vim:fileencoding=cp1252\nx = '\x80'\n",
    b"#!/usr/bin/python\n# coding: latin-1\nx = '\xe9'\n",
    b"x = 1\n# coding: latin-1\nx = '\xc3\xa9'\n",
    b"\n# coding: latin-1\nx = '\xe9'\n",
    b"x = 'coding: latin-1'\n",
    b"\xef\xbb\xbf# coding: utf-8\nx = 1\n",
    b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    b"\xef\xbb\xbfx = '\xc3\xa9'\n",
    b"# coding: no-such-codec\nx = 1\n",
    b"x = '\xff'\n",
    b"\n\nx = '\xff'\n",
    b"# coding: latin-1 \xff\nx = 1\n",
    b"# coding: utf-16\nx = 1\n",
    b"# coding:\nx = 1\n",
    b"#coding:ascii\nx = '\xc3\xa9'\n",
    b"",
]


def test_get_source_decoding_matches_cpython(tree):
    root = tree({})
    for index, data in enumerate(GET_SOURCE_PAYLOADS):
        (root / f"src{index}.py").write_bytes(data)
    script = (
        NATIVE_ERROR
        + f"""
from importlib.machinery import SourceFileLoader
result = []
for index in range({len(GET_SOURCE_PAYLOADS)}):
    name = f"src{{index}}"
    loader = SourceFileLoader(name, f"{{sys.path[0]}}/{{name}}.py")
    try:
        result.append(["value", loader.get_source(name)])
    except BaseException as exc:
        result.append(["raised", *error_of(exc)])
"""
    )
    native = run_native(root, script)
    ours = []
    for index in range(len(GET_SOURCE_PAYLOADS)):
        name = f"src{index}"
        loader = importspace.SourceFileLoader(name, str(root / f"{name}.py"))
        try:
            ours.append(["value", loader.get_source(name)])
        except BaseException as exc:  # noqa: BLE001 - compared with CPython's
            ours.append(["raised", *error_of(exc)])
    mismatches = [
        (GET_SOURCE_PAYLOADS[i], o, n) for i, (o, n) in enumerate(zip(ours, native)) if o != n
    ]
    assert mismatches == [], "\n".join(map(repr, mismatches))


SYNTAX_ERRORS = {
    "syntax": "x = 1\ny = 2\nz = (3 +\n",
    "invalid": "a = 1\nb = = 2\n",
    "indent": "def f():\nreturn 1\n",
    "unknown-encoding": "# coding: no-such-codec\nx = 1\n",
    "bad-utf8": b"x = '\xff'\n",
    "null-byte": b"x = 1\x00\n",
    "tab-error": "if True:\n        x = 1\n\ty = 2\n",
}


@pytest.mark.parametrize("case", sorted(SYNTAX_ERRORS))
def test_syntax_errors_match_native(tree, namespace, no_bytecode, case):
    root = tree({})
    text = SYNTAX_ERRORS[case]
    path = root / "broken.py"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    script = """
try:
    import broken
except Exception as exc:
    result = [type(exc).__name__, str(exc)] + [
        getattr(exc, a, None)
        for a in ("msg", "filename", "lineno", "offset", "text", "end_lineno", "end_offset")
    ]
"""
    native = run_native(root, script)
    assert run_in_namespace(namespace, script) == native
    assert "broken" not in namespace.modules


TRACEBACK_TREE = {
    "tbpkg/__init__.py": "from .inner import call\n",
    "tbpkg/inner.py": """\
        # a comment line
        def call(value):
            return helper(value) + 1


        def helper(value):
            if value:
                return {}["missing key"]
            return 0
        """,
    "tbfail.py": """\
        import tbpkg

        X = 1
        tbpkg.call(X)
        """,
}

TRACEBACK_SCRIPT = """
import linecache
import traceback
import tbpkg

root = tbpkg.__path__[0].rsplit("/", 1)[0]

def frames(exc):
    summary = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in summary if f.filename.startswith(root)]
    return [[f.filename, f.lineno, f.name, f.line] for f in ours], traceback.format_list(ours)

out = []
try:
    tbpkg.call(True)
except KeyError as exc:
    out.append(frames(exc))
try:
    import tbfail
except KeyError as exc:
    out.append(frames(exc))
out.append(linecache.getline(tbpkg.inner.__file__, 3))
out.append(tbpkg.inner.__loader__.get_source("tbpkg.inner").splitlines()[6])
import inspect
out.append(inspect.getsource(tbpkg.inner.helper))
result = out
"""


def test_tracebacks_show_the_source_lines(tree, namespace, no_bytecode):
    root = tree(TRACEBACK_TREE)
    native = run_native(root, TRACEBACK_SCRIPT)
    assert native[0][0][-1][3] == 'return {}["missing key"]'
    assert run_in_namespace(namespace, TRACEBACK_SCRIPT) == native


def test_tracebacks_from_a_pyc(tree, namespace, write_bytecode):
    root = tree(TRACEBACK_TREE)
    natively(root, ["tbpkg", "tbpkg.inner"])
    native = run_native(root, TRACEBACK_SCRIPT)
    assert run_in_namespace(namespace, TRACEBACK_SCRIPT) == native


# ---------------------------------------------------------------- the loader API


def _both_loaders(kind: str, name: str, path: Path):
    ours = getattr(importspace, kind)(name, str(path))
    theirs = getattr(importlib.machinery, kind)(name, str(path))
    return ours, theirs


def _outcome(call):
    try:
        value = call()
    except Exception as exc:  # noqa: BLE001 - compared with CPython's
        return ("raised", *error_of(exc))
    if isinstance(value, dict):
        return ("value", sorted(value.items()))
    return ("value", value)


@pytest.mark.parametrize("is_package", [False, True], ids=["module", "package"])
def test_source_loader_api_matches_cpython(tree, no_bytecode, is_package):
    root = tree({"pkg/__init__.py": "X = 1\n", "mod.py": "# c\u00e9\nY = 2\n"})
    name, path = ("pkg", root / "pkg" / "__init__.py") if is_package else ("mod", root / "mod.py")
    ours, theirs = _both_loaders("SourceFileLoader", name, path)
    assert ours.name == theirs.name
    assert ours.path == theirs.path
    calls = {
        "get_filename": lambda lo: lo.get_filename(name),
        "get_filename()": lambda lo: lo.get_filename(),
        "get_filename-other": lambda lo: lo.get_filename("other"),
        "get_data": lambda lo: lo.get_data(str(path)),
        "get_data-missing": lambda lo: lo.get_data(str(root / "missing.py")),
        "get_data-dir": lambda lo: lo.get_data(str(root)),
        "is_package": lambda lo: lo.is_package(name),
        "is_package-other": lambda lo: lo.is_package("other"),
        "path_stats": lambda lo: lo.path_stats(str(path)),
        "path_stats-missing": lambda lo: lo.path_stats(str(root / "missing.py")),
        "get_source": lambda lo: lo.get_source(name),
        "get_source-other": lambda lo: lo.get_source("other"),
        "get_code-other": lambda lo: lo.get_code("other"),
        "source_to_code": lambda lo: lo.source_to_code(b"a = 1\n", "<string>"),
    }
    for label, call in calls.items():
        assert _outcome(lambda c=call: c(ours)) == _outcome(lambda c=call: c(theirs)), label
    assert ours.get_code(name) == theirs.get_code(name)
    assert ours.create_module(None) is None


def test_sourceless_loader_api_matches_cpython(tree):
    root = tree({})
    path = root / "m.pyc"
    code = compile("VALUE = 1\n", "m.py", "exec")
    path.write_bytes(pyc_header(0, b"\0" * 8) + marshal.dumps(code))
    ours, theirs = _both_loaders("SourcelessFileLoader", "m", path)
    calls = {
        "get_filename": lambda lo: lo.get_filename("m"),
        "get_filename-other": lambda lo: lo.get_filename("other"),
        "get_data": lambda lo: lo.get_data(str(path)),
        "is_package": lambda lo: lo.is_package("m"),
        "is_package-other": lambda lo: lo.is_package("other"),
        "get_source": lambda lo: lo.get_source("m"),
        "get_code-other": lambda lo: lo.get_code("other"),
    }
    for label, call in calls.items():
        assert _outcome(lambda c=call: c(ours)) == _outcome(lambda c=call: c(theirs)), label
    assert ours.get_code("m") == theirs.get_code("m")


def test_loaders_compare_by_name_and_path(tree):
    root = tree({"m.py": ""})
    a = importspace.SourceFileLoader("m", str(root / "m.py"))
    b = importspace.SourceFileLoader("m", str(root / "m.py"))
    c = importspace.SourceFileLoader("n", str(root / "m.py"))
    assert a == b and hash(a) == hash(b)
    assert a != c


def test_module_loader_is_native_and_exec_module_reloads(tree, namespace, no_bytecode):
    root = tree({"m.py": "COUNT = globals().get('COUNT', 0) + 1\n"})
    module = namespace.import_module("m")
    assert type(module.__loader__) is importspace.SourceFileLoader
    assert module.__loader__ is module.__spec__.loader
    assert module.__loader__.name == "m"
    assert module.__loader__.path == str(root / "m.py")
    module.__loader__.exec_module(module)
    assert module.COUNT == 2
    assert namespace.reload(module).COUNT == 3


def test_exec_module_on_a_module_made_by_the_caller(tree, namespace, no_bytecode):
    # `exec(code, module.__dict__)` gives a module without __builtins__ the caller's builtins.
    root = tree({"m.py": "import sys\nSYS = sys\n"})
    ours, theirs = _both_loaders("SourceFileLoader", "m", root / "m.py")
    made_ours, made_theirs = types.ModuleType("m"), types.ModuleType("m")
    ours.exec_module(made_ours)
    theirs.exec_module(made_theirs)
    assert made_ours.__dict__["__builtins__"] is made_theirs.__dict__["__builtins__"]
    assert made_ours.SYS is made_theirs.SYS is sys
    # Called from namespaced code (importlib.util's recipe), the module imports inside it.
    spec = namespace.find_spec("m")
    scope = {"__builtins__": namespace.builtins.__dict__, "spec": spec, "types": types}
    exec("module = types.ModuleType(spec.name)\nspec.loader.exec_module(module)", scope)
    assert scope["module"].SYS is namespace.sys
    assert scope["module"].__dict__["__builtins__"] is namespace.builtins.__dict__


@pytest.mark.parametrize(
    "mtime",
    [-1.5, 0.25, 2**32 + 7.9, 2**33 - 0.5],
    ids=["before-1970", "epoch", "past-2106", "far-future"],
)
def test_pyc_header_for_odd_source_mtimes(tree, namespace, write_bytecode, mtime):
    # int(st_mtime) truncates toward zero, then wraps to 32 bits; the pyc written is then valid.
    root = tree({"m.py": "VALUE = 'source'\n"})
    source = root / "m.py"
    os.utime(source, (mtime, mtime))
    assert run_python(root, "import m; result = m.VALUE") == "source"
    native_pyc = cache_path(source).read_bytes()
    assert native_pyc[8:12] == (int(mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    clear_caches(root)
    here = cpython_pyc("m", source)
    assert namespace.import_module("m").VALUE == "source"
    ours = cache_path(source).read_bytes()
    assert_pyc_matches(ours, here, native_pyc)
    # ... and used: a pyc from other source with this header is taken as it is.
    code = compile("VALUE = 'pycode'\n", str(source), "exec")
    cache_path(source).write_bytes(ours[:16] + marshal.dumps(code))
    del namespace.modules["m"]
    assert namespace.import_module("m").VALUE == "pycode"


def test_compile_does_not_inherit_the_callers_future_flags(tree, namespace, no_bytecode):
    # This test module has `from __future__ import annotations`; a namespaced module must not.
    root = tree({"ann.py": "def f(x: int) -> str:\n    pass\n"})
    script = "import ann\nresult = repr(ann.f.__annotations__)"
    assert run_in_namespace(namespace, script) == run_native(root, script)
    assert namespace.modules["ann"].f.__annotations__ == {"x": int, "return": str}


def test_set_data_matches_cpython(tmp_path):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    for directory, loader_class in (
        (ours_dir, importspace.SourceFileLoader),
        (theirs_dir, importlib.machinery.SourceFileLoader),
    ):
        loader = loader_class("m", str(directory / "m.py"))
        loader.set_data(str(directory / "deep" / "er" / "m.pyc"), b"first")
        loader.set_data(str(directory / "deep" / "er" / "m.pyc"), b"second", _mode=0o600)
        loader.set_data(str(directory / "x.pyc"), b"x", _mode=0o444)
    for rel in ("deep/er/m.pyc", "x.pyc"):
        ours, theirs = ours_dir / rel, theirs_dir / rel
        assert ours.read_bytes() == theirs.read_bytes()
        assert stat.S_IMODE(os.stat(ours).st_mode) == stat.S_IMODE(os.stat(theirs).st_mode)
    assert sorted(p.name for p in (ours_dir / "deep" / "er").iterdir()) == ["m.pyc"]


def test_loader_api_edge_cases_match_cpython(tree, no_bytecode):
    root = tree({"__init__.py": "", "pkg/__init__.py": ""})
    cases = [
        ("SourceFileLoader", "gone", root / "gone.py", lambda lo: lo.get_source("gone")),
        ("SourceFileLoader", "gone", root / "gone.py", lambda lo: lo.get_code("gone")),
        (
            "SourceFileLoader",
            "__init__",
            root / "__init__.py",
            lambda lo: lo.is_package("__init__"),
        ),
        (
            "SourceFileLoader",
            "pkg.__init__",
            root / "pkg" / "__init__.py",
            lambda lo: lo.is_package("pkg.__init__"),
        ),
        ("SourcelessFileLoader", "gone", root / "gone.pyc", lambda lo: lo.get_code("gone")),
        (
            "SourcelessFileLoader",
            "pkg",
            root / "pkg" / "__init__.pyc",
            lambda lo: lo.is_package("pkg"),
        ),
    ]
    for kind, name, path, call in cases:
        ours, theirs = _both_loaders(kind, name, path)
        got = _outcome(lambda c=call, lo=ours: c(lo))
        expected = _outcome(lambda c=call, lo=theirs: c(lo))
        assert got == expected, (kind, name)
        if got[0] == "raised" and got[1] == "ImportError":
            caught = []
            for loader in (ours, theirs):
                try:
                    call(loader)
                except ImportError as exc:
                    caught.append(type(exc.__cause__).__name__)
            assert caught[0] == caught[1]


def test_loader_equality_follows_fileloader():
    """FileLoader.__eq__: same class, same module name, same file; equal loaders hash alike."""
    a = importspace.SourceFileLoader("m", "/x/m.py")
    b = importspace.SourceFileLoader("m", "/x/m.py")
    assert a == b and hash(a) == hash(b)
    assert a != importspace.SourceFileLoader("n", "/x/m.py")
    assert a != importspace.SourcelessFileLoader("m", "/x/m.py")
    assert isinstance(a, importspace.FileLoader)
    assert importspace.ExtensionFileLoader("m", "/x/m.so").get_code("m") is None
