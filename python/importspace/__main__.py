"""`python -m importspace run [--path P]... [--share NAME]... (-m MODULE | SCRIPT) [ARGS...]`

With `--reload [--watch PATH]... [--debounce SECONDS] [--stop-timeout SECONDS]`, the program is
run again in a new namespace each time a file it loaded changes (importspace/_reload.py and
docs/reload.md: what is watched, how the program is stopped, what the stderr lines say).

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

The running itself is importspace/_run.py's `Program`, shared with the reloader.

`main(argv)` can be called in-process: it restores `sys.argv`, adds to the host's `sys.modules`
only what the engine always shares, and does not close the namespace (atexit handlers the code
registered may still use it; it is freed with its last reference).
"""

import signal
import sys

from importspace import _run

USAGE = (
    "usage: python -m importspace run [--path P]... [--share NAME]... "
    "[--reload [--watch PATH]... [--debounce SECONDS] [--stop-timeout SECONDS]] "
    "(-m MODULE | SCRIPT) [ARGS...]"
)

# Options that take a value: where it goes, and how it is read.
VALUE_OPTIONS = {
    "--path": ("paths", str),
    "--share": ("shares", str),
    "--watch": ("watch", str),
    "--debounce": ("debounce", float),
    "--stop-timeout": ("stop_timeout", float),
}
RELOAD_ONLY = ("--watch", "--debounce", "--stop-timeout")


class UsageError(Exception):
    """A command line this module does not accept."""


class Command:
    """A parsed `run` command line."""

    def __init__(self):
        self.paths, self.shares, self.watch = [], [], []
        self.reload = False
        self.debounce = self.stop_timeout = None
        self.module = self.script = None
        self.args = []


def parse(argv):
    """A `Command` from `argv` (without the program name), or None for `--help`."""
    if argv[:1] in (["-h"], ["--help"]):
        return None
    if argv[:1] != ["run"]:
        raise UsageError("the commands are 'run', 'graph' and 'check'")
    command = Command()
    reload_options = []
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        option, has_value, value = arg.partition("=")
        if arg in ("-h", "--help"):
            return None
        if option in VALUE_OPTIONS:
            if not has_value:
                if not rest:
                    raise UsageError(f"{option} needs a value")
                value = rest.pop(0)
            attribute, convert = VALUE_OPTIONS[option]
            try:
                value = convert(value)
            except ValueError:
                raise UsageError(f"{option} needs a number of seconds, not {value!r}") from None
            if isinstance(value, float) and not 0 <= value <= 3600:
                raise UsageError(f"{option} must be from 0 to 3600 seconds")
            if isinstance(getattr(command, attribute), list):
                getattr(command, attribute).append(value)
            else:
                setattr(command, attribute, value)
            if option in RELOAD_ONLY:
                reload_options.append(option)
        elif arg == "--reload":
            command.reload = True
        elif arg.startswith("-m"):  # `-m MODULE` or `-mMODULE`, as python takes it
            command.module = arg[2:] or (rest.pop(0) if rest else "")
            if not command.module:
                raise UsageError("-m needs a module name")
            command.args = rest
            break
        elif arg == "--":
            if rest:
                command.script, command.args = rest[0], rest[1:]
                break
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg}")
        else:
            command.script, command.args = arg, rest
            break
    else:
        raise UsageError("give -m MODULE or SCRIPT")
    if reload_options and not command.reload:
        raise UsageError(f"{reload_options[0]} needs --reload")
    return command


def main(argv=None) -> int:
    """Run the command line `argv` (default `sys.argv[1:]`); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["graph"], ["check"]):
        from importspace import _graph_cli

        return _graph_cli.main(argv[0], argv[1:])
    try:
        command = parse(argv)
    except UsageError as exc:
        print(f"{USAGE}\npython -m importspace: error: {exc}", file=sys.stderr)
        return 2
    if command is None:
        print(USAGE)
        return 0
    saved_argv = sys.argv
    try:
        if command.reload:
            return run_reloading(command)
        return run(command.paths, command.shares, command.module, command.script, command.args)
    finally:
        sys.argv = saved_argv


def namespace_path(paths):
    """The namespace's path before python's first entry: the `--path` entries, else the host's
    `sys.path` without the entry python put there for `-m importspace`."""
    return list(paths) if paths else sys.path[0 if _run.safe_path() else 1 :]


def run(paths, shares, module, script, args):
    """Run `-m module` or `script` with `args` in a fresh namespace; returns the exit status."""
    program = _run.Program(module, script, args, path=namespace_path(paths), shares=shares)
    ns = program.new_namespace()
    status = program.execute(ns)
    _run.wait_for_threads(ns)  # python waits for non-daemon threads at exit
    return status


def run_reloading(command):
    """`run --reload`: the program in the main thread, run again after each change, until
    Ctrl-C (importspace/_reload.py)."""
    from importspace import _reload

    program = _run.Program(
        command.module,
        command.script,
        command.args,
        path=namespace_path(command.paths),
        shares=command.shares,
    )
    options = {"watch": command.watch}
    if command.debounce is not None:
        options["debounce"] = command.debounce
    if command.stop_timeout is not None:
        options["stop_timeout"] = command.stop_timeout
    return _reload.Reloader(program, **options).run_forever()


if __name__ == "__main__":
    status = main()
    if status == -signal.SIGINT:
        # main() has printed the KeyboardInterrupt; raised again past a silent excepthook, it
        # makes python finalize and then kill itself with SIGINT, as it does for the code's own.
        sys.excepthook = lambda *exc_info: None
        raise KeyboardInterrupt
    sys.exit(status)
