"""Two versions of real PyPI packages side by side: packaging 21.3 and 24.2, attrs 21.4.0 and
25.1.0, each version in its own target folder (see realpkgs.py), imported into two namespaces of
this one process.

Each namespace must see its own code, its own `__version__` and its own
`importlib.metadata.version(...)`; objects from both must work together from the host; and the
host's import state must stay as it was (the autouse fixture in conftest.py checks sys.modules,
path, meta_path, path_hooks and path_importer_cache after every test; the tests here also check
the watched names explicitly).

The installs need pip and the package registry the first time (later runs reuse the cache in
.cache/real-packages/). Without them these tests fail, unless IMPORTSPACE_OFFLINE=1 is set,
which makes them skip.
"""

from __future__ import annotations

import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import difftools
import pytest
import realpkgs

import importspace

# The first run installs four distributions with pip before its first test.
pytestmark = pytest.mark.timeout(900)

# Host modules that must be neither added, removed nor replaced by the namespace work.
WATCHED = (
    "packaging",
    "packaging.version",
    "packaging.specifiers",
    "attr",
    "attrs",
    "importlib.metadata",
    "probe_meta",
    "shapes",
)

# Module files put on each namespace's path, next to the installed packages.
HELPERS = {
    # Code run inside the namespace asks importlib.metadata for versions, in both spellings.
    "probe_meta.py": """
        import importlib.metadata
        from importlib.metadata import version

        ATTRS = importlib.metadata.version("attrs")
        PACKAGING = version("packaging")


        def version_of(dist):
            return importlib.metadata.version(dist)
    """,
    # attrs classes defined inside the namespace, with whichever attrs it has.
    "shapes.py": """
        import attr


        @attr.s(auto_attribs=True, frozen=True)
        class Point:
            x: int
            y: int = 0


        @attr.define
        class Box:
            label: str
            items: list = attr.Factory(list)


        def field_names(cls):
            return [a.name for a in attr.fields(cls)]
    """,
}


# The folder of the pure-Python standard library (sysconfig would import _sysconfigdata_* into
# the host on first use, in the middle of a test).
STDLIB = os.path.dirname(os.path.realpath(os.__file__))


def _within(path: str | os.PathLike[str] | None, folder: Path) -> bool:
    if path is None:
        return False
    real = os.path.realpath(path)
    top = os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


def stdlib_path() -> list[str]:
    """The host's sys.path without site-packages, the project's folders or the current
    directory: only the standard library's entries (the zip, the library, lib-dynload), so that
    the host's own packaging and attrs cannot leak into a namespace."""
    entries = difftools.stdlib_dirs()
    assert STDLIB in [os.path.realpath(e) for e in entries], (STDLIB, sys.path)
    return entries


@dataclass
class Side:
    """One namespace with one version of each distribution."""

    label: str
    versions: dict[str, str]
    dirs: dict[str, Path]
    helpers: Path
    path: list[str]
    ns: importspace.Namespace
    _mods: dict[str, ModuleType] = field(default_factory=dict)

    def mod(self, name: str) -> ModuleType:
        if name not in self._mods:
            self._mods[name] = self.ns.import_module(name)
        return self._mods[name]


def _watched_state() -> dict[str, object]:
    return {name: sys.modules.get(name) for name in WATCHED}


# Reading metadata in the host imports email.parser and friends the first time: do it now,
# before any test takes its snapshot of the host's modules.
realpkgs.host_dist_version("pytest")


@pytest.fixture(scope="session")
def real_packages() -> dict[tuple[str, str], Path]:
    return realpkgs.installed_or_skip(realpkgs.install_all, "real-package")


def make_side(label: str, versions: dict[str, str], real_packages, root: Path) -> Side:
    dirs = {dist: real_packages[(dist, version)] for dist, version in versions.items()}
    helpers = root / label
    for rel, text in HELPERS.items():
        target = helpers / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    path = [str(dirs["packaging"]), str(dirs["attrs"]), str(helpers), *stdlib_path()]
    ns = importspace.Namespace(path=path, name=f"real-{label}")
    return Side(label, versions, dirs, helpers, path, ns)


