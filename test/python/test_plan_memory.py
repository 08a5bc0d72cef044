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
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from programs import after, assert_agree, inputs_for, random_graph
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, i64

import mlc
from mlc.diagnostics import CompileError
from mlc.dialects.loop import TILE_SIZES, KernelOp
from mlc.lowering.loop_to_llvm import kernel_symbols
from mlc.runtime import native
from mlc.runtime.cpu import compile_kernels, host_program, run_function
from mlc.runtime.program import FunctionProgram
from mlc.transforms.plan_memory import (
    ARENA_BYTES,
    ARENA_OFFSETS,
    IN_PLACE,
    check_memory_plan,
    plan_function,
    read_plan,
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


PLACEMENT = Path(__file__).resolve().parents[1] / "Transforms/plan-memory/placement.mlir"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("tiles", [None, (3, 5)])
def test_in_place_plans_run_and_equal_the_interpreter(threads, tiles, monkeypatch):
    # Split even these small kernels over threads, as large ones are.
    monkeypatch.setattr(native, "MIN_POINTS_PER_THREAD", 1)
    module = after(mlc.parse(PLACEMENT.read_text()), "plan-memory{in-place=true}")
    function = next(f for f in module.ops if isinstance(f, func.FuncOp))
    assert len(read_plan(function).in_place) == 2
    if tiles is not None:  # tiles clipped at both dims, thread ranges across tiles
        for buffer in read_plan(function).in_place:
            buffer.kernel.attributes[TILE_SIZES] = DenseArrayBase.from_list(i64, tiles)
    x = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32)
    expected = mlc.interpreter.run(module, "chain", x)
    got = run_function(module, "chain", x, num_threads=threads)
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # exp: a few ulps off libm


# Unfused (one nn op per kernel, nothing recomputed) and tiled: every point-wise
# kernel over a dying intermediate is a candidate for in-place reuse.
UNFUSED = "decompose,canonicalize,cse,fuse{max-ops=1 max-recompute=0},tile,plan-memory"


def test_random_programs_in_place_equal_the_interpreter(monkeypatch):
    monkeypatch.setattr(native, "MIN_POINTS_PER_THREAD", 1)
    reused = 0
    for seed in range(16):
        graph = random_graph(seed)
        source = mlc.parse(graph.text)
        module = after(source, UNFUSED)
        function = next(f for f in module.ops if isinstance(f, func.FuncOp))
        reused += len(read_plan(function).in_place)
        kernels = compile_kernels(module)
        inputs = inputs_for(module, np.random.default_rng(seed))
        expected = mlc.interpreter.run(source, "f", *inputs)
        separate = run_function(unplanned(module), "f", *inputs, kernels=kernels)
        for threads in (1, 2, 2):  # later calls find earlier calls' values in the arena
            got = run_function(module, "f", *inputs, kernels=kernels, num_threads=threads)
            for g, e, s in zip(_tuple(got), _tuple(expected), _tuple(separate), strict=True):
                np.testing.assert_array_equal(g, s)  # one kernel code, either buffer layout
                magnitude = max(1.0, float(np.nanmax(np.abs(e), initial=0.0)))
                tolerance = 1e-5 * magnitude * graph.reduction_length
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=tolerance, equal_nan=True)
    assert reused >= 10


CHAIN = """func.func @f(%x: tensor<64x256xf32>, %w: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %a = nn.mul %x, %w : tensor<64x256xf32>
  %b = nn.exp %a : tensor<64x256xf32>
  %c = nn.add %b, %x : tensor<64x256xf32>
  %d = nn.tanh %c : tensor<64x256xf32>
  %e = nn.mul %d, %w : tensor<64x256xf32>
  func.return %e : tensor<64x256xf32>
}"""


def test_point_wise_chain_runs_in_one_buffer(capsys):
    reports = {}
    for in_place in ("true", "false"):
        pipeline = UNFUSED.replace("plan-memory", f"plan-memory{{in-place={in_place} report=true}}")
        after(mlc.parse(CHAIN), pipeline)
        reports[in_place] = capsys.readouterr().err
    assert "4 intermediates (3 in place): arena 65536 B, naive 262144 B" in reports["true"]
    assert "4 intermediates (0 in place): arena 131072 B, naive 262144 B" in reports["false"]
    module = after(mlc.parse(CHAIN), UNFUSED)  # in place by default
    assert sum(IN_PLACE in k.attributes for k in module.walk()) == 3
    rng = np.random.default_rng(1)
    x, w = (rng.standard_normal((64, 256)).astype(np.float32) for _ in range(2))
    expected = mlc.interpreter.run(mlc.parse(CHAIN), "f", x, w)
    for threads in (1, 2):
        got = run_function(module, "f", x, w, num_threads=threads)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


MLP = (EXAMPLES / "mlp.mlir").read_text()


def test_one_arena_across_calls_and_one_per_concurrent_caller():
    exe = mlc.compile(MLP, cache=False)
    report = exe.memory_report()
    assert report.arena_bytes > 0 and report.arenas == 0
    x, *weights = inputs_for(exe.module, np.random.default_rng(0))
    expected = mlc.interpreter.run(mlc.parse(MLP), "mlp", x, *weights)
    for _ in range(3):
        assert_agree(expected, exe.mlp(x, *weights))
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
            assert_agree(want, got)
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


def test_a_broken_plan_is_refused_where_ir_is_verified():
    text = (
        Path(__file__).resolve().parents[1] / "Transforms/plan-memory/verify-each.mlir"
    ).read_text()
    module = after(mlc.parse(text, "plan.mlir"), "plan-memory")
    for kernel in module.walk():
        if isinstance(kernel, KernelOp) and kernel.attributes[ARENA_OFFSETS].get_values()[0] > 0:
            kernel.attributes[ARENA_OFFSETS] = DenseArrayBase.from_list(i64, [0])
    with pytest.raises(
        CompileError, match=r"plan\.mlir:\d+:3: error: result #0 at \[0, 256\) overlaps"
    ):
        mlc.run_pipeline(module, "canonicalize")  # verified after the pass, whichever it is
    with pytest.raises(
        CompileError, match=r"broken\.mlir:\d+:\d+: error: result #0 at \[0, 256\) overlaps"
    ):
        mlc.parse(mlc.print(module), "broken.mlir")


def test_the_plan_checker_loads_only_for_planned_ir(tmp_path):
    code = (
        "import sys, mlc; mlc.parse(open(sys.argv[1]).read()); "
        "print('mlc.transforms.plan_memory' in sys.modules)"
    )
    for text, loaded in ((MLP, "False"), (mlc.print(fused(MLP)), "True")):
        path = tmp_path / "input.mlir"
        path.write_text(text)
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == loaded
