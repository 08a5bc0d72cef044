"""The interpreter on `loop.kernel` and on the scalar `arith` / `math` ops of its bodies.

Kernels are written as text and compared with numpy formulas written here; scalar
ops are checked against plain-Python references (`math`, Python integers wrapped by
hand), never against the interpreter's own helpers. The last section checks the
`mlc.dialects.loop` verifier on kernels the interpreter would otherwise have to reject
at run time: its static bounds check of affine loads, and the checks that once were
holes found while writing these tests. The interpreter's own checks for the same
mistakes stay covered on IR parsed with `verify=False`.
"""

from __future__ import annotations

import math
import time

import ml_dtypes
import numpy as np
import pytest
from xdsl.ir.affine import AffineExpr

import mlc
from mlc.diagnostics import CompileError
from mlc.interpreter import InterpreterError, run
from mlc.interpreter.loop_ops import evaluate_index

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
BF16 = np.dtype(ml_dtypes.bfloat16)
TYPE_NAMES = {
    np.dtype(np.float16): "f16",
    BF16: "bf16",
    np.dtype(F32): "f32",
    np.dtype(F64): "f64",
    np.dtype(np.bool_): "i1",
    np.dtype(I32): "i32",
    np.dtype(I64): "i64",
}
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(*shape: int, seed: int = 0, dtype: type = F32) -> np.ndarray:
    return rng(seed).standard_normal(shape).astype(dtype)


def run_text(text: str, name: str, *args: np.ndarray):
    return run(mlc.parse(text), name, *args)


def tensor(shape: tuple[int, ...], element: str) -> str:
    return "tensor<" + "".join(f"{n}x" for n in shape) + element + ">"


# ---------------------------------------------------------------------------
# Kernels


POINTWISE = """
func.func @f(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = loop.kernel "pointwise" domain(%i: 4, %j: 8) ins(%x = %a : tensor<4x8xf32>, %bias = %b : tensor<8xf32>) outs(%o : tensor<4x8xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    %w = loop.load %bias[%j] : tensor<8xf32>
    %s = arith.addf %v, %w : f32
    %e = math.exp %s : f32
    %c = arith.constant 0.5 : f32
    %r = arith.mulf %e, %c : f32
    loop.store %r, %o[%i, %j] : tensor<4x8xf32>
  }
  func.return %y : tensor<4x8xf32>
}
"""


def test_pointwise_chain_with_broadcast_load():
    x, b = randn(4, 8), randn(8, seed=1)
    y = run_text(POINTWISE, "f", x, b)
    assert y.dtype == F32 and y.shape == (4, 8)
    np.testing.assert_allclose(y, np.exp(x.astype(F64) + b) * 0.5, rtol=1e-6)


def test_transpose_store():
    text = """
    func.func @f(%a: tensor<4x8xf32>) -> tensor<8x4xf32> {
      %y = loop.kernel domain(%i: 4, %j: 8) ins(%x = %a : tensor<4x8xf32>) outs(%o : tensor<8x4xf32>) {
        %v = loop.load %x[%i, %j] : tensor<4x8xf32>
        loop.store %v, %o[%j, %i] : tensor<8x4xf32>
      }
      func.return %y : tensor<8x4xf32>
    }
    """
    x = randn(4, 8)
    np.testing.assert_array_equal(run_text(text, "f", x), x.T)


SOFTMAX = """
func.func @softmax(%arg0: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %y = loop.kernel "softmax" domain(%i: 16, %j: 32 reduction) ins(%x = %arg0 : tensor<16x32xf32>) outs(%out : tensor<16x32xf32>) {
    %v = loop.load %x[%i, %j] : tensor<16x32xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<16x32xf32>
  }
  func.return %y : tensor<16x32xf32>
}
"""


def test_softmax_kernel():
    x = randn(16, 32) * 10
    e = np.exp(x.astype(F64) - x.max(axis=1, keepdims=True))
    expected = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(run_text(SOFTMAX, "softmax", x), expected, rtol=1e-5, atol=1e-7)


LAYER_NORM = """
func.func @ln(%arg0: tensor<6x10xf32>, %weight: tensor<10xf32>, %bias: tensor<10xf32>) -> tensor<6x10xf32> {
  %y = loop.kernel "layer_norm" domain(%i: 6, %j: 10 reduction) ins(%x = %arg0 : tensor<6x10xf32>, %w = %weight : tensor<10xf32>, %b = %bias : tensor<10xf32>) outs(%out : tensor<6x10xf32>) {
    %v = loop.load %x[%i, %j] : tensor<6x10xf32>
    %n = arith.constant 10.0 : f32
    %eps = arith.constant 1.0e-05 : f32
    %sum = loop.reduce add %v : f32
    %mean = arith.divf %sum, %n : f32
    %c = arith.subf %v, %mean : f32
    %sq = arith.mulf %c, %c : f32
    %sqsum = loop.reduce add %sq : f32
    %var = arith.divf %sqsum, %n : f32
    %ve = arith.addf %var, %eps : f32
    %rstd = math.rsqrt %ve : f32
    %normed = arith.mulf %c, %rstd : f32
    %wj = loop.load %w[%j] : tensor<10xf32>
    %bj = loop.load %b[%j] : tensor<10xf32>
    %scaled = arith.mulf %normed, %wj : f32
    %r = arith.addf %scaled, %bj : f32
    loop.store %r, %out[%i, %j] : tensor<6x10xf32>
  }
  func.return %y : tensor<6x10xf32>
}
"""


def test_layer_norm_kernel_with_two_reductions():
    x, w, b = randn(6, 10) * 3 + 1, randn(10, seed=1), randn(10, seed=2)
    xd = x.astype(F64)
    mean = xd.mean(axis=1, keepdims=True)
    var = ((xd - mean) ** 2).mean(axis=1, keepdims=True)
    expected = (xd - mean) / np.sqrt(var + 1e-5) * w + b
    np.testing.assert_allclose(run_text(LAYER_NORM, "ln", x, w, b), expected, rtol=1e-5, atol=1e-5)


ROW_SUM = """
func.func @f(%a: tensor<4x{n}xf32>) -> tensor<4x1xf32> {{
  %y = loop.kernel domain(%i: 4, %j: {n} reduction) ins(%x = %a : tensor<4x{n}xf32>) outs(%o : tensor<4x1xf32>) {{
    %v = loop.load %x[%i, %j] : tensor<4x{n}xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i, 0] : tensor<4x1xf32>
  }}
  func.return %y : tensor<4x1xf32>
}}
"""


def test_row_sum_stored_per_row():
    x = randn(4, 7)
    y = run_text(ROW_SUM.format(n=7), "f", x)
    assert y.shape == (4, 1)
    np.testing.assert_allclose(y, x.astype(F64).sum(axis=1, keepdims=True), rtol=1e-5)


