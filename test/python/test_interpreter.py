"""The interpreter's evaluator: API, argument checking, calls, registry and errors.

The semantics of each nn op are tested in `test_interpreter_ops.py`; the command-line
helpers in `test_interpreter_cli.py`.
"""

from __future__ import annotations

import re

import ml_dtypes
import numpy as np
import pytest
from xdsl.dialects.builtin import (
    IndexType,
    IntegerType,
    Signedness,
    TensorType,
    bf16,
    f16,
    f32,
    f64,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def

from mlc.context import make_context
from mlc.diagnostics import CompileError, LocParser
from mlc.dialects import nn
from mlc.interpreter import InterpreterError, implements, numpy_dtype, run

PROGRAM = """\
func.func @affine(%x: tensor<4x8xf32>, %scale: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = nn.mul %x, %scale : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
func.func @two(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<f32>) {
  %n = nn.neg %x : tensor<4x8xf32>
  %s = nn.reduce_sum %x axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  func.return %n, %s : tensor<4x8xf32>, tensor<f32>
}
func.func @none() {
  func.return
}
func.func @identity(%x: tensor<3xi32>) -> tensor<3xi32> {
  func.return %x : tensor<3xi32>
}
func.func private @square(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.mul %x, %x : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
func.func @calls(%x: tensor<4x8xf32>, %scale: tensor<8xf32>) -> tensor<4x8xf32> {
  %a = func.call @square(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = func.call @affine(%a, %scale) : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  func.return %b : tensor<4x8xf32>
}
func.func private @external(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @calls_external(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = func.call @external(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
"""


def parse(text: str, name: str = "test.mlir"):
    module = LocParser(make_context(), text, name).parse_module()
    module.verify()
    return module


@pytest.fixture(scope="module")
def program():
    return parse(PROGRAM)


def x48(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((4, 8)).astype(np.float32)


def scale8() -> np.ndarray:
    return np.linspace(-1, 1, 8, dtype=np.float32)


# ---------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize(
    ("element", "dtype"),
    [
        (f16, np.float16),
        (bf16, ml_dtypes.bfloat16),
        (f32, np.float32),
        (f64, np.float64),
        (i1, np.bool_),
        (i32, np.int32),
        (i64, np.int64),
    ],
)
def test_numpy_dtype(element, dtype):
    assert numpy_dtype(element) == np.dtype(dtype)


@pytest.mark.parametrize(
    "element", [i8, IndexType(), IntegerType(32, Signedness.SIGNED), TensorType(f32, [2])]
)
def test_numpy_dtype_rejects_what_nn_does_not_support(element):
    with pytest.raises(TypeError, match="has no numpy dtype"):
        numpy_dtype(element)


# ---------------------------------------------------------------------------
# Results


def test_one_result_is_an_array(program):
    x, s = x48(), scale8()
    out = run(program, "affine", x, s)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, x * s, strict=True)


def test_several_results_are_a_tuple_and_rank_0_stays_an_array(program):
    x = x48()
    negated, total = run(program, "two", x)
    np.testing.assert_array_equal(negated, -x, strict=True)
    assert isinstance(total, np.ndarray) and total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total, x.astype(np.float64).sum(), rtol=1e-5)


def test_no_result_is_none(program):
    assert run(program, "none") is None


def test_results_never_alias_the_arguments(program):
    x = np.array([1, 2, 3], np.int32)
    out = run(program, "identity", x)
    assert not np.shares_memory(out, x)
    out[0] = 7
    assert x[0] == 1


def test_arguments_are_not_modified(program):
    x = x48()
    before = x.copy()
    run(program, "two", x)
    np.testing.assert_array_equal(x, before, strict=True)


def test_func_call_runs_other_functions_including_private_ones(program):
    x, s = x48(), scale8()
    np.testing.assert_array_equal(run(program, "calls", x, s), (x * x) * s, strict=True)


# ---------------------------------------------------------------------------
# Argument checking: strict, and the messages name the argument


def test_unknown_function(program):
    with pytest.raises(
        ValueError, match=r"no function @nope in the module \(functions: @affine, @two"
    ):
        run(program, "nope")


def test_wrong_number_of_arguments(program):
    with pytest.raises(
        TypeError, match=r"@affine takes 2 arguments \(tensor<4x8xf32>, tensor<8xf32>\), got 1"
    ):
        run(program, "affine", x48())


@pytest.mark.parametrize(
    ("value", "got"),
    [([1.0] * 8, "list"), (1.5, "float"), (np.float32(1.5), "float32"), (None, "NoneType")],
)
def test_arguments_must_be_ndarrays(program, value, got):
    with pytest.raises(
        TypeError,
        match=rf"argument #1 \(%scale\): expected a numpy.ndarray of dtype float32 and shape \(8,\), got {got}$",
    ):
        run(program, "affine", x48(), value)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.dtype(">f4")])
