"""`decompose`: composite nn ops become primitives with explicit broadcasts and casts.

After this pass every nn op is a primitive (see the `Composite` trait) and every
element-wise op, `nn.select` and `nn.matmul` sees operands of one element type and
one shape (batch dims for matmul): numpy's implicit broadcasting has become
`nn.broadcast_in_dim` and type promotion has become `nn.cast`. Later passes may
rely on that; `verify-primitives` checks it.

Composites on f16/bf16 tensors are computed in f32 and rounded once at the end,
which is what the interpreter (and PyTorch's CPU kernels) do.

Where an equal form is cheaper to run, the decomposition uses it (within an ulp
of the textbook formula): softmax scales by the reciprocal of the sum (one
division per row, not per element) and the tanh GELU is `x * sigmoid(2z)` (one
exp, no tanh).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import BFloat16Type, Float16Type, ModuleOp, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint

from mlc.dialects import nn
from mlc.passes import register_pass

# ---------------------------------------------------------------------------
# Building primitives


class Emitter:
    """Inserts primitive nn ops before `anchor`, carrying its location."""

    def __init__(self, rewriter: PatternRewriter, anchor: Operation) -> None:
        self.rewriter = rewriter
        self.anchor = anchor

    def emit(self, op: Operation) -> SSAValue:
        op.location = self.anchor.location
        self.rewriter.insert(op, InsertPoint.before(self.anchor))
        return op.results[0]

    def cast(self, value: SSAValue, element_type) -> SSAValue:
        t = value.type
        if t.element_type == element_type:
            return value
        return self.emit(nn.CastOp(value, result_type=nn.tensor_type(element_type, t.get_shape())))

    def broadcast(self, value: SSAValue, shape: Sequence[int]) -> SSAValue:
        """numpy-style broadcast of `value` to `shape` (trailing dims aligned)."""
        t = value.type
        shape = tuple(shape)
        if nn.shape_of(t) == shape:
            return value
        offset = len(shape) - t.get_num_dims()
        return self.emit(
            nn.BroadcastInDimOp(
                value,
                dims=list(range(offset, len(shape))),
                result_type=nn.tensor_type(t.element_type, shape),
            )
        )

    def broadcast_kept(self, reduced: SSAValue, like: SSAValue) -> SSAValue:
        """Stretches a keepdims reduction back over the dims it reduced."""
        return self.broadcast(reduced, nn.shape_of(like.type))

    def splat(self, value: float, like: SSAValue) -> SSAValue:
        """A splat of `value` with the type of `like`."""
        return self.emit(nn.SplatOp(value, like.type))

    def unary(self, op_class: type[nn.UnaryOp], value: SSAValue) -> SSAValue:
        return self.emit(op_class(value))

    def binary(self, op_class: type[nn.NNOp], lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        """An element-wise binary op with promotion and broadcasting made explicit."""
        lhs, rhs = self.explicit_operands([lhs, rhs])
        return self.emit(op_class(lhs, rhs))

    def explicit_operands(self, values: Sequence[SSAValue]) -> list[SSAValue]:
        """Casts to the promoted type and broadcasts to the common shape."""
        element = values[0].type.element_type
        for v in values[1:]:
            element = nn.promote_types(element, v.type.element_type)
        shape = nn.broadcast_shapes(*(nn.shape_of(v.type) for v in values))
        return [self.broadcast(self.cast(v, element), shape) for v in values]

    def reduce(self, op_class: type[nn.ReduceOp], value: SSAValue, axes: Sequence[int]) -> SSAValue:
        """A keepdims reduction."""
        return self.emit(op_class(value, axes=list(axes), keepdims=True))


# ---------------------------------------------------------------------------
# The decomposition table: one function per composite

Decomposition = Callable[[Emitter, nn.NNOp, list[SSAValue]], SSAValue]
DECOMPOSITIONS: dict[type[nn.NNOp], Decomposition] = {}


def decomposes(op_class: type[nn.NNOp]) -> Callable[[Decomposition], Decomposition]:
    def register(fn: Decomposition) -> Decomposition:
        DECOMPOSITIONS[op_class] = fn
        return fn

    return register


def _sigmoid(e: Emitter, x: SSAValue) -> SSAValue:
    exp_neg = e.unary(nn.ExpOp, e.unary(nn.NegOp, x))
    one = e.splat(1.0, x)
    return e.binary(nn.DivOp, one, e.binary(nn.AddOp, one, exp_neg))


def _softmax_parts(e: Emitter, x: SSAValue, axis: int) -> tuple[SSAValue, SSAValue]:
    """`x - max` and `exp(x - max)` along `axis`."""
    row_max = e.broadcast_kept(e.reduce(nn.ReduceMaxOp, x, [axis]), x)
    shifted = e.binary(nn.SubOp, x, row_max)
    exp = e.unary(nn.ExpOp, shifted)
    return shifted, exp


def _softmax(e: Emitter, x: SSAValue, axis: int) -> SSAValue:
    """`exp(x - max)` times the reciprocal of its sum: one division per row instead
    of one per element (within an ulp of dividing each)."""
    _, exp = _softmax_parts(e, x, axis)
    total = e.reduce(nn.ReduceSumOp, exp, [axis])
    reciprocal = e.binary(nn.DivOp, e.splat(1.0, total), total)
    return e.binary(nn.MulOp, exp, e.broadcast_kept(reciprocal, exp))


def _mean(e: Emitter, x: SSAValue, axes: Sequence[int]) -> SSAValue:
    """Keepdims mean: the sum divided by the element count."""
    total = e.reduce(nn.ReduceSumOp, x, axes)
    count = math.prod(nn.shape_of(x.type)[a] for a in axes)
    return e.binary(nn.DivOp, total, e.splat(float(count), total))


@decomposes(nn.SigmoidOp)
def decompose_sigmoid(e: Emitter, op: nn.SigmoidOp, args: list[SSAValue]) -> SSAValue:
    return _sigmoid(e, args[0])


@decomposes(nn.ReluOp)
def decompose_relu(e: Emitter, op: nn.ReluOp, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    zero = 0.0 if nn.is_float(x.type.element_type) else 0
    return e.binary(nn.MaxOp, x, e.splat(zero, x))


@decomposes(nn.SiluOp)
def decompose_silu(e: Emitter, op: nn.SiluOp, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    return e.binary(nn.MulOp, x, _sigmoid(e, x))


@decomposes(nn.GeluOp)
def decompose_gelu(e: Emitter, op: nn.GeluOp, args: list[SSAValue]) -> SSAValue:
    """`x Phi(x)`. The tanh form `x (1 + tanh z) / 2`, z = sqrt(2/pi) (x + 0.044715 x^3),
    is computed as `x sigmoid(2z)` = `x / (1 + exp(-2z))`: the same function, one
    exp and one division instead of a tanh (1.7x faster native code)."""
    (x,) = args
    if op.param("approximate") == "tanh":
        scale = -2.0 * math.sqrt(2.0 / math.pi)  # -2z = x (scale + scale 0.044715 x^2)
        square = e.binary(nn.MulOp, x, x)
        slope = e.binary(nn.MulOp, e.splat(scale * 0.044715, x), square)
        minus_2z = e.binary(nn.MulOp, x, e.binary(nn.AddOp, slope, e.splat(scale, x)))
        one = e.splat(1.0, x)
        return e.binary(nn.DivOp, x, e.binary(nn.AddOp, one, e.unary(nn.ExpOp, minus_2z)))
    gate = e.unary(nn.ErfOp, e.binary(nn.MulOp, x, e.splat(math.sqrt(0.5), x)))
    half_x = e.binary(nn.MulOp, e.splat(0.5, x), x)
    return e.binary(nn.MulOp, half_x, e.binary(nn.AddOp, e.splat(1.0, x), gate))


@decomposes(nn.ReduceMeanOp)
def decompose_reduce_mean(e: Emitter, op: nn.ReduceMeanOp, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    mean = _mean(e, x, op.param("axes"))
    if op.param("keepdims"):
        return mean
    return e.emit(
        nn.ReshapeOp(mean, result_type=nn.tensor_type(mean.type.element_type, _shape(op)))
    )


def _shape(op: nn.NNOp) -> tuple[int, ...]:
    return nn.shape_of(op.result.type)


@decomposes(nn.BroadcastToOp)
def decompose_broadcast_to(e: Emitter, op: nn.BroadcastToOp, args: list[SSAValue]) -> SSAValue:
    return e.broadcast(args[0], _shape(op))


@decomposes(nn.SoftmaxOp)
def decompose_softmax(e: Emitter, op: nn.SoftmaxOp, args: list[SSAValue]) -> SSAValue:
    return _softmax(e, args[0], op.param("axis"))


@decomposes(nn.LogSoftmaxOp)
def decompose_log_softmax(e: Emitter, op: nn.LogSoftmaxOp, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    axis = op.param("axis")
    shifted, exp = _softmax_parts(e, x, axis)
    log_total = e.unary(nn.LogOp, e.reduce(nn.ReduceSumOp, exp, [axis]))
    return e.binary(nn.SubOp, shifted, e.broadcast_kept(log_total, shifted))


def _normalize(e: Emitter, x: SSAValue, scale: SSAValue, affine: list[SSAValue]) -> SSAValue:
    """`x * scale`, then times weight and plus bias where given."""
    y = e.binary(nn.MulOp, x, e.broadcast_kept(scale, x))
    for op_class, param in zip((nn.MulOp, nn.AddOp), affine, strict=False):
        y = e.binary(op_class, y, param)
    return y


def _rsqrt_plus_eps(e: Emitter, value: SSAValue, eps: float) -> SSAValue:
    return e.unary(nn.RsqrtOp, e.binary(nn.AddOp, value, e.splat(eps, value)))


@decomposes(nn.LayerNormOp)
def decompose_layer_norm(e: Emitter, op: nn.LayerNormOp, args: list[SSAValue]) -> SSAValue:
    x, *affine = args
    axes = op.param("axes")
    centered = e.binary(nn.SubOp, x, e.broadcast_kept(_mean(e, x, axes), x))
    variance = _mean(e, e.binary(nn.MulOp, centered, centered), axes)
    return _normalize(e, centered, _rsqrt_plus_eps(e, variance, op.param("eps")), affine)


@decomposes(nn.RmsNormOp)
def decompose_rms_norm(e: Emitter, op: nn.RmsNormOp, args: list[SSAValue]) -> SSAValue:
    x, *weight = args
    mean_square = _mean(e, e.binary(nn.MulOp, x, x), op.param("axes"))
    return _normalize(e, x, _rsqrt_plus_eps(e, mean_square, op.param("eps")), weight)


def _transpose_last(e: Emitter, value: SSAValue) -> SSAValue:
    rank = value.type.get_num_dims()
    perm = [*range(rank - 2), rank - 1, rank - 2]
    return e.emit(nn.TransposeOp(value, perm=perm))


def _reshape(e: Emitter, value: SSAValue, shape: Sequence[int]) -> SSAValue:
    if nn.shape_of(value.type) == tuple(shape):
        return value
    return e.emit(nn.ReshapeOp(value, result_type=nn.tensor_type(value.type.element_type, shape)))


@decomposes(nn.LinearOp)
def decompose_linear(e: Emitter, op: nn.LinearOp, args: list[SSAValue]) -> SSAValue:
    """One 2-D matmul over all leading dims, then the bias."""
    x, weight, *bias = args
    in_features = nn.shape_of(x.type)[-1]
    rows = math.prod(nn.shape_of(x.type)[:-1])
    flat = _reshape(e, x, (rows, in_features))
    y = e.emit(nn.MatmulOp(flat, _transpose_last(e, weight)))
    if bias:
        y = e.binary(nn.AddOp, y, bias[0])
    return _reshape(e, y, _shape(op))


@decomposes(nn.AttentionOp)
def decompose_attention(e: Emitter, op: nn.AttentionOp, args: list[SSAValue]) -> SSAValue:
    query, key, value = args
    features = nn.shape_of(query.type)[-1]
    scale = op.param("scale")
    if scale is None:  # the verifier requires a scale when there are no features
        scale = 1.0 / math.sqrt(features)
    scores = e.emit(nn.MatmulOp(query, _transpose_last(e, key)))
    scores = e.binary(nn.MulOp, scores, e.splat(scale, scores))
    if op.param("causal"):
        scores = _mask_future(e, scores)
    probabilities = _softmax(e, scores, scores.type.get_num_dims() - 1)
    return e.emit(nn.MatmulOp(probabilities, value))


def _mask_future(e: Emitter, scores: SSAValue) -> SSAValue:
    """Scores at key position j > query position i become -inf."""
    length, keys = nn.shape_of(scores.type)[-2:]
    positions = nn.tensor_type(i64, (length, keys))
    rows = e.emit(nn.IotaOp(dim=0, result_type=positions))
    cols = e.emit(nn.IotaOp(dim=1, result_type=positions))
    future = e.broadcast(e.emit(nn.GtOp(cols, rows)), nn.shape_of(scores.type))
    return e.emit(nn.SelectOp(future, e.splat(-math.inf, scores), scores))


# ---------------------------------------------------------------------------
# Patterns

_LOW_PRECISION = (Float16Type, BFloat16Type)


@dataclass
class DecomposeComposite(RewritePattern):
    """Rewrites a selected composite with its entry in DECOMPOSITIONS."""

    selected: frozenset[type[nn.NNOp]]

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if type(op) not in self.selected:
            return
        e = Emitter(rewriter, op)
        args = list(op.operands)
        result_element = op.result.type.element_type
        upcast = isinstance(result_element, _LOW_PRECISION)
        if upcast:
            args = [e.cast(a, f32) if nn.is_float(a.type.element_type) else a for a in args]
        result = DECOMPOSITIONS[type(op)](e, op, args)
        if upcast:
            result = e.cast(result, result_element)
        rewriter.replace(op, [], [result])


class MakeBroadcastsExplicit(RewritePattern):
    """Element-wise ops, select and matmul get operands of one type and shape."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, nn.BinaryOp | nn.SelectOp):
            operands = list(op.operands)
            e = Emitter(rewriter, op)
            if isinstance(op, nn.SelectOp):
                condition, *values = operands
                shape = nn.broadcast_shapes(*(nn.shape_of(v.type) for v in operands))
                explicit = [e.broadcast(condition, shape)] + [
                    e.broadcast(v, shape) for v in e.explicit_operands(values)
                ]
            else:
                explicit = e.explicit_operands(operands)
        elif isinstance(op, nn.MatmulOp):
            e = Emitter(rewriter, op)
            explicit = _explicit_matmul_operands(e, list(op.operands))
        else:
            return
        if explicit != list(op.operands):
            new = type(op)(*explicit)
            new.location = op.location
            rewriter.replace(op, new)


