"""Contractions lowered as blocked matrix multiplications with an FMA micro-kernel.

A kernel whose only reduction is `C[.., m, n] = sum_k A[.., m, k] * B[.., k, n]`
(f32, one reduction dim, any affine index maps: transposed, broadcast or batched
operands), followed by a point-wise epilogue (bias, activation, ...) that `fuse`
put in the same kernel, is not lowered as a plain loop nest (one dot product per
output element, reading B down a column) but BLIS-style:

    for batch point:                          (dims used by both A and B, or neither)
      for jr in N step NR:
        pack B[:, jr:jr+NR] into a K x NR panel (stack, 64-byte aligned; L2)
        for ir in M step MR:
          MR x NR accumulators in vector registers over all of K
          (`llvm.intr.fma` of a broadcast A element and two panel vectors),
          stored to an MR x NR tile, then the epilogue per element of the tile

so each element of C is final when its tile leaves the registers, and the
epilogue runs on it there: no extra pass over the output. A is read in place (MR
rows, each sequential in k for a row-major A; the broadcast folds into the FMA);
only B is packed, because the micro-kernel needs NR consecutive columns per k.
Remainders are computed on clamped rows and columns (repeating the last valid one)
and never stored, so the micro-kernel has one shape per target: MR x NR is 8 x 32
with AVX-512 and 6 x 16 with AVX2 (`MICRO_KERNELS`), the accumulators, panel
vectors and broadcast filling the vector registers without spilling.

Each panel of B is packed once. Blocking the rows of A too (MC rows kept in L2 while
B is packed again for every block) was measured slower on a 2 MiB-L2 Xeon: at
2048^3, 64-row blocks ran at 16 GFLOP/s against 55 for whole columns, since every
repacking of a panel touches one page per row of B.

The column dim n is the output's innermost; the row dim m one that only A uses.
Other parallel dims are batch loops around the panels, whichever operands use
them: a dim only A uses (x[b, m, k] @ w[k, n]) repacks the same panel of B per
batch point, which costs a fraction of the FMAs.

Not contractions (they keep the sweep lowering): other element types, several
reduction dims, several reduces or sweeps, computed (gather) indices, operands
without a dim only one of them uses, empty tensors, and (`match_cpu_contraction`)
a K whose panel would not fit `PANEL_BYTES` of stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import DenseArrayBase, VectorType, f32, i32, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.ir.affine import AffineDimExpr

from mlc.dialects.loop import KernelOp, LoadOp, ReduceOp, StoreOp

if TYPE_CHECKING:
    from mlc.lowering.loop_to_llvm import Schedule, _KernelLowering

__all__ = [
    "MICRO_KERNELS",
    "Contraction",
    "MicroKernel",
    "emit_contraction",
    "match_contraction",
    "match_cpu_contraction",
]


@dataclass(frozen=True)
class MicroKernel:
    """The register tile: `rows` x `vectors` accumulators of `lanes` f32 each, plus
    `vectors` panel vectors and one broadcast, all live in the K loop, so they must
    fit the target's vector registers."""

    lanes: int
    rows: int
    vectors: int

    @property
    def columns(self) -> int:
        """NR: the columns of the tile and of a packed panel."""
        return self.lanes * self.vectors

    @property
    def vector(self) -> VectorType:
        return VectorType(f32, [self.lanes])


MICRO_KERNELS = {
    512: MicroKernel(lanes=16, rows=8, vectors=2),  # 16 + 2 + 1 of AVX-512's 32 zmm
    256: MicroKernel(lanes=8, rows=6, vectors=2),  # 12 + 2 + 1 of AVX2's 16 ymm
    128: MicroKernel(lanes=4, rows=6, vectors=2),  # 12 + 2 + 1 of SSE's 16 xmm
}
"""The micro-kernel per vector width in bits (`CodegenOptions.target_vector_width`):
a tile that spills its accumulators runs at half speed or less (8 x 32 on AVX2: 30
GFLOP/s against 6 x 16's ~70 on a Zen 3 core)."""
WIDEST_COLUMNS = max(k.columns for k in MICRO_KERNELS.values())
PANEL_BYTES = 512 * 1024
"""Most stack the packed K x NR panel of B may take (K up to 4096 at NR = 32)."""
NSW = llvm.OverflowAttr((llvm.OverflowFlag.NO_SIGNED_WRAP,))


