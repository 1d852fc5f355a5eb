"""The native PathFinder and FileFinder, differentially: what wins in a directory, the listing
cache, path entries of every kind, path_importer_cache, path hooks, zip archives and user
finders, each compared with what CPython's own import system does with the same tree."""

from __future__ import annotations

import _imp
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import assert_matches_native, run_in_namespace
from conftest import run_native as _run_native

import importspace

EXT = _imp.extension_suffixes()

# What a differential test compares of a spec.
DESCRIBE = """
def describe(spec):
    if spec is None:
        return None
    locations = spec.submodule_search_locations
    return [spec.name, spec.origin, type(spec.loader).__name__ if spec.loader else None,
            None if locations is None else list(locations), spec.has_location, spec.cached,
            spec.parent]
"""


# The '' (cwd, which is root there) that `python -c` puts on sys.path would make root appear
# twice natively, and namespace portions with it: the native side drops it first.
DROP_CWD = "while '' in sys.path:\n    sys.path.remove('')\n"


def run_native(root: Path, script: str) -> object:
    """conftest's run_native without the '' on sys.path (see DROP_CWD)."""
    return _run_native(root, DROP_CWD + script)


def find_specs_native(root: Path, names: list[str], *, pre: str = "") -> list:
    return run_native(
        root,
        DESCRIBE
        + pre
        + f"""
import importlib.util
result = [describe(importlib.util.find_spec(n)) for n in {names!r}]
""",
    )


def find_specs_in(ns: importspace.Namespace, names: list[str]) -> list:
    scope: dict = {}
    exec(DESCRIBE, scope)
    return [scope["describe"](ns.find_spec(n)) for n in names]


# ---------------------------------------------------------------- what a directory offers


def test_package_beats_module_beats_namespace_portion(tree, namespace, no_bytecode):
    root = tree(
        {
            "both/__init__.py": "KIND = 'package'\n",
            "both.py": "KIND = 'module'\n",
            "modns.py": "KIND = 'module'\n",
            "modns/inner.py": "",
            "onlyns/inner.py": "KIND = 'portion'\n",
            "emptyns/.keep": "",
        }
    )
    names = ["both", "modns", "onlyns", "emptyns", "onlyns.inner", "missing"]
    native = find_specs_native(root, names)
    assert native[0][2] == "SourceFileLoader" and native[0][3] == [str(root / "both")]
    assert native[1][1] == str(root / "modns.py")
    assert native[2][2] is None and native[2][3] == [str(root / "onlyns")]
    assert find_specs_in(namespace, names) == native
    script = """
import sys
import both, modns, onlyns.inner
result = [both.KIND, modns.KIND, list(onlyns.__path__), repr(onlyns.__path__),
          onlyns.__file__ if hasattr(onlyns, "__file__") else None, onlyns.__spec__.origin,
          type(onlyns.__loader__).__name__, onlyns.inner.KIND]
"""
    ours = run_in_namespace(namespace, script)
    assert ours == run_native(root, script)


def test_package_init_loader_order(tree, namespace, no_bytecode):
    # __init__.py beats __init__.pyc; a package of only __init__.pyc is a sourceless package.
    root = tree({"p1/__init__.py": "", "p2/mod.py": ""})
    for pkg in ("p1", "p2"):
        (root / pkg / "__init__.pyc").write_bytes(b"not read")
    names = ["p1", "p2"]
    native = find_specs_native(root, names)
    assert [spec[2] for spec in native] == ["SourceFileLoader", "SourcelessFileLoader"]
    assert find_specs_in(namespace, names) == native


@pytest.mark.parametrize(
    "files",
    [
        ["m.py", "m.pyc"],
        [f"m{EXT[0]}", "m.py"],
        [f"m{EXT[0]}", "m.py", "m.pyc"],
        *[[f"m{EXT[i]}", f"m{EXT[i + 1]}"] for i in range(len(EXT) - 1)],
        ["m.pyc", "m.pyw", "m.txt"],
        ["m.pyw", "m.PY"],
        [f"pkg/__init__{EXT[-1]}", "pkg/__init__.py"],
    ],
    ids=lambda files: "+".join(files),
)
def test_loader_order(tree, namespace, files):
    # Extension suffixes (in _imp.extension_suffixes() order), then .py, then .pyc. The
    # extension files here are not real: only finding is compared, nothing is loaded.
    root = tree({name: "" for name in files})
    names = ["pkg" if files[0].startswith("pkg/") else "m"]
    native = find_specs_native(root, names)
    assert find_specs_in(namespace, names) == native


