"""The CUDA runtime: PTX loaded and launched through the driver API (ctypes on libcuda).

Nothing is loaded until used: importing this module (or mlc) needs no GPU, driver
or CUDA package. `driver()` opens `libcuda`, initialises it and makes a context on
device 0 once per process; without a driver or a GPU it raises `CudaUnavailable`
saying which. `CudaModule` loads a module's PTX (`cuModuleLoadData`, which JITs it
for the device) and gives a `CudaKernel` per kernel.

`CudaKernel.launch(*inputs, *outputs)` is the host-array calling convention of
`mlc.runtime.program.run_program` (the CPU kernels' too): it copies the inputs to
device buffers, launches `grid x block` threads as the kernel's `#mlc_gpu.mapping`
says, and copies the outputs back. `DeviceBuffer` and `CudaKernel.launch_device`
keep data on the device between launches (what the GPU benchmark times).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from mlc.runtime.native import KernelSignature

__all__ = [
    "CudaError",
    "CudaKernel",
    "CudaModule",
    "CudaUnavailable",
    "DeviceBuffer",
    "compile_cuda",
    "cuda_available",
    "driver",
]

_LIBRARY_NAMES = ("libcuda.so.1", "libcuda.so")


class CudaUnavailable(RuntimeError):
    """No CUDA driver library, or no usable GPU: the cuda target cannot run here."""


class CudaError(RuntimeError):
    """A driver call failed: the message names the call and the driver's error."""


class _Driver:
    """libcuda's functions that mlc uses, and a context on device 0."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.lib = library
        self.check("cuInit", 0)
        count = ctypes.c_int()
        self.check("cuDeviceGetCount", ctypes.byref(count))
        if count.value == 0:
            raise CudaUnavailable("the CUDA driver found no GPU")
        self.device = ctypes.c_int()
        self.check("cuDeviceGet", ctypes.byref(self.device), 0)
        self.context = ctypes.c_void_p()
        self.check("cuDevicePrimaryCtxRetain", ctypes.byref(self.context), self.device)
        self.check("cuCtxSetCurrent", self.context)

    def check(self, call: str, *args: object) -> None:
        status = getattr(self.lib, call)(*args)
        if status != 0:
            name = ctypes.c_char_p()
            self.lib.cuGetErrorName(status, ctypes.byref(name))
            text = name.value.decode() if name.value else f"error {status}"
            raise CudaError(f"{call} failed: {text}")

    def compute_capability(self) -> str:
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.check("cuDeviceGetAttribute", ctypes.byref(major), 75, self.device)
        self.check("cuDeviceGetAttribute", ctypes.byref(minor), 76, self.device)
        return f"sm_{major.value}{minor.value}"

    def synchronize(self) -> None:
        self.check("cuCtxSynchronize")


@functools.cache
def driver() -> _Driver:
    """The process's CUDA driver; CudaUnavailable when there is no driver or GPU."""
    for name in _LIBRARY_NAMES:
        try:
            library = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        raise CudaUnavailable("no CUDA driver: libcuda.so.1 is not installed (no NVIDIA GPU?)")
    try:
        return _Driver(library)
    except CudaError as error:
        raise CudaUnavailable(f"the CUDA driver cannot start: {error}") from error


def cuda_available() -> bool:
    """Whether a CUDA GPU can run kernels in this process."""
    try:
        driver()
    except CudaUnavailable:
        return False
    return True


