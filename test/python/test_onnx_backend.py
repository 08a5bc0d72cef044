"""The ONNX backend node conformance suite, run by onnx's own BackendTest against mlc.

`onnx.backend.test.BackendTest(mlc.frontends.onnx.backend, __name__)` turns onnx's
node cases into unittest cases (`OnnxBackendNodeModelTest.test_<case>_cpu`); this
file includes up to three passing cases per supported op (and a few cases of
functions expanded into their ONNX bodies), about 200 cases at ~0.1 s of import and
compilation each. The whole suite, with pass / fail / unsupported counts, is
`python -m mlc.frontends.onnx.conformance`.

Generating every node case takes ~14 s (mostly the pooling ops' reference
outputs), so the runner is given the cases of `CASE_MODULES` only: its
`load_model_tests` is replaced while it is built, nothing else.
"""

from __future__ import annotations

from unittest import mock

import pytest

pytest.importorskip("onnx", reason="onnx is not installed (pip install -e '.[onnx]')")

import onnx.backend.test
import onnx.backend.test.runner

import mlc.frontends.onnx.backend as mlc_backend
from mlc.frontends.onnx.conformance import load_cases

CASE_MODULES = [
    "abs",
    "add",
    "and_",
    "cast",
    "castlike",
    "celu",
    "clip",
    "concat",
    "constant",
    "constantofshape",
    "cos",
    "div",
    "dropout",
    "elu",
    "equal",
    "erf",
    "exp",
    "expand",
    "eyelike",
    "flatten",
    "gather",
    "gelu",
    "gemm",
    "greater",
    "greater_or_equal",
    "hardsigmoid",
    "hardswish",
    "identity",
    "layernormalization",
    "leakyrelu",
    "less",
    "less_or_equal",
    "log",
    "logsoftmax",
    "matmul",
    "max",
    "mean",
    "min",
    "mish",
    "mul",
    "neg",
    "not_",
    "or_",
    "pow",
    "prelu",
    "rangeop",
    "reciprocal",
    "reduce_log_sum",
    "reduce_log_sum_exp",
    "reducel1",
    "reducel2",
    "reducemax",
    "reducemean",
    "reducemin",
    "reduceprod",
    "reducesum",
    "reducesumsquare",
    "relu",
    "reshape",
    "rmsnormalization",
    "selu",
    "shape",
    "sigmoid",
    "sin",
    "size",
    "slice",
    "softmax",
    "softplus",
    "softsign",
    "split",
    "sqrt",
    "squeeze",
    "sub",
    "sum",
    "tanh",
    "thresholdedrelu",
    "tile",
    "transpose",
    "unsqueeze",
    "where",
    "xor",
]
"""The modules of `onnx.backend.test.case.node` that generate the cases below."""