def test_directory_without_init_and_module_file_of_same_name(tree, namespace, no_bytecode):
    # Case matters on POSIX: M.py is not m.
    root = tree({"M.py": "", "Pkg/__init__.py": ""})
    names = ["m", "M", "pkg", "Pkg"]
    assert find_specs_in(namespace, names) == find_specs_native(root, names)


def test_dotted_file_names_are_not_modules(tree, namespace):
    root = tree({"a.b.py": "", "c-d.py": "", "e f.py": ""})
    names = ["a.b", "c-d", "e f"]
    native = run_native(
        root,
        DESCRIBE
        + f"""
import importlib.util
result = []
for n in {names!r}:
    try:
        result.append(describe(importlib.util.find_spec(n)))
    except Exception as exc:
        result.append([type(exc).__name__, str(exc)])
""",
    )
    ours = []
    for name in names:
        try:
            ours.append(find_specs_in(namespace, [name])[0])
        except Exception as exc:  # noqa: BLE001 - compared with CPython's
            ours.append([type(exc).__name__, str(exc)])
    assert ours == native


# ---------------------------------------------------------------- the listing cache


LISTING_SCRIPT = """
import importlib, importlib.util, os
root = sys.path[0]
find, invalidate = {find}, {invalidate}
st = os.stat(root)
out = [find("early") is not None]
with open(os.path.join(root, "late.py"), "w") as f:
    f.write("")
os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
out.append(find("late") is not None)
invalidate()
out.append(find("late") is not None)
# A directory whose mtime moves is listed again without being told.
with open(os.path.join(root, "later.py"), "w") as f:
    f.write("")
os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
out.append(find("later") is not None)
os.remove(os.path.join(root, "later.py"))
os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
out.append(find("later") is not None)
result = out
"""


def test_listing_cache_and_invalidate_caches(tree, tmp_path):
    root = tree({"early.py": ""})
    native = run_native(
        root,
        LISTING_SCRIPT.format(
            find="importlib.util.find_spec", invalidate="importlib.invalidate_caches"
        ),
    )
    assert native == [True, False, True, True, False]
    for name in ("late.py", "later.py"):
        if (root / name).exists():
            (root / name).unlink()
    ns = importspace.Namespace(path=[str(root)])
    try:
        script = LISTING_SCRIPT.format(find="find", invalidate="invalidate")
        scope = {"sys": ns.sys, "find": ns.find_spec, "invalidate": ns.invalidate_caches}
        exec(script, scope)
        assert scope["result"] == native
    finally:
        ns.close()


def test_file_finder_invalidate_caches_directly(tree):
    root = tree({"early.py": ""})
    finder = importspace.FileFinder(str(root))
    assert finder.find_spec("early") is not None
    st = os.stat(root)
    (root / "late.py").write_text("")
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert finder.find_spec("late") is None
    finder.invalidate_caches()
    assert finder.find_spec("late").origin == str(root / "late.py")


def test_removed_file_after_listing(tree, namespace, no_bytecode):
    # The listing says the file is there; the is-file check before building the spec says
    # it is not: as natively, no spec.
    root = tree({"gone.py": "", "stay.py": ""})
    st = os.stat(root)
    script = """
import importlib.util, os
root = sys.path[0]
st = os.stat(root)
first = importlib.util.find_spec("stay") is not None
os.remove(os.path.join(root, "gone.py"))
os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
result = [first, importlib.util.find_spec("gone")]
"""
    native = run_native(root, script)
    assert native == [True, None]
    (root / "gone.py").write_text("")
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert namespace.find_spec("stay") is not None
    (root / "gone.py").unlink()
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert namespace.find_spec("gone") is None


# ---------------------------------------------------------------- path entries


CWD_SCRIPT = """
import sys
{setup}
import cwdmod, cwdpkg.sub
keys = ("", ".", "./", "sub", "./sub", {cwd!r})
result = [cwdmod.__file__, cwdpkg.__file__, list(cwdpkg.__path__), cwdpkg.sub.__file__,
          cwdmod.__spec__.origin, cwdmod.__cached__,
          sorted(str(k) for k in sys.path_importer_cache if k in keys),
          sorted(repr(v) for k, v in sys.path_importer_cache.items() if k in keys)]
"""


