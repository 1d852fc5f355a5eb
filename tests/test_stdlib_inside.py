"""The standard library works inside a namespace, isolated by default.

Each test runs real code inside a namespace over `[tmp dir, *host stdlib dirs]` and, where the
answer can be compared, runs the same script natively in a fresh interpreter whose `sys.path` is
set to the same list (`differential`). The stdlib modules that look modules up by name
(`dataclasses`, `typing`, `enum`, `inspect`, `pickle`, `pkgutil`, `importlib.metadata`,
`importlib.resources`, `runpy`, `linecache`, `logging.config`, `unittest.mock`, `importlib`) must
see the namespace's `sys.modules` and `sys.path`, never the host's.

The key cases run under two policies: full isolation (the default) and `share=importspace.STDLIB`
(the whole standard library handed in from the host). Under the shared policy the host imports the
stdlib modules the tests use before any test runs (the imports below), so that sharing them does
not add host modules and the autouse `host_unchanged` guard stays meaningful. A shared stdlib
function that looks a namespaced module up in the interpreter's `sys.modules` (which never holds
namespaced modules) cannot find it: those cases assert the exact failure, with the function named
in a comment (a documented limitation of the preset).
"""

from __future__ import annotations

# The unused imports are deliberate: the host imports what a shared-stdlib namespace takes from
# it (and `fractions`, `email.mime.text`: names the host has and a namespace has not) before
# the host-state guard takes its first snapshot.
import array
import collections.abc
import copy  # noqa: F401
import copyreg  # noqa: F401
import dataclasses
import email.mime.text  # noqa: F401  (a dotted name the host has imported)
import email.parser  # noqa: F401  (the host's importlib.metadata reads METADATA with it)
import enum
import fractions  # noqa: F401  (a name the host has imported and no namespace has)
import importlib.metadata
import importlib.resources  # noqa: F401
import importlib.util  # noqa: F401
import inspect  # noqa: F401
import json
import linecache
import logging
import logging.config  # noqa: F401
import os
import pathlib
import pickle  # noqa: F401
import pkgutil  # noqa: F401
import runpy  # noqa: F401
import socket
import subprocess
import sys
import textwrap
import traceback
import types
import unittest.mock  # noqa: F401
from pathlib import Path

import pytest
from conftest import assert_matches_native, run_native
from difftools import STDLIB_DIRS, assert_same

import importspace

try:  # 3.13: what the host's traceback formatting imports for "Did you mean" hints
    import _suggestions  # noqa: F401
except ImportError:
    pass
# The host's importlib.metadata imports helpers (3.13: `_adapters`, `_text`) on first use.
importlib.metadata.version("pytest")


ISOLATED = "isolated"
SHARED = "shared-stdlib"


@pytest.fixture(params=[ISOLATED, SHARED])
def policy(request):
    return request.param


@pytest.fixture
def make_ns():
    """`make_ns(root, policy=ISOLATED, path=None, share=())`: a namespace over
    `[root, *STDLIB_DIRS]` (or `path`), sharing the whole standard library under the shared
    policy; closed after the test."""
    made = []

    def make(root: Path, policy: str = ISOLATED, path: list | None = None, share=()):
        if policy == SHARED:
            share = importspace.STDLIB
        if path is None:
            path = [str(root), *STDLIB_DIRS]
        ns = importspace.Namespace(path=path, share=share)
        made.append(ns)
        return ns

    yield make
    for ns in made:
        ns.close()


PRELUDE = '''
def outcome(fn, *args, **kwargs):
    """{"ok": value} or {"raised": type name, "message": str(exc)}."""
    try:
        return {"ok": fn(*args, **kwargs)}
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}


def name_of(module):
    return None if module is None else module.__name__
'''


def _text(root: Path, script: str) -> str:
    return f"ROOT = {str(root)!r}\n" + PRELUDE + "\n" + textwrap.dedent(script)


def exec_inside(ns, root: Path, script: str, **extra) -> dict:
    """Run `script` (with PRELUDE and ROOT) as a module body inside `ns`; `extra` adds globals.
    Returns the script's globals."""
    code = compile(_text(root, script), "<inside>", "exec")
    scope = {"__name__": "__inside__", "__builtins__": ns.builtins.__dict__, **extra}
    exec(code, scope)
    return scope


def native(root: Path, script: str) -> object:
    """Run `script` in a fresh interpreter whose sys.path is `[root, *STDLIB_DIRS]`, the path the
    namespaces here get; returns its `result` after a JSON round trip."""
    path = [str(root), *STDLIB_DIRS]
    return run_native(root, f"sys.path[:] = {path!r}\n" + _text(root, script))


def differential(ns, root: Path, script: str, *, deviations=None, **extra) -> object:
    """Run `script` natively and inside `ns`; assert the `result`s are equal. `deviations`,
    `{key path: value}`, names the places where the namespace's answer is known to differ: there
    it must be exactly `value` (and the native answer something else). Returns the script's
    globals inside the namespace."""
    expected = native(root, script)
    for path, value in (deviations or {}).items():
        target = expected
        for key in path[:-1]:
            target = target[key]
        assert target[path[-1]] != value, f"{path}: the native answer deviates too"
        target[path[-1]] = value
    scope = exec_inside(ns, root, script, **extra)
    assert_same(json.loads(json.dumps(scope["result"])), expected)
    return scope


def host_stdlib_check(ns, policy: str, names) -> None:
    """Under full isolation the namespace's stdlib modules are its own; shared, the host's."""
    for name in names:
        if policy == SHARED:
            assert ns.modules[name] is sys.modules[name], name
        else:
            assert ns.modules[name] is not sys.modules[name], name


def raised_in(excinfo: pytest.ExceptionInfo, function: str) -> None:
    """The exception was raised by `function` (a stdlib function, under the shared policy)."""
    assert excinfo.traceback[-1].name == function, str(excinfo.traceback[-1])


# The message of `None.__dict__`: a shared stdlib function got None from the interpreter's
# sys.modules for a namespaced module's name.
NONE_DICT = r"^'NoneType' object has no attribute '__dict__'$"


# --------------------------------------------------------------------------------- dataclasses

DATACLASS_FILES = {
    "dcmod.py": """
        from __future__ import annotations

        import collections
        import dataclasses
        import typing
        from dataclasses import InitVar, dataclass, field
        from typing import ClassVar, List, Optional


        @dataclass(order=True)
        class Item:
            name: str
            price: float = 0.0
            tags: List[str] = field(default_factory=list)
            registry: ClassVar[dict] = {}
            count: typing.ClassVar[int] = 0
            scale: InitVar[int] = 1
            factor: dataclasses.InitVar[float] = 1.0
            child: Optional[Item] = None

            def __post_init__(self, scale, factor):
                self.seen = [scale, factor]
                self.price = self.price * scale * factor


        @dataclass(frozen=True)
        class Frozen:
            x: int
            y: "int" = 2


        Dyn = dataclasses.make_dataclass("Dyn", [("a", int), ("b", "ClassVar[int]", 0)])
        Pair = collections.namedtuple("Pair", "a b")
    """,
}

# dcmod's `Item` without PEP 563: its annotations are evaluated objects, never strings.
DATACLASS_PLAIN = {
    "dcplain.py": """
        from dataclasses import InitVar, dataclass, field
        from typing import ClassVar, List, Optional


        @dataclass(order=True)
        class Item:
            name: str
            price: float = 0.0
            tags: List[str] = field(default_factory=list)
            registry: ClassVar[dict] = {}
            scale: InitVar[int] = 1
            child: Optional["Item"] = None
    """,
}

DATACLASS_SCRIPT = """
    import dataclasses, dcmod

    def kinds(cls):
        return {k: str(f._field_type) for k, f in cls.__dataclass_fields__.items()}

    it = dcmod.Item("a", 2.0, scale=3, factor=0.5)
    r = {}
    r["fields"] = [f.name for f in dataclasses.fields(dcmod.Item)]
    r["field kinds"] = kinds(dcmod.Item)
    r["field types"] = [str(f.type) for f in dataclasses.fields(dcmod.Item)]
    r["InitVar to __post_init__"] = it.seen
    r["price"] = it.price
    r["repr"] = repr(it)
    r["asdict"] = dataclasses.asdict(it)
    r["astuple"] = list(dataclasses.astuple(dcmod.Item("b")))
    r["order"] = dcmod.Item("a") < dcmod.Item("b")
    r["ClassVar stays on the class"] = [dcmod.Item.registry, dcmod.Item.count]
    r["replace"] = repr(dataclasses.replace(it, name="c", scale=2, factor=1.0))
    r["frozen"] = outcome(setattr, dcmod.Frozen(1), "x", 2)
    r["frozen fields"] = kinds(dcmod.Frozen)
    r["make_dataclass"] = [dcmod.Dyn.__module__, kinds(dcmod.Dyn), repr(dcmod.Dyn(1))]
    r["namedtuple module"] = dcmod.Pair.__module__
    r["is_dataclass"] = [dataclasses.is_dataclass(it), dataclasses.is_dataclass(dcmod.Pair)]
    result = r
"""


