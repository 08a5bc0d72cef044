"""The CPU runtime: object code linked into this process and kernels launched on arrays.

Nothing here loads the compiler (xDSL, the dialects, the lowerings): a warm
`mlc.compile` that finds its code in the compile cache needs only this module,
`mlc.runtime.program` and llvmlite's JIT.

`load_kernels(NativeCode)` links object code into an ORC JIT and returns a
`CompiledKernel` per kernel. A `CompiledKernel` checks every array before handing
its address to native code (exact dtype and shape, C-contiguous, aligned; outputs
writable and not overlapping any other argument, except an output written in place
over its declared input, which may be exactly that input's array), since a wrong
buffer there means reading or writing out of bounds, or reading values already
overwritten, rather than an exception. The call goes through
ctypes, which releases the GIL, so threads calling one kernel on disjoint
`[begin, end)` ranges of its outermost parallel dim run in parallel (`launch`).
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.runtime.program import TensorSpec
from mlc.runtime.threads import thread_pool
from mlc.settings import settings

__all__ = [
    "MIN_POINTS_PER_THREAD",
    "CompiledKernel",
    "KernelSignature",
    "NativeCode",
    "available_cores",
    "checked_threads",
    "load_kernels",
]


@dataclass(frozen=True)
class LLVMHost:
    """LLVM for this process: the host's target machine and one ORC JIT (llvmlite
    serialises every call into LLVM, so threads may compile concurrently)."""

    machine: Any
    jit: Any
    library_numbers: Iterator[int]


@functools.cache
def llvm_host() -> LLVMHost:
    """Initialises LLVM for the host CPU (its name and features), once per process."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    machine = target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3
    )
    return LLVMHost(machine, llvm.create_lljit_compiler(machine), itertools.count())


class _Library:
    """Object code linked into the JIT; its kernels live as long as this does.

    ORC, not MCJIT: a call to a symbol that nothing defines (libm's `tanhf` is found
    in the process, but a compiler-rt helper such as `__truncdfhf2` is not) fails
    the link with a RuntimeError instead of jumping to address 0.
    """

    def __init__(
        self, object_code: bytes, exports: Iterable[str], optimized_ir: str | None = None
    ) -> None:
        import llvmlite.binding as llvm

        host = llvm_host()
        self.optimized_ir = optimized_ir
        """The LLVM IR after O3 when compiled in this process (None from the cache)."""
        builder = llvm.JITLibraryBuilder().add_object_img(object_code).add_current_process()
        for name in exports:
            builder.export_symbol(name)
        # A library name may not be reused, even after its library is gone.
        self._tracker = builder.link(host.jit, f"mlc_kernels_{next(host.library_numbers)}")

    def address(self, name: str) -> int:
        return self._tracker[name]


# ---------------------------------------------------------------------------
# Kernels


@dataclass(frozen=True)
class KernelSignature:
    """What the runtime knows of a compiled kernel: its symbol, its buffers (inputs,
    then outputs), the size of its outermost parallel dim, its domain points and the
    outputs it may write in place."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    parallel_size: int
    points: int
    in_place: tuple[int, ...]
    """Per output, the input whose array it may be (the very same memory: the kernel
    reads each element before writing it), or -1."""

    def __post_init__(self) -> None:
        if len(self.in_place) != len(self.outputs) or not all(
            -1 <= n < len(self.inputs) for n in self.in_place
        ):
            raise ValueError(
                f"kernel {self.name}: in_place needs an input number or -1 per output, "
                f"got {list(self.in_place)}"
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inputs": [s.to_json() for s in self.inputs],
            "outputs": [s.to_json() for s in self.outputs],
            "parallel_size": self.parallel_size,
            "points": self.points,
            "in_place": list(self.in_place),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KernelSignature:
        return cls(
            str(data["name"]),
            tuple(TensorSpec.from_json(s) for s in data["inputs"]),
            tuple(TensorSpec.from_json(s) for s in data["outputs"]),
            int(data["parallel_size"]),
            int(data["points"]),
            tuple(int(n) for n in data["in_place"]),
        )


@dataclass(frozen=True)
class NativeCode:
    """A module's kernels as object code for this CPU, with their signatures: what
    the compile cache stores and `load_kernels` links."""

    object_code: bytes
    signatures: tuple[KernelSignature, ...]
    optimized_ir: str | None = None


def load_kernels(code: NativeCode) -> dict[str, CompiledKernel]:
    """The kernels of `code`, linked into this process's JIT, by symbol."""
    if not code.signatures:
        return {}
    library = _Library(code.object_code, (s.name for s in code.signatures), code.optimized_ir)
    return {s.name: CompiledKernel(s, library) for s in code.signatures}


