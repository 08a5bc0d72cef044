"""The Python construction API of the `nn` dialect.

Constructors infer the result type from operands and parameters exactly as the
parser does for elided result types; parameters are plain Python values; the op
set is split into composites (which `decompose` expands) and primitives.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import pytest
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
    UnitAttr,
    bf16,
    f16,
    f32,
    f64,
    i1,
    i32,
    i64,
)
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.test_value import create_ssa_value

from mlc.context import make_context
from mlc.dialects import nn


def tensor(shape: list[int], element: Attribute = f32) -> TensorType:
    return TensorType(element, shape)


def value(shape: list[int], element: Attribute = f32) -> SSAValue:
    return create_ssa_value(tensor(shape, element))


# ---------------------------------------------------------------------------
# Result type inference


def test_add_broadcasts_and_promotes():
    op = nn.AddOp(value([4, 1], i32), value([8], f16))
    assert op.result.type == tensor([4, 8], f16)
    op.verify()


@pytest.mark.parametrize(
    ("lhs", "rhs", "promoted"),
    [
        (f32, f32, f32),
        (i1, i32, i32),
        (i32, i64, i64),
        (i64, f16, f16),
        (bf16, f32, f32),
        (f16, bf16, f32),
        (bf16, f16, f32),
        (f32, f64, f64),
    ],
)
def test_binary_ops_compute_in_the_promoted_type(lhs, rhs, promoted):
    assert nn.promote_types(lhs, rhs) == promoted
    assert nn.MulOp(value([2], lhs), value([2], rhs)).result.type == tensor([2], promoted)


def test_comparisons_broadcast_and_yield_i1():
    op = nn.LtOp(value([3, 1]), value([5], i64))
    assert op.result.type == tensor([3, 5], i1)


def test_select_broadcasts_all_three_operands():
    op = nn.SelectOp(value([4, 1], i1), value([8], f16), value([4, 8]))
    assert op.result.type == tensor([4, 8], f32)


def test_incompatible_shapes_are_rejected_at_construction():
    with pytest.raises(VerifyException, match=r"shapes \[4\], \[5\] are not broadcast-compatible"):
        nn.AddOp(value([4]), value([5]))


def test_reduce_sum_drops_or_keeps_the_reduced_dims():
    x = value([4, 8])
    dropped = nn.ReduceSumOp(x, axes=[1])
    kept = nn.ReduceSumOp(x, axes=[1], keepdims=True)
    assert dropped.result.type == tensor([4])
    assert kept.result.type == tensor([4, 1])
    assert kept.param("axes") == [1]
    assert kept.param("keepdims") is True
    assert dropped.param("keepdims") is None


def test_false_flags_are_left_out():
    op = nn.ReduceMaxOp(value([4, 8]), axes=[0], keepdims=False)
    assert "keepdims" not in op.properties
    assert op.result.type == tensor([8])


def test_cast_takes_its_result_type_and_defaults_to_the_identity():
    x = value([4, 8])
    assert nn.CastOp(x, result_type=tensor([4, 8], f16)).result.type == tensor([4, 8], f16)
    assert nn.CastOp(x).result.type == tensor([4, 8])


def test_reshape_checks_a_stated_result_type():
    x = value([2, 3])
    nn.ReshapeOp(x, result_type=tensor([6])).verify()
    with pytest.raises(VerifyException, match="must keep the element count"):
        nn.ReshapeOp(x, result_type=tensor([7])).verify()


def test_broadcast_in_dim_needs_its_result_type():
    x = value([8])
    with pytest.raises(VerifyException, match="broadcast_in_dim needs a stated result type"):
        nn.BroadcastInDimOp(x, dims=[1])
    op = nn.BroadcastInDimOp(x, dims=[1], result_type=tensor([4, 8]))
    op.verify()
    assert op.param("dims") == [1]


def test_verify_checks_element_kinds_that_inference_ignores():
    op = nn.ExpOp(value([4], i32))
    assert op.result.type == tensor([4], i32)
    with pytest.raises(VerifyException, match=r"expects floating-point elements, got i32"):
        op.verify()


# ---------------------------------------------------------------------------
# Parameters and optional operands


def test_parameters_are_python_values():
    x = value([2, 4, 8], f16)
    attn = nn.AttentionOp(x, x, x, causal=True, scale=0.125)
    assert attn.param("causal") is True
    assert attn.param("scale") == 0.125
    assert isinstance(attn.properties["causal"], UnitAttr)
    assert nn.AttentionOp(x, x, x).param("causal") is None
    gelu = nn.GeluOp(x, approximate="tanh")
    assert gelu.param("approximate") == "tanh"
    assert nn.GeluOp(x).param("approximate") is None


def test_integer_parameter_values_are_accepted_for_float_parameters():
    op = nn.LayerNormOp(value([4, 8]), axes=[1], eps=0)
    assert op.properties["eps"] == FloatAttr(0.0, f64)


def test_parameter_of_the_wrong_kind_is_rejected():
    with pytest.raises(VerifyException, match=r"invalid value \[1\] for parameter 'axis'"):
        nn.SoftmaxOp(value([4, 8]), axis=[1])


def test_wrong_operand_count_is_rejected():
    with pytest.raises(TypeError, match=r"'nn\.add' expects 2 operands, got 1"):
        nn.AddOp(value([4]))


def test_duplicate_axes_are_rejected():
    with pytest.raises(VerifyException, match=r"^axis list \[1, 1\] contains duplicates$"):
        nn.ReduceSumOp(value([4, 8]), axes=[1, 1])


def test_optional_operands_fill_in_order():
    x, w, b = value([4, 8]), value([8]), value([8])
    ln = nn.LayerNormOp(x, w, axes=[1], eps=1e-5)
    assert ln.weight is not None
    assert ln.bias is None
    full = nn.LayerNormOp(x, w, b, axes=[1], eps=1e-5)
    assert full.bias is not None
    assert nn.RmsNormOp(x, axes=[1], eps=1e-6).weight is None
    linear = nn.LinearOp(x, value([16, 8]))
    assert linear.bias is None
    assert linear.result.type == tensor([4, 16])


def test_splat_stores_a_float_for_float_tensors_and_an_integer_otherwise():
    neg_inf = nn.SplatOp(-math.inf, tensor([4, 4]))
    assert isinstance(neg_inf.value, FloatAttr)
    assert neg_inf.value.value.data == -math.inf
    assert neg_inf.result.type == tensor([4, 4])
    neg_inf.verify()
    ones = nn.SplatOp(1, tensor([3], i1))
    assert ones.value == IntegerAttr(1, i64)
    ones.verify()
    with pytest.raises(VerifyException, match="splat value 2 does not fit in i1"):
        nn.SplatOp(2, tensor([3], i1)).verify()


def test_splat_integer_must_fit_the_element_type():
    with pytest.raises(VerifyException, match="does not fit in i32"):
        nn.SplatOp(2**40, tensor([3], i32)).verify()
    nn.SplatOp(-(2**31), tensor([3], i32)).verify()


def test_constant_takes_the_type_of_its_value():
    data = DenseIntOrFPElementsAttr.from_list(tensor([2]), [1.0, -2.5])
    op = nn.ConstantOp(data)
    assert op.result.type == tensor([2])
    assert op.value == data
    op.verify()


def test_iota_takes_its_result_type():
    nn.IotaOp(dim=1, result_type=tensor([4, 8], i64)).verify()
    with pytest.raises(VerifyException, match=r"cannot produce i1 elements"):
        nn.IotaOp(dim=0, result_type=tensor([4], i1)).verify()


# ---------------------------------------------------------------------------
# Built ops print in the custom syntax and parse back


def test_a_function_built_in_python_prints_the_text_the_parser_reads():
    x_type, w_type = tensor([4, 8]), tensor([8])
    block = Block(arg_types=[x_type, w_type])
    x, w = block.args
    ln = nn.LayerNormOp(x, w, axes=[1], eps=1e-5)
    splat = nn.SplatOp(-math.inf, x_type)
    mx = nn.MaxOp(ln, splat)
    total = nn.ReduceSumOp(mx, axes=[1], keepdims=True)
    gelu = nn.GeluOp(total, approximate="tanh")
    block.add_ops([ln, splat, mx, total, gelu, ReturnOp(gelu)])
    func = FuncOp("f", ([x_type, w_type], [tensor([4, 1])]), Region(block))
    module = ModuleOp([func])
    module.verify()

    stream = io.StringIO()
    Printer(stream=stream).print_op(module)
    expected = """\
