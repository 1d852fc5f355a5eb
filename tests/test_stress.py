"""Concurrency under pressure: many threads and namespaces importing at once, imports racing
invalidate_caches(), reload() and close(), blocking I/O with the thread detached, and re-entrant
imports from finders and hooks.

Each test is bounded: threads are joined with a timeout and a hung thread fails the test (the
pytest-timeout mark is a last resort). Each checks that no unexpected exception was raised, that
each module body ran once per namespace, and (the autouse fixture) that the host is unchanged.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import types

import pytest

import importspace

JOIN_TIMEOUT = 120  # seconds a stress thread may take before the test calls it hung

pytestmark = pytest.mark.timeout(600)


def write_stress_tree(root, modules=500, fanout=10):
    """A tree of `modules` modules in nested packages (`fanout` per package, two levels deep).

    Each module records its execution in the `stress_log` module and imports two modules with
    lower numbers, so threads importing in different orders meet on shared dependencies. Every
    body ends with `DONE = True`: a thread that gets a module without it got a partial one.
    Returns the dotted names, in number order.
    """
    names = []
    per_sub = fanout
    per_top = fanout * fanout
    for i in range(modules):
        top, sub = divmod(i, per_top)
        sub //= per_sub
        names.append(f"st{top}.s{sub}.m{i}")
    for name in names:
        parts = name.split(".")
        for depth in range(1, len(parts)):
            init = root.joinpath(*parts[:depth], "__init__.py")
            if not init.exists():
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text("import stress_log\nstress_log.executed.append(__name__)\n")
    rng = random.Random(4)
    for i, name in enumerate(names):
        deps = sorted({names[rng.randrange(i)] for _ in range(2)}) if i else []
        # `import a.b.c as d` reads `sys.modules` when the parent lacks the attribute: another
        # thread that loaded `a.b.c` binds it on `a.b` only after the load, which CPython does
        # not wait for. So no body reaches a dependency through the attribute chain.
        body = ["import stress_log", *(f"import {d} as dep{k}" for k, d in enumerate(deps))]
        body += [
            "stress_log.executed.append(__name__)",
            *(f"assert dep{k}.DONE" for k in range(len(deps))),
            "DONE = True",
        ]
        root.joinpath(*name.split(".")).with_suffix(".py").write_text("\n".join(body) + "\n")
    return names


def new_log():
    """The `stress_log` module a namespace's tree records executions in (never in the host)."""
    log = types.ModuleType("stress_log")
    log.executed = []
    return log


def stress_namespace(root, log=None):
    ns = importspace.Namespace(path=[str(root), *sys.path])
    ns.modules["stress_log"] = log or new_log()
    return ns


