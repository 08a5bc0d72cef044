"""The `nn` dialect: mlc's tensor level.

Ops have value semantics on builtin ranked tensors with static shapes and element
types f16, bf16, f32, f64, i1, i32 and i64. Every op has one result whose type the
op *infers* from its operands and parameters; the verifier rejects a stated result
type that differs from the inferred one.

Ops are either **primitives** (what later passes and backends handle) or
**composites** (carrying the `Composite` trait), which `decompose` rewrites into
primitives. Binary ops broadcast their operands the way numpy does and promote
mixed element types (`i1 < i32 < i64 < f16, bf16 < f32 < f64`; f16 with bf16
gives f32, as in PyTorch). Integer arithmetic wraps around (two's complement).

Every op shares one custom syntax:

    %r = nn.<op> %a, %b <param> = <value> <flag> {attrs} : <types>

where `<types>` is a single type when every operand and the result have that type
(`nn.add %a, %b : tensor<4xf32>`), `T -> R` when the operands share type `T`, and
`T1, T2 -> R` otherwise. When `-> R` is left
out the result type is inferred (or, for ops whose result cannot be inferred, taken
to be the first operand's type). Parameter values are integers, floats (`1.0e-05`,
`inf`, `-inf`, `nan`), integer lists (`[1, 0]`) or keywords (`tanh`); a flag is its
bare name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from xdsl.dialects.builtin import (
    BFloat16Type,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    f64,
    i1,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    OpDef,
    OperandDef,
    OptOperandDef,
    OpTraits,
    VarOperandDef,
    VerificationContext,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.pattern_rewriter import RewritePattern
from xdsl.printer import Printer
from xdsl.traits import HasCanonicalizationPatternsTrait, OpTrait, Pure
from xdsl.utils.exceptions import VerifyException

# ---------------------------------------------------------------------------
# Traits


@dataclass(frozen=True)
class Composite(OpTrait):
    """Marks an op that `decompose` rewrites into primitives.

    The dialect reference, the primitives-only check and the decompose pass all
    read this one fact.
    """


def is_composite(op: Operation | type[Operation]) -> bool:
    """Whether `op` (an op or an op class) is a composite of the `nn` dialect."""
    return op.has_trait(Composite)


@dataclass(frozen=True)
class NNCanonicalization(HasCanonicalizationPatternsTrait):
    """Gives `canonicalize` the patterns registered for the op's class."""

    def get_patterns(self, op: type[Operation]) -> tuple[RewritePattern, ...]:
        from mlc.dialects.nn_canonicalization import patterns_for

        return patterns_for(op)

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return ()


def primitive_traits() -> OpTraits:
    return traits_def(Pure(), NNCanonicalization())


def composite_traits() -> OpTraits:
    return traits_def(Pure(), Composite(), NNCanonicalization())


# ---------------------------------------------------------------------------
# Element types, shapes, broadcasting and promotion

FLOAT_TYPES = (Float16Type, BFloat16Type, Float32Type, Float64Type)
_PROMOTION_RANK = {"i1": 0, "i32": 1, "i64": 2, "f16": 3, "bf16": 3, "f32": 4, "f64": 5}
MAX_TENSOR_BYTES = 2**63
"""Tensors take fewer bytes than this: the largest offset a signed 64-bit index holds, plus 1."""


def is_float(t: Attribute) -> bool:
    return isinstance(t, FLOAT_TYPES)


def is_bool(t: Attribute) -> bool:
    return t == i1


def is_numeric(t: Attribute) -> bool:
    """Floats and the non-boolean integers."""
    return is_float(t) or (isinstance(t, IntegerType) and not is_bool(t))


def is_supported_element_type(t: Attribute) -> bool:
    return str(t) in _PROMOTION_RANK and (
        is_float(t) or (isinstance(t, IntegerType) and t.signedness.data.name == "SIGNLESS")
    )


def promote_types(a: Attribute, b: Attribute) -> Attribute:
    """The element type a binary op computes in when its operands differ."""
    if a == b:
        return a
    if {str(a), str(b)} == {"f16", "bf16"}:
        return f32
    return max((a, b), key=lambda t: _PROMOTION_RANK[str(t)])


def bit_width(element: Attribute) -> int:
    """The width in bits of an element type (1 for i1)."""
    return element.bitwidth if is_float(element) else element.width.data


def _fits(value: int, element: Attribute) -> bool:
    """Whether an integer is representable in a (signless, two's complement) integer type."""
    if is_bool(element):
        return value in (0, 1)
    bits = element.width.data
    return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def shape_of(t: Attribute) -> tuple[int, ...]:
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


def tensor_type(element_type: Attribute, shape: Sequence[int]) -> TensorType:
    return TensorType(element_type, list(shape))


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy's broadcasting rule; raises VerifyException if the shapes are incompatible."""
    rank = max((len(s) for s in shapes), default=0)
    result: list[int] = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            listed = ", ".join(str(list(s)) for s in shapes)
            raise VerifyException(f"shapes {listed} are not broadcast-compatible")
        result.append(dims.pop() if dims else 1)
    return tuple(result)


def _check_axes(axes: Sequence[int], rank: int, what: str = "axis") -> None:
    for a in axes:
        if not 0 <= a < rank:
            raise VerifyException(f"{what} {a} is out of range for rank {rank}")
    if len(set(axes)) != len(axes):
        raise VerifyException(f"{what} list {list(axes)} contains duplicates")


_ELEMENT_KINDS = {
    "float": (is_float, "floating-point"),
    "numeric": (is_numeric, "numeric (non-i1)"),
}


def _element_check(t: Attribute, kind: str) -> None:
    accepts, wanted = _ELEMENT_KINDS[kind]
    if not accepts(t):
        raise VerifyException(f"expects {wanted} elements, got {t}")


