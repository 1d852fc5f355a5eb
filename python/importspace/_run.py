"""Running a script or a module as `__main__` in a fresh namespace, as python would.

This is the part of `python -m importspace run` (importspace/__main__.py, whose docstring says
what it mirrors and how) that the reloader (importspace/_reload.py) runs again at each restart:
`Program.new_namespace()` makes the world of one run, `Program.execute(ns)` runs the program in
it and returns the exit status.
"""

import os
import signal
import sys
import types

from importspace import _namespace, _native

RUNPY_MISSING = (
    "-m MODULE, a directory and a zip file run through runpy, which needs the standard library "
    "on the namespace's path"
)


def safe_path():
    """Whether python puts nothing in front of `sys.path` (`-P`, `-I`)."""
    return bool(getattr(sys.flags, "safe_path", False) or sys.flags.isolated)


class Program:
    """A script or a `-m` module to run as `__main__`, each run in a new namespace.

    `path` is the namespace's path before python's first entry (the script's directory, or the
    current directory for `-m`) is put in front; `shares` are handed to `Namespace(share=)`.
    With `set_argv`, each run sets `sys.argv` as python does; without it (a host embedding the
    program), `sys.argv` is left alone. The current directory is the one at construction.
    """

    def __init__(self, module, script, args=(), *, path, shares=(), set_argv=True):
        if (module is None) == (script is None):
            raise TypeError("give exactly one of module and script")
        self.module = module
        self.script = script
        self.args = list(args)
        self.path = list(path)
        self.shares = tuple(shares)
        self.set_argv = set_argv
        self.cwd = os.getcwd()

    @property
    def name(self):
        return self.module or self.script

    @property
    def filename(self):
        """A script's absolute path (python joins it to the current directory, without
        normalising it); None for `-m`."""
        return None if self.script is None else os.path.join(self.cwd, self.script)

    def new_namespace(self):
        """A fresh namespace for one run, its `__main__` an empty module as python's is."""
        ns = _namespace.Namespace(self.path, name=self.name, share=self.shares)
        main_module = types.ModuleType("__main__")
        main_module.__builtins__ = ns.builtins
        main_module.__annotations__ = {}
        ns.modules["__main__"] = main_module
        return ns

    def execute(self, ns, *, quiet_interrupt=None, on_error=None):
        """Run the program in `ns` (from `new_namespace`); returns the exit status python
        would give. An uncaught exception is first handed to `on_error(exc)`, then printed by
        `sys.excepthook`, unless it is a `KeyboardInterrupt` and `quiet_interrupt()` is true."""
        main_module = ns.modules["__main__"]
        source = None  # a script file's; else runpy runs `run_as_main`, as python does
        if self.module is not None:
            argv = ["-m", *self.args]
            entry, run_as_main = self.cwd, (self.module, self.set_argv)
        else:
            argv = [self.script, *self.args]
            filename = self.filename
            if is_path_entry(ns, filename):  # a directory or zip file with a __main__.py
                entry, run_as_main = filename, ("__main__", False)
            else:
                entry = os.path.dirname(os.path.realpath(filename))
                try:
                    with open(filename, "rb") as file:
                        source = file.read()
                except OSError as exc:
                    program = getattr(sys, "orig_argv", [sys.executable])[0]
                    print(
                        f"{program}: can't open file {filename!r}: "
                        f"[Errno {exc.errno}] {exc.strerror}",
                        file=sys.stderr,
                    )
                    return 2
                main_module.__file__ = filename
                main_module.__cached__ = None
                main_module.__loader__ = _native.SourceFileLoader("__main__", filename)
        if self.set_argv:
            sys.argv = argv
        if not safe_path():
            ns.path.insert(0, entry)
        if source is None:
            try:
                runpy = ns.import_module("runpy")
            except ImportError as exc:
                print(f"python -m importspace: error: {RUNPY_MISSING}: {exc}", file=sys.stderr)
                return 1

        try:
            if source is not None:
                exec(compile(source, filename, "exec", dont_inherit=True), vars(main_module))
            else:
                runpy._run_module_as_main(*run_as_main)
            return 0
        except SystemExit as exc:
            return exit_status(exc.code)
        except BaseException as exc:
            if on_error is not None:
                on_error(exc)
            interrupted = type(exc) is KeyboardInterrupt
            if not (interrupted and quiet_interrupt is not None and quiet_interrupt()):
                tb = exc.__traceback__
                while tb is not None and tb.tb_frame.f_globals is globals():
                    tb = tb.tb_next  # this module's frames: python has none of them
                sys.excepthook(type(exc), exc.with_traceback(tb), tb)
                del tb
            del exc
            return -signal.SIGINT if interrupted else 1


def wait_for_threads(ns):
    """What python does at exit: wait for the non-daemon threads the namespace's `threading`
    started."""
    threading = ns.modules.get("threading")
    if threading is not None and threading is not sys.modules.get("threading"):
        threading._shutdown()


def is_path_entry(ns, filename):
    """Whether a path hook of `ns` takes `filename`, as python checks a script (a directory or
    a zip file is run as a `sys.path` entry holding `__main__`)."""
    for hook in ns.path_hooks:
        try:
            hook(filename)
        except ImportError:
            continue
        return True
    return False


def exit_status(code):
    """The status python exits with for `SystemExit(code)` (its `_Py_HandleSystemExit`)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return (code if -(2**63) <= code < 2**63 else -1) & 0xFF  # a C long; the OS keeps 8 bits
    if sys.stderr is not None:
        print(code, file=sys.stderr)
    return 1
