"""Closing a namespace frees it: its modules, its namespace object and everything its code
registered in process-wide registries.

A module object can die while a registry still holds its `__dict__` (a function registered with
`atexit`, `os.register_at_fork`, `codecs.register` or `copyreg.pickle` keeps its globals alive), so
the weak references here point at the modules *and* at the functions and classes defined in them
(`canaries`).

Process-wide state that cannot be rolled back from Python is stated precisely (see the docstrings):
`os.register_at_fork` has no unregister, `codecs.unregister` exists from 3.10 only, and
single-phase C extension modules (and built-ins) live as long as the interpreter.
"""

from __future__ import annotations

import codecs
import copyreg
import gc
import importlib.machinery
import inspect
import json
import linecache
import os
import subprocess
import sys
import textwrap
import traceback
import types
import weakref
from pathlib import Path

import pytest
from difftools import STDLIB_DIRS

import importspace


def _is_extension(module) -> bool:
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    return origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _process_wide(ns, name: str, module) -> bool:
    """Modules CPython keeps for the interpreter's lifetime, whoever imported them: the host's
    own objects (shared), built-ins, and single-phase extension modules: a second load of the
    same file returns the same object, or (when the host lacks it, 3.9) a copy of the first
    module's dict whose built-in functions are still bound to the first module, which CPython's
    per-extension cache (`m_copy`) keeps for the life of the process. Checked by loading it in a
    second namespace."""
    if any(module is m for m in list(sys.modules.values())):
        return True
    if name in sys.builtin_module_names:
        return True
    if _is_extension(module):
        probe = importspace.Namespace(path=list(ns.path))
        try:
            again = probe.import_module(name)
            return again is module or any(
                getattr(value, "__self__", None) is module for value in vars(again).values()
            )
        finally:
            probe.close()
    return False


def canaries(ns) -> dict[str, weakref.ref]:
    """Weak references to every module `ns` owns, and to each function and class defined in
    them, keyed by a readable name (`mod`, `mod.func()`, `mod.Class`)."""
    owned, process_wide = {}, list(sys.modules.values())
    for name, module in list(ns.modules.items()):
        if module is not None:
            if _process_wide(ns, name, module):
                process_wide.append(module)
            else:
                owned[name] = module
    # Classes a module re-exports from a process-wide one (`ast.AST` is `_ast.AST`) are not its.
    foreign = {id(v) for m in process_wide for v in list(vars(m).values()) if isinstance(v, type)}
    refs = {}
    for name, module in owned.items():
        refs[name] = weakref.ref(module)
        namespace = vars(module)
        for attr, value in list(namespace.items()):
            if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
                refs[f"{name}.{attr}()"] = weakref.ref(value)
            elif (
                isinstance(value, type)
                and value.__dict__.get("__module__") == name
                and id(value) not in foreign
            ):
                refs[f"{name}.{attr}"] = weakref.ref(value)
    refs["<namespace sys>"] = weakref.ref(ns.sys)
    refs["<namespace builtins>"] = weakref.ref(ns.builtins)
    return refs


def survivors(refs: dict[str, weakref.ref]) -> list[str]:
    gc.collect()
    gc.collect()
    return sorted(key for key, ref in refs.items() if ref() is not None)


APP_TREE = {
    "app/__init__.py": "from . import core, util\n",
    "app/core.py": """
        {imports}
        import helper


        class Record:
            def __init__(self, value):
                self.value = value


        def make(value):
            return Record(helper.double(value))
    """,
    "app/util.py": """
        def counter():
            count = 0

            def step():
                nonlocal count
                count += 1
                return count

            return step


        STEP = counter()
    """,
    "helper.py": """
        def double(x):
            return 2 * x
    """,
}


