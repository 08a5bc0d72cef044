"""`fuse` on the standard workloads, and minimal reproducers of its open bugs.

* Kernel counts: every example after `decompose,canonicalize,cse,fuse`, pinned with
  the reason for each kernel (`EXPECTED_KERNELS`).
* Bytes: for the normalisations and point-wise epilogues, the kernels' inputs and
  outputs add up to `minimum_bytes` (each used argument read once, each result
  written once), and `fuse{report=true}` says so.
* Values: each fused example computes what the interpreter computes for the original
  (f32: 1e-5 relative, 1e-5 times the result's magnitude absolute, see
  `programs.TOLERANCES`).
* Syntax: the fused IR prints, parses and prints the same, also via the generic form.
* Contract: `fuse` refuses composites and implicit broadcasts with an error at the op
  that tells to run `decompose`.
* Known bugs (`strict=True` xfails, so a fix shows up as a failure to update): each
  is the smallest program found by `test_fuse_random.py` or by construction.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from programs import after, assert_agree, evaluate, inputs_for
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

import mlc
from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.interpreter import run
from mlc.transforms.fuse import minimum_bytes, tensor_bytes, unfused_bytes

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.mlir"))
PREPARE = "decompose,canonicalize,cse"
PIPELINE = f"{PREPARE},fuse"


def load(name: str) -> ModuleOp:
    path = EXAMPLES_DIR / f"{name}.mlir"
    return mlc.parse(path.read_text(), str(path))


def the_function(module: ModuleOp) -> func.FuncOp:
    (function,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    return function


def kernels(module: ModuleOp) -> list[KernelOp]:
    return [op for op in module.walk() if isinstance(op, KernelOp)]


def leftover_nn_ops(module: ModuleOp) -> list[str]:
    return [
        op.name
        for op in module.walk()
        if isinstance(op, nn.NNOp) and not isinstance(op, nn.ConstantOp)
    ]


def results(value) -> tuple[np.ndarray, ...]:
    return value if isinstance(value, tuple) else (value,)


# ---------------------------------------------------------------------------
# Kernel counts

EXPECTED_KERNELS = {
    # max, x - max, exp, sum, divide: one sweep per row (reductions over the row,
    # their consumers run "broadcast back" over it).
    "softmax": 1,
    # softmax with log(sum) subtracted instead of a division.
    "log_softmax": 1,
    # mean, centred values, variance, rsqrt, scale and shift: one kernel per row.
    "layer_norm": 1,
    # x*x is recomputed from %x where read; mean, rsqrt and both scalings in the sweep.
    "rms_norm": 1,
    # x + b and the erf GELU: point-wise, the bias an index map.
    "gelu_bias": 1,
    # silu(x + b) * gate spelled as six point-wise ops.
    "pointwise_chain": 1,
    # the residual add, then layer_norm of its result; the sum is a second output.
    "add_layer_norm": 1,
    # row sum and row max of one input: two kernels merged horizontally.
    "row_reductions": 1,
    # k0: linear 64->256 (matmul, bias add) with the exact GELU as its epilogue;
    # k1: linear 256->64 with its bias add. The GELU output is the second matmul's
    # operand (its prologue): each of the 64 output columns would recompute it, so it
    # is stored once (32x256) and read back.
    "mlp": 2,
    # k0: the q, k and v projections with their biases, merged horizontally (they
    #     share %x and have one domain 16x64x64);
    # k1: q.k^T per head (4x16x16, contracting 16) with the scale and the causal
    #     mask (select; the iota mask is computed in place) as epilogue;
    # k2: softmax over the keys: its reductions are over another dim than k1's
    #     contraction ("reduction dims differ"), so it is a kernel of its own;
    # k3: probabilities . v per head (a contraction reading k2's output: no prologue
    #     fusion);
    # k4: output projection and bias, reading the merged heads through the
    #     transpose and reshape index maps.
    "attention": 5,
    # k0: ln_1; k1: the fused qkv projection and bias (ln_1's output is its
    # prologue); k2: scores, scale, mask; k3: softmax; k4: probabilities . v;
    # k5: output projection, bias and the residual add; k6: ln_2 (it reduces over
    # another dim than k5's contraction); k7: fc, bias and the tanh GELU epilogue;
    # k8: fc_proj, bias and the second residual add.
    "transformer_block": 9,
}


def test_every_example_has_an_expected_kernel_count():
    assert set(EXPECTED_KERNELS) == {p.stem for p in EXAMPLES}


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
def test_kernel_count(name: str):
    fused = after(load(name), PIPELINE)
    assert len(kernels(fused)) == EXPECTED_KERNELS[name]
    assert leftover_nn_ops(fused) == []


# ---------------------------------------------------------------------------
# Bytes moved

MINIMAL = ["softmax", "layer_norm", "rms_norm", "gelu_bias", "add_layer_norm"]
REPORT_TOTALS = re.compile(r"bytes moved: (\d+) B unfused, (\d+) B fused, (\d+) B minimum")


@pytest.mark.parametrize("name", MINIMAL)
def test_fused_bytes_are_the_minimum(name: str, capsys):
    module = after(load(name), PREPARE)
    unfused = unfused_bytes(the_function(module))
    minimum = minimum_bytes(the_function(module))
    capsys.readouterr()
    mlc.run_pipeline(module, "fuse{report=true}")
    moved = sum(tensor_bytes(v.type) for k in kernels(module) for v in (*k.inputs, *k.outputs))
    assert moved == minimum < unfused
    # The report says the same.
    totals = REPORT_TOTALS.search(capsys.readouterr().err)
    assert totals is not None
    assert tuple(map(int, totals.groups())) == (unfused, moved, minimum)


def test_minimum_bytes_counts_used_arguments_and_results():
    """add_layer_norm: x, residual, weight and bias read, y and the residual sum written."""
    module = after(load("add_layer_norm"), PREPARE)
    floats = 32 * 64 * 4
    assert minimum_bytes(the_function(module)) == 2 * floats + 2 * 64 * 4 + 2 * floats


# ---------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fused_example_computes_the_same_values(path: Path):
    module = mlc.parse(path.read_text(), str(path))
    name = the_function(module).sym_name.data
    inputs = inputs_for(module, np.random.default_rng(0))
    expected = results(run(module, name, *inputs))
    fused = after(module, PIPELINE)
    actual = results(run(fused, name, *inputs))
    assert len(actual) == len(expected)
    for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
        assert_agree(e, a, what=f"{path.stem} result #{n}")


# ---------------------------------------------------------------------------
# Syntax


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fused_ir_round_trips(path: Path):
    fused = after(mlc.parse(path.read_text(), str(path)), PIPELINE)
    text = mlc.print_ir(fused)
    assert "loop.kernel" in text
    assert mlc.print_ir(mlc.parse(text)) == text
    generic = mlc.print_ir(fused, generic=True)
    assert '"loop.kernel"' in generic
    reparsed = mlc.parse(generic)
    assert mlc.print_ir(reparsed) == text
    assert mlc.print_ir(reparsed, generic=True) == generic


# ---------------------------------------------------------------------------
# Only explicit primitives

NOT_PRIMITIVE = {
    "composite": (
        "func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {\n"
        "  %y = nn.softmax %x axis = 1 : tensor<4x8xf32>\n"
        "  func.return %y : tensor<4x8xf32>\n"
        "}\n",
        "'nn.softmax' is a composite; run 'decompose'",
    ),
    "implicit broadcast": (
        "func.func @f(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {\n"
        "  %y = nn.add %x, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>\n"
        "  func.return %y : tensor<4x8xf32>\n"
        "}\n",
        "broadcasts implicitly; decompose makes the broadcast explicit",
    ),
    "mixed element types": (
        "func.func @f(%x: tensor<4xf32>, %y: tensor<4xf64>) -> tensor<4xf64> {\n"
        "  %z = nn.mul %x, %y : tensor<4xf32>, tensor<4xf64> -> tensor<4xf64>\n"
        "  func.return %z : tensor<4xf64>\n"
        "}\n",
        "mixes element types; decompose makes the casts explicit",
    ),
    "batch broadcast": (
        "func.func @f(%a: tensor<2x4x8xf32>, %b: tensor<8x3xf32>) -> tensor<2x4x3xf32> {\n"
        "  %c = nn.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x3xf32> -> tensor<2x4x3xf32>\n"
        "  func.return %c : tensor<2x4x3xf32>\n"
        "}\n",
        "broadcasts batch dims implicitly; decompose makes them explicit",
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_PRIMITIVE))
def test_fuse_needs_explicit_primitives(case: str):
    text, reason = NOT_PRIMITIVE[case]
    module = mlc.parse(text, "input.mlir")
    with pytest.raises(CompileError) as info:
        mlc.run_pipeline(module, "fuse")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.message.startswith("fuse needs explicit primitives: ")
    assert reason in diagnostic.message
    assert "decompose" in diagnostic.message
    # At the offending op: line 2, where the op's result name starts.
    location = diagnostic.location
    assert str(location) == "input.mlir:2:3"
    # After decompose the same program fuses.
    fused = after(mlc.parse(text), "decompose,fuse")
    assert kernels(fused) and leftover_nn_ops(fused) == []


def test_composites_anywhere_are_reported_before_fusing_anything():
    """The first composite is named even after primitives that would fuse."""
    text = (
        "func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {\n"
        "  %e = nn.exp %x : tensor<4x8xf32>\n"
        "  %y = nn.gelu %e : tensor<4x8xf32>\n"
        "  func.return %y : tensor<4x8xf32>\n"
        "}\n"
    )
    module = mlc.parse(text, "input.mlir")
    with pytest.raises(CompileError) as info:
        mlc.run_pipeline(module, "fuse")
    (diagnostic,) = info.value.diagnostics
    assert "'nn.gelu' is a composite" in diagnostic.message
    assert diagnostic.location.line == 3


# ---------------------------------------------------------------------------
# Known bugs: minimal reproducers


def assert_fuse_keeps_values(text: str, pipeline: str = "fuse", seed: int = 0) -> ModuleOp:
    """`text` fused with `pipeline` verifies, keeps no nn op and computes the same."""
    module = mlc.parse(text)
    inputs = inputs_for(module, np.random.default_rng(seed))
    expected = results(evaluate(module, inputs))
    fused = after(module, pipeline)
    assert leftover_nn_ops(fused) == []
    actual = results(evaluate(fused, inputs))
    for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
        assert_agree(e, a, what=f"result #{n}")
    return fused


def test_prefix_slice_is_not_the_same_point():
    # %e is returned, so it is stored rather than recomputed in its readers.
    assert_fuse_keeps_values(
        """
        func.func @f(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
          %e = nn.exp %x : tensor<4x8xf32>
          %s = nn.slice %e start = [0, 0] stop = [4, 4] step = [1, 1] : tensor<4x8xf32> -> tensor<4x4xf32>
          %r = nn.reduce_sum %s axes = [1] : tensor<4x4xf32> -> tensor<4xf32>
          func.return %r, %e : tensor<4xf32>, tensor<4x8xf32>
        }
        """
    )


def test_broadcast_dim_is_not_a_reduced_dim():
    # sum(broadcast(sum(x) * y, 3x3)) is 3 * sum(x) * sum(y); fused it is 1 * ...
    assert_fuse_keeps_values(
        """
        func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>) -> tensor<f64> {
          %r = nn.reduce_sum %x axes = [0] keepdims : tensor<3xf64> -> tensor<1xf64>
          %b = nn.broadcast_in_dim %r dims = [0] : tensor<1xf64> -> tensor<3xf64>
          %m = nn.mul %b, %y : tensor<3xf64>
          %c = nn.broadcast_in_dim %m dims = [1] : tensor<3xf64> -> tensor<3x3xf64>
          %s = nn.reduce_sum %c axes = [0, 1] : tensor<3x3xf64> -> tensor<f64>
          func.return %s : tensor<f64>
        }
        """
    )


def test_size_one_dims():
    assert_fuse_keeps_values(
        """
        func.func @f(%x: tensor<1xf32>) -> (tensor<1xf32>, tensor<1xf32>) {
          %t = nn.tanh %x : tensor<1xf32>
          %e = nn.exp %t : tensor<1xf32>
          func.return %e, %t : tensor<1xf32>, tensor<1xf32>
        }
        """
    )


def test_reduction_over_size_one_dim():
    assert_fuse_keeps_values(
        """
        func.func @f(%x: tensor<2x1xf32>) -> (tensor<2x1xf32>, tensor<2x1xf32>) {
          %t = nn.tanh %x : tensor<2x1xf32>
          %r = nn.reduce_sum %t axes = [1] keepdims : tensor<2x1xf32> -> tensor<2x1xf32>
          func.return %r, %t : tensor<2x1xf32>, tensor<2x1xf32>
        }
        """
    )


RETURNED_VIEWS = {
    # Out-of-bounds load at verification: the transpose is placed as if it read %e
    # at its own indices (d0, d1) over an 8x4 domain.
    "transpose": """
        func.func @f(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
          %e = nn.exp %x : tensor<4x8xf32>
          %t = nn.transpose %e perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
          func.return %e, %t : tensor<4x8xf32>, tensor<8x4xf32>
        }
        """,
    # Square: it verifies, but the kernel loads %e from its own result %e.
    "square transpose": """
        func.func @f(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
          %e = nn.exp %x : tensor<4x4xf32>
          %t = nn.transpose %e perm = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
          func.return %e, %t : tensor<4x4xf32>, tensor<4x4xf32>
        }
        """,
}


@pytest.mark.parametrize("case", sorted(RETURNED_VIEWS))
def test_returned_view_of_a_fused_value(case: str):
    assert_fuse_keeps_values(RETURNED_VIEWS[case])


def test_returned_splat_does_not_split_a_reduction():
    text = """
        func.func @f(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<1xf32>) {
          %s = nn.reduce_sum %x axes = [0] keepdims : tensor<4xf32> -> tensor<1xf32>
          %c = nn.splat 4.0 : tensor<1xf32>
          %m = nn.div %s, %c : tensor<1xf32>
          %b = nn.broadcast_in_dim %m dims = [0] : tensor<1xf32> -> tensor<4xf32>
          %y = nn.mul %b, %x : tensor<4xf32>
          func.return %y, %c : tensor<4xf32>, tensor<1xf32>
        }
        """
    default = assert_fuse_keeps_values(text)
    no_vertical = assert_fuse_keeps_values(text, "fuse{vertical=false}")
    assert len(kernels(default)) <= len(kernels(no_vertical))


def test_recomputed_values_do_not_hide_shared_inputs():
    text = """
        func.func @f(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
          %a = nn.exp %x : tensor<4x8xf32>
          %t = nn.tanh %x : tensor<4x8xf32>
          %b = nn.sin %t : tensor<4x8xf32>
          func.return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
        }
        """
    default = assert_fuse_keeps_values(text)
    stored = assert_fuse_keeps_values(text, "fuse{max-recompute=0}")
    assert len(kernels(stored)) == 1
    assert len(kernels(default)) <= len(kernels(stored))
