"""ATen → nn: one translation function per ATen overload, in `TRANSLATIONS`.

A translation receives an `AtenEmitter` and the node's arguments with every FX node
replaced by its nn value (an `SSAValue` for a tensor, a tuple of them for an op with
several results) and returns the node's value. Its Python signature is the ATen
schema's (same names, defaults and keyword-only arguments), so `node.args` and
`node.kwargs` bind to it directly.

Types come from the graph: every node carries `meta["val"]`, a fake tensor with the
shape and dtype PyTorch computed, and translations use it where PyTorch's rules
differ from nn's (type promotion with Python scalars and 0-dim tensors, reduction
dtypes). `translate_node` checks the nn result against it, so a translation that
disagrees with PyTorch is reported as unsupported instead of computing something
else. A translation raises `Unsupported` for arguments it cannot express (a
`rounding_mode`, dropout, a non-CPU device); nn op constructors raise
`VerifyException` for shapes or dtypes nn does not accept.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import fx
from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    StringAttr,
    TensorType,
    bf16,
    f16,
    f32,
    f64,
    i1,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from mlc.dialects import nn

__all__ = [
    "TRANSLATIONS",
    "AtenEmitter",
    "Unsupported",
    "element_type",
    "source_location",
    "tensor_type",
    "translate_node",
]

aten = torch.ops.aten

_ELEMENT_TYPES: dict[torch.dtype, Attribute] = {
    torch.float16: f16,
    torch.bfloat16: bf16,
    torch.float32: f32,
    torch.float64: f64,
    torch.bool: i1,
    torch.int32: i32,
    torch.int64: i64,
}
_TORCH_DTYPES = {str(t): d for d, t in _ELEMENT_TYPES.items()}


class Unsupported(Exception):
    """A node mlc cannot translate; the message says why."""


def element_type(dtype: torch.dtype) -> Attribute:
    """The nn element type of a torch dtype; `Unsupported` for the others (uint8, complex, ...)."""
    try:
        return _ELEMENT_TYPES[dtype]
    except KeyError:
        raise Unsupported(f"dtype {dtype} has no nn element type") from None


def tensor_type(value: torch.Tensor) -> TensorType:
    """The nn tensor type of a (fake) CPU tensor with static shape."""
    if value.device.type != "cpu":
        raise Unsupported(f"tensor on device {value.device}: mlc runs on the CPU")
    if not all(isinstance(d, int) for d in value.shape):
        raise Unsupported(f"symbolic shape {list(value.shape)}: compile with dynamic=False")
    return nn.tensor_type(element_type(value.dtype), value.shape)


def source_location(node: fx.Node) -> tuple[str, int, str] | None:
    """The user's source line that produced `node`: (file, line, text), from its stack trace."""
    trace = node.meta.get("stack_trace") or ""
    lines = trace.rstrip().splitlines()
    for index in range(len(lines) - 1, -1, -1):
        text = lines[index].strip()
        if text.startswith('File "') and ", line " in text:
            filename = text[len('File "') : text.index('", line ')]
            number = text.split(", line ")[1].split(",")[0]
            source = lines[index + 1].strip() if index + 1 < len(lines) else ""
            return filename, int(number), source
    return None


Value = SSAValue | tuple[SSAValue | None, ...]
"""What a node translates to: one tensor, or one per result of a multi-result op."""


