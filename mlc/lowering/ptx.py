"""PTX from a device module, and the resource limits checked before any launch.

`compile_ptx` optimises the NVVM IR of `kernels_as_nvvm` at O3 and emits PTX with
llvmlite's NVPTX target machine for `sm_80` or `sm_90`. `check_resources` then
holds every kernel to its architecture's limits, as a located CompileError on its
`loop.kernel` that says what to change, rather than a failed launch:

* threads per block (`#mlc_gpu.mapping`'s `block`) against `max_threads_per_block`;
* static shared memory (its block reductions' slots, its contraction tiles) against
  `max_static_shared`;
* registers per thread, read back from `ptxas -v --gpu-name sm_XX` where `ptxas`
  is on PATH: more than the block can be given (`registers_per_sm // block`, and
  at most 255) means the launch would fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp, StringAttr

from mlc.diagnostics import CompileError, Diagnostic, Severity
from mlc.dialects.gpu import MappingAttr
from mlc.lowering.gpu_to_nvvm import (
    NVPTX_TRIPLE,
    DeviceModule,
    export_nvvm_ir,
    kernels_as_nvvm,
    mapping_of,
)


@dataclass(frozen=True)
class GpuArch:
    """The limits of one compute capability that mlc checks at compile time."""

    name: str
    ptx_version: str
    max_threads_per_block: int = 1024
    max_static_shared: int = 48 * 1024
    registers_per_sm: int = 65536
    max_registers_per_thread: int = 255


ARCHS = {
    "sm_80": GpuArch("sm_80", "+ptx70"),
    "sm_90": GpuArch("sm_90", "+ptx78"),
}


def gpu_arch(name: str) -> GpuArch:
    """The limits of `name`; ValueError naming `arch` for an unknown one."""
    if name not in ARCHS:
        raise ValueError(
            f"arch: unsupported GPU architecture {name!r}; supported: {', '.join(ARCHS)}"
        )
    return ARCHS[name]


def compile_ptx(device: DeviceModule, arch: str) -> str:
    """PTX text for the kernels of `device`, after checking their static limits."""
    import llvmlite.binding as binding

    target = gpu_arch(arch)
    check_static_resources(device, target)
    binding.initialize_all_targets()
    binding.initialize_all_asmprinters()
    machine = binding.Target.from_triple(NVPTX_TRIPLE).create_target_machine(
        cpu=target.name, features=target.ptx_version, opt=3
    )
    module = binding.parse_assembly(export_nvvm_ir(device.module))
    module.verify()
    options = binding.create_pipeline_tuning_options(speed_level=3)
    passes = binding.create_pass_builder(machine, options)
    passes.getModulePassManager().run(module, passes)
    return machine.emit_assembly(module)


def check_static_resources(device: DeviceModule, arch: GpuArch) -> None:
    """Threads per block and shared memory of every kernel against `arch`."""
    for name, kernel in device.kernels.items():
        mapping = mapping_of(kernel)
        if mapping.threads > arch.max_threads_per_block:
            raise CompileError.at(
                kernel,
                f"kernel '{name}': {mapping.threads} threads per block exceed {arch.name}'s "
                f"{arch.max_threads_per_block}; lower map-to-gpu's {_knobs(mapping)}",
            )
        shared = device.shared_bytes.get(name, 0)
        if shared > arch.max_static_shared:
            remedy = (
                "use smaller map-to-gpu tile-m/tile-n/tile-k"
                if mapping.strategy.data == "tiles"
                else "use fewer threads per block"
            )
            raise CompileError.at(
                kernel,
                f"kernel '{name}': {shared} bytes of shared memory exceed {arch.name}'s "
                f"{arch.max_static_shared} per block; {remedy}",
            )


def _knobs(mapping: MappingAttr) -> str:
    """The map-to-gpu options that set a kernel's threads per block."""
    return "tile-m/tile-n" if mapping.strategy.data == "tiles" else "block/row-block"


@dataclass(frozen=True)
class KernelUsage:
    """What `ptxas -v` reports for one kernel."""

    registers: int
    shared_bytes: int


_ENTRY = re.compile(r"Compiling entry function '(\w+)'")
_USED = re.compile(r"Used (\d+) registers(?:.*?(\d+) bytes smem)?")


def ptxas_usage(ptx: str, arch: str) -> dict[str, KernelUsage] | None:
    """Per-kernel registers and shared memory from `ptxas -v`; None without ptxas.

    CompileError (not located: no kernel to blame) when ptxas rejects the PTX.
    """
    ptxas = shutil.which("ptxas")
    if ptxas is None:
        return None
    gpu_arch(arch)
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "kernels.ptx"
        source.write_text(ptx)
        done = subprocess.run(
            [ptxas, "-v", "--gpu-name", arch, str(source), "-o", str(Path(work) / "k.cubin")],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        message = f"ptxas rejected the generated PTX: {done.stderr.strip()}"
        raise CompileError([Diagnostic(Severity.ERROR, message)])
    usage: dict[str, KernelUsage] = {}
    current = None
    for line in done.stderr.splitlines():
        if entry := _ENTRY.search(line):
            current = entry.group(1)
        elif (used := _USED.search(line)) and current is not None:
            usage[current] = KernelUsage(int(used.group(1)), int(used.group(2) or 0))
    return usage


def check_registers(device: DeviceModule, usage: dict[str, KernelUsage], arch: GpuArch) -> None:
    """Registers per thread (from ptxas) against what a block of the kernel can get."""
    for name, kernel in device.kernels.items():
        if name not in usage:
            continue
        mapping: MappingAttr = mapping_of(kernel)
        available = min(arch.max_registers_per_thread, arch.registers_per_sm // mapping.threads)
        if usage[name].registers > available:
            raise CompileError.at(
                kernel,
                f"kernel '{name}': {usage[name].registers} registers per thread, but a block of "
                f"{mapping.threads} threads on {arch.name} gets at most {available}; lower "
                f"map-to-gpu's {_knobs(mapping)}",
            )


@dataclass(frozen=True)
class PtxCode:
    """A module's PTX, the arch it is for, and each kernel's launch shape."""

    ptx: str
    arch: str
    launches: dict[str, MappingAttr]
    usage: dict[str, KernelUsage] | None
    """What ptxas reported per kernel; None where ptxas is absent."""


def compile_module_ptx(module: ModuleOp, arch: str | None = None) -> PtxCode:
    """The PTX of every GPU-mapped kernel of `module` (after `mlc-gpu-pipeline`), for
    `arch` (default: the module's `gpu.arch`, else sm_90), checked against its limits."""
    if arch is None:
        recorded = module.attributes.get("gpu.arch")
        arch = recorded.data if isinstance(recorded, StringAttr) else "sm_90"
    target = gpu_arch(arch)
    device = kernels_as_nvvm(module)
    ptx = compile_ptx(device, arch)
    usage = ptxas_usage(ptx, arch)
    if usage is not None:
        check_registers(device, usage, target)
    launches = {name: mapping_of(kernel) for name, kernel in device.kernels.items()}
    return PtxCode(ptx, arch, launches, usage)