def test_dataclasses_inside(tree, make_ns, policy):
    root = tree(DATACLASS_FILES)
    ns = make_ns(root, policy)
    if policy == SHARED:
        # dataclasses._is_type reads sys.modules.get(cls.__module__) for a string annotation.
        with pytest.raises(AttributeError, match=NONE_DICT) as info:
            exec_inside(ns, root, DATACLASS_SCRIPT)
        raised_in(info, "_is_type")
        assert "dcmod" not in ns.modules
    else:
        differential(ns, root, DATACLASS_SCRIPT)
    host_stdlib_check(ns, policy, ["dataclasses", "typing"])


def test_namespaced_dataclass_seen_from_the_host(tree, make_ns, policy):
    """The host's own `dataclasses` on a namespace's dataclass instance. Shared: the same module,
    so everything works, for a class whose annotations are evaluated (`dcplain`); with PEP 563
    string annotations (`dcmod`) the class cannot be created in the namespace at all. Isolated:
    `is_dataclass` is true (it looks for `__dataclass_fields__`) but `fields()` filters on the
    host's private `_FIELD` marker, which the namespace's copy does not use, so `fields()` is
    empty and `asdict()` is `{}`: a silent consequence of isolation the docs must state."""
    root = tree(DATACLASS_FILES if policy == ISOLATED else {**DATACLASS_FILES, **DATACLASS_PLAIN})
    ns = make_ns(root, policy)
    if policy == SHARED:
        # dataclasses._is_type reads sys.modules.get(cls.__module__) for a string annotation.
        with pytest.raises(AttributeError, match=NONE_DICT) as info:
            ns.import_module("dcmod")
        raised_in(info, "_is_type")
        dcmod = ns.import_module("dcplain")
    else:
        dcmod = ns.import_module("dcmod")
    it = dcmod.Item("a", 2.0)
    assert dataclasses.is_dataclass(it)
    if policy == SHARED:
        assert [f.name for f in dataclasses.fields(it)] == ["name", "price", "tags", "child"]
        assert dataclasses.asdict(it) == {"name": "a", "price": 2.0, "tags": [], "child": None}
    else:
        assert dataclasses.fields(it) == ()
        assert dataclasses.asdict(it) == {}


# --------------------------------------------------------------------------------------- typing

TYPING_FILES = {
    "tymod.py": """
        from __future__ import annotations

        import typing
        from typing import Annotated, Dict, Generic, List, Optional, TypeVar

        T = TypeVar("T")


        class Node:
            value: int
            children: List[Node]
            parent: Optional["Node"]
            meta: Dict[str, Other]
            note: Annotated[Other, "doc"]


        class Other:
            pass


        class Box(Generic[T]):
            item: T
            other: Other


        class Reader(typing.Protocol[T]):
            def read(self) -> T: ...


        @typing.runtime_checkable
        class HasOther(typing.Protocol):
            other: Other


        class Movie(typing.TypedDict):
            title: str
            extra: Other


        Point = typing.NamedTuple("Point", [("x", int), ("y", "Other")])


        def func(a: Node, b: "Other" = None) -> List[Other]:
            return []


        here: Other
    """,
    "tysub/__init__.py": "",
    "tysub/child.py": """
        from tymod import Node


        class Child(Node):
            sibling: "Child"
    """,
}

TYPING_SCRIPT = """
    import typing, tymod
    from tysub import child

    def hints(obj, **kw):
        return outcome(lambda: {k: repr(v) for k, v in typing.get_type_hints(obj, **kw).items()})

    r = {}
    r["class"] = hints(tymod.Node)
    r["class, extras"] = hints(tymod.Node, include_extras=True)
    r["generic"] = hints(tymod.Box)
    r["subclass in another module"] = hints(child.Child)
    r["TypedDict"] = hints(tymod.Movie)
    r["TypedDict module"] = tymod.Movie.__module__
    r["NamedTuple"] = [tymod.Point.__module__, hints(tymod.Point)]
    r["function"] = hints(tymod.func)
    r["module"] = hints(tymod)

    def identities():
        h = typing.get_type_hints(tymod.Node)
        return [
            typing.get_args(h["meta"])[1] is tymod.Other,
            typing.get_args(h["children"])[0] is tymod.Node,
            repr(typing.get_origin(h["children"])),
        ]

    r["resolves to the module's own classes"] = outcome(identities)
    r["Box[int]"] = repr(tymod.Box[int])
    r["Protocol[T]"] = [repr(tymod.Reader[int]), hints(tymod.Reader.read)]
    r["runtime_checkable"] = [isinstance(tymod.Box(), tymod.HasOther), hints(tymod.HasOther)]
    result = r
"""


def _unresolved(name: str) -> dict:
    """`get_type_hints` on a namespaced class under the shared policy: 3.10+ evaluates the string
    annotations in `{}` (so the first name not in builtins is undefined); 3.9 indexes
    `sys.modules[base.__module__]` and raises KeyError for the first namespaced base, `tymod`."""
    if sys.version_info < (3, 10):
        return {"raised": "KeyError", "message": "'tymod'"}
    return {"raised": "NameError", "message": f"name {name!r} is not defined"}


def test_typing_get_type_hints_inside(tree, make_ns, policy):
    root = tree(TYPING_FILES)
    ns = make_ns(root, policy)
    deviations = {}
    if policy == SHARED:
        # typing.get_type_hints(cls) reads sys.modules[base.__module__].__dict__ for each base's
        # string annotations; functions and modules carry their own globals and still resolve.
        deviations = {
            ("class",): _unresolved("List"),
            ("class, extras",): _unresolved("List"),
            ("generic",): _unresolved("T"),
            ("subclass in another module",): _unresolved("List"),
            ("TypedDict",): _unresolved("Other"),
            ("NamedTuple", 1): _unresolved("Other"),
            ("resolves to the module's own classes",): _unresolved("List"),
            ("runtime_checkable", 1): _unresolved("Other"),
        }
    differential(ns, root, TYPING_SCRIPT, deviations=deviations)
    host_stdlib_check(ns, policy, ["typing"])


# --------------------------------------------------------------------------------- enum, socket

FLAGS_FILES = {
    "flagsmod.py": """
        import enum

        F_ONE = 1
        F_TWO = 2
        OTHER = 3
        enum.IntEnum._convert_("Flag", __name__, lambda name: name.startswith("F_"))


        class Color(enum.Enum):
            RED = 1
            GREEN = 2


        Shape = enum.Enum("Shape", "SQUARE CIRCLE")
    """,
}

SOCKET_SCRIPT = """
    import array, collections.abc, enum, socket, flagsmod

    af = socket.AF_INET
    r = {}
    r["AF_INET"] = [type(af).__name__, type(af).__module__, repr(af), str(af), int(af)]
    r["IntEnum member"] = isinstance(af, enum.IntEnum)
    r["member of the module's class"] = type(af) is socket.AddressFamily
    r["lookup"] = socket.AddressFamily(int(af)) is af
    r["SOCK_STREAM"] = [repr(socket.SOCK_STREAM), isinstance(socket.SOCK_STREAM, enum.IntEnum)]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        r["socket.family"] = [s.family is socket.AF_INET, s.type is socket.SOCK_STREAM]
    finally:
        s.close()
    r["_convert_"] = [
        repr(flagsmod.Flag.F_ONE),
        [m.name for m in flagsmod.Flag],
        flagsmod.Flag.__module__,
        flagsmod.F_ONE is flagsmod.Flag.F_ONE,
    ]
    r["Enum"] = [repr(flagsmod.Color.RED), flagsmod.Color(2).name, flagsmod.Color.__module__]
    r["functional API module"] = flagsmod.Shape.__module__
    r["array registered as MutableSequence"] = issubclass(
        array.array, collections.abc.MutableSequence
    )
    result = r
"""


