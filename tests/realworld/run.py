"""The real-world corpus harness (issue 11): the most downloaded PyPI packages, each imported with
every submodule pkgutil finds, natively and in namespaces, each package in fresh processes.

    python tests/realworld/run.py [--packages a,b,c] [--quick] [--jobs N] [--timeout S]
                                  [--json out.json] [--markdown docs/realworld.md]
                                  [--ci | --expect FILE] [--update-known-failures]

Per package (corpus.py says which, pinned per Python in pins/cp3X.txt, installed into
.cache/realworld/<cache tag>/site), two fresh processes (worker.py):
  native     import the package and every module a walk of it finds (tests left out);
  namespace  the same in a first Namespace(path=sys.path + [site]), with the host's import state
             compared before and after; host code calling into the package (its smoke call);
             then the same imports in a second namespace of the process.
A process that dies (signal, exit) or runs out of time is recorded with the module it was
importing.

Checked (--ci, or --expect FILE): no crash or timeout, no host pollution (the host's sys.modules
gains only standard-library modules, sys.path, meta_path, path_hooks and path_importer_cache keep
their entries), every module that imports natively imports in the first namespace, and in the
second either imports or is refused with the `share=` message, and the smoke call gives the native
result; except what tests/realworld/known-failures-cp3X.txt lists. A listed failure that no longer
happens fails the check too, so that the list only shrinks. --update-known-failures rewrites the
list from this run (for the packages it ran).

--markdown re-renders the page from every docs/realworld/cp3X.json, so each Python version's
figures stay until that version is run again. Without a network (and nothing cached) it prints
"skipped: no network" and exits 0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import fnmatch
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import corpus

HERE = corpus.HERE
REPO = corpus.REPO
WORKER = HERE / "worker.py"
RESULTS = REPO / "docs" / "realworld"
MARKDOWN = REPO / "docs" / "realworld.md"
# Module path segments left out of the walk: test suites, and `__main__` modules, which run a
# program (a CLI, a server) when imported.
EXCLUDED = ["tests", "test", "testing", "conftest", "_tests", "__main__"]
# Read by the smoke calls (pydantic-settings) and by packages at import time: no network, no
# colours, the same hash seed and time zone for native and namespace runs.
WORKER_ENV = {
    "PYTHONHASHSEED": "0",
    "PYTHONFAULTHANDLER": "1",
    "PYTHONIOENCODING": "utf-8",
    "TZ": "UTC",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "MPLBACKEND": "Agg",
    "HF_HUB_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "REALWORLD_PORT": "8080",
    "REALWORLD_NAMES": '["a", "b"]',
}
# How long a worker may go on after its last line before it is taken for a hang (beyond the
# per-module limit, which the worker enforces itself with SIGALRM where Python code runs).
GRACE = 30
# What the shared `encodings` search function imports in the host when namespaced code looks a
# codec up (idna needs stringprep and unicodedata): expected, not listed per package.
CODEC_MODULES = ("_codecs_", "_multibytecodec", "stringprep", "unicodedata")
KINDS = ("crash", "timeout", "native-crash", "ns1", "ns2", "smoke", "pollution")


def shared_set() -> list[str]:
    """DEFAULT_SHARED of src/import/shared.rs, the documented shared set (docs/compliance.md)."""
    text = (REPO / "src" / "import" / "shared.rs").read_text()
    found = re.search(r"DEFAULT_SHARED\s*:[^=]*=\s*&\[(.*?)\];", text, re.S)
    names = re.findall(r'"([^"]+)"', found.group(1)) if found else []
    if not names:
        raise SystemExit("error: no DEFAULT_SHARED list found in src/import/shared.rs")
    return names


# --- running one worker ------------------------------------------------------------------------


def run_worker(mode: str, spec: dict, workdir: Path, timeout: float, module_timeout: float):
    """Run worker.py in a fresh process, as its own process group; its events and how it ended."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_file = workdir / f"{mode}.spec.json"
    events_file = workdir / f"{mode}.events.jsonl"
    out_file = workdir / f"{mode}.out"
    spec_file.write_text(json.dumps(spec))
    events_file.write_text("")
    scratch = workdir / f"{mode}.cwd"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, **WORKER_ENV}
    for var in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONSAFEPATH"):
        env.pop(var, None)
    command = [sys.executable, "-S", str(WORKER), mode, str(spec_file), str(events_file)]
    t0 = time.monotonic()
    ended = None
    with open(out_file, "wb") as out:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=scratch,
            env=env,
            start_new_session=True,
        )
        offset, current, current_since, done_at, last = 0, None, t0, None, t0
        while proc.poll() is None:
            time.sleep(0.2)
            now = time.monotonic()
            with open(events_file, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            for line in complete.splitlines():
                ev = json.loads(line)
                last = now
                if ev["ev"] == "start":
                    current, current_since = ev["module"], now
                elif ev["ev"] == "result":
                    current = None
                elif ev["ev"] == "done":
                    done_at = now
            if now - t0 > timeout:
                ended = f"timeout after {timeout:.0f} s"
            elif current is not None and now - current_since > module_timeout + GRACE:
                ended = f"timeout: {current} ran {now - current_since:.0f} s"
            elif current is None and done_at is None and now - last > module_timeout + GRACE:
                ended = f"timeout: no progress for {now - last:.0f} s"
            elif done_at is not None and now - done_at > GRACE:
                ended = "timeout: did not exit after finishing"
            if ended:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                break
        try:  # whatever the worker left running in its group (servers, pools)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    events = []
    for line in events_file.read_text(errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass  # a line cut short by a crash
    output = out_file.read_text(errors="replace")
    return {
        "events": events,
        "returncode": proc.returncode,
        "timeout": ended,
        "seconds": round(time.monotonic() - t0, 2),
        "output_tail": output[-3000:],
    }


def _ending(run: dict) -> dict | None:
    """None if the worker finished and exited cleanly; else what happened and where."""
    events = run["events"]
    finished = any(e["ev"] == "done" for e in events)
    if finished and run["returncode"] == 0 and not run["timeout"]:
        return None
    pending = None
    for ev in events:
        if ev["ev"] == "start":
            pending = (ev["phase"], ev["module"])
        elif ev["ev"] == "result":
            pending = None
    rc = run["returncode"]
    if run["timeout"]:
        kind, how = "timeout", run["timeout"]
    elif rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        kind, how = "crash", f"killed by {name}"
    else:
        kind, how = "crash", f"exited with {rc}"
    if finished:
        phase, module = "exit", "<exit>"
    elif pending:
        phase, module = pending
    else:
        phase, module = "setup", "<setup>"
    return {
        "kind": kind,
        "how": how,
        "phase": phase,
        "module": module,
        "fault": _fault_lines(run["output_tail"]),
    }


def _fault_lines(output: str) -> list[str]:
    """faulthandler's report in a worker's output: the fatal error and the innermost frames."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Fatal Python error"):
            frames = [
                ln.strip()
                for ln in lines[i + 1 :]
                if ln.strip().startswith("File ") and WORKER.name not in ln
            ]
            return [line.strip(), *frames[:4]]
    return [ln for ln in lines[-5:] if ln.strip()]


# --- one package -------------------------------------------------------------------------------


def _results(events: list[dict], phase: str) -> dict[str, dict]:
    return {
        e["module"]: e
        for e in events
        if e["ev"] == "result" and e["phase"] == phase and not e["module"].startswith("<")
    }


NOT_NAMESPACED = {
    "type": "NotNamespaced",
    "message": "imported, but importspace.namespace_of(module) is not this namespace",
}


def _outcome(result: dict | None):
    """'ok', 'refused' (an ImportError naming share=, or an error it caused), an error dict, or
    None (not attempted)."""
    if result is None:
        return None
    if result["ok"]:
        return NOT_NAMESPACED if result.get("namespaced") is False else "ok"
    if result["error"].get("share"):
        return "refused"
    return result["error"]


def run_package(entry: dict, site: Path, args, shared: list[str], workroot: Path) -> dict:
    dist = entry["dist"]
    workdir = workroot / corpus.normalize(dist)
    spec = {
        "dist": dist,
        "imports": entry["imports"],
        "site": str(site),
        "excluded": EXCLUDED,
        "module_timeout": args.module_timeout,
        "smoke": entry["smoke"],
        "shared": shared,
        "importspace_path": str(REPO / "python"),
    }
    native = run_worker("native", spec, workdir, args.timeout, args.module_timeout)
    native_results = _results(native["events"], "native")
    walk = next((e["modules"] for e in native["events"] if e["ev"] == "walk"), None)
    order = walk if walk is not None else list(native_results)
    pending = _ending(native)
    if pending and pending["module"] not in order and not pending["module"].startswith("<"):
        order.append(pending["module"])
    spec["native_modules"] = order
    ns = run_worker("namespace", spec, workdir, args.timeout, args.module_timeout)
    first, second = _results(ns["events"], "first"), _results(ns["events"], "second")
    first_walk = next(
        (e["modules"] for e in ns["events"] if e["ev"] == "walk" and e["phase"] == "first"), None
    )
    modules = []
    known = set(order)
    for name in list(order) + [n for n in first if n not in known]:
        modules.append(
            {
                "name": name,
                "native": _outcome(native_results.get(name)),
                "first": _outcome(first.get(name)),
                "second": _outcome(second.get(name)),
            }
        )
    smoke = {
        e["phase"]: {k: e[k] for k in ("ok", "result", "error")}
        for e in native["events"] + ns["events"]
        if e["ev"] == "smoke"
    }
    hosts = [e for e in ns["events"] if e["ev"] == "host"]
    host = hosts[-1] if hosts else None
    return {
        "dist": dist,
        "version": entry["version"],
        "rank": entry["rank"],
        "imports": entry["imports"],
        "modules": modules,
        "walk_missing_in_first": (
            [n for n in order if n not in set(first_walk)] if first_walk is not None else None
        ),
        "walk_extra_in_first": (
            [n for n in first_walk if n not in set(order)] if first_walk is not None else None
        ),
        "smoke": {
            "native": smoke.get("native"),
            "first": smoke.get("first"),
            "status": _smoke_status(entry["smoke"], smoke.get("native"), smoke.get("first")),
        },
        "host": {
            "stage": host["stage"] if host else None,
            "pollution": host["pollution"] if host else None,
            "shared_gained": host["shared_gained"] if host else None,
            "stdlib_gained": host["stdlib_gained"] if host else None,
            # Where each change was first seen: after the first namespace's imports, after the
            # smoke call, after the second namespace's imports.
            "first_seen": _first_seen(hosts),
        },
        "native_ending": pending,
        "namespace_ending": _ending(ns),
        "walk_errors": [e for e in native["events"] + ns["events"] if e["ev"] == "walk-error"],
        "seconds": {"native": native["seconds"], "namespace": ns["seconds"]},
    }


def _first_seen(hosts: list[dict]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for event in hosts:
        for what, name in event["pollution"]:
            seen.setdefault(f"{what}:{name}", event["stage"])
        for name in event["stdlib_gained"]:
            seen.setdefault(f"stdlib:{name}", event["stage"])
    return seen


def _smoke_status(spec, native, first) -> str:
    if not spec:
        return "none"
    if native is None or first is None:
        return "not run"
    if not native["ok"]:
        return "fails natively"
    if not first["ok"]:
        return "fails in namespace"
    return "same" if native["result"] == first["result"] else "differs"


# --- figures -----------------------------------------------------------------------------------


def figures(pkg: dict) -> dict:
    mods = pkg["modules"]
    native_ok = [m for m in mods if m["native"] == "ok"]
    second = [m["second"] for m in native_ok if m["first"] == "ok"]
    return {
        "modules": sum(1 for m in mods if m["native"] is not None),
        "native_ok": len(native_ok),
        "first_ok": sum(1 for m in native_ok if m["first"] == "ok"),
        "second_ok": sum(1 for s in second if s == "ok"),
        "second_refused": sum(1 for s in second if s == "refused"),
        "second_failed": sum(1 for s in second if isinstance(s, dict)),
        "crash": bool(pkg["namespace_ending"]),
        "native_crash": bool(pkg["native_ending"]),
        "polluted": bool(pkg["host"]["pollution"]),
        "smoke": pkg["smoke"]["status"],
    }


def observed_failures(pkg: dict) -> list[tuple[str, str, str]]:
    """(kind, module, reason) of everything the check fails on, for one package."""
    out = []
    for kind, ending in (("native-crash", pkg["native_ending"]), (None, pkg["namespace_ending"])):
        if ending:
            reason = f"{ending['how']} in {ending['phase']}"
            if ending["fault"]:
                reason += ": " + " | ".join(ending["fault"][:2])
            out.append((kind or ending["kind"], ending["module"], reason))
    for m in pkg["modules"]:
        if m["native"] != "ok":
            continue
        if m["first"] not in ("ok", None):
            kind = "timeout" if m["first"].get("timeout") else "ns1"
            out.append((kind, m["name"], _reason(m["first"])))
        elif m["first"] == "ok" and m["second"] not in ("ok", "refused", None):
            out.append(("ns2", m["name"], _reason(m["second"])))
    for what, name in pkg["host"]["pollution"] or ():
        token = "".join(name.split())
        out.append(("pollution", f"{what}:{token}", f"host {what}: {name}"))
    if pkg["smoke"]["status"] in ("differs", "fails in namespace", "fails natively"):
        detail = pkg["smoke"]["status"]
        err = (pkg["smoke"]["first"] or {}).get("error") or (pkg["smoke"]["native"] or {}).get(
            "error"
        )
        if err:
            detail += ": " + _reason(err)
        out.append(("smoke", "-", detail))
    return out


def _reason(error) -> str:
    if isinstance(error, str):
        return error
    msg = " ".join(error["message"].split())
    return f"{error['type']}: {msg}"[:240]


# --- known failures ----------------------------------------------------------------------------


def known_failures_path(tag: str = corpus.TAG) -> Path:
    return HERE / f"known-failures-{tag}.txt"


def read_expectations(path: Path) -> list[tuple[str, str, str, str]]:
    """(dist, kind, module pattern, reason) per line of a known-failures file."""
    out = []
    if not path.is_file():
        return out
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[1] not in KINDS:
            raise SystemExit(f"{path}:{n}: expected `dist kind module reason`, got {line!r}")
        out.append((corpus.normalize(parts[0]), parts[1], parts[2], parts[3]))
    return out


def check(packages: list[dict], expectations) -> tuple[list[str], list[str]]:
    """Unexpected failures, and listed failures that no longer happen (for packages run)."""
    ran = {corpus.normalize(p["dist"]): p for p in packages}
    unexpected, used = [], set()
    for pkg in packages:
        dist = corpus.normalize(pkg["dist"])
        for kind, module, reason in observed_failures(pkg):
            hits = [
                i
                for i, (d, k, pattern, _) in enumerate(expectations)
                if d == dist and k == kind and fnmatch.fnmatchcase(module, pattern)
            ]
            used.update(hits)
            if not hits:
                unexpected.append(f"{pkg['dist']} {kind} {module}  {reason}")
    stale = []
    for i, (dist, kind, pattern, reason) in enumerate(expectations):
        pkg = ran.get(dist)
        if pkg is None or i in used:
            continue
        # Only what this run could see: after a crash the modules past it were never tried.
        if kind not in ("crash", "timeout", "native-crash") and (
            pkg["namespace_ending"] or pkg["native_ending"]
        ):
            continue
        stale.append(f"{dist} {kind} {pattern}  {reason}")
    return unexpected, stale


def write_expectations(path: Path, packages: list[dict], tag: str) -> None:
    ran = {corpus.normalize(p["dist"]) for p in packages}
    kept = [e for e in read_expectations(path) if e[0] not in ran]
    new = [
        (corpus.normalize(p["dist"]), kind, module, reason)
        for p in packages
        for kind, module, reason in observed_failures(p)
    ]
    rows = sorted(kept + new, key=lambda e: (e[0], KINDS.index(e[1]), e[2]))
    header = f"""# Known failures of the real-world corpus on CPython {tag[2]}.{tag[3:]}: \
tests/realworld/run.py --ci
# passes while every failure it sees is listed here and every line here still fails.
# One per line: <distribution> <kind> <module, or fnmatch pattern> <reason>
# kinds: crash / timeout (the namespace worker died or hung; module: the one it was importing),
#   native-crash (the native worker did), ns1 (imports natively, fails in a first namespace),
#   ns2 (fails in a second namespace other than the share= refusal), smoke (host call differs
#   or fails; module: -), pollution (host import state changed; module: what changed).
# Written by --update-known-failures from a real run; fixing a failure means deleting its line.
"""
    path.write_text(header + "".join(f"{d} {k} {m}  {r}\n" for d, k, m, r in rows))


# --- the page ----------------------------------------------------------------------------------


def _trim(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


PLACEHOLDERS = [
    (re.compile(r"0x[0-9a-f]+"), "0x…"),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r'"[^"]*"'), '"…"'),
    (re.compile(r"\b\d+\b"), "N"),
]


def pattern_of(reason: str) -> str:
    for regex, repl in PLACEHOLDERS:
        reason = regex.sub(repl, reason)
    return _trim(reason, 160)


def failure_patterns(packages: list[dict]) -> list[tuple[str, str, int, list[str]]]:
    """(kind, normalized reason, occurrences, packages), most common first."""
    groups: dict[tuple[str, str], list] = {}
    for pkg in packages:
        for kind, _module, reason in observed_failures(pkg):
            key = (kind, pattern_of(reason))
            groups.setdefault(key, []).append(pkg["dist"])
    rows = [(k, p, len(v), sorted(set(v))) for (k, p), v in groups.items()]
    rows.sort(key=lambda r: (-len(r[3]), -r[2], r[0], r[1]))
    return rows


def summary(doc: dict) -> dict:
    pkgs = list(doc["packages"].values())
    figs = [figures(p) for p in pkgs]
    total = {
        k: sum(f[k] for f in figs)
        for k in (
            "modules",
            "native_ok",
            "first_ok",
            "second_ok",
            "second_refused",
            "second_failed",
        )
    }
    total["packages"] = len(pkgs)
    total["crashes"] = sum(f["crash"] for f in figs)
    total["native_crashes"] = sum(f["native_crash"] for f in figs)
    total["polluted"] = sum(f["polluted"] for f in figs)
    total["smoke_same"] = sum(f["smoke"] == "same" for f in figs)
    total["smoke_total"] = sum(f["smoke"] != "none" for f in figs)
    total["packages_all_ok"] = sum(
        f["native_ok"] == f["first_ok"] and not f["crash"] and not f["polluted"] for f in figs
    )
    return total


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f} %" if b else "-"


def render(docs: list[dict]) -> str:
    lines = [
        "# Real-world corpus",
        "",
        "The most downloaded PyPI distributions that ship wheels for the interpreter (the 100 "
        "best ranked in the environment's PyPI list, pinned per Python in "
        "`tests/realworld/pins/`), each imported with every module `pkgutil` finds in it "
        "(test modules and `__main__` left out): natively, in a first "
        "`Namespace(path=sys.path + [site])` of a fresh process, and in a second namespace of "
        "that process; then host code calls into the first namespace's package (one real call "
        "per package, compared with the native result). Written by "
        "`make realworld PY=3.X` (`tests/realworld/run.py`, see its docstring); the figures "
        "of each Python version are from its last run, kept in `docs/realworld/cp3X.json`.",
        "",
        "- *first ns ok*: modules that import natively and in the first namespace; the "
        "goal is all of them.",
        "- *second ns*: of those, how many import in a second namespace of the same process "
        "/ are refused with the `share=` message (an extension that cannot load twice) / fail "
        "otherwise.",
        "- *crashes*: the namespace process died (signal) or hung; *host pollution*: packages "
        "after whose import the host's `sys.modules` held a non-standard-library or namespaced "
        "module, lost or changed an entry, or whose `sys.path`, `meta_path`, `path_hooks` or "
        "`path_importer_cache` changed.",
        "",
        "## Summary",
        "",
        "| Python | packages | modules | import natively | first ns ok | % | second ns ok "
        "/ refused / failed | smoke same | crashes | host pollution | packages with no "
        "first-ns failure, crash or pollution |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for doc in docs:
        s = summary(doc)
        crashes = str(s["crashes"])
        if s["native_crashes"]:
            crashes += f" (+{s['native_crashes']} native)"
        lines.append(
            f"| {doc['python']} | {s['packages']} | {s['modules']} | {s['native_ok']} | "
            f"{s['first_ok']} | {_pct(s['first_ok'], s['native_ok'])} | {s['second_ok']} / "
            f"{s['second_refused']} / {s['second_failed']} | {s['smoke_same']} / "
            f"{s['smoke_total']} | {crashes} | {s['polluted']} | {s['packages_all_ok']} |"
        )
    for doc in docs:
        lines += _render_version(doc)
    return "\n".join(lines) + "\n"


def _render_version(doc: dict) -> list[str]:
    commit = doc["importspace"]["commit"][:10] + (
        " + uncommitted changes" if doc["importspace"]["dirty"] else ""
    )
    out = [
        "",
        f"## CPython {doc['python']}",
        "",
        f"Run {doc['date']} at importspace {commit}, {len(doc['packages'])} packages, "
        f"{doc['seconds']:.0f} s with {doc['jobs']} jobs"
        + (f" ({doc['note']})" if doc.get("note") else "")
        + ".",
        "",
        "| # | distribution | version | modules | native ok | first ns ok | second ns ok "
        "/ refused / failed | smoke | host | failures (first namespace unless said) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    pkgs = sorted(doc["packages"].values(), key=lambda p: p["rank"])
    for p in pkgs:
        f = figures(p)
        host = (
            "polluted" if f["polluted"] else ("ok" if p["host"]["pollution"] is not None else "?")
        )
        notes = []
        for ending, label in ((p["namespace_ending"], ""), (p["native_ending"], "native ")):
            if ending:
                fault = f": {' '.join(ending['fault'][:2])}" if ending["fault"] else ""
                notes.append(
                    f"**{label}{ending['kind']}** at `{ending['module']}` ({ending['how']}{fault})"
                )
        fails = [(k, m, r) for k, m, r in observed_failures(p) if k in ("ns1", "ns2")]
        for kind, module, reason in fails[:3]:
            where = "" if kind == "ns1" else " (second ns)"
            notes.append(f"`{module}`{where}: {_trim(reason, 120)}")
        if len(fails) > 3:
            notes.append(f"and {len(fails) - 3} more")
        if f["polluted"]:
            items = [f"{what} {name}" for what, name in p["host"]["pollution"]]
            notes.append("host: " + _trim(", ".join(items), 150))
        extra = [n for n in p["host"]["stdlib_gained"] or () if not n.startswith(CODEC_MODULES)]
        if extra:
            notes.append("host imported (stdlib, not shared): " + _trim(", ".join(extra), 120))
        if f["smoke"] not in ("same", "none"):
            smoke = [r for k, _, r in observed_failures(p) if k == "smoke"]
            notes.append("smoke: " + _trim(smoke[0] if smoke else f["smoke"], 150))
        out.append(
            f"| {p['rank']} | {p['dist']} | {p['version']} | {f['modules']} | {f['native_ok']} "
            f"| {f['first_ok']} | {f['second_ok']} / {f['second_refused']} / "
            f"{f['second_failed']} | {f['smoke']} | {host} | {_cell('; '.join(notes))} |"
        )
    rows = failure_patterns(pkgs)
    if rows:
        out += [
            "",
            f"Failure patterns on {doc['python']}, by the number of packages they hit:",
            "",
            "| kind | error | modules | packages |",
            "|---|---|---|---|",
        ]
        for kind, pattern, count, dists in rows:
            out.append(
                f"| {kind} | {_cell(pattern)} | {count} | {_cell(_trim(', '.join(dists), 200))} |"
            )
    return out


def render_all(markdown: Path) -> None:
    docs = []
    for path in sorted(RESULTS.glob("cp3*.json"), key=lambda p: int(p.stem[3:])):
        docs.append(json.loads(path.read_text()))
    markdown.write_text(render(docs))


# --- main --------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def save(out: Path, doc: dict, partial: str | None) -> None:
    """Write a run's results; a partial run replaces its packages in a file of the same lock and
    keeps the others."""
    if partial and out.is_file():
        try:
            old = json.loads(out.read_text())
        except ValueError:
            old = None
        if old and old.get("lock") == doc["lock"]:
            notes = [n for n in (old.get("note"), f"{partial} re-run {doc['date']}") if n]
            doc = {
                **doc,
                "packages": {**old["packages"], **doc["packages"]},
                "seconds": old.get("seconds", doc["seconds"]),
                "date": old.get("date", doc["date"]),
                "jobs": old.get("jobs", doc["jobs"]),
                "note": "; ".join(notes),
            }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packages", help="comma-separated distribution names (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"the CI subset ({len(corpus.QUICK)})")
    parser.add_argument("--jobs", type=int, default=2, help="packages run at once (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds per worker process (default 900)"
    )
    parser.add_argument(
        "--module-timeout", type=float, default=120, help="seconds per import (default 120)"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--markdown", type=Path, help=f"re-render this page from {RESULTS.relative_to(REPO)}/*.json"
    )
    parser.add_argument("--ci", action="store_true", help="check against known-failures-<tag>.txt")
    parser.add_argument("--expect", type=Path, help="check against this known-failures file")
    parser.add_argument(
        "--update-known-failures", action="store_true", help="rewrite known-failures-<tag>.txt"
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the workers' files")
    args = parser.parse_args()

    try:
        site = corpus.install()
    except corpus.NoNetwork as exc:
        first = str(exc).splitlines()[0]
        print(f"skipped: no network (the corpus is not installed and cannot be: {first})")
        return 0
    except corpus.InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    entries = corpus.corpus(site)
    partial = None
    if args.packages or args.quick:
        wanted = set()
        if args.quick:
            wanted |= {corpus.normalize(n) for n in corpus.QUICK}
        if args.packages:
            wanted |= {corpus.normalize(n) for n in args.packages.split(",") if n.strip()}
        unknown = wanted - {corpus.normalize(e["dist"]) for e in entries}
        if args.packages and unknown - {corpus.normalize(n) for n in corpus.QUICK}:
            print(f"error: not in the corpus: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        entries = [e for e in entries if corpus.normalize(e["dist"]) in wanted]
        partial = "--quick" if args.quick and not args.packages else "a subset"

    shared = shared_set()
    python = sys.version.split()[0]
    print(
        f"real-world corpus on CPython {python}: {len(entries)} packages, {args.jobs} jobs, "
        f"site {site}",
        flush=True,
    )
    t0 = time.monotonic()
    workroot = Path(tempfile.mkdtemp(prefix="work-", dir=corpus.CACHE))
    lock = threading.Lock()
    done = []

    def one(entry):
        pkg = run_package(entry, site, args, shared, workroot)
        f = figures(pkg)
        with lock:
            done.append(pkg)
            flags = []
            if f["crash"]:
                e = pkg["namespace_ending"]
                flags.append(f"{e['kind'].upper()} at {e['module']}")
            if f["native_crash"]:
                flags.append(f"native {pkg['native_ending']['kind']}")
            if f["polluted"]:
                flags.append("POLLUTED")
            print(
                f"[{len(done):3}/{len(entries)}] {pkg['dist']:32} native {f['native_ok']:4}/"
                f"{f['modules']:<4} first {f['first_ok']:4} second {f['second_ok']}/"
                f"{f['second_refused']}/{f['second_failed']} smoke {f['smoke']:9} "
                f"{pkg['seconds']['native']:.0f}+{pkg['seconds']['namespace']:.0f} s "
                + " ".join(flags),
                flush=True,
            )
        return pkg

    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            packages = list(pool.map(one, entries))
    finally:
        if not args.keep_work:
            import shutil

            shutil.rmtree(workroot, ignore_errors=True)
        else:
            print(f"worker files kept in {workroot}")

    doc = {
        "python": python,
        "tag": corpus.TAG,
        "cache_tag": sys.implementation.cache_tag,
        "date": datetime.date.today().isoformat(),
        "importspace": {
            "commit": _git("rev-parse", "HEAD"),
            "dirty": bool(_git("status", "--porcelain", "--", "src", "python")),
        },
        "lock": corpus.lock_digest(),
        "jobs": args.jobs,
        "seconds": round(time.monotonic() - t0, 1),
        "shared_set": shared,
        "excluded": EXCLUDED,
        "packages": {p["dist"]: p for p in packages},
    }
    s = summary(doc)
    print(
        f"\n{s['packages']} packages, {s['modules']} modules: {s['native_ok']} import natively, "
        f"{s['first_ok']} in a first namespace ({_pct(s['first_ok'], s['native_ok'])}); second "
        f"namespace {s['second_ok']} ok / {s['second_refused']} refused / {s['second_failed']} "
        f"failed; smoke {s['smoke_same']}/{s['smoke_total']} same; {s['crashes']} crashes; "
        f"{s['polluted']} polluting; {doc['seconds']:.0f} s"
    )
    targets = [args.json] if args.json else []
    if args.markdown:
        mine = RESULTS / f"{corpus.TAG}.json"
        if not args.json or args.json.resolve() != mine.resolve():
            targets.append(mine)
    for out in targets:
        save(out, doc, partial)
        print(f"wrote {out}")
    if args.markdown:
        render_all(args.markdown)
        print(f"wrote {args.markdown}")
    if args.update_known_failures:
        path = args.expect or known_failures_path()
        write_expectations(path, packages, corpus.TAG)
        print(f"wrote {path}")
    if args.ci or args.expect:
        path = args.expect or known_failures_path()
        unexpected, stale = check(packages, read_expectations(path))
        for line in unexpected:
            print(f"UNEXPECTED {line}")
        for line in stale:
            print(f"NOW PASSES (remove it from {path.name}) {line}")
        if unexpected or stale:
            print(
                f"real-world check FAILED: {len(unexpected)} unexpected, {len(stale)} listed "
                "failures that no longer happen"
            )
            return 1
        print(f"real-world check passed (known failures: {path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
