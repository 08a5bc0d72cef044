"""Native CPU kernels: `loop.kernel`s compiled by LLVM (llvmlite) and called on numpy arrays.

    from mlc.runtime.cpu import compile_kernels, run_function

    kernels = compile_kernels(module)            # every kernel of a fused module
    kernels["softmax_k0"](x, out)                # inputs, then outputs (written)
    y = run_function(module, "softmax", x)       # a whole fused function

`compile_kernels` lowers each kernel with `convert-loop-to-llvm`'s `lower_kernel`,
exports the `llvm` dialect with xDSL's `convert_module`, optimises at O3 for the host
CPU (its name and features; loop and SLP vectorisation on, no fast-math) and links
the code into an ORC JIT. A `CompiledKernel` checks every array before handing its
address to native code (exact dtype and shape, C-contiguous, aligned; outputs
writable and not overlapping any other argument), since a wrong buffer there means
reading or writing out of bounds rather than an exception. The call goes through ctypes, which
releases the GIL, so threads calling one kernel on disjoint `[begin, end)` ranges of
its outermost parallel dim run in parallel.

`run_function` executes a `func.func` whose body, after `fuse`, is `nn.constant`s,
`loop.kernel`s and `func.return`: it allocates each kernel's outputs with numpy (no
buffer reuse yet) and calls the kernels in order. It is the seed of `mlc.compile`.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.llvm import LLVMFunctionType
from xdsl.ir import SSAValue

from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.interpreter.core import check_arguments, implementation_for, lookup_function, numpy_dtype
from mlc.lowering.loop_to_llvm import declare_externals, kernel_symbols, lower_kernel

__all__ = ["CompiledKernel", "TensorSpec", "compile_kernels", "run_function"]


# ---------------------------------------------------------------------------
# LLVM


@dataclass(frozen=True)
class _Host:
    """LLVM for this process: the host's target machine and one ORC JIT (llvmlite
    serialises every call into LLVM, so threads may compile concurrently)."""

    machine: Any
    jit: Any
    library_numbers: Iterator[int]


@functools.cache
def _host() -> _Host:
    """Initialises LLVM for the host CPU (its name and features), once per process."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    machine = target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3
    )
    return _Host(machine, llvm.create_lljit_compiler(machine), itertools.count())


def host_assembly(module: ModuleOp) -> str:
    """This CPU's assembly for a module of `llvm` dialect functions, after O3."""
    import llvmlite.binding as llvm

    llvm_module = llvm.parse_assembly(optimized_llvm_ir(module))
    return _host().machine.emit_assembly(llvm_module)


def optimized_llvm_ir(module: ModuleOp) -> str:
    """LLVM IR text of a module of `llvm` dialect functions, optimised at O3 for this CPU.

    Loop and SLP vectorisation are on, fast-math is off.
    """
    import llvmlite.binding as llvm
    from xdsl.backend.llvm.convert import convert_module

    host = _host()
    ir_module = convert_module(
        module,
        fallback_target_triple=llvm.get_process_triple(),
        data_layout=str(host.machine.target_data),
    )
    llvm_module = llvm.parse_assembly(str(ir_module))
    llvm_module.verify()
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    passes = llvm.create_pass_builder(host.machine, options)
    passes.getModulePassManager().run(llvm_module, passes)
    return str(llvm_module)


class _Library:
    """Kernels optimised and linked into the JIT; the code lives as long as this does.

    ORC, not MCJIT: a call to a symbol that nothing defines (libm's `tanhf` is found
    in the process, but a compiler-rt helper such as `__truncdfhf2` is not) fails
    the link with a RuntimeError instead of jumping to address 0.
    """

    def __init__(self, module: ModuleOp, exports: Iterable[str]) -> None:
        import llvmlite.binding as llvm

        host = _host()
        self.optimized_ir = optimized_llvm_ir(module)
        """The LLVM IR after O3, for inspection (is a loop vectorised?)."""
        builder = llvm.JITLibraryBuilder().add_ir(self.optimized_ir).add_current_process()
        for name in exports:
            builder.export_symbol(name)
        # A library name may not be reused, even after its library is gone.
        self._tracker = builder.link(host.jit, f"mlc_kernels_{next(host.library_numbers)}")

    def address(self, name: str) -> int:
        return self._tracker[name]


