"""Build nn functions from Python, with shape inference and readable SSA names.

    from mlc.builder import Builder

    b = Builder()
    with b.function("mlp", x=("f32", [4, 8]), w=("f32", [16, 8])) as f:
        x, w = f.args
        f.ret(f.relu(f.linear(x, w)))
    print(b)                 # MLIR text; b.module is the ModuleOp
    exe = b.compile()        # mlc.compile(b.module)

Every nn op is a method of `Function` named after the op without its prefix
(`f.add`, `f.reduce_sum`, `f.layer_norm`), made from the op classes of
`mlc.dialects.nn`, so the builder covers the dialect by construction:

* positional arguments are the operands: `Value`s of the same function, or Python
  numbers (a rank-0 splat of the first tensor operand's element type) and numpy
  arrays (an `nn.constant` of the array's dtype);
* keyword arguments are the op's parameters, exactly as in docs/dialects/nn.md
  (`axes=[1]`, `keepdims=True`, `eps=1e-5`);
* `shape=` and `dtype=` state the result type, which ops whose result their
  operands do not imply need (`reshape`, `cast`, `broadcast_to`,
  `broadcast_in_dim`, `iota`); they default to the first operand's;
* `name=` names the result (default: the op's name; the printer numbers repeats).

`Value`s also support `+ - * / ** @` and unary `-`. `f.constant(array)` and
`f.splat(value, shape=, dtype=)` build constants.

Mistakes raise before anything is added to the function: ValueError for bad shapes,
element types and parameter values, TypeError for a missing or unknown parameter or
a wrong operand count, AttributeError for an unknown op; each message starts with
the op's name (`reduce_sum: axis 2 is out of range for rank 2`) or names the
argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    ModuleOp,
    TensorType,
    bf16,
    f16,
    f32,
    f64,
    i1,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.irdl import OptPropertyDef
from xdsl.utils.exceptions import VerifyException

from mlc.dialects import nn
from mlc.interpreter import numpy_dtype

__all__ = ["DTYPES", "Builder", "Function", "Value", "dense_attr", "element_type"]

DTYPES: dict[str, Attribute] = {
    "f16": f16,
    "bf16": bf16,
    "f32": f32,
    "f64": f64,
    "i1": i1,
    "i32": i32,
    "i64": i64,
}
"""The element types of nn, by the name `dtype=` arguments accept."""

_BY_NUMPY = {numpy_dtype(t): t for t in DTYPES.values()}

_NAME = re.compile(r"[A-Za-z_][\w$.]*")
"""A name that prints as is: SSA names (`%x`) and function symbols (`@f`)."""


def element_type(dtype: object, argument: str = "dtype") -> Attribute:
    """The nn element type `dtype` denotes: a name in DTYPES, a numpy dtype or an xDSL type.

    ValueError naming `argument` for anything else.
    """
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if isinstance(dtype, Attribute) and dtype in DTYPES.values():
        return dtype
    if not isinstance(dtype, str | Attribute):
        try:
            found = _BY_NUMPY.get(np.dtype(dtype))
        except TypeError:
            found = None
        if found is not None:
            return found
    raise ValueError(
        f"{argument}: unsupported element type {dtype!r} (expected one of {', '.join(DTYPES)})"
    )


def _shape(shape: object, argument: str = "shape") -> list[int]:
    if isinstance(shape, Sequence | np.ndarray) and not isinstance(shape, str):
        dims = list(shape)
        if all(
            isinstance(d, int | np.integer) and not isinstance(d, bool) and d >= 0 for d in dims
        ):
            return [int(d) for d in dims]
    raise ValueError(f"{argument}: expected a list of non-negative integers, got {shape!r}")


def _checked_name(name: object, argument: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{argument}: {name!r} is not a valid name (letters, digits, _ $ .)")
    return name


def dense_attr(array: np.ndarray, element: Attribute) -> DenseIntOrFPElementsAttr:
    """The dense elements attribute holding `array` as `element`s (bit-exact, any size)."""
    values = np.asarray(array, dtype=numpy_dtype(element), order="C")
    # xDSL stores elements little-endian and i1 as one byte each, true being 0xFF.
    data = np.where(values, 0xFF, 0).astype(np.uint8) if element == i1 else values
    return DenseIntOrFPElementsAttr(
        TensorType(element, list(values.shape)),
        BytesAttr(data.astype(data.dtype.newbyteorder("<")).tobytes()),
    )


class Value:
    """A tensor value of the function being built; `type`, `shape`, `dtype` describe it."""

    __slots__ = ("function", "ssa")

    def __init__(self, function: Function, ssa: SSAValue) -> None:
        self.function = function
        self.ssa = ssa

    @property
    def type(self) -> TensorType:
        return self.ssa.type

    @property
    def shape(self) -> tuple[int, ...]:
        return nn.shape_of(self.ssa.type)

    @property
    def dtype(self) -> str:
        return str(self.ssa.type.element_type)

    def __repr__(self) -> str:
        return f"<Value %{self.ssa.name_hint or '?'}: {self.type}>"

    def __add__(self, other: object) -> Value:
        return self.function.add(self, other)

    def __radd__(self, other: object) -> Value:
        return self.function.add(other, self)

    def __sub__(self, other: object) -> Value:
        return self.function.sub(self, other)

    def __rsub__(self, other: object) -> Value:
        return self.function.sub(other, self)

    def __mul__(self, other: object) -> Value:
        return self.function.mul(self, other)

    def __rmul__(self, other: object) -> Value:
        return self.function.mul(other, self)

    def __truediv__(self, other: object) -> Value:
        return self.function.div(self, other)

    def __rtruediv__(self, other: object) -> Value:
        return self.function.div(other, self)

    def __pow__(self, other: object) -> Value:
        return self.function.pow(self, other)

    def __matmul__(self, other: object) -> Value:
        return self.function.matmul(self, other)

    def __neg__(self) -> Value:
        return self.function.neg(self)


ParamType = tuple[Any, Sequence[int]] | TensorType
"""A parameter's type: `(dtype, shape)` such as `("f32", [4, 8])`, or a TensorType."""


