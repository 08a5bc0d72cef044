"""numpy implementation of `loop.kernel`: the reference that fusion is checked against.

A kernel body runs, in effect, once per point of its iteration domain. The
interpreter evaluates it **vectorised over the whole domain**, one op at a time:
every body value is an array with one axis per domain dim, whose extent along dim d
is the dim's size if the value may vary along d and 1 if it does not (numpy
broadcasting does the rest). A domain index `%i` of dim d is `arange(size)` along
axis d; a constant has extent 1 everywhere; a `loop.reduce` result has extent 1
along the reduction dims. No Python loop runs over domain points.

* `loop.load` evaluates its affine index expressions on the index arrays (`floordiv`,
  `ceildiv` and `mod` round like Python's `//`: toward -inf, so `mod` of a positive
  divisor is never negative), checks that every index is in bounds and gathers with
  fancy indexing. An index out of `[0, size)` is an `InterpreterError` naming the op,
  the index and the domain point: compiled code must never read out of bounds, so
  the oracle refuses such inputs.
* `loop.reduce` broadcasts its operand to the full extent of the kernel's reduction
  dims and reduces over all of them (keeping them as extent-1 axes) in the operand's
  own type: add, mul, max, min; an empty extent gives the identity (0, 1, -inf or the
  smallest integer, +inf or the largest integer); max and min propagate NaN. Integers
  reduce as signed two's complement and wrap. The order of a float sum is numpy's,
  so results are exact only up to reassociation.
* `loop.store` writes the value at the mapped indices of the output; outputs start
  as `np.empty` (the verifier guarantees that stores cover them).
* Everything else in a body is a scalar `arith` or `math` op, evaluated by its
  registered implementation (`scalar_ops`) on the arrays.

Which points an op runs at: an op runs at every combination of the dims its value
varies over, even when another dim of the domain is empty. So a load or a division
that does not depend on an empty dim is still checked (a compiled kernel may hoist
it out of that loop); one that depends on an empty dim runs nowhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import ShapedType, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from mlc.dialects.loop import KernelOp, LoadOp, ReduceOp, StoreOp
from mlc.interpreter import scalar_ops
from mlc.interpreter.core import InterpreterError, evaluate, implements, numpy_dtype

__all__ = ["evaluate_index"]

_REDUCERS: dict[str, np.ufunc] = {
    "add": np.add,
    "mul": np.multiply,
    "max": np.maximum,
    "min": np.minimum,
}


# ---------------------------------------------------------------------------
# Index expressions


def evaluate_index(expr: AffineExpr, dims: Sequence[np.ndarray], op: Operation) -> np.ndarray:
    """`expr` evaluated element-wise with `dims[k]` for `d<k>` (int64 arrays).

    floordiv, ceildiv and mod round toward -inf (MLIR's semantics, Python's `//`); a
    zero divisor is an InterpreterError located at `op`.
    """
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, AffineConstantExpr):
        return np.asarray(expr.value, dtype=np.int64)
    if not isinstance(expr, AffineBinaryOpExpr):
        raise InterpreterError.at(op, f"'{op.name}' op: unsupported index expression {expr}")
    lhs, rhs = evaluate_index(expr.lhs, dims, op), evaluate_index(expr.rhs, dims, op)
    match expr.kind:
        case AffineBinaryOpKind.Add:
            return lhs + rhs
        case AffineBinaryOpKind.Mul:
            return lhs * rhs
    if np.any(rhs == 0):
        raise InterpreterError.at(op, f"'{op.name}' op: division by zero in index {expr}")
    match expr.kind:
        case AffineBinaryOpKind.FloorDiv:
            return np.floor_divide(lhs, rhs)
        case AffineBinaryOpKind.CeilDiv:
            return -np.floor_divide(-lhs, rhs)
        case AffineBinaryOpKind.Mod:
            return np.remainder(lhs, rhs)
    raise InterpreterError.at(op, f"'{op.name}' op: unsupported index expression {expr}")


# ---------------------------------------------------------------------------
# The kernel


class _Kernel:
    """The state of one kernel evaluation: the SSA environment over the domain."""

    def __init__(self, op: KernelOp, inputs: Sequence[np.ndarray]) -> None:
        self.op, self.sizes, self.rank = op, op.sizes, op.rank
        self.env: dict[SSAValue, np.ndarray] = {}
        for d, (iv, size) in enumerate(zip(op.ivs, self.sizes, strict=True)):
            self.env[iv] = self.along(np.arange(size, dtype=np.int64), d)
        self.env.update(zip(op.input_args, inputs, strict=True))
        self.outputs = [
            np.empty(tuple(r.type.get_shape()), self.dtype(op, r.type.element_type))
            for r in op.outputs
        ]
        self.env.update(zip(op.output_args, self.outputs, strict=True))

    @staticmethod
    def dtype(op: Operation, element_type: Attribute) -> np.dtype:
        try:
            return numpy_dtype(element_type)
        except TypeError as e:
            raise InterpreterError.at(op, f"'{op.name}' op: {e}") from None

    def along(self, values: np.ndarray, dim: int) -> np.ndarray:
        """A 1-d array laid along axis `dim` of the domain."""
        return values.reshape([-1 if d == dim else 1 for d in range(self.rank)])

    def run(self) -> tuple[np.ndarray, ...]:
        for op in self.op.block.ops:
            if isinstance(op, LoadOp):
                self.env[op.result] = self.load(op)
            elif isinstance(op, StoreOp):
                self.store(op)
            elif isinstance(op, ReduceOp):
                self.env[op.result] = self.reduce(op)
            else:
                self.scalar(op)
        return tuple(self.outputs)

    # -- loop ops -----------------------------------------------------------

    def indices(self, op: LoadOp | StoreOp) -> list[np.ndarray]:
        """The op's indices, each an int64 array of the domain's rank, bounds-checked."""
        dims = [self.env[v] for v in op.indices]
        tensor_type = op.tensor.type
        assert isinstance(tensor_type, TensorType)
        shape = tensor_type.get_shape()
        indices: list[np.ndarray] = []
        for n, expr in enumerate(op.index_map().results):
            index = np.asarray(evaluate_index(expr, dims, op), dtype=np.int64)
            if index.ndim == 0:
                index = index.reshape((1,) * self.rank)
            outside = (index < 0) | (index >= shape[n])
            if outside.any():
                point = tuple(int(k) for k in np.argwhere(outside)[0])
                raise InterpreterError.at(
                    op,
                    f"'{op.name}' op index {int(index[point])} is out of range "
                    f"[0, {shape[n]}) in dim {n} of {tensor_type} "
                    f"{self.describe_point(index.shape, point)}",
                )
            indices.append(index)
        return indices

    def describe_point(self, shape: Sequence[int], point: Sequence[int]) -> str:
        """`at %i = 3, %j = 0`, naming only the dims an array of `shape` varies over."""
        named = [
            f"%{iv.name_hint or f'd{d}'} = {point[d]}"
            for d, iv in enumerate(self.op.ivs)
            if shape[d] != 1 or self.sizes[d] == 1
        ]
        return "at " + ", ".join(named) if named else "at every domain point"

    def load(self, op: LoadOp) -> np.ndarray:
        source = self.env[op.source]
        indices = self.indices(op)
        if not indices:  # a rank-0 tensor
            return source.reshape((1,) * self.rank)
        return source[tuple(indices)]

    def store(self, op: StoreOp) -> None:
        dest, value = self.env[op.dest], self.env[op.value]
        indices = self.indices(op)
        shape = np.broadcast_shapes((1,) * self.rank, *(i.shape for i in indices))
        try:
            value = np.broadcast_to(value, shape)
        except ValueError:
            raise InterpreterError.at(
                op,
                f"'loop.store' op: the value varies over dims the store does not index "
                f"(value extents {list(value.shape)}, indexed extents {list(shape)})",
            ) from None
        if indices:
            dest[tuple(indices)] = value
        else:
            dest[...] = value.reshape(())

    def reduce(self, op: ReduceOp) -> np.ndarray:
        value, t = self.env[op.value], op.value.type
        axes = self.op.reduced
        full = [self.sizes[d] if d in axes else n for d, n in enumerate(value.shape)]
        ufunc = _REDUCERS[op.kind.data]
        integer = scalar_ops.is_integer(t)
        if integer:  # signed two's complement (i1: 0 and -1)
            value = scalar_ops.as_signed(value, t)
        value = np.broadcast_to(value, full)
        reduced = ufunc.reduce(
            value,
            axis=axes,
            dtype=value.dtype,  # numpy would widen small integer sums
            keepdims=True,
            initial=self.identity(op.kind.data, t, integer),
        )
        return scalar_ops.wrap(reduced, op, t) if integer else reduced

    @staticmethod
    def identity(kind: str, t: Attribute, integer: bool) -> int | float:
        if kind in ("add", "mul"):
            return int(kind == "mul")
        if integer:
            low, high = scalar_ops.int_limits(scalar_ops.int_width(t))
            return low if kind == "max" else high
        return -math.inf if kind == "max" else math.inf

    # -- arith and math ------------------------------------------------------

    def scalar(self, op: Operation) -> None:
        results = evaluate(op, [self.env[v] for v in op.operands])
        for result, value in zip(op.results, results, strict=True):
            self.env[result] = self.checked(op, result, np.asarray(value))

    def checked(self, op: Operation, result: SSAValue, value: np.ndarray) -> np.ndarray:
        """`value` as a body value: rank-0 values spread over the domain, dtype checked."""
        try:
            dtype = scalar_ops.scalar_dtype(result.type)
        except TypeError as e:
            raise InterpreterError.at(op, f"'{op.name}' op: {e}") from None
        if isinstance(result.type, ShapedType):
            raise InterpreterError.at(
                op, f"'{op.name}' op: a {result.type} value in a kernel body is not a scalar"
            )
        if value.ndim == 0:
            value = value.reshape((1,) * self.rank)
        if value.dtype != dtype or value.ndim != self.rank:
            raise InterpreterError.at(
                op,
                f"'{op.name}' op: implementation produced {value.dtype}{list(value.shape)} "
                f"for {result.type} in a rank-{self.rank} domain (an interpreter bug)",
            )
        return value


@implements(KernelOp)
def _kernel(op: KernelOp, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    with np.errstate(all="ignore"):  # IEEE semantics, as in `run`
        return _Kernel(op, inputs).run()


@implements(LoadOp, StoreOp, ReduceOp)
def _outside_kernel(op: Operation, *_: np.ndarray) -> None:
    raise InterpreterError.at(op, f"'{op.name}' op outside a 'loop.kernel'")
