"""numpy implementations of the `nn` ops: the reference semantics of the tensor level.

Each op's docstring in `mlc.dialects.nn` states what it computes; this module is the
executable form of those docstrings, and where they leave a choice it makes one and
says so here. Passes and backends are checked against these functions.

Precision policy
----------------
Every op computes in a *compute type* and rounds its result to the result element
type once:

* f16 and bf16 compute in f32 (widening is exact), f32 and f64 in themselves, i32 and
  i64 in themselves with two's-complement wrap-around on overflow.
* So an element-wise primitive on f16 or bf16 gives numpy's native half-precision
  result (numpy evaluates a half-precision ufunc in f32 and rounds each result).
* Reductions and matmul accumulate f16 and bf16 in f32 and round once at the end, as
  PyTorch's CPU kernels do; a bf16 accumulator would stall (`256 + 1 == 256` in bf16).
* Composites (`sigmoid`, `silu`, `gelu`, `softmax`, `layer_norm`, `attention`, ...)
  evaluate their whole formula in the compute type and round once at the end, as
  PyTorch on CPU does. They are therefore *not* bit-identical to their decomposition
  into primitives on f16/bf16, which rounds after every step: differential tests
  compare with a tolerance.
* numpy has no `erf`: `nn.erf` and the exact `gelu` evaluate `math.erf` in f64 and
  round to the compute type, so f16/bf16 results are still the f32 result rounded once.

Mixed operand types: binary ops, comparisons and `select` first convert each operand
to the promoted type of `nn.promote_types` (so i32 + f16 rounds the integers to f16,
as PyTorch does; f16 + bf16 computes in f32), then compute as above.

Semantics that numpy alone would leave open
-------------------------------------------
* IEEE arithmetic, silently: `x/0` is ±inf, `0/0` nan, `log(0)` -inf, `sqrt(-1)` nan,
  float overflow inf.
* `max`, `min`, `reduce_max` and `reduce_min` propagate NaN (`np.maximum`, not `fmax`).
* A reduction over zero elements gives the identity: 0 for sum, 1 for prod, -inf or
  the smallest integer for max, +inf or the largest integer for min. `reduce_mean` is
  the sum divided by the element count, so nan over zero elements.
* `cast`: float to integer truncates toward zero (nan and out-of-range values give an
  unspecified integer, as in C); anything to i1 is `x != 0` (nan gives true); integer
  narrowing wraps; float narrowing and integer-to-float round to nearest even.
* `iota` converts the index to the element type (so f16 rounds indices above 2048).
* `gather`: an index outside `[0, size)` of the gathered axis, negative ones included,
  is an InterpreterError. Compiled code clamps instead; the oracle refuses the inputs
  on which the two would disagree rather than pick one answer.
* `softmax` and `log_softmax` subtract the maximum along the axis first; a row that is
  all -inf (or holds +inf) gives nan, as in PyTorch.
* `layer_norm`: `(x - mean) / sqrt(var + eps) * weight + bias`, biased variance over
  the normalised axes. `rms_norm`: `x / sqrt(mean(x^2) + eps) * weight`.
* `gelu`: `x/2 * (1 + erf(x/sqrt(2)))`, or with `approximate = tanh`
  `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` (PyTorch's formulas).
* `attention`: `softmax(q @ k^T * scale + mask) @ v`; `scale` defaults to `1/sqrt(E)`
  (inf for E = 0, which makes every score nan, as the formula says); `causal` masks
  key `j > i` for query `i` with -inf, aligned top-left like PyTorch's `is_causal`
  when L != S.
* `linear`: `x @ weight^T + bias` with weight `[out, in]`; `matmul` is `np.matmul`
  with broadcast batch dims.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import ml_dtypes
import numpy as np

from mlc.dialects import nn
from mlc.interpreter.core import (
    Implementation,
    InterpreterError,
    implements,
    numpy_dtype,
    round_to,
)

_HALF_DTYPES = frozenset({np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)})


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype an op on `dtype` elements computes in (see the precision policy)."""
    return np.dtype(np.float32) if dtype in _HALF_DTYPES else dtype


