"""Comparing a namespace's answer with the native one, with a readable report of where they
differ (shared by the differential suites)."""

from __future__ import annotations

import os
import sys


def stdlib_dirs() -> list[str]:
    """The host's standard library entries of sys.path (the zip, lib/pythonX.Y, lib-dynload):
    no site-packages, no project folder, no current directory, so nothing the host has installed
    can leak into a namespace built on them."""
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    return [
        p
        for p in sys.path
        if p
        and os.path.isabs(p)
        and "site-packages" not in p
        and "dist-packages" not in p
        and any(os.path.realpath(p).startswith(prefix + os.sep) for prefix in prefixes)
    ]


STDLIB_DIRS = stdlib_dirs()


def differences(inside: object, native: object, where: str = "result") -> list[str]:
    """Where two JSON answers differ, as `path: namespace / native` entries."""
    if isinstance(inside, dict) and isinstance(native, dict) and inside.keys() == native.keys():
        return [d for k in native for d in differences(inside[k], native[k], f"{where}[{k!r}]")]
    if isinstance(inside, list) and isinstance(native, list) and len(inside) == len(native):
        return [
            d
            for i, (a, b) in enumerate(zip(inside, native))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    if inside == native:
        return []
    return [f"{where}:\n  namespace: {inside!r}\n  native:    {native!r}"]


def assert_same(inside: object, native: object) -> None:
    """Assert a namespace's answer equals the native one."""
    found = differences(inside, native)
    assert not found, "namespace differs from native:\n" + "\n".join(found)
