"""The benchmark's report: the markdown table and the PNG chart, from run.py's JSON data."""

import os

UNIT_TEXT = {"us": "µs"}
COLORS = {"floor": "#8c8c8c", "vendor": "#e39c3b", "importspace": "#3b73b9"}


def _number(value, unit):
    if unit == "modules":
        return f"{value:.0f}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ns":
        return f"{value:.0f}"
    return f"{value:.1f}"


def _target_text(entry):
    target = entry.get("target")
    if not target:
        return ""
    unit = UNIT_TEXT.get(entry["unit"], entry["unit"])
    limit = (
        f"≤{target['max']}x"
        if target["kind"] == "ratio" or unit == "x"
        else (f"≤{target['max']:g} {unit}")
    )
    if target["met"] is None:
        return f"{limit}: –"
    if target["met"]:
        return f"{limit}: met"
    mine = entry["results"]["importspace"]
    got = mine["ratio"] if target["kind"] == "ratio" else mine["median"]
    return (
        f"{limit}: **missed** ({_number(got, 'x' if target['kind'] == 'ratio' else entry['unit'])})"
    )


def _cell(data, entry, contender):
    case = entry["case"]
    result = entry["results"].get(contender)
    if result is not None:
        text = _number(result["median"], entry["unit"])
        if "ratio" in result and contender != "cpython":
            text += f" ({result['ratio']:.2f}x)"
        return text
    if case in data["case_unavailable"] or contender in data["unavailable"]:
        return "unavailable"
    if f"{case}/{contender}" in data["errors"]:
        return "error"
    if contender == "cpython" and "reference" in entry:
        return _number(entry["reference"]["cpython"], entry["unit"]) + " (ref)"
    return "n/a"


def _loaded_notes(data):
    """What the namespaces loaded in the cold corpora beyond their own copies."""
    out = []
    for case, label in (
        ("stdlib", "corpus 3"),
        ("thirdparty", "corpus 4"),
        ("realworld", "corpus 4b"),
    ):
        details = data.get("details", {}).get(case, {})
        for contender, detail in details.items():
            if contender == "cpython":
                continue
            host = [name[5:] for name in detail["loaded"] if name.startswith("host:")]
            if host:
                out.append(
                    f"{label}, {contender}: {len(host)} of the {len(detail['loaded'])} modules "
                    f"loaded while timing were imported by the host for modules shared by "
                    f"default: {', '.join(host)}"
                )
            if detail["shared"]:
                out.append(
                    f"{label}, {contender}: host modules handed in (not counted as loaded "
                    f"unless the host imported them while timing): {', '.join(detail['shared'])}"
                )
    return out