MATMUL = """
func.func @mm(%a: tensor<4x6xf32>, %w: tensor<6x5xf32>, %bias: tensor<5xf32>) -> tensor<4x5xf32> {
  %y = loop.kernel "matmul_bias_relu" domain(%i: 4, %j: 5, %k: 6 reduction) ins(%x = %a : tensor<4x6xf32>, %m = %w : tensor<6x5xf32>, %b = %bias : tensor<5xf32>) outs(%o : tensor<4x5xf32>) {
    %u = loop.load %x[%i, %k] : tensor<4x6xf32>
    %v = loop.load %m[%k, %j] : tensor<6x5xf32>
    %p = arith.mulf %u, %v : f32
    %acc = loop.reduce add %p : f32
    %bj = loop.load %b[%j] : tensor<5xf32>
    %s = arith.addf %acc, %bj : f32
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %zero : f32
    loop.store %r, %o[%i, %j] : tensor<4x5xf32>
  }
  func.return %y : tensor<4x5xf32>
}
"""


def test_matmul_with_bias_epilogue():
    a, w, b = randn(4, 6), randn(6, 5, seed=1), randn(5, seed=2)
    expected = np.maximum(a.astype(F64) @ w + b, 0)
    np.testing.assert_allclose(run_text(MATMUL, "mm", a, w, b), expected, rtol=1e-5, atol=1e-6)


GATHER = """
func.func @gather(%t: tensor<10x3xf32>, %i64: tensor<5xi64>) -> tensor<5x3xf32> {
  %y = loop.kernel domain(%i: 5, %j: 3) ins(%table = %t : tensor<10x3xf32>, %ids = %i64 : tensor<5xi64>) outs(%o : tensor<5x3xf32>) {
    %idx = loop.load %ids[%i] : tensor<5xi64>
    %ii = arith.index_cast %idx : i64 to index
    %v = loop.load %table[%ii, %j] : tensor<10x3xf32>
    loop.store %v, %o[%i, %j] : tensor<5x3xf32>
  }
  func.return %y : tensor<5x3xf32>
}
"""


def test_gather_with_computed_index():
    table, ids = randn(10, 3), np.array([9, 0, 3, 3, 7], I64)
    np.testing.assert_array_equal(run_text(GATHER, "gather", table, ids), table[ids])


@pytest.mark.parametrize("bad", [10, -1])
def test_gather_out_of_range_index_is_an_error(bad: int):
    ids = np.array([0, 1, bad, 2, 3], I64)
    with pytest.raises(InterpreterError) as info:
        run_text(GATHER, "gather", randn(10, 3), ids)
    message = str(info.value)
    assert "'loop.load' op index" in message and f"index {bad} is out of range [0, 10)" in message
    assert "in dim 0 of tensor<10x3xf32> at %i = 2" in message


def test_slice_through_an_affine_index():
    text = """
    func.func @f(%a: tensor<9xf32>) -> tensor<4xf32> {
      %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<9xf32>) outs(%o : tensor<4xf32>) {
        %v = loop.load %x[%i * 2 + 1] : tensor<9xf32>
        loop.store %v, %o[%i] : tensor<4xf32>
      }
      func.return %y : tensor<4xf32>
    }
    """
    x = randn(9)
    np.testing.assert_array_equal(run_text(text, "f", x), x[1::2])


RESHAPE = """
func.func @split(%a: tensor<12xf32>) -> tensor<3x4xf32> {
  %y = loop.kernel domain(%i: 3, %j: 4) ins(%x = %a : tensor<12xf32>) outs(%o : tensor<3x4xf32>) {
    %v = loop.load %x[%i * 4 + %j] : tensor<12xf32>
    loop.store %v, %o[%i, %j] : tensor<3x4xf32>
  }
  func.return %y : tensor<3x4xf32>
}
func.func @merge(%a: tensor<3x4xf32>) -> tensor<12xf32> {
  %y = loop.kernel domain(%n: 12) ins(%x = %a : tensor<3x4xf32>) outs(%o : tensor<12xf32>) {
    %v = loop.load %x[%n floordiv 4, %n mod 4] : tensor<3x4xf32>
    loop.store %v, %o[%n] : tensor<12xf32>
  }
  func.return %y : tensor<12xf32>
}
func.func @halves(%a: tensor<6xf32>) -> tensor<11xf32> {
  %y = loop.kernel domain(%n: 11) ins(%x = %a : tensor<6xf32>) outs(%o : tensor<11xf32>) {
    %v = loop.load %x[%n ceildiv 2] : tensor<6xf32>
    loop.store %v, %o[%n] : tensor<11xf32>
  }
  func.return %y : tensor<11xf32>
}
"""


