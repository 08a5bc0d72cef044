"""The `loop` dialect: mlc's fused-loop level.

A `loop.kernel` computes its result tensors from its input tensors over an explicit
**iteration domain**: a list of dims, each with a size and an iterator kind
(`parallel` or `reduction`). Its body is one block of scalar ops that runs, in
effect, once per domain point:

    %y = loop.kernel "softmax" domain(%i: 4, %j: 8 reduction)
                     ins(%x = %arg0 : tensor<4x8xf32>) outs(%out : tensor<4x8xf32>) {
      %v = loop.load %x[%i, %j] : tensor<4x8xf32>
      %m = loop.reduce max %v : f32
      %d = arith.subf %v, %m : f32
      %e = math.exp %d : f32
      %s = loop.reduce add %e : f32
      %r = arith.divf %e, %s : f32
      loop.store %r, %out[%i, %j] : tensor<4x8xf32>
    }

* `loop.load` reads an input at an affine function of the domain's index values:
  broadcast, transpose, slice and reshape are index maps, never copies. Indices
  may also be computed in the body (a gather's indices).
* `loop.reduce` combines its operand over all the kernel's reduction dims; its result
  is the same at every point that differs only in those dims, so later ops use it
  "broadcast back" over the row it reduced. A kernel is thus a sequence of sweeps
  over its reduction dims: softmax and layer_norm are one kernel.
* `loop.store` writes each output exactly once; its indices are distinct domain dims
  (or 0 for a size-1 output dim), and a stored value may only vary over the dims it
  is stored at, so a reduced value is stored per row and an element-wise one per
  element.
* Arithmetic is upstream `arith` and `math` on scalars.

Sizes are static attributes today; a dynamic size will be a `?` with an index
operand, which is why bounds live on the kernel, not in each op.

**Tiling.** A kernel may carry `attributes {tile_sizes = array<i64: ...>}` (set by
the `tile` pass, or by hand): one size per domain dim. The parallel dims run as
*tile loops* (domain order, each stepping by its tile size) around *point loops*
(domain order, each over one tile, the last one clipped to the dim), so a tile of
every tensor the kernel touches stays in cache while it is worked on, and the
innermost point loop is still the innermost dim (unit stride). A tile size equal
to the dim's size means "not tiled" (the whole dim is in the point loops), 1 means
"an outer loop" (each index is its own tile). The verifier checks one size per
dim, each in `[1, size]` (1 for an empty dim), and that reduction dims are whole:
a sweep needs the reduces of the earlier sweeps over the whole row, so rows are
never split into blocks. How the lowering honours it: `mlc.lowering.loop_to_llvm`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from xdsl.dialects.builtin import (
    AffineMapAttr,
    DenseArrayBase,
    IndexType,
    ShapedType,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, BlockArgument, Dialect, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
    AffineSymExpr,
)
from xdsl.irdl import (
    IRDLOperation,
    base,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import IsolatedFromAbove, NoTerminator, Pure
from xdsl.utils.exceptions import VerifyException

TILE_SIZES = "tile_sizes"
"""The name of `loop.kernel`'s optional tiling attribute (see the module docstring)."""

REDUCTION_KINDS = ("add", "mul", "max", "min")
"""Combiners of `loop.reduce`. Their identities: 0, 1, -inf (smallest integer),
+inf (largest integer). `max`/`min` propagate NaN, like `arith.maximumf`."""

BODY_DIALECTS = ("arith", "math", "loop")


# ---------------------------------------------------------------------------
# Index maps printed with SSA names: `%x[%i, %j * 2 + 1]`

_DIM_TOKEN = re.compile(r"\bd(\d+)\b")


def _print_indexed(
    printer: Printer, source: SSAValue, indices: Sequence[SSAValue], map_: AffineMap
) -> None:
    printer.print_ssa_value(source)
    printer.print_string("[")
    for n, expr in enumerate(map_.results):
        if n:
            printer.print_string(", ")
        text = str(expr)
        last = 0
        for match in _DIM_TOKEN.finditer(text):
            printer.print_string(text[last : match.start()])
            printer.print_ssa_value(indices[int(match.group(1))])
            last = match.end()
        printer.print_string(text[last:])
    printer.print_string("]")


