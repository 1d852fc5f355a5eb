"""`importspace.Prefetch` (issue 13) and `ImportGraph.import_files`: the order of the files an
import reads, and a read-ahead that never changes what an import loads. No timings here: the
measurements are in docs/performance.md and benches/prefetch_speed.py."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

import importspace


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


TREE = {
    "app/__init__.py": """
        import app.first
        from app import second
        import helper
        def later():
            import app.deferred
        TYPE_CHECKING = False
        if TYPE_CHECKING:
            import app.typed
    """,
    "app/first.py": "import helper\n",
    "app/second.py": "from . import first\nVALUE = 2\n",
    "app/deferred.py": "",
    "app/typed.py": "",
    "app/sub/__init__.py": "",
    "app/sub/leaf.py": "import app.second\n",
    "helper.py": "X = 1\n",
}


def graph_of(tmp_path, *roots):
    ns = importspace.Namespace(path=[str(tmp_path)])
    try:
        return ns.import_graph(*roots, follow=True)
    finally:
        ns.close()


def test_import_files_follow_the_import_order(tmp_path):
    write(tmp_path, TREE)
    files = graph_of(tmp_path, "app").import_files("app")
    rel = [str(Path(f).relative_to(tmp_path)) for f in files]
    # Depth first in line order; deferred and TYPE_CHECKING imports are not read.
    assert rel == ["app/__init__.py", "app/first.py", "helper.py", "app/second.py"]


def test_import_files_put_parents_first(tmp_path):
    write(tmp_path, TREE)
    files = graph_of(tmp_path, "app").import_files("app.sub.leaf")
    rel = [str(Path(f).relative_to(tmp_path)) for f in files]
    assert rel[:3] == ["app/__init__.py", "app/first.py", "helper.py"]
    assert rel.index("app/sub/__init__.py") < rel.index("app/sub/leaf.py")
    assert len(rel) == len(set(rel))


def test_import_files_of_an_unknown_root_is_a_key_error(tmp_path):
    write(tmp_path, TREE)
    with pytest.raises(KeyError):
        graph_of(tmp_path, "app").import_files("nothere")


def test_prefetch_reads_the_pycs_and_the_import_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    write(tmp_path, TREE)
    ns = importspace.Namespace(path=[str(tmp_path)])
    ns.import_module("app")  # writes the pycs
    ns.close()
    files = graph_of(tmp_path, "app").import_files("app")
    before = set(sys.modules)
    with importspace.Prefetch(files) as prefetch:
        prefetch.wait()
        assert prefetch.done
        stats = prefetch.stats()
        ns = importspace.Namespace(path=[str(tmp_path)])
        app = ns.import_module("app")
    pycs = [importlib.util.cache_from_source(f) for f in files]
    assert stats["files"] == len(files)
    assert stats["bytes"] == sum(Path(p).stat().st_size for p in pycs)
    assert stats["total_ms"] >= 1
    assert app.second.VALUE == 2
    assert ns.modules["helper"].X == 1
    assert set(sys.modules) == before
    ns.close()


def test_prefetch_passes_over_files_it_cannot_read(tmp_path):
    missing = tmp_path / "gone.py"
    directory = tmp_path / "adir"
    directory.mkdir()
    prefetch = importspace.Prefetch([missing, str(directory), tmp_path / "also" / "gone.so"])
    prefetch.wait()
    assert prefetch.stats()["files"] == 0
    assert prefetch.done
    prefetch.close()
    prefetch.close()  # a second close is harmless


def test_prefetch_refuses_what_is_not_a_list_of_paths():
    with pytest.raises(TypeError):
        importspace.Prefetch("a/str/is/not/a/list.py")
    with pytest.raises(TypeError):
        importspace.Prefetch([1, 2])


def test_a_prefetch_dropped_while_running_stops_on_its_own(tmp_path):
    write(tmp_path, {f"m{i}.py": "" for i in range(200)})
    files = [str(tmp_path / f"m{i}.py") for i in range(200)] * 20
    prefetch = importspace.Prefetch(files)
    assert "Prefetch" in repr(prefetch)
    del prefetch  # the thread notices the flag and ends; nothing waits for it
    ns = importspace.Namespace(path=[str(tmp_path)])
    assert ns.import_module("m7").__name__ == "m7"
    ns.close()
