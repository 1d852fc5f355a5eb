"""Real compiled packages from PyPI whose extension modules import from C while they initialise,
loaded into namespaces: Cython (PyYAML's `yaml._yaml`, msgpack's `msgpack._cmsgpack`), mypyc
(charset-normalizer's `charset_normalizer.md`), pyo3 (rpds-py's `rpds.rpds`, bcrypt's
`bcrypt._bcrypt`) and numpy's `_multiarray_umath`. The versions are pinned per Python in
realpkgs.COMPILED, and installed (binary wheels only) into the cache that realpkgs.py keeps.

What must hold (docs/isolation.md, "What C code sees"; src/import/extension/overlay.rs):
- the imports such a module makes from C at init (`PyImport_ImportModuleLevelObject` for Cython
  and mypyc, `PyImport_Import` for pyo3) resolve inside the namespace: the module's globals are
  the namespace's modules and classes, and the package works;
- the host is the same afterwards: its sys.modules (keys and objects), sys.path, meta_path,
  path_hooks and path_importer_cache, `_frozen_importlib._find_and_load` and
  `builtins.__import__`; the package is not in the host's sys.modules;
- a second namespace either gets modules of its own, bound to its own modules, or the import
  fails with an ImportError that names `share=`; an extension that refuses a second load in one
  process (numpy 2.4+, pyo3 built for CPython 3.8 or older) fails that way, and
  `Namespace(share=(...))` hands in the host's module instead.

These extensions keep process-wide C state: Cython and pyo3 modules hand back the module object
of their first load, mypyc and numpy keep what their first init bound. So whatever depends on
which load comes first runs in a fresh interpreter (a "scenario": a function of this file, run
with `python -c` in a child process, returning facts as JSON). The child's host first imports the
modules a real host (and the pytest process) has: the stdlib modules whose namespaced copies the
tests compare with, and the ones namespaces share by default (see docs/compliance.md).

The installs need pip and the package registry the first time (later runs reuse the cache in
.cache/real-packages/). Without them these tests fail, unless IMPORTSPACE_OFFLINE=1 is set,
which makes them skip.
"""

from __future__ import annotations

import _frozen_importlib
import builtins
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import warnings
from pathlib import Path

import difftools
import pytest
import realpkgs

import importspace

# The first run installs six distributions with pip before its first test.
pytestmark = pytest.mark.timeout(900)

TESTS = Path(__file__).resolve().parent
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
NUMPY_REFUSES = tuple(int(part) for part in realpkgs.COMPILED["numpy"].split(".")[:2]) >= (2, 4)
# The line before a child's JSON answer on its stdout.
ANSWER = "@@importspace-scenario-answer@@"


def _within(path, folder) -> bool:
    if path is None:
        return False
    real = os.path.realpath(path)
    top = os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


def stdlib_path() -> list[str]:
    """Only the standard library's entries of the host's sys.path (see `difftools`)."""
    return difftools.stdlib_dirs()


# --- the host's import state ------------------------------------------------------------------


def host_state() -> dict:
    """Everything a namespace must leave as it was, as the conftest fixture takes it, plus the
    functions the C-level import overlay hooks for a while (src/import/extension/overlay.rs)."""
    return {
        "modules": dict(sys.modules),
        "path": list(sys.path),
        "meta_path": list(sys.meta_path),
        "path_hooks": list(sys.path_hooks),
        "path_importer_cache": dict(sys.path_importer_cache),
        "_find_and_load": _frozen_importlib._find_and_load,
        "bootstrap __import__": _frozen_importlib.__import__,
        "builtins.__import__": builtins.__import__,
    }


def _process_wide(name: str) -> bool:
    """Codec modules the one codec registry imports into the host (as in conftest.py)."""
    return name.startswith("encodings.")


def _unwrapped(function):
    """The host's own `_find_and_load` behind importspace's router, or `function` itself."""
    return getattr(function, "__wrapped__", function)


def host_changes(before: dict, *, closed: bool = False) -> list[str]:
    """How the host's import state differs from `before`, in words; [] when it is the same.
    While a namespace that loaded an extension is open (`closed` false), the host's
    `_find_and_load` may be importspace's router standing in for the same function (compiled
    code's run-time imports, docs/compliance.md); once every namespace closed, it must be the
    function itself."""
    after = host_state()
    changes = []
    added = sorted(
        n for n in set(after["modules"]) - set(before["modules"]) if not _process_wide(n)
    )
    if added:
        changes.append(f"modules added to the host's sys.modules: {added}")
    removed = sorted(set(before["modules"]) - set(after["modules"]))
    if removed:
        changes.append(f"modules removed from the host's sys.modules: {removed}")
    replaced = sorted(
        name
        for name, module in before["modules"].items()
        if name in after["modules"] and after["modules"][name] is not module
    )
    if replaced:
        changes.append(f"host modules replaced: {replaced}")
    for key in ("path", "meta_path", "path_hooks"):
        if after[key] != before[key]:
            changes.append(f"sys.{key} changed: {before[key]!r} -> {after[key]!r}")
    if set(after["path_importer_cache"]) != set(before["path_importer_cache"]):
        changes.append("sys.path_importer_cache keys changed")
    for key in ("_find_and_load", "bootstrap __import__", "builtins.__import__"):
        routed = key == "_find_and_load" and not closed
        if routed and _unwrapped(after[key]) is _unwrapped(before[key]):
            continue
        if after[key] is not before[key]:
            changes.append(f"{key} is now {after[key]!r}, was {before[key]!r}")
    return changes


# --- scenarios: run in a fresh interpreter ----------------------------------------------------

SCENARIOS = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


