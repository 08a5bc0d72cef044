"""Every nn op in the interpreter against an independent numpy formula.

References are written here with numpy (or plain Python loops) in float64 from the
same, already rounded inputs, never with the interpreter's own helpers. Float results
are compared with a tolerance of about one unit in the last place of the result type
(`TOL`); integer, boolean and data-movement results must match exactly.
`test_half_precision_is_f32_rounded_once` checks the precision policy bit for bit.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable

import ml_dtypes
import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, bf16, f16, f32, f64, i1, i32, i64
from xdsl.parser import Parser

from mlc.context import make_context
from mlc.dialects import nn
from mlc.interpreter import InterpreterError, implementation_for, run

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
FLOATS = [F16, BF16, F32, F64]
HALVES = [F16, BF16]
INTS = [np.dtype(np.int32), np.dtype(np.int64)]
SHAPES = [(), (1,), (2, 0, 3), (3, 1, 5)]
ELEMENT = {
    F16: f16,
    BF16: bf16,
    F32: f32,
    F64: f64,
    np.dtype(np.bool_): i1,
    np.dtype(np.int32): i32,
    np.dtype(np.int64): i64,
}

# (rtol, atol) per result dtype: about one ulp of the halves, a few of f32 / f64.
TOL = {F16: (1e-3, 1e-3), BF16: (8e-3, 8e-3), F32: (1e-5, 1e-6), F64: (1e-12, 1e-13)}


# Arithmetic on a rank-0 array gives a numpy scalar, which the interpreter refuses:
# these helpers always return arrays.
def randn(shape: tuple[int, ...], dtype: np.dtype, seed: int = 0, scale: float = 1) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def positive(shape: tuple[int, ...], dtype: np.dtype, seed: int = 0) -> np.ndarray:
    return np.asarray(np.abs(randn(shape, F64, seed)) + 0.5).astype(dtype)


def wide(x: np.ndarray) -> np.ndarray:
    return np.asarray(x).astype(np.float64)


def erf64(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def assert_close(actual: object, expected: np.ndarray, dtype: np.dtype) -> None:
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == dtype, f"dtype {actual.dtype}, expected {dtype}"
    assert actual.shape == np.shape(expected)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(wide(actual), expected, rtol=rtol, atol=atol, equal_nan=True)


def assert_exact(actual: object, expected: np.ndarray) -> None:
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype}, expected {expected.dtype}"
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected, strict=True)


def tensor(element_type: object, shape: tuple[int, ...]) -> TensorType:
    return TensorType(element_type, list(shape))


def ids(value: object) -> str:
    return getattr(value, "name", str(value))


# ---------------------------------------------------------------------------
# Element-wise unary ops

UNARY: dict[type[nn.NNOp], Callable[[np.ndarray], np.ndarray]] = {
    nn.NegOp: lambda x: 0 - x,
    nn.AbsOp: lambda x: np.where(x < 0, -x, x),
    nn.ExpOp: lambda x: math.e**x,
    nn.LogOp: np.log,
    nn.SqrtOp: lambda x: x**0.5,
    nn.RsqrtOp: lambda x: x**-0.5,
    nn.TanhOp: lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1),
    nn.ErfOp: erf64,
    nn.SinOp: np.sin,
    nn.CosOp: np.cos,
    nn.SigmoidOp: lambda x: 0.5 * (1 + np.tanh(x / 2)),
    nn.ReluOp: lambda x: np.where(x > 0, x, 0.0),
    nn.SiluOp: lambda x: x * 0.5 * (1 + np.tanh(x / 2)),
}
POSITIVE_DOMAIN = {nn.LogOp, nn.SqrtOp, nn.RsqrtOp}


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("shape", SHAPES, ids=ids)
@pytest.mark.parametrize("op_class", UNARY, ids=ids)
def test_unary_float(evaluate, op_class, shape, dtype):
    x = positive(shape, dtype) if op_class in POSITIVE_DOMAIN else randn(shape, dtype)
    assert_close(evaluate(op_class, x), UNARY[op_class](wide(x)), dtype)


def test_unary_special_values(evaluate):
    x = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # IEEE results, silently
        log, sqrt, exp = (evaluate(op, x) for op in (nn.LogOp, nn.SqrtOp, nn.ExpOp))
    assert_exact(log, np.array([-np.inf, -np.inf, np.nan, np.inf, np.nan, np.nan], np.float32))
    assert_exact(sqrt, np.array([0.0, -0.0, np.nan, np.inf, np.nan, np.nan], np.float32))
    assert_exact(exp[[0, 1, 3, 4, 5]], np.array([1.0, 1.0, np.inf, 0.0, np.nan], np.float32))
    relu = evaluate(nn.ReluOp, x)
    assert_exact(relu, np.array([0.0, 0.0, 0.0, np.inf, 0.0, np.nan], np.float32))
    sigmoid = evaluate(nn.SigmoidOp, np.array([-1000.0, 1000.0], np.float32))
    assert_exact(sigmoid, np.array([0.0, 1.0], np.float32))


@pytest.mark.parametrize("dtype", INTS, ids=ids)
def test_integer_unary_ops_are_exact_and_wrap(evaluate, dtype):
    lo, hi = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    x = np.array([lo, -3, 0, 5, hi], dtype)
    assert_exact(evaluate(nn.NegOp, x), np.array([lo, 3, 0, -5, -hi], dtype))
    assert_exact(evaluate(nn.AbsOp, x), np.array([lo, 3, 0, 5, hi], dtype))
    assert_exact(evaluate(nn.ReluOp, x), np.array([0, 0, 0, 5, hi], dtype))


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("form", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(), (0,), (4, 7)], ids=ids)
def test_gelu(evaluate, form, shape, dtype):
    x = randn(shape, dtype, scale=3)
    w = wide(x)
    if form == "none":
        expected = w * 0.5 * (1 + erf64(w / math.sqrt(2)))
    else:
        expected = w * 0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (w + 0.044715 * w**3)))
    approximate = None if form == "none" else "tanh"
    assert_close(evaluate(lambda v: nn.GeluOp(v, approximate=approximate), x), expected, dtype)


# ---------------------------------------------------------------------------
# Element-wise binary ops, promotion and broadcasting

BINARY: dict[type[nn.NNOp], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    nn.AddOp: operator.add,
    nn.SubOp: operator.sub,
    nn.MulOp: operator.mul,
    nn.DivOp: operator.truediv,
    nn.MaxOp: lambda a, b: np.where(a >= b, a, b),
    nn.MinOp: lambda a, b: np.where(a <= b, a, b),
    nn.PowOp: lambda a, b: np.exp(b * np.log(a)),
}
BROADCASTS = [
    ((3, 4), (3, 4)),
    ((2, 1, 4), (3, 1)),  # rank mismatch and size-1 stretching on both sides
    ((), (2, 3)),  # a rank-0 tensor
    ((4,), (0, 4)),  # stretching into a zero-size dim
    ((1, 1), (1,)),
]


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("shapes", BROADCASTS, ids=ids)
@pytest.mark.parametrize("op_class", BINARY, ids=ids)
def test_binary_float(evaluate, op_class, shapes, dtype):
    make = positive if op_class is nn.PowOp else randn
    a, b = make(shapes[0], dtype, seed=1), make(shapes[1], dtype, seed=2)
    expected = BINARY[op_class](wide(a), wide(b))
    assert expected.shape == np.broadcast_shapes(*shapes)
    assert_close(evaluate(op_class, a, b), expected, dtype)


@pytest.mark.parametrize("dtype", INTS, ids=ids)
@pytest.mark.parametrize("op_class", [nn.AddOp, nn.SubOp, nn.MulOp, nn.MaxOp, nn.MinOp], ids=ids)
def test_binary_integer_is_exact(evaluate, op_class, dtype):
    rng = np.random.default_rng(3)
    a, b = rng.integers(-50, 50, (3, 4), dtype), rng.integers(-50, 50, (4,), dtype)
    expected = {
        nn.AddOp: lambda: a + b,
        nn.SubOp: lambda: a - b,
        nn.MulOp: lambda: a * b,
        nn.MaxOp: lambda: np.where(a > b, a, b),
        nn.MinOp: lambda: np.where(a < b, a, b),
    }[op_class]()
    assert_exact(evaluate(op_class, a, b), expected.astype(dtype))


def test_integer_overflow_wraps(evaluate):
    big = np.array([2**31 - 1, -(2**31)], np.int32)
    assert_exact(
        evaluate(nn.AddOp, big, np.array(1, np.int32)), np.array([-(2**31), -(2**31) + 1], np.int32)
    )
    assert_exact(evaluate(nn.MulOp, big, np.array(2, np.int32)), np.array([-2, 0], np.int32))


def test_division_follows_ieee_without_warnings(evaluate):
    x = np.array([1.0, -1.0, 0.0, np.inf], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = evaluate(nn.DivOp, x, np.zeros((), np.float32))
    assert_exact(result, np.array([np.inf, -np.inf, np.nan, np.inf], np.float32))


@pytest.mark.parametrize("op_class", [nn.MaxOp, nn.MinOp], ids=ids)
def test_max_min_propagate_nan(evaluate, op_class):
    a = np.array([np.nan, 1.0, np.nan, -np.inf], np.float32)
    b = np.array([1.0, np.nan, np.nan, 0.0], np.float32)
    result = evaluate(op_class, a, b)
    assert np.isnan(result[:3]).all()
    assert result[3] == (0.0 if op_class is nn.MaxOp else -np.inf)


PROMOTIONS = [
    # lhs, rhs, result: numpy-like ranks, and f16 with bf16 gives f32 as in PyTorch
    (np.int32, np.float32, np.float32),
    (np.float16, BF16, np.float32),
    (BF16, np.float16, np.float32),
    (np.int32, np.float16, np.float16),
    (np.bool_, np.int32, np.int32),
    (np.int32, np.int64, np.int64),
    (np.int64, np.float64, np.float64),
    (np.float16, np.float64, np.float64),
    (BF16, np.float32, np.float32),
]


@pytest.mark.parametrize(("lhs", "rhs", "result"), PROMOTIONS, ids=ids)
def test_type_promotion(evaluate, lhs, rhs, result):
    a = np.array([[1, 0, 3]]).astype(lhs)
    b = np.array([[2], [-1]]).astype(rhs)
    out = evaluate(nn.AddOp, a, b)
    assert_exact(out, (wide(a) + wide(b)).astype(result))


def test_promotion_rounds_operands_to_the_promoted_type_first(evaluate):
    # 2049 is not an f16: i32 + f16 computes in f16 (as PyTorch), so it becomes 2048.
    out = evaluate(nn.AddOp, np.array([2049, 2051], np.int32), np.zeros(2, np.float16))
    assert_exact(out, np.array([2048, 2052], np.float16))
    out = evaluate(nn.SubOp, np.array([2**24 + 1], np.int64), np.zeros(1, np.float32))
    assert_exact(out, np.array([2**24], np.float32))


def test_mixed_precision_sum_is_rounded_once(evaluate):
    # f16 + bf16 computes in f32: 1 + 2^-12 survives, though neither half type holds it.
    a = np.array([1.0], np.float16)
    b = np.array([2.0**-12], BF16)
    assert_exact(evaluate(nn.AddOp, a, b), np.array([1 + 2.0**-12], np.float32))


COMPARE = {
    nn.EqOp: operator.eq,
    nn.NeOp: operator.ne,
    nn.LtOp: operator.lt,
    nn.LeOp: operator.le,
    nn.GtOp: operator.gt,
    nn.GeOp: operator.ge,
}


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS, np.dtype(np.bool_)], ids=ids)
@pytest.mark.parametrize("op_class", COMPARE, ids=ids)
def test_comparisons(evaluate, op_class, dtype):
    rng = np.random.default_rng(4)
    low = 0 if dtype == np.bool_ else -2
    a = rng.integers(low, 2, (3, 4)).astype(dtype)
    b = rng.integers(low, 2, (4,)).astype(dtype)
    expected = COMPARE[op_class](a.astype(np.int64), b.astype(np.int64))
    assert_exact(evaluate(op_class, a, b), expected)


def test_comparisons_with_nan_and_mixed_types(evaluate):
    a = np.array([np.nan, 1.0, np.nan], np.float32)
    b = np.array([np.nan, np.nan, 1.0], np.float32)
    assert_exact(evaluate(nn.EqOp, a, b), np.array([False, False, False]))
    assert_exact(evaluate(nn.NeOp, a, b), np.array([True, True, True]))
    for op_class in (nn.LtOp, nn.LeOp, nn.GtOp, nn.GeOp):
        assert_exact(evaluate(op_class, a, b), np.array([False, False, False]))
    ints = np.array([1, 2, 3], np.int32)
    assert_exact(evaluate(nn.LtOp, ints, np.array(2.5, np.float16)), np.array([True, True, False]))


@pytest.mark.parametrize(("on_true", "on_false", "result"), PROMOTIONS[:5], ids=ids)
def test_select_broadcasts_and_promotes(evaluate, on_true, on_false, result):
    rng = np.random.default_rng(5)
    condition = rng.random((3, 1)) < 0.5
    a = rng.integers(-3, 3, (1, 4)).astype(on_true)
    b = np.array(7).astype(on_false)
    out = evaluate(nn.SelectOp, condition, a, b)
    assert_exact(out, np.where(condition, wide(a), wide(b)).astype(result))


# ---------------------------------------------------------------------------
# cast


CASTS = [
    # float -> int truncates toward zero
    (np.float32, np.int32, [-2.7, -0.5, 0.5, 2.7, 3.0], [-2, 0, 0, 2, 3]),
    (BF16, np.int64, [-2.75, 1.5, 100.0], [-2, 1, 100]),
    (np.float16, np.int32, [-0.999, 7.5], [0, 7]),
    (np.float64, np.int64, [-1e15 - 0.5, 2.5], [-(10**15), 2]),
    # anything -> i1 is `!= 0`; nan is true
    (np.float32, np.bool_, [0.0, -0.0, 0.5, np.nan, -np.inf], [False, False, True, True, True]),
    (np.int32, np.bool_, [0, 1, -3], [False, True, True]),
    (BF16, np.bool_, [0.0, 2.0], [False, True]),
    (np.bool_, np.float32, [True, False], [1.0, 0.0]),
    (np.bool_, np.int64, [True, False], [1, 0]),
    # integer narrowing wraps
    (np.int64, np.int32, [2**32 + 5, 2**31, -1], [5, -(2**31), -1]),
    # float narrowing rounds to nearest, ties to even; overflow is inf
    (
        np.float32,
        np.float16,
        [1 + 2**-11, 1 + 3 * 2**-11, 65520.0, -1e6],
        [1.0, 1 + 2**-9, np.inf, -np.inf],
    ),
    (np.float32, BF16, [1 + 2**-8, 1 + 3 * 2**-8], [1.0, 1 + 2**-6]),
    (np.int32, np.float16, [2049, 2051, -3], [2048.0, 2052.0, -3.0]),
    (np.float16, BF16, [1 + 2**-10], [1.0]),
    (np.float64, np.float32, [0.1], [np.float32(0.1)]),
    (np.int32, np.int32, [5], [5]),
]


@pytest.mark.parametrize(("source", "target", "values", "expected"), CASTS, ids=ids)
def test_cast(evaluate, source, target, values, expected):
    source, target = np.dtype(source), np.dtype(target)
    holder = {"f": np.float64, "V": np.float64, "i": np.int64, "b": np.bool_}[source.kind]
    x = np.array(values, holder).astype(source)
    result_type = tensor(ELEMENT[target], x.shape)
    out = evaluate(lambda v: nn.CastOp(v, result_type=result_type), x)
    assert_exact(out, np.array(expected).astype(target))


def test_cast_of_rank_0_and_empty(evaluate):
    scalar = np.array(-3.9, np.float32)
    out = evaluate(lambda v: nn.CastOp(v, result_type=tensor(i32, ())), scalar)
    assert_exact(out, np.array(-3, np.int32))
    empty = np.zeros((0, 2), np.float64)
    out = evaluate(lambda v: nn.CastOp(v, result_type=tensor(f16, (0, 2))), empty)
    assert_exact(out, np.zeros((0, 2), np.float16))


# ---------------------------------------------------------------------------
# Reductions

REDUCTIONS: dict[type[nn.ReduceOp], Callable[..., np.ndarray]] = {
    nn.ReduceSumOp: np.sum,
    nn.ReduceProdOp: np.prod,
    nn.ReduceMaxOp: np.max,
    nn.ReduceMinOp: np.min,
    nn.ReduceMeanOp: np.mean,
}
REDUCE_CASES = [
    ((3, 4), [1]),
    ((3, 4), [0, 1]),
    ((2, 3, 4), [2, 0]),
    ((2, 3, 4), []),  # reducing over no axes is the identity
    ((7,), [0]),
    ((2, 1, 3), [1]),
    ((0, 3), [1]),  # zero-size, but the reduced axis is not
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize(("shape", "axes"), REDUCE_CASES, ids=ids)
@pytest.mark.parametrize("op_class", REDUCTIONS, ids=ids)
def test_reduction_float(evaluate, op_class, shape, axes, dtype, keepdims):
    x = randn(shape, dtype)
    out = evaluate(lambda v: op_class(v, axes=axes, keepdims=keepdims), x)
    expected = REDUCTIONS[op_class](wide(x), axis=tuple(axes), keepdims=keepdims)
    assert_close(out, np.asarray(expected), dtype)


@pytest.mark.parametrize("dtype", INTS, ids=ids)
@pytest.mark.parametrize(
    "op_class", [nn.ReduceSumOp, nn.ReduceProdOp, nn.ReduceMaxOp, nn.ReduceMinOp], ids=ids
)
def test_reduction_integer_keeps_its_type(evaluate, op_class, dtype):
    x = np.random.default_rng(6).integers(-3, 4, (3, 5), dtype)
    out = evaluate(lambda v: op_class(v, axes=[1]), x)
    python = {
        nn.ReduceSumOp: sum,
        nn.ReduceProdOp: math.prod,
        nn.ReduceMaxOp: max,
        nn.ReduceMinOp: min,
    }
    expected = np.array([python[op_class](int(e) for e in row) for row in x], dtype)
    assert_exact(out, expected)  # i32 stays i32 (numpy alone would sum into i64)


def test_integer_sum_wraps(evaluate):
    x = np.array([2**31 - 1, 1], np.int32)
    assert_exact(evaluate(lambda v: nn.ReduceSumOp(v, axes=[0]), x), np.array(-(2**31), np.int32))


IDENTITIES = [
    (nn.ReduceSumOp, np.float32, 0.0),
    (nn.ReduceProdOp, np.float32, 1.0),
    (nn.ReduceMaxOp, np.float32, -np.inf),
    (nn.ReduceMinOp, np.float32, np.inf),
    (nn.ReduceMeanOp, np.float32, np.nan),
    (nn.ReduceMaxOp, BF16, -np.inf),
    (nn.ReduceSumOp, np.int32, 0),
    (nn.ReduceProdOp, np.int64, 1),
    (nn.ReduceMaxOp, np.int32, -(2**31)),
    (nn.ReduceMinOp, np.int32, 2**31 - 1),
    (nn.ReduceMaxOp, np.int64, -(2**63)),
    (nn.ReduceMinOp, np.int64, 2**63 - 1),
]


@pytest.mark.parametrize(("op_class", "dtype", "identity"), IDENTITIES, ids=ids)
def test_reduction_over_zero_elements_gives_the_identity(evaluate, op_class, dtype, identity):
    x = np.zeros((2, 0, 3), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = evaluate(lambda v: op_class(v, axes=[1]), x)
    assert_exact(out, np.full((2, 3), identity).astype(dtype))


@pytest.mark.parametrize("op_class", [nn.ReduceMaxOp, nn.ReduceMinOp, nn.ReduceSumOp], ids=ids)
def test_reductions_propagate_nan(evaluate, op_class):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, -np.inf, np.inf], [1.0, 2.0, 3.0]], np.float32)
    out = evaluate(lambda v: op_class(v, axes=[1]), x)
    assert np.isnan(out[:2]).all()
    assert not np.isnan(out[2])


@pytest.mark.parametrize(("dtype", "count"), [(BF16, 1000), (np.float16, 4096)], ids=ids)
def test_half_precision_sums_accumulate_in_f32(evaluate, dtype, count):
    # A bf16 accumulator stops at 256 (256 + 1 rounds back to 256), an f16 one at 2048.
    out = evaluate(lambda v: nn.ReduceSumOp(v, axes=[0]), np.ones(count, dtype))
    assert_exact(out, np.array(count).astype(dtype))


# ---------------------------------------------------------------------------
# Contraction

MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),  # rank mismatch: the rhs broadcasts over the batch
    ((1, 2, 3), (4, 3, 5)),  # size-1 batch dim stretches
    ((2, 1, 2, 3), (3, 3, 2)),
    ((2, 0), (0, 3)),  # empty contraction: zeros
    ((0, 2, 3), (3, 1)),
]


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS], ids=ids)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=ids)
def test_matmul(evaluate, shapes, dtype):
    if dtype in INTS:
        rng = np.random.default_rng(7)
        a, b = (rng.integers(-5, 5, s, dtype) for s in shapes)
        expected = np.einsum("...ik,...kj->...ij", a.astype(np.int64), b.astype(np.int64))
        assert_exact(evaluate(nn.MatmulOp, a, b), expected.astype(dtype))
        return
    a, b = randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    expected = np.einsum("...ik,...kj->...ij", wide(a), wide(b))
    assert_close(evaluate(nn.MatmulOp, a, b), expected, dtype)


@pytest.mark.parametrize("dtype", [F16, F32, F64, np.dtype(np.int32)], ids=ids)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_shape", [(3,), (2, 3), (2, 4, 3), (0, 3)], ids=ids)
def test_linear(evaluate, x_shape, bias, dtype):
    rng = np.random.default_rng(8)
    x, w, b = (rng.integers(-4, 4, s).astype(dtype) for s in (x_shape, (5, 3), (5,)))
    args = (x, w, b) if bias else (x, w)
    expected = np.einsum("...i,oi->...o", wide(x), wide(w)) + (wide(b) if bias else 0)
    out = evaluate(nn.LinearOp, *args)
    if dtype.kind == "f":
        assert_close(out, expected, dtype)
    else:
        assert_exact(out, expected.astype(dtype))


# ---------------------------------------------------------------------------
# Data movement: exact, for every element type

MOVEMENT_DTYPES = [F16, BF16, F32, np.dtype(np.bool_), np.dtype(np.int64)]


def sample(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    values = np.arange(math.prod(shape)).reshape(shape)
    return np.asarray(values % 2 == 1) if dtype == np.bool_ else values.astype(dtype)


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(
    ("shape", "perm"),
    [((2, 3, 4), [2, 0, 1]), ((3, 1), [1, 0]), ((), []), ((0, 2), [1, 0])],
    ids=ids,
)
def test_transpose(evaluate, shape, perm, dtype):
    x = sample(shape, dtype)
    out = evaluate(lambda v: nn.TransposeOp(v, perm=perm), x)
    expected = np.empty([shape[p] for p in perm], dtype)
    for index in np.ndindex(*expected.shape):
        source = [0] * len(shape)
        for result_dim, input_dim in enumerate(perm):
            source[input_dim] = index[result_dim]
        expected[index] = x[tuple(source)]
    assert_exact(out, expected)


RESHAPES = [
    (nn.ReshapeOp, (2, 3, 4), (6, 4), {}),
    (nn.ReshapeOp, (1,), (), {}),
    (nn.ReshapeOp, (0, 4), (2, 0, 3), {}),
    (nn.ExpandDimsOp, (2, 3), (1, 2, 1, 3), {"axes": [0, 2]}),
    (nn.ExpandDimsOp, (), (1,), {"axes": [0]}),
    (nn.SqueezeOp, (1, 2, 1, 3), (2, 3), {"axes": [0, 2]}),
    (nn.SqueezeOp, (1, 1), (1,), {"axes": [1]}),
]


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(("op_class", "shape", "result", "params"), RESHAPES, ids=ids)
def test_reshapes_keep_row_major_order(evaluate, op_class, shape, result, params, dtype):
    x = sample(shape, dtype)
    result_type = tensor(ELEMENT[dtype], result)
    out = evaluate(lambda v: op_class(v, result_type=result_type, **params), x)
    assert_exact(out, np.array(list(x.flat), dtype).reshape(result))


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(
    ("shape", "result"),
    [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (2, 2)), ((1, 3), (0, 3)), ((1,), (1,))],
    ids=ids,
)
def test_broadcast_to(evaluate, shape, result, dtype):
    x = sample(shape, dtype)
    out = evaluate(lambda v: nn.BroadcastToOp(v, result_type=tensor(ELEMENT[dtype], result)), x)
    expected = np.empty(result, dtype)
    offset = len(result) - len(shape)
    for index in np.ndindex(*result):
        expected[index] = x[tuple(0 if n == 1 else index[offset + d] for d, n in enumerate(shape))]
    assert_exact(out, expected)


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(
    ("shape", "dims", "result"),
    [
        ((3,), [1], (2, 3)),
        ((3,), [0], (3, 2)),
        ((2, 1), [0, 2], (2, 4, 5)),
        ((), [], (2,)),
        ((1, 4), [1, 2], (3, 0, 4)),
    ],
    ids=ids,
)
def test_broadcast_in_dim(evaluate, shape, dims, result, dtype):
    x = sample(shape, dtype)
    result_type = tensor(ELEMENT[dtype], result)
    out = evaluate(lambda v: nn.BroadcastInDimOp(v, dims=dims, result_type=result_type), x)
    expected = np.empty(result, dtype)
    for index in np.ndindex(*result):
        expected[index] = x[tuple(0 if shape[i] == 1 else index[d] for i, d in enumerate(dims))]
    assert_exact(out, expected)


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(
    ("shapes", "axis"), [([(2, 3), (4, 3)], 0), ([(2, 1), (2, 0), (2, 2)], 1), ([(5,)], 0)], ids=ids
)
def test_concat(evaluate, shapes, axis, dtype):
    xs = [sample(s, dtype) for s in shapes]
    out = evaluate(lambda *vs: nn.ConcatOp(*vs, axis=axis), *xs)
    pieces = [np.moveaxis(x, axis, 0) for x in xs]
    rows = [row for piece in pieces for row in piece]
    expected = np.moveaxis(np.array(rows, dtype).reshape(-1, *pieces[0].shape[1:]), 0, axis)
    assert_exact(out, expected)


@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(
    ("shape", "start", "stop", "step"),
    [
        ((5, 4), [1, 0], [4, 4], [2, 1]),
        ((7,), [0], [7], [3]),
        ((3, 3), [1, 2], [1, 3], [1, 1]),
        ((), [], [], []),
    ],
    ids=ids,
)
def test_slice(evaluate, shape, start, stop, step, dtype):
    x = sample(shape, dtype)
    out = evaluate(lambda v: nn.SliceOp(v, start=start, stop=stop, step=step), x)
    ranges = [range(a, b, s) for a, b, s in zip(start, stop, step, strict=True)]
    expected = np.empty([len(r) for r in ranges], dtype)
    for index in np.ndindex(*expected.shape):
        expected[index] = x[tuple(r[i] for r, i in zip(ranges, index, strict=True))]
    assert_exact(out, expected)


GATHERS = [
    ((5, 3), 0, [[4, 0], [1, 1]]),  # embedding lookup
    ((2, 4, 3), 1, [3, 0, 0]),
    ((4,), 0, 2),  # rank-0 indices drop the axis
    ((3, 2), 1, np.zeros((0,), int)),
]


@pytest.mark.parametrize("index_dtype", INTS, ids=ids)
@pytest.mark.parametrize("dtype", MOVEMENT_DTYPES, ids=ids)
@pytest.mark.parametrize(("shape", "axis", "indices"), GATHERS, ids=ids)
def test_gather(evaluate, shape, axis, indices, dtype, index_dtype):
    x = sample(shape, dtype)
    idx = np.array(indices, index_dtype)
    out = evaluate(lambda v, i: nn.GatherOp(v, i, axis=axis), x, idx)
    result = shape[:axis] + idx.shape + shape[axis + 1 :]
    expected = np.empty(result, dtype)
    for index in np.ndindex(*result):
        picked = idx[index[axis : axis + idx.ndim]]
        expected[index] = x[(*index[:axis], picked, *index[axis + idx.ndim :])]
    assert_exact(out, expected)


@pytest.mark.parametrize("bad", [5, -1, 2**40])
def test_gather_out_of_range_is_an_error(evaluate, bad):
    x = np.zeros((5, 2), np.float32)
    idx = np.array([0, 4, bad], np.int64)
    with pytest.raises(
        InterpreterError,
        match=rf"'nn.gather' op index {bad} at position \[2\] is out of range \[0, 5\) for axis 0",
    ):
        evaluate(lambda v, i: nn.GatherOp(v, i, axis=0), x, idx)


# ---------------------------------------------------------------------------
# Constants


def run_text(body: str, result_type: str) -> np.ndarray:
    text = f"func.func @f() -> {result_type} {{\n{body}\n  func.return %r : {result_type}\n}}"
    module = Parser(make_context(), text, "const.mlir").parse_module()
    module.verify()
    return run(module, "f")


CONSTANTS = [
    ("dense<[[1.5, -2.0, 0.25]]>", "tensor<1x3xf32>", np.array([[1.5, -2.0, 0.25]], np.float32)),
    ("dense<[1.5, 65504.0]>", "tensor<2xf16>", np.array([1.5, 65504.0], np.float16)),
    ("dense<[1.5, -3.0]>", "tensor<2xbf16>", np.array([1.5, -3.0], BF16)),
    ("dense<0.1>", "tensor<f64>", np.array(0.1)),
    ("dense<[true, false, true]>", "tensor<3xi1>", np.array([True, False, True])),
    ("dense<-7>", "tensor<2x2xi32>", np.full((2, 2), -7, np.int32)),
    ("dense<[9223372036854775807, -1]>", "tensor<2xi64>", np.array([2**63 - 1, -1], np.int64)),
    ("dense<>", "tensor<0x3xf32>", np.zeros((0, 3), np.float32)),
]


@pytest.mark.parametrize(("literal", "result_type", "expected"), CONSTANTS, ids=ids)
def test_constant(literal, result_type, expected):
    out = run_text(f"  %r = nn.constant {literal} : {result_type}", result_type)
    assert_exact(out, expected)


SPLATS = [
    ("2.5", "tensor<2x3xf32>", np.full((2, 3), 2.5, np.float32)),
    ("-inf", "tensor<4xbf16>", np.full(4, -np.inf, BF16)),
    ("nan", "tensor<f16>", np.array(np.nan, np.float16)),
    ("1.0e+10", "tensor<1xf16>", np.array([np.inf], np.float16)),  # rounds to inf
    ("-3", "tensor<0x2xi64>", np.zeros((0, 2), np.int64)),
    ("2147483647", "tensor<2xi32>", np.full(2, 2**31 - 1, np.int32)),
    ("1", "tensor<3xi1>", np.ones(3, bool)),
]


@pytest.mark.parametrize(("literal", "result_type", "expected"), SPLATS, ids=ids)
def test_splat(literal, result_type, expected):
    assert_exact(run_text(f"  %r = nn.splat {literal} : {result_type}", result_type), expected)


@pytest.mark.parametrize(
    ("result_type", "dim", "dtype"),
    [
        ("tensor<3x4xi64>", 1, np.int64),
        ("tensor<3x4xf32>", 0, np.float32),
        ("tensor<2x0x3xi32>", 2, np.int32),
        ("tensor<5xbf16>", 0, BF16),
    ],
    ids=ids,
)
def test_iota(result_type, dim, dtype):
    out = run_text(f"  %r = nn.iota dim = {dim} : {result_type}", result_type)
    expected = np.empty(out.shape, dtype)
    for index in np.ndindex(*out.shape):
        expected[index] = index[dim]
    assert_exact(out, expected)


def test_iota_rounds_large_indices_to_the_element_type():
    out = run_text("  %r = nn.iota dim = 0 : tensor<2052xf16>", "tensor<2052xf16>")
    assert out[2049] == 2048 and out[2051] == 2052


# ---------------------------------------------------------------------------
# Composites


SOFTMAX_SHAPES = [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), 1), ((1,), 0), ((3, 0), 0), ((0, 3), 1)]


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize(("shape", "axis"), SOFTMAX_SHAPES, ids=ids)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax(evaluate, log, shape, axis, dtype):
    x = randn(shape, dtype, scale=3)
    e = np.exp(wide(x))  # naive: fine for these inputs, and independent of the max shift
    expected = e / e.sum(axis=axis, keepdims=True)
    op_class = nn.LogSoftmaxOp if log else nn.SoftmaxOp
    out = evaluate(lambda v: op_class(v, axis=axis), x)
    assert_close(out, np.log(expected) if log else expected, dtype)


def test_softmax_is_stable_for_large_inputs_and_nan_for_all_minus_inf_rows(evaluate):
    x = np.array([[1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, -np.inf]], np.float32)
    soft = evaluate(lambda v: nn.SoftmaxOp(v, axis=1), x)
    assert_exact(soft[0], np.array([0.5, 0.5, 0.0], np.float32))
    assert np.isnan(soft[1]).all()
    log = evaluate(lambda v: nn.LogSoftmaxOp(v, axis=1), x)
    assert_exact(log[0], np.array([-math.log(2), -math.log(2), -np.inf], np.float32))


NORM_CASES = [((4, 6), [1]), ((2, 3, 5), [1, 2]), ((3, 1), [1]), ((0, 4), [1]), ((5,), [0])]


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("affine", [0, 1, 2], ids=["plain", "weight", "weight+bias"])
@pytest.mark.parametrize(("shape", "axes"), NORM_CASES, ids=ids)
def test_layer_norm(evaluate, shape, axes, affine, dtype):
    normalized = tuple(shape[a] for a in axes)
    x = randn(shape, dtype, 1, scale=2)
    weight, bias = randn(normalized, dtype, 2), randn(normalized, dtype, 3)
    args = (x, weight, bias)[: 1 + affine]
    out = evaluate(lambda *vs: nn.LayerNormOp(*vs, axes=axes, eps=1e-5), *args)
    w = wide(x)
    mean = w.mean(axis=tuple(axes), keepdims=True) if w.size else w
    var = ((w - mean) ** 2).mean(axis=tuple(axes), keepdims=True) if w.size else w
    expected = (w - mean) / np.sqrt(var + 1e-5)
    if affine >= 1:
        expected = expected * wide(weight)
    if affine == 2:
        expected = expected + wide(bias)
    assert_close(out, expected, dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("shape", "axes"), NORM_CASES, ids=ids)
def test_rms_norm(evaluate, shape, axes, weighted, dtype):
    normalized = tuple(shape[a] for a in axes)
    x, weight = randn(shape, dtype, 1, scale=2), randn(normalized, dtype, 2)
    args = (x, weight) if weighted else (x,)
    out = evaluate(lambda *vs: nn.RmsNormOp(*vs, axes=axes, eps=1e-6), *args)
    w = wide(x)
    count = math.prod(normalized)
    mean_square = (w * w).sum(axis=tuple(axes), keepdims=True) / max(count, 1)
    expected = w / np.sqrt(mean_square + 1e-6) * (wide(weight) if weighted else 1)
    assert_close(out, expected, dtype)


def test_layer_norm_eps_is_inside_the_sqrt(evaluate):
    # A constant row has variance 0: the result is 0 / sqrt(eps) = 0, not nan.
    x = np.full((2, 4), 3.0, np.float32)
    out = evaluate(lambda v: nn.LayerNormOp(v, axes=[1], eps=1e-5), x)
    assert_exact(out, np.zeros((2, 4), np.float32))


def attention_reference(q, k, v, causal, scale):
    """Scaled dot-product attention with explicit loops, in float64."""
    q, k, v = wide(q), wide(k), wide(v)
    *batch, length, features = q.shape
    keys = k.shape[-2]
    scale = 1 / math.sqrt(features) if scale is None else scale
    out = np.zeros((*batch, length, v.shape[-1]))
    for b in np.ndindex(*batch):
        for i in range(length):
            scores = [
                -math.inf if causal and j > i else float(np.dot(q[b][i], k[b][j])) * scale
                for j in range(keys)
            ]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            out[b][i] = sum(w / total * v[b][j] for j, w in enumerate(weights))
    return out


ATTENTION_SHAPES = [
    ((3, 4), (3, 4), (3, 5)),
    ((2, 3, 4), (2, 5, 4), (2, 5, 2)),  # L < S
    ((2, 1, 5, 4), (2, 1, 3, 4), (2, 1, 3, 3)),  # L > S
    ((1, 4), (1, 4), (1, 1)),
]


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("scale", [None, 0.3])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shapes", ATTENTION_SHAPES, ids=ids)
def test_attention(evaluate, shapes, causal, scale, dtype):
    q, k, v = (randn(s, dtype, seed) for seed, s in enumerate(shapes))
    out = evaluate(lambda *vs: nn.AttentionOp(*vs, causal=causal, scale=scale), q, k, v)
    assert_close(out, attention_reference(q, k, v, causal, scale), dtype)


def test_causal_mask_is_aligned_top_left():
    # With L = 2 queries over S = 3 keys, query 0 sees key 0 only and query 1 keys 0-1.
    text = """
    func.func @f(%q: tensor<2x1xf32>, %k: tensor<3x1xf32>, %v: tensor<3x1xf32>) -> tensor<2x1xf32> {
      %r = nn.attention %q, %k, %v causal : tensor<2x1xf32>, tensor<3x1xf32>, tensor<3x1xf32> -> tensor<2x1xf32>
      func.return %r : tensor<2x1xf32>
    }"""
    module = Parser(make_context(), text).parse_module()
    zeros = np.zeros((3, 1), np.float32)
    out = run(
        module,
        "f",
        np.zeros((2, 1), np.float32),
        zeros,
        np.array([[1.0], [3.0], [100.0]], np.float32),
    )
    assert_exact(out, np.array([[1.0], [2.0]], np.float32))


# ---------------------------------------------------------------------------
# The precision policy, bit for bit


def _pair(make_binary):
    return lambda v: [t := nn.TransposeOp(v, perm=[1, 0]), make_binary(v, t)]


POLICY_CASES = {
    **{op_class.name: op_class for op_class in UNARY},
    "gelu": nn.GeluOp,
    "gelu_tanh": lambda v: nn.GeluOp(v, approximate="tanh"),
    "add": lambda v: nn.AddOp(v, v),
    "div": lambda v: nn.DivOp(v, v),
    "pow": lambda v: nn.PowOp(v, v),
    "reduce_sum": lambda v: nn.ReduceSumOp(v, axes=[1]),
    "reduce_prod": lambda v: nn.ReduceProdOp(v, axes=[0, 1]),
    "reduce_mean": lambda v: nn.ReduceMeanOp(v, axes=[1]),
    "softmax": lambda v: nn.SoftmaxOp(v, axis=1),
    "log_softmax": lambda v: nn.LogSoftmaxOp(v, axis=0),
    "layer_norm": lambda v: nn.LayerNormOp(v, axes=[1], eps=1e-5),
    "rms_norm": lambda v: nn.RmsNormOp(v, axes=[1], eps=1e-5),
    "matmul": _pair(nn.MatmulOp),
    "linear": lambda v: nn.LinearOp(v, v),
    "attention": lambda v: nn.AttentionOp(v, v, v, causal=True),
}


@pytest.mark.parametrize("dtype", HALVES, ids=ids)
@pytest.mark.parametrize("name", POLICY_CASES)
def test_half_precision_is_f32_rounded_once(evaluate, name, dtype):
    x = positive((6, 6), dtype, 9)
    half = evaluate(POLICY_CASES[name], x)
    single = evaluate(POLICY_CASES[name], x.astype(np.float32))
    assert_exact(half, single.astype(dtype))


# ---------------------------------------------------------------------------
# Coverage of this file


TESTED_ABOVE = {
    nn.GeluOp,
    nn.EqOp,
    nn.NeOp,
    nn.LtOp,
    nn.LeOp,
    nn.GtOp,
    nn.GeOp,
    nn.SelectOp,
    nn.CastOp,
    nn.MatmulOp,
    nn.LinearOp,
    nn.TransposeOp,
    nn.ReshapeOp,
    nn.ExpandDimsOp,
    nn.SqueezeOp,
    nn.BroadcastToOp,
    nn.BroadcastInDimOp,
    nn.ConcatOp,
    nn.SliceOp,
    nn.GatherOp,
    nn.ConstantOp,
    nn.SplatOp,
    nn.IotaOp,
    nn.SoftmaxOp,
    nn.LogSoftmaxOp,
    nn.LayerNormOp,
    nn.RmsNormOp,
    nn.AttentionOp,
}


def test_every_nn_op_is_implemented_and_checked_here():
    tested = TESTED_ABOVE | set(UNARY) | set(BINARY) | set(COMPARE) | set(REDUCTIONS)
    for op_class in nn.NN.operations:
        assert op_class in tested, f"{op_class.name} has no reference test"
        implementation_for(op_class.__new__(op_class))  # raises if unregistered