@pytest.fixture
def sides(real_packages, tmp_path):
    """Both namespaces, alive at the same time; closed afterwards, and the watched host modules
    checked to be as they were."""
    before = _watched_state()
    old = make_side("old", realpkgs.OLD, real_packages, tmp_path)
    new = make_side("new", realpkgs.NEW, real_packages, tmp_path)
    try:
        yield {"old": old, "new": new}
    finally:
        old.ns.close()
        new.ns.close()
    assert old.ns.closed and new.ns.closed
    assert _watched_state() == before


SIDES = ("old", "new")


# --- each namespace sees its own code --------------------------------------------------------


@pytest.mark.parametrize("label", SIDES)
def test_finds_its_own_installs_only(sides, label):
    side = sides[label]
    assert side.ns.path == side.path
    assert side.ns.sys.path == side.path
    for dist, top in realpkgs.TOP_LEVEL.items():
        spec = side.ns.find_spec(top)
        assert spec is not None, top
        assert _within(spec.origin, side.dirs[dist]), (spec.origin, side.dirs[dist])
    # The host's site-packages (where pytest and the host's packaging live) is not on the path.
    assert side.ns.find_spec("pytest") is None
    assert side.ns.find_spec("_pytest") is None


@pytest.mark.parametrize("label", SIDES)
def test_packaging_is_its_own(sides, label):
    side = sides[label]
    packaging = side.mod("packaging")
    assert packaging.__version__ == side.versions["packaging"]
    assert _within(packaging.__file__, side.dirs["packaging"])
    for sub in ("packaging.version", "packaging.specifiers", "packaging.utils"):
        module = side.mod(sub)
        assert _within(module.__file__, side.dirs["packaging"]), module.__file__
        assert side.ns.modules[sub] is module
        assert side.ns.sys.modules[sub] is module
    assert side.mod("packaging.version").Version("1.0.post2").post == 2
    other = sides["new" if label == "old" else "old"]
    assert other.mod("packaging") is not packaging
    assert other.mod("packaging.version").Version is not side.mod("packaging.version").Version


@pytest.mark.parametrize("label", SIDES)
def test_attrs_is_its_own(sides, label):
    side = sides[label]
    attr = side.mod("attr")
    attrs = side.mod("attrs")  # the `attrs` import name, new in attrs 21.3.0
    assert _within(attr.__file__, side.dirs["attrs"])
    assert _within(attrs.__file__, side.dirs["attrs"])
    assert attrs.define is attr.define
    # 21.4.0 sets __version__ in its source; 25.1.0 reads it with importlib.metadata, run
    # inside the namespace.
    assert attr.__version__ == side.versions["attrs"]
    assert attrs.__version__ == side.versions["attrs"]
    other = sides["new" if label == "old" else "old"]
    assert other.mod("attr") is not attr
    assert other.mod("attr").define is not attr.define


@pytest.mark.parametrize("label", SIDES)
def test_importlib_metadata_inside_the_namespace(sides, label):
    side = sides[label]
    metadata = side.mod("importlib.metadata")
    assert metadata is not sys.modules.get("importlib.metadata")
    assert metadata.version("packaging") == side.versions["packaging"]
    assert metadata.version("attrs") == side.versions["attrs"]
    distribution = metadata.distribution("attrs")
    assert distribution.version == side.versions["attrs"]
    assert _within(distribution.locate_file("attr/__init__.py"), side.dirs["attrs"])


@pytest.mark.parametrize("label", SIDES)
def test_code_in_the_namespace_sees_its_own_versions(sides, label):
    side = sides[label]
    probe = side.mod("probe_meta")
    assert _within(probe.__file__, side.helpers)
    assert probe.ATTRS == side.versions["attrs"]
    assert probe.PACKAGING == side.versions["packaging"]
    assert probe.version_of("attrs") == side.versions["attrs"]


