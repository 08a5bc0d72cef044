"""`mlc.compile`: an nn program compiled once, called many times on numpy arrays.

    exe = mlc.compile(text)                  # or a parsed ModuleOp (left untouched)
    exe.functions                            # ('forward', ...)
    y = exe.forward(x, w)                    # or exe["forward"](x, w)

`compile` parses text (located `CompileError`s), runs `mlc-cpu-pipeline` on a copy
of the module, checks that every function is made of what the CPU runtime runs
(`nn.constant`, `loop.kernel`, `func.return`) and compiles all kernels once with
LLVM (`mlc.runtime.cpu.compile_kernels`). Calls follow `mlc.interpreter.run`:
arguments must match the parameters exactly (TypeError/ValueError naming the
argument), one result comes back as an array, several as a tuple, none as None.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from mlc.api import parse, run_pipeline
from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.runtime.cpu import CompiledKernel, compile_kernels, run_function

__all__ = ["TARGETS", "CompiledFunction", "Executable", "compile"]

TARGETS = ("cpu",)
"""The values `compile`'s `target` accepts."""

PIPELINES = {"cpu": "mlc-cpu-pipeline"}
"""The pass pipeline run before code generation, per target."""

_RUNNABLE = (nn.ConstantOp, KernelOp, func.ReturnOp)


class CompiledFunction:
    """One function of an `Executable`: `f(*arrays)` runs it natively."""

    def __init__(self, executable: Executable, name: str) -> None:
        self.executable = executable
        self.name = name

    def __repr__(self) -> str:
        return f"<CompiledFunction @{self.name}>"

    def __call__(
        self, *arrays: np.ndarray, out: np.ndarray | tuple[np.ndarray, ...] | None = None
    ) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """Runs the function; with `out`, results are written into those arrays."""
        exe = self.executable
        return run_function(
            exe.module,
            self.name,
            *arrays,
            kernels=exe.kernels,
            num_threads=exe.num_threads,
            out=out,
        )


class Executable:
    """A compiled module: `exe.functions`, `exe["name"](*arrays)`, `exe.name(*arrays)`.

    `module` is the IR after the target's pipeline (for inspection: do not change
    it, the kernels were compiled from it); `kernels` the compiled kernels by symbol.
    """

    def __init__(
        self,
        module: ModuleOp,
        kernels: dict[str, CompiledKernel],
        target: str,
        num_threads: int | None = None,
    ) -> None:
        self.module = module
        self.kernels = kernels
        self.target = target
        self.num_threads = num_threads
        """Threads each kernel may use (None: the available cores)."""
        self.functions: tuple[str, ...] = tuple(
            op.sym_name.data
            for op in module.ops
            if isinstance(op, func.FuncOp) and not op.is_declaration
        )

    def __repr__(self) -> str:
        return f"<Executable target={self.target} functions={list(self.functions)}>"

    def __contains__(self, name: object) -> bool:
        return name in self.functions

    def _unknown(self, name: str) -> str:
        available = ", ".join(f"@{f}" for f in self.functions) or "none"
        return f"no function @{name} in the executable (available: {available})"

    def __getitem__(self, name: str) -> CompiledFunction:
        if name not in self.functions:
            raise KeyError(self._unknown(name))
        return CompiledFunction(self, name)

    def __getattr__(self, name: str) -> CompiledFunction:
        # Only reached for names that are not attributes; never answer for private or
        # dunder names (copy, pickle and friends probe those).
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.__dict__.get("functions", ()):
            raise AttributeError(self._unknown(name))
        return CompiledFunction(self, name)


def _check_runnable(module: ModuleOp) -> None:
    """CompileError, located, for an op the CPU runtime cannot run."""
    for function in module.ops:
        if not isinstance(function, func.FuncOp) or function.is_declaration:
            continue
        for op in function.body.walk():
            if op.parent_op() is function and not isinstance(op, _RUNNABLE):
                raise CompileError.at(
                    op,
                    f"'{op.name}' op cannot be compiled for the CPU: after "
                    "mlc-cpu-pipeline a function may hold only nn.constant, "
                    "loop.kernel and func.return",
                )


def compile(
    source: str | bytes | ModuleOp,
    target: str = "cpu",
    *,
    filename: str | None = None,
    num_threads: int | None = None,
) -> Executable:
    """Compile an nn program (MLIR text or a parsed module) for `target`.

    Kernels split their outermost parallel dim over `num_threads` threads (default:
    the available cores). A module passed in is copied, never changed. Raises
    ValueError for an unknown `target` or a bad `num_threads`, and `CompileError`
    (located) for bad source or what cannot be compiled.
    """
    if target not in TARGETS:
        raise ValueError(f"target: unsupported target {target!r}; supported: {', '.join(TARGETS)}")
    if num_threads is not None and (
        not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1
    ):
        raise ValueError(f"num_threads: expected a positive integer, got {num_threads!r}")
    if isinstance(source, ModuleOp):
        module = source.clone()
    elif isinstance(source, str | bytes):
        module = parse(source, filename)
    else:
        raise TypeError(f"source: expected MLIR text or a ModuleOp, got {type(source).__name__}")
    run_pipeline(module, PIPELINES[target])
    _check_runnable(module)
    return Executable(module, compile_kernels(module), target, num_threads)
