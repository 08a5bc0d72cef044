"""`map-to-gpu`: choose how each fused `loop.kernel` runs on a GPU.

The pass records a `#mlc_gpu.mapping` (see `mlc/dialects/gpu.py`) on every kernel
as its `gpu.mapping` attribute; `convert-gpu-to-nvvm` generates the code. The
heuristic (`choose_mapping`, which also says why):

* no reduction dims -> `pointwise`: `block` threads (default 256: 8 warps, enough
  to hide memory latency at full occupancy on sm_80/sm_90), and enough blocks for
  `WAVES` waves of the largest GPU (`SM_COUNT` SMs x 2048 threads) or fewer when
  the kernel has fewer points; each thread loops (grid-stride) over the rest;
* reduction dims of at least `ROW_MIN` points -> `rows`: one block per row, of
  `row_block` threads (default: the row size rounded up to a warp, between 32 and
  `ROW_BLOCK_MAX`), and one block per row up to the grid limit;
* shorter reductions (and contractions, whose reductions are short next to their
  output) -> `threads`: one output point per thread, the reduction serial in it. A
  contraction is thus a simple one-thread-per-output kernel: no shared-memory tiles
  yet (a later step, with tensor cores).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from mlc.dialects.gpu import (
    MAPPING_ATTRIBUTE,
    MAX_GRID_X,
    MAX_THREADS_PER_BLOCK,
    WARP_SIZE,
    MappingAttr,
)
from mlc.dialects.loop import KernelOp
from mlc.passes import register_pass

SM_COUNT = 132
"""Streaming multiprocessors of an H100 SXM: the grid heuristic's target size."""
THREADS_PER_SM = 2048
WAVES = 4
ROW_MIN = 128
"""Rows at least this long get a block each; shorter ones a thread each."""
ROW_BLOCK_MAX = 512
"""Threads per row block by default: a 4096-float row is 8 floats per thread."""


@dataclass(frozen=True)
class GpuMappingOptions:
    """The overridable parts of the heuristic (0: choose)."""

    block: int = 0
    row_block: int = 0
    max_grid: int = 0


def choose_mapping(kernel: KernelOp, options: GpuMappingOptions) -> tuple[MappingAttr, str]:
    """The mapping of `kernel` and the reason for it (see the module docstring)."""
    parallel = math.prod(s for d, s in enumerate(kernel.sizes) if d not in kernel.reduced)
    row = math.prod(kernel.sizes[d] for d in kernel.reduced)
    max_grid = options.max_grid or MAX_GRID_X
    if kernel.reduced and row >= ROW_MIN:
        block = options.row_block or min(ROW_BLOCK_MAX, _round_to_warp(row))
        grid = max(1, min(parallel, max_grid))
        reason = f"rows of {row} points: one block of {block} threads per row"
        return MappingAttr("rows", block, grid), reason
    block = options.block or 256
    full = SM_COUNT * THREADS_PER_SM * WAVES // block
    grid = max(1, min(-(-parallel // block), full, max_grid))
    if kernel.reduced:
        reason = f"rows of {row} points (< {ROW_MIN}): one output point per thread"
        return MappingAttr("threads", block, grid), reason
    reason = f"{parallel} independent points: grid-stride over {grid} blocks of {block}"
    return MappingAttr("pointwise", block, grid), reason


def _round_to_warp(n: int) -> int:
    return min(MAX_THREADS_PER_BLOCK, max(WARP_SIZE, -(-n // WARP_SIZE) * WARP_SIZE))


@register_pass
@dataclass(frozen=True)
class MapToGpuPass(ModulePass):
    """Records on each loop.kernel how it runs on a GPU (#mlc_gpu.mapping).

    Point-wise kernels become grid-stride loops, long row reductions one block per
    row, short ones one thread per output point; a kernel that already has a
    mapping keeps it. See `mlc/transforms/map_to_gpu.py` for the heuristic.
    """

    name = "map-to-gpu"

    block: int = field(
        default=0, metadata={"help": "threads per block of point-wise kernels (0: 256)"}
    )
    row_block: int = field(
        default=0, metadata={"help": "threads per block of row kernels (0: from the row size)"}
    )
    max_grid: int = field(default=0, metadata={"help": "most blocks per kernel (0: no limit)"})

    def __post_init__(self) -> None:
        for key in ("block", "row_block"):
            value = getattr(self, key)
            if value and (value % WARP_SIZE or not 0 < value <= MAX_THREADS_PER_BLOCK):
                raise ValueError(
                    f"{key}: {value} is not a multiple of {WARP_SIZE} in "
                    f"[{WARP_SIZE}, {MAX_THREADS_PER_BLOCK}]"
                )
        if self.max_grid < 0:
            raise ValueError(f"max_grid: {self.max_grid} must be >= 0")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = GpuMappingOptions(self.block, self.row_block, self.max_grid)
        for kernel in op.walk():
            if isinstance(kernel, KernelOp) and MAPPING_ATTRIBUTE not in kernel.attributes:
                kernel.attributes[MAPPING_ATTRIBUTE] = choose_mapping(kernel, options)[0]
