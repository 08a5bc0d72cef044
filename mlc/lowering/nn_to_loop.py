"""From nn primitives to `loop.kernel` bodies: what one element of each op computes.

Every compute primitive has an **iteration space** (`IterationSpace`): its domain,
which dims it reduces, where its result and operands are indexed at each domain
point. Views (`broadcast_in_dim`, `transpose`, `reshape`, `expand_dims`, `squeeze`,
`slice`) have no space of their own: a reader goes *through* them by rewriting its
indices (`view_source_exprs`), so they become index maps, never copies; each
composed map is simplified over the reader's domain (`mlc.lowering.index_exprs`), so
a reshape read back along the dims it split is a plain strided access again. Generators
(`splat`, `iota`) become scalar constants and index arithmetic in their readers.

`KernelBuilder` assembles a kernel from member ops placed in a common domain; the
`fuse` pass decides the members, and `convert-nn-to-loop` (here) puts every compute
op in a kernel of its own, the unfused baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    i1,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
    AffineSymExpr,
)
from xdsl.passes import ModulePass

from mlc.dialects import loop, nn
from mlc.lowering.index_exprs import simplify_all
from mlc.passes import register_pass

Exprs = tuple[AffineExpr, ...]

VIEW_OPS = (
    nn.BroadcastInDimOp,
    nn.TransposeOp,
    nn.ReshapeOp,
    nn.ExpandDimsOp,
    nn.SqueezeOp,
    nn.SliceOp,
)
GENERATOR_OPS = (nn.SplatOp, nn.IotaOp)


def dims(rank: int) -> Exprs:
    return tuple(AffineExpr.dimension(d) for d in range(rank))


_KEPT_SYMBOLS = [AffineExpr.symbol(s) for s in range(4)]


def substitute(exprs: Sequence[AffineExpr], replacements: Sequence[AffineExpr]) -> Exprs:
    """`exprs` with dim `d` replaced by `replacements[d]`; symbols are kept."""
    return tuple(e.replace_dims_and_symbols(list(replacements), _KEPT_SYMBOLS) for e in exprs)


# ---------------------------------------------------------------------------
# Iteration spaces


@dataclass(frozen=True)
class IterationSpace:
    """Where a compute op works: its domain and its index expressions over it.

    `operand_exprs[k]` is None for an operand read at data-dependent or piecewise
    indices (gather's table, concat's inputs): such a read cannot be matched to the
    point where a fused producer computed the value.
    """

    sizes: tuple[int, ...]
    reduced: frozenset[int]
    result_exprs: Exprs
    operand_exprs: tuple[Exprs | None, ...]

    @property
    def rank(self) -> int:
        return len(self.sizes)


def _elementwise_space(op: nn.NNOp) -> IterationSpace:
    shape = nn.shape_of(op.result.type)
    identity = dims(len(shape))
    return IterationSpace(shape, frozenset(), identity, tuple(identity for _ in op.operands))


def _reduce_space(op: nn.ReduceOp) -> IterationSpace:
    shape = nn.shape_of(op.input.type)
    axes = op.param("axes")
    keep = op.param("keepdims")
    result = tuple(
        AffineExpr.constant(0) if d in axes else AffineExpr.dimension(d)
        for d in range(len(shape))
        if keep or d not in axes
    )
    return IterationSpace(shape, frozenset(axes), result, (dims(len(shape)),))


def _matmul_space(op: nn.MatmulOp) -> IterationSpace:
    out = nn.shape_of(op.result.type)
    k = nn.shape_of(op.lhs.type)[-1]
    rank = len(out) + 1
    d = dims(rank)
    batch, m, n, kd = d[: len(out) - 2], d[-3], d[-2], d[-1]
    lhs = (*_batch_exprs(op.lhs, batch), m, kd)
    rhs = (*_batch_exprs(op.rhs, batch), kd, n)
    return IterationSpace((*out, k), frozenset({rank - 1}), (*batch, m, n), (lhs, rhs))


def _batch_exprs(operand: SSAValue, batch: Exprs) -> Exprs:
    """Batch indices of a matmul operand, broadcasting size-1 and missing batch dims."""
    shape = nn.shape_of(operand.type)[:-2]
    offset = len(batch) - len(shape)
    return tuple(
        AffineExpr.constant(0) if size == 1 else batch[offset + i] for i, size in enumerate(shape)
    )


def _gather_space(op: nn.GatherOp) -> IterationSpace:
    shape = nn.shape_of(op.result.type)
    axis = op.param("axis")
    index_rank = op.indices.type.get_num_dims()
    d = dims(len(shape))
    return IterationSpace(shape, frozenset(), d, (None, d[axis : axis + index_rank]))


def _concat_space(op: nn.ConcatOp) -> IterationSpace:
    shape = nn.shape_of(op.result.type)
    return IterationSpace(shape, frozenset(), dims(len(shape)), tuple(None for _ in op.inputs))


def _view_space(op: Operation) -> IterationSpace:
    """A view computed as a copy (it is returned): it reads its input through itself."""
    shape = nn.shape_of(op.result.type)
    identity = dims(len(shape))
    return IterationSpace(shape, frozenset(), identity, (view_source_exprs(op, identity),))


def iteration_space(op: Operation) -> IterationSpace:
    if isinstance(op, VIEW_OPS):
        return _view_space(op)
    if isinstance(op, nn.ReduceOp):
        return _reduce_space(op)
    if isinstance(op, nn.MatmulOp):
        return _matmul_space(op)
    if isinstance(op, nn.GatherOp):
        return _gather_space(op)
    if isinstance(op, nn.ConcatOp):
        return _concat_space(op)
    return _elementwise_space(op)


# ---------------------------------------------------------------------------
# Views: reading through them rewrites the indices


def view_source_exprs(op: Operation, exprs: Sequence[AffineExpr]) -> Exprs:
    """The indices into a view's input that hold its result at `exprs`."""
    in_shape = nn.shape_of(op.operands[0].type)
    out_shape = nn.shape_of(op.result.type)
    zero = AffineExpr.constant(0)
    if isinstance(op, nn.BroadcastInDimOp):
        return tuple(
            zero if in_shape[i] == 1 and out_shape[d] != 1 else exprs[d]
            for i, d in enumerate(op.param("dims"))
        )
    if isinstance(op, nn.TransposeOp):
        perm = op.param("perm")
        return tuple(exprs[perm.index(p)] for p in range(len(perm)))
    if isinstance(op, nn.ExpandDimsOp):
        axes = op.param("axes")
        return tuple(e for d, e in enumerate(exprs) if d not in axes)
    if isinstance(op, nn.SqueezeOp):
        axes = op.param("axes")
        kept = iter(exprs)
        return tuple(zero if d in axes else next(kept) for d in range(len(in_shape)))
    if isinstance(op, nn.SliceOp):
        return tuple(
            start + step * e
            for e, start, step in zip(exprs, op.param("start"), op.param("step"), strict=True)
        )
    if isinstance(op, nn.ReshapeOp):
        return _reshape_exprs(exprs, out_shape, in_shape)
    raise AssertionError(f"not a view: {op.name}")


