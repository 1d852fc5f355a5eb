"""Conformance runner: CPython's own import test suites, natively and inside a fresh namespace.

    python conformance/run.py [--suite NAME]... [--json OUT] [--timeout SECONDS] [--diff]
                              [--strict] [--host-import MODULE]...

For each suite, two fresh subprocesses of this same interpreter (conformance/child.py) run it with
`unittest`: one natively, one inside `importspace.Namespace(path=sys.path)` with the namespace's
own `unittest`. Both report every test's outcome; this script prints one row per suite with the
counts on each side, and how many tests pass natively but not inside the namespace. See
conformance/README.md for how to read the output.

Exit status: 0 when the runner did its job, whatever the tests did; 1 with --strict when a test
that passes natively does not pass inside the namespace (a namespace run that crashed or timed
out counts); 2 when the runner could not do its job (bad arguments, no `importspace` to import,
or a native run that crashed or timed out, which leaves nothing to compare with).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "child.py")
MODES = ("native", "namespace")

# The suites, by their historical names, each with where it moved to in later versions (tried in
# order when the name itself is missing from this Python's `test` package).
SUITES = (
    ("test.test_import", ()),
    ("test.test_importlib.import_", ()),
    ("test.test_importlib.test_namespace_pkgs", ()),
    ("test.test_importlib.test_threaded_import", ()),
    ("test.test_importlib.test_locks", ()),
    ("test.test_importlib.test_api", ()),
    ("test.test_pkg", ()),
    ("test.test_pkgutil", ()),
    ("test.test_runpy", ()),
    ("test.test_importlib.test_main", ("test.test_importlib.metadata.test_main",)),
    ("test.test_importlib.test_metadata_api", ("test.test_importlib.metadata.test_api",)),
    ("test.test_importlib.test_files", ("test.test_importlib.resources.test_files",)),
    ("test.test_zipimport", ()),
    # Standard-library modules whose C accelerators import (`_pickle`, `_json`) or introspect
    # modules (`inspect`), inside a namespace (issue 11).
    ("test.test_pickle", ()),
    ("test.test_json", ()),
    ("test.test_inspect", ("test.test_inspect.test_inspect",)),
)

# Outcomes that count as passing (unittest's "OK" outcomes) and how they are tallied.
PASSING = ("pass", "xfail")
COLUMN_OF = {
    "pass": "passed",
    "xfail": "passed",
    "fail": "failed",
    "xpass": "failed",
    "error": "errored",
    "skip": "skipped",
}
COUNT_KEYS = ("run", "passed", "failed", "errored", "skipped")
# When one test gets several outcomes (a failed subtest, then an error in a cleanup), the worst.
SEVERITY = {"pass": 0, "xfail": 1, "skip": 2, "xpass": 3, "fail": 4, "error": 5}
OUTPUT_TAIL_LINES = 25
SLOW_SUITE_SECONDS = 60.0


class RunnerError(Exception):
    """The runner cannot do its job (exit status 2)."""


# --- finding the suites ---------------------------------------------------------------------


def test_package_dirs():
    """The folders of this interpreter's `test` package, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("test")
    if spec is None or not spec.submodule_search_locations:
        return []
    return list(spec.submodule_search_locations)


def module_exists(name, test_dirs):
    """Whether `test.a.b` exists as a module or package under the `test` package's folders."""
    parts = name.split(".")
    if parts[0] != "test":
        return False
    dirs = test_dirs
    for i, part in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        found_dirs = [d for d in dirs if os.path.isfile(os.path.join(d, part, "__init__.py"))]
        if last:
            return bool(found_dirs) or any(
                os.path.isfile(os.path.join(d, part + ".py")) for d in dirs
            )
        if not found_dirs:
            return False
        dirs = [os.path.join(d, part) for d in found_dirs]
    return True


def normalize(name):
    return name if name == "test" or name.startswith("test.") else "test." + name


def resolve_suites(requested, test_dirs):
    """[(name as asked, name to run or None, note)] for the requested suites (default: all)."""
    known = dict(SUITES)
    names = [normalize(n) for n in requested] if requested else [n for n, _ in SUITES]
    out = []
    for name in names:
        if module_exists(name, test_dirs):
            out.append((name, name, ""))
            continue
        for alternative in known.get(name, ()):
            if module_exists(alternative, test_dirs):
                out.append((name, alternative, f"moved to {alternative} on this Python"))
                break
        else:
            where = ", ".join(known.get(name, ())) or "no other known location"
            out.append((name, None, f"absent on this Python (looked for {name}; {where})"))
    return out


