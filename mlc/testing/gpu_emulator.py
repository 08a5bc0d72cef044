"""GPU kernels run on the CPU, thread by thread, for tests without a GPU.

`convert-gpu-to-nvvm`'s kernels are compiled for the host CPU with their GPU parts
replaced by host equivalents:

* `llvm.nvvm.read.ptx.sreg.tid.x` / `ctaid.x` become two trailing `i32` parameters;
* `llvm.nvvm.barrier0` becomes a call to a host callback that waits on the block's
  `threading.Barrier`;
* `llvm.nvvm.shfl.sync.bfly.{f32,i32}` becomes a callback that exchanges values
  among the 32 threads of a warp (each writes its value to the warp's table, a warp
  barrier, each reads its partner's, a second barrier before the table is reused);
* `addrspace(3)` shared globals become ordinary globals: blocks run one after
  another, so one copy serves every block.

Each block's threads run concurrently, one Python thread per GPU thread (ctypes
releases the GIL while the kernel runs, and the callbacks take it back), so a
kernel whose threads communicate through shared memory between barriers computes
what it would on a GPU. A thread that never reaches a barrier its block waits at
(a divergent barrier: a bug on a GPU too) breaks the barrier after
`BARRIER_TIMEOUT_S`, and the launch raises `EmulationError` instead of hanging.

    outputs = run_emulated(module, "f", x, w)   # module after mlc-gpu-pipeline

Blocks of up to 1024 threads mean as many OS threads: keep test sizes small.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import llvm
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp, f32, i32

from mlc.dialects.gpu import WARP_SIZE
from mlc.lowering.gpu_to_nvvm import (
    KERNEL_ATTRIBUTE,
    DeviceModule,
    export_nvvm_ir,
    kernels_as_nvvm,
    mapping_of,
)
from mlc.lowering.loop_to_llvm import declare_externals, kernel_symbols
from mlc.runtime.cpu import host_program, kernel_signature
from mlc.runtime.native import llvm_host

__all__ = ["EmulatedKernels", "EmulationError", "run_emulated"]

BARRIER_TIMEOUT_S = 30.0
_BARRIER = "mlc_emulated_barrier"
_SHUFFLES = {"f32": "mlc_emulated_shuffle_f32", "i32": "mlc_emulated_shuffle_i32"}
_SHUFFLE_PREFIX = "llvm.nvvm.shfl.sync.bfly."
_REGISTER_PREFIX = "llvm.nvvm.read.ptx.sreg."


class EmulationError(RuntimeError):
    """An emulated launch failed: a broken barrier or a failing callback."""


# ---------------------------------------------------------------------------
# The kernels as host code


def host_kernels(device: DeviceModule) -> ModuleOp:
    """The device module's kernels, each taking `tid.x` and `ctaid.x` as trailing
    `i32` parameters and calling the host callbacks for barriers and shuffles."""
    module = device.module.clone()
    for function in module.ops:
        if isinstance(function, llvm.FuncOp) and KERNEL_ATTRIBUTE in function.attributes:
            _emulate(function)
    declare_externals(
        module,
        {
            _BARRIER: llvm.LLVMFunctionType([], llvm.LLVMVoidType()),
            _SHUFFLES["f32"]: llvm.LLVMFunctionType([f32, i32], f32),
            _SHUFFLES["i32"]: llvm.LLVMFunctionType([i32, i32], i32),
        },
    )
    return module


def _emulate(function: llvm.FuncOp) -> None:
    entry = function.body.blocks[0]
    registers = {r: entry.insert_arg(i32, len(entry.args)) for r in ("tid.x", "ctaid.x")}
    for op in list(function.walk()):
        if not isinstance(op, llvm.CallIntrinsicOp):
            continue
        name = op.intrin.data
        if name.startswith(_REGISTER_PREFIX):
            op.results[0].replace_all_uses_with(registers[name.removeprefix(_REGISTER_PREFIX)])
        elif name == "llvm.nvvm.barrier0":
            op.parent_block().insert_op_before(llvm.CallOp(_BARRIER), op)
        elif name.startswith(_SHUFFLE_PREFIX):
            _mask, value, offset, _clamp = op.operands
            t = op.results[0].type
            call = llvm.CallOp(
                _SHUFFLES[name.removeprefix(_SHUFFLE_PREFIX)], value, offset, return_type=t
            )
            op.parent_block().insert_op_before(call, op)
            op.results[0].replace_all_uses_with(call.results[0])
        else:
            continue
        op.detach()
        op.erase()
    types = [a.type for a in entry.args]
    function.properties["function_type"] = llvm.LLVMFunctionType(types, llvm.LLVMVoidType())
    function.properties["arg_attrs"] = ArrayAttr([DictionaryAttr({})] * len(types))


def _host_ir(module: ModuleOp) -> str:
    """LLVM IR for the host: the NVVM export with shared memory made generic."""
    return re.sub(r" addrspace\(3\)", "", export_nvvm_ir(module))


# ---------------------------------------------------------------------------
# Barriers and shuffles


@dataclass
class _Warp:
    barrier: threading.Barrier
    values: list[float | int] = field(default_factory=lambda: [0] * WARP_SIZE)


@dataclass
class _Block:
    """What the threads of the running block share."""

    threads: int
    barrier: threading.Barrier = field(init=False)
    warps: list[_Warp] = field(init=False)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.barrier = threading.Barrier(self.threads, timeout=BARRIER_TIMEOUT_S)
        self.warps = [
            _Warp(threading.Barrier(WARP_SIZE, timeout=BARRIER_TIMEOUT_S))
            for _ in range(self.threads // WARP_SIZE)
        ]

    def fail(self, error: BaseException) -> None:
        """Records `error` and breaks every barrier, so no thread waits forever."""
        self.errors.append(error)
        self.barrier.abort()
        for warp in self.warps:
            warp.barrier.abort()


_current = threading.local()
"""The emulated thread running on this OS thread: `block` (a _Block) and `tid`."""


def _barrier() -> None:
    block: _Block = _current.block
    try:
        block.barrier.wait()
    except threading.BrokenBarrierError as error:
        block.fail(error)


def _shuffle(value: float | int, offset: int) -> float | int:
    block: _Block = _current.block
    lane = _current.tid % WARP_SIZE
    warp = block.warps[_current.tid // WARP_SIZE]
    try:
        warp.values[lane] = value
        warp.barrier.wait()
        other = warp.values[lane ^ offset]
        warp.barrier.wait()
    except threading.BrokenBarrierError as error:
        block.fail(error)
        return value
    return other


_CALLBACKS = {
    _BARRIER: ctypes.CFUNCTYPE(None)(_barrier),
    _SHUFFLES["f32"]: ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_float, ctypes.c_int32)(_shuffle),
    _SHUFFLES["i32"]: ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32)(_shuffle),
}
"""Module-level, so the trampolines outlive every library that calls them."""


# ---------------------------------------------------------------------------
# Launches


class EmulatedKernels:
    """The kernels of a device module compiled for the host, launched block by
    block with one OS thread per GPU thread."""

    def __init__(self, device: DeviceModule) -> None:
        import llvmlite.binding as binding

        host = llvm_host()
        module = binding.parse_assembly(_host_ir(host_kernels(device)))
        module.triple = binding.get_process_triple()
        module.data_layout = str(host.machine.target_data)
        module.verify()
        passes = binding.create_pass_builder(
            host.machine, binding.create_pipeline_tuning_options(speed_level=2)
        )
        passes.getModulePassManager().run(module, passes)
        builder = binding.JITLibraryBuilder().add_object_img(host.machine.emit_object(module))
        for name, callback in _CALLBACKS.items():
            builder.import_symbol(name, ctypes.cast(callback, ctypes.c_void_p).value)
        for name in device.kernels:
            builder.export_symbol(name)
        self.device = device
        self._tracker = builder.link(host.jit, f"mlc_emulated_{next(host.library_numbers)}")

    def launch(self, name: str, arrays: Sequence[np.ndarray]) -> None:
        """Runs kernel `name` on `arrays` (its inputs, then its outputs) for every
        block of its mapping's grid, the block's threads concurrently."""
        mapping = mapping_of(self.device.kernels[name])
        prototype = ctypes.CFUNCTYPE(
            None, *[ctypes.c_void_p] * len(arrays), ctypes.c_int32, ctypes.c_int32
        )
        call = prototype(self._tracker[name])
        pointers = [a.ctypes.data for a in arrays]

        def thread(block: _Block, tid: int, block_id: int) -> None:
            _current.block, _current.tid = block, tid
            try:
                call(*pointers, tid, block_id)
            except BaseException as error:  # a ctypes argument error: fail the launch
                block.fail(error)

        for block_id in range(mapping.blocks):
            block = _Block(mapping.threads)
            workers = [
                threading.Thread(target=thread, args=(block, tid, block_id))
                for tid in range(mapping.threads)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if block.errors:
                raise EmulationError(
                    f"kernel '{name}', block {block_id}: {block.errors[0]!r} "
                    "(a barrier or shuffle not reached by every thread?)"
                )


def run_emulated(module: ModuleOp, function: str, *args: np.ndarray) -> tuple[np.ndarray, ...]:
    """The results of `function` of `module` (after `mlc-gpu-pipeline` or
    `map-to-gpu`) on `args`, its kernels emulated (see the module docstring)."""
    device = kernels_as_nvvm(module)
    kernels = EmulatedKernels(device)
    program = host_program(module, kernel_symbols(module))[function]
    values = dict(enumerate(args)) | dict(program.constants)
    for step in program.launches:
        signature = kernel_signature(device.kernels[step.kernel], step.kernel)
        outputs = [np.empty(s.shape, s.dtype) for s in signature.outputs]
        for output in outputs:  # all-ones bits: NaN or -1, so a missed element shows
            output.view(np.uint8)[...] = 0xFF
        inputs = [np.ascontiguousarray(values[n]) for n in step.inputs]
        kernels.launch(step.kernel, [*inputs, *outputs])
        values.update(zip(step.outputs, outputs, strict=True))
    return tuple(values[n] for n in program.results)
