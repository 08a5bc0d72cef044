"""`python -m benchmarks.run`: mlc vs numpy, torch eager and torch.compile, in one process.

    python -m benchmarks.run                                  # full run, < 10 min
    python -m benchmarks.run --quick                          # small shapes, few repeats
    python -m benchmarks.run --workloads softmax,row_sum --threads 1 --no-inductor
    python -m benchmarks.run --report-only benchmarks/results/benchmarks.json

For every workload, shape and thread count, each implementation is checked against
numpy first (a mismatch is reported in the tables, not hidden) and then timed
round-robin with the others (`benchmarks.measure`): mlc as a user calls it (outputs
allocated per call) and with preallocated `out=` arrays, numpy eager, torch eager
and torch.compile (Inductor, CPU). Compile times come from fresh processes
(`benchmarks.compile_time`). Results go to `--out` (JSON with every sample, and a
Markdown report); a full run also rewrites docs/benchmarks.md above its
hand-written notes and the chart docs/benchmarks.png (`benchmarks.report`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import mlc
from benchmarks import report
from benchmarks.compile_time import measure_compile_time
from benchmarks.measure import (
    Budget,
    CopyProbe,
    OtherLoad,
    numpy_blas_info,
    round_robin,
    thread_limits,
)
from benchmarks.workloads import WORKLOADS, Workload, make_inputs, max_error, torch_implementations

REPO = Path(__file__).resolve().parents[1]
FULL_SHAPES = ((4096, 1024), (16384, 4096))
QUICK_SHAPES = ((256, 512),)
FULL_BUDGET = Budget(min_reps=3, max_reps=50, seconds=1.5)
QUICK_BUDGET = Budget(min_reps=3, max_reps=10, seconds=0.05)
COPY = "copy"
"""The key of the copy probe among the calls timed round-robin."""
TOLERANCE = 1e-4
"""Largest error (`workloads.max_error`, relative to the row's size) a result may
have against numpy's; float32 reductions in another order stay far below it."""


def _shape(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(n) for n in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROWSxCOLS, got {text!r}") from None
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(f"dims must be positive, got {text!r}")
    return rows, cols


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _comma_list(item: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    return lambda text: [item(part) for part in text.split(",") if part]


def _workload(name: str) -> str:
    if name not in WORKLOADS:
        raise argparse.ArgumentTypeError(
            f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}"
        )
    return name


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    cores = available_cores()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small shapes, few repeats (< 1 min)")
    parser.add_argument(
        "--threads",
        type=_comma_list(_positive),
        default=sorted({1, cores}),
        help=f"thread counts, comma-separated (default: 1 and all cores: {sorted({1, cores})})",
    )
    parser.add_argument(
        "--shapes",
        type=_comma_list(_shape),
        help="ROWSxCOLS of the row-wise workloads, comma-separated (default: "
        + ",".join(f"{r}x{c}" for r, c in FULL_SHAPES)
        + "; with --quick "
        + ",".join(f"{r}x{c}" for r, c in QUICK_SHAPES)
        + ")",
    )
    parser.add_argument(
        "--workloads",
        type=_comma_list(_workload),
        default=list(WORKLOADS),
        help=f"comma-separated subset of: {','.join(WORKLOADS)}",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip torch eager and Inductor")
    parser.add_argument("--no-inductor", action="store_true", help="skip torch.compile")
    parser.add_argument(
        "--no-compile-time", action="store_true", help="skip the fresh-process compile times"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results", help="results folder"
    )
    parser.add_argument(
        "--docs",
        type=Path,
        help="folder whose benchmarks.md and benchmarks.png the run rewrites "
        "(default: docs/ for a full run, none with --quick)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="JSON",
        help="re-render the reports from a results JSON instead of measuring",
    )
    args = parser.parse_args(argv)
    if args.shapes is None:
        args.shapes = list(QUICK_SHAPES if args.quick else FULL_SHAPES)
    if args.docs is None and not args.quick:
        args.docs = REPO / "docs"
    return args


# ---------------------------------------------------------------------------
# Machine facts


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    import llvmlite.binding as llvm

    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    flags = next(
        (
            line.split(":", 1)[1].split()
            for line in cpuinfo.splitlines()
            if line.startswith("flags")
        ),
        [],
    )
    meminfo = _read("/proc/meminfo").split()
    mem_gib = int(meminfo[1]) / 2**20 if meminfo[:1] == ["MemTotal:"] else None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "available_cores": available_cores(),
        "mem_total_gib": mem_gib,
        "isa": [
            f
            for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "amx_tile")
            if f in flags
        ],
        "hypervisor": "hypervisor" in flags,
        "llvm_host_cpu": llvm.get_host_cpu_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            name: _version(name) for name in ("numpy", "llvmlite", "xdsl", "torch", "threadpoolctl")
        },
        "mlc_commit": _git("rev-parse", "--short", "HEAD"),
        "mlc_tree_modified": bool(status),
        "numpy_blas": numpy_blas_info(),
        "loadavg_start": _read("/proc/loadavg").split()[:3],
    }


