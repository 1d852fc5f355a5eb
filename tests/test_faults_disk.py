"""Faults on disk, differentially: pycs that are truncated, unreadable or replaced while being
read, cache directories that cannot be written, sources that change or vanish between the
finder and the loader, broken sources with a BOM and a coding cookie, and several processes
writing the same pycs at once. Each case is run natively (in a subprocess) and in a namespace;
the outcomes must be the same and no temporary file may be left behind.

Cases already covered elsewhere (bad magic, unknown flag bits, stale timestamp or size,
hash-based pycs in every `check_hash_based_pycs` mode, non-code pycs, sourceless pycs with a bad
header, `__pycache__` being a file) are in test_loaders.py; docs/reliability.md lists them all.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_in_namespace, run_native

TAG = sys.implementation.cache_tag
MAGIC = importlib.util.MAGIC_NUMBER

# The '' (cwd, which is root there) that `python -c` puts on sys.path would give root a second
# FileFinder natively: the native side drops it first.
DROP_CWD = "while '' in sys.path:\n    sys.path.remove('')\n"


def cache_path(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{TAG}.pyc"


def timestamp_pyc(source: Path, text: str | None = None) -> bytes:
    """A valid timestamp pyc for `source` (of `text`, default the source's own)."""
    st = os.stat(source)
    body = text if text is not None else source.read_text()
    code = compile(body, str(source), "exec", dont_inherit=True)
    return (
        MAGIC
        + b"\0\0\0\0"
        + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
        + marshal.dumps(code)
    )


def leftovers(root: Path) -> list[str]:
    """Files under root that are neither sources nor pycs: temporary files of a pyc write."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc", ".txt")
    )


# An outcome, in both worlds: ["ok", value] or [type, message, errno, filename-or-name].
OUTCOME = """
def outcome(fn):
    try:
        return ["ok", fn()]
    except BaseException as exc:
        extra = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        return [type(exc).__name__, str(exc), getattr(exc, "errno", None),
                getattr(exc, "filename", extra)]
"""


def run_python(script: str, *, cwd: Path, unprivileged: bool = False, timeout: int = 60) -> object:
    """`script` in a fresh interpreter (pyc writing on, nothing added to sys.path); it assigns
    its JSON-able answer to `result`. `unprivileged`: without root's right to ignore file modes
    (see UNPRIVILEGED)."""
    wrapper = (
        "import json, sys\n"
        "sys.dont_write_bytecode = False\n"
        + OUTCOME
        + textwrap.dedent(script)
        + "\nprint('\\n' + json.dumps(result))\n"
    )
    command = [sys.executable, "-c", wrapper]
    if unprivileged:
        command = [*UNPRIVILEGED, *command]
    proc = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=_env()
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# ---------------------------------------------------------------- file modes as root

# Root ignores file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a chmod 000 pyc or a
# read-only __pycache__ would be no fault at all. As root, those cases run in subprocesses that
# have dropped both capabilities (util-linux `setpriv`): the modes then bind root as they bind
# anyone. Without root they run as they are.
DROP_DAC = "-dac_override,-dac_read_search"
UNPRIVILEGED = (
    ["setpriv", f"--bounding-set={DROP_DAC}", f"--inh-caps={DROP_DAC}"] if os.geteuid() == 0 else []
)


def _modes_bind(tmp: Path) -> str | None:
    """None if a chmod 000 file cannot be read in an UNPRIVILEGED process, else why not."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: file modes do not bind root"
    probe = tmp / "mode-probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        proc = subprocess.run(
            [*UNPRIVILEGED, sys.executable, "-c", f"open({str(probe)!r}).read()"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        probe.chmod(0o600)
        probe.unlink()
    if proc.returncode == 0:
        return "file modes do not bind this user (root could not drop its capabilities)"
    if "PermissionError" not in proc.stderr:
        return f"unprivileged interpreter does not start: {proc.stderr.strip()[-200:]}"
    return None


@pytest.fixture
def modes_bind(tmp_path_factory):
    reason = _modes_bind(tmp_path_factory.mktemp("probe"))
    if reason:
        pytest.skip(reason)


def _import_in(world: str, root: Path) -> str:
    """A script prelude defining `imp`: import_module, natively or in a namespace over root."""
    if world == "native":
        return (
            f"sys.path.insert(0, {str(root)!r})\nimport importlib\nimp = importlib.import_module\n"
        )
    return (
        "import importspace\n"
        f"ns = importspace.Namespace(path=[{str(root)!r}])\n"
        "imp = ns.import_module\n"
    )


# ---------------------------------------------------------------- truncated pycs


TRUNCATIONS = {
    "header-plus-one": lambda good: good[:17],
    "half-body": lambda good: good[: 16 + (len(good) - 16) // 2],
    "all-but-one": lambda good: good[:-1],
}


TRY_IMPORT_M = """
try:
    import m
    result = m.VALUE
except Exception as exc:
    result = [type(exc).__name__, str(exc)]
"""


@pytest.mark.parametrize("case", sorted(TRUNCATIONS))
def test_truncated_pyc_with_valid_header(tree, namespace, case):
    # The header checks pass, so the pyc is used; marshal's error propagates, natively too,
    # and the pyc is left as it is (short headers are in test_loaders' BAD_PYCS: recompiled).
    root = tree({"m.py": "VALUE = 'source'\nOTHER = ('a', 'b', 1.5, None)\n"})
    source = root / "m.py"
    cache = cache_path(source)
    cache.parent.mkdir()
    truncated = TRUNCATIONS[case](timestamp_pyc(source))
    cache.write_bytes(truncated)
    native = run_native(root, TRY_IMPORT_M)
    assert native[0] in ("EOFError", "ValueError")
    assert cache.read_bytes() == truncated
    with pytest.raises(Exception) as info:  # noqa: B017 - the type is what is compared
        namespace.import_module("m")
    assert [type(info.value).__name__, str(info.value)] == native
    assert "m" not in namespace.modules
    assert cache.read_bytes() == truncated
    assert leftovers(root) == []


# ---------------------------------------------------------------- unreadable pycs


def _unreadable_pyc_script(world: str, root: Path) -> str:
    return _import_in(world, root) + textwrap.dedent(
        f"""
        import os
        root = {str(root)!r}
        cache = os.path.join(root, "__pycache__", "m.{TAG}.pyc")
        value = outcome(lambda: imp("m").VALUE)
        with open(cache, "rb") as f:
            data = f.read()
        result = [value, oct(os.stat(cache).st_mode & 0o777), data[:4].hex(), len(data) > 16]
        """
    )


def test_unreadable_pyc_is_recompiled_and_replaced(tree, modes_bind):
    # chmod 000 pyc: reading it fails (OSError, swallowed), the source is compiled, and the
    # new pyc replaces the unreadable one (the rename needs the directory, not the file).
    root = tree({"m.py": "VALUE = 'source'\n"})
    cache = cache_path(root / "m.py")
    cache.parent.mkdir()

    def plant():
        if cache.exists():
            cache.unlink()
        cache.write_bytes(timestamp_pyc(root / "m.py", "VALUE = 'pycode'\n"))
        cache.chmod(0)

    plant()
    native = run_python(_unreadable_pyc_script("native", root), cwd=root, unprivileged=True)
    assert native[0] == ["ok", "source"]
    assert native[1] != oct(0) and native[2] == MAGIC.hex(), "the pyc must have been replaced"
    plant()
    inside = run_python(_unreadable_pyc_script("namespace", root), cwd=root, unprivileged=True)
    assert inside == native
    assert leftovers(root) == []


DIRECTORY_PYC = """
import os, sys
root = sys.path[0]
cache = os.path.join(root, "__pycache__", "m.{tag}.pyc")
value = outcome(lambda: __import__("m").VALUE)
result = [value, os.path.isdir(cache), sorted(os.listdir(cache)),
          sorted(os.listdir(os.path.dirname(cache)))]
"""


def test_pyc_that_is_a_directory(tree, namespace, monkeypatch):
    # Unreadable for anyone, root included: reading it fails (IsADirectoryError, swallowed),
    # the source is compiled, and writing the pyc fails too (the rename cannot replace a
    # non-empty directory): the temporary file is removed, and the import still succeeds.
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    root = tree({"m.py": "VALUE = 'source'\n"})
    cache = cache_path(root / "m.py")
    cache.mkdir(parents=True)
    (cache / "inside.txt").write_text("keeps the directory non-empty\n")
    script = OUTCOME + DIRECTORY_PYC.format(tag=TAG)
    native = run_native(root, "sys.dont_write_bytecode = False\n" + DROP_CWD + script)
    assert native == [["ok", "source"], True, ["inside.txt"], [f"m.{TAG}.pyc"]]
    assert run_in_namespace(namespace, script) == native
    assert leftovers(root) == []


# ---------------------------------------------------------------- unwritable cache directories

READ_ONLY_CASES = {
    # __pycache__ exists, read-only and empty: no pyc can be created in it.
    "empty-pycache": {"pycache": True, "stale": False, "root_mode": 0o755},
    # __pycache__ read-only, holding a stale pyc: it cannot be replaced, and stays stale.
    "stale-in-pycache": {"pycache": True, "stale": True, "root_mode": 0o755},
    # No __pycache__, and the source directory is read-only: it cannot be made.
    "read-only-source-dir": {"pycache": False, "stale": False, "root_mode": 0o555},
}


@pytest.mark.parametrize("case", sorted(READ_ONLY_CASES))
def test_read_only_cache_location(tmp_path, modes_bind, case):
    spec = READ_ONLY_CASES[case]
    root = tmp_path / "ro"
    root.mkdir()
    source = root / "m.py"
    cache = cache_path(source)
    script_tail = textwrap.dedent(
        f"""
        import os
        value = outcome(lambda: imp("m").VALUE)
        root = {str(root)!r}
        files = sorted(
            os.path.relpath(os.path.join(d, f), root)
            for d, _, fs in os.walk(root) for f in fs
        )
        cache = {str(cache)!r}
        header = None
        if os.path.exists(cache):
            with open(cache, "rb") as f:
                header = f.read(16).hex()
        result = [value, files, header]
        """
    )

    def reset():
        for d in (root, cache.parent):
            if d.exists():
                d.chmod(0o755)
        if cache.parent.exists():
            shutil.rmtree(cache.parent)
        source.write_text("VALUE = 'source'\n")
        if spec["pycache"]:
            cache.parent.mkdir()
            if spec["stale"]:
                cache.write_bytes(
                    MAGIC
                    + b"\0" * 4
                    + (1).to_bytes(4, "little")
                    + (1).to_bytes(4, "little")
                    + marshal.dumps(compile("VALUE = 'stale'\n", str(source), "exec"))
                )
            cache.parent.chmod(0o555)
        root.chmod(spec["root_mode"])

    try:
        reset()
        native = run_python(
            _import_in("native", root) + script_tail, cwd=tmp_path, unprivileged=True
        )
        stale_header = (MAGIC + b"\0" * 4 + (1).to_bytes(4, "little") * 2).hex()
        assert native == [
            ["ok", "source"],
            [f"__pycache__/m.{TAG}.pyc", "m.py"] if spec["stale"] else ["m.py"],
            stale_header if spec["stale"] else None,
        ], "the cache location must refuse the write"
        reset()
        inside = run_python(
            _import_in("namespace", root) + script_tail, cwd=tmp_path, unprivileged=True
        )
    finally:
        for d in (root, cache.parent):
            if d.exists():
                d.chmod(0o755)
    assert inside == native
    assert leftovers(root) == []


# ---------------------------------------------------------------- sources that change or vanish

# The loader stats the source, then reads its pyc, then (the pyc being no good) reads the source.
# To change the source deterministically between the stat and the read, the pyc is a FIFO: the
# loader's open() of it blocks until the writer thread opens the other end, which then rewrites
# the source (new text, new size, new mtime) before sending the loader a pyc that is garbage.
# Natively and in a namespace the module is the new text, and the pyc written carries the
# mtime of the stat (the old one) with the size of what was read: the next import finds it
# stale and recompiles.
RACE = """
import errno, marshal, os, threading, time
root = {root!r}
source = os.path.join(root, "m.py")
cache = os.path.join(root, "__pycache__", "m.{tag}.pyc")
OLD, NEW = "VALUE = 'old'\\n", "VALUE = 'new, and longer'\\n"
with open(source, "w") as f:
    f.write(OLD)
os.utime(source, (1_600_000_000, 1_600_000_000))
os.makedirs(os.path.dirname(cache), exist_ok=True)
os.mkfifo(cache)
seen = []
done = threading.Event()

def writer():
    deadline = time.monotonic() + 30
    while True:
        try:
            fd = os.open(cache, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:  # ENXIO: nobody has opened the FIFO to read yet
            if exc.errno != errno.ENXIO or done.is_set() or time.monotonic() > deadline:
                seen.append("pyc never read")
                return
            time.sleep(0.001)
    with open(source, "w") as f:
        f.write(NEW)
    os.utime(source, (1_700_000_000, 1_700_000_000))
    os.write(fd, b"this is no pyc")
    os.close(fd)
    seen.append("source changed while its pyc was being read")

thread = threading.Thread(target=writer)
thread.start()
try:
    value = outcome(lambda: imp("m").VALUE)
finally:
    done.set()
    thread.join()

def header():
    with open(cache, "rb") as f:
        data = f.read()
    return [data[:4].hex(), int.from_bytes(data[8:12], "little"),
            int.from_bytes(data[12:16], "little"), marshal.loads(data[16:]).co_consts[0]]

first = header()
again = outcome(lambda: reload(imp("m")).VALUE)
result = [value, seen, first, header(), again]
"""


def test_source_changed_between_stat_and_read(tmp_path):
    root = tmp_path / "race"
    root.mkdir()
    native_setup = _import_in("native", root) + "from importlib import reload\n"
    ns_setup = _import_in("namespace", root) + "reload = ns.reload\n"
    race = RACE.format(root=str(root), tag=TAG)
    native = run_python(native_setup + race, cwd=tmp_path)
    new_size = len("VALUE = 'new, and longer'\n")
    assert native == [
        ["ok", "new, and longer"],
        ["source changed while its pyc was being read"],
        [MAGIC.hex(), 1_600_000_000, new_size, "new, and longer"],
        [MAGIC.hex(), 1_700_000_000, new_size, "new, and longer"],
        ["ok", "new, and longer"],
    ]
    shutil.rmtree(root)
    root.mkdir()
    assert run_python(ns_setup + race, cwd=tmp_path) == native
    assert leftovers(root) == []


DELETED_AFTER_LISTING = """
import os, sys
root = sys.path[0]
import stay  # lists the directory
st = os.stat(root)
os.remove(os.path.join(root, "gone.py"))
if {keep_mtime}:
    # Deleted within the listing's mtime tick: the listing still names gone.py.
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
result = [outcome(lambda: __import__("gone")), "gone" in sys.modules]
"""


@pytest.mark.parametrize("keep_mtime", [True, False], ids=["same-mtime", "mtime-moved"])
def test_source_deleted_after_listing(tree, namespace, monkeypatch, keep_mtime):
    # invalidate_caches is not called. With the listing stale, the finder's is-file check
    # refuses the vanished file; with the mtime moved, the directory is listed again.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    files = {"stay.py": "", "gone.py": "X = 1\n"}
    root = tree(files)
    script = DELETED_AFTER_LISTING.format(keep_mtime=keep_mtime)
    native = run_native(root, DROP_CWD + OUTCOME + script)
    assert native == [["ModuleNotFoundError", "No module named 'gone'", None, "gone"], False]
    tree(files)
    assert run_in_namespace(namespace, OUTCOME + script) == native


DELETED_AFTER_FIND = """
import importlib.util, os, sys
root = sys.path[0]
spec = importlib.util.find_spec("vanishing")
os.remove(spec.origin)
module = importlib.util.module_from_spec(spec)
result = [outcome(lambda: spec.loader.exec_module(module)), "vanishing" in sys.modules]
"""


@pytest.mark.parametrize("with_pyc", [False, True], ids=["source-only", "with-valid-pyc"])
def test_source_deleted_between_find_and_load(tree, namespace, monkeypatch, with_pyc):
    # The spec was found; the source is gone when the loader reads it: FileNotFoundError with
    # the source's path, even when a valid pyc is there (the stat of the source fails first).
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree({})

    def plant():
        source = root / "vanishing.py"
        source.write_text("X = 1\n")
        if with_pyc:
            cache = cache_path(source)
            cache.parent.mkdir(exist_ok=True)
            cache.write_bytes(timestamp_pyc(source))

    plant()
    native = run_native(root, DROP_CWD + OUTCOME + DELETED_AFTER_FIND)
    origin = str(root / "vanishing.py")
    assert native == [
        ["FileNotFoundError", f"[Errno 2] No such file or directory: {origin!r}", 2, origin],
        False,
    ]
    plant()
    assert run_in_namespace(namespace, OUTCOME + DELETED_AFTER_FIND) == native


# ---------------------------------------------------------------- broken sources with BOM/cookie

BROKEN_ENCODED = {
    "cookie-latin1": b"# -*- coding: latin-1 -*-\nx = '\xe9\xe8'\ny = (1 +\n",
    "cookie-second-line": b"#!/usr/bin/env python\n# coding: cp1252\nx = '\x80' $ 1\n",
    "cookie-non-ascii-before-error": b"# coding: latin-1\nx = '\xe9\xe9\xe9'; y = = 2\n",
    "bom": b"\xef\xbb\xbfx = '\xc3\xa9'\ndef f(:\n    pass\n",
    "bom-utf8-cookie": b"\xef\xbb\xbf# coding: utf-8\nx = 1\n  y = 2\n",
    "bom-latin1-cookie": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    "bom-cookie-bad-byte": b"\xef\xbb\xbf# coding: utf-8\nx = 1\ny = '\xff'\n",
    "cookie-utf8-bad-byte": b"# coding: utf-8\n\n\nz = b'\xc3'\n",
}

SYNTAX_DETAILS = """
try:
    import broken
    result = "imported"
except Exception as exc:
    result = [type(exc).__name__, str(exc)] + [
        getattr(exc, a, None)
        for a in ("msg", "filename", "lineno", "offset", "text", "end_lineno", "end_offset")
    ]
    result.append("broken" in sys.modules)
"""


@pytest.mark.parametrize("case", sorted(BROKEN_ENCODED))
def test_syntax_error_with_bom_and_cookie(tree, namespace, monkeypatch, case):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree({})
    (root / "broken.py").write_bytes(BROKEN_ENCODED[case])
    native = run_native(root, "import sys\n" + SYNTAX_DETAILS)
    assert native[0] in ("SyntaxError", "IndentationError")
    assert native[3] == str(root / "broken.py")
    assert run_in_namespace(namespace, "import sys\n" + SYNTAX_DETAILS) == native


# ---------------------------------------------------------------- concurrent pyc writers

MODULES = 200
WRITERS = 4

# One writer process: wait for the go, import every module (into a namespace, or natively),
# report the modules whose value is wrong.
WRITER = """
import json, sys
sys.dont_write_bytecode = False
root, world, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if world == "namespace":
    import importspace
    imp = importspace.Namespace(path=[root]).import_module
else:
    import importlib
    sys.path.insert(0, root)
    imp = importlib.import_module
print("ready", flush=True)
sys.stdin.readline()
wrong = [i for i in range(count) if imp(f"pkg.mod{i}").VALUE != i * 7]
print(json.dumps(wrong), flush=True)
"""


def _run_writers(root: Path, worlds: list[str]) -> None:
    env = _env()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), world, str(MODULES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for world in worlds
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        for proc in procs:  # all at once
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=90)
            assert proc.returncode == 0, err
            assert json.loads(out) == [], "a writer saw the wrong module"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _check_pycs(root: Path) -> None:
    cache_dir = root / "pkg" / "__pycache__"
    expected = {"__init__"} | {f"mod{i}" for i in range(MODULES)}
    names = sorted(p.name for p in cache_dir.iterdir())
    assert names == sorted(f"{stem}.{TAG}.pyc" for stem in expected), "stray or missing files"
    for stem in expected:
        source = root / "pkg" / f"{stem}.py"
        data = (cache_dir / f"{stem}.{TAG}.pyc").read_bytes()
        st = os.stat(source)
        assert data[:4] == MAGIC
        assert data[4:8] == b"\0\0\0\0"
        assert int.from_bytes(data[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
        assert int.from_bytes(data[12:16], "little") == st.st_size
        code = marshal.loads(data[16:])
        assert code == compile(source.read_bytes(), str(source), "exec", dont_inherit=True)
    assert leftovers(root) == []


ROUNDS = {
    # Four namespaces in four processes write every pyc at once.
    "fresh": ["namespace"] * WRITERS,
    # The same over stale pycs, which all four replace at once.
    "over-stale": ["namespace"] * WRITERS,
    # Two namespaces and two native imports, CPython's writer racing importspace's.
    "mixed": ["namespace", "native"] * (WRITERS // 2),
    "fresh-again": ["namespace"] * WRITERS,
}


def test_concurrent_pyc_writers(tmp_path):
    root = tmp_path / "many"
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(MODULES):
        body = f"VALUE = {i} * 7\nNAMES = {[f'n{j}' for j in range(i % 13)]!r}\n"
        (pkg / f"mod{i}.py").write_text(body + "def f(x):\n    return x + VALUE\n" * (i % 3))
    for name, worlds in ROUNDS.items():
        shutil.rmtree(pkg / "__pycache__", ignore_errors=True)
        if name == "over-stale":
            (pkg / "__pycache__").mkdir()
            for stem in ["__init__", *(f"mod{i}" for i in range(MODULES))]:
                (pkg / "__pycache__" / f"{stem}.{TAG}.pyc").write_bytes(MAGIC + b"\0" * 12)
        _run_writers(root, worlds)
        _check_pycs(root)


def test_leftover_check_can_fail(tmp_path):
    # What the writer checks call a leftover: a pyc write's temporary file, CPython's
    # ({path}.{id}) or importspace's ({path}.{pid}{serial}).
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / f"m.{TAG}.pyc").write_bytes(b"")
    (tmp_path / "__pycache__" / f"m.{TAG}.pyc.140012345").write_bytes(b"")
    (tmp_path / "m.py").write_text("")
    assert leftovers(tmp_path) == [f"__pycache__/m.{TAG}.pyc.140012345"]
