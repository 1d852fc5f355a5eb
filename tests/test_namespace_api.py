"""The public Namespace API: construction, the live import state, sys and builtins faces,
sharing, closing."""

from __future__ import annotations

import gc
import importlib
import os
import sys
import weakref

import pytest

import importspace


def test_path_defaults_to_a_copy_of_the_host_path():
    ns = importspace.Namespace()
    assert ns.path == sys.path
    assert ns.path is not sys.path


def test_path_entries_go_through_fspath(tmp_path):
    ns = importspace.Namespace(path=[tmp_path])
    assert ns.path == [os.fspath(tmp_path)]


@pytest.mark.parametrize("bad", ["/a/string", b"/bytes"])
def test_path_must_not_be_a_single_string(bad):
    with pytest.raises(TypeError, match="path must be a list of directories"):
        importspace.Namespace(path=bad)


def test_path_entries_must_be_paths():
    with pytest.raises(TypeError):
        importspace.Namespace(path=[1])


def test_share_must_be_names():
    with pytest.raises(TypeError, match="not str"):
        importspace.Namespace(share="json")
    with pytest.raises(TypeError, match="share names must be str"):
        importspace.Namespace(share=[1])
    with pytest.raises(ValueError, match="invalid module name"):
        importspace.Namespace(share=[".json"])


def test_name_and_repr():
    ns = importspace.Namespace(path=[], name="plugins")
    assert ns.name == "plugins"
    assert repr(ns) == "<importspace.Namespace 'plugins'>"
    assert importspace.Namespace(path=[]).name is None


def test_live_state_objects(tree):
    root = tree({"livemod.py": "VALUE = 1\n"})
    ns = importspace.Namespace(path=[])
    with pytest.raises(ModuleNotFoundError):
        ns.import_module("livemod")
    ns.path.append(str(root))
    assert ns.import_module("livemod").VALUE == 1
    assert ns.modules["livemod"].VALUE == 1
    assert str(root) in ns.path_importer_cache
    ns.path = []
    assert ns.sys.path == []


def test_sys_face_has_namespace_state_and_real_everything_else(namespace):
    nsys = namespace.sys
    assert nsys.modules is namespace.modules
    assert nsys.path is namespace.path
    assert nsys.meta_path is namespace.meta_path
    assert nsys.path_hooks is namespace.path_hooks
    assert nsys.path_importer_cache is namespace.path_importer_cache
    assert nsys.version == sys.version
    assert nsys.stdout is sys.stdout
    assert namespace.modules["sys"] is nsys
    limit = sys.getrecursionlimit()
    try:
        nsys.setrecursionlimit(limit + 7)
        assert sys.getrecursionlimit() == limit + 7
    finally:
        sys.setrecursionlimit(limit)


def test_sys_rebinding_inside_the_namespace(tree):
    root = tree({"rebind.py": "import sys\nsys.path = ['/nowhere']\n"})
    ns = importspace.Namespace(path=[str(root)])
    ns.import_module("rebind")
    assert ns.path == ["/nowhere"]
    assert sys.path != ["/nowhere"]


def test_builtins_face(namespace):
    b = namespace.builtins
    assert b.__name__ == "builtins"
    assert b.len is len
    assert b.__import__ is not __import__
    assert namespace.modules["builtins"] is b
    assert b.__import__("json") is namespace.modules["json"]


def test_builtin_modules_are_the_hosts(namespace):
    for name in ("_imp", "_thread", "marshal", "_io"):
        if name in sys.builtin_module_names and name in sys.modules:
            assert namespace.import_module(name) is sys.modules[name]


def test_registry_modules_are_faces_over_the_hosts(namespace):
    """`posix`, `atexit` and `_codecs` hold process-wide registries: a namespace gets a copy
    whose registering functions record what it registers (undone at close), and whose every
    other attribute is the host module's own object."""
    for name in ("posix", "atexit", "_codecs"):
        host = importlib.import_module(name)
        face = namespace.import_module(name)
        assert face is not host and face.__name__ == name
        assert face.getcwd is host.getcwd if name == "posix" else True
        assert namespace.import_module(name) is face
    assert namespace.import_module("os").stat is sys.modules["os"].stat


