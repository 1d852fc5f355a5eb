"""pydantic 1 and pydantic 2, the real packages, side by side in one process: each in its own
namespace with its own dependencies (realpkgs.PYDANTIC: pydantic 1.10's Cython build, pydantic 2
with the pyo3 extension pydantic-core), each seeing its own `importlib.metadata.version(...)`,
each creating and validating models, and host code calling into both.

Each namespace's path is its pinned install folders, a folder with `plugin_models.py` (the same
module name on both sides: a plugin's models, written for its pydantic) and the standard library.
What must hold:
- each side imports its own pydantic, and code inside reads its own version from
  `importlib.metadata`; the host's metadata and import state are as they were;
- each side's models behave exactly as natively: the same module run in a fresh interpreter with
  the same path gives the same answers (valid input, coercion, and a ValidationError per kind of
  bad input, in each version's own shape: pydantic 1's `type_error.integer`, pydantic 2's
  `int_parsing` with its `url`), the same repr, dump, JSON and JSON schema;
- the host builds and validates models of both sides, catches each side's ValidationError, and
  hands one side's data to the other;
- the same, with both namespaces made in a fresh process whose host has imported nothing but
  importspace.

Both extensions keep process-wide state (Cython's and pyo3's module caches), so this process's
namespaces are made once for the module, and a fresh process checks the first load again.

The installs need pip and the package registry the first time (later runs reuse the cache in
.cache/real-packages/). Without them these tests fail, unless IMPORTSPACE_OFFLINE=1 is set,
which makes them skip.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import difftools
import pytest
import realpkgs
from conftest import run_native, write_tree

import importspace

# The first run installs the seven distributions with pip before its first test.
pytestmark = pytest.mark.timeout(900)

SIDES = ("v1", "v2")
# The top-level names the installed distributions and the helper provide: the host's modules
# of these names (it may have its own typing_extensions) stay as they were, and none is added.
FOREIGN = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
    "plugin_models",
)

# What both sides' `plugin_models` share: inputs, and how answers are turned into JSON.
COMMON = """
import importlib.metadata
import json
from datetime import date
from typing import List, Optional

PYDANTIC_VERSION = importlib.metadata.version("pydantic")

VALID = {"id": 1, "name": "ada lovelace", "signup": "2020-01-02", "tags": ["math"]}
CASES = {
    "valid": VALID,
    "coerced": {"id": "42", "name": "  grace hopper ", "signup": date(2021, 5, 6),
                "tags": ("a", "b")},
    "nested": {**VALID, "address": {"city": "Paris", "zip_code": "75001"}},
    "wrong type": {**VALID, "id": "abc"},
    "missing": {"name": "x"},
    "extra": {**VALID, "unknown": 1},
    "pattern": {**VALID, "address": {"city": "Paris", "zip_code": "75OO1"}},
    "validator": {**VALID, "name": "   "},
    "several": {"id": [], "name": None, "signup": "not a date", "tags": [1, None]},
}


def as_json(value):
    return json.loads(json.dumps(value, default=repr))


def facts():
    return as_json({
        "version": PYDANTIC_VERSION,
        "VERSION": str(pydantic.VERSION),
        "extension": EXTENSION,
        "cases": {name: validate(data) for name, data in CASES.items()},
        "schema": schema(),
    })
