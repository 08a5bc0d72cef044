"""`plan-memory`, its checker and the runtime's arena (docs/memory-planning.md).

* planned and unplanned runs of random programs give the same bits (the same
  kernels, with intermediates in the arena or in buffers of their own), also on a
  second call over an arena full of the first call's values;
* the checker rejects deliberately broken plans, located at the kernel;
* on the MLP block, the attention block, the transformer block and a stack of four
  the arena is within 10% of the lower bound (most bytes live at once);
* an executable allocates one arena across calls, one per concurrent caller, and
  its programs (with their placements) survive the compile cache's JSON.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
from programs import after, inputs_for, random_graph
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, i64

import mlc
from mlc.diagnostics import CompileError
from mlc.dialects.loop import KernelOp
from mlc.lowering.loop_to_llvm import kernel_symbols
from mlc.runtime.cpu import host_program, run_function
from mlc.runtime.program import FunctionProgram
from mlc.transforms.plan_memory import (
    ARENA_BYTES,
    ARENA_OFFSETS,
    IN_PLACE,
    check_memory_plan,
    plan_function,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def transformer_stack(layers: int) -> str:
    """`examples/transformer_block.mlir` applied `layers` times, each layer with its
    own weights: `@stack(%x, weights of layer 0, weights of layer 1, ...)`."""
    block = (EXAMPLES / "transformer_block.mlir").read_text()
    header, body = re.search(
        r"func\.func @gpt2_block\((.*?)\) -> .*? \{\n(.*)\n\}", block, re.S
    ).groups()
    weights = header.split(", ", 1)[1]
    params, lines = ["%x: tensor<16x64xf32>"], []
    current = "%x"
    for layer in range(layers):
        params.append(re.sub(r"%(\w+)", rf"%\1_{layer}", weights))
        renamed = re.sub(r"%(\w+)", rf"%\1_{layer}", body).replace(f"%x_{layer}", current)
        lines += [line for line in renamed.splitlines() if "func.return" not in line]
        current = f"%y_{layer}"
    return (
        f"func.func @stack({', '.join(params)}) -> tensor<16x64xf32> {{\n"
        + "\n".join(lines)
        + f"\n  func.return {current} : tensor<16x64xf32>\n}}\n"
    )


def unplanned(module):
    """A clone of `module` without its memory plan."""
    clone = module.clone()
    for op in clone.walk():
        for name in (ARENA_BYTES, ARENA_OFFSETS, IN_PLACE):
            op.attributes.pop(name, None)
    return clone


@pytest.mark.parametrize("seed", range(8))
def test_planned_equals_unplanned(seed):
    graph = random_graph(seed)
    exe = mlc.compile(graph.text, cache=False)
    plain = unplanned(exe.module)
    assert not check_memory_plan(next(f for f in exe.module.ops if isinstance(f, func.FuncOp)))
    rng = np.random.default_rng(seed)
    for _ in range(2):  # the second call finds the first call's values in the arena
        inputs = inputs_for(exe.module, rng)
        planned = exe.f(*inputs)
        expected = run_function(plain, "f", *inputs, kernels=exe.kernels)
        for got, want in zip(_tuple(planned), _tuple(expected), strict=True):
            np.testing.assert_array_equal(got, want)


def _tuple(value):
    return value if isinstance(value, tuple) else (value,)


def fused(text: str):
    return after(mlc.parse(text), "mlc-cpu-pipeline")


def planned_function(text: str, in_place: bool = False):
    module = after(mlc.parse(text), "decompose,canonicalize,cse,fuse")
    function = next(f for f in module.ops if isinstance(f, func.FuncOp))
    return function, plan_function(function, in_place)


@pytest.mark.parametrize(
    "text",
    [
        (EXAMPLES / "mlp.mlir").read_text(),
        (EXAMPLES / "attention.mlir").read_text(),
        (EXAMPLES / "transformer_block.mlir").read_text(),
        transformer_stack(4),
    ],
    ids=["mlp", "attention", "transformer_block", "transformer_stack_4"],
)
def test_arena_within_ten_percent_of_the_lower_bound(text):
    _, plan = planned_function(text)
    assert plan.lower_bound_bytes <= plan.arena_bytes <= 1.1 * plan.lower_bound_bytes
    assert plan.arena_bytes <= plan.naive_bytes


def test_stack_plan_reuses_across_layers():
    _, one = planned_function(transformer_stack(1))
    _, four = planned_function(transformer_stack(4))
    assert four.arena_bytes == one.arena_bytes  # layers reuse each other's buffers
    # ... while each layer's output but the last becomes an intermediate too.
    assert four.naive_bytes == 4 * one.naive_bytes + 3 * 16 * 64 * 4


def test_checker_rejects_an_overlapping_plan():
    module = fused((EXAMPLES / "transformer_block.mlir").read_text())
    function = next(f for f in module.ops if isinstance(f, func.FuncOp))
    assert check_memory_plan(function) == []
    kernels = [k for k in function.body.block.ops if isinstance(k, KernelOp)]
    placed = [k for k in kernels if k.attributes[ARENA_OFFSETS].get_values()[0] >= 0]
    # Put every intermediate at offset 0: consecutive ones are live together.
    for kernel in placed:
        kernel.attributes[ARENA_OFFSETS] = DenseArrayBase.from_list(i64, [0])
    errors = check_memory_plan(function)
    assert errors and all("overlaps" in e.message for e in errors)
    with pytest.raises(CompileError, match="overlaps"):
        host_program(module, kernel_symbols(module))
    with pytest.raises(CompileError, match="overlaps"):
        mlc.run_pipeline(module, "verify-memory-plan")


def test_checker_accepts_every_plan_it_makes_in_place():
    for seed in range(40):
        function, _ = planned_function(random_graph(seed).text)
        module = function.parent_op()
        mlc.run_pipeline(module, "plan-memory{in-place=true},verify-memory-plan")


def test_in_place_plans_are_not_run():
    chains = Path(__file__).resolve().parents[1] / "Transforms/plan-memory/placement.mlir"
    module = after(mlc.parse(chains.read_text()), "plan-memory{in-place=true}")
    assert any(IN_PLACE in k.attributes for k in module.walk())
    with pytest.raises(CompileError, match="in-place memory plans cannot run"):
        host_program(module, kernel_symbols(module))


MLP = (EXAMPLES / "mlp.mlir").read_text()


def test_one_arena_across_calls_and_one_per_concurrent_caller():
    exe = mlc.compile(MLP, cache=False)
    report = exe.memory_report()
    assert report.arena_bytes > 0 and report.arenas == 0
    x, *weights = inputs_for(exe.module, np.random.default_rng(0))
    expected = mlc.interpreter.run(mlc.parse(MLP), "mlp", x, *weights)
    for _ in range(3):
        np.testing.assert_allclose(exe.mlp(x, *weights), expected, rtol=1e-4, atol=1e-5)
    assert exe.memory_report().arenas == 1
    results: dict[int, list[np.ndarray]] = {}

    def call(n: int) -> None:
        results[n] = [exe.mlp(x + n, *weights) for _ in range(10)]

    threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, outputs in results.items():
        want = mlc.interpreter.run(mlc.parse(MLP), "mlp", x + n, *weights)
        for got in outputs:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    report = exe.memory_report()
    assert 1 <= report.arenas <= 5
    assert report.peak_bytes == report.arena_bytes * report.arenas
    assert "@mlp: arena" in str(report)


def test_program_with_placements_survives_json():
    module = fused(MLP)
    program = host_program(module, kernel_symbols(module))["mlp"]
    assert program.arena_bytes > 0
    assert any(o is not None for launch in program.launches for o in launch.arena_offsets)
    again = FunctionProgram.from_json(program.to_json(), program.constant_blobs())
    assert again.launches == program.launches
    assert (again.arena_bytes, again.naive_bytes, again.lower_bound_bytes) == (
        program.arena_bytes,
        program.naive_bytes,
        program.lower_bound_bytes,
    )