def _reshape_exprs(exprs: Sequence[AffineExpr], out_shape, in_shape) -> Exprs:
    """Row-major linear index of `exprs`, split into `in_shape` coordinates."""
    if 0 in out_shape:
        # Nothing is read. An index over the empty dim is one that never runs (the
        # verifier and the interpreter skip it), where a constant would be out of range.
        empty = exprs[list(out_shape).index(0)]
        return tuple(empty for _ in in_shape)
    linear: AffineExpr = AffineExpr.constant(0)
    for e, size in zip(exprs, out_shape, strict=True):
        linear = linear * size + e
    result = []
    stride = math.prod(in_shape)
    for n, size in enumerate(in_shape):
        stride //= max(size, 1)
        coordinate = linear if stride == 1 else linear // stride
        result.append(coordinate if n == 0 else coordinate % size)
    return tuple(result)


def source_of(
    value: SSAValue, exprs: Sequence[AffineExpr], sizes: Sequence[int]
) -> tuple[SSAValue, Exprs]:
    """Follows views back to the tensor (and indices) that hold `value` at `exprs`,
    indices over dims `d` in `[0, sizes[d])`, simplified (see `index_exprs`)."""
    exprs = tuple(exprs)
    viewed = False
    while isinstance(value.owner, VIEW_OPS) and not is_materialized_view(value.owner):
        exprs = view_source_exprs(value.owner, exprs)
        value = value.owner.operands[0]
        viewed = True
    return value, simplify_all(exprs, sizes) if viewed else exprs


