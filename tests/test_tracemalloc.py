"""Under tracemalloc, each module load runs from a small frame of its own
(`_loaders.load_in_own_frame`), so the allocations it makes are not given the importing module's
line (which tracemalloc finds by walking that module's line table, once per allocation: quadratic
in the module's size; docs/performance.md). Checked by where tracemalloc puts the allocations,
not by timing. In a child process: `tracemalloc` must not enter the test host's sys.modules."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, tracemalloc
    sys.dont_write_bytecode = True
    import importspace
    root = sys.argv[1]
    how = sys.argv[2]
    ns = importspace.Namespace(path=[root])
    if how == "start":
        tracemalloc.start()
    ns.import_module("importer_mod")
    snapshot = tracemalloc.take_snapshot()
    by_file = {}
    for stat in snapshot.statistics("filename"):
        name = stat.traceback[0].filename.rsplit("/", 1)[-1]
        by_file[name] = by_file.get(name, 0) + stat.count
    print(by_file.get("_loaders.py", 0), by_file.get("importer_mod.py", 0))
    """
)


@pytest.mark.parametrize("how", ["start", "x-option"])
def test_a_load_has_its_own_frame_under_tracemalloc(tree, how):
    root = tree(
        {
            "importer_mod.py": "import child_mod\n",
            "child_mod.py": "".join(f"def f{i}(): return {i}\n" for i in range(50)),
        }
    )
    flags = ["-X", "tracemalloc"] if how == "x-option" else []
    proc = subprocess.run(
        [sys.executable, *flags, "-c", SCRIPT, str(root), how],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    in_own_frame, in_importer = map(int, proc.stdout.split())
    # Compiling child_mod, its spec and module: traced to the load's own frame. The importing
    # line keeps only what `import` itself allocates there (the binding), if anything.
    assert in_own_frame > 20
    assert in_importer < in_own_frame


def test_failed_import_tracebacks_are_the_same_under_tracemalloc(tree):
    # The load's own frame is left out of the traceback, as CPython leaves out importlib's.
    root = tree(
        {"importer_mod.py": "import broken_mod\n", "broken_mod.py": "x = 1\nraise KeyError(x)\n"}
    )
    script = textwrap.dedent(
        """
        import sys, traceback
        sys.dont_write_bytecode = True
        import importspace
        if sys.argv[2] == "on":
            import tracemalloc
            tracemalloc.start()
        ns = importspace.Namespace(path=[sys.argv[1]])
        try:
            ns.import_module("importer_mod")
        except KeyError as exc:
            print([(f.name, f.lineno) for f in traceback.extract_tb(exc.__traceback__)])
        """
    )
    outputs = []
    for state in ("off", "on"):
        proc = subprocess.run(
            [sys.executable, "-c", script, str(root), state],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert "load_in_own_frame" not in outputs[1]
    assert "('<module>', 2)" in outputs[1]