class AtenEmitter:
    """Appends nn ops for one FX node to a block; knows the node's fake result."""

    def __init__(self, block: Block, node: fx.Node) -> None:
        self.block = block
        self.node = node
        where = source_location(node)
        self.location = (
            FileLineColLoc(StringAttr(where[0]), IntAttr(where[1]), IntAttr(1)) if where else None
        )

    # -- the node -------------------------------------------------------------

    @property
    def out(self) -> torch.Tensor:
        """The node's (first) fake result: its shape and dtype are PyTorch's."""
        value = self.node.meta["val"]
        return value[0] if isinstance(value, tuple | list) else value

    def out_element(self) -> Attribute:
        return element_type(self.out.dtype)

    def used_results(self) -> set[int]:
        """Indices of a multi-result node's results that the graph reads."""
        used: set[int] = set()
        for user in self.node.users:
            if user.target is not operator.getitem:
                return set(range(len(self.node.meta["val"])))
            if user.users:  # a getitem nothing reads is dead code
                used.add(user.args[1])
        return used

    # -- building ---------------------------------------------------------------

    def emit(self, op: Operation) -> SSAValue:
        if self.location is not None:
            op.location = self.location
        self.block.add_op(op)
        return op.results[0]

    def cast(self, value: SSAValue, element: Attribute) -> SSAValue:
        if value.type.element_type == element:
            return value
        return self.emit(nn.CastOp(value, result_type=nn.tensor_type(element, shape(value))))

    def fill(self, value: float | bool, element: Attribute, dims: Sequence[int]) -> SSAValue:
        """A tensor of `dims` whose every element is the Python scalar `value`."""
        return self.emit(nn.SplatOp(_literal(value, element), nn.tensor_type(element, dims)))

    def scalar(self, value: float | bool, element: Attribute) -> SSAValue:
        """A rank-0 tensor holding a Python scalar."""
        return self.fill(value, element, ())

    def operand(self, value: SSAValue | float | bool, element: Attribute) -> SSAValue:
        """A tensor operand of `element` type: a cast tensor or a rank-0 splat of a scalar."""
        if isinstance(value, SSAValue):
            return self.cast(value, element)
        return self.scalar(value, element)

    def elementwise(self, op_class: type[nn.NNOp], *args: SSAValue | float) -> SSAValue:
        """`op_class` computed in the node's result dtype (PyTorch's promotion)."""
        element = self.out_element()
        return self.emit(op_class(*(self.operand(a, element) for a in args)))

    def reshape(self, value: SSAValue, dims: Sequence[int]) -> SSAValue:
        if shape(value) == tuple(dims):
            return value
        return self.emit(
            nn.ReshapeOp(value, result_type=nn.tensor_type(value.type.element_type, dims))
        )

    def broadcast(self, value: SSAValue, dims: Sequence[int]) -> SSAValue:
        if shape(value) == tuple(dims):
            return value
        return self.emit(
            nn.BroadcastToOp(value, result_type=nn.tensor_type(value.type.element_type, dims))
        )

    def transpose(self, value: SSAValue, perm: Sequence[int]) -> SSAValue:
        if list(perm) == sorted(perm):
            return value
        return self.emit(nn.TransposeOp(value, perm=list(perm)))

    def slice(self, value: SSAValue, dim: int, start: int, stop: int, step: int = 1) -> SSAValue:
        dims = shape(value)
        starts, stops, steps = [0] * len(dims), list(dims), [1] * len(dims)
        starts[dim], stops[dim], steps[dim] = start, stop, step
        if (start, stop, step) == (0, dims[dim], 1):
            return value
        return self.emit(nn.SliceOp(value, start=starts, stop=stops, step=steps))

    def iota(self, dims: Sequence[int], dim: int, element: Attribute = i64) -> SSAValue:
        return self.emit(nn.IotaOp(dim=dim, result_type=nn.tensor_type(element, dims)))

    def causal_mask(self, rows: int, cols: int, diagonal: int = 0) -> SSAValue:
        """i1 `[rows, cols]`: true where `col - row <= diagonal` (PyTorch's `tril`)."""
        row = self.iota((rows, cols), 0)
        col = self.iota((rows, cols), 1)
        offset = self.emit(nn.SubOp(col, row))
        return self.emit(nn.LeOp(offset, self.scalar(diagonal, i64)))


def shape(value: SSAValue) -> tuple[int, ...]:
    return nn.shape_of(value.type)


def rank(value: SSAValue) -> int:
    return value.type.get_num_dims()


def _literal(value: float | bool, element: Attribute) -> float | int:
    if nn.is_float(element):
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise Unsupported(f"{value} is not representable in {element}")
    return int(value)


def _dim(dim: int, size: int) -> int:
    """A dim index in `[0, size)`, PyTorch's negative dims counted from the end."""
    if not -max(size, 1) <= dim < max(size, 1):
        raise Unsupported(f"dim {dim} is out of range for rank {size}")
    return dim % max(size, 1)


def _dims(dims: int | Sequence[int] | None, size: int) -> list[int]:
    """Reduction dims: None and [] mean all of them."""
    if dims is None or (not isinstance(dims, int) and len(dims) == 0):
        return list(range(size))
    if isinstance(dims, int):
        dims = [dims]
    return sorted({_dim(d, size) for d in dims})


# ---------------------------------------------------------------------------
# The table

Translation = Callable[..., Value]
TRANSLATIONS: dict[Any, Translation] = {}
"""ATen overload (or `operator.getitem`) → its translation."""


def translates(*targets: Any) -> Callable[[Translation], Translation]:
    def register(fn: Translation) -> Translation:
        for target in targets:
            TRANSLATIONS[target] = fn
        return fn

    return register


