"""Compiled code against the interpreter: one program, one pipeline, one verdict.

`check_program(text, pipeline, ...)` interprets an nn program (the oracle), compiles
a copy through `pipeline` to native CPU kernels, runs them on the same seeded inputs
and returns a `Failure` (or None when every result agrees):

* ``crash``: an unexpected Python exception inside mlc (a pass, the lowering, the
  runtime); the failure's `signature` names the exception type and the pass;
* ``error``: a located `CompileError` for a program the interpreter runs: mlc
  rejected valid input;
* ``mismatch``: a result differs from the interpreter's beyond `tolerance`.

The fuzzer (`mlc.testing.fuzz`), its minimizer and the decision bisector
(`mlc.testing.bisect`) all ask this one question, so they agree on what "fails"
means. `debug_counters` (a `mlc.debug_counter` spec) limits the compiler's
decisions for that one compile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType

from mlc.api import parse, run_pipeline
from mlc.debug_counter import DebugCounters, debug_counters
from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.interpreter import random_inputs, run
from mlc.pipeline import PassCrashError

__all__ = [
    "Failure",
    "InvalidProgram",
    "accumulation_length",
    "check_program",
    "compare",
    "tolerance",
]

F64_TOLERANCE = 1e-10
"""Relative error allowed for f64 results computed in f64 all the way."""
F32_TOLERANCE = 1e-5
"""Relative error allowed for f32 results, and for f64 results that pass through f32:
about 80 f32 ulps, room for libm's transcendentals (not numpy's) along a chain."""


class InvalidProgram(Exception):
    """The program itself is wrong (does not parse or verify, or the interpreter
    rejects it): not a compiler failure. The fuzzer's generator and minimizer must
    never produce one; the minimizer skips candidates that raise it."""


@dataclass(frozen=True)
class Failure:
    """Why a compiled program does not do what the interpreter does."""

    kind: str
    """``crash``, ``error`` or ``mismatch``."""
    signature: str
    """What makes two failures "the same" for the minimizer: the kind, plus the
    exception type and pass for a crash; a mismatch is a mismatch."""
    detail: str
    """The message, for the report and the reproducer's header."""


def tolerance(module: ModuleOp) -> float:
    """The relative tolerance for a program's results: f64 only when every float
    tensor in it is f64, else f32's (an f64 value that went through f32 keeps only
    f32's precision)."""
    float_types = {
        str(t.element_type)
        for op in module.walk()
        for t in (*op.operand_types, *op.result_types)
        if isinstance(t, TensorType) and str(t.element_type).startswith(("f", "bf"))
    }
    return F64_TOLERANCE if float_types == {"f64"} else F32_TOLERANCE


def accumulation_length(module: ModuleOp) -> int:
    """The longest chain of sums a result depends on: the product, along the
    dataflow, of reduced extents (reductions, matmuls, composites that reduce).

    A compiled sum may add in another order than the interpreter, so float results
    may differ by about that many roundings of the result's magnitude.
    """
    length: dict[object, int] = {}
    longest = 1
    for op in module.walk():
        if not isinstance(op, nn.NNOp):
            continue
        own = 1
        if isinstance(op, nn.MatmulOp):
            own = nn.shape_of(op.operands[0].type)[-1]
        elif isinstance(op, nn.ReduceOp):
            shape = nn.shape_of(op.operands[0].type)
            own = math.prod(shape[a] for a in op.param("axes"))
        elif op.has_trait(nn.Composite) and isinstance(op.operands[0].type, TensorType):
            # softmax, norms, means: at most a sum over the whole operand
            own = math.prod(nn.shape_of(op.operands[0].type))
        incoming = max((length.get(v, 1) for v in op.operands), default=1)
        for r in op.results:
            length[r] = incoming * max(own, 1)
            longest = max(longest, length[r])
    return longest


def compare(expected: np.ndarray, actual: np.ndarray, rtol: float, length: int) -> str | None:
    """Why `actual` is not `expected` (None if it is): same dtype and shape, NaN
    where NaN, and within `rtol` relatively plus `rtol` times the result's magnitude
    times the accumulation `length` absolutely."""
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return (
            f"got {actual.dtype}{list(actual.shape)}, "
            f"expected {expected.dtype}{list(expected.shape)}"
        )
    if expected.dtype.kind in "biu":  # booleans and integers: exact
        if np.array_equal(actual, expected):
            return None
        return f"{int(np.sum(actual != expected))} of {expected.size} elements differ"
    # Floats, bf16 included (numpy does not know it as one), compared in f64.
    expected, actual = expected.astype(np.float64), actual.astype(np.float64)
    finite = expected[np.isfinite(expected)]
    magnitude = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    try:
        np.testing.assert_allclose(
            actual, expected, rtol=rtol, atol=rtol * magnitude * length, equal_nan=True
        )
    except AssertionError as e:
        return str(e).strip()
    return None


def _as_tuple(value: object) -> tuple[np.ndarray, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _function(module: ModuleOp) -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and not op.is_declaration:
            return op
    raise InvalidProgram("the program has no function with a body")


def check_program(
    text: str,
    pipeline: str,
    *,
    num_threads: int = 1,
    input_seed: int = 0,
    debug_counter: str | DebugCounters = "",
) -> Failure | None:
    """Compile `text` through `pipeline` for the CPU and compare with the interpreter.

    Runs the first function on seeded random inputs (`mlc.interpreter.random_inputs`
    with `input_seed`) on `num_threads` threads. Raises `InvalidProgram` when the
    program itself is invalid; returns a `Failure` when the compiler is at fault.
    `debug_counter` (a spec or `DebugCounters`, whose `seen` then counts the
    decisions) limits the compiler's decisions.
    """
    from mlc.runtime.cpu import compile_kernels, run_function

    try:
        module = parse(text)
        function = _function(module)
        name = function.sym_name.data
        inputs = random_inputs(function, input_seed)
        expected = _as_tuple(run(module, name, *inputs))
    except (CompileError, ValueError, TypeError) as e:
        raise InvalidProgram(str(e)) from e
    rtol = tolerance(module)
    length = accumulation_length(module)
    compiled = module.clone()
    try:
        with debug_counters(debug_counter):
            run_pipeline(compiled, pipeline)
        for op in function_body_ops(compiled):
            if not isinstance(op, nn.ConstantOp | KernelOp | func.ReturnOp):
                raise CompileError.at(op, f"'{op.name}' op is left for the CPU after the pipeline")
        actual = _as_tuple(
            run_function(
                compiled, name, *inputs, kernels=compile_kernels(compiled), num_threads=num_threads
            )
        )
    except CompileError as e:
        return Failure("error", "error", str(e))
    except PassCrashError as e:
        cause = e.__cause__
        return Failure("crash", f"crash {type(cause).__name__} in pass '{e.pass_.name}'", str(e))
    except Exception as e:
        return Failure("crash", f"crash {type(e).__name__}", f"{type(e).__name__}: {e}")
    for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
        if (why := compare(e, a, rtol, length)) is not None:
            return Failure("mismatch", "mismatch", f"result #{n} differs: {why}")
    return None


def function_body_ops(module: ModuleOp):
    """The ops directly inside the module's function bodies."""
    for function in module.ops:
        if isinstance(function, func.FuncOp) and not function.is_declaration:
            yield from function.body.block.ops