def _widen(x: np.ndarray) -> np.ndarray:
    return x.astype(compute_dtype(x.dtype), copy=False)


def _result_dtype(op: nn.NNOp) -> np.dtype:
    return numpy_dtype(op.result.type.element_type)


def _result_shape(op: nn.NNOp) -> tuple[int, ...]:
    return nn.shape_of(op.result.type)


# ---------------------------------------------------------------------------
# Constants


@implements(nn.ConstantOp)
def _constant(op: nn.ConstantOp) -> np.ndarray:
    dtype = _result_dtype(op)
    # xDSL packs elements little-endian, i1 as one byte per element (true is 0xFF).
    storage = np.dtype(np.uint8) if dtype == np.bool_ else dtype
    values = np.frombuffer(op.value.data.data, dtype=storage)
    values = values != 0 if dtype == np.bool_ else values.astype(dtype)
    return values.reshape(_result_shape(op))


@implements(nn.SplatOp)
def _splat(op: nn.SplatOp) -> np.ndarray:
    # The verifier guarantees that an integer value fits the element type.
    return np.full(_result_shape(op), op.param("value"), dtype=_result_dtype(op))


@implements(nn.IotaOp)
def _iota(op: nn.IotaOp) -> np.ndarray:
    shape, dim = _result_shape(op), op.param("dim")
    index = np.arange(shape[dim]).reshape([-1 if i == dim else 1 for i in range(len(shape))])
    return np.broadcast_to(index, shape).astype(_result_dtype(op))


# ---------------------------------------------------------------------------
# Element-wise ops

_ERF = np.frompyfunc(math.erf, 1, 1)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf element by element through `math.erf` (in f64), rounded to `x`'s dtype."""
    return np.asarray(_ERF(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


_UNARY: dict[type[nn.NNOp], Callable[[np.ndarray], np.ndarray]] = {
    nn.NegOp: np.negative,
    nn.AbsOp: np.abs,
    nn.ExpOp: np.exp,
    nn.LogOp: np.log,
    nn.SqrtOp: np.sqrt,
    nn.RsqrtOp: lambda x: 1 / np.sqrt(x),
    nn.TanhOp: np.tanh,
    nn.ErfOp: _erf,
    nn.SinOp: np.sin,
    nn.CosOp: np.cos,
    nn.SigmoidOp: _sigmoid,
    nn.ReluOp: lambda x: np.maximum(x, 0),
    nn.SiluOp: lambda x: x * _sigmoid(x),
}

_BINARY: dict[type[nn.NNOp], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    nn.AddOp: np.add,
    nn.SubOp: np.subtract,
    nn.MulOp: np.multiply,
    nn.DivOp: np.divide,
    nn.MaxOp: np.maximum,
    nn.MinOp: np.minimum,
    nn.PowOp: np.power,
    nn.EqOp: np.equal,
    nn.NeOp: np.not_equal,
    nn.LtOp: np.less,
    nn.LeOp: np.less_equal,
    nn.GtOp: np.greater,
    nn.GeOp: np.greater_equal,
}


def _elementwise(fn: Callable[..., np.ndarray]) -> Implementation:
    """An implementation applying `fn` to the operands, promoted and widened."""

    def impl(op: nn.NNOp, *args: np.ndarray) -> np.ndarray:
        element = functools.reduce(nn.promote_types, (v.type.element_type for v in op.operands))
        dtype = numpy_dtype(element)
        widened = (
            a.astype(dtype, copy=False).astype(compute_dtype(dtype), copy=False) for a in args
        )
        return fn(*widened).astype(_result_dtype(op))

    return impl


for _op_class, _fn in (_UNARY | _BINARY).items():
    implements(_op_class)(_elementwise(_fn))


@implements(nn.GeluOp)
def _gelu(op: nn.GeluOp, x: np.ndarray) -> np.ndarray:
    x = _widen(x)
    if op.param("approximate") == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x))
        y = 0.5 * x * (1 + np.tanh(inner))
    else:
        y = 0.5 * x * (1 + _erf(x * math.sqrt(0.5)))
    return y.astype(_result_dtype(op))