# ---------------------------------------------------------------------------
# Parameters: the `name = value` / `flag` part of the syntax

ParamValue = int | float | str | list[int] | bool


def _param_candidates(value: ParamValue) -> list[Attribute]:
    """Attributes a parsed parameter value may denote, most specific first."""
    if value is True:
        return [UnitAttr()]
    if isinstance(value, list):
        return [DenseArrayBase.from_list(i64, value)]
    if isinstance(value, int):
        return [IntegerAttr(value, i64), FloatAttr(float(value), f64)]
    if isinstance(value, float):
        return [FloatAttr(value, f64)]
    return [StringAttr(value)]


def _param_attr(op_def: OpDef, name: str, value: ParamValue) -> Attribute:
    constr = op_def.properties[name].constr

    def accepts(attr: Attribute) -> bool:
        try:
            constr.verify(attr, VerificationContext())
            return True
        except VerifyException:
            return False

    for attr in _param_candidates(value):
        if accepts(attr):
            return attr
    if value is True:
        raise VerifyException(f"parameter '{name}' needs a value ('{name} = ...')")
    if accepts(UnitAttr()):
        raise VerifyException(f"'{name}' is a flag and takes no value")
    raise VerifyException(f"invalid value {value!r} for parameter '{name}'")


def format_float(value: float) -> str:
    """A float literal the parser reads back exactly."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if "." not in text:
        mantissa, _, exponent = text.partition("e")
        text = mantissa + ".0" + ("e" + exponent if exponent else "")
    return text


def _print_param(printer: Printer, name: str, attr: Attribute) -> None:
    if isinstance(attr, UnitAttr):
        printer.print_string(f" {name}")
        return
    if isinstance(attr, DenseArrayBase):
        text = "[" + ", ".join(str(v) for v in attr.get_values()) + "]"
    elif isinstance(attr, IntegerAttr):
        text = str(attr.value.data)
    elif isinstance(attr, FloatAttr):
        text = format_float(attr.value.data)
    elif isinstance(attr, StringAttr):
        text = attr.data
    else:  # pragma: no cover - every nn property is one of the kinds above
        raise AssertionError(f"unprintable parameter {name}: {attr}")
    printer.print_string(f" {name} = {text}")


_FLOAT_KEYWORDS = {"inf": math.inf, "nan": math.nan}


def parse_scalar(parser: Parser) -> int | float | None:
    """An integer or float literal, including `inf`, `-inf` and `nan`."""
    negative = parser.parse_optional_punctuation("-") is not None
    value: int | float | None = parser.parse_optional_number()
    if value is None:
        keyword = parser.parse_optional_keyword("inf") or parser.parse_optional_keyword("nan")
        value = _FLOAT_KEYWORDS[keyword] if keyword else None
    if value is None:
        if negative:
            parser.raise_error("expected a number after '-'")
        return None
    return -value if negative else value


def _parse_param_value(parser: Parser) -> ParamValue:
    if parser.parse_optional_punctuation("[") is not None:
        values: list[int] = []
        if parser.parse_optional_punctuation("]") is None:
            values.append(parser.parse_integer(allow_boolean=False))
            while parser.parse_optional_punctuation(",") is not None:
                values.append(parser.parse_integer(allow_boolean=False))
            parser.parse_punctuation("]")
        return values
    if (number := parse_scalar(parser)) is not None:
        return number
    return parser.parse_identifier(context_msg=" (a parameter value)")


# ---------------------------------------------------------------------------
# The base class of every nn op


class NNOp(IRDLOperation):
    """Shared construction, type inference, verification and syntax of nn ops."""

    result = result_def(TensorType)

    # Element kind each tensor operand must have: "float", "numeric", "integer" or None.
    ELEMENT_KIND: ClassVar[str | None] = None

    @classmethod
    def infer_result_type(
        cls,
        operand_types: Sequence[TensorType],
        params: Mapping[str, Attribute],
        stated: TensorType | None,
    ) -> TensorType:
        """The result type implied by operands and parameters.

        `stated` is the written result type, for the few ops whose result is not
        implied by their operands (they check it instead). Raises VerifyException.
        """
        raise NotImplementedError

    def __init__(
        self,
        *operands: SSAValue | Operation,
        result_type: TensorType | None = None,
        **params: ParamValue | None,
    ) -> None:
        op_def = self.get_irdl_definition()
        known = [n for n in op_def.properties if n != "operandSegmentSizes"]
        for name in params:
            if name not in known:
                raise TypeError(
                    f"'{op_def.name}' has no parameter '{name}' (parameters: {', '.join(known) or 'none'})"
                )
        properties = {
            name: _param_attr(op_def, name, value)
            for name, value in params.items()
            if value is not None and value is not False
        }
        values = [SSAValue.get(o) for o in operands]
        segments = _operand_segments(op_def, values)
        if result_type is None:
            result_type = self.infer_result_type([v.type for v in values], properties, None)
        super().__init__(
            operands=segments,
            result_types=[result_type],
            properties=properties,
        )

    def param(self, name: str) -> ParamValue | None:
        """The Python value of a parameter, None when absent."""
        return param_value(self.properties.get(name))

    def verify_(self) -> None:
        types = []
        for index, operand in enumerate(self.operands):
            _check_tensor(operand.type, f"operand #{index}")
            types.append(operand.type)
        _check_tensor(self.result.type, "result")
        if self.ELEMENT_KIND is not None:
            for t in types:
                _element_check(t.element_type, self.ELEMENT_KIND)
        inferred = self.infer_result_type(types, self.properties, self.result.type)
        if inferred != self.result.type:
            raise VerifyException(
                f"result type {self.result.type} does not match the inferred type {inferred}"
            )

    # -- syntax -------------------------------------------------------------

    def print(self, printer: Printer) -> None:
        if self.operands:
            printer.print_string(" ")
            printer.print_list(self.operands, printer.print_operand)
        for name in self.get_irdl_definition().properties:
            if name in self.properties and name != "operandSegmentSizes":
                _print_param(printer, name, self.properties[name])
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        types = [o.type for o in self.operands]
        if types and all(t == self.result.type for t in types):
            printer.print_attribute(self.result.type)
            return
        if len(set(types)) == 1:
            types = types[:1]
        printer.print_list(types, printer.print_attribute)
        if types:
            printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        operands = _parse_operand_list(parser)
        properties = cls._parse_params(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        types_start = parser.pos
        types = [parser.parse_type()]
        while parser.parse_optional_punctuation(",") is not None:
            types.append(parser.parse_type())
        result_type = None
        if parser.parse_optional_punctuation("->") is not None:
            result_type = parser.parse_type()
        types_end = parser.pos
        if not operands:
            if result_type is not None or len(types) != 1:
                parser.raise_error(
                    f"'{cls.name}' takes no operands: expected ': <result type>'",
                    types_start,
                    types_end,
                )
            result_type = types[0]
            types = []
        elif len(types) == 1:
            types = types * len(operands)
        if len(types) != len(operands):
            parser.raise_error(
                f"'{cls.name}' has {len(operands)} operands but {len(types)} operand types",
                types_start,
                types_end,
            )
        values = [parser.resolve_operand(o, t) for o, t in zip(operands, types, strict=True)]
        try:
            segments = _operand_segments(cls.get_irdl_definition(), values)
        except TypeError as e:
            parser.raise_error(str(e), types_start, types_end)
        if result_type is None:
            result_type = cls._result_type_when_elided(types, properties)
        op = cls.__new__(cls)
        IRDLOperation.__init__(
            op,
            operands=segments,
            result_types=[result_type],
            properties=properties,
            attributes=attributes,
        )
        return op

    @classmethod
    def _result_type_when_elided(
        cls, types: Sequence[Attribute], properties: Mapping[str, Attribute]
    ) -> Attribute:
        # An invalid op still parses; the verifier then reports why, at the op.
        if all(isinstance(t, TensorType) for t in types):
            try:
                return cls.infer_result_type(types, properties, None)
            except (VerifyException, ValueError, KeyError, AttributeError, TypeError):
                pass
        return types[0]

    @classmethod
    def _parse_params(cls, parser: Parser) -> dict[str, Attribute]:
        op_def = cls.get_irdl_definition()
        names = [n for n in op_def.properties if n != "operandSegmentSizes"]
        properties: dict[str, Attribute] = {}
        while True:
            pos = parser.pos
            name = parser.parse_optional_identifier()
            if name is None:
                return properties
            if name not in names:
                expected = ", ".join(names) if names else "none"
                parser.raise_error(
                    f"unknown parameter '{name}' for '{cls.name}' (expected: {expected})",
                    pos,
                    pos + len(name),
                )
            if name in properties:
                parser.raise_error(f"parameter '{name}' given twice", pos, pos + len(name))
            value: ParamValue = True
            if parser.parse_optional_punctuation("=") is not None:
                value = _parse_param_value(parser)
            try:
                properties[name] = _param_attr(op_def, name, value)
            except VerifyException as e:
                parser.raise_error(str(e), pos, parser.pos)


def param_value(attr: Attribute | None) -> ParamValue | None:
    if attr is None:
        return None
    if isinstance(attr, UnitAttr):
        return True
    if isinstance(attr, DenseArrayBase):
        return list(attr.get_values())
    if isinstance(attr, IntegerAttr | FloatAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    raise AssertionError(f"not an nn parameter: {attr}")


def _params(params: Mapping[str, Attribute]) -> dict[str, ParamValue | None]:
    return {name: param_value(attr) for name, attr in params.items()}


def _check_tensor(t: Attribute, what: str) -> None:
    if not isinstance(t, TensorType):
        raise VerifyException(f"{what} must be a ranked tensor, got {t}")
    if any(d < 0 for d in t.get_shape()):
        raise VerifyException(f"{what} has a dynamic dimension ({t}); nn needs static shapes")
    if not is_supported_element_type(t.element_type):
        raise VerifyException(
            f"{what} has unsupported element type {t.element_type} "
            "(expected f16, bf16, f32, f64, i1, i32 or i64)"
        )
    # Generated code indexes with i64 byte offsets: a tensor that a signed 64-bit offset
    # cannot span (its element count overflows i64, or its bytes do) would wrap around.
    size = math.prod(t.get_shape()) * max(bit_width(t.element_type) // 8, 1)
    if size >= MAX_TENSOR_BYTES:
        raise VerifyException(
            f"{what} {t} takes {size} bytes, more than 64-bit offsets can address (2^63 - 1)"
        )


def _parse_operand_list(parser: Parser) -> list[UnresolvedOperand]:
    first = parser.parse_optional_unresolved_operand()
    if first is None:
        return []
    operands = [first]
    while parser.parse_optional_punctuation(",") is not None:
        operands.append(parser.parse_unresolved_operand())
    return operands


def _operand_segments(op_def: OpDef, values: Sequence[SSAValue]) -> list:
    """Distributes a flat operand list over the op's operand definitions.

    Required operands take one value each, optional ones are filled in order with
    what is left, and the (single) variadic operand takes the rest.
    """
    defs = [d for _, d in op_def.operands]
    required = sum(1 for d in defs if not isinstance(d, VarOperandDef | OptOperandDef))
    spare = len(values) - required
    segments: list = []
    position = 0
    for d in defs:
        if isinstance(d, OptOperandDef):
            take = 1 if spare > 0 else 0
            spare -= take
            segments.append(list(values[position : position + take]))
        elif isinstance(d, VarOperandDef):
            take = max(spare, 0)
            spare = 0
            segments.append(list(values[position : position + take]))
        else:
            assert isinstance(d, OperandDef)
            take = 1
            segments.append(values[position] if position < len(values) else [])
        position += take
    if position != len(values) or spare > 0:
        optional = len(defs) - required
        expected = f"{required} to {required + optional}" if optional else str(required)
        raise TypeError(f"'{op_def.name}' expects {expected} operands, got {len(values)}")
    return segments


# ---------------------------------------------------------------------------
# Op categories


class UnaryOp(NNOp):
    """Element-wise op on one tensor; the result has the operand's type."""

    input = operand_def(TensorType)
    traits = primitive_traits()
    ELEMENT_KIND: ClassVar[str | None] = "float"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        return operand_types[0]