"""

PLUGIN_MODELS = {
    "v1": '''
        """A plugin's models, for pydantic 1."""
        from __future__ import annotations

        import pydantic
        from pydantic import BaseModel, Field, ValidationError, validator

        COMMON

        # True for the Cython build, whose modules are extension modules.
        EXTENSION = [pydantic.compiled, pydantic.main.__file__.rsplit(".", 1)[-1]]


        class Address(BaseModel):
            city: str
            zip_code: str = Field(regex=r"^[0-9]{5}$")


        class User(BaseModel):
            id: int
            name: str
            signup: date
            tags: List[str] = []
            address: Optional[Address] = None

            class Config:
                extra = "forbid"

            @validator("name")
            def name_not_blank(cls, value):
                if not value.strip():
                    raise ValueError("must not be blank")
                return value.strip().title()


        def validate(data):
            try:
                user = User.parse_obj(data)
            except ValidationError as exc:
                return {"errors": json.loads(exc.json()), "text": str(exc)}
            return {"repr": repr(user), "dump": json.loads(user.json()), "json": user.json()}


        def schema():
            return User.schema()


        def load(data):
            return User.parse_obj(data)


        def dump(user):
            return json.loads(user.json())
    ''',
    "v2": '''
        """A plugin's models, for pydantic 2."""
        from __future__ import annotations

        import pydantic
        import pydantic_core
        from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

        COMMON

        EXTENSION = [pydantic_core.__version__, pydantic_core._pydantic_core.__name__]


        class Address(BaseModel):
            city: str
            zip_code: str = Field(pattern=r"^[0-9]{5}$")


        class User(BaseModel):
            model_config = ConfigDict(extra="forbid")

            id: int
            name: str
            signup: date
            tags: List[str] = []
            address: Optional[Address] = None

            @field_validator("name")
            @classmethod
            def name_not_blank(cls, value):
                if not value.strip():
                    raise ValueError("must not be blank")
                return value.strip().title()


        def validate(data):
            try:
                user = User.model_validate(data)
            except ValidationError as exc:
                return {
                    "errors": json.loads(exc.json()),
                    "text": str(exc),
                    "count": exc.error_count(),
                    "title": exc.title,
                }
            return {
                "repr": repr(user),
                "dump": user.model_dump(mode="json"),
                "json": user.model_dump_json(),
            }


        def schema():
            return User.model_json_schema()


        def load(data):
            return User.model_validate(data)


        def dump(user):
            return user.model_dump(mode="json")
    ''',
}


def plugin_source(side: str) -> str:
    return textwrap.dedent(PLUGIN_MODELS[side]).replace("COMMON", COMMON.strip())


def _within(path, folder) -> bool:
    if path is None:
        return False
    real = os.path.realpath(path)
    top = os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


# Reading metadata in the host imports email.parser and friends the first time: do it now,
# before any test takes its snapshot of the host's modules.
realpkgs.host_dist_version("pytest")


def _outside_stdlib(files: dict[str, str | None]) -> dict[str, str]:
    """Of `{module name: __file__}`, those that are neither built in nor in the standard
    library."""
    return {n: f for n, f in files.items() if f is not None and not _within(f, sys.base_prefix)}


def _foreign_in_host() -> dict[str, object]:
    """The host's modules named like those of the installs and the helper (the host may have
    its own `typing_extensions`, a dependency of pytest's on older Pythons)."""
    return {n: m for n, m in sys.modules.items() if n.partition(".")[0] in FOREIGN}


# Taken when the module is collected, before any namespace is made.
HOST_FOREIGN = _foreign_in_host()


@pytest.fixture(scope="module")
def folders() -> dict[str, dict[str, Path]]:
    """Each side's install folders, `{side: {distribution: folder}}`."""
    return realpkgs.installed_or_skip(realpkgs.install_pydantic, "pydantic")


@pytest.fixture(scope="module")
def paths(folders, tmp_path_factory) -> dict[str, list[str]]:
    """Each side's path: its install folders, its `plugin_models` folder, the standard library
    (no site-packages: nothing the host has installed can leak in)."""
    root = tmp_path_factory.mktemp("pydantic-plugins")
    result = {}
    for side in SIDES:
        helpers = write_tree(root / side, {"plugin_models.py": plugin_source(side)})
        installs = [str(folder) for folder in folders[side].values()]
        result[side] = [*installs, str(helpers), *difftools.STDLIB_DIRS]
    return result


@pytest.fixture(scope="module")
def native(paths, tmp_path_factory) -> dict[str, dict]:
    """`plugin_models.facts()` of each side, run natively in a fresh interpreter over the same
    path."""
    root = tmp_path_factory.mktemp("pydantic-native")
    return {
        side: run_native(
            root,
            f"sys.path[:] = {paths[side]!r}\nimport plugin_models\nresult = plugin_models.facts()",
        )
        for side in SIDES
    }


@pytest.fixture(scope="module")
def sides(paths):
    """Both namespaces, alive together for the module, with pydantic imported (each test
    imports `plugin_models` through `models()`); the host's sys.modules gains nothing of theirs,
    and after `close()` the host is as it was."""
    before = set(sys.modules)
    host_versions = {dist: realpkgs.host_dist_version(dist) for dist in realpkgs.PYDANTIC_TOP_LEVEL}
    made = {}
    try:
        for side in SIDES:
            ns = importspace.Namespace(path=paths[side], name=f"pydantic-{side}")
            made[side] = ns
            ns.import_module("pydantic")
        assert _foreign_in_host() == HOST_FOREIGN
        yield made
    finally:
        for ns in made.values():
            ns.close()
    assert all(ns.closed for ns in made.values())
    assert _foreign_in_host() == HOST_FOREIGN
    added = {n: getattr(sys.modules[n], "__file__", None) for n in sys.modules if n not in before}
    assert _outside_stdlib(added) == {}
    assert {d: realpkgs.host_dist_version(d) for d in realpkgs.PYDANTIC_TOP_LEVEL} == host_versions


def models(sides, side):
    """The side's `plugin_models`, imported in its namespace (defining its models)."""
    return sides[side].import_module("plugin_models")


# --- each side is its own --------------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
def test_each_side_imports_its_own_pydantic(sides, folders, side):
    ns = sides[side]
    pydantic = ns.modules["pydantic"]
    assert _within(pydantic.__file__, folders[side]["pydantic"])
    assert importspace.namespace_of(pydantic) is ns
    other = sides["v2" if side == "v1" else "v1"]
    assert other.modules["pydantic"] is not pydantic
    expected = realpkgs.PYDANTIC[side]
    assert str(pydantic.VERSION) == expected["pydantic"]
    for dist, top in realpkgs.PYDANTIC_TOP_LEVEL.items():
        spec = ns.find_spec(top)
        if dist in expected:
            assert spec is not None and _within(spec.origin, folders[side][dist]), (dist, spec)
        else:
            assert spec is None, (dist, spec)


@pytest.mark.parametrize("side", SIDES)
def test_each_side_sees_its_own_metadata(sides, side):
    ns = sides[side]
    metadata = ns.import_module("importlib.metadata")
    assert metadata is not importlib.metadata
    for dist, version in realpkgs.PYDANTIC[side].items():
        assert metadata.version(dist) == version
    assert models(sides, side).PYDANTIC_VERSION == realpkgs.PYDANTIC[side]["pydantic"]
    if side == "v1":
        with pytest.raises(metadata.PackageNotFoundError):
            metadata.version("pydantic-core")


def test_the_extensions_are_loaded(sides, folders):
    # pydantic 1.10's binary wheel: its modules are Cython extension modules.
    v1 = sides["v1"].modules
    assert v1["pydantic"].compiled is True
    for name in ("pydantic", "pydantic.main", "pydantic.fields", "pydantic.validators"):
        assert v1[name].__file__.endswith(".so"), v1[name].__file__
        assert _within(v1[name].__file__, folders["v1"]["pydantic"])
    # pydantic 2's pydantic-core: a pyo3 extension.
    core = sides["v2"].modules["pydantic_core._pydantic_core"]
    assert _within(core.__file__, folders["v2"]["pydantic-core"])
    assert core.__version__ == realpkgs.PYDANTIC["v2"]["pydantic-core"]
    assert sides["v2"].modules["pydantic_core"].__version__ == core.__version__


# --- each side behaves as natively -----------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
def test_models_match_native(sides, native, side):
    inside = json.loads(json.dumps(models(sides, side).facts()))
    difftools.assert_same(inside, native[side])
    assert inside["version"] == realpkgs.PYDANTIC[side]["pydantic"]


def test_validation_errors_have_each_version_s_shape(sides):
    v1 = models(sides, "v1").facts()["cases"]
    v2 = models(sides, "v2").facts()["cases"]
    for cases in (v1, v2):
        assert {n for n, c in cases.items() if "errors" in c} == {
            "wrong type",
            "missing",
            "extra",
            "pattern",
            "validator",
            "several",
        }
        assert cases["coerced"]["dump"] == {
            "id": 42,
            "name": "Grace Hopper",
            "signup": "2021-05-06",
            "tags": ["a", "b"],
            "address": None,
        }

    # pydantic 1: {loc, msg, type}, dotted types.
    assert v1["wrong type"]["errors"] == [
        {"loc": ["id"], "msg": "value is not a valid integer", "type": "type_error.integer"}
    ]
    assert [e["type"] for e in v1["missing"]["errors"]] == ["value_error.missing"] * 2
    assert v1["extra"]["errors"][0]["type"] == "value_error.extra"
    assert v1["pattern"]["errors"][0]["type"] == "value_error.str.regex"
    assert v1["validator"]["errors"] == [
        {"loc": ["name"], "msg": "must not be blank", "type": "value_error"}
    ]
    assert v1["wrong type"]["text"].startswith("1 validation error for User\nid\n")

    # pydantic 2: {type, loc, msg, input, url}, the documentation's URL for this version.
    url = "https://errors.pydantic.dev/{}/v/".format(
        ".".join(realpkgs.PYDANTIC["v2"]["pydantic"].split(".")[:2])
    )
    assert v2["wrong type"]["errors"] == [
        {
            "type": "int_parsing",
            "loc": ["id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "abc",
            "url": url + "int_parsing",
        }
    ]
    assert [e["type"] for e in v2["missing"]["errors"]] == ["missing"] * 2
    assert v2["extra"]["errors"][0]["type"] == "extra_forbidden"
    assert v2["pattern"]["errors"][0]["type"] == "string_pattern_mismatch"
    assert v2["validator"]["errors"][0]["msg"] == "Value error, must not be blank"
    assert v2["several"]["count"] == len(v2["several"]["errors"]) >= 4
    assert v2["wrong type"]["title"] == "User"
    assert v2["wrong type"]["text"].startswith("1 validation error for User\nid\n")


# --- the host calls into both ----------------------------------------------------------------


def test_host_builds_and_validates_models_of_both(sides):
    v1, v2 = models(sides, "v1"), models(sides, "v2")
    data = {"id": "7", "name": "alan turing", "signup": "1936-05-28"}

    user1 = v1.User(**data)
    user2 = v2.User(**data)
    assert (user1.id, user1.name, str(user1.signup)) == (7, "Alan Turing", "1936-05-28")
    assert (user2.id, user2.name, str(user2.signup)) == (7, "Alan Turing", "1936-05-28")
    assert type(user1).__mro__[1] is sides["v1"].modules["pydantic"].BaseModel
    assert type(user2).__mro__[1] is sides["v2"].modules["pydantic"].BaseModel
    assert not isinstance(user1, sides["v2"].modules["pydantic"].BaseModel)
    assert not isinstance(user2, sides["v1"].modules["pydantic"].BaseModel)

    # Each side raises its own ValidationError; neither is the other's.
    error1 = sides["v1"].modules["pydantic"].ValidationError
    error2 = sides["v2"].modules["pydantic"].ValidationError
    assert error1 is not error2
    assert error2 is sides["v2"].modules["pydantic_core"].ValidationError
    with pytest.raises(error1) as raised1:
        v1.User(id="x", name="a", signup="2000-01-01")
    with pytest.raises(error2) as raised2:
        v2.User.model_validate({"id": "x", "name": "a", "signup": "2000-01-01"})
    assert not isinstance(raised1.value, error2)
    assert not isinstance(raised2.value, error1)
    assert isinstance(raised1.value, ValueError) and isinstance(raised2.value, ValueError)
    assert raised1.value.errors()[0]["type"] == "type_error.integer"
    assert raised2.value.errors()[0]["type"] == "int_parsing"

    # A model made by host code with the pydantic 2 API.
    point2 = sides["v2"].modules["pydantic"].create_model("Point", x=(int, ...), y=(int, 0))
    assert point2(x="3").model_dump() == {"x": 3, "y": 0}
    with pytest.raises(error2):
        point2(y=1)


@pytest.mark.xfail(
    strict=True,
    raises=ModuleNotFoundError,
    reason="pydantic 1's compiled create_model imports pydantic.schema at run time with "
    "PyImport_ImportModuleLevelObject; called from a host frame, that import is the host's "
    "(docs/compliance.md, compiled code's run-time imports)",
)
def test_host_creates_a_pydantic_1_model(sides):
    point1 = sides["v1"].modules["pydantic"].create_model("Point", x=(int, ...), y=(int, 0))
    assert point1(x="3").dict() == {"x": 3, "y": 0}


def test_host_hands_data_from_one_side_to_the_other(sides):
    v1, v2 = models(sides, "v1"), models(sides, "v2")
    nested = {
        "id": 3,
        "name": "edsger dijkstra",
        "signup": "1972-10-01",
        "tags": ["go to"],
        "address": {"city": "Austin", "zip_code": "78712"},
    }
    from_v1 = v1.dump(v1.load(nested))
    user2 = v2.load(from_v1)
    assert v2.dump(user2) == from_v1
    back = v1.load(v2.dump(user2))
    assert v1.dump(back) == from_v1
    assert type(back.address) is v1.Address
    assert type(user2.address) is v2.Address
    # One side's model instance is not a model to the other side: its data is.
    with pytest.raises(sides["v2"].modules["pydantic"].ValidationError):
        v2.User.model_validate({**nested, "address": back.address})
    assert v2.User.model_validate({**nested, "address": back.address.dict()}).address.city == (
        "Austin"
    )


def test_host_metadata_is_untouched(sides):
    for side in SIDES:
        assert (
            sides[side].import_module("importlib.metadata").version("pydantic")
            == (realpkgs.PYDANTIC[side]["pydantic"])
        )
    # The host's own answer is whatever it was (the host's environment has no pydantic from
    # these folders): the namespaces' paths are theirs alone.
    host = realpkgs.host_dist_version("pydantic")
    assert host not in (realpkgs.PYDANTIC["v1"]["pydantic"], realpkgs.PYDANTIC["v2"]["pydantic"])
    assert _foreign_in_host() == HOST_FOREIGN


# --- in a fresh process ----------------------------------------------------------------------

# Run with `python -c` in a child whose host imports nothing but importspace (and json, sys,
# os to report): both namespaces, pydantic's first load in the process, host calls into both.
FRESH_PROCESS = """
import json, os, sys
import importspace

paths = json.loads(sys.argv[1])
before = set(sys.modules)
spaces = {side: importspace.Namespace(path=path, name="pydantic-" + side)
          for side, path in paths.items()}
plugins = {side: ns.import_module("plugin_models") for side, ns in spaces.items()}
facts = {side: plugin.facts() for side, plugin in plugins.items()}
handed = plugins["v2"].dump(plugins["v2"].load(plugins["v1"].dump(plugins["v1"].load(
    plugins["v1"].VALID))))
versions = {side: ns.import_module("importlib.metadata").version("pydantic")
            for side, ns in spaces.items()}
added = sorted(set(sys.modules) - before)
for ns in spaces.values():
    ns.close()
print(json.dumps({
    "facts": facts,
    "handed": handed,
    "versions": versions,
    "added": {name: getattr(sys.modules.get(name), "__file__", None) for name in added},
    "after close": sorted(set(sys.modules) - before),
}))
"""


def test_side_by_side_in_a_fresh_process(paths, native, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, json.dumps(paths)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    difftools.assert_same(answer["facts"], native)
    assert answer["versions"] == {side: realpkgs.PYDANTIC[side]["pydantic"] for side in SIDES}
    assert answer["handed"] == native["v2"]["cases"]["valid"]["dump"]
    # The host gains standard-library modules at most (the shared set), nothing of the plugins.
    foreign = [n for n in answer["added"] if n.partition(".")[0] in FOREIGN]
    assert foreign == []
    assert _outside_stdlib(answer["added"]) == {}