def _write_app(root: Path, imports: tuple[str, ...]) -> None:
    for rel, text in APP_TREE.items():
        text = textwrap.dedent(text)
        if "{imports}" in text:
            text = text.replace("{imports}", "\n".join(f"import {m}" for m in imports) or "")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _load_and_close(root: Path, imports: tuple[str, ...]) -> tuple[dict, weakref.ref]:
    """Create a namespace over root and the stdlib, load the app (which imports `imports`), use
    it, take canaries, close it; returns the canaries and a weak reference to the namespace."""
    _write_app(root, imports)
    ns = importspace.Namespace(path=[str(root), *STDLIB_DIRS])
    app = ns.import_module("app")
    assert app.core.make(2).value == 4
    assert app.util.STEP() == 1
    for name in imports:
        assert name in ns.modules
    refs = canaries(ns)
    assert {"app", "app.core", "app.util", "helper", "app.core.Record"} <= set(refs)
    ns_ref = weakref.ref(ns)
    del app
    ns.close()
    del ns
    return refs, ns_ref


@pytest.mark.parametrize(
    "imports",
    [(), ("json",), ("json", "dataclasses")],
    ids=["own-tree", "json", "json+dataclasses"],
)
def test_close_frees_every_module_it_loaded(tmp_path, imports):
    refs, ns_ref = _load_and_close(tmp_path, imports)
    assert survivors(refs) == []
    assert ns_ref() is None


FRESH_HOST_SCRIPT = """
from __future__ import annotations
import gc, importlib.machinery, json, sys, types, weakref
import importspace

{helpers}

ns = importspace.Namespace(path={path!r})
for name in {imports!r}:
    ns.import_module(name)
refs = canaries(ns)
refs["<namespace>"] = weakref.ref(ns)
ns.close()
del ns
print(json.dumps(survivors(refs)))
"""


@pytest.mark.parametrize("imports", [("ast",), ("json", "dataclasses")], ids=["ast", "dataclasses"])
def test_close_frees_every_module_in_a_fresh_host(tmp_path, imports):
    """The same in a host that has imported nothing but importspace, so the namespace is the
    first to import these modules in the process: `ast` then sets its compatibility properties
    (`Constant.n`, `.s`, ...) on the process-wide `_ast` classes only if they are missing, so
    the first `ast` to run, here the namespace's, is the one they keep alive."""
    helpers = "\n\n".join(
        inspect.getsource(f) for f in (_is_extension, _process_wide, canaries, survivors)
    )
    script = FRESH_HOST_SCRIPT.format(
        helpers=helpers, path=[str(tmp_path), *STDLIB_DIRS], imports=imports
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize(
    "imports",
    [("ast",), ("random",), ("threading",), ("logging",), ("weakref",)],
    ids=["ast", "random", "threading", "logging", "weakref"],
)
def test_close_frees_modules_that_touch_process_wide_state(tmp_path, imports):
    """Standard library modules whose import registers something process-wide:
    - `ast` sets compatibility properties on the built-in `_ast` classes, but only when they are
      missing; this host imported `ast` first, so here it registers nothing (the first-import
      case is `test_close_frees_every_module_in_a_fresh_host[ast]`);
    - `random` (`_inst.seed`), `threading` (`_after_fork`) and `logging` (lock re-init) call
      `os.register_at_fork`, which has no unregister;
    - `logging` also calls `atexit.register(shutdown)`;
    - `weakref` registers `finalize._exitfunc` with atexit on first `finalize` use only (a control
      case: importing it registers nothing);
    - any of them importing `re` runs `copyreg.pickle(re.Pattern, re._pickle)`."""
    refs, ns_ref = _load_and_close(tmp_path, imports)
    assert survivors(refs) == []
    assert ns_ref() is None


def test_namespace_object_dies_with_its_modules(tmp_path):
    _write_app(tmp_path, ("json",))
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    app = ns.import_module("app")
    refs = {"ns": weakref.ref(ns), "app": weakref.ref(app), "sys": weakref.ref(ns.sys)}
    del app, ns
    assert survivors(refs) == []


# ----------------------------------------------------------------------------- memory, 100 cycles

RSS_SCRIPT = """
import gc, json, os, sys, time
import importspace

STDLIB_DIRS = {dirs!r}
MODULES = ("json", "dataclasses", "logging", "typing", "argparse", "email", "email.message")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cycle():
    ns = importspace.Namespace(path=list(STDLIB_DIRS))
    for name in MODULES:
        ns.import_module(name)
    ns.close()
    del ns
    gc.collect()


start = time.perf_counter()
for _ in range({warmup}):
    cycle()
warm = time.perf_counter() - start
before = rss()
start = time.perf_counter()
for _ in range({cycles}):
    cycle()
seconds = time.perf_counter() - start
gc.collect()
after = rss()
print(json.dumps({{"warmup_seconds": warm, "seconds": seconds, "rss_before": before,
                  "rss_after": after, "cycles": {cycles}}}))
"""


@pytest.mark.timeout(600)
def test_hundred_cycles_keep_memory_flat(tmp_path):
    """100 create / import a stdlib-heavy set / close cycles in a fresh process, after 5 warm-up
    cycles: resident memory grows by at most 5 MB."""
    script = RSS_SCRIPT.format(dirs=STDLIB_DIRS, warmup=5, cycles=100)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=590, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.splitlines()[-1])
    growth = figures["rss_after"] - figures["rss_before"]
    report = (
        f"RSS {figures['rss_before'] / 1e6:.1f} MB after warm-up -> "
        f"{figures['rss_after'] / 1e6:.1f} MB after {figures['cycles']} cycles "
        f"(+{growth / 1e6:.1f} MB, {growth / figures['cycles'] / 1e3:.0f} kB/cycle); "
        f"{figures['seconds']:.1f} s for the cycles "
        f"({figures['seconds'] / figures['cycles'] * 1e3:.0f} ms/cycle)"
    )
    print(report)
    assert growth <= 5 * 1024 * 1024, report


