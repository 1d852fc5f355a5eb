"""The version table (src/version.rs, docs/versions.md) against the running interpreter: each
value the Python side reads (`importspace._version`) is what probing this CPython says, so a
wrong row fails on the version it describes (CI runs this on 3.9 and 3.13, make test-all on
every supported version)."""

from __future__ import annotations

import _codecs
import _frozen_importlib_external
import sys
import types

import importspace._version as version
from importspace import _native


def _attribute_error_context(action):
    """Whether a failed lookup or delete on a module sets `AttributeError.name` (what the
    namespace's `sys`, a module, must match)."""
    try:
        action(types.ModuleType("probe"))
    except AttributeError as exc:
        return getattr(exc, "name", None) == "missing"
    raise AssertionError("no AttributeError")


def _delete_message_names_type():
    class Plain:
        pass

    try:
        del Plain().missing
    except AttributeError as exc:
        return "'Plain' object has no attribute" in str(exc)
    raise AssertionError("no AttributeError")


def test_the_python_view_matches_this_interpreter():
    probes = {
        "EXTERNAL_HAS_SET_BOOTSTRAP_MODULE": hasattr(
            _frozen_importlib_external, "_set_bootstrap_module"
        ),
        "CODECS_HAS_UNREGISTER": hasattr(_codecs, "unregister"),
        "JSON_KEEPS_DECODE_ERROR_CLASS": sys.version_info < (3, 10),
        "NAMESPACE_LOADER_HAS_RESOURCE_READER": hasattr(
            _frozen_importlib_external._NamespaceLoader, "get_resource_reader"
        ),
        "ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP": _attribute_error_context(lambda obj: obj.missing),
        "ATTRIBUTE_ERROR_CONTEXT_ON_DELETE": _attribute_error_context(
            lambda obj: delattr(obj, "missing")
        ),
        "DELETE_ERROR_NAMES_TYPE": _delete_message_names_type(),
        "TESTED": True,
    }
    assert _native.VERSION == probes
    for name, value in probes.items():
        assert getattr(version, name) is value


def test_import_opcodes_come_from_the_interpreter_and_leave_the_host_alone(tmp_path):
    """`import cyc.a.c as alias` while `cyc.a` is still loading needs the caller's next opcode
    (IMPORT_FROM's fallback): the engine reads the opcode numbers from this interpreter's
    `opcode` module the first time, and takes what that import added to the host's
    `sys.modules` out again. In a child process that has not imported `opcode` itself."""
    import subprocess

    (tmp_path / "cyc" / "a").mkdir(parents=True)
    (tmp_path / "cyc" / "__init__.py").write_text("")
    (tmp_path / "cyc" / "a" / "__init__.py").write_text("import cyc.a.b\n")
    (tmp_path / "cyc" / "a" / "b.py").write_text(
        "import cyc.a.c as c_alias\nSEEN = c_alias.__name__\n"
    )
    (tmp_path / "cyc" / "a" / "c.py").write_text("")
    script = (
        "import sys, importspace\n"
        "assert 'opcode' not in sys.modules\n"
        "before = set(sys.modules)\n"
        f"ns = importspace.Namespace(path=[{str(tmp_path)!r}])\n"
        "print(ns.import_module('cyc.a.b').SEEN)\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["cyc.a.c", "[]"]
