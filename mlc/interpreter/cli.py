"""Running one function for a command-line tool: `mlc-run` and `mlc-opt --run=FUNC`.

Inputs come from `.npy` files (one per parameter, in order) or, when none are given,
from a seeded generator:

* floats: standard normal samples, rounded to the element type;
* i1: fair coin flips;
* i32 / i64: uniform in `[0, n)`, where `n` is the size of the gathered axis when
  the parameter is used directly as the indices of an `nn.gather` (the smallest such
  size if several), and 8 otherwise: non-negative, so an integer that reaches a
  gather's indices through other ops is still a plausible index.

The same seed always gives the same inputs. Results are returned as text, one per
result, `result #0: tensor<2x3xf32> = [[...], ...]`, with fixed numpy print options
(fixed-point with 6 digits after the point, never e-notation, so values below 5e-7
print as 0; f16/bf16 converted exactly to f32 first; rows on lines of their own;
arrays of more than 1000 elements summarised with `...`) so that lit tests can FileCheck them; or saved as
`result0.npy`, `result1.npy`, ... in an output directory.

bf16 has no standard `.npy` dtype: numpy writes bf16 arrays as 2-byte void (`|V2`)
records, and such an input is read back as bf16 for a bf16 parameter.

Bad inputs (a missing file, a wrong dtype or shape, a parameter that cannot be
generated) raise `CompileError` located at the function, naming the parameter (block
arguments have no locations of their own); an unknown function is an error at the
module. Only a failure to write the results is unlocated (`<tool>: error: ...`): it
is about the command line, not the program.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, BlockArgument, Operation

from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.interpreter.core import (
    _describe_argument,
    check_arguments,
    lookup_function,
    numpy_dtype,
    run,
)

__all__ = ["cli_run", "default_function", "format_result", "load_inputs", "random_inputs"]

DEFAULT_INT_BOUND = 8
"""Random integers are drawn from `[0, DEFAULT_INT_BOUND)` unless they index a gather."""

_BF16 = np.dtype(ml_dtypes.bfloat16)
_PRINT_OPTIONS = {
    "precision": 6,
    "floatmode": "fixed",
    "suppress_small": True,  # fixed-point always: no switch to e-notation when values are tiny
    "separator": ", ",
    "threshold": 1000,
    "edgeitems": 3,
    "max_line_width": sys.maxsize,  # rows break only between rows, never by width
}


@contextmanager
def _as_input_errors(at: Operation | None) -> Iterator[None]:
    """Report the user's mistakes (files, dtypes, shapes, names) as a CompileError at `at`."""
    try:
        yield
    except (OSError, TypeError, ValueError) as e:
        raise CompileError.at(at, str(e)) from None


def default_function(module: ModuleOp) -> str:
    """The name of the first public function with a body: what a tool runs by default."""
    for op in module.ops:
        if not isinstance(op, func.FuncOp) or op.is_declaration:
            continue
        if op.sym_visibility is None or op.sym_visibility.data == "public":
            return op.sym_name.data
    raise CompileError.at(module, "the module has no public function to run")


def _index_bound(param: BlockArgument) -> int:
    sizes = [
        nn.shape_of(use.operation.input.type)[use.operation.param("axis")]
        for use in param.uses
        if isinstance(use.operation, nn.GatherOp) and use.index == 1
    ]
    # A gather over an empty axis has no valid index; 0 then fails with a clear error.
    return max(min(sizes), 1) if sizes else DEFAULT_INT_BOUND


def _random_array(rng: np.random.Generator, param: BlockArgument) -> np.ndarray:
    if not isinstance(param.type, TensorType):
        what = _describe_argument(param.index, param)
        raise TypeError(f"{what}: cannot generate an input of type {param.type}, only tensors")
    dtype, shape = numpy_dtype(param.type.element_type), tuple(param.type.get_shape())
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "i":
        return rng.integers(0, _index_bound(param), shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def random_inputs(function: func.FuncOp, seed: int) -> list[np.ndarray]:
    """One seeded random array per parameter of `function` (see the module doc).

    Raises TypeError naming the parameter for one that is not a tensor.
    """
    rng = np.random.default_rng(seed)
    return [_random_array(rng, param) for param in function.args]


def load_inputs(function: func.FuncOp, paths: Sequence[str | os.PathLike[str]]) -> list[np.ndarray]:
    """The arrays in the `.npy` files `paths`, one per parameter of `function`.

    Raises ValueError for a wrong count or an unreadable file; dtypes and shapes are
    checked by the caller (`check_arguments`).
    """
    params = function.args
    if len(paths) != len(params):
        raise ValueError(
            f"@{function.sym_name.data} takes {len(params)} arguments, got {len(paths)} input files"
        )
    arrays = []
    for path, param in zip(paths, params, strict=True):
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            what = _describe_argument(param.index, param)
            raise ValueError(f"{what}: cannot read input '{path}': {e}") from None
        wants_bf16 = isinstance(param.type, TensorType) and (
            numpy_dtype(param.type.element_type) == _BF16
        )
        if wants_bf16 and isinstance(array, np.ndarray) and array.dtype == np.dtype("V2"):
            array = array.view(_BF16)
        arrays.append(array)
    return arrays


def format_result(index: int, result_type: Attribute, value: np.ndarray) -> str:
    """`result #<index>: <type> = <array>`, in the fixed, FileCheck-friendly format."""
    header = f"result #{index}: {result_type} = "
    if value.dtype in (np.dtype(np.float16), _BF16):
        value = value.astype(np.float32)  # exact; numpy prints bf16 its own way
    return header + np.array2string(value, prefix=header, **_PRINT_OPTIONS)


def cli_run(
    module: ModuleOp,
    func_name: str,
    argv_inputs: Sequence[str],
    seed: int = 0,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    runner: Callable[..., Any] = run,
) -> str:
    """Run `@func_name` on inputs from `argv_inputs` (`.npy` paths) or from `seed`.

    Returns the results as text (see `format_result`), or, with `out_dir`, saves them
    as `result<i>.npy` there and returns one line per saved file. Raises CompileError
    for bad inputs (see the module doc) and InterpreterError, located at the op, for
    IR the interpreter rejects.
    `runner(module, func_name, *inputs)` computes the results (default: the
    interpreter's `run`; `mlc-run --backend=cpu` passes native code); the inputs are
    made from `module` either way, so every backend sees the same ones.
    """
    with _as_input_errors(module):
        function = lookup_function(module, func_name)
    with _as_input_errors(function):
        if argv_inputs:
            inputs = load_inputs(function, argv_inputs)
        else:
            inputs = random_inputs(function, seed)
        check_arguments(function, inputs)
    outputs = runner(module, func_name, *inputs)
    if outputs is None:
        outputs = ()
    elif isinstance(outputs, np.ndarray):
        outputs = (outputs,)
    types = function.function_type.outputs.data
    if out_dir is None:
        return "".join(
            format_result(i, t, value) + "\n"
            for i, (t, value) in enumerate(zip(types, outputs, strict=True))
        )
    lines = []
    with _as_input_errors(None):
        directory = Path(out_dir)
        directory.mkdir(parents=True, exist_ok=True)
        for i, (t, value) in enumerate(zip(types, outputs, strict=True)):
            path = directory / f"result{i}.npy"
            np.save(path, value)
            lines.append(f"result #{i}: {t} -> {path}\n")
    return "".join(lines)