def translate_node(e: AtenEmitter, args: Sequence[Any], kwargs: dict[str, Any]) -> Value:
    """Translates `e.node` with its arguments already translated; checks the types.

    Raises `Unsupported` when the node has no translation or the translation's
    result types differ from PyTorch's (a result left out as unused is not checked).
    """
    node = e.node
    translation = TRANSLATIONS.get(node.target)
    if translation is None:
        raise Unsupported("no translation")
    value = translation(e, *args, **kwargs)
    expected = node.meta["val"]
    results = value if isinstance(value, tuple) else (value,)
    fakes = expected if isinstance(expected, tuple | list) else (expected,)
    for result, fake in zip(results, fakes, strict=True):
        if result is not None and result.type != tensor_type(fake):
            raise Unsupported(f"translation gives {result.type}, PyTorch {tensor_type(fake)}")
    return value


@translates(operator.getitem)
def getitem(e: AtenEmitter, value: tuple[SSAValue | None, ...], index: int) -> SSAValue:
    return value[index]


# -- element-wise -------------------------------------------------------------

_UNARY = {
    aten.neg.default: nn.NegOp,
    aten.abs.default: nn.AbsOp,
    aten.exp.default: nn.ExpOp,
    aten.log.default: nn.LogOp,
    aten.sqrt.default: nn.SqrtOp,
    aten.rsqrt.default: nn.RsqrtOp,
    aten.tanh.default: nn.TanhOp,
    aten.erf.default: nn.ErfOp,
    aten.sin.default: nn.SinOp,
    aten.cos.default: nn.CosOp,
    aten.sigmoid.default: nn.SigmoidOp,
    aten.relu.default: nn.ReluOp,
    aten.silu.default: nn.SiluOp,
}


def _unary(op_class: type[nn.NNOp]) -> Translation:
    def translate(e: AtenEmitter, x: SSAValue) -> SSAValue:
        return e.elementwise(op_class, x)

    return translate


for _target, _op_class in _UNARY.items():
    translates(_target)(_unary(_op_class))


@translates(aten.gelu.default)
def gelu(e: AtenEmitter, x: SSAValue, *, approximate: str = "none") -> SSAValue:
    return e.emit(nn.GeluOp(x, approximate=None if approximate == "none" else approximate))


@translates(aten.reciprocal.default)
def reciprocal(e: AtenEmitter, x: SSAValue) -> SSAValue:
    return e.elementwise(nn.DivOp, 1.0, x)


_BINARY = {
    aten.mul.Tensor: nn.MulOp,
    aten.mul.Scalar: nn.MulOp,
    aten.maximum.default: nn.MaxOp,
    aten.minimum.default: nn.MinOp,
    aten.pow.Tensor_Tensor: nn.PowOp,
    aten.pow.Scalar: nn.PowOp,
}


def _binary(op_class: type[nn.NNOp]) -> Translation:
    def translate(e: AtenEmitter, x: SSAValue | float, y: SSAValue | float) -> SSAValue:
        return e.elementwise(op_class, x, y)

    return translate


for _target, _op_class in _BINARY.items():
    translates(_target)(_binary(_op_class))


def _scaled(e: AtenEmitter, y: SSAValue | float, alpha: float) -> SSAValue | float:
    if alpha == 1:
        return y
    if isinstance(y, SSAValue):
        return e.elementwise(nn.MulOp, y, alpha)
    return y * alpha


@translates(aten.add.Tensor, aten.add.Scalar)
def add(e: AtenEmitter, x: SSAValue, y: SSAValue | float, *, alpha: float = 1) -> SSAValue:
    return e.elementwise(nn.AddOp, x, _scaled(e, y, alpha))


@translates(aten.sub.Tensor, aten.sub.Scalar)
def sub(e: AtenEmitter, x: SSAValue, y: SSAValue | float, *, alpha: float = 1) -> SSAValue:
    return e.elementwise(nn.SubOp, x, _scaled(e, y, alpha))


@translates(aten.rsub.Scalar, aten.rsub.Tensor)
def rsub(e: AtenEmitter, x: SSAValue, y: SSAValue | float, *, alpha: float = 1) -> SSAValue:
    return e.elementwise(nn.SubOp, y, _scaled(e, x, alpha))


@translates(aten.div.Tensor, aten.div.Scalar, aten.div.Tensor_mode, aten.div.Scalar_mode)
def div(
    e: AtenEmitter, x: SSAValue, y: SSAValue | float, *, rounding_mode: str | None = None
) -> SSAValue:
    if rounding_mode is not None:
        raise Unsupported(f"rounding_mode={rounding_mode!r}")
    return e.elementwise(nn.DivOp, x, y)