@dataclass(frozen=True)
class Contraction:
    """`reduce` sums `lhs * rhs` over reduction dim `k`; `lhs` (A) varies with the
    row dim `m` and not the column dim `n`, `rhs` (B) the other way round; the
    other parallel dims are `batch` dims."""

    reduce: ReduceOp
    lhs: LoadOp
    rhs: LoadOp
    m: int
    n: int
    k: int
    batch: tuple[int, ...]


def _dims_used(kernel: KernelOp, load: LoadOp) -> set[int] | None:
    """The domain dims a load's address depends on, or None where it depends on
    computed (gather) indices. Divisions and remainders of domain dims (a reshaped
    or transposed operand) are fine: the micro-kernel computes each address."""
    if any(i not in kernel.ivs for i in load.indices):
        return None
    return {
        e.position
        for result in kernel.domain_map(load).results
        for e in result.dfs()
        if isinstance(e, AffineDimExpr)
    }


def match_contraction(kernel: KernelOp, s: Schedule) -> Contraction | str:
    """The contraction `kernel` computes, or why it is not one."""
    if len(kernel.reduced) != 1:
        return f"{len(kernel.reduced)} reduction dims (one wanted)"
    (k,) = kernel.reduced
    reduces = [op for op in kernel.block.ops if isinstance(op, ReduceOp)]
    if len(reduces) != 1 or s.sweeps != 1:
        return "not a single reduction"
    (reduce,) = reduces
    product = reduce.value.owner
    if reduce.kind.data != "add" or reduce.result.type != f32:
        return f"reduce {reduce.kind.data} of {reduce.result.type} (add of f32 wanted)"
    if not isinstance(product, arith.MulfOp) or not all(
        isinstance(o.owner, LoadOp) for o in product.operands
    ):
        return "the reduced value is not a product of two loads"
    loads: list[LoadOp] = [o.owner for o in product.operands]
    inner = {product, *loads}
    for op in kernel.block.ops:
        varies = op in s.inner or any(r in s.inner for r in op.results)
        if varies and op not in inner and not isinstance(op, ReduceOp):
            return f"'{op.name}' varies over the reduction dim"
    for arg in [*kernel.input_args, *kernel.output_args]:
        if 0 in arg.type.get_shape():
            return "an empty tensor"
    used = [_dims_used(kernel, load) for load in loads]
    if None in used:
        return "an operand is read at computed indices"
    parallel = [d for d in range(kernel.rank) if d != k]
    only = [[d for d in parallel if d in used[n] and d not in used[1 - n]] for n in (0, 1)]
    if not all(only) or not all(k in u for u in used):
        return "operands are not indexed by a row dim, a column dim and the reduction dim"
    # The column dim is the output's innermost (the micro-kernel stores NR consecutive
    # columns); of several dims only one operand uses, the others are batch dims
    # along which the other operand is the same (x @ w with a batched x).
    innermost = _innermost_stored_dim(kernel)
    if innermost in only[0]:
        loads.reverse()
        only.reverse()
    m, n = only[0][-1], innermost if innermost in only[1] else only[1][-1]
    batch = tuple(d for d in parallel if d not in (m, n))
    return Contraction(reduce, loads[0], loads[1], m, n, k, batch)


def _innermost_stored_dim(kernel: KernelOp) -> int | None:
    """The domain dim of the first store's last index, if it is a plain dim."""
    store = next((op for op in kernel.block.ops if isinstance(op, StoreOp)), None)
    if store is None or not kernel.domain_map(store).results:
        return None
    last = kernel.domain_map(store).results[-1]
    return last.position if isinstance(last, AffineDimExpr) else None


def match_cpu_contraction(kernel: KernelOp, s: Schedule) -> Contraction | str:
    """`match_contraction`, less the contractions whose K x NR panel of B would not
    fit `PANEL_BYTES` of stack (the CPU lowering's limit, not the GPU's)."""
    c = match_contraction(kernel, s)
    if isinstance(c, Contraction) and kernel.sizes[c.k] * WIDEST_COLUMNS * 4 > PANEL_BYTES:
        return f"reduction of {kernel.sizes[c.k]} exceeds the packed panel's stack budget"
    return c


def emit_contraction(lw: _KernelLowering, c: Contraction, outer: tuple[SSAValue, SSAValue]) -> None:
    """The blocked loop nest of `c` (see the module docstring); `outer` bounds the
    outermost parallel dim (the runtime's thread split)."""
    _ContractionEmitter(lw, c, outer).emit()