# --------------------------------------------------------------------- process-wide registries


def test_encodings_is_shared_not_reimported(tmp_path):
    """`encodings` registers its search function with the process-wide codec registry when it
    runs: a namespace uses the host's package and modules, and so the registry's cached codecs."""
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    try:
        for name in [n for n in sys.modules if n == "encodings" or n.startswith("encodings.")]:
            assert ns.import_module(name) is sys.modules[name], name
        scope = {"__builtins__": ns.builtins.__dict__}
        exec(
            "import codecs\n"
            "info = codecs.lookup('utf-8')\n"
            "data = 'h\\u00e9llo'.encode('utf-8').decode('latin-1')\n",
            scope,
        )
        assert scope["info"] is codecs.lookup("utf-8")
        assert scope["data"] == "h\u00c3\u00a9llo"
        owned = [n for n, m in ns.modules.items() if n.startswith("encodings") and m is not None]
        assert all(ns.modules[n] is sys.modules.get(n) for n in owned), owned
    finally:
        ns.close()


CODEC_NAME = "importspace_test_codec"


@pytest.mark.skipif(sys.version_info < (3, 10), reason="codecs.unregister is 3.10+")
def test_codec_registered_inside_is_unregistered_at_close(tmp_path):
    """The codec registry is process-wide: a search function registered by namespaced code
    answers the host too while the namespace lives. Closing the namespace unregisters it
    (`codecs.unregister`, 3.10+, which also clears the lookup cache)."""
    (tmp_path / "mycodec.py").write_text(
        textwrap.dedent(
            f"""
            import codecs


            def search(name):
                if name == {CODEC_NAME!r}:
                    return codecs.lookup("utf-8")
                return None


            codecs.register(search)
            """
        )
    )
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    ref = weakref.ref(ns.import_module("mycodec").search)
    try:
        assert codecs.lookup(CODEC_NAME).name == "utf-8"
        ns.close()
        del ns
        with pytest.raises(LookupError):
            codecs.lookup(CODEC_NAME)
        assert survivors({"mycodec.search()": ref}) == []
    finally:
        if ref() is not None:
            codecs.unregister(ref())