def _explicit_matmul_operands(e: Emitter, operands: list[SSAValue]) -> list[SSAValue]:
    lhs, rhs = (nn.shape_of(v.type) for v in operands)
    batch = nn.broadcast_shapes(lhs[:-2], rhs[:-2])
    return [
        e.broadcast(v, (*batch, *shape[-2:])) for v, shape in zip(operands, (lhs, rhs), strict=True)
    ]


# ---------------------------------------------------------------------------
# The pass

COMPOSITES: dict[str, type[nn.NNOp]] = {
    op.name.removeprefix("nn."): op for op in nn.NN.operations if nn.is_composite(op)
}


def composites_named(names: Sequence[str], option: str) -> frozenset[type[nn.NNOp]]:
    """Composite op classes for names such as `softmax` or `nn.softmax`."""
    selected = set()
    for name in names:
        short = name.removeprefix("nn.")
        if short not in COMPOSITES:
            raise ValueError(
                f"'{name}' in {option}= is not a composite "
                f"(composites: {', '.join(sorted(COMPOSITES))})"
            )
        selected.add(COMPOSITES[short])
    return frozenset(selected)


@register_pass
@dataclass(frozen=True)
class DecomposePass(ModulePass):
    """Rewrites composite nn ops into primitives with explicit broadcasts and casts."""

    name = "decompose"

    keep: tuple[str, ...] = field(
        default=(), metadata={"help": "composites to leave alone, e.g. keep=softmax,layer_norm"}
    )
    only: tuple[str, ...] = field(
        default=(), metadata={"help": "decompose just these composites, e.g. only=gelu"}
    )

    def __post_init__(self) -> None:
        if self.keep and self.only:
            raise ValueError("give keep= or only=, not both")
        self.selected_composites()  # reject unknown names before the pass runs

    def selected_composites(self) -> frozenset[type[nn.NNOp]]:
        if self.only:
            return composites_named(self.only, "only")
        return frozenset(COMPOSITES.values()) - composites_named(self.keep, "keep")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [DecomposeComposite(self.selected_composites()), MakeBroadcastsExplicit()],
                dce_enabled=False,
            ),
        ).rewrite_module(op)
