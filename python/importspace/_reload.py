"""`importspace.Reloader`: run a program in a fresh namespace, and again in a new one each time
a file it loaded changes. `python -m importspace run --reload` is `Reloader.run_forever()`.

Each run gets a new `Namespace`, so no module state survives from one run to the next, while
shared modules (`share=`) stay loaded in the host and unchanged files come from the code cache.
docs/reload.md describes the design; the short version:

* **What is watched** (`Reloader.watched`): the files of the modules the namespace loaded,
  except the standard library's and the shared modules' (the host's own), read from
  `ns.modules` as the program runs; the script; the files of a run's failure (a `SyntaxError`'s
  file, the frames of its traceback), so that a good save after a bad one restarts; and the
  `watch=` paths, directories recursively. Files stay watched for the reloader's lifetime.
  The watching itself is native (`_native.FileWatcher`, over the `notify` crate): a burst of
  writes is one change once it has been quiet for `debounce` seconds.
* **Stopping a run**, in order: the callbacks the program registered with
  `importspace.on_stop(callback)` are called (from the reloader's thread); then the program's
  thread is interrupted with `KeyboardInterrupt`: in the main thread (`run_forever`, the
  command line) as Ctrl-C would, by a SIGINT sent to that thread, which also breaks a blocking
  system call and reaches a handler the program installed (asyncio's `run` cancels its main
  task); in a worker thread (`start`) by raising it asynchronously in that thread, after
  waking an asyncio event loop running there. It is sent again halfway through `stop_timeout`.
  A run that has not ended after `stop_timeout` seconds cannot be stopped: `stop()` and
  `restart()` raise `StopTimeoutError` and leave it running, its namespace open; the command
  line says so and exits with status 1.
* **Threads the program started** (through the namespace's `threading`): once the run ended,
  the namespace's `threading` exit hooks run (`concurrent.futures` joins its workers there),
  non-daemon threads are joined until `stop_timeout`, every thread still alive gets
  `SystemExit` raised in it and half a second more, and those still alive after that are named
  on stderr (`Reloader.leftover_threads`).
* Then the namespace is closed, and a new run starts. A line on stderr says what changed and
  how long the restart took, counted until the new run stopped importing (no module added for
  0.1 s) or ended.
"""

import os
import signal
import sys
import threading
import time
import traceback

from importspace import _namespace, _native, _run


class StopTimeoutError(TimeoutError):
    """A run did not end within `stop_timeout` seconds of being asked to stop. It is left
    running, its namespace open."""


# The runs going on, by their namespace's id, for `on_stop`.
_active_runs = {}

# How long the restart line waits for the new run to stop importing, and how often it looks.
_SETTLED_AFTER = 0.1
_SETTLE_POLL = 0.02
# How often the watcher thread looks for newly loaded files while nothing changes.
_REFRESH_EVERY = 0.25


def on_stop(callback):
    """Call `callback()` when the reloader asks the program calling this to stop (before it
    interrupts the program's thread): the way for a server to shut down cleanly, e.g.
    `importspace.on_stop(server.shutdown)`. Called from the reloader's thread; an exception it
    raises is printed and ignored. Outside a reloader's run this does nothing, so a program
    can call it unconditionally. Returns `callback` (it can be used as a decorator)."""
    if not callable(callback):
        raise TypeError(f"on_stop() needs a callable, not {type(callback).__name__}")
    ns = _namespace.owner_of_globals(sys._getframe(1).f_globals)
    run = _active_runs.get(id(ns)) if ns is not None else None
    if run is None:
        ident = threading.get_ident()
        run = next((r for r in list(_active_runs.values()) if r.ident == ident), None)
    if run is not None:
        run.stop_callbacks.append(callback)
    return callback


