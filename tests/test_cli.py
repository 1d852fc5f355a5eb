"""`python -m importspace run`, against `python` itself: each case runs the same script or module
as `python ARGS` and as `python -m importspace run ARGS` in subprocesses, and compares exit
status, stdout and stderr (tracebacks included) byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from importspace.__main__ import main

ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}

# Arguments the script must get untouched, the ones that look like options included.
ARGS = ["a b", "--foo", "-x", "-m", "mod", "--path", "p", "--", "-"]

SHOW = """\
    import sys
    print(__name__, __file__, __package__, __spec__ and __spec__.name, __cached__)
    print(sys.argv)
    print(sys.path[0])
    print(sorted(globals()), type(__builtins__).__name__)
    import __main__
    print(__main__.__dict__ is globals())
"""

CHAINED = """\
    def fail(n):
        return {}[n]

    def outer():
        try:
            fail("key")
        except KeyError as exc:
            raise ValueError(
                "bad value"
            ) from exc

    try:
        outer()
    except ValueError:
        print("caught", flush=True)
        x = len(
            None
        )
"""


def python(cwd: Path, *args: str, env: dict | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, env=env or ENV, timeout=60
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def same_as_python(cwd: Path, *args: str, flags=(), env=None) -> tuple[int, str, str]:
    """Run `python FLAGS ARGS` and `python FLAGS -m importspace run ARGS` in `cwd`; assert they
    end alike (status, stdout, stderr); return python's (status, stdout, stderr)."""
    native = python(cwd, *flags, *args, env=env)
    namespaced = python(cwd, *flags, "-m", "importspace", "run", *args, env=env)
    assert namespaced == native
    return native


def test_script_argv_name_and_globals(tree):
    root = tree({"app/show.py": SHOW})
    status, out, err = same_as_python(root, "app/show.py", *ARGS)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"__main__ {root / 'app/show.py'} None None None"
    assert lines[1] == repr(["app/show.py", *ARGS])
    assert lines[2] == str(root / "app")
    assert lines[3].endswith(" module") and lines[4] == "True"


def test_script_through_a_symlinked_directory(tree):
    root = tree({"real/show.py": SHOW})
    (root / "link").symlink_to(root / "real")
    status, out, _ = same_as_python(root, "link/show.py")
    assert status == 0 and out.splitlines()[2] == str(root / "real")


def test_script_imports_a_sibling(tree):
    root = tree(
        {
            "app/main.py": """\
                import sibling
                print(sibling.VALUE, sibling.__name__, sibling.__file__)
            """,
            "app/sibling.py": "VALUE = 42\n",
        }
    )
    status, out, _ = same_as_python(root, "app/main.py")
    assert (status, out) == (0, f"42 sibling {root / 'app/sibling.py'}\n")


@pytest.mark.parametrize(
    ("code", "status", "err"),
    [
        ("", 0, ""),
        ("None", 0, ""),
        ("3", 3, ""),
        ("259", 3, ""),
        ("-1", 255, ""),
        ("True", 1, ""),
        ("'msg'", 1, "msg\n"),
        ("['a', 1]", 1, "['a', 1]\n"),
    ],
)
def test_sys_exit(tree, code, status, err):
    root = tree({"ex.py": f"import sys\nprint('out')\nsys.exit({code})\nprint('not reached')\n"})
    assert same_as_python(root, "ex.py") == (status, "out\n", err)


def test_sys_exit_with_an_int_beyond_a_c_long(tree):
    # Python's status is -1 & 0xFF; 3.12 and 3.13.0 also print the OverflowError they leave set.
    root = tree({"ex.py": "import sys\nsys.exit(2**70)\n"})
    native = python(root, "ex.py")
    assert python(root, "-m", "importspace", "run", "ex.py")[:2] == native[:2] == (255, "")


def test_uncaught_exception_with_chaining(tree):
    root = tree({"boom.py": CHAINED})
    status, out, err = same_as_python(root, "boom.py")
    assert (status, out) == (1, "caught\n")
    assert err.startswith(f'Traceback (most recent call last):\n  File "{root / "boom.py"}", line')
    assert "\nThe above exception was the direct cause of the following exception:\n" in err
    assert "\nDuring handling of the above exception, another exception occurred:\n" in err
    assert "importspace" not in err and "runpy" not in err
    assert err.endswith("TypeError: object of type 'NoneType' has no len()\n")


