"""mlc: a multi-level ML compiler built on xDSL.

The library is the product and `mlc-opt` a thin shell over it::

    import mlc

    module = mlc.parse(text, "model.mlir")          # located CompileError on bad input
    mlc.run_pipeline(module, "canonicalize,cse")    # or "builtin.module(...)"
    print(mlc.print(module))
    exe = mlc.compile(text)                         # native CPU code; exe.forward(x, ...)
    torch.compile(model, backend="mlc")             # or backend=mlc.torch_backend(...)

Importing `mlc` loads xDSL's core only: no dialect beyond the context's, no pass
module (the registry imports those on first use), and never torch or CUDA.
"""

from mlc import passes
from mlc.api import parse, print_ir, run_pipeline
from mlc.context import make_context
from mlc.diagnostics import CompileError, Diagnostic, DiagnosticEngine
from mlc.pipeline import Pipeline, PipelineError

print = print_ir  # `mlc.print(module)`; shadows the builtin inside this module only


def __getattr__(name: str) -> object:
    """`mlc.__version__`, read on first use: importing importlib.metadata costs 0.1 s;
    `mlc.compile` and `mlc.Executable`, whose numpy and LLVM load on first use too;
    `mlc.torch_backend`, which imports torch only when called."""
    if name in ("compile", "Executable"):
        from mlc.runtime import executable

        return getattr(executable, name)
    if name == "torch_backend":
        from mlc.frontends import torch_backend

        return torch_backend
    if name != "__version__":
        raise AttributeError(f"module 'mlc' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlc")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


__all__ = [
    "CompileError",
    "Diagnostic",
    "DiagnosticEngine",
    "Executable",
    "Pipeline",
    "PipelineError",
    "__version__",
    "compile",
    "make_context",
    "parse",
    "passes",
    "print",
    "print_ir",
    "run_pipeline",
    "torch_backend",
]