class BinaryOp(NNOp):
    """Element-wise op on two tensors with numpy broadcasting and type promotion."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    traits = primitive_traits()
    # Element kind of the *promoted* operand type.
    ELEMENT_KIND: ClassVar[str | None] = None
    PROMOTED_KIND: ClassVar[str] = "numeric"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        lhs, rhs = operand_types
        element = promote_types(lhs.element_type, rhs.element_type)
        _element_check(element, cls.PROMOTED_KIND)
        shape = broadcast_shapes(shape_of(lhs), shape_of(rhs))
        return tensor_type(cls.result_element_type(element), shape)

    @classmethod
    def result_element_type(cls, promoted: Attribute) -> Attribute:
        return promoted


class CompareOp(BinaryOp):
    """Element-wise comparison with broadcasting; yields i1."""

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        lhs, rhs = operand_types
        promote_types(lhs.element_type, rhs.element_type)
        return tensor_type(i1, broadcast_shapes(shape_of(lhs), shape_of(rhs)))


class ReduceOp(NNOp):
    """Reduction over `axes`; reduced dims are dropped, or kept as 1 with `keepdims`.

    A reduction over a zero-size dim gives the combiner's identity (0 for sum,
    1 for prod, -inf / the smallest integer for max, +inf / the largest for min).
    """

    input = operand_def(TensorType)
    axes = prop_def(base(DenseArrayBase))
    keepdims = opt_prop_def(UnitAttr)
    traits = primitive_traits()
    ELEMENT_KIND: ClassVar[str | None] = "numeric"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        p = _params(params)
        shape = shape_of(t)
        axes = p["axes"]
        _check_axes(axes, len(shape))
        if p.get("keepdims"):
            out = [1 if i in axes else d for i, d in enumerate(shape)]
        else:
            out = [d for i, d in enumerate(shape) if i not in axes]
        return tensor_type(t.element_type, out)


class SoftmaxLikeOp(NNOp):
    """Normalisation along one `axis`; the result has the operand's type."""

    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    traits = composite_traits()
    ELEMENT_KIND: ClassVar[str | None] = "float"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        _check_axes([_params(params)["axis"]], t.get_num_dims())
        return t


