"""The reports of a run, rendered from its JSON alone (so `--report-only` re-renders).

`write` puts `benchmarks.md` and `benchmarks.png` into the results folder and, when
asked, rewrites the docs page above its hand-written notes (`MARKER`) and its chart.
Cells read `median ms (% of the same-run copy bandwidth)`; ratios are the other
implementation's median time over mlc's, so > 1 means mlc is faster.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "headline", "markdown", "write"]

MARKER = "<!-- hand-written notes below; kept when benchmarks.run rewrites this file -->"
IMPLEMENTATIONS = {
    "mlc": "mlc",
    "mlc_out": "mlc out=",
    "numpy": "numpy",
    "torch": "torch eager",
    "inductor": "inductor",
}
NOISY_CORES = 0.25
"""Other processes' average load (cores) above which a cell is flagged as noisy."""

_DEFAULT_NOTES = """
## Notes (hand-written)

Nothing yet: write observations about the run above here; the runner keeps them.
"""


def _geomean(values: Iterable[float]) -> float | None:
    values = [v for v in values if v and math.isfinite(v)]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _noisy(group: dict[str, Any]) -> bool:
    load = group.get("other_load")
    return bool(load) and load["other_cores"] > NOISY_CORES


def _cell(group: dict[str, Any] | None, impl: str) -> str:
    if group is None:
        return "-"
    if impl in group["failures"]:
        return "failed"
    fact = group["implementations"].get(impl)
    if fact is None or "median_s" not in fact:
        return "-"
    text = f"{_ms(fact['median_s'])} ({fact['copy_fraction']:.0%})"
    return text + ("" if fact["ok"] else " ✗") + (" *" if _noisy(group) else "")


def _index(results: dict[str, Any]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(g["workload"], g["shape"], g["threads"]): g for g in results["groups"]}