def _scenario_main() -> None:
    """The child's entry point: `argv[1]` names the scenario, `argv[2]` is the JSON of the
    install folders; prints the scenario's facts as JSON after the ANSWER line."""
    name, folders = sys.argv[1], json.loads(sys.argv[2])
    # What the pytest process (and any real host) has imported before a namespace is made: the
    # stdlib modules the scenarios compare the namespace's copies with, and `ast` and `copyreg`,
    # which namespaces share with the host by default (src/import/shared.rs): a shared module
    # the host has not imported yet is imported by the host on first use (docs/compliance.md).
    import ast  # noqa: F401
    import collections.abc  # noqa: F401
    import copyreg  # noqa: F401
    import datetime  # noqa: F401
    import functools  # noqa: F401
    import logging  # noqa: F401

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        facts = SCENARIOS[name]({dist: Path(folder) for dist, folder in folders.items()})
    facts["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    print("\n" + ANSWER + "\n" + json.dumps(facts))


def new_namespace(*folders, name, share=()):
    return importspace.Namespace(
        path=[*(str(f) for f in folders), *stdlib_path()], name=name, share=share
    )


def try_import(ns, name):
    """`(module, None)`, or `(None, message)` when the import raises ImportError."""
    try:
        return ns.import_module(name), None
    except ImportError as exc:
        return None, str(exc)


def names_share(message, top: str) -> bool:
    """The error names the `share=` option for `top` (`Namespace(share=('numpy',))`; the
    engine writes `('numpy', )`)."""
    return f"Namespace(share=({top!r}," in message


def outcome(own: bool, bound: bool, refusal, top: str) -> str:
    """What a second namespace got for a compiled module of package `top`, in words."""
    if refusal is not None:
        return "refused, naming share=" if names_share(refusal, top) else f"ImportError: {refusal}"
    if not own:
        return "the first namespace's module object"
    return "its own module" + ("" if bound else ", bound to the first namespace's modules")


OWN_OR_REFUSED = ("its own module", "refused, naming share=")


def acceptable(got: str) -> str:
    """`got` when it is an outcome allowed for a second namespace, else what is allowed."""
    return got if got in OWN_OR_REFUSED else " or ".join(OWN_OR_REFUSED)


# What the second-namespace scenarios check works, in both namespaces, and after the first closed.
WORKS_KEYS = ["first works", "second works", "second works after the first closed"]


def error_of(call):
    try:
        call()
    except Exception as exc:
        return exc
    return None


def not_bound_to(module, ns) -> list[str]:
    """Classes in `module`'s globals, defined in a `yaml.*` module other than `module`, that are
    not that namespace module's class of the same name."""
    wrong = []
    for attr, value in sorted(vars(module).items()):
        home = getattr(value, "__module__", None)
        if not isinstance(value, type) or home == module.__name__:
            continue
        if not isinstance(home, str) or not home.startswith("yaml."):
            continue
        if vars(ns.modules.get(home, object)).get(value.__qualname__) is not value:
            wrong.append(attr)
    return wrong


YAML_TEXT = "a: [1, 2]\nb: {c: x}\n"
YAML_DATA = {"a": [1, 2], "b": {"c": "x"}}


def yaml_works(yaml) -> dict:
    """Load, dump and a parse error with the fastest loader and dumper this yaml has."""
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    dumper = yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper
    facts = {}
    try:
        facts["load"] = yaml.load(YAML_TEXT, Loader=loader) == YAML_DATA
    except Exception as exc:
        facts["load"] = repr(exc)
    try:
        facts["dump"] = yaml.dump(YAML_DATA, Dumper=dumper)
    except Exception as exc:
        facts["dump"] = repr(exc)
    error = error_of(lambda: yaml.load("a: [1", Loader=loader))
    facts["parse error is this yaml's YAMLError"] = isinstance(error, yaml.YAMLError)
    return facts


YAML_WORKS = {
    "load": True,
    "dump": "a:\n- 1\n- 2\nb:\n  c: x\n",
    "parse error is this yaml's YAMLError": True,
}


@scenario
def yaml_one(folders):
    before = host_state()
    ns = new_namespace(folders["PyYAML"], name="yaml")
    yaml = ns.import_module("yaml")
    ext = ns.modules.get("yaml._yaml")
    facts = {
        "__with_libyaml__": yaml.__with_libyaml__,
        "yaml._yaml is the compiled module": ext is not None
        and ext.__file__.endswith(EXT_SUFFIX)
        and _within(ext.__file__, folders["PyYAML"]),
        "yaml._yaml's global `yaml` is the namespace's yaml": getattr(ext, "yaml", None) is yaml,
        "yaml._yaml binds this many yaml classes": sum(
            isinstance(v, type)
            and str(v.__module__).startswith("yaml.")
            and v.__module__ != ext.__name__
            for v in vars(ext).values()
        ),
        "yaml._yaml classes that are not the namespace's": not_bound_to(ext, ns),
        "CParser error's class is in the namespace": type(
            error_of(lambda: yaml.load("a: [1", Loader=yaml.CSafeLoader))
        )
        is ns.modules["yaml.parser"].ParserError,
        **yaml_works(yaml),
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def yaml_two(folders):
    before = host_state()
    first = new_namespace(folders["PyYAML"], name="yaml-1")
    second = new_namespace(folders["PyYAML"], name="yaml-2")
    yaml1 = first.import_module("yaml")
    yaml2 = second.import_module("yaml")
    ext1 = first.modules["yaml._yaml"]
    ext2, refusal = try_import(second, "yaml._yaml")
    facts = {
        "second yaml is its own": yaml2 is not yaml1,
        "second yaml._yaml": outcome(
            ext2 is not ext1,
            ext2 is not None
            and getattr(ext2, "yaml", None) is yaml2
            and not not_bound_to(ext2, second),
            refusal,
            "yaml",
        ),
        "refused means no libyaml": refusal is None or not yaml2.__with_libyaml__,
        "second works": yaml_works(yaml2),
        "first works": yaml_works(yaml1),
    }
    first.close()
    facts["second works after the first closed"] = yaml_works(yaml2)
    second.close()
    facts["host changes"] = host_changes(before, closed=True)
    return facts


def msgpack_works(msgpack, ns) -> dict:
    ext_module = ns.modules["msgpack.ext"]
    ext_type = ext_module.ExtType(5, b"x")
    stamp = ext_module.Timestamp(1, 2)
    facts = {}
    try:
        facts["ExtType packed"] = list(msgpack.packb(ext_type))
        back = msgpack.unpackb(msgpack.packb(ext_type))
        facts["ExtType round trip"] = type(back) is ext_module.ExtType and back == ext_type
        back = msgpack.unpackb(msgpack.packb(stamp))
        facts["Timestamp round trip"] = type(back) is ext_module.Timestamp and back == stamp
        facts["dict round trip"] = msgpack.unpackb(msgpack.packb({"a": [1, b"b"]})) == {
            "a": [1, b"b"]
        }
    except Exception as exc:
        facts["error"] = repr(exc)
    error = error_of(lambda: msgpack.unpackb(b"\x91\x01\x02"))  # an array of one, then extra
    facts["extra data error is this msgpack's ExtraData"] = isinstance(error, msgpack.ExtraData)
    return facts


MSGPACK_WORKS = {
    "ExtType packed": [0xD4, 5, ord("x")],
    "ExtType round trip": True,
    "Timestamp round trip": True,
    "dict round trip": True,
    "extra data error is this msgpack's ExtraData": True,
}
MSGPACK_EXCEPTIONS = ("BufferFull", "ExtraData", "FormatError", "OutOfData", "StackError")


@scenario
def msgpack_one(folders):
    before = host_state()
    ns = new_namespace(folders["msgpack"], name="msgpack")
    msgpack = ns.import_module("msgpack")
    ext = ns.modules.get("msgpack._cmsgpack")
    exceptions = ns.modules["msgpack.exceptions"]
    facts = {
        "msgpack._cmsgpack is the compiled module": ext is not None
        and ext.__file__.endswith(EXT_SUFFIX)
        and msgpack.Packer is ext.Packer,
        "_cmsgpack exceptions that are not the namespace's": [
            name
            for name in MSGPACK_EXCEPTIONS
            if getattr(ext, name) is not getattr(exceptions, name)
        ],
        "_cmsgpack's global `datetime` is the namespace's": ext.datetime is ns.modules["datetime"]
        and ext.datetime is not sys.modules["datetime"],
        **msgpack_works(msgpack, ns),
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def msgpack_two(folders):
    before = host_state()
    first = new_namespace(folders["msgpack"], name="msgpack-1")
    second = new_namespace(folders["msgpack"], name="msgpack-2")
    msgpack1 = first.import_module("msgpack")
    msgpack2 = second.import_module("msgpack")
    ext1 = first.modules["msgpack._cmsgpack"]
    ext2, refusal = try_import(second, "msgpack._cmsgpack")
    exceptions2 = second.modules["msgpack.exceptions"]
    facts = {
        "second msgpack is its own": msgpack2 is not msgpack1,
        "second msgpack._cmsgpack": outcome(
            ext2 is not ext1,
            ext2 is not None
            and all(getattr(ext2, n) is getattr(exceptions2, n) for n in MSGPACK_EXCEPTIONS),
            refusal,
            "msgpack",
        ),
        "second works": msgpack_works(msgpack2, second),
        "first works": msgpack_works(msgpack1, first),
    }
    first.close()
    facts["second works after the first closed"] = msgpack_works(msgpack2, second)
    second.close()
    facts["host changes"] = host_changes(before, closed=True)
    return facts


MD_FROM_UTILS = (
    "is_accentuated",
    "is_cjk",
    "is_latin",
    "is_punctuation",
    "is_symbol",
    "is_unprintable",
    "remove_accent",
    "unicode_range",
)


def md_bindings(md, ns) -> list[str]:
    """Globals of the compiled `charset_normalizer.md` that are not the namespace's objects."""
    expected = {
        "getLogger": ns.modules["logging"].getLogger,
        "lru_cache": ns.modules["functools"].lru_cache,
        "COMMON_SAFE_ASCII_CHARACTERS": ns.modules[
            "charset_normalizer.constant"
        ].COMMON_SAFE_ASCII_CHARACTERS,
        **{name: getattr(ns.modules["charset_normalizer.utils"], name) for name in MD_FROM_UTILS},
    }
    return [name for name, value in expected.items() if getattr(md, name, None) is not value]


def charset_works(charset_normalizer) -> dict:
    try:
        return {
            "ascii": charset_normalizer.from_bytes(b"hello, world").best().encoding,
            "utf_8": charset_normalizer.from_bytes(
                "Où êtes-vous ? Ça va très bien, merci.".encode()
            )
            .best()
            .encoding,
        }
    except Exception as exc:
        return {"error": repr(exc)}


CHARSET_WORKS = {"ascii": "ascii", "utf_8": "utf_8"}


@scenario
def charset_one(folders):
    before = host_state()
    ns = new_namespace(folders["charset-normalizer"], name="charset")
    charset_normalizer = ns.import_module("charset_normalizer")
    md = ns.modules["charset_normalizer.md"]
    runtime = ns.modules.get("charset_normalizer.md__mypyc")
    facts = {
        # A method of a mypyc native class is a method descriptor, not a Python function.
        "md is the compiled module": md.__file__.endswith(EXT_SUFFIX)
        and type(md.MessDetectorPlugin.eligible).__name__ == "method_descriptor",
        "md's mypyc runtime is in the namespace": runtime is not None
        and runtime.__file__.endswith(EXT_SUFFIX),
        "namespace's logging and functools are its own": ns.modules["logging"]
        is not sys.modules["logging"]
        and ns.modules["functools"] is not sys.modules["functools"],
        "md globals that are not the namespace's": md_bindings(md, ns),
        **charset_works(charset_normalizer),
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def charset_two(folders):
    """charset_normalizer has no fallback for `md`: a refused `md` refuses the package."""
    before = host_state()
    first = new_namespace(folders["charset-normalizer"], name="charset-1")
    second = new_namespace(folders["charset-normalizer"], name="charset-2")
    charset1 = first.import_module("charset_normalizer")
    md1 = first.modules["charset_normalizer.md"]
    charset2, refusal = try_import(second, "charset_normalizer")
    md2 = second.modules.get("charset_normalizer.md") if charset2 is not None else None
    facts = {
        "second charset_normalizer is its own": charset2 is not charset1,
        "second charset_normalizer.md": outcome(
            md2 is not md1,
            md2 is not None and not md_bindings(md2, second),
            refusal,
            "charset_normalizer",
        ),
        "second md globals that are the first namespace's": []
        if md2 is None
        else [name for name in md_bindings(md2, second) if not md_bindings(md2, first)],
        "second works": "refused" if charset2 is None else charset_works(charset2),
        "first works": charset_works(charset1),
    }
    first.close()
    facts["second works after the first closed"] = (
        "refused" if charset2 is None else charset_works(charset2)
    )
    second.close()
    facts["host changes"] = host_changes(before, closed=True)
    return facts


def rpds_registrations(rpds, ns) -> dict:
    """Which `collections.abc` ABCs, the namespace's and the host's, know rpds's classes."""
    mine = ns.modules.get("collections.abc")  # imported by rpds's init, if inside
    host = sys.modules["collections.abc"]
    return {
        "namespace's Mapping": mine is not None and issubclass(rpds.HashTrieMap, mine.Mapping),
        "namespace's Set": mine is not None and issubclass(rpds.HashTrieSet, mine.Set),
        "host's Mapping": issubclass(rpds.HashTrieMap, host.Mapping),
        "host's Set": issubclass(rpds.HashTrieSet, host.Set),
    }


RPDS_REGISTERED_IN_NAMESPACE = {
    "namespace's Mapping": True,
    "namespace's Set": True,
    "host's Mapping": False,
    "host's Set": False,
}


def rpds_works(rpds) -> dict:
    try:
        grown = rpds.HashTrieMap({"a": 1}).insert("b", 2)
        return {
            "map": dict(grown) == {"a": 1, "b": 2},
            "set": set(rpds.HashTrieSet([1, 2]).insert(3)) == {1, 2, 3},
            "list": list(rpds.List([1, 2]).push_front(0)) == [0, 1, 2],
        }
    except Exception as exc:
        return {"error": repr(exc)}


RPDS_WORKS = {"map": True, "set": True, "list": True}


@scenario
def rpds_one(folders):
    before = host_state()
    ns = new_namespace(folders["rpds-py"], name="rpds")
    rpds = ns.import_module("rpds")
    ext = ns.modules.get("rpds.rpds")
    facts = {
        "rpds.rpds is the compiled module": ext is not None
        and ext.__file__.endswith(EXT_SUFFIX)
        and rpds.HashTrieMap is ext.HashTrieMap,
        "namespace's collections.abc is its own": ns.modules["collections.abc"]
        is not sys.modules["collections.abc"],
        **rpds_registrations(rpds, ns),
        **rpds_works(rpds),
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def rpds_from_host_code(folders):
    """The extension itself imported by host code (`ns.import_module` called from a host frame,
    with no namespaced module in between): `PyImport_Import` then reads the host frame's
    builtins, which the overlay must point at the namespace while the module initialises."""
    before = host_state()
    top = Path(tempfile.mkdtemp(dir=os.getcwd()))
    library = folders["rpds-py"] / "rpds" / ("rpds" + EXT_SUFFIX)
    (top / library.name).symlink_to(library)  # the same file, as the top-level module `rpds`
    ns = new_namespace(top, name="rpds-top-level")
    rpds = ns.import_module("rpds")
    facts = {
        "rpds is the compiled module": rpds.__file__ == str(top / library.name),
        **rpds_registrations(rpds, ns),
        **rpds_works(rpds),
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def rpds_two(folders):
    before = host_state()
    first = new_namespace(folders["rpds-py"], name="rpds-1")
    second = new_namespace(folders["rpds-py"], name="rpds-2")
    rpds1 = first.import_module("rpds")
    ext1 = first.modules["rpds.rpds"]
    ext2, refusal = try_import(second, "rpds.rpds")
    rpds2 = second.modules.get("rpds") if ext2 is not None else None
    facts = {
        "second rpds.rpds": outcome(
            ext2 is not ext1,
            ext2 is not None
            and issubclass(ext2.HashTrieMap, second.import_module("collections.abc").Mapping),
            refusal,
            "rpds",
        ),
        "first registrations": rpds_registrations(rpds1, first),
        "first works": rpds_works(rpds1),
    }
    if rpds2 is not None:
        facts["second registrations"] = rpds_registrations(rpds2, second)
        facts["second works"] = rpds_works(rpds2)
    first.close()
    second.close()
    facts["host changes"] = host_changes(before, closed=True)
    return facts


NUMPY_IN_NAMESPACE = """
import numpy as np

AXIS_ERROR = None
try:
    np.sum(np.zeros(3), axis=5)
except Exception as exc:
    AXIS_ERROR = exc
REPR = repr(np.arange(3))
TOTAL = int(np.arange(10).sum())
"""


@scenario
def numpy_one(folders):
    before = host_state()
    ns = new_namespace(folders["numpy"], name="numpy")
    numpy = ns.import_module("numpy")
    umath = ns.modules.get("numpy._core._multiarray_umath")
    # Code of the namespace calls into numpy, whose C code imports at call time too.
    scope = {"__name__": "numpy_user", "__builtins__": ns.builtins.__dict__}
    exec(NUMPY_IN_NAMESPACE, scope)
    facts = {
        "version": numpy.__version__,
        "numpy is the installed one": _within(numpy.__file__, folders["numpy"]),
        "_multiarray_umath is the compiled module": umath is not None
        and umath.__file__.endswith(EXT_SUFFIX),
        "AxisError raised by C is the namespace's": type(scope["AXIS_ERROR"])
        is ns.modules["numpy.exceptions"].AxisError,
        "matmul": int(numpy.arange(10) @ numpy.arange(10)),
        "repr from namespaced code": scope["REPR"],
        "sum from namespaced code": scope["TOTAL"],
        "host changes": host_changes(before),
    }
    ns.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def numpy_from_host_code(folders):
    """Namespaced numpy called from host code first: its C code imports at call time
    (`ndarray.__repr__` needs `numpy._core.arrayprint`, `ndarray.sum` `numpy._core._methods`)
    with `PyImport_Import`, which reads the running frame's builtins: the host's."""
    ns = new_namespace(folders["numpy"], name="numpy")
    numpy = ns.import_module("numpy")
    facts = {}
    for label, call in (
        ("repr", lambda: repr(numpy.arange(3))),
        ("sum", lambda: int(numpy.arange(10).sum())),
    ):
        try:
            facts[label] = call()
        except Exception as exc:
            facts[label] = f"{type(exc).__name__}: {exc}"
    ns.close()
    return facts


def numpy_in(ns) -> dict:
    """NUMPY_IN_NAMESPACE run by code of `ns`: its answers, or the ImportError's message."""
    scope = {"__name__": "numpy_user", "__builtins__": ns.builtins.__dict__}
    try:
        exec(NUMPY_IN_NAMESPACE, scope)
    except ImportError as exc:
        return {"refusal": str(exc)}
    return {
        "numpy": scope["np"],
        "AxisError raised by C is the namespace's": type(scope["AXIS_ERROR"])
        is ns.modules["numpy.exceptions"].AxisError,
        "repr": scope["REPR"],
        "sum": scope["TOTAL"],
    }


@scenario
def numpy_two(folders):
    before = host_state()
    first = new_namespace(folders["numpy"], name="numpy-1")
    second = new_namespace(folders["numpy"], name="numpy-2")
    in_first = numpy_in(first)
    in_second = numpy_in(second)
    refusal = in_second.pop("refusal", None)
    numpy1, numpy2 = in_first.pop("numpy", None), in_second.pop("numpy", None)
    umath = "numpy._core._multiarray_umath"
    own = numpy2 is not None and second.modules[umath] is not first.modules[umath]
    # What the first namespace's numpy does once the second loaded its own.
    in_first_again = numpy_in(first)
    in_first_again.pop("numpy", None)
    facts = {
        "first": getattr(numpy1, "__version__", None),
        "refused, naming share=('numpy',)": refusal is not None and names_share(refusal, "numpy"),
        "refusal": refusal,
        "second numpy": outcome(
            own,
            in_second.get("AxisError raised by C is the namespace's") is True,
            refusal,
            "numpy",
        ),
        "in the first": in_first,
        "in the second": in_second,
        "in the first, after the second": in_first_again,
        "host changes": host_changes(before),
    }
    first.close()
    second.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def numpy_shared(folders):
    sys.path.insert(0, str(folders["numpy"]))
    import numpy  # the host's own, loaded first

    sys.path.pop(0)
    before = host_state()
    shared = new_namespace(folders["numpy"], name="numpy-shared", share=("numpy",))
    scope = {"__name__": "numpy_user", "__builtins__": shared.builtins.__dict__}
    exec("import numpy, numpy.linalg\nTOTAL = int(numpy.arange(4).sum())", scope)
    unshared = new_namespace(folders["numpy"], name="numpy-unshared")
    _, refusal = try_import(unshared, "numpy")
    facts = {
        "shared numpy is the host's": shared.import_module("numpy") is numpy,
        "shared numpy.linalg is the host's": shared.import_module("numpy.linalg")
        is sys.modules["numpy.linalg"],
        "namespaced code gets the host's numpy": scope["numpy"] is numpy,
        "namespaced code computes": scope["TOTAL"],
        "unshared namespace refused, naming share=('numpy',)": refusal is not None
        and names_share(refusal, "numpy"),
        "unshared namespace refusal": refusal,
        "host changes": host_changes(before),
    }
    shared.close()
    unshared.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


def bcrypt_works(bcrypt) -> bool:
    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(4))
    return bcrypt.checkpw(b"secret", hashed) and not bcrypt.checkpw(b"other", hashed)


@scenario
def bcrypt_two(folders):
    before = host_state()
    first = new_namespace(folders["bcrypt"], name="bcrypt-1")
    second = new_namespace(folders["bcrypt"], name="bcrypt-2")
    bcrypt = first.import_module("bcrypt")
    facts = {"first works": bcrypt_works(bcrypt)}
    try:
        second.import_module("bcrypt")
        facts["second"] = "imported"
    except ImportError as exc:
        facts["second"] = "ImportError"
        facts["names share=('bcrypt',)"] = names_share(str(exc), "bcrypt")
        facts["message"] = str(exc)
        facts["name"] = exc.name
        facts["cause"] = repr(exc.__cause__)
    facts["bcrypt modules left in the second namespace"] = sorted(
        name for name in second.modules if name.split(".")[0] == "bcrypt"
    )
    facts["first still works"] = bcrypt_works(bcrypt)
    facts["host changes"] = host_changes(before)
    first.close()
    second.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


@scenario
def bcrypt_shared(folders):
    sys.path.insert(0, str(folders["bcrypt"]))
    import bcrypt  # the host's own, loaded first

    sys.path.pop(0)
    before = host_state()
    shared = new_namespace(folders["bcrypt"], name="bcrypt-shared", share=("bcrypt",))
    unshared = new_namespace(folders["bcrypt"], name="bcrypt-unshared")
    inside = shared.import_module("bcrypt")
    _, refusal = try_import(unshared, "bcrypt")
    facts = {
        "shared bcrypt is the host's": inside is bcrypt
        and shared.import_module("bcrypt._bcrypt") is sys.modules["bcrypt._bcrypt"],
        "shared bcrypt works": bcrypt_works(inside),
        "unshared namespace refused, naming share=('bcrypt',)": refusal is not None
        and names_share(refusal, "bcrypt"),
        "unshared namespace refusal": refusal,
        "host changes": host_changes(before),
    }
    shared.close()
    unshared.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


def protobuf_works(struct_pb2) -> list:
    message = struct_pb2.Struct()
    message.update({"name": "a", "n": 2})
    return [sorted(message.keys()), message["name"], message["n"]]


@scenario
def protobuf_two(folders):
    before = host_state()
    first = new_namespace(folders["protobuf"], name="protobuf-1")
    second = new_namespace(folders["protobuf"], name="protobuf-2")
    struct1 = first.import_module("google.protobuf.struct_pb2")
    facts = {
        "first works": protobuf_works(struct1),
        "first runs upb": "google._upb._message" in first.modules,
    }
    _, refusal = try_import(second, "google._upb._message")
    facts["second upb refused, naming share="] = refusal is not None and "share=" in refusal
    facts["refusal"] = refusal
    # protobuf falls back to its Python implementation when upb does not import.
    struct2 = second.import_module("google.protobuf.struct_pb2")
    facts["second works"] = protobuf_works(struct2)
    facts["first still works"] = protobuf_works(struct1)
    facts["host changes"] = host_changes(before)
    first.close()
    second.close()
    facts["host changes after close"] = host_changes(before, closed=True)
    return facts


# --- the pytest side ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled() -> dict[str, Path]:
    return realpkgs.installed_or_skip(realpkgs.install_compiled, "compiled-package")


CHILD = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    import test_compiled_packages
    test_compiled_packages._scenario_main()
    """
)


@pytest.fixture(scope="session")
def run(compiled, tmp_path_factory):
    """`run(name)`: the facts of scenario `name`, run once per session in a fresh interpreter."""
    answers: dict[str, dict] = {}
    cwd = tmp_path_factory.mktemp("scenarios")

    def run_scenario(name: str) -> dict:
        if name not in answers:
            folders = json.dumps({dist: str(folder) for dist, folder in compiled.items()})
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, name, folders],
                capture_output=True,
                text=True,
                cwd=cwd,
                timeout=300,
                stdin=subprocess.DEVNULL,
            )
            output = proc.stdout.split("\n" + ANSWER + "\n")
            if proc.returncode != 0 or len(output) != 2:
                pytest.fail(
                    f"scenario {name} exited with {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}",
                    pytrace=False,
                )
            answers[name] = json.loads(output[1])
        return answers[name]

    return run_scenario


def subset(facts: dict, keys) -> dict:
    return {key: facts.get(key, "<missing>") for key in keys}


# --- Cython: PyYAML --------------------------------------------------------------------------


def test_yaml_cython_init_imports_resolve_in_the_namespace(run):
    facts = run("yaml_one")
    assert subset(
        facts,
        [
            "__with_libyaml__",
            "yaml._yaml is the compiled module",
            "yaml._yaml's global `yaml` is the namespace's yaml",
            "yaml._yaml classes that are not the namespace's",
            "CParser error's class is in the namespace",
            *YAML_WORKS,
        ],
    ) == {
        "__with_libyaml__": True,
        "yaml._yaml is the compiled module": True,
        "yaml._yaml's global `yaml` is the namespace's yaml": True,
        "yaml._yaml classes that are not the namespace's": [],
        "CParser error's class is in the namespace": True,
        **YAML_WORKS,
    }
    # Error and node classes, tokens and events: the check above looked at all of them.
    assert facts["yaml._yaml binds this many yaml classes"] >= 40
    assert facts["warnings"] == []


def test_yaml_host_unchanged(run):
    facts = run("yaml_one")
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


def test_yaml_second_namespace(run):
    """Cython hands the module object of its first load to every later create: a second
    namespace must not end up with a `yaml._yaml` bound to the first namespace's yaml."""
    facts = run("yaml_two")
    keys = ["second yaml is its own", "second yaml._yaml", "refused means no libyaml"]
    assert subset(facts, [*keys, *WORKS_KEYS, "host changes"]) == {
        "second yaml is its own": True,
        "second yaml._yaml": acceptable(facts["second yaml._yaml"]),
        "refused means no libyaml": True,
        **dict.fromkeys(WORKS_KEYS, YAML_WORKS),
        "host changes": [],
    }


# --- Cython: msgpack -------------------------------------------------------------------------


def test_msgpack_cython_init_imports_resolve_in_the_namespace(run):
    facts = run("msgpack_one")
    assert subset(
        facts,
        [
            "msgpack._cmsgpack is the compiled module",
            "_cmsgpack exceptions that are not the namespace's",
            "_cmsgpack's global `datetime` is the namespace's",
            *MSGPACK_WORKS,
        ],
    ) == {
        "msgpack._cmsgpack is the compiled module": True,
        "_cmsgpack exceptions that are not the namespace's": [],
        "_cmsgpack's global `datetime` is the namespace's": True,
        **MSGPACK_WORKS,
    }
    assert facts["warnings"] == []


def test_msgpack_host_unchanged(run):
    facts = run("msgpack_one")
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


def test_msgpack_second_namespace(run):
    """As for yaml: a second namespace's msgpack must pack its own ExtType and Timestamp, and
    raise its own exceptions, whatever `_cmsgpack` it gets."""
    facts = run("msgpack_two")
    keys = ["second msgpack is its own", "second msgpack._cmsgpack"]
    assert subset(facts, [*keys, *WORKS_KEYS, "host changes"]) == {
        "second msgpack is its own": True,
        "second msgpack._cmsgpack": acceptable(facts["second msgpack._cmsgpack"]),
        **dict.fromkeys(WORKS_KEYS, MSGPACK_WORKS),
        "host changes": [],
    }


# --- mypyc: charset-normalizer ---------------------------------------------------------------


def test_charset_normalizer_mypyc_init_imports_resolve_in_the_namespace(run):
    facts = run("charset_one")
    assert subset(
        facts,
        [
            "md is the compiled module",
            "md's mypyc runtime is in the namespace",
            "namespace's logging and functools are its own",
            "md globals that are not the namespace's",
            *CHARSET_WORKS,
        ],
    ) == {
        "md is the compiled module": True,
        "md's mypyc runtime is in the namespace": True,
        "namespace's logging and functools are its own": True,
        "md globals that are not the namespace's": [],
        **CHARSET_WORKS,
    }
    assert facts["warnings"] == []


def test_charset_normalizer_host_unchanged(run):
    facts = run("charset_one")
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


def test_charset_normalizer_second_namespace(run):
    """mypyc modules are single-phase with `m_size == -1`: a later load is filled from the copy
    of the first load's globals. A second namespace's `md` must not be bound to the first
    namespace's `logging`, `functools`, `.constant` and `.utils`; refused, it takes the package
    with it (no fallback), with the error naming `share=`."""
    facts = run("charset_two")
    keys = [
        "second charset_normalizer is its own",
        "second charset_normalizer.md",
        "second md globals that are the first namespace's",
    ]
    refused = facts["second charset_normalizer.md"] == "refused, naming share="
    assert subset(facts, [*keys, *WORKS_KEYS, "host changes"]) == {
        "second charset_normalizer is its own": True,
        "second charset_normalizer.md": acceptable(facts["second charset_normalizer.md"]),
        "second md globals that are the first namespace's": [],
        "first works": CHARSET_WORKS,
        "second works": "refused" if refused else CHARSET_WORKS,
        "second works after the first closed": "refused" if refused else CHARSET_WORKS,
        "host changes": [],
    }


# --- pyo3: rpds-py ---------------------------------------------------------------------------


def test_rpds_pyo3_init_imports_resolve_in_the_namespace(run):
    facts = run("rpds_one")
    assert subset(
        facts,
        [
            "rpds.rpds is the compiled module",
            "namespace's collections.abc is its own",
            *RPDS_REGISTERED_IN_NAMESPACE,
            *RPDS_WORKS,
        ],
    ) == {
        "rpds.rpds is the compiled module": True,
        "namespace's collections.abc is its own": True,
        **RPDS_REGISTERED_IN_NAMESPACE,
        **RPDS_WORKS,
    }
    assert facts["warnings"] == []


def test_rpds_host_unchanged(run):
    facts = run("rpds_one")
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


def test_rpds_imported_by_host_code(run):
    facts = run("rpds_from_host_code")
    assert subset(
        facts, ["rpds is the compiled module", *RPDS_REGISTERED_IN_NAMESPACE, *RPDS_WORKS]
    ) == {"rpds is the compiled module": True, **RPDS_REGISTERED_IN_NAMESPACE, **RPDS_WORKS}
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
    assert facts["warnings"] == []


def test_rpds_second_namespace(run):
    """pyo3 (built for 3.9+) hands the module object of its first init to every later one,
    without running the init again: a second namespace must not get an `rpds.rpds` whose
    classes are registered with the first namespace's `collections.abc` only."""
    facts = run("rpds_two")
    assert subset(facts, ["first registrations", "first works", "second rpds.rpds"]) == {
        "first registrations": RPDS_REGISTERED_IN_NAMESPACE,
        "first works": RPDS_WORKS,
        "second rpds.rpds": acceptable(facts["second rpds.rpds"]),
    }
    if facts["second rpds.rpds"] == "its own module":
        assert facts["second registrations"] == RPDS_REGISTERED_IN_NAMESPACE
        assert facts["second works"] == RPDS_WORKS
    assert facts["host changes"] == []


# --- numpy -----------------------------------------------------------------------------------


def test_numpy_in_a_namespace(run):
    facts = run("numpy_one")
    assert subset(
        facts,
        [
            "version",
            "numpy is the installed one",
            "_multiarray_umath is the compiled module",
            "AxisError raised by C is the namespace's",
            "matmul",
            "repr from namespaced code",
            "sum from namespaced code",
        ],
    ) == {
        "version": realpkgs.COMPILED["numpy"],
        "numpy is the installed one": True,
        "_multiarray_umath is the compiled module": True,
        "AxisError raised by C is the namespace's": True,
        "matmul": 285,
        "repr from namespaced code": "array([0, 1, 2])",
        "sum from namespaced code": 45,
    }
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
    assert facts["warnings"] == []


@pytest.mark.xfail(
    reason="C code that imports at call time (PyImport_Import) reads the running frame's "
    "builtins: called from a host frame, it imports with the host's __import__, which cannot "
    "see the namespace's numpy",
    strict=True,
)
def test_numpy_called_from_host_code(run):
    facts = run("numpy_from_host_code")
    assert facts == {"repr": "array([0, 1, 2])", "sum": 45, "warnings": []}


NUMPY_WORKS = {
    "AxisError raised by C is the namespace's": True,
    "repr": "array([0, 1, 2])",
    "sum": 45,
}


@pytest.mark.skipif(
    not NUMPY_REFUSES,
    reason=f"numpy {realpkgs.COMPILED['numpy']} (the last with wheels for this Python) does not "
    "refuse a second load; the refusal is numpy 2.4+'s (bcrypt's is tested on every Python)",
)
def test_numpy_second_namespace_refused_naming_share(run):
    facts = run("numpy_two")
    assert facts["refused, naming share=('numpy',)"], facts["refusal"]
    assert facts["in the first"] == NUMPY_WORKS
    assert facts["in the first, after the second"] == NUMPY_WORKS
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
    assert facts["warnings"] == []


@pytest.mark.xfail(
    not NUMPY_REFUSES,
    strict=True,
    reason="numpy before 2.4 initialises again in a second namespace (and warns that it was "
    "reloaded), but its C code keeps the classes of its first initialisation in static state "
    "(the first namespace's AxisError): nothing in the module says so, so importspace cannot "
    "refuse it; share numpy instead (docs/isolation.md)",
)
def test_numpy_second_namespace(run):
    """Whether or not numpy refuses, a second namespace gets a numpy of its own whose C code
    raises its own classes (numpy before 2.4 loads again, and warns that it was reloaded), or
    an ImportError naming `share=`; the first namespace's numpy still raises its own."""
    facts = run("numpy_two")
    refused = facts["second numpy"] == "refused, naming share="
    assert subset(
        facts,
        ["second numpy", "in the first", "in the second", "in the first, after the second"],
    ) == {
        "second numpy": acceptable(facts["second numpy"]),
        "in the first": NUMPY_WORKS,
        "in the second": {} if refused else NUMPY_WORKS,
        "in the first, after the second": NUMPY_WORKS,
    }
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


def test_numpy_shared_with_the_host(run):
    facts = run("numpy_shared")
    assert subset(
        facts,
        [
            "shared numpy is the host's",
            "shared numpy.linalg is the host's",
            "namespaced code gets the host's numpy",
            "namespaced code computes",
        ],
    ) == {
        "shared numpy is the host's": True,
        "shared numpy.linalg is the host's": True,
        "namespaced code gets the host's numpy": True,
        "namespaced code computes": 6,
    }
    if NUMPY_REFUSES:
        assert facts["unshared namespace refused, naming share=('numpy',)"], facts[
            "unshared namespace refusal"
        ]
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []


# --- pyo3 built for CPython 3.8 or older: bcrypt ---------------------------------------------


def test_bcrypt_second_namespace_refused_naming_share(run):
    facts = run("bcrypt_two")
    message = (
        "PyO3 modules compiled for CPython 3.8 or older may only be initialized once per "
        "interpreter process"
    )
    assert subset(
        facts,
        [
            "first works",
            "second",
            "names share=('bcrypt',)",
            "name",
            "cause",
            "bcrypt modules left in the second namespace",
            "first still works",
        ],
    ) == {
        "first works": True,
        "second": "ImportError",
        "names share=('bcrypt',)": True,
        "name": "bcrypt._bcrypt",
        "cause": f"ImportError({message!r})",
        "bcrypt modules left in the second namespace": [],
        "first still works": True,
    }
    assert facts["message"].startswith(message)
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
    assert facts["warnings"] == []


def test_bcrypt_shared_with_the_host(run):
    facts = run("bcrypt_shared")
    assert subset(
        facts,
        [
            "shared bcrypt is the host's",
            "shared bcrypt works",
            "unshared namespace refused, naming share=('bcrypt',)",
        ],
    ) == {
        "shared bcrypt is the host's": True,
        "shared bcrypt works": True,
        "unshared namespace refused, naming share=('bcrypt',)": True,
    }, facts["unshared namespace refusal"]
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
    assert facts["warnings"] == []


# --- in this process, under the conftest guard -----------------------------------------------

IN_PROCESS = {
    "PyYAML": ("yaml", "yaml._yaml"),
    "msgpack": ("msgpack", "msgpack._cmsgpack"),
    "charset-normalizer": ("charset_normalizer", "charset_normalizer.md"),
    "rpds-py": ("rpds", "rpds.rpds"),
}


@pytest.mark.parametrize("dist", list(IN_PROCESS))
def test_host_unchanged_in_this_process(compiled, dist):
    """The same imports in the pytest process, whose host has far more imported: the autouse
    fixture of conftest.py checks sys.modules, path, meta_path, path_hooks and
    path_importer_cache afterwards; the overlay's hooks are checked here too. (Only this test
    loads these packages in this process; numpy and bcrypt, which refuse a second load, stay
    in the scenarios.)"""
    top, extension = IN_PROCESS[dist]
    before = host_state()
    ns = new_namespace(compiled[dist], name=f"in-process-{dist}")
    try:
        ns.import_module(top)
        module = ns.modules[extension]
        assert module.__file__.endswith(EXT_SUFFIX)
        # Routed while a namespace that loaded an extension is open (here, maybe others too).
        assert _frozen_importlib._find_and_load.__wrapped__ is _unwrapped(before["_find_and_load"])
        assert builtins.__import__ is before["builtins.__import__"]
        assert [n for n in sys.modules if n.split(".")[0] == top] == []
        assert host_changes(before) == []
    finally:
        ns.close()
    # Other namespaces of this process may still be open: the fresh-process scenarios check
    # that the last close puts the host's function back.
    assert host_changes(before) == []
    assert _unwrapped(_frozen_importlib._find_and_load) is _unwrapped(before["_find_and_load"])
    assert builtins.__import__ is before["builtins.__import__"]


# --- hand-written C with PyState_FindModule: protobuf's upb ---------------------------------------


def test_protobuf_upb_second_namespace_refused_and_first_keeps_working(run):
    """A second initialisation of `google._upb._message` would take its module state from the
    first namespace (a segmentation fault when the first's messages are used): it is refused,
    naming share=, and both namespaces go on working (the second with protobuf's Python
    implementation)."""
    facts = run("protobuf_two")
    expected = [["n", "name"], "a", 2.0]
    assert facts["first works"] == expected
    assert facts["first runs upb"] is True
    assert facts["second upb refused, naming share="] is True, facts["refusal"]
    assert "PyState_FindModule" in facts["refusal"]
    assert facts["second works"] == expected
    assert facts["first still works"] == expected
    assert facts["host changes"] == []
    assert facts["host changes after close"] == []
