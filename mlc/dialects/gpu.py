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
  contractions (a matmul's output elements), where a block per point would idle.

`block` is a multiple of the warp size (32) up to 1024; `grid` is at least 1.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import IntAttr, StringAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

WARP_SIZE = 32
MAX_THREADS_PER_BLOCK = 1024
MAX_GRID_X = 2**31 - 1
STRATEGIES = ("pointwise", "rows", "threads")

MAPPING_ATTRIBUTE = "gpu.mapping"
"""The name of the discardable attribute that holds a kernel's mapping."""


@irdl_attr_definition
class MappingAttr(ParametrizedAttribute):
    """A kernel's GPU mapping: `#mlc_gpu.mapping<rows, block = 256, grid = 4096>`."""

    name = "mlc_gpu.mapping"

    strategy: StringAttr
    block: IntAttr
    grid: IntAttr

    KEYS: ClassVar[tuple[str, ...]] = ("block", "grid")

    def __init__(self, strategy: str, block: int, grid: int) -> None:
        super().__init__(StringAttr(strategy), IntAttr(block), IntAttr(grid))

    @property
    def threads(self) -> int:
        return self.block.data

    @property
    def blocks(self) -> int:
        return self.grid.data

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

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            f"<{self.strategy.data}, block = {self.block.data}, grid = {self.grid.data}>"
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
        return [StringAttr(strategy), *values]


MLC_GPU = Dialect("mlc_gpu", [], [MappingAttr])