def _parse_indexed(parser: Parser) -> tuple[SSAValue, list[SSAValue], AffineMap]:
    """`%x[<affine exprs of index values>]`: the source, index operands and their map."""
    source = parser.parse_unresolved_operand()
    map_, indices = parser.parse_affine_map_of_ssa_ids()
    count = len(indices)
    as_dims = map_.replace_dims_and_symbols(
        [], [AffineExpr.dimension(k) for k in range(count)], count, 0
    )
    return source, list(indices), as_dims


class IndexedAccess(IRDLOperation):
    """Shared parts of `loop.load` and `loop.store`: indices through an affine map."""

    indices = var_operand_def(IndexType)
    map = prop_def(AffineMapAttr)

    @property
    def tensor(self) -> SSAValue:
        raise NotImplementedError

    def index_map(self) -> AffineMap:
        return self.map.data

    def verify_(self) -> None:
        m = self.index_map()
        if m.num_dims != len(self.indices) or m.num_symbols:
            raise VerifyException(
                f"index map {m} must have one dim per index operand ({len(self.indices)})"
            )
        for expr in m.results:
            for sub in expr.dfs():
                if (
                    isinstance(sub, AffineBinaryOpExpr)
                    and sub.kind != AffineBinaryOpKind.Add
                    and sub.kind != AffineBinaryOpKind.Mul
                    and not (isinstance(sub.rhs, AffineConstantExpr) and sub.rhs.value > 0)
                ):
                    raise VerifyException(
                        f"index {expr} divides by {sub.rhs}: divisors must be positive constants"
                    )
        t = self.tensor.type
        if not isinstance(self.parent_op(), KernelOp):
            raise VerifyException(f"'{self.name}' must be directly inside a 'loop.kernel'")
        if len(m.results) != t.get_num_dims():
            raise VerifyException(
                f"{len(m.results)} indices for a rank-{t.get_num_dims()} tensor {t}"
            )