def test_socket_enum_inside(tree, make_ns, policy):
    root = tree(FLAGS_FILES)
    ns = make_ns(root, policy)
    if policy == SHARED:
        # enum's _convert_ reads sys.modules[module].__dict__ to collect the module's constants.
        with pytest.raises(KeyError, match="^'flagsmod'$") as info:
            exec_inside(ns, root, SOCKET_SCRIPT)
        raised_in(info, "_convert_")
        assert "flagsmod" not in ns.modules
    else:
        differential(ns, root, SOCKET_SCRIPT)
    ns_socket = ns.modules["socket"]
    assert isinstance(ns_socket.AF_INET, ns.modules["enum"].IntEnum)
    assert ns_socket.AF_INET == socket.AF_INET
    if policy == SHARED:
        assert ns_socket is socket
        assert ns_socket.AF_INET is socket.AF_INET
        assert isinstance(ns_socket.AF_INET, socket.AddressFamily)
    else:
        assert ns_socket is not socket
        assert ns_socket.AF_INET is not socket.AF_INET
        assert type(ns_socket.AF_INET) is not socket.AddressFamily
        assert not isinstance(ns_socket.AF_INET, enum.IntEnum)


def test_socket_in_a_fresh_host(tmp_path):
    """A host that has imported nothing but importspace. `socket` imports `array`, whose C init
    imports `collections.abc` through `PyImport_ImportModule` (the `PyImport_Import` trap: the
    frame's `__import__`, then a read of the global sys.modules). It must work, register the
    namespace's `array.array` with the namespace's `collections.abc`, and leave the host's
    sys.modules as it was."""
    script = f"""
import json, sys
import importspace
before = set(sys.modules)
ns = importspace.Namespace(path={STDLIB_DIRS!r})
out = {{}}
try:
    sock = ns.import_module("socket")
    enum_ns = ns.modules["enum"]
    abc_ns = ns.modules["collections.abc"]
    out["AF_INET is an IntEnum member"] = isinstance(sock.AF_INET, enum_ns.IntEnum)
    out["array is a MutableSequence"] = issubclass(
        ns.modules["array"].array, abc_ns.MutableSequence
    )
except BaseException as exc:
    out["error"] = f"{{type(exc).__name__}}: {{exc}}"
ns.close()
out["host modules added"] = sorted(set(sys.modules) - before)
print(json.dumps(out))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {
        "AF_INET is an IntEnum member": True,
        # As natively: registered from 3.10 on.
        "array is a MutableSequence": issubclass(array.array, collections.abc.MutableSequence),
        "host modules added": [],
    }


# -------------------------------------------------------------------------------------- inspect

INSPECT_FILES = {
    "insmod.py": '''
        import inspect


        def top(a, b=1):
            """Add."""
            return a + b


        class Klass:
            def method(self):
                return 1

            class Inner:
                pass


        def make_closure():
            def inner():
                return 2

            return inner


        def where():
            return inspect.getmodule(inspect.currentframe()).__name__
    ''',
    "inspkg/__init__.py": "",
    "inspkg/sub.py": """
        class SubClass:
            pass
    """,
}

INSPECT_SCRIPT = """
    import inspect, os, insmod
    from inspkg import sub

    def rel(path):
        return os.path.relpath(path, ROOT)

    r = {}
    r["getmodule"] = [
        name_of(inspect.getmodule(obj))
        for obj in (insmod.top, insmod.Klass, insmod.Klass.method, insmod.Klass.Inner, sub.SubClass)
    ]
    r["getmodule is the module"] = inspect.getmodule(insmod.Klass) is insmod
    r["getmodule of a frame"] = outcome(insmod.where)
    r["getfile"] = [
        outcome(lambda o=obj: rel(inspect.getfile(o)))
        for obj in (insmod, insmod.top, insmod.Klass, insmod.Klass.Inner, sub.SubClass)
    ]
    r["getsourcefile"] = [
        outcome(lambda o=obj: rel(inspect.getsourcefile(o))) for obj in (insmod.top, insmod.Klass)
    ]
    r["getsource"] = [
        outcome(inspect.getsource, obj)
        for obj in (
            insmod.top, insmod.Klass, insmod.Klass.Inner, sub.SubClass, insmod.make_closure()
        )
    ]
    r["getsource module"] = outcome(inspect.getsource, insmod)
    r["getsourcelines"] = outcome(lambda: inspect.getsourcelines(insmod.Klass.method)[1])
    r["getdoc, signature"] = [inspect.getdoc(insmod.top), str(inspect.signature(insmod.top))]
    r["getmembers"] = [n for n, _ in inspect.getmembers(insmod, inspect.isclass)]
    r["ismodule"] = inspect.ismodule(insmod)
    r["getmodulename"] = inspect.getmodulename(insmod.__file__)
    result = r
"""


def _builtin_class(qualname: str) -> dict:
    return {"raised": "TypeError", "message": f"<class {qualname!r}> is a built-in class"}


def test_inspect_inside(tree, make_ns, policy):
    root = tree(INSPECT_FILES)
    ns = make_ns(root, policy)
    deviations = {}
    if policy == SHARED:
        # inspect.getmodule, and inspect.getfile for a class, read sys.modules[obj.__module__];
        # functions and modules carry their file (code object, __file__) and still work.
        no_module = {
            "raised": "AttributeError",
            "message": "'NoneType' object has no attribute '__name__'",  # getmodule(frame) is None
        }
        deviations = {
            ("getmodule",): [None] * 5,
            ("getmodule is the module",): False,
            ("getmodule of a frame",): no_module,
            ("getfile", 2): _builtin_class("insmod.Klass"),
            ("getfile", 3): _builtin_class("insmod.Klass.Inner"),
            ("getfile", 4): _builtin_class("inspkg.sub.SubClass"),
            ("getsourcefile", 1): _builtin_class("insmod.Klass"),
            ("getsource", 1): _builtin_class("insmod.Klass"),
            ("getsource", 2): _builtin_class("insmod.Klass.Inner"),
            ("getsource", 3): _builtin_class("inspkg.sub.SubClass"),
        }
    differential(ns, root, INSPECT_SCRIPT, deviations=deviations)
    host_stdlib_check(ns, policy, ["inspect"])


def test_host_inspect_reads_source_of_namespaced_functions(tree, make_ns):
    """Functions carry their file in the code object, so the host's inspect reads their source."""
    root = tree(INSPECT_FILES)
    ns = make_ns(root)
    insmod = ns.import_module("insmod")
    assert inspect.getsource(insmod.top).startswith("def top(a, b=1):")
    assert inspect.getsourcefile(insmod.top) == str(root / "insmod.py")


# --------------------------------------------------------------------------------------- pickle

PICKLE_FILES = {
    "pickmod.py": """
        import collections
        import copyreg
        import dataclasses
        import enum


        @dataclasses.dataclass
        class Point:
            x: int
            y: int = 0


        class Outer:
            class Inner:
                def __init__(self, v):
                    self.v = v

                def __eq__(self, other):
                    return type(other) is type(self) and other.v == self.v


        def area(p):
            return p.x * p.y


        Pair = collections.namedtuple("Pair", "a b")


        class Color(enum.Enum):
            RED = 1


        class Custom:
            def __init__(self, v):
                self.v = v


        def reduce_custom(c):
            return (Custom, (c.v * 10,))


        copyreg.pickle(Custom, reduce_custom)
    """,
}

PICKLE_SCRIPT = """
    import copy, pickle, pickmod

    objects = [
        pickmod.Point(1, 2),
        pickmod.Outer.Inner(3),
        pickmod.area,
        pickmod.Pair(1, 2),
        pickmod.Color.RED,
        pickmod.Custom(4),
        pickmod.Point,
        pickmod.Outer.Inner,
    ]

    def roundtrip(proto):
        back = pickle.loads(pickle.dumps(objects, proto))
        return {
            "same types": [type(a) is type(b) for a, b in zip(objects, back)],
            "equal": [back[0] == objects[0], back[1] == objects[1], back[3] == objects[3]],
            "identical": [back[2] is pickmod.area, back[4] is pickmod.Color.RED,
                          back[6] is pickmod.Point, back[7] is pickmod.Outer.Inner],
            "copyreg reducer": back[5].v,
        }

    r = {}
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        r[f"protocol {proto}"] = outcome(roundtrip, proto)
    r["Pickler/Unpickler classes"] = outcome(
        lambda: pickle._loads(pickle._dumps(objects))[0] == objects[0]
    )
    r["deepcopy"] = outcome(lambda: [copy.deepcopy(objects)[0] == objects[0],
                                     copy.copy(objects[5]).v])
    result = r
"""


