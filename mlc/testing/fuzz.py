"""The differential fuzzer: random programs, random pipelines, the interpreter as oracle.

    python -m mlc.testing.fuzz --count 10000 --seed 0 --out fuzz-out --jobs 2
    python -m mlc.testing.fuzz --replay fuzz-out/seed-123.mlir

Each seed makes a `FuzzCase`: a random nn program (`random_programs.random_graph`:
chains, diamonds, several results, broadcasts, reductions over random axes with and
without keepdims, softmax/layer_norm/gelu and other composites, matmuls, views,
size-1 and odd dims, f32 and f64), a random pipeline
(``decompose[,canonicalize][,cse],fuse{...}`` with fusion kinds switched on and off,
`max-ops`, `max-recompute`, `prologue`) and a thread count. `check_case` compiles it
for the CPU and compares with the interpreter (`differential.check_program`).

Every failure is minimized (`minimize`: drop results, replace ops by arguments,
shrink dims, while the failure keeps its signature) and written as a reproducer:
the program with a header naming the pipeline, the thread count, the input seed and
the failure. ``--replay FILE`` checks a reproducer again; ``python -m
mlc.testing.bisect FILE`` finds the fusion decision behind a mismatch.

The command line runs the seeds in worker processes (``--jobs``), so a segfault or a
hang in generated code loses one program, reported as such, not the run. It ends
with a summary (also `summary.json` in ``--out``) and exit status 1 if anything
failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp, TensorType
from xdsl.ir import Operation
from xdsl.rewriter import Rewriter

from mlc.api import parse, print_ir
from mlc.testing.differential import Failure, InvalidProgram, check_program
from mlc.testing.random_programs import random_graph

__all__ = [
    "FuzzCase",
    "Reproducer",
    "check_case",
    "generate_case",
    "minimize",
    "run_cases",
]

SMALL_DIMS = (1, 2, 3, 5)
"""Dim sizes of the small programs the test suite fuzzes (fast to compile and run)."""

WORKER_BATCH = 250
"""Seeds per worker process: a fresh process now and then keeps the JIT's memory flat."""


@dataclass(frozen=True)
class FuzzCase:
    """One program, the pipeline that compiles it, and how it is run."""

    seed: int
    text: str
    pipeline: str
    num_threads: int
    input_seed: int

    def check(self) -> Failure | None:
        return check_program(
            self.text, self.pipeline, num_threads=self.num_threads, input_seed=self.input_seed
        )


def random_pipeline(rng: np.random.Generator) -> str:
    """``decompose[,canonicalize][,cse],fuse{...}`` with random fuse options, or now
    and then the CPU pipeline itself (`mlc-cpu-pipeline{...}`) with random options."""
    options = {kind: rng.random() < 0.8 for kind in ("vertical", "reduction", "epilogue")}
    options["horizontal"] = rng.random() < 0.8
    options["prologue"] = rng.random() < 0.3
    max_ops = int(rng.choice([1, 2, 3, 64, 64, 64]))
    max_recompute = int(rng.choice([0, 1, 4, 4, 8]))
    if rng.random() < 0.15:
        prologue = "true" if options["prologue"] else "false"
        return (
            f"mlc-cpu-pipeline{{max-ops={max_ops} max-recompute={max_recompute} "
            f"prologue={prologue}}}"
        )
    text = " ".join(f"{k}={'true' if v else 'false'}" for k, v in options.items())
    passes = ["decompose"]
    if rng.random() < 0.8:
        passes.append("canonicalize")
    if rng.random() < 0.8:
        passes.append("cse")
    passes.append(f"fuse{{{text} max-ops={max_ops} max-recompute={max_recompute}}}")
    return ",".join(passes)


def generate_case(seed: int, *, small: bool = False) -> FuzzCase:
    """The case of `seed`; `small` draws dims from `SMALL_DIMS` and chains of 1 to 4
    steps (for the test suite)."""
    rng = np.random.default_rng([seed, 0x6D6C63])  # independent of the program's stream
    composites = bool(rng.random() < 0.5)  # half the programs hold composites
    if small:  # also shorter chains: fewer kernels to compile
        steps = int(rng.integers(1, 5))
        graph = random_graph(
            seed, steps=steps, composites=composites, dims=SMALL_DIMS, max_elements=64
        )
    else:
        graph = random_graph(seed, composites=composites)
    return FuzzCase(
        seed, graph.text, random_pipeline(rng), int(rng.choice([1, 2, 3, 4])), input_seed=seed
    )