class _ContractionEmitter:
    def __init__(
        self, lw: _KernelLowering, c: Contraction, outer: tuple[SSAValue, SSAValue]
    ) -> None:
        self.lw, self.c, self.b = lw, c, lw.b
        self.shape = MICRO_KERNELS[lw.options.target_vector_width]
        rows, columns = self.shape.rows, self.shape.columns
        sizes = lw.kernel.sizes
        first = min((c.m, c.n, *c.batch))
        self.bounds = {
            d: outer if d == first else (self.const(0), self.const(sizes[d]))
            for d in (c.m, c.n, *c.batch)
        }
        self.depth = sizes[c.k]
        self.panel = self.b.add(llvm.AllocaOp(self.const(self.depth * columns), f32, alignment=64))
        self.tile = self.b.add(llvm.AllocaOp(self.const(rows * columns), f32, alignment=64))

    def const(self, value: int) -> SSAValue:
        return self.b.constant(value, i64)

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.b.add(llvm.AddOp(a, b, overflow=NSW))

    def smin(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.b.intrinsic("llvm.smin.i64", [a, b], i64)

    def element(self, buffer: SSAValue, offset: SSAValue, element: Attribute = f32) -> SSAValue:
        """The address of `buffer[offset]`, counted in `element`s."""
        gep = llvm.GEPOp(
            buffer, [llvm.GEP_USE_SSA_VAL], element, ssa_indices=[offset], inbounds=True
        )
        return self.b.add(gep)

    def blocks(self, name: str, bounds: tuple[SSAValue, SSAValue], size: int, body) -> None:
        """`body(start, stop)` for each block of `size` of `[lower, upper)` (the last
        one shorter)."""
        lower, upper = bounds
        span = self.b.add(llvm.SubOp(upper, lower, overflow=NSW))
        count = self.b.add(llvm.SDivOp(self.add(span, self.const(size - 1)), self.const(size)))

        def step(t: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            start = self.add(lower, self.lw.mul(t, self.const(size)))
            body(start, self.smin(self.add(start, self.const(size)), upper))
            return carried

        self.b.loop(name, self.const(0), count, [], step)

    def emit(self) -> None:
        def batch_nest(dims: tuple[int, ...]) -> None:
            if not dims:
                self.blocks("jr", self.bounds[self.c.n], self.shape.columns, self.column_panel)
                return

            def step(iv: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                self.lw.dims[dims[0]] = iv
                batch_nest(dims[1:])
                return carried

            self.b.loop(f"batch_d{dims[0]}", *self.bounds[dims[0]], [], step)

        batch_nest(self.c.batch)

    def column_panel(self, jr: SSAValue, jr_end: SSAValue) -> None:
        self.pack(jr, jr_end)

        def tile(ir: SSAValue, ir_end: SSAValue) -> None:
            self.micro_kernel(ir, ir_end, jr, jr_end)

        self.blocks("ir", self.bounds[self.c.m], self.shape.rows, tile)

    def pack(self, jr: SSAValue, jr_end: SSAValue) -> None:
        """The panel B[:, jr:jr+NR], k-major; a partial panel repeats its last column
        (a full one copies contiguous columns, which LLVM vectorises)."""
        b = self.b
        width = b.add(llvm.SubOp(jr_end, jr, overflow=NSW))
        last = b.add(llvm.SubOp(jr_end, self.const(1), overflow=NSW))
        full, partial, done = (b.new_block(n) for n in ("pack_full", "pack_partial", "packed"))
        columns = self.const(self.shape.columns)
        b.add(llvm.CondBrOp(b.icmp("eq", width, columns), full, [], partial, []))
        for block, clamped_to in ((full, None), (partial, last)):
            b.enter(block)
            self.copy_panel(block.name_hint, jr, clamped_to)
            b.add(llvm.BrOp(done))
        b.enter(done)

    def copy_panel(self, name: str, jr: SSAValue, clamped_to: SSAValue | None) -> None:
        """`panel[k, j] = B[k, jr + j]`, the column clamped to `clamped_to` if given."""
        b, c = self.b, self.c

        def row(kv: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            def column(j: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                self.lw.dims[c.k] = kv
                column_index = self.add(jr, j)
                if clamped_to is not None:
                    column_index = self.smin(column_index, clamped_to)
                self.lw.dims[c.n] = column_index
                offset = self.add(self.lw.mul(kv, self.const(self.shape.columns)), j)
                b.add(llvm.StoreOp(self.lw.load(c.rhs, {}), self.element(self.panel, offset)))
                return carried

            b.loop(f"{name}_n", self.const(0), self.const(self.shape.columns), [], column)
            return carried

        b.loop(f"{name}_k", self.const(0), self.const(self.depth), [], row)

    def splat(self, scalar: SSAValue) -> SSAValue:
        b, vector = self.b, self.shape.vector
        undefined = b.add(llvm.UndefOp(vector))
        first = b.add(llvm.InsertElementOp(undefined, scalar, b.constant(0, i32)))
        zeros = DenseArrayBase.from_list(i32, [0] * self.shape.lanes)
        return b.add(llvm.ShuffleVectorOp(first, undefined, zeros, vector))

    def micro_kernel(self, ir: SSAValue, ir_end: SSAValue, jr: SSAValue, jr_end: SSAValue) -> None:
        """One MR x NR tile of C: the micro-kernel over all of K, then the epilogue."""
        b, c, lw, shape = self.b, self.c, self.lw, self.shape
        last = b.add(llvm.SubOp(ir_end, self.const(1), overflow=NSW))
        rows = [self.smin(self.add(ir, self.const(r)), last) for r in range(shape.rows)]
        zero = self.splat(b.constant(0.0, f32))

        def step(kv: SSAValue, accumulators: list[SSAValue]) -> list[SSAValue]:
            lw.dims[c.k] = kv
            offset = lw.mul(kv, self.const(shape.columns))
            panel = [
                b.add(
                    llvm.LoadOp(
                        self.element(self.panel, self.add(offset, self.const(v * shape.lanes))),
                        shape.vector,
                        alignment=64,
                    )
                )
                for v in range(shape.vectors)
            ]
            updated = []
            for row in rows:
                lw.dims[c.m] = row
                a = self.splat(b.add(llvm.LoadOp(lw.address(c.lhs, {}, clamp=False), f32)))
                for vector in panel:
                    updated.append(b.add(llvm.FMAOp(a, vector, accumulators[len(updated)])))
            return updated

        names = [f"c{r}_{v}" for r in range(shape.rows) for v in range(shape.vectors)]
        finals = b.loop(
            "k", self.const(0), self.const(self.depth), [zero] * len(names), step, names
        )
        for n, value in enumerate(finals):
            address = self.element(self.tile, self.const(n), shape.vector)
            b.add(llvm.StoreOp(value, address, alignment=64))

        width = b.add(llvm.SubOp(jr_end, jr, overflow=NSW))
        height = b.add(llvm.SubOp(ir_end, ir, overflow=NSW))
        full_tile = b.add(
            llvm.AndOp(
                b.icmp("eq", width, self.const(shape.columns)),
                b.icmp("eq", height, self.const(shape.rows)),
            )
        )
        full, partial, done = (
            b.new_block(n) for n in ("epilogue_full", "epilogue_partial", "stored")
        )
        b.add(llvm.CondBrOp(full_tile, full, [], partial, []))
        for block, bounds in (
            (full, (self.const(shape.rows), self.const(shape.columns))),
            (partial, (height, width)),
        ):
            b.enter(block)
            self.epilogue(block.name_hint, ir, jr, *bounds)
            b.add(llvm.BrOp(done))
        b.enter(done)

    def epilogue(
        self, name: str, ir: SSAValue, jr: SSAValue, height: SSAValue, width: SSAValue
    ) -> None:
        """The point-wise rest of the kernel on `height` x `width` elements of the
        tile; constant bounds (a full tile) let LLVM vectorise it along the row."""
        b, c, lw = self.b, self.c, self.lw

        def row(i: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            def point(j: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                lw.dims[c.m] = self.add(ir, i)
                lw.dims[c.n] = self.add(jr, j)
                offset = self.add(lw.mul(i, self.const(self.shape.columns)), j)
                env = {c.reduce.result: b.add(llvm.LoadOp(self.element(self.tile, offset), f32))}
                lw.emit_stage(0, env)
                lw.emit_stage(1, env)
                return carried

            b.loop(f"{name}_n", self.const(0), width, [], point)
            return carried

        b.loop(f"{name}_m", self.const(0), height, [], row)