@pytest.mark.parametrize(
    "source",
    [
        "import sys\n\nx = 1 +* 2\nprint(x)\n",
        pytest.param(
            "x = (\n",
            marks=pytest.mark.xfail(
                sys.version_info < (3, 10),
                reason="3.9's compile() places an error at the end of the source on its last line, "
                "python's file tokenizer one line further",
            ),
        ),
    ],
)
def test_syntax_error(tree, source):
    root = tree({"syn.py": source})
    status, _, err = same_as_python(root, "syn.py")
    assert status == 1 and err.startswith(f'  File "{root / "syn.py"}", line')


def test_excepthook_installed_by_the_script(tree):
    root = tree(
        {
            "hook.py": """\
                import sys
                sys.excepthook = lambda t, v, tb: print("hook:", t.__name__, v, tb.tb_lineno)
                raise ValueError("v")
            """
        }
    )
    assert same_as_python(root, "hook.py") == (1, "hook: ValueError v 3\n", "")


def test_keyboard_interrupt(tree):
    root = tree({"ki.py": "print('before')\nraise KeyboardInterrupt\n"})
    status, out, err = same_as_python(root, "ki.py")
    assert (status, out) == (-signal.SIGINT, "before\n")
    assert err.endswith("KeyboardInterrupt\n")


def test_waits_for_non_daemon_threads(tree):
    root = tree(
        {
            "thr.py": """\
                import threading, time
                def late():
                    time.sleep(0.2)
                    print("thread done")
                threading.Thread(target=late).start()
                print("main done")
            """
        }
    )
    assert same_as_python(root, "thr.py") == (0, "main done\nthread done\n", "")


PACKAGE = {
    "pkg/__init__.py": "print('init', __name__, __import__('sys').argv)\n",
    "pkg/sub.py": SHOW,
    "pkg/fail.py": CHAINED,
    "pkg/__main__.py": SHOW,
}


def test_module_in_a_package_with_args(tree):
    root = tree(PACKAGE)
    status, out, err = same_as_python(root, "-m", "pkg.sub", *ARGS)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"init pkg {['-m', *ARGS]}"
    assert lines[1].startswith(f"__main__ {root / 'pkg/sub.py'} pkg pkg.sub ")
    assert lines[2] == repr([str(root / "pkg/sub.py"), *ARGS])
    assert lines[3] == str(root)
    assert lines[5] == "True"


def test_module_as_mmodule_spelling(tree):
    root = tree(PACKAGE)
    assert same_as_python(root, "-mpkg.sub", "x")[0] == 0


def test_package_with_main(tree):
    root = tree(PACKAGE)
    status, out, _ = same_as_python(root, "-m", "pkg", "-v")
    assert status == 0
    assert out.splitlines()[1].startswith(f"__main__ {root / 'pkg/__main__.py'} pkg pkg.__main__ ")


def test_module_traceback_keeps_runpys_frames_as_python(tree):
    root = tree(PACKAGE)
    status, _, err = same_as_python(root, "-m", "pkg.fail")
    assert status == 1
    assert "_run_module_as_main" in err and "importspace" not in err


@pytest.mark.parametrize("kind", ["directory", "zip"])
def test_directory_and_zip_apps(tree, kind):
    root = tree({"app/__main__.py": SHOW, "app/helper.py": "X = 1\n"})
    target = "app"
    if kind == "zip":
        target = "app.pyz"
        with zipfile.ZipFile(root / target, "w") as archive:
            archive.write(root / "app/__main__.py", "__main__.py")
    status, out, _ = same_as_python(root, target, "-q")
    assert status == 0 and out.splitlines()[2] == str(root / target)


def test_missing_script(tmp_path):
    status, out, err = same_as_python(tmp_path, "nosuch.py", "x")
    assert (status, out) == (2, "")
    assert err == (
        f"{sys.executable}: can't open file {str(tmp_path / 'nosuch.py')!r}: "
        "[Errno 2] No such file or directory\n"
    )


