"""The `mlc_gpu` dialect: how a fused `loop.kernel` runs on a GPU.

`map-to-gpu` decides, per kernel, a *mapping* and records it on the kernel as the
`gpu.mapping` attribute; `convert-gpu-to-nvvm` reads it back and emits the kernel's
NVPTX code (thread and block ids, barriers, warp shuffles and shared memory become
NVVM intrinsics and address-space-3 globals in the upstream `llvm` dialect there:
no intermediate `gpu` ops are materialised, because a kernel body is scalar code
whose only GPU-specific parts are the mapping's loops and its block reductions).

    #mlc_gpu.mapping<pointwise, block = 256, grid = 1024>
    #mlc_gpu.mapping<rows, block = 512, grid = 16384>
    #mlc_gpu.mapping<threads, block = 128, grid = 64>
    #mlc_gpu.mapping<tiles, block = 256, grid = 48, tile = [64, 64, 16]>

* `pointwise`: a kernel without reduction dims. The parallel points, linearised
  row-major (innermost dim fastest: neighbouring threads touch neighbouring
  elements, so accesses coalesce), are covered by a grid-stride loop of
  `grid x block` threads.
* `rows`: one parallel point (a "row") per thread block, blocks striding over the
  rows; each sweep over the reduction dims is strided over the block's threads and
  every `loop.reduce` combines across the block: a warp butterfly of shuffles, then
  one value per warp through shared memory.
* `threads`: one parallel point per thread (grid-stride, as `pointwise`), the
  reduction sweeps run serially in the thread: for short reductions and
  contractions that are not matched as such, where a block per point would idle.
* `tiles`: a contraction (`C[.., m, n] = sum_k A[.., m, k] * B[.., k, n]` and its
  epilogue) in output tiles of `tile = [BM, BN, BK]`: each block computes BM x BN
  outputs, each thread a `THREAD_TILE` x `THREAD_TILE` register tile of them, so
  `block = BM * BN / THREAD_TILE^2`; K is swept in chunks of BK staged in shared
  memory. Blocks stride over the output tiles (of every batch point).

`block` is a multiple of the warp size (32) up to 1024; `grid` is at least 1; only
`tiles` has (and needs) `tile`.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, IntAttr, StringAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

WARP_SIZE = 32
MAX_THREADS_PER_BLOCK = 1024
MAX_GRID_X = 2**31 - 1
STRATEGIES = ("pointwise", "rows", "threads", "tiles")
THREAD_TILE = 4
"""Rows and columns of the outputs one thread of a `tiles` block accumulates."""

MAPPING_ATTRIBUTE = "gpu.mapping"
"""The name of the discardable attribute that holds a kernel's mapping."""


@irdl_attr_definition
class MappingAttr(ParametrizedAttribute):
    """A kernel's GPU mapping: `#mlc_gpu.mapping<rows, block = 256, grid = 4096>`."""

    name = "mlc_gpu.mapping"

    strategy: StringAttr
    block: IntAttr
    grid: IntAttr
    tile: ArrayAttr[IntAttr]
    """`[BM, BN, BK]` of a `tiles` mapping; empty for the others."""

    KEYS: ClassVar[tuple[str, ...]] = ("block", "grid")

    def __init__(self, strategy: str, block: int, grid: int, tile: tuple[int, ...] = ()) -> None:
        super().__init__(
            StringAttr(strategy), IntAttr(block), IntAttr(grid), ArrayAttr(IntAttr(t) for t in tile)
        )

    @property
    def threads(self) -> int:
        return self.block.data

    @property
    def blocks(self) -> int:
        return self.grid.data

    @property
    def tile_sizes(self) -> tuple[int, ...]:
        """`(BM, BN, BK)` of a `tiles` mapping, `()` otherwise."""
        return tuple(t.data for t in self.tile.data)

    def verify(self) -> None:
        if self.strategy.data not in STRATEGIES:
            raise VerifyException(
                f"unknown GPU mapping '{self.strategy.data}' (expected {', '.join(STRATEGIES)})"
            )
        block = self.block.data
        if block <= 0 or block % WARP_SIZE or block > MAX_THREADS_PER_BLOCK:
            raise VerifyException(
                f"block = {block}: threads per block must be a multiple of {WARP_SIZE} "
                f"in [{WARP_SIZE}, {MAX_THREADS_PER_BLOCK}]"
            )
        if not 1 <= self.grid.data <= MAX_GRID_X:
            raise VerifyException(f"grid = {self.grid.data}: must be in [1, {MAX_GRID_X}]")
        if self.strategy.data == "tiles":
            verify_tile(self.tile_sizes, block)
        elif self.tile.data:
            raise VerifyException(f"a '{self.strategy.data}' mapping has no tile")

    def print_parameters(self, printer: Printer) -> None:
        tile = f", tile = [{', '.join(map(str, self.tile_sizes))}]" if self.tile.data else ""
        printer.print_string(
            f"<{self.strategy.data}, block = {self.block.data}, grid = {self.grid.data}{tile}>"
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            strategy = parser.parse_identifier()
            values = []
            for key in cls.KEYS:
                parser.parse_punctuation(",")
                parser.parse_keyword(key)
                parser.parse_punctuation("=")
                values.append(IntAttr(parser.parse_integer(allow_boolean=False)))
            tile: list[IntAttr] = []
            if parser.parse_optional_punctuation(","):
                parser.parse_keyword("tile")
                parser.parse_punctuation("=")
                tile = parser.parse_comma_separated_list(
                    parser.Delimiter.SQUARE,
                    lambda: IntAttr(parser.parse_integer(allow_boolean=False)),
                )
        return [StringAttr(strategy), *values, ArrayAttr(tile)]


def tile_threads(m: int, n: int) -> int:
    """Threads of a `tiles` block computing an `m` x `n` output tile."""
    return (m // THREAD_TILE) * (n // THREAD_TILE)


def verify_tile(tile: tuple[int, ...], block: int | None = None) -> None:
    """VerifyException unless `tile` is a valid `[BM, BN, BK]` (for `block` threads)."""
    if len(tile) != 3:
        raise VerifyException(f"tile = {list(tile)}: a 'tiles' mapping needs [BM, BN, BK]")
    m, n, k = tile
    if m <= 0 or n <= 0 or m % THREAD_TILE or n % THREAD_TILE or k <= 0:
        raise VerifyException(
            f"tile = {list(tile)}: BM and BN must be positive multiples of {THREAD_TILE}, "
            "BK positive"
        )
    threads = tile_threads(m, n)
    if threads % WARP_SIZE or threads > MAX_THREADS_PER_BLOCK:
        raise VerifyException(
            f"tile = {list(tile)}: {m} x {n} outputs in {THREAD_TILE} x {THREAD_TILE} per thread "
            f"is {threads} threads, not a multiple of {WARP_SIZE} in [{WARP_SIZE}, "
            f"{MAX_THREADS_PER_BLOCK}]"
        )
    if block is not None and block != threads:
        raise VerifyException(
            f"block = {block}: a {m} x {n} tile has {threads} threads "
            f"({THREAD_TILE} x {THREAD_TILE} outputs each)"
        )


MLC_GPU = Dialect("mlc_gpu", [], [MappingAttr])