def source_value(value: SSAValue) -> SSAValue:
    """The tensor a value is a view of (itself if it is not a view)."""
    while isinstance(value.owner, VIEW_OPS) and not is_materialized_view(value.owner):
        value = value.owner.operands[0]
    return value


def is_materialized_view(op: Operation) -> bool:
    """A view that something other than an nn op reads (a return) must be a tensor."""
    return any(not isinstance(use.operation, nn.NNOp) for use in op.result.uses)


ELEMENTWISE_OPS = (nn.UnaryOp, nn.BinaryOp, nn.SelectOp, nn.CastOp)


def is_index_function(op: Operation) -> bool:
    """An op computable from indices alone: splat, iota and element-wise ops of them.

    Readers recompute it where they need it, which costs a few scalar ops and saves
    a tensor: the causal mask of attention never reaches memory.
    """
    if isinstance(op, GENERATOR_OPS):
        return True
    return isinstance(op, ELEMENTWISE_OPS) and all(
        isinstance(owner := source_value(v).owner, Operation) and is_index_function(owner)
        for v in op.operands
    )


def is_generated(op: Operation) -> bool:
    """An index function that only nn ops read: it needs no tensor of its own."""
    if any(not isinstance(use.operation, nn.NNOp) for r in op.results for use in r.uses):
        return False
    return is_index_function(op)


def is_compute(op: Operation) -> bool:
    """Ops that belong to kernels: all but pass-through views, generated values, constants."""
    if not isinstance(op, nn.NNOp) or isinstance(op, nn.ConstantOp) or is_generated(op):
        return False
    return not isinstance(op, VIEW_OPS) or is_materialized_view(op)


# ---------------------------------------------------------------------------
# Building kernels


@dataclass
class Member:
    """An op placed in a kernel: `placement[d]` is the kernel expr of its dim `d`."""

    op: Operation
    placement: Exprs

    def result_exprs(self) -> Exprs:
        return substitute(iteration_space(self.op).result_exprs, self.placement)


