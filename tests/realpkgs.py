"""Real packages from PyPI, installed once per interpreter into a cache that survives between runs.

Each `(distribution, version)` goes into its own target folder,
`<repo>/.cache/real-packages/<cache tag>/<distribution>-<version>/`, installed with
`python -m pip install --no-deps --only-binary=:all: --target`. pip writes into a temporary
folder next to it, which is renamed into place only after the install succeeded and a marker file
was written: a folder without the marker is never used.

`python tests/realpkgs.py` fills the cache ahead of a test run (for example before going offline).

Two sets of distributions: OLD and NEW (pure Python, for test_real_packages.py), and COMPILED
(binary wheels whose extension modules import at the C level, for test_compiled_packages.py),
pinned per Python version where no one version has wheels for CPython 3.9-3.13. A third, PYDANTIC:
pydantic 1 and pydantic 2, each with its dependencies (test_pydantic_side_by_side.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "real-packages" / sys.implementation.cache_tag
MARKER = ".importspace-complete"
# Set to 1 where the package registry cannot be reached: tests needing an install not yet
# cached skip instead of failing.
OFFLINE_ENV = "IMPORTSPACE_OFFLINE"
# A partial install older than this is left over from a run that was killed: remove it.
STALE_SECONDS = 3600

# Two versions of each distribution that behave differently, all pure Python, with wheels that
# install and import on CPython 3.9-3.13:
# - packaging 21.3 still has LegacyVersion (parse("foo") gives one, with a DeprecationWarning);
#   24.2 has none (parse("foo") raises InvalidVersion). 21.3's `packaging.requirements` and
#   `packaging.markers` need pyparsing, which --no-deps leaves out: the tests do not use them.
# - attrs 21.4.0 sets `attr.__version__` in its source; 25.1.0 reads it through
#   `importlib.metadata`, and has `attr.Converter` (new in 24.1.0). On 3.12+, 21.4.0 warns when a
#   slotted class uses bare `super()` (it cannot rewrite the closure cell): the tests avoid that.
OLD = {"packaging": "21.3", "attrs": "21.4.0"}
NEW = {"packaging": "24.2", "attrs": "25.1.0"}
# The top-level package each distribution installs.
TOP_LEVEL = {"packaging": "packaging", "attrs": "attr"}

# Compiled distributions, binary wheels for CPython 3.9-3.13 on manylinux x86_64, each chosen
# for how its extension modules import other modules while they initialise, or refuse to:
# - PyYAML 6.0.2, Cython: `yaml._yaml` runs `import yaml` at init and binds `yaml.error`,
#   `yaml.scanner`, `yaml.nodes`, ... classes as its module globals
#   (PyImport_ImportModuleLevelObject);
# - msgpack 1.1.0, Cython: `msgpack._cmsgpack` runs `from .ext import ExtType, Timestamp` and
#   `from .exceptions import ...` at init (relative imports), and imports `datetime` through
#   its C API capsule;
# - charset-normalizer 3.4.1, mypyc: `charset_normalizer.md` is compiled (its mypyc runtime is
#   the extension `charset_normalizer.md__mypyc`) and imports `functools`, `logging`,
#   `.constant` and `.utils` at init;
# - rpds-py 0.22.3, pyo3: `rpds.rpds` imports `collections.abc` at init with PyImport_Import
#   and registers its classes with `Mapping` and `Set` there;
# - numpy: 2.4 is the first whose `_multiarray_umath` refuses a second load in one process
#   ("cannot load module more than once per process"), and needs 3.11+. 3.9 and 3.10 get the
#   last numpy with wheels for them (2.0.2, 2.2.6), which load again with a UserWarning;
# - bcrypt 4.1.3, pyo3, its `cp37-abi3` wheel (picked with `pip --python-version 3.8`): pyo3
#   built for CPython 3.8 or older refuses a second init of `bcrypt._bcrypt` in one process
#   ("may only be initialized once per interpreter process"), on every Python;
# - protobuf (6.33.6 on 3.9, the last for it; 7.36.2 after), hand-written C: `google._upb._message`
#   is a single-phase module with module state that its C code finds with `PyState_FindModule`,
#   so a second initialisation in one process takes the state from under the first.
COMPILED = {
    "PyYAML": "6.0.2",
    "msgpack": "1.1.0",
    "charset-normalizer": "3.4.1",
    "rpds-py": "0.22.3",
    "numpy": {(3, 9): "2.0.2", (3, 10): "2.2.6"}.get(sys.version_info[:2], "2.4.6"),
    "bcrypt": "4.1.3",
    "protobuf": "6.33.6" if sys.version_info < (3, 10) else "7.36.2",
}
# The top-level package each compiled distribution installs.
COMPILED_TOP_LEVEL = {
    "PyYAML": "yaml",
    "msgpack": "msgpack",
    "charset-normalizer": "charset_normalizer",
    "rpds-py": "rpds",
    "numpy": "numpy",
    "bcrypt": "bcrypt",
    "protobuf": "google/protobuf",
}
# Distributions installed as for another Python (`pip --python-version`), to get one wheel.
FOR_PYTHON = {"bcrypt": "3.8"}

# pydantic 1 and 2 side by side, each pinned with every distribution it requires (installed by
# `install_with_dependencies`, which checks the pins cover the requirements). All have binary or
# pure wheels for CPython 3.9-3.13 on manylinux x86_64:
# - pydantic 1.10.27: its binary wheel is the Cython build (`pydantic.compiled` is True), whose
#   modules (`pydantic.fields`, `pydantic.main`, ...) import each other from C at init;
# - pydantic 2.13.5, the newest pydantic 2 for 3.9 (2.14 needs 3.10), and the pydantic-core it
#   pins, 2.46.5: a pyo3 extension, `pydantic_core._pydantic_core`.
PYDANTIC = {
    "v1": {"pydantic": "1.10.27", "typing-extensions": "4.15.0"},
    "v2": {
        "pydantic": "2.13.5",
        "pydantic-core": "2.46.5",
        "annotated-types": "0.7.0",
        "typing-extensions": "4.15.0",
        "typing-inspection": "0.4.2",
    },
}
# The top-level package (or module) each of those distributions installs.
PYDANTIC_TOP_LEVEL = {
    "pydantic": "pydantic",
    "pydantic-core": "pydantic_core",
    "annotated-types": "annotated_types",
    "typing-extensions": "typing_extensions",
    "typing-inspection": "typing_inspection",
}


class InstallError(Exception):
    """pip could not install a distribution (no pip, no network, no such version...)."""


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV) == "1"


def installed_or_skip(install, what: str):
    """For a test fixture: `install()`'s folders; when that fails, the test is skipped if the
    registry is declared unreachable (`IMPORTSPACE_OFFLINE=1`), and fails otherwise."""
    import pytest

    try:
        return install()
    except InstallError as exc:
        error = exc
    if offline():
        pytest.skip(f"{error} (the {what} tests need an install not cached yet)")
    pytest.fail(
        f"could not install the {what} distributions these tests import: {error}\n"
        f"(pip and the package registry are needed once; the installs are cached in "
        f"{CACHE}. Set {OFFLINE_ENV}=1 to skip these tests instead.)",
        pytrace=False,
    )


def host_dist_version(dist: str) -> str | None:
    """The host's `importlib.metadata.version(dist)`, or None when the host has no such
    distribution."""
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def target_dir(dist: str, version: str, python_version: str | None = None) -> Path:
    suffix = f"-for-py{python_version}" if python_version else ""
    return CACHE / f"{dist}-{version}{suffix}"


def is_complete(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _usable(folder: Path, dist: str, version: str) -> bool:
    """A finished install (marker written after pip succeeded) that is still whole."""
    if not is_complete(folder):
        return False
    try:
        _check_layout(folder, dist, version)
    except InstallError:
        return False
    return True


def _remove_stale_partials(prefix: str) -> None:
    now = time.time()
    for partial in CACHE.glob(f".{prefix}.partial-*"):
        try:
            if now - partial.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(partial, ignore_errors=True)
        except OSError:
            pass


def _normalized(dist: str) -> str:
    """A distribution name as wheels spell it in `.dist-info` folder names (PEP 427/503)."""
    return re.sub(r"[-_.]+", "_", dist).lower()


def _dist_info(folder: Path, dist: str, version: str) -> Path:
    """The `<name>-<version>.dist-info` folder pip made for `dist` (its name spelled as in the
    wheel: `PyYAML-6.0.2.dist-info`, `rpds_py-0.22.3.dist-info`)."""
    wanted = f"{_normalized(dist)}-{version}.dist-info"
    try:
        for entry in folder.iterdir():
            name, _, rest = entry.name.partition("-")
            if f"{_normalized(name)}-{rest}".lower() == wanted:
                return entry
    except OSError:
        pass
    return folder / f"{dist}-{version}.dist-info"


def _check_layout(folder: Path, dist: str, version: str) -> None:
    """What pip must have left in `folder`: the top-level package (or module) and the
    dist-info."""
    top_name = {**TOP_LEVEL, **COMPILED_TOP_LEVEL, **PYDANTIC_TOP_LEVEL}[dist]
    top = folder / top_name / "__init__.py"
    if not top.is_file() and (folder / f"{top_name}.py").is_file():
        top = folder / f"{top_name}.py"  # a single module (typing_extensions)
    dist_info = _dist_info(folder, dist, version) / "METADATA"
    missing = [str(p) for p in (top, dist_info) if not p.is_file()]
    if missing:
        raise InstallError(
            f"pip reported success for {dist}=={version} but left no {', '.join(missing)}"
        )


def install(dist: str, version: str, *, python_version: str | None = None) -> Path:
    """The target folder holding `dist==version`, installed now unless a complete one is cached.
    With `python_version`, pip picks the wheel it would pick for that Python
    (`--python-version`), in a folder of its own."""
    dest = target_dir(dist, version, python_version)
    if _usable(dest, dist, version):
        return dest
    requirement = f"{dist}=={version}"
    if offline():
        raise InstallError(f"{requirement} is not cached in {dest} and {OFFLINE_ENV}=1")
    CACHE.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(dest.name)
    partial = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=CACHE))
    try:
        partial.chmod(0o755)  # mkdtemp's 0o700 would stay on the installed folder
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--target",
            str(partial),
            *(["--python-version", python_version] if python_version else []),
            requirement,
        ]
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InstallError(f"could not run {' '.join(command)}: {exc}") from exc
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip().splitlines()
            tail = "\n".join(output[-15:])
            raise InstallError(f"{' '.join(command)} exited with {proc.returncode}:\n{tail}")
        _check_layout(partial, dist, version)
        (partial / MARKER).write_text(
            json.dumps(
                {"requirement": requirement, "python": sys.version, "installed": time.time()}
            )
            + "\n"
        )
        if dest.exists() and not _usable(dest, dist, version):
            shutil.rmtree(dest)  # unfinished or damaged: never trusted
        try:
            os.rename(partial, dest)
        except OSError:
            if not _usable(dest, dist, version):  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return dest


def install_all() -> dict[tuple[str, str], Path]:
    """Every distribution of OLD and NEW: `{(dist, version): target folder}`."""
    return {
        (dist, version): install(dist, version)
        for versions in (OLD, NEW)
        for dist, version in versions.items()
    }


def install_compiled() -> dict[str, Path]:
    """Every distribution of COMPILED, at this Python's version: `{dist: target folder}`."""
    return {
        dist: install(dist, version, python_version=FOR_PYTHON.get(dist))
        for dist, version in COMPILED.items()
    }


