"""`mlc.compile`: an nn program compiled once, called many times on numpy arrays.

    exe = mlc.compile(text)                  # or a parsed ModuleOp (left untouched)
    exe.functions                            # ('forward', ...)
    y = exe.forward(x, w)                    # or exe["forward"](x, w)

`compile` parses text (located `CompileError`s), runs `mlc-cpu-pipeline` on a copy
of the module, turns each function into a host program (`mlc.runtime.program`:
only `nn.constant`, `loop.kernel` and `func.return` may remain) and compiles all
kernels once with LLVM (`mlc.runtime.cpu.compile_native`). The result goes into the
on-disk compile cache (`mlc.runtime.cache`), from which a later compile of the same
program, in any process, loads it in milliseconds. Calls follow `mlc.interpreter.run`:
arguments must match the parameters exactly (TypeError/ValueError naming the
argument), one result comes back as an array, several as a tuple, none as None.

Intermediates live in an arena planned by `plan-memory` (part of the pipeline). The
executable allocates it on its first call and reuses it; callers running at the
same time each get one of their own. `exe.memory_report()` gives arena, naive and
lower-bound bytes per function and the bytes the arenas hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from mlc.api import parse, print_ir, run_pipeline
from mlc.lowering.codegen_options import CodegenOptions
from mlc.runtime.cache import CacheEntry, CompileCache, cache_key
from mlc.runtime.native import (
    CompiledKernel,
    KernelSignature,
    NativeCode,
    checked_threads,
    load_kernels,
)
from mlc.runtime.program import ArenaPool, BoundProgram, FunctionProgram, MemoryReport
from mlc.settings import settings

__all__ = ["TARGETS", "CompiledFunction", "Executable", "compile"]

TARGETS = ("cpu", "cuda")
"""The values `compile`'s `target` accepts."""

PIPELINES = {"cpu": "mlc-cpu-pipeline", "cuda": "mlc-gpu-pipeline"}
"""The pass pipeline run before code generation, per target."""


class CompiledFunction:
    """One function of an `Executable`: `f(*arrays)` runs it natively."""

    def __init__(self, executable: Executable, name: str) -> None:
        self.executable = executable
        self.name = name
        self.program = executable.programs[name]
        self.bound = BoundProgram(self.program, executable.kernels)

    def __repr__(self) -> str:
        return f"<CompiledFunction @{self.name}>"

    def __call__(
        self, *arrays: np.ndarray, out: np.ndarray | tuple[np.ndarray, ...] | None = None
    ) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """Runs the function; with `out`, results are written into those arrays."""
        exe = self.executable
        threads = checked_threads(exe.num_threads)
        return self.bound.run(arrays, threads, out, exe.arenas)


class Executable:
    """A compiled module: `exe.functions`, `exe["name"](*arrays)`, `exe.name(*arrays)`.

    `programs` are the host programs by function name, `kernels` the compiled
    kernels by symbol, `from_cache` whether they came from the compile cache,
    `arenas` the pool of arenas that calls of every function share.
    `module` is the IR after the target's pipeline, for inspection (do not change
    it): rebuilt on first access when the executable came from the cache.
    """

    def __init__(
        self,
        programs: Mapping[str, FunctionProgram],
        kernels: dict[str, CompiledKernel],
        target: str,
        num_threads: int | None = None,
        *,
        module: ModuleOp | Callable[[], ModuleOp],
        from_cache: bool = False,
    ) -> None:
        self.programs = dict(programs)
        self.kernels = kernels
        self.target = target
        self.num_threads = num_threads
        """Threads each kernel may use (None: the `num_threads` setting, else the
        available cores)."""
        self.from_cache = from_cache
        self.functions: tuple[str, ...] = tuple(self.programs)
        self.arenas = ArenaPool(max((p.arena_bytes for p in self.programs.values()), default=0))
        self._module = module
        self._compiled: dict[str, CompiledFunction] = {}

    def memory_report(self) -> MemoryReport:
        """Per function, arena vs naive vs lower-bound bytes; the arenas held so far."""
        return MemoryReport(
            {
                name: (p.arena_bytes, p.naive_bytes, p.lower_bound_bytes)
                for name, p in self.programs.items()
            },
            self.arenas.size,
            self.arenas.allocated,
        )

    @property
    def module(self) -> ModuleOp:
        if not isinstance(self._module, ModuleOp):
            self._module = self._module()
        return self._module

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
        return self._function(name)

    def _function(self, name: str) -> CompiledFunction:
        """The function's one `CompiledFunction`: its program is bound once."""
        if name not in self._compiled:
            self._compiled[name] = CompiledFunction(self, name)
        return self._compiled[name]

    def __getattr__(self, name: str) -> CompiledFunction:
        # Only reached for names that are not attributes; never answer for private or
        # dunder names (copy, pickle and friends probe those).
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.__dict__.get("functions", ()):
            raise AttributeError(self._unknown(name))
        return self._function(name)


