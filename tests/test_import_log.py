"""`Namespace.record_imports` and `Namespace.import_log`: the runtime import record (which
module's code imported which module, where), checked against real package trees and against
what a `builtins.__import__` wrapper sees in a native interpreter."""

from __future__ import annotations

import threading

from conftest import run_native

import importspace


def records_from(ns, importers):
    """The log's records whose importer is one of `importers`, as plain tuples."""
    return [tuple(r) for r in ns.import_log if r.importer in importers]


def test_off_by_default(tree, namespace):
    tree({"plain.py": "import os\n"})
    assert namespace.import_log is None
    namespace.import_module("plain")
    assert namespace.import_log is None


def test_module_level_import(tree, namespace):
    tree({"first.py": "import os\nimport second\n", "second.py": "VALUE = 1\n"})
    namespace.record_imports()
    assert namespace.import_log == []
    namespace.import_module("first")
    assert records_from(namespace, {"first"}) == [
        ("first", "os", 1, "<module>", True),
        ("first", "second", 2, "<module>", True),
    ]
    record = namespace.import_log[1]
    assert isinstance(record, importspace.ImportRecord)
    assert record._fields == ("importer", "imported", "line", "scope", "module_level")


def test_records_come_in_the_order_the_imports_started(tree, namespace):
    tree({"outer.py": "import middle\n", "middle.py": "import inner\n", "inner.py": ""})
    namespace.record_imports()
    namespace.import_module("outer")
    assert [(r.importer, r.imported) for r in namespace.import_log] == [
        (None, "outer"),
        ("outer", "middle"),
        ("middle", "inner"),
    ]


def test_function_level_import(tree, namespace):
    tree(
        {
            "lazy.py": """\
                def load():
                    import target
                    return target
                """,
            "target.py": "",
        }
    )
    module = namespace.import_module("lazy")
    namespace.record_imports()
    module.load()
    assert namespace.import_log == [("lazy", "target", 2, "load", False)]


def test_class_body_import_is_module_level(tree, namespace):
    tree({"holder.py": "class Holder:\n    import target\n", "target.py": ""})
    namespace.record_imports()
    namespace.import_module("holder")
    assert records_from(namespace, {"holder"}) == [("holder", "target", 2, "Holder", True)]


def test_class_body_inside_a_function_counts_as_module_level(tree, namespace):
    tree(
        {
            "maker.py": """\
                def make():
                    class Made:
                        import target
                    return Made
                """,
            "target.py": "",
        }
    )
    module = namespace.import_module("maker")
    namespace.record_imports()
    module.make()
    assert namespace.import_log == [("maker", "target", 3, "Made", True)]


