"""The host side of a compiled module: what each function does, without the IR.

After `mlc-cpu-pipeline` a function body is `nn.constant`s, `loop.kernel`s and
`func.return`; `mlc.runtime.cpu.host_program` turns each function into a
`FunctionProgram`: numbered values (parameters first, then constants, then kernel
outputs), the kernel launches in order, and the returned values. Constants are
evaluated once, at compile time, not per call. A program is plain data, so the
compile cache stores it as JSON (constants as `.npy`) and a warm compile never
parses or transforms IR; this module does not load the compiler.

`run_program` executes one: it checks the arguments like `mlc.interpreter.run`
(exact dtype and shape, TypeError/ValueError naming the argument), places each
kernel output (64-byte aligned, for vector and streaming stores), launches the
kernels and returns results that never alias the arguments, each other or a constant.
An executable keeps each function as a `BoundProgram`: bound to its kernels and
proven once to hand every kernel arrays of its exact specs that overlap nothing they
must not, so that a call checks only its arguments, allocates its results and hands
a table of buffer addresses to the native program runner (`mlc.runtime.threads`),
which launches every kernel, over threads where they are worth it, in one call
from Python: no per-launch Python work at all.

Memory: a function planned by `plan-memory` has an arena (`arena_bytes`), and each
launch says where its intermediates go in it (`Launch.arena_offsets`; an output
written in place over its input has the input's offset, and the kernel gets the
same array for both, which its launcher accepts for that pair only); returned
values are fresh arrays per call (or the caller's `out=`). An `ArenaPool` keeps
arenas across calls: a call takes one for its duration and gives it back, so an
executable allocates an arena once, and one more per caller running at the same
time (threads never share one). An unplanned function allocates every output per call.
"""

from __future__ import annotations

import ctypes
import functools
import io
import math
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlc.dtypes import element_dtype
from mlc.runtime.threads import MAX_ARGUMENTS, Step, thread_pool
from mlc.settings import settings

if TYPE_CHECKING:
    from mlc.runtime.native import CompiledKernel

__all__ = [
    "ALIGNMENT",
    "ArenaPool",
    "BoundProgram",
    "FunctionProgram",
    "Launch",
    "MemoryReport",
    "TensorSpec",
    "aligned_empty",
    "run_program",
]

ALIGNMENT = 64
"""Bytes to which the runtime aligns every buffer it allocates (a cache line, a zmm)."""


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of a calling convention: a name for messages, an element type, a shape."""

    name: str
    element: str
    """The MLIR element type, e.g. `f32`, `bf16`, `i1`."""
    shape: tuple[int, ...]

    @functools.cached_property
    def dtype(self) -> np.dtype:
        """The numpy dtype of `element` (looked up once: calls check it per argument)."""
        return element_dtype(self.element)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        return f"{self.dtype}{list(self.shape)}"

    def to_json(self) -> list[Any]:
        return [self.name, self.element, list(self.shape)]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> TensorSpec:
        name, element, shape = data
        return cls(str(name), str(element), tuple(int(d) for d in shape))


@dataclass(frozen=True)
class Launch:
    """One kernel call: the kernel's symbol and the value numbers it reads and writes."""

    kernel: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    arena_offsets: tuple[int | None, ...] | None = None
    """Per output, its byte offset in the function's arena, or None: allocated per
    call (a returned value). None for all: an unplanned function."""

    def to_json(self) -> list[Any]:
        return [self.kernel, self.inputs, self.outputs, self.arena_offsets]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Launch:
        kernel, inputs, outputs, offsets = data
        return cls(
            str(kernel),
            tuple(map(int, inputs)),
            tuple(map(int, outputs)),
            None if offsets is None else tuple(None if o is None else int(o) for o in offsets),
        )


