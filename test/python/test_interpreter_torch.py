"""The interpreter against PyTorch, whose semantics the nn dialect follows.

Skipped when torch is not importable (it is an optional extra, never a dependency).
Tolerances allow a couple of units in the last place: both sides compute f16/bf16 in
f32 and round once, but their f32 transcendental functions differ in the last bits.
"""

from __future__ import annotations

from collections.abc import Callable

import ml_dtypes
import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, f16, i1, i32, i64

from mlc.dialects import nn

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional extra 'torch')")
F = torch.nn.functional

BF16 = np.dtype(ml_dtypes.bfloat16)
F16, F32 = np.dtype(np.float16), np.dtype(np.float32)
TORCH_DTYPES = {F16: torch.float16, BF16: torch.bfloat16, F32: torch.float32}
TOL = {F16: (2e-3, 2e-3), BF16: (1.6e-2, 1.6e-2), F32: (2e-5, 2e-6)}


def to_torch(x: np.ndarray) -> torch.Tensor:
    if x.dtype == BF16:  # torch cannot read ml_dtypes arrays; via f32 is exact
        return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(x))


def from_torch(t: torch.Tensor) -> np.ndarray:
    if t.dtype == torch.bfloat16:
        return t.to(torch.float32).numpy().astype(BF16)
    return t.numpy()


def randn(shape: tuple[int, ...], dtype: np.dtype, seed: int = 0) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def assert_matches_torch(ours: np.ndarray, theirs: torch.Tensor) -> None:
    expected = from_torch(theirs)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    rtol, atol = TOL.get(ours.dtype, (0, 0))
    np.testing.assert_allclose(
        ours.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True
    )


FLOATS = [F16, BF16, F32]


def ids(value: object) -> str:
    return getattr(value, "name", str(value))


ELEMENTWISE: dict[str, tuple[Callable, Callable]] = {
    "exp": (nn.ExpOp, torch.exp),
    "log": (nn.LogOp, torch.log),
    "sqrt": (nn.SqrtOp, torch.sqrt),
    "rsqrt": (nn.RsqrtOp, torch.rsqrt),
    "tanh": (nn.TanhOp, torch.tanh),
    "erf": (nn.ErfOp, torch.erf),
    "sin": (nn.SinOp, torch.sin),
    "cos": (nn.CosOp, torch.cos),
    "sigmoid": (nn.SigmoidOp, torch.sigmoid),
    "relu": (nn.ReluOp, torch.relu),
    "silu": (nn.SiluOp, F.silu),
    "gelu": (nn.GeluOp, F.gelu),
    "gelu_tanh": (
        lambda v: nn.GeluOp(v, approximate="tanh"),
        lambda t: F.gelu(t, approximate="tanh"),
    ),
    "softmax": (lambda v: nn.SoftmaxOp(v, axis=1), lambda t: torch.softmax(t, 1)),
    "log_softmax": (lambda v: nn.LogSoftmaxOp(v, axis=0), lambda t: torch.log_softmax(t, 0)),
    "layer_norm": (
        lambda v: nn.LayerNormOp(v, axes=[1, 2], eps=1e-5),
        lambda t: F.layer_norm(t, t.shape[1:], eps=1e-5),
    ),
    "rms_norm": (
        lambda v: nn.RmsNormOp(v, axes=[2], eps=1e-6),
        lambda t: F.rms_norm(t, t.shape[2:], eps=1e-6),
    ),
    "reduce_sum": (lambda v: nn.ReduceSumOp(v, axes=[0, 2]), lambda t: t.sum((0, 2))),
    "reduce_mean": (
        lambda v: nn.ReduceMeanOp(v, axes=[1], keepdims=True),
        lambda t: t.mean(1, keepdim=True),
    ),
    "reduce_prod": (lambda v: nn.ReduceProdOp(v, axes=[2]), lambda t: t.prod(2)),
    "reduce_max": (lambda v: nn.ReduceMaxOp(v, axes=[1]), lambda t: t.amax(1)),
    "reduce_min": (lambda v: nn.ReduceMinOp(v, axes=[0, 1, 2]), lambda t: t.amin((0, 1, 2))),
}
POSITIVE = {"log", "sqrt", "rsqrt"}


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_unary_and_composites_match_torch(evaluate, name, dtype):
    x = randn((3, 4, 6), dtype)
    if name in POSITIVE:
        x = np.asarray(np.abs(x.astype(np.float32)) + 0.5).astype(dtype)
    ours, theirs = ELEMENTWISE[name]
    assert_matches_torch(evaluate(ours, x), theirs(to_torch(x)))


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("affine", [1, 2])
def test_layer_norm_affine_matches_torch(evaluate, affine, dtype):
    x, w, b = randn((4, 8), dtype, 1), randn((8,), dtype, 2), randn((8,), dtype, 3)
    ours = evaluate(lambda *vs: nn.LayerNormOp(*vs, axes=[1], eps=1e-3), x, w, b)
    theirs = F.layer_norm(to_torch(x), (8,), to_torch(w), to_torch(b), eps=1e-3)
    assert_matches_torch(ours, theirs)
    rms = evaluate(lambda *vs: nn.RmsNormOp(*vs, axes=[1], eps=1e-3), x, w)
    assert_matches_torch(rms, F.rms_norm(to_torch(x), (8,), to_torch(w), eps=1e-3))