@translates(aten.pow.Tensor_Scalar)
def pow_scalar(e: AtenEmitter, x: SSAValue, exponent: float) -> SSAValue:
    if exponent == 2:  # exact, and what PyTorch computes for a square
        return e.elementwise(nn.MulOp, x, x)
    return e.elementwise(nn.PowOp, x, exponent)


@translates(aten.clamp.default, aten.clamp_min.default, aten.clamp_max.default)
def clamp(
    e: AtenEmitter, x: SSAValue, min: float | None = None, max: float | None = None
) -> SSAValue:
    if e.node.target is aten.clamp_max.default:
        min, max = None, min
    if min is not None:
        x = e.elementwise(nn.MaxOp, x, min)
    if max is not None:
        x = e.elementwise(nn.MinOp, x, max)
    return e.cast(x, e.out_element())


def _promoted(*args: SSAValue | float) -> Attribute:
    """PyTorch's computation dtype for the operands (Python scalars and 0-dim tensors included)."""
    metas = [
        torch.empty(shape(a), dtype=_TORCH_DTYPES[str(a.type.element_type)], device="meta")
        if isinstance(a, SSAValue)
        else a
        for a in args
    ]
    return element_type(torch.result_type(*metas))


_COMPARE = {
    "eq": nn.EqOp,
    "ne": nn.NeOp,
    "lt": nn.LtOp,
    "le": nn.LeOp,
    "gt": nn.GtOp,
    "ge": nn.GeOp,
}


def _compare(op_class: type[nn.NNOp]) -> Translation:
    def translate(e: AtenEmitter, x: SSAValue, y: SSAValue | float) -> SSAValue:
        element = _promoted(x, y)
        return e.emit(op_class(e.operand(x, element), e.operand(y, element)))

    return translate


for _name, _op_class in _COMPARE.items():
    translates(getattr(aten, _name).Tensor, getattr(aten, _name).Scalar)(_compare(_op_class))


def _as_bool(e: AtenEmitter, x: SSAValue) -> SSAValue:
    if x.type.element_type == i1:
        return x
    return e.emit(nn.NeOp(x, e.scalar(0, x.type.element_type)))


@translates(aten.logical_not.default)
def logical_not(e: AtenEmitter, x: SSAValue) -> SSAValue:
    return e.emit(nn.EqOp(_as_bool(e, x), e.scalar(False, i1)))


@translates(aten.bitwise_not.default)
def bitwise_not(e: AtenEmitter, x: SSAValue) -> SSAValue:
    if x.type.element_type != i1:
        raise Unsupported("bitwise_not of integers")
    return logical_not(e, x)


@translates(aten.logical_and.default, aten.bitwise_and.Tensor)
def logical_and(e: AtenEmitter, x: SSAValue, y: SSAValue) -> SSAValue:
    if e.node.target is aten.bitwise_and.Tensor and e.out_element() != i1:
        raise Unsupported("bitwise_and of integers")
    return e.emit(nn.SelectOp(_as_bool(e, x), _as_bool(e, y), e.scalar(False, i1)))


@translates(aten.logical_or.default, aten.bitwise_or.Tensor)
def logical_or(e: AtenEmitter, x: SSAValue, y: SSAValue) -> SSAValue:
    if e.node.target is aten.bitwise_or.Tensor and e.out_element() != i1:
        raise Unsupported("bitwise_or of integers")
    return e.emit(nn.SelectOp(_as_bool(e, x), e.scalar(True, i1), _as_bool(e, y)))


@translates(aten.where.self, aten.where.ScalarSelf, aten.where.ScalarOther, aten.where.Scalar)
def where(
    e: AtenEmitter, condition: SSAValue, x: SSAValue | float, y: SSAValue | float
) -> SSAValue:
    element = e.out_element()
    return e.emit(nn.SelectOp(_as_bool(e, condition), e.operand(x, element), e.operand(y, element)))


@translates(aten.masked_fill.Scalar, aten.masked_fill.Tensor)
def masked_fill(e: AtenEmitter, x: SSAValue, mask: SSAValue, value: SSAValue | float) -> SSAValue:
    return where(e, mask, value, x)


# -- reductions ----------------------------------------------------------------


def _reduce(
    e: AtenEmitter, op_class: type[nn.ReduceOp], x: SSAValue, dims: Any, keepdim: bool
) -> SSAValue:
    axes = _dims(dims, rank(x))
    x = e.cast(x, e.out_element())
    if not axes:  # a rank-0 input: nothing to reduce
        return x
    return e.emit(op_class(x, axes=axes, keepdims=keepdim))