def run_threads(targets):
    """Start one thread per callable, join them all; returns the exceptions they raised."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [t for t in threads if t.is_alive()]
    assert not hung, f"{len(hung)} of {len(threads)} threads hung"
    return errors


def executions(log):
    counts = {}
    for name in log.executed:
        counts[name] = counts.get(name, 0) + 1
    return counts


def assert_each_ran_once(ns, names):
    counts = executions(ns.modules["stress_log"])
    twice = {n: c for n, c in counts.items() if c != 1}
    assert not twice, f"module bodies ran more than once: {sorted(twice)[:5]}"
    missing = [n for n in names if n not in counts]
    assert not missing, f"never executed: {missing[:5]}"
    for name in names:
        assert ns.modules[name].DONE


@pytest.fixture(scope="module")
def stress_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("stress")
    return root, write_stress_tree(root)


@pytest.fixture(autouse=True)
def no_bytecode_writes(monkeypatch):
    # Hundreds of threads and namespaces writing pycs would test the file system, not us; the
    # concurrent-writer test in test_faults_disk.py covers pyc writes.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def test_16_threads_import_a_500_module_tree_in_one_namespace(stress_tree):
    root, names = stress_tree
    ns = stress_namespace(root)
    got = {}

    def importer(seed):
        order = list(names)
        random.Random(seed).shuffle(order)
        for name in order:
            module = ns.import_module(name)
            # A fully initialised module: its body ran to the end.
            assert module.DONE, name
            got.setdefault(seed, set()).add(module.__name__)

    errors = run_threads([lambda s=s: importer(s) for s in range(16)])
    # The tree has no cycles, so no thread can meet a deadlock: any exception is a failure.
    assert not errors, errors[:3]
    assert all(len(got[s]) == len(names) for s in range(16))
    assert_each_ran_once(ns, names)
    assert ns._live_locks() == 0
    ns.close()


def test_8_namespaces_imported_from_8_threads_at_once(stress_tree):
    root, names = stress_tree
    spaces = [stress_namespace(root) for _ in range(8)]

    def importer(ns, seed):
        order = list(names)
        random.Random(seed).shuffle(order)
        for name in order:
            assert ns.import_module(name).DONE

    errors = run_threads([lambda ns=ns, i=i: importer(ns, i) for i, ns in enumerate(spaces)])
    assert not errors, errors[:3]
    for ns in spaces:
        assert_each_ran_once(ns, names)
    # Each namespace has its own module objects.
    tops = {id(ns.modules[names[-1]]) for ns in spaces}
    assert len(tops) == len(spaces)
    for ns in spaces:
        ns.close()


def test_imports_racing_invalidate_caches(stress_tree):
    root, names = stress_tree
    ns = stress_namespace(root)
    done = threading.Event()

    def invalidator():
        while not done.is_set():
            ns.invalidate_caches()

    def importer(seed):
        order = list(names)
        random.Random(seed).shuffle(order)
        for name in order:
            assert ns.import_module(name).DONE

    def importers_then_stop():
        try:
            errors.extend(run_threads([lambda s=s: importer(s) for s in range(6)]))
        finally:
            done.set()

    errors = []
    errors += run_threads([invalidator, invalidator, importers_then_stop])
    assert not errors, errors[:3]
    assert_each_ran_once(ns, names)
    ns.close()


def test_imports_racing_reload(tree):
    files = {"stress_log.py": "executed = []\n"}
    for i in range(40):
        files[f"r{i}.py"] = (
            "import stress_log\nstress_log.executed.append(__name__)\n"
            f"import r{(i + 1) % 40}\nDONE = True\n"
        )
    root = tree(files)
    ns = importspace.Namespace(path=[str(root), *sys.path])
    log = ns.import_module("stress_log")
    ns.import_module("r0")  # the whole cycle, once
    reloads = {}
    lock = threading.Lock()

    # Each reloader owns a third of the modules: `reload` of a module that another thread is
    # reloading returns at once without running it (`importlib._RELOADING`), natively too, so
    # only disjoint sets give an exact count.
    def reloader(seed):
        rng = random.Random(seed)
        for _ in range(60):
            name = f"r{rng.randrange(seed, 40, 3)}"
            reloaded = ns.reload(ns.modules[name])
            assert reloaded is ns.modules[name]
            with lock:
                reloads[name] = reloads.get(name, 0) + 1

    def importer(seed):
        rng = random.Random(seed)
        for _ in range(400):
            assert ns.import_module(f"r{rng.randrange(40)}").DONE

    errors = run_threads(
        [lambda s=s: reloader(s) for s in range(3)] + [lambda s=s: importer(s) for s in range(3)]
    )
    assert not errors, errors[:3]
    counts = executions(log)
    # Each body ran once at import, then once per reload; nothing else ran it.
    assert counts == {f"r{i}": 1 + reloads.get(f"r{i}", 0) for i in range(40)}
    ns.close()


def test_imports_racing_close(stress_tree):
    root, names = stress_tree
    for attempt in range(5):
        log = new_log()
        ns = stress_namespace(root, log)
        started = threading.Barrier(5)

        def importer(seed, ns=ns, started=started):
            order = list(names)
            random.Random(seed).shuffle(order)
            started.wait()
            for name in order:
                try:
                    # No check of DONE: a thread waiting for a module whose body close() cut
                    # short gets that module back, as CPython's import gives a waiting thread
                    # a module whose load failed.
                    ns.import_module(name)
                except importspace.NamespaceClosedError:
                    return

        def closer(ns=ns, started=started, attempt=attempt):
            started.wait()
            time.sleep(0.01 * attempt)
            ns.close()

        errors = run_threads([lambda s=s: importer(s) for s in range(4)] + [closer])
        # The only error a thread may meet is the namespace saying it is closed (caught above);
        # any other (an ImportError for a missing parent, a KeyError) would show here, and a
        # body run twice in the log.
        assert not errors, errors[:3]
        assert all(count == 1 for count in executions(log).values())
        with pytest.raises(importspace.NamespaceClosedError):
            ns.import_module(names[0])


def test_a_thread_blocked_reading_a_file_lets_others_run(tree, monkeypatch):
    # The pyc path is a FIFO: reading it blocks until someone writes. A loader that read with
    # the GIL held (or attached to the interpreter) would freeze every other thread.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree({"blocked.py": "VALUE = 42\n"})
    cache = root / "__pycache__"
    cache.mkdir()
    fifo = cache / f"blocked.{sys.implementation.cache_tag}.pyc"
    os.mkfifo(fifo)
    ns = importspace.Namespace(path=[str(root), *sys.path])
    result = {}

    def importer():
        result["module"] = ns.import_module("blocked")

    thread = threading.Thread(target=importer)
    thread.start()
    # Python code keeps running here while the importer waits in read().
    deadline = time.monotonic() + 0.5
    spins = 0
    while time.monotonic() < deadline:
        spins += 1
    assert thread.is_alive(), "the import did not block on the FIFO"
    # Unblock it with bytes that are no pyc: the loader falls back to the source.
    with open(fifo, "wb") as writer:
        writer.write(b"not a pyc")
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert result["module"].VALUE == 42
    assert spins > 10_000
    ns.close()


def test_reentrant_imports_from_a_finder_and_a_path_hook(tree):
    root = tree(
        {
            "target_mod.py": "VALUE = 1\n",
            "helper_a.py": "A = 1\n",
            "helper_b.py": "B = 1\n",
            "pkg/__init__.py": "from . import sub\nfrom .sub import X\n",
            "pkg/sub.py": "import pkg\nX = 2\n",
        }
    )
    ns = importspace.Namespace(path=[str(root), *sys.path])
    seen = []

    class ImportingFinder:
        """A meta-path finder that imports other modules while it is asked for one."""

        def find_spec(self, name, path=None, target=None):
            if name == "target_mod":
                seen.append(ns.import_module("helper_a").A)
            return None

    busy = threading.local()

    def importing_hook(entry):
        # The nested import asks the hooks about the same entry again: without the guard it
        # would recurse without end, natively too.
        if entry == str(root) and not getattr(busy, "on", False):
            busy.on = True
            try:
                seen.append(ns.import_module("helper_b").B)
            finally:
                busy.on = False
        raise ImportError("not mine")

    ns.meta_path.insert(0, ImportingFinder())
    ns.path_hooks.insert(0, importing_hook)
    ns.path_importer_cache.clear()
    errors = run_threads([lambda: ns.import_module("target_mod") for _ in range(4)])
    assert not errors, errors
    assert ns.modules["target_mod"].VALUE == 1
    assert seen and set(seen) == {1}
    # A package whose __init__ imports its own submodule, which imports the package back.
    assert ns.import_module("pkg").X == 2
    ns.close()