@dataclass
class KernelBuilder:
    """Emits the body of one kernel: loads, scalar ops of each member, stores."""

    sizes: tuple[int, ...]
    reduced: frozenset[int]
    name: str | None = None
    block: Block = field(init=False)
    inputs: list[SSAValue] = field(default_factory=list)
    input_args: dict[SSAValue, SSAValue] = field(default_factory=dict)
    scalars: dict[SSAValue, tuple[SSAValue, Exprs]] = field(default_factory=dict)
    loads: dict[tuple, SSAValue] = field(default_factory=dict)
    generated: dict[tuple, SSAValue] = field(default_factory=dict)
    location: Attribute | None = None
    recomputed: Callable[[Operation], bool] = is_index_function
    """Ops whose values readers compute in place instead of loading them."""

    def __post_init__(self) -> None:
        self.block = Block(arg_types=[IndexType()] * len(self.sizes))
        for d, iv in enumerate(self.block.args):
            iv.name_hint = f"d{d}"

    @property
    def ivs(self) -> Sequence[SSAValue]:
        return self.block.args[: len(self.sizes)]

    def add(self, op: Operation) -> SSAValue:
        if self.location is not None:
            op.location = self.location
        self.block.add_op(op)
        return op.results[0] if op.results else None

    # -- reading values ----------------------------------------------------

    def read(
        self, value: SSAValue, exprs: Sequence[AffineExpr], symbols: Sequence[SSAValue] = ()
    ) -> SSAValue:
        """The scalar of tensor `value` at kernel indices `exprs`.

        `symbols` are computed index values that `exprs` refer to as symbols (a
        gather's row); such a read always loads.
        """
        value, exprs = source_of(value, exprs, self.sizes)
        owner = value.owner
        if isinstance(owner, Operation) and self.recomputed(owner):
            return self.inline(owner, exprs, symbols)
        if value in self.scalars and not symbols:
            scalar, produced = self.scalars[value]
            if _same_point(produced, exprs, nn.shape_of(value.type)):
                return scalar
        return self.load(value, exprs, symbols)

    def load(
        self, value: SSAValue, exprs: Sequence[AffineExpr], symbols: Sequence[SSAValue] = ()
    ) -> SSAValue:
        key = (value, tuple(str(e) for e in exprs), tuple(symbols))
        if key not in self.loads:
            indices, map_ = self.access(exprs, symbols)
            self.loads[key] = self.add(loop.LoadOp(self.input_arg(value), indices, map_))
        return self.loads[key]

    def input_arg(self, value: SSAValue) -> SSAValue:
        if value not in self.input_args:
            position = len(self.sizes) + len(self.inputs)
            arg = self.block.insert_arg(value.type, position)
            arg.name_hint = value.name_hint
            self.input_args[value] = arg
            self.inputs.append(value)
        return self.input_args[value]

    def access(
        self, exprs: Sequence[AffineExpr], symbols: Sequence[SSAValue] = ()
    ) -> tuple[list[SSAValue], AffineMap]:
        """Index operands and their map for kernel exprs (symbols = computed indices)."""
        used = sorted(set().union(*(e.used_dims() for e in exprs))) if exprs else []
        indices = [self.ivs[d] for d in used] + list(symbols)
        renumber = [
            AffineExpr.dimension(used.index(d)) if d in used else AffineExpr.constant(0)
            for d in range(len(self.sizes))
        ]
        as_dims = [AffineExpr.dimension(len(used) + s) for s in range(len(symbols))]
        results = tuple(e.replace_dims_and_symbols(renumber, as_dims) for e in exprs)
        return indices, AffineMap(len(indices), 0, results)

    # -- scalar helpers ------------------------------------------------------

    def constant(self, value: float | int, element_type: Attribute) -> SSAValue:
        attr = (
            FloatAttr(float(value), element_type)
            if nn.is_float(element_type)
            else IntegerAttr(int(value), element_type)
        )
        return self.add(arith.ConstantOp(attr))

    def index(self, expr: AffineExpr, symbols: Sequence[SSAValue] = ()) -> SSAValue:
        """An index value computing `expr` from the domain indices and `symbols`."""
        if isinstance(expr, AffineDimExpr):
            return self.ivs[expr.position]
        if isinstance(expr, AffineSymExpr):
            return symbols[expr.position]
        if isinstance(expr, AffineConstantExpr):
            return self.add(arith.ConstantOp(IntegerAttr(expr.value, IndexType())))
        assert isinstance(expr, AffineBinaryOpExpr), f"unexpected index expression {expr}"
        lhs, rhs = self.index(expr.lhs, symbols), self.index(expr.rhs, symbols)
        op_class = {
            AffineBinaryOpKind.Add: arith.AddiOp,
            AffineBinaryOpKind.Mul: arith.MuliOp,
            AffineBinaryOpKind.FloorDiv: arith.FloorDivSIOp,
            AffineBinaryOpKind.CeilDiv: arith.CeilDivSIOp,
            AffineBinaryOpKind.Mod: arith.RemSIOp,
        }[expr.kind]
        return self.add(op_class(lhs, rhs))

    def convert_index(self, index: SSAValue, element_type: Attribute) -> SSAValue:
        if nn.is_float(element_type):
            as_int = self.add(arith.IndexCastOp(index, i64))
            return self.add(arith.SIToFPOp(as_int, element_type))
        return self.add(arith.IndexCastOp(index, element_type))

    # -- members and stores ---------------------------------------------------

    def inline(
        self, op: Operation, exprs: Sequence[AffineExpr], symbols: Sequence[SSAValue]
    ) -> SSAValue:
        """Recomputes a generated value at `exprs` (its result indices)."""
        key = (op, tuple(str(e) for e in exprs), tuple(symbols))
        if key not in self.generated:
            member = Member(op, tuple(exprs))
            operands = Operands(self, member, iteration_space(op), tuple(symbols))
            self.generated[key] = SCALAR_EMITTERS[_emitter_key(op)](self, op, operands)
        return self.generated[key]

    def emit(self, member: Member) -> None:
        op = member.op
        operands = Operands(self, member, iteration_space(op))
        scalar = SCALAR_EMITTERS[_emitter_key(op)](self, op, operands)
        self.scalars[op.results[0]] = (scalar, member.result_exprs())

    def store(self, value: SSAValue) -> None:
        scalar, exprs = self.scalars[value]
        out = self.block.insert_arg(value.type, len(self.block.args))
        out.name_hint = f"{value.name_hint}_out" if value.name_hint else "out"
        indices, map_ = self.access(exprs)
        self.add(loop.StoreOp(scalar, out, indices, map_))

    def build(self) -> loop.KernelOp:
        output_types = [a.type for a in self.block.args[len(self.sizes) + len(self.inputs) :]]
        kernel = loop.KernelOp(
            self.inputs,
            output_types,
            self.sizes,
            self.reduced,
            body=Region(self.block),
            kernel_name=self.name,
        )
        if self.location is not None:
            kernel.location = self.location
        return kernel