def _check_same_element_types(types: Sequence[TensorType]) -> None:
    elements = {t.element_type for t in types}
    if len(elements) > 1:
        listed = ", ".join(sorted(str(e) for e in elements))
        raise VerifyException(f"operands must have one element type, got {listed}")


def _check_trailing_axes(axes: Sequence[int], rank: int) -> None:
    _check_axes(axes, rank)
    if sorted(axes) != list(range(rank - len(axes), rank)):
        raise VerifyException(
            f"normalized axes {list(axes)} must be the trailing dims of the rank-{rank} input"
        )


# ---------------------------------------------------------------------------
# Constants


@irdl_op_definition
class ConstantOp(NNOp):
    """A tensor with the elements of a dense attribute.

    Syntax: `%c = nn.constant {attrs} dense<[1.0, 2.0]> : tensor<2xf32>`.
    """

    name = "nn.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    traits = primitive_traits()

    def __init__(self, value: DenseIntOrFPElementsAttr) -> None:
        IRDLOperation.__init__(self, result_types=[value.type], properties={"value": value})

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        return params["value"].type

    def print(self, printer: Printer) -> None:
        # Discardable attributes come first, as in MLIR's arith.constant.
        printer.print_op_attributes(self.attributes)
        printer.print_string(" ")
        printer.print_attribute(self.value)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        attributes = parser.parse_optional_attr_dict()
        pos = parser.pos
        value = parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error("'nn.constant' expects a dense elements attribute", pos, parser.pos)
        op = cls(value)
        op.attributes |= attributes
        return op