@dataclass(frozen=True)
class FunctionProgram:
    """One function: values 0..len(parameters)-1 are its arguments."""

    name: str
    parameters: tuple[TensorSpec, ...]
    constants: Mapping[int, np.ndarray]
    """Read-only arrays, by value number."""
    launches: tuple[Launch, ...]
    results: tuple[int, ...]
    result_specs: tuple[TensorSpec, ...]
    arena_bytes: int = 0
    """The arena this function's intermediates are planned in (0: none)."""
    naive_bytes: int = 0
    """What its intermediates take in buffers of their own (0: unplanned)."""
    lower_bound_bytes: int = 0
    """The most bytes of intermediates live at one launch: no plan does better."""

    def to_json(self) -> dict[str, Any]:
        """Everything but the constants' contents (see `constant_blobs`)."""
        return {
            "name": self.name,
            "parameters": [p.to_json() for p in self.parameters],
            "constants": sorted(self.constants),
            "launches": [launch.to_json() for launch in self.launches],
            "results": list(self.results),
            "result_specs": [s.to_json() for s in self.result_specs],
            "memory": [self.arena_bytes, self.naive_bytes, self.lower_bound_bytes],
        }

    def constant_blobs(self) -> dict[str, bytes]:
        """Each constant as `.npy` bytes, by a name unique across functions."""
        blobs = {}
        for number, array in self.constants.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            blobs[f"{self.name}/{number}.npy"] = buffer.getvalue()
        return blobs

    @classmethod
    def from_json(cls, data: Mapping[str, Any], blobs: Mapping[str, bytes]) -> FunctionProgram:
        name = str(data["name"])
        constants = {}
        for number in data["constants"]:
            array = np.load(io.BytesIO(blobs[f"{name}/{number}.npy"]), allow_pickle=False)
            array.flags.writeable = False
            constants[int(number)] = array
        return cls(
            name,
            tuple(TensorSpec.from_json(p) for p in data["parameters"]),
            constants,
            tuple(Launch.from_json(launch) for launch in data["launches"]),
            tuple(int(r) for r in data["results"]),
            tuple(TensorSpec.from_json(s) for s in data["result_specs"]),
            *(int(n) for n in data["memory"]),
        )