# What the shared (host's) C pickle says when host code pickles a namespaced class.
HOST_PICKLE_FAILED = r"^Can't pickle <class 'pickmod\.Point'>: import of module 'pickmod' failed$"
HOST_PICKLE_NOT_SAME = (
    r"^Can't pickle <class 'pickmod\.Point'>: it's not the same object as pickmod\.Point$"
)


def _pickle_deviations(policy: str, not_found: str) -> dict:
    """Under the shared policy, where pickling namespaced objects inside differs from native.
    `not_found`: the end of the pure-Python Pickler's message for `pickmod.Point`."""
    if policy != SHARED:
        return {}
    protocols = range(pickle.HIGHEST_PROTOCOL + 1)
    return {
        # The shared pickle and copy use the host's copyreg.dispatch_table; `copyreg.pickle` in
        # the namespace registered `reduce_custom` in the namespace's own copyreg registry.
        **{(f"protocol {proto}", "ok", "copyreg reducer"): 4 for proto in protocols},
        ("deepcopy", "ok", 1): 4,
        # pickle._Pickler.save_global does the host's __import__, then reads sys.modules[name].
        ("Pickler/Unpickler classes",): {
            "raised": "PicklingError",
            "message": f"Can't pickle <class 'pickmod.Point'>: {not_found}",
        },
    }


def test_pickle_inside(tree, make_ns, policy):
    root = tree(PICKLE_FILES)
    ns = make_ns(root, policy)
    deviations = _pickle_deviations(policy, "it's not found as pickmod.Point")
    scope = differential(ns, root, PICKLE_SCRIPT, deviations=deviations)
    host_stdlib_check(ns, policy, ["pickle"])
    if policy == SHARED:
        # Called from host code, _pickle's save_global resolves the module with PyImport_Import:
        # the calling frame's (the host's) __import__, then the interpreter's sys.modules.
        with pytest.raises(pickle.PicklingError, match=HOST_PICKLE_FAILED):
            ns.modules["pickle"].dumps(scope["objects"])
    else:
        back = ns.modules["pickle"].loads(ns.modules["pickle"].dumps(scope["objects"]))
        assert type(back[0]) is ns.modules["pickmod"].Point


def test_pickle_inside_ignores_a_host_module_of_the_same_name(tree, make_ns, policy, monkeypatch):
    """The host has its own `pickmod` with different classes; pickling inside the namespace must
    resolve `pickmod.Point` in the namespace (C `_pickle` reads the global sys.modules)."""
    root = tree(PICKLE_FILES)
    host_pickmod = types.ModuleType("pickmod")
    exec(
        "class Point:\n    pass\n"
        "class Outer:\n    class Inner:\n        pass\n"
        "def area(p):\n    return 'host'\n"
        "Pair = Color = Custom = Point\n",
        host_pickmod.__dict__,
    )
    monkeypatch.setitem(sys.modules, "pickmod", host_pickmod)
    ns = make_ns(root, policy)
    deviations = _pickle_deviations(policy, "it's not the same object as pickmod.Point")
    scope = differential(ns, root, PICKLE_SCRIPT, deviations=deviations)
    ns_pickmod = ns.modules["pickmod"]
    assert ns_pickmod is not host_pickmod
    if policy == SHARED:
        # Called from host code, _pickle's save_global resolves the module with PyImport_Import:
        # the calling frame's (the host's) __import__, then the interpreter's sys.modules.
        with pytest.raises(pickle.PicklingError, match=HOST_PICKLE_NOT_SAME):
            ns.modules["pickle"].dumps(scope["objects"])
        return
    back = ns.modules["pickle"].loads(ns.modules["pickle"].dumps(scope["objects"]))
    assert type(back[0]) is ns_pickmod.Point
    assert type(back[0]) is not host_pickmod.Point
    assert back[2] is ns_pickmod.area


# ------------------------------------------------------------------------------ pathlib objects


def test_pathlib_objects_cross_the_boundary(tree, make_ns, policy):
    root = tree(
        {
            "pathmod.py": """
                import pathlib


                def make(p):
                    return pathlib.Path(p) / "data.txt"


                def read(p):
                    return pathlib.Path(p).read_text()


                def is_path(p):
                    return isinstance(p, pathlib.Path)
            """,
            "data.txt": "contents\n",
        }
    )
    ns = make_ns(root, policy)
    pathmod = ns.import_module("pathmod")
    inside = pathmod.make(str(root))
    host = pathlib.Path(root) / "data.txt"
    # What works under both policies: the os.PathLike protocol.
    assert os.fspath(inside) == os.fspath(host) == str(root / "data.txt")
    assert pathmod.read(host) == "contents\n"
    assert pathlib.Path(inside).read_text() == "contents\n"
    assert pathmod.make(host.parent).read_text() == "contents\n"
    if policy == SHARED:
        assert ns.modules["pathlib"] is pathlib
        assert isinstance(inside, pathlib.Path)
        assert pathmod.is_path(host)
        assert inside == host
    else:
        assert ns.modules["pathlib"] is not pathlib
        assert not isinstance(inside, pathlib.PurePath)
        assert not pathmod.is_path(host)
        assert inside != host


# ------------------------------------------------------------------------------------- pkgutil

PACKAGE_FILES = {
    "plug/__init__.py": "",
    "plug/a.py": "VALUE = 'a'\n",
    "plug/_private.py": "",
    "plug/b/__init__.py": "",
    "plug/b/c.py": "VALUE = 'c'\n",
    "plug/data.txt": "plug data\n",
    "plug/res/inner.txt": "inner data\n",
    "nsplug/x.py": "",
    "nsplug/sub/y.py": "",
    "nsplug/data.txt": "namespace data\n",
    "ext/__init__.py": "import pkgutil\n__path__ = pkgutil.extend_path(__path__, __name__)\n",
    "more/ext/extra.py": "VALUE = 'extra'\n",
    "single.py": "",
}

PKGUTIL_SCRIPT = """
    import os, pkgutil, sys
    import plug, nsplug

    mine = {"plug", "nsplug", "single", "ext", "more"}
    r = {}
    r["iter_modules(__path__)"] = sorted(
        (m.name, m.ispkg) for m in pkgutil.iter_modules(plug.__path__)
    )
    r["iter_modules prefix"] = sorted(m.name for m in pkgutil.iter_modules(plug.__path__, "plug."))
    r["iter_modules() over sys.path"] = sorted(
        (m.name, m.ispkg) for m in pkgutil.iter_modules() if m.name in mine
    )
    r["iter_modules namespace package"] = sorted(
        (m.name, m.ispkg) for m in pkgutil.iter_modules(nsplug.__path__)
    )
    r["walk_packages"] = sorted(
        (m.name, m.ispkg) for m in pkgutil.walk_packages(plug.__path__, "plug.")
    )
    r["walk_packages imported"] = sorted(k for k in sys.modules if k.startswith("plug"))
    r["walk namespace package"] = sorted(
        m.name for m in pkgutil.walk_packages(nsplug.__path__, "nsplug.")
    )
    r["get_data"] = pkgutil.get_data("plug", "data.txt").decode()
    r["get_data subdir"] = pkgutil.get_data("plug", "res/inner.txt").decode()
    r["get_data namespace package"] = outcome(lambda: pkgutil.get_data("nsplug", "data.txt"))
    r["resolve_name"] = [
        pkgutil.resolve_name("plug.b.c:VALUE"), pkgutil.resolve_name("plug.a.VALUE")
    ]
    importer = pkgutil.get_importer(ROOT)
    r["get_importer"] = [type(importer).__name__, importer is sys.path_importer_cache[ROOT]]
    sys.path.append(os.path.join(ROOT, "more"))
    import ext
    import ext.extra
    r["extend_path"] = [os.path.relpath(p, ROOT) for p in ext.__path__]
    r["extend_path module"] = ext.extra.VALUE
    result = r
"""


def test_pkgutil_inside(tree, make_ns):
    root = tree(PACKAGE_FILES)
    ns = make_ns(root)
    differential(ns, root, PKGUTIL_SCRIPT)
    assert "plug.b.c" in ns.modules
    assert ns.path[-1] == str(root / "more")


# ---------------------------------------------------------------------------- importlib.metadata