@pytest.mark.parametrize("entry", ["", ".", "./", "sub", "./sub"])
def test_relative_path_entries_use_the_cwd(tree, monkeypatch, no_bytecode, entry):
    root = tree(
        {
            "cwdmod.py": "",
            "cwdpkg/__init__.py": "",
            "cwdpkg/sub.py": "",
            "sub/cwdmod.py": "",
            "sub/cwdpkg/__init__.py": "",
            "sub/cwdpkg/sub.py": "",
        }
    )
    setup = f"sys.path[0] = {entry!r}\nsys.path_importer_cache.clear()"
    cwd = os.path.realpath(root)
    native = run_native(root, CWD_SCRIPT.format(setup=setup, cwd=cwd))
    monkeypatch.chdir(root)
    ns = importspace.Namespace(path=[entry])
    try:
        assert ns.path == [entry]
        ours = run_in_namespace(ns, CWD_SCRIPT.format(setup="", cwd=cwd))
    finally:
        ns.close()
    # FileFinder reprs differ only by class module; compare the paths they hold.
    assert ours[:7] == native[:7]
    assert [r.split("(", 1)[1] for r in ours[7]] == [r.split("(", 1)[1] for r in native[7]]


def test_relative_entries_follow_a_cwd_change_after_invalidate(tree, monkeypatch, no_bytecode):
    root = tree({"one/which.py": "WHERE = 'one'\n", "two/which.py": "WHERE = 'two'\n"})
    script = """
import importlib, os
os.chdir(sys.path[0] + "/one")
sys.path[0] = ""
import which
first = which.WHERE
del sys.modules["which"]
os.chdir("../two")
importlib.invalidate_caches()
import which
result = [first, which.WHERE, sorted(k for k in sys.path_importer_cache if not k.startswith("/"))]
"""
    native = run_native(root, script)
    monkeypatch.chdir(root / "one")
    ns = importspace.Namespace(path=[""])
    try:
        first = ns.import_module("which").WHERE
        del ns.modules["which"]
        os.chdir(root / "two")
        ns.invalidate_caches()
        second = ns.import_module("which").WHERE
        relative = sorted(k for k in ns.path_importer_cache if not k.startswith("/"))
        assert [first, second, relative] == native
    finally:
        ns.close()


def test_path_importer_cache_contents(tree, tmp_path, no_bytecode):
    root = tree({"real/found.py": "", "afile.txt": "text\n"})
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped.py", "")
    entries = [
        str(root / "real"),
        str(root / "missing"),
        str(root / "afile.txt"),
        str(archive),
        str(root / "real" / "found.py"),
    ]
    # (3.13's invalidate_caches imports importlib.metadata, whose first import would walk the
    # path and fill the cache again: import it beforehand.)
    script = f"""
import importlib, importlib.metadata
entries = {entries!r}
sys.path[:] = entries + [p for p in sys.path if p not in entries and p != {str(root)!r}]
try:
    import nowhere_to_be_found
except ImportError as exc:
    error = [type(exc).__name__, str(exc)]
def cache():
    return [[e, type(sys.path_importer_cache[e]).__name__
             if sys.path_importer_cache.get(e) is not None else None,
             e in sys.path_importer_cache] for e in entries]
before = cache()
importlib.invalidate_caches()
result = [error, before, cache()]
"""
    native = run_native(root, script)
    assert native[1][1] == [str(root / "missing"), None, True]
    ns = importspace.Namespace(path=[*entries, *sys.path])
    try:
        with pytest.raises(ImportError) as info:
            ns.import_module("nowhere_to_be_found")
        cache = ns.path_importer_cache

        def snapshot():
            return [
                [
                    e,
                    type(cache[e]).__name__ if cache.get(e) is not None else None,
                    e in cache,
                ]
                for e in entries
            ]

        before = snapshot()
        ns.invalidate_caches()
        assert [[type(info.value).__name__, str(info.value)], before, snapshot()] == native
        assert type(cache[str(root / "real")]) is importspace.FileFinder
    finally:
        ns.close()


def test_path_like_entries_become_strings(tree, no_bytecode):
    root = tree({"plmod.py": "X = 1\n"})
    ns = importspace.Namespace(path=[Path(root), str(root / "other")])
    try:
        assert ns.path == [str(root), str(root / "other")]
        assert all(type(entry) is str for entry in ns.path)
        assert ns.import_module("plmod").__file__ == str(root / "plmod.py")
        assert list(ns.path_importer_cache) == [str(root)]
    finally:
        ns.close()