def check_case(case: FuzzCase) -> Failure | None:
    """The case's failure, or None. A generator bug (an invalid program) is a failure
    too: the fuzzer must only produce valid programs."""
    try:
        return case.check()
    except InvalidProgram as e:
        return Failure("invalid", "invalid", f"the generated program is invalid: {e}")


# ---------------------------------------------------------------------------
# Minimization


def _the_function(module: ModuleOp) -> func.FuncOp:
    return next(op for op in module.ops if isinstance(op, func.FuncOp))


def _update_signature(function: func.FuncOp) -> None:
    block = function.body.block
    function.function_type = FunctionType.from_lists(
        [a.type for a in block.args], [v.type for v in block.last_op.operands]
    )


def _erase_dead_ops(function: func.FuncOp) -> None:
    block = function.body.block
    for op in reversed(list(block.ops)):
        if op is not block.last_op and not any(r.uses for r in op.results):
            Rewriter.erase_op(op)
    for arg in reversed(block.args):
        if not arg.uses:
            block.erase_arg(arg)
    _update_signature(function)


def _drop_result(module: ModuleOp, index: int) -> None:
    function = _the_function(module)
    ret = function.body.block.last_op
    operands = [v for n, v in enumerate(ret.operands) if n != index]
    Rewriter.replace_op(ret, func.ReturnOp(*operands))
    _erase_dead_ops(function)


def _op_to_argument(module: ModuleOp, index: int) -> None:
    """Replace the `index`-th op of the function by a new argument of its type."""
    function = _the_function(module)
    block = function.body.block
    op = list(block.ops)[index]
    arg = block.insert_arg(op.results[0].type, len(block.args))
    op.results[0].replace_all_uses_with(arg)
    Rewriter.erase_op(op)
    _erase_dead_ops(function)


def _bypass_op(module: ModuleOp, index: int, operand: int) -> None:
    """Replace the `index`-th op of the function by its `operand`-th operand."""
    function = _the_function(module)
    op = list(function.body.block.ops)[index]
    op.results[0].replace_all_uses_with(op.operands[operand])
    Rewriter.erase_op(op)
    _erase_dead_ops(function)


def _candidate_edits(module: ModuleOp) -> Iterator[Callable[[ModuleOp], None]]:
    """Edits that make the program smaller, the biggest first."""
    function = _the_function(module)
    block = function.body.block
    results = len(block.last_op.operands)
    if results > 1:
        for n in range(results):
            yield lambda m, n=n: _drop_result(m, n)
    ops: list[Operation] = list(block.ops)[:-1]
    for n in reversed(range(len(ops))):
        op = ops[n]
        if len(op.results) == 1 and isinstance(op.results[0].type, TensorType):
            yield lambda m, n=n: _op_to_argument(m, n)
            for k, operand in enumerate(op.operands):
                if operand.type == op.results[0].type:
                    yield lambda m, n=n, k=k: _bypass_op(m, n, k)


_DIM = re.compile(r"tensor<((?:\d+x)+)")


def _dims_in(text: str) -> list[int]:
    sizes = {int(d) for m in _DIM.finditer(text) for d in m.group(1).split("x") if d}
    return sorted((d for d in sizes if d > 1), reverse=True)


def _shrink_dim(text: str, size: int, to: int) -> str:
    """Every `size` in a tensor type becomes `to` (shapes that must agree stay agreeing)."""

    def shrink(m: re.Match[str]) -> str:
        dims = [str(to) if d == str(size) else d for d in m.group(1).split("x")[:-1]]
        return "tensor<" + "".join(f"{d}x" for d in dims)

    return _DIM.sub(shrink, text)


