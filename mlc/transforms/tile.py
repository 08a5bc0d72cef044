"""`tile`: tiles the parallel dims of `loop.kernel`s so their tiles stay in cache.

The pass decides a `tile_sizes` attribute per kernel (the representation and its
loops: `mlc.dialects.loop`, `mlc.lowering.loop_to_llvm`) and says, with
`remarks=true`, what it tiled and what it did not, and why:

* **Sizes.** `tile{sizes=32,64}` gives the tile sizes of the innermost parallel
  dims (right-aligned: the last size is the innermost dim's); 0 keeps a dim whole,
  a size larger than its dim is clipped, and the parallel dims further out get 1
  (they stay outer loops, as without tiling). Without `sizes`, a heuristic tiles
  only where the access pattern asks for it: a kernel without reductions that
  reads or writes a tensor whose contiguous (last) dim is indexed by a parallel
  dim `q` other than the innermost one `p` (a transpose: the innermost loop walks
  that tensor one cache line per element). Then `q` and `p` get square tiles of
  side `T`, the largest power of two with `tensors * T * T * element bytes <= L1 / 2`
  (half of L1 for the tiles of every tensor the kernel touches, the rest for
  whatever else is live), and at least one cache line (64 bytes, one 512-bit
  vector) of elements, so each strided access reads whole lines and the innermost
  point loop stays unit-stride and vectorises. Point-wise kernels whose accesses
  are all unit-stride along `p` already stream: tiling only adds loop overhead.
* **Not tiled.** Contractions (their lowering, `mlc.lowering.contraction`, blocks
  them itself with packed panels and register tiles); reduction dims (a kernel's
  sweeps run one parallel point at a time, and a sweep needs the earlier sweeps'
  reduces over the whole row, so a row cannot be split into blocks; the remark
  says whether a row of a several-sweep kernel stays in L1 or L2 between its
  sweeps or is re-read from memory); size-1 dims; the parallel dims of reduction
  kernels unless `sizes` asks (rows are swept one point at a time, so a tile keeps
  nothing more in cache); kernels already tiled.

Cache sizes come from `/sys/devices/system/cpu/cpu0/cache` where the host has it,
else `DEFAULT_CACHES` (L1 48 KiB, L2 2 MiB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, i64
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineSymExpr
from xdsl.passes import ModulePass

from mlc.debug_counter import decision_number, register_counter, should_execute
from mlc.diagnostics import emit_remark
from mlc.dialects.loop import TILE_SIZES, KernelOp, LoadOp, StoreOp
from mlc.lowering.contraction import Contraction, match_cpu_contraction
from mlc.lowering.loop_to_llvm import element_bytes, schedule
from mlc.passes import register_pass

__all__ = ["DEFAULT_CACHES", "CacheSizes", "TilePass", "TilePlan", "host_caches", "plan_tiles"]

CACHE_LINE = 64

TILE_COUNTER = register_counter("tile", "tile: a kernel given tile sizes")


@dataclass(frozen=True)
class CacheSizes:
    """Per-core data cache sizes in bytes."""

    l1: int
    l2: int


DEFAULT_CACHES = CacheSizes(l1=48 * 1024, l2=2 * 1024 * 1024)
"""Used where the host does not describe its caches (a 2 MiB-L2 Xeon's)."""


def host_caches(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> CacheSizes:
    """The L1 data and L2 sizes of CPU 0 from sysfs, else `DEFAULT_CACHES`'."""
    found: dict[int, int] = {}
    for index in sorted(root.glob("index*")):
        try:
            level = int((index / "level").read_text())
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except (OSError, ValueError):
            continue
        if kind in ("Data", "Unified") and size.endswith("K") and size[:-1].isdigit():
            found[level] = int(size[:-1]) * 1024
    return CacheSizes(found.get(1, DEFAULT_CACHES.l1), found.get(2, DEFAULT_CACHES.l2))


@dataclass(frozen=True)
class TilePlan:
    """The tile size of every domain dim (None: the kernel stays untiled), and why."""

    tiles: tuple[int, ...] | None
    reasons: tuple[str, ...]


def _contiguous_dims(kernel: KernelOp, op: LoadOp | StoreOp) -> set[int] | None:
    """The domain dims in the index of the tensor's last dim (of size > 1), or None
    for an access with computed indices or a tensor without such a dim."""
    shape = op.tensor.type.get_shape()
    results = kernel.domain_map(op).results
    for expr, size in zip(reversed(results), reversed(shape), strict=True):
        if size > 1:
            if any(isinstance(e, AffineSymExpr) for e in expr.dfs()):
                return None
            return {e.position for e in expr.dfs() if isinstance(e, AffineDimExpr)}
    return None


def _row_reasons(kernel: KernelOp, caches: CacheSizes) -> list[str]:
    """Why the reduction dims stay whole, and where a row lives between sweeps."""
    if not kernel.reduced:
        return []
    dims = ", ".join(f"d{d}" for d in kernel.reduced)
    sweeps = schedule(kernel).sweeps
    if sweeps < 2:
        return [f"reduction dims {dims} not tiled: one sweep streams each row once"]
    reduced = set(kernel.reduced)
    row = math.prod(kernel.sizes[d] for d in kernel.reduced)
    row_tensors = {
        op.tensor
        for op in kernel.block.ops
        if isinstance(op, LoadOp)
        and reduced & {e.position for r in kernel.domain_map(op).results for e in _dims(r)}
    }
    row_bytes = row * sum(element_bytes(t.type.element_type) for t in row_tensors)
    where = (
        "stays in L1"
        if row_bytes <= caches.l1
        else "stays in L2"
        if row_bytes <= caches.l2
        else "exceeds L2 and is re-read from memory"
    )
    return [
        f"reduction dims {dims} not tiled: a row ({row_bytes} B of inputs) {where} between "
        f"its {sweeps} sweeps; rows are not split, since a sweep needs the earlier sweeps' "
        "reduces over the whole row"
    ]


def _dims(expr: AffineExpr) -> list[AffineDimExpr]:
    return [e for e in expr.dfs() if isinstance(e, AffineDimExpr)]


def _explicit_tiles(kernel: KernelOp, parallel: list[int], sizes: tuple[int, ...]) -> list[int]:
    """`sizes` right-aligned to the parallel dims (0: whole, clipped to the dim);
    the parallel dims further out get 1."""
    tiles = [max(n, 1) for n in kernel.sizes]
    for d in parallel:
        tiles[d] = 1
    for d, size in zip(reversed(parallel), reversed(sizes), strict=False):
        whole = max(kernel.sizes[d], 1)
        tiles[d] = whole if size == 0 else min(size, whole)
    return tiles


def _heuristic_tiles(
    kernel: KernelOp, parallel: list[int], caches: CacheSizes
) -> tuple[list[int] | None, str]:
    """Square tiles of the innermost parallel dim and the contiguous dim of a
    strided access (see the module docstring), or None and why not."""
    if kernel.reduced:
        return None, (
            "parallel dims not tiled: rows are swept one parallel point at a time, "
            "so a tile keeps nothing more in cache (tile{sizes=...} forces it)"
        )
    wide = [d for d in parallel if kernel.sizes[d] > 1]
    if len(wide) < 2:
        return None, "not tiled: fewer than two parallel dims of size > 1"
    p = wide[-1]
    accesses = [op for op in kernel.block.ops if isinstance(op, LoadOp | StoreOp)]
    for op in accesses:
        contiguous = _contiguous_dims(kernel, op)
        if contiguous is None or p in contiguous:
            continue
        candidates = [d for d in wide if d in contiguous]
        if not candidates:
            continue
        q = candidates[-1]
        tensors = {a.tensor for a in accesses}
        element = max(element_bytes(t.type.element_type) for t in tensors)
        line = max(1, CACHE_LINE // element)
        side = line
        while len(tensors) * (2 * side) ** 2 * element <= caches.l1 // 2:
            side *= 2
        tiles = _explicit_tiles(kernel, parallel, ())
        tiles[q] = min(side, kernel.sizes[q])
        tiles[p] = min(side, kernel.sizes[p])
        name = f"'{op.name}' of {op.tensor.type}"
        return tiles, f"{name} is strided along the innermost dim d{p} (contiguous in d{q})"
    return None, f"not tiled: every access is unit-stride or invariant along the innermost dim d{p}"


def plan_tiles(
    kernel: KernelOp, sizes: tuple[int, ...] = (), caches: CacheSizes = DEFAULT_CACHES
) -> TilePlan:
    """The tile sizes `tile` gives `kernel` (`sizes`: the pass option), and why."""
    if kernel.tile_sizes is not None:
        return TilePlan(None, ("already tiled",))
    match = match_cpu_contraction(kernel, schedule(kernel))
    if isinstance(match, Contraction):
        return TilePlan(None, ("a contraction: its lowering blocks it itself",))
    reasons = _row_reasons(kernel, caches)
    parallel = [d for d in range(kernel.rank) if d not in kernel.reduced]
    if sizes:
        tiles: list[int] | None = _explicit_tiles(kernel, parallel, sizes)
        why = "sizes given"
    else:
        tiles, why = _heuristic_tiles(kernel, parallel, caches)
    if tiles is None:
        return TilePlan(None, (*reasons, why))
    split = [d for d in parallel if 1 < tiles[d] < kernel.sizes[d]]
    if not split:
        return TilePlan(
            None, (*reasons, "no parallel dim split into tiles (each tile is 1 or the whole dim)")
        )
    described = ", ".join(f"d{d} by {tiles[d]}" for d in split)
    return TilePlan(tuple(tiles), (*reasons, f"tiled {described}: {why}"))


@register_pass
@dataclass(frozen=True)
class TilePass(ModulePass):
    """Tiles the parallel dims of loop.kernels so each tile's data stays in cache.

    Sets `tile_sizes` on the kernels it tiles: from `sizes` (the innermost parallel
    dims' tiles, right-aligned; 0 keeps a dim whole), else from the host's cache
    sizes where an access is strided (see `mlc/transforms/tile.py`).
    """

    name = "tile"

    sizes: tuple[int, ...] = field(
        default=(),
        metadata={
            "help": "tile sizes of the innermost parallel dims (0: whole); default: heuristic"
        },
    )
    remarks: bool = field(
        default=False, metadata={"help": "say per kernel what is tiled and what is not, and why"}
    )

    def __post_init__(self) -> None:
        if any(s < 0 for s in self.sizes):
            raise ValueError(f"sizes must be >= 0, got {list(self.sizes)}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        caches = host_caches()
        for kernel in [k for k in op.walk() if isinstance(k, KernelOp)]:
            plan = plan_tiles(kernel, self.sizes, caches)
            reasons = list(plan.reasons)
            if plan.tiles is not None and not should_execute(TILE_COUNTER):
                reasons.append(
                    f"tiling refused by debug counter '{TILE_COUNTER}' "
                    f"(decision {decision_number(TILE_COUNTER)})"
                )
            elif plan.tiles is not None:
                kernel.attributes[TILE_SIZES] = DenseArrayBase.from_list(i64, list(plan.tiles))
            if self.remarks:
                for reason in reasons:
                    emit_remark(kernel, reason)
