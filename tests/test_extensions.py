"""C extension, built-in and frozen modules in namespaces: two extensions of the same name
(single-phase and multi-phase init) compiled at test time, real lib-dynload extensions, the
shared built-ins and the per-namespace frozen modules; the host's sys.modules never changes
(the autouse host_unchanged fixture checks it after every test)."""

from __future__ import annotations

import _imp
import importlib.machinery
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import assert_matches_native, run_in_namespace, run_native

import importspace

EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

SINGLE_PHASE = r"""
#include <Python.h>

static int inits = 0;

static PyObject *value(PyObject *self, PyObject *args) { return PyLong_FromLong(@VALUE@); }
static PyObject *init_count(PyObject *self, PyObject *args) { return PyLong_FromLong(inits); }

static PyMethodDef methods[] = {
    {"value", value, METH_NOARGS, NULL},
    {"init_count", init_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "@NAME@", "single-phase", -1, methods,
};

PyMODINIT_FUNC PyInit_@NAME@(void) {
    PyObject *m = PyModule_Create(&def);
    if (m == NULL) return NULL;
    inits++;
    if (PyModule_AddIntConstant(m, "VALUE", @VALUE@) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
"""

MULTI_PHASE = r"""
#include <Python.h>

static int execs = 0;

static PyObject *value(PyObject *self, PyObject *args) { return PyLong_FromLong(@VALUE@); }
static PyObject *exec_count(PyObject *self, PyObject *args) { return PyLong_FromLong(execs); }

static int exec_module(PyObject *m) {
    execs++;
    return PyModule_AddIntConstant(m, "VALUE", @VALUE@);
}

static PyMethodDef methods[] = {
    {"value", value, METH_NOARGS, NULL},
    {"exec_count", exec_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "@NAME@", "multi-phase", 0, methods, slots,
};

PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModuleDef_Init(&def); }
"""

NO_INIT = r"""
#include <Python.h>
int not_an_init_function(void) { return 0; }
"""


def compile_extension(directory: Path, name: str, source: str, value: int) -> Path:
    """Build `name` + EXT_SUFFIX in `directory` from `source` with the running interpreter's
    headers; @VALUE@ and @NAME@ are substituted."""
    directory.mkdir(parents=True, exist_ok=True)
    c_file = directory / f"{name}_{value}.c"
    c_file.write_text(source.replace("@NAME@", name).replace("@VALUE@", str(value)))
    target = directory / f"{name}{EXT_SUFFIX}"
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O0", f"-I{include}", str(c_file), "-o", str(target)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    c_file.unlink()
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two directories, each with an `sp` (single-phase) and an `mp` (multi-phase) extension
    returning the directory's VALUE; `pkg.sp`/`pkg.mp` inside a package; a broken .so."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the test extensions")
    base = tmp_path_factory.mktemp("extensions")
    dirs = {}
    for value, label in ((1, "a"), (2, "b")):
        directory = base / label
        compile_extension(directory, "sp", SINGLE_PHASE, value)
        compile_extension(directory, "mp", MULTI_PHASE, value)
        dirs[label] = directory
    package = base / "withpkg" / "pkg"
    compile_extension(package, "sp", SINGLE_PHASE, 3)
    compile_extension(package, "mp", MULTI_PHASE, 3)
    (package / "__init__.py").write_text("")
    broken = base / "broken"
    compile_extension(broken, "noinit", NO_INIT, 0)
    broken.joinpath(f"garbage{EXT_SUFFIX}").write_bytes(b"this is not an ELF file")
    dirs["withpkg"] = base / "withpkg"
    dirs["broken"] = broken
    return dirs


def make_ns(*path) -> importspace.Namespace:
    return importspace.Namespace(path=[str(p) for p in path])


# ---------------------------------------------------------------- our own extensions


@pytest.mark.parametrize("name", ["sp", "mp"], ids=["single-phase", "multi-phase"])
def test_same_name_in_two_namespaces(built, name):
    ns_a, ns_b = make_ns(built["a"]), make_ns(built["b"])
    try:
        mod_a = ns_a.import_module(name)
        mod_b = ns_b.import_module(name)
        assert (mod_a.VALUE, mod_a.value()) == (1, 1)
        assert (mod_b.VALUE, mod_b.value()) == (2, 2)
        assert mod_a is not mod_b
        assert ns_a.modules[name] is mod_a and ns_b.modules[name] is mod_b
        assert name not in sys.modules
        for mod, directory in ((mod_a, built["a"]), (mod_b, built["b"])):
            assert mod.__file__ == str(directory / f"{name}{EXT_SUFFIX}")
            assert type(mod.__loader__) is importspace.ExtensionFileLoader
            assert mod.__spec__.origin == mod.__file__
            assert mod.__name__ == name
    finally:
        ns_a.close()
        ns_b.close()


