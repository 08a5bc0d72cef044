"""Differential tests of `fuse` on seeded random graphs of nn primitives.

Each seed builds a program with `programs.random_graph` (chains, diamonds, several
results, explicit broadcasts, transposes, reshapes, slices, reductions over random
axes with and without keepdims and their broadcast-back consumers, softmax and norms
spelled as primitives, 2-D and batched matmuls with epilogues, concat, gather,
compare + select with iota masks, casts, size-1 and odd dims, f32 and f64; a quarter
of the programs also hold composites, which `decompose` expands first). The program
is interpreted, then fused with every configuration in `PIPELINES`, and each result:

* verifies, and holds no nn op but `nn.constant` (everything else is in kernels);
* computes the unfused values: f64 within 1e-10 relative, f32 within 1e-5, and an
  absolute error of the same factor times the result's magnitude times the longest
  sum the program has (a fused sum adds in another order than `nn.reduce_sum` and
  `nn.matmul` do);
* has at least as many kernels as default `fuse` when a fusion kind is disabled.

A failure names the seed and prints the program (rerun one with
`pytest test/python/test_fuse_random.py -k 'seed_17'`).

`KNOWN_BUGS` lists failures of `fuse` that are open, each with a minimal reproducer
that is a strict xfail in `test_fuse.py`: a seed whose every problem is one of them is
reported as xfail. When a fix lands, its reproducer XPASSes (strictly: a failure), and
the entry here goes with it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from programs import after, evaluate, inputs_for, random_graph

import mlc
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.testing.differential import F32_TOLERANCE, F64_TOLERANCE, compare
from mlc.transforms.fuse import FusePass

SEEDS = range(100)

PIPELINES = {
    "default": "fuse",
    "vertical": "fuse{vertical=false}",
    "reduction": "fuse{reduction=false}",
    "epilogue": "fuse{epilogue=false}",
    "horizontal": "fuse{horizontal=false}",
    "max-ops": "fuse{max-ops=1}",
}
if "max_recompute" in FusePass.__dataclass_fields__:
    # Recomputing cheap producers in their readers hides how the other producers
    # are placed: run once with every value computed in a kernel (values only).
    PIPELINES["no-recompute"] = "fuse{max-recompute=0}"

# (pattern of the problem, the bug): see the strict xfails in test_fuse.py.
KNOWN_BUGS: list[tuple[str, str]] = []


def _results(value) -> tuple[np.ndarray, ...]:
    return value if isinstance(value, tuple) else (value,)


def _kernel_count(module) -> int:
    return sum(isinstance(op, KernelOp) for op in module.walk())


def _leftover_nn_ops(module) -> list[str]:
    return [
        op.name
        for op in module.walk()
        if isinstance(op, nn.NNOp) and not isinstance(op, nn.ConstantOp)
    ]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed_{s}")
def test_fuse_keeps_values(seed: int):
    graph = random_graph(seed)
    module = mlc.parse(graph.text)
    if graph.has_composites:
        module = after(module, "decompose")
    inputs = inputs_for(module, np.random.default_rng(seed))
    expected = _results(evaluate(module, inputs))
    rtol = F64_TOLERANCE if graph.dtype == "f64" else F32_TOLERANCE

    problems: list[str] = []
    kernels: dict[str, int] = {}
    for kind, pipeline in PIPELINES.items():
        try:
            fused = after(module, pipeline)
            if left := _leftover_nn_ops(fused):
                problems.append(f"{pipeline}: nn ops left after fuse: {left}")
            actual = _results(evaluate(fused, inputs))
        except Exception as e:  # a crash or a verifier error is a finding, not the end
            problems.append(f"{pipeline}: {type(e).__name__}: {e}")
            continue
        kernels[kind] = _kernel_count(fused)
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            if (why := compare(e, a, rtol, graph.reduction_length)) is not None:
                problems.append(f"{pipeline}: result #{n} differs:\n{why}")
    if "default" in kernels:
        for kind, count in kernels.items():
            # Recomputation trades stores for scalar work and may change how kernels
            # group either way; only disabling a fusion kind must not merge kernels.
            if kind != "no-recompute" and count < kernels["default"]:
                problems.append(
                    f"{PIPELINES[kind]}: {count} kernels, fewer than the "
                    f"{kernels['default']} of default fuse"
                )
    if not problems:
        return
    report = "\n".join(problems) + f"\n\nthe program (seed {seed}):\n{graph.text}"
    known = [
        next((bug for pattern, bug in KNOWN_BUGS if re.search(pattern, p)), None) for p in problems
    ]
    if all(known):
        pytest.xfail("; ".join(sorted(set(known))))
    pytest.fail(report, pytrace=False)


def test_generator_is_deterministic_and_varied():
    """Same seed, same program; the seeds cover the constructs the tests are about."""
    assert random_graph(7).text == random_graph(7).text
    texts = "\n".join(random_graph(s).text for s in SEEDS)
    for construct in (
        "nn.broadcast_in_dim",
        "nn.transpose",
        "nn.reshape",
        "nn.slice",
        "keepdims",
        "nn.reduce_max",
        "nn.reduce_sum",
        "nn.matmul",
        "nn.concat",
        "nn.gather",
        "nn.iota",
        "nn.select",
        "nn.expand_dims",
        "nn.squeeze",
        "xf64>",
        "x1x",
    ):
        assert construct in texts, construct
    assert any(random_graph(s).has_composites for s in SEEDS)
    # Batched matmuls (rank-3 operands) and programs with several results.
    assert re.search(r"nn.matmul %\w+, %\w+ : tensor<\d+x\d+x\d+x", texts)
    assert re.search(r"-> \(tensor<[^)]*, tensor<", texts)
