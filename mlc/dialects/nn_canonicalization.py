"""Canonicalization patterns of the nn dialect, run by upstream `canonicalize`.

Every rewrite here is exact: it never changes a result bit for bit, NaN, infinities
and signed zeros included. That is why `x + 0.0 -> x` is absent for floats
(`-0.0 + 0.0` is `+0.0`) while `x + -0.0 -> x` is present, and why `x * 0 -> 0`
only applies to integers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from mlc.dialects import nn

# Constants with more elements than this are not materialised by folding: large
# dense attributes make the IR slow to print and parse and bloat the program.
MAX_FOLDED_ELEMENTS = 64


def splat_value(value: SSAValue) -> float | int | None:
    """The element value of a value defined by `nn.splat`, else None."""
    owner = value.owner
    if isinstance(owner, nn.SplatOp):
        return owner.value.value.data
    return None


def _is_splat_of(value: SSAValue, expected: float, *, negative_zero: bool | None = None) -> bool:
    v = splat_value(value)
    if v is None or v != expected:
        return False
    if negative_zero is None or not isinstance(v, float):
        return True
    return math.copysign(1.0, v) < 0 if negative_zero else math.copysign(1.0, v) > 0


def _additive_identity(value: SSAValue, result_element) -> bool:
    """`value` is a splat such that `x + value == x` exactly for every x of the result type.

    For floats that is -0.0 only, and it must be a float splat: an integer 0 is
    promoted to +0.0, and `-0.0 + +0.0` is `+0.0`.
    """
    if nn.is_float(result_element):
        return nn.is_float(value.type.element_type) and _is_splat_of(value, 0.0, negative_zero=True)
    return _is_splat_of(value, 0)


def _subtractive_identity(value: SSAValue) -> bool:
    """`value` is a splat such that `x - value == x` exactly: +0.0 (or any integer 0,
    which promotes to +0.0) for floats."""
    if nn.is_float(value.type.element_type):
        return _is_splat_of(value, 0.0, negative_zero=False)
    return _is_splat_of(value, 0)


def _replace_with(op: Operation, new: Operation, rewriter: PatternRewriter) -> None:
    """Replaces `op` by `new`, which keeps `op`'s source location."""
    new.location = op.location
    rewriter.replace(op, new)


def _replace_if_same_type(op: nn.NNOp, value: SSAValue, rewriter: PatternRewriter) -> None:
    # Only when no broadcast or promotion was hiding in the op.
    if value.type == op.result.type:
        rewriter.replace(op, [], [value])


class FoldAddIdentity(RewritePattern):
    """`x + (-0.0) -> x` for floats, `x + 0 -> x` for integers (either side)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.AddOp, rewriter: PatternRewriter) -> None:
        for identity, other in ((op.rhs, op.lhs), (op.lhs, op.rhs)):
            if _additive_identity(identity, op.result.type.element_type):
                _replace_if_same_type(op, other, rewriter)
                return


class FoldSubIdentity(RewritePattern):
    """`x - 0 -> x` (`+0.0` for floats)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.SubOp, rewriter: PatternRewriter) -> None:
        if _subtractive_identity(op.rhs):
            _replace_if_same_type(op, op.lhs, rewriter)


class FoldMulIdentity(RewritePattern):
    """`x * 1 -> x` (either side)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.MulOp, rewriter: PatternRewriter) -> None:
        if _is_splat_of(op.rhs, 1):
            _replace_if_same_type(op, op.lhs, rewriter)
        elif _is_splat_of(op.lhs, 1):
            _replace_if_same_type(op, op.rhs, rewriter)


class FoldIntegerMulByZero(RewritePattern):
    """`x * 0 -> 0` for integers only (for floats NaN, inf and -0.0 break it)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.MulOp, rewriter: PatternRewriter) -> None:
        if nn.is_float(op.result.type.element_type):
            return
        if _is_splat_of(op.rhs, 0) or _is_splat_of(op.lhs, 0):
            _replace_with(op, nn.SplatOp(0, op.result.type), rewriter)