@irdl_op_definition
class SplatOp(NNOp):
    """A tensor whose every element is `value`.

    Syntax: `%s = nn.splat -inf : tensor<4x4xf32>`. The value must be exactly
    representable as the element type's kind: a float for float tensors, an integer
    for integer tensors (0 or 1 for i1).
    """

    name = "nn.splat"
    value = prop_def(base(FloatAttr) | base(IntegerAttr))
    traits = primitive_traits()

    def __init__(self, value: float, result_type: TensorType) -> None:
        attr = (
            FloatAttr(float(value), f64)
            if is_float(result_type.element_type)
            else IntegerAttr(int(value), i64)
        )
        IRDLOperation.__init__(self, result_types=[result_type], properties={"value": attr})

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        assert stated is not None
        value = params["value"]
        element = stated.element_type
        if is_float(element) != isinstance(value, FloatAttr):
            kind = "a float" if is_float(element) else "an integer"
            raise VerifyException(f"splat value for {element} elements must be {kind}")
        if isinstance(value, IntegerAttr) and not _fits(value.value.data, element):
            raise VerifyException(f"splat value {value.value.data} does not fit in {element}")
        return stated

    def print(self, printer: Printer) -> None:
        value = self.value.value.data
        text = format_float(value) if isinstance(self.value, FloatAttr) else str(value)
        printer.print_string(f" {text}")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        value = parse_scalar(parser)
        if value is None:
            parser.raise_error("'nn.splat' expects a number")
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        result_type = parser.parse_type()
        if not isinstance(result_type, TensorType):
            parser.raise_error("'nn.splat' result must be a tensor type", pos, parser.pos)
        attr = FloatAttr(float(value), f64) if isinstance(value, float) else IntegerAttr(value, i64)
        op = cls.__new__(cls)
        IRDLOperation.__init__(
            op, result_types=[result_type], properties={"value": attr}, attributes=attributes
        )
        return op


@irdl_op_definition
class IotaOp(NNOp):
    """Element `[i0, ..., in]` is `i_dim`, converted to the element type.

    Syntax: `%i = nn.iota dim = 1 : tensor<4x8xi64>`. Builds index-dependent masks
    such as the causal mask of attention.
    """

    name = "nn.iota"
    dim = prop_def(IntegerAttr)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        assert stated is not None
        _check_axes([_params(params)["dim"]], stated.get_num_dims(), "dim")
        if is_bool(stated.element_type):
            raise VerifyException("cannot produce i1 elements")
        return stated


# ---------------------------------------------------------------------------
# Element-wise unary ops


@irdl_op_definition
class NegOp(UnaryOp):
    """`-x`."""

    name = "nn.neg"
    ELEMENT_KIND: ClassVar[str | None] = "numeric"


@irdl_op_definition
class AbsOp(UnaryOp):
    """`|x|`."""

    name = "nn.abs"
    ELEMENT_KIND: ClassVar[str | None] = "numeric"


@irdl_op_definition
class ExpOp(UnaryOp):
    """`e^x`."""

    name = "nn.exp"


@irdl_op_definition
class LogOp(UnaryOp):
    """Natural logarithm; `-inf` at 0 and NaN below 0."""

    name = "nn.log"


@irdl_op_definition
class SqrtOp(UnaryOp):
    """Square root; NaN below 0."""

    name = "nn.sqrt"


@irdl_op_definition
class RsqrtOp(UnaryOp):
    """`1 / sqrt(x)`."""

    name = "nn.rsqrt"


@irdl_op_definition
class TanhOp(UnaryOp):
    """Hyperbolic tangent."""

    name = "nn.tanh"


@irdl_op_definition
class ErfOp(UnaryOp):
    """The Gauss error function."""

    name = "nn.erf"


@irdl_op_definition
class SinOp(UnaryOp):
    """Sine (radians)."""

    name = "nn.sin"


@irdl_op_definition
class CosOp(UnaryOp):
    """Cosine (radians)."""

    name = "nn.cos"


@irdl_op_definition
class SigmoidOp(UnaryOp):
    """`1 / (1 + e^-x)`. Composite: `decompose` expands it."""

    name = "nn.sigmoid"
    traits = composite_traits()


@irdl_op_definition
class ReluOp(UnaryOp):
    """`max(x, 0)`. Composite."""

    name = "nn.relu"
    ELEMENT_KIND: ClassVar[str | None] = "numeric"
    traits = composite_traits()


@irdl_op_definition
class SiluOp(UnaryOp):
    """`x * sigmoid(x)`. Composite."""

    name = "nn.silu"
    traits = composite_traits()


GELU_FORMS = ("none", "tanh")


@irdl_op_definition
class GeluOp(UnaryOp):
    """Gaussian error linear unit, as PyTorch's `gelu(x, approximate=...)`.

    `approximate = none` (the default, omitted): `x/2 * (1 + erf(x/sqrt(2)))`;
    `approximate = tanh`: `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`.
    Composite.
    """

    name = "nn.gelu"
    approximate = opt_prop_def(StringAttr)
    traits = composite_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        form = _params(params).get("approximate") or "none"
        if form not in GELU_FORMS:
            raise VerifyException(f"approximate must be one of {', '.join(GELU_FORMS)}, got {form}")
        return operand_types[0]


# ---------------------------------------------------------------------------
# Element-wise binary ops


@irdl_op_definition
class AddOp(BinaryOp):
    """`lhs + rhs`."""

    name = "nn.add"


@irdl_op_definition
class SubOp(BinaryOp):
    """`lhs - rhs`."""

    name = "nn.sub"


@irdl_op_definition
class MulOp(BinaryOp):
    """`lhs * rhs`."""

    name = "nn.mul"


@irdl_op_definition
class DivOp(BinaryOp):
    """True division `lhs / rhs` (IEEE: x/0 is ±inf or NaN); floats only."""

    name = "nn.div"
    PROMOTED_KIND: ClassVar[str] = "float"


@irdl_op_definition
class MaxOp(BinaryOp):
    """Element-wise maximum; NaN if either operand is NaN (like `torch.maximum`)."""

    name = "nn.max"


@irdl_op_definition
class MinOp(BinaryOp):
    """Element-wise minimum; NaN if either operand is NaN (like `torch.minimum`)."""

    name = "nn.min"


@irdl_op_definition
class PowOp(BinaryOp):
    """`lhs ** rhs` with C `pow` semantics (`(-2) ** 2 == 4`); floats only."""

    name = "nn.pow"
    PROMOTED_KIND: ClassVar[str] = "float"


@irdl_op_definition
class EqOp(CompareOp):
    """`lhs == rhs` as i1."""

    name = "nn.eq"


