"""`sink-reshapes`: element-wise ops on a reshaped matmul result run in the matmul's shape.

A linear layer on a `[batch, tokens, features]` input is a 2-D matmul between two
reshapes (`nn.linear` decomposes so, and PyTorch's `aten.linear` arrives so):

    %c = nn.matmul %x2d, %w : tensor<256x128xf32>, ... -> tensor<256x512xf32>
    %r = nn.reshape %c : tensor<256x512xf32> -> tensor<4x64x512xf32>
    %g = nn.tanh %r : tensor<4x64x512xf32>

`fuse` cannot make `%g` the matmul's epilogue: its domain is 4x64x512, the matmul's
256x512, and it reads `%c` through `d0 * 64 + d1`. This pass rewrites the
element-wise op to run in the matmul's shape and reshapes its result instead
(MLIR's fold-reshape-by-collapsing of linalg), so the activation, the bias and the
residual add after a linear layer fuse into its kernel:

    %g0 = nn.tanh %c : tensor<256x512xf32>
    %g = nn.reshape %g0 : tensor<256x512xf32> -> tensor<4x64x512xf32>

An op moves (`sunk_shape`) when some operand is a reshape of a value *anchored* in
a shape S (a matmul result, or an element-wise op of one: what an epilogue
computes), all such operands come from the same S, and every other operand is
free to reshape (a function argument, a constant or an index function, through
views): those are reshaped to S. It stays when an operand is computed in its own
shape (a reduction's result: moving it would cut a normalisation's kernel in two),
and when the function returns its result (the returned reshape would be copied).
Applied to a fixpoint, the reshape moves down a chain of element-wise ops until one
of those stops it; it never moves back, since only anchored values pull an op into
their shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from mlc.dialects import nn
from mlc.lowering.nn_to_loop import ELEMENTWISE_OPS, is_index_function, source_value
from mlc.passes import register_pass

__all__ = ["SinkReshapeBelowElementwise", "SinkReshapesPass", "is_anchored", "sunk_shape"]


def is_anchored(value: SSAValue) -> bool:
    """Whether `value` is computed in its own shape by a matmul, directly or through
    element-wise ops (not through views)."""
    owner = value.owner
    if isinstance(owner, nn.MatmulOp):
        return True
    return isinstance(owner, ELEMENTWISE_OPS) and any(is_anchored(v) for v in owner.operands)


def _is_free(value: SSAValue) -> bool:
    """Whether `value` reshapes for free: nothing computes it in its shape."""
    owner = source_value(value).owner
    return (
        not isinstance(owner, Operation)
        or isinstance(owner, nn.ConstantOp)
        or (is_index_function(owner))
    )


def sunk_shape(op: Operation) -> tuple[int, ...] | str:
    """The shape element-wise `op` should run in instead of its own, or why it stays."""
    if not isinstance(op, ELEMENTWISE_OPS):
        return "not an element-wise op"
    if any(isinstance(use.operation, func.ReturnOp) for use in op.results[0].uses):
        return "the function returns its result"
    shapes: set[tuple[int, ...]] = set()
    for value in op.operands:
        owner = value.owner
        if isinstance(owner, nn.ReshapeOp) and is_anchored(owner.input):
            shapes.add(nn.shape_of(owner.input.type))
        elif not _is_free(value):
            return "an operand is computed in the op's own shape"
    if not shapes:
        return "no operand is a reshaped matmul result"
    if len(shapes) > 1:
        return "operands are reshaped from different shapes"
    (shape,) = shapes
    return shape


class SinkReshapeBelowElementwise(RewritePattern):
    """`op(reshape(c), x)` -> `reshape(op(c, reshape(x)))` for `c` anchored in its
    shape (see the module docstring)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        shape = sunk_shape(op)
        if isinstance(shape, str):
            return
        added: list[Operation] = []
        operands = []
        for value in op.operands:
            owner = value.owner
            if isinstance(owner, nn.ReshapeOp) and is_anchored(owner.input):
                operands.append(owner.input)
                continue
            reshaped = nn.ReshapeOp(value, result_type=_with_shape(value, shape))
            added.append(reshaped)
            operands.append(reshaped.result)
        moved = type(op).create(
            operands=operands,
            result_types=[_with_shape(op.results[0], shape)],
            properties=dict(op.properties),
            attributes=dict(op.attributes),
        )
        back = nn.ReshapeOp(moved.results[0], result_type=op.results[0].type)
        for new in (*added, moved, back):
            new.location = op.location
        rewriter.replace(op, [*added, moved, back], [back.result])


def _with_shape(value: SSAValue, shape: tuple[int, ...]) -> TensorType:
    return nn.tensor_type(value.type.element_type, shape)


@register_pass
@dataclass(frozen=True)
class SinkReshapesPass(ModulePass):
    """Runs element-wise ops on reshaped matmul results in the matmul's shape.

    So they fuse as the matmul's epilogue (see the module docstring)."""

    name = "sink-reshapes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([SinkReshapeBelowElementwise()], dce_enabled=True)
        ).rewrite_module(op)
