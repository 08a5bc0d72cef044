"""Shared helpers for differential tests: build small nn programs, run them, compare.

Imported by `test_decompose.py` and `test_canonicalize.py` (pytest puts this directory
on `sys.path`). Nothing here is a test.

* `build(make, arg_types)` wraps ops in `func.func @f`; `after(module, pipeline)`
  runs a pipeline on a clone, so one program can be compared with its rewrites.
* `random_array` draws seeded inputs, optionally sprinkled with NaN, ±inf and -0.0.
* `assert_agree` compares a composite's result with its decomposition within the
  per-dtype tolerance documented at `TOLERANCES`; `assert_bitwise_equal` is for
  rewrites that must be exact (canonicalization, explicit broadcasts and casts).
* `random_program` builds seeded random chains of primitives whose splat operands
  are the values canonicalization patterns look for (0.0, -0.0, 1, ...).
* `random_graph` (from `mlc.testing.random_programs`, shared with the fuzzer) builds
  seeded random graphs of primitives and composites for fusion and codegen tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, bf16, f16, f32, f64, i1, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

import mlc
from mlc.dialects import nn
from mlc.interpreter import numpy_dtype, run
from mlc.testing.random_programs import FLOATS
from mlc.testing.random_programs import random_graph as random_graph  # re-exported

# ---------------------------------------------------------------------------
# Element types

ELEMENT_TYPES: dict[str, Attribute] = {
    "f16": f16,
    "bf16": bf16,
    "f32": f32,
    "f64": f64,
    "i1": i1,
    "i32": i32,
    "i64": i64,
}
NUMPY_DTYPES: dict[str, np.dtype] = {name: numpy_dtype(t) for name, t in ELEMENT_TYPES.items()}
INTS = ("i32", "i64")


def ttype(dtype: str, shape: Sequence[int]) -> TensorType:
    """`tensor<shape x dtype>`."""
    return TensorType(ELEMENT_TYPES[dtype], list(shape))


def dtype_name(t: TensorType) -> str:
    return str(t.element_type)


# ---------------------------------------------------------------------------
# Building and running programs

Make = Callable[..., Operation | list[Operation]]


def build(make: Make, arg_types: Sequence[TensorType]) -> ModuleOp:
    """`func.func @f(arg_types)` returning the result of the last op `make` builds.

    `make` receives the block arguments and returns one op or a list of ops (every
    op in the list is added to the body, in order). The module is verified.
    """
    block = Block(arg_types=list(arg_types))
    made = make(*block.args)
    ops = made if isinstance(made, list) else [made]
    block.add_ops(ops)
    results = list(ops[-1].results)
    block.add_op(func.ReturnOp(*results))
    function = func.FuncOp("f", (list(arg_types), [r.type for r in results]), Region(block))
    module = ModuleOp([function])
    module.verify()
    return module


def after(module: ModuleOp, pipeline: str) -> ModuleOp:
    """A clone of `module` with `pipeline` applied (the original is untouched).

    The result is verified once at the end rather than after every pass, which is
    most of the cost of a run on these small programs.
    """
    clone = module.clone()
    mlc.run_pipeline(clone, pipeline, verify_each=False)
    clone.verify()
    return clone


def evaluate(module: ModuleOp, inputs: Sequence[np.ndarray]) -> np.ndarray:
    return run(module, "f", *inputs)


def nn_ops(module: ModuleOp) -> list[Operation]:
    return [op for op in module.walk() if isinstance(op, nn.NNOp)]


def op_count(module: ModuleOp) -> int:
    """Ops inside functions (the module, functions and terminators excluded)."""
    return sum(
        1 for op in module.walk() if not isinstance(op, ModuleOp | func.FuncOp | func.ReturnOp)
    )


def op_names(module: ModuleOp) -> list[str]:
    return [op.name for op in nn_ops(module)]


# ---------------------------------------------------------------------------
# Inputs

SPECIALS = (math.nan, math.inf, -math.inf, -0.0)


def random_array(
    rng: np.random.Generator,
    shape: Sequence[int],
    dtype: str,
    *,
    specials: float = 0.0,
    scale: float = 1.0,
) -> np.ndarray:
    """Seeded values of `dtype`: normal floats, small integers, random booleans.

    With `specials`, about that fraction of float elements become NaN, ±inf or -0.0.
    """
    shape = tuple(shape)
    if dtype == "i1":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INTS:
        return np.asarray(rng.integers(-5, 6, size=shape).astype(NUMPY_DTYPES[dtype]))
    values = np.array(rng.standard_normal(shape) * scale, dtype=np.float64)
    if specials:
        mask = np.asarray(rng.random(shape) < specials)
        values[mask] = rng.choice(SPECIALS, size=int(mask.sum()))
    return np.asarray(values.astype(NUMPY_DTYPES[dtype]))


def inputs_for(
    module: ModuleOp, rng: np.random.Generator, *, specials: float = 0.0
) -> list[np.ndarray]:
    function = next(op for op in module.ops if isinstance(op, func.FuncOp))
    return [
        random_array(rng, t.get_shape(), dtype_name(t), specials=specials)
        for t in function.function_type.inputs.data
    ]


# ---------------------------------------------------------------------------
# Comparisons


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float  # multiplied by the magnitude of the expected result (at least 1)


# How far a composite and its decomposition may differ, per result dtype.
#
# * f64 and f32: the decomposition evaluates the same formula as the interpreter's
#   composite, with a few steps spelled differently (`x * rsqrt(v)` for `x / sqrt(v)`,
#   `sum / count` for the mean): a few ulps, so 1e-12 and 1e-5 relative. The
#   absolute part (the same factor times the result's magnitude) covers results that
#   cancel to near zero, such as layer_norm's `y * weight + bias`.
# * f16 and bf16: both sides compute in f32 and round once at the end (the precision
#   policy in `mlc.interpreter.nn_ops`; `decompose` upcasts composites on f16/bf16),
#   so the f32 values differ by a few f32 ulps and the rounded results by at most one
#   f16/bf16 ulp. 2 ulps relative (eps * 2), and the f32 tolerance absolutely for
#   results near zero, where one rounding step is a large relative change.
# * integers: exact.
TOLERANCES: dict[str, Tolerance] = {
    "f64": Tolerance(rtol=1e-12, atol=1e-12),
    "f32": Tolerance(rtol=1e-5, atol=1e-5),
    "f16": Tolerance(rtol=2 * 2.0**-10, atol=1e-5),
    "bf16": Tolerance(rtol=2 * 2.0**-7, atol=1e-5),
    "i32": Tolerance(rtol=0, atol=0),
    "i64": Tolerance(rtol=0, atol=0),
    "i1": Tolerance(rtol=0, atol=0),
}


def _name_of(dtype: np.dtype) -> str:
    return next(name for name, d in NUMPY_DTYPES.items() if d == dtype)


def assert_same_nan_and_inf(expected: np.ndarray, actual: np.ndarray) -> None:
    """NaN at the same positions, and ±inf at the same positions with the same sign."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg="NaN positions differ")
    np.testing.assert_array_equal(
        np.where(np.isinf(a), a, 0), np.where(np.isinf(e), e, 0), err_msg="inf positions differ"
    )