@irdl_op_definition
class NeOp(CompareOp):
    """`lhs != rhs` as i1 (true where either is NaN)."""

    name = "nn.ne"


@irdl_op_definition
class LtOp(CompareOp):
    """`lhs < rhs` as i1."""

    name = "nn.lt"


@irdl_op_definition
class LeOp(CompareOp):
    """`lhs <= rhs` as i1."""

    name = "nn.le"


@irdl_op_definition
class GtOp(CompareOp):
    """`lhs > rhs` as i1."""

    name = "nn.gt"


@irdl_op_definition
class GeOp(CompareOp):
    """`lhs >= rhs` as i1."""

    name = "nn.ge"


@irdl_op_definition
class SelectOp(NNOp):
    """`on_true` where `condition` holds, else `on_false`; all three broadcast.

    Syntax: `nn.select %c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>`.
    """

    name = "nn.select"
    condition = operand_def(TensorType)
    on_true = operand_def(TensorType)
    on_false = operand_def(TensorType)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        cond, a, b = operand_types
        if not is_bool(cond.element_type):
            raise VerifyException(f"condition must have i1 elements, got {cond.element_type}")
        shape = broadcast_shapes(shape_of(cond), shape_of(a), shape_of(b))
        return tensor_type(promote_types(a.element_type, b.element_type), shape)


@irdl_op_definition
class CastOp(NNOp):
    """Element type conversion, as numpy's `astype`; the shape is unchanged.

    Float to integer truncates toward zero (NaN and out-of-range values are
    undefined); to i1 is `x != 0`; float narrowing rounds to nearest even; integer
    narrowing wraps. Syntax: `nn.cast %x : tensor<4xf32> -> tensor<4xf16>`.
    """

    name = "nn.cast"
    input = operand_def(TensorType)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        if stated is None:
            return t
        if shape_of(stated) != shape_of(t):
            raise VerifyException(f"cast must keep the shape: {t} vs {stated}")
        return stated


# ---------------------------------------------------------------------------
# Reductions


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    """Sum over `axes`."""

    name = "nn.reduce_sum"


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    """Product over `axes`."""

    name = "nn.reduce_prod"


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    """Maximum over `axes` (NaN if any element is NaN)."""

    name = "nn.reduce_max"


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    """Minimum over `axes` (NaN if any element is NaN)."""

    name = "nn.reduce_min"


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    """Arithmetic mean over `axes`: the sum divided by the count (NaN over no elements).

    Composite."""

    name = "nn.reduce_mean"
    ELEMENT_KIND: ClassVar[str | None] = "float"
    traits = composite_traits()


# ---------------------------------------------------------------------------
# Contraction and data movement


@irdl_op_definition
class MatmulOp(NNOp):
    """Matrix product over the last two dims, as numpy's `matmul`.

    Both operands have rank >= 2; the leading (batch) dims broadcast.
    `[..., m, k] x [..., k, n] -> [..., m, n]`.
    """

    name = "nn.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    traits = primitive_traits()
    ELEMENT_KIND: ClassVar[str | None] = "numeric"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        lhs, rhs = operand_types
        _check_same_element_types(operand_types)
        a, b = shape_of(lhs), shape_of(rhs)
        if len(a) < 2 or len(b) < 2:
            raise VerifyException(
                "matmul operands must have rank >= 2 (use nn.expand_dims for vectors)"
            )
        if a[-1] != b[-2]:
            raise VerifyException(f"contracting dims differ: {a[-1]} (lhs) vs {b[-2]} (rhs)")
        batch = broadcast_shapes(a[:-2], b[:-2])
        return tensor_type(lhs.element_type, (*batch, a[-2], b[-1]))


@irdl_op_definition
class TransposeOp(NNOp):
    """Permutes dims: result dim `i` is input dim `perm[i]`."""

    name = "nn.transpose"
    input = operand_def(TensorType)
    perm = prop_def(base(DenseArrayBase))
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        perm = _params(params)["perm"]
        shape = shape_of(t)
        if sorted(perm) != list(range(len(shape))):
            raise VerifyException(f"perm {perm} is not a permutation of the {len(shape)} dims")
        return tensor_type(t.element_type, [shape[p] for p in perm])


@irdl_op_definition
class ReshapeOp(NNOp):
    """Same elements in row-major order, new shape (numpy's `reshape`)."""

    name = "nn.reshape"
    input = operand_def(TensorType)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        if stated is None:
            return t
        if stated.element_type != t.element_type:
            raise VerifyException("reshape cannot change the element type")
        if math.prod(shape_of(stated)) != math.prod(shape_of(t)):
            raise VerifyException(f"reshape must keep the element count: {t} vs {stated}")
        return stated


@irdl_op_definition
class BroadcastToOp(NNOp):
    """Broadcasts to the result shape with numpy's rules (`np.broadcast_to`)."""

    name = "nn.broadcast_to"
    input = operand_def(TensorType)
    traits = composite_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        if stated is None:
            return t
        if stated.element_type != t.element_type:
            raise VerifyException("broadcast_to cannot change the element type")
        target = shape_of(stated)
        try:
            compatible = broadcast_shapes(shape_of(t), target) == target
        except VerifyException:
            compatible = False
        if not compatible:
            raise VerifyException(f"{t} cannot be broadcast to {stated}")
        return stated