class _Run:
    """One run of the program: its namespace, its thread, and how it ended."""

    def __init__(self, number, ns):
        self.number = number
        self.ns = ns
        self.ident = None
        self.started = threading.Event()
        self.done = threading.Event()
        self.stopping = False  # the reloader asked it to stop
        self.finished = False  # its code has returned; nothing may interrupt it any more
        self.stop_callbacks = []
        self.status = None
        self.result = None
        self.error = None
        self.failed_files = []
        self.threads_before = {t.ident for t in threading.enumerate()}

    def note_error(self, exc):
        """Remember the files of an exception that ended the run: its `SyntaxError`'s or
        `ImportError`'s file and its traceback's frames, through `__cause__`/`__context__`."""
        seen = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            for attribute in ("filename", "path"):  # SyntaxError, ImportError
                value = getattr(exc, attribute, None)
                if isinstance(value, str):
                    self.failed_files.append(value)
            tb = exc.__traceback__
            while tb is not None:
                self.failed_files.append(tb.tb_frame.f_code.co_filename)
                tb = tb.tb_next
            exc = exc.__cause__ or exc.__context__


class _MainTarget:
    """A script or `-m` module run as `__main__` (`_run.Program`)."""

    def __init__(self, program):
        self.program = program
        self.name = program.name
        self.files = [program.filename] if program.filename is not None else []

    def new_namespace(self):
        return self.program.new_namespace()

    def execute(self, run, quiet_interrupt):
        status = self.program.execute(
            run.ns, quiet_interrupt=quiet_interrupt, on_error=run.note_error
        )
        return status, None


class _CallTarget:
    """A callable `target(ns)`, or `"module:function"`, called in the namespace."""

    def __init__(self, target, path, shares):
        self.path = path
        self.shares = shares
        if callable(target):
            self.function, self.module = target, None
            self.name = getattr(target, "__qualname__", repr(target))
        else:
            self.function = None
            self.module, _, self.attribute = target.partition(":")
            self.name = target
        self.files = []

    def new_namespace(self):
        path = list(sys.path) if self.path is None else self.path
        return _namespace.Namespace(path, name=self.name, share=self.shares)

    def execute(self, run, quiet_interrupt):
        try:
            if self.function is not None:
                return 0, self.function(run.ns)
            function = run.ns.import_module(self.module)
            for part in self.attribute.split("."):
                function = getattr(function, part)
            return 0, function()
        except SystemExit as exc:
            return _run.exit_status(exc.code), None
        except BaseException as exc:
            run.note_error(exc)
            interrupted = type(exc) is KeyboardInterrupt
            if not (interrupted and quiet_interrupt()):
                run.error = exc
                traceback.print_exception(type(exc), exc, exc.__traceback__)
            return (-signal.SIGINT if interrupted else 1), None


def _make_target(target, path, shares, args):
    """The target's runner: a `_run.Program` as given (the command line), a callable or
    `"module:function"`, a script path, or a module name."""
    if isinstance(target, _run.Program):
        if "importspace" not in target.shares:
            target.shares += ("importspace",)
        return _MainTarget(target)
    if callable(target):
        return _CallTarget(target, path, shares)
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(
            "target must be a callable, 'module:function', a script path or a module name, "
            f"not {type(target).__name__}"
        )
    text = os.fspath(target)
    if isinstance(target, os.PathLike) or text.endswith(".py") or os.path.exists(text):
        module, script = None, text
    elif ":" in text:
        module_name, _, attribute = text.partition(":")
        if not module_name or not attribute:
            raise ValueError(f"'module:function' target expected, got {text!r}")
        return _CallTarget(text, path, shares)
    else:
        module, script = text, None
    program = _run.Program(
        module,
        script,
        args,
        path=list(sys.path) if path is None else path,
        shares=shares,
        set_argv=False,
    )
    return _MainTarget(program)