def test_non_string_entries_added_later_are_skipped(tree, no_bytecode):
    root = tree({"skipmod.py": "X = 1\n"})
    script = """
sys.path.insert(0, 42)
sys.path.insert(0, None)
import skipmod
result = [skipmod.X, 42 in sys.path_importer_cache]
"""
    native = run_native(root, script)
    ns = importspace.Namespace(path=[str(root)])
    try:
        ns.path[:0] = [None, 42, Path(root)]
        assert ns.import_module("skipmod").X == native[0]
        assert (42 in ns.path_importer_cache) is native[1]
        assert list(ns.path_importer_cache) == [str(root)]
    finally:
        ns.close()


BYTES_SCRIPT = """
import sys
sys.path[:] = [{entry!r}] + [p for p in sys.path[1:]]
try:
    import bytesmod
    result = ["imported", bytesmod.__file__]
except Exception as exc:
    result = ["raised", type(exc).__name__, str(exc)]
result.append(sorted(repr(k) for k in sys.path_importer_cache if isinstance(k, bytes)))
"""


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_bytes_entries(tree, no_bytecode, kind):
    # 3.11+ ignores bytes entries; 3.9 and 3.10 pass them to the path hooks, where the
    # FileFinder hook fails on a directory (TypeError) and refuses anything else.
    root = tree({"bdir/bytesmod.py": ""})
    entry = os.fsencode(root / ("bdir" if kind == "directory" else "missing"))
    native = run_native(root, BYTES_SCRIPT.format(entry=entry))
    ns = importspace.Namespace(path=[str(root)])
    try:
        ns.path[:] = [entry, *sys.path]
        ours = run_in_namespace(
            ns, BYTES_SCRIPT.replace("sys.path[:] =", "_ =").format(entry=entry)
        )
    finally:
        ns.close()
    assert ours == native
    if sys.version_info >= (3, 11):
        assert native[:2] == ["raised", "ModuleNotFoundError"]


# ---------------------------------------------------------------- path hooks


def test_path_hook_import_error_moves_to_the_next_hook(tree):
    root = tree({"hookmod.py": "X = 1\n"})
    calls = []

    def refusing(entry):
        calls.append(entry)
        raise ImportError("not mine", path=entry)

    ns = importspace.Namespace(path=[str(root)])
    try:
        ns.path_hooks.insert(0, refusing)
        assert ns.import_module("hookmod").X == 1
        assert calls == [str(root)]
        assert type(ns.path_importer_cache[str(root)]) is importspace.FileFinder
        # Cached: the hooks are not asked again for the same entry.
        ns.import_module("hookmod")
        with pytest.raises(ModuleNotFoundError):
            ns.import_module("other_missing_module")
        assert calls == [str(root)]
    finally:
        ns.close()


def test_path_hook_other_errors_propagate(tree):
    root = tree({"hookmod.py": ""})
    script = """
import sys
def broken(entry):
    raise ValueError("hook failed for " + entry)
sys.path_hooks.insert(0, broken)
sys.path_importer_cache.clear()
try:
    import hookmod
except Exception as exc:
    result = [type(exc).__name__, str(exc)]
"""
    assert_matches_native(root, script, path=[str(root)], native_setup=DROP_CWD)


def test_custom_path_hook_and_entry_finder(tree):
    tree({})
    seen = []

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.FROM = "custom"
            exec("import sys\nIN_NS = 'customchild' in sys.modules", module.__dict__)

    class EntryFinder:
        def __init__(self, entry):
            self.entry = entry

        def find_spec(self, fullname, target=None):
            seen.append(fullname)
            if fullname.startswith("custom"):
                return importlib.util.spec_from_loader(fullname, Loader())
            return None

    def hook(entry):
        if entry.startswith("custom:"):
            return EntryFinder(entry)
        raise ImportError("not a custom entry")

    ns = importspace.Namespace(path=["custom:one"])
    try:
        ns.path_hooks.insert(0, hook)
        module = ns.import_module("customchild")
        assert module.FROM == "custom"
        assert module.IN_NS is True
        assert isinstance(ns.path_importer_cache["custom:one"], EntryFinder)
        assert ns.modules["customchild"] is module
        assert seen == ["customchild"]
        with pytest.raises(ModuleNotFoundError, match="No module named 'plain'"):
            ns.import_module("plain")
    finally:
        ns.close()