@pytest.mark.parametrize("name", ["sp", "mp"], ids=["single-phase", "multi-phase"])
def test_module_attributes_match_native(built, name):
    script = f"""
import {name} as m
result = [m.__name__, m.__file__, m.__doc__, m.__package__, m.__spec__.origin,
          m.__spec__.has_location, m.__spec__.cached, type(m.__loader__).__name__,
          m.__loader__.is_package("{name}"), m.VALUE, m.value(), hasattr(m, "__path__"),
          sorted(k for k in vars(m) if k != "__builtins__")]
"""
    native = run_native(built["a"], script)
    ns = make_ns(built["a"])
    try:
        assert run_in_namespace(ns, script) == native
    finally:
        ns.close()


@pytest.mark.parametrize("name", ["sp", "mp"], ids=["single-phase", "multi-phase"])
def test_extension_in_a_package(built, name):
    script = f"""
import pkg.{name}
m = pkg.{name}
result = [m.__name__, m.__package__, m.__file__, m.VALUE, m.value(), pkg.{name} is m]
"""
    native = run_native(built["withpkg"], script)
    assert native[0] == f"pkg.{name}"
    ns = make_ns(built["withpkg"])
    try:
        assert run_in_namespace(ns, script) == native
        assert f"pkg.{name}" not in sys.modules and "pkg" not in sys.modules
    finally:
        ns.close()


def test_single_phase_keeps_the_hosts_entry(built, monkeypatch):
    placeholder = object()
    monkeypatch.setitem(sys.modules, "sp", placeholder)
    ns = make_ns(built["b"])
    try:
        module = ns.import_module("sp")
        assert module.VALUE == 2
        assert sys.modules["sp"] is placeholder
    finally:
        ns.close()


@pytest.mark.parametrize("name", ["sp", "mp"], ids=["single-phase", "multi-phase"])
def test_same_file_in_two_namespaces(built, name):
    ns_1, ns_2 = make_ns(built["a"]), make_ns(built["a"])
    try:
        first = ns_1.import_module(name)
        count = first.exec_count if name == "mp" else first.init_count
        before = count()
        second = ns_2.import_module(name)
        assert first.VALUE == second.VALUE == 1
        assert first.value() == second.value() == 1
        assert name not in sys.modules
        if name == "mp":
            # Multi-phase: a new module object per load, each executed.
            assert first is not second
            assert count() == before + 1
        else:
            # Single-phase (m_size -1): PyInit runs once per process for a file; later loads
            # copy the dict of the first module it made.
            assert count() == before == 1
    finally:
        ns_1.close()
        ns_2.close()


def test_extension_beats_source_of_the_same_name(built, tmp_path):
    directory = tmp_path / "shadow"
    shutil.copytree(built["a"], directory)
    (directory / "mp.py").write_text("VALUE = 'source'\n")
    (directory / "mp.pyc").write_bytes(b"")
    script = "import mp; result = [mp.VALUE, mp.__file__]"
    native = run_native(directory, script)
    assert native[0] == 1
    ns = make_ns(directory)
    try:
        assert run_in_namespace(ns, script) == native
    finally:
        ns.close()


@pytest.mark.parametrize("name", ["noinit", "garbage"])
def test_broken_extension_errors_match_native(built, name):
    script = f"""
try:
    import {name}
except ImportError as exc:
    result = [type(exc).__name__, str(exc), exc.name, exc.path]
"""
    native = run_native(built["broken"], script)
    ns = make_ns(built["broken"])
    try:
        assert run_in_namespace(ns, script) == native
        assert name not in ns.modules
    finally:
        ns.close()


def test_extension_loader_api_matches_cpython(built):
    path = str(built["a"] / f"mp{EXT_SUFFIX}")
    ours = importspace.ExtensionFileLoader("mp", path)
    theirs = importlib.machinery.ExtensionFileLoader("mp", path)
    assert (ours.name, ours.path) == (theirs.name, theirs.path)
    assert ours.get_filename("mp") == theirs.get_filename("mp")
    assert ours.get_code("mp") is theirs.get_code("mp") is None
    assert ours.get_source("mp") is theirs.get_source("mp") is None
    assert ours.is_package("mp") is theirs.is_package("mp") is False
    assert ours.get_data(path) == theirs.get_data(path)
    with pytest.raises(ImportError) as info:
        ours.get_filename("other")
    with pytest.raises(ImportError) as native_info:
        theirs.get_filename("other")
    assert str(info.value) == str(native_info.value) == "loader for mp cannot handle other"
    assert info.value.name == native_info.value.name
    init = importspace.ExtensionFileLoader("pkg", f"/x/__init__{EXT_SUFFIX}")
    assert init.is_package("pkg") is True


