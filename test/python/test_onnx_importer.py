"""The ONNX importer: models built with onnx.helper, compiled by mlc, equal onnx's reference.

Each model runs through `import_model` → `mlc.compile` and through
`onnx.reference.ReferenceEvaluator` on the same seeded inputs. Errors name the node
(or graph input) and say what is unsupported.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install -e '.[onnx]')")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import mlc  # noqa: E402
from mlc.frontends.onnx import (  # noqa: E402
    StaticInputRequired,
    UnsupportedModelError,
    graph_inputs,
    import_model,
)
from mlc.tools import mlc_import_onnx  # noqa: E402

F = TensorProto.FLOAT


def _model(nodes, inputs, outputs, initializers=(), opset=18):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        [numpy_helper.from_array(a, n) for n, a in initializers],
    )
    return helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", opset)])


def _inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    initialized = {t.name for t in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initialized:
            continue
        t = value.type.tensor_type
        shape = [d.dim_value for d in t.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
        if np.issubdtype(dtype, np.floating):
            arrays.append(rng.standard_normal(shape).astype(dtype))
        else:
            arrays.append(rng.integers(0, 3, shape).astype(dtype))
    return arrays


def _check(model, **options):
    """The model imported and compiled equals onnx's reference on random inputs."""
    module = import_model(model, **options)
    arrays = _inputs(model)
    expected = ReferenceEvaluator(model).run(
        None, dict(zip(graph_inputs(model), arrays, strict=True))
    )
    args = list(arrays)
    if options.get("initializers_as_arguments"):
        args += [numpy_helper.to_array(t) for t in model.graph.initializer]
    got = mlc.compile(module).g(*args)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    return module


def _mlp():
    rng = np.random.default_rng(1)
    w1 = rng.standard_normal((8, 16)).astype(np.float32)
    b1 = rng.standard_normal(16).astype(np.float32)
    w2 = rng.standard_normal((10, 16)).astype(np.float32)
    b2 = rng.standard_normal(10).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("Gemm", ["h", "w2", "b2"], ["logits"], transB=1, alpha=0.5),
        helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
    ]
    return _model(
        nodes,
        [("x", F, [4, 8])],
        [("y", F, [4, 10])],
        [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)],
    )


@pytest.mark.parametrize("as_arguments", [False, True])
def test_mlp_matches_reference(as_arguments):
    module = _check(_mlp(), initializers_as_arguments=as_arguments)
    text = mlc.print(module)
    assert "func.func @g(%x: tensor<4x8xf32>" in text
    assert ("%w1: tensor<8x16xf32>" in text) == as_arguments
    assert ("%w1 = nn.constant" in text) != as_arguments
    assert "%h = nn.relu %h1" in text  # values keep their ONNX names


