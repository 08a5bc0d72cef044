"""Fixtures shared by the Python tests.

`evaluate` runs one op (or a small chain) through the numpy interpreter without
writing IR text: it builds `func.func @f` from the argument arrays' types, lets the
test construct ops on the block arguments, verifies, and runs. `build_module` is the
building half alone.

The on-disk compile cache is off for the whole session, in this process and in the
tools the tests start (MLC_CACHE=0): a test compiles what it tests. The cache's own
tests turn it on, in a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, bf16, f16, f32, f64, i1, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region

from mlc.interpreter import run
from mlc.settings import configure

os.environ["MLC_CACHE"] = "0"
configure(cache=False)

# Written out here, not taken from mlc.interpreter.numpy_dtype: the tests check that.
ELEMENT_TYPES: dict[np.dtype, Attribute] = {
    np.dtype(np.float16): f16,
    np.dtype(ml_dtypes.bfloat16): bf16,
    np.dtype(np.float32): f32,
    np.dtype(np.float64): f64,
    np.dtype(np.bool_): i1,
    np.dtype(np.int32): i32,
    np.dtype(np.int64): i64,
}


def tensor_of(array: np.ndarray) -> TensorType:
    """The tensor type of a numpy array."""
    return TensorType(ELEMENT_TYPES[array.dtype], list(array.shape))


def build_function(
    make: Callable[..., Operation | list[Operation]], arg_types: list[TensorType]
) -> ModuleOp:
    """`func.func @f` over `arg_types` returning the result(s) of the op(s) `make` builds.

    `make` receives the block arguments and returns one op or a list of ops; every op
    is added to the body and the results of the last one are returned.
    """
    block = Block(arg_types=arg_types)
    made = make(*block.args)
    ops = made if isinstance(made, list) else [made]
    block.add_ops(ops)
    results = list(ops[-1].results)
    block.add_op(func.ReturnOp(*results))
    function = func.FuncOp("f", (arg_types, [r.type for r in results]), Region(block))
    module = ModuleOp([function])
    module.verify()
    return module


def _evaluate(make: Callable[..., Operation | list[Operation]], *arrays: np.ndarray) -> Any:
    module = build_function(make, [tensor_of(a) for a in arrays])
    return run(module, "f", *arrays)


@pytest.fixture
def evaluate() -> Callable[..., Any]:
    """`evaluate(lambda x, y: nn.AddOp(x, y), a, b)`: the interpreter's result."""
    return _evaluate


@pytest.fixture
def build_module() -> Callable[..., ModuleOp]:
    """`build_module(make, arg_types)`: see `build_function`."""
    return build_function