def _reduction(op_class: type[nn.ReduceOp]) -> Translation:
    def translate(
        e: AtenEmitter,
        x: SSAValue,
        dim: Any = None,
        keepdim: bool = False,
        *,
        dtype: torch.dtype | None = None,
    ) -> SSAValue:
        return _reduce(e, op_class, x, dim, keepdim)

    return translate


translates(aten.sum.dim_IntList, aten.sum.default)(_reduction(nn.ReduceSumOp))
translates(aten.mean.dim, aten.mean.default)(_reduction(nn.ReduceMeanOp))
translates(aten.amax.default)(_reduction(nn.ReduceMaxOp))
translates(aten.amin.default)(_reduction(nn.ReduceMinOp))


@translates(aten.prod.dim_int, aten.prod.default)
def prod(
    e: AtenEmitter,
    x: SSAValue,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    dtype: torch.dtype | None = None,
) -> SSAValue:
    return _reduce(e, nn.ReduceProdOp, x, dim, keepdim)


@translates(aten.var.correction)
def var(
    e: AtenEmitter,
    x: SSAValue,
    dim: Sequence[int] | None = None,
    *,
    correction: float | None = None,
    keepdim: bool = False,
) -> SSAValue:
    axes = _dims(dim, rank(x))
    mean = e.emit(nn.ReduceMeanOp(x, axes=axes, keepdims=True))
    centred = e.emit(nn.SubOp(x, mean))
    squares = e.emit(
        nn.ReduceSumOp(e.emit(nn.MulOp(centred, centred)), axes=axes, keepdims=keepdim)
    )
    count = math.prod(shape(x)[a] for a in axes)
    return e.elementwise(nn.DivOp, squares, count - (1 if correction is None else correction))


# -- normalisation --------------------------------------------------------------


@translates(aten._softmax.default, aten._log_softmax.default)
def softmax(e: AtenEmitter, x: SSAValue, dim: int, half_to_float: bool) -> SSAValue:
    op_class = nn.SoftmaxOp if e.node.target is aten._softmax.default else nn.LogSoftmaxOp
    return e.emit(op_class(e.cast(x, e.out_element()), axis=_dim(dim, rank(x))))


@translates(aten.softmax.int, aten.log_softmax.int)
def softmax_int(
    e: AtenEmitter, x: SSAValue, dim: int, dtype: torch.dtype | None = None
) -> SSAValue:
    op_class = nn.SoftmaxOp if e.node.target is aten.softmax.int else nn.LogSoftmaxOp
    return e.emit(op_class(e.cast(x, e.out_element()), axis=_dim(dim, rank(x))))


@translates(aten._safe_softmax.default)
def safe_softmax(
    e: AtenEmitter, x: SSAValue, dim: int, dtype: torch.dtype | None = None
) -> SSAValue:
    """Softmax whose rows of only `-inf` give zeros instead of NaN (masked attention)."""
    axis = _dim(dim, rank(x))
    x = e.cast(x, e.out_element())
    row_max = e.emit(nn.ReduceMaxOp(x, axes=[axis], keepdims=True))
    masked = e.emit(nn.EqOp(row_max, e.scalar(-math.inf, e.out_element())))
    zero = e.scalar(0.0, e.out_element())
    return e.emit(nn.SelectOp(masked, zero, e.emit(nn.SoftmaxOp(x, axis=axis))))


@translates(aten.native_layer_norm.default)
def native_layer_norm(
    e: AtenEmitter,
    x: SSAValue,
    normalized_shape: Sequence[int],
    weight: SSAValue | None,
    bias: SSAValue | None,
    eps: float,
) -> tuple[SSAValue | None, ...]:
    axes = list(range(rank(x) - len(normalized_shape), rank(x)))
    used = e.used_results()
    if bias is not None and weight is None:
        weight = e.fill(1.0, x.type.element_type, normalized_shape)
    affine = [v for v in (weight, bias) if v is not None]
    out = e.emit(nn.LayerNormOp(x, *affine, axes=axes, eps=eps)) if 0 in used else None
    mean = rstd = None
    if used & {1, 2}:  # the statistics, in the dtype PyTorch keeps them in
        stats = element_type(e.node.meta["val"][1].dtype)
        wide = e.cast(x, stats)
        mean = e.emit(nn.ReduceMeanOp(wide, axes=axes, keepdims=True))
        centred = e.emit(nn.SubOp(wide, mean))
        variance = e.emit(
            nn.ReduceMeanOp(e.emit(nn.MulOp(centred, centred)), axes=axes, keepdims=True)
        )
        rstd = e.emit(nn.RsqrtOp(e.emit(nn.AddOp(variance, e.scalar(eps, stats)))))
    return out, mean, rstd


