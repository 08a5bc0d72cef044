"""`mlc-gpu-pipeline`: the passes that take an nn program to GPU kernels.

It runs `mlc-cpu-pipeline` (decompose, canonicalize, cse, fuse: the fused kernels
are the same for every target) and then `map-to-gpu`, leaving functions of
`loop.kernel`s that carry a `#mlc_gpu.mapping`: what `mlc-opt --emit=ptx` and
`mlc.compile(..., target="cuda")` turn into PTX for `arch`.

    mlc-opt model.mlir --pass-pipeline='builtin.module(mlc-gpu-pipeline{arch=sm_90})' --emit=ptx
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

from mlc.lowering.ptx import gpu_arch
from mlc.passes import register_pass
from mlc.transforms.cpu_pipeline import CpuPipelinePass
from mlc.transforms.map_to_gpu import MapToGpuPass

ARCH_ATTRIBUTE = "gpu.arch"
"""The module attribute recording the architecture the pipeline compiled for."""


@register_pass
@dataclass(frozen=True)
class GpuPipelinePass(ModulePass):
    """Compiles nn programs for NVIDIA GPUs: mlc-cpu-pipeline, then map-to-gpu.

    Records `arch` on the module (`gpu.arch`), which `--emit=ptx` and the CUDA
    runtime compile for.
    """

    name = "mlc-gpu-pipeline"

    arch: str = field(default="sm_90", metadata={"help": "GPU architecture: sm_80 or sm_90"})
    block: int = field(
        default=0, metadata={"help": "map-to-gpu: threads per block of point-wise kernels"}
    )
    row_block: int = field(
        default=0, metadata={"help": "map-to-gpu: threads per block of row kernels"}
    )
    tile_m: int = field(default=0, metadata={"help": "map-to-gpu: output tile rows"})
    tile_n: int = field(default=0, metadata={"help": "map-to-gpu: output tile columns"})
    tile_k: int = field(default=0, metadata={"help": "map-to-gpu: K chunk of contractions"})

    def __post_init__(self) -> None:
        gpu_arch(self.arch)
        self.passes()  # reject bad map-to-gpu options before the pass runs

    def passes(self) -> tuple[ModulePass, ...]:
        return (
            CpuPipelinePass(),
            MapToGpuPass(
                block=self.block,
                row_block=self.row_block,
                tile_m=self.tile_m,
                tile_n=self.tile_n,
                tile_k=self.tile_k,
            ),
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for p in self.passes():
            p.apply(ctx, op)
        op.attributes[ARCH_ATTRIBUTE] = StringAttr(self.arch)