builtin.module {
  func.func @f(%0: tensor<4x8xf32>, %1: tensor<8xf32>) -> tensor<4x1xf32> {
    %2 = nn.layer_norm %0, %1 axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    %3 = nn.splat -inf : tensor<4x8xf32>
    %4 = nn.max %2, %3 : tensor<4x8xf32>
    %5 = nn.reduce_sum %4 axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
    %6 = nn.gelu %5 approximate = tanh : tensor<4x1xf32>
    func.return %6 : tensor<4x1xf32>
  }
}"""
    assert stream.getvalue() == expected
    reparsed = Parser(make_context(), expected).parse_module()
    reparsed.verify()
    assert reparsed.is_structurally_equivalent(module)


# ---------------------------------------------------------------------------
# The op set

COMPOSITES = {
    "nn.softmax",
    "nn.log_softmax",
    "nn.layer_norm",
    "nn.rms_norm",
    "nn.gelu",
    "nn.silu",
    "nn.sigmoid",
    "nn.relu",
    "nn.reduce_mean",
    "nn.broadcast_to",
    "nn.linear",
    "nn.attention",
}
PRIMITIVES = {
    *("nn.constant", "nn.splat", "nn.iota"),
    *("nn.neg", "nn.abs", "nn.exp", "nn.log", "nn.sqrt", "nn.rsqrt"),
    *("nn.tanh", "nn.erf", "nn.sin", "nn.cos"),
    *("nn.add", "nn.sub", "nn.mul", "nn.div", "nn.max", "nn.min", "nn.pow"),
    *("nn.eq", "nn.ne", "nn.lt", "nn.le", "nn.gt", "nn.ge", "nn.select", "nn.cast"),
    *("nn.reduce_sum", "nn.reduce_prod", "nn.reduce_max", "nn.reduce_min"),
    *("nn.matmul", "nn.transpose", "nn.reshape", "nn.broadcast_in_dim"),
    *("nn.expand_dims", "nn.squeeze", "nn.concat", "nn.slice", "nn.gather"),
}
OPS = list(nn.NN.operations)


def test_every_op_is_exactly_one_of_composite_or_primitive():
    assert not COMPOSITES & PRIMITIVES
    assert {op.name for op in OPS} == COMPOSITES | PRIMITIVES
    assert {op.name for op in OPS if nn.is_composite(op)} == COMPOSITES


def test_is_composite_works_on_instances_and_classes():
    x = value([4, 8])
    assert nn.is_composite(nn.SoftmaxOp(x, axis=1))
    assert nn.is_composite(nn.SoftmaxOp)
    assert not nn.is_composite(nn.ExpOp(x))
    assert not nn.is_composite(nn.ExpOp)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_documents_itself(op):
    assert op.__doc__ and op.__doc__.strip(), f"{op.name} has no docstring"


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_is_a_pure_nn_op(op):
    assert issubclass(op, nn.NNOp)
    assert op.name.startswith("nn.")
    assert op.has_trait(nn.Pure)


ROUND_TRIP_TESTS = Path(__file__).resolve().parents[1] / "Dialect" / "nn"


def test_every_op_has_a_round_trip_lit_test():
    checked = set()
    for path in ROUND_TRIP_TESTS.glob("*.mlir"):
        text = path.read_text()
        if "MLC_ROUNDTRIP" in text:
            checked |= set(re.findall(r"// CHECK-NEXT: .*= (nn\.\w+)", text))
    assert {op.name for op in OPS} <= checked
