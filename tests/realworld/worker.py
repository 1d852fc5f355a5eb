"""One package of the real-world corpus in one fresh process (started by run.py, never imported).

    python -S worker.py native SPEC EVENTS
    python -S worker.py namespace SPEC EVENTS

SPEC is a JSON file (run.py writes it): the distribution, its top import names, the install
folder, the modules to leave out, the per-module time limit, the smoke call, and for `namespace`
the native run's module list and the shared set. EVENTS is a file of JSON lines this process
appends to and flushes as it goes, so run.py knows how far it got if it dies: a `start` line
before each import, a `result` line after it.

`native`: the host's sys.path is the standard library plus the install folder; walk each top
package (pkgutil.iter_modules, depth first, as pkgutil.walk_packages does, importing packages to
find their submodules) and import every module found, in order; then the smoke call.

`namespace`: the host's sys.path is the standard library only. A first
`importspace.Namespace(path=sys.path + [site])` walks with its own pkgutil and imports the same
way, then the native run's modules it did not reach; the host's import state is compared with a
snapshot taken before the namespace existed; host code runs the smoke call on the namespace's
modules; then a second namespace imports the same list.

Run with `-S` so the venv's site-packages (pytest, packaging, pip, setuptools' distutils shim) are
not on the path: the corpus pins its own versions of those.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback

EVENTS = None


def emit(**event) -> None:
    EVENTS.write(json.dumps(event, default=repr) + "\n")
    EVENTS.flush()


class ModuleTimeout(BaseException):
    """Raised by SIGALRM when one import (or the smoke call) runs past its limit."""


def _alarm(signum, frame):
    raise ModuleTimeout("no result within the per-module time limit")


def describe(exc: BaseException) -> dict:
    """Type, message and the innermost frames of an exception, JSON-able."""
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = f"{cls.__module__}.{name}"
    try:
        message = str(exc)
    except BaseException as inner:  # noqa: BLE001 - a broken __str__
        message = f"<str() failed: {type(inner).__name__}>"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__][-4:]
    return {
        "type": name,
        "message": message[:1000],
        # The share= refusal, here or as the cause of this error (a package that wraps it:
        # pandas' "Unable to import required dependency numpy").
        "share": _refused(exc),
        "direct": isinstance(exc, ImportError) and "share=" in message,
        "where": [f"{f.filename}:{f.lineno} {f.name}" for f in frames],
    }


def _refused(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            if isinstance(exc, ImportError) and "share=" in str(exc):
                return True
        except BaseException:  # noqa: BLE001
            return False
        exc = exc.__cause__ or exc.__context__
    return False


def attempt(phase: str, name: str, import_module, limit: float, owner=None):
    """Import `name`, record it; the module or None. `owner(module)`: whether the module is
    the namespace's own (recorded as `namespaced`)."""
    emit(ev="start", phase=phase, module=name)
    t0 = time.perf_counter()
    module = error = None
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        module = import_module(name)
    except ModuleTimeout as exc:
        error = describe(exc)
        error["timeout"] = True
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... are results
        error = describe(exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    event = {"ok": error is None, "error": error, "seconds": round(time.perf_counter() - t0, 4)}
    if owner is not None and error is None:
        try:
            event["namespaced"] = bool(owner(module))
        except BaseException:  # noqa: BLE001
            event["namespaced"] = False
    emit(ev="result", phase=phase, module=name, **event)
    return module


def walk_and_import(phase, tops, import_module, iter_modules, excluded, limit, owner=None):
    """pkgutil.walk_packages over each top name, leaving out every module with a segment in
    `excluded` before importing it; each module is imported as it is found. The names in order."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str):
        seen.add(name)
        order.append(name)
        return attempt(phase, name, import_module, limit, owner)

    def recurse(path, prefix: str) -> None:
        try:
            infos = list(iter_modules(path, prefix))
        except BaseException as exc:  # noqa: BLE001
            emit(ev="walk-error", phase=phase, prefix=prefix, error=describe(exc))
            return
        for info in infos:
            name = info.name
            if name in seen or excluded.intersection(name.split(".")):
                continue
            module = visit(name)
            if info.ispkg and module is not None:
                sub = getattr(module, "__path__", None)
                if sub is not None:
                    recurse(sub, name + ".")

    for top in tops:
        if top in seen:
            continue
        module = visit(top)
        sub = getattr(module, "__path__", None) if module is not None else None
        if sub is not None:
            recurse(sub, top + ".")
    return order


def jsonable(value):
    return json.loads(json.dumps(value, default=repr, sort_keys=True))


def smoke(phase: str, spec: dict, import_module, limit: float) -> None:
    """Host code calling into the package: the spec's snippet, run here with the modules."""
    if not spec.get("smoke"):
        emit(ev="smoke", phase=phase, ok=None, result=None, error=None)
        return
    modules, code = spec["smoke"]
    namespace: dict = {"__name__": "__realworld_smoke__"}
    emit(ev="start", phase=phase, module="<smoke>")
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        namespace["m"] = {name: import_module(name) for name in modules}
        exec(compile(code, f"<smoke {spec['dist']}>", "exec"), namespace)
        result = jsonable(namespace.get("result"))
        emit(ev="smoke", phase=phase, ok=True, result=result, error=None)
    except BaseException as exc:  # noqa: BLE001
        emit(ev="smoke", phase=phase, ok=False, result=None, error=describe(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    emit(ev="result", phase=phase, module="<smoke>", ok=True, error=None, seconds=0)


# --- the host's import state -------------------------------------------------------------------


def snapshot() -> dict:
    return {
        "modules": dict(sys.modules),
        "path": list(sys.path),
        "meta_path": list(sys.meta_path),
        "path_hooks": list(sys.path_hooks),
        "importer_cache": dict(sys.path_importer_cache),
    }


def _stdlib_dirs() -> list[str]:
    import sysconfig

    dirs = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
    return [os.path.realpath(d) for d in dirs]


STDLIB_DIRS: list[str] = []


def _in_stdlib(path) -> bool:
    if not isinstance(path, str) or not os.path.isabs(path):
        return False
    real = os.path.realpath(path)
    return "site-packages" not in real and any(
        real == d or real.startswith(d + os.sep) for d in STDLIB_DIRS
    )


def is_stdlib(name: str, module) -> bool:
    names = getattr(sys, "stdlib_module_names", None)
    top = name.partition(".")[0]
    if names is not None:
        return top in names
    if top in sys.builtin_module_names:
        return True
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) or getattr(module, "__file__", None)
    if origin in ("built-in", "frozen") or _in_stdlib(origin):
        return True
    # An entry a standard-library module registers under its own name (3.9's `typing` puts its
    # `typing.io` and `typing.re` classes in sys.modules): as standard as its package.
    if top != name and top in sys.modules and module is not None:
        return not isinstance(module, type(sys)) and is_stdlib(top, sys.modules[top])
    return False


def host_changes(before: dict, after: dict, shared: list[str], namespace_of) -> dict:
    """What changed in the host's import state, sorted into allowed and not."""

    def covered(name: str) -> bool:
        return any(name == s or name.startswith(s + ".") for s in shared)

    old, new = before["modules"], after["modules"]
    shared_gained, stdlib_gained, foreign = [], [], []
    for name in new:
        if name in old:
            continue
        module = new[name]
        try:
            owner = namespace_of(module) if module is not None else None
        except BaseException:  # noqa: BLE001
            owner = None
        if owner is not None:
            foreign.append(["namespaced", name])
        elif covered(name) or name.startswith("encodings."):
            shared_gained.append(name)
        elif is_stdlib(name, module):
            stdlib_gained.append(name)
        else:
            foreign.append(["foreign", name])
    removed = sorted(n for n in old if n not in new)
    replaced = sorted(n for n in old if n in new and new[n] is not old[n])
    cache_added = [k for k in after["importer_cache"] if k not in before["importer_cache"]]
    cache_bad = [k for k in cache_added if not _in_stdlib(k)]
    cache_bad += [
        k
        for k in before["importer_cache"]
        if k not in after["importer_cache"]
        or after["importer_cache"][k] is not before["importer_cache"][k]
    ]
    # Each entry: what changed, and the name (one word) it changed under.
    polluted = sorted(foreign)
    polluted += [["removed", n] for n in removed] + [["replaced", n] for n in replaced]
    polluted += [
        ["changed", f"sys.{k}"]
        for k in ("path", "meta_path", "path_hooks")
        if after[k] != before[k]
    ]
    polluted += [["importer-cache", str(k)] for k in cache_bad]
    return {
        "pollution": polluted,
        "shared_gained": sorted(shared_gained),
        "stdlib_gained": sorted(stdlib_gained),
        "importer_cache_gained": sorted(str(k) for k in cache_added),
    }


# --- the two modes -----------------------------------------------------------------------------


def native(spec: dict) -> None:
    import importlib
    import pkgutil

    sys.path.append(spec["site"])
    excluded = set(spec["excluded"])
    limit = spec["module_timeout"]
    order = walk_and_import(
        "native", spec["imports"], importlib.import_module, pkgutil.iter_modules, excluded, limit
    )
    emit(ev="walk", phase="native", modules=order)
    smoke("native", spec, importlib.import_module, limit)


def namespace(spec: dict) -> None:
    sys.path.insert(0, spec["importspace_path"])
    import importspace

    sys.path.remove(spec["importspace_path"])
    STDLIB_DIRS.extend(_stdlib_dirs())
    shared = list(spec["shared"]) + list(sys.builtin_module_names)
    excluded = set(spec["excluded"])
    limit = spec["module_timeout"]
    native_order = spec["native_modules"]

    def mine(namespace):
        return lambda module: importspace.namespace_of(module) is namespace

    def report(stage: str) -> None:
        changes = host_changes(before, snapshot(), shared, importspace.namespace_of)
        emit(ev="host", stage=stage, **changes)

    before = snapshot()
    ns = importspace.Namespace(path=sys.path + [spec["site"]], name="first")
    emit(ev="stage", stage="first-created")
    try:
        pkgutil = ns.import_module("pkgutil")
        iter_modules = pkgutil.iter_modules
    except BaseException as exc:  # noqa: BLE001
        emit(ev="walk-error", phase="first", prefix="pkgutil", error=describe(exc))
        iter_modules = None
    if iter_modules is not None:
        order = walk_and_import(
            "first", spec["imports"], ns.import_module, iter_modules, excluded, limit, mine(ns)
        )
    else:
        order = []
    emit(ev="walk", phase="first", modules=order)
    done = set(order)
    for name in native_order:
        if name not in done:
            attempt("first", name, ns.import_module, limit, mine(ns))
            order.append(name)
    report("first")

    ns2 = importspace.Namespace(path=sys.path + [spec["site"]], name="second")
    emit(ev="stage", stage="second-created")
    for name in order:
        attempt("second", name, ns2.import_module, limit, mine(ns2))
    report("second")

    # Host code calling into the first namespace's package, last: a crash here loses nothing else.
    smoke("first", spec, ns.import_module, limit)
    report("smoke")


def preimport(spec: dict) -> None:
    """Import in the host what the smoke call imports as host code (`import io`...), so that
    the host's own imports are not taken for what the namespace did to it."""
    import importlib
    import re

    if not spec.get("smoke"):
        return
    for match in re.finditer(r"^\s*(?:import|from)\s+([\w.]+)", spec["smoke"][1], re.M):
        try:
            importlib.import_module(match.group(1))
        except ImportError:
            pass


def main() -> None:
    global EVENTS
    mode, spec_file, events_file = sys.argv[1:4]
    # Leave the worker's own folder off the path: only the standard library (and the corpus).
    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        del sys.path[0]
    with open(spec_file) as f:
        spec = json.load(f)
    EVENTS = open(events_file, "a", buffering=1)
    signal.signal(signal.SIGALRM, _alarm)
    emit(ev="begin", mode=mode, pid=os.getpid(), python=sys.version)
    preimport(spec)
    (native if mode == "native" else namespace)(spec)
    emit(ev="done")


if __name__ == "__main__":
    main()