class CompiledKernel:
    """A native kernel: `kernel(*inputs, *outputs, begin=0, end=None)` fills `outputs`.

    `begin`/`end` select the range of the outermost parallel dim to compute (of size
    `parallel_size`; 1 for a kernel without parallel dims); the default is all of it.
    TypeError or ValueError, naming the argument, for anything but C-contiguous,
    aligned numpy arrays of the exact dtypes and shapes, for read-only outputs and
    for outputs that share memory with another argument, unless that argument is
    the output's in-place input (`signature.in_place`) and exactly the same memory.
    """

    def __init__(self, signature: KernelSignature, library: _Library) -> None:
        self.signature = signature
        self.name = signature.name
        self.inputs = signature.inputs
        self.outputs = signature.outputs
        self.parallel_size = signature.parallel_size
        self.points = signature.points
        """Domain points the kernel computes: the work that threads would share."""
        self._library = library
        pointers = [ctypes.c_void_p] * (len(self.inputs) + len(self.outputs))
        prototype = ctypes.CFUNCTYPE(None, *pointers, ctypes.c_int64, ctypes.c_int64)
        self.address = library.address(signature.name)
        """The kernel's entry point in the JIT (for the native program runner)."""
        self._function = prototype(self.address)

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
        verifier makes every store index every parallel dim); an output written in
        place over its input is read and written, element by element, by the thread
        that owns the element. The calling thread runs the first range, the native
        pool (`mlc.runtime.threads`) the others; kernels with less than
        MIN_POINTS_PER_THREAD points per thread run on the calling thread alone.
        ctypes releases the GIL.
        """
        self.check(arrays, 0, self.parallel_size)
        self.dispatch([a.ctypes.data for a in arrays], num_threads)

    def dispatch(self, pointers: Sequence[int], num_threads: int = 1) -> None:
        """`launch` on the arrays at addresses `pointers`, unchecked: for a caller
        that has proven once what `check` proves per call (`BoundProgram`)."""
        shares = self.shares(num_threads)
        if shares > 1 and thread_pool(num_threads).run(
            self.address, pointers, self.parallel_size, shares
        ):
            return
        self._function(*pointers, 0, self.parallel_size)

    def shares(self, num_threads: int) -> int:
        """How many threads a launch with `num_threads` splits the kernel over: one
        per MIN_POINTS_PER_THREAD points at most, one per outer index at most."""
        return max(1, min(num_threads, self.parallel_size, self.points // MIN_POINTS_PER_THREAD))

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
            if is_output and not array.flags.writeable:
                raise ValueError(f"{what}: the output array is read-only")
        for r, output in enumerate(arrays[len(self.inputs) :]):
            n = len(self.inputs) + r
            for k, other in enumerate(arrays):
                if k == n or not np.may_share_memory(output, other):
                    continue
                if k == self.signature.in_place[r]:
                    if _same_memory(output, other):
                        continue
                    raise ValueError(
                        f"kernel {self.name} argument #{n} ({specs[n].name}, an output): it "
                        f"may be written in place over argument #{k}, but only as exactly "
                        "the same array memory, not overlapping it otherwise"
                    )
                raise ValueError(
                    f"kernel {self.name} argument #{n} ({specs[n].name}, an output): the "
                    f"output shares memory with another argument (#{k})"
                )
        for bound in (begin, end):
            if not isinstance(bound, int | np.integer) or isinstance(bound, bool):
                raise TypeError(f"kernel {self.name}: begin and end must be integers")
        if not 0 <= begin <= end <= self.parallel_size:
            raise ValueError(
                f"kernel {self.name}: need 0 <= begin <= end <= {self.parallel_size}, "
                f"got begin={begin}, end={end}"
            )


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """True if `a` and `b` view exactly the same elements, in the same layout."""
    return (
        a.ctypes.data == b.ctypes.data
        and a.shape == b.shape
        and a.dtype == b.dtype
        and a.strides == b.strides
    )


MIN_POINTS_PER_THREAD = 1 << 14
"""Below this much work per thread, a kernel runs on the calling thread alone. Handing
a share to a spinning pool thread costs about a microsecond, a 2^14-point share
(an element-wise op on 64 KiB) a few; in the nanoGPT block on 2 threads, 2^14 to
2^16 measured alike and 2^18 (what a sleeping pool needed) ran 1.6x slower."""


def available_cores() -> int:
    """The cores this process may run on: the default thread count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def checked_threads(num_threads: Any) -> int:
    """`num_threads` for a call: None means the setting, else the available cores;
    ValueError naming `num_threads` for anything but a positive integer."""
    if num_threads is None:
        num_threads = settings().num_threads or available_cores()
    if not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1:
        raise ValueError(f"num_threads: expected a positive integer, got {num_threads!r}")
    return num_threads