def test_host_metadata_is_untouched(sides):
    host = {dist: realpkgs.host_dist_version(dist) for dist in realpkgs.TOP_LEVEL}
    for side in sides.values():
        side.mod("packaging")
        side.mod("attr")
        side.mod("importlib.metadata")
    assert {dist: realpkgs.host_dist_version(dist) for dist in realpkgs.TOP_LEVEL} == host


# --- objects from both namespaces, used together from the host -------------------------------


def test_versions_and_specifiers_across_namespaces(sides):
    old_version = sides["old"].mod("packaging.version")
    new_version = sides["new"].mod("packaging.version")
    old_specs = sides["old"].mod("packaging.specifiers")
    new_specs = sides["new"].mod("packaging.specifiers")

    # A Version from one namespace checked against a SpecifierSet from the other, through its
    # string: their classes are not the same.
    v_old = old_version.Version("22.0")
    v_new = new_version.Version("24.2")
    assert new_specs.SpecifierSet(">=21,<25").contains(str(v_old))
    assert not new_specs.SpecifierSet(">=23").contains(str(v_old))
    assert old_specs.SpecifierSet("~=24.0").contains(str(v_new))
    assert not old_specs.SpecifierSet("<24").contains(str(v_new))
    candidates = [str(v) for v in map(old_version.Version, ["20.9", "21.3", "22.0", "25.0"])]
    assert list(new_specs.SpecifierSet(">=21,!=22.*,<25").filter(candidates)) == ["21.3"]

    # Sorting Version objects of one namespace.
    raw = ["1.10", "1.2", "1.9.post1", "1.9", "1.0rc1", "1!0.1"]
    expected = ["1.0rc1", "1.2", "1.9", "1.9.post1", "1.10", "1!0.1"]
    assert [str(v) for v in sorted(map(old_version.Version, raw))] == expected
    assert [str(v) for v in sorted(map(new_version.Version, raw))] == expected

    # Version objects of the two namespaces are different classes: they do not compare...
    assert old_version.Version is not new_version.Version
    assert not isinstance(v_old, new_version.Version)
    assert old_version.Version("1.0") != new_version.Version("1.0")
    with pytest.raises(TypeError):
        _ = old_version.Version("1.0") < new_version.Version("2.0")
    # ... but each reads the other's string.
    assert new_version.Version(str(old_version.Version("1.0"))) == new_version.Version("1.0")
    assert max(new_version.Version(str(v_old)), v_new) is v_new


def test_attrs_classes_across_namespaces(sides):
    old, new = sides["old"], sides["new"]
    old_shapes, new_shapes = old.mod("shapes"), new.mod("shapes")
    assert _within(old_shapes.__file__, old.helpers)
    assert _within(new_shapes.__file__, new.helpers)
    old_attr, new_attr = old.mod("attr"), new.mod("attr")

    p_old = old_shapes.Point(1, 2)
    p_new = new_shapes.Point(1, 2)
    assert repr(p_old) == repr(p_new) == "Point(x=1, y=2)"
    assert old_attr.asdict(p_old) == new_attr.asdict(p_new) == {"x": 1, "y": 2}
    assert old_attr.astuple(p_old) == new_attr.astuple(p_new) == (1, 2)
    assert old_shapes.field_names(old_shapes.Point) == new_shapes.field_names(new_shapes.Point)
    # Two classes, one per namespace: equal fields, yet not equal objects.
    assert type(p_old) is not type(p_new)
    assert p_old != p_new
    assert p_old == old_shapes.Point(1, 2)
    assert old_attr.has(type(p_old)) and new_attr.has(type(p_new))

    moved_old = old_attr.evolve(p_old, y=5)
    moved_new = new_attr.evolve(p_new, x=7)
    assert type(moved_old) is old_shapes.Point and moved_old == old_shapes.Point(1, 5)
    assert type(moved_new) is new_shapes.Point and moved_new == new_shapes.Point(7, 2)
    assert (p_old.y, p_new.x) == (2, 1)

    # Each side's frozen class raises its own side's FrozenInstanceError.
    old_frozen = old_attr.exceptions.FrozenInstanceError
    new_frozen = new_attr.exceptions.FrozenInstanceError
    assert old_frozen is not new_frozen
    with pytest.raises(old_frozen):
        p_old.x = 3
    with pytest.raises(new_frozen):
        p_new.x = 3

    # Instances of one side stored in the other side's classes, and turned back into dicts.
    box_old = old_shapes.Box("mixed")
    box_old.items.extend([p_new, moved_old])
    box_new = new_shapes.Box("mixed", [p_old])
    assert old_attr.asdict(box_old, recurse=False) == {
        "label": "mixed",
        "items": [p_new, moved_old],
    }
    assert new_attr.asdict(box_new) == {"label": "mixed", "items": [{"x": 1, "y": 2}]}
    assert old_attr.asdict(box_old) == {
        "label": "mixed",
        "items": [{"x": 1, "y": 2}, {"x": 1, "y": 5}],
    }
    assert new_attr.evolve(box_new, label="other").items is box_new.items