def assert_agree(expected: np.ndarray, actual: np.ndarray, *, what: str = "") -> None:
    """`actual` equals `expected` within the tolerance of their dtype (see TOLERANCES)."""
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    name = _name_of(expected.dtype)
    if name not in FLOATS:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    assert_same_nan_and_inf(expected, actual)
    e = expected.astype(np.float64)
    finite = e[np.isfinite(e)]
    magnitude = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    tol = TOLERANCES[name]
    np.testing.assert_allclose(
        actual.astype(np.float64),
        e,
        rtol=tol.rtol,
        atol=tol.atol * magnitude,
        equal_nan=True,
        err_msg=f"{what} ({name})",
    )


def bits(array: np.ndarray) -> np.ndarray:
    """The raw bytes of `array`, for comparisons that see -0.0 and NaN payloads."""
    array = np.ascontiguousarray(array)
    return array.view(np.uint8) if array.dtype.itemsize == 1 else array.view(f"u{array.itemsize}")


def assert_bitwise_equal(expected: np.ndarray, actual: np.ndarray, *, what: str = "") -> None:
    """Same dtype, shape and bits: -0.0 is not 0.0 and NaN equals only the same NaN."""
    assert actual.dtype == expected.dtype, (what, actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if not np.array_equal(bits(actual), bits(expected)):
        differ = np.argwhere(bits(actual) != bits(expected))[:5]
        raise AssertionError(
            f"{what}: results differ bit for bit at {differ.tolist()}:\n"
            f"expected {expected!r}\nactual   {actual!r}"
        )


# ---------------------------------------------------------------------------
# Random programs of primitives (for canonicalization)

# Splat values the canonicalization patterns react to, and some they must not.
SPLAT_VALUES = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.nan, math.inf, -math.inf)
INT_SPLAT_VALUES = (0, 1, -1, 2)
_UNARY = (nn.NegOp, nn.AbsOp, nn.ExpOp, nn.TanhOp, nn.SqrtOp, nn.SinOp)
_BINARY = (nn.AddOp, nn.SubOp, nn.MulOp, nn.DivOp, nn.MaxOp, nn.MinOp)