DIST_FILES = {
    "mypkg-1.2.3.dist-info/METADATA": (
        "Metadata-Version: 2.1\nName: mypkg\nVersion: 1.2.3\nSummary: A test dist\n"
        "Requires-Dist: otherdist (>=1.0)\n"
    ),
    "mypkg-1.2.3.dist-info/RECORD": (
        "mypkg/__init__.py,,\nmypkg/alpha.py,,\nmypkg-1.2.3.dist-info/METADATA,,\n"
        "mypkg-1.2.3.dist-info/RECORD,,\nmypkg-1.2.3.dist-info/entry_points.txt,,\n"
    ),
    "mypkg-1.2.3.dist-info/entry_points.txt": (
        "[console_scripts]\nmypkg-cli = mypkg.alpha:main\n\n"
        "[mypkg.plugins]\nalpha = mypkg.alpha:Plugin\n"
    ),
    "mypkg-1.2.3.dist-info/top_level.txt": "mypkg\n",
    "mypkg/__init__.py": (
        "from importlib.metadata import version\n__version__ = version(__name__)\n"
    ),
    "mypkg/alpha.py": "class Plugin:\n    pass\n\n\ndef main():\n    return 0\n",
}

METADATA_SCRIPT = """
    import sys
    import importlib.metadata as md
    import mypkg

    def select(group):
        eps = md.entry_points()
        if hasattr(eps, "select"):
            return list(eps.select(group=group))
        return list(eps.get(group, ()))

    r = {}
    r["version"] = md.version("mypkg")
    r["__version__ from inside the package"] = mypkg.__version__
    r["distributions"] = sorted(
        [d.metadata["Name"], d.version] for d in md.distributions()
    )
    r["metadata"] = [md.metadata("mypkg")["Summary"], md.requires("mypkg")]
    r["files"] = sorted(str(f) for f in md.files("mypkg"))
    r["file read"] = [f for f in md.files("mypkg") if f.name == "alpha.py"][0].read_text()
    r["locate_file"] = str(md.distribution("mypkg").locate_file("mypkg/alpha.py"))
    eps = select("mypkg.plugins")
    r["entry points"] = sorted([ep.name, ep.value] for ep in eps)
    r["console_scripts"] = sorted(ep.name for ep in select("console_scripts"))
    plugin = eps[0].load()
    r["entry point loads the namespace's module"] = plugin is sys.modules["mypkg.alpha"].Plugin
    r["missing"] = outcome(md.version, "not-installed-anywhere")
    result = r
"""


def test_importlib_metadata_inside(tree, make_ns):
    root = tree(DIST_FILES)
    ns = make_ns(root)
    differential(ns, root, METADATA_SCRIPT)
    assert "mypkg.alpha" in ns.modules


def test_importlib_metadata_host_and_namespaces_see_their_own(tree, tmp_path_factory, make_ns):
    """The pydantic-1-and-2 case: the host sees mypkg 9.0.0, one namespace 1.2.3, another 2.0.0;
    none sees another's."""
    root = tree(DIST_FILES)
    other = tmp_path_factory.mktemp("other")
    host_site = tmp_path_factory.mktemp("hostsite")
    for where, version in ((other, "2.0.0"), (host_site, "9.0.0")):
        info = where / f"mypkg-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mypkg\nVersion: {version}\n")
    ns1 = make_ns(root)
    ns2 = make_ns(other, path=[str(other), *STDLIB_DIRS])
    script = """
        import importlib.metadata as md
        result = [md.version("mypkg"), sorted(d.version for d in md.distributions(name="mypkg"))]
    """
    sys.path.insert(0, str(host_site))
    try:
        host = [
            importlib.metadata.version("mypkg"),
            sorted(d.version for d in importlib.metadata.distributions(name="mypkg")),
        ]
        in_ns1 = exec_inside(ns1, root, script)["result"]
        in_ns2 = exec_inside(ns2, other, script)["result"]
        host_after = importlib.metadata.version("mypkg")
    finally:
        sys.path.remove(str(host_site))
        sys.path_importer_cache.pop(str(host_site), None)
    assert host == ["9.0.0", ["9.0.0"]]
    assert in_ns1 == ["1.2.3", ["1.2.3"]]
    assert in_ns2 == ["2.0.0", ["2.0.0"]]
    assert host_after == "9.0.0"
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("mypkg")


# --------------------------------------------------------------------------- importlib.resources

RESOURCES_SCRIPT = """
    import os
    import importlib.resources as res
    import plug

    r = {}
    files = res.files("plug")
    r["files type"] = type(files).__name__
    r["read_text"] = (files / "data.txt").read_text()
    r["nested"] = (files / "res" / "inner.txt").read_bytes().decode()
    r["iterdir"] = sorted(p.name for p in files.iterdir() if not p.name.startswith("__"))
    r["is_file/is_dir"] = [(files / "data.txt").is_file(), (files / "res").is_dir()]
    r["files(module)"] = (res.files(plug) / "data.txt").read_text()
    def read(path):
        with open(path) as f:
            return f.read()

    with res.as_file(files / "data.txt") as path:
        r["as_file"] = [os.path.relpath(path, ROOT), os.path.isfile(path), read(path)]

    def namespace_package():
        ns_files = res.files("nsplug")
        out = {"read": (ns_files / "data.txt").read_text()}
        out["iterdir"] = sorted(p.name for p in ns_files.iterdir() if not p.name.startswith("__"))
        with res.as_file(ns_files / "data.txt") as path:
            out["as_file"] = [os.path.relpath(path, ROOT), read(path)]
        return out

    r["namespace package"] = outcome(namespace_package)
    result = r
"""


def test_importlib_resources_inside(tree, make_ns):
    root = tree(PACKAGE_FILES)
    ns = make_ns(root)
    differential(ns, root, RESOURCES_SCRIPT)


# ---------------------------------------------------------------------------------------- runpy

RUN_BODY = """
import sys
import helper

RESULT = helper.VALUE + 1
NAME = __name__
FILE = __file__
HELPER = helper
SEEN_SEED = globals().get("SEED")
SELF_IN_MODULES = sys.modules.get(__name__) is not None and vars(sys.modules[__name__]) is globals()
"""

RUNPY_FILES = {
    "helper.py": "VALUE = 41\n",
    "script.py": RUN_BODY,
    "runmod.py": RUN_BODY,
    "runpkg/__init__.py": "",
    "runpkg/__main__.py": RUN_BODY,
}


SUMMARY_SOURCE = textwrap.dedent(
    """
    def summary(g):
        import os
        return {
            "RESULT": g["RESULT"],
            "NAME": g["NAME"],
            "FILE": os.path.relpath(g["FILE"], ROOT),
            "SEEN_SEED": g["SEEN_SEED"],
            "SELF_IN_MODULES": g["SELF_IN_MODULES"],
            "__spec__": None if g.get("__spec__") is None else g["__spec__"].name,
            "__package__": g.get("__package__"),
            "dunders": sorted(k for k in g if k.startswith("__") and k != "__builtins__"),
        }
    """
)

RUNPY_CALLS = [
    ("run_path", "script.py", {}),
    ("run_path", "script.py", {"run_name": "__main__", "init_globals": {"SEED": 5}}),
    ("run_module", "runmod", {}),
    ("run_module", "runmod", {"run_name": "__main__", "init_globals": {"SEED": 6}}),
    ("run_module", "runpkg", {}),
]


def _native_runpy(root: Path) -> list:
    script = (
        SUMMARY_SOURCE
        + f"CALLS = {RUNPY_CALLS!r}\n"
        + textwrap.dedent(
            """
            import os, runpy
            result = []
            for fn, target, kw in CALLS:
                if fn == "run_path":
                    target = os.path.join(ROOT, target)
                result.append(summary(getattr(runpy, fn)(target, **kw)))
            """
        )
    )
    return native(root, script)


def test_namespace_run_path_and_run_module(tree, make_ns):
    root = tree(RUNPY_FILES)
    expected = _native_runpy(root)
    ns = make_ns(root)
    helpers = {"ROOT": str(root)}
    exec(SUMMARY_SOURCE, helpers)
    summary = helpers["summary"]
    got = []
    for fn, target, kw in RUNPY_CALLS:
        if fn == "run_path":
            target = str(root / target)
        g = getattr(ns, fn)(target, **kw)
        assert g["HELPER"] is ns.modules["helper"]
        assert g["__builtins__"] in (ns.builtins, ns.builtins.__dict__)
        got.append(summary(g))
    assert_same(got, expected)
    assert "helper" not in sys.modules
    assert "__main__" not in ns.modules or ns.modules["__main__"].__dict__.get("RESULT") is None