def _cases(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(workload, shape) in run order."""
    return list(dict.fromkeys((g["workload"], g["shape"]) for g in results["groups"]))


def _median(group: dict[str, Any] | None, impl: str) -> float | None:
    return None if group is None else group["implementations"].get(impl, {}).get("median_s")


def _ratio(group: dict[str, Any] | None, other: str, mine: str = "mlc") -> float | None:
    theirs, ours = _median(group, other), _median(group, mine)
    return theirs / ours if theirs and ours else None


def summary(results: dict[str, Any]) -> list[str]:
    """The computed findings, one line each: geomeans vs Inductor, thread scaling,
    bandwidth fractions, compile times."""
    lines = []
    threads = results["meta"]["threads"]
    groups = results["groups"]
    for n in threads:
        at_n = [g for g in groups if g["threads"] == n]
        for label, subset in (
            ("memory-bound", [g for g in at_n if g["memory_bound"]]),
            ("all", at_n),
        ):
            fresh = _geomean(_ratio(g, "inductor") for g in subset)
            out = _geomean(_ratio(g, "inductor", "mlc_out") for g in subset)
            eager = _geomean(_ratio(g, "torch") for g in subset)
            if fresh or eager:
                lines.append(
                    f"{n} thread{'s' if n > 1 else ''}, {label} workloads: mlc vs Inductor "
                    f"geomean {_fmt(fresh, suffix='x')} (out=: {_fmt(out, suffix='x')}), "
                    f"vs torch eager {_fmt(eager, suffix='x')}"
                )
        fractions = [
            (g["implementations"]["mlc"]["copy_fraction"], g["workload"], g["shape"])
            for g in at_n
            if g["memory_bound"] and "median_s" in g["implementations"].get("mlc", {})
        ]
        if fractions:
            low, high = min(fractions), max(fractions)
            lines.append(
                f"{n} thread{'s' if n > 1 else ''}: mlc reaches {low[0]:.0%} ({low[1]} {low[2]}) "
                f"to {high[0]:.0%} ({high[1]} {high[2]}) of the copy bandwidth"
            )
    index = _index(results)
    if len(threads) > 1:
        speedups = [
            one / many
            for w, s in _cases(results)
            if (one := _median(index.get((w, s, threads[0])), "mlc"))
            and (many := _median(index.get((w, s, threads[-1])), "mlc"))
        ]
        if speedups:
            lines.append(
                f"mlc {threads[-1]} threads vs {threads[0]}: geomean "
                f"{_geomean(speedups):.2f}x (range {min(speedups):.2f}-{max(speedups):.2f}x)"
            )
    cold = [c["cold"] for c in results["compile"].values() if "compile_s" in c["cold"]]
    if cold:
        totals = [c["import_s"] + c["compile_s"] for c in cold]
        warm = [c["second_compile_s"] for c in cold]
        lines.append(
            f"compile: cold (import + compile) {min(totals):.2f}-{max(totals):.2f} s, "
            f"warm in-process {min(warm) * 1e3:.0f}-{max(warm) * 1e3:.0f} ms"
        )
        cached = [
            c["warm_cache"]["compile_s"]
            for c in results["compile"].values()
            if c["warm_cache"] and "compile_s" in c["warm_cache"]
        ]
        lines.append(
            f"warm on-disk cache, fresh process: {min(cached) * 1e3:.0f}-{max(cached) * 1e3:.0f} ms"
            if cached
            else "mlc.compile wrote no on-disk cache: no warm-cache figure"
        )
    return lines


def headline(results: dict[str, Any]) -> str:
    return "\n".join(summary(results))


def _table(header: list[str], rows: list[list[str]], numeric_from: int) -> list[str]:
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def markdown(results: dict[str, Any], chart: str | None) -> str:
    """The generated part of the report."""
    meta, machine = results["meta"], results["machine"]
    threads = meta["threads"]
    index = _index(results)
    lines = [
        "# Benchmarks",
        "",
        f"<!-- generated by `{meta['command']}` on {meta['date_utc']} UTC; "
        "edit only below the hand-written-notes marker -->",
        "",
        "mlc-compiled CPU code against numpy eager, torch eager and `torch.compile` "
        "(Inductor, CPU), all float32, in one process and one run "
        f"({meta['total_s']:.0f} s). Rerun with `make bench` or `python -m benchmarks.run` "
        "(`--quick` for a smoke test, `--help` for the options).",
        "",
        "**Method.** Every implementation's result is first compared with numpy's "
        f"(error = max |got - numpy| / max(|numpy|, RMS of its row), tolerance {meta['tolerance']:g}; "
        "✗ marks a mismatch). Then all implementations of a workload are timed round-robin, "
        "one call each per round with the order rotated, after the checking call "
        f"({meta['budget']['min_reps']}-{meta['budget']['max_reps']} rounds, "
        f"about {meta['budget']['seconds']:g} s per workload, shape and thread count); "
        "a call includes allocating and freeing what it returns. Cells: median ms "
        "(effective bandwidth as % of the copy bandwidth: the best `np.copyto` of an array "
        "the size of the workload's largest tensor, at the same thread count, timed in the "
        "same rounds as the implementations). "
        "Effective bandwidth = minimum bytes (inputs read once + outputs written once) / "
        "median time. `mlc` allocates its outputs per call, as a user calls it; "
        "`mlc out=` writes into preallocated arrays. Threads: mlc's `num_threads`, "
        "`torch.set_num_threads`, and numpy's BLAS through threadpoolctl ("
        + (
            "controlled"
            if meta["numpy_blas_threads_controlled"]
            else "**not installed: numpy's BLAS thread count is not controlled**"
        )
        + "); element-wise numpy is single-threaded, so numpy is timed at more than one "
        "thread only where it calls BLAS. Inductor is compiled afresh per thread count "
        f"(its cache: {meta['inductor_cache']}). `*` = other processes used more than "
        f"{NOISY_CORES} cores on average while that cell was timed (the machine is shared).",
        "",
    ]
    for note in meta["notes"]:
        lines += [f"Note: {note}.", ""]
    lines += ["## Summary", ""]
    lines += [f"- {line}" for line in summary(results)]
    lines += ["", "## Machine", ""]
    facts = {
        "CPU": f"{machine['cpu_model']} (LLVM: {machine['llvm_host_cpu']})",
        "cores (available)": f"{machine['cores']} ({machine['available_cores']})",
        "memory": _fmt(machine["mem_total_gib"], 1, " GiB"),
        "ISA": ", ".join(machine["isa"]),
        "virtual machine": str(machine["hypervisor"]),
        "versions": ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v),
        "python": machine["python"],
        "mlc": f"{machine['mlc_commit']}"
        + (" + uncommitted changes" if machine["mlc_tree_modified"] else ""),
        "numpy BLAS": ", ".join(
            " ".join(str(b[k]) for k in ("internal_api", "version", "architecture") if b[k])
            for b in machine["numpy_blas"]
        )
        if machine["numpy_blas"]
        else "unknown (no threadpoolctl)",
        "load average start / end": f"{' '.join(machine['loadavg_start'])} / "
        f"{' '.join(machine.get('loadavg_end', []))}",
    }
    lines += _table(["fact", "value"], [[k, v] for k, v in facts.items()], 2)
    copies: dict[tuple[int, int], list[float]] = {}
    for g in results["groups"]:
        copies.setdefault((g["copy_bytes"], g["threads"]), []).append(g["copy_gbps"])
    lines += [
        "",
        "Copy bandwidth (best `np.copyto` of a group, read + write counted), over the groups:",
        "",
    ]
    lines += _table(
        ["MiB per array", "threads", "groups", "lowest GB/s", "median GB/s", "highest GB/s"],
        [
            [f"{size / 2**20:.1f}", str(n), str(len(v))]
            + [f"{x:.1f}" for x in (min(v), statistics.median(v), max(v))]
            for (size, n), v in sorted(copies.items())
        ],
        0,
    )
    impl_columns = [(impl, n) for n in threads for impl in IMPLEMENTATIONS]
    lines += ["", "## Times: median ms (% of copy bandwidth)", ""]
    rows = []
    for workload, shape in _cases(results):
        any_group = next(
            index[(workload, shape, n)] for n in threads if (workload, shape, n) in index
        )
        rows.append(
            [workload, shape, f"{any_group['min_bytes'] / 2**20:.1f}"]
            + [_cell(index.get((workload, shape, n)), impl) for impl, n in impl_columns]
        )
    lines += _table(
        ["workload", "shape", "MiB"] + [f"{IMPLEMENTATIONS[i]} {n}t" for i, n in impl_columns],
        rows,
        2,
    )
    compute = [
        (w, s, n, g)
        for (w, s, n), g in index.items()
        if g["flops"] and any("gflops" in f for f in g["implementations"].values())
    ]
    if compute:
        lines += ["", "Compute-bound workloads, GFLOP/s (matmul flops / median time):", ""]
        lines += _table(
            ["workload", "shape", "threads", *(IMPLEMENTATIONS[i] for i in IMPLEMENTATIONS)],
            [
                [w, s, str(n)]
                + [_fmt(g["implementations"].get(i, {}).get("gflops"), 1) for i in IMPLEMENTATIONS]
                for w, s, n, g in compute
            ],
            2,
        )
    lines += ["", "## Ratios: other's time / mlc's time (> 1: mlc is faster)", ""]
    rows = []
    for workload, shape in _cases(results):
        for n in threads:
            g = index.get((workload, shape, n))
            if g is None:
                continue
            rows.append(
                [workload, shape, str(n)]
                + [
                    _fmt(_ratio(g, other, mine))
                    for other, mine in (
                        ("numpy", "mlc"),
                        ("torch", "mlc"),
                        ("inductor", "mlc"),
                        ("inductor", "mlc_out"),
                        ("mlc", "mlc_out"),
                    )
                ]
                + [_fmt(g["other_load"]["other_cores"] if g["other_load"] else None)]
            )
    lines += _table(
        [
            "workload",
            "shape",
            "threads",
            "numpy / mlc",
            "torch / mlc",
            "inductor / mlc",
            "inductor / mlc out=",
            "mlc / mlc out=",
            "other load (cores)",
        ],
        rows,
        2,
    )
    lines += ["", "## Compile time", ""]
    lines += [
        "mlc: a fresh process with an empty compile cache times `import mlc` (with the runtime "
        "modules, numpy among them, that `mlc.compile` imports on first use) and the first "
        "`mlc.compile` (cold = both), then compiles again (warm, in-process); a second fresh "
        "process compiles against the on-disk cache the first one left, when mlc has one "
        "(its import time is not counted there). "
        "Inductor: the first call of each graph after its one-time start-up"
        + (
            f" ({meta['inductor_startup_s']:.1f} s in this run, on a throw-away graph)"
            if meta["inductor_startup_s"]
            else ""
        )
        + ".",
        "",
    ]
    rows = []
    for workload, c in results["compile"].items():
        cold, warm = c["cold"], c["warm_cache"]
        inductor = [
            index.get((workload, c["shape"], n), {}).get("implementations", {}).get("inductor", {})
            for n in threads
        ]
        rows.append(
            [workload, c["shape"]]
            + (
                [
                    f"{cold['import_s'] + cold['compile_s']:.2f}",
                    f"{cold['import_s']:.2f}",
                    f"{cold['compile_s']:.2f}",
                    f"{cold['second_compile_s'] * 1e3:.0f}",
                ]
                if "compile_s" in cold
                else [f"failed: {cold['error']}", "", "", ""]
            )
            + [
                f"{warm['compile_s'] * 1e3:.0f}" if warm and "compile_s" in warm else "no cache",
                " / ".join(_fmt(i.get("compile_s"), 1) for i in inductor),
            ]
        )
    lines += _table(
        [
            "workload",
            "shape",
            "cold s (import + compile)",
            "import s",
            "compile s",
            "warm in-process ms",
            "warm cache, fresh process ms",
            f"inductor first call s ({' / '.join(f'{n}t' for n in threads)})",
        ],
        rows,
        2,
    )
    lines += ["", "## Verification", ""]
    problems = []
    for (w, s, n), g in index.items():
        for impl, message in g["failures"].items():
            problems.append(f"- {w} {s} {n}t {IMPLEMENTATIONS[impl]}: failed: {message}")
        for impl, fact in g["implementations"].items():
            if not fact["ok"]:
                problems.append(
                    f"- {w} {s} {n}t {IMPLEMENTATIONS[impl]}: error {_fmt(fact['error'], 1, '')}"
                    f" > {meta['tolerance']:g} (mismatch; timed anyway)"
                )
    worst = {
        impl: max(
            (
                g["implementations"][impl]["error"]
                for g in index.values()
                if impl in g["implementations"] and g["implementations"][impl]["error"] is not None
            ),
            default=None,
        )
        for impl in IMPLEMENTATIONS
    }
    lines.append(
        "Largest error against numpy per implementation: "
        + ", ".join(f"{IMPLEMENTATIONS[i]} {e:.1e}" for i, e in worst.items() if e is not None)
        + "."
    )
    lines += ["", *(problems or ["Every result matched numpy within the tolerance."])]
    if chart:
        lines += ["", f"![mlc vs baselines]({chart})"]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> bool:
    """A bar chart per size (rows) and thread count (columns): % of copy bandwidth
    per workload and implementation (GFLOP/s for the compute-bound ones). False
    without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    threads = results["meta"]["threads"]
    index = _index(results)
    panels: dict[str, list[tuple[str, str]]] = {}
    for workload, shape in _cases(results):
        group = next(index[(workload, shape, n)] for n in threads if (workload, shape, n) in index)
        panels.setdefault(shape if group["memory_bound"] else "compute-bound", []).append(
            (workload, shape)
        )
    figure, axes = plt.subplots(
        len(panels), len(threads), figsize=(7 * len(threads), 3.6 * len(panels)), squeeze=False
    )
    width = 0.8 / len(IMPLEMENTATIONS)
    for row, (title, cases) in enumerate(panels.items()):
        compute = title == "compute-bound"
        for column, n in enumerate(threads):
            ax = axes[row][column]
            for k, impl in enumerate(IMPLEMENTATIONS):
                values = []
                for w, s in cases:
                    fact = index.get((w, s, n), {}).get("implementations", {}).get(impl, {})
                    value = fact.get("gflops" if compute else "copy_fraction")
                    values.append(0 if value is None else value * (1 if compute else 100))
                ax.bar(
                    [i + (k - (len(IMPLEMENTATIONS) - 1) / 2) * width for i in range(len(cases))],
                    values,
                    width,
                    label=IMPLEMENTATIONS[impl],
                )
            ax.set_xticks(range(len(cases)))
            ax.set_xticklabels(
                [f"{w}\n{s}" if compute else w for w, s in cases],
                rotation=30,
                ha="right",
                fontsize=8,
            )
            ax.set_ylabel("GFLOP/s" if compute else "% of copy bandwidth")
            if not compute:
                ax.axhline(100, color="grey", linewidth=0.8, linestyle="--")
            ax.set_title(f"{title}, {n} thread{'s' if n > 1 else ''}", fontsize=10)
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.suptitle(f"mlc vs baselines, float32 ({results['meta']['date_utc']} UTC)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True


def _with_notes(generated: str, page: Path) -> str:
    """`generated`, then the hand-written notes of the existing `page` (or a stub)."""
    old = page.read_text() if page.exists() else ""
    notes = old.partition(MARKER)[2] if MARKER in old else _DEFAULT_NOTES
    return f"{generated}\n{MARKER}{notes}"


def write(results: dict[str, Any], out: Path, docs: Path | None) -> list[Path]:
    """Writes the Markdown report and chart into `out`, and into `docs` when given
    (keeping the notes of docs/benchmarks.md); returns the paths written."""
    written = []
    for folder in [out] if docs is None else [out, docs]:
        folder.mkdir(parents=True, exist_ok=True)
        png = folder / "benchmarks.png"
        has_chart = chart(results, png)
        page = folder / "benchmarks.md"
        generated = markdown(results, png.name if has_chart else None)
        page.write_text(_with_notes(generated, page) if folder == docs else generated)
        written += [page, *([png] if has_chart else [])]
    return written
