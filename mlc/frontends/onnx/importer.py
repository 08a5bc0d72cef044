"""ONNX models (ModelProto) → nn modules: one `func.func` per graph, built with `mlc.builder`.

    from mlc.frontends.onnx import import_model

    module = import_model("model.onnx")          # a path, bytes or a ModelProto
    exe = mlc.compile(module)                    # parameters: the graph inputs, in order

The function's parameters are the graph inputs that are not initializers (nor given
in `static_inputs`), in graph order; with `initializers_as_arguments`, the
initializers follow them in graph order, otherwise they become `nn.constant`s. Its
results are the graph outputs.

Each ONNX op has one translation function in `TRANSLATIONS`. Values known when
importing (initializers, `Constant`, `Shape`, `static_inputs`) stay numpy arrays
until a tensor operand needs them, so operands that nn takes as parameters (a
`Reshape`'s shape, `Slice` bounds, reduction axes) may come from them; a graph
input in such a place raises `StaticInputRequired`, whose `input_name` says which
input to pass in `static_inputs`. Conventions that changed between opsets (axes
as attributes or as inputs, `Softmax` before 13) follow the model's opset.

Anything nn cannot express exactly (an op outside the table, an element type
other than f16, bf16, f32, f64, bool, int32 and int64, a dynamic dimension, an
attribute value the translation does not handle) raises `UnsupportedModelError`
naming the node and its op type, or the graph input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.dialects.builtin import ModuleOp, TensorType

from mlc.builder import Builder, Function, Value, element_type
from mlc.dialects import nn
from mlc.interpreter import numpy_dtype

__all__ = [
    "ELEMENT_TYPES",
    "TRANSLATIONS",
    "StaticInputRequired",
    "UnsupportedModelError",
    "graph_inputs",
    "import_model",
]

ELEMENT_TYPES = {
    onnx.TensorProto.FLOAT: "f32",
    onnx.TensorProto.DOUBLE: "f64",
    onnx.TensorProto.FLOAT16: "f16",
    onnx.TensorProto.BFLOAT16: "bf16",
    onnx.TensorProto.INT32: "i32",
    onnx.TensorProto.INT64: "i64",
    onnx.TensorProto.BOOL: "i1",
}
"""The ONNX element types nn has, by `TensorProto.DataType`."""


class UnsupportedModelError(ValueError):
    """The model uses what the importer cannot translate exactly.

    `node` is the node's name (or `#<index>` when it has none) and `op_type` its
    op, both None for a problem with the graph's inputs or outputs.
    """

    def __init__(self, message: str, node: str | None = None, op_type: str | None = None) -> None:
        where = f"node '{node}' ({op_type}): " if node is not None else ""
        super().__init__(where + message)
        self.node = node
        self.op_type = op_type


class StaticInputRequired(UnsupportedModelError):
    """A graph input is used where nn needs a value known when importing.

    Import again with its value in `static_inputs` (the ONNX backend does so).
    """

    def __init__(self, message: str, node: str, op_type: str, input_name: str) -> None:
        super().__init__(message, node, op_type)
        self.input_name = input_name


def _dtype_name(elem_type: int, what: str) -> str:
    if elem_type not in ELEMENT_TYPES:
        type_name = onnx.TensorProto.DataType.Name(elem_type)
        raise UnsupportedModelError(f"{what} has element type {type_name}, which nn does not have")
    return ELEMENT_TYPES[elem_type]


_INVALID = re.compile(r"[^\w$.]")


def _ssa_name(name: str) -> str:
    """An ONNX value name as an SSA name (`input.1` stays, `onnx::Add_3` → `onnx__Add_3`)."""
    name = _INVALID.sub("_", name)
    return name if re.match(r"[A-Za-z_]", name) else f"v{name}"


def graph_inputs(model: onnx.ModelProto) -> list[str]:
    """The names of the graph inputs that are not initializers, in graph order."""
    initialized = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initialized]


def _load(model: onnx.ModelProto | str | bytes | Path) -> onnx.ModelProto:
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, bytes):
        return onnx.load_from_string(model)
    if isinstance(model, str | Path):
        return onnx.load(str(model))
    raise TypeError(f"model: expected a ModelProto, bytes or a path, got {type(model).__name__}")


def import_model(
    model: onnx.ModelProto | str | bytes | Path,
    *,
    name: str | None = None,
    initializers_as_arguments: bool = False,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    static_inputs: Mapping[str, np.ndarray] | None = None,
) -> ModuleOp:
    """The nn module of an ONNX model: one function, `@name` (default: the graph's name).

    `input_shapes` fixes the shapes of graph inputs (dynamic dimensions included);
    `static_inputs` gives graph inputs values known now, which become constants.
    Raises UnsupportedModelError (StaticInputRequired for a graph input nn needs
    as a constant) and TypeError / ValueError naming a bad argument.
    """
    proto = _load(model)
    opset = next(
        (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        None,
    )
    if opset is None:
        raise UnsupportedModelError("the model imports no ai.onnx opset")
    graph = proto.graph
    input_names = graph_inputs(proto)
    for argument, given in (("input_shapes", input_shapes), ("static_inputs", static_inputs)):
        unknown = sorted(set(given or ()) - set(input_names))
        if unknown:
            raise ValueError(f"{argument}: {', '.join(unknown)} are not graph inputs")
    function_name = _ssa_name(name if name is not None else graph.name or "main")
    importer = _Importer(opset, dict(static_inputs or {}))
    importer.run(graph, function_name, input_names, initializers_as_arguments, input_shapes or {})
    return importer.builder.module


def _input_type(value_info: onnx.ValueInfoProto, shape: Sequence[int] | None) -> TensorType:
    what = f"graph input '{value_info.name}'"
    t = value_info.type
    if not t.HasField("tensor_type"):
        raise UnsupportedModelError(f"{what} is not a tensor")
    dtype = _dtype_name(t.tensor_type.elem_type, what)
    if shape is None:
        if not t.tensor_type.HasField("shape"):
            raise UnsupportedModelError(f"{what} has no shape; give it in input_shapes")
        dims = []
        for d in t.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                symbol = d.dim_param or "?"
                raise UnsupportedModelError(
                    f"{what} has a dynamic dimension '{symbol}'; nn needs static shapes "
                    "(give them in input_shapes)"
                )
            dims.append(d.dim_value)
        shape = dims
    return TensorType(element_type(dtype), list(shape))


class _Importer:
    def __init__(self, opset: int, static_inputs: dict[str, np.ndarray]) -> None:
        self.opset = opset
        self.builder = Builder()
        self.static_inputs = static_inputs
        self.values: dict[str, Value] = {}
        self.arrays: dict[str, np.ndarray] = {}
        """Values known while importing; materialized as nn.constant on first tensor use."""
        self.function: Function | None = None

    def run(
        self,
        graph: onnx.GraphProto,
        name: str,
        input_names: list[str],
        initializers_as_arguments: bool,
        input_shapes: Mapping[str, Sequence[int]],
    ) -> None:
        infos = {i.name: i for i in graph.input}
        params: dict[str, TensorType] = {}
        order: list[str] = []
        for input_name in input_names:
            if input_name in self.static_inputs:
                self.arrays[input_name] = np.asarray(self.static_inputs[input_name])
                continue
            params[_ssa_name(input_name)] = _input_type(
                infos[input_name], input_shapes.get(input_name)
            )
            order.append(input_name)
        for tensor in graph.initializer:
            array = numpy_helper.to_array(tensor)
            if initializers_as_arguments:
                dtype = _dtype_name(tensor.data_type, f"initializer '{tensor.name}'")
                params[_ssa_name(tensor.name)] = TensorType(element_type(dtype), list(array.shape))
                order.append(tensor.name)
            else:
                self.arrays[tensor.name] = array
        if len(params) != len(order):
            raise UnsupportedModelError("two graph inputs have the same name once made SSA names")
        self.function = self.builder.function(name, **params)
        self.values.update(zip(order, self.function.args, strict=True))
        for index, proto in enumerate(graph.node):
            _Node(self, proto, index).translate()
        results = []
        for output in graph.output:
            value = self.value(output.name, f"graph output '{output.name}'")
            _check_output(output, value)
            results.append(value)
        self.function.ret(*results)

    def value(self, name: str, what: str) -> Value:
        if name not in self.values:
            if name not in self.arrays:
                raise UnsupportedModelError(f"{what} uses '{name}', which nothing defines")
            array = self.arrays[name]
            if array.dtype not in (numpy_dtype(element_type(t)) for t in ELEMENT_TYPES.values()):
                raise UnsupportedModelError(
                    f"{what}: '{name}' has dtype {array.dtype}, which nn does not have"
                )
            self.values[name] = self.function.constant(array, name=_ssa_name(name))
        return self.values[name]


def _check_output(output: onnx.ValueInfoProto, value: Value) -> None:
    """The declared type of a graph output, where it has one, is the imported one."""
    t = output.type.tensor_type
    if not output.type.HasField("tensor_type"):
        return
    what = f"graph output '{output.name}'"
    if t.elem_type and ELEMENT_TYPES.get(t.elem_type) != value.dtype:
        type_name = onnx.TensorProto.DataType.Name(t.elem_type)
        raise UnsupportedModelError(f"{what} is declared {type_name} but computes {value.dtype}")
    if t.HasField("shape"):
        declared = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        if len(declared) != len(value.shape) or any(
            d is not None and d != s for d, s in zip(declared, value.shape, strict=False)
        ):
            raise UnsupportedModelError(
                f"{what} is declared with shape {declared} but computes {list(value.shape)}"
            )


# ---------------------------------------------------------------------------
# Nodes


Result = Value | np.ndarray | None
Translation = Callable[["_Node"], Result | Sequence[Result]]

TRANSLATIONS: dict[str, Translation] = {}
"""The translation function of each supported ONNX op type (default domain)."""


def translates(*op_types: str) -> Callable[[Translation], Translation]:
    def register(translation: Translation) -> Translation:
        for op_type in op_types:
            TRANSLATIONS[op_type] = translation
        return translation

    return register


class _Node:
    """One node being translated: its inputs, attributes, opset and the function."""

    def __init__(self, importer: _Importer, proto: onnx.NodeProto, index: int) -> None:
        self.importer = importer
        self.proto = proto
        self.op_type = proto.op_type
        self.name = proto.name or f"#{index}"
        self.f = importer.function
        self.opset = importer.opset
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}

    def fail(self, message: str) -> NoReturn:
        raise UnsupportedModelError(message, self.name, self.op_type)

    def translate(self) -> None:
        if self.proto.domain not in ("", "ai.onnx"):
            self.fail(f"ops of domain '{self.proto.domain}' are not supported")
        known = [self.importer.arrays.get(n) for n in self.proto.input if n]
        folds = bool(known) and all(k is not None for k in known)
        results = _fold(self.proto, known, self.opset) if folds else None
        if results is None:
            translation = TRANSLATIONS.get(self.op_type)
            if translation is None:
                self.fail("no translation for this op")
            try:
                results = translation(self)
            except UnsupportedModelError:
                raise
            except (ValueError, TypeError) as e:  # the builder's: a shape, type or parameter
                self.fail(str(e))
        if not isinstance(results, list | tuple):
            results = [results]
        outputs = list(self.proto.output)
        for index, (output, result) in enumerate(zip(outputs, results, strict=False)):
            if not output:
                continue
            if result is None:
                self.fail(f"output #{index} is not supported")
            if isinstance(result, np.ndarray):
                self.importer.arrays[output] = result
                continue
            if not any(result is a for a in self.f.args):  # parameters keep their names
                result.ssa.name_hint = _ssa_name(output)
            self.importer.values[output] = result
        if any(outputs[len(results) :]):
            self.fail(f"only the first {len(results)} outputs are supported")

    # -- inputs -------------------------------------------------------------

    def has(self, index: int) -> bool:
        return index < len(self.proto.input) and self.proto.input[index] != ""

    @property
    def count(self) -> int:
        return len(self.proto.input)

    def input(self, index: int) -> Value:
        if not self.has(index):
            self.fail(f"input #{index} is missing")
        return self.importer.value(self.proto.input[index], f"node '{self.name}'")

    def inputs(self) -> list[Value]:
        return [self.input(i) for i in range(self.count) if self.has(i)]

    def static(self, index: int, what: str) -> np.ndarray | None:
        """The value of input `index` known now (None when absent): `what` says its role."""
        if not self.has(index):
            return None
        name = self.proto.input[index]
        if name in self.importer.arrays:
            return self.importer.arrays[name]
        message = f"input #{index} ({what}) must be a constant, but '{name}' is computed"
        if name in self.importer.values and self.importer.values[name] in self.f.args:
            raise StaticInputRequired(
                f"input #{index} ({what}) is graph input '{name}'; pass its value in static_inputs",
                self.name,
                self.op_type,
                name,
            )
        self.fail(message)

    def ints(self, index: int, name: str) -> list[int] | None:
        """Integers `name` (None when absent): an attribute in older opsets, input `index` in newer."""
        if name in self.attrs:
            return [int(v) for v in self.attrs[name]]
        array = self.static(index, name)
        return None if array is None else [int(v) for v in np.asarray(array).reshape(-1)]

    def attr(self, name: str, default: object = None) -> object:
        value = self.attrs.get(name, default)
        return value.decode() if isinstance(value, bytes) else value

    def axis(self, axis: int, rank: int) -> int:
        """`axis` (negative counts from the end) checked against `rank`."""
        if not -rank <= axis < rank:
            self.fail(f"axis {axis} is out of range for rank {rank}")
        return axis % rank if rank else 0

    def axes(self, axes: Sequence[int], rank: int) -> list[int]:
        return sorted(self.axis(a, rank) for a in axes)


def _fold(node: onnx.NodeProto, arrays: list[np.ndarray], opset: int) -> list[np.ndarray] | None:
    """The outputs of a node whose inputs are all known now, from ONNX's reference.

    Shape arithmetic (`Shape` → `Gather` → `Concat` → `Reshape`) is how exporters
    and ONNX's own function bodies compute the operands nn takes as parameters.
    None when the reference cannot evaluate the node; its translation then runs.
    """
    from onnx.reference import ReferenceEvaluator

    names = [n for n in node.input if n]
    try:
        inputs = [
            onnx.helper.make_tensor_value_info(
                n, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), a.shape
            )
            for n, a in zip(names, arrays, strict=True)
        ]
        outputs = [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o]
        graph = onnx.helper.make_graph([node], "fold", inputs, outputs)
        model = onnx.helper.make_model(
            graph, opset_imports=[onnx.helper.make_operatorsetid("", opset)]
        )
        results = ReferenceEvaluator(model).run(None, dict(zip(names, arrays, strict=True)))
    except Exception:  # the reference's own limits: translate the node instead
        return None
    folded = iter(np.asarray(r) for r in results)
    return [next(folded) if o else None for o in node.output]


# ---------------------------------------------------------------------------
# Element-wise ops

_UNARY = {
    "Abs": nn.AbsOp,
    "Neg": nn.NegOp,
    "Exp": nn.ExpOp,
    "Log": nn.LogOp,
    "Sqrt": nn.SqrtOp,
    "Tanh": nn.TanhOp,
    "Erf": nn.ErfOp,
    "Sin": nn.SinOp,
    "Cos": nn.CosOp,
    "Sigmoid": nn.SigmoidOp,
    "Relu": nn.ReluOp,
}


@translates(*_UNARY)
def _unary(node: _Node) -> Value:
    return node.f.build(_UNARY[node.op_type], node.input(0))


_BINARY = {
    "Add": nn.AddOp,
    "Sub": nn.SubOp,
    "Mul": nn.MulOp,
    "Div": nn.DivOp,
    "Equal": nn.EqOp,
    "Less": nn.LtOp,
    "LessOrEqual": nn.LeOp,
    "Greater": nn.GtOp,
    "GreaterOrEqual": nn.GeOp,
}


@translates(*_BINARY)
def _binary(node: _Node) -> Value:
    if "broadcast" in node.attrs:
        node.fail("the opset-1 'broadcast' attribute is not supported")
    return node.f.build(_BINARY[node.op_type], node.input(0), node.input(1))


@translates("Pow")
def _pow(node: _Node) -> Value:
    base = node.input(0)
    result = node.f.pow(base, node.input(1))
    # ONNX's result has the base's type; nn promotes (f32 ** f64 computes in f64).
    return result if result.dtype == base.dtype else node.f.cast(result, dtype=base.dtype)


_VARIADIC = {"Max": nn.MaxOp, "Min": nn.MinOp, "Sum": nn.AddOp, "Mean": nn.AddOp}


@translates(*_VARIADIC)
def _variadic(node: _Node) -> Value:
    operands = node.inputs()
    result = operands[0]
    for operand in operands[1:]:
        result = node.f.build(_VARIADIC[node.op_type], result, operand)
    if node.op_type == "Mean":
        result = node.f.div(result, len(operands))
    return result


@translates("Where")
def _where(node: _Node) -> Value:
    return node.f.select(node.input(0), node.input(1), node.input(2))


@translates("Not")
def _not(node: _Node) -> Value:
    return node.f.eq(node.input(0), False)


@translates("And", "Or", "Xor")
def _logical(node: _Node) -> Value:
    a, b = node.input(0), node.input(1)
    if node.op_type == "Xor":
        return node.f.ne(a, b)
    if node.op_type == "And":
        return node.f.select(a, b, node.f.splat(0, shape=[], dtype="i1"))
    return node.f.select(a, node.f.splat(1, shape=[], dtype="i1"), b)


@translates("Identity")
def _identity(node: _Node) -> Value:
    return node.input(0)


@translates("Dropout")
def _dropout(node: _Node) -> list[Value]:
    # Inference: the input unchanged, and a mask that keeps everything.
    training = node.static(2, "training_mode")
    if training is not None and bool(training):
        node.fail("training mode is not supported")
    x = node.input(0)
    return [x, node.f.splat(1, shape=x.shape, dtype="i1")]


@translates("Reciprocal")
def _reciprocal(node: _Node) -> Value:
    return node.f.div(1, node.input(0))


@translates("LeakyRelu")
def _leaky_relu(node: _Node) -> Value:
    x = node.input(0)
    return node.f.select(node.f.gt(x, 0), x, x * float(node.attr("alpha", 0.01)))


@translates("PRelu")
def _prelu(node: _Node) -> Value:
    x = node.input(0)
    return node.f.select(node.f.gt(x, 0), x, x * node.input(1))


@translates("ThresholdedRelu")
def _thresholded_relu(node: _Node) -> Value:
    x = node.input(0)
    return node.f.select(node.f.gt(x, float(node.attr("alpha", 1.0))), x, 0 * x)


@translates("Elu")
def _elu(node: _Node) -> Value:
    x = node.input(0)
    alpha = float(node.attr("alpha", 1.0))
    return node.f.select(node.f.gt(x, 0), x, (node.f.exp(x) - 1) * alpha)


@translates("Selu")
def _selu(node: _Node) -> Value:
    x = node.input(0)
    alpha = float(node.attr("alpha", 1.6732632423543772))
    gamma = float(node.attr("gamma", 1.0507009873554805))
    negative = (node.f.exp(x) * alpha - alpha) * gamma
    return node.f.select(node.f.gt(x, 0), x * gamma, negative)


@translates("Celu")
def _celu(node: _Node) -> Value:
    x = node.input(0)
    alpha = float(node.attr("alpha", 1.0))
    negative = node.f.min(0, (node.f.exp(x / alpha) - 1) * alpha)
    return node.f.max(0, x) + negative


@translates("HardSigmoid")
def _hard_sigmoid(node: _Node) -> Value:
    x = node.input(0)
    y = x * float(node.attr("alpha", 0.2)) + float(node.attr("beta", 0.5))
    return node.f.min(node.f.max(y, 0), 1)


@translates("HardSwish")
def _hard_swish(node: _Node) -> Value:
    x = node.input(0)
    return x * node.f.max(0, node.f.min(1, x * (1 / 6) + 0.5))


@translates("Softplus")
def _softplus(node: _Node) -> Value:
    return node.f.log(node.f.exp(node.input(0)) + 1)


@translates("Softsign")
def _softsign(node: _Node) -> Value:
    x = node.input(0)
    return x / (node.f.abs(x) + 1)


@translates("Mish")
def _mish(node: _Node) -> Value:
    x = node.input(0)
    return x * node.f.tanh(node.f.log(node.f.exp(x) + 1))


@translates("Gelu")
def _gelu(node: _Node) -> Value:
    approximate = node.attr("approximate", "none")
    return node.f.gelu(node.input(0), approximate=None if approximate == "none" else approximate)


@translates("Clip")
def _clip(node: _Node) -> Value:
    x = node.input(0)
    if node.opset < 11:
        low, high = node.attr("min"), node.attr("max")
    else:
        low = node.input(1) if node.has(1) else None
        high = node.input(2) if node.has(2) else None
    if low is not None:
        x = node.f.max(x, low)
    if high is not None:
        x = node.f.min(x, high)
    return x


@translates("Cast")
def _cast(node: _Node) -> Value:
    x = node.input(0)
    dtype = _dtype_name(node.attr("to"), f"node '{node.name}' ({node.op_type}): 'to'")
    return x if x.dtype == dtype else node.f.cast(x, dtype=dtype)


@translates("CastLike")
def _cast_like(node: _Node) -> Value:
    x, like = node.input(0), node.input(1)
    return x if x.dtype == like.dtype else node.f.cast(x, dtype=like.dtype)


# ---------------------------------------------------------------------------
# Constants and shapes


@translates("Constant")
def _constant(node: _Node) -> np.ndarray:
    for attr, kind in (
        ("value", None),
        ("value_float", np.float32),
        ("value_floats", np.float32),
        ("value_int", np.int64),
        ("value_ints", np.int64),
    ):
        if attr in node.attrs:
            value = node.attrs[attr]
            return numpy_helper.to_array(value) if kind is None else np.array(value, dtype=kind)
    node.fail(f"attribute {', '.join(node.attrs) or '(none)'} is not supported")


@translates("Shape")
def _shape(node: _Node) -> np.ndarray:
    shape = node.input(0).shape
    start, end = node.attr("start", 0), node.attr("end", len(shape))
    return np.array(shape[slice(start, end)], dtype=np.int64)


@translates("Size")
def _size(node: _Node) -> np.ndarray:
    return np.array(math.prod(node.input(0).shape), dtype=np.int64)


@translates("ConstantOfShape")
def _constant_of_shape(node: _Node) -> Value:
    shape = [int(d) for d in node.static(0, "shape")]
    value = node.attrs.get("value")
    array = numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
    dtype = _dtype_name(value.data_type if value is not None else 1, "the value")
    return node.f.splat(array.reshape(-1)[0].item(), shape=shape, dtype=dtype)


@translates("Range")
def _range(node: _Node) -> np.ndarray:
    start, limit, delta = (node.static(i, n) for i, n in enumerate(("start", "limit", "delta")))
    return np.arange(start, limit, delta, dtype=np.asarray(start).dtype)


@translates("EyeLike")
def _eye_like(node: _Node) -> np.ndarray:
    x = node.input(0)
    if len(x.shape) != 2:
        node.fail("the input must have rank 2")
    dtype = node.attr("dtype")
    element = _dtype_name(dtype, "the dtype") if dtype is not None else x.dtype
    return np.eye(*x.shape, k=node.attr("k", 0), dtype=numpy_dtype(element_type(element)))


# ---------------------------------------------------------------------------
# Shape manipulation


@translates("Reshape")
def _reshape(node: _Node) -> Value:
    x = node.input(0)
    target = [int(d) for d in node.static(1, "shape")]
    allow_zero = node.attr("allowzero", 0)
    target = [x.shape[i] if d == 0 and not allow_zero else d for i, d in enumerate(target)]
    if target.count(-1) > 1:
        node.fail(f"shape {target} has more than one -1")
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if known == 0 or math.prod(x.shape) % known:
            node.fail(f"cannot reshape {list(x.shape)} to {target}")
        target[target.index(-1)] = math.prod(x.shape) // known
    return node.f.reshape(x, shape=target)


@translates("Flatten")
def _flatten(node: _Node) -> Value:
    x = node.input(0)
    rank = len(x.shape)
    axis = node.attr("axis", 1)
    if not -rank <= axis <= rank:
        node.fail(f"axis {axis} is out of range for rank {rank}")
    axis += rank if axis < 0 else 0
    return node.f.reshape(x, shape=[math.prod(x.shape[:axis]), math.prod(x.shape[axis:])])


@translates("Squeeze")
def _squeeze(node: _Node) -> Value:
    x = node.input(0)
    axes = node.ints(1, "axes")
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    return node.f.squeeze(x, axes=node.axes(axes, len(x.shape)))


@translates("Unsqueeze")
def _unsqueeze(node: _Node) -> Value:
    x = node.input(0)
    axes = node.ints(1, "axes")
    return node.f.expand_dims(x, axes=node.axes(axes, len(x.shape) + len(axes)))


@translates("Transpose")
def _transpose(node: _Node) -> Value:
    x = node.input(0)
    perm = node.attr("perm", list(reversed(range(len(x.shape)))))
    return node.f.transpose(x, perm=[node.axis(p, len(x.shape)) for p in perm])


@translates("Concat")
def _concat(node: _Node) -> Value:
    operands = node.inputs()
    return node.f.concat(*operands, axis=node.axis(node.attr("axis"), len(operands[0].shape)))


@translates("Expand")
def _expand(node: _Node) -> Value:
    x = node.input(0)
    shape = nn.broadcast_shapes(x.shape, [int(d) for d in node.static(1, "shape")])
    return x if shape == x.shape else node.f.broadcast_to(x, shape=shape)


@translates("Tile")
def _tile(node: _Node) -> Value:
    x = node.input(0)
    repeats = [int(r) for r in node.static(1, "repeats")]
    if len(repeats) != len(x.shape) or min(repeats, default=1) < 0:
        node.fail(f"repeats {repeats} do not fit rank {len(x.shape)}")
    for axis, count in enumerate(repeats):
        if count != 1:
            x = _gather_static(node, x, np.tile(np.arange(x.shape[axis]), count), axis)
    return x


def _gather_static(node: _Node, x: Value, indices: np.ndarray, axis: int) -> Value:
    """`np.take(x, indices, axis)` for indices known now (in range, non-negative)."""
    return node.f.gather(x, node.f.constant(indices.astype(np.int64)), axis=axis)


@translates("Slice")
def _slice(node: _Node) -> Value:
    x = node.input(0)
    rank = len(x.shape)
    starts, ends = node.ints(1, "starts"), node.ints(2, "ends")
    axes, steps = node.ints(3, "axes"), node.ints(4, "steps")
    axes = list(range(len(starts))) if axes is None else [node.axis(a, rank) for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    if 0 in steps:
        node.fail("a step is 0")
    # ONNX clamps starts and ends exactly as Python slices do.
    ranges = [range(size) for size in x.shape]
    for axis, start, end, step in zip(axes, starts, ends, steps, strict=True):
        ranges[axis] = range(*slice(start, end, step).indices(x.shape[axis]))
    if all(r.step > 0 for r in ranges):
        bounds = [(r.start, max(r.start, r.stop), r.step) if r else (0, 0, 1) for r in ranges]
        return node.f.slice(
            x,
            start=[b[0] for b in bounds],
            stop=[min(b[1], size) for b, size in zip(bounds, x.shape, strict=True)],
            step=[b[2] for b in bounds],
        )
    for axis, r in enumerate(ranges):
        if r != range(x.shape[axis]):
            x = _gather_static(node, x, np.array(list(r), dtype=np.int64), axis)
    return x


@translates("Split")
def _split(node: _Node) -> list[Value]:
    x = node.input(0)
    axis = node.axis(node.attr("axis", 0), len(x.shape))
    size = x.shape[axis]
    sizes = node.ints(1, "split")
    if sizes is None:
        count = node.attr("num_outputs", len(node.proto.output))
        chunk = -(-size // count)
        sizes = [min(chunk, size - i * chunk) for i in range(count)]
    if sum(sizes) != size or min(sizes) < 0:
        node.fail(f"split sizes {sizes} do not add up to {size}")
    results = []
    offset = 0
    for length in sizes:
        start = [offset if i == axis else 0 for i in range(len(x.shape))]
        stop = [offset + length if i == axis else d for i, d in enumerate(x.shape)]
        results.append(node.f.slice(x, start=start, stop=stop, step=[1] * len(x.shape)))
        offset += length
    return results


@translates("Gather")
def _gather(node: _Node) -> Value:
    x = node.input(0)
    axis = node.axis(node.attr("axis", 0), len(x.shape))
    size = x.shape[axis]
    known = node.importer.arrays.get(node.proto.input[1])
    if known is not None:  # negative indices count from the end: resolve them now
        if ((known < -size) | (known >= size)).any():
            node.fail(f"an index is out of range for dim {axis} of size {size}")
        return node.f.gather(
            x, node.f.constant(np.where(known < 0, known + size, known)), axis=axis
        )
    indices = node.input(1)
    wrapped = node.f.select(node.f.lt(indices, 0), indices + size, indices)
    return node.f.gather(x, wrapped, axis=axis)


# ---------------------------------------------------------------------------
# Contractions


@translates("MatMul")
def _matmul(node: _Node) -> Value:
    a, b = node.input(0), node.input(1)
    # numpy's matmul: a vector operand is a matrix with one row (lhs) or column (rhs).
    vector_lhs, vector_rhs = len(a.shape) == 1, len(b.shape) == 1
    if vector_lhs:
        a = node.f.expand_dims(a, axes=[0])
    if vector_rhs:
        b = node.f.expand_dims(b, axes=[1])
    y = node.f.matmul(a, b)
    rank = len(y.shape)
    squeezed = [rank - 2] * vector_lhs + [rank - 1] * vector_rhs
    return node.f.squeeze(y, axes=squeezed) if squeezed else y


@translates("Gemm")
def _gemm(node: _Node) -> Value:
    a, b = node.input(0), node.input(1)
    if node.attr("transA", 0):
        a = node.f.transpose(a, perm=[1, 0])
    if node.attr("transB", 0):
        b = node.f.transpose(b, perm=[1, 0])
    y = node.f.matmul(a, b)
    alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
    if alpha != 1.0:
        y = y * alpha
    if node.has(2) and beta != 0.0:
        c = node.input(2)
        y = y + (c if beta == 1.0 else c * beta)
    return y


# ---------------------------------------------------------------------------
# Reductions


def _reduce_axes(node: _Node, x: Value) -> list[int] | None:
    """The reduced axes, all when none are given; None for a no-op reduction."""
    rank = len(x.shape)
    axes = node.ints(1, "axes")
    if not axes:
        return None if node.attr("noop_with_empty_axes", 0) else list(range(rank))
    return node.axes(axes, rank)


_REDUCTIONS = {
    "ReduceSum": nn.ReduceSumOp,
    "ReduceMean": nn.ReduceMeanOp,
    "ReduceMax": nn.ReduceMaxOp,
    "ReduceMin": nn.ReduceMinOp,
    "ReduceProd": nn.ReduceProdOp,
    "ReduceSumSquare": nn.ReduceSumOp,
    "ReduceL1": nn.ReduceSumOp,
    "ReduceL2": nn.ReduceSumOp,
    "ReduceLogSum": nn.ReduceSumOp,
    "ReduceLogSumExp": nn.ReduceSumOp,
}


@translates(*_REDUCTIONS)
def _reduce(node: _Node) -> Value:
    op_class = _REDUCTIONS[node.op_type]
    x = node.input(0)
    axes = _reduce_axes(node, x)
    keepdims = bool(node.attr("keepdims", 1))
    f = node.f
    if axes is None:  # the reduction's own element-wise part still applies
        axes, keepdims = [], True
    if node.op_type == "ReduceLogSumExp":
        # log(sum(exp(x - max))) + max, stable for large x as ONNX's reference is.
        peak = f.reduce_max(x, axes=axes, keepdims=True)
        total = f.log(f.reduce_sum(f.exp(x - peak), axes=axes, keepdims=True)) + peak
        return f.squeeze(total, axes=axes) if not keepdims and axes else total
    if node.op_type in ("ReduceSumSquare", "ReduceL2"):
        x = x * x
    elif node.op_type == "ReduceL1":
        x = f.abs(x)
    y = f.build(op_class, x, axes=axes, keepdims=keepdims)
    if node.op_type == "ReduceL2":
        return f.sqrt(y)
    if node.op_type == "ReduceLogSum":
        return f.log(y)
    return y


# ---------------------------------------------------------------------------
# Normalizations


@translates("Softmax", "LogSoftmax")
def _softmax(node: _Node) -> Value:
    op = node.f.softmax if node.op_type == "Softmax" else node.f.log_softmax
    x = node.input(0)
    rank = len(x.shape)
    if node.opset >= 13:
        return op(x, axis=node.axis(node.attr("axis", -1), rank))
    # Before opset 13 the input is seen as a matrix of rows x[:axis] by columns x[axis:].
    axis = node.axis(node.attr("axis", 1), rank)
    rows = node.f.reshape(x, shape=[math.prod(x.shape[:axis]), math.prod(x.shape[axis:])])
    return node.f.reshape(op(rows, axis=1), shape=list(x.shape))


def _stash(node: _Node, x: Value) -> str:
    """The element type a normalization computes in (ONNX's stash_type: f32 by default)."""
    stash = node.attr("stash_type", onnx.TensorProto.FLOAT)
    return _dtype_name(stash, "stash_type") if nn.is_float(x.type.element_type) else x.dtype


def _normalize(node: _Node, kind: str) -> list[Value]:
    """LayerNormalization and RMSNormalization: Y, and for layer norm Mean and InvStdDev."""
    f = node.f
    x = node.input(0)
    rank = len(x.shape)
    axis = node.axis(node.attr("axis", -1), rank)
    axes = list(range(axis, rank))
    eps = float(node.attr("epsilon", 1e-5))
    compute = _stash(node, x)
    affine = [node.input(i) for i in (1, 2) if node.has(i)]
    xs = x if compute == x.dtype else f.cast(x, dtype=compute)
    affine = [a if a.dtype == compute else f.cast(a, dtype=compute) for a in affine]
    normalized = x.shape[axis:]
    exact = all(a.shape == normalized for a in affine)
    op = f.layer_norm if kind == "layer" else f.rms_norm
    y = op(xs, *(affine if exact else []), axes=axes, eps=eps)
    if not exact:  # Scale and B broadcast against the whole input
        y = y * affine[0]
        if len(affine) > 1:
            y = y + affine[1]
    if y.dtype != x.dtype:
        y = f.cast(y, dtype=x.dtype)
    if kind != "layer" or not any(node.proto.output[1:]):
        return [y]
    mean = f.reduce_mean(xs, axes=axes, keepdims=True)
    centered = xs - mean
    variance = f.reduce_mean(centered * centered, axes=axes, keepdims=True)
    return [y, mean, 1 / f.sqrt(variance + eps)]


@translates("LayerNormalization")
def _layer_norm(node: _Node) -> list[Value]:
    return _normalize(node, "layer")


@translates("RMSNormalization")
def _rms_norm(node: _Node) -> list[Value]:
    return _normalize(node, "rms")