def test_empty_path_hooks_warns_as_natively(tree):
    root = tree({"m.py": ""})
    script = """
import sys
import warnings
sys.path[:] = sys.path[:1]
sys.path_hooks[:] = []
sys.path_importer_cache.clear()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import m
    except ImportError as exc:
        error = [type(exc).__name__, str(exc)]
result = [error, [[w.category.__name__, str(w.message)] for w in caught]]
"""
    assert_matches_native(root, script, native_setup=DROP_CWD)


# ---------------------------------------------------------------- zip archives


def _make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("zmod.py", "WHERE = __file__\n")
        zf.writestr("zpkg/__init__.py", "from . import zsub\n")
        zf.writestr("zpkg/zsub.py", "import zmod\nVALUE = 'zipped'\n")
        zf.writestr("inner/deep.py", "DEEP = True\n")
        zf.writestr("zdata/res.txt", "data")
    return path


ZIP_SCRIPT = """
import sys
import zmod, zpkg, deep
result = [zmod.WHERE, zmod.__spec__.origin, type(zmod.__loader__).__name__,
          zpkg.__file__, list(zpkg.__path__), zpkg.zsub.VALUE, zpkg.zsub.__file__, deep.DEEP,
          zpkg.__loader__.get_source("zpkg"), zmod.__loader__.is_package("zmod"),
          type(sys.path_importer_cache[sys.path[0]]).__name__]
"""


def test_zip_archive_on_the_path(tree, tmp_path, no_bytecode):
    archive = _make_zip(tmp_path / "lib.zip")
    root = tree({})
    setup = f"sys.path[:1] = [{str(archive)!r}, {str(archive / 'inner')!r}]\n"
    native = run_native(root, setup + ZIP_SCRIPT)
    ns = importspace.Namespace(path=[str(archive), str(archive / "inner")])
    try:
        assert type(ns.path_hooks[0]).__name__ == "ZipImportHook"
        assert run_in_namespace(ns, ZIP_SCRIPT) == native
        assert "zmod" not in sys.modules and "zpkg" in ns.modules
        # The finders are the namespace's own zipimport's, not the host's.
        finder = ns.path_importer_cache[str(archive)]
        assert type(finder) is ns.modules["zipimport"].zipimporter
        assert ns.modules["zipimport"] is not sys.modules["zipimport"]
    finally:
        ns.close()


def test_zip_and_directory_namespace_portions(tree, tmp_path, no_bytecode):
    archive = tmp_path / "portion.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("nsp/"), "")
        zf.writestr("nsp/fromzip.py", "X = 'zip'\n")
    root = tree({"nsp/fromdir.py": "X = 'dir'\n"})
    script = """
import nsp.fromzip, nsp.fromdir
result = [nsp.fromzip.X, nsp.fromdir.X, list(nsp.__path__)]
"""
    assert_matches_native(
        root,
        script,
        path=[str(root), str(archive)],
        native_setup=DROP_CWD + f"sys.path.insert(1, {str(archive)!r})\n",
    )


# ---------------------------------------------------------------- meta path finders


def test_user_pep451_finder_on_the_meta_path(tree, no_bytecode):
    root = tree({"shadowed.py": "FROM = 'file'\n", "helper.py": "HELPED = True\n"})
    log = []

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            log.append(("exec", module.__name__))
            # Code run by this loader imports through the namespace too.
            exec("import helper\nFROM = 'finder'\nOK = helper.HELPED", module.__dict__)

    class Finder:
        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            log.append(("find", fullname, path))
            if fullname in ("shadowed", "virtualpkg.child"):
                return importlib.util.spec_from_loader(fullname, Loader())
            if fullname == "virtualpkg":
                return importlib.machinery.ModuleSpec(fullname, Loader(), is_package=True)
            return None

    ns = importspace.Namespace(path=[str(root)])
    try:
        ns.meta_path.insert(0, Finder)
        module = ns.import_module("shadowed")
        assert (module.FROM, module.OK) == ("finder", True)
        assert module.__loader__ is module.__spec__.loader
        assert ns.modules["helper"].HELPED is True
        assert "helper" not in sys.modules and "shadowed" not in sys.modules
        child = ns.import_module("virtualpkg.child")
        assert child.FROM == "finder"
        assert ns.modules["virtualpkg"].child is child
        assert ("find", "virtualpkg.child", []) in log
        # Finders after it still run for names it declines.
        ns.meta_path.remove(Finder)
        del ns.modules["shadowed"]
        assert ns.import_module("shadowed").FROM == "file"
    finally:
        ns.close()