@pytest.mark.skipif(sys.version_info >= (3, 10), reason="3.9 has no codecs.unregister")
def test_codec_registered_inside_stays_registered_on_39(tmp_path):
    """3.9 cannot unregister a codec search function: after close it still answers, and it
    keeps the namespaced module's globals alive. (Documented limitation.)"""
    (tmp_path / "mycodec39.py").write_text(
        "import codecs\n\n\n"
        "def search(name):\n"
        f"    return codecs.lookup('utf-8') if name == {CODEC_NAME + '39'!r} else None\n\n\n"
        "codecs.register(search)\n"
    )
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    ref = weakref.ref(ns.import_module("mycodec39").search)
    ns.close()
    del ns
    assert codecs.lookup(CODEC_NAME + "39").name == "utf-8"
    assert survivors({"mycodec39.search()": ref}) == ["mycodec39.search()"]


# `import logging` registers `logging.shutdown`, then the module registers `bye`. The handler
# shows when the namespace's `logging.shutdown` runs (it flushes every handler).
EXITING = """
import atexit
import logging


class Loud(logging.Handler):
    def emit(self, record):
        pass

    def flush(self):
        print("logging.shutdown flushed", flush=True)


logging.getLogger("exiting").addHandler(Loud())


def bye():
    print("bye", flush=True)


atexit.register(bye)
"""


def test_atexit_nothing_left_after_close(tmp_path, capsys):
    """`import logging` calls `atexit.register(logging.shutdown)`; namespaced code may register
    its own callbacks. Close runs them (last first) and leaves none in the process-wide atexit
    list: the list holds its callbacks strongly, so weak references to the namespace's `bye` and
    `logging.shutdown` die with the namespace only if they were unregistered.
    (`atexit._ncallbacks()` cannot tell: `atexit.unregister` leaves a slot it still counts on some
    versions.) The run at interpreter exit is `test_atexit_none_runs_at_exit_after_close`."""
    (tmp_path / "exiting.py").write_text(EXITING)
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    exiting = ns.import_module("exiting")
    ns_logging = ns.modules["logging"]
    assert ns_logging is not sys.modules.get("logging")
    refs = {
        "exiting.bye()": weakref.ref(exiting.bye),
        "logging.shutdown()": weakref.ref(ns_logging.shutdown),
        "<namespace>": weakref.ref(ns),
    }
    del exiting, ns_logging
    capsys.readouterr()
    ns.close()
    assert capsys.readouterr().out == "bye\nlogging.shutdown flushed\n"
    del ns
    assert survivors(refs) == []


ATEXIT_AT_EXIT_SCRIPT = """
import atexit
import importspace

ns = importspace.Namespace(path={path!r})
exiting = ns.import_module("exiting")  # kept alive to the end: only unregistering stops them
atexit.register(lambda: print("host callback at exit", flush=True))
print("closing", flush=True)
ns.close()
print("closed", flush=True)
"""


def test_atexit_none_runs_at_exit_after_close(tmp_path):
    """A fresh process: after close, neither `bye` nor the namespace's `logging.shutdown` runs
    again at interpreter exit (registered before the host's callback, they would run after it),
    even though the namespace's module is still referenced."""
    (tmp_path / "exiting.py").write_text(EXITING)
    script = ATEXIT_AT_EXIT_SCRIPT.format(path=[str(tmp_path), *STDLIB_DIRS])
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "closing",
        "bye",
        "logging.shutdown flushed",
        "closed",
        "host callback at exit",
    ]
    assert proc.stderr == ""


ATEXIT_SCRIPT = """
import atexit, sys
import importspace

ns = importspace.Namespace(path={path!r})
exec(
    "import atexit\\n"
    "def first():\\n    print('first callback', flush=True)\\n"
    "def second():\\n    print('second callback', flush=True)\\n"
    "atexit.register(first)\\n"
    "atexit.register(second)\\n",
    {{"__builtins__": ns.builtins.__dict__}},
)
atexit.register(lambda: print("host callback", flush=True))
print("closing", flush=True)
ns.close()
print("closed", flush=True)
"""


