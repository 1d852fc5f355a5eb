"""pickle inside a namespace runs CPython's C pickler (`_pickle`), with the namespace's modules:
differential against a native run, plus what only a namespace has (host code calling the
namespace's pickle, data handed from one namespace to another)."""

from __future__ import annotations

import copyreg
import pickle
import sys

import pytest
from conftest import assert_matches_native, run_in_namespace, write_tree

import importspace

PLUGIN = {
    "plugin/__init__.py": "",
    "plugin/models.py": """
        import dataclasses
        import re

        @dataclasses.dataclass
        class Point:
            x: int
            label: str = "p"
            pattern: object = None

        class Registered:
            def __init__(self, value):
                self.value = value

        def reduce_registered(obj):
            return (Registered, (obj.value * 2,))
    """,
}

ROUND_TRIPS = """
import _pickle, copyreg, io, pickle, re
from plugin.models import Point, Registered, reduce_registered

result = {}
result["c pickler"] = pickle.Pickler is _pickle.Pickler and pickle.dumps is _pickle.dumps
result["names"] = sorted(n for n in dir(_pickle) if not n.startswith("__"))
point = Point(3, "a", re.compile("ab+", re.I))
for proto in range(pickle.HIGHEST_PROTOCOL + 1):
    back = pickle.loads(pickle.dumps(point, proto))
    result[f"point {proto}"] = [type(back) is Point, back.x, back.label, back.pattern.pattern]
result["class by reference"] = pickle.dumps(Point, 2).count(b"plugin.models")
result["function by reference"] = pickle.loads(pickle.dumps(reduce_registered)) is reduce_registered
result["pickle.dumps by reference"] = pickle.loads(pickle.dumps(pickle.dumps)) is pickle.dumps
copyreg.pickle(Registered, reduce_registered)
result["copyreg reducer"] = pickle.loads(pickle.dumps(Registered(21))).value
buffers = []
data = pickle.dumps(
    [pickle.PickleBuffer(bytearray(b"out of band"))], 5, buffer_callback=buffers.append
)
result["protocol 5"] = bytes(pickle.loads(data, buffers=buffers)[0]).decode()
file = io.BytesIO()
pickle.Pickler(file, 4).dump({"k": Point(1)})
file.seek(0)
result["Pickler/Unpickler"] = pickle.Unpickler(file).load()["k"].x
try:
    pickle.Pickler(io.BytesIO()).dispatch_table
except AttributeError:
    result["default dispatch_table"] = "unset"
def make_local():
    class Local:
        pass
    return Local
try:
    pickle.dumps(make_local())
except (pickle.PicklingError, AttributeError) as exc:
    result["error"] = [type(exc).__name__, str(exc).split(" at 0x")[0]]
try:
    pickle.loads(b"\\x80\\x04\\x95\\x12\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x8c\\x06plugin\\x94\\x8c\\x04Nope\\x94\\x93\\x94.")
except AttributeError as exc:
    result["missing class"] = [type(exc).__name__, str(exc)]
"""


def test_c_pickler_round_trips_as_natively(tmp_path):
    write_tree(tmp_path, PLUGIN)
    assert_matches_native(tmp_path, ROUND_TRIPS)


def test_import_pickle_module_is_the_c_one_and_host_unchanged(tmp_path):
    write_tree(tmp_path, PLUGIN)
    ns = importspace.Namespace(path=[str(tmp_path), *sys.path])
    try:
        pickle = ns.import_module("pickle")
        c_pickle = ns.import_module("_pickle")
        assert pickle.Pickler is c_pickle.Pickler
        assert pickle.PickleBuffer is sys.modules.get("_pickle", c_pickle).PickleBuffer
        assert "plugin.models" not in sys.modules
    finally:
        ns.close()


def test_host_code_pickles_with_the_namespace_pickle_and_another_namespace_loads(tmp_path):
    write_tree(tmp_path, PLUGIN)
    first = importspace.Namespace(path=[str(tmp_path), *sys.path])
    second = importspace.Namespace(path=[str(tmp_path), *sys.path])
    try:
        models = first.import_module("plugin.models")
        # Host code (this frame) calls the first namespace's pickle: its C pickler still finds
        # `plugin.models` in the first namespace.
        data = first.import_module("pickle").dumps([models.Point(7, "host")], 5)
        back = second.import_module("pickle").loads(data)
        assert type(back[0]) is second.import_module("plugin.models").Point
        assert (back[0].x, back[0].label) == (7, "host")
        assert type(back[0]) is not models.Point
    finally:
        first.close()
        second.close()


def test_host_pickle_is_untouched_by_a_namespace(tmp_path):
    write_tree(tmp_path, PLUGIN)
    table = dict(copyreg.dispatch_table)
    ns = importspace.Namespace(path=[str(tmp_path), *sys.path])
    try:
        run_in_namespace(
            ns,
            """
            import copyreg, pickle
            from plugin.models import Registered, reduce_registered
            copyreg.pickle(Registered, reduce_registered)
            result = pickle.loads(pickle.dumps(Registered(1))).value
            """,
        )
    finally:
        ns.close()
    assert copyreg.dispatch_table == table
    assert pickle.loads(pickle.dumps({"a": 1})) == {"a": 1}


@pytest.mark.parametrize("document", ['"\\x"', "[1,", '{"a" 1}'])
def test_json_decode_errors_are_the_namespace_class(tmp_path, document):
    assert_matches_native(
        tmp_path,
        f"""
        import json
        try:
            json.loads({document!r})
        except Exception as exc:
            result = [type(exc).__name__, type(exc) is json.JSONDecodeError, str(exc)]
        """,
    )