# --- behaviour that differs between the versions ---------------------------------------------


def test_packaging_versions_differ(sides):
    old_version = sides["old"].mod("packaging.version")
    new_version = sides["new"].mod("packaging.version")
    assert hasattr(old_version, "LegacyVersion")
    assert not hasattr(new_version, "LegacyVersion")
    with pytest.warns(DeprecationWarning, match="LegacyVersion"):
        legacy = old_version.parse("foo")
    assert isinstance(legacy, old_version.LegacyVersion)
    assert str(legacy) == "foo"
    with pytest.raises(new_version.InvalidVersion, match="Invalid version: 'foo'"):
        new_version.parse("foo")
    assert not issubclass(new_version.InvalidVersion, old_version.InvalidVersion)
    assert not issubclass(old_version.InvalidVersion, new_version.InvalidVersion)
    assert isinstance(old_version.parse("1.0"), old_version.Version)


def test_attrs_versions_differ(sides):
    old_attr = sides["old"].mod("attr")
    new_attr = sides["new"].mod("attr")
    assert not hasattr(old_attr, "Converter")
    assert hasattr(new_attr, "Converter")
    assert "__version__" in vars(old_attr)
    assert "__version__" not in vars(new_attr)  # served by a module __getattr__


# --- the host ----------------------------------------------------------------------------


def test_host_import_state_unchanged(real_packages, tmp_path):
    before_modules = set(sys.modules)
    before = _watched_state()
    before_path = list(sys.path)
    before_meta_path = list(sys.meta_path)
    host_versions = {dist: realpkgs.host_dist_version(dist) for dist in realpkgs.TOP_LEVEL}

    old = make_side("old", realpkgs.OLD, real_packages, tmp_path)
    new = make_side("new", realpkgs.NEW, real_packages, tmp_path)
    try:
        for side in (old, new):
            for name in ("packaging.specifiers", "attr", "attrs", "shapes"):
                side.mod(name)
            metadata = side.mod("importlib.metadata")
            for dist in realpkgs.TOP_LEVEL:
                try:  # the values are checked by the tests above; here only the host matters
                    metadata.version(dist)
                except metadata.PackageNotFoundError:
                    pass
        spec = new.mod("packaging.specifiers").SpecifierSet(">=21")
        assert spec.contains(str(old.mod("packaging.version").Version("21.3")))
        assert old.mod("attr").asdict(old.mod("shapes").Point(1)) == {"x": 1, "y": 0}
        for name in WATCHED:
            assert (name in sys.modules) == (before[name] is not None), name
    finally:
        old.ns.close()
        new.ns.close()

    assert old.ns.closed and new.ns.closed
    with pytest.raises(importspace.NamespaceClosedError):
        old.ns.import_module("packaging")
    assert ("packaging" in sys.modules) == (before["packaging"] is not None)
    assert ("attr" in sys.modules) == (before["attr"] is not None)
    assert _watched_state() == before
    assert set(sys.modules) == before_modules
    assert sys.path == before_path
    assert sys.meta_path == before_meta_path
    assert {dist: realpkgs.host_dist_version(dist) for dist in realpkgs.TOP_LEVEL} == host_versions