def compile(
    source: str | bytes | ModuleOp,
    target: str = "cpu",
    *,
    filename: str | None = None,
    num_threads: int | None = None,
    cache: bool | None = None,
    codegen: CodegenOptions | None = None,
) -> Executable:
    """Compile an nn program (MLIR text or a parsed module) for `target`.

    Kernels split their outermost parallel dim over `num_threads` threads (default:
    the `num_threads` setting, else the available cores). With `cache` (default: the
    `cache` setting, on unless MLC_CACHE=0) a program compiled before, by any
    process, is loaded from the on-disk compile cache (`mlc.runtime.cache`) without
    parsing, transforming or generating code. A module passed in is copied, never
    changed. `codegen` sets code generation options (`CodegenOptions`: fast_math,
    vector_width, prefetch, streaming_stores; the defaults otherwise). Raises
    ValueError for an unknown `target` or a bad `num_threads`,
    TypeError for a bad `source`, and `CompileError` (located) for bad source or
    what cannot be compiled.
    """
    if target not in TARGETS:
        raise ValueError(f"target: unsupported target {target!r}; supported: {', '.join(TARGETS)}")
    if num_threads is not None:
        checked_threads(num_threads)
    if isinstance(source, ModuleOp):
        text = print_ir(source, generic=True).encode()
    elif isinstance(source, str | bytes):
        text = source.encode() if isinstance(source, str) else source
    else:
        raise TypeError(f"source: expected MLIR text or a ModuleOp, got {type(source).__name__}")
    pipeline = PIPELINES[target]
    if codegen is None:
        codegen = CodegenOptions()
    elif not isinstance(codegen, CodegenOptions):
        raise TypeError(f"codegen: expected CodegenOptions, got {type(codegen).__name__}")

    def transformed() -> ModuleOp:
        module = source.clone() if isinstance(source, ModuleOp) else parse(source, filename)
        run_pipeline(module, pipeline)
        return module

    if target == "cuda":  # not cached: the driver JITs the PTX at load anyway
        from mlc.lowering.loop_to_llvm import kernel_symbols
        from mlc.runtime.cpu import host_program
        from mlc.runtime.cuda import compile_cuda

        module = transformed()
        programs = host_program(module, kernel_symbols(module))
        return Executable(programs, compile_cuda(module), target, num_threads, module=module)
    store = (
        CompileCache(settings().cache_dir)
        if (settings().cache if cache is None else cache)
        else None
    )
    key = cache_key(text, target, pipeline, dataclasses.asdict(codegen))
    entry = store.load(key) if store is not None else None
    if entry is not None:
        loaded = _from_entry(entry)
        if loaded is not None:
            programs, kernels = loaded
            return Executable(
                programs, kernels, target, num_threads, module=transformed, from_cache=True
            )
        store.path(key).unlink(missing_ok=True)
    # The compiler proper loads only on a miss: a warm compile needs none of it.
    from mlc.lowering.loop_to_llvm import kernel_symbols
    from mlc.runtime.cpu import compile_native, host_program

    module = transformed()
    programs = host_program(module, kernel_symbols(module))
    code = compile_native(module, codegen)
    if store is not None:
        _store(store, key, programs, code)
    return Executable(programs, load_kernels(code), target, num_threads, module=module)


def _store(
    store: CompileCache, key: str, programs: Mapping[str, FunctionProgram], code: NativeCode
) -> None:
    manifest = {
        "kernels": [s.to_json() for s in code.signatures],
        "functions": [p.to_json() for p in programs.values()],
    }
    blobs: dict[str, bytes] = {}
    for program in programs.values():
        blobs |= program.constant_blobs()
    store.store(key, manifest, code.object_code, blobs)


def _from_entry(
    entry: CacheEntry,
) -> tuple[dict[str, FunctionProgram], dict[str, CompiledKernel]] | None:
    """The programs and linked kernels of a cache entry; None if it does not load."""
    try:
        programs = {
            data["name"]: FunctionProgram.from_json(data, entry.blobs)
            for data in entry.manifest["functions"]
        }
        signatures = tuple(KernelSignature.from_json(s) for s in entry.manifest["kernels"])
        kernels = load_kernels(NativeCode(entry.object_code, signatures))
    except (KeyError, ValueError, TypeError, RuntimeError, OSError):
        return None
    return programs, kernels