def test_extension_loader_used_directly(built):
    # create_module/exec_module outside any namespace: the host's sys.modules is still
    # left as it was.
    path = str(built["b"] / f"sp{EXT_SUFFIX}")
    loader = importspace.ExtensionFileLoader("sp", path)
    spec = importlib.machinery.ModuleSpec("sp", loader, origin=path)
    module = loader.create_module(spec)
    loader.exec_module(module)
    assert module.VALUE == 2
    assert "sp" not in sys.modules


# ---------------------------------------------------------------- stdlib extensions


def _dynload_extensions() -> list[str]:
    """Standard extension modules that are shared libraries here, not built-ins."""
    names = [
        "_json",
        "_csv",
        "array",
        "_bisect",
        "_heapq",
        "_random",
        "_struct",
        "cmath",
        "_statistics",
        "_contextvars",
        "_queue",
        "_lsprof",
        "unicodedata",
        "_zoneinfo",
    ]
    found = []
    for name in names:
        if name in sys.builtin_module_names:
            continue
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            found.append(name)
    return found


DYNLOAD = _dynload_extensions()


def test_dynload_extension_the_host_has_imported():
    name = next((n for n in DYNLOAD if n in sys.modules), None)
    if name is None:
        pytest.skip("the host has imported no lib-dynload extension")
    host_module = sys.modules[name]
    ns = importspace.Namespace()
    try:
        module = ns.import_module(name)
        assert module.__file__ == host_module.__file__
        assert type(module.__loader__) is importspace.ExtensionFileLoader
        assert sys.modules[name] is host_module
        assert ns.modules[name] is module
        assert sorted(n for n in dir(module) if not n.startswith("__")) == sorted(
            n for n in dir(host_module) if not n.startswith("__")
        )
    finally:
        ns.close()


@pytest.mark.parametrize("name", ["_csv", "array", "_json"])
def test_dynload_extension_works_in_a_namespace(name):
    if name not in DYNLOAD:
        pytest.skip(f"{name} is not a lib-dynload extension on this build")
    was_imported = name in sys.modules
    ns = importspace.Namespace()
    try:
        module = ns.import_module(name)
        assert module.__spec__.origin.endswith(EXT_SUFFIX)
        assert (name in sys.modules) is was_imported
        if name == "_csv":
            assert list(module.reader(["a,b"])) == [["a", "b"]]
        elif name == "array":
            assert module.array("i", [1, 2]).tolist() == [1, 2]
        else:
            assert module.encode_basestring_ascii("\u00e9") == '"\\u00e9"'
        # The pure-Python module above it, also in the namespace, uses it.
        wrapper = {"_csv": "csv", "_json": "json.decoder", "array": None}[name]
        if wrapper:
            ns.import_module(wrapper)
            assert ns.modules[wrapper] is not sys.modules.get(wrapper)
    finally:
        ns.close()


def test_dynload_extension_the_host_has_not_imported():
    script = f"""
import sys
import importspace
candidates = {DYNLOAD!r}
name = next(n for n in candidates if n not in sys.modules)
ns = importspace.Namespace()
module = ns.import_module(name)
result = [name, name in sys.modules, module.__file__ == ns.modules[name].__file__]
ns.close()
"""
    if not DYNLOAD:
        pytest.skip("no lib-dynload extensions on this build")
    # A fresh interpreter has imported almost none of them.
    result = run_native(Path(os.getcwd()), script)
    assert result[1:] == [False, True]


# ---------------------------------------------------------------- built-in and frozen modules


def test_builtin_modules_are_the_hosts():
    # sys and builtins are the namespace's own faces (see the next test); posix, atexit and
    # _codecs are faces over the host's registries (test_namespace_api).
    faces = ("sys", "builtins", "posix", "atexit", "_codecs")
    imported = [n for n in sys.builtin_module_names if n in sys.modules and n not in faces]
    assert imported
    ns = importspace.Namespace(path=[])
    try:
        for name in imported:
            assert ns.import_module(name) is sys.modules[name], name
            assert ns.modules[name] is sys.modules[name]
        spec = ns.find_spec(imported[0])
        assert spec.origin == "built-in"
    finally:
        ns.close()


def test_builtin_the_host_has_not_imported_is_one_object():
    candidates = [n for n in sys.builtin_module_names if n not in sys.modules]
    if not candidates:
        pytest.skip("the host has imported every built-in module")
    name = candidates[0]
    ns_1, ns_2 = importspace.Namespace(path=[]), importspace.Namespace(path=[])
    try:
        first = ns_1.import_module(name)
        assert ns_2.import_module(name) is first
        assert name not in sys.modules
    finally:
        ns_1.close()
        ns_2.close()