@translates(aten.rms_norm.default)
def rms_norm(
    e: AtenEmitter,
    x: SSAValue,
    normalized_shape: Sequence[int],
    weight: SSAValue | None = None,
    eps: float | None = None,
) -> SSAValue:
    if eps is None:
        eps = torch.finfo(e.out.dtype).eps
    axes = list(range(rank(x) - len(normalized_shape), rank(x)))
    affine = [weight] if weight is not None else []
    return e.emit(nn.RmsNormOp(x, *affine, axes=axes, eps=eps))


# -- contraction -------------------------------------------------------------------


@translates(aten.mm.default, aten.bmm.default)
def mm(e: AtenEmitter, x: SSAValue, y: SSAValue) -> SSAValue:
    return e.emit(nn.MatmulOp(x, y))


@translates(aten.matmul.default, aten.mv.default, aten.dot.default)
def matmul(e: AtenEmitter, x: SSAValue, y: SSAValue) -> SSAValue:
    """`torch.matmul`: vectors become matrices for the product and lose that dim after."""
    lhs = e.emit(nn.ExpandDimsOp(x, axes=[0])) if rank(x) == 1 else x
    rhs = e.emit(nn.ExpandDimsOp(y, axes=[1])) if rank(y) == 1 else y
    return e.reshape(e.emit(nn.MatmulOp(lhs, rhs)), e.out.shape)


@translates(aten.addmm.default, aten.baddbmm.default)
def addmm(
    e: AtenEmitter, bias: SSAValue, x: SSAValue, y: SSAValue, *, beta: float = 1, alpha: float = 1
) -> SSAValue:
    product = _scaled(e, e.emit(nn.MatmulOp(x, y)), alpha)
    if beta == 0:  # PyTorch ignores the bias then, NaNs included
        return product
    return e.elementwise(nn.AddOp, product, _scaled(e, bias, beta))


@translates(aten.linear.default)
def linear(e: AtenEmitter, x: SSAValue, weight: SSAValue, bias: SSAValue | None = None) -> SSAValue:
    return e.emit(nn.LinearOp(x, weight, *([bias] if bias is not None else [])))


def _attention(
    e: AtenEmitter,
    q: SSAValue,
    k: SSAValue,
    v: SSAValue,
    mask: SSAValue | None,
    dropout_p: float,
    is_causal: bool,
    scale: float | None,
) -> SSAValue:
    if dropout_p != 0:
        raise Unsupported(f"dropout_p={dropout_p}")
    batch = nn.broadcast_shapes(shape(q)[:-2], shape(k)[:-2], shape(v)[:-2])
    q, k, v = (e.broadcast(t, (*batch, *shape(t)[-2:])) for t in (q, k, v))
    if mask is None:
        return e.emit(nn.AttentionOp(q, k, v, causal=is_causal, scale=scale))
    # nn.attention has no mask operand: the same computation, spelled out.
    element = q.type.element_type
    features, length, source = shape(q)[-1], shape(q)[-2], shape(k)[-2]
    perm = [*range(len(batch)), len(batch) + 1, len(batch)]
    scores = e.emit(nn.MatmulOp(q, e.transpose(k, perm)))
    scale = 1 / math.sqrt(features) if scale is None else scale
    scores = e.emit(nn.MulOp(scores, e.scalar(scale, element)))
    minus_inf = e.scalar(-math.inf, element)
    if is_causal:
        scores = e.emit(nn.SelectOp(e.causal_mask(length, source), scores, minus_inf))
    if mask.type.element_type == i1:
        scores = e.emit(nn.SelectOp(mask, scores, minus_inf))
    else:
        scores = e.emit(nn.AddOp(scores, e.cast(mask, element)))
    return e.emit(nn.MatmulOp(e.emit(nn.SoftmaxOp(scores, axis=rank(scores) - 1)), v))


@translates(aten._scaled_dot_product_flash_attention_for_cpu.default)
def sdpa_flash_cpu(
    e: AtenEmitter,
    q: SSAValue,
    k: SSAValue,
    v: SSAValue,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    attn_mask: SSAValue | None = None,
    scale: float | None = None,
) -> tuple[SSAValue, None]:
    if 1 in e.used_results():
        raise Unsupported("the logsumexp result")
    return _attention(e, q, k, v, attn_mask, dropout_p, is_causal, scale), None


@translates(aten.scaled_dot_product_attention.default)
def sdpa(
    e: AtenEmitter,
    q: SSAValue,
    k: SSAValue,
    v: SSAValue,
    attn_mask: SSAValue | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    enable_gqa: bool = False,
) -> SSAValue:
    if enable_gqa:
        raise Unsupported("enable_gqa=True")
    return _attention(e, q, k, v, attn_mask, dropout_p, is_causal, scale)