class _LoadedFiles:
    """The files a namespace loaded that a reloader watches: not the standard library's, not
    the host's own modules (shared ones)."""

    def __init__(self):
        self._stdlib = sorted(_namespace._stdlib_dirs())
        self._dir_is_stdlib = {}

    def of(self, ns):
        host = {id(module) for module in list(sys.modules.values())}
        for module in list(ns.modules.values()):
            if id(module) in host:
                continue
            attributes = getattr(module, "__dict__", None)  # no __getattr__ of lazy modules
            file = attributes.get("__file__") if isinstance(attributes, dict) else None
            if isinstance(file, str) and not self.in_stdlib(file):
                yield file

    def in_stdlib(self, file):
        directory = os.path.dirname(os.path.abspath(file))
        known = self._dir_is_stdlib.get(directory)
        if known is None:
            real = os.path.realpath(directory)
            known = False
            for root in self._stdlib:
                if real == root or real.startswith(root + os.sep):
                    first = real[len(root) + 1 :].split(os.sep, 1)[0]
                    known = first not in ("site-packages", "dist-packages")
                    break
            self._dir_is_stdlib[directory] = known
        return known


def _watchable(file):
    """The path to watch for a loaded file: the file, or the zip archive it was read from."""
    file = os.path.abspath(file)
    parent = os.path.dirname(file)
    while not os.path.isdir(parent):
        if os.path.isfile(parent):
            return parent
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return file