def test_atexit_callbacks_of_a_namespace_run_at_close(tmp_path):
    """The decision: a namespace's atexit callbacks belong to the namespace's lifetime, as a
    subinterpreter's do (`Py_EndInterpreter` runs them). `close()` runs them once, last registered
    first, and they do not run again at interpreter exit; the host's own run at exit as usual."""
    script = ATEXIT_SCRIPT.format(path=[str(tmp_path), *STDLIB_DIRS])
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "closing",
        "second callback",
        "first callback",
        "closed",
        "host callback",
    ]


def test_host_linecache_does_not_pin_a_closed_namespace(tmp_path):
    """The host formats a traceback from namespaced code lazily (`lookup_lines=False`), which
    leaves `linecache.cache` entries holding `partial(module.__loader__.get_source, name)`;
    `linecache.lazycache` with the module's globals does the same. After close, those entries
    must not keep the namespace or its modules alive."""
    (tmp_path / "raiser.py").write_text("def fail():\n    raise ValueError('from inside')\n")
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    raiser = ns.import_module("raiser")
    try:
        raiser.fail()
    except ValueError as exc:
        summary = traceback.TracebackException.from_exception(exc, lookup_lines=False)
    linecache.lazycache(raiser.__file__, vars(raiser))
    entry = linecache.cache.get(raiser.__file__)
    assert entry is not None and len(entry) == 1  # a lazy entry
    refs = canaries(ns)
    refs["<namespace>"] = weakref.ref(ns)
    del raiser, summary, entry
    ns.close()
    del ns
    try:
        assert survivors(refs) == []
    finally:
        for key in [k for k in linecache.cache if k.startswith(str(tmp_path))]:
            del linecache.cache[key]


def test_copyreg_dispatch_table_after_close(tmp_path):
    """Namespaced code registers a reducer with `copyreg.pickle`, and the namespace's `re` does
    too (`copyreg.pickle(re.Pattern, re._pickle)`, keyed by the process-wide C type). Whichever
    `copyreg` the namespace gets, after close the host's `copyreg.dispatch_table` is as it was
    (the host's own `re.Pattern` reducer included) and pins nothing of the namespace."""
    (tmp_path / "reducers.py").write_text(
        "import copyreg\nimport re\n\n\nclass Thing:\n    pass\n\n\n"
        "def reduce_thing(t):\n    return (Thing, ())\n\n\n"
        "copyreg.pickle(Thing, reduce_thing)\n"
    )
    before = dict(copyreg.dispatch_table)
    ns = importspace.Namespace(path=[str(tmp_path), *STDLIB_DIRS])
    reducers = ns.import_module("reducers")
    refs = {
        "reducers.Thing": weakref.ref(reducers.Thing),
        "reducers.reduce_thing()": weakref.ref(reducers.reduce_thing),
        "re._pickle()": weakref.ref(reducers.re._pickle),
        "<namespace>": weakref.ref(ns),
    }
    del reducers
    ns.close()
    del ns
    try:
        assert survivors(refs) == []
        assert copyreg.dispatch_table == before
    finally:
        for key in set(copyreg.dispatch_table) - set(before):
            del copyreg.dispatch_table[key]
        copyreg.dispatch_table.update(before)