@irdl_op_definition
class BroadcastInDimOp(NNOp):
    """Explicit broadcast: input dim `i` becomes result dim `dims[i]`.

    `dims` is strictly increasing; each input dim is 1 or equals its result dim.
    The primitive that implicit broadcasting decomposes into.
    """

    name = "nn.broadcast_in_dim"
    input = operand_def(TensorType)
    dims = prop_def(base(DenseArrayBase))
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        if stated is None:
            raise VerifyException("broadcast_in_dim needs a stated result type")
        dims = _params(params)["dims"]
        shape, target = shape_of(t), shape_of(stated)
        if stated.element_type != t.element_type:
            raise VerifyException("broadcast_in_dim cannot change the element type")
        if len(dims) != len(shape):
            raise VerifyException(f"dims has {len(dims)} entries for a rank-{len(shape)} input")
        _check_axes(dims, len(target), "dim")
        if list(dims) != sorted(dims):
            raise VerifyException(f"dims {dims} must be increasing")
        for i, d in enumerate(dims):
            if shape[i] not in (1, target[d]):
                raise VerifyException(f"input dim {i} ({shape[i]}) cannot become {target[d]}")
        return stated

    @classmethod
    def _result_type_when_elided(cls, types, properties):
        return types[0]


@irdl_op_definition
class ExpandDimsOp(NNOp):
    """Inserts size-1 dims at `axes` (positions in the result), as `np.expand_dims`."""

    name = "nn.expand_dims"
    input = operand_def(TensorType)
    axes = prop_def(base(DenseArrayBase))
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        axes = _params(params)["axes"]
        rank = t.get_num_dims() + len(axes)
        _check_axes(axes, rank)
        dims = iter(shape_of(t))
        return tensor_type(t.element_type, [1 if i in axes else next(dims) for i in range(rank)])


@irdl_op_definition
class SqueezeOp(NNOp):
    """Removes the size-1 dims at `axes`."""

    name = "nn.squeeze"
    input = operand_def(TensorType)
    axes = prop_def(base(DenseArrayBase))
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        axes = _params(params)["axes"]
        shape = shape_of(t)
        _check_axes(axes, len(shape))
        for a in axes:
            if shape[a] != 1:
                raise VerifyException(f"cannot squeeze axis {a} of size {shape[a]}")
        return tensor_type(t.element_type, [d for i, d in enumerate(shape) if i not in axes])


@irdl_op_definition
class ConcatOp(NNOp):
    """Joins tensors along `axis`; the other dims must agree."""

    name = "nn.concat"
    inputs = var_operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        if not operand_types:
            raise VerifyException("concat needs at least one operand")
        _check_same_element_types(operand_types)
        axis = _params(params)["axis"]
        first = shape_of(operand_types[0])
        _check_axes([axis], len(first))
        for t in operand_types[1:]:
            s = shape_of(t)
            if len(s) != len(first) or any(
                a != b for i, (a, b) in enumerate(zip(s, first, strict=True)) if i != axis
            ):
                raise VerifyException(f"operand shapes {first} and {s} differ off axis {axis}")
        size = sum(shape_of(t)[axis] for t in operand_types)
        shape = [size if i == axis else d for i, d in enumerate(first)]
        return tensor_type(operand_types[0].element_type, shape)