# -- shapes and data movement ----------------------------------------------------


@translates(aten.view.default, aten._unsafe_view.default, aten.reshape.default)
def view(e: AtenEmitter, x: SSAValue, size: Sequence[int]) -> SSAValue:
    return e.reshape(x, e.out.shape)


@translates(
    aten.clone.default,
    aten.alias.default,
    aten.detach.default,
    aten.lift_fresh_copy.default,
    aten.contiguous.default,
)
def identity(e: AtenEmitter, x: SSAValue, **layout: Any) -> SSAValue:
    return x


@translates(aten.expand.default)
def expand(e: AtenEmitter, x: SSAValue, size: Sequence[int], *, implicit: bool = False) -> SSAValue:
    return e.broadcast(x, e.out.shape)


@translates(aten.permute.default)
def permute(e: AtenEmitter, x: SSAValue, dims: Sequence[int]) -> SSAValue:
    return e.transpose(x, [_dim(d, rank(x)) for d in dims])


@translates(aten.transpose.int)
def transpose(e: AtenEmitter, x: SSAValue, dim0: int, dim1: int) -> SSAValue:
    perm = list(range(rank(x)))
    a, b = _dim(dim0, rank(x)), _dim(dim1, rank(x))
    perm[a], perm[b] = perm[b], perm[a]
    return e.transpose(x, perm)


@translates(aten.t.default)
def t(e: AtenEmitter, x: SSAValue) -> SSAValue:
    return e.transpose(x, [1, 0]) if rank(x) == 2 else x


@translates(aten.unsqueeze.default)
def unsqueeze(e: AtenEmitter, x: SSAValue, dim: int) -> SSAValue:
    return e.emit(nn.ExpandDimsOp(x, axes=[_dim(dim, rank(x) + 1)]))


@translates(aten.squeeze.dim, aten.squeeze.dims, aten.squeeze.default)
def squeeze(e: AtenEmitter, x: SSAValue, dim: int | Sequence[int] | None = None) -> SSAValue:
    dims = _dims(dim, rank(x)) if dim is not None else list(range(rank(x)))
    axes = [d for d in dims if shape(x)[d] == 1]  # PyTorch skips dims that are not 1
    return e.emit(nn.SqueezeOp(x, axes=axes)) if axes else x


