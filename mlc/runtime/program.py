"""The host side of a compiled module: what each function does, without the IR.

After `mlc-cpu-pipeline` a function body is `nn.constant`s, `loop.kernel`s and
`func.return`; `mlc.runtime.cpu.host_program` turns each function into a
`FunctionProgram`: numbered values (parameters first, then constants, then kernel
outputs), the kernel launches in order, and the returned values. Constants are
evaluated once, at compile time, not per call. A program is plain data, so the
compile cache stores it as JSON (constants as `.npy`) and a warm compile never
parses or transforms IR; this module does not load the compiler.

`run_program` executes one: it checks the arguments like `mlc.interpreter.run`
(exact dtype and shape, TypeError/ValueError naming the argument), allocates each
kernel output (64-byte aligned, for vector and streaming stores), launches the
kernels and returns results that never alias the arguments, each other or a constant.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlc.dtypes import element_dtype

if TYPE_CHECKING:
    from mlc.runtime.native import CompiledKernel

__all__ = [
    "ALIGNMENT",
    "FunctionProgram",
    "Launch",
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

    @property
    def dtype(self) -> np.dtype:
        return element_dtype(self.element)

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

    def to_json(self) -> dict[str, Any]:
        """Everything but the constants' contents (see `constant_blobs`)."""
        return {
            "name": self.name,
            "parameters": [p.to_json() for p in self.parameters],
            "constants": sorted(self.constants),
            "launches": [
                [launch.kernel, launch.inputs, launch.outputs] for launch in self.launches
            ],
            "results": list(self.results),
            "result_specs": [s.to_json() for s in self.result_specs],
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
            tuple(
                Launch(str(k), tuple(map(int, i)), tuple(map(int, o)))
                for k, i, o in data["launches"]
            ),
            tuple(int(r) for r in data["results"]),
            tuple(TensorSpec.from_json(s) for s in data["result_specs"]),
        )


def aligned_empty(shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts at an ALIGNMENT boundary."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(count * dtype.itemsize + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + count * dtype.itemsize].view(dtype).reshape(shape)


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
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Runs `program` on `arrays` (see the module doc); `out` as in `run_function`."""
    check_arguments(program, arrays)
    outs = _checked_out(out, program, arrays)
    destinations: dict[int, np.ndarray] = {}
    for number, destination in zip(program.results, outs or (), strict=False):
        destinations.setdefault(number, destination)  # a value returned twice: copied
    values: dict[int, np.ndarray] = dict(enumerate(arrays))
    values.update(program.constants)
    for launch in program.launches:
        kernel = kernels[launch.kernel]
        inputs = [np.require(values[n], requirements=("C", "A")) for n in launch.inputs]
        outputs = [
            destinations[n] if n in destinations else aligned_empty(s.shape, s.dtype)
            for n, s in zip(launch.outputs, kernel.outputs, strict=True)
        ]
        kernel.launch(*inputs, *outputs, num_threads=num_threads)
        values.update(zip(launch.outputs, outputs, strict=True))
    results = [values[n] for n in program.results]
    if outs is None:
        return _fresh_results(results, [*arrays, *program.constants.values()])
    for value, destination in zip(results, outs, strict=True):
        if value is not destination:
            np.copyto(destination, value)
    return outs[0] if len(outs) == 1 else tuple(outs) if outs else None


def _checked_out(
    out: np.ndarray | Sequence[np.ndarray] | None,
    program: FunctionProgram,
    arguments: Sequence[np.ndarray],
) -> list[np.ndarray] | None:
    """`out` as a list of arrays the results can be written into; raises otherwise."""
    if out is None:
        return None
    outs = [out] if isinstance(out, np.ndarray) else list(out)
    if len(outs) != len(program.results):
        raise TypeError(
            f"out: the function has {len(program.results)} results, got {len(outs)} arrays"
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