# ---------------------------------------------------------------------------
# Kernels


@dataclass(frozen=True)
class TensorSpec:
    """One buffer of a kernel's calling convention."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]


def _spec(value: SSAValue, fallback: str) -> TensorSpec:
    t = value.type
    assert isinstance(t, TensorType)
    return TensorSpec(
        value.name_hint or fallback, numpy_dtype(t.element_type), tuple(t.get_shape())
    )


class CompiledKernel:
    """A native kernel: `kernel(*inputs, *outputs, begin=0, end=None)` fills `outputs`.

    `begin`/`end` select the range of the outermost parallel dim to compute (of size
    `parallel_size`; 1 for a kernel without parallel dims); the default is all of it.
    TypeError or ValueError, naming the argument, for anything but C-contiguous,
    aligned numpy arrays of the exact dtypes and shapes, for read-only outputs and
    for outputs that share memory with another argument.
    """

    def __init__(
        self,
        name: str,
        inputs: Sequence[TensorSpec],
        outputs: Sequence[TensorSpec],
        parallel_size: int,
        library: _Library,
        points: int = 0,
    ) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.parallel_size = parallel_size
        self.points = points
        """Domain points the kernel computes: the work that threads would share."""
        self._library = library
        pointers = [ctypes.c_void_p] * (len(self.inputs) + len(self.outputs))
        prototype = ctypes.CFUNCTYPE(None, *pointers, ctypes.c_int64, ctypes.c_int64)
        self._function = prototype(library.address(name))

    def __repr__(self) -> str:
        def show(specs: Sequence[TensorSpec]) -> str:
            return ", ".join(f"{s.name}: {s.dtype}{list(s.shape)}" for s in specs)

        return f"<CompiledKernel {self.name}({show(self.inputs)}) -> ({show(self.outputs)})>"

    def __call__(self, *arrays: np.ndarray, begin: int = 0, end: int | None = None) -> None:
        end = self.parallel_size if end is None else end
        self.check(arrays, begin, end)
        self._function(*(a.ctypes.data for a in arrays), begin, end)

    def launch(self, *arrays: np.ndarray, num_threads: int = 1) -> None:
        """Computes the whole kernel, its outermost parallel dim split over threads.

        Each thread gets a contiguous range and writes disjoint output elements (the
        verifier makes every store index every parallel dim). Kernels with less
        than MIN_POINTS_PER_THREAD points per thread run on the calling thread, where
        starting threads would cost more than it saves. ctypes releases the GIL.
        """
        chunks = min(num_threads, self.parallel_size, self.points // MIN_POINTS_PER_THREAD)
        if chunks <= 1:
            self(*arrays)
            return
        self.check(arrays, 0, self.parallel_size)
        pointers = [a.ctypes.data for a in arrays]
        bounds = [self.parallel_size * n // chunks for n in range(chunks + 1)]
        ranges = list(itertools.pairwise(bounds))
        for future in [
            _thread_pool().submit(self._function, *pointers, begin, end) for begin, end in ranges
        ]:
            future.result()

    def check(self, arrays: Sequence[Any], begin: int, end: int) -> None:
        """Raises unless `arrays` and `[begin, end)` are safe to hand to the native code."""
        specs = self.inputs + self.outputs
        if len(arrays) != len(specs):
            raise TypeError(
                f"kernel {self.name} takes {len(self.inputs)} inputs and "
                f"{len(self.outputs)} outputs ({len(specs)} arrays), got {len(arrays)}"
            )
        for n, (spec, array) in enumerate(zip(specs, arrays, strict=True)):
            is_output = n >= len(self.inputs)
            role = "an output" if is_output else "an input"
            what = f"kernel {self.name} argument #{n} ({spec.name}, {role})"
            if not isinstance(array, np.ndarray):
                raise TypeError(f"{what}: expected a numpy.ndarray, got {type(array).__name__}")
            if array.dtype != spec.dtype:
                raise TypeError(f"{what}: expected dtype {spec.dtype}, got {array.dtype}")
            if array.shape != spec.shape:
                raise ValueError(f"{what}: expected shape {spec.shape}, got {array.shape}")
            if not array.flags.c_contiguous:
                raise ValueError(f"{what}: the array must be C-contiguous")
            if not array.flags.aligned:
                raise ValueError(f"{what}: the array is not aligned for {array.dtype}")
            if is_output:
                if not array.flags.writeable:
                    raise ValueError(f"{what}: the output array is read-only")
                if any(k != n and np.may_share_memory(array, a) for k, a in enumerate(arrays)):
                    raise ValueError(f"{what}: the output shares memory with another argument")
        for bound in (begin, end):
            if not isinstance(bound, int | np.integer) or isinstance(bound, bool):
                raise TypeError(f"kernel {self.name}: begin and end must be integers")
        if not 0 <= begin <= end <= self.parallel_size:
            raise ValueError(
                f"kernel {self.name}: need 0 <= begin <= end <= {self.parallel_size}, "
                f"got begin={begin}, end={end}"
            )


MIN_POINTS_PER_THREAD = 1 << 15
"""Below this much work per thread, a kernel runs on the calling thread."""


def available_cores() -> int:
    """The cores this process may run on: the default thread count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@functools.cache