def test_arguments_must_have_the_exact_dtype(program, dtype):
    with pytest.raises(TypeError, match=r"argument #0 \(%x\): expected dtype float32 \(f32\), got"):
        run(program, "affine", x48().astype(dtype), scale8())


@pytest.mark.parametrize("shape", [(4, 9), (8, 4), (32,), (1, 4, 8)])
def test_arguments_must_have_the_exact_shape(program, shape):
    x = np.zeros(shape, np.float32)
    message = f"argument #0 (%x): expected shape (4, 8), got {shape}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        run(program, "affine", x, scale8())


def test_argument_without_a_name_is_named_by_position(build_module):
    module = build_module(nn.ExpOp, [TensorType(f32, [2])])
    with pytest.raises(ValueError, match=r"^argument #0: expected shape \(2,\), got \(3,\)$"):
        run(module, "f", np.zeros(3, np.float32))


# ---------------------------------------------------------------------------
# IR the interpreter cannot run: located errors


def test_unknown_op_is_a_located_error():
    module = parse(
        "func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {\n"
        "  %y = tensor.empty() : tensor<2xf32>\n"
        "  func.return %y : tensor<2xf32>\n"
        "}\n",
        "unknown.mlir",
    )
    with pytest.raises(InterpreterError) as info:
        run(module, "f", np.zeros(2, np.float32))
    assert str(info.value) == (
        "unknown.mlir:2:3: error: 'tensor.empty' op has no interpreter implementation"
    )
    assert isinstance(info.value, CompileError)


def test_calling_a_declaration_is_an_error(program):
    with pytest.raises(
        InterpreterError,
        match=r"test.mlir:25:1: error: function @external is a declaration without a body",
    ):
        run(program, "calls_external", x48())


def test_branches_are_unsupported():
    module = parse(
        "func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {\n"
        "  cf.br ^bb1\n"
        "^bb1:\n"
        "  func.return %x : tensor<2xf32>\n"
        "}\n",
        "branch.mlir",
    )
    with pytest.raises(
        InterpreterError, match=r"branch.mlir:2:3: error: 'cf.br' op branches to another block"
    ):
        run(module, "f", np.zeros(2, np.float32))


# ---------------------------------------------------------------------------
# The registry: new dialects plug in without touching the evaluator


@irdl_op_definition
class TwiceOp(IRDLOperation):
    name = "test.twice"
    input = operand_def(TensorType)
    result = result_def(TensorType)


@irdl_op_definition
class BrokenOp(IRDLOperation):
    name = "test.broken"
    input = operand_def(TensorType)
    result = result_def(TensorType)


TEST_DIALECT = Dialect("test", [TwiceOp, BrokenOp])


@implements(TwiceOp)
def _twice(op: TwiceOp, x: np.ndarray) -> np.ndarray:
    return x + x


@implements(BrokenOp)
def _broken(op: BrokenOp, x: np.ndarray) -> np.ndarray:
    return x.astype(np.float64)  # the IR says f32: the evaluator must notice


def parse_with_test_dialect(text: str):
    ctx = make_context()
    ctx.load_dialect(TEST_DIALECT)
    module = LocParser(ctx, text, "ext.mlir").parse_module()
    module.verify()
    return module


def test_a_new_op_plugs_in_through_implements():
    module = parse_with_test_dialect(
        "func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {\n"
        '  %y = "test.twice"(%x) : (tensor<3xf32>) -> tensor<3xf32>\n'
        "  %z = nn.exp %y : tensor<3xf32>\n"
        "  func.return %z : tensor<3xf32>\n"
        "}\n"
    )
    x = np.array([0.0, 0.5, 1.0], np.float32)
    np.testing.assert_array_equal(run(module, "f", x), np.exp(x + x), strict=True)


def test_a_result_of_the_wrong_type_is_reported_at_the_op():
    module = parse_with_test_dialect(
        "func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {\n"
        '  %y = "test.broken"(%x) : (tensor<3xf32>) -> tensor<3xf32>\n'
        "  func.return %y : tensor<3xf32>\n"
        "}\n"
    )
    with pytest.raises(
        InterpreterError,
        match=r"ext.mlir:2:3: error: 'test.broken' op: implementation produced float64\[3\] for tensor<3xf32> \(an interpreter bug\)",
    ):
        run(module, "f", np.zeros(3, np.float32))


def test_registering_an_op_twice_is_an_error():
    with pytest.raises(ValueError, match="AddOp already has an interpreter implementation"):
        implements(nn.AddOp)(lambda op, a, b: a)
