"""The dev-loop reloader: `python -m importspace run --reload` in subprocesses whose files the
tests edit on disk, and `importspace.Reloader` in-process (the host-state guard of conftest.py
checks the host after each `stop()`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import importspace
from importspace import Reloader, StopTimeoutError, _native
from importspace.__main__ import main

ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
WAIT = 30  # seconds: generous, the machine is shared; nothing here asserts on speed
# The reloader looks for newly loaded files every 0.25 s: an edit sooner than that after a
# run started could come before the file is watched.
SETTLE = 0.6

LOOP_APP = """\
import time
import helper
print("run", helper.VALUE, flush=True)
try:
    while True:
        time.sleep(0.05)
finally:
    print("cleanup", helper.VALUE, flush=True)
"""


class Reloading:
    """`python -m importspace run --reload ARGS` in `cwd`, its output in files read as it
    grows."""

    def __init__(self, cwd: Path, *args: str, env: dict | None = None):
        self.cwd = cwd
        self.out_path, self.err_path = cwd / "stdout.txt", cwd / "stderr.txt"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "importspace", "run", "--reload", *args],
                cwd=cwd,
                stdout=out,
                stderr=err,
                env=env or ENV,
            )

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def wait_for(self, text: str, count: int = 1, stream: str = "out") -> None:
        """Wait until `text` appears `count` times in the output, then until the reloader has
        looked at what the run loaded."""
        deadline = time.monotonic() + WAIT
        while getattr(self, stream).count(text) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"{text!r} x{count} not seen (exit {self.proc.poll()})\n"
                    f"stdout:\n{self.out}\nstderr:\n{self.err}"
                )
            time.sleep(0.02)
        time.sleep(SETTLE)

    def interrupt(self) -> int:
        """Ctrl-C; returns the exit status."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(WAIT)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def reloading(tmp_path):
    started = []

    def start(*args: str, env: dict | None = None) -> Reloading:
        proc = Reloading(tmp_path, *args, env=env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()


@pytest.fixture
def loop_app(tree, reloading):
    """A starter: `loop_app(*options, env=None)` writes LOOP_APP and a helper.py with
    `VALUE = 1`, runs them with `--reload`, waits for the first run; returns (root, app)."""

    def start(*options: str, env: dict | None = None) -> tuple[Path, Reloading]:
        root = tree({"app.py": LOOP_APP, "helper.py": "VALUE = 1\n"})
        app = reloading(*options, "app.py", env=env)
        app.wait_for("run 1")
        return root, app

    return start


def write(path: Path, text: str) -> None:
    path.write_text(text)


def test_a_change_is_picked_up(loop_app):
    root, app = loop_app()
    write(root / "helper.py", "VALUE = 2\n")
    app.wait_for("run 2")
    # The old run was stopped (its finally ran) before the new one started.
    assert app.out.splitlines()[:3] == ["run 1", "cleanup 1", "run 2"]
    assert "importspace: helper.py modified; restarted in " in app.err
    assert "from the code cache)" in app.err
    assert app.interrupt() == -signal.SIGINT
    assert app.out.endswith("cleanup 2\n")
    assert app.err.endswith("importspace: stopped\n")
    assert "Traceback" not in app.err  # Ctrl-C ends it cleanly


def test_same_size_edits_within_a_second_with_pycs(loop_app):
    # A timestamp pyc matches a same-size edit made within the same second: the reloader drops
    # the pyc of each file it saw change, or the new run would run the old code.
    root, app = loop_app(env={k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"})
    assert list((root / "__pycache__").glob("helper.*.pyc"))
    mtime = (root / "helper.py").stat().st_mtime_ns
    for value in (2, 3, 4):
        write(root / "helper.py", f"VALUE = {value}\n")
        os.utime(root / "helper.py", ns=(mtime, mtime))  # as if in the same second
        app.wait_for(f"run {value}")
    assert app.out.count("run ") == 4


def test_a_syntax_error_then_a_good_save(loop_app):
    root, app = loop_app()
    write(root / "helper.py", "VALUE = (\n")
    app.wait_for("waiting for a change", stream="err")
    err = app.err
    assert f'File "{root / "helper.py"}", line 1' in err and "SyntaxError" in err
    assert "importspace: app.py exited with status 1; waiting for a change" in err
    # The old program was stopped completely: its cleanup ran once, and nothing else runs.
    assert app.out == "run 1\ncleanup 1\n"
    write(root / "helper.py", "VALUE = 3\n")
    app.wait_for("run 3")
    assert app.out == "run 1\ncleanup 1\nrun 3\n"


def test_a_syntax_error_in_the_script_itself(loop_app):
    root, app = loop_app()
    write(root / "app.py", "import helper\nprint('run' helper.VALUE)\n")
    app.wait_for("waiting for a change", stream="err")
    assert "SyntaxError" in app.err
    write(root / "app.py", LOOP_APP.replace('"run"', '"fixed"'))
    app.wait_for("fixed 1")


def test_a_deleted_file(loop_app):
    root, app = loop_app()
    (root / "helper.py").unlink()
    app.wait_for("waiting for a change", stream="err")
    assert "importspace: helper.py removed; restarted in " in app.err
    assert "ModuleNotFoundError: No module named 'helper'" in app.err
    write(root / "helper.py", "VALUE = 4\n")
    app.wait_for("run 4")


def test_a_burst_of_saves_gives_one_restart(loop_app):
    root, app = loop_app("--debounce", "0.3")
    # As an editor saves: several writes, a temporary file renamed over the original.
    for value in range(2, 7):
        write(root / "helper.py", f"VALUE = {value}\n")
        time.sleep(0.01)
    write(root / "helper.py.tmp", "VALUE = 7\n")
    os.replace(root / "helper.py.tmp", root / "helper.py")
    app.wait_for("run 7")
    time.sleep(1)  # any second restart would come within this
    assert app.out == "run 1\ncleanup 1\nrun 7\n"
    assert app.err.count("restarted in") == 1


def test_state_does_not_leak_between_runs(tree, reloading):
    root = tree(
        {
            "app.py": """\
                import json, time
                import registry, helper
                registry.ITEMS.append(helper.VALUE)
                print("items", registry.ITEMS, hasattr(json, "MARK"), flush=True)
                json.MARK = True
                while True:
                    time.sleep(0.05)
            """,
            "registry.py": "ITEMS = []\n",
            "helper.py": "VALUE = 1\n",
        }
    )
    app = reloading("app.py")
    app.wait_for("items [1]")
    write(root / "helper.py", "VALUE = 2\n")
    app.wait_for("items [2]")
    write(root / "helper.py", "VALUE = 3\n")
    app.wait_for("items [3]")
    assert app.out == "items [1] False\nitems [2] False\nitems [3] False\n"


def test_a_program_that_ignores_the_stop_request(tree, reloading):
    root = tree(
        {
            "app.py": """\
                import time, helper
                print("run", helper.VALUE, flush=True)
                while True:
                    try:
                        time.sleep(0.05)
                    except KeyboardInterrupt:
                        print("ignored", flush=True)
            """,
            "helper.py": "VALUE = 1\n",
        }
    )
    app = reloading("--stop-timeout", "1", "app.py")
    app.wait_for("run 1")
    write(root / "helper.py", "VALUE = 2\n")
    assert app.proc.wait(WAIT) == 1
    assert app.out == "run 1\nignored\nignored\n"  # the request, and again halfway
    assert (
        "importspace: app.py did not stop within 1 s of the stop request; "
        "it is left running; exiting" in app.err
    )


def test_threads_are_stopped_or_reported(tree, reloading):
    root = tree(
        {
            "app.py": """\
                import threading, time, helper
                def loop():
                    while True:
                        time.sleep(0.02)
                threading.Thread(target=loop, name="looping").start()
                threading.Thread(target=threading.Event().wait, name="stuck", daemon=True).start()
                print("run", helper.VALUE, flush=True)
            """,
            "helper.py": "VALUE = 1\n",
        }
    )
    app = reloading("--stop-timeout", "0.5", "app.py")
    app.wait_for("run 1")
    write(root / "helper.py", "VALUE = 2\n")
    app.wait_for("run 2")
    err = app.err
    # The looping thread took SystemExit; the one blocked in a lock for good is named.
    assert "importspace: 1 thread(s) of the stopped run of app.py are still running: " in err
    assert "'stuck' (daemon)" in err and "'looping'" not in err


def test_servers_stop_through_sigint(tree, reloading):
    root = tree(
        {
            "app.py": """\
                import asyncio, sys, helper
                import importspace
                importspace.on_stop(lambda: print("on_stop", helper.VALUE, flush=True))
                async def main():
                    print("run", helper.VALUE, flush=True)
                    try:
                        await asyncio.sleep(3600)
                    except asyncio.CancelledError:
                        print("cancelled", helper.VALUE, flush=True)
                        raise
                asyncio.run(main())
            """,
            "helper.py": "VALUE = 1\n",
        }
    )
    app = reloading("app.py")
    app.wait_for("run 1")
    write(root / "helper.py", "VALUE = 2\n")
    app.wait_for("run 2")
    assert app.out.splitlines()[:3] == ["run 1", "on_stop 1", "cancelled 1"]


def test_watch_option(tree, reloading):
    root = tree(
        {
            "app.py": """\
                import time
                print("data", open("conf/data.txt").read().strip(), flush=True)
                while True:
                    time.sleep(0.05)
            """,
            "conf/data.txt": "one\n",
        }
    )
    app = reloading("--watch", "conf", "app.py")
    app.wait_for("data one")
    (root / "conf/__pycache__").mkdir()
    write(root / "conf/__pycache__/x.cpython-311.pyc", "")
    write(root / "conf/.data.txt.swp", "")
    time.sleep(0.5)
    write(root / "conf/data.txt", "two\n")
    app.wait_for("data two")
    assert app.out == "data one\ndata two\n"
    assert "conf/data.txt modified" in app.err


def test_a_module_that_ends_waits_for_a_change(tree, reloading):
    root = tree({"pkg/__init__.py": "", "pkg/cli.py": "import pkg.helper\n", "pkg/helper.py": ""})
    write(root / "pkg/cli.py", "from pkg import helper\nprint('value', helper.VALUE)\n")
    write(root / "pkg/helper.py", "VALUE = 1\n")
    app = reloading("-m", "pkg.cli")
    app.wait_for("importspace: pkg.cli exited with status 0; waiting for a change", stream="err")
    write(root / "pkg/helper.py", "VALUE = 2\n")
    app.wait_for("value 2")
    assert app.out == "value 1\nvalue 2\n"
    assert app.interrupt() == -signal.SIGINT


@pytest.mark.parametrize(
    "argv",
    [["--watch", ".", "app.py"], ["--debounce", "0.1", "app.py"], ["--reload", "--debounce", "x"]],
)
def test_reload_usage_errors(argv, capsys):
    assert main(["run", *argv]) == 2
    assert "python -m importspace: error: " in capsys.readouterr().err


# -- the API, in-process


def wait_until(condition, what):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


PLUGIN = {
    "plugin/__init__.py": "from plugin.impl import setup\n",
    "plugin/impl.py": """\
        import json
        import helper
        def setup():
            return helper.VALUE, json.__name__
    """,
    "helper.py": "VALUE = 1\n",
}


def test_api_function_target_restarts_and_leaves_the_host_alone(tree):
    root = tree(PLUGIN)
    restarts = []
    reloader = Reloader(
        "plugin:setup",
        path=[str(root), *sys.path],
        on_restart=lambda r, changes: restarts.append(changes),
    )
    with reloader:
        assert reloader.wait(WAIT)
        assert reloader.result == (1, "json") and reloader.status == 0
        first = reloader.namespace
        watched = reloader.watched
        assert {str(root / "helper.py"), str(root / "plugin/impl.py")} <= watched
        assert not any(path.startswith(os.path.dirname(os.__file__) + os.sep) for path in watched)
        time.sleep(SETTLE)
        (root / "helper.py").write_text("VALUE = 2\n")
        wait_until(lambda: reloader.restarts == 1, "a restart")
        assert reloader.wait(WAIT)
        assert reloader.result == (2, "json")
        assert first.closed and reloader.namespace is not first
        assert restarts == [[("modified", str(root / "helper.py"))]]
        last = reloader.namespace
    assert last.closed and reloader.namespace is None
    assert "helper" not in sys.modules and "plugin" not in sys.modules


def test_api_script_target_and_manual_restart(tree, capfd):
    root = tree({"script.py": "import helper\nprint('script', helper.VALUE)\n", **PLUGIN})
    reloader = Reloader(root / "script.py").start()
    try:
        assert reloader.wait(WAIT) and reloader.status == 0
        assert str(root / "script.py") in reloader.watched
        reloader.restart()
        assert reloader.wait(WAIT) and reloader.restarts == 1
    finally:
        reloader.stop()
    assert capfd.readouterr().out == "script 1\nscript 1\n"


def test_api_stops_a_loop_in_a_worker_thread(tree):
    root = tree(
        {
            "server.py": """\
                import asyncio, time
                STATE = {}
                def busy():
                    STATE["running"] = True
                    try:
                        while True:
                            time.sleep(0.01)
                    finally:
                        STATE["stopped"] = True
                def event_loop():
                    STATE["running"] = True
                    try:
                        asyncio.run(asyncio.sleep(3600))
                    finally:
                        STATE["stopped"] = True
            """
        }
    )
    for function in ("busy", "event_loop"):
        reloader = Reloader(f"server:{function}", path=[str(root), *sys.path]).start()
        modules = reloader.namespace.modules

        def running(modules=modules):
            state = getattr(modules.get("server"), "STATE", {})
            return state.get("running")

        wait_until(running, "the run")
        state = modules["server"].STATE
        reloader.stop()
        assert state == {"running": True, "stopped": True}


def test_api_on_stop_callback(tree):
    root = tree(
        {
            "plugin_wait.py": """\
                import threading
                import importspace
                READY = False
                def serve():
                    global READY
                    done = threading.Event()
                    importspace.on_stop(done.set)
                    READY = True
                    done.wait()  # blocks in C: only the callback can end it
                    return "shut down"
            """
        }
    )
    reloader = Reloader("plugin_wait:serve", path=[str(root), *sys.path]).start()
    modules = reloader.namespace.modules
    wait_until(lambda: getattr(modules.get("plugin_wait"), "READY", False), "on_stop")
    reloader.stop()
    assert (reloader.status, reloader.result) == (0, "shut down")


def test_api_a_target_that_ignores_the_stop_request(tree, capfd):
    root = tree(
        {
            "stubborn.py": """\
                import os, time
                READY = False
                def main(flag):
                    global READY
                    while not os.path.exists(flag):
                        try:
                            READY = True
                            time.sleep(0.01)
                        except KeyboardInterrupt:
                            pass
            """
        }
    )
    flag = root / "flag"
    sys.path.insert(0, str(root))
    try:
        reloader = Reloader(
            lambda ns: ns.import_module("stubborn").main(flag),
            path=[str(root), *sys.path[1:]],
            stop_timeout=0.5,
        )
    finally:
        del sys.path[0]
    reloader.start()
    modules = reloader.namespace.modules
    wait_until(lambda: getattr(modules.get("stubborn"), "READY", False), "the loop")
    with pytest.raises(StopTimeoutError, match=r"did not stop within 0.5 s"):
        reloader.restart()
    ns = reloader.namespace
    assert not ns.closed  # left running, its namespace open
    with pytest.raises(StopTimeoutError):
        reloader.stop()
    flag.write_text("")
    reloader.stop()
    assert ns.closed and reloader.namespace is None


def test_api_arguments():
    with pytest.raises(TypeError, match="share must be"):
        Reloader("m:f", share="numpy")
    with pytest.raises(TypeError, match="target must be"):
        Reloader(42)
    with pytest.raises(ValueError, match="'module:function'"):
        Reloader("m:")
    with pytest.raises(FileNotFoundError):
        Reloader("m:f", watch=["/nonexistent/dir"])
    assert importspace.on_stop(print) is print  # outside a run: nothing to do
    reloader = Reloader("m:f")
    with pytest.raises(RuntimeError, match="not running"):
        reloader.restart()
    reloader.stop()  # never started: nothing to do


# -- the native pieces


def test_file_watcher(tmp_path):
    watcher = _native.FileWatcher(settle=0.05)
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    assert watcher.watch_file(target) is True
    assert watcher.watch_file(tmp_path / "missing" / "b.py") is False
    assert watcher.files == [str(target)]

    def edit():
        time.sleep(0.1)
        target.write_text("x = 2\n")
        (tmp_path / "other.py").write_text("")

    thread = threading.Thread(target=edit)
    thread.start()
    assert watcher.wait(WAIT) == [("modified", str(target))]
    thread.join()
    assert watcher.wait(0.1) == []
    watcher.close()
    assert watcher.closed
    with pytest.raises(ValueError, match="closed"):
        watcher.wait(0)
    with pytest.raises(ValueError, match="settle"):
        _native.FileWatcher(settle=-1)


def test_raise_in_thread():
    caught = []
    ready = threading.Event()

    def target():
        ready.set()
        try:
            while True:
                time.sleep(0.01)
        except ValueError as exc:
            caught.append(type(exc))

    thread = threading.Thread(target=target)
    thread.start()
    ready.wait()
    assert _native.raise_in_thread(thread.ident, ValueError) == 1
    thread.join(WAIT)
    assert caught == [ValueError]
    assert _native.raise_in_thread(thread.ident, None) == 0
    with pytest.raises(TypeError):
        _native.raise_in_thread(threading.get_ident(), int)