@irdl_op_definition
class LoadOp(IndexedAccess):
    """Reads one element of a kernel input: `%v = loop.load %x[%i, %j + 1] : tensor<4x8xf32>`."""

    name = "loop.load"
    source = operand_def(TensorType)
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, source: SSAValue, indices: Sequence[SSAValue], map_: AffineMap) -> None:
        super().__init__(
            operands=[source, list(indices)],
            result_types=[source.type.element_type],
            properties={"map": AffineMapAttr(map_)},
        )

    @property
    def tensor(self) -> SSAValue:
        return self.source

    def verify_(self) -> None:
        super().verify_()
        if self.result.type != self.source.type.element_type:
            raise VerifyException(
                f"result type {self.result.type} is not the element type of {self.source.type}"
            )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        _print_indexed(printer, self.source, self.indices, self.index_map())
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.source.type)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        source, indices, map_ = _parse_indexed(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        t = parser.parse_type()
        if not isinstance(t, TensorType):
            parser.raise_error("'loop.load' expects a tensor type", pos, parser.pos)
        op = cls(parser.resolve_operand(source, t), indices, map_)
        op.attributes |= attributes
        return op


@irdl_op_definition
class StoreOp(IndexedAccess):
    """Writes one element of a kernel output: `loop.store %v, %out[%i, %j] : tensor<4x8xf32>`."""

    name = "loop.store"
    value = operand_def()
    dest = operand_def(TensorType)

    def __init__(
        self, value: SSAValue, dest: SSAValue, indices: Sequence[SSAValue], map_: AffineMap
    ) -> None:
        super().__init__(
            operands=[value, dest, list(indices)], properties={"map": AffineMapAttr(map_)}
        )

    @property
    def tensor(self) -> SSAValue:
        return self.dest

    def verify_(self) -> None:
        super().verify_()
        if self.value.type != self.dest.type.element_type:
            raise VerifyException(
                f"stored {self.value.type} into {self.dest.type}: element types differ"
            )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.value)
        printer.print_string(", ")
        _print_indexed(printer, self.dest, self.indices, self.index_map())
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.dest.type)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        value = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        dest, indices, map_ = _parse_indexed(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        t = parser.parse_type()
        if not isinstance(t, TensorType):
            parser.raise_error("'loop.store' expects a tensor type", pos, parser.pos)
        op = cls(
            parser.resolve_operand(value, t.element_type),
            parser.resolve_operand(dest, t),
            indices,
            map_,
        )
        op.attributes |= attributes
        return op


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """Combines `value` over the kernel's reduction dims: `%s = loop.reduce add %e : f32`."""

    name = "loop.reduce"
    value = operand_def()
    result = result_def()
    kind = prop_def(StringAttr)
    traits = traits_def(Pure())

    def __init__(self, kind: str, value: SSAValue) -> None:
        super().__init__(
            operands=[value], result_types=[value.type], properties={"kind": StringAttr(kind)}
        )

    def verify_(self) -> None:
        if not isinstance(self.parent_op(), KernelOp):
            raise VerifyException("'loop.reduce' must be directly inside a 'loop.kernel'")
        if self.kind.data not in REDUCTION_KINDS:
            raise VerifyException(
                f"unknown reduction '{self.kind.data}' (expected {', '.join(REDUCTION_KINDS)})"
            )
        if self.result.type != self.value.type:
            raise VerifyException("result and operand types differ")

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.kind.data} ")
        printer.print_ssa_value(self.value)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.value.type)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        kind = parser.parse_identifier(context_msg=" (a reduction kind)")
        value = parser.parse_unresolved_operand()
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        op = cls(kind, parser.resolve_operand(value, parser.parse_type()))
        op.attributes |= attributes
        return op


# ---------------------------------------------------------------------------
# The kernel