def requirements(folder: Path, dist: str, version: str) -> list[str]:
    """The names of the distributions `dist` requires, from the `Requires-Dist` lines of its
    installed METADATA: every one but those of extras (`; extra == "..."`). Lines limited to
    other Pythons by a marker are kept (installing them too is harmless)."""
    names = []
    metadata = (_dist_info(folder, dist, version) / "METADATA").read_text(encoding="utf-8")
    for line in metadata.splitlines():
        if not line:
            break  # the headers end at the first empty line
        key, _, value = line.partition(":")
        if key.lower() != "requires-dist":
            continue
        requirement, _, marker = value.partition(";")
        if re.search(r"\bextra\s*==", marker):
            continue
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if name:
            names.append(name.group(1))
    return names


def install_with_dependencies(dist: str, pins: dict[str, str]) -> dict[str, Path]:
    """`dist` at `pins[dist]` and every distribution it requires, recursively, each at its pin
    and in its own target folder: `{dist: folder}`. A requirement with no pin is an
    InstallError (the pins, not pip's resolver, decide every version)."""
    by_normalized = {_normalized(name): name for name in pins}
    folders: dict[str, Path] = {}
    pending = [dist]
    while pending:
        name = pending.pop()
        if name in folders:
            continue
        folder = install(name, pins[name])
        folders[name] = folder
        for required in requirements(folder, name, pins[name]):
            pinned = by_normalized.get(_normalized(required))
            if pinned is None:
                raise InstallError(
                    f"{name}=={pins[name]} requires {required}, which has no pin in {pins}"
                )
            pending.append(pinned)
    return folders


def install_pydantic() -> dict[str, dict[str, Path]]:
    """Both sides of PYDANTIC: `{"v1": {dist: folder}, "v2": {dist: folder}}`."""
    return {side: install_with_dependencies("pydantic", pins) for side, pins in PYDANTIC.items()}


if __name__ == "__main__":
    try:
        for (dist, version), folder in install_all().items():
            print(f"{dist}=={version}: {folder}")
        for dist, folder in install_compiled().items():
            print(f"{dist}=={COMPILED[dist]}: {folder}")
        for side, folders in install_pydantic().items():
            for dist, folder in folders.items():
                print(f"{side}: {dist}=={PYDANTIC[side][dist]}: {folder}")
    except InstallError as exc:
        sys.exit(f"error: {exc}")
