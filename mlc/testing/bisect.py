"""Bisect a miscompile to the one compiler decision that causes it.

    python -m mlc.testing.bisect FILE.mlir --pipeline 'decompose,fuse' [--counter fuse]
    python -m mlc.testing.bisect fuzz-out/seed-123.mlir   # a fuzzer reproducer

Given a program whose compiled result differs from the interpreter's (or that
crashes the compiler), compiles it with the debug counter (`mlc.debug_counter`)
allowing only the first K decisions and binary-searches the smallest K that fails:
decision K is the culprit. It prints that decision as the transform describes it
(the remark `fuse{remarks=true}` gives when the counter refuses it, with its source
location) and the two `mlc-opt` commands that differ by exactly that decision.

The pipeline, thread count and input seed come from the options, else from a fuzzer
reproducer's header, else `mlc-cpu-pipeline`, 1 and 0. Exit status: 0 when one
decision was found; 1 when the failure does not depend on the counter's decisions,
the program does not fail, or the command line is wrong.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlc.api import parse, run_pipeline
from mlc.debug_counter import DebugCounters, debug_counters, registered_counters
from mlc.diagnostics import CompileError, DiagnosticEngine, Severity
from mlc.pipeline import Pipeline
from mlc.testing.differential import Failure, check_program
from mlc.testing.fuzz import Reproducer

__all__ = ["BisectResult", "bisect"]


@dataclass(frozen=True)
class BisectResult:
    """What `bisect` found."""

    counter: str
    decisions: int
    """How many decisions the counter saw in the failing compile."""
    culprit: int | None
    """The decision (1-based) whose taking makes the program fail; None when the
    program fails with every decision refused, or does not fail at all."""
    failure: Failure | None
    """The failure with all decisions up to the culprit taken (or with all)."""
    remarks: tuple[str, ...] = ()
    """The culprit as the transform describes it, rendered with its location."""


def _limited(counter: str, count: int) -> DebugCounters:
    return DebugCounters.parse(f"{counter}-count={count}")


def _with_remarks(pipeline: str) -> Pipeline:
    """`pipeline` with `remarks=true` on every pass that has that option."""
    passes = [
        dataclasses.replace(p, remarks=True)
        if "remarks" in getattr(p, "__dataclass_fields__", {})
        else p
        for p in Pipeline.parse(pipeline).passes
    ]
    return Pipeline(tuple(passes))


def _describe(
    text: str, filename: str, pipeline: str, counter: str, culprit: int
) -> tuple[str, ...]:
    """The remarks that name decision `culprit` when the counter refuses it."""
    engine = DiagnosticEngine()
    engine.add_source(filename, text)
    module = parse(text, filename)
    try:
        with debug_counters(_limited(counter, culprit - 1)):
            run_pipeline(module, _with_remarks(pipeline), diagnostics=engine)
    except CompileError:
        pass  # the remarks before the error are what we want
    wanted = f"debug counter '{counter}' (decision {culprit})"
    return tuple(
        d.render()
        for d in engine.diagnostics
        if d.severity == Severity.REMARK and wanted in d.message
    )


def bisect(
    text: str,
    pipeline: str,
    *,
    counter: str = "fuse",
    num_threads: int = 1,
    input_seed: int = 0,
    filename: str = "<string>",
) -> BisectResult:
    """Find the decision of `counter` that makes `text` fail through `pipeline`.

    Raises ValueError naming `counter` if it is not a registered debug counter, and
    `InvalidProgram` if the program itself is invalid.
    """
    if counter not in registered_counters():
        raise ValueError(f"counter: no debug counter named {counter!r}")

    def fails(count: int | None) -> tuple[Failure | None, int]:
        counters = DebugCounters() if count is None else _limited(counter, count)
        found = check_program(
            text,
            pipeline,
            num_threads=num_threads,
            input_seed=input_seed,
            debug_counter=counters,
        )
        return found, counters.seen.get(counter, 0)

    failure, decisions = fails(None)
    if failure is None:
        return BisectResult(counter, decisions, None, None)
    if fails(0)[0] is not None:
        return BisectResult(counter, decisions, None, failure)
    good, bad = 0, decisions  # invariant: count=good passes, count=bad fails
    while bad - good > 1:
        middle = (good + bad) // 2
        if fails(middle)[0] is None:
            good = middle
        else:
            bad = middle
    culprit_failure = fails(bad)[0] or failure
    remarks = _describe(text, filename, pipeline, counter, bad)
    return BisectResult(counter, decisions, bad, culprit_failure, remarks)


def _mlc_opt_command(
    path: str, plugins: Sequence[str], pipeline: str, counter: str, count: int
) -> str:
    loads = [f"--load-pass-plugin={plugin}" for plugin in plugins]
    return shlex.join(
        ["mlc-opt", path, *loads, "-p", pipeline, f"--debug-counter={counter}-count={count}"]
    )


def main(argv: Sequence[str] | None = None) -> int:
    from mlc.passes import load_pass_plugin
    from mlc.tools.cli import ArgumentParser

    p = ArgumentParser(
        prog="python -m mlc.testing.bisect",
        description="Find the compiler decision that makes a program's result wrong.",
    )
    p.add_argument("file", metavar="FILE.mlir", help="the failing program")
    p.add_argument("--pipeline", help="the pipeline that miscompiles it")
    p.add_argument("--counter", default="fuse", help="the debug counter to bisect (fuse)")
    p.add_argument("--num-threads", type=int, help="threads the kernels run on")
    p.add_argument("--input-seed", type=int, help="seed of the random inputs")
    p.add_argument(
        "--load-pass-plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="import a Python file that registers more passes (repeatable)",
    )
    args = p.parse_args(argv)
    for plugin in args.load_pass_plugin:
        load_pass_plugin(plugin)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as e:
        p.error(f"cannot read '{args.file}': {e.strerror}")
    try:
        header = Reproducer.read(args.file)
    except ValueError:
        header = None
    pipeline = args.pipeline or (header.pipeline if header else "mlc-cpu-pipeline")
    num_threads = args.num_threads or (header.num_threads if header else 1)
    input_seed = (
        args.input_seed if args.input_seed is not None else (header.input_seed if header else 0)
    )
    try:
        result = bisect(
            text,
            pipeline,
            counter=args.counter,
            num_threads=num_threads,
            input_seed=input_seed,
            filename=args.file,
        )
    except ValueError as e:
        p.error(str(e))
    except CompileError as e:
        print(str(e), file=sys.stderr)
        return 1
    name = f"'{result.counter}'"
    if result.failure is None:
        print(f"the program does not fail through {pipeline}: nothing to bisect")
        return 1
    if result.culprit is None:
        print(
            f"the program fails even with every {name} decision refused "
            f"({result.decisions} in all): not one of them is the cause\n"
            f"{result.failure.detail}"
        )
        return 1
    print(
        f"{result.decisions} {name} decisions: right with the first {result.culprit - 1}, "
        f"wrong with the first {result.culprit}"
    )
    print(f"the culprit is decision {result.culprit} of {name}:")
    for remark in result.remarks or ("(the transform gave no remark for it)",):
        print(remark)
    print(f"with it taken: {result.failure.detail.splitlines()[0]}")
    print("the compiles without and with it:")
    for count in (result.culprit - 1, result.culprit):
        command = _mlc_opt_command(
            args.file, args.load_pass_plugin, pipeline, result.counter, count
        )
        print(f"  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