@dataclass
class Operands:
    """Reads a member's operands: `operands(k)` at its own point, or at given exprs."""

    builder: KernelBuilder
    member: Member
    space: IterationSpace
    placement_symbols: tuple[SSAValue, ...] = ()
    """Computed indices the placement itself refers to (a generated value read by a gather)."""

    def __call__(
        self, k: int, exprs: Sequence[AffineExpr] | None = None, symbols: Sequence[SSAValue] = ()
    ) -> SSAValue:
        if exprs is None:
            exprs = self.space.operand_exprs[k]
        if symbols and self.placement_symbols:
            raise NotImplementedError("computed indices at two levels")
        placed = substitute(exprs, self.member.placement)
        return self.builder.read(
            self.member.op.operands[k], placed, tuple(symbols) or self.placement_symbols
        )

    def index(self, expr: AffineExpr) -> SSAValue:
        """An index value for an expression over the member's own dims."""
        (placed,) = substitute([expr], self.member.placement)
        return self.builder.index(placed, self.placement_symbols)


def _same_point(produced: Exprs, read: Sequence[AffineExpr], shape: Sequence[int]) -> bool:
    """Whether a read asks for the element the producer computed at this point."""
    return all(
        size == 1 or str(p) == str(r) for p, r, size in zip(produced, read, shape, strict=True)
    )


# ---------------------------------------------------------------------------
# Scalar semantics of each compute primitive

Emitter = Callable[[KernelBuilder, Operation, Operands], SSAValue]
SCALAR_EMITTERS: dict[object, Emitter] = {}


def _emitter_key(op: Operation) -> object:
    if isinstance(op, VIEW_OPS):
        return "copy"
    return type(op)


def emits(*keys: object) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        for key in keys:
            SCALAR_EMITTERS[key] = fn
        return fn

    return register