def test_runpy_used_inside(tree, make_ns):
    root = tree(RUNPY_FILES)
    expected = _native_runpy(root)
    ns = make_ns(root)
    script = (
        SUMMARY_SOURCE
        + f"CALLS = {RUNPY_CALLS!r}\n"
        + textwrap.dedent(
            """
            import os, runpy, sys
            result = []
            helpers_ok = []
            for fn, target, kw in CALLS:
                if fn == "run_path":
                    target = os.path.join(ROOT, target)
                g = getattr(runpy, fn)(target, **kw)
                helpers_ok.append(g["HELPER"] is sys.modules["helper"])
                result.append(summary(g))
            """
        )
    )
    scope = exec_inside(ns, root, script)
    assert_same(json.loads(json.dumps(scope["result"])), expected)
    assert scope["helpers_ok"] == [True] * len(RUNPY_CALLS)
    assert ns.modules["runpy"] is not sys.modules["runpy"]


# ---------------------------------------------------------------------- linecache and traceback

TB_FILES = {
    "tbmod.py": """
        def fail(x):
            y = x + 1
            raise ValueError(f"kaboom {y}")


        def outer():
            return fail(1)
    """,
}

TB_SCRIPT = """
    import linecache, os, traceback, tbmod

    r = {}
    try:
        tbmod.outer()
    except ValueError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        r["frames"] = [
            [os.path.basename(f.filename), f.lineno, f.name, f.line]
            for f in frames
            if f.filename.endswith("tbmod.py")
        ]
        r["format_exc"] = [
            line for line in traceback.format_exc().splitlines() if ROOT in line or "  " in line
        ][-4:]
        te = traceback.TracebackException.from_exception(exc)
        r["TracebackException"] = list(te.format())[-3:]
    r["getline"] = linecache.getline(tbmod.__file__, 3)
    r["getlines"] = len(linecache.getlines(tbmod.__file__))
    result = r
"""


def test_linecache_and_traceback_inside(tree, make_ns):
    root = tree(TB_FILES)
    ns = make_ns(root)
    result = differential(ns, root, TB_SCRIPT)["result"]
    assert result["frames"][-1][3] == 'raise ValueError(f"kaboom {y}")'


def test_host_traceback_shows_namespaced_source_lines(tree, make_ns):
    root = tree(TB_FILES)
    ns = make_ns(root)
    tbmod = ns.import_module("tbmod")
    with pytest.raises(ValueError) as info:
        tbmod.outer()
    text = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert 'raise ValueError(f"kaboom {y}")' in text
    assert "return fail(1)" in text
    for key in [k for k in linecache.cache if k.startswith(str(root))]:
        linecache.cache.pop(key, None)


# -------------------------------------------------------------------------------------- logging

LOGGING_FILES = {
    "plugcfg.py": """
        import io
        import logging

        STREAM = io.StringIO()


        def make_handler():
            handler = logging.StreamHandler(STREAM)
            handler.setFormatter(logging.Formatter("%(name)s|%(levelname)s|%(message)s"))
            return handler
    """,
}

LOGGING_SCRIPT = """
    import io, logging, logging.config, plugcfg

    stream = io.StringIO()
    logging.basicConfig(level=logging.DEBUG, stream=stream, format="%(name)s:%(message)s")
    logging.getLogger("plugin").info("hello from basicConfig")
    r = {"root after basicConfig": [type(h).__name__ for h in logging.getLogger().handlers]}
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"h": {"()": "plugcfg.make_handler", "level": "INFO"}},
        "loggers": {"plugin.sub": {"handlers": ["h"], "level": "INFO", "propagate": False}},
        "root": {"level": "WARNING"},
    })
    logging.getLogger("plugin.sub").info("via dictConfig")
    logging.getLogger("plugin.sub").debug("filtered")
    r["basic stream"] = stream.getvalue()
    r["dict stream"] = plugcfg.STREAM.getvalue()
    r["root level"] = logging.getLogger().level
    r["loggers"] = sorted(k for k in logging.Logger.manager.loggerDict if k.startswith("plugin"))
    result = r
"""


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_logging_configuration_inside_leaves_the_host_alone(tree, make_ns):
    root = tree(LOGGING_FILES)
    host_root = logging.getLogger()
    collect = _Collect()
    host_root.addHandler(collect)
    try:
        handlers, level = list(host_root.handlers), host_root.level
        ns = make_ns(root)
        differential(ns, root, LOGGING_SCRIPT)
        assert host_root.handlers == handlers
        assert host_root.level == level
        assert [r.getMessage() for r in collect.records if r.name.startswith("plugin")] == []
        assert "plugin.sub" not in logging.Logger.manager.loggerDict
        assert ns.modules["logging"] is not logging
        assert ns.modules["logging"].getLogger() is not host_root
    finally:
        host_root.removeHandler(collect)


# ---------------------------------------------------------------------------------- unittest.mock

MOCK_FILES = {
    "pkgm/__init__.py": "",
    "pkgm/mod.py": """
        VALUE = "namespace original"


        def get():
            return VALUE


        class K:
            attr = 1
    """,
    "user.py": """
        from pkgm import mod


        def read():
            return mod.get()
    """,
}

MOCK_SCRIPT = """
    import sys
    from unittest import mock
    import pkgm.mod, user

    r = {"before": user.read()}
    with mock.patch("pkgm.mod.VALUE", "patched"):
        r["during"] = [user.read(), pkgm.mod.VALUE, PEEK()]
    r["after"] = user.read()

    @mock.patch("pkgm.mod.get", return_value="from decorator")
    def decorated(m):
        return [user.read(), m.call_count]

    r["decorator"] = decorated()
    with mock.patch.object(pkgm.mod.K, "attr", 2):
        r["patch.object"] = pkgm.mod.K.attr
    with mock.patch("pkgm.mod.NEW", "created", create=True):
        r["create"] = pkgm.mod.NEW
    r["created removed"] = hasattr(pkgm.mod, "NEW")
    with mock.patch.dict(sys.modules, {"injected_xyz": mock.sentinel.injected}):
        r["patch.dict(sys.modules)"] = "injected_xyz" in sys.modules
    r["patch.dict restored"] = "injected_xyz" in sys.modules
    r["missing module"] = outcome(lambda: mock.patch("pkgm.nothere.X").start())
    result = r
"""


def test_mock_patch_inside_patches_the_namespace_module(tree, make_ns, monkeypatch):
    root = tree(MOCK_FILES)
    host_pkgm = types.ModuleType("pkgm")
    host_mod = types.ModuleType("pkgm.mod")
    host_mod.VALUE = "host"
    host_pkgm.mod = host_mod
    monkeypatch.setitem(sys.modules, "pkgm", host_pkgm)
    monkeypatch.setitem(sys.modules, "pkgm.mod", host_mod)
    expected = native(root, "PEEK = lambda: 'host'\n" + textwrap.dedent(MOCK_SCRIPT))
    ns = make_ns(root)
    scope = exec_inside(ns, root, MOCK_SCRIPT, PEEK=lambda: host_mod.VALUE)
    assert_same(json.loads(json.dumps(scope["result"])), expected)
    assert host_mod.VALUE == "host"
    assert not hasattr(host_mod, "NEW")
    assert ns.modules["pkgm.mod"] is not host_mod


# ------------------------------------------------------------------------ importlib from inside

IL_FUNCTIONS = """
def import_module(name, package=None):
    {lazy}import importlib
    return importlib.import_module(name, package)


def find_spec(name, package=None):
    {lazy}import importlib.util
    return importlib.util.find_spec(name, package)


def resolve_name(name, package):
    {lazy}import importlib.util
    return importlib.util.resolve_name(name, package)


def module_from_spec(spec):
    {lazy}import importlib.util
    return importlib.util.module_from_spec(spec)


def reload(module):
    {lazy}import importlib
    return importlib.reload(module)


def invalidate_caches():
    {lazy}import importlib
    importlib.invalidate_caches()


def path_finder_spec(name, path=None):
    {lazy}import importlib.machinery
    return importlib.machinery.PathFinder.find_spec(name, path)


def file_finder(path):
    {lazy}import importlib.machinery
    m = importlib.machinery
    return m.FileFinder(path, (m.SourceFileLoader, m.SOURCE_SUFFIXES))


def file_finder_hook(path):
    {lazy}import importlib.machinery
    m = importlib.machinery
    return m.FileFinder.path_hook((m.SourceFileLoader, m.SOURCE_SUFFIXES))(path)
"""

