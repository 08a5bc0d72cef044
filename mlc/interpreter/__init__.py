"""The numpy reference interpreter: the semantics of mlc's tensor level, executable.

Every pass and backend is checked against it on random inputs, so it aims to be exact
and boring rather than fast::

    from mlc.interpreter import run

    y = run(module, "softmax", x)          # x: np.ndarray of the parameter's dtype/shape

* `run(module, name, *arrays)` evaluates a `func.func` of a verified module: one
  result comes back as an array, several as a tuple, none as None. Arguments must be
  `np.ndarray`s of exactly the parameter's dtype (`numpy_dtype`) and shape.
* `implements(OpClass)` registers the numpy implementation of an op; a new dialect
  adds its ops this way without touching the evaluator (`core`).
* `nn_ops` holds one implementation per `nn` op and documents the semantics and the
  precision policy (f16/bf16 compute in f32 and round once per op).
* `cli_run` is the shared back end of `mlc-run` and `mlc-opt --run=FUNC`.

Errors: `InterpreterError` (a located `CompileError`) for an op that has no
implementation or rejects its values (an out-of-range gather index); TypeError and
ValueError naming the argument for bad arguments.
"""

from mlc.interpreter import loop_ops as loop_ops  # registers loop, arith and math ops
from mlc.interpreter import nn_ops
from mlc.interpreter.cli import (
    cli_run,
    default_function,
    format_result,
    load_inputs,
    random_inputs,
)
from mlc.interpreter.core import (
    Implementation,
    InterpreterError,
    call_function,
    check_arguments,
    implementation_for,
    implements,
    lookup_function,
    numpy_dtype,
    run,
    run_block,
)

__all__ = [
    "Implementation",
    "InterpreterError",
    "call_function",
    "check_arguments",
    "cli_run",
    "default_function",
    "format_result",
    "implementation_for",
    "implements",
    "load_inputs",
    "lookup_function",
    "nn_ops",
    "numpy_dtype",
    "random_inputs",
    "run",
    "run_block",
]