def test_native_path_finder_api(tree, namespace, no_bytecode):
    root = tree({"pfmod.py": "", "pfpkg/__init__.py": "", "pfpkg/sub.py": ""})
    finder = next(f for f in namespace.meta_path if type(f) is importspace.PathFinder)
    spec = finder.find_spec("pfmod")
    assert spec.origin == str(root / "pfmod.py")
    assert finder.find_spec("pfpkg.sub", [str(root / "pfpkg")]).origin == str(
        root / "pfpkg" / "sub.py"
    )
    assert finder.find_spec("pfpkg.sub", [str(root)]) is None
    assert finder.find_spec("definitely_not_here_at_all") is None


# ---------------------------------------------------------------- namespace package paths


NSPATH_SCRIPT = """
import importlib, os, sys
base = {base!r}
sys.path[:] = [os.path.join(base, "one")] + [p for p in sys.path if not p.startswith(base)]
import nsroot.a
out = [list(nsroot.__path__), repr(nsroot.__path__).startswith("_NamespacePath(")]
# A new path entry holding another portion: the path recomputes from the parent path.
sys.path.append(os.path.join(base, "two"))
import nsroot.b
out.append(list(nsroot.__path__))
# A portion created in an entry already on the path shows up once the caches are invalidated.
sys.path.append(os.path.join(base, "three"))
out.append(list(nsroot.__path__))
os.makedirs(os.path.join(base, "three", "nsroot"))
with open(os.path.join(base, "three", "nsroot", "c.py"), "w") as f:
    f.write("")
out.append(list(nsroot.__path__))
importlib.invalidate_caches()
import nsroot.c
out.append(list(nsroot.__path__))
# Nested namespace packages recompute from their parent's __path__.
import nsroot.deep.leaf
out.append(list(nsroot.deep.__path__))
out.append([len(nsroot.__path__), os.path.join(base, "two", "nsroot") in nsroot.__path__,
            nsroot.__path__[0], nsroot.__spec__.origin, getattr(nsroot, "__file__", None),
            type(nsroot.__loader__).__name__])
sys.path.remove(os.path.join(base, "two"))
out.append(list(nsroot.__path__))
nsroot.__path__.append("/appended")
out.append(list(nsroot.__path__)[-1])
result = out
"""


def test_namespace_package_path_recomputes(tree, tmp_path, no_bytecode):
    base = tmp_path / "nsbase"
    files = {
        "one/nsroot/a.py": "",
        "one/nsroot/deep/leaf.py": "",
        "two/nsroot/b.py": "",
        "two/nsroot/deep/other.py": "",
    }
    tree({f"nsbase/{k}": v for k, v in files.items()})
    (base / "three").mkdir()
    native = run_native(tmp_path, NSPATH_SCRIPT.format(base=str(base)))
    shutil.rmtree(base / "three" / "nsroot")
    ns = importspace.Namespace(path=[*sys.path])
    try:
        ours = run_in_namespace(ns, NSPATH_SCRIPT.format(base=str(base)))
    finally:
        ns.close()
    assert ours == native


# ---------------------------------------------------------------- pkgutil over the finders


PKGUTIL_SCRIPT = """
import pkgutil, sys
entries = {entries!r}
listed = [[m.name, m.ispkg, type(m.module_finder).__name__]
          for m in pkgutil.iter_modules(entries, prefix="p.")]
walked = [[m.name, m.ispkg] for m in pkgutil.walk_packages(entries[:1])]
result = [listed, walked, [m.name for m in pkgutil.iter_modules() if m.name in ("both", "zm")]]
"""