# --- running one child ----------------------------------------------------------------------


def read_events(path):
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    events.append(json.loads(line))
                except ValueError:
                    break  # a line cut short by a kill: everything before it stands
    except OSError:
        pass
    return events


def tail(path, lines=OUTPUT_TAIL_LINES, max_bytes=64 * 1024):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def kill_group(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_child(mode, suite, timeout, child_args, workdir, log_dir):
    """Run one suite in one mode in a fresh process; returns the run's record."""
    scratch = tempfile.mkdtemp(prefix=f"{mode}-", dir=workdir)
    events_path = os.path.join(workdir, f"{mode}-{suite}.events.jsonl")
    log_path = os.path.join(log_dir, f"{suite}.{mode}.log")
    cmd = [sys.executable, CHILD, mode, suite, events_path, *child_args]
    timed_out = False
    snapshot = None  # the events as they stood when the timeout struck
    started = time.monotonic()
    try:
        with open(log_path, "wb") as log:
            # Its own session and process group, so a timeout also ends what the tests started.
            proc = subprocess.Popen(
                cmd,
                cwd=scratch,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                try:
                    returncode = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    snapshot = read_events(events_path)
                    if hasattr(signal, "SIGUSR1"):  # child.py: faulthandler dumps every thread
                        try:
                            os.kill(proc.pid, signal.SIGUSR1)
                            proc.wait(timeout=3)
                        except (ProcessLookupError, subprocess.TimeoutExpired):
                            pass
                    kill_group(proc.pid)
                    returncode = proc.wait()
            except BaseException:  # Ctrl-C, SIGTERM: leave nothing running behind
                kill_group(proc.pid)
                proc.wait()
                raise
            finally:
                kill_group(proc.pid)  # test processes left behind by a finished run
        elapsed = time.monotonic() - started
        events = read_events(events_path) if snapshot is None else snapshot
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            os.remove(events_path)
        except OSError:
            pass
    record = summarize(events, returncode, timed_out, timeout)
    record["seconds"] = round(elapsed, 2)
    record["log"] = log_path
    if record["status"] != "ok":
        record["output_tail"] = tail(log_path)
    return record


def summarize(events, returncode, timed_out, timeout):
    """Fold a child's events into its record: status, per-test outcomes, counts."""
    tests = {}
    durations = {}
    running = None
    hello = {}
    phases = {}
    for ev in events:
        kind = ev.get("event")
        if kind == "hello":
            hello = ev
        elif kind == "start":
            running = ev["id"]
        elif kind == "stop":
            if ev.get("seconds") is not None:
                durations[ev["id"]] = durations.get(ev["id"], 0.0) + ev["seconds"]
            running = None
        elif kind == "outcome":
            entry = {k: ev[k] for k in ("outcome", "message", "traceback", "subtest") if k in ev}
            old = tests.get(ev["id"])
            if old is None or SEVERITY[entry["outcome"]] > SEVERITY[old["outcome"]]:
                tests[ev["id"]] = entry
        elif kind in ("setup_error", "abort", "finished", "done"):
            phases[kind] = ev

    if timed_out:
        status = "timeout"
        if "finished" in phases:
            detail = f"every test ran, then it did not exit within {timeout:g}s"
        elif running:
            detail = f"still running {running} after {timeout:g}s"
        else:
            detail = f"killed after {timeout:g}s"
    elif "setup_error" in phases:
        ev = phases["setup_error"]
        status = "crashed"
        detail = f"{ev['phase']} failed: {ev['message']}"
    elif "abort" in phases:
        status = "crashed"
        detail = f"the run raised {phases['abort']['message']}"
    elif returncode != 0:
        status = "crashed"
        how = exit_text(returncode)
        if "done" in phases:
            detail = f"{how} at interpreter exit, after every test ran"
        elif "finished" in phases:
            detail = f"{how} after every test ran (during clean-up)"
        elif running:
            detail = f"{how} while running {running}"
        else:
            detail = how
    elif "done" not in phases:
        status = "crashed"
        detail = "exit code 0 but the run did not report its end"
    else:
        status, detail = "ok", ""

    if running and status != "ok" and running not in tests:
        # The test that was running when the run crashed or hung is that test's error.
        tests[running] = {"outcome": "error", "message": f"run {status}: {detail}"}

    record = {
        "status": status,
        "detail": detail,
        "returncode": returncode,
        "counts": count(tests),
        "tests": tests,
        "durations": {k: round(v, 3) for k, v in durations.items()},
    }
    if running and status != "ok":
        record["running_at_stop"] = running
    for key in ("importspace", "importspace_file", "python"):
        if key in hello:
            record[key] = hello[key]
    done = phases.get("done", {})
    for key in ("close_error", "host_modules_added", "host_modules_removed"):
        if key in done:
            record[key] = done[key]
    if "setup_error" in phases:
        record["setup_error"] = phases["setup_error"]
    if "abort" in phases:
        record["abort"] = phases["abort"]
    return record


def count(tests):
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for entry in tests.values():
        counts["run"] += 1
        counts[COLUMN_OF[entry["outcome"]]] += 1
    return counts


def compare(native, inside):
    """Tests passing natively but not inside (regressions), and the other way round (gains)."""
    regressions, gains = [], []
    for test_id, entry in native["tests"].items():
        if entry["outcome"] not in PASSING:
            continue
        other = inside["tests"].get(test_id)
        if other is not None and other["outcome"] in PASSING:
            continue
        if other is None:
            why = {
                "ok": "not run in the namespace",
                "timeout": "not reached: the namespace run timed out",
            }.get(inside["status"], "not reached: the namespace run crashed")
            message = inside.get("detail") or why
            regressions.append({"id": test_id, "namespace": "missing", "message": message})
        else:
            regressions.append(
                {
                    "id": test_id,
                    "namespace": other["outcome"],
                    "message": other.get("message", ""),
                }
            )
    for test_id, entry in inside["tests"].items():
        if entry["outcome"] in PASSING:
            mine = native["tests"].get(test_id)
            if mine is None or mine["outcome"] not in PASSING:
                gains.append({"id": test_id, "native": mine["outcome"] if mine else "missing"})
    return regressions, gains


# --- output ---------------------------------------------------------------------------------


def cells(record):
    if record is None:
        return ["-"] * (len(COUNT_KEYS) + 1)
    c = record["counts"]
    return [str(c[k]) for k in COUNT_KEYS] + [f"{record['seconds']:.1f}"]


def exit_text(returncode):
    if returncode is None or returncode >= 0:
        return f"exit {returncode}"
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def status_text(row):
    if row["run_name"] is None:
        return "absent"
    parts = []
    for mode in MODES:
        rec = row[mode]
        if rec["status"] == "crashed":
            parts.append(f"{mode}: crashed ({exit_text(rec['returncode'])})")
        elif rec["status"] != "ok":
            parts.append(f"{mode}: {rec['status']}")
    return "; ".join(parts) or "ok"


def print_table(rows, totals, out):
    heads = ["run", "pass", "fail", "err", "skip", "sec"]
    header = ["suite"] + heads + heads + ["lost", "status"]
    table = []
    for row in rows:
        lost = "-" if row["run_name"] is None else str(len(row["regressions"]))
        table.append(
            [row["display"]] + cells(row.get("native")) + cells(row.get("namespace")) + [lost]
        )
        table[-1].append(status_text(row))
    total_cells = []
    for mode in MODES:
        t = totals[mode]
        total_cells += [str(t[k]) for k in COUNT_KEYS] + [f"{t['seconds']:.1f}"]
    table.append(["total"] + total_cells + [str(totals["regressions"]), ""])

    n = len(heads)
    widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]

    def line(r):
        left = r[0].ljust(widths[0])
        native = " ".join(r[1 + i].rjust(widths[1 + i]) for i in range(n))
        inside = " ".join(r[1 + n + i].rjust(widths[1 + n + i]) for i in range(n))
        lost = r[1 + 2 * n].rjust(widths[1 + 2 * n])
        return f"{left} | {native} | {inside} | {lost} | {r[-1]}".rstrip()

    native_w = sum(widths[1 : 1 + n]) + n - 1
    inside_w = sum(widths[1 + n : 1 + 2 * n]) + n - 1
    lost_w = widths[1 + 2 * n]
    print(
        f"{'':{widths[0]}} | {'native':^{native_w}} | {'namespace':^{inside_w}} | {'':{lost_w}} |",
        file=out,
    )
    print(line(header), file=out)
    rule = line(["-" * w for w in widths[:-1]] + [""])
    print(rule, file=out)
    for r in table[:-1]:
        print(line(r), file=out)
    print(rule, file=out)
    print(line(table[-1]), file=out)


def print_notes(rows, out):
    notes = []
    seen = {}  # the last lines of a failed run's output -> the first run they were shown for
    for row in rows:
        if row["note"]:
            notes.append(f"{row['display']}: {row['note']}")
        if row["run_name"] is None:
            continue
        for mode in MODES:
            rec = row[mode]
            if rec["status"] != "ok":
                status = rec["status"]
                if status == "crashed":
                    status += f" ({exit_text(rec['returncode'])})"
                notes.append(f"{row['display']} [{mode}] {status}: {rec['detail']}")
                tail_lines = [ln for ln in rec.get("output_tail", []) if ln.strip()][-6:]
                key = tuple(tail_lines) or rec["detail"]
                if key in seen:
                    notes.append(f"    same output as {seen[key]}; full output: {rec['log']}")
                else:
                    seen[key] = f"{row['display']} [{mode}]"
                    notes += [f"    | {ln}" for ln in tail_lines]
                    notes.append(f"    full output: {rec['log']}")
            if rec.get("close_error"):
                notes.append(f"{row['display']} [{mode}] ns.close() raised {rec['close_error']}")
            if rec["seconds"] >= SLOW_SUITE_SECONDS:
                slowest = sorted(rec["durations"].items(), key=lambda kv: -kv[1])[:3]
                listed = ", ".join(f"{k} {v:.1f}s" for k, v in slowest)
                notes.append(
                    f"{row['display']} [{mode}] slow: {rec['seconds']:.0f}s; slowest: {listed}"
                )
    gained = sorted(
        {m for row in rows for m in row.get("namespace", {}).get("host_modules_added", ())}
    )
    if gained:
        # Shared modules (built-ins, warnings, encodings, ...) the host imports on first use are
        # allowed; anything else is a namespace leaking into the host. Per suite in the JSON.
        notes.append(
            f"the host's sys.modules gained {len(gained)} modules during the namespace runs "
            f"(allowed for shared modules only): {', '.join(gained)}"
        )
    if notes:
        print("\nnotes:", file=out)
        for note in notes:
            print(f"  {note}", file=out)


def print_diff(rows, out):
    print("\ntests that pass natively but not in the namespace:", file=out)
    any_listed = False
    for row in rows:
        if not row.get("regressions"):
            continue
        any_listed = True
        title = (
            row["name"] if row["run_name"] == row["name"] else f"{row['name']} ({row['run_name']})"
        )
        print(f"  {title}: {len(row['regressions'])}", file=out)
        missing = [reg for reg in row["regressions"] if reg["namespace"] == "missing"]
        for reg in row["regressions"]:
            if reg["namespace"] != "missing":
                message = reg["message"].splitlines()[0] if reg["message"] else ""
                if len(message) > 200:
                    message = message[:197] + "..."
                print(f"    {reg['id']}: [{reg['namespace']}] {message}", file=out)
        if missing:
            # One reason for all of them (the namespace run stopped, or never reached them).
            print(f"    not run in the namespace ({missing[0]['message']}):", file=out)
            for reg in missing:
                print(f"      {reg['id']}", file=out)
    if not any_listed:
        print("  none", file=out)


# --- main -----------------------------------------------------------------------------------


def check_importspace():
    """The namespace side needs importspace importable by this interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", "import importspace; print(importspace.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RunnerError(
            f"cannot import importspace with {sys.executable}: {last} (build it first: make build)"
        )
    return proc.stdout.strip()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Run CPython's import test suites natively and inside an importspace "
        "namespace, and compare."
    )
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="a suite to run (repeatable), e.g. test.test_pkg or test_pkg; default: all",
    )
    parser.add_argument("--json", metavar="OUT", help="write every result to OUT as JSON")
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="per suite and side: kill a run that takes longer (default 600)",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="list the tests that pass natively but not in the namespace, with their error",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any test that passes natively does not pass in the namespace",
    )
    parser.add_argument(
        "--use",
        default="all",
        metavar="RESOURCES",
        help="test.support resources to enable, as regrtest's -u: all (default, as plain "
        "unittest), none, or a comma-separated list (e.g. cpu): tests needing others are skipped",
    )
    parser.add_argument(
        "--host-import",
        action="append",
        default=[],
        metavar="MODULE",
        help="diagnostics: import MODULE in each child's host before the run (both sides)",
    )
    parser.add_argument(
        "--keep-logs",
        metavar="DIR",
        help="keep each run's output in DIR (default: a temporary folder, removed at the end "
        "unless a run failed)",
    )
    parser.add_argument(
        "--list", action="store_true", help="show how each suite resolves; run none"
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = sys.stdout
    progress = sys.stderr

    test_dirs = test_package_dirs()
    if not test_dirs:
        raise RunnerError(f"{sys.executable} has no `test` package (CPython's test suite)")
    suites = resolve_suites(args.suite, test_dirs)
    if args.list:
        for name, _run_name, note in suites:
            print(f"{name}: {note}" if note else name, file=out)
        return 0

    version = check_importspace()
    info = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "importspace": version,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "timeout": args.timeout,
        "host_imports": args.host_import,
        "use": args.use,
    }

    child_args = ["--use", args.use]
    for name in args.host_import:
        child_args += ["--host-import", name]
    workdir = tempfile.mkdtemp(prefix="importspace-conformance-")
    log_dir = args.keep_logs or os.path.join(workdir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    rows = []
    started = time.monotonic()
    try:
        for i, (name, run_name, note) in enumerate(suites, start=1):
            # A suite that moved keeps its historical name in the table, marked; notes say where.
            display = name if run_name in (None, name) else f"{name} *"
            row = {"name": name, "run_name": run_name, "display": display, "note": note}
            rows.append(row)
            if run_name is None:
                print(f"[{i}/{len(suites)}] {name}: absent", file=progress, flush=True)
                continue
            for mode in MODES:
                print(f"[{i}/{len(suites)}] {run_name} {mode} ...", file=progress, flush=True)
                rec = run_child(mode, run_name, args.timeout, child_args, workdir, log_dir)
                row[mode] = rec
                c = rec["counts"]
                print(
                    f"    {rec['status']} in {rec['seconds']:.1f}s: {c['run']} run, "
                    f"{c['passed']} passed, {c['failed']} failed, {c['errored']} errored, "
                    f"{c['skipped']} skipped" + (f" ({rec['detail']})" if rec["detail"] else ""),
                    file=progress,
                    flush=True,
                )
            row["regressions"], row["gains"] = compare(row["native"], row["namespace"])
    finally:
        failed_runs = any(
            row.get(mode, {}).get("status", "ok") != "ok" for row in rows for mode in MODES
        )
        # Keep the logs of runs that went wrong (the notes point at them), unless in --keep-logs.
        if args.keep_logs or not failed_runs:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started

    totals = {"regressions": sum(len(r.get("regressions", ())) for r in rows)}
    for mode in MODES:
        t = dict.fromkeys(COUNT_KEYS, 0)
        t["seconds"] = 0.0
        for row in rows:
            if mode in row:
                for k in COUNT_KEYS:
                    t[k] += row[mode]["counts"][k]
                t["seconds"] += row[mode]["seconds"]
        totals[mode] = t
    native_passing = sum(
        1
        for row in rows
        if "native" in row
        for e in row["native"]["tests"].values()
        if e["outcome"] in PASSING
    )
    gains = sum(len(r.get("gains", ())) for r in rows)

    print(
        f"CPython import suites, natively and in importspace.Namespace(path=sys.path): "
        f"Python {info['python']} ({sys.executable}), importspace {version}"
        + (f", host imports {', '.join(args.host_import)}" if args.host_import else "")
        + (f", resources {args.use}" if args.use != "all" else ""),
        file=out,
    )
    print("pass = passed or expected failure; fail = failed or unexpected success;", file=out)
    print("lost = tests that pass natively but not in the namespace\n", file=out)
    print_table(rows, totals, out)
    print(
        f"\n{totals['regressions']} of {native_passing} tests that pass natively do not pass "
        f"in the namespace; {gains} pass in the namespace but not natively. "
        f"Wall time {elapsed:.0f}s.",
        file=out,
    )
    print_notes(rows, out)
    if args.diff:
        print_diff(rows, out)

    native_broken = [r["display"] for r in rows if "native" in r and r["native"]["status"] != "ok"]
    if args.json:
        doc = dict(info)
        doc["wall_seconds"] = round(elapsed, 1)
        doc["totals"] = totals
        doc["native_passing"] = native_passing
        doc["gains"] = gains
        doc["suites"] = [{k: v for k, v in row.items() if k != "display"} for row in rows]
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"\nwrote {args.json}", file=out)

    if native_broken:
        out.flush()
        print(
            f"\nerror: the native run did not complete for {', '.join(native_broken)}: "
            "nothing to compare with (see the notes above)",
            file=sys.stderr,
        )
        return 2
    if args.strict and totals["regressions"]:
        return 1
    return 0


def on_sigterm(signum, frame):
    # Unwinds through run_child, which ends the running child's process group on the way out
    # (a child runs in its own session, out of reach of a `timeout` or CI kill aimed at us).
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        sys.exit(main())
    except RunnerError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except Exception:  # a bug in the runner: not a test result, and not --strict's exit 1
        import traceback

        traceback.print_exc()
        print("error: the conformance runner itself failed", file=sys.stderr)
        sys.exit(2)