def test_missing_module(tmp_path):
    status, out, err = same_as_python(tmp_path, "-m", "nosuchmod", "x")
    assert (status, out, err) == (1, "", f"{sys.executable}: No module named nosuchmod\n")


def test_package_without_main(tree):
    root = tree({"pkg/__init__.py": ""})
    status, _, err = same_as_python(root, "-m", "pkg")
    assert status == 1 and "cannot be directly executed" in err


@pytest.mark.skipif(sys.version_info < (3, 11), reason="-P is 3.11+")
def test_safe_path(tree):
    root = tree({"app/main.py": "import sibling\n", "app/sibling.py": ""})
    status, _, err = same_as_python(root, "app/main.py", flags=["-P"])
    assert status == 1 and err.endswith("ModuleNotFoundError: No module named 'sibling'\n")


def test_path_option(tree):
    root = tree(
        {
            "app/main.py": """\
                import sys, lib
                print(lib.VALUE, sys.path[:2], sys.argv)
            """,
            "libs/lib.py": "VALUE = 'from libs'\n",
        }
    )
    libs = str(root / "libs")
    native = python(root, "app/main.py", "-x", env={**ENV, "PYTHONPATH": libs})
    namespaced = python(root, "-m", "importspace", "run", "--path", libs, "app/main.py", "-x")
    assert namespaced == native
    assert native == (0, f"from libs {[str(root / 'app'), libs]} ['app/main.py', '-x']\n", "")
    # --path replaces the whole path: the script's directory, then the --path entries.
    root.joinpath("app/show_path.py").write_text("import sys\nprint(sys.path)\n")
    status, out, _ = python(root, "-m", "importspace", "run", f"--path={libs}", "app/show_path.py")
    assert (status, out) == (0, f"{[str(root / 'app'), libs]}\n")


def test_path_option_without_the_standard_library_for_a_module(tree):
    root = tree(PACKAGE)
    status, out, err = python(root, "-m", "importspace", "run", "--path", str(root), "-m", "pkg")
    assert (status, out) == (1, "")
    assert err.startswith("python -m importspace: error: -m MODULE, a directory and a zip file ")


@pytest.mark.parametrize("share", [True, False])
def test_share_option(tree, capsys, share):
    root = tree({"uses_json.py": "import json\nprint(id(json))\n"})
    options = ["--share", "json"] if share else []
    assert main(["run", *options, str(root / "uses_json.py")]) == 0
    inside = int(capsys.readouterr().out)
    assert (inside == id(sys.modules["json"])) is share


def test_in_process_main_restores_argv(tree, capsys):
    root = tree({"ex.py": "import sys\nprint(sys.argv)\nsys.exit(5)\n"})
    argv = sys.argv
    assert main(["run", str(root / "ex.py"), "-y"]) == 5
    assert sys.argv is argv
    assert capsys.readouterr().out == f"{[str(root / 'ex.py'), '-y']}\n"


def test_in_process_main_leaves_the_host_alone(tree):
    root = tree(
        {
            "app/main.py": "import colorsys, sibling\nprint(sibling.VALUE)\n",
            "app/sibling.py": "VALUE = 'sibling'\n",
        }
    )
    check = textwrap.dedent(
        f"""\
        import sys
        from importspace.__main__ import main
        before, argv, main_module = set(sys.modules), sys.argv, sys.modules["__main__"]
        status = main(["run", {str(root / "app/main.py")!r}])
        assert status == 0, status
        assert "sibling" not in sys.modules and "colorsys" not in sys.modules
        assert set(sys.modules) == before, set(sys.modules) ^ before
        assert sys.argv is argv and sys.modules["__main__"] is main_module
        print("host unchanged")
        """
    )
    assert python(root, "-c", check) == (0, "sibling\nhost unchanged\n", "")


@pytest.mark.parametrize(
    "argv",
    [[], ["walk"], ["run"], ["run", "--bogus", "x.py"], ["run", "--path"], ["run", "-m"]],
)
def test_usage_errors(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m importspace run ")
    assert "python -m importspace: error: " in err


def test_help(capsys):
    assert main(["run", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m importspace run ")
