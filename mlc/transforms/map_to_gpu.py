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
* contractions that `match_contraction` recognises (matmul, batched matmul,
  linear with its bias and activation) -> `tiles`, checked first: 64 x 64 output
  tiles (`TILE_MN`) of 256 threads, each accumulating 4 x 4 outputs in registers,
  K swept in chunks of 16 (`TILE_K`) staged in shared memory (8.5 KiB a block).
  Every A and B element a block loads from global memory then serves 64 FMAs
  (and each thread does 2 FMAs per shared load), against one for a thread per
  output; a 16-deep chunk keeps a block's shared memory small enough for several
  blocks per SM. A dim of at most 32 gets a 32-wide tile (fewer idle threads on a skinny matrix);
  blocks cover the tiles of every batch point, grid-stride beyond `max-grid`;
* other reductions shorter than `ROW_MIN` -> `threads`: one output point per
  thread, the reduction serial in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from mlc.dialects.gpu import (
    MAPPING_ATTRIBUTE,
    MAX_GRID_X,
    MAX_THREADS_PER_BLOCK,
    WARP_SIZE,
    MappingAttr,
    tile_threads,
    verify_tile,
)
from mlc.dialects.loop import KernelOp
from mlc.lowering.contraction import Contraction, match_contraction
from mlc.lowering.loop_to_llvm import schedule
from mlc.passes import register_pass

SM_COUNT = 132
"""Streaming multiprocessors of an H100 SXM: the grid heuristic's target size."""
THREADS_PER_SM = 2048
WAVES = 4
ROW_MIN = 128
"""Rows at least this long get a block each; shorter ones a thread each."""
ROW_BLOCK_MAX = 512
"""Threads per row block by default: a 4096-float row is 8 floats per thread."""
TILE_MN = 64
"""Output tile rows and columns of a contraction (256 threads of 4 x 4 outputs)."""
SKINNY = 32
"""A contraction dim at most this long gets a tile of this size instead."""
TILE_K = 16
"""Depth of the K chunks a contraction's block stages in shared memory."""


@dataclass(frozen=True)
class GpuMappingOptions:
    """The overridable parts of the heuristic (0: choose)."""

    block: int = 0
    row_block: int = 0
    max_grid: int = 0
    tile_m: int = 0
    tile_n: int = 0
    tile_k: int = 0


def choose_mapping(kernel: KernelOp, options: GpuMappingOptions) -> tuple[MappingAttr, str]:
    """The mapping of `kernel` and the reason for it (see the module docstring)."""
    parallel = math.prod(s for d, s in enumerate(kernel.sizes) if d not in kernel.reduced)
    row = math.prod(kernel.sizes[d] for d in kernel.reduced)
    max_grid = options.max_grid or MAX_GRID_X
    contraction = match_contraction(kernel, schedule(kernel))
    if isinstance(contraction, Contraction):
        return _tiles(kernel, contraction, options, max_grid)
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


def _tiles(
    kernel: KernelOp, c: Contraction, options: GpuMappingOptions, max_grid: int
) -> tuple[MappingAttr, str]:
    sizes = kernel.sizes

    def tile(option: int, dim: int) -> int:
        return option or (SKINNY if sizes[dim] <= SKINNY else TILE_MN)

    m, n, k = tile(options.tile_m, c.m), tile(options.tile_n, c.n), options.tile_k or TILE_K
    count = math.prod(sizes[d] for d in c.batch) * -(-sizes[c.m] // m) * -(-sizes[c.n] // n)
    threads = tile_threads(m, n)
    grid = max(1, min(count, max_grid))
    reason = (
        f"a {sizes[c.m]}x{sizes[c.n]}x{sizes[c.k]} contraction: {count} tiles of {m}x{n} "
        f"outputs, {threads} threads each, K in shared chunks of {k}"
    )
    return MappingAttr("tiles", threads, grid, (m, n, k)), reason


def _round_to_warp(n: int) -> int:
    return min(MAX_THREADS_PER_BLOCK, max(WARP_SIZE, -(-n // WARP_SIZE) * WARP_SIZE))


@register_pass
@dataclass(frozen=True)
class MapToGpuPass(ModulePass):
    """Records on each loop.kernel how it runs on a GPU (#mlc_gpu.mapping).

    Point-wise kernels become grid-stride loops, contractions (matmul, linear)
    shared-memory tiles, long row reductions one block per row, short ones one
    thread per output point; a kernel that already has a mapping keeps it. See
    `mlc/transforms/map_to_gpu.py` for the heuristic.
    """

    name = "map-to-gpu"

    block: int = field(
        default=0, metadata={"help": "threads per block of point-wise kernels (0: 256)"}
    )
    row_block: int = field(
        default=0, metadata={"help": "threads per block of row kernels (0: from the row size)"}
    )
    max_grid: int = field(default=0, metadata={"help": "most blocks per kernel (0: no limit)"})
    tile_m: int = field(
        default=0, metadata={"help": "output tile rows of contractions (0: 64, or 32 if M <= 32)"}
    )
    tile_n: int = field(
        default=0,
        metadata={"help": "output tile columns of contractions (0: 64, or 32 if N <= 32)"},
    )
    tile_k: int = field(
        default=0, metadata={"help": "K chunk of contractions staged in shared memory (0: 16)"}
    )

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
        if self.tile_m or self.tile_n or self.tile_k:
            try:  # the defaults stand in for the sizes left to choose
                verify_tile((self.tile_m or SKINNY, self.tile_n or SKINNY, self.tile_k or TILE_K))
                verify_tile((self.tile_m or TILE_MN, self.tile_n or TILE_MN, self.tile_k or 1))
            except VerifyException as error:
                raise ValueError(f"tile-m/tile-n/tile-k: {error}") from None

    def options(self) -> GpuMappingOptions:
        return GpuMappingOptions(
            self.block, self.row_block, self.max_grid, self.tile_m, self.tile_n, self.tile_k
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = self.options()
        for kernel in op.walk():
            if isinstance(kernel, KernelOp) and MAPPING_ATTRIBUTE not in kernel.attributes:
                kernel.attributes[MAPPING_ATTRIBUTE] = choose_mapping(kernel, options)[0]
