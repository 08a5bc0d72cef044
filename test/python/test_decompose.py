"""Differential tests of `decompose`: every composite against its primitives.

Each test builds a one-op program, evaluates it with the numpy interpreter (which
implements every composite directly), then evaluates the program after `decompose`
and after `decompose,canonicalize,cse`:

* composite vs. decomposition: equal within the per-dtype tolerance documented at
  `programs.TOLERANCES` (f64 1e-12 and f32 1e-5 relative; f16/bf16 2 ulps, since both
  sides compute in f32 and round once; integers exact), with NaN at the same
  positions and ±inf at the same positions with the same sign;
* decomposition vs. decomposition + canonicalize + cse: bit for bit, because every
  canonicalization pattern is exact, and never more ops;
* after `decompose` no composite remains and `verify-primitives` passes.

The sweep is seeded (`SEED`): shapes with size-1, odd and zero-size dims, every
float dtype (and the integer ones where the op accepts them), every axis choice, and
some inputs sprinkled with NaN, ±inf and -0.0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from programs import (
    FLOATS,
    INTS,
    NUMPY_DTYPES,
    after,
    assert_agree,
    assert_bitwise_equal,
    build,
    evaluate,
    inputs_for,
    nn_ops,
    op_count,
    op_names,
    random_array,
    ttype,
)
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

import mlc
from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.transforms.decompose import COMPOSITES
from mlc.transforms.verify_primitives import why_not_primitive

SEED = 20240611
FULL = "decompose,canonicalize,cse"


# ---------------------------------------------------------------------------
# The check every case goes through


def check_decomposition(
    module: ModuleOp, inputs: list[np.ndarray], *, exact: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Interpret before/after decompose (and + canonicalize,cse); compare as documented.

    Returns (composite result, decomposed result). With `exact`, the decomposition
    must agree bit for bit (for rewrites that only make broadcasts and casts explicit).
    """
    expected = evaluate(module, inputs)
    decomposed = after(module, "decompose")
    assert not [op.name for op in decomposed.walk() if nn.is_composite(op)]
    assert [why_not_primitive(op) for op in decomposed.walk() if why_not_primitive(op)] == []
    mlc.run_pipeline(decomposed, "verify-primitives", verify_each=False)
    actual = evaluate(decomposed, inputs)
    if exact:
        assert_bitwise_equal(expected, actual, what="decompose")
    else:
        assert_agree(expected, actual, what="decompose")

    # = after(module, FULL), without decomposing a second time
    folded = after(decomposed, "canonicalize,cse")
    mlc.run_pipeline(folded, "verify-primitives", verify_each=False)
    assert_bitwise_equal(actual, evaluate(folded, inputs), what=FULL)
    assert op_count(folded) <= op_count(decomposed)
    return expected, actual


# ---------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[..., Operation]
    args: tuple[TensorType, ...]
    specials: float = 0.0

    def module(self) -> ModuleOp:
        return build(self.make, self.args)


def _dim(rng: np.random.Generator, zero: bool = False) -> int:
    dims = [1, 2, 3, 4, 5, 7, 8]
    if zero and rng.random() < 0.1:
        return 0
    return int(rng.choice(dims))


def _shape(rng: np.random.Generator, rank: int, zero: bool = True) -> tuple[int, ...]:
    return tuple(_dim(rng, zero) for _ in range(rank))


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _specials(rng: np.random.Generator) -> float:
    return 0.15 if rng.random() < 0.3 else 0.0


