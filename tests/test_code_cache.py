"""The code cache shared by namespaces (issue 5, `src/codecache.rs`): namespaces that import the
same files run the same code objects, and a cached code object is never served where the
uncached loader would give something else. Each "what does the second namespace get" question
is compared with CPython itself: a fresh interpreter importing the same files (a copy of the
tree, so the native run cannot disturb the one under test)."""

from __future__ import annotations

import _imp
import importlib.machinery
import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest

import importspace

TAG = sys.implementation.cache_tag
MAGIC = importlib.util.MAGIC_NUMBER
HASH_MODES = ["default", "always", "never"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache and leaves the default bounds behind."""
    importspace.clear_code_cache()
    info = importspace.code_cache_info()
    yield
    importspace.set_code_cache_limits(max_entries=info["max_entries"], max_bytes=info["max_bytes"])
    importspace.clear_code_cache()


@contextmanager
def namespace(root: Path):
    ns = importspace.Namespace(path=[str(root)])
    try:
        yield ns
    finally:
        ns.close()


def load(root: Path, name: str):
    """`name` imported in a fresh namespace over root (closed again; the module lives on)."""
    with namespace(root) as ns:
        return ns.import_module(name)


def cache_path(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"


def native(root: Path, script: str, *, flags: tuple[str, ...] = (), write: bool = False) -> object:
    """Run `script` in a fresh `python *flags` over a copy of root (pycs included, mtimes kept);
    it assigns `result`, which comes back through JSON."""
    copy = root.parent / f"{root.name}-native"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy)
    wrapper = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(copy)!r})\n"
        f"sys.dont_write_bytecode = {not write}\n"
        + textwrap.dedent(script)
        + "\nprint('\\n' + json.dumps(result))\n"
    )
    proc = subprocess.run(
        [sys.executable, *flags, "-c", wrapper], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def edit_keeping_stat(path: Path, text: str) -> None:
    """Rewrite `path` in place with `text` (the same length) and put its mtime back to the very
    nanosecond: only the ctime (and the contents) can tell."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


MODULE = """\
VALUE = {value!r}


def f(x):
    return (VALUE, x)


class C:
    def method(self):
        return VALUE
"""


def module_text(value: str) -> str:
    return MODULE.format(value=value)


def write_native_pycs(root: Path, names: list[str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.dont_write_bytecode = False; sys.path.insert(0, {str(root)!r}); "
            + "; ".join(f"import {n}" for n in names),
        ],
        check=True,
        timeout=60,
    )


# ---------------------------------------------------------------- sharing


@pytest.mark.parametrize("case", ["pyc", "source-only", "pyc-written-by-first", "sourceless"])
def test_namespaces_share_code_objects(tree, monkeypatch, case):
    root = tree({"pkg/__init__.py": "", "pkg/mod.py": module_text("one")})
    source = root / "pkg" / "mod.py"
    monkeypatch.setattr(sys, "dont_write_bytecode", case == "source-only")
    if case == "pyc":
        write_native_pycs(root, ["pkg.mod"])
    if case == "sourceless":
        py_compile.compile(str(source), cfile=str(source) + "c", doraise=True)
        source.unlink()
    first = load(root, "pkg.mod")
    has_pyc = case in ("pyc", "pyc-written-by-first")
    pyc_after_first = cache_path(source).read_bytes() if has_pyc else None
    second = load(root, "pkg.mod")
    assert first is not second
    assert first.f is not second.f
    assert first.f.__code__ is second.f.__code__
    assert first.C.method.__code__ is second.C.method.__code__
    # Each namespace's functions still read their own module's globals.
    second.VALUE = "changed"
    assert first.f(1) == ("one", 1)
    assert second.f(1) == ("changed", 1)
    # A sourceless module's code keeps the filename it was compiled with (py_compile: the source).
    assert first.f.__code__.co_filename == str(source)
    if pyc_after_first is not None:
        assert cache_path(source).read_bytes() == pyc_after_first
    if case == "source-only":
        assert not (root / "pkg" / "__pycache__").exists()
    info = importspace.code_cache_info()
    assert info["hits"] >= 2
    assert info["entries"] >= 2


def test_cached_code_equals_what_cpython_makes(tree, no_bytecode):
    root = tree({"m.py": module_text("x") + "\nDOC = __doc__\n"})
    load(root, "m")
    module = load(root, "m")
    assert importspace.code_cache_info()["hits"] >= 1
    here = importlib.machinery.SourceFileLoader("m", str(root / "m.py")).get_code("m")
    (here_f,) = [c for c in here.co_consts if getattr(c, "co_name", None) == "f"]
    assert module.f.__code__ == here_f
    assert module.f.__code__.co_filename == here_f.co_filename == str(root / "m.py")


# ---------------------------------------------------------------- never stale


@pytest.mark.parametrize("edit", ["plain", "same-size-and-mtime"])
def test_source_edit_between_namespaces_without_pycs(tree, no_bytecode, edit):
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    assert load(root, "m").f(0) == ("one", 0)
    if edit == "plain":
        source.write_text(module_text("changed"))
    else:
        edit_keeping_stat(source, module_text("two"))
    expected = native(root, "import m; result = m.VALUE")
    assert expected != "one"
    assert load(root, "m").VALUE == expected


def test_source_edit_keeping_size_and_mtime_with_a_pyc_is_as_cpython(tree, write_bytecode):
    """A timestamp pyc validates by mtime seconds and size only: CPython keeps using it after an
    edit that keeps both. The cache is stricter, so it misses; the uncached load then does what
    CPython does."""
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    assert load(root, "m").VALUE == "one"
    pyc = cache_path(source).read_bytes()
    edit_keeping_stat(source, module_text("two"))
    expected = native(root, "import m; result = m.VALUE", write=True)
    assert expected == "one"  # CPython's own pyc check cannot see this edit
    assert load(root, "m").VALUE == expected
    assert cache_path(source).read_bytes() == pyc


def test_source_edit_with_a_pyc_is_recompiled_and_rewritten(tree, write_bytecode):
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    first = load(root, "m")
    source.write_text(module_text("a longer value"))
    second = load(root, "m")
    assert second.VALUE == "a longer value"
    assert second.f.__code__ is not first.f.__code__
    st = source.stat()
    header = cache_path(source).read_bytes()[:16]
    assert header[8:16] == (
        (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + st.st_size.to_bytes(4, "little")
    )
    # The third namespace shares the second's code.
    assert load(root, "m").f.__code__ is second.f.__code__


def test_touched_source_rewrites_the_pyc_as_cpython(tree, write_bytecode):
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    load(root, "m")
    st = source.stat()
    os.utime(source, (st.st_atime + 10, st.st_mtime + 10))
    expected = native(
        root,
        "import importlib.util, m\n"
        "with open(importlib.util.cache_from_source(m.__file__), 'rb') as f:\n"
        "    result = [m.VALUE, f.read()[:16].hex()]\n",
        write=True,
    )
    module = load(root, "m")
    assert [module.VALUE, cache_path(source).read_bytes()[:16].hex()] == expected
    assert module.f(2) == ("one", 2)


def test_reload_sees_an_edit(tree, no_bytecode):
    root = tree({"m.py": module_text("one")})
    with namespace(root) as ns:
        module = ns.import_module("m")
        edit_keeping_stat(root / "m.py", module_text("two"))
        assert ns.reload(module).VALUE == "two"


def compile_hash_pyc(source, checked):
    """Write `source`'s pyc as a hash-based one, checked or unchecked."""
    invalidation = (
        py_compile.PycInvalidationMode.CHECKED_HASH
        if checked
        else py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    py_compile.compile(str(source), invalidation_mode=invalidation, doraise=True)


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
@pytest.mark.parametrize("mode", HASH_MODES)
def test_hash_pycs_with_source_edited_between_namespaces(
    tree, write_bytecode, monkeypatch, checked, mode
):
    root = tree({"m.py": module_text("old")})
    source = root / "m.py"
    compile_hash_pyc(source, checked)
    monkeypatch.setattr(_imp, "check_hash_based_pycs", mode)
    assert load(root, "m").VALUE == "old"
    source.write_text(module_text("new"))
    script = (
        "import importlib.util, m\n"
        "with open(importlib.util.cache_from_source(m.__file__), 'rb') as f:\n"
        "    result = [m.VALUE, f.read()[:16].hex()]\n"
    )
    expected = native(root, script, flags=("--check-hash-based-pycs", mode), write=True)
    module = load(root, "m")
    assert [module.VALUE, cache_path(source).read_bytes()[:16].hex()] == expected
    validated = mode != "never" and (checked or mode == "always")
    assert expected[0] == ("new" if validated else "old")
    # And once more, from the cache.
    assert load(root, "m").VALUE == expected[0]


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
def test_hash_mode_changed_between_namespaces(tree, write_bytecode, monkeypatch, checked):
    """The files stay as they are; only `check_hash_based_pycs` changes."""
    root = tree({"m.py": module_text("old")})
    source = root / "m.py"
    compile_hash_pyc(source, checked)
    source.write_text(module_text("new"))
    for mode in ["never", "default", "always", "never"]:
        monkeypatch.setattr(_imp, "check_hash_based_pycs", mode)
        expected = native(
            root, "import m; result = m.VALUE", flags=("--check-hash-based-pycs", mode)
        )
        assert load(root, "m").VALUE == expected, mode


@pytest.mark.parametrize("how", ["in-place-same-size", "replaced"])
def test_sourceless_pyc_replaced_between_namespaces(tree, how):
    root = tree({})
    pyc = root / "m.pyc"

    def pyc_of(value):
        code = compile(module_text(value), str(root / "m.py"), "exec")
        return MAGIC + b"\0" * 12 + marshal.dumps(code)

    pyc.write_bytes(pyc_of("one"))
    assert load(root, "m").VALUE == "one"
    if how == "replaced":
        new = root / "m.pyc.new"
        new.write_bytes(pyc_of("a longer value"))
        os.replace(new, pyc)
    else:
        before = pyc.stat()
        pyc.write_bytes(pyc_of("two"))
        os.utime(pyc, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert pyc.stat().st_size == before.st_size
    expected = native(root, "import m; result = m.VALUE")
    assert expected != "one"
    assert load(root, "m").VALUE == expected


def test_pyc_planted_between_namespaces_is_used_as_cpython(tree, write_bytecode):
    """A valid pyc with other code, put in place after the first namespace compiled the source:
    CPython would use it, so the cached code must not be served."""
    root = tree({"m.py": module_text("source")})
    source = root / "m.py"
    assert load(root, "m").VALUE == "source"
    st = source.stat()
    code = compile(module_text("planted"), str(source), "exec")
    planted = (
        MAGIC
        + b"\0" * 4
        + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + st.st_size.to_bytes(4, "little")
        + marshal.dumps(code)
    )
    cache_path(source).write_bytes(planted)
    expected = native(root, "import m; result = m.VALUE", write=True)
    assert expected == "planted"
    assert load(root, "m").VALUE == expected


def test_errors_are_not_cached(tree, no_bytecode):
    root = tree({"bad.py": "def f(:\n    pass\n"})

    def error():
        with pytest.raises(SyntaxError) as info:
            load(root, "bad")
        return [type(info.value).__name__, info.value.msg, info.value.lineno, info.value.filename]

    assert error() == error()
    assert importspace.code_cache_info()["entries"] == 0
    (root / "bad.py").write_text("def f():\n    pass\n")
    assert load(root, "bad").f() is None


def test_compile_warnings_once_per_version_of_a_file(tree, no_bytecode):
    """A documented difference (docs/compliance.md): the compiler's warnings come when a file is
    compiled, so a namespace that gets the cached code does not warn again."""
    root = tree({"w.py": 'PATTERN = "\\d"\n'})

    def warnings_of_a_load():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load(root, "w")
        # The wording differs between versions ("\\d" is quoted from 3.12).
        return [str(w.message).startswith("invalid escape sequence") for w in caught]

    assert warnings_of_a_load() == [True]
    assert warnings_of_a_load() == []
    importspace.set_code_cache_limits(max_entries=0)
    assert warnings_of_a_load() == [True]


# ---------------------------------------------------------------- settings and pyc writes


def test_dont_write_bytecode_then_write(tree, monkeypatch):
    """The first namespace compiles with writing off; the second, with writing on, writes the
    pyc as the uncached loader would; the third shares the code."""
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    first = load(root, "m")
    assert not cache_path(source).exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    second = load(root, "m")
    assert second.f.__code__ is first.f.__code__
    data = cache_path(source).read_bytes()
    st = source.stat()
    assert data[:16] == (
        MAGIC
        + b"\0" * 4
        + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + st.st_size.to_bytes(4, "little")
    )
    here = compile(source.read_text(), str(source), "exec", dont_inherit=True)
    assert marshal.loads(data[16:]) == here
    third = load(root, "m")
    assert third.f.__code__ is first.f.__code__
    assert cache_path(source).read_bytes() == data


def test_nothing_written_from_the_cache_when_dont_write_bytecode(tree, monkeypatch):
    root = tree({"m.py": module_text("one")})
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for _ in range(3):
        load(root, "m")
    assert not (root / "__pycache__").exists()


def test_pycache_prefix_changed_between_namespaces(tree, tmp_path, write_bytecode, monkeypatch):
    root = tree({"m.py": module_text("one")})
    source = root / "m.py"
    first = load(root, "m")
    assert cache_path(source).exists()
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    second = load(root, "m")
    prefixed = Path(importlib.util.cache_from_source(str(source)))
    assert str(prefixed).startswith(str(prefix))
    assert prefixed.exists()
    assert second.f.__code__ is not first.f.__code__
    assert marshal.loads(prefixed.read_bytes()[16:]) == marshal.loads(
        cache_path(source).read_bytes()[16:]
    )
    assert load(root, "m").f.__code__ is second.f.__code__


@pytest.mark.parametrize("flags", [(), ("-O",), ("-OO",)], ids=["O0", "O1", "O2"])
def test_optimization_levels(tree, flags):
    """Under -O/-OO the pyc name and the code change; namespaces still share, and the code is
    what CPython makes at that level."""
    root = tree({"m.py": '"""doc"""\ndef f():\n    assert False, "boom"\n    return __doc__\n'})
    script = """
        import importspace, json, sys
        sys.dont_write_bytecode = False
        spaces = [importspace.Namespace(path=[ROOT]) for _ in range(2)]
        mods = [ns.import_module("m") for ns in spaces]
        try:
            value = mods[1].f()
        except AssertionError as exc:
            value = str(exc)
        import importlib.util
        result = [mods[0].f.__code__ is mods[1].f.__code__, value,
                  importlib.util.cache_from_source(mods[0].__file__).rsplit("/", 1)[1],
                  importspace.code_cache_info()["hits"]]
    """.replace("ROOT", repr(str(root)))
    proc = subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(script) + "\nprint(json.dumps(result))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    shared, value, pyc_name, hits = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = native(
        root,
        "import m\ntry:\n    result = m.f()\nexcept AssertionError as exc:\n"
        "    result = str(exc)\n",
        flags=flags,
    )
    assert shared and hits >= 1
    assert value == expected
    level = {(): "", ("-O",): ".opt-1", ("-OO",): ".opt-2"}[flags]
    assert pyc_name == f"m.{TAG}{level}.pyc"


# ---------------------------------------------------------------- loader classes


def test_loader_subclasses_do_not_use_the_cache(tree, no_bytecode):
    root = tree({"m.py": module_text("one")})
    compiled = []

    class Counting(importspace.SourceFileLoader):
        def source_to_code(self, data, path, *, _optimize=-1):
            compiled.append(path)
            return super().source_to_code(data, path, _optimize=_optimize)

    hook = importspace.FileFinder.path_hook((Counting, [".py"]))
    modules = []
    for _ in range(2):
        with namespace(root) as ns:
            ns.path_hooks.insert(0, hook)
            ns.path_importer_cache.clear()
            modules.append(ns.import_module("m"))
    assert [type(m.__loader__) for m in modules] == [Counting, Counting]
    assert len(compiled) == 2
    assert modules[0].f.__code__ is not modules[1].f.__code__
    assert importspace.code_cache_info()["entries"] == 0


def test_get_code_of_the_exact_loader_is_cached(tree, no_bytecode):
    root = tree({"m.py": module_text("one")})
    loader = importspace.SourceFileLoader("m", str(root / "m.py"))
    assert loader.get_code("m") is loader.get_code("m")


# ---------------------------------------------------------------- clearing and bounds


def test_clear_code_cache(tree, no_bytecode):
    root = tree({"m.py": module_text("one")})
    first = load(root, "m")
    assert load(root, "m").f.__code__ is first.f.__code__
    assert importspace.code_cache_info()["entries"] == 1
    importspace.clear_code_cache()
    info = importspace.code_cache_info()
    assert (info["entries"], info["bytes"], info["hits"], info["misses"]) == (0, 0, 0, 0)
    again = load(root, "m")
    assert again.f.__code__ is not first.f.__code__
    assert again.f.__code__ == first.f.__code__


def test_bounded_by_entries(tree, no_bytecode):
    root = tree({f"m{i}.py": module_text(str(i)) for i in range(20)})
    importspace.set_code_cache_limits(max_entries=8)
    with namespace(root) as ns:
        for i in range(20):
            ns.import_module(f"m{i}")
            assert importspace.code_cache_info()["entries"] <= 8
    # The most recently used stay.
    last = load(root, "m19")
    assert load(root, "m19").f.__code__ is last.f.__code__


def test_bounded_by_bytes(tree, no_bytecode):
    root = tree({f"m{i}.py": module_text("x" * 2000) for i in range(20)})
    importspace.set_code_cache_limits(max_bytes=10_000)
    with namespace(root) as ns:
        for i in range(20):
            ns.import_module(f"m{i}")
            assert importspace.code_cache_info()["bytes"] <= 10_000
    assert 0 < importspace.code_cache_info()["entries"] < 20
    importspace.set_code_cache_limits(max_bytes=100)
    assert importspace.code_cache_info()["entries"] == 0


def test_zero_entries_turns_the_cache_off(tree, no_bytecode):
    root = tree({"m.py": module_text("one")})
    importspace.set_code_cache_limits(max_entries=0)
    first, second = load(root, "m"), load(root, "m")
    assert first.f.__code__ is not second.f.__code__
    assert importspace.code_cache_info()["entries"] == 0
    importspace.set_code_cache_limits(max_entries=100)
    first, second = load(root, "m"), load(root, "m")
    assert first.f.__code__ is second.f.__code__


def test_limits_are_checked():
    with pytest.raises(ValueError, match="max_entries must be >= 0"):
        importspace.set_code_cache_limits(max_entries=-1)
    with pytest.raises(TypeError):
        importspace.set_code_cache_limits(10)  # keyword-only
    info = importspace.code_cache_info()
    assert set(info) == {"hits", "misses", "entries", "bytes", "max_entries", "max_bytes"}


# ---------------------------------------------------------------- threads


def test_threads_importing_in_many_namespaces(tree, no_bytecode):
    files = {"pkg/__init__.py": "from . import a0\n"}
    for i in range(30):
        body = module_text(f"v{i}") + (f"from . import a{i - 1}\n" if i else "")
        files[f"pkg/a{i}.py"] = body
    files["pkg/__init__.py"] = "".join(f"from . import a{i}\n" for i in range(30))
    root = tree(files)
    results, errors = [], []
    barrier = threading.Barrier(8)

    def work():
        try:
            barrier.wait()
            for _ in range(3):
                with namespace(root) as ns:
                    pkg = ns.import_module("pkg")
                    results.append(
                        [getattr(pkg, f"a{i}").f(i) for i in range(30)] + [pkg.a29.f.__code__]
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 24
    for result in results:
        assert result[:30] == [(f"v{i}", i) for i in range(30)]
    # Once all loads are cached, every namespace runs the same code object.
    final = load(root, "pkg").a29.f.__code__
    assert load(root, "pkg").a29.f.__code__ is final
    assert importspace.code_cache_info()["hits"] > 0


# ---------------------------------------------------------------- entries past the racy margin


def test_settled_entries_are_checked_by_stat_alone(tree, no_bytecode):
    """Entries made while a file was fresh keep its bytes and compare them at each use; once a
    use comes more than two seconds after the file's last change, the bytes are dropped and the
    `stat()` alone (nanosecond mtime, ctime, size, inode) must show any later edit."""
    root = tree({"a.py": module_text("a1"), "c.py": module_text("c1")})
    write_native_pycs(root, ["c"])
    sourceless = root / "b.pyc"
    sourceless.write_bytes(
        MAGIC + b"\0" * 12 + marshal.dumps(compile(module_text("b1"), "b.py", "exec"))
    )
    for name in "abc":
        load(root, name)
    fresh_bytes = importspace.code_cache_info()["bytes"]
    time.sleep(2.2)
    for name in "abc":
        assert load(root, name).VALUE == f"{name}1"
    # The copies kept for fresh files are gone: the entries are trusted now.
    assert importspace.code_cache_info()["bytes"] < fresh_bytes
    edit_keeping_stat(root / "a.py", module_text("a2"))
    before = sourceless.stat()
    sourceless.write_bytes(
        MAGIC + b"\0" * 12 + marshal.dumps(compile(module_text("b2"), "b.py", "exec"))
    )
    os.utime(sourceless, ns=(before.st_atime_ns, before.st_mtime_ns))
    source = root / "c.py"
    st = source.stat()
    cache_path(source).write_bytes(
        MAGIC
        + b"\0" * 4
        + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + st.st_size.to_bytes(4, "little")
        + marshal.dumps(compile(module_text("c2"), str(source), "exec"))
    )
    expected = native(root, "import a, b, c; result = [a.VALUE, b.VALUE, c.VALUE]")
    assert expected == ["a2", "b2", "c2"]
    assert [load(root, name).VALUE for name in "abc"] == expected
