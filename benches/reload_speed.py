"""Dev-loop restart speed: save an edit, time until the program shows the new code.

    python benches/reload_speed.py [--edits N] [--apps flask,cli] [--json OUT] [--chart OUT.png]

Two small programs, written into a temporary folder:
* flask: a Flask app that imports pandas and pydantic at start (a pydantic model validates a
  pandas summary in its view), served by Werkzeug's development server; the edit changes its
  `views.py`, and the time runs until an HTTP GET (polled every 5 ms) answers with the edit's
  version;
* cli: a script that imports sympy and prints an integral; the edit changes its `calc.py`, and
  the time runs until its output shows the edit's version.

Each is run under each contender, one after the other, with the same edits:
* (a) `watchfiles`: a process restart, `watchfiles --filter python 'python PROGRAM' .` (uvicorn's
  `--reload` is built on the same watchfiles);
* (b) `python -m importspace run --reload`, the heavy packages shared (`--share pandas --share
  pydantic`, for cli `--share sympy`);
* (b') for flask, also the web framework shared (`--share flask`: Werkzeug, Jinja2 and the
  standard library modules they need then stay loaded too);
* (c) the same with nothing shared. pandas cannot run there: numpy's extension modules refuse a
  second load in one process (and with `--share numpy`, so do pandas's own), so the second run
  fails, which is what `--share` is for; the table says so.

Each edit changes the file's size: a timestamp pyc is checked by the source's mtime in whole
seconds and its size, so python itself (contender a) would run the old code after a same-size
edit within the second (importspace's reloader drops the pyc of a changed file; docs/reload.md).
The time of each edit is from the moment the edited file is written and closed to the first
answer with the new content; the figure is the median over `--edits` edits (default 5), after a
start that is not timed. Between edits the bench waits 0.5 s after the answer. The packages
(pinned, PINS) are installed at bench time with pip into .cache/reloadbench/<python version>/
(the same installer as benches/graph_speed.py); without a network the bench says they are
unavailable. Prints a markdown table; `--json` writes every figure, `--chart` draws them
(matplotlib, if installed).
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from graph_speed import install  # noqa: E402

PINS = [
    "flask==3.1.3",
    "pandas==3.1.1",
    "pydantic==2.14.3",
    "sympy==1.14.0",
    "watchfiles==1.3.0",
]
CACHE = os.path.join(REPO, ".cache", "reloadbench", platform.python_version())
WAIT = 120  # seconds for any one answer: a failure, not a figure, past this

FLASK_APP = {
    "app.py": """\
        import os
        import pandas
        import pydantic
        from flask import Flask
        import views

        app = Flask(__name__)
        app.add_url_rule("/", view_func=views.index)

        if __name__ == "__main__":
            app.run(host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), use_reloader=False)
    """,
    "views.py": """\
        import pandas as pd
        import pydantic

        VERSION = 0

        class Summary(pydantic.BaseModel):
            version: int
            total: float

        def index():
            frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
            return Summary(version=VERSION, total=frame["x"].sum()).model_dump_json()
    """,
}
CLI_APP = {
    "cli.py": """\
        import sympy
        import calc

        x = sympy.symbols("x")
        print("result", calc.VERSION, sympy.integrate(x**calc.VERSION, x), flush=True)
    """,
    "calc.py": "VERSION = 0\n",
}
APPS = {
    "flask": {
        "files": FLASK_APP,
        "program": "app.py",
        "edited": "views.py",
        "edit": lambda n: FLASK_APP["views.py"].replace("VERSION = 0", f"VERSION = {n}  {'#' * n}"),
        "heavy": ["pandas", "pydantic"],
        "framework": ["flask"],
        "label": "Flask app importing pandas + pydantic",
    },
    "cli": {
        "files": CLI_APP,
        "program": "cli.py",
        "edited": "calc.py",
        "edit": lambda n: f"VERSION = {n}  {'#' * n}\n",
        "heavy": ["sympy"],
        "framework": None,
        "label": "CLI script importing sympy",
    },
}
CONTENDERS = ("watchfiles", "shared", "framework", "unshared")
COLUMN = {
    "watchfiles": "(a) process restart (watchfiles)",
    "shared": "(b) importspace --reload, heavy packages shared",
    "framework": "(b') (b) + the web framework shared",
    "unshared": "(c) importspace --reload, nothing shared",
}
# Why a contender fails, from the error it printed.
REFUSALS = ("more than once per process", "initialised before in this process")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(contender, app):
    program = [sys.executable, "-m", "importspace", "run", "--reload"]
    if contender == "watchfiles":
        return [sys.executable, "-m", "watchfiles", "--filter", "python",
                f"{sys.executable} {app['program']}", "."]  # fmt: skip
    shared = {"shared": app["heavy"], "framework": app["heavy"] + (app["framework"] or [])}
    for name in shared.get(contender, ()):
        program += ["--share", name]
    return [*program, app["program"]]


class Running:
    """One contender running one app: its output lines with their arrival times."""

    def __init__(self, argv, cwd, env):
        self.lines = []
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for raw in self.proc.stdout:
            self.lines.append((time.perf_counter(), raw.decode(errors="replace").rstrip()))

    def line_after(self, text, since):
        for when, line in list(self.lines):
            if when >= since and text in line:
                return when
        return None

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(5)

    def tail(self):
        return "\n".join(line for _, line in self.lines[-15:])


def http_version(port):
    """The version the flask app answers with, or None while it does not answer."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/")
        body = connection.getresponse().read()
        connection.close()
        return json.loads(body)["version"]
    except (OSError, ValueError, KeyError, http.client.HTTPException):
        return None