_FLOAT_BINARY = {
    nn.AddOp: arith.AddfOp,
    nn.SubOp: arith.SubfOp,
    nn.MulOp: arith.MulfOp,
    nn.DivOp: arith.DivfOp,
    nn.MaxOp: arith.MaximumfOp,
    nn.MinOp: arith.MinimumfOp,
    nn.PowOp: xmath.PowFOp,
}
_INT_BINARY = {
    nn.AddOp: arith.AddiOp,
    nn.SubOp: arith.SubiOp,
    nn.MulOp: arith.MuliOp,
    nn.MaxOp: arith.MaxSIOp,
    nn.MinOp: arith.MinSIOp,
}
_FLOAT_PREDICATES = {
    nn.EqOp: "oeq",
    nn.NeOp: "une",
    nn.LtOp: "olt",
    nn.LeOp: "ole",
    nn.GtOp: "ogt",
    nn.GeOp: "oge",
}
_INT_PREDICATES = {
    nn.EqOp: "eq",
    nn.NeOp: "ne",
    nn.LtOp: "slt",
    nn.LeOp: "sle",
    nn.GtOp: "sgt",
    nn.GeOp: "sge",
}
# i1 compares as unsigned: false < true.
_BOOL_PREDICATES = {
    **_INT_PREDICATES,
    nn.LtOp: "ult",
    nn.LeOp: "ule",
    nn.GtOp: "ugt",
    nn.GeOp: "uge",
}
_FLOAT_UNARY = {
    nn.ExpOp: xmath.ExpOp,
    nn.LogOp: xmath.LogOp,
    nn.SqrtOp: xmath.SqrtOp,
    nn.RsqrtOp: xmath.RsqrtOp,
    nn.TanhOp: xmath.TanhOp,
    nn.ErfOp: xmath.ErfOp,
    nn.SinOp: xmath.SinOp,
    nn.CosOp: xmath.CosOp,
    nn.AbsOp: xmath.AbsFOp,
    nn.NegOp: arith.NegfOp,
}