def test_pkgutil_lists_the_namespaces_modules(tree, tmp_path, no_bytecode):
    root = tree(
        {
            "lst/mod.py": "",
            "lst/both.py": "",
            "lst/both/__init__.py": "",
            "lst/both/inner.py": "",
            "lst/both/subpkg/__init__.py": "",
            "lst/nsdir/x.py": "",
            "lst/a.b.py": "",
            "lst/notes.txt": "",
        }
    )
    (root / "lst" / "compiled.pyc").write_bytes(b"")
    (root / "lst" / f"ext{EXT[0]}").write_bytes(b"")
    archive = tmp_path / "lst.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zm.py", "")
        zf.writestr("zp/__init__.py", "")
    entries = [str(root / "lst"), str(archive)]
    script = PKGUTIL_SCRIPT.format(entries=entries)
    native = run_native(root, f"sys.path[:0] = {entries!r}\n" + script)
    assert [name for name, *_ in native[0]] == [
        "p.both",
        "p.compiled",
        "p.ext",
        "p.mod",
        "p.zm",
        "p.zp",
    ]
    ns = importspace.Namespace(path=[*entries, *sys.path])
    try:
        ours = run_in_namespace(ns, script)
        assert ours == native
        zipimport = ns.import_module("zipimport")
        assert isinstance(ns.path_importer_cache[str(archive)], zipimport.zipimporter)
    finally:
        ns.close()


# ---------------------------------------------------------------- threads


STRESS_SCRIPT = """
import sys, threading, importlib
import importspace
root = sys.argv[1]
finder = importspace.FileFinder(root)
ns = importspace.Namespace(path=[root])
nsportion = ns.import_module("stressns")
errors = []

def work(kind):
    try:
        for _ in range(300):
            if kind == 0:
                finder.invalidate_caches()
                assert finder.find_spec("stressmod") is not None
            elif kind == 1:
                ns.invalidate_caches()
                assert ns.find_spec("stressmod") is not None
            else:
                ns.invalidate_caches()
                assert len(list(nsportion.__path__)) == 1
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=work, args=(i % 3,)) for i in range(9)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors)
"""


def test_finders_under_threads_do_not_deadlock(tree):
    # A listing lock held across a GIL release once deadlocked two threads finding at once.
    # Run in a subprocess: a deadlock holding the GIL would hang this interpreter for good.
    root = tree({"stressmod.py": "", "stressns/x.py": ""})
    proc = subprocess.run(
        [sys.executable, "-c", STRESS_SCRIPT, str(root)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("hooks", ["None", "()"])
def test_path_hooks_none_or_empty_tuple(tree, hooks):
    root = tree({"hookless.py": ""})
    script = f"""
import sys
import warnings
sys.path[:] = sys.path[:1]
sys.path_hooks = {hooks}
sys.path_importer_cache.clear()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import hookless
        error = None
    except Exception as exc:
        error = [type(exc).__name__, str(exc)]
result = [error, [str(w.message) for w in caught]]
"""
    assert_matches_native(root, script, native_setup=DROP_CWD)


@pytest.mark.parametrize("through", ["finder", "hook"])
def test_a_cycle_through_a_custom_loader_class_is_collected(tmp_path, through):
    """FileFinder and FileFinderHook show the garbage collector the loader classes they hold
    and drop them when it clears a cycle: a loader class that refers back to its finder (or
    hook) is collected once nothing else holds either."""
    import gc
    import weakref

    class Loader(importlib.machinery.SourceFileLoader):
        pass

    if through == "finder":
        holder = importspace.FileFinder(str(tmp_path), (Loader, [".py"]))
    else:
        holder = importspace.FileFinder.path_hook((Loader, [".py"]))
    assert Loader in gc.get_referents(holder)
    Loader.holder = holder
    gone = weakref.ref(Loader)
    del Loader, holder
    gc.collect()
    assert gone() is None


def test_a_replaced_frozen_finder_is_asked(tree, namespace):
    """The engine asks `_imp` directly while `FrozenImporter.find_spec` is the interpreter's
    own; once it is replaced, the replacement is called, as the meta path calls it natively."""
    import _frozen_importlib

    tree({"plain_mod.py": "X = 1\n"})
    original = _frozen_importlib.FrozenImporter.__dict__["find_spec"]
    asked = []

    def find_spec(cls, name, path=None, target=None):
        asked.append(name)
        return original.__func__(cls, name, path, target)

    _frozen_importlib.FrozenImporter.find_spec = classmethod(find_spec)
    try:
        assert namespace.import_module("plain_mod").X == 1
    finally:
        _frozen_importlib.FrozenImporter.find_spec = original
    assert "plain_mod" in asked
    asked.clear()
    namespace.import_module("string")  # not loaded yet in the namespace, not frozen
    assert asked == []