IMPORTLIB_FILES = {
    "top_il.py": (
        "import importlib\nimport importlib.machinery\nimport importlib.util\n\n"
        + IL_FUNCTIONS.replace("{lazy}import", "# import")
    ),
    "lazy_il.py": IL_FUNCTIONS.replace("{lazy}", ""),
    "onlyns.py": "VALUE = 1\n",
    "onlyns_b.py": "VALUE = 2\n",
    "onlyns_c.py": "V = 3\n",
    "onlyns_d.py": "V = 4\n",
    "usesimport.py": "import onlyns_c\nV = onlyns_c.V\n",
    "pkgx/__init__.py": "",
    "pkgx/b.py": "",
    "pkgx/mod.py": "",
    "pkgx/sub/__init__.py": "",
}

IMPORTLIB_SCRIPT = """
    import os, sys
    IL = __import__(VARIANT)

    def spec_summary(spec):
        if spec is None:
            return None
        return [spec.name, spec.origin and os.path.relpath(spec.origin, ROOT),
                type(spec.loader).__name__, spec.has_location]

    # Files the script changes: the same starting state in both runs.
    with open(os.path.join(ROOT, "reloadme.py"), "w") as f:
        f.write("V = 1\\n")
    late = os.path.join(ROOT, "late_xyz.py")
    if os.path.exists(late):
        os.remove(late)

    r = {}
    m = IL.import_module("onlyns")
    r["import_module"] = [m.__name__, m.VALUE, sys.modules.get("onlyns") is m]
    r["import_module relative"] = IL.import_module(".mod", "pkgx").__name__
    r["import_module missing"] = outcome(IL.import_module, "no_such_module_xyz")
    r["find_spec"] = spec_summary(IL.find_spec("onlyns_b"))
    r["find_spec does not import"] = "onlyns_b" in sys.modules
    r["find_spec relative"] = spec_summary(IL.find_spec(".b", "pkgx"))
    r["find_spec missing"] = IL.find_spec("no_such_module_xyz")
    r["find_spec of a name the host imported"] = [
        "fractions" in sys.modules,
        spec_summary(IL.find_spec("fractions"))[1:3],
        "fractions" in sys.modules,
    ]
    r["find_spec dotted imports parents only"] = [
        IL.find_spec("email.mime.text").name,
        sorted(k for k in sys.modules if k.startswith("email.mime")),
    ]
    r["resolve_name"] = [IL.resolve_name("..b", "pkgx.sub"), IL.resolve_name(".c", "pkgx")]
    spec = IL.find_spec("usesimport")
    mod = IL.module_from_spec(spec)
    r["module_from_spec"] = [mod.__name__, "usesimport" in sys.modules, type(mod).__name__]
    spec.loader.exec_module(mod)
    r["exec_module resolves imports"] = [mod.V, "onlyns_c" in sys.modules]
    r["PathFinder.find_spec"] = spec_summary(IL.path_finder_spec("onlyns_d"))
    r["PathFinder.find_spec(path)"] = spec_summary(IL.path_finder_spec("onlyns_d", [ROOT]))
    r["FileFinder"] = spec_summary(IL.file_finder(ROOT).find_spec("onlyns_d"))
    r["FileFinder.path_hook"] = spec_summary(IL.file_finder_hook(ROOT).find_spec("onlyns_d"))
    r["found by finders, not imported"] = "onlyns_d" in sys.modules
    reloadme = IL.import_module("reloadme")
    with open(os.path.join(ROOT, "reloadme.py"), "w") as f:
        f.write("V = 22  # changed\\n")
    again = IL.reload(reloadme)
    r["reload"] = [again is reloadme, reloadme.V, sys.modules["reloadme"] is reloadme]
    r["late before"] = IL.find_spec("late_xyz")
    with open(late, "w") as f:
        f.write("V = 'late'\\n")
    IL.invalidate_caches()
    r["late after invalidate_caches"] = IL.import_module("late_xyz").V
    result = r
"""


@pytest.mark.parametrize("variant", ["top_il", "lazy_il"])
def test_importlib_inside_acts_on_the_namespace(tree, make_ns, variant):
    """`top_il` imports importlib at module level, `lazy_il` inside each function."""
    root = tree(IMPORTLIB_FILES)
    ns = make_ns(root)
    script = f"VARIANT = {variant!r}\n" + textwrap.dedent(IMPORTLIB_SCRIPT)
    differential(ns, root, script)
    for name in ("onlyns", "pkgx.mod", "onlyns_c", "reloadme", "late_xyz"):
        assert name in ns.modules, name
        assert name not in sys.modules, name
    assert "fractions" not in ns.modules
    assert "onlyns_d" not in ns.modules
    assert ns.modules["email"] is not sys.modules["email"]
    assert ns.modules["email.mime"] is not sys.modules["email.mime"]


# ------------------------------------------------------------------------------ sys from inside


def test_sys_path_rebinding_inside_rebinds_the_namespace_path(tree, make_ns, tmp_path_factory):
    root = tree({"rebinder.py": ""})
    other = tmp_path_factory.mktemp("other")
    (other / "inother.py").write_text("VALUE = 'other'\n")
    ns = make_ns(root)
    host_path = list(sys.path)
    scope = exec_inside(
        ns,
        root,
        f"""
        import sys, importlib.util

        class VirtualFinder:
            @classmethod
            def find_spec(cls, name, path=None, target=None):
                if name == "virtual_xyz":
                    return importlib.util.spec_from_loader(name, VirtualLoader())

        class VirtualLoader:
            def create_module(self, spec):
                return None

            def exec_module(self, module):
                module.VALUE = "virtual"

        sys.path = [{str(other)!r}] + sys.path
        import inother
        found = inother.VALUE
        spec = importlib.util.find_spec("inother")
        sys.path.insert(0, "/nowhere")
        sys.meta_path.insert(0, VirtualFinder)
        import virtual_xyz
        virtual = virtual_xyz.VALUE
        result = None
        """,
    )
    assert scope["found"] == "other"
    assert scope["virtual"] == "virtual"
    assert ns.path[:3] == ["/nowhere", str(other), str(root)]
    assert ns.sys.path is ns.path
    assert ns.meta_path[0] is scope["VirtualFinder"]
    assert ns.modules["inother"].VALUE == "other"
    assert sys.path == host_path
    assert scope["VirtualFinder"] not in sys.meta_path


def test_redirect_stdout_inside_redirects_the_real_stdout(tree, make_ns, capsys):
    root = tree(
        {
            "redir.py": """
                import contextlib
                import io
                import sys


                def run(peek):
                    out, err = io.StringIO(), io.StringIO()
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                        print("to stdout")
                        print("to stderr", file=sys.stderr)
                        seen = peek()
                    print("plain")
                    return out.getvalue(), err.getvalue(), seen[0] is out, seen[1] is err
            """
        }
    )
    ns = make_ns(root)
    stdout, stderr = sys.stdout, sys.stderr
    redir = ns.import_module("redir")
    out, err, host_saw_out, host_saw_err = redir.run(lambda: (sys.stdout, sys.stderr))
    assert (out, err) == ("to stdout\n", "to stderr\n")
    assert host_saw_out and host_saw_err
    assert sys.stdout is stdout and sys.stderr is stderr
    assert capsys.readouterr().out == "plain\n"


def test_recursionlimit_inside_is_the_real_one(tree, make_ns):
    root = tree({"limits.py": "import sys\n"})
    ns = make_ns(root)
    limits = ns.import_module("limits")
    old = sys.getrecursionlimit()
    try:
        assert limits.sys.getrecursionlimit() == old
        limits.sys.setrecursionlimit(old + 11)
        assert sys.getrecursionlimit() == old + 11
        sys.setrecursionlimit(old + 13)
        assert limits.sys.getrecursionlimit() == old + 13
    finally:
        sys.setrecursionlimit(old)


def test_other_sys_attributes_inside_are_the_real_ones(tree, make_ns):
    root = tree({})
    ns = make_ns(root)
    scope = differential(
        ns,
        root,
        """
        import sys

        def frame_name():
            return sys._getframe().f_code.co_name

        try:
            raise KeyError("x")
        except KeyError as exc:
            info = sys.exc_info()
            exc_info_ok = info[0] is KeyError and info[1] is exc
        try:
            sys.exit(3)
        except SystemExit as exc:
            exit_code = exc.code

        result = {
            "exc_info": exc_info_ok,
            "_getframe": frame_name(),
            "version": sys.version,
            "platform": sys.platform,
            "maxsize": sys.maxsize,
            "implementation": sys.implementation.name,
            "flags.optimize": sys.flags.optimize,
            "intern": sys.intern("abc") == "abc",
            "exit": exit_code,
        }
        """,
    )
    nsys = scope["sys"]
    assert nsys is ns.sys
    assert nsys.argv is sys.argv
    assert nsys.stdout is sys.stdout


