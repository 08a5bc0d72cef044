"""The evaluator: runs `func.func` bodies op by op on numpy arrays.

Values are numpy arrays (`np.ndarray`, rank-0 arrays for rank-0 tensors), kept in an
SSA environment while a block runs. Each op is evaluated by the function registered
for its class with `@implements`; the evaluator itself knows only about blocks,
terminators and the registry, so a new dialect plugs in its ops without touching this
file. `func.call` is registered like any other op, and an op with a region (a fused
kernel, say) evaluates its body by calling `run_block` from its implementation.

After every op the evaluator checks that each tensor result has exactly the dtype and
shape of the op's result type. This catches a wrong implementation at the op that is
wrong rather than far downstream, and it is why `run` expects verified IR: the types
in the IR are the contract every implementation is held to.

Arguments are checked strictly: `run` accepts only `np.ndarray`s of exactly the
dtype (`numpy_dtype`) and shape of the parameter, with no conversion of Python
scalars, lists or other dtypes. An oracle that silently converted its inputs would
hide the very mismatches differential tests are meant to find.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ml_dtypes
import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.traits import IsTerminator, SymbolTable

from mlc.diagnostics import CompileError
from mlc.dtypes import element_dtype

__all__ = [
    "Implementation",
    "InterpreterError",
    "call_function",
    "check_arguments",
    "implementation_for",
    "implements",
    "lookup_function",
    "numpy_dtype",
    "run",
    "run_block",
]


class InterpreterError(CompileError):
    """An op that cannot be evaluated: unsupported, or given values it rejects.

    Located at the op like any `CompileError` (`file:line:col: error: 'nn.gather' op
    ...` when the IR was parsed with locations), so tools report it the same way.
    """


# ---------------------------------------------------------------------------
# Element types


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The numpy dtype that holds elements of `element_type` (see `mlc.dtypes`).

    Raises TypeError for an element type nn does not support.
    """
    return element_dtype(str(element_type))


# ---------------------------------------------------------------------------
# The registry

Implementation = Callable[..., Any]
"""`impl(op, *operand_values)`: the op's result value, or a tuple of its results."""

_IMPLEMENTATIONS: dict[type[Operation], Implementation] = {}

_F = TypeVar("_F", bound=Implementation)