def test_transformer_pieces_match_reference():
    rng = np.random.default_rng(2)
    table = rng.standard_normal((16, 8)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["emb"]),  # [2, 5, 8]
        helper.make_node("LayerNormalization", ["emb", "scale", "bias"], ["ln"], epsilon=1e-5),
        helper.make_node("Reshape", ["ln", "heads"], ["split"]),  # [2, 5, 2, 4]
        helper.make_node("Transpose", ["split"], ["q"], perm=[0, 2, 1, 3]),  # [2, 2, 5, 4]
        helper.make_node("Transpose", ["split"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),  # [2, 2, 5, 5]
        helper.make_node("Div", ["scores", "two"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["p"]),
        helper.make_node("Gelu", ["p"], ["g"], approximate="tanh"),
        helper.make_node("ReduceMean", ["g", "last"], ["mean"], keepdims=0),  # [2, 2, 5]
        helper.make_node("Slice", ["mean", "starts", "ends", "axes", "steps"], ["rev"]),
        helper.make_node("Unsqueeze", ["rev", "zero"], ["u"]),
        helper.make_node("Concat", ["u", "u"], ["cat"], axis=0),
        helper.make_node("Where", ["mask", "cat", "cat2"], ["y"]),
        helper.make_node("Mul", ["cat", "cat"], ["cat2"]),
    ]
    # Topological order for ONNX: Mul before Where.
    nodes[-2], nodes[-1] = nodes[-1], nodes[-2]
    model = _model(
        nodes,
        [("ids", TensorProto.INT64, [2, 5]), ("mask", TensorProto.BOOL, [2, 2, 2, 3])],
        [("y", F, [2, 2, 2, 3])],
        [
            ("table", table),
            ("scale", rng.standard_normal(8).astype(np.float32)),
            ("bias", rng.standard_normal(8).astype(np.float32)),
            ("heads", np.array([0, 0, 2, -1], np.int64)),
            ("two", np.array(2.0, np.float32)),
            ("last", np.array([-1], np.int64)),
            ("starts", np.array([-1], np.int64)),
            ("ends", np.array([-100], np.int64)),
            ("axes", np.array([2], np.int64)),
            ("steps", np.array([-2], np.int64)),
            ("zero", np.array([0], np.int64)),
        ],
        opset=20,
    )
    _check(model)


@pytest.mark.parametrize("opset", [11, 13])
def test_opset_conventions(opset):
    """Squeeze/Unsqueeze/ReduceSum axes moved from attributes to inputs at opset 13."""
    axes_attr = {"axes": [1]} if opset < 13 else {}
    axes_in = [] if opset < 13 else ["one"]
    nodes = [
        helper.make_node("Unsqueeze", ["x", *axes_in], ["u"], **axes_attr),  # [3, 1, 4, 5]
        helper.make_node("ReduceSum", ["u", *axes_in], ["s"], keepdims=1, **axes_attr),
        helper.make_node("Squeeze", ["s", *axes_in], ["q"], **axes_attr),  # [3, 4, 5]
        helper.make_node("Softmax", ["q"], ["y"], axis=2),
        helper.make_node("LogSoftmax", ["q"], ["z"], axis=-1),
    ]
    inits = [("one", np.array([1], np.int64))] if opset >= 13 else []
    model = _model(
        nodes, [("x", F, [3, 4, 5])], [("y", F, [3, 4, 5]), ("z", F, [3, 4, 5])], inits, opset
    )
    _check(model)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_before_opset_13_normalizes_the_flattened_rows(op):
    """Opsets 1-12 see the input as a matrix x[:axis] by x[axis:] (onnx's reference does not)."""
    model = _model(
        [helper.make_node(op, ["x"], ["y"])], [("x", F, [3, 4, 5])], [("y", F, None)], opset=11
    )
    x = _inputs(model)[0]
    rows = x.reshape(3, 20)
    expected = np.exp(rows - rows.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    expected = np.log(expected) if op == "LogSoftmax" else expected
    got = mlc.compile(import_model(model)).g(x)
    np.testing.assert_allclose(got, expected.reshape(3, 4, 5), rtol=1e-4, atol=1e-5)


def test_shape_arithmetic_is_folded():
    """Shape → Gather → Concat → Reshape, as exporters write a flatten, needs no constants."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"]),
        helper.make_node("Unsqueeze", ["batch", "zero_list"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus_one"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Cast", ["flat"], ["y"], to=TensorProto.DOUBLE),
    ]
    model = _model(
        nodes,
        [("x", F, [2, 3, 4])],
        [("y", TensorProto.DOUBLE, [2, 12])],
        [
            ("zero", np.array(0, np.int64)),
            ("zero_list", np.array([0], np.int64)),
            ("minus_one", np.array([-1], np.int64)),
        ],
    )
    text = mlc.print(_check(model))
    assert "nn.reshape %x : tensor<2x3x4xf32> -> tensor<2x12xf32>" in text
    assert "i64" not in text  # the shape values never became tensors


def test_static_inputs_and_input_shapes():
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"])]
    model = _model(
        nodes, [("x", F, ["batch", 6]), ("shape", TensorProto.INT64, [2])], [("y", F, None)]
    )
    with pytest.raises(
        UnsupportedModelError, match="graph input 'x' has a dynamic dimension 'batch'"
    ):
        import_model(model)
    with pytest.raises(
        StaticInputRequired, match="input #1 \\(shape\\) is graph input 'shape'"
    ) as e:
        import_model(model, input_shapes={"x": [2, 6]})
    assert (e.value.node, e.value.op_type, e.value.input_name) == ("#0", "Reshape", "shape")
    module = import_model(
        model, input_shapes={"x": [2, 6]}, static_inputs={"shape": np.array([3, 4])}
    )
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_array_equal(mlc.compile(module).g(x), x.reshape(3, 4))
    with pytest.raises(ValueError, match="input_shapes: y are not graph inputs"):
        import_model(model, input_shapes={"y": [1]})


@pytest.mark.parametrize(
    ("node", "inputs", "message"),
    [
        (
            helper.make_node("Conv", ["x", "x"], ["y"], name="conv1"),
            [("x", F, [1, 1, 3, 3])],
            "node 'conv1' (Conv): no translation for this op",
        ),
        (
            helper.make_node("Relu", ["x"], ["y"], name="r"),
            [("x", TensorProto.UINT8, [3])],
            "graph input 'x' has element type UINT8, which nn does not have",
        ),
        (
            helper.make_node("Div", ["x", "x"], ["y"], name="idiv"),
            [("x", TensorProto.INT32, [3])],
            "node 'idiv' (Div): div: expects floating-point elements, got i32",
        ),
        (
            helper.make_node("Relu", ["x"], ["y"], domain="com.microsoft"),
            [("x", F, [3])],
            "node '#0' (Relu): ops of domain 'com.microsoft' are not supported",
        ),
        (
            helper.make_node("Relu", ["missing"], ["y"]),
            [("x", F, [3])],
            "uses 'missing', which nothing defines",
        ),
    ],
)
def test_unsupported_models_name_the_node(node, inputs, message):
    model = _model([node], inputs, [("y", F, None)])
    with pytest.raises(UnsupportedModelError) as error:
        import_model(model)
    assert message in str(error.value)


def test_import_model_api_misuse():
    with pytest.raises(TypeError, match="model: expected a ModelProto, bytes or a path"):
        import_model(42)


def test_command_line(tmp_path, capsys):
    path = tmp_path / "mlp.onnx"
    onnx.save(_mlp(), str(path))
    out = tmp_path / "mlp.mlir"
    assert mlc_import_onnx.main([str(path), "-o", str(out), "--name", "mlp"]) == 0
    module = mlc.parse(out.read_text())
    assert "func.func @mlp(%x: tensor<4x8xf32>)" in mlc.print(module)
    bad = _model(
        [helper.make_node("Conv", ["x", "x"], ["y"], name="conv1")],
        [("x", F, [1])],
        [("y", F, None)],
    )
    onnx.save(bad, str(path))
    assert mlc_import_onnx.main([str(path)]) == 1
    assert capsys.readouterr().err == (
        "mlc-import-onnx: error: node 'conv1' (Conv): no translation for this op\n"
    )
    assert mlc_import_onnx.main([str(path), "--input-shape", "x"]) == 1
    assert "--input-shape expects NAME=D0,D1,..." in capsys.readouterr().err
