"""numpy implementations of the upstream `arith` and `math` ops.

They run the scalar bodies of `loop.kernel` (vectorised: a "scalar" is an array over
the kernel's domain, see `loop_ops`) and, since they are registered like any other
op, the same ops directly in a function body, on scalars or element-wise on tensors.
Values are numpy arrays whose dtype holds the element type (`scalar_dtype`).

Semantics (MLIR's, which are LLVM's)
-----------------------------------
* Each op computes in its own type and rounds its result once: f32 ops in float32,
  f64 in float64; f16 and bf16 compute in f32 and round once per op (what numpy's
  half-precision ufuncs and LLVM's promotion of half types do). The exceptions are
  named: `math.erf` evaluates `math.erf` in f64 (numpy has none), `math.fpowi`
  evaluates in f64, and `math.fma` computes `a * b + c` in f64 (exact product, one
  rounding of the sum, then one to the result type; an f64 fma is not fused).
* Integers are signless: an `iN` value is held in the signed numpy integer of N bits
  (i1 as bool, `index` as int64). `s` ops read it as two's complement, `u` ops as
  unsigned; results wrap modulo 2^N (i1 true is -1 when read as signed).
* Undefined behaviour is an `InterpreterError`, never a made-up value: integer
  division or remainder by zero, signed division overflow (`INT_MIN / -1`), and a
  shift by at least the bit width (poison in MLIR). The oracle refuses inputs on
  which a compiled kernel could do anything.
* `maximumf` / `minimumf` propagate NaN and order -0.0 below +0.0; `maxnumf` /
  `minnumf` return the non-NaN operand. `cmpf`: the ordered predicates are false and
  the unordered ones true when an operand is NaN.
* `fptosi` / `fptoui` truncate toward zero; NaN and out-of-range values give an
  unspecified integer (poison in MLIR), as `nn.cast` does. `math.round` rounds half
  away from zero, `math.roundeven` half to even.
* IEEE arithmetic, silently (the evaluator runs under `np.errstate(all="ignore")`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects import math as mathd
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ShapedType,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.type import get_element_type_or_self

from mlc.interpreter.core import InterpreterError, implements, numpy_dtype, round_to
from mlc.interpreter.nn_ops import _erf, compute_dtype

__all__ = [
    "as_signed",
    "as_unsigned",
    "int_limits",
    "int_width",
    "is_integer",
    "scalar_dtype",
    "wrap",
]

_INT_DTYPES = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}
_UINT_DTYPES = {1: np.uint8, 8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


# ---------------------------------------------------------------------------
# Types


def is_integer(t: Attribute) -> bool:
    """Whether the element type of `t` is an integer (`iN` or `index`)."""
    return isinstance(get_element_type_or_self(t), IntegerType | IndexType)


def int_width(t: Attribute) -> int:
    """The bit width of an integer element type (64 for `index`)."""
    element = get_element_type_or_self(t)
    return 64 if isinstance(element, IndexType) else element.width.data


def scalar_dtype(t: Attribute) -> np.dtype:
    """The numpy dtype that holds values of `t` (a scalar, or a shaped type's elements).

    `numpy_dtype`'s mapping, plus `index` (int64) and i8 / i16. TypeError for others.
    """
    element = get_element_type_or_self(t)
    if isinstance(element, IndexType):
        return np.dtype(np.int64)
    if isinstance(element, IntegerType) and element.width.data in _INT_DTYPES:
        return np.dtype(_INT_DTYPES[element.width.data])
    return numpy_dtype(element)


def _dtype(op: Operation, t: Attribute) -> np.dtype:
    try:
        return scalar_dtype(t)
    except TypeError as e:
        raise InterpreterError.at(op, f"'{op.name}' op: {e}") from None


def _result_dtype(op: Operation) -> np.dtype:
    return _dtype(op, op.results[0].type)


# Integers: signless storage <-> signed / unsigned readings


def as_signed(x: np.ndarray, t: Attribute) -> np.ndarray:
    """`x` read as a two's-complement integer (i1: 0 or -1, as int8)."""
    if int_width(t) == 1:
        return -np.asarray(x, dtype=np.int8)
    return np.asarray(x)


def as_unsigned(x: np.ndarray, t: Attribute) -> np.ndarray:
    """`x` read as an unsigned integer of its width."""
    return np.asarray(x).astype(_UINT_DTYPES[int_width(t)])


def wrap(x: np.ndarray, op: Operation, t: Attribute) -> np.ndarray:
    """An integer result stored as `t`: wrapped modulo 2^width."""
    if int_width(t) == 1:
        return np.bitwise_and(x, 1) != 0
    return np.asarray(x).astype(_dtype(op, t))


def int_limits(width: int) -> tuple[int, int]:
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def _fail(op: Operation, what: str, mask: np.ndarray, *values: np.ndarray) -> None:
    """InterpreterError for undefined behaviour where `mask` holds, naming an example."""
    if np.any(mask):
        first = tuple(int(i) for i in np.argwhere(np.asarray(mask))[0])
        shown = ", ".join(str(np.broadcast_to(v, np.shape(mask))[first]) for v in values)
        raise InterpreterError.at(op, f"'{op.name}' op: {what} ({shown})")


# ---------------------------------------------------------------------------
# Constants


@implements(arith.ConstantOp)
def _constant(op: arith.ConstantOp) -> np.ndarray:
    value, t = op.value, op.result.type
    dtype = _dtype(op, t)
    if isinstance(value, IntegerAttr):
        raw = value.value.data
        if int_width(t) == 1:
            return np.asarray(raw != 0)
        low, _ = int_limits(int_width(t))
        return np.asarray((raw - low) % (1 << int_width(t)) + low, dtype=dtype)
    if isinstance(value, FloatAttr):
        return np.asarray(value.value.data, dtype=dtype)
    if isinstance(value, DenseIntOrFPElementsAttr) and isinstance(t, ShapedType):
        values = np.asarray(list(value.get_values()))
        values = values != 0 if dtype == np.bool_ else values.astype(dtype)
        shape = tuple(t.get_shape())
        return np.broadcast_to(values, shape).copy() if values.size == 1 else values.reshape(shape)
    raise InterpreterError.at(op, f"'arith.constant' op: unsupported value {value}")


# ---------------------------------------------------------------------------
# Float arithmetic: widen f16/bf16 to f32, compute, round once to the result type


def _widen(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(compute_dtype(x.dtype), copy=False)


def _maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IEEE 754-2019 maximum: NaN-propagating, -0.0 < +0.0."""
    return np.where(a == b, np.where(np.signbit(a), b, a), np.maximum(a, b))


def _minimum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a == b, np.where(np.signbit(a), a, b), np.minimum(a, b))


def _round_half_away(x: np.ndarray) -> np.ndarray:
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.copysign(1, x).astype(x.dtype), t)


def _erf_op(x: np.ndarray) -> np.ndarray:
    return _erf(np.asarray(x))


def _fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    f64 = np.float64
    return np.asarray(a, f64) * np.asarray(b, f64) + np.asarray(c, f64)


_FLOAT_OPS: dict[type[Operation], Callable[..., np.ndarray]] = {
    arith.AddfOp: np.add,
    arith.SubfOp: np.subtract,
    arith.MulfOp: np.multiply,
    arith.DivfOp: np.divide,
    arith.NegfOp: np.negative,
    arith.MaximumfOp: _maximum,
    arith.MinimumfOp: _minimum,
    arith.MaxnumfOp: np.fmax,
    arith.MinnumfOp: np.fmin,
    arith.ExtFOp: np.asarray,
    arith.TruncFOp: np.asarray,
    mathd.AbsFOp: np.abs,
    mathd.AcosOp: np.arccos,
    mathd.AcoshOp: np.arccosh,
    mathd.AsinOp: np.arcsin,
    mathd.AsinhOp: np.arcsinh,
    mathd.AtanOp: np.arctan,
    mathd.Atan2Op: np.arctan2,
    mathd.AtanhOp: np.arctanh,
    mathd.CbrtOp: np.cbrt,
    mathd.CeilOp: np.ceil,
    mathd.CopySignOp: np.copysign,
    mathd.CosOp: np.cos,
    mathd.CoshOp: np.cosh,
    mathd.ErfOp: _erf_op,
    mathd.Exp2Op: np.exp2,
    mathd.ExpM1Op: np.expm1,
    mathd.ExpOp: np.exp,
    mathd.FloorOp: np.floor,
    mathd.FmaOp: _fma,
    mathd.Log10Op: np.log10,
    mathd.Log1pOp: np.log1p,
    mathd.Log2Op: np.log2,
    mathd.LogOp: np.log,
    mathd.PowFOp: np.power,
    mathd.RoundEvenOp: np.rint,
    mathd.RoundOp: _round_half_away,
    mathd.RsqrtOp: lambda x: np.reciprocal(np.sqrt(x)),
    mathd.SinOp: np.sin,
    mathd.SinhOp: np.sinh,
    mathd.SqrtOp: np.sqrt,
    mathd.TanOp: np.tan,
    mathd.TanhOp: np.tanh,
    mathd.TruncOp: np.trunc,
}


def _float_op(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def impl(op: Operation, *args: np.ndarray) -> np.ndarray:
        return round_to(fn(*map(_widen, args)), _result_dtype(op))

    return impl


for _cls, _fn in _FLOAT_OPS.items():
    implements(_cls)(_float_op(_fn))


@implements(mathd.FPowIOp)
def _fpowi(op: mathd.FPowIOp, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    exponent = as_signed(n, op.rhs.type).astype(np.float64)
    return np.power(np.asarray(x, np.float64), exponent).astype(_result_dtype(op))


# cmpf: predicate number -> comparison (numpy's <, <=, ==, > are false on NaN)


def _unordered(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.isnan(a) | np.isnan(b)


def _constant_predicate(value: bool) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return lambda a, b: np.full(np.broadcast_shapes(a.shape, b.shape), value)


_CMPF: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "false": _constant_predicate(False),
    "oeq": np.equal,
    "ogt": np.greater,
    "oge": np.greater_equal,
    "olt": np.less,
    "ole": np.less_equal,
    "one": lambda a, b: np.not_equal(a, b) & ~_unordered(a, b),
    "ord": lambda a, b: ~_unordered(a, b),
    "ueq": lambda a, b: np.equal(a, b) | _unordered(a, b),
    "ugt": lambda a, b: ~np.less_equal(a, b),
    "uge": lambda a, b: ~np.less(a, b),
    "ult": lambda a, b: ~np.greater_equal(a, b),
    "ule": lambda a, b: ~np.greater(a, b),
    "une": np.not_equal,
    "uno": _unordered,
    "true": _constant_predicate(True),
}
assert list(_CMPF) == arith.CMPF_COMPARISON_OPERATIONS


@implements(arith.CmpfOp)
def _cmpf(op: arith.CmpfOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    return np.asarray(_CMPF[predicate](_widen(a), _widen(b)))


# ---------------------------------------------------------------------------
# Integer arithmetic: read as signed or unsigned, compute, wrap to the result type


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    q = np.floor_divide(a, b)
    return q + ((q * b != a) & ((a < 0) != (b < 0)))


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b) + (np.remainder(a, b) != 0)


def _count_leading_zeros(x: np.ndarray, width: int) -> np.ndarray:
    y, bits = x.astype(np.uint64), np.zeros(x.shape, np.int64)
    for shift in (32, 16, 8, 4, 2, 1):
        big = (y >> np.uint64(shift)) != 0
        bits += np.where(big, shift, 0)
        y = np.where(big, y >> np.uint64(shift), y)
    return width - (bits + (y != 0))


def _count_trailing_zeros(x: np.ndarray, width: int) -> np.ndarray:
    lowest = x & (~x + x.dtype.type(1))  # wraps at the width: 0 for x == 0
    return np.bitwise_count(lowest - x.dtype.type(1)).astype(np.int64)


def _ipowi(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    positive = np.power(base, np.maximum(exponent, 0))  # wraps like repeated multiplication
    negative = np.where(base == 1, 1, np.where(base == -1, 1 - 2 * (exponent & 1), 0))
    return np.where(exponent < 0, negative, positive)


_SIGNED_OPS: dict[type[Operation], Callable[..., np.ndarray]] = {
    arith.AddiOp: np.add,
    arith.SubiOp: np.subtract,
    arith.MuliOp: np.multiply,
    arith.AndIOp: np.bitwise_and,
    arith.OrIOp: np.bitwise_or,
    arith.XOrIOp: np.bitwise_xor,
    arith.MaxSIOp: np.maximum,
    arith.MinSIOp: np.minimum,
    arith.FloorDivSIOp: np.floor_divide,
    arith.CeilDivSIOp: _ceil_div,
    arith.DivSIOp: _trunc_div,
    arith.RemSIOp: np.fmod,  # C's %: the sign of the dividend
    arith.ShRSIOp: np.right_shift,
    mathd.AbsIOp: np.abs,
    mathd.IPowIOp: _ipowi,
}

_UNSIGNED_OPS: dict[type[Operation], Callable[..., np.ndarray]] = {
    arith.MaxUIOp: np.maximum,
    arith.MinUIOp: np.minimum,
    arith.DivUIOp: np.floor_divide,
    arith.CeilDivUIOp: _ceil_div,
    arith.RemUIOp: np.remainder,
    arith.ShLIOp: np.left_shift,
    arith.ShRUIOp: np.right_shift,
    mathd.CtPopOp: np.bitwise_count,
}

_DIVISIONS = (
    arith.DivSIOp,
    arith.RemSIOp,
    arith.FloorDivSIOp,
    arith.CeilDivSIOp,
    arith.DivUIOp,
    arith.RemUIOp,
    arith.CeilDivUIOp,
)
_SIGNED_DIVISIONS = (arith.DivSIOp, arith.RemSIOp, arith.FloorDivSIOp, arith.CeilDivSIOp)
_SHIFTS = (arith.ShLIOp, arith.ShRSIOp, arith.ShRUIOp)


def _check_defined(op: Operation, raw: Sequence[np.ndarray], args: Sequence[np.ndarray]) -> None:
    """InterpreterError where `op` has undefined behaviour (a poison) on `args`.

    `raw` are the operand values as stored, `args` as the op reads them.
    """
    t = op.operands[0].type
    if isinstance(op, _DIVISIONS):
        _fail(op, "integer division by zero", args[1] == 0, *args)
    if isinstance(op, _SIGNED_DIVISIONS):
        low, _ = int_limits(int_width(t))
        _fail(op, "signed division overflow", (args[0] == low) & (args[1] == -1), *args)
    if isinstance(op, _SHIFTS):
        width = int_width(t)
        amount = as_unsigned(raw[1], t)
        _fail(op, f"shift amount not below the bit width {width}", amount >= width, *args)
    if isinstance(op, mathd.IPowIOp):
        _fail(op, "zero to a negative power", (args[0] == 0) & (args[1] < 0), *args)


def _integer_op(fn: Callable[..., np.ndarray], signed: bool) -> Callable[..., np.ndarray]:
    read = as_signed if signed else as_unsigned

    def impl(op: Operation, *args: np.ndarray) -> np.ndarray:
        values = [read(a, o.type) for a, o in zip(args, op.operands, strict=True)]
        _check_defined(op, args, values)
        return wrap(fn(*values), op, op.results[0].type)

    return impl


for _cls, _fn in _SIGNED_OPS.items():
    implements(_cls)(_integer_op(_fn, signed=True))
for _cls, _fn in _UNSIGNED_OPS.items():
    implements(_cls)(_integer_op(_fn, signed=False))


@implements(mathd.CountLeadingZerosOp)
def _ctlz(op: mathd.CountLeadingZerosOp, x: np.ndarray) -> np.ndarray:
    t = op.operand.type
    return wrap(_count_leading_zeros(as_unsigned(x, t), int_width(t)), op, t)


@implements(mathd.CountTrailingZerosOp)
def _cttz(op: mathd.CountTrailingZerosOp, x: np.ndarray) -> np.ndarray:
    t = op.operand.type
    width = int_width(t)
    if width == 1:
        return np.asarray(x) == 0  # cttz(0) = 1, cttz(1) = 0
    return wrap(_count_trailing_zeros(as_unsigned(x, t), width), op, t)


_CMPI: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], bool]] = {
    "eq": (np.equal, True),
    "ne": (np.not_equal, True),
    "slt": (np.less, True),
    "sle": (np.less_equal, True),
    "sgt": (np.greater, True),
    "sge": (np.greater_equal, True),
    "ult": (np.less, False),
    "ule": (np.less_equal, False),
    "ugt": (np.greater, False),
    "uge": (np.greater_equal, False),
}
assert list(_CMPI) == arith.CMPI_COMPARISON_OPERATIONS


@implements(arith.CmpiOp)
def _cmpi(op: arith.CmpiOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    fn, signed = _CMPI[arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]]
    read = as_signed if signed else as_unsigned
    t = op.lhs.type
    return np.asarray(fn(read(a, t), read(b, t)))


@implements(arith.AddUIExtendedOp)
def _addui_extended(
    op: arith.AddUIExtendedOp, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    t = op.lhs.type
    ua, ub = as_unsigned(a, t), as_unsigned(b, t)
    total = ua + ub
    if int_width(t) == 1:  # held in uint8: wrap at one bit by hand
        total = total & 1
    return wrap(total, op, t), np.asarray(total < ua)


def _mul_wide_unsigned(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The low and high 64 bits of the 128-bit product of two uint64 arrays."""
    mask, half = np.uint64(0xFFFFFFFF), np.uint64(32)
    a_lo, a_hi, b_lo, b_hi = a & mask, a >> half, b & mask, b >> half
    lo_lo, hi_lo, lo_hi = a_lo * b_lo, a_hi * b_lo, a_lo * b_hi
    cross = (lo_lo >> half) + (hi_lo & mask) + lo_hi
    high = a_hi * b_hi + (hi_lo >> half) + (cross >> half)
    return a * b, high


def _mul_extended(signed: bool) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    def impl(op: Operation, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = op.operands[0].type
        width = int_width(t)
        if width <= 32:  # the full product fits in 64 bits
            read, wide = (as_signed, np.int64) if signed else (as_unsigned, np.uint64)
            product = read(a, t).astype(wide) * read(b, t).astype(wide)
            return wrap(product, op, t), wrap(product >> width, op, t)
        ua, ub = as_unsigned(a, t), as_unsigned(b, t)
        low, high = _mul_wide_unsigned(ua, ub)
        if signed:  # the signed high word: subtract b if a < 0, a if b < 0 (mod 2^64)
            high = high - np.where(np.asarray(a) < 0, ub, 0) - np.where(np.asarray(b) < 0, ua, 0)
        return wrap(low, op, t), wrap(high.astype(np.uint64), op, t)

    return impl


implements(arith.MulSIExtendedOp)(_mul_extended(signed=True))
implements(arith.MulUIExtendedOp)(_mul_extended(signed=False))


# ---------------------------------------------------------------------------
# select and casts


@implements(arith.SelectOp)
def _select(op: arith.SelectOp, cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(cond, a, b).astype(_result_dtype(op))


def _to_float(signed: bool) -> Callable[..., np.ndarray]:
    read = as_signed if signed else as_unsigned

    def impl(op: Operation, x: np.ndarray) -> np.ndarray:
        return read(x, op.operands[0].type).astype(_result_dtype(op))

    return impl


implements(arith.SIToFPOp)(_to_float(signed=True))
implements(arith.UIToFPOp)(_to_float(signed=False))


def _to_int(signed: bool) -> Callable[..., np.ndarray]:
    def impl(op: Operation, x: np.ndarray) -> np.ndarray:
        t = op.results[0].type
        truncated = np.trunc(np.asarray(x, np.float64))
        wide = np.uint64 if not signed and int_width(t) == 64 else np.int64
        return wrap(truncated.astype(wide), op, t)

    return impl


implements(arith.FPToSIOp)(_to_int(signed=True))
implements(arith.FPToUIOp)(_to_int(signed=False))


def _int_cast(signed: bool) -> Callable[..., np.ndarray]:
    read = as_signed if signed else as_unsigned

    def impl(op: Operation, x: np.ndarray) -> np.ndarray:
        return wrap(read(x, op.operands[0].type), op, op.results[0].type)

    return impl


implements(arith.ExtSIOp, arith.TruncIOp, arith.IndexCastOp)(_int_cast(signed=True))
implements(arith.ExtUIOp)(_int_cast(signed=False))


@implements(arith.BitcastOp)
def _bitcast(op: arith.BitcastOp, x: np.ndarray) -> np.ndarray:
    source, result = op.input.type, op.result.type
    dtype = _result_dtype(op)
    x = np.ascontiguousarray(x)
    if is_integer(source) and is_integer(result):  # index <-> iN, or the same type
        return wrap(as_signed(x, source), op, result)
    if x.dtype == np.bool_ or dtype == np.bool_ or x.dtype.itemsize != dtype.itemsize:
        raise InterpreterError.at(op, f"'arith.bitcast' op: unsupported {source} to {result}")
    return x.view(dtype)