def test_sys_and_builtins_are_the_namespaces():
    ns = importspace.Namespace(path=[])
    try:
        assert ns.import_module("sys") is ns.sys
        assert ns.import_module("builtins") is ns.builtins
        assert ns.sys is not sys
    finally:
        ns.close()


@pytest.mark.parametrize("name", ["warnings", "encodings", "encodings.utf_8"])
def test_default_shared_modules_are_the_hosts(name):
    if name not in sys.modules:
        pytest.skip(f"the host has not imported {name}")
    ns = importspace.Namespace()
    try:
        assert ns.import_module(name) is sys.modules[name]
    finally:
        ns.close()


def test_warnings_inside_a_namespace_reach_its_catch_warnings(tree):
    root = tree(
        {"warner.py": "import warnings\nwarnings.warn('from the namespace', UserWarning)\n"}
    )
    script = """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import warner
result = [[w.category.__name__, str(w.message), w.filename] for w in caught]
"""
    assert_matches_native(root, script)


FROZEN = [
    n
    for n in ("stat", "posixpath", "_collections_abc", "genericpath", "os", "codecs", "abc")
    if _imp.is_frozen(n)
]


@pytest.mark.skipif(not FROZEN, reason="no frozen stdlib modules before 3.11")
@pytest.mark.parametrize("name", FROZEN)
def test_frozen_modules_are_fresh_per_namespace(name):
    script = f"""
import {name} as m
spec = m.__spec__
result = [spec.origin, type(spec.loader).__name__ if not isinstance(spec.loader, type)
          else spec.loader.__name__, getattr(m, "__file__", None), spec.has_location,
          getattr(spec.loader_state, "filename", None), m.__package__, spec.cached]
"""
    native = run_native(Path(os.getcwd()), script)
    assert native[0] == "frozen"
    ns_1, ns_2 = importspace.Namespace(), importspace.Namespace()
    try:
        # As in any interpreter, os first: genericpath imported before it is a circular import.
        ns_1.import_module("os")
        ns_2.import_module("os")
        mod_1 = ns_1.import_module(name)
        mod_2 = ns_2.import_module(name)
        assert mod_1 is not sys.modules.get(name)
        assert mod_1 is not mod_2
        assert run_in_namespace(ns_1, script) == native
        assert mod_1.__dict__["__builtins__"] is ns_1.builtins.__dict__
    finally:
        ns_1.close()
        ns_2.close()


def test_broken_extension_keeps_the_hosts_entry(built, monkeypatch):
    placeholder = object()
    monkeypatch.setitem(sys.modules, "garbage", placeholder)
    ns = make_ns(built["broken"])
    try:
        with pytest.raises(ImportError):
            ns.import_module("garbage")
        assert sys.modules["garbage"] is placeholder
    finally:
        ns.close()


def test_single_phase_the_host_has_imported(built):
    # In a fresh interpreter: the host imports sp from a; namespaces then load the same file
    # and another file of the same name. The host keeps its module.
    script = f"""
import importspace
import sp as host_sp
ns_same = importspace.Namespace(path=[{str(built["a"])!r}])
ns_other = importspace.Namespace(path=[{str(built["b"])!r}])
same = ns_same.import_module("sp")
other = ns_other.import_module("sp")
result = [sys.modules["sp"] is host_sp, host_sp.VALUE, same.VALUE, same.value(),
          other.VALUE, other.value(), other is not host_sp, host_sp.init_count()]
"""
    assert run_native(built["a"], script) == [True, 1, 1, 1, 2, 2, True, 1]


# ------------------------------------------- single-phase extension modules of the standard library


def test_single_phase_stdlib_extension_is_one_instance_for_host_and_namespaces():
    """CPython keeps one instance of a single-phase module per process (3.9's `_struct` and
    `_posixsubprocess`, `_pickle` up to 3.11): a second namespace loads `subprocess`, and the
    host importing `struct` after a namespace did raises its own `struct.error`, in the host and
    in the namespace, as natively (fresh process: the host has imported neither)."""
    script = """
import sys
import importspace
first = importspace.Namespace(path=sys.path)
second = importspace.Namespace(path=sys.path)
ns_struct = first.import_module("struct")
first.import_module("subprocess")
second.import_module("subprocess")
import struct
caught = []
for module in (ns_struct, struct):
    try:
        module.unpack("<I", b"")
    except Exception as exc:
        caught.append(type(exc) is module.error)
result = [caught, second.import_module("subprocess").list2cmdline(["a b"])]
first.close()
second.close()
"""
    assert run_native(Path(os.getcwd()), script) == [[True, True], '"a b"']