def minimize(
    text: str, fails: Callable[[str], bool], *, max_attempts: int = 400
) -> tuple[str, int]:
    """A smaller program for which `fails` still holds, and the attempts it took.

    Greedy delta debugging to a fixpoint: drop a result, replace an op by a new
    argument (its producers die with it) or by an operand of its type, shrink one
    dim size everywhere. A
    candidate that does not parse or verify is skipped (`fails` sees valid programs
    only, though it must treat an invalid program as not failing).
    """
    attempts = 0
    current = print_ir(parse(text))
    progress = True
    while progress and attempts < max_attempts:
        progress = False
        module = parse(current)
        for edit in _candidate_edits(module):
            candidate_module = module.clone()
            try:
                edit(candidate_module)
                candidate = print_ir(candidate_module)
                parse(candidate)
            except Exception:  # an edit that leaves invalid IR: not a candidate
                continue
            attempts += 1
            if fails(candidate):
                current, progress = candidate, True
                break
            if attempts >= max_attempts:
                break
        if progress:
            continue
        for size in _dims_in(current):
            for to in sorted({1, 2, size // 2} - {size}):
                candidate = _shrink_dim(current, size, to)
                try:
                    parse(candidate)
                except Exception:
                    continue
                attempts += 1
                if fails(candidate):
                    current, progress = candidate, True
                    break
            if progress or attempts >= max_attempts:
                break
    return current, attempts


def minimize_case(case: FuzzCase, failure: Failure) -> tuple[FuzzCase, Failure]:
    """The case with its program minimized, keeping `failure`'s signature."""

    def same_failure(text: str) -> bool:
        try:
            found = FuzzCase(
                case.seed, text, case.pipeline, case.num_threads, case.input_seed
            ).check()
        except InvalidProgram:
            return False
        return found is not None and found.signature == failure.signature

    text, _ = minimize(case.text, same_failure)
    small = FuzzCase(case.seed, text, case.pipeline, case.num_threads, case.input_seed)
    return small, small.check() or failure


# ---------------------------------------------------------------------------
# Reproducers

_HEADER = re.compile(r"^// (pipeline|num-threads|input-seed|seed): (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Reproducer:
    """A failing case as a file: the program after a header of `// key: value` lines."""

    case: FuzzCase
    failure: Failure

    def text(self, path: str) -> str:
        detail = "\n".join(f"//   {line}" for line in self.failure.detail.splitlines()[:12])
        return (
            f"// mlc differential fuzzer reproducer: {self.failure.signature}\n"
            f"// seed: {self.case.seed}\n"
            f"// pipeline: {self.case.pipeline}\n"
            f"// num-threads: {self.case.num_threads}\n"
            f"// input-seed: {self.case.input_seed}\n"
            f"// replay: python -m mlc.testing.fuzz --replay {path}\n"
            f"// bisect: python -m mlc.testing.bisect {path}\n"
            f"// failure:\n{detail}\n\n{self.case.text.rstrip()}\n"
        )

    @staticmethod
    def read(path: str | os.PathLike[str]) -> FuzzCase:
        """The case a reproducer file describes; ValueError naming a missing key."""
        text = Path(path).read_text(encoding="utf-8")
        header = dict(_HEADER.findall(text))
        for key in ("pipeline", "num-threads", "input-seed"):
            if key not in header:
                raise ValueError(f"{path}: the reproducer has no '// {key}: ...' line")
        return FuzzCase(
            int(header.get("seed", "0")),
            text,
            header["pipeline"],
            int(header["num-threads"]),
            int(header["input-seed"]),
        )


def write_reproducer(out: Path, case: FuzzCase, failure: Failure) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"seed-{case.seed}.mlir"
    path.write_text(Reproducer(case, failure).text(str(path)), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class Outcome:
    seed: int
    signature: str | None
    """None: the case passed."""
    reproducer: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__)


def run_cases(
    seeds: Sequence[int], *, out: Path | None = None, small: bool = False
) -> Iterator[Outcome]:
    """Check each seed's case in this process; failures are minimized and, with
    `out`, written there as reproducers."""
    for seed in seeds:
        case = generate_case(seed, small=small)
        failure = check_case(case)
        if failure is None:
            yield Outcome(seed, None)
            continue
        if failure.kind != "invalid":
            case, failure = minimize_case(case, failure)
        path = write_reproducer(out, case, failure) if out is not None else None
        yield Outcome(seed, failure.signature, str(path) if path else None)


@dataclass
class _Worker:
    process: subprocess.Popen[str]
    seeds: list[int]
    done: int = 0
    last_output: float = 0.0
    buffer: str = ""


def _start_worker(seeds: list[int], args: argparse.Namespace) -> _Worker:
    command = [sys.executable, "-m", "mlc.testing.fuzz", "--worker", "--out", str(args.out)]
    command += ["--seeds", ",".join(map(str, seeds))]
    if args.small:
        command.append("--small")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    return _Worker(process, seeds, last_output=time.monotonic())


def _lost_program(seed: int, why: str, args: argparse.Namespace) -> Outcome:
    """A seed whose worker died or hung: its program is written unminimized (the
    minimizer would run the same code in this process)."""
    case = generate_case(seed, small=args.small)
    failure = Failure("crash", why, f"the worker process {why} on this program")
    return Outcome(seed, why, str(write_reproducer(Path(args.out), case, failure)))


def coordinate(args: argparse.Namespace) -> list[Outcome]:
    """Run the seeds over `args.jobs` worker processes; every seed gets an Outcome."""
    pending = list(range(args.seed, args.seed + args.count))
    pending.reverse()
    outcomes: list[Outcome] = []
    workers: list[_Worker] = []
    selector = selectors.DefaultSelector()
    started = time.monotonic()

    def refill() -> None:
        while pending and len(workers) < args.jobs:
            batch = [pending.pop() for _ in range(min(WORKER_BATCH, len(pending)))]
            worker = _start_worker(batch, args)
            workers.append(worker)
            selector.register(worker.process.stdout, selectors.EVENT_READ, worker)

    def finish(worker: _Worker, why: str | None) -> None:
        selector.unregister(worker.process.stdout)
        workers.remove(worker)
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait()
        if worker.done < len(worker.seeds):
            if why is None:
                why = f"died (exit status {worker.process.returncode})"
            outcomes.append(_lost_program(worker.seeds[worker.done], why, args))
            pending.extend(reversed(worker.seeds[worker.done + 1 :]))

    refill()
    while workers:
        for key, _ in selector.select(timeout=5):
            worker: _Worker = key.data
            line = worker.process.stdout.readline()
            if not line:
                finish(worker, None)
                continue
            worker.last_output = time.monotonic()
            try:
                outcome = Outcome(**json.loads(line))
            except (ValueError, TypeError):  # something else printed to stdout
                print(line, end="")
                continue
            outcomes.append(outcome)
            worker.done += 1
            if outcome.signature is not None:
                print(f"seed {outcome.seed}: {outcome.signature} -> {outcome.reproducer}")
            if len(outcomes) % 500 == 0:
                rate = len(outcomes) / (time.monotonic() - started)
                failed = sum(o.signature is not None for o in outcomes)
                print(f"{len(outcomes)} programs, {failed} failing, {rate:.1f}/s", flush=True)
        for worker in list(workers):
            if time.monotonic() - worker.last_output > args.timeout:
                finish(worker, f"hung (no answer in {args.timeout} s)")
        refill()
    return sorted(outcomes, key=lambda o: o.seed)


def summarize(outcomes: Sequence[Outcome], seconds: float) -> dict[str, object]:
    failures = [o for o in outcomes if o.signature is not None]
    return {
        "programs": len(outcomes),
        "failed": len(failures),
        "seconds": round(seconds, 1),
        "by_signature": dict(Counter(o.signature for o in failures).most_common()),
        "reproducers": [o.reproducer for o in failures],
    }


def replay(paths: Sequence[str]) -> int:
    status = 0
    for path in paths:
        case = Reproducer.read(path)
        failure = check_case(case)
        print(f"{path}: {'ok' if failure is None else failure.signature}")
        if failure is not None:
            print(failure.detail)
            status = 1
    return status


def build_argument_parser() -> argparse.ArgumentParser:
    from mlc.tools.cli import ArgumentParser

    p = ArgumentParser(
        prog="python -m mlc.testing.fuzz",
        description="Differential fuzzing of the CPU pipeline against the interpreter.",
    )
    p.add_argument("--count", type=int, default=1000, help="programs to check (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument(
        "--out", type=Path, default=Path("fuzz-out"), help="reproducer folder (default fuzz-out)"
    )
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds a program may take (default 300)"
    )
    p.add_argument("--small", action="store_true", help="small dims, as the test suite uses")
    p.add_argument("--replay", nargs="+", metavar="FILE", help="check reproducers again")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seeds", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_argument_parser().parse_args(argv)
    if args.replay:
        return replay(args.replay)
    if args.worker:  # one JSON line per seed, for `coordinate`
        seeds = [int(s) for s in args.seeds.split(",")]
        for outcome in run_cases(seeds, out=args.out, small=args.small):
            print(outcome.to_json(), flush=True)
        return 0
    if args.count < 1 or args.jobs < 1:
        build_argument_parser().error("--count and --jobs must be at least 1")
    started = time.monotonic()
    outcomes = coordinate(args)
    summary = summarize(outcomes, time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "reproducers"}, indent=2))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