def wait_for(app_name, running, version, since, port):
    """When the program first showed `version` after `since`, or raise RuntimeError."""
    deadline = time.perf_counter() + WAIT
    while time.perf_counter() < deadline:
        if app_name == "flask":
            if http_version(port) == version:
                return time.perf_counter()
            time.sleep(0.005)
        else:
            when = running.line_after(f"result {version} ", since)
            if when is not None:
                return when
            time.sleep(0.005)
        if running.proc.poll() is not None:
            break
        failed = running.line_after("exited with status 1", since)
        if failed is not None:
            errors = [line for when, line in running.lines if when >= since and "Error" in line]
            raise RuntimeError("\n".join(errors[-1:]) or "the program failed")
    raise RuntimeError(f"no answer with version {version}:\n{running.tail()}")


def measure(app_name, contender, edits, workdir, env):
    """The seconds from each save to the new answer."""
    app = APPS[app_name]
    folder = os.path.join(workdir, f"{app_name}-{contender}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, text in app["files"].items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(textwrap.dedent(text))
    port = free_port()
    running = Running(command(contender, app), folder, {**env, "BENCH_PORT": str(port)})
    try:
        wait_for(app_name, running, 0, 0.0, port)
        time.sleep(1.0)  # let the reloader see what the first run loaded
        times = []
        for n in range(1, edits + 1):
            path = os.path.join(folder, app["edited"])
            with open(path, "w") as f:
                f.write(textwrap.dedent(app["edit"](n)))
            saved = time.perf_counter()
            answered = wait_for(app_name, running, n, saved, port)
            times.append(answered - saved)
            time.sleep(0.5)
        return times
    finally:
        running.stop()


def failure(text):
    """A short reason from a failed contender's output."""
    last = text.strip().splitlines()[-1] if text.strip() else "no answer"
    if any(refusal in text for refusal in REFUSALS) or "Unable to import required" in text:
        return "the 2nd run cannot import numpy (an extension that loads once per process)"
    return last[:120]


def render(results, meta):
    lines = [
        f"Python {meta['python']}, {meta['platform']}, {meta['cpu_count']} CPUs (shared with "
        f"other work; load {meta['load_average'][0]:.1f} at start); median of "
        f"{meta['edits']} edits, seconds from the save to the first answer with the new code "
        "(min-max); ratio = contender / (a).",
        "",
        "| program | " + " | ".join(COLUMN[c] for c in CONTENDERS) + " |",
        "|---|" + "---:|" * len(CONTENDERS),
    ]
    for app_name, by_contender in results.items():
        cells = []
        base = by_contender.get("watchfiles", {}).get("median")
        for contender in CONTENDERS:
            figure = by_contender.get(contender)
            if figure is None:
                cells.append("n/a")
                continue
            if "error" in figure:
                cells.append(f"fails: {figure['error']}")
                continue
            cell = f"{figure['median']:.3f} ({min(figure['times']):.3f}-{max(figure['times']):.3f})"
            if base and contender != "watchfiles":
                cell += f" **{figure['median'] / base:.0%}**"
            cells.append(cell)
        lines.append(f"| {APPS[app_name]['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
        return
    apps = list(results)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(CONTENDERS)
    colors = ("#8c8c8c", "#3b73b9", "#e39c3b", "#6aa84f")
    for i, contender in enumerate(CONTENDERS):
        figures = [results[a].get(contender) for a in apps]
        values = [(figure or {}).get("median", 0) for figure in figures]
        positions = [k + (i - (len(CONTENDERS) - 1) / 2) * width for k in range(len(apps))]
        ax.barh(positions, values, width, label=COLUMN[contender], color=colors[i])
        for y, value, figure in zip(positions, values, figures):
            if figure is None:
                text = "n/a"
            elif "error" in figure:
                text = "fails (see the table)"
            else:
                text = f"{value * 1000:.0f} ms"
            ax.text(value, y, f" {text}", va="center", fontsize=7)
    ax.set_yticks(range(len(apps)))
    ax.set_yticklabels([APPS[a]["label"] for a in apps], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds from save to the new code answering (median)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"chart: {path}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--apps", default="flask,cli")
    parser.add_argument("--json")
    parser.add_argument("--chart")
    args = parser.parse_args()
    why = install(CACHE, PINS, no_deps=False)
    if why is not None:
        print(f"packages unavailable ({why}): nothing measured", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    env.update(PYTHONPATH=CACHE, PYTHONUNBUFFERED="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    meta = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "edits": args.edits,
        "pins": PINS,
    }
    results = {}
    with tempfile.TemporaryDirectory(prefix="reloadbench-") as workdir:
        for app_name in args.apps.split(","):
            results[app_name] = {}
            for contender in CONTENDERS:
                if contender == "framework" and not APPS[app_name]["framework"]:
                    continue
                print(f"{app_name} / {contender} ...", file=sys.stderr, flush=True)
                try:
                    times = measure(app_name, contender, args.edits, workdir, env)
                except RuntimeError as exc:
                    results[app_name][contender] = {"error": failure(str(exc)), "detail": str(exc)}
                    continue
                results[app_name][contender] = {
                    "times": times,
                    "median": statistics.median(times),
                }
    table = render(results, meta)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results, "table": table}, f, indent=1)
    if args.chart:
        chart(results, args.chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
