"""The namespace's import state (`modules`, `path`, `meta_path`, `path_hooks`,
`path_importer_cache`) is read with one rule: a deleted key raises the AttributeError that
CPython's importlib gets from a deleted `sys` attribute, in every layer that reads it
(`__import__`, the path finder, namespace paths, the `Namespace` properties)."""

from __future__ import annotations

import textwrap

import pytest
from conftest import assert_matches_native

import importspace

KEYS = ["modules", "path", "meta_path", "path_hooks", "path_importer_cache"]


@pytest.mark.parametrize("key", KEYS)
def test_import_with_a_deleted_sys_attribute_fails_as_natively(tree, key):
    root = tree({"present.py": "x = 1\n"})
    script = f"""
    import sys
    saved = getattr(sys, {key!r})
    delattr(sys, {key!r})
    try:
        import not_here_at_all
        result = None
    except BaseException as exc:
        result = [type(exc).__name__, str(exc)]
    finally:
        setattr(sys, {key!r}, saved)
    """
    # One fresh path entry, on both sides: its finder is not cached, so the path hooks are
    # consulted.
    fresh = str(root / "fresh")
    assert_matches_native(
        root,
        textwrap.dedent(script),
        path=[fresh],
        native_setup=f"sys.path[:] = [{fresh!r}]\n",
    )


def test_namespace_package_path_with_deleted_sys_path(tree):
    root = tree({"portion/inner.py": "x = 1\n"})
    script = """
    import sys, portion
    saved = sys.path
    del sys.path
    try:
        list(portion.__path__)
        result = None
    except BaseException as exc:
        result = [type(exc).__name__, str(exc)]
    finally:
        sys.path = saved
    """
    assert_matches_native(root, script, path=[str(root)])


@pytest.mark.parametrize("key", KEYS)
def test_namespace_property_of_a_deleted_key(key):
    ns = importspace.Namespace(path=[])
    try:
        delattr(ns.sys, key)
        with pytest.raises(AttributeError) as caught:
            getattr(ns, key)
        assert str(caught.value) == f"module 'sys' has no attribute {key!r}"
    finally:
        ns.close()