# -------------------------------------------------------------------------------- namespace_of


def test_namespace_of(tree, make_ns):
    root = tree(
        {
            "plainmod.py": "",
            "ofpkg/__init__.py": "",
            "ofpkg/sub.py": "",
            "implicit/x.py": "",
        }
    )
    ns = make_ns(root)
    ns2 = make_ns(root)
    of = importspace.namespace_of
    for name in ("plainmod", "ofpkg", "ofpkg.sub", "implicit", "implicit.x", "json"):
        assert of(ns.import_module(name)) is ns, name
    assert of(ns2.import_module("plainmod")) is ns2
    assert of(json) is None
    assert of(sys) is None
    assert of(importspace) is None
    # A shared module is the host's object: it belongs to no namespace, before or after.
    sharing = make_ns(root, path=[str(root), *STDLIB_DIRS], share=("json",))
    assert sharing.import_module("json") is json
    assert of(json) is None
    sharing.close()
    assert of(json) is None


# ----------------------------------------------------- the remaining cases under the shared preset
# The tests above that take no `policy` run under full isolation only; here are the same cases
# with `share=importspace.STDLIB`, for the table of what works under each policy.

SAME_AS_NATIVE_WHEN_SHARED = {
    "importlib.metadata": (DIST_FILES, METADATA_SCRIPT),
    "importlib.resources": (PACKAGE_FILES, RESOURCES_SCRIPT),
    "linecache and traceback": (TB_FILES, TB_SCRIPT),
}


@pytest.mark.parametrize(
    "case",
    [
        "importlib.metadata",
        "importlib.resources",
        "linecache and traceback",
    ],
)
def test_shared_stdlib_same_as_native(tree, make_ns, case):
    """`importlib` stays the namespace's under the preset, so `importlib.metadata` and
    `importlib.resources` still search the namespace's path; the shared `linecache` and
    `traceback` read source through each module's own `__loader__`."""
    files, script = SAME_AS_NATIVE_WHEN_SHARED[case]
    root = tree(files)
    ns = make_ns(root, SHARED)
    differential(ns, root, script)
    assert ns.import_module("importlib") is not importlib


@pytest.mark.parametrize("case", ["pkgutil", "runpy inside", "Namespace.run_path"])
def test_shared_stdlib_pkgutil_and_runpy(tree, make_ns, case):
    if case == "pkgutil":
        root = tree(PACKAGE_FILES)
        ns = make_ns(root, SHARED)
        differential(ns, root, PKGUTIL_SCRIPT)
    else:
        root = tree(RUNPY_FILES)
        ns = make_ns(root, SHARED)
        if case == "runpy inside":  # run_path imports pkgutil (read_code, get_importer)
            script = "import runpy\nresult = runpy.run_path(ROOT + '/script.py')['RESULT']\n"
            differential(ns, root, script)
        else:
            assert ns.run_path(str(root / "script.py"))["RESULT"] == 42


def test_shared_stdlib_submodule_of_a_plain_module(tree, make_ns):
    """`os` (shared) is the host's module, which is not a package; `os.path` is an entry it put
    in the host's sys.modules itself. A namespace sharing `os` takes that entry too, as it takes
    `typing.io` (3.9-3.12) from a shared `typing`, and `run_module` works."""
    ns = make_ns(tree(RUNPY_FILES), SHARED)
    assert ns.import_module("os") is os
    assert ns.import_module("os.path") is os.path
    assert ns.modules["os.path"] is os.path
    if "typing.io" in sys.modules:
        assert ns.import_module("typing.io") is sys.modules["typing.io"]
    assert ns.run_module("runmod")["RESULT"] == 42
    assert ns.run_module("runmod")["HELPER"] is ns.modules["helper"]


def test_shared_stdlib_logging_config_resolves_in_the_host(tree, make_ns):
    """The shared `logging` is the host's: its root logger is the host's, and `logging.config`
    resolves the dotted names of a configuration (a `"()"` factory here) with the host's import,
    which cannot see the namespace's `plugcfg`."""
    root = tree(LOGGING_FILES)
    ns = make_ns(root, SHARED)
    scope = exec_inside(
        ns,
        root,
        """
        import logging, logging.config, plugcfg

        same_root = logging.getLogger() is HOST_ROOT
        resolved = outcome(logging.config.BaseConfigurator({}).resolve, "plugcfg.make_handler")
        result = None
        """,
        HOST_ROOT=logging.getLogger(),
    )
    assert ns.modules["logging"] is logging
    assert scope["same_root"] is True
    # logging.config.BaseConfigurator.importer is the host's __import__ (reads sys.modules).
    assert scope["resolved"] == {
        "raised": "ValueError",
        "message": "Cannot resolve 'plugcfg.make_handler': No module named 'plugcfg'",
    }


def test_shared_stdlib_mock_patch_patches_the_host_module(tree, make_ns, monkeypatch):
    """The shared `unittest.mock` finds a patch target by name with the host's import: it patches
    the host's module of that name, and a name only the namespace has is not found."""
    root = tree(MOCK_FILES)
    host_pkgm = types.ModuleType("pkgm")
    host_mod = types.ModuleType("pkgm.mod")
    host_mod.VALUE = "host"
    host_pkgm.mod = host_mod
    monkeypatch.setitem(sys.modules, "pkgm", host_pkgm)
    monkeypatch.setitem(sys.modules, "pkgm.mod", host_mod)
    ns = make_ns(root, SHARED)
    scope = exec_inside(
        ns,
        root,
        """
        from unittest import mock
        import pkgm.mod, user

        with mock.patch("pkgm.mod.VALUE", "patched"):
            during = [user.read(), pkgm.mod.VALUE, PEEK()]
        only_in_namespace = outcome(lambda: mock.patch("user.read").start())
        result = None
        """,
        PEEK=lambda: host_mod.VALUE,
    )
    assert scope["mock"] is unittest.mock
    # unittest.mock resolves the target with the host's import (3.11+: pkgutil.resolve_name;
    # 3.9, 3.10: mock._importer's __import__), which reads the interpreter's sys.modules.
    assert scope["during"] == ["namespace original", "namespace original", "patched"]
    assert scope["only_in_namespace"] == {
        "raised": "ModuleNotFoundError",
        "message": "No module named 'user'",
    }
    assert host_mod.VALUE == "host"


@pytest.mark.parametrize("variant", ["top_il", "lazy_il"])
def test_shared_stdlib_importlib_inside_acts_on_the_namespace(tree, make_ns, variant):
    """`importlib` is the namespace's under the preset; a stdlib name is found by the namespace's
    `SharedImporter` (no file origin), since the preset hands the host's module in."""
    root = tree(IMPORTLIB_FILES)
    ns = make_ns(root, SHARED)
    script = f"VARIANT = {variant!r}\n" + textwrap.dedent(IMPORTLIB_SCRIPT)
    # `fractions` is a shared stdlib name: found by the SharedImporter, not by a path finder.
    deviations = {("find_spec of a name the host imported", 1): [None, "SharedImporter"]}
    differential(ns, root, script, deviations=deviations)
    for name in ("onlyns", "pkgx.mod", "onlyns_c", "reloadme", "late_xyz"):
        assert name in ns.modules, name
        assert name not in sys.modules, name
    assert "fractions" not in ns.modules
    assert "onlyns_d" not in ns.modules
    assert ns.modules["email"] is sys.modules["email"]
    assert ns.modules["email.mime"] is sys.modules["email.mime"]


def test_world_capturing_accelerators_serve_the_namespace(tmp_path):
    """`_asyncio`, `_elementtree` and `_decimal` keep objects of the modules they import when they
    initialise (single-phase up to 3.11 / 3.12): inside a namespace, asyncio's cancellation is
    caught as the namespace's `CancelledError`, `Decimal` is a `numbers.Number` of the
    namespace, and ElementTree works, as natively (docs/compliance.md)."""
    assert_matches_native(
        tmp_path,
        """
        import asyncio, decimal, numbers
        import xml.etree.ElementTree as ET

        async def main():
            task = asyncio.ensure_future(asyncio.sleep(10))
            await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return "cancelled"

        result = [
            asyncio.run(main()),
            isinstance(decimal.Decimal(1), numbers.Number),
            str(decimal.Decimal("1.10") + decimal.Decimal("2.205")),
            ET.tostring(ET.fromstring("<a><b>x</b></a>").find("b")).decode(),
        ]
        """,
    )