def test_relative_imports_are_resolved(tree, namespace):
    tree(
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/mod.py": """\
                from .sibling import VALUE
                from .. import top
                from ..top import OTHER
                from . import sibling
                """,
            "pkg/sub/sibling.py": "VALUE = 1\n",
            "pkg/top.py": "OTHER = 2\n",
        }
    )
    namespace.record_imports()
    namespace.import_module("pkg.sub.mod")
    assert records_from(namespace, {"pkg.sub.mod"}) == [
        ("pkg.sub.mod", "pkg.sub.sibling", 1, "<module>", True),
        ("pkg.sub.mod", "pkg", 2, "<module>", True),
        ("pkg.sub.mod", "pkg.top", 2, "<module>", True),
        ("pkg.sub.mod", "pkg.top", 3, "<module>", True),
        ("pkg.sub.mod", "pkg.sub", 4, "<module>", True),
        ("pkg.sub.mod", "pkg.sub.sibling", 4, "<module>", True),
    ]


def test_dotted_import_records_the_full_name(tree, namespace):
    tree(
        {
            "a/__init__.py": "",
            "a/b/__init__.py": "",
            "a/b/c.py": "",
            "user.py": "import a.b.c\nimport a.b.c as abc\n",
        }
    )
    namespace.record_imports()
    namespace.import_module("user")
    assert records_from(namespace, {"user"}) == [
        ("user", "a.b.c", 1, "<module>", True),
        ("user", "a.b.c", 2, "<module>", True),
    ]


def test_from_package_import_submodule(tree, namespace):
    tree(
        {
            "pkg/__init__.py": "from .helper import helper\nCONSTANT = 1\n__all__ = ['star']\n",
            "pkg/helper.py": "def helper():\n    pass\n",
            "pkg/sub.py": "",
            "pkg/other.py": "",
            "pkg/star.py": "",
            "user.py": """\
                from pkg import sub, CONSTANT
                from pkg import sub
                from pkg import helper
                from pkg import *
                from pkg import other as renamed
                """,
        }
    )
    namespace.record_imports()
    namespace.import_module("user")
    assert records_from(namespace, {"user"}) == [
        ("user", "pkg", 1, "<module>", True),
        ("user", "pkg.sub", 1, "<module>", True),
        # Already imported and bound: still an edge.
        ("user", "pkg", 2, "<module>", True),
        ("user", "pkg.sub", 2, "<module>", True),
        # `helper` is the function the package bound, not the submodule of that name.
        ("user", "pkg", 3, "<module>", True),
        ("user", "pkg", 4, "<module>", True),
        ("user", "pkg.star", 4, "<module>", True),
        ("user", "pkg", 5, "<module>", True),
        ("user", "pkg.other", 5, "<module>", True),
    ]


def test_from_module_import_name_gives_no_submodule_record(tree, namespace):
    tree({"user.py": "from os import path\n"})
    namespace.record_imports()
    namespace.import_module("user")
    # `os` is no package: `_handle_fromlist` does not run, even though `os.path` is a module.
    assert records_from(namespace, {"user"}) == [("user", "os", 1, "<module>", True)]


def test_already_imported_modules_are_recorded(tree, namespace):
    tree({"one.py": "import shared\n", "two.py": "import shared\nimport shared\n", "shared.py": ""})
    namespace.import_module("shared")
    namespace.record_imports()
    namespace.import_module("one")
    namespace.import_module("two")
    namespace.import_module("shared")
    assert [(r.importer, r.imported) for r in namespace.import_log] == [
        (None, "one"),
        ("one", "shared"),
        (None, "two"),
        ("two", "shared"),
        ("two", "shared"),
        (None, "shared"),
    ]
    assert records_from(namespace, {"two"}) == [
        ("two", "shared", 1, "<module>", True),
        ("two", "shared", 2, "<module>", True),
    ]


def test_failed_imports_are_not_recorded(tree, namespace):
    tree(
        {
            "careful.py": """\
                try:
                    import no_such_module_here
                except ImportError:
                    pass
                try:
                    from broken import anything
                except ZeroDivisionError:
                    pass
                import fine
                """,
            "broken.py": "1 / 0\n",
            "fine.py": "",
        }
    )
    namespace.record_imports()
    namespace.import_module("careful")
    assert records_from(namespace, {"careful", "broken"}) == [
        ("careful", "fine", 9, "<module>", True)
    ]


def test_turning_off_stops_recording_and_on_again_starts_afresh(tree, namespace):
    tree({"early.py": "", "late.py": "", "again.py": ""})
    namespace.record_imports()
    namespace.import_module("early")
    namespace.record_imports(False)
    namespace.import_module("late")
    assert [r.imported for r in namespace.import_log] == ["early"]
    namespace.record_imports(False)
    assert [r.imported for r in namespace.import_log] == ["early"]
    namespace.record_imports(True)
    assert namespace.import_log == []
    namespace.import_module("again")
    namespace.record_imports(True)  # already on: the log is kept
    assert [r.imported for r in namespace.import_log] == ["again"]


def test_importlib_import_module_inside_the_namespace(tree, namespace):
    tree(
        {
            "dynamic.py": """\
                import importlib

                def later():
                    return importlib.import_module(".part", "pkg")

                absolute = importlib.import_module("pkg.part")
                later()
                """,
            "pkg/__init__.py": "",
            "pkg/part.py": "",
        }
    )
    namespace.record_imports()
    namespace.import_module("dynamic")
    assert records_from(namespace, {"dynamic"}) == [
        ("dynamic", "importlib", 1, "<module>", True),
        ("dynamic", "pkg.part", 6, "<module>", True),
        ("dynamic", "pkg.part", 4, "later", False),
    ]


def test_host_calls_have_no_importer(tree, namespace):
    tree({"entry.py": "", "pkg/__init__.py": "", "pkg/rel.py": ""})
    namespace.record_imports()
    namespace.import_module("entry")
    namespace.import_module(".rel", "pkg")
    namespace.builtins.__import__("entry")
    log = namespace.import_log
    assert [(r.importer, r.imported, r.scope) for r in log] == [
        (None, "entry", "test_host_calls_have_no_importer"),
        (None, "pkg.rel", "test_host_calls_have_no_importer"),
        (None, "entry", "test_host_calls_have_no_importer"),
    ]


def test_exec_in_the_namespace_records_its_name(namespace):
    namespace.record_imports()
    scope = {"__name__": "scripted", "__builtins__": namespace.builtins.__dict__}
    exec("x = 1\nimport os\n", scope)
    assert records_from(namespace, {"scripted"}) == [("scripted", "os", 2, "<module>", True)]


def test_close_keeps_the_log(tree, namespace):
    tree({"kept.py": "import os\n"})
    namespace.record_imports()
    namespace.import_module("kept")
    namespace.close()
    assert records_from(namespace, {"kept"}) == [("kept", "os", 1, "<module>", True)]


def test_threads_record_every_import(tree, namespace):
    count = 20
    tree({f"mod{i}.py": f"import dep{i}\n" for i in range(count)})
    tree({f"dep{i}.py": "" for i in range(count)})
    namespace.record_imports()
    errors = []

    def work(indexes):
        try:
            for i in indexes:
                namespace.import_module(f"mod{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(range(k, count, 4),)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    edges = {(r.importer, r.imported) for r in namespace.import_log}
    assert edges == {(None, f"mod{i}") for i in range(count)} | {
        (f"mod{i}", f"dep{i}") for i in range(count)
    }
    log = namespace.import_log
    for i in range(count):
        assert log.index((f"mod{i}", f"dep{i}", 1, "<module>", True)) > [
            r.imported for r in log
        ].index(f"mod{i}")


# The differential: the same tree imported natively, with `builtins.__import__` and
# `importlib.import_module` wrapped to record what the namespace records.
DIFFERENTIAL_TREE = {
    "app/__init__.py": "from . import config\nfrom .util import helper\n__all__ = ['extra']\n",
    "app/config.py": "import os\nimport json\nSETTING = 1\n",
    "app/util/__init__.py": "from .helper import helper\n",
    "app/util/helper.py": "import collections\n\ndef helper():\n    return 1\n",
    "app/extra.py": "from .config import SETTING\n",
    "app/plugins/__init__.py": "",
    "app/plugins/first.py": "from ..util import helper as h\n",
    "main.py": """\
        import app
        import app.config
        import app.plugins.first as first
        from app import *
        from app import config, util
        from app.util import helper
        import importlib

        class Settings:
            import app.extra

        def deferred():
            import string
            return importlib.import_module(".plugins.first", "app")

        try:
            import app.missing
        except ImportError:
            pass
        deferred()
        dynamic = importlib.import_module("app.config")
        """,
}

NATIVE_RECORDER = """
import builtins
import importlib
import importlib.util
import sys

TREE = set(sys.argv[1:]) or None
records = []
original_import = builtins.__import__
original_import_module = importlib.import_module


def caller_record(frame, resolved):
    code = frame.f_code
    return [frame.f_globals.get("__name__"), resolved, frame.f_lineno, code.co_name,
            not code.co_flags & 1]


def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = original_import(name, globals, locals, fromlist, level)
    frame = sys._getframe(1)
    if level:
        g = frame.f_globals
        package = g.get("__package__") or g["__spec__"].parent
        resolved = importlib.util.resolve_name("." * level + name, package)
    else:
        resolved = name
    out = [caller_record(frame, resolved)]
    if fromlist and "__path__" in vars(module):
        names = []
        for item in fromlist:
            names.extend(vars(module).get("__all__", ()) if item == "*" else [item])
        for item in names:
            full = module.__name__ + "." + item
            sub = sys.modules.get(full)
            if sub is not None and vars(module).get(item) is sub:
                out.append(caller_record(frame, full))
    records.extend(out)
    return module


def recording_import_module(name, package=None):
    module = original_import_module(name, package)
    resolved = importlib.util.resolve_name(name, package) if name.startswith(".") else name
    records.append(caller_record(sys._getframe(1), resolved))
    return module


builtins.__import__ = recording_import
importlib.import_module = recording_import_module
import main  # noqa: E402
builtins.__import__ = original_import
importlib.import_module = original_import_module
"""


def tree_importers(root):
    names = set()
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.add(".".join(parts))
    return names


def test_matches_a_native_import_wrapper(tree, namespace):
    root = tree(DIFFERENTIAL_TREE)
    importers = tree_importers(root)
    script = NATIVE_RECORDER + f"\nresult = [r for r in records if r[0] in {sorted(importers)!r}]\n"
    native = run_native(root, script)
    namespace.record_imports()
    namespace.import_module("main")
    ours = [list(r) for r in namespace.import_log if r.importer in importers]
    assert sorted(map(tuple, ours)) == sorted(map(tuple, native))
    # The module-level edges alone, as issue 13 compares them with a static graph.
    module_level = {(r[0], r[1]) for r in ours if r[4]}
    assert module_level == {(r[0], r[1]) for r in native if r[4]}
    assert ("main", "app.extra") in module_level
    assert ("main", "string") not in module_level