def _short(path):
    """`path` relative to the current directory when it is inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


def describe(changes):
    """`app.py modified, util.py removed and 3 more`."""
    parts = [
        "files changed (the platform lost events)" if kind == "rescan" else f"{_short(p)} {kind}"
        for kind, p in changes[:3]
    ]
    text = ", ".join(parts)
    if len(changes) > 3:
        text += f" and {len(changes) - 3} more"
    return text


def _say(message):
    stderr = sys.stderr
    if stderr is not None:
        print(f"importspace: {message}", file=stderr, flush=True)


class Reloader:
    """Run `target` in a fresh namespace; run it again in a new one when a file it loaded
    changes. See the module's docstring and docs/reload.md.

    `target`: a callable, called as `target(ns)` with the run's namespace; `"module:function"`,
    imported in the namespace and called with no arguments; a script path (an `os.PathLike`, a
    `str` ending in `.py`, or an existing file or directory), run as `__main__`; or a module
    name, run as `python -m` would (`args` become `sys.argv[1:]` only on the command line:
    an embedded reloader leaves `sys.argv` alone). `path` is the namespace's path (default: a
    copy of the host's `sys.path`; a script's directory goes in front, as python puts it);
    `share` the host modules handed in (`importspace` itself always is, for `on_stop`);
    `watch` more files or directories to watch; `on_restart(reloader, changes)` is called
    after each restart, from the thread that restarted, `changes` a list of `(kind, path)`;
    `debounce` is how long a burst of writes must be quiet; `stop_timeout` how long a run may
    take to stop.

    `start()` runs the target in a worker thread and watches from another; `restart()` and
    `stop()` are synchronous; `run_forever()` runs it in the main thread instead (the command
    line). Also a context manager (`start()` ... `stop()`). A reloader runs once: after
    `stop()` it cannot be started again. `restarts` counts the restarts made (each counted once
    `on_restart` returned); `leftover_threads` names the threads of the last stopped run that
    could not be stopped.
    """

    def __init__(
        self,
        target,
        *,
        path=None,
        share=(),
        args=(),
        watch=(),
        on_restart=None,
        debounce=0.05,
        stop_timeout=5.0,
    ):
        if isinstance(share, str):
            raise TypeError("share must be an iterable of module names, not a str")
        shares = tuple(share)
        if "importspace" not in shares:
            shares += ("importspace",)
        if path is not None:
            if isinstance(path, (str, bytes)):
                raise TypeError("path must be an iterable of path entries, not a single string")
            path = [os.fspath(entry) for entry in path]
        if not 0 <= stop_timeout <= 3600:
            raise ValueError("stop_timeout must be from 0 to 3600 seconds")
        self._target = _make_target(target, path, shares, args)
        self._watch = [os.path.abspath(os.fspath(p)) for p in watch]
        for entry in self._watch:
            if not os.path.exists(entry):
                raise FileNotFoundError(2, "No such file or directory", entry)
        self._on_restart = on_restart
        self._debounce = debounce
        self._stop_timeout = stop_timeout
        self._loaded = _LoadedFiles()
        self._watcher = None
        self._watch_thread = None
        self._watched = set()
        self._refresh_lock = threading.Lock()
        self._scanned = (0, -1)  # (run number, len(modules)) at the last scan
        self._lock = threading.Lock()  # run.stopping/finished and interrupts
        self._restart_lock = threading.RLock()  # one restart or stop at a time
        self._current = None
        self._last = None  # the last run, once stopped: its status, result and error
        self._runs = 0
        self._foreground = False
        self._closing = False
        self._pending = None  # (changes, detected) a foreground restart waits on
        self._wakeup = threading.Event()
        self._report = None
        self.restarts = 0
        self.leftover_threads = []

    # -- what the host sees

    @property
    def namespace(self):
        """The current run's namespace (None before `start()` and after `stop()`)."""
        run = self._current
        return None if run is None else run.ns

    @property
    def watched(self):
        """The files watched now, as absolute paths (the `watch=` directories not included)."""
        if self._watcher is not None and not self._watcher.closed:
            self._refresh_watched()
        return frozenset(self._watched)

    @property
    def status(self):
        """The current (after `stop()`: the last) run's exit status once its target returned
        (0 for a function that returned, python's status for a script or module), else None."""
        run = self._current or self._last
        return None if run is None else run.status

    @property
    def result(self):
        """What a callable or `"module:function"` target returned in the current run."""
        run = self._current or self._last
        return None if run is None else run.result

    @property
    def error(self):
        """The exception that ended the current run of a callable target, if any."""
        run = self._current or self._last
        return None if run is None else run.error

    def wait(self, timeout=None):
        """Wait until the current run's target returned; False if `timeout` passed first."""
        run = self._current
        return True if run is None else run.done.wait(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def __repr__(self):
        state = "stopped" if self._current is None else f"run {self._current.number}"
        return f"<importspace.Reloader {self._target.name!r} ({state})>"

    # -- background mode

    def start(self):
        """Run the target in a worker thread, and watch for changes; returns self."""
        with self._restart_lock:
            if self._watcher is not None:
                raise RuntimeError("the reloader is already started")
            self._start_watching()
            self._launch()
        return self

    def restart(self, changes=()):
        """Stop the current run, close its namespace and start a new run (in a worker thread,
        or, under `run_forever`, in the main thread, which this then only asks for).
        `StopTimeoutError` when the run does not stop."""
        if self._watcher is None or self._closing:
            raise RuntimeError("the reloader is not running")
        run = self._current
        if run is not None and run.ident == threading.get_ident():
            raise RuntimeError("a run cannot restart the reloader from its own thread")
        self._restart(list(changes), time.perf_counter())

    def stop(self):
        """Stop watching, stop the current run, close its namespace. Afterwards the host's
        import state is as it was (shared modules stay loaded). `StopTimeoutError` when the
        run does not stop: it is left running, its namespace open, and `stop()` may be
        called again."""
        self._closing = True
        if self._watcher is not None:
            self._watcher.close()
        thread = self._watch_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._restart_lock:
            run = self._current
            if run is None:
                return
            if not self._stop_run(run):
                raise StopTimeoutError(self._stuck_message(run))
            self._end_run(run)
            self._last, self._current = run, None

    def _launch(self):
        run = self._begin_run()
        thread = threading.Thread(
            target=self._work, args=(run,), name=f"importspace-reloader-run-{run.number}"
        )
        thread.daemon = True
        thread.start()
        run.started.wait()

    def _work(self, run):
        run.ident = threading.get_ident()
        run.started.set()
        try:
            self._execute(run)
        finally:
            self._finish(run)

    def _restart(self, changes, detected):
        with self._restart_lock:
            if self._closing:
                return
            _drop_bytecode(changes)
            run = self._current
            if self._foreground:
                self._pending = (changes, detected)
                self._wakeup.set()
                if run is not None and not self._stop_run(run):
                    _say(self._stuck_message(run) + "; exiting")
                    if sys.stdout is not None:
                        sys.stdout.flush()
                    os._exit(1)
                return
            if run is not None:
                if not self._stop_run(run):
                    raise StopTimeoutError(self._stuck_message(run))
                self._end_run(run)
            self._launch()
            self._restarted(changes, detected)

    def _restarted(self, changes, detected):
        run = self._current
        report = (run, changes, detected, _native.code_cache_info()["hits"])
        self._report = report
        threading.Thread(
            target=self._report_when_settled,
            args=(report,),
            name="importspace-reloader-report",
            daemon=True,
        ).start()
        if self._on_restart is not None:
            try:
                self._on_restart(self, changes)
            except Exception:
                _say("on_restart raised:")
                traceback.print_exc()
        self.restarts += 1  # counted once on_restart returned

    # -- foreground mode (the command line)

    def run_forever(self):
        """Run the target in this thread, which must be the main one, and run it again after
        each change, until Ctrl-C; returns the exit status (`-SIGINT` for Ctrl-C, which the
        command line turns into python's own exit by SIGINT)."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("run_forever() runs the program in the main thread")
        if self._watcher is not None:
            raise RuntimeError("the reloader is already started")
        self._foreground = True
        previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._on_sigint)
        status = -signal.SIGINT
        try:
            self._start_watching()
            restarted = None
            while True:
                run = self._begin_run()
                run.ident = threading.get_ident()
                if restarted is not None:
                    self._restarted(*restarted)
                try:
                    self._execute(run)
                finally:
                    self._finish(run)
                signal.signal(signal.SIGINT, self._on_sigint)  # the program may have set its own
                if self._pending is None and not run.stopping:
                    if run.status == -signal.SIGINT:
                        break  # Ctrl-C
                    self._report_restart()
                    ended = f"{self._target.name} exited with status {run.status}"
                    _say(f"{ended}; waiting for a change")
                    while not self._wakeup.wait(0.1):
                        pass
                restarted = self._take_pending()
                self._end_run(run)
        except KeyboardInterrupt:
            pass
        finally:
            self._closing = True
            self._watcher.close()
            self._watch_thread.join()
            run = self._current
            if run is not None:
                self._end_run(run)
                self._last, self._current = run, None
            signal.signal(signal.SIGINT, previous)
        _say("stopped")
        return status

    def _take_pending(self):
        with self._restart_lock:
            pending, self._pending = self._pending, None
            self._wakeup.clear()
        return pending if pending is not None else ([], time.perf_counter())

    def _on_sigint(self, signum, frame):
        run = self._current
        if run is not None and run.stopping and run.finished:
            return  # a stop request that arrived after the run had ended
        raise KeyboardInterrupt

    # -- one run

    def _begin_run(self):
        ns = self._target.new_namespace()
        self._runs += 1
        run = _Run(self._runs, ns)
        _active_runs[id(ns)] = run
        self._current = run
        return run

    def _execute(self, run):
        quiet = (lambda: True) if self._foreground else (lambda: run.stopping)
        try:
            run.status, run.result = self._target.execute(run, quiet)
        except KeyboardInterrupt:
            if not run.stopping:
                raise
            run.status = -signal.SIGINT  # the stop request arrived as the code returned

    def _finish(self, run):
        """The run's code has returned: from now on nothing interrupts its thread."""
        while True:
            try:
                with self._lock:
                    run.finished = True
                    if not self._foreground:
                        _native.raise_in_thread(run.ident, None)  # withdraw a late one
                break
            except KeyboardInterrupt:
                if not run.stopping:
                    raise
        run.done.set()

    def _stop_run(self, run):
        """Ask the run to stop and wait up to `stop_timeout`; False if it did not end."""
        with self._lock:
            if run.finished:
                return True
            run.stopping = True
        for callback in list(run.stop_callbacks):
            try:
                callback()
            except Exception:
                _say("an on_stop callback raised:")
                traceback.print_exc()
        # With callbacks, the run gets half the time to end by itself before the first
        # interrupt; without, it is interrupted at once, and again (a second Ctrl-C) halfway.
        interrupts = [0.5] if run.stop_callbacks else [0.0, 0.5]
        start = time.perf_counter()
        while True:
            waited = (time.perf_counter() - start) / max(self._stop_timeout, 1e-9)
            if interrupts and waited >= interrupts[0]:
                interrupts.pop(0)
                self._interrupt(run)
            if waited >= 1:
                return run.done.is_set()
            if run.done.wait(0.02):
                return True

    def _interrupt(self, run):
        with self._lock:
            if run.finished:
                return
            handler = signal.getsignal(signal.SIGINT)
            main = threading.main_thread().ident
            if run.ident == main and hasattr(signal, "pthread_kill") and callable(handler):
                signal.pthread_kill(main, signal.SIGINT)
            else:
                _native.raise_in_thread(run.ident, KeyboardInterrupt)
                _wake_event_loop(run.ident)

    def _stuck_message(self, run):
        return (
            f"{self._target.name} did not stop within {self._stop_timeout:g} s of the stop "
            "request; it is left running"
        )

    def _end_run(self, run):
        """After the run ended: account for its threads, then close its namespace."""
        self._account_threads(run)
        self._report_restart()
        _active_runs.pop(id(run.ns), None)
        run.ns.close()

    def _account_threads(self, run):
        ns_threading = run.ns.modules.get("threading")
        own = ns_threading is not None and ns_threading is not threading
        if own:  # the namespace's own threading: every thread in it is the program's
            main = ns_threading.main_thread()
            dummy = getattr(ns_threading, "_DummyThread", ())
            theirs = [
                t
                for t in ns_threading.enumerate()
                if t is not main and t.ident != run.ident and not isinstance(t, dummy)
            ]
        else:  # the host's threading (shared by default): the threads the run started
            theirs = [
                t
                for t in threading.enumerate()
                if t.ident not in run.threads_before
                and t.ident != run.ident
                and not t.name.startswith("importspace-reloader")
                and (self._foreground or _code_owner(_thread_code(t)) is run.ns)
            ]
        # The exit hooks the program registered with `threading` (`concurrent.futures` joins
        # its workers there), run as python's `threading._shutdown` would and taken out.
        hooks_of = ns_threading if own else threading
        all_hooks = getattr(hooks_of, "_threading_atexits", None) or []
        hooks = [h for h in all_hooks if own or _code_owner(h) is run.ns]
        for hook in hooks:
            all_hooks.remove(hook)
        if own:
            ns_threading._SHUTTING_DOWN = True
        if hooks:
            runner = threading.Thread(
                target=_call_all,
                args=(hooks[::-1],),
                name="importspace-reloader-exit-hooks",
                daemon=True,
            )
            runner.start()
            runner.join(self._stop_timeout)
        deadline = time.perf_counter() + self._stop_timeout
        for thread in theirs:
            if not thread.daemon:
                thread.join(max(0.0, deadline - time.perf_counter()))
        alive = [t for t in theirs if t.is_alive()]
        for thread in alive:
            _native.raise_in_thread(thread.ident, SystemExit)
        deadline = time.perf_counter() + 0.5
        for thread in alive:
            thread.join(max(0.0, deadline - time.perf_counter()))
        left = [t for t in alive if t.is_alive()]
        self.leftover_threads = [t.name for t in left]
        if left:
            names = ", ".join(f"{t.name!r}{' (daemon)' if t.daemon else ''}" for t in left)
            _say(
                f"{len(left)} thread(s) of the stopped run of {self._target.name} are still "
                f"running: {names}"
            )

    # -- watching

    def _start_watching(self):
        self._watcher = _native.FileWatcher(settle=self._debounce)
        for entry in self._watch:
            self._watcher.watch_tree(entry)
        for file in self._target.files:
            self._add_watch(file)
        self._watch_thread = threading.Thread(
            target=self._watch_loop, name="importspace-reloader-watch", daemon=True
        )
        self._watch_thread.start()

    def _add_watch(self, file):
        path = _watchable(file)
        if path not in self._watched and self._watcher.watch_file(path):
            self._watched.add(path)

    def _refresh_watched(self):
        """Watch the files the current run loaded since the last look, and its failure's."""
        run = self._current
        if run is None:
            return
        with self._refresh_lock:
            self._refresh(run)

    def _refresh(self, run):
        size = len(run.ns.modules)
        if self._scanned != (run.number, size):
            self._scanned = (run.number, size)
            for file in self._loaded.of(run.ns):
                self._add_watch(file)
        while run.failed_files:
            file = run.failed_files.pop()
            if os.path.isabs(file) and not self._loaded.in_stdlib(file):
                self._add_watch(file)

    def _watch_loop(self):
        while not self._closing:
            try:
                self._refresh_watched()
                changes = self._watcher.wait(_REFRESH_EVERY)
            except Exception as exc:  # an OSError of the platform watcher
                if self._closing:
                    break
                _say(f"file watching failed: {exc}")
                time.sleep(_REFRESH_EVERY)
                continue
            if changes and not self._closing:
                try:
                    self._restart(changes, time.perf_counter())
                except StopTimeoutError as exc:
                    _say(f"{exc}; changes are not applied until it ends")
                except Exception:
                    _say("restart failed:")
                    traceback.print_exc()

    def _report_when_settled(self, report):
        """Print the restart line once the new run stopped importing: no module added for
        `_SETTLED_AFTER` seconds (looked at every `_SETTLE_POLL`), or the run ended."""
        run = report[0]
        count, last_change = -1, time.perf_counter()
        while self._report is report and not run.done.is_set():
            size = len(run.ns.modules)
            now = time.perf_counter()
            if size != count:
                count, last_change = size, now
            elif now - last_change >= _SETTLED_AFTER:
                self._report_restart(report, last_change)
                return
            time.sleep(_SETTLE_POLL)
        self._report_restart(report)

    def _report_restart(self, report=None, ended=None):
        """Print the restart line of `report` (default: the pending one), counting the restart
        until `ended` (default: now), unless it was printed already."""
        with self._lock:
            report = self._report if report is None else report
            if report is None or self._report is not report:
                return
            self._report = None
        run, changes, detected, hits = report
        ended = time.perf_counter() if ended is None else ended
        modules = 0 if run.ns.closed else len(run.ns.modules)
        cached = _native.code_cache_info()["hits"] - hits
        what = describe(changes) if changes else "restart requested"
        _say(
            f"{what}; restarted in {ended - detected:.2f} s "
            f"({modules} modules, {cached} from the code cache)"
        )


def _drop_bytecode(changes):
    """Remove the pyc of each changed source file. A timestamp pyc is checked against its
    source's mtime in whole seconds and its size, so an edit that keeps the size within the
    second the pyc was written would run the old code again, natively as in a namespace."""
    cache_from_source = sys.modules["_frozen_importlib_external"].cache_from_source
    for kind, path in changes:
        if kind != "removed" and path.endswith(".py"):
            try:
                os.remove(cache_from_source(path))
            except (OSError, ValueError, NotImplementedError):
                pass


def _thread_code(thread):
    """The function a `threading.Thread` runs: its target, or its class's `run`."""
    target = getattr(thread, "_target", None)
    return target if target is not None else type(thread).run


def _code_owner(function):
    """The namespace whose code `function` is (a bound method's function's), or None."""
    function = getattr(function, "__func__", function)
    globals_ = getattr(function, "__globals__", None)
    return _namespace.owner_of_globals(globals_) if isinstance(globals_, dict) else None


def _call_all(functions):
    for function in functions:
        try:
            function()
        except Exception:
            traceback.print_exc()


def _wake_event_loop(ident):
    """Wake an asyncio event loop running in thread `ident`, so that the exception raised in
    the thread is raised now rather than when the loop's selector next returns."""
    frame = sys._current_frames().get(ident)
    while frame is not None:
        if frame.f_code.co_name == "run_forever":
            loop = frame.f_locals.get("self")
            wake = getattr(loop, "call_soon_threadsafe", None)
            if wake is not None:
                try:
                    wake(lambda: None)
                except RuntimeError:  # closed meanwhile
                    pass
                return
        frame = frame.f_back