def _param_type(spec: object, argument: str) -> TensorType:
    if isinstance(spec, TensorType):
        return TensorType(element_type(spec.element_type, argument), _shape(spec.get_shape()))
    if isinstance(spec, tuple) and len(spec) == 2:
        return TensorType(element_type(spec[0], argument), _shape(spec[1], argument))
    raise ValueError(f"{argument}: expected (dtype, shape) such as ('f32', [4, 8]), got {spec!r}")


def _python_param(value: object) -> object:
    """A parameter value in the Python types nn ops take (tuples and numpy scalars converted)."""
    if isinstance(value, tuple | np.ndarray):
        return [_python_param(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, list):
        return [_python_param(v) for v in value]
    return value


def _splat_op(value: object, result_type: TensorType, what: str) -> nn.SplatOp:
    element = result_type.element_type
    if not isinstance(value, int | float | np.number) or isinstance(value, complex):
        raise TypeError(f"{what}: expected a number, got {type(value).__name__}")
    if nn.is_float(element):
        return nn.SplatOp(float(value), result_type)
    if not float(value).is_integer():
        raise ValueError(f"{what}: {value!r} is not an integer, as {element} elements need")
    if not nn._fits(int(value), element):
        raise ValueError(f"{what}: {value!r} does not fit in {element}")
    return nn.SplatOp(int(value), result_type)


def _without_op_name(message: str, cls: type[nn.NNOp]) -> str:
    """An nn or xDSL message without its own mention of the op, which the caller prefixes."""
    return message.removeprefix(f"'{cls.name}' ").removeprefix(f"Operation {cls.name} ")


def _required_params(cls: type[nn.NNOp]) -> list[str]:
    return [
        name
        for name, definition in cls.get_irdl_definition().properties.items()
        if name != "operandSegmentSizes" and not isinstance(definition, OptPropertyDef)
    ]


class Function:
    """A `func.func` under construction: call its op methods, then `ret(...)`.

    `args` are the parameters as `Value`s, in order; `f["x"]` looks one up by name.
    Also a context manager (`with b.function(...) as f:`) that checks `ret` was called.
    """

    def __init__(self, builder: Builder, name: str, params: dict[str, TensorType]) -> None:
        self.builder = builder
        self.name = name
        self._block = Block(arg_types=list(params.values()))
        for arg, param_name in zip(self._block.args, params, strict=True):
            arg.name_hint = param_name
        self.args = tuple(Value(self, a) for a in self._block.args)
        self._by_name = dict(zip(params, self.args, strict=True))
        self.done = False

    def __repr__(self) -> str:
        return f"<Function @{self.name}>"

    def __getitem__(self, name: str) -> Value:
        if name not in self._by_name:
            raise KeyError(
                f"@{self.name} has no parameter {name!r} (has: {', '.join(self._by_name)})"
            )
        return self._by_name[name]

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: the op methods are set on the class.
        if name.startswith("_"):
            raise AttributeError(name)
        ops = ", ".join(sorted(c.name.removeprefix("nn.") for c in nn.NN.operations))
        raise AttributeError(f"no nn op {name!r}: the ops are {ops}")

    def __enter__(self) -> Function:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is None and not self.done:
            raise ValueError(f"function @{self.name} ended without f.ret(...)")

    # -- building -----------------------------------------------------------

    def _check_open(self, what: str) -> None:
        if self.done:
            raise ValueError(f"{what}: function @{self.name} is finished (ret was called)")

    def _value(self, operand: object, what: str) -> SSAValue:
        if not isinstance(operand, Value):
            raise TypeError(f"{what}: expected a Value, got {type(operand).__name__}")
        if operand.function is not self:
            raise ValueError(f"{what}: the value belongs to function @{operand.function.name}")
        return operand.ssa

    def _literal(self, operand: object, like: Attribute | None, what: str) -> Operation:
        """A detached op that makes a Python number (rank 0) or numpy array a tensor."""
        if isinstance(operand, np.ndarray):
            return nn.ConstantOp(dense_attr(operand, element_type(operand.dtype, what)))
        if like is None:
            raise TypeError(
                f"{what}: a number needs a tensor operand to take its element type from"
            )
        return _splat_op(operand, TensorType(like, []), what)

    def _add(self, op: Operation, name: str | None, default: str) -> Value:
        op.results[0].name_hint = _checked_name(name, "name") if name is not None else default
        self._block.add_op(op)
        return Value(self, op.results[0])

    def build(
        self,
        cls: type[nn.NNOp],
        *operands: object,
        shape: Sequence[int] | None = None,
        dtype: object = None,
        name: str | None = None,
        **params: object,
    ) -> Value:
        """`cls(*operands, **params)` appended to the function: what every op method does."""
        short = cls.name.removeprefix("nn.")
        self._check_open(short)
        if name is not None:
            _checked_name(name, "name")
        missing = [p for p in _required_params(cls) if params.get(p) is None]
        if missing:
            raise TypeError(f"{short}: missing parameter {', '.join(map(repr, missing))}")
        # Numbers take the element type of the tensor operands (a select's i1 condition aside).
        types = [o.type.element_type for o in operands if isinstance(o, Value)]
        like = next((t for t in types if t != i1), types[0] if types else None)
        literals: list[Operation] = []
        values: list[SSAValue] = []
        for index, operand in enumerate(operands):
            what = f"{short}: operand #{index}"
            if isinstance(operand, int | float | np.number | np.ndarray) and not isinstance(
                operand, Value
            ):
                literals.append(self._literal(operand, like, what))
                values.append(literals[-1].results[0])
            else:
                values.append(self._value(operand, what))
        result_type = None
        if shape is not None or dtype is not None:
            if not values and (shape is None or dtype is None):
                raise TypeError(f"{short}: needs both shape= and dtype= (it has no operands)")
            result_type = TensorType(
                element_type(dtype, f"{short}: dtype")
                if dtype is not None
                else values[0].type.element_type,
                _shape(shape, f"{short}: shape")
                if shape is not None
                else values[0].type.get_shape(),
            )
        try:
            op = cls(
                *values, result_type=result_type, **{k: _python_param(v) for k, v in params.items()}
            )
        except VerifyException as e:
            raise ValueError(f"{short}: {e}") from None
        except TypeError as e:
            raise TypeError(f"{short}: {_without_op_name(str(e), cls)}") from None
        try:
            op.verify()
        except VerifyException as e:
            op.erase()
            raise ValueError(f"{short}: {_without_op_name(str(e), cls)}") from None
        self._block.add_ops(literals)
        return self._add(op, name, short)

    def constant(self, array: object, dtype: object = None, *, name: str | None = None) -> Value:
        """`nn.constant` holding `array` (anything numpy converts; its dtype unless `dtype`).

        Values convert only within their kind's rules (`same_kind`: ints to floats,
        floats rounded to a narrower float); ValueError otherwise.
        """
        self._check_open("constant")
        values = np.asarray(array)
        element = element_type(dtype if dtype is not None else values.dtype, "constant: dtype")
        target = numpy_dtype(element)
        if not np.can_cast(values.dtype, target, "same_kind"):
            raise ValueError(f"constant: cannot convert {values.dtype} values to {element}")
        return self._add(nn.ConstantOp(dense_attr(values, element)), name, "constant")

    def splat(
        self, value: float, *, shape: Sequence[int], dtype: object, name: str | None = None
    ) -> Value:
        """`nn.splat`: a tensor of `shape` and `dtype` whose every element is `value`."""
        self._check_open("splat")
        result_type = TensorType(element_type(dtype, "splat: dtype"), _shape(shape, "splat: shape"))
        return self._add(_splat_op(value, result_type, "splat: value"), name, "splat")

    def ret(self, *values: Value) -> None:
        """Returns `values` and adds the finished `func.func` to the builder's module."""
        self._check_open("ret")
        results = [self._value(v, f"ret: value #{i}") for i, v in enumerate(values)]
        self._block.add_op(func.ReturnOp(*results))
        function = func.FuncOp(
            self.name,
            ([a.type for a in self._block.args], [r.type for r in results]),
            Region(self._block),
        )
        self.done = True
        self.builder.module.body.block.add_op(function)


def _op_method(cls: type[nn.NNOp]) -> Callable[..., Value]:
    def method(self: Function, *operands: object, **kwargs: Any) -> Value:
        return self.build(cls, *operands, **kwargs)

    short = cls.name.removeprefix("nn.")
    method.__name__ = short
    method.__qualname__ = f"Function.{short}"
    method.__doc__ = f"`{cls.name}`: {cls.__doc__}"
    return method


def _nn_op_classes() -> Iterator[type[nn.NNOp]]:
    return (cls for cls in nn.NN.operations if cls not in (nn.ConstantOp, nn.SplatOp))


for _cls in _nn_op_classes():
    setattr(Function, _cls.name.removeprefix("nn."), _op_method(_cls))


class Builder:
    """A module under construction: `function(...)` adds functions; `module`, `compile()`."""

    def __init__(self) -> None:
        self.module = ModuleOp([])

    def __str__(self) -> str:
        from mlc.api import print_ir

        return print_ir(self.module)

    def function(self, name: str, /, **params: ParamType) -> Function:
        """A new function `@name` whose parameters are the keyword arguments, in order.

        Each parameter is `(dtype, shape)` (`x=("f32", [4, 8])`) or a TensorType. The
        function joins `module` when its `ret(...)` is called.
        """
        _checked_name(name, "name")
        existing = {f.sym_name.data for f in self.module.ops if isinstance(f, func.FuncOp)}
        if name in existing:
            raise ValueError(f"name: the module already has a function @{name}")
        types = {p: _param_type(spec, p) for p, spec in params.items()}
        return Function(self, name, types)

    def compile(self, target: str = "cpu", **options: Any) -> Any:
        """`mlc.compile(self.module, target, **options)`: an Executable."""
        from mlc.runtime.executable import compile

        return compile(self.module, target, **options)