def _slowest_names(data, case="realworld", label="corpus 4b", count=10):
    """The names of a cold case that took cpython longest (each name's own time, in import
    order: what it added to the names before it), with importspace's time and ratio."""
    names = data.get("cases", {}).get(case, {}).get("options", {}).get("names")
    samples = data.get("samples", {}).get(case, {})
    if not names or "cpython" not in samples:
        return []
    names = names.split(",")

    def medians(contender):
        runs = [
            r["names_ms"]
            for r in samples.get(contender, ())
            if len(r.get("names_ms", ())) == len(names)
        ]
        return [sorted(col)[len(col) // 2] for col in zip(*runs)] if runs else None

    cpython, mine = medians("cpython"), medians("importspace")
    if cpython is None:
        return []
    order = sorted(range(len(names)), key=lambda i: -cpython[i])[:count]
    parts = []
    for i in order:
        text = f"{names[i]} {cpython[i]:.1f}"
        if mine:
            text += f"/{mine[i]:.1f} ({mine[i] / cpython[i]:.2f}x)"
        parts.append(text)
    what = "cpython/importspace ms (ratio)" if mine else "cpython ms"
    return [
        f"{label}, the {len(order)} names that took cpython longest, each name's own time in "
        f"import order (what it added to the names before it, garbage collection passes "
        f"included where they fell), {what}: " + ", ".join(parts)
    ]


def markdown(data, contenders):
    """The result table (one row per measured figure) and its footnotes, as markdown."""
    meta = data["meta"]
    load = meta.get("load_average")
    out = [
        f"Python {meta['python']} ({meta['implementation']}), {meta['platform']}, "
        f"{meta['cpu_count']} CPUs ({meta['cpus_usable']} usable"
        + (f", load {load[0]:.1f} at start" if load else "")
        + f"); workers run with `{' '.join(meta['worker_flags'])}`; tree of "
        f"{meta['tree_modules']:,} modules, slice of {meta['slice_modules']}; median of "
        f"{meta['runs']} processes (corpus 8: {meta.get('cli_runs', '-')} rounds of whole "
        "processes); (ratio) = contender / cpython, lower is better; target: issue 5's and "
        "14's, for importspace. Rows are numbered by corpus.",
        "",
        "| case | " + " | ".join(contenders) + " | target |",
        "|---|" + "---:|" * len(contenders) + "---|",
    ]
    for entry in data["rows"].values():
        unit = UNIT_TEXT.get(entry["unit"], entry["unit"])
        cells = [_cell(data, entry, contender) for contender in contenders]
        out.append(
            f"| {entry['label']} ({unit}) | " + " | ".join(cells) + f" | {_target_text(entry)} |"
        )
    footnotes = [f"{c}: unavailable: {why}" for c, why in data["unavailable"].items()]
    footnotes += [f"{case}: unavailable: {why}" for case, why in data["case_unavailable"].items()]
    footnotes += [f"{key}: error: {why}" for key, why in data["errors"].items()]
    footnotes += [
        f"{case}, {contender}: n/a: {why}"
        for case, by_contender in data["not_applicable"].items()
        for contender, why in by_contender.items()
    ]
    footnotes += _loaded_notes(data)
    footnotes += _slowest_names(data)
    footnotes += [f"note: {note}" for note in data["notes"]]
    if footnotes:
        out.append("")
        out.extend(f"- {line}" for line in footnotes)
    return "\n".join(out)


def chart(data, contenders, path):
    """Grouped bars of each contender's ratio to CPython per row, log scale, with the 1.0 line
    and importspace's targets. Returns a message; skips the chart if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return f"chart skipped: matplotlib is not installed (pip install matplotlib) for {path}"
    shown = [c for c in contenders if c != "cpython"]
    entries = [
        e
        for e in data["rows"].values()
        if e["kind"] == "ratio" and any("ratio" in e["results"].get(c, {}) for c in shown)
    ]
    if not entries:
        return "chart skipped: no ratios to draw"
    width = 0.8 / len(shown)
    fig, ax = plt.subplots(figsize=(max(8, 0.75 * len(entries) + 3), 6.5))
    for i, contender in enumerate(shown):
        xs, ys = [], []
        for x, entry in enumerate(entries):
            ratio = entry["results"].get(contender, {}).get("ratio")
            if ratio is not None:
                xs.append(x - 0.4 + width * (i + 0.5))
                ys.append(ratio)
        ax.bar(xs, ys, width, label=contender, color=COLORS.get(contender))
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.2f}", (x, y), ha="center", va="bottom", fontsize=6, rotation=90,
                        xytext=(0, 2), textcoords="offset points")  # fmt: skip
    target_label = "importspace target"
    for x, entry in enumerate(entries):
        target = entry.get("target")
        if target and target["kind"] == "ratio":
            ax.hlines(target["max"], x - 0.45, x + 0.45, colors="#c0392b", linestyles="--",
                      label=target_label)  # fmt: skip
            target_label = None
    ax.axhline(1.0, color="black", linewidth=1, label="cpython = 1.0")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda y, _pos: f"{y:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_ylabel("ratio to CPython's own import (log scale; lower is better)")
    ax.set_xticks(range(len(entries)))
    ax.set_xticklabels(
        [f"{e['label']} ({UNIT_TEXT.get(e['unit'], e['unit'])})" for e in entries],
        rotation=35,
        ha="right",
        fontsize=8,
    )
    meta = data["meta"]
    ax.set_title(
        f"importspace benchmark, Python {meta['python']}, median of {meta['runs']} processes"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {os.path.abspath(path)}"
