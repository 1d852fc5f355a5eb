"""Pinned packages installed once into a folder of their own, for the benchmarks.

`install_once` runs `pip install --target` into a temporary folder and renames it into place
once it succeeded, with a marker file holding what was asked for; a later call that asks for
the same finds the marker and installs nothing. benches/run.py (corpora 4 and 4b),
benches/graph_speed.py and benches/reload_speed.py install through it.
"""

import os
import shutil
import subprocess
import sys


def install_once(folder, pip_args, stamp, marker, *, label, check=None, timeout=900):
    """Install `pip_args` (requirements and pip options) into `folder`, unless the file `marker`
    in it holds `stamp`, the text that says what was asked for. `label` names the install in
    the progress line. `check(partial)` may refuse the fresh install before it is kept: it
    returns None, or why. Returns None, or why the install failed (no network, no wheel, a
    timeout, the check)."""
    try:
        with open(os.path.join(folder, marker)) as f:
            if f.read() == stamp:
                return None
    except OSError:
        pass
    print(f"installing {label} into {folder}", file=sys.stderr)
    partial = f"{folder}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "-q", "--only-binary=:all:",
               "--disable-pip-version-check", "--retries", "1", "--timeout", "30",
               "--target", partial, *pip_args]  # fmt: skip
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        return "pip install timed out"
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return "pip install failed: " + (lines[-1] if lines else f"exit {proc.returncode}")
    why = check(partial) if check else None
    if why:
        shutil.rmtree(partial, ignore_errors=True)
        return why
    with open(os.path.join(partial, marker), "w") as f:
        f.write(stamp)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    os.rename(partial, folder)
    return None