def _thread_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=available_cores(), thread_name_prefix="mlc-kernel")


def _parallel_size(kernel: KernelOp) -> int:
    parallel = [s for d, s in enumerate(kernel.sizes) if d not in kernel.reduced]
    return parallel[0] if parallel else 1


def kernels_as_llvm(module: ModuleOp) -> ModuleOp:
    """A module of one `llvm.func` per `loop.kernel` of `module` (and the externals
    they call). Raises CompileError for a kernel op or type without a lowering."""
    llvm_module = ModuleOp([])
    externals: dict[str, LLVMFunctionType] = {}
    for kernel, name in kernel_symbols(module).items():
        lowered = lower_kernel(kernel, name)
        llvm_module.body.block.add_op(lowered.function)
        externals |= lowered.externals
    declare_externals(llvm_module, externals)
    return llvm_module


def compile_kernels(module: ModuleOp) -> dict[str, CompiledKernel]:
    """Every `loop.kernel` of `module`, compiled for this CPU, by `llvm.func` name.

    Names are those of `convert-loop-to-llvm` (`kernel_symbols`). Raises CompileError
    (located at the op) for a kernel op or type without an LLVM lowering.
    """
    names = kernel_symbols(module)
    if not names:
        return {}
    library = _Library(kernels_as_llvm(module), names.values())
    return {
        name: CompiledKernel(
            name,
            [_spec(a, f"in{n}") for n, a in enumerate(kernel.input_args)],
            [_spec(a, f"out{n}") for n, a in enumerate(kernel.output_args)],
            _parallel_size(kernel),
            library,
            math.prod(kernel.sizes),
        )
        for kernel, name in names.items()
    }


# ---------------------------------------------------------------------------
# Functions