BINARY = {
    nn.AddOp: torch.add,
    nn.SubOp: torch.sub,
    nn.MulOp: torch.mul,
    nn.DivOp: torch.div,
    nn.MaxOp: torch.maximum,
    nn.MinOp: torch.minimum,
    nn.PowOp: torch.pow,
}


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        (F32, F32),
        (F16, F16),
        (BF16, BF16),
        (F16, BF16),
        (np.dtype(np.int32), F16),
        (np.dtype(np.int64), F32),
    ],
    ids=ids,
)
@pytest.mark.parametrize("op_class", BINARY, ids=ids)
def test_binary_ops_broadcast_and_promote_like_torch(evaluate, op_class, lhs, rhs):
    rng = np.random.default_rng(5)
    a = rng.integers(1, 5, (2, 1, 4)).astype(lhs)
    b = np.asarray(rng.random((3, 1)) + 0.5).astype(rhs)
    assert_matches_torch(evaluate(op_class, a, b), BINARY[op_class](to_torch(a), to_torch(b)))


def test_max_min_nan_like_torch(evaluate):
    a = np.array([np.nan, 1.0, 2.0], np.float32)
    b = np.array([0.0, np.nan, 1.0], np.float32)
    assert_matches_torch(evaluate(nn.MaxOp, a, b), torch.maximum(to_torch(a), to_torch(b)))
    assert_matches_torch(evaluate(nn.MinOp, a, b), torch.minimum(to_torch(a), to_torch(b)))
    reduced = evaluate(lambda v: nn.ReduceMaxOp(v, axes=[0]), a)
    assert_matches_torch(reduced, to_torch(a).amax(0))


CAST_TARGETS = {
    np.dtype(np.int32): (i32, torch.int32),
    np.dtype(np.int64): (i64, torch.int64),
    np.dtype(np.bool_): (i1, torch.bool),
    F16: (f16, torch.float16),
}


@pytest.mark.parametrize("target", CAST_TARGETS, ids=ids)
@pytest.mark.parametrize("source", FLOATS, ids=ids)
def test_cast_matches_torch(evaluate, source, target):
    element, torch_dtype = CAST_TARGETS[target]
    x = np.array([-2.75, -0.5, 0.0, 0.5, 3.5, 100.0, np.nan], np.float64).astype(source)
    if target.kind != "b":
        x = x[:-1]  # nan to an integer is undefined
    ours = evaluate(lambda v: nn.CastOp(v, result_type=TensorType(element, list(x.shape))), x)
    np.testing.assert_array_equal(ours, from_torch(to_torch(x).to(torch_dtype)), strict=True)


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize(
    "shapes",
    [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 5)), ((2, 0), (0, 3))],
    ids=ids,
)
def test_matmul_matches_torch(evaluate, shapes, dtype):
    a, b = randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    assert_matches_torch(evaluate(nn.MatmulOp, a, b), torch.matmul(to_torch(a), to_torch(b)))


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("bias", [False, True])
def test_linear_matches_torch(evaluate, bias, dtype):
    x, w, b = randn((2, 3, 6), dtype, 1), randn((5, 6), dtype, 2), randn((5,), dtype, 3)
    args = (x, w, b) if bias else (x, w)
    theirs = F.linear(*(to_torch(a) for a in args))
    assert_matches_torch(evaluate(nn.LinearOp, *args), theirs)


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("scale", [None, 0.25])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    "lengths", [(4, 4), (3, 5), (5, 3), (1, 1)], ids=lambda ls: f"L{ls[0]}-S{ls[1]}"
)
def test_attention_matches_torch(evaluate, lengths, causal, scale, dtype):
    length, keys = lengths
    q = randn((2, 3, length, 8), dtype, 1)
    k = randn((2, 3, keys, 8), dtype, 2)
    v = randn((2, 3, keys, 4), dtype, 3)
    ours = evaluate(lambda *vs: nn.AttentionOp(*vs, causal=causal, scale=scale), q, k, v)
    theirs = F.scaled_dot_product_attention(
        to_torch(q), to_torch(k), to_torch(v), is_causal=causal, scale=scale
    )
    assert_matches_torch(ours, theirs)
