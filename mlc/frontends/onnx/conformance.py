"""Runs the ONNX backend node conformance suite against mlc and counts the outcomes.

    python -m mlc.frontends.onnx.conformance                 # every node case
    python -m mlc.frontends.onnx.conformance -k 'softmax|gemm' --markdown report.md

Each node case shipped in the onnx package (`onnx.backend.test.case.node`) is
prepared with `mlc.frontends.onnx.backend`, run on its inputs and compared with its
outputs the way `onnx.backend.test.BackendTest` does (same tolerances). A case is

* **pass**: the outputs match;
* **unsupported**: the importer rejects the model (`UnsupportedModelError`: an op,
  element type or attribute nn cannot express);
* **fail**: anything else: a wrong result, a compile error, a crash or a timeout.

Cases run in worker processes (`--jobs`), one process's crash failing one case.
The report (`--markdown`) lists the counts per op, every failure with its first
line, and the most common reasons for unsupported cases.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import multiprocessing
import re
import sys
import time
import traceback
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Outcome", "load_cases", "main", "markdown", "run_case"]

_CASES: list = []
"""The cases being run; workers forked from the runner inherit them."""


@dataclass(frozen=True)
class Outcome:
    name: str
    op_type: str
    status: str  # "pass", "fail" or "unsupported"
    detail: str
    seconds: float


def load_cases(modules: Iterable[str] | None = None) -> list:
    """The node test cases of onnx, all of them or those of some case modules.

    `modules` names modules of `onnx.backend.test.case.node` (`"add"`, `"reducesum"`):
    generating every case takes about 14 s, most of it the pooling ops'.
    """
    from onnx.backend.test.case import node

    with warnings.catch_warnings():  # the generators overflow casts on purpose
        warnings.simplefilter("ignore")
        if modules is None:
            from onnx.backend.test.loader import load_model_tests

            return list(load_model_tests(kind="node"))
        before = len(node._NodeTestCases)
        for module in modules:
            importlib.import_module(f"{node.__name__}.{module}")
        return list(node._NodeTestCases[before:])


def _op_type(case: object) -> str:
    nodes = case.model.graph.node
    return nodes[0].op_type if len(nodes) == 1 else "(expanded functions)"


def run_case(case: object) -> Outcome:
    """Prepares, runs and checks one node case."""
    import onnx.backend.test.runner as runner

    from mlc.frontends.onnx import UnsupportedModelError, backend

    start = time.perf_counter()
    try:
        prepared = backend.prepare(case.model)
        for inputs, expected in case.data_sets:
            outputs = prepared.run([runner._normalize_tensor(a) for a in inputs])
            runner.Runner.assert_similar_outputs(
                [runner._normalize_tensor(a) for a in expected],
                outputs,
                rtol=case.rtol,
                atol=case.atol,
            )
        status, detail = "pass", ""
    except UnsupportedModelError as e:
        status, detail = "unsupported", str(e)
    except Exception as e:  # any other failure is the case's outcome, not the runner's
        status = "fail"
        detail = f"{type(e).__name__}: {e}".strip() or traceback.format_exc(limit=1)
    return Outcome(case.name, _op_type(case), status, detail, time.perf_counter() - start)


def _run_index(index: int) -> Outcome:
    return run_case(_CASES[index])


def run_cases(cases: Sequence, jobs: int, timeout: float) -> list[Outcome]:
    """Every case in worker processes; a crashed or hung worker fails its case."""
    _CASES[:] = cases
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, maxtasksperchild=50) as pool:
        pending = [(case, pool.apply_async(_run_index, (i,))) for i, case in enumerate(cases)]
        outcomes = []
        for case, result in pending:
            try:
                outcomes.append(result.get(timeout))
            except multiprocessing.TimeoutError:
                detail = f"no result within {timeout:.0f} s (crashed or hung)"
                outcomes.append(Outcome(case.name, _op_type(case), "fail", detail, timeout))
    return outcomes


def _first_line(text: str, width: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def markdown(outcomes: Sequence[Outcome], command: str) -> str:
    """The report: totals, counts per op, failures and unsupported reasons."""
    counts = collections.Counter(o.status for o in outcomes)
    total = len(outcomes)
    lines = [
        "# ONNX backend node conformance of mlc",
        "",
        f"`{command}`",
        "",
        f"{total} node cases: **{counts['pass']} pass**, {counts['fail']} fail, "
        f"{counts['unsupported']} unsupported.",
        "",
        "## Per op",
        "",
        "| op | pass | fail | unsupported |",
        "|---|---:|---:|---:|",
    ]
    by_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_op[o.op_type][o.status] += 1
    for op, c in sorted(by_op.items(), key=lambda item: (-item[1]["pass"], item[0])):
        lines.append(f"| {op} | {c['pass']} | {c['fail']} | {c['unsupported']} |")
    lines += ["", "## Failures", ""]
    failures = [o for o in outcomes if o.status == "fail"]
    lines += [f"* `{o.name}`: {_first_line(o.detail)}" for o in failures] or ["None."]
    lines += ["", "## Most common reasons for unsupported cases", ""]
    # Reasons without the node's name and numbers, so that alike cases group together.
    reasons = collections.Counter(
        re.sub(r"'[^']*'|\d+", "…", _first_line(o.detail.partition("): ")[2] or o.detail))
        for o in outcomes
        if o.status == "unsupported"
    )
    lines += [f"* {count}: {reason}" for reason, count in reasons.most_common(30)]
    slowest = sorted(outcomes, key=lambda o: -o.seconds)[:5]
    lines += ["", "## Slowest cases", ""]
    lines += [f"* `{o.name}`: {o.seconds:.2f} s" for o in slowest]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlc.frontends.onnx.conformance", description=__doc__.splitlines()[0]
    )
    parser.add_argument("-k", "--filter", help="only cases whose name matches this regex")
    parser.add_argument("-j", "--jobs", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    parser.add_argument("--markdown", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--passing", metavar="FILE", help="write the names of the passing cases to FILE"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = load_cases()
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c.name)]
    outcomes = run_cases(cases, max(args.jobs, 1), args.timeout)
    counts = collections.Counter(o.status for o in outcomes)
    print(
        f"{len(outcomes)} node cases: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['unsupported']} unsupported ({time.perf_counter() - started:.0f} s)"
    )
    if args.markdown:
        command = "python -m mlc.frontends.onnx.conformance " + " ".join(argv or sys.argv[1:])
        with open(args.markdown, "w") as report:
            report.write(markdown(outcomes, command.strip()))
    if args.passing:
        with open(args.passing, "w") as names:
            names.writelines(f"{o.name}\n" for o in outcomes if o.status == "pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