@translates(aten.slice.Tensor)
def slice_(
    e: AtenEmitter,
    x: SSAValue,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> SSAValue:
    dim = _dim(dim, rank(x))
    begin, stop, _ = slice(start, end, step).indices(shape(x)[dim])
    return e.slice(x, dim, begin, max(begin, stop), step)


@translates(aten.select.int)
def select(e: AtenEmitter, x: SSAValue, dim: int, index: int) -> SSAValue:
    dim = _dim(dim, rank(x))
    index = _dim(index, shape(x)[dim])
    return e.emit(nn.SqueezeOp(e.slice(x, dim, index, index + 1), axes=[dim]))


def _pieces(e: AtenEmitter, x: SSAValue, sizes: Sequence[int], dim: int) -> tuple:
    used = e.used_results()
    pieces, start = [], 0
    for index, size in enumerate(sizes):
        pieces.append(e.slice(x, dim, start, start + size) if index in used else None)
        start += size
    return tuple(pieces)


@translates(aten.split.Tensor)
def split(e: AtenEmitter, x: SSAValue, split_size: int, dim: int = 0) -> tuple:
    dim = _dim(dim, rank(x))
    size = shape(x)[dim]
    sizes = [min(split_size, size - s) for s in range(0, size, split_size)] or [0]
    return _pieces(e, x, sizes, dim)


@translates(aten.split_with_sizes.default)
def split_with_sizes(
    e: AtenEmitter, x: SSAValue, split_sizes: Sequence[int], dim: int = 0
) -> tuple:
    return _pieces(e, x, split_sizes, _dim(dim, rank(x)))


@translates(aten.unbind.int)
def unbind(e: AtenEmitter, x: SSAValue, dim: int = 0) -> tuple:
    dim = _dim(dim, rank(x))
    pieces = _pieces(e, x, [1] * shape(x)[dim], dim)
    return tuple(p and e.emit(nn.SqueezeOp(p, axes=[dim])) for p in pieces)


@translates(aten.cat.default)
def cat(e: AtenEmitter, tensors: Sequence[SSAValue], dim: int = 0) -> SSAValue:
    element = e.out_element()
    # PyTorch skips 1-D empty tensors in a cat (a legacy rule); so does this.
    parts = [e.cast(t, element) for t in tensors if shape(t) != (0,)]
    return e.emit(nn.ConcatOp(*parts, axis=_dim(dim, rank(parts[0]))))


@translates(aten.stack.default)
def stack(e: AtenEmitter, tensors: Sequence[SSAValue], dim: int = 0) -> SSAValue:
    axis = _dim(dim, rank(tensors[0]) + 1)
    element = e.out_element()
    parts = [e.emit(nn.ExpandDimsOp(e.cast(t, element), axes=[axis])) for t in tensors]
    return e.emit(nn.ConcatOp(*parts, axis=axis))


@translates(aten.embedding.default)
def embedding(
    e: AtenEmitter,
    weight: SSAValue,
    indices: SSAValue,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> SSAValue:
    return e.emit(nn.GatherOp(weight, indices, axis=0))


@translates(aten.index_select.default)
def index_select(e: AtenEmitter, x: SSAValue, dim: int, index: SSAValue) -> SSAValue:
    return e.emit(nn.GatherOp(x, index, axis=_dim(dim, rank(x))))


@translates(aten.index.Tensor)
def index(e: AtenEmitter, x: SSAValue, indices: Sequence[SSAValue | None]) -> SSAValue:
    """`x[..., idx]` with one integer index tensor: a gather along its dim."""
    given = [d for d, i in enumerate(indices) if i is not None]
    if len(given) != 1 or indices[given[0]].type.element_type == i1:
        raise Unsupported("indexing with several or boolean index tensors")
    return e.emit(nn.GatherOp(x, indices[given[0]], axis=given[0]))


# -- creation ----------------------------------------------------------------------


def _check_device(device: Any) -> None:
    if device is not None and torch.device(device).type != "cpu":
        raise Unsupported(f"device {device}")


@translates(aten.full.default, aten.new_full.default)
def full(e: AtenEmitter, *args: Any, **options: Any) -> SSAValue:
    _check_device(options.get("device"))
    return e.fill(args[-1], e.out_element(), e.out.shape)


@translates(
    aten.zeros.default,
    aten.ones.default,
    aten.zeros_like.default,
    aten.ones_like.default,
    aten.new_zeros.default,
    aten.new_ones.default,
    aten.empty.memory_format,  # any value will do: zeros
    aten.empty_like.default,
)
def constant_fill(e: AtenEmitter, *args: Any, **options: Any) -> SSAValue:
    _check_device(options.get("device"))
    one = "ones" in e.node.target.name()
    return e.fill(1 if one else 0, e.out_element(), e.out.shape)


@translates(aten.full_like.default)
def full_like(e: AtenEmitter, x: SSAValue, fill_value: float, **options: Any) -> SSAValue:
    _check_device(options.get("device"))
    return e.fill(fill_value, e.out_element(), e.out.shape)


@translates(aten.scalar_tensor.default)
def scalar_tensor(e: AtenEmitter, value: float, **options: Any) -> SSAValue:
    _check_device(options.get("device"))
    return e.scalar(value, e.out_element())


@translates(aten.arange.default, aten.arange.start, aten.arange.start_step)
def arange(e: AtenEmitter, *bounds: float, **options: Any) -> SSAValue:
    """`start + i * step`, computed in f64 (or i64) like PyTorch's CPU kernel, then cast."""
    _check_device(options.get("device"))
    start, _, step = (0, *bounds, 1) if len(bounds) == 1 else (*bounds, 1)[:3]
    element = e.out_element()
    wide = f64 if nn.is_float(element) else i64
    values = e.iota(e.out.shape, 0, wide)
    if step != 1:
        values = e.emit(nn.MulOp(values, e.scalar(step, wide)))
    if start != 0:
        values = e.emit(nn.AddOp(values, e.scalar(start, wide)))
    return e.cast(values, element)


@translates(aten.tril.default, aten.triu.default)
def tril(e: AtenEmitter, x: SSAValue, diagonal: int = 0) -> SSAValue:
    rows, cols = shape(x)[-2:]
    lower = e.causal_mask(rows, cols, diagonal)
    if e.node.target is aten.triu.default:  # col - row >= diagonal: not below diagonal - 1
        lower = logical_not(e, e.causal_mask(rows, cols, diagonal - 1))
    return e.emit(nn.SelectOp(lower, x, e.scalar(0, x.type.element_type)))


# -- conversion ----------------------------------------------------------------------


@translates(aten._to_copy.default, torch.ops.prims.convert_element_type.default)
def to_copy(e: AtenEmitter, x: SSAValue, *args: Any, **options: Any) -> SSAValue:
    _check_device(options.get("device"))
    return e.cast(x, e.out_element())