def test_pure_python_stdlib_is_fresh(namespace):
    json_ns = namespace.import_module("json")
    assert json_ns is not sys.modules.get("json")
    assert json_ns.dumps({"a": 1}) == '{"a": 1}'


def test_share_hands_in_host_modules(tmp_path):
    import json
    import json.decoder

    ns = importspace.Namespace(path=[str(tmp_path), *sys.path], share=["json"])
    assert ns.share == ("json",)
    assert ns.import_module("json") is json
    assert ns.import_module("json.decoder") is json.decoder


def test_close_drops_modules_and_refuses_imports(tree):
    root = tree({"closing.py": "class Thing:\n    pass\n"})
    ns = importspace.Namespace(path=[str(root)])
    module = ns.import_module("closing")
    ref = weakref.ref(module)
    del module
    ns.close()
    assert ns.closed
    assert len(ns.modules) == 0
    with pytest.raises(importspace.NamespaceClosedError, match="is closed"):
        ns.import_module("closing")
    del ns
    gc.collect()
    assert ref() is None


def test_context_manager_closes(tree):
    root = tree({"ctx.py": ""})
    with importspace.Namespace(path=[str(root)]) as ns:
        ns.import_module("ctx")
    assert ns.closed


def test_namespace_is_collected_without_close(tree):
    root = tree({"collected.py": "def f():\n    import collected\n    return collected\n"})
    ns = importspace.Namespace(path=[str(root)])
    module = ns.import_module("collected")
    assert module.f() is module
    refs = [weakref.ref(ns), weakref.ref(module)]
    del ns, module
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_no_lock_left_behind(tree):
    root = tree({"locked/__init__.py": "from . import child\n", "locked/child.py": ""})
    ns = importspace.Namespace(path=[str(root)])
    ns.import_module("locked")
    assert ns._live_locks() == 0


@pytest.mark.parametrize("bad", [5, b"x", "", ".x"])
def test_import_module_bad_names_fail_as_importlib_does(bad):
    import importlib

    ns = importspace.Namespace(path=[])
    with pytest.raises(Exception) as native:
        importlib.import_module(bad)
    with pytest.raises(Exception) as inside:
        ns.import_module(bad)
    assert type(inside.value) is type(native.value)
    assert str(inside.value) == str(native.value)


def test_importlib_setup_functions_inside_leave_the_host_alone(namespace):
    """CPython's test suites call `_bootstrap_external._install(_bootstrap)` and
    `_bootstrap._install(sys, _imp)`. Inside a namespace they act on the namespace's copies and
    its `sys`: the host's import system keeps its globals, meta path and path hooks."""
    import _frozen_importlib
    import _frozen_importlib_external

    host_bootstrap_of_external = _frozen_importlib_external._bootstrap
    host_sys_of_bootstrap = _frozen_importlib.sys
    importlib_inside = namespace.import_module("importlib")
    bootstrap = importlib_inside._bootstrap
    assert bootstrap is not _frozen_importlib
    meta_before, hooks_before = len(namespace.meta_path), len(namespace.path_hooks)
    importlib_inside._bootstrap_external._install(bootstrap)
    bootstrap._install(namespace.sys, bootstrap._imp)
    assert _frozen_importlib_external._bootstrap is host_bootstrap_of_external
    assert _frozen_importlib.sys is host_sys_of_bootstrap
    assert len(namespace.meta_path) == meta_before + 3
    assert len(namespace.path_hooks) == hooks_before + 1
    assert bootstrap.sys is namespace.sys
    # The namespace still imports, through the finders the calls added as well.
    assert namespace.import_module("json").dumps([1]) == "[1]"