def run_function(
    module: ModuleOp,
    name: str,
    *arrays: np.ndarray,
    kernels: dict[str, CompiledKernel] | None = None,
    num_threads: int | None = None,
    out: np.ndarray | Sequence[np.ndarray] | None = None,
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Runs fused function `@name` natively, with the interpreter's conventions.

    Arguments are checked like `mlc.interpreter.run`'s (exact dtype and shape); one
    result comes back as an array, several as a tuple, none as None, and results
    never alias the arguments or each other. `kernels` are those of an earlier
    `compile_kernels(module)` (compiled here when not given); each runs on up to
    `num_threads` threads (default: the available cores). With `out` (an array per
    result), kernels write returned values straight into those arrays, which are
    returned; nothing is allocated for them. CompileError for an op other than
    `nn.constant`, `loop.kernel` and `func.return` in the body.
    """
    if num_threads is None:
        num_threads = available_cores()
    if not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1:
        raise ValueError(f"num_threads: expected a positive integer, got {num_threads!r}")
    function = lookup_function(module, name)
    check_arguments(function, arrays)
    if kernels is None:
        kernels = compile_kernels(module)
    symbols = kernel_symbols(module)
    returned = list(function.body.block.last_op.operands)
    outs = _checked_out(out, returned, arrays)
    destinations: dict[SSAValue, np.ndarray] = {}
    for value, destination in zip(returned, outs or (), strict=False):
        destinations.setdefault(value, destination)  # a value returned twice: copied
    env: dict[SSAValue, np.ndarray] = dict(zip(function.args, arrays, strict=True))
    for op in function.body.block.ops:
        if isinstance(op, KernelOp):
            kernel = kernels[symbols[op]]
            inputs = [np.require(env[v], requirements=("C", "A")) for v in op.inputs]
            outputs = [
                destinations[v] if v in destinations else np.empty(s.shape, s.dtype)
                for v, s in zip(op.outputs, kernel.outputs, strict=True)
            ]
            kernel.launch(*inputs, *outputs, num_threads=num_threads)
            env.update(zip(op.outputs, outputs, strict=True))
        elif isinstance(op, nn.ConstantOp):
            env[op.result] = implementation_for(op)(op)
        elif isinstance(op, func.ReturnOp):
            values = [env[v] for v in op.arguments]
            if outs is None:
                return _results(values, arrays)
            for value, destination in zip(values, outs, strict=True):
                if value is not destination:
                    np.copyto(destination, value)
            return _results(outs, ())
        else:
            raise CompileError.at(
                op,
                f"'{op.name}' op: run_function runs only nn.constant, loop.kernel and "
                "func.return (run the 'fuse' pipeline first)",
            )
    raise AssertionError("a verified func.func ends with func.return")


def _checked_out(
    out: np.ndarray | Sequence[np.ndarray] | None,
    returned: Sequence[SSAValue],
    arguments: Sequence[np.ndarray],
) -> list[np.ndarray] | None:
    """`out` as a list of arrays the results can be written into; raises otherwise."""
    if out is None:
        return None
    outs = [out] if isinstance(out, np.ndarray) else list(out)
    if len(outs) != len(returned):
        raise TypeError(f"out: the function has {len(returned)} results, got {len(outs)} arrays")
    for n, (array, value) in enumerate(zip(outs, returned, strict=True)):
        spec = _spec(value, f"out[{n}]")
        if not isinstance(array, np.ndarray):
            raise TypeError(f"out[{n}]: expected a numpy.ndarray, got {type(array).__name__}")
        if array.dtype != spec.dtype or array.shape != spec.shape:
            raise ValueError(
                f"out[{n}]: expected {spec.dtype}{list(spec.shape)}, "
                f"got {array.dtype}{list(array.shape)}"
            )
        if not (array.flags.c_contiguous and array.flags.aligned and array.flags.writeable):
            raise ValueError(f"out[{n}]: the array must be C-contiguous, aligned and writable")
        others = [*arguments, *outs[:n], *outs[n + 1 :]]
        if any(np.may_share_memory(array, other) for other in others):
            raise ValueError(f"out[{n}]: the array shares memory with an argument or another out")
    return outs


def _results(
    values: list[np.ndarray], arguments: Sequence[np.ndarray]
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Copies values that are arguments or returned twice, so no result aliases another."""
    results: list[np.ndarray] = []
    for value in values:
        aliased = any(value is a for a in (*arguments, *results))
        results.append(value.copy() if aliased else value)
    if not results:
        return None
    return results[0] if len(results) == 1 else tuple(results)
