"""Differential tests of the nn canonicalization patterns run by `canonicalize`.

`mlc.dialects.nn_canonicalization` promises that every rewrite is exact. So each test
here interprets a program before and after `canonicalize` on inputs full of -0.0,
NaN (both signs), ±inf, subnormals and extreme integers, and requires the results to
be equal *bit for bit*; it also checks that the pattern fired (the op is gone) or,
for the rewrites that would be inexact (`x + 0.0`, `x * 0.0` for floats, an identity
hidden behind a broadcast or a promotion), that it did not.

Constant folding evaluates ops on constants with the interpreter, so splat and dense
constants over the same special values are folded and compared the same way. Last,
`decompose,canonicalize,cse` on every program in `examples/` and `canonicalize,cse` on
seeded random programs keep the interpreter's results and never add ops.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from programs import (
    FLOATS,
    INTS,
    NUMPY_DTYPES,
    after,
    assert_bitwise_equal,
    build,
    evaluate,
    inputs_for,
    op_count,
    op_names,
    random_program,
    ttype,
)
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue

import mlc
from mlc.dialects import nn
from mlc.dialects.nn_canonicalization import MAX_FOLDED_ELEMENTS

# ---------------------------------------------------------------------------
# Inputs full of special values

_FLOAT_SPECIALS = [-0.0, 0.0, math.nan, -math.nan, math.inf, -math.inf, 1.5, -2.5, 1.0, -1.0]


def special_values(dtype: str, size: int = 12) -> np.ndarray:
    """`size` values of `dtype` with the awkward cases first."""
    if dtype == "i1":
        return np.arange(size) % 3 == 0
    if dtype in INTS:
        info = np.iinfo(NUMPY_DTYPES[dtype])
        base = [0, -1, 1, int(info.min), int(info.max), 7, -7, 2, -2, 3, 100, -100]
        return np.resize(np.array(base, dtype=NUMPY_DTYPES[dtype]), size)
    finfo = ml_dtypes.finfo(NUMPY_DTYPES[dtype])
    base = [*_FLOAT_SPECIALS, float(finfo.smallest_subnormal), float(finfo.max)]
    return np.resize(np.array(base, dtype=np.float64).astype(NUMPY_DTYPES[dtype]), size)


def check_canonicalize(
    module: ModuleOp,
    inputs: list[np.ndarray],
    *,
    gone: tuple[str, ...] = (),
    kept: tuple[str, ...] = (),
    pipeline: str = "canonicalize",
) -> ModuleOp:
    """Bit-for-bit equal results after `pipeline`; `gone` ops vanished, `kept` ones stayed."""
    rewritten = after(module, pipeline)
    assert_bitwise_equal(evaluate(module, inputs), evaluate(rewritten, inputs), what=pipeline)
    names = op_names(rewritten)
    for name in gone:
        assert name not in names, f"{name} should have been rewritten away: {names}"
    for name in kept:
        assert name in names, f"{name} must not be rewritten: {names}"
    assert op_count(rewritten) <= op_count(module)
    return rewritten


# ---------------------------------------------------------------------------
# One case per pattern (and per pattern that must not fire)


@dataclass(frozen=True)
class Pattern:
    id: str
    make: Callable[..., Operation | list[Operation]]
    args: tuple[tuple[str, tuple[int, ...]], ...]
    gone: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


def splat(value: float, dtype: str, shape: tuple[int, ...] = (12,)) -> nn.SplatOp:
    return nn.SplatOp(value, ttype(dtype, shape))


def with_splat(
    op_class: type[nn.NNOp], value: float, dtype: str, *, lhs: bool = False, shape=(12,)
) -> Callable[[SSAValue], list[Operation]]:
    """`x op splat` (or `splat op x` with `lhs`)."""

    def make(x: SSAValue) -> list[Operation]:
        s = splat(value, dtype, shape)
        return [s, op_class(s, x) if lhs else op_class(x, s)]

    return make


def _pattern_cases() -> list[Pattern]:
    cases: list[Pattern] = []
    for dt in FLOATS:
        x = ((dt, (12,)),)
        cases += [
            # Patterns that fire.
            Pattern(f"add_neg_zero-{dt}", with_splat(nn.AddOp, -0.0, dt), x, gone=("nn.add",)),
            Pattern(
                f"neg_zero_add-{dt}",
                with_splat(nn.AddOp, -0.0, dt, lhs=True),
                x,
                gone=("nn.add",),
            ),
            Pattern(f"sub_zero-{dt}", with_splat(nn.SubOp, 0.0, dt), x, gone=("nn.sub",)),
            Pattern(f"mul_one-{dt}", with_splat(nn.MulOp, 1.0, dt), x, gone=("nn.mul",)),
            Pattern(f"one_mul-{dt}", with_splat(nn.MulOp, 1.0, dt, lhs=True), x, gone=("nn.mul",)),
            Pattern(f"div_one-{dt}", with_splat(nn.DivOp, 1.0, dt), x, gone=("nn.div",)),
            Pattern(
                f"neg_neg-{dt}", lambda x: [n := nn.NegOp(x), nn.NegOp(n)], x, gone=("nn.neg",)
            ),
            Pattern(
                f"cast_same-{dt}",
                lambda x: nn.CastOp(x, result_type=x.type),
                x,
                gone=("nn.cast",),
            ),
            # Identities that are not exact for floats: must not fire.
            Pattern(f"add_pos_zero-{dt}", with_splat(nn.AddOp, 0.0, dt), x, kept=("nn.add",)),
            Pattern(
                f"pos_zero_add-{dt}", with_splat(nn.AddOp, 0.0, dt, lhs=True), x, kept=("nn.add",)
            ),
            Pattern(f"sub_neg_zero-{dt}", with_splat(nn.SubOp, -0.0, dt), x, kept=("nn.sub",)),
            Pattern(f"zero_sub-{dt}", with_splat(nn.SubOp, 0.0, dt, lhs=True), x, kept=("nn.sub",)),
            Pattern(f"mul_zero-{dt}", with_splat(nn.MulOp, 0.0, dt), x, kept=("nn.mul",)),
            Pattern(f"zero_mul-{dt}", with_splat(nn.MulOp, 0.0, dt, lhs=True), x, kept=("nn.mul",)),
            Pattern(f"mul_neg_zero-{dt}", with_splat(nn.MulOp, -0.0, dt), x, kept=("nn.mul",)),
            Pattern(f"mul_neg_one-{dt}", with_splat(nn.MulOp, -1.0, dt), x, kept=("nn.mul",)),
            Pattern(f"one_div-{dt}", with_splat(nn.DivOp, 1.0, dt, lhs=True), x, kept=("nn.div",)),
            # An identity behind a broadcast: the op must stay (it changes the shape).
            Pattern(
                f"mul_one_broadcast-{dt}",
                with_splat(nn.MulOp, 1.0, dt, shape=(3, 12)),
                x,
                kept=("nn.mul",),
            ),
            Pattern(
                f"add_neg_zero_broadcast-{dt}",
                with_splat(nn.AddOp, -0.0, dt, shape=(2, 1)),
                x,
                kept=("nn.add",),
            ),
            Pattern(
                f"div_one_broadcast-{dt}",
                with_splat(nn.DivOp, 1.0, dt, shape=(1, 12)),
                x,
                kept=("nn.div",),
            ),
        ]
    for dt in INTS:
        x = ((dt, (12,)),)
        cases += [
            Pattern(f"add_zero-{dt}", with_splat(nn.AddOp, 0, dt), x, gone=("nn.add",)),
            Pattern(f"zero_add-{dt}", with_splat(nn.AddOp, 0, dt, lhs=True), x, gone=("nn.add",)),
            Pattern(f"sub_zero-{dt}", with_splat(nn.SubOp, 0, dt), x, gone=("nn.sub",)),
            Pattern(f"mul_one-{dt}", with_splat(nn.MulOp, 1, dt), x, gone=("nn.mul",)),
            Pattern(f"mul_zero-{dt}", with_splat(nn.MulOp, 0, dt), x, gone=("nn.mul",)),
            Pattern(f"zero_mul-{dt}", with_splat(nn.MulOp, 0, dt, lhs=True), x, gone=("nn.mul",)),
            Pattern(
                f"mul_zero_broadcast-{dt}",
                with_splat(nn.MulOp, 0, dt, shape=(3, 12)),
                x,
                gone=("nn.mul",),
            ),
            Pattern(
                f"neg_neg-{dt}", lambda x: [n := nn.NegOp(x), nn.NegOp(n)], x, gone=("nn.neg",)
            ),
            Pattern(f"zero_sub-{dt}", with_splat(nn.SubOp, 0, dt, lhs=True), x, kept=("nn.sub",)),
            Pattern(
                f"mul_one_broadcast-{dt}",
                with_splat(nn.MulOp, 1, dt, shape=(2, 12)),
                x,
                kept=("nn.mul",),
            ),
        ]
    cases += [
        # Mixed element types: exact identities fire, promotions that change values stay.
        Pattern(
            "f32_mul_i32_one", with_splat(nn.MulOp, 1, "i32"), (("f32", (12,)),), gone=("nn.mul",)
        ),
        Pattern(
            "f32_div_i32_one", with_splat(nn.DivOp, 1, "i32"), (("f32", (12,)),), gone=("nn.div",)
        ),
        Pattern(
            "f32_sub_i32_zero", with_splat(nn.SubOp, 0, "i32"), (("f32", (12,)),), gone=("nn.sub",)
        ),
        Pattern(
            "f64_add_f16_neg_zero",
            with_splat(nn.AddOp, -0.0, "f16"),
            (("f64", (12,)),),
            gone=("nn.add",),
        ),
        Pattern(
            "i32_mul_f32_zero",  # -7 * 0.0 is -0.0: not a zero splat
            with_splat(nn.MulOp, 0.0, "f32"),
            (("i32", (12,)),),
            kept=("nn.mul",),
        ),
        Pattern(
            "i32_mul_i1_zero", with_splat(nn.MulOp, 0, "i1"), (("i32", (12,)),), gone=("nn.mul",)
        ),
        Pattern(
            "f16_add_f32_neg_zero",  # the result is f32: the add is a cast
            with_splat(nn.AddOp, -0.0, "f32"),
            (("f16", (12,)),),
            kept=("nn.add",),
        ),
        Pattern(
            "i32_mul_f32_one", with_splat(nn.MulOp, 1.0, "f32"), (("i32", (12,)),), kept=("nn.mul",)
        ),
        Pattern(
            "cast_f32_to_f16",
            lambda x: nn.CastOp(x, result_type=ttype("f16", (12,))),
            (("f32", (12,)),),
            kept=("nn.cast",),
        ),
        # Data movement.
        Pattern(
            "transpose_identity",
            lambda x: nn.TransposeOp(x, perm=[0, 1, 2]),
            (("f32", (2, 3, 2)),),
            gone=("nn.transpose",),
        ),
        Pattern(
            "transpose_inverse_pair",
            lambda x: [t := nn.TransposeOp(x, perm=[1, 2, 0]), nn.TransposeOp(t, perm=[2, 0, 1])],
            (("f32", (2, 3, 2)),),
            gone=("nn.transpose",),
        ),
        Pattern(
            "transpose_compose",
            lambda x: [t := nn.TransposeOp(x, perm=[1, 2, 0]), nn.TransposeOp(t, perm=[1, 0, 2])],
            (("i64", (2, 3, 2)),),
        ),
        Pattern(
            "transpose_kept",
            lambda x: nn.TransposeOp(x, perm=[1, 0]),
            (("f16", (3, 4)),),
            kept=("nn.transpose",),
        ),
        Pattern(
            "reshape_same",
            lambda x: nn.ReshapeOp(x, result_type=x.type),
            (("bf16", (3, 4)),),
            gone=("nn.reshape",),
        ),
        Pattern(
            "reshape_round_trip",
            lambda x: [
                r := nn.ReshapeOp(x, result_type=ttype("f32", (12,))),
                nn.ReshapeOp(r, result_type=x.type),
            ],
            (("f32", (3, 4)),),
            gone=("nn.reshape",),
        ),
        Pattern(
            "reshape_compose",
            lambda x: [
                r := nn.ReshapeOp(x, result_type=ttype("f64", (12,))),
                nn.ReshapeOp(r, result_type=ttype("f64", (2, 6))),
            ],
            (("f64", (3, 4)),),
        ),
        Pattern(
            "broadcast_in_dim_same",
            lambda x: nn.BroadcastInDimOp(x, dims=[0, 1], result_type=x.type),
            (("f32", (3, 4)),),
            gone=("nn.broadcast_in_dim",),
        ),
        Pattern(
            "broadcast_to_same",
            lambda x: nn.BroadcastToOp(x, result_type=x.type),
            (("i32", (3, 4)),),
            gone=("nn.broadcast_to",),
        ),
        Pattern(
            "broadcast_in_dim_of_neg_zero_splat",
            lambda x: [
                s := splat(-0.0, "f32", (4,)),
                b := nn.BroadcastInDimOp(s, dims=[1], result_type=x.type),
                nn.MulOp(x, b),
            ],
            (("f32", (3, 4)),),
            gone=("nn.broadcast_in_dim",),
        ),
        Pattern(
            "broadcast_to_of_nan_splat",
            lambda x: [
                s := splat(math.nan, "f16", (1, 4)),
                b := nn.BroadcastToOp(s, result_type=x.type),
                nn.SubOp(x, b),
            ],
            (("f16", (3, 4)),),
            gone=("nn.broadcast_to",),
        ),
    ]
    return cases


PATTERNS = _pattern_cases()


@pytest.mark.parametrize("case", PATTERNS, ids=lambda c: c.id)
def test_pattern_is_exact_and_fires_only_when_exact(case: Pattern):
    module = build(case.make, [ttype(dt, shape) for dt, shape in case.args])
    inputs = [special_values(dt, math.prod(shape)).reshape(shape) for dt, shape in case.args]
    rewritten = check_canonicalize(module, inputs, gone=case.gone, kept=case.kept)
    if case.id == "transpose_compose":
        assert op_names(rewritten).count("nn.transpose") == 1
    if case.id == "reshape_compose":
        assert op_names(rewritten).count("nn.reshape") == 1


# An integer 0 promotes to +0.0, and -0.0 + +0.0 is +0.0: not an identity.
@pytest.mark.parametrize("zero_type", ["i32", "i1"])
def test_float_plus_integer_zero_is_not_folded(zero_type: str):
    module = build(with_splat(nn.AddOp, 0, zero_type), [ttype("f32", (12,))])
    check_canonicalize(module, [special_values("f32")], kept=("nn.add",))


# ---------------------------------------------------------------------------
# Constant folding

FOLD_VALUES = [0.0, -0.0, -2.5, math.nan, -math.inf]
FOLD_INTS = [0, -1, 2**31 - 1, -(2**31)]
ARITHMETIC = [nn.AddOp, nn.SubOp, nn.MulOp, nn.DivOp, nn.MaxOp, nn.MinOp, nn.PowOp]
COMPARISONS = [nn.EqOp, nn.NeOp, nn.LtOp, nn.LeOp, nn.GtOp, nn.GeOp]


def _no_operands(make: Callable[[], list[Operation]]) -> ModuleOp:
    return build(make, [])


def _fold_all(pairs_or_values, op_for: Callable[..., Operation], dtypes) -> ModuleOp:
    """One op per value (pair) over splats, all results concatenated."""

    def make() -> list[Operation]:
        ops: list[Operation] = []
        results = []
        for values in pairs_or_values:
            splats = [splat(v, dt, (2,)) for v, dt in zip(values, dtypes, strict=True)]
            ops += splats
            ops.append(op_for(*splats))
            results.append(ops[-1].results[0])
        ops.append(nn.ConcatOp(*results, axis=0))
        return ops

    return _no_operands(make)


def check_folds_completely(module: ModuleOp) -> None:
    """Folding leaves only constants (and the final concat) and changes no bit."""
    folded = check_canonicalize(module, [], pipeline="canonicalize")
    leftover = set(op_names(folded)) - {"nn.splat", "nn.constant", "nn.concat"}
    assert not leftover, leftover


def _arithmetic_cases() -> list[tuple[type[nn.NNOp], str]]:
    floats = [(op, dt) for op in ARITHMETIC for dt in FLOATS]
    return floats + [(op, "i32") for op in ARITHMETIC if op not in (nn.DivOp, nn.PowOp)]


@pytest.mark.parametrize(
    "op_class, dtype", _arithmetic_cases(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_arithmetic_on_splats_folds_exactly(op_class: type[nn.NNOp], dtype: str):
    values = FOLD_INTS if dtype == "i32" else FOLD_VALUES
    pairs = [(a, b) for a in values for b in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # see the xfail below
        check_folds_completely(_fold_all(pairs, op_class, (dtype, dtype)))


@pytest.mark.parametrize("dtype", [*FLOATS, "i32"])
def test_comparisons_of_splats_fold_exactly(dtype: str):
    values = [0, -1, 2**31 - 1] if dtype == "i32" else [-0.0, 0.0, math.nan, 1.0]
    pairs = [(a, b) for a in values for b in values]

    def make() -> list[Operation]:
        ops: list[Operation] = []
        results = []
        for op_class in COMPARISONS:
            for a, b in pairs:
                lhs, rhs = splat(a, dtype, (2,)), splat(b, dtype, (2,))
                ops += [lhs, rhs, op_class(lhs, rhs)]
                results.append(ops[-1].results[0])
        return [*ops, nn.ConcatOp(*results, axis=0)]

    check_folds_completely(_no_operands(make))


UNARY: dict[str, Callable[[SSAValue], Operation]] = {
    "neg": nn.NegOp,
    "abs": nn.AbsOp,
    "exp": nn.ExpOp,
    "log": nn.LogOp,
    "sqrt": nn.SqrtOp,
    "rsqrt": nn.RsqrtOp,
    "tanh": nn.TanhOp,
    "erf": nn.ErfOp,
    "sin": nn.SinOp,
    "cos": nn.CosOp,
    "sigmoid": nn.SigmoidOp,
    "relu": nn.ReluOp,
    "silu": nn.SiluOp,
    "gelu": nn.GeluOp,
    "gelu_tanh": lambda x: nn.GeluOp(x, approximate="tanh"),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_on_splats_fold_exactly(name: str):
    values = [(v,) for v in [*FOLD_VALUES, math.inf, 0.5, 100.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for dtype in FLOATS:
            check_folds_completely(_fold_all(values, UNARY[name], (dtype,)))


@pytest.mark.parametrize(
    "source, target, values",
    [
        ("f64", "f32", [0.1, -0.0, math.nan, 1e300, -1e-300]),
        ("f32", "f16", [1e5, -0.0, 65519.0, 65520.0, 2.0**-25]),
        ("f32", "bf16", [1.00390625, 1.01171875, -0.0, math.inf]),
        ("f16", "bf16", [-0.0, 65504.0, math.nan]),
        ("f32", "i1", [-0.0, 0.0, math.nan, 2.0]),
        ("i64", "i32", [2**40 + 5, -(2**31) - 1, 0]),
        ("i32", "f16", [2049, -2049, 70000]),
        ("i64", "f32", [2**53 + 1, -(2**24) - 1]),
        ("i1", "f32", [0, 1]),
    ],
)
def test_casts_of_splats_fold_exactly(source: str, target: str, values: list):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        module = _fold_all(
            [(v,) for v in values],
            lambda s: nn.CastOp(s, result_type=ttype(target, (2,))),
            (source,),
        )
        check_folds_completely(module)


def test_select_of_splats_folds_exactly():
    pairs = [(c, a, b) for c in (0, 1) for a in (-0.0, math.nan) for b in (0.0, -math.inf)]

    def make() -> list[Operation]:
        ops: list[Operation] = []
        results = []
        for c, a, b in pairs:
            cs, as_, bs = splat(c, "i1", (1,)), splat(a, "f16", (2,)), splat(b, "bf16", (2,))
            ops += [cs, as_, bs, nn.SelectOp(cs, as_, bs)]
            results.append(ops[-1].results[0])
        return [*ops, nn.ConcatOp(*results, axis=0)]

    check_folds_completely(_no_operands(make))


def constant(values: list, dtype: str, shape: tuple[int, ...]) -> nn.ConstantOp:
    return nn.ConstantOp(DenseIntOrFPElementsAttr.from_list(ttype(dtype, shape), values))


DENSE_FOLDS: dict[str, Callable[[str], list[Operation]]] = {
    "neg": lambda dt: [c := constant(_dense_values(dt), dt, (3, 4)), nn.NegOp(c)],
    "add_splat": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        s := splat(-0.0 if dt in FLOATS else 0, dt, (4,)),
        nn.AddOp(c, s),
    ],
    "mul_dense": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        d := constant(_dense_values(dt)[::-1], dt, (3, 4)),
        nn.MulOp(c, d),
    ],
    "reduce_sum": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        nn.ReduceSumOp(c, axes=[1]),
    ],
    "reduce_max": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        nn.ReduceMaxOp(c, axes=[0], keepdims=True),
    ],
    "transpose": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        nn.TransposeOp(c, perm=[1, 0]),
    ],
    "matmul": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        d := constant(_dense_values(dt), dt, (4, 3)),
        nn.MatmulOp(c, d),
    ],
    "compare": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        z := splat(0, "i32", (1,)),
        nn.LeOp(c, z),
    ],
    "slice": lambda dt: [
        c := constant(_dense_values(dt), dt, (3, 4)),
        nn.SliceOp(c, start=[0, 1], stop=[3, 4], step=[2, 2]),
    ],
}


def _dense_values(dtype: str) -> list:
    """The finite special values of `dtype` as Python numbers, for a dense attribute.

    Results with NaN or inf are not folded to dense constants (xDSL cannot read them
    back; see test_non_finite_dense_results_are_not_materialised).
    """
    values = special_values(dtype, 12)
    if dtype in FLOATS:
        finite = [float(v) for v in values.astype(np.float64) if math.isfinite(v)]
        return [finite[n % len(finite)] for n in range(12)]
    return [int(v) for v in values]


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS])
@pytest.mark.parametrize("name", DENSE_FOLDS)
def test_ops_on_dense_constants_fold_exactly(name: str, dtype: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        module = _no_operands(lambda: DENSE_FOLDS[name](dtype))
        folded = check_canonicalize(module, [])
        result = np.asarray(evaluate(module, [])).astype(np.float64)
    if np.isfinite(result).all():
        assert set(op_names(folded)) <= {"nn.constant", "nn.splat"}
    else:  # overflowed (a matmul of extremes): not materialised, see below
        assert len(op_names(folded)) > 1


def test_large_results_fold_only_when_they_stay_splats():
    n = MAX_FOLDED_ELEMENTS + 1

    def make() -> list[Operation]:
        s = splat(-0.0, "f32", (n,))
        t = splat(math.nan, "f32", (n,))
        add = nn.AddOp(s, t)  # element-wise of splats: any size
        whole = nn.SliceOp(add, start=[0], stop=[n], step=[1])  # not element-wise: too big
        return [s, t, add, whole]

    folded = check_canonicalize(_no_operands(make), [], gone=("nn.add",), kept=("nn.slice",))
    assert "nn.constant" not in op_names(folded)


# ---------------------------------------------------------------------------
# Robustness of folding


def test_folding_emits_no_floating_point_warnings():
    module = _fold_all([(1.0, 0.0)], nn.DivOp, ("f32", "f32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlc.run_pipeline(module, "canonicalize")


def test_non_finite_dense_results_are_not_materialised():
    """xDSL 0.75 reads NaN/inf in dense attributes back as integers
    (xdslproject/xdsl#3370), so such a result stays an op; the program still
    means the same after printing and parsing."""

    def make() -> list[Operation]:
        c = constant([1.0, 0.0], "f32", (2,))
        zero = splat(0.0, "f32", (2,))
        return [c, zero, nn.DivOp(c, zero)]  # [inf, nan]

    module = _no_operands(make)
    folded = after(module, "canonicalize")
    assert "nn.div" in op_names(folded)
    reparsed = mlc.parse(mlc.print(folded))
    assert_bitwise_equal(evaluate(module, []), evaluate(reparsed, []))


def test_canonicalize_does_not_fail_on_out_of_range_constant_gather():
    """Compiled code clamps the index; folding must not turn it into an error."""

    def make(x: SSAValue) -> list[Operation]:
        c = constant([1.0, 2.0], "f32", (2,))
        i = constant([0, 5], "i32", (2,))
        return [c, i, g := nn.GatherOp(c, i, axis=0), nn.AddOp(x, g)]

    module = build(make, [ttype("f32", (2,))])
    folded = after(module, "canonicalize")
    assert "nn.gather" in op_names(folded)


def test_ops_created_by_canonicalization_keep_the_location():
    text = """func.func @f(%b: tensor<3xi32>) -> tensor<3xi32> {
  %z = nn.splat 0 : tensor<3xi32>
  %m = nn.mul %b, %z : tensor<3xi32>
  func.return %m : tensor<3xi32>
}"""
    module = mlc.parse(text, "input.mlir")
    mlc.run_pipeline(module, "canonicalize")
    (op,) = [op for op in module.walk() if isinstance(op, nn.NNOp)]
    assert "input.mlir" in str(op.location), f"{op.name} lost its location: {op.location}"


def test_round_trip_cast_through_a_wider_type_folds():
    text = """func.func @f(%x: tensor<3xf16>) -> tensor<3xf16> {
  %w = nn.cast %x : tensor<3xf16> -> tensor<3xf32>
  %n = nn.cast %w : tensor<3xf32> -> tensor<3xf16>
  func.return %n : tensor<3xf16>
}"""
    folded = after(mlc.parse(text), "canonicalize")
    assert "nn.cast" not in op_names(folded)


def test_round_trip_cast_through_a_narrower_type_stays():
    text = """func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %n = nn.cast %x : tensor<3xf32> -> tensor<3xf16>
  %w = nn.cast %n : tensor<3xf16> -> tensor<3xf32>
  func.return %w : tensor<3xf32>
}"""
    folded = after(mlc.parse(text), "canonicalize")
    assert op_names(folded).count("nn.cast") == 2


# ---------------------------------------------------------------------------
# Whole programs: the examples, and random chains of primitives

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.mlir"))


def _results(value) -> tuple[np.ndarray, ...]:
    return value if isinstance(value, tuple) else (value,)


def _the_function(module: ModuleOp) -> func.FuncOp:
    return next(op for op in module.ops if isinstance(op, func.FuncOp))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_keep_their_results_through_decompose_canonicalize_cse(path: Path):
    module = mlc.parse(path.read_text(), str(path))
    name = _the_function(module).sym_name.data
    rng = np.random.default_rng(0)
    inputs = [
        rng.standard_normal(t.get_shape()).astype(np.float32)
        for t in _the_function(module).function_type.inputs.data
    ]
    original = _results(mlc.interpreter.run(module, name, *inputs))

    decomposed = after(module, "decompose")
    folded = after(module, "decompose,canonicalize,cse")
    mlc.run_pipeline(folded, "verify-primitives", verify_each=False)
    assert op_count(folded) <= op_count(decomposed)
    for before, now in zip(
        original, _results(mlc.interpreter.run(folded, name, *inputs)), strict=True
    ):
        assert now.dtype == np.float32
        magnitude = max(1.0, float(np.abs(before).max()))
        np.testing.assert_allclose(now, before, rtol=1e-6, atol=1e-6 * magnitude)
    # canonicalize and cse are exact: same bits as the decomposed program.
    for a, b in zip(
        _results(mlc.interpreter.run(decomposed, name, *inputs)),
        _results(mlc.interpreter.run(folded, name, *inputs)),
        strict=True,
    ):
        assert_bitwise_equal(a, b, what=path.stem)

    # On the composite form too: canonicalize,cse change no bit and add no op.
    canonical = after(module, "canonicalize,cse")
    assert op_count(canonical) <= op_count(module)
    for a, b in zip(original, _results(mlc.interpreter.run(canonical, name, *inputs)), strict=True):
        assert_bitwise_equal(a, b, what=path.stem)


RANDOM_DTYPES = ("f32", "f64", "f16", "bf16", "i32", "i64")
RANDOM_SHAPES = ((6,), (2, 3), (1, 4), (2, 1, 3), ())


@pytest.mark.parametrize("seed", range(36))
def test_random_programs_canonicalize_exactly(seed: int):
    rng = np.random.default_rng([7, seed])
    dtype = RANDOM_DTYPES[seed % len(RANDOM_DTYPES)]
    shape = RANDOM_SHAPES[(seed // len(RANDOM_DTYPES)) % len(RANDOM_SHAPES)]
    module = random_program(rng, shape, dtype, length=int(rng.integers(3, 9)))
    inputs = inputs_for(module, rng, specials=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_canonicalize(module, inputs, pipeline="canonicalize,cse")


def test_random_programs_exercise_the_patterns():
    """The random programs above do hit the patterns (so their passing means something)."""
    fired = 0
    for seed in range(36):
        rng = np.random.default_rng([7, seed])
        dtype = RANDOM_DTYPES[seed % len(RANDOM_DTYPES)]
        shape = RANDOM_SHAPES[(seed // len(RANDOM_DTYPES)) % len(RANDOM_SHAPES)]
        module = random_program(rng, shape, dtype, length=int(rng.integers(3, 9)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fired += op_count(after(module, "canonicalize")) < op_count(module)
    assert fired >= 30


def test_types_of_the_module_are_unchanged_by_canonicalize():
    module = random_program(np.random.default_rng(1), (2, 3), "f32", length=8)
    before = _the_function(module).function_type
    assert _the_function(after(module, "canonicalize,cse")).function_type == before
    assert isinstance(before.inputs.data[0], TensorType)