def softmax_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    for i in range(count):
        op_class = (nn.SoftmaxOp, nn.LogSoftmaxOp)[i % 2]
        dtype = FLOATS[(i // 2) % len(FLOATS)]
        shape = _shape(rng, int(rng.integers(1, 4)))
        axis = int(rng.integers(0, len(shape)))
        name = op_class.name.removeprefix("nn.")
        cases.append(
            Case(
                f"{name}-{dtype}-{_fmt(shape)}-axis{axis}",
                lambda x, c=op_class, a=axis: c(x, axis=a),
                (ttype(dtype, shape),),
                _specials(rng),
            )
        )
    return cases


def norm_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    for i in range(count):
        layer = i % 2 == 0
        dtype = FLOATS[(i // 2) % len(FLOATS)]
        shape = _shape(rng, int(rng.integers(1, 4)))
        naxes = int(rng.integers(1, min(2, len(shape)) + 1))
        axes = list(range(len(shape) - naxes, len(shape)))
        if naxes == 2 and rng.random() < 0.5:
            axes.reverse()  # the verifier accepts the trailing axes in any order
        normalized = shape[len(shape) - naxes :]
        n_affine = (i // 8) % (3 if layer else 2)
        eps = float(rng.choice([1e-5, 1e-3, 0.0]))
        op_class = nn.LayerNormOp if layer else nn.RmsNormOp
        affine = ("weight", "weight+bias")[:n_affine] if n_affine else ("plain",)
        cases.append(
            Case(
                f"{op_class.name.removeprefix('nn.')}-{dtype}-{_fmt(shape)}-axes"
                f"{''.join(map(str, axes))}-{affine[-1]}-eps{eps:g}",
                lambda x, *wb, c=op_class, a=axes, e=eps: c(x, *wb, axes=a, eps=e),
                (ttype(dtype, shape),) + (ttype(dtype, normalized),) * n_affine,
                _specials(rng) / 3,
            )
        )
    return cases


def unary_cases(rng: np.random.Generator, count: int) -> list[Case]:
    kinds: list[tuple[str, Callable[[SSAValue], Operation], tuple[str, ...]]] = [
        ("gelu", lambda x: nn.GeluOp(x), FLOATS),
        ("gelu_tanh", lambda x: nn.GeluOp(x, approximate="tanh"), FLOATS),
        ("silu", lambda x: nn.SiluOp(x), FLOATS),
        ("sigmoid", lambda x: nn.SigmoidOp(x), FLOATS),
        ("relu", lambda x: nn.ReluOp(x), FLOATS + INTS),
    ]
    cases = []
    for i in range(count):
        name, make, dtypes = kinds[i % len(kinds)]
        dtype = dtypes[(i // len(kinds)) % len(dtypes)]
        shape = _shape(rng, int(rng.integers(0, 4)))
        cases.append(
            Case(f"{name}-{dtype}-{_fmt(shape)}", make, (ttype(dtype, shape),), _specials(rng))
        )
    return cases


def reduce_mean_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    for i in range(count):
        dtype = FLOATS[i % len(FLOATS)]
        shape = _shape(rng, int(rng.integers(1, 4)))
        n = int(rng.integers(1, len(shape) + 1))
        axes = sorted(int(a) for a in rng.choice(len(shape), size=n, replace=False))
        keepdims = bool(i % 2)
        cases.append(
            Case(
                f"reduce_mean-{dtype}-{_fmt(shape)}-axes{''.join(map(str, axes))}"
                f"-{'keep' if keepdims else 'drop'}",
                lambda x, a=axes, k=keepdims: nn.ReduceMeanOp(x, axes=a, keepdims=k),
                (ttype(dtype, shape),),
                _specials(rng),
            )
        )
    return cases


def broadcast_to_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    dtypes = (*FLOATS, *INTS, "i1")
    for i in range(count):
        dtype = dtypes[i % len(dtypes)]
        target = _shape(rng, int(rng.integers(1, 4)))
        target_type = ttype(dtype, target)
        rank = int(rng.integers(0, len(target) + 1))
        source = tuple(1 if rng.random() < 0.5 else d for d in target[len(target) - rank :])
        cases.append(
            Case(
                f"broadcast_to-{dtype}-{_fmt(source)}-to-{_fmt(target)}",
                lambda x, t=target_type: nn.BroadcastToOp(x, result_type=t),
                (ttype(dtype, source),),
            )
        )
    return cases


def linear_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    dtypes = (*FLOATS, *INTS)
    for i in range(count):
        dtype = dtypes[i % len(dtypes)]
        rank = 1 + (i % 3)
        bias = (i // 3) % 2 == 0
        lead = _shape(rng, rank - 1)
        features_in, features_out = _dim(rng, zero=True), _dim(rng, zero=True)
        args = [ttype(dtype, (*lead, features_in)), ttype(dtype, (features_out, features_in))]
        if bias:
            args.append(ttype(dtype, (features_out,)))
        cases.append(
            Case(
                f"linear-{dtype}-rank{rank}-{_fmt((*lead, features_in))}-out{features_out}"
                f"-{'bias' if bias else 'nobias'}",
                lambda *xs: nn.LinearOp(*xs),
                tuple(args),
            )
        )
    return cases


def attention_cases(rng: np.random.Generator, count: int) -> list[Case]:
    cases = []
    for i in range(count):
        dtype = FLOATS[i % len(FLOATS)]
        causal = (i // 4) % 2 == 0
        scale = None if (i // 2) % 2 == 0 else float(rng.choice([0.5, 0.125, 2.0]))
        batch = _shape(rng, int(rng.integers(0, 3)), zero=False)
        length, keys = _dim(rng), _dim(rng)
        if i % 3 == 0:
            keys = length + 2  # L != S
        features, value_features = _dim(rng), _dim(rng)
        q = ttype(dtype, (*batch, length, features))
        k = ttype(dtype, (*batch, keys, features))
        v = ttype(dtype, (*batch, keys, value_features))
        cases.append(
            Case(
                f"attention-{dtype}-b{_fmt(batch)}-L{length}-S{keys}-E{features}"
                f"-Ev{value_features}-{'causal' if causal else 'full'}-scale{scale}",
                lambda q, k, v, c=causal, s=scale: nn.AttentionOp(q, k, v, causal=c, scale=s),
                (q, k, v),
                _specials(rng) / 3,
            )
        )
    return cases


def sweep() -> list[Case]:
    rng = np.random.default_rng(SEED)
    return [
        *softmax_cases(rng, 24),
        *norm_cases(rng, 32),
        *unary_cases(rng, 30),
        *reduce_mean_cases(rng, 12),
        *broadcast_to_cases(rng, 14),
        *linear_cases(rng, 24),
        *attention_cases(rng, 24),
    ]


CASES = sweep()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_composite_agrees_with_its_decomposition(case: Case):
    module = case.module()
    rng = np.random.default_rng([SEED, CASES.index(case)])
    check_decomposition(module, inputs_for(module, rng, specials=case.specials))


@pytest.mark.parametrize("case", CASES[::16], ids=lambda c: c.id)
def test_the_full_pipeline_equals_decompose_then_canonicalize_cse(case: Case):
    """`check_decomposition` runs the two halves separately; the one pipeline is the same."""
    module = case.module()
    two_steps = after(after(module, "decompose"), "canonicalize,cse")
    assert mlc.print(after(module, FULL)) == mlc.print(two_steps)


def test_the_sweep_covers_every_composite_dtype_and_rank():
    names = {c.id.split("-")[0] for c in CASES}
    assert names | {"gelu"} >= set(COMPOSITES) | {"gelu_tanh"}
    assert set(COMPOSITES) <= {n.removesuffix("_tanh") for n in names}
    for name in COMPOSITES:
        dtypes = {c.args[0].element_type for c in CASES if c.id.split("-")[0] == name}
        assert {str(d) for d in dtypes} >= set(FLOATS), name
    shapes = [s for c in CASES for s in (t.get_shape() for t in c.args)]
    assert any(0 in s for s in shapes) and any(1 in s for s in shapes)
    assert any(c.specials for c in CASES)
    linear_ranks = {len(c.args[0].get_shape()) for c in CASES if c.id.startswith("linear")}
    assert linear_ranks == {1, 2, 3}


# ---------------------------------------------------------------------------
# Hand-picked edge cases


def one_op(make: Callable[..., Operation], *types: TensorType) -> ModuleOp:
    return build(make, types)


def f32(*values) -> np.ndarray:
    return np.array(values, dtype=np.float32)


@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_propagates_identically_through_elementwise_composites(dtype: str):
    x = np.array([math.nan, -math.nan, math.inf, -math.inf, -0.0, 0.0, 3.0, -40.0, 1000.0])
    x = x.astype(NUMPY_DTYPES[dtype])
    for make in (
        nn.SigmoidOp,
        nn.SiluOp,
        nn.ReluOp,
        nn.GeluOp,
        lambda v: nn.GeluOp(v, approximate="tanh"),
    ):
        module = one_op(make, ttype(dtype, x.shape))
        _, actual = check_decomposition(module, [x])
        assert np.isnan(actual[:2]).all()


@pytest.mark.parametrize("op_class", [nn.SoftmaxOp, nn.LogSoftmaxOp])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_rows_with_nan_and_infinities(op_class: type[nn.NNOp], dtype: str):
    inf, nan = math.inf, math.nan
    x = np.array(
        [
            [1.0, 2.0, 3.0, 4.0],  # ordinary
            [1.0, nan, 3.0, 4.0],  # NaN poisons the row
            [1.0, inf, 3.0, 4.0],  # +inf: inf - inf is NaN, the row is NaN (as PyTorch)
            [1.0, -inf, 3.0, 4.0],  # -inf: probability 0 (log_softmax -inf)
            [-inf, -inf, -inf, -inf],  # all -inf: NaN
            [-inf, -inf, 0.0, -inf],  # one finite entry: a one-hot row
        ]
    ).astype(NUMPY_DTYPES[dtype])
    module = one_op(lambda v: op_class(v, axis=1), ttype(dtype, x.shape))
    _, actual = check_decomposition(module, [x])
    nan_rows = np.isnan(actual.astype(np.float64)).all(axis=1)
    assert nan_rows.tolist() == [False, True, True, False, True, False]
    assert not np.isnan(actual[[0, 3, 5]].astype(np.float64)).any()
    if op_class is nn.SoftmaxOp:
        assert actual[3, 1] == 0 and actual[5].astype(np.float64).tolist() == [0, 0, 1, 0]
    else:
        assert actual[3, 1] == -math.inf and actual[5, 2] == 0


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keys", [1, 3, 5])
def test_causal_attention_masks_the_future_with_minus_inf(dtype: str, keys: int):
    length, features = 4, 3
    rng = np.random.default_rng(7)
    q, k, v = (
        random_array(rng, shape, dtype)
        for shape in ((2, length, features), (2, keys, features), (2, keys, 2))
    )
    module = one_op(
        lambda *xs: nn.AttentionOp(*xs, causal=True),
        *(ttype(dtype, a.shape) for a in (q, k, v)),
    )
    expected, actual = check_decomposition(module, [q, k, v])
    # The first query attends to key 0 alone: its output is v[0], exactly.
    for result in (expected, actual):
        np.testing.assert_array_equal(result[:, 0, :], v[:, 0, :])
    # Query i ignores keys j > i: changing them changes nothing for it.
    if keys > 1:
        v2 = v.copy()
        v2[:, 1:, :] = np.asarray(100, dtype=v.dtype)
        decomposed = after(module, "decompose")
        np.testing.assert_array_equal(evaluate(decomposed, [q, k, v2])[:, 0], v[:, 0])


def test_causal_mask_is_aligned_top_left_when_queries_outnumber_keys():
    q = np.ones((1, 5, 2), np.float32)
    k = np.ones((1, 2, 2), np.float32)
    v = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)
    module = one_op(
        lambda *xs: nn.AttentionOp(*xs, causal=True),
        *(ttype("f32", a.shape) for a in (q, k, v)),
    )
    _, actual = check_decomposition(module, [q, k, v])
    np.testing.assert_allclose(actual[0], [[1, 0]] + [[0.5, 0.5]] * 4, rtol=1e-6)


@pytest.mark.parametrize("scale", [None, 0.25])
def test_attention_default_and_explicit_scale(scale: float | None):
    rng = np.random.default_rng(3)
    q, k, v = (random_array(rng, s, "f64") for s in ((3, 4), (5, 4), (5, 2)))
    module = one_op(
        lambda *xs: nn.AttentionOp(*xs, scale=scale), *(ttype("f64", a.shape) for a in (q, k, v))
    )
    _, actual = check_decomposition(module, [q, k, v])
    scores = q @ k.T * (0.5 if scale is None else scale)
    probabilities = np.exp(scores - scores.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    np.testing.assert_allclose(actual, probabilities @ v, rtol=1e-12)


def test_attention_with_zero_features_needs_an_explicit_scale():
    # 1/sqrt(0) has no useful value (and decompose and the interpreter once disagreed on
    # it: 1.0 vs inf), so the verifier rejects the default scale when E = 0.
    types = [ttype("f32", s) for s in ((2, 0), (3, 0), (3, 2))]
    with pytest.raises(VerifyException, match="zero query features need an explicit scale"):
        one_op(nn.AttentionOp, *types)


def test_attention_with_zero_features_and_an_explicit_scale():
    q, k = np.zeros((2, 0), np.float32), np.zeros((3, 0), np.float32)
    v = np.arange(6, dtype=np.float32).reshape(3, 2)
    module = one_op(
        lambda *xs: nn.AttentionOp(*xs, scale=0.5), *(ttype("f32", a.shape) for a in (q, k, v))
    )
    _, actual = check_decomposition(module, [q, k, v])
    np.testing.assert_allclose(actual, [[2, 3], [2, 3]])


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("length, keys", [(0, 3), (3, 0), (0, 0)])
def test_attention_with_no_queries_or_no_keys(length: int, keys: int, causal: bool):
    q = np.ones((2, length, 3), np.float32)
    k = np.ones((2, keys, 3), np.float32)
    v = np.ones((2, keys, 4), np.float32)
    module = one_op(
        lambda *xs: nn.AttentionOp(*xs, causal=causal),
        *(ttype("f32", a.shape) for a in (q, k, v)),
    )
    _, actual = check_decomposition(module, [q, k, v])
    assert actual.shape == (2, length, 4)


@pytest.mark.parametrize("dtype", FLOATS)
def test_reduce_mean_over_zero_elements_is_nan(dtype: str):
    module = one_op(lambda x: nn.ReduceMeanOp(x, axes=[1]), ttype(dtype, (3, 0)))
    _, actual = check_decomposition(module, [np.zeros((3, 0), NUMPY_DTYPES[dtype])])
    assert actual.shape == (3,) and np.isnan(actual.astype(np.float64)).all()


@pytest.mark.parametrize("op_class", [nn.LayerNormOp, nn.RmsNormOp])
def test_norm_of_a_constant_row_with_zero_eps(op_class: type[nn.NNOp]):
    # layer_norm: 0 / sqrt(0) = NaN on both sides (0 * rsqrt(0) = 0 * inf).
    x = np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, -1.0, 3.0]], np.float32)
    module = one_op(lambda v: op_class(v, axes=[1], eps=0.0), ttype("f32", x.shape))
    check_decomposition(module, [x])


@pytest.mark.parametrize(
    "shape, axis",
    [((0,), 0), ((3, 0), 1), ((0, 3), 1), ((2, 0, 3), 2), ((1, 1), 0)],
)
@pytest.mark.parametrize("op_class", [nn.SoftmaxOp, nn.LogSoftmaxOp])
def test_softmax_on_empty_and_size_one_dims(op_class: type[nn.NNOp], shape, axis):
    module = one_op(lambda x: op_class(x, axis=axis), ttype("f32", shape))
    _, actual = check_decomposition(module, [np.ones(shape, np.float32)])
    assert actual.shape == shape


def test_relu_on_integers_and_signed_zero():
    module = one_op(nn.ReluOp, ttype("i32", (5,)))
    x = np.array([-(2**31), -1, 0, 1, 2**31 - 1], np.int32)
    _, actual = check_decomposition(module, [x], exact=True)
    assert actual.tolist() == [0, 0, 0, 1, 2**31 - 1]


# ---------------------------------------------------------------------------
# Implicit broadcasting and mixed element types in primitives

MIXED_PAIRS = [
    ("f32", "i32"),
    ("i32", "f32"),
    ("f16", "bf16"),
    ("bf16", "f16"),
    ("i32", "f16"),
    ("i1", "i32"),
    ("i32", "i64"),
    ("f64", "f16"),
    ("f32", "f32"),
]
BINARY = [nn.AddOp, nn.SubOp, nn.MulOp, nn.DivOp, nn.MaxOp, nn.MinOp, nn.PowOp, nn.LtOp, nn.NeOp]


def _accepts(op_class: type[nn.NNOp], a: str, b: str) -> bool:
    try:
        op_class.infer_result_type([ttype(a, (1,)), ttype(b, (1,))], {}, None)
        return True
    except Exception:
        return False


@pytest.mark.parametrize(
    "op_class, lhs, rhs",
    [(op, a, b) for op in BINARY for a, b in MIXED_PAIRS if _accepts(op, a, b)],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_binary_broadcasting_and_promotion_are_exact(op_class, lhs: str, rhs: str):
    rng = np.random.default_rng(11)
    a = random_array(rng, (4, 1), lhs, specials=0.2)
    b = random_array(rng, (8,), rhs, specials=0.2)
    module = one_op(op_class, ttype(lhs, a.shape), ttype(rhs, b.shape))
    decomposed = after(module, "decompose")
    assert "nn.broadcast_in_dim" in op_names(decomposed)
    if lhs != rhs:
        assert "nn.cast" in op_names(decomposed)
    check_decomposition(module, [a, b], exact=True)


def test_add_of_f32_column_and_i32_row():
    a = np.arange(4, dtype=np.float32).reshape(4, 1) - 1.5
    b = np.arange(8, dtype=np.int32) * 3 - 7
    module = one_op(nn.AddOp, ttype("f32", (4, 1)), ttype("i32", (8,)))
    _, actual = check_decomposition(module, [a, b], exact=True)
    np.testing.assert_array_equal(actual, a + b.astype(np.float32))


@pytest.mark.parametrize(
    "shapes",
    [((4, 1), (1, 8), (4, 8)), ((8,), (4, 8), ()), ((), (3,), (2, 1)), ((2, 1, 3), (3,), (4, 1))],
    ids=lambda s: "_".join(_fmt(x) for x in s),
)
@pytest.mark.parametrize("types", [("f32", "f32"), ("f32", "f64"), ("f16", "bf16"), ("i32", "f16")])
def test_select_with_broadcast_condition(shapes, types):
    rng = np.random.default_rng(5)
    c = random_array(rng, shapes[0], "i1")
    a = random_array(rng, shapes[1], types[0], specials=0.2)
    b = random_array(rng, shapes[2], types[1], specials=0.2)
    module = one_op(
        nn.SelectOp, *(ttype(t, x.shape) for t, x in zip(("i1", *types), (c, a, b), strict=True))
    )
    check_decomposition(module, [c, a, b], exact=True)


@pytest.mark.parametrize(
    "lhs, rhs",
    [
        ((2, 1, 3, 4), (5, 4, 2)),
        ((3, 4), (2, 4, 5)),
        ((2, 3, 4), (4, 5)),
        ((1, 3, 4), (2, 1, 4, 5)),
        ((2, 3, 0), (2, 0, 5)),
    ],
    ids=lambda s: _fmt(s),
)
@pytest.mark.parametrize("dtype", ["f32", "f64", "f16", "bf16", "i32"])
def test_matmul_with_broadcast_batch_dims(lhs, rhs, dtype: str):
    rng = np.random.default_rng(9)
    a, b = random_array(rng, lhs, dtype), random_array(rng, rhs, dtype)
    module = one_op(nn.MatmulOp, ttype(dtype, lhs), ttype(dtype, rhs))
    check_decomposition(module, [a, b], exact=True)


def test_compare_with_promotion_rounds_integers_like_the_interpreter():
    # 2049 is not an f16: both sides round it to 2048 before comparing.
    a = np.array([2049, 2048, -3], np.int32)
    b = np.array([2048.0], np.float16)
    module = one_op(nn.EqOp, ttype("i32", (3,)), ttype("f16", (1,)))
    _, actual = check_decomposition(module, [a, b], exact=True)
    assert actual.tolist() == [True, True, False]


# ---------------------------------------------------------------------------
# keep= / only=, the primitives-only contract, errors through the pipeline API


def _mixed_module() -> ModuleOp:
    """softmax(gelu(x) + b) with an implicit broadcast, then layer_norm."""

    def make(x, b):
        g = nn.GeluOp(x)
        s = nn.AddOp(g, b)
        sm = nn.SoftmaxOp(s, axis=1)
        return [g, s, sm, nn.LayerNormOp(sm, axes=[1], eps=1e-5)]

    return build(make, [ttype("f32", (3, 5)), ttype("f32", (5,))])


def _composites(module: ModuleOp) -> set[str]:
    return {op.name for op in module.walk() if nn.is_composite(op)}


def _inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [random_array(rng, (3, 5), "f32"), random_array(rng, (5,), "f32")]


@pytest.mark.parametrize(
    "pipeline, remaining",
    [
        ("decompose", set()),
        ("decompose{keep=softmax}", {"nn.softmax"}),
        ("decompose{keep=nn.softmax,layer_norm}", {"nn.softmax", "nn.layer_norm"}),
        ("decompose{only=gelu}", {"nn.softmax", "nn.layer_norm"}),
        ("decompose{only=softmax,nn.layer_norm}", {"nn.gelu"}),
        ("decompose{keep={}}", set()),
    ],
)
def test_keep_and_only_select_the_composites(pipeline: str, remaining: set[str]):
    module = _mixed_module()
    rewritten = after(module, pipeline)
    assert _composites(rewritten) == remaining
    # Whatever is kept, implicit broadcasts in primitives are made explicit.
    assert all(why_not_primitive(op) is None for op in rewritten.walk() if not nn.is_composite(op))
    assert_agree(evaluate(module, _inputs()), evaluate(rewritten, _inputs()))


def test_verify_primitives_rejects_kept_composites_and_implicit_broadcasts():
    module = _mixed_module()
    with pytest.raises(CompileError) as error:
        mlc.run_pipeline(module.clone(), "verify-primitives")
    message = str(error.value)
    assert "'nn.gelu' is a composite" in message and "broadcasts implicitly" in message
    with pytest.raises(CompileError, match=r"'nn\.softmax' is a composite"):
        mlc.run_pipeline(module.clone(), "decompose{keep=softmax},verify-primitives")
    mlc.run_pipeline(module.clone(), "decompose,verify-primitives")


@pytest.mark.parametrize(
    "pipeline, message",
    [
        ("decompose{keep=softmx}", "'softmx' in keep= is not a composite"),
        ("decompose{only=add}", "'add' in only= is not a composite"),
        ("decompose{only=nn.matmul}", "'nn.matmul' in only= is not a composite"),
        ("decompose{keep=softmax only=gelu}", "give keep= or only=, not both"),
    ],
)
def test_bad_keep_and_only_raise_a_clear_error(pipeline: str, message: str):
    with pytest.raises(mlc.PipelineError) as error:
        mlc.run_pipeline(_mixed_module(), pipeline)
    text = str(error.value)
    assert message in text
    if "not a composite" in message:
        # The error lists what would have been accepted.
        assert "composites: attention, broadcast_to, gelu" in text


def test_decompose_is_idempotent():
    once = after(_mixed_module(), "decompose")
    assert mlc.print(after(once, "decompose")) == mlc.print(once)


def test_every_composite_has_a_decomposition_and_no_primitive_does():
    from mlc.transforms.decompose import DECOMPOSITIONS

    composites = {op for op in nn.NN.operations if nn.is_composite(op)}
    assert set(DECOMPOSITIONS) == composites
    assert set(COMPOSITES.values()) == composites


def test_ops_rewritten_by_decompose_keep_their_location():
    text = """func.func @f(%a: tensor<4x1xf32>, %b: tensor<8xi32>) -> tensor<4x8xf32> {
  %r = nn.add %a, %b : tensor<4x1xf32>, tensor<8xi32> -> tensor<4x8xf32>
  func.return %r : tensor<4x8xf32>
}"""
    module = mlc.parse(text, "input.mlir")
    mlc.run_pipeline(module, "decompose")
    for op in nn_ops(module):
        assert "input.mlir" in str(op.location), f"{op.name} lost its location: {op.location}"