def round_to(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`x` converted to `dtype`, rounded once to nearest even.

    ml_dtypes converts f64 to bf16 through f32, rounding twice; rounding to f32 "to
    odd" first makes the second rounding the correct one.
    """
    x = np.asarray(x)
    if np.dtype(dtype) == np.dtype(ml_dtypes.bfloat16) and x.dtype == np.float64:
        x = _to_f32_rounding_to_odd(x)
    return x.astype(dtype)


def _to_f32_rounding_to_odd(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        nearest = x.astype(np.float32)
        back = nearest.astype(np.float64)
        inexact = np.isfinite(x) & (back != x)
        truncated = np.where(
            inexact & (np.abs(back) > np.abs(x)), np.nextafter(nearest, np.float32(0)), nearest
        )
        bits = truncated.view(np.uint32)
        return np.where(inexact, bits | np.uint32(1), bits).view(np.float32)


def implements(*op_classes: type[Operation]) -> Callable[[_F], _F]:
    """Register the decorated function as the implementation of `op_classes`.

    The function is called as `impl(op, *operand_values)` and returns the result value
    for a one-result op or a tuple of results otherwise. Registering a class twice is
    an error, so two modules cannot silently fight over an op.
    """

    def register(impl: _F) -> _F:
        for cls in op_classes:
            if cls in _IMPLEMENTATIONS:
                raise ValueError(f"{cls.__name__} already has an interpreter implementation")
            _IMPLEMENTATIONS[cls] = impl
        return impl

    return register


def implementation_for(op: Operation) -> Implementation:
    """The registered implementation of `op`; InterpreterError when there is none."""
    impl = _IMPLEMENTATIONS.get(type(op))
    if impl is None:
        raise InterpreterError.at(op, f"'{op.name}' op has no interpreter implementation")
    return impl


# ---------------------------------------------------------------------------
# Evaluation


def run_block(block: Block, args: Sequence[Any]) -> tuple[Any, ...]:
    """Evaluate `block` with its arguments bound to `args`; the terminator's operands.

    The terminator (`func.return`, a yield) must not branch: control flow between
    blocks is not supported. An op with a region evaluates its body with this.
    """
    env: dict[SSAValue, Any] = dict(zip(block.args, args, strict=True))
    for op in block.ops:
        operands = [env[v] for v in op.operands]
        if op.has_trait(IsTerminator):
            if op.successors:
                raise InterpreterError.at(
                    op, f"'{op.name}' op branches to another block; unsupported"
                )
            return tuple(operands)
        for result, value in zip(op.results, evaluate(op, operands), strict=True):
            env[result] = _checked_result(op, result, value)
    return ()  # a block without terminator (a NoTerminator region) yields nothing


def evaluate(op: Operation, operands: Sequence[Any]) -> tuple[Any, ...]:
    """The values of `op`'s results from its registered implementation."""
    results = implementation_for(op)(op, *operands)
    if not isinstance(results, tuple):
        results = (results,)
    if len(results) != len(op.results):
        raise InterpreterError.at(
            op,
            f"'{op.name}' op: implementation returned {len(results)} values "
            f"for {len(op.results)} results",
        )
    return results


def _checked_result(op: Operation, result: SSAValue, value: Any) -> Any:
    """`value` as an ndarray if `result` is a tensor, after checking dtype and shape."""
    if not isinstance(result.type, TensorType):
        return value
    array = np.asarray(value)  # numpy turns rank-0 results into scalars
    dtype, shape = numpy_dtype(result.type.element_type), tuple(result.type.get_shape())
    if array.dtype != dtype or array.shape != shape:
        raise InterpreterError.at(
            op,
            f"'{op.name}' op: implementation produced {array.dtype}{list(array.shape)} "
            f"for {result.type} (an interpreter bug)",
        )
    return array


def call_function(function: func.FuncOp, args: Sequence[Any]) -> tuple[Any, ...]:
    """Evaluate `function` on `args` (unchecked) and return its results."""
    if function.is_declaration:
        raise InterpreterError.at(
            function, f"function @{function.sym_name.data} is a declaration without a body"
        )
    return run_block(function.body.blocks[0], args)  # a branch out of it is reported


@implements(func.CallOp)
def _call(op: func.CallOp, *args: Any) -> tuple[Any, ...]:
    callee = SymbolTable.lookup_symbol(op, op.callee)
    assert isinstance(callee, func.FuncOp), "the verifier checks that the callee exists"
    return call_function(callee, args)


def _describe_argument(index: int, arg: SSAValue) -> str:
    return f"argument #{index}" + (f" (%{arg.name_hint})" if arg.name_hint else "")


def lookup_function(module: ModuleOp, func_name: str) -> func.FuncOp:
    """The `func.func` named `func_name` in `module`; ValueError listing them if absent."""
    function = SymbolTable.lookup_symbol(module, func_name)
    if not isinstance(function, func.FuncOp):
        names = ", ".join(f"@{f.sym_name.data}" for f in module.ops if isinstance(f, func.FuncOp))
        raise ValueError(f"no function @{func_name} in the module (functions: {names or 'none'})")
    return function


def check_arguments(function: func.FuncOp, args: Sequence[Any]) -> None:
    """Check `args` against the parameters of `function`, strictly (see module doc).

    TypeError for a wrong count, a non-array or a wrong dtype; ValueError for a wrong
    shape. Messages name the argument: `argument #1 (%x): expected shape (4, 8), ...`.
    """
    name = function.sym_name.data
    params = function.args
    if len(args) != len(params):
        types = ", ".join(str(p.type) for p in params)
        raise TypeError(f"@{name} takes {len(params)} arguments ({types}), got {len(args)}")
    for index, (param, value) in enumerate(zip(params, args, strict=True)):
        what = _describe_argument(index, param)
        if not isinstance(param.type, TensorType):
            raise TypeError(f"@{name} {what} has type {param.type}; only tensors are supported")
        dtype, shape = numpy_dtype(param.type.element_type), tuple(param.type.get_shape())
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"{what}: expected a numpy.ndarray of dtype {dtype} and shape {shape}, "
                f"got {type(value).__name__}"
            )
        if value.dtype != dtype:
            raise TypeError(
                f"{what}: expected dtype {dtype} ({param.type.element_type}), got {value.dtype}"
            )
        if value.shape != shape:
            raise ValueError(f"{what}: expected shape {shape}, got {value.shape}")


def run(
    module: ModuleOp, func_name: str, *args: np.ndarray
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Evaluate function `@func_name` of a verified `module` on numpy arrays.

    Returns the single result as an array, several as a tuple, none as None. Results
    are fresh arrays that never alias the arguments. Raises ValueError for an unknown
    function, TypeError / ValueError naming the argument for a wrong argument count,
    type, dtype or shape, and InterpreterError (located at the op) for IR that cannot
    be evaluated on these inputs.
    """
    function = lookup_function(module, func_name)
    check_arguments(function, args)
    with np.errstate(all="ignore"):  # IEEE semantics: x/0 is inf, 0/0 is nan, silently
        results = tuple(np.array(r, copy=True) for r in call_function(function, args))
    if not results:
        return None
    return results[0] if len(results) == 1 else results