@irdl_op_definition
class SliceOp(NNOp):
    """`input[start_0:stop_0:step_0, ...]` with static, in-range bounds.

    One entry per dim; `0 <= start <= stop <= size` and `step >= 1`.
    """

    name = "nn.slice"
    input = operand_def(TensorType)
    start = prop_def(base(DenseArrayBase))
    stop = prop_def(base(DenseArrayBase))
    step = prop_def(base(DenseArrayBase))
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        (t,) = operand_types
        p = _params(params)
        shape = shape_of(t)
        out = []
        for name in ("start", "stop", "step"):
            if len(p[name]) != len(shape):
                raise VerifyException(f"{name} has {len(p[name])} entries for rank {len(shape)}")
        for i, (lo, hi, st, size) in enumerate(
            zip(p["start"], p["stop"], p["step"], shape, strict=True)
        ):
            if not 0 <= lo <= hi <= size:
                raise VerifyException(f"dim {i}: need 0 <= start <= stop <= {size}, got {lo}:{hi}")
            if st < 1:
                raise VerifyException(f"dim {i}: step must be >= 1, got {st}")
            out.append(-(-(hi - lo) // st))
        return tensor_type(t.element_type, out)


@irdl_op_definition
class GatherOp(NNOp):
    """`np.take(input, indices, axis)`: embedding lookup when `axis = 0`.

    Result shape: `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.
    An index outside `[0, input.shape[axis])` (negative ones included: they do not
    wrap) is an error in the interpreter and is clamped into range by compiled code.
    """

    name = "nn.gather"
    input = operand_def(TensorType)
    indices = operand_def(TensorType)
    axis = prop_def(IntegerAttr)
    traits = primitive_traits()

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        t, idx = operand_types
        if is_float(idx.element_type) or is_bool(idx.element_type):
            raise VerifyException(f"indices must be i32 or i64, got {idx.element_type}")
        axis = _params(params)["axis"]
        shape = shape_of(t)
        _check_axes([axis], len(shape))
        return tensor_type(t.element_type, (*shape[:axis], *shape_of(idx), *shape[axis + 1 :]))


# ---------------------------------------------------------------------------
# Composites


@irdl_op_definition
class SoftmaxOp(SoftmaxLikeOp):
    """`exp(x - max) / sum(exp(x - max))` along `axis` (max-subtracted for stability)."""

    name = "nn.softmax"


@irdl_op_definition
class LogSoftmaxOp(SoftmaxLikeOp):
    """`x - max - log(sum(exp(x - max)))` along `axis`."""

    name = "nn.log_softmax"


@irdl_op_definition
class LayerNormOp(NNOp):
    """Layer normalisation over the trailing `axes`, as `torch.nn.functional.layer_norm`.

    `(x - mean) / sqrt(var + eps) * weight + bias` with the biased variance.
    `weight` and `bias` are optional (given in that order) and have the shape of
    the normalised dims. Composite.
    """

    name = "nn.layer_norm"
    input = operand_def(TensorType)
    weight = opt_operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    axes = prop_def(base(DenseArrayBase))
    eps = prop_def(FloatAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    traits = composite_traits()
    ELEMENT_KIND: ClassVar[str | None] = "float"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        return _infer_norm(cls.name, operand_types, params)


@irdl_op_definition
class RmsNormOp(NNOp):
    """RMS normalisation over the trailing `axes`: `x / sqrt(mean(x^2) + eps) * weight`.

    `weight` is optional. Composite.
    """

    name = "nn.rms_norm"
    input = operand_def(TensorType)
    weight = opt_operand_def(TensorType)
    axes = prop_def(base(DenseArrayBase))
    eps = prop_def(FloatAttr)
    traits = composite_traits()
    ELEMENT_KIND: ClassVar[str | None] = "float"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        return _infer_norm(cls.name, operand_types, params)


def _infer_norm(
    op_name: str, operand_types: Sequence[TensorType], params: Mapping[str, Attribute]
) -> TensorType:
    x, *affine = operand_types
    p = _params(params)
    axes = p["axes"]
    shape = shape_of(x)
    _check_trailing_axes(axes, len(shape))
    if p["eps"] < 0:
        raise VerifyException(f"eps must be >= 0, got {format_float(p['eps'])}")
    normalized = tuple(shape[a] for a in sorted(axes))
    for t in affine:
        if t.element_type != x.element_type or shape_of(t) != normalized:
            raise VerifyException(
                f"weight/bias must be {tensor_type(x.element_type, normalized)}, got {t}"
            )
    return x


@irdl_op_definition
class LinearOp(NNOp):
    """`x @ weight^T + bias` with PyTorch's layout: weight is `[out, in]`, bias `[out]`.

    `[..., in] -> [..., out]`; bias is optional. Composite.
    """

    name = "nn.linear"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    traits = composite_traits()
    ELEMENT_KIND: ClassVar[str | None] = "numeric"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        _check_same_element_types(operand_types)
        x, w, *bias = operand_types
        xs, ws = shape_of(x), shape_of(w)
        if len(xs) < 1 or len(ws) != 2:
            raise VerifyException("linear needs an input of rank >= 1 and a rank-2 weight")
        if xs[-1] != ws[1]:
            raise VerifyException(f"input features {xs[-1]} do not match weight [{ws[0]}, {ws[1]}]")
        if bias and shape_of(bias[0]) != (ws[0],):
            raise VerifyException(f"bias must have shape [{ws[0]}], got {bias[0]}")
        return tensor_type(x.element_type, (*xs[:-1], ws[0]))


@irdl_op_definition
class AttentionOp(NNOp):
    """Scaled dot-product attention, as `torch.nn.functional.scaled_dot_product_attention`.

    `softmax(q @ k^T * scale + mask) @ v` with q `[..., L, E]`, k `[..., S, E]`,
    v `[..., S, Ev]` (equal batch dims) giving `[..., L, Ev]`. `scale` defaults to
    `1/sqrt(E)`; `causal` masks position `j > i` with `-inf`. Composite.
    """

    name = "nn.attention"
    query = operand_def(TensorType)
    key = operand_def(TensorType)
    value = operand_def(TensorType)
    causal = opt_prop_def(UnitAttr)
    scale = opt_prop_def(FloatAttr)
    traits = composite_traits()
    ELEMENT_KIND: ClassVar[str | None] = "float"

    @classmethod
    def infer_result_type(cls, operand_types, params, stated):
        _check_same_element_types(operand_types)
        q, k, v = (shape_of(t) for t in operand_types)
        if not len(q) == len(k) == len(v) >= 2:
            raise VerifyException("query, key and value must have one rank >= 2")
        if q[:-2] != k[:-2] or q[:-2] != v[:-2]:
            raise VerifyException(
                f"batch dims differ: {list(q[:-2])}, {list(k[:-2])}, {list(v[:-2])}"
            )
        if q[-1] != k[-1]:
            raise VerifyException(f"query and key feature dims differ: {q[-1]} vs {k[-1]}")
        if q[-1] == 0 and _params(params).get("scale") is None:
            raise VerifyException("zero query features need an explicit scale")
        if k[-2] != v[-2]:
            raise VerifyException(f"key and value lengths differ: {k[-2]} vs {v[-2]}")
        return tensor_type(operand_types[0].element_type, (*q[:-1], v[-1]))


NN = Dialect(
    "nn",
    [
        ConstantOp,
        SplatOp,
        IotaOp,
        NegOp,
        AbsOp,
        ExpOp,
        LogOp,
        SqrtOp,
        RsqrtOp,
        TanhOp,
        ErfOp,
        SinOp,
        CosOp,
        SigmoidOp,
        ReluOp,
        SiluOp,
        GeluOp,
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        MaxOp,
        MinOp,
        PowOp,
        EqOp,
        NeOp,
        LtOp,
        LeOp,
        GtOp,
        GeOp,
        SelectOp,
        CastOp,
        ReduceSumOp,
        ReduceProdOp,
        ReduceMaxOp,
        ReduceMinOp,
        ReduceMeanOp,
        MatmulOp,
        TransposeOp,
        ReshapeOp,
        BroadcastToOp,
        BroadcastInDimOp,
        ExpandDimsOp,
        SqueezeOp,
        ConcatOp,
        SliceOp,
        GatherOp,
        SoftmaxOp,
        LogSoftmaxOp,
        LayerNormOp,
        RmsNormOp,
        LinearOp,
        AttentionOp,
    ],
)