@implements(nn.SelectOp)
def _select(
    op: nn.SelectOp, condition: np.ndarray, on_true: np.ndarray, on_false: np.ndarray
) -> np.ndarray:
    dtype = _result_dtype(op)
    return np.where(condition, on_true.astype(dtype), on_false.astype(dtype))


@implements(nn.CastOp)
def _cast(op: nn.CastOp, x: np.ndarray) -> np.ndarray:
    dtype = _result_dtype(op)
    return x != 0 if dtype == np.bool_ else round_to(x, dtype)


# ---------------------------------------------------------------------------
# Reductions


def _identity(ufunc: np.ufunc, dtype: np.dtype) -> int | float:
    """What `ufunc` reduces zero elements of `dtype` (a compute dtype) to."""
    if ufunc.identity is not None:  # 0 for add, 1 for multiply
        return ufunc.identity
    if dtype.kind == "f":
        return -math.inf if ufunc is np.maximum else math.inf
    info = np.iinfo(dtype)
    return int(info.min if ufunc is np.maximum else info.max)


def _reduction(ufunc: np.ufunc) -> Implementation:
    def impl(op: nn.ReduceOp, x: np.ndarray) -> np.ndarray:
        x = _widen(x)
        reduced = ufunc.reduce(
            x,
            axis=tuple(op.param("axes")),
            dtype=x.dtype,  # numpy would widen i32 sums to i64
            keepdims=bool(op.param("keepdims")),
            initial=_identity(ufunc, x.dtype),
        )
        return reduced.astype(_result_dtype(op))

    return impl


_REDUCTIONS: dict[type[nn.ReduceOp], np.ufunc] = {
    nn.ReduceSumOp: np.add,
    nn.ReduceProdOp: np.multiply,
    nn.ReduceMaxOp: np.maximum,
    nn.ReduceMinOp: np.minimum,
}

for _op_class, _ufunc in _REDUCTIONS.items():
    implements(_op_class)(_reduction(_ufunc))


def _mean(x: np.ndarray, axes: tuple[int, ...], keepdims: bool = True) -> np.ndarray:
    """Sum over `axes` divided by the count (np.mean warns on empty input; this is nan)."""
    count = math.prod(x.shape[a] for a in axes)
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / count


@implements(nn.ReduceMeanOp)
def _reduce_mean(op: nn.ReduceMeanOp, x: np.ndarray) -> np.ndarray:
    mean = _mean(_widen(x), tuple(op.param("axes")), keepdims=bool(op.param("keepdims")))
    return mean.astype(_result_dtype(op))


# ---------------------------------------------------------------------------
# Contraction and data movement


