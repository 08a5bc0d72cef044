"""Inline f32 transcendentals for `convert-loop-to-llvm`: straight-line code LLVM vectorises.

Through llvmlite, `llvm.exp.f32`, `tanhf`, `erff` and `logf` stay one scalar libm
call per element even in a vectorised loop (5-18x slower than the code here; see
`/work/shared/guides/cpu-speed-of-light.md`). Each function below is branch-free:
range reduction with bit tricks, polynomials in `llvm.fmuladd` (one FMA where the
CPU has it), and selects for the ranges and the special values, so the loop
vectoriser widens it like any arithmetic. Accuracy, measured against float64 over
the whole f32 range by `test/python/test_codegen_math.py`: exp within 1 ulp, log
within 1 ulp, tanh and erf within 2 ulps; NaN in gives NaN out, and infinities,
signed zeros, overflow and results below the normal range are handled exactly as
libm does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xdsl.dialects import llvm
from xdsl.dialects.builtin import f32, i32
from xdsl.ir import SSAValue

if TYPE_CHECKING:
    from mlc.lowering.loop_to_llvm import FunctionBuilder

__all__ = ["erf_f32", "exp_f32", "log_f32", "tanh_f32"]


# ---------------------------------------------------------------------------
# Building blocks


def _c(b: FunctionBuilder, value: float) -> SSAValue:
    return b.constant(value, f32)


def _fmuladd(b: FunctionBuilder, x: SSAValue, y: SSAValue, z: SSAValue) -> SSAValue:
    """`x * y + z`, fused where the CPU has FMA (never a libm `fmaf` call)."""
    return b.intrinsic("llvm.fmuladd.f32", [x, y, z], f32)


def _polynomial(b: FunctionBuilder, x: SSAValue, coefficients: Sequence[float]) -> SSAValue:
    """Horner's scheme; `coefficients` from the highest degree down."""
    p = _c(b, coefficients[0])
    for coefficient in coefficients[1:]:
        p = _fmuladd(b, p, x, _c(b, coefficient))
    return p