class DeviceBuffer:
    """`nbytes` of device memory (`cuMemAlloc`), freed with the object."""

    def __init__(self, nbytes: int) -> None:
        self._driver = driver()
        self.nbytes = nbytes
        self.pointer = ctypes.c_uint64()
        self._driver.check(
            "cuMemAlloc_v2", ctypes.byref(self.pointer), ctypes.c_size_t(max(nbytes, 1))
        )

    @classmethod
    def from_array(cls, array: np.ndarray) -> DeviceBuffer:
        buffer = cls(array.nbytes)
        buffer.upload(array)
        return buffer

    def upload(self, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        if array.nbytes != self.nbytes:
            raise ValueError(f"array: {array.nbytes} bytes for a {self.nbytes}-byte buffer")
        if array.nbytes:
            self._driver.check(
                "cuMemcpyHtoD_v2",
                self.pointer,
                array.ctypes.data_as(ctypes.c_void_p),
                ctypes.c_size_t(array.nbytes),
            )

    def download(self, array: np.ndarray) -> None:
        if not array.flags.c_contiguous or array.nbytes != self.nbytes:
            raise ValueError(f"array: needs a C-contiguous array of {self.nbytes} bytes")
        if array.nbytes:
            self._driver.check(
                "cuMemcpyDtoH_v2",
                array.ctypes.data_as(ctypes.c_void_p),
                self.pointer,
                ctypes.c_size_t(array.nbytes),
            )

    def __del__(self) -> None:
        if getattr(self, "pointer", None) is not None and self.pointer.value:
            self._driver.lib.cuMemFree_v2(self.pointer)


@dataclass(frozen=True)
class LaunchShape:
    """Threads per block and blocks of one kernel."""

    block: int
    grid: int


class CudaKernel:
    """One kernel of a loaded module, with its buffers' specs and launch shape."""

    def __init__(self, module: CudaModule, signature: KernelSignature, shape: LaunchShape) -> None:
        self.signature = signature
        self.name = signature.name
        self.inputs = signature.inputs
        self.outputs = signature.outputs
        self.shape = shape
        self._module = module  # keeps the module loaded while the kernel lives
        self._function = ctypes.c_void_p()
        driver().check(
            "cuModuleGetFunction", ctypes.byref(self._function), module.handle, self.name.encode()
        )

    def __repr__(self) -> str:
        return f"<CudaKernel {self.name} grid={self.shape.grid} block={self.shape.block}>"

    def launch_device(self, buffers: Sequence[DeviceBuffer]) -> None:
        """Launches on device buffers (inputs, then outputs); asynchronous."""
        if len(buffers) != len(self.inputs) + len(self.outputs):
            raise ValueError(
                f"buffers: {self.name} takes {len(self.inputs) + len(self.outputs)}, got {len(buffers)}"
            )
        pointers = [ctypes.c_uint64(b.pointer.value) for b in buffers]
        arguments = (ctypes.c_void_p * len(pointers))(
            *(ctypes.cast(ctypes.byref(p), ctypes.c_void_p) for p in pointers)
        )
        driver().check(
            "cuLaunchKernel",
            self._function,
            self.shape.grid, 1, 1,
            self.shape.block, 1, 1,
            0, None, arguments, None,
        )  # fmt: skip

    def launch(self, *arrays: np.ndarray, num_threads: int = 1) -> None:
        """Computes the kernel on host arrays: copies in, launches, copies out."""
        specs = [*self.inputs, *self.outputs]
        if len(arrays) != len(specs):
            raise ValueError(f"arrays: {self.name} takes {len(specs)} arrays, got {len(arrays)}")
        for array, spec in zip(arrays, specs, strict=True):
            if array.shape != tuple(spec.shape) or array.dtype != spec.dtype:
                raise ValueError(
                    f"arrays: {spec.name} must be {spec.dtype}{list(spec.shape)}, got "
                    f"{array.dtype}{list(array.shape)}"
                )
        buffers = [DeviceBuffer.from_array(a) for a in arrays[: len(self.inputs)]]
        buffers += [DeviceBuffer(s.nbytes) for s in self.outputs]
        self.launch_device(buffers)
        driver().synchronize()
        for array, buffer in zip(
            arrays[len(self.inputs) :], buffers[len(self.inputs) :], strict=True
        ):
            buffer.download(array)


class CudaModule:
    """A module of PTX loaded into the current context (`cuModuleLoadData`)."""

    def __init__(self, ptx: str) -> None:
        self.handle = ctypes.c_void_p()
        driver().check(
            "cuModuleLoadData", ctypes.byref(self.handle), ctypes.c_char_p(ptx.encode() + b"\0")
        )

    def __del__(self) -> None:
        if getattr(self, "handle", None) is not None and self.handle.value:
            driver().lib.cuModuleUnload(self.handle)


def compile_cuda(module: ModuleOp) -> dict[str, CudaKernel]:
    """Loads the kernels of a module after `mlc-gpu-pipeline` onto the GPU, by symbol.

    The PTX is made (and checked against the arch's limits) before the driver is
    touched, so compile errors come first; then CudaUnavailable without a GPU.
    """
    from mlc.lowering.loop_to_llvm import kernel_symbols
    from mlc.lowering.ptx import compile_module_ptx
    from mlc.runtime.cpu import kernel_signature

    code = compile_module_ptx(module)
    loaded = CudaModule(code.ptx)
    kernels: dict[str, CudaKernel] = {}
    for kernel, name in kernel_symbols(module).items():
        signature = kernel_signature(kernel, name)
        mapping = code.launches[name]
        shape = LaunchShape(mapping.threads, mapping.blocks)
        kernels[name] = CudaKernel(loaded, signature, shape)
    return kernels