@emits(*_FLOAT_BINARY)
def _binary(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    lhs, rhs = operands(0), operands(1)
    table = _FLOAT_BINARY if nn.is_float(lhs.type) else _INT_BINARY
    return b.add(table[type(op)](lhs, rhs))


@emits(*_FLOAT_PREDICATES)
def _compare(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    lhs, rhs = operands(0), operands(1)
    if nn.is_float(lhs.type):
        return b.add(arith.CmpfOp(lhs, rhs, _FLOAT_PREDICATES[type(op)]))
    table = _BOOL_PREDICATES if lhs.type == i1 else _INT_PREDICATES
    return b.add(arith.CmpiOp(lhs, rhs, table[type(op)]))


@emits(*_FLOAT_UNARY)
def _unary(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    x = operands(0)
    if nn.is_float(x.type):
        return b.add(_FLOAT_UNARY[type(op)](x))
    if isinstance(op, nn.AbsOp):
        return b.add(xmath.AbsIOp(x))
    assert isinstance(op, nn.NegOp)
    return b.add(arith.SubiOp(b.constant(0, x.type), x))


@emits(nn.SelectOp)
def _select(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    cond, a, c = operands(0), operands(1), operands(2)
    return b.add(arith.SelectOp(cond, a, c))


@emits(nn.CastOp)
def _cast(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    x = operands(0)
    return convert(b, x, op.result.type.element_type)


def convert(b: KernelBuilder, x: SSAValue, to: Attribute) -> SSAValue:
    """numpy `astype` semantics: floats truncate toward zero, `!= 0` gives i1."""
    src = x.type
    if src == to:
        return x
    if to == i1:
        zero = b.constant(0, src)
        if nn.is_float(src):
            return b.add(arith.CmpfOp(x, zero, "une"))
        return b.add(arith.CmpiOp(x, zero, "ne"))
    if nn.is_float(src) and nn.is_float(to):
        if nn.bit_width(src) == nn.bit_width(to):  # f16 <-> bf16: through f32
            x = b.add(arith.ExtFOp(x, nn.f32))
            return b.add(arith.TruncFOp(x, to))
        op_class = arith.ExtFOp if nn.bit_width(to) > nn.bit_width(src) else arith.TruncFOp
        return b.add(op_class(x, to))
    if nn.is_float(src):
        return b.add(arith.FPToSIOp(x, to))
    if nn.is_float(to):
        op_class = arith.UIToFPOp if src == i1 else arith.SIToFPOp
        return b.add(op_class(x, to))
    assert isinstance(src, IntegerType) and isinstance(to, IntegerType)
    if nn.bit_width(to) > nn.bit_width(src):
        op_class = arith.ExtUIOp if src == i1 else arith.ExtSIOp
        return b.add(op_class(x, to))
    return b.add(arith.TruncIOp(x, to))


_REDUCTION_KINDS = {
    nn.ReduceSumOp: "add",
    nn.ReduceProdOp: "mul",
    nn.ReduceMaxOp: "max",
    nn.ReduceMinOp: "min",
}


@emits(*_REDUCTION_KINDS)
def _reduce(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    value = operands(0)
    placed = [operands.member.placement[d] for d in operands.space.reduced]
    if not any(isinstance(e, AffineDimExpr) for e in placed):
        return value  # only size-1 dims: the one element is the result
    return b.add(loop.ReduceOp(_REDUCTION_KINDS[type(op)], value))


@emits(nn.MatmulOp)
def _matmul(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    lhs, rhs = operands(0), operands(1)
    product = b.add(arith.MulfOp(lhs, rhs) if nn.is_float(lhs.type) else arith.MuliOp(lhs, rhs))
    return b.add(loop.ReduceOp("add", product))


@emits(nn.SplatOp)
def _splat(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    return b.constant(op.value.value.data, op.result.type.element_type)


@emits(nn.IotaOp)
def _iota(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    index = operands.index(AffineExpr.dimension(op.param("dim")))
    return b.convert_index(index, op.result.type.element_type)


@emits("copy")
def _copy(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    return operands(0)


@emits(nn.GatherOp)
def _gather(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    """`table[..., clamp(indices[...]), ...]`: compiled code never reads out of bounds."""
    axis = op.param("axis")
    index = _clamped_index(b, operands(1), nn.shape_of(op.input.type)[axis])
    own = dims(operands.space.rank)
    index_rank = op.indices.type.get_num_dims()
    table_exprs = (*own[:axis], AffineExpr.symbol(0), *own[axis + index_rank :])
    return operands(0, table_exprs, [index])


@emits(nn.ConcatOp)
def _concat(b: KernelBuilder, op, operands: Operands) -> SSAValue:
    """Each input read at a clamped offset index, then selected by position."""
    axis = op.param("axis")
    own = dims(operands.space.rank)
    position = operands.index(own[axis])
    index_type = IndexType()
    offsets, pieces = 0, []
    for k, value in enumerate(op.inputs):
        size = nn.shape_of(value.type)[axis]
        offset = b.add(arith.ConstantOp(IntegerAttr(offsets, index_type)))
        local = b.add(arith.SubiOp(position, offset))
        clamped = _clamp(b, local, size)
        piece = operands(k, (*own[:axis], AffineExpr.symbol(0), *own[axis + 1 :]), [clamped])
        offsets += size
        pieces.append((piece, offsets))
    result = pieces[-1][0]
    for piece, end in reversed(pieces[:-1]):
        bound = b.add(arith.ConstantOp(IntegerAttr(end, index_type)))
        before_end = b.add(arith.CmpiOp(position, bound, "slt"))
        result = b.add(arith.SelectOp(before_end, piece, result))
    return result


def _clamp(b: KernelBuilder, index: SSAValue, size: int) -> SSAValue:
    zero = b.add(arith.ConstantOp(IntegerAttr(0, IndexType())))
    last = b.add(arith.ConstantOp(IntegerAttr(max(size - 1, 0), IndexType())))
    return b.add(arith.MinSIOp(b.add(arith.MaxSIOp(index, zero)), last))


def _clamped_index(b: KernelBuilder, index: SSAValue, size: int) -> SSAValue:
    return _clamp(b, b.add(arith.IndexCastOp(index, IndexType())), size)


# ---------------------------------------------------------------------------
# The unfused baseline


@register_pass
@dataclass(frozen=True)
class ConvertNNToLoopPass(ModulePass):
    """Puts every nn compute primitive in a loop.kernel of its own (no fusion)."""

    name = "convert-nn-to-loop"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from mlc.transforms.fuse import FusePass

        FusePass(
            vertical=False, reduction=False, epilogue=False, horizontal=False, max_recompute=0
        ).apply(ctx, op)