class FoldDivByOne(RewritePattern):
    """`x / 1 -> x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.DivOp, rewriter: PatternRewriter) -> None:
        if _is_splat_of(op.rhs, 1):
            _replace_if_same_type(op, op.lhs, rewriter)


class FoldDoubleNegation(RewritePattern):
    """`-(-x) -> x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.NegOp, rewriter: PatternRewriter) -> None:
        if isinstance(inner := op.input.owner, nn.NegOp):
            rewriter.replace(op, [], [inner.input])


class FoldCastToSameType(RewritePattern):
    """A cast to the operand's own type is the operand."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.CastOp, rewriter: PatternRewriter) -> None:
        _replace_if_same_type(op, op.input, rewriter)


def is_exact_widening(source, target) -> bool:
    """Whether every value of element type `source` converts exactly to `target`."""
    if source == target:
        return True
    if nn.is_bool(source):
        return True
    if nn.is_float(source) != nn.is_float(target):
        return False
    if str(source) == "bf16" and str(target) == "f16":
        return False
    return nn.bit_width(target) > nn.bit_width(source)


class FoldRoundTripCast(RewritePattern):
    """`cast(cast(x : A -> B) : B -> A) -> x` when A -> B is exact (a widening)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.CastOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if (
            isinstance(inner, nn.CastOp)
            and inner.input.type == op.result.type
            and is_exact_widening(inner.input.type.element_type, op.input.type.element_type)
        ):
            rewriter.replace(op, [], [inner.input])


class ComposeTransposes(RewritePattern):
    """`transpose(transpose(x, p), q) -> transpose(x, p∘q)`; identity perms vanish."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.TransposeOp, rewriter: PatternRewriter) -> None:
        perm = op.param("perm")
        if perm == sorted(perm):
            rewriter.replace(op, [], [op.input])
        elif isinstance(inner := op.input.owner, nn.TransposeOp):
            inner_perm = inner.param("perm")
            _replace_with(
                op, nn.TransposeOp(inner.input, perm=[inner_perm[p] for p in perm]), rewriter
            )


class ComposeReshapes(RewritePattern):
    """`reshape(reshape(x)) -> reshape(x)`; a reshape to the same type vanishes; a
    reshape of a splat is a splat."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: nn.ReshapeOp, rewriter: PatternRewriter) -> None:
        if op.input.type == op.result.type:
            rewriter.replace(op, [], [op.input])
        elif isinstance(inner := op.input.owner, nn.ReshapeOp):
            _replace_with(op, nn.ReshapeOp(inner.input, result_type=op.result.type), rewriter)
        elif (value := splat_value(op.input)) is not None:
            _replace_with(op, nn.SplatOp(value, op.result.type), rewriter)


class FoldBroadcast(RewritePattern):
    """A broadcast of a splat is a bigger splat; a broadcast to the same type vanishes."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, nn.BroadcastInDimOp | nn.BroadcastToOp):
            return
        if op.input.type == op.result.type:
            rewriter.replace(op, [], [op.input])
        elif (value := splat_value(op.input)) is not None:
            _replace_with(op, nn.SplatOp(value, op.result.type), rewriter)


def _defining_constant(value: SSAValue) -> np.ndarray | None:
    """The elements of a value defined by `nn.constant` or `nn.splat`, else None."""
    from mlc.interpreter import numpy_dtype

    owner = value.owner
    dtype = numpy_dtype(value.type.element_type)
    if isinstance(owner, nn.SplatOp):
        return np.full(nn.shape_of(value.type), owner.value.value.data, dtype=dtype)
    if isinstance(owner, nn.ConstantOp):
        return np.asarray(owner.value.get_values(), dtype=dtype).reshape(nn.shape_of(value.type))
    return None


_ELEMENTWISE = (nn.UnaryOp, nn.BinaryOp, nn.CastOp, nn.SelectOp)


class FoldConstantOperands(RewritePattern):
    """Evaluates an op whose operands are all constants, with the interpreter.

    Element-wise ops of splats become a splat of any size; other ops fold when
    their result has at most MAX_FOLDED_ELEMENTS elements.
    """

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, nn.NNOp) or not op.operands:
            return
        all_splats = all(splat_value(v) is not None for v in op.operands)
        if not all_splats and not all(
            isinstance(v.owner, nn.ConstantOp | nn.SplatOp) for v in op.operands
        ):
            return
        result_type = op.result.type
        if all_splats and isinstance(op, _ELEMENTWISE):
            scalars = [np.full((), splat_value(v), dtype=_numpy_dtype(v.type)) for v in op.operands]
            scalar_op = _scalar_twin(op)
            value = _evaluate(scalar_op, scalars)
            scalar_op.erase()
            if value is not None:
                _replace_with(op, nn.SplatOp(value.item(), result_type), rewriter)
            return
        if math.prod(nn.shape_of(result_type)) > MAX_FOLDED_ELEMENTS:
            return
        value = _evaluate(op, [_defining_constant(v) for v in op.operands])
        if value is not None and _survives_printing(value):
            _replace_with(op, nn.ConstantOp(_dense(value, result_type)), rewriter)


def _evaluate(op: Operation, values: list[np.ndarray]) -> np.ndarray | None:
    """The interpreter's result, or None where it rejects the values (an out-of-range
    gather index): folding must not turn a program into an error."""
    from mlc.diagnostics import CompileError
    from mlc.interpreter import implementation_for

    with np.errstate(all="ignore"):
        try:
            return implementation_for(op)(op, *values)
        except CompileError:
            return None


def _survives_printing(value: np.ndarray) -> bool:
    # xDSL 0.75 reads NaN and infinity in dense attributes back as integers
    # (xdslproject/xdsl#3370), so such constants are not materialised.
    return bool(np.isfinite(value.astype(np.float64)).all())


def _numpy_dtype(t: TensorType):
    from mlc.interpreter import numpy_dtype

    return numpy_dtype(t.element_type)


def _scalar_twin(op: nn.NNOp) -> nn.NNOp:
    """The same element-wise op on rank-0 tensors, detached, to evaluate."""
    block = Block(arg_types=[nn.tensor_type(v.type.element_type, ()) for v in op.operands])
    params = {name: nn.param_value(attr) for name, attr in op.properties.items()}
    result_type = nn.tensor_type(op.result.type.element_type, ())
    return type(op)(*block.args, result_type=result_type, **params)


def _dense(value: np.ndarray, result_type: TensorType) -> DenseIntOrFPElementsAttr:
    convert = float if nn.is_float(result_type.element_type) else int
    return DenseIntOrFPElementsAttr.from_list(result_type, [convert(x) for x in value.flat])


_PATTERNS: dict[type[Operation], list[RewritePattern]] = defaultdict(list)


def _register(op_classes: Sequence[type[Operation]], pattern: RewritePattern) -> None:
    for op_class in op_classes:
        _PATTERNS[op_class].append(pattern)


_register([nn.AddOp], FoldAddIdentity())
_register([nn.SubOp], FoldSubIdentity())
_register([nn.MulOp], FoldMulIdentity())
_register([nn.MulOp], FoldIntegerMulByZero())
_register([nn.DivOp], FoldDivByOne())
_register([nn.NegOp], FoldDoubleNegation())
_register([nn.CastOp], FoldCastToSameType())
_register([nn.CastOp], FoldRoundTripCast())
_register([nn.TransposeOp], ComposeTransposes())
_register([nn.ReshapeOp], ComposeReshapes())
_register([nn.BroadcastInDimOp, nn.BroadcastToOp], FoldBroadcast())
_register(list(nn.NN.operations), FoldConstantOperands())


def patterns_for(op_class: type[Operation]) -> tuple[RewritePattern, ...]:
    """The canonicalization patterns rooted at ops of `op_class`."""
    return tuple(_PATTERNS.get(op_class, ()))