def index_range(expr: AffineExpr, sizes: Sequence[int]) -> tuple[int, int]:
    """The smallest and largest value of `expr` over the domain box (dim d in [0, size))."""
    if isinstance(expr, AffineDimExpr):
        return 0, sizes[expr.position] - 1
    if isinstance(expr, AffineConstantExpr):
        return expr.value, expr.value
    assert isinstance(expr, AffineBinaryOpExpr), f"unexpected index expression {expr}"
    (a, b), (c, d) = index_range(expr.lhs, sizes), index_range(expr.rhs, sizes)
    kind = expr.kind
    if kind == AffineBinaryOpKind.Add:
        return a + c, b + d
    if kind == AffineBinaryOpKind.Mul:
        products = (a * c, a * d, b * c, b * d)
        return min(products), max(products)
    # floordiv, ceildiv and mod by a positive constant (affine maps allow no other).
    divisor = c
    if kind == AffineBinaryOpKind.FloorDiv:
        return a // divisor, b // divisor
    if kind == AffineBinaryOpKind.CeilDiv:
        return -(-a // divisor), -(-b // divisor)
    if a >= 0 and b < divisor:
        return a, b
    return 0, divisor - 1


@dataclass(frozen=True)
class DomainDim:
    size: int
    reduction: bool


@irdl_op_definition
class KernelOp(IRDLOperation):
    """A fused kernel: result tensors computed over an iteration domain.

    Block arguments: one index per domain dim, then one tensor per input, then one
    per output (the tensors that `loop.store` writes; the kernel's results).
    """

    name = "loop.kernel"
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    domain = prop_def(base(DenseArrayBase))
    reduction_dims = prop_def(base(DenseArrayBase))
    kernel_name = opt_prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(IsolatedFromAbove(), NoTerminator(), Pure())

    ALLOWED_DIALECTS: ClassVar[tuple[str, ...]] = BODY_DIALECTS

    def __init__(
        self,
        inputs: Sequence[SSAValue],
        output_types: Sequence[TensorType],
        sizes: Sequence[int],
        reduction_dims: Iterable[int] = (),
        body: Region | None = None,
        kernel_name: str | None = None,
    ) -> None:
        if body is None:
            arg_types = [IndexType()] * len(sizes) + [v.type for v in inputs] + list(output_types)
            body = Region(Block(arg_types=arg_types))
        properties: dict[str, Attribute] = {
            "domain": DenseArrayBase.from_list(i64, list(sizes)),
            "reduction_dims": DenseArrayBase.from_list(i64, sorted(reduction_dims)),
        }
        if kernel_name is not None:
            properties["kernel_name"] = StringAttr(kernel_name)
        super().__init__(
            operands=[list(inputs)],
            result_types=[list(output_types)],
            properties=properties,
            regions=[body],
        )

    # -- structure ---------------------------------------------------------

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(self.domain.get_values())

    @property
    def rank(self) -> int:
        return len(self.sizes)

    @property
    def reduced(self) -> tuple[int, ...]:
        return tuple(self.reduction_dims.get_values())

    @property
    def block(self) -> Block:
        return self.body.block

    @property
    def ivs(self) -> tuple[BlockArgument, ...]:
        return self.block.args[: self.rank]

    @property
    def input_args(self) -> tuple[BlockArgument, ...]:
        return self.block.args[self.rank : self.rank + len(self.inputs)]

    @property
    def output_args(self) -> tuple[BlockArgument, ...]:
        return self.block.args[self.rank + len(self.inputs) :]

    @property
    def tile_sizes(self) -> tuple[int, ...] | None:
        """The tile size of every domain dim (see the module docstring), if tiled."""
        tiles = self.attributes.get(TILE_SIZES)
        return None if tiles is None else tuple(tiles.get_values())

    def domain_dims(self) -> list[DomainDim]:
        return [DomainDim(s, d in self.reduced) for d, s in enumerate(self.sizes)]

    # -- verification ------------------------------------------------------

    def verify_(self) -> None:
        sizes, reduced = self.sizes, self.reduced
        if any(s < 0 for s in sizes):
            raise VerifyException(f"domain sizes must be >= 0, got {list(sizes)}")
        if len(set(reduced)) != len(reduced) or any(not 0 <= d < len(sizes) for d in reduced):
            raise VerifyException(f"invalid reduction dims {list(reduced)} for rank {len(sizes)}")
        expected = (
            [IndexType()] * len(sizes)
            + [v.type for v in self.inputs]
            + [r.type for r in self.outputs]
        )
        actual = [a.type for a in self.block.args]
        if actual != expected:
            raise VerifyException(
                "block arguments must be the domain indices, then the input and output "
                f"tensors: expected ({', '.join(map(str, expected))})"
            )
        self._verify_tile_sizes()
        stored: dict[SSAValue, StoreOp] = {}
        varies = self._varying_dims()
        for op in self.block.ops:
            self._verify_body_op(op, stored, varies)
        for n, out in enumerate(self.output_args):
            if out not in stored:
                raise VerifyException(f"output #{n} is never stored")

    def _verify_tile_sizes(self) -> None:
        tiles = self.attributes.get(TILE_SIZES)
        if tiles is None:
            return
        if not isinstance(tiles, DenseArrayBase) or tiles.elt_type != i64:
            raise VerifyException(f"{TILE_SIZES} must be an array<i64: ...>, got {tiles}")
        values = tiles.get_values()
        if len(values) != self.rank:
            raise VerifyException(
                f"{TILE_SIZES} has {len(values)} sizes for a domain of rank {self.rank}: "
                "one per dim"
            )
        for d, (tile, size) in enumerate(zip(values, self.sizes, strict=True)):
            whole = max(size, 1)
            if not 1 <= tile <= whole:
                raise VerifyException(
                    f"tile size {tile} of dim {d} (size {size}) is outside [1, {whole}]"
                )
            if d in self.reduced and tile != whole:
                raise VerifyException(
                    f"tile size {tile} of reduction dim {d}: reduction dims are swept whole "
                    f"(tile size {whole}), since a sweep needs the earlier sweeps' reduces "
                    "over the whole row"
                )

    def _verify_body_op(
        self, op: Operation, stored: dict[SSAValue, StoreOp], varies: dict[SSAValue, set[int]]
    ) -> None:
        dialect = op.name.split(".")[0]
        if dialect not in self.ALLOWED_DIALECTS or op.regions:
            raise VerifyException(
                f"'{op.name}' is not allowed in a kernel body (scalar arith, math and loop ops only)"
            )
        if not isinstance(op, LoadOp | StoreOp) and any(
            isinstance(v.type, ShapedType) for v in (*op.operands, *op.results)
        ):
            raise VerifyException(f"'{op.name}' in a kernel body must work on scalars")
        if isinstance(op, LoadOp):
            if op.source not in self.input_args:
                raise VerifyException("'loop.load' must read a kernel input argument")
            self._verify_load_bounds(op)
        if isinstance(op, ReduceOp) and not self.reduced:
            raise VerifyException("'loop.reduce' in a kernel without reduction dims")
        if isinstance(op, StoreOp):
            if op.dest not in self.output_args:
                raise VerifyException("'loop.store' must write a kernel output argument")
            if op.dest in stored:
                raise VerifyException("an output is stored more than once")
            stored[op.dest] = op
            stored_dims = self._verify_store_map(op)
            extra = varies[op.value] - stored_dims
            if extra:
                raise VerifyException(
                    f"stored value varies over dims {sorted(extra)} that the store does not index"
                )

    def _verify_load_bounds(self, op: LoadOp) -> None:
        """Indices computed from the domain alone must stay inside the tensor.

        An index involving a computed value (a gather's row) is the producer's to keep
        in range: compiled code clamps it, the interpreter reports it. An index over an
        empty dim never runs.
        """
        domain_map = self.domain_map(op)
        shape = op.source.type.get_shape()
        for n, expr in enumerate(domain_map.results):
            uses_symbol = any(isinstance(e, AffineSymExpr) for e in expr.dfs())
            if uses_symbol or any(self.sizes[d] == 0 for d in expr.used_dims()):
                continue
            low, high = index_range(expr, self.sizes)
            if low < 0 or high >= shape[n]:
                raise VerifyException(
                    f"load index {n} ({expr}) ranges over [{low}, {high}], outside [0, "
                    f"{shape[n]}) of {op.source.type}"
                )

    def _verify_store_map(self, op: StoreOp) -> set[int]:
        """Store indices are distinct dims (or 0 for size-1 dims) covering the output."""
        domain_map = self.domain_map(op)
        shape = op.dest.type.get_shape()
        dims: set[int] = set()
        for n, expr in enumerate(domain_map.results):
            if isinstance(expr, AffineConstantExpr) and expr.value == 0 and shape[n] == 1:
                continue
            if not isinstance(expr, AffineDimExpr) or expr.position in dims:
                raise VerifyException(
                    "store indices must be distinct domain dims (or 0 for a size-1 dim), "
                    f"got {domain_map}"
                )
            if self.sizes[expr.position] != shape[n]:
                raise VerifyException(
                    f"output dim {n} has size {shape[n]} but is stored over domain dim "
                    f"{expr.position} of size {self.sizes[expr.position]}"
                )
            dims.add(expr.position)
        for d, size in enumerate(self.sizes):
            if d not in dims and d not in self.reduced and size != 1:
                raise VerifyException(
                    f"store does not index parallel dim {d} of size {size}: each output "
                    "element must be written exactly once"
                )
        return dims

    def domain_map(self, op: LoadOp | StoreOp) -> AffineMap:
        """The op's index map over the kernel's domain dims.

        Index operands that are domain indices become dims; computed indices (a
        gather's) become symbols, numbered in operand order.
        """
        replacements: list[AffineExpr] = []
        symbols = 0
        for index in op.indices:
            if index in self.ivs:
                replacements.append(AffineExpr.dimension(index.index))
            else:
                replacements.append(AffineExpr.symbol(symbols))
                symbols += 1
        return op.index_map().replace_dims_and_symbols(replacements, [], self.rank, symbols)

    def _varying_dims(self) -> dict[SSAValue, set[int]]:
        """For each body value, the domain dims along which it may change."""
        # A size-1 dim has one index: nothing varies along it.
        varies: dict[SSAValue, set[int]] = {
            iv: {d} if size != 1 else set()
            for d, (iv, size) in enumerate(zip(self.ivs, self.sizes, strict=True))
        }
        for arg in self.block.args[self.rank :]:
            varies[arg] = set()
        reduced = set(self.reduced)
        for op in self.block.ops:
            dims = set().union(*(varies.get(o, set()) for o in op.operands))
            if isinstance(op, ReduceOp):
                dims -= reduced
            for r in op.results:
                varies[r] = dims
        return varies

    # -- syntax ------------------------------------------------------------

    def print(self, printer: Printer) -> None:
        if self.kernel_name is not None:
            printer.print_string(" ")
            printer.print_string_literal(self.kernel_name.data)
        printer.print_string(" domain(")
        for d, (iv, size) in enumerate(zip(self.ivs, self.sizes, strict=True)):
            if d:
                printer.print_string(", ")
            printer.print_ssa_value(iv)
            printer.print_string(f": {size}" + (" reduction" if d in self.reduced else ""))
        printer.print_string(") ins(")
        for n, (arg, value) in enumerate(zip(self.input_args, self.inputs, strict=True)):
            if n:
                printer.print_string(", ")
            printer.print_ssa_value(arg)
            printer.print_string(" = ")
            printer.print_ssa_value(value)
            printer.print_string(" : ")
            printer.print_attribute(value.type)
        printer.print_string(") outs(")
        for n, arg in enumerate(self.output_args):
            if n:
                printer.print_string(", ")
            printer.print_ssa_value(arg)
            printer.print_string(" : ")
            printer.print_attribute(arg.type)
        printer.print_string(")")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        name = parser.parse_optional_str_literal()
        parser.parse_keyword("domain")
        ivs, sizes, reduced = [], [], []

        def parse_dim() -> None:
            ivs.append(parser.parse_argument(expect_type=False).resolve(IndexType()))
            parser.parse_punctuation(":")
            sizes.append(parser.parse_integer(allow_boolean=False, allow_negative=False))
            if parser.parse_optional_keyword("reduction"):
                reduced.append(len(sizes) - 1)

        parser.parse_comma_separated_list(parser.Delimiter.PAREN, parse_dim)
        parser.parse_keyword("ins")
        input_args, inputs = [], []

        def parse_input() -> None:
            arg = parser.parse_argument(expect_type=False)
            parser.parse_punctuation("=")
            value = parser.parse_unresolved_operand()
            parser.parse_punctuation(":")
            t = parser.parse_type()
            input_args.append(arg.resolve(t))
            inputs.append(parser.resolve_operand(value, t))

        parser.parse_comma_separated_list(parser.Delimiter.PAREN, parse_input)
        parser.parse_keyword("outs")
        output_args = parser.parse_comma_separated_list(
            parser.Delimiter.PAREN, lambda: parser.parse_argument(expect_type=True)
        )
        attributes = parser.parse_optional_attr_dict_with_keyword()
        body = parser.parse_region([*ivs, *input_args, *output_args])
        op = cls(
            inputs,
            [a.type for a in output_args],
            sizes,
            reduced,
            body=body,
            kernel_name=name,
        )
        if attributes is not None:
            op.attributes |= attributes.data
        return op


LOOP = Dialect("loop", [KernelOp, LoadOp, StoreOp, ReduceOp])