# ---------------------------------------------------------------------------
# One group: a workload at one shape and thread count, every implementation


def _as_numpy(result: Any) -> Any:
    if isinstance(result, tuple | list):
        return tuple(_as_numpy(r) for r in result)
    return result.numpy() if hasattr(result, "numpy") else result


def _nbytes(value: Any) -> int:
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return value.nbytes


def _largest(value: Any) -> int:
    if isinstance(value, tuple | list):
        return max(_largest(v) for v in value)
    return value.nbytes


class Runner:
    """Measures groups; holds what outlives one: torch, budgets, notes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.budget = QUICK_BUDGET if args.quick else FULL_BUDGET
        self.torch: Any = None
        self.torch_fns: dict[str, Callable[..., Any]] = {}
        self.notes: list[str] = []
        self.blas_controlled: bool | None = None
        self.inductor_startup_s: float | None = None
        if not args.no_torch:
            try:
                import torch
            except ImportError:
                self.notes.append("torch is not installed: torch eager and Inductor skipped")
            else:
                self.torch = torch
                self.torch_fns = torch_implementations()

    @property
    def inductor(self) -> bool:
        return self.torch is not None and not self.args.no_inductor

    def start_inductor(self) -> None:
        """Pays Inductor's one-time start-up on a throw-away graph, so that the
        per-graph compile times after it are comparable; records it."""
        torch = self.torch
        begin = time.perf_counter()
        torch.compile(lambda x: x * 2 + 1)(torch.ones(8))
        self.inductor_startup_s = time.perf_counter() - begin

    def implementations(
        self, workload: Workload, source: str, inputs: list[np.ndarray], expected: Any, threads: int
    ) -> tuple[dict[str, Callable[[], Any]], dict[str, Any], dict[str, str]]:
        """(calls to time, facts per implementation, errors) for one group; the calls
        are verified, and the facts hold compile times and errors against numpy."""
        calls: dict[str, Callable[[], Any]] = {}
        facts: dict[str, dict[str, Any]] = {}
        failures: dict[str, str] = {}

        def add(name: str, call: Callable[[], Any], result_of: Callable[[Any], Any], **extra: Any):
            try:
                error = max_error(_as_numpy(result_of(call())), expected)
            except Exception as e:  # a crash is a result to report, like a mismatch
                failures[name] = f"{type(e).__name__}: {e}"
                return
            calls[name] = call
            finite = math.isfinite(error)  # inf: NaNs or shapes that differ
            facts[name] = {"error": error if finite else None, "ok": error <= TOLERANCE, **extra}

        try:
            begin = time.perf_counter()
            exe = mlc.compile(source, num_threads=threads)
            compile_s = time.perf_counter() - begin
        except Exception as e:
            failures["mlc"] = failures["mlc_out"] = f"{type(e).__name__}: {e}"
        else:
            function = exe[exe.functions[0]]
            add("mlc", lambda: function(*inputs), lambda r: r, compile_s=compile_s)
            outs = (
                tuple(np.full_like(e, np.nan) for e in expected)
                if isinstance(expected, tuple)
                else np.full_like(expected, np.nan)
            )
            add("mlc_out", lambda: function(*inputs, out=outs), lambda _: outs)
        if threads == 1 or workload.blas:
            add("numpy", lambda: workload.numpy(*inputs), lambda r: r)
        if self.torch is not None:
            tensors = [self.torch.from_numpy(a) for a in inputs]
            eager = self.torch_fns[workload.name]
            add("torch", lambda: eager(*tensors), lambda r: r)
            if self.inductor:
                if self.inductor_startup_s is None:
                    self.start_inductor()
                # A fresh compile per thread count: Inductor bakes the thread count
                # into the OpenMP code it generates.
                self.torch._dynamo.reset()
                compiled = self.torch.compile(eager, dynamic=False)
                begin = time.perf_counter()
                try:
                    compiled(*tensors)
                    compile_s = time.perf_counter() - begin
                except Exception as e:
                    failures["inductor"] = f"{type(e).__name__}: {e}"
                else:
                    add("inductor", lambda: compiled(*tensors), lambda r: r, compile_s=compile_s)
        return calls, facts, failures

    def groups(
        self,
        workload: Workload,
        shape: tuple[int, ...],
        threads: Sequence[int],
        report: Callable[[str], None],
    ) -> list[dict[str, Any]]:
        """`workload` at `shape`, once per thread count, on the same inputs."""
        source = workload.source(shape)
        inputs = make_inputs(source)
        expected = workload.numpy(*inputs)
        results = []
        for n in threads:
            report(f"{workload.name} {'x'.join(map(str, shape))} {n}t")
            results.append(self.group(workload, shape, n, source, inputs, expected))
        return results

    def group(
        self,
        workload: Workload,
        shape: tuple[int, ...],
        threads: int,
        source: str,
        inputs: list[np.ndarray],
        expected: Any,
    ) -> dict[str, Any]:
        min_bytes = sum(a.nbytes for a in inputs) + _nbytes(expected)
        copy = CopyProbe(max(_largest(inputs), _largest(expected)), threads)
        copy()  # faults its pages in; the implementations warmed up when they were checked
        with thread_limits(threads, self.torch) as blas_controlled:
            self.blas_controlled = blas_controlled
            calls, facts, failures = self.implementations(
                workload, source, inputs, expected, threads
            )
            load = OtherLoad()
            load.start()
            samples = round_robin({**calls, COPY: copy}, self.budget, warm_up=False)
            other_load = load.stop()
        copy.close()
        copy_times = samples.pop(COPY)
        copy_gbps = copy.gbps(min(copy_times.times))
        flops = workload.flops(shape) if workload.flops else None
        for name, sample in samples.items():
            median = sample.median
            facts[name].update(sample.as_json())
            facts[name]["gbps"] = min_bytes / median / 1e9
            facts[name]["copy_fraction"] = facts[name]["gbps"] / copy_gbps
            if flops:
                facts[name]["gflops"] = flops / median / 1e9
        return {
            "workload": workload.name,
            "shape": "x".join(map(str, shape)),
            "threads": threads,
            "memory_bound": workload.memory_bound,
            "min_bytes": min_bytes,
            "flops": flops,
            "copy_bytes": copy.source.nbytes,
            "copy_gbps": copy_gbps,
            "copy_times_s": copy_times.times,
            "other_load": other_load,
            "implementations": facts,
            "failures": failures,
        }


def _progress(started: float, what: str) -> None:
    print(f"[{time.perf_counter() - started:5.0f} s] {what}", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    scratch = None
    if not args.no_torch and not args.no_inductor and not args.quick:
        # An empty Inductor cache, so its compile times are first-compile times.
        scratch = tempfile.TemporaryDirectory(prefix="inductor-bench-")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = scratch.name
    runner = Runner(args)
    machine = machine_info()
    groups = []
    for name in args.workloads:
        workload = WORKLOADS[name]
        shapes = dict.fromkeys(workload.shape_for(s, args.quick) for s in args.shapes)
        for shape in shapes:
            groups += runner.groups(workload, shape, args.threads, partial(_progress, started))
    compile_times = {}
    if not args.no_compile_time:
        # --quick: one workload's, since each costs a few seconds of fresh processes.
        for name in args.workloads[:1] if args.quick else args.workloads:
            workload = WORKLOADS[name]
            shape = workload.shape_for(args.shapes[-1], args.quick)
            _progress(started, f"compile time: {name}")
            compile_times[name] = {
                "shape": "x".join(map(str, shape)),
                **measure_compile_time(workload.source(shape)),
            }
    if scratch is not None:
        scratch.cleanup()
    machine["loadavg_end"] = _read("/proc/loadavg").split()[:3]
    return {
        "meta": {
            "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "command": "python -m benchmarks.run " + shlex.join(sys.argv[1:]),
            "quick": args.quick,
            "threads": args.threads,
            "budget": vars(QUICK_BUDGET if args.quick else FULL_BUDGET),
            "tolerance": TOLERANCE,
            "numpy_blas_threads_controlled": runner.blas_controlled,
            "inductor_startup_s": runner.inductor_startup_s,
            "inductor_cache": "empty (fresh folder)" if scratch else "Inductor's default folder",
            "notes": runner.notes,
            "total_s": time.perf_counter() - started,
        },
        "machine": machine,
        "groups": groups,
        "compile": compile_times,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        results = json.loads(args.report_only.read_text())
    else:
        results = measure(args)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.json").write_text(json.dumps(results, indent=1))
    written = report.write(results, args.out, args.docs)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    print(report.headline(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