def _broadcastable_shape(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape` to `shape`: trailing dims, some set to 1."""
    keep = int(rng.integers(0, len(shape) + 1))
    tail = shape[len(shape) - keep :]
    return tuple(1 if rng.random() < 0.3 else d for d in tail)


def random_program(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: str, length: int
) -> ModuleOp:
    """A random straight-line program of nn primitives over one `dtype` argument.

    Mixes element-wise ops whose other operand is a splat (often an identity or an
    absorbing value, sometimes of a smaller broadcast shape or another element type),
    splat-only arithmetic (foldable), double negation, transposes, reshapes, casts and
    broadcasts. The result always has the argument's type.
    """
    is_float = dtype in FLOATS

    def make(x: SSAValue) -> list[Operation]:
        ops: list[Operation] = []

        def emit(op: Operation) -> SSAValue:
            ops.append(op)
            return op.results[0]

        def splat(value_shape: tuple[int, ...], element: str | None = None) -> SSAValue:
            element = element or dtype
            if element in FLOATS:
                value = float(rng.choice(SPLAT_VALUES))
            else:
                value = int(rng.choice(INT_SPLAT_VALUES))
            return emit(nn.SplatOp(value, ttype(element, value_shape)))

        def restore(v: SSAValue) -> SSAValue:
            """Back to the argument's type (a rewrite must not change it)."""
            if nn.shape_of(v.type) != shape:
                v = emit(nn.BroadcastToOp(v, result_type=ttype(dtype_name(v.type), shape)))
            if v.type != x.type:
                v = emit(nn.CastOp(v, result_type=x.type))
            return v

        v = x
        for _ in range(length):
            kind = rng.choice(
                ["unary", "binary", "binary", "fold", "neg2", "transpose", "reshape", "cast"]
            )
            if kind == "unary" and is_float:
                v = emit(rng.choice(_UNARY)(v))
            elif kind == "unary" or kind == "neg2":
                v = emit(nn.NegOp(emit(nn.NegOp(v))))
            elif kind in ("binary", "fold"):
                ops_ = _BINARY if is_float else _BINARY[:3] + _BINARY[4:]
                op_class = rng.choice(ops_)
                other_element = dtype
                if rng.random() < 0.2:
                    # Integer programs stay integer: a float NaN cast back to an
                    # integer is unspecified, so it would not be a fair comparison.
                    other_element = str(rng.choice(FLOATS + INTS if is_float else INTS))
                other_shape = _broadcastable_shape(rng, shape)
                other = splat(other_shape, other_element)
                if kind == "fold":
                    other = emit(nn.AddOp(other, splat(other_shape, other_element)))
                lhs, rhs = (v, other) if rng.random() < 0.6 else (other, v)
                v = restore(emit(op_class(lhs, rhs)))
            elif kind == "transpose" and len(shape) >= 2:
                perm = [int(p) for p in rng.permutation(len(shape))]
                inverse = [int(p) for p in np.argsort(perm)]
                v = emit(nn.TransposeOp(emit(nn.TransposeOp(v, perm=perm)), perm=inverse))
            elif kind == "reshape":
                flat = emit(nn.ReshapeOp(v, result_type=ttype(dtype, (math.prod(shape),))))
                v = emit(nn.ReshapeOp(flat, result_type=x.type))
            else:
                v = emit(nn.CastOp(v, result_type=x.type))
        if not ops:
            emit(nn.NegOp(emit(nn.NegOp(v))))
        return ops

    return build(make, [ttype(dtype, shape)])