def _fcmp(b: FunctionBuilder, predicate: str, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    return b.add(llvm.FCmpOp(lhs, rhs, predicate))


def _at_most(b: FunctionBuilder, x: SSAValue, bound: float) -> SSAValue:
    """`min(x, bound)` keeping NaN: one `vminps` (not `llvm.minimum`'s blend sequence)."""
    c = _c(b, bound)
    return b.select(_fcmp(b, "ogt", x, c), c, x)


def _abs(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    return b.intrinsic("llvm.fabs.f32", [x], f32)


def _with_sign_of(b: FunctionBuilder, magnitude: SSAValue, sign: SSAValue) -> SSAValue:
    return b.intrinsic("llvm.copysign.f32", [magnitude, sign], f32)


def _power_of_two(b: FunctionBuilder, k: SSAValue) -> SSAValue:
    """`2^k` for an i32 `k` in [-126, 127], built in the exponent bits."""
    biased = b.add(llvm.AddOp(k, b.constant(127, i32)))
    return b.add(llvm.BitcastOp(b.add(llvm.ShlOp(biased, b.constant(23, i32))), f32))


def _times_power_of_two(b: FunctionBuilder, y: SSAValue, k: SSAValue) -> SSAValue:
    """`y * 2^k` for an i32 `k` in [-150, 128], rounded once: `2^k` as two normal
    factors `2^(k>>1)` and `2^(k - (k>>1))`, so that overflow gives inf and results
    below the normal range round correctly."""
    half = b.add(llvm.AShrOp(k, b.constant(1, i32)))
    for part in (half, b.add(llvm.SubOp(k, half))):  # each in [-75, 64]
        y = b.add(llvm.FMulOp(y, _power_of_two(b, part)))
    return y


# ---------------------------------------------------------------------------
# exp

# Cephes `expf`: ln 2 split so that `n * _LN2_HIGH` is exact, and the minimax
# polynomial for (exp(r) - 1 - r) / r^2 on |r| <= ln(2) / 2, highest degree first.
_LN2_HIGH, _LN2_LOW = 0.693359375, -2.12194440e-4
_ROUNDING_SHIFT = 12582912.0  # 1.5 * 2^23, whose f32 bits are 0x4B400000
_EXP_POLYNOMIAL = (
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
)


_EXP_ZERO = -103.97207641601562
"""The f32 just above ln(2^-150): its exp rounds to 2^-149, that of any smaller f32 to 0."""


def exp_f32(b: FunctionBuilder, x: SSAValue, normal: bool = False) -> SSAValue:
    """`exp(x)` within 1 ulp, subnormal results included.

    `x = n ln 2 + r` with `n` the integer nearest `x / ln 2` (x clamped to 88.8
    first, beyond which the result is inf anyway), `exp(r)` by the polynomial, times
    `2^n` (`_times_power_of_two`). Below `_EXP_ZERO` the result is 0, selected
    without computing it: a product that underflows costs a microcode assist per
    lane, and a masked attention score (-inf) is half of a causal softmax (1.5x
    slower with the assists). NaN is returned as is.
    `normal`: the caller knows that x is NaN or in [-87, 88], where exp(x) is a
    normal number: no clamp, one factor 2^n, and NaN comes out as some NaN.
    """
    if normal:
        y, k = _exp_parts(b, x)
        return b.add(llvm.FMulOp(y, _power_of_two(b, k)))
    zero = _fcmp(b, "olt", x, _c(b, _EXP_ZERO))
    y, k = _exp_parts(b, b.select(zero, _c(b, 0.0), _at_most(b, x, 88.8)))
    y = b.select(zero, _c(b, 0.0), _times_power_of_two(b, y, k))
    return b.select(_fcmp(b, "uno", x, x), x, y)


def _exp_parts(b: FunctionBuilder, x: SSAValue) -> tuple[SSAValue, SSAValue]:
    """`exp(r)` and the i32 `n` of `x = n ln 2 + r`."""
    scaled = b.add(llvm.FMulOp(x, _c(b, 1.4426950408889634)))
    # Adding 1.5 * 2^23 rounds to an integer (to even) in the low mantissa bits:
    # roundeven and float-to-int in three ops that vectorise (fptosi.sat does not).
    shifted = b.add(llvm.FAddOp(scaled, _c(b, _ROUNDING_SHIFT)))
    n = b.add(llvm.FSubOp(shifted, _c(b, _ROUNDING_SHIFT)))
    k = b.add(llvm.SubOp(b.add(llvm.BitcastOp(shifted, i32)), b.constant(0x4B400000, i32)))
    r = _fmuladd(b, n, _c(b, -_LN2_HIGH), x)
    r = _fmuladd(b, n, _c(b, -_LN2_LOW), r)
    p = _polynomial(b, r, _EXP_POLYNOMIAL)
    return b.add(llvm.FAddOp(_fmuladd(b, p, b.add(llvm.FMulOp(r, r)), r), _c(b, 1.0))), k


# ---------------------------------------------------------------------------
# tanh

# Cephes `tanhf` on |x| < 0.625: tanh(x) = x + x^3 P(x^2), highest degree first.
_TANH_POLYNOMIAL = (
    -5.70498872745e-3,
    2.06390887954e-2,
    -5.37397155531e-2,
    1.33314422036e-1,
    -3.33332819422e-1,
)


def tanh_f32(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """`tanh(x)` within 2 ulps: on |x|, `a + a^3 P(a^2)` below 0.625 and
    `1 - 2 / (exp(2a) + 1)` above (no cancellation there: the result is > 0.55),
    then the sign of x (so tanh(-0) = -0). Large |x| gives exp = inf and exactly
    1; NaN propagates through both forms."""
    a = _abs(b, x)
    square = b.add(llvm.FMulOp(a, a))
    cube = b.add(llvm.FMulOp(square, a))
    small = _fmuladd(b, cube, _polynomial(b, square, _TANH_POLYNOMIAL), a)
    exp = exp_f32(b, b.add(llvm.FAddOp(a, a)))
    quotient = b.add(llvm.FDivOp(_c(b, 2.0), b.add(llvm.FAddOp(exp, _c(b, 1.0)))))
    large = b.add(llvm.FSubOp(_c(b, 1.0), quotient))
    return _with_sign_of(b, b.select(_fcmp(b, "olt", a, _c(b, 0.625)), small, large), x)


# ---------------------------------------------------------------------------
# erf

# Least-squares fits in float64 on Chebyshev nodes, highest degree first:
# erf(x) = x + x Q(x^2) on [0, 1] (relative weight), and erf(x) = 1 - exp(-x^2)
# G(x - 1.5) on [1, 4] where G approximates erfc(x) exp(x^2), weighted by exp(-x^2)
# (the size of that term in erf, so degree 7 does); erf(x) rounds to 1 above 3.92.
_ERF_SMALL = (
    8.010483861e-05,
    -8.0517523384e-04,
    5.1922744386e-03,
    -2.685540754e-02,
    1.1283610323e-01,
    -3.7612627007e-01,
    1.2837916616e-01,
)
_ERF_LARGE_CENTER = 1.5
_ERF_LARGE = (
    -3.7846850083e-04,
    1.9049819156e-03,
    -5.3298968204e-03,
    1.3392350708e-02,
    -3.2895014437e-02,
    7.6150873855e-02,
    -1.6362454026e-01,
    3.2158536579e-01,
)


def erf_f32(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """`erf(x)` within 2 ulps: on |x| clamped to 4, the small or the large form,
    then the sign of x. inf gives 1; NaN propagates (the clamp keeps it)."""
    a = _at_most(b, _abs(b, x), 4.0)
    square = b.add(llvm.FMulOp(a, a))
    small = _fmuladd(b, a, _polynomial(b, square, _ERF_SMALL), a)
    tail = _polynomial(b, b.add(llvm.FSubOp(a, _c(b, _ERF_LARGE_CENTER))), _ERF_LARGE)
    gaussian = exp_f32(b, b.add(llvm.FNegOp(square)), normal=True)  # -x^2 >= -16
    large = _fmuladd(b, b.add(llvm.FNegOp(gaussian)), tail, _c(b, 1.0))
    return _with_sign_of(b, b.select(_fcmp(b, "olt", a, _c(b, 1.0)), small, large), x)


# ---------------------------------------------------------------------------
# log

# Cephes `logf`: log(1 + f) = f - f^2/2 + f^3 P(f) for f in [sqrt(1/2) - 1, sqrt(2) - 1].
_LOG_POLYNOMIAL = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)
_SMALLEST_NORMAL = 1.1754943508222875e-38


def log_f32(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """`log(x)` within 1 ulp: `x = m 2^e` with m in [sqrt(1/2), sqrt(2)) from the
    bits (subnormals scaled by 2^23 first), `log(m)` by the polynomial, plus
    `e ln 2` in two parts. log(0) = -inf, log(inf) = inf, log(x < 0) = NaN."""
    subnormal = _fcmp(b, "olt", x, _c(b, _SMALLEST_NORMAL))
    scaled = b.select(subnormal, b.add(llvm.FMulOp(x, _c(b, 8388608.0))), x)
    bits = b.add(llvm.BitcastOp(scaled, i32))
    # The mantissa as m in [0.5, 1), and the exponent that goes with it.
    mantissa_bits = b.add(llvm.AndOp(bits, b.constant(0x007FFFFF, i32)))
    m = b.add(llvm.BitcastOp(b.add(llvm.OrOp(mantissa_bits, b.constant(0x3F000000, i32))), f32))
    exponent = b.add(
        llvm.SubOp(b.add(llvm.LShrOp(bits, b.constant(23, i32))), b.constant(126, i32))
    )
    exponent = b.add(
        llvm.SubOp(exponent, b.select(subnormal, b.constant(23, i32), b.constant(0, i32)))
    )
    below = _fcmp(b, "olt", m, _c(b, 0.70710678118654752))
    e = b.add(llvm.SIToFPOp(exponent, f32))
    e = b.select(below, b.add(llvm.FSubOp(e, _c(b, 1.0))), e)
    f = b.add(llvm.FSubOp(b.select(below, b.add(llvm.FAddOp(m, m)), m), _c(b, 1.0)))
    square = b.add(llvm.FMulOp(f, f))
    y = b.add(llvm.FMulOp(b.add(llvm.FMulOp(f, square)), _polynomial(b, f, _LOG_POLYNOMIAL)))
    y = _fmuladd(b, e, _c(b, _LN2_LOW), y)
    y = _fmuladd(b, square, _c(b, -0.5), y)
    y = _fmuladd(b, e, _c(b, _LN2_HIGH), b.add(llvm.FAddOp(f, y)))
    y = b.select(_fcmp(b, "oeq", x, _c(b, float("inf"))), x, y)
    y = b.select(_fcmp(b, "oeq", x, _c(b, 0.0)), _c(b, float("-inf")), y)
    return b.select(_fcmp(b, "ult", x, _c(b, 0.0)), _c(b, float("nan")), y)