def aligned_empty(shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts at an ALIGNMENT boundary."""
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    raw = np.empty(count * dtype.itemsize + ALIGNMENT, np.uint8)
    return _aligned_view(raw, shape, dtype)


def _aligned_view(raw: np.ndarray, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    start = -address_of(raw) % ALIGNMENT
    nbytes = math.prod(shape) * dtype.itemsize
    return raw[start : start + nbytes].view(dtype).reshape(shape)


class OutputPool:
    """Reuses the memory of large results that callers have dropped.

    A fresh 256 MiB numpy array costs an mmap, a page fault per page as the kernel
    first writes it, zeroing by the OS and an munmap when it dies: 40-60 ms, as much
    as the kernel itself. The pool keeps the raw buffer of every result of at least
    `MIN_BYTES` and hands it out again once nothing references it. Every numpy view of
    a result (slices, reshapes, memoryviews of them) holds a reference to that raw
    buffer (numpy's `base`), so a buffer whose only references are the pool's is free:
    reuse never overwrites memory a caller can still see. Idle buffers beyond
    `limit_bytes` are released. Thread-safe.
    """

    MIN_BYTES = 1 << 20
    """Smaller results come from malloc, which reuses freed memory cheaply itself."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()

    def empty(self, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
        """An uninitialised ALIGNMENT-aligned array, reusing a dropped result's memory."""
        dtype = np.dtype(dtype)
        size = math.prod(shape) * dtype.itemsize + ALIGNMENT
        if size < self.MIN_BYTES or size > self.limit_bytes:
            return aligned_empty(shape, dtype)
        with self._lock:
            idle = self._idle()
            reused = next((b for b in idle if b.nbytes == size), None)
            if reused is None:
                kept = sum(b.nbytes for b in self._buffers)
                for buffer in idle:  # make room: drop idle buffers of other sizes
                    if kept + size <= self.limit_bytes:
                        break
                    self._buffers.remove(buffer)
                    kept -= buffer.nbytes
                reused = np.empty(size, np.uint8)
                if kept + size <= self.limit_bytes:
                    self._buffers.append(reused)
            return _aligned_view(reused, shape, dtype)

    def idle_bytes(self) -> int:
        with self._lock:
            return sum(b.nbytes for b in self._idle())

    def _idle(self) -> list[np.ndarray]:
        """The buffers nothing but the pool references."""
        buffers = self._buffers
        return [buffers[i] for i in range(len(buffers)) if sys.getrefcount(buffers[i]) <= _POOLED]


def _pooled_reference_count() -> int:
    """What `sys.getrefcount` says of a buffer only a pool's list holds (measured the
    way `_idle` measures, so interpreter details cancel out)."""
    buffers = [np.empty(1, np.uint8)]
    return max(sys.getrefcount(buffers[i]) for i in range(1))


_POOLED = _pooled_reference_count()


_output_pool: OutputPool | None = None


def output_pool() -> OutputPool:
    """The process's pool for results, sized by the `output_pool_bytes` setting."""
    global _output_pool
    limit = settings().output_pool_bytes
    if _output_pool is None or _output_pool.limit_bytes != limit:
        _output_pool = OutputPool(limit)
    return _output_pool


class ArenaPool:
    """Arenas of `size` bytes kept across calls, one per caller running at a time."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"size: an arena has >= 0 bytes, got {size}")
        self.size = size
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.allocated = 0
        """Arenas allocated so far: the most callers that ever ran at the same time."""

    def take(self) -> np.ndarray:
        """An arena of `size` bytes (ALIGNMENT-aligned) that no other caller holds
        until it is given back (`give_back`)."""
        with self._lock:
            if self._free:
                return self._free.pop()
            self.allocated += 1
        return aligned_empty((self.size,), np.dtype(np.uint8))

    def give_back(self, arena: np.ndarray) -> None:
        with self._lock:
            self._free.append(arena)

    @contextmanager
    def arena(self) -> Iterator[np.ndarray]:
        """`take` for the duration of a `with` block."""
        arena = self.take()
        try:
            yield arena
        finally:
            self.give_back(arena)


@dataclass(frozen=True)
class MemoryReport:
    """What an executable's memory planning saved, and what its arenas hold."""

    functions: Mapping[str, tuple[int, int, int]]
    """Per function: arena bytes, naive bytes (intermediates in buffers of their own),
    lower bound (the most bytes of intermediates live at once)."""
    arena_bytes: int
    """The executable's arena: the largest of its functions' (they share the pool)."""
    arenas: int
    """Arenas allocated so far: one per caller that ran at the same time as others."""

    @property
    def peak_bytes(self) -> int:
        """The most bytes the arenas have held (results are the caller's)."""
        return self.arena_bytes * self.arenas

    def __str__(self) -> str:
        lines = [f"arena {self.arena_bytes} B x {self.arenas} allocated = {self.peak_bytes} B peak"]
        for name, (arena, naive, bound) in self.functions.items():
            lines.append(f"  @{name}: arena {arena} B, naive {naive} B, lower bound {bound} B")
        return "\n".join(lines)


def check_arguments(program: FunctionProgram, arrays: Sequence[Any]) -> None:
    """TypeError/ValueError naming the argument unless `arrays` match the parameters."""
    params = program.parameters
    if len(arrays) != len(params):
        types = ", ".join(p.describe() for p in params)
        raise TypeError(
            f"@{program.name} takes {len(params)} arguments ({types}), got {len(arrays)}"
        )
    for index, (spec, value) in enumerate(zip(params, arrays, strict=True)):
        what = f"argument #{index} (%{spec.name})"
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"{what}: expected a numpy.ndarray of dtype {spec.dtype} and shape "
                f"{spec.shape}, got {type(value).__name__}"
            )
        if value.dtype != spec.dtype:
            raise TypeError(
                f"{what}: expected dtype {spec.dtype} ({spec.element}), got {value.dtype}"
            )
        if value.shape != spec.shape:
            raise ValueError(f"{what}: expected shape {spec.shape}, got {value.shape}")


def run_program(
    program: FunctionProgram,
    kernels: Mapping[str, CompiledKernel],
    arrays: Sequence[np.ndarray],
    num_threads: int,
    out: np.ndarray | Sequence[np.ndarray] | None = None,
    arenas: ArenaPool | None = None,
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Runs `program` on `arrays` (see the module doc); `out` as in `run_function`.

    Intermediates go in an arena from `arenas` (whose arenas must hold
    `program.arena_bytes`), or in one allocated for this call when None. A caller
    that runs a program many times keeps a `BoundProgram` instead: this binds the
    program to `kernels` (and checks it) on every call.
    """
    return BoundProgram(program, kernels).run(arrays, num_threads, out, arenas)


@dataclass(frozen=True)
class _Step:
    kernel: CompiledKernel
    outputs: tuple[tuple[int, TensorSpec, int | None], ...]
    """Per output: its value number, spec and arena offset (None: allocated per call)."""
    numbers: tuple[int, ...]
    """The kernel's arguments: inputs, then outputs."""
    dispatch: Callable[[Sequence[int], int], None] | None
    """The kernel's launch on raw addresses; None for a device kernel (`launch`)."""


class BoundProgram:
    """A program bound to its compiled kernels, proven once to hand every kernel
    arrays of its exact specs, inside the arena, never overlapping another argument
    of the launch (but for a declared in-place pair) nor a value read later; a call
    then checks only its arguments and `out`, and launches kernels on raw addresses.

    Arena views are made once per arena (the pool keeps its arenas), so a call of a
    planned function allocates only the values it returns. ValueError, naming the
    launch, for a program whose launches do not fit its kernels or its arena.
    """

    def __init__(self, program: FunctionProgram, kernels: Mapping[str, CompiledKernel]) -> None:
        self.program = program
        self.steps = tuple(_bind(program, kernels))
        self._views: dict[int, tuple[list[Any], list[int]]] = {}
        self._lock = threading.Lock()
        self._arenas = ArenaPool(program.arena_bytes)
        """Arenas of calls that bring no pool of their own."""
        self._native = all(
            step.dispatch is not None and len(step.numbers) <= MAX_ARGUMENTS for step in self.steps
        )
        """Whether the native runner runs every launch (CPU kernels only)."""
        self._fresh = tuple(
            (number, spec)
            for step in self.steps
            for number, spec, offset in step.outputs
            if offset is None
        )
        """The outputs allocated per call: the returned values."""
        self._schedules: dict[tuple[int, int], tuple[ctypes.Array, list[ctypes.Array]]] = {}

    def run(
        self,
        arrays: Sequence[np.ndarray],
        num_threads: int,
        out: np.ndarray | Sequence[np.ndarray] | None = None,
        arenas: ArenaPool | None = None,
    ) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """`run_program` of the bound program."""
        program = self.program
        check_arguments(program, arrays)
        arrays = [
            a
            if a.flags.c_contiguous and a.flags.aligned
            else np.require(a, requirements=("C", "A"))
            for a in arrays
        ]
        outs = _checked_out(out, program, arrays)
        if arenas is None:
            arenas = self._arenas
        elif arenas.size < program.arena_bytes:
            raise ValueError(
                f"arenas: @{program.name} needs {program.arena_bytes}-byte arenas, "
                f"the pool has {arenas.size}"
            )
        arena = arenas.take()
        try:
            results = self._launch_all(arrays, num_threads, outs, arena)
        finally:
            arenas.give_back(arena)
        if outs is None:
            return _fresh_results(results, [*arrays, *program.constants.values()])
        for value, destination in zip(results, outs, strict=True):
            if value is not destination:
                np.copyto(destination, value)
        return outs[0] if len(outs) == 1 else tuple(outs) if outs else None

    def _launch_all(
        self,
        arrays: Sequence[np.ndarray],
        num_threads: int,
        outs: list[np.ndarray] | None,
        arena: np.ndarray,
    ) -> list[np.ndarray]:
        """Launches every kernel; the values the program returns (none in the arena)."""
        destinations: dict[int, np.ndarray] = {}
        for number, destination in zip(self.program.results, outs or (), strict=False):
            destinations.setdefault(number, destination)  # a value returned twice: copied
        values, pointers = self._arena_values(arena)
        values, pointers = list(values), list(pointers)
        for n, array in enumerate(arrays):
            values[n], pointers[n] = array, address_of(array)
        pool = output_pool()
        for number, spec in self._fresh:
            array = destinations.get(number)
            if array is None:
                array = pool.empty(spec.shape, spec.dtype)
            values[number], pointers[number] = array, address_of(array)
        if self._native:
            self._run_native(pointers, num_threads)
        else:
            for step in self.steps:
                if step.dispatch is None:  # a device kernel: it copies host arrays in and out
                    step.kernel.launch(*(values[n] for n in step.numbers))
                else:
                    step.dispatch([pointers[n] for n in step.numbers], num_threads)
        return [values[n] for n in self.program.results]

    @property
    def runs_on_addresses(self) -> bool:
        """Whether `run_on_addresses` can run this program: native kernels only, and
        every value allocated per call returned once (its caller allocates it)."""
        returned = self.program.results
        return (
            self._native
            and len(set(returned)) == len(returned)
            and {number for number, _ in self._fresh} == set(returned)
        )

    def run_on_addresses(
        self, arguments: Sequence[int], results: Sequence[int], num_threads: int
    ) -> None:
        """Runs the program on buffers given by address, for a frontend that holds its
        own tensors (torch): `arguments` per parameter, `results` per returned value.
        The caller vouches for what `run` checks: each buffer has its spec's exact
        dtype and shape, is C-contiguous and element-aligned, and no result overlaps
        another buffer. Needs `runs_on_addresses`."""
        if not self.runs_on_addresses:
            raise ValueError(
                f"@{self.program.name} cannot run on addresses (see runs_on_addresses)"
            )
        if len(arguments) != len(self.program.parameters) or len(results) != len(
            self.program.results
        ):
            raise TypeError(
                f"@{self.program.name} takes {len(self.program.parameters)} argument and "
                f"{len(self.program.results)} result addresses, got {len(arguments)} and "
                f"{len(results)}"
            )
        arena = self._arenas.take()
        try:
            pointers = list(self._arena_values(arena)[1])
            pointers[: len(arguments)] = arguments
            for number, address in zip(self.program.results, results, strict=True):
                pointers[number] = address
            self._run_native(pointers, num_threads)
        finally:
            self._arenas.give_back(arena)

    def _run_native(self, pointers: Sequence[int], num_threads: int) -> None:
        """Every launch through the native runner, on the buffers at `pointers`
        (by value number)."""
        runner = thread_pool(num_threads)
        table = self._table_type(len(pointers))(*pointers)
        runner.run_steps(self._schedule(runner, num_threads), table)

    @staticmethod
    @functools.cache
    def _table_type(count: int) -> type[ctypes.Array]:
        return ctypes.c_void_p * count

    def threads_per_launch(self, num_threads: int) -> list[tuple[str, int]]:
        """Per launch, in order: its kernel and how many threads it is split over
        when the function runs with `num_threads`."""
        return [(step.kernel.name, step.kernel.shares(num_threads)) for step in self.steps]

    def _schedule(self, runner: Any, num_threads: int) -> ctypes.Array:
        """The launches as `Step`s for `runner` with `num_threads` threads (built once)."""
        key = (id(runner), num_threads)
        schedule = self._schedules.get(key)
        if schedule is None:
            steps = (Step * len(self.steps))()
            slots = [(ctypes.c_int64 * len(s.numbers))(*s.numbers) for s in self.steps]
            for native, step, numbers in zip(steps, self.steps, slots, strict=True):
                native.trampoline = runner.trampolines[len(step.numbers)]
                native.kernel = step.kernel.address
                native.slots = numbers
                native.count = len(step.numbers)
                native.size = step.kernel.parallel_size
                native.shares = step.kernel.shares(num_threads)
            schedule = self._schedules[key] = (steps, slots)  # slots: kept alive with steps
        return schedule[0]

    def _arena_values(self, arena: np.ndarray) -> tuple[list[Any], list[int]]:
        """Arrays and addresses by value number: the constants and the views of
        `arena`, the rest None and 0. The views keep `arena` alive, so its address
        names it for as long as they are cached."""
        with self._lock:
            cached = self._views.get(arena.ctypes.data)
            if cached is None:
                program = self.program
                numbers = [*program.constants, *program.results, len(program.parameters) - 1]
                count = 1 + max(numbers + [n for step in self.steps for n in step.numbers])
                values: list[Any] = [None] * count
                for n, array in self.program.constants.items():
                    values[n] = array
                for step in self.steps:
                    for number, spec, offset in step.outputs:
                        if offset is not None:
                            values[number] = _placed(arena, offset, spec)
                pointers = [0 if v is None else address_of(v) for v in values]
                cached = self._views[arena.ctypes.data] = (values, pointers)
            return cached


def address_of(array: np.ndarray) -> int:
    """The address of a C-contiguous array's first element. `ndarray.ctypes.data`
    costs ~2 us per call on a slow host, a ctypes view of the buffer a quarter of
    that; read-only and empty arrays take the slow way."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except (TypeError, ValueError, BufferError):
        return array.ctypes.data


def _bind(program: FunctionProgram, kernels: Mapping[str, CompiledKernel]) -> list[_Step]:
    """The steps of `program`, proven safe (see `BoundProgram`); ValueError otherwise."""
    specs: dict[int, tuple[tuple[int, ...], np.dtype]] = {
        n: (p.shape, p.dtype) for n, p in enumerate(program.parameters)
    }
    specs.update((n, (a.shape, a.dtype)) for n, a in program.constants.items())
    last_read: dict[int, int] = {}
    for position, launch in enumerate(program.launches):
        for n in launch.inputs:
            last_read[n] = position
    placed: dict[int, tuple[int, int]] = {}  # value -> byte range in the arena
    steps = []
    for position, launch in enumerate(program.launches):
        where = f"@{program.name} launch #{position} ({launch.kernel})"
        kernel = kernels.get(launch.kernel)
        if kernel is None:
            raise ValueError(f"{where}: no compiled kernel of that name")
        if len(launch.inputs) != len(kernel.inputs) or len(launch.outputs) != len(kernel.outputs):
            raise ValueError(f"{where}: the launch's arguments do not match the kernel's")
        for n, spec in zip(launch.inputs, kernel.inputs, strict=True):
            if specs.get(n) != (spec.shape, spec.dtype):
                raise ValueError(f"{where}: value {n} is not {spec.describe()} here")
        offsets = launch.arena_offsets or (None,) * len(launch.outputs)
        if len(offsets) != len(launch.outputs):
            raise ValueError(
                f"{where}: {len(offsets)} arena offsets for {len(launch.outputs)} outputs"
            )
        outputs = []
        for r, (n, spec, offset) in enumerate(
            zip(launch.outputs, kernel.outputs, offsets, strict=True)
        ):
            if n in specs:
                raise ValueError(f"{where}: value {n} is written twice")
            specs[n] = (spec.shape, spec.dtype)
            outputs.append((n, spec, offset))
            if offset is None:
                continue
            size = spec.nbytes
            if offset < 0 or offset % ALIGNMENT or offset + size > program.arena_bytes:
                raise ValueError(
                    f"{where}: output {r} at [{offset}, {offset + size}) is not an aligned "
                    f"range of the {program.arena_bytes}-byte arena"
                )
            taken_over = (
                launch.inputs[kernel.signature.in_place[r]]
                if kernel.signature.in_place[r] >= 0
                else None
            )
            for other, (begin, stop) in placed.items():
                live = last_read.get(other, -1) >= position or other in launch.outputs
                if not live or stop <= offset or offset + size <= begin:
                    continue
                in_place = other == taken_over and (begin, stop) == (offset, offset + size)
                if in_place and specs[other] == specs[n] and last_read[other] == position:
                    continue
                raise ValueError(
                    f"{where}: output {r} at [{offset}, {offset + size}) overlaps value "
                    f"{other} at [{begin}, {stop}), which is still in use"
                )
            placed[n] = (offset, offset + size)
        steps.append(
            _Step(
                kernel,
                tuple(outputs),
                launch.inputs + launch.outputs,
                getattr(kernel, "dispatch", None),
            )
        )
    for n, spec in zip(program.results, program.result_specs, strict=True):
        if specs.get(n) != (spec.shape, spec.dtype):
            raise ValueError(f"@{program.name}: returned value {n} is not {spec.describe()}")
        if n in placed:
            raise ValueError(f"@{program.name}: returned value {n} lies in the arena")
    return steps


def _placed(arena: np.ndarray, offset: int, spec: TensorSpec) -> np.ndarray:
    """The array of `spec` at byte `offset` of `arena`."""
    return arena[offset : offset + spec.nbytes].view(spec.dtype).reshape(spec.shape)


def _checked_out(
    out: np.ndarray | Sequence[np.ndarray] | None,
    program: FunctionProgram,
    arguments: Sequence[np.ndarray],
) -> list[np.ndarray] | None:
    """`out` as a list of arrays the results can be written into; raises otherwise."""
    if out is None:
        return None
    if isinstance(out, np.ndarray):
        outs = [out]
    elif isinstance(out, tuple | list):
        outs = list(out)
    else:
        raise TypeError(
            f"out: expected a numpy.ndarray or a tuple or list of them, got {type(out).__name__}"
        )
    if len(outs) != len(program.results):
        count = len(program.results)
        raise TypeError(
            f"out: the function has {count} result{'s' * (count != 1)}, got {len(outs)} arrays"
        )
    for n, (array, spec) in enumerate(zip(outs, program.result_specs, strict=True)):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"out[{n}]: expected a numpy.ndarray, got {type(array).__name__}")
        if array.dtype != spec.dtype or array.shape != spec.shape:
            raise ValueError(
                f"out[{n}]: expected {spec.describe()}, got {array.dtype}{list(array.shape)}"
            )
        if not (array.flags.c_contiguous and array.flags.aligned and array.flags.writeable):
            raise ValueError(f"out[{n}]: the array must be C-contiguous, aligned and writable")
        others = [*arguments, *outs[:n], *outs[n + 1 :]]
        if any(np.may_share_memory(array, other) for other in others):
            raise ValueError(f"out[{n}]: the array shares memory with an argument or another out")
    return outs


def _fresh_results(
    values: list[np.ndarray], shared: Sequence[np.ndarray]
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Copies values that are arguments, constants or returned twice: no result aliases."""
    results: list[np.ndarray] = []
    for value in values:
        aliased = any(value is a for a in (*shared, *results))
        results.append(value.copy() if aliased else value)
    if not results:
        return None
    return results[0] if len(results) == 1 else tuple(results)