CASES = {
    "Abs": ["abs"],
    "Add": ["add", "add_bcast"],
    "And": ["and2d", "and3d", "and4d"],
    "Cast": ["cast_FLOAT_to_FLOAT16", "cast_FLOAT_to_DOUBLE", "cast_FLOAT16_to_FLOAT"],
    "CastLike": [
        "castlike_FLOAT_to_FLOAT16",
        "castlike_FLOAT_to_DOUBLE",
        "castlike_FLOAT16_to_FLOAT",
    ],
    "Celu": ["celu", "celu_float16", "celu_bfloat16"],
    "Clip": ["clip_example", "clip", "clip_inbounds"],
    "Concat": ["concat_1d_axis_0", "concat_1d_axis_negative_1", "concat_2d_axis_0"],
    "Constant": ["constant"],
    "ConstantOfShape": [
        "constantofshape_float_ones",
        "constantofshape_int_zeros",
        "constantofshape_int_shape_zero",
    ],
    "Cos": ["cos_example", "cos"],
    "Div": ["div_example", "div", "div_bcast"],
    "Dropout": ["dropout_default", "dropout_default_ratio", "dropout_default_mask"],
    "Elu": ["elu_example", "elu", "elu_default"],
    "Equal": ["equal", "equal_bcast"],
    "Erf": ["erf"],
    "Exp": ["exp_example", "exp"],
    "Expand": ["expand_dim_changed", "expand_dim_unchanged"],
    "EyeLike": [
        "eyelike_without_dtype",
        "eyelike_with_dtype",
        "eyelike_populate_off_main_diagonal",
    ],
    "Flatten": ["flatten_axis0", "flatten_axis1", "flatten_axis2"],
    "Gather": ["gather_0", "gather_1", "gather_2d_indices"],
    "Gelu": ["gelu_tanh_1", "gelu_tanh_2", "gelu_default_1"],
    "Gemm": ["gemm_default_zero_bias", "gemm_default_no_bias", "gemm_default_scalar_bias"],
    "Greater": ["greater", "greater_bcast"],
    "GreaterOrEqual": ["greater_equal", "greater_equal_bcast"],
    "HardSigmoid": ["hardsigmoid_example", "hardsigmoid", "hardsigmoid_default"],
    "HardSwish": ["hardswish"],
    "Identity": ["identity"],
    "LayerNormalization": [
        "layer_normalization_4d_axis0",
        "layer_normalization_4d_axis_negative_4",
        "layer_normalization_4d_axis1",
    ],
    "LeakyRelu": ["leakyrelu_example", "leakyrelu", "leakyrelu_default"],
    "Less": ["less", "less_bcast"],
    "LessOrEqual": ["less_equal", "less_equal_bcast"],
    "Log": ["log_example", "log"],
    "LogSoftmax": ["logsoftmax_example_1", "logsoftmax_large_number", "logsoftmax_axis_0"],
    "MatMul": ["matmul_2d", "matmul_3d", "matmul_4d"],
    "Max": ["max_example", "max_one_input", "max_two_inputs"],
    "Mean": ["mean_example", "mean_one_input", "mean_two_inputs"],
    "Min": ["min_example", "min_one_input", "min_two_inputs"],
    "Mish": ["mish"],
    "Mul": ["mul_example", "mul", "mul_bcast"],
    "Neg": ["neg_example", "neg"],
    "Not": ["not_2d", "not_3d", "not_4d"],
    "Or": ["or2d", "or3d", "or4d"],
    "PRelu": ["prelu_example", "prelu_broadcast"],
    "Pow": ["pow_example", "pow", "pow_bcast_scalar"],
    "RMSNormalization": [
        "rms_normalization_4d_axis0",
        "rms_normalization_4d_axis_negative_4",
        "rms_normalization_4d_axis1",
    ],
    "Range": [
        "range_float_type_positive_delta",
        "range_float16_type_positive_delta",
        "range_bfloat16_type_positive_delta",
    ],
    "Reciprocal": ["reciprocal_example", "reciprocal"],
    "ReduceL1": [
        "reduce_l1_do_not_keepdims_example",
        "reduce_l1_do_not_keepdims_random",
        "reduce_l1_keep_dims_example",
    ],
    "ReduceL2": [
        "reduce_l2_do_not_keepdims_example",
        "reduce_l2_do_not_keepdims_random",
        "reduce_l2_keep_dims_example",
    ],
    "ReduceLogSum": [
        "reduce_log_sum_desc_axes",
        "reduce_log_sum_asc_axes",
        "reduce_log_sum_default",
    ],
    "ReduceLogSumExp": [
        "reduce_log_sum_exp_do_not_keepdims_example",
        "reduce_log_sum_exp_do_not_keepdims_random",
        "reduce_log_sum_exp_keepdims_example",
    ],
    "ReduceMax": [
        "reduce_max_do_not_keepdims_example",
        "reduce_max_do_not_keepdims_random",
        "reduce_max_keepdims_example",
    ],
    "ReduceMean": [
        "reduce_mean_do_not_keepdims_example",
        "reduce_mean_do_not_keepdims_random",
        "reduce_mean_keepdims_example",
    ],
    "ReduceMin": [
        "reduce_min_do_not_keepdims_example",
        "reduce_min_do_not_keepdims_random",
        "reduce_min_keepdims_example",
    ],
    "ReduceProd": [
        "reduce_prod_do_not_keepdims_example",
        "reduce_prod_do_not_keepdims_random",
        "reduce_prod_keepdims_example",
    ],
    "ReduceSum": [
        "reduce_sum_do_not_keepdims_example",
        "reduce_sum_do_not_keepdims_random",
        "reduce_sum_keepdims_example",
    ],
    "ReduceSumSquare": [
        "reduce_sum_square_do_not_keepdims_example",
        "reduce_sum_square_do_not_keepdims_random",
        "reduce_sum_square_keepdims_example",
    ],
    "Relu": ["relu"],
    "Reshape": [
        "reshape_reordered_all_dims",
        "reshape_reordered_last_dims",
        "reshape_reduced_dims",
    ],
    "Selu": ["selu_example", "selu", "selu_default"],
    "Shape": ["shape_example", "shape", "shape_start_1"],
    "Sigmoid": ["sigmoid_example", "sigmoid"],
    "Sin": ["sin_example", "sin"],
    "Size": ["size_example", "size"],
    "Slice": ["slice", "slice_neg", "slice_start_out_of_bounds"],
    "Softmax": ["softmax_example", "softmax_large_number", "softmax_axis_0"],
    "Softplus": ["softplus_example", "softplus"],
    "Softsign": ["softsign_example", "softsign"],
    "Split": [
        "split_equal_parts_1d_opset13",
        "split_variable_parts_1d_opset13",
        "split_equal_parts_2d_opset13",
    ],
    "Sqrt": ["sqrt_example", "sqrt"],
    "Squeeze": ["squeeze", "squeeze_negative_axes"],
    "Sub": ["sub_example", "sub", "sub_bcast"],
    "Sum": ["sum_example", "sum_one_input", "sum_two_inputs"],
    "Tanh": ["tanh_example", "tanh"],
    "ThresholdedRelu": ["thresholdedrelu_example", "thresholdedrelu", "thresholdedrelu_default"],
    "Tile": ["tile", "tile_precomputed"],
    "Transpose": [
        "transpose_default",
        "transpose_all_permutations_0",
        "transpose_all_permutations_1",
    ],
    "Unsqueeze": ["unsqueeze_axis_0", "unsqueeze_axis_1", "unsqueeze_axis_2"],
    "Where": ["where_example", "where_long_example"],
    "Xor": ["xor2d", "xor3d", "xor4d"],
    "(expanded functions)": [
        "celu_expanded",
        "gelu_tanh_1_expanded",
        "hardsigmoid_example_expanded_ver18",
        "layer_normalization_2d_axis0_expanded",
        "logsoftmax_axis_1_expanded_ver18",
        "softmax_axis_0_expanded",
    ],
}
"""Passing node cases run in CI, by op (names without `test_`)."""


def _backend_test() -> onnx.backend.test.BackendTest:
    wanted = {f"test_{name}" for names in CASES.values() for name in names}
    cases = [c for c in load_cases(CASE_MODULES) if c.name in wanted]
    missing = wanted - {c.name for c in cases}
    assert not missing, f"onnx no longer generates {sorted(missing)}"

    def load_model_tests(data_dir: str | None = None, kind: str | None = None) -> list:
        return cases if kind == "node" else []

    with mock.patch.object(onnx.backend.test.runner, "load_model_tests", load_model_tests):
        backend_test = onnx.backend.test.BackendTest(mlc_backend, __name__)
    for name in sorted(wanted):
        backend_test.include(f"^{name}_cpu$")
    return backend_test


globals().update(_backend_test().test_cases)


def test_cuda_is_not_a_device():
    assert mlc_backend.supports_device("CPU")
    assert not mlc_backend.supports_device("CUDA")
