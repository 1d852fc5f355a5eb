"""`python -m importspace run [--path P]... [--share NAME]... (-m MODULE | SCRIPT) [ARGS...]`

(`python -m importspace graph ...` and `check ...` are the static import graph's commands:
see importspace/_graph_cli.py.)

Runs a script or a module in a fresh namespace, as `python SCRIPT ARGS` / `python -m MODULE ARGS`
would: everything after SCRIPT or `-m MODULE` is handed to it untouched. What it mirrors, and how:

- The namespace's path: the `--path` entries in order, else a copy of the host's `sys.path`
  without its first entry (the one python put there for `-m importspace`). In front of either,
  as python does: the script's directory, symlinks resolved (`dirname(realpath(SCRIPT))`); a
  directory or zip file SCRIPT itself; the current directory (`os.getcwd()`) for `-m`. With `-P`
  or `-I` (`sys.flags.safe_path`, `sys.flags.isolated`) nothing is put in front and nothing dropped.
  `--path` replaces the whole path, the standard library included: `-m` and directory or zip
  scripts need `runpy` (they run through it, as in python), so list the stdlib too.
- `--share NAME`: host modules handed in as they are (`Namespace(share=...)`).
- The code runs as `__main__` in a fresh `ns.modules["__main__"]` with python's globals (`__file__`
  absolute, `__cached__` None, `__loader__`, `__builtins__`). `sys.argv` is `[SCRIPT, *ARGS]`, or
  for `-m` `["-m", *ARGS]` while the module is found and then its file: `-m`, directories and zip
  files go through the namespace's own `runpy._run_module_as_main`, the function python calls.
- Exit status: 0; `SystemExit` as python handles it (None is 0, an int is that int modulo 256,
  anything else is printed to stderr and gives 1); an uncaught exception is printed by
  `sys.excepthook` (python's own printer, or one the code installed) and gives 1. An uncaught
  `KeyboardInterrupt`, after its traceback, ends the process the way python does: it finalizes
  and kills itself with SIGINT (`main()` returns `-SIGINT`, as `subprocess` would report it).
  Like python at exit, the namespace's non-daemon `threading` threads are waited for.
- Tracebacks: the frames of this module are dropped, and what remains is what python prints: the
  user's frames for a script, and for `-m` / directories / zip files also runpy's
  `_run_module_as_main` and `_run_code` frames (`<frozen runpy>` on 3.11+, `runpy.py` before).
  A script is compiled with `compile()`: on 3.9 only, a SyntaxError at the very end of the file
  is placed on its last line, where python's file tokenizer places it a line further.
- Errors have python's text, so a caller sees what `python` would print: `{program}: can't open
  file '/abs/SCRIPT': [Errno 2] No such file or directory` with exit status 2 (`program` is
  `sys.orig_argv[0]`, python's own, or `sys.executable` on 3.9), and runpy's
  `{sys.executable}: No module named MODULE` with status 1. Errors in this command's own options
  print the usage line and exit with status 2; a `--path` without the `runpy` that `-m` needs is
  reported as `python -m importspace: error: ...`, status 1.
- Not supported: a script read from stdin (`-`), and `.pyc` scripts.

`main(argv)` can be called in-process: it restores `sys.argv`, adds to the host's `sys.modules`
only what the engine always shares, and does not close the namespace (atexit handlers the code
registered may still use it; it is freed with its last reference).
"""

import os
import signal
import sys
import types

import importspace

USAGE = (
    "usage: python -m importspace run [--path P]... [--share NAME]... "
    "(-m MODULE | SCRIPT) [ARGS...]"
)

RUNPY_MISSING = (
    "-m MODULE, a directory and a zip file run through runpy, which needs the standard library "
    "on the namespace's path"
)


class UsageError(Exception):
    """A command line this module does not accept."""


def parse(argv):
    """`(paths, shares, module, script, args)` from `argv` (without the program name), or None
    for `--help`."""
    if argv[:1] in (["-h"], ["--help"]):
        return None
    if argv[:1] != ["run"]:
        raise UsageError("the commands are 'run', 'graph' and 'check'")
    paths, shares = [], []
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        option, has_value, value = arg.partition("=")
        if arg in ("-h", "--help"):
            return None
        if option in ("--path", "--share"):
            if not has_value:
                if not rest:
                    raise UsageError(f"{option} needs a value")
                value = rest.pop(0)
            (paths if option == "--path" else shares).append(value)
        elif arg.startswith("-m"):  # `-m MODULE` or `-mMODULE`, as python takes it
            module = arg[2:] or (rest.pop(0) if rest else "")
            if not module:
                raise UsageError("-m needs a module name")
            return paths, shares, module, None, rest
        elif arg == "--":
            if rest:
                return paths, shares, None, rest[0], rest[1:]
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg}")
        else:
            return paths, shares, None, arg, rest
    raise UsageError("give -m MODULE or SCRIPT")


def main(argv=None) -> int:
    """Run the command line `argv` (default `sys.argv[1:]`); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["graph"], ["check"]):
        from importspace import _graph_cli

        return _graph_cli.main(argv[0], argv[1:])
    try:
        parsed = parse(argv)
    except UsageError as exc:
        print(f"{USAGE}\npython -m importspace: error: {exc}", file=sys.stderr)
        return 2
    if parsed is None:
        print(USAGE)
        return 0
    saved_argv = sys.argv
    try:
        return run(*parsed)
    finally:
        sys.argv = saved_argv


def run(paths, shares, module, script, args):
    """Run `-m module` or `script` with `args` in a fresh namespace; returns the exit status."""
    safe_path = getattr(sys.flags, "safe_path", False) or sys.flags.isolated
    path = list(paths) if paths else sys.path[0 if safe_path else 1 :]
    ns = importspace.Namespace(path, name=module or script, share=shares)
    main_module = types.ModuleType("__main__")
    main_module.__builtins__ = ns.builtins
    main_module.__annotations__ = {}
    ns.modules["__main__"] = main_module

    source = None  # a script file's; else runpy runs `run_as_main`, as python does
    if module is not None:
        sys.argv = ["-m", *args]
        entry, run_as_main = os.getcwd(), (module,)
    else:
        sys.argv = [script, *args]
        # Python makes the script's path absolute by joining it to the cwd, not normalising it.
        filename = os.path.join(os.getcwd(), script)
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
                    f"{program}: can't open file {filename!r}: [Errno {exc.errno}] {exc.strerror}",
                    file=sys.stderr,
                )
                return 2
            main_module.__file__ = filename
            main_module.__cached__ = None
            main_module.__loader__ = importspace.SourceFileLoader("__main__", filename)
    if not safe_path:
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
        status = 0
    except SystemExit as exc:
        status = exit_status(exc.code)
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_globals is globals():
            tb = tb.tb_next  # this module's frames: python has none of them
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        status = -signal.SIGINT if type(exc) is KeyboardInterrupt else 1
        del exc, tb
    threading = ns.modules.get("threading")
    if threading is not None and threading is not sys.modules.get("threading"):
        threading._shutdown()  # python waits for non-daemon threads at exit
    return status


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


if __name__ == "__main__":
    status = main()
    if status == -signal.SIGINT:
        # main() has printed the KeyboardInterrupt; raised again past a silent excepthook, it
        # makes python finalize and then kill itself with SIGINT, as it does for the code's own.
        sys.excepthook = lambda *exc_info: None
        raise KeyboardInterrupt
    sys.exit(status)