HOST_STATE_SCRIPT = """
import gc, json, sys
import importspace

def state():
    return (
        {{k: id(v) for k, v in sys.modules.items()}},
        list(sys.path), [id(f) for f in sys.meta_path], [id(h) for h in sys.path_hooks],
        sorted(sys.path_importer_cache),
    )

MODULES = {modules!r}
before = state()
ns = importspace.Namespace(path={path!r})
errors = {{}}
for name in MODULES:
    try:
        ns.import_module(name)
    except BaseException as exc:
        errors[name] = f"{{type(exc).__name__}}: {{exc}}"
during = state()
# Default-shared modules this host had not imported and the namespace took from it.
first_shared = sorted(
    name for name in {shared!r}
    if name not in before[0] and name in ns.modules and ns.modules[name] is sys.modules.get(name)
)
ns.close()
del ns
gc.collect()
after = state()

def diff(a, b):
    return {{
        "modules added": sorted(set(b[0]) - set(a[0])),
        "modules removed": sorted(set(a[0]) - set(b[0])),
        "modules replaced": sorted(k for k in a[0] if k in b[0] and a[0][k] != b[0][k]),
        "path": a[1] != b[1], "meta_path": a[2] != b[2], "path_hooks": a[3] != b[3],
        "importer cache added": sorted(set(b[4]) - set(a[4])),
    }}

print(json.dumps({{"errors": errors, "first shared": first_shared,
                  "during": diff(before, during), "after": diff(before, after)}}))
"""

# What the host's own import of some modules adds to a host that has imported only importspace.
HOST_IMPORT_SCRIPT = """
import json, sys
import importspace

before = set(sys.modules)
for name in {names!r}:
    __import__(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""

# Shared by default and imported by the host's import system when a namespace first needs them
# and the host has not imported them yet (the documented deviation; see src/import/shared.rs).
HOST_IMPORTED_SHARED = ("warnings", "ast", "copyreg", "threading")

# Pure-Python and C (single- and multi-phase) standard library modules.
HEAVY = (
    "json",
    "decimal",
    "socket",
    "select",
    "array",
    "pickle",
    "datetime",
    "hashlib",
    "zlib",
    "struct",
    "unicodedata",
    "mmap",
    "ctypes",
    "sqlite3",
    "csv",
    "email.message",
    "logging",
    "asyncio",
    "xml.etree.ElementTree",
)


def _fresh_host(script: str, cwd: Path) -> object:
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_host_import_state_unchanged_in_a_fresh_host(tmp_path):
    """A fresh host that has imported nothing but importspace: a namespace imports a heavy mix of
    pure-Python and C stdlib modules, then closes. The host's sys.modules objects, path,
    meta_path, path_hooks and path_importer_cache are unchanged, during and after. The one
    documented deviation: the default-shared modules the host had not imported (of `warnings`,
    `ast`, `copyreg`, `threading`) are imported by the host's import system on first use, and so
    are exactly the modules that host import pulls in (3.11: `warnings`, `ast`, `_ast`; 3.9 and
    3.10 add `contextlib`, which their `ast` imports; 3.13's host has `warnings` already);
    nothing else."""
    script = HOST_STATE_SCRIPT.format(
        modules=HEAVY, path=[str(tmp_path), *STDLIB_DIRS], shared=HOST_IMPORTED_SHARED
    )
    found = _fresh_host(script, tmp_path)
    assert found["first shared"], "the namespace work took no shared module from a fresh host"
    host_imports = _fresh_host(HOST_IMPORT_SCRIPT.format(names=found["first shared"]), tmp_path)
    assert set(found["first shared"]) <= set(host_imports)
    expected_state = {
        "modules added": host_imports,
        "modules removed": [],
        "modules replaced": [],
        "path": False,
        "meta_path": False,
        "path_hooks": False,
        "importer cache added": [],
    }
    assert found == {
        "errors": {},
        "first shared": found["first shared"],
        "during": expected_state,
        "after": expected_state,
    }


FORK_SCRIPT = """
import gc, os, sys
import importspace

ns = importspace.Namespace(path={path!r})
for name in ("random", "threading", "logging"):
    ns.import_module(name)
ns.close()
del ns
gc.collect()
pid = os.fork()
if pid == 0:
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child status", status)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_close_is_clean(tmp_path):
    """`random`, `threading` and `logging` register `os.register_at_fork` callbacks, which cannot
    be unregistered. Forking after the namespace closed must not raise in those callbacks."""
    script = FORK_SCRIPT.format(path=[str(tmp_path), *STDLIB_DIRS])
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["child status 0"]
    assert proc.stderr == ""