def test_reshape_through_floordiv_mod_and_ceildiv():
    module = mlc.parse(RESHAPE)
    x = randn(12)
    np.testing.assert_array_equal(run(module, "split", x), x.reshape(3, 4))
    np.testing.assert_array_equal(run(module, "merge", x.reshape(3, 4)), x)
    h = randn(6)
    np.testing.assert_array_equal(run(module, "halves", h), h[(np.arange(11) + 1) // 2])


def test_index_expressions_round_toward_negative_infinity():
    d0 = AffineExpr.dimension(0)
    values = [np.arange(-5, 6, dtype=I64)]
    for expr, python in [
        (d0 // 4, lambda v: v // 4),
        (d0 % 4, lambda v: v % 4),
        (d0.ceil_div(4), lambda v: -(-v // 4)),
        (d0 * 3 + -2, lambda v: v * 3 - 2),
    ]:
        got = evaluate_index(expr, values, None)  # type: ignore[arg-type]
        np.testing.assert_array_equal(got, [python(int(v)) for v in values[0]], err_msg=str(expr))


OUT_OF_BOUNDS = """
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i + 1] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}
"""


def test_out_of_bounds_affine_load_is_a_verifier_error():
    with pytest.raises(CompileError) as info:
        mlc.parse(OUT_OF_BOUNDS)
    assert str(info.value).splitlines()[0] == (
        "<string>:3:3: error: 'loop.kernel' op load index 0 ((d0 + 1)) ranges over [1, 4], "
        "outside [0, 4) of tensor<4xf32>"
    )


def test_out_of_bounds_affine_load_is_an_interpreter_error_without_the_verifier():
    module = mlc.parse(OUT_OF_BOUNDS, verify=False)
    with pytest.raises(InterpreterError, match=r"index 4 is out of range \[0, 4\).* at %i = 3"):
        run(module, "f", randn(4))


def test_zero_size_domain():
    text = """
    func.func @f(%a: tensor<0x8xf32>) -> tensor<0x8xf32> {
      %y = loop.kernel domain(%i: 0, %j: 8 reduction) ins(%x = %a : tensor<0x8xf32>) outs(%o : tensor<0x8xf32>) {
        %v = loop.load %x[%i, %j] : tensor<0x8xf32>
        %s = loop.reduce add %v : f32
        %r = arith.divf %v, %s : f32
        loop.store %r, %o[%i, %j] : tensor<0x8xf32>
      }
      func.return %y : tensor<0x8xf32>
    }
    """
    y = run_text(text, "f", np.zeros((0, 8), F32))
    assert y.shape == (0, 8) and y.dtype == F32


REDUCE_EMPTY = """
func.func @f(%a: tensor<3x0x{t}>) -> tensor<3x{t}> {{
  %y = loop.kernel domain(%i: 3, %j: 0 reduction) ins(%x = %a : tensor<3x0x{t}>) outs(%o : tensor<3x{t}>) {{
    %v = loop.load %x[%i, %j] : tensor<3x0x{t}>
    %s = loop.reduce {kind} %v : {t}
    loop.store %s, %o[%i] : tensor<3x{t}>
  }}
  func.return %y : tensor<3x{t}>
}}
"""


@pytest.mark.parametrize(
    ("kind", "element", "identity"),
    [
        ("add", "f32", 0.0),
        ("mul", "f32", 1.0),
        ("max", "f32", -math.inf),
        ("min", "f32", math.inf),
        ("add", "i32", 0),
        ("mul", "i32", 1),
        ("max", "i32", INT32_MIN),
        ("min", "i32", INT32_MAX),
        ("max", "i64", -(2**63)),
        ("min", "i1", False),  # i1 is signed: false (0) is the largest value
        ("max", "i1", True),  # and true (-1) the smallest
        ("max", "bf16", -math.inf),
    ],
)
def test_reduction_over_an_empty_dim_is_the_identity(kind: str, element: str, identity):
    dtype = {"f32": F32, "i32": I32, "i64": I64, "i1": np.bool_, "bf16": BF16}[element]
    y = run_text(REDUCE_EMPTY.format(t=element, kind=kind), "f", np.zeros((3, 0), dtype))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, np.full(3, identity, dtype))


REDUCE = """
func.func @f(%a: tensor<2x4x{t}>) -> tensor<2x{t}> {{
  %y = loop.kernel domain(%i: 2, %j: 4 reduction) ins(%x = %a : tensor<2x4x{t}>) outs(%o : tensor<2x{t}>) {{
    %v = loop.load %x[%i, %j] : tensor<2x4x{t}>
    %s = loop.reduce {kind} %v : {t}
    loop.store %s, %o[%i] : tensor<2x{t}>
  }}
  func.return %y : tensor<2x{t}>
}}
"""


@pytest.mark.parametrize("kind", ["max", "min"])
def test_max_and_min_reductions_propagate_nan(kind: str):
    x = np.array([[1, np.nan, 3, -1], [1, 2, 3, -1]], F32)
    y = run_text(REDUCE.format(t="f32", kind=kind), "f", x)
    np.testing.assert_array_equal(y, [np.nan, 3 if kind == "max" else -1])


def test_integer_reductions_wrap_and_are_signed():
    x = np.array([[INT32_MAX, 1, 0, 0], [-1, 5, -7, 2]], I32)
    add = run_text(REDUCE.format(t="i32", kind="add"), "f", x)
    np.testing.assert_array_equal(add, [INT32_MIN, -1])
    np.testing.assert_array_equal(
        run_text(REDUCE.format(t="i32", kind="max"), "f", x), [2**31 - 1, 5]
    )
    bits = np.array([[True, True, True, False], [True, False, False, False]])
    # i1 sums wrap modulo 2; max is signed (true is -1)
    np.testing.assert_array_equal(run_text(REDUCE.format(t="i1", kind="add"), "f", bits), [1, 1])
    np.testing.assert_array_equal(run_text(REDUCE.format(t="i1", kind="max"), "f", bits), [0, 0])


def test_reduction_over_two_dims_and_of_an_invariant_value():
    text = """
    func.func @f(%a: tensor<2x3x4xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
      %y:2 = loop.kernel domain(%i: 2, %j: 3 reduction, %k: 4 reduction) ins(%x = %a : tensor<2x3x4xf32>) outs(%o : tensor<2xf32>, %count : tensor<2xf32>) {
        %v = loop.load %x[%i, %j, %k] : tensor<2x3x4xf32>
        %s = loop.reduce add %v : f32
        loop.store %s, %o[%i] : tensor<2xf32>
        %one = arith.constant 1.0 : f32
        %n = loop.reduce add %one : f32
        loop.store %n, %count[%i] : tensor<2xf32>
      }
      func.return %y#0, %y#1 : tensor<2xf32>, tensor<2xf32>
    }
    """
    x = randn(2, 3, 4)
    total, count = run_text(text, "f", x)
    np.testing.assert_allclose(total, x.astype(F64).sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_array_equal(count, [12, 12])


def test_constant_indices_rank_0_tensors_and_multiple_results():
    text = """
    func.func @f(%a: tensor<5xf32>, %s: tensor<f32>) -> (tensor<5xf32>, tensor<5xf32>, tensor<1x5xf32>) {
      %y:3 = loop.kernel domain(%i: 5) ins(%x = %a : tensor<5xf32>, %z = %s : tensor<f32>) outs(%o : tensor<5xf32>, %fourth : tensor<5xf32>, %row : tensor<1x5xf32>) {
        %c = loop.load %z[] : tensor<f32>
        %x3 = loop.load %x[3] : tensor<5xf32>
        %v = loop.load %x[%i] : tensor<5xf32>
        %p = arith.mulf %v, %c : f32
        %r = arith.addf %p, %x3 : f32
        loop.store %r, %o[%i] : tensor<5xf32>
        loop.store %x3, %fourth[%i] : tensor<5xf32>
        loop.store %v, %row[0, %i] : tensor<1x5xf32>
      }
      func.return %y#0, %y#1, %y#2 : tensor<5xf32>, tensor<5xf32>, tensor<1x5xf32>
    }
    """
    x, s = randn(5), np.array(2.5, F32)
    o, fourth, row = run_text(text, "f", x, s)
    np.testing.assert_array_equal(o, x * s + x[3])
    np.testing.assert_array_equal(fourth, np.full(5, x[3]))  # an invariant value, broadcast
    np.testing.assert_array_equal(row, x[None, :])


def test_rank_0_domain():
    text = """
    func.func @f(%a: tensor<f32>) -> tensor<f32> {
      %y = loop.kernel domain() ins(%x = %a : tensor<f32>) outs(%o : tensor<f32>) {
        %v = loop.load %x[] : tensor<f32>
        %r = math.sqrt %v : f32
        loop.store %r, %o[] : tensor<f32>
      }
      func.return %y : tensor<f32>
    }
    """
    assert run_text(text, "f", np.array(16.0, F32)) == 4.0


def test_loads_that_do_not_vary_over_an_empty_dim_are_still_checked():
    """An op runs at every combination of the dims its value varies over (module doc)."""
    text = """
    func.func @f(%a: tensor<4xf32>) -> tensor<0x4xf32> {
      %y = loop.kernel domain(%i: 0, %j: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<0x4xf32>) {
        %v = loop.load %x[%j + OFFSET] : tensor<4xf32>
        %w = loop.load %x[%i + 7] : tensor<4xf32>
        %r = arith.addf %v, %w : f32
        loop.store %r, %o[%i, %j] : tensor<0x4xf32>
      }
      func.return %y : tensor<0x4xf32>
    }
    """
    # %w depends on the empty dim %i: it runs nowhere, so its index is never checked.
    assert run_text(text.replace("OFFSET", "0"), "f", randn(4)).shape == (0, 4)
    # %v does not depend on %i: the verifier checks it.
    with pytest.raises(CompileError, match=r"load index 0 \(\(d1 \+ 2\)\) ranges over \[2, 5\]"):
        mlc.parse(text.replace("OFFSET", "2"))


def test_large_kernel_is_vectorised():
    text = SOFTMAX.replace("16x32", "1000x1000").replace("16,", "1000,").replace("32 r", "1000 r")
    module = mlc.parse(text)
    x = randn(1000, 1000)
    start = time.perf_counter()
    y = run(module, "softmax", x)
    assert time.perf_counter() - start < 2.0  # a Python loop over 10^6 points takes minutes
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-4)


def test_kernel_chain_and_results_are_fresh():
    text = POINTWISE.replace(
        "func.return %y", "%z = nn.add %y, %a : tensor<4x8xf32>\n  func.return %z"
    )
    x, b = randn(4, 8), randn(8, seed=1)
    np.testing.assert_allclose(
        run_text(text, "f", x, b), np.exp(x.astype(F64) + b) * 0.5 + x, rtol=1e-6
    )


LOAD_OUTSIDE_A_KERNEL = """
func.func @f(%a: tensor<4xf32>) {
  %c = arith.constant 1 : index
  %v = loop.load %a[%c] : tensor<4xf32>
  func.return
}
"""

NON_SCALAR_BODY_OP = """
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %t = arith.addf %x, %x : tensor<4xf32>
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}
"""


def test_loop_ops_outside_a_kernel_are_an_interpreter_error_without_the_verifier():
    module = mlc.parse(LOAD_OUTSIDE_A_KERNEL, verify=False)  # the verifier rejects it (below)
    with pytest.raises(InterpreterError, match=r"'loop.load' op outside a 'loop.kernel'"):
        run(module, "f", randn(4))


def test_non_scalar_value_in_a_kernel_body_is_an_interpreter_error_without_the_verifier():
    module = mlc.parse(NON_SCALAR_BODY_OP, verify=False)  # the verifier rejects it (below)
    with pytest.raises(
        InterpreterError, match=r"tensor<4xf32> value in a kernel body is not a scalar"
    ):
        run(module, "f", randn(4))


def test_errors_in_a_kernel_body_are_located():
    text = GATHER
    with pytest.raises(InterpreterError) as info:
        run(mlc.parse(text, "gather.mlir"), "gather", randn(10, 3), np.full(5, 99, I64))
    assert str(info.value).startswith("gather.mlir:6:5: error: 'loop.load' op index 99")


# ---------------------------------------------------------------------------
# Scalar ops: one op applied element-wise inside a kernel


def elementwise(op: str, operands: list[np.ndarray], result: str) -> str:
    """A kernel that loads one element of each operand, applies `op` and stores `%r`.

    `op` refers to the loaded values as %v0, %v1, ...; its result must be `%r`.
    """
    (n,) = operands[0].shape
    args = ", ".join(f"%a{k}: {tensor((n,), TYPE_NAMES[a.dtype])}" for k, a in enumerate(operands))
    ins = ", ".join(
        f"%x{k} = %a{k} : {tensor((n,), TYPE_NAMES[a.dtype])}" for k, a in enumerate(operands)
    )
    loads = "\n".join(
        f"    %v{k} = loop.load %x{k}[%i] : {tensor((n,), TYPE_NAMES[a.dtype])}"
        for k, a in enumerate(operands)
    )
    out = tensor((n,), result)
    return f"""
func.func @f({args}) -> {out} {{
  %y = loop.kernel domain(%i: {n}) ins({ins}) outs(%o : {out}) {{
{loads}
    {op}
    loop.store %r, %o[%i] : {out}
  }}
  func.return %y : {out}
}}
"""


def apply(op: str, result: str, *operands: np.ndarray) -> np.ndarray:
    return run_text(elementwise(op, list(operands), result), "f", *operands)


FLOAT_INPUT = np.array([-2.5, -1.0, -0.3, 0.0, 0.25, 0.5, 1.5, 3.0], F32)
UNIT_INPUT = np.array([-0.9, -0.5, -0.1, 0.0, 0.2, 0.5, 0.75, 0.9], F32)
POSITIVE_INPUT = np.array([0.01, 0.5, 1.0, 1.5, 2.0, 7.0, 100.0, 1e6], F32)

UNARY_FLOAT = [
    ("math.exp", math.exp, FLOAT_INPUT),
    ("math.exp2", lambda v: 2.0**v, FLOAT_INPUT),
    ("math.expm1", math.expm1, FLOAT_INPUT),
    ("math.log", math.log, POSITIVE_INPUT),
    ("math.log2", math.log2, POSITIVE_INPUT),
    ("math.log10", math.log10, POSITIVE_INPUT),
    ("math.log1p", math.log1p, POSITIVE_INPUT),
    ("math.sqrt", math.sqrt, POSITIVE_INPUT),
    ("math.rsqrt", lambda v: 1 / math.sqrt(v), POSITIVE_INPUT),
    ("math.cbrt", lambda v: math.copysign(abs(v) ** (1 / 3), v), FLOAT_INPUT),
    ("math.tanh", math.tanh, FLOAT_INPUT),
    ("math.erf", math.erf, FLOAT_INPUT),
    ("math.sin", math.sin, FLOAT_INPUT),
    ("math.cos", math.cos, FLOAT_INPUT),
    ("math.tan", math.tan, FLOAT_INPUT),
    ("math.sinh", math.sinh, FLOAT_INPUT),
    ("math.cosh", math.cosh, FLOAT_INPUT),
    ("math.atan", math.atan, FLOAT_INPUT),
    ("math.asin", math.asin, UNIT_INPUT),
    ("math.acos", math.acos, UNIT_INPUT),
    ("math.atanh", math.atanh, UNIT_INPUT),
    ("math.asinh", math.asinh, FLOAT_INPUT),
    ("math.acosh", math.acosh, POSITIVE_INPUT + 1),
    ("math.absf", abs, FLOAT_INPUT),
    ("arith.negf", lambda v: -v, FLOAT_INPUT),
    ("math.floor", math.floor, FLOAT_INPUT),
    ("math.ceil", math.ceil, FLOAT_INPUT),
    ("math.trunc", math.trunc, FLOAT_INPUT),
]


@pytest.mark.parametrize(("name", "reference", "x"), UNARY_FLOAT, ids=[u[0] for u in UNARY_FLOAT])
def test_unary_float_op(name: str, reference, x: np.ndarray):
    y = apply(f"%r = {name} %v0 : f32", "f32", x)
    assert y.dtype == F32
    expected = [reference(float(v)) for v in x]
    np.testing.assert_allclose(y, np.asarray(expected, F32), rtol=2e-7, atol=1e-30)


def test_half_precision_kernel():
    text = """
    func.func @f(%a: tensor<64xbf16>) -> tensor<64xbf16> {
      %y = loop.kernel domain(%i: 64) ins(%x = %a : tensor<64xbf16>) outs(%o : tensor<64xbf16>) {
        %v = loop.load %x[%i] : tensor<64xbf16>
        %e = math.exp %v : bf16
        %r = math.erf %e : bf16
        loop.store %r, %o[%i] : tensor<64xbf16>
      }
      func.return %y : tensor<64xbf16>
    }
    """
    x = randn(64, dtype=BF16)
    e = np.exp(x.astype(F32)).astype(BF16)
    expected = np.array([math.erf(float(v)) for v in e.astype(F64)]).astype(F32).astype(BF16)
    y = run_text(text, "f", x)
    assert y.dtype == BF16
    np.testing.assert_array_equal(y.astype(F32), expected.astype(F32))


def test_float_ops_compute_in_their_own_type():
    """f32 ops round every result to f32; f64 ops keep f64; f16 rounds once per op."""
    x = np.array([1 / 3, 0.1, 1e-8], F64)
    np.testing.assert_array_equal(apply("%r = math.exp %v0 : f64", "f64", x), np.exp(x))
    h = np.array([0.1, 200.0, 3.0], np.float16)
    expected = (h.astype(F32) * h.astype(F32)).astype(np.float16)
    np.testing.assert_array_equal(apply("%r = arith.mulf %v0, %v0 : f16", "f16", h), expected)
    b = np.array([1.0, 256.0], BF16)
    np.testing.assert_array_equal(
        apply("%r = arith.addf %v0, %v1 : bf16", "bf16", b, np.ones(2, BF16)),
        np.array([2.0, 256.0], BF16),  # 257 rounds to 256 in bf16
    )


NAN, INF = math.nan, math.inf
A = np.array([1.0, -2.0, NAN, 3.0, NAN, -0.0, 0.0, INF, 2.0], F32)
B = np.array([2.0, -2.0, 1.0, NAN, NAN, 0.0, -0.0, -INF, 0.5], F32)


def python_max(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return NAN
    if a == b:  # -0.0 < +0.0
        return a if math.copysign(1, a) > 0 else b
    return max(a, b)


def python_min(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return NAN
    if a == b:
        return a if math.copysign(1, a) < 0 else b
    return min(a, b)


def python_maxnum(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


def python_minnum(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def python_pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except ValueError:
        return NAN


BINARY_FLOAT = [
    ("arith.addf", lambda a, b: a + b),
    ("arith.subf", lambda a, b: a - b),
    ("arith.mulf", lambda a, b: a * b),
    (
        "arith.divf",
        lambda a, b: a / b if b else math.copysign(INF, a) * math.copysign(1, b) if a else NAN,
    ),
    ("arith.maximumf", python_max),
    ("arith.minimumf", python_min),
    ("arith.maxnumf", python_maxnum),
    ("arith.minnumf", python_minnum),
    ("math.powf", python_pow),
    ("math.atan2", math.atan2),
    ("math.copysign", math.copysign),
]


@pytest.mark.parametrize(("name", "reference"), BINARY_FLOAT, ids=[b[0] for b in BINARY_FLOAT])
def test_binary_float_op(name: str, reference):
    y = apply(f"%r = {name} %v0, %v1 : f32", "f32", A, B)
    expected = np.asarray([reference(float(a), float(b)) for a, b in zip(A, B, strict=True)], F32)
    np.testing.assert_allclose(y, expected, rtol=2e-7)
    if name not in ("arith.maxnumf", "arith.minnumf"):  # these may return either zero
        numbers = ~np.isnan(expected)
        np.testing.assert_array_equal(np.signbit(y[numbers]), np.signbit(expected[numbers]))


def test_fma_fpowi_and_rounding():
    a, b, c = (
        np.array([2.0, 1.5, -3.0], F32),
        np.array([3.0, 2.0, 0.5], F32),
        np.array([1.0, -3.0, 0.25], F32),
    )
    np.testing.assert_array_equal(
        apply("%r = math.fma %v0, %v1, %v2 : f32", "f32", a, b, c), [7.0, 0.0, -1.25]
    )
    n = np.array([3, -2, 0], I32)
    np.testing.assert_array_equal(
        apply("%r = math.fpowi %v0, %v1 : f32, i32", "f32", a, n),
        np.array([8.0, 1 / 2.25, 1.0], F32),
    )
    x = np.array([2.5, -2.5, 0.5, -0.5, 1.49999988, 3.5, -0.0, 0.49999997], F32)
    np.testing.assert_array_equal(
        apply("%r = math.round %v0 : f32", "f32", x), [3, -3, 1, -1, 1, 4, -0.0, 0]
    )
    np.testing.assert_array_equal(
        apply("%r = math.roundeven %v0 : f32", "f32", x), [2, -2, 0, -0, 1, 4, -0.0, 0]
    )


CMPF_REFERENCE = {
    "false": lambda a, b, u: False,
    "oeq": lambda a, b, u: not u and a == b,
    "ogt": lambda a, b, u: not u and a > b,
    "oge": lambda a, b, u: not u and a >= b,
    "olt": lambda a, b, u: not u and a < b,
    "ole": lambda a, b, u: not u and a <= b,
    "one": lambda a, b, u: not u and a != b,
    "ord": lambda a, b, u: not u,
    "ueq": lambda a, b, u: u or a == b,
    "ugt": lambda a, b, u: u or a > b,
    "uge": lambda a, b, u: u or a >= b,
    "ult": lambda a, b, u: u or a < b,
    "ule": lambda a, b, u: u or a <= b,
    "une": lambda a, b, u: u or a != b,
    "uno": lambda a, b, u: u,
    "true": lambda a, b, u: True,
}


@pytest.mark.parametrize("predicate", list(CMPF_REFERENCE))
def test_cmpf_predicate(predicate: str):
    y = apply(f"%r = arith.cmpf {predicate}, %v0, %v1 : f32", "i1", A, B)
    reference = CMPF_REFERENCE[predicate]
    expected = [
        reference(a, b, math.isnan(a) or math.isnan(b))
        for a, b in zip(A.tolist(), B.tolist(), strict=True)
    ]
    assert y.dtype == np.bool_
    np.testing.assert_array_equal(y, expected)


# Integers: references on Python ints, wrapped by hand


def wrap32(v: int) -> int:
    return (v + 2**31) % 2**32 - 2**31


def u32(v: int) -> int:
    return v % 2**32


def trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


IA = np.array([7, -7, 7, -7, INT32_MAX, INT32_MIN, -1, 0, 123456789, 5], I32)
IB = np.array([2, 2, -2, -2, 1, 3, 1, 9, 1000, 31], I32)

BINARY_INT = [
    ("arith.addi", lambda a, b: wrap32(a + b)),
    ("arith.subi", lambda a, b: wrap32(a - b)),
    ("arith.muli", lambda a, b: wrap32(a * b)),
    ("arith.divsi", lambda a, b: wrap32(trunc_div(a, b))),
    ("arith.remsi", lambda a, b: a - trunc_div(a, b) * b),
    ("arith.floordivsi", lambda a, b: a // b),
    ("arith.ceildivsi", lambda a, b: -(-a // b)),
    ("arith.divui", lambda a, b: wrap32(u32(a) // u32(b))),
    ("arith.remui", lambda a, b: wrap32(u32(a) % u32(b))),
    ("arith.ceildivui", lambda a, b: wrap32(-(-u32(a) // u32(b)))),
    ("arith.maxsi", max),
    ("arith.minsi", min),
    ("arith.maxui", lambda a, b: wrap32(max(u32(a), u32(b)))),
    ("arith.minui", lambda a, b: wrap32(min(u32(a), u32(b)))),
    ("arith.andi", lambda a, b: a & b),
    ("arith.ori", lambda a, b: a | b),
    ("arith.xori", lambda a, b: a ^ b),
    ("arith.shli", lambda a, b: wrap32(a << b % 32)),
    ("arith.shrsi", lambda a, b: a >> b % 32),
    ("arith.shrui", lambda a, b: wrap32(u32(a) >> b % 32)),
    ("math.ipowi", lambda a, b: wrap32(a ** abs(b)) if b >= 0 or abs(a) == 1 else 0),
]


@pytest.mark.parametrize(("name", "reference"), BINARY_INT, ids=[b[0] for b in BINARY_INT])
def test_binary_integer_op_wraps_like_llvm(name: str, reference):
    b = IB % 32 if "sh" in name else IB  # a shift by the width or more is poison
    y = apply(f"%r = {name} %v0, %v1 : i32", "i32", IA, b)
    assert y.dtype == I32
    expected = [reference(x, z) for x, z in zip(IA.tolist(), b.tolist(), strict=True)]
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize(
    ("predicate", "reference"),
    [
        ("eq", lambda a, b: a == b),
        ("ne", lambda a, b: a != b),
        ("slt", lambda a, b: a < b),
        ("sle", lambda a, b: a <= b),
        ("sgt", lambda a, b: a > b),
        ("sge", lambda a, b: a >= b),
        ("ult", lambda a, b: u32(a) < u32(b)),
        ("ule", lambda a, b: u32(a) <= u32(b)),
        ("ugt", lambda a, b: u32(a) > u32(b)),
        ("uge", lambda a, b: u32(a) >= u32(b)),
    ],
)
def test_cmpi_predicate(predicate: str, reference):
    a = np.array([-1, 1, 5, INT32_MIN, 0], I32)
    b = np.array([1, -1, 5, INT32_MAX, 0], I32)
    y = apply(f"%r = arith.cmpi {predicate}, %v0, %v1 : i32", "i1", a, b)
    np.testing.assert_array_equal(
        y, [reference(x, z) for x, z in zip(a.tolist(), b.tolist(), strict=True)]
    )


@pytest.mark.parametrize(
    ("op", "a", "b", "message"),
    [
        ("arith.divsi", 1, 0, "integer division by zero"),
        ("arith.remui", 1, 0, "integer division by zero"),
        ("arith.floordivsi", 1, 0, "integer division by zero"),
        ("arith.divsi", INT32_MIN, -1, "signed division overflow"),
        ("arith.remsi", INT32_MIN, -1, "signed division overflow"),
        ("arith.shli", 1, 32, "shift amount not below the bit width 32"),
        ("arith.shrsi", 1, -1, "shift amount not below the bit width 32"),
        ("math.ipowi", 0, -1, "zero to a negative power"),
    ],
)
def test_integer_undefined_behaviour_is_an_error(op: str, a: int, b: int, message: str):
    with pytest.raises(InterpreterError, match=f"'{op}' op: {message}"):
        apply(f"%r = {op} %v0, %v1 : i32", "i32", np.array([3, a], I32), np.array([1, b], I32))


def test_integer_unary_math_ops():
    x = np.array([0, 1, 8, -1, INT32_MIN, 0x00F0], I32)
    np.testing.assert_array_equal(
        apply("%r = math.absi %v0 : i32", "i32", x), [0, 1, 8, 1, INT32_MIN, 240]
    )
    np.testing.assert_array_equal(
        apply("%r = math.ctlz %v0 : i32", "i32", x), [32, 31, 28, 0, 0, 24]
    )
    np.testing.assert_array_equal(apply("%r = math.cttz %v0 : i32", "i32", x), [32, 0, 3, 0, 31, 4])
    np.testing.assert_array_equal(apply("%r = math.ctpop %v0 : i32", "i32", x), [0, 1, 1, 32, 1, 4])
    np.testing.assert_array_equal(
        apply(
            "%r = math.ipowi %v0, %v1 : i32",
            "i32",
            np.array([1, -1, -1, 2, 3], I32),
            np.array([-5, -3, -2, -1, 0], I32),
        ),
        [1, -1, 1, 0, 1],
    )


def test_extended_arithmetic():
    a, b = np.array([-1, 3, INT32_MAX], I32), np.array([-1, -4, 2], I32)
    text = "%s, %c = arith.addui_extended %v0, %v1 : i32, i1\n    %r = arith.extui %c : i1 to i32"
    np.testing.assert_array_equal(apply(text, "i32", a, b), [1, 0, 0])
    for name, read in [("mulsi_extended", int), ("mului_extended", u32)]:
        low = apply(f"%r, %h = arith.{name} %v0, %v1 : i32", "i32", a, b)
        high = apply(f"%l, %r = arith.{name} %v0, %v1 : i32", "i32", a, b)
        products = [read(x) * read(z) for x, z in zip(a.tolist(), b.tolist(), strict=True)]
        np.testing.assert_array_equal(low, [wrap32(p) for p in products], err_msg=name)
        np.testing.assert_array_equal(high, [wrap32(p >> 32) for p in products], err_msg=name)
    big = np.array([-(2**63), 2**63 - 1, -3, 2**40 + 7], I64)
    other = np.array([2**63 - 1, 2**62 + 5, -5, -(2**35) - 1], I64)
    for name, read in [("mulsi_extended", int), ("mului_extended", lambda v: v % 2**64)]:
        high = apply(f"%l, %r = arith.{name} %v0, %v1 : i64", "i64", big, other)
        products = [read(x) * read(z) for x, z in zip(big.tolist(), other.tolist(), strict=True)]
        expected = [((p >> 64) + 2**63) % 2**64 - 2**63 for p in products]
        np.testing.assert_array_equal(high, expected, err_msg=name)


CASTS = [
    (
        "%r = arith.extf %v0 : f16 to f32",
        np.array([0.1, 65504, -2.5], np.float16),
        "f32",
        lambda v: v.astype(F32),
    ),
    (
        "%r = arith.truncf %v0 : f64 to f32",
        np.array([1 / 3, 1e300, -0.0]),
        "f32",
        lambda v: [np.float32(1 / 3), INF, -0.0],
    ),
    (
        "%r = arith.truncf %v0 : f32 to bf16",
        np.array([1 / 3, 257.0, -1.5], F32),
        "bf16",
        lambda v: v.astype(BF16),
    ),
    (
        "%r = arith.sitofp %v0 : i32 to f32",
        np.array([-1, 2**24 + 1, 7], I32),
        "f32",
        lambda v: v.astype(F32),
    ),
    (
        "%r = arith.uitofp %v0 : i32 to f64",
        np.array([-1, 3], I32),
        "f64",
        lambda v: np.array([2**32 - 1, 3.0]),
    ),
    (
        "%r = arith.fptosi %v0 : f32 to i32",
        np.array([-2.7, 2.7, -0.5, 1e3], F32),
        "i32",
        lambda v: [-2, 2, 0, 1000],
    ),
    (
        "%r = arith.fptoui %v0 : f32 to i32",
        np.array([3.9, 0.5, 3e9], F32),
        "i32",
        lambda v: [3, 0, wrap32(3000000000)],
    ),
    (
        "%r = arith.fptoui %v0 : f64 to i64",
        np.array([1.5e19, 2.0]),
        "i64",
        lambda v: [15000000000000000000 - 2**64, 2],
    ),
    (
        "%r = arith.extsi %v0 : i32 to i64",
        np.array([-1, INT32_MAX], I32),
        "i64",
        lambda v: [-1, INT32_MAX],
    ),
    ("%r = arith.extui %v0 : i32 to i64", np.array([-1, 5], I32), "i64", lambda v: [2**32 - 1, 5]),
    (
        "%r = arith.trunci %v0 : i64 to i32",
        np.array([2**32 + 5, 2**31, -1], I64),
        "i32",
        lambda v: [5, INT32_MIN, -1],
    ),
    (
        "%x = arith.trunci %v0 : i32 to i8\n    %r = arith.extsi %x : i8 to i32",
        np.array([200, 127, -129], I32),
        "i32",
        lambda v: [-56, 127, 127],
    ),
    (
        "%x = arith.trunci %v0 : i32 to i16\n    %r = arith.extui %x : i16 to i32",
        np.array([-1, 65537], I32),
        "i32",
        lambda v: [65535, 1],
    ),
    (
        "%x = arith.index_cast %v0 : i64 to index\n    %r = arith.index_cast %x : index to i32",
        np.array([2**32 + 3, -4], I64),
        "i32",
        lambda v: [3, -4],
    ),
    (
        "%r = arith.bitcast %v0 : f32 to i32",
        np.array([1.0, -0.0], F32),
        "i32",
        lambda v: [0x3F800000, INT32_MIN],
    ),
    (
        "%r = arith.bitcast %v0 : i64 to f64",
        np.array([0x3FF0000000000000], I64),
        "f64",
        lambda v: [1.0],
    ),
    ("%r = arith.extui %v0 : i1 to i32", np.array([True, False]), "i32", lambda v: [1, 0]),
    ("%r = arith.extsi %v0 : i1 to i32", np.array([True, False]), "i32", lambda v: [-1, 0]),
    ("%r = arith.sitofp %v0 : i1 to f32", np.array([True, False]), "f32", lambda v: [-1.0, 0.0]),
    ("%r = arith.uitofp %v0 : i1 to f32", np.array([True, False]), "f32", lambda v: [1.0, 0.0]),
    (
        "%r = arith.trunci %v0 : i32 to i1",
        np.array([2, 3, -1], I32),
        "i1",
        lambda v: [False, True, True],
    ),
]


@pytest.mark.parametrize(
    ("op", "x", "result", "expected"),
    CASTS,
    ids=[c[0].split(" = ")[-1].split(" %")[0] + f"-{n}" for n, c in enumerate(CASTS)],
)
def test_cast(op: str, x: np.ndarray, result: str, expected):
    y = apply(op, result, x)
    np.testing.assert_array_equal(y, np.asarray(expected(x)).astype(y.dtype))
    assert TYPE_NAMES[y.dtype] == result


def test_i1_arithmetic_is_one_bit_wide():
    t, f = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(apply("%r = arith.addi %v0, %v1 : i1", "i1", t, f), t ^ f)
    np.testing.assert_array_equal(apply("%r = arith.muli %v0, %v1 : i1", "i1", t, f), t & f)
    # signed: true is -1 < false
    np.testing.assert_array_equal(
        apply("%r = arith.cmpi slt, %v0, %v1 : i1", "i1", t, f), [False, True, False, False]
    )
    np.testing.assert_array_equal(
        apply("%r = arith.cmpi ult, %v0, %v1 : i1", "i1", t, f), [False, False, True, False]
    )
    np.testing.assert_array_equal(apply("%r = arith.maxsi %v0, %v1 : i1", "i1", t, f), t & f)


def test_select_and_constants():
    cond = np.array([True, False, True])
    a, b = np.array([1.0, 2.0, 3.0], F32), np.array([-1.0, -2.0, -3.0], F32)
    np.testing.assert_array_equal(
        apply("%r = arith.select %v0, %v1, %v2 : f32", "f32", cond, a, b), [1.0, -2.0, 3.0]
    )
    body = """%c = arith.constant -1 : i32
    %t = arith.constant true
    %k = arith.constant 7 : index
    %ki = arith.index_cast %k : index to i32
    %s = arith.select %t, %c, %ki : i32
    %r = arith.addi %s, %v0 : i32"""
    np.testing.assert_array_equal(apply(body, "i32", np.array([1, 2], I32)), [0, 1])


def test_scalar_ops_in_a_function_body():
    """arith/math ops also run outside kernels, element-wise on tensors."""
    text = """
    func.func @f(%a: tensor<3xf32>, %b: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>, tensor<2x2xi32>) {
      %c = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
      %s = arith.addf %a, %c : tensor<3xf32>
      %e = math.exp %s : tensor<3xf32>
      %z = arith.constant dense<0> : tensor<3xi32>
      %lt = arith.maxsi %b, %z : tensor<3xi32>
      %k = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
      func.return %e, %lt, %k : tensor<3xf32>, tensor<3xi32>, tensor<2x2xi32>
    }
    """
    a, b = randn(3), np.array([-1, 0, 1], I32)
    e, lt, k = run_text(text, "f", a, b)
    np.testing.assert_allclose(e, np.exp(a.astype(F64) + np.array([1, 2, 3])), rtol=1e-6)
    np.testing.assert_array_equal(lt, [0, 0, 1])
    np.testing.assert_array_equal(k, [[1, 2], [3, 4]])


# ---------------------------------------------------------------------------
# The loop verifier: static bounds of affine loads, and the holes it once had


def verifier_error(text: str) -> str:
    """The first line of the error that parsing `text` reports, without its location."""
    with pytest.raises(CompileError) as info:
        mlc.parse(text)
    return str(info.value).splitlines()[0].split(" error: ", 1)[1]


LOAD_1D = """
func.func @f(%a: tensor<{n}xf32>) -> tensor<{d}xf32> {{
  %y = loop.kernel domain(%i: {d}) ins(%x = %a : tensor<{n}xf32>) outs(%o : tensor<{d}xf32>) {{
    %v = loop.load %x[{index}] : tensor<{n}xf32>
    loop.store %v, %o[%i] : tensor<{d}xf32>
  }}
  func.return %y : tensor<{d}xf32>
}}
"""


@pytest.mark.parametrize(
    ("d", "index", "n"),
    [
        (4, "%i", 4),
        (4, "3", 4),
        (4, "%i - 1 + 1", 4),
        (4, "-%i + 3", 4),
        (4, "%i * 2 + 1", 8),
        (9, "%i floordiv 3", 3),
        (11, "%i ceildiv 2", 6),
        (12, "%i mod 5", 5),
        (4, "(%i - 1) mod 8", 8),  # a negative dividend: mod spans the whole [0, 8)
        (4, "(%i + 2) mod 6", 6),
        (4, "(%i - 3) * -2", 7),
    ],
)
def test_affine_loads_in_bounds_verify_and_run(d: int, index: str, n: int):
    """Bounds reached exactly are inside: the verifier and the interpreter accept them."""
    assert run_text(LOAD_1D.format(d=d, index=index, n=n), "f", randn(n)).shape == (d,)


@pytest.mark.parametrize(
    ("d", "index", "n", "message"),
    [
        (4, "%i + 1", 4, "load index 0 ((d0 + 1)) ranges over [1, 4], outside [0, 4)"),
        (4, "%i - 1", 4, "load index 0 ((d0 + -1)) ranges over [-1, 2], outside [0, 4)"),
        (4, "4", 4, "load index 0 (4) ranges over [4, 4], outside [0, 4)"),
        (4, "-1", 4, "load index 0 (-1) ranges over [-1, -1], outside [0, 4)"),
        (4, "-%i + 2", 4, "load index 0 (((d0 * -1) + 2)) ranges over [-1, 2], outside [0, 4)"),
        (4, "%i * 2", 6, "load index 0 ((d0 * 2)) ranges over [0, 6], outside [0, 6)"),
        (
            4,
            "(%i - 2) * -2",
            7,
            "load index 0 (((d0 * -2) + 4)) ranges over [-2, 4], outside [0, 7)",
        ),
        (
            10,
            "%i floordiv 3",
            3,
            "load index 0 ((d0 floordiv 3)) ranges over [0, 3], outside [0, 3)",
        ),
        (12, "%i ceildiv 2", 6, "load index 0 ((d0 ceildiv 2)) ranges over [0, 6], outside [0, 6)"),
        (12, "%i mod 5", 4, "load index 0 ((d0 mod 5)) ranges over [0, 4], outside [0, 4)"),
        (
            4,
            "(%i - 1) mod 8",
            4,
            "load index 0 (((d0 + -1) mod 8)) ranges over [0, 7], outside [0, 4)",
        ),
    ],
)
def test_affine_loads_out_of_bounds_are_verifier_errors(d: int, index: str, n: int, message: str):
    text = LOAD_1D.format(d=d, index=index, n=n)
    assert verifier_error(text) == f"'loop.kernel' op {message} of tensor<{n}xf32>"


def test_load_bounds_are_checked_per_index_of_a_2d_load():
    text = """
    func.func @f(%a: tensor<3x4xf32>) -> tensor<12xf32> {
      %y = loop.kernel domain(%n: 12) ins(%x = %a : tensor<3x4xf32>) outs(%o : tensor<12xf32>) {
        %v = loop.load %x[%n floordiv 4, %n mod 3] : tensor<3x4xf32>
        loop.store %v, %o[%n] : tensor<12xf32>
      }
      func.return %y : tensor<12xf32>
    }
    """
    mlc.parse(text)
    bad = text.replace("%n mod 3", "%n mod 5")
    assert verifier_error(bad) == (
        "'loop.kernel' op load index 1 ((d0 mod 5)) ranges over [0, 4], "
        "outside [0, 4) of tensor<3x4xf32>"
    )


def test_computed_load_indices_are_checked_at_run_time_only():
    """A gather's index is unknown to the verifier; the interpreter checks it when it runs."""
    mlc.parse(GATHER)  # verifies, whatever the ids
    with pytest.raises(InterpreterError, match=r"index 10 is out of range \[0, 10\)"):
        run_text(GATHER, "gather", randn(10, 3), np.array([0, 1, 10, 2, 3], I64))


def test_loads_in_an_empty_domain_are_not_checked_statically():
    """An empty domain runs nowhere: its loads verify whatever their indices."""
    text = LOAD_1D.format(d=0, index="%i + 7", n=4)
    assert run_text(text, "f", randn(4)).shape == (0,)


@pytest.mark.parametrize("size", [0, 5])
def test_store_must_index_every_parallel_dim(size: int):
    text = f"""
    func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {{
      %y = loop.kernel domain(%i: 4, %j: {size}) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {{
        %v = loop.load %x[%i] : tensor<4xf32>
        loop.store %v, %o[%i] : tensor<4xf32>
      }}
      func.return %y : tensor<4xf32>
    }}
    """
    # With %j empty the body runs nowhere, yet the non-empty output must be written; with
    # %j of size 5 every element would be written five times.
    assert verifier_error(text) == (
        f"'loop.kernel' op store does not index parallel dim 1 of size {size}: each output "
        "element must be written exactly once"
    )
    # A size-1 dim need not be indexed: the output is written once.
    mlc.parse(text.replace(f"%j: {size}", "%j: 1"))


def test_an_invariant_value_stored_without_the_parallel_dim_is_an_error():
    text = """
    func.func @f(%a: tensor<5xf32>) -> tensor<f32> {
      %y = loop.kernel domain(%i: 5) ins(%x = %a : tensor<5xf32>) outs(%first : tensor<f32>) {
        %x3 = loop.load %x[3] : tensor<5xf32>
        loop.store %x3, %first[] : tensor<f32>
      }
      func.return %y : tensor<f32>
    }
    """
    assert verifier_error(text) == (
        "'loop.kernel' op store does not index parallel dim 0 of size 5: each output "
        "element must be written exactly once"
    )


def test_kernel_body_ops_must_be_scalar():
    assert verifier_error(NON_SCALAR_BODY_OP) == (
        "'loop.kernel' op 'arith.addf' in a kernel body must work on scalars"
    )


@pytest.mark.parametrize(
    "op",
    [
        "%v = loop.load %a[%c] : tensor<4xf32>",
        "loop.store %s, %a[%c] : tensor<4xf32>",
        "%r = loop.reduce add %s : f32",
    ],
)
def test_loop_ops_must_be_inside_a_kernel(op: str):
    text = f"""
    func.func @f(%a: tensor<4xf32>, %s: f32) {{
      %c = arith.constant 1 : index
      {op}
      func.return
    }}
    """
    name = op.split(" = ")[-1].split()[0]
    assert verifier_error(text) == f"'{name}' op '{name}' must be directly inside a 'loop.kernel'"


def test_empty_kernel_round_trips():
    text = """
    func.func @f() {
      loop.kernel domain(%i: 4) ins() outs() {}
      func.return
    }
    """
    printed = mlc.print(mlc.parse(text))
    assert "loop.kernel domain(%i: 4) ins() outs() {\n    }\n" in printed
    assert mlc.print(mlc.parse(printed)) == printed


# Holes in the static bounds check (see the report): `index_range` assumes a positive
# divisor, so a negative one passes unchecked and zero crashes the verifier.


@pytest.mark.parametrize(
    "index", ["%i floordiv -2", "%i ceildiv -2", "%i mod -3", "%i floordiv 0", "%i mod 0"]
)
def test_non_positive_divisors_are_verifier_errors(index: str):
    with pytest.raises(CompileError, match="divisors must be positive constants"):
        mlc.parse(LOAD_1D.format(d=4, index=index, n=4))