@implements(nn.MatmulOp)
def _matmul(op: nn.MatmulOp, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    return np.matmul(_widen(lhs), _widen(rhs)).astype(_result_dtype(op))


@implements(nn.TransposeOp)
def _transpose(op: nn.TransposeOp, x: np.ndarray) -> np.ndarray:
    return np.transpose(x, op.param("perm"))


@implements(nn.ReshapeOp, nn.ExpandDimsOp, nn.SqueezeOp)
def _reshape(op: nn.NNOp, x: np.ndarray) -> np.ndarray:
    # Inserting or removing size-1 dims keeps the row-major order: all three reshape.
    return x.reshape(_result_shape(op))


@implements(nn.BroadcastToOp)
def _broadcast_to(op: nn.BroadcastToOp, x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(x, _result_shape(op))


@implements(nn.BroadcastInDimOp)
def _broadcast_in_dim(op: nn.BroadcastInDimOp, x: np.ndarray) -> np.ndarray:
    shape = _result_shape(op)
    aligned = [1] * len(shape)
    for input_dim, result_dim in enumerate(op.param("dims")):
        aligned[result_dim] = x.shape[input_dim]
    return np.broadcast_to(x.reshape(aligned), shape)


@implements(nn.ConcatOp)
def _concat(op: nn.ConcatOp, *inputs: np.ndarray) -> np.ndarray:
    return np.concatenate(inputs, axis=op.param("axis"))


@implements(nn.SliceOp)
def _slice(op: nn.SliceOp, x: np.ndarray) -> np.ndarray:
    bounds = zip(op.param("start"), op.param("stop"), op.param("step"), strict=True)
    return x[tuple(slice(*b) for b in bounds)]


@implements(nn.GatherOp)
def _gather(op: nn.GatherOp, x: np.ndarray, indices: np.ndarray) -> np.ndarray:
    axis = op.param("axis")
    size = x.shape[axis]
    outside = (indices < 0) | (indices >= size)
    if outside.any():
        position = tuple(int(i) for i in np.argwhere(outside)[0])
        raise InterpreterError.at(
            op,
            f"'nn.gather' op index {indices[position]} at position {list(position)} is out "
            f"of range [0, {size}) for axis {axis}",
        )
    return np.take(x, indices, axis=axis)


# ---------------------------------------------------------------------------
# Composites (computed in the compute type, rounded once)


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.max(x, axis=axis, keepdims=True, initial=-math.inf)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


@implements(nn.SoftmaxOp)
def _softmax_op(op: nn.SoftmaxOp, x: np.ndarray) -> np.ndarray:
    return _softmax(_widen(x), op.param("axis")).astype(_result_dtype(op))


@implements(nn.LogSoftmaxOp)
def _log_softmax(op: nn.LogSoftmaxOp, x: np.ndarray) -> np.ndarray:
    axis = op.param("axis")
    shifted = _shifted(_widen(x), axis)
    log_sum = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return (shifted - log_sum).astype(_result_dtype(op))


def _scale_and_shift(y: np.ndarray, affine: tuple[np.ndarray, ...]) -> np.ndarray:
    """`y * weight + bias` for the optional (weight, bias) operands that are present."""
    if affine:
        y = y * _widen(affine[0])
    if len(affine) > 1:
        y = y + _widen(affine[1])
    return y


@implements(nn.LayerNormOp)
def _layer_norm(op: nn.LayerNormOp, x: np.ndarray, *affine: np.ndarray) -> np.ndarray:
    x, axes = _widen(x), tuple(op.param("axes"))
    centered = x - _mean(x, axes)
    normed = centered / np.sqrt(_mean(centered * centered, axes) + op.param("eps"))
    return _scale_and_shift(normed, affine).astype(_result_dtype(op))


@implements(nn.RmsNormOp)
def _rms_norm(op: nn.RmsNormOp, x: np.ndarray, *weight: np.ndarray) -> np.ndarray:
    x = _widen(x)
    normed = x / np.sqrt(_mean(x * x, tuple(op.param("axes"))) + op.param("eps"))
    return _scale_and_shift(normed, weight).astype(_result_dtype(op))


@implements(nn.LinearOp)
def _linear(op: nn.LinearOp, x: np.ndarray, weight: np.ndarray, *bias: np.ndarray) -> np.ndarray:
    y = np.matmul(_widen(x), _widen(weight).T)
    if bias:
        y = y + _widen(bias[0])
    return y.astype(_result_dtype(op))


@implements(nn.AttentionOp)
def _attention(op: nn.AttentionOp, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    q, k, v = _widen(q), _widen(k), _widen(v)
    scale = op.param("scale")
    if scale is None:
        features = q.shape[-1]
        scale = 1 / math.sqrt(features)  # the verifier requires a scale when features == 0
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    if op.param("causal"):
        length, keys = scores.shape[-2:]
        scores = np.where(np.arange(keys) > np.arange(length)[:, None], -math.inf, scores)
    return np.matmul(_softmax(scores, -1), v).astype(_result_dtype(op))
