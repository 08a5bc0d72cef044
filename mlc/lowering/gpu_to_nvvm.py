"""From GPU-mapped `loop.kernel`s to NVVM: `llvm.func` kernels for `nvptx64-nvidia-cuda`.

Every kernel carrying a `#mlc_gpu.mapping` (from `map-to-gpu`) becomes an
`llvm.func` marked `gpu.kernel`, `void name(ptr in..., ptr out...)`, its tensors
dense row-major buffers in device memory (generic pointers: the NVPTX backend
turns kernel pointer parameters into `.global` ones). The body reuses the CPU
lowering (`mlc.lowering.loop_to_llvm`: the sweep schedule, the scalar lowering
table, the inline exp/log/tanh/erf polynomials, addressing with clamped loads);
only the loops around it differ, per strategy:

* `pointwise` and `threads`: `for p in [gid, points) step grid*block`, with
  `gid = ctaid.x * block + tid.x` and `p` delinearised innermost-fastest into the
  parallel dims; `threads` then runs the reduction sweeps serially (as on the CPU,
  without scratch rows: values are recomputed).
* `rows`: `for row in [ctaid.x, rows) step grid`; each sweep runs
  `for r in [tid.x, row size) step block` over the reduction dims (delinearised),
  and each of its `loop.reduce`s is then combined across the block: a butterfly of
  `llvm.nvvm.shfl.sync.bfly` over the warp, lane 0 of each warp writes its value to
  a shared-memory slot (an `addrspace(3)` global per reduce), `llvm.nvvm.barrier0`,
  every thread combines the slots in the same order (all get the same bits), and a
  second barrier frees the slots for the next row. Values computed after a sweep
  (a row's mean) are computed by every thread; a store of one is done by all of
  them with the same value.

Thread and block ids are `llvm.nvvm.read.ptx.sreg.tid.x` / `ctaid.x`. Block
reductions support f32, bf16 (in f32) and i32; other element types, and f64 math
that the CPU lowering sends to libm, are located CompileErrors (no libdevice).

`kernels_as_nvvm` builds the device module; `export_nvvm_ir` makes its LLVM IR
(kernels listed in `nvvm.annotations`, shared globals `undef`-initialised) and
`mlc.lowering.ptx` turns that into PTX and checks the resource limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import llvm
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    DictionaryAttr,
    Float64Type,
    IntAttr,
    ModuleOp,
    UnitAttr,
    f32,
    i32,
    i64,
)
from xdsl.dialects.llvm import IntToPtrOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass

from mlc.diagnostics import CompileError
from mlc.dialects.gpu import MAPPING_ATTRIBUTE, THREAD_TILE, WARP_SIZE, MappingAttr
from mlc.dialects.loop import KernelOp, LoadOp, ReduceOp
from mlc.lowering.codegen_options import DEFAULT_CODEGEN
from mlc.lowering.contraction import Contraction, match_contraction
from mlc.lowering.loop_to_llvm import (
    NSW,
    PTR,
    FunctionBuilder,
    Schedule,
    SweepPlan,
    _KernelLowering,
    check_element_types,
    combine,
    kernel_symbols,
    reduction_identity,
    register_type,
    round_to_bf16,
    schedule,
)
from mlc.passes import register_pass

NVPTX_TRIPLE = "nvptx64-nvidia-cuda"
NVPTX_DATA_LAYOUT = "e-i64:64-i128:128-v16:16-v32:32-n16:32:64"
KERNEL_ATTRIBUTE = "gpu.kernel"
"""Marks the `llvm.func`s that are kernel entry points (not device functions)."""
SHARED = llvm.LLVMPointerType(IntAttr(3))
_SHUFFLE_SUFFIX = {"f32": "f32", "i32": "i32"}


@dataclass(frozen=True)
class DeviceModule:
    """The device code of a program: `module` holds the kernels' `llvm.func`s and
    their shared globals; `kernels[name]` is the loop.kernel each function runs,
    `shared_bytes[name]` the static shared memory it declares."""

    module: ModuleOp
    kernels: dict[str, KernelOp]
    shared_bytes: dict[str, int]


def mapping_of(kernel: KernelOp) -> MappingAttr:
    mapping = kernel.attributes.get(MAPPING_ATTRIBUTE)
    if not isinstance(mapping, MappingAttr):
        raise CompileError.at(
            kernel, "'loop.kernel' op has no #mlc_gpu.mapping: run map-to-gpu first"
        )
    return mapping


def kernels_as_nvvm(module: ModuleOp) -> DeviceModule:
    """One kernel `llvm.func` per mapped `loop.kernel` of `module`, in a new module."""
    device = ModuleOp([])
    kernels: dict[str, KernelOp] = {}
    shared: dict[str, int] = {}
    for kernel, name in kernel_symbols(module).items():
        ops = _GpuKernelLowering(kernel, name, mapping_of(kernel)).lower()
        for op in ops:
            device.body.block.add_op(op)
        kernels[name] = kernel
        shared[name] = sum(
            op.global_type.size.data * op.global_type.type.bitwidth // 8
            for op in ops
            if isinstance(op, llvm.GlobalOp)
        )
    return DeviceModule(device, kernels, shared)


def _check_supported(kernel: KernelOp) -> None:
    check_element_types(kernel, "GPU")
    for op in kernel.block.ops:
        if op.name.startswith("math.") and not _nvptx_math(op):
            raise CompileError.at(
                op, f"'{op.name}' op: no GPU lowering for {op.results[0].type} (no libdevice yet)"
            )


def _nvptx_math(op: Operation) -> bool:
    """Whether the CPU lowering of a math op is code NVPTX compiles by itself: the
    inline f32 polynomials and the intrinsics PTX has instructions for, not the
    libm calls or libm-backed intrinsics (`llvm.exp.f64`) that need libdevice."""
    if isinstance(op, _INLINE_POLYNOMIALS):
        return not isinstance(op.results[0].type, Float64Type)
    return isinstance(op, _PTX_MATH)


def _sweep_cones(kernel: KernelOp, s: Schedule) -> dict[int, list[Operation]]:
    """The inner ops each sweep computes, in body order (everything recomputed)."""
    order = {op: n for n, op in enumerate(kernel.block.ops)}
    cones: dict[int, list[Operation]] = {}
    for k in range(1, s.sweeps + 1):
        work = [op for op in kernel.block.ops if s.sweep_of.get(op) == k]
        needed: set[Operation] = set()
        while work:
            op = work.pop()
            if op in needed:
                continue
            needed.add(op)
            work.extend(
                o.owner for o in op.operands if isinstance(o.owner, Operation) and o in s.inner
            )
        cones[k] = sorted(
            (op for op in needed if not isinstance(op, ReduceOp)), key=order.__getitem__
        )
    return cones


_INLINE_POLYNOMIALS = (xmath.ExpOp, xmath.LogOp, xmath.TanhOp, xmath.ErfOp)
_PTX_MATH = (
    xmath.SqrtOp,
    xmath.RsqrtOp,
    xmath.AbsFOp,
    xmath.AbsIOp,
    xmath.FmaOp,
    xmath.CopySignOp,
    xmath.FloorOp,
    xmath.CeilOp,
    xmath.TruncOp,
    xmath.RoundOp,
    xmath.RoundEvenOp,
    xmath.CtPopOp,
)


class _GpuKernelLowering(_KernelLowering):
    """The CPU kernel lowering with GPU loops around its points and sweeps."""

    def __init__(self, kernel: KernelOp, name: str, mapping: MappingAttr) -> None:
        _check_supported(kernel)
        self.kernel = kernel
        self.name = name
        self.options = DEFAULT_CODEGEN
        self.mapping = mapping
        self.schedule = schedule(kernel)
        cones = _sweep_cones(kernel, self.schedule)
        self.plan = SweepPlan(cones, {k: [] for k in cones}, [])
        self.prefetch_sweep = None
        self.streamed = {}
        self.scratch = {}
        self.dims = {}
        tensors = [*kernel.input_args, *kernel.output_args]
        entry = Block(arg_types=[PTR] * len(tensors))
        for arg, tensor in zip(entry.args, tensors, strict=True):
            arg.name_hint = tensor.name_hint
        self.b = FunctionBuilder(Region(entry), entry)
        self.pointers = dict(zip(tensors, entry.args, strict=True))
        self.shared: list[llvm.GlobalOp] = []
        self.contraction: Contraction | None = None
        if mapping.strategy.data == "tiles":
            matched = match_contraction(kernel, self.schedule)
            if isinstance(matched, str):
                raise CompileError.at(
                    kernel, f"'loop.kernel' op: a 'tiles' mapping needs a contraction: {matched}"
                )
            self.contraction = matched

    # -- the kernel ----------------------------------------------------------

    def lower(self) -> list[Operation]:
        """The shared globals and the kernel function."""
        b = self.b
        self.tid = self.special_register("tid.x")
        block_id = self.special_register("ctaid.x")
        parallel = [d for d in range(self.kernel.rank) if d not in self.kernel.reduced]
        points = math.prod(self.kernel.sizes[d] for d in parallel)
        threads, blocks = self.mapping.threads, self.mapping.blocks
        if self.contraction is not None:
            self.tiles(block_id)
        else:
            if self.mapping.strategy.data == "rows":
                first, step = block_id, blocks
            else:
                gid = b.add(llvm.MulOp(block_id, b.constant(threads, i64), overflow=NSW))
                first = b.add(llvm.AddOp(gid, self.tid, overflow=NSW))
                step = threads * blocks

            def at_point(p: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                self.delinearize(p, parallel)
                self.point()
                return carried

            self.strided("p", first, points, step, [], at_point)
        b.add(llvm.ReturnOp())
        entry = b.region.blocks[0]
        function = llvm.FuncOp(
            self.name,
            llvm.LLVMFunctionType(entry.arg_types, llvm.LLVMVoidType()),
            linkage=llvm.LinkageAttr("external"),
            body=b.region,
            other_props={
                "arg_attrs": ArrayAttr(
                    [DictionaryAttr({"llvm.noalias": UnitAttr()})] * len(entry.args)
                )
            },
        )
        function.attributes[KERNEL_ATTRIBUTE] = UnitAttr()
        function.attributes[MAPPING_ATTRIBUTE] = self.mapping
        return [*self.shared, function]

    def special_register(self, register: str) -> SSAValue:
        value = self.b.intrinsic(f"llvm.nvvm.read.ptx.sreg.{register}", [], i32)
        return self.b.add(llvm.ZExtOp(value, i64))

    def strided(
        self,
        name: str,
        first: SSAValue,
        end: int,
        step: int,
        carried: Sequence[SSAValue],
        body: Callable[[SSAValue, list[SSAValue]], list[SSAValue]],
        carried_names: Sequence[str] = (),
    ) -> list[SSAValue]:
        """`for iv in [first, end) step step`, as a counted loop of
        `(end + step - 1 - first) / step` iterations (`first` is a thread's offset
        in `[0, step)`, so the count is never negative)."""
        b = self.b
        left = b.add(llvm.SubOp(b.constant(end + step - 1, i64), first))
        count = b.add(llvm.UDivOp(left, b.constant(step, i64)))

        def iteration(n: SSAValue, values: list[SSAValue]) -> list[SSAValue]:
            offset = b.add(llvm.MulOp(n, b.constant(step, i64), overflow=NSW))
            return body(b.add(llvm.AddOp(first, offset, overflow=NSW)), values)

        zero = b.constant(0, i64)
        return b.loop(name, zero, count, list(carried), iteration, carried_names)

    def delinearize(self, linear: SSAValue, dims: Sequence[int]) -> None:
        """Sets `self.dims` for `dims` from their row-major linear index."""
        for d, value in zip(
            dims, self.split(linear, [self.kernel.sizes[d] for d in dims]), strict=True
        ):
            self.dims[d] = value

    def split(self, linear: SSAValue, sizes: Sequence[int]) -> list[SSAValue]:
        """The row-major coordinates of `linear` in a grid of `sizes` (the first one
        unbounded: no remainder taken)."""
        coordinates: list[SSAValue] = []
        for n in range(len(sizes) - 1, 0, -1):
            size = self.b.constant(sizes[n], i64)
            coordinates.append(self.b.add(llvm.URemOp(linear, size)))
            linear = self.b.add(llvm.UDivOp(linear, size))
        return [linear, *reversed(coordinates)] if sizes else []

    # -- block-wide sweeps (the rows strategy) ---------------------------------

    def sweep(self, k: int, env: dict[SSAValue, SSAValue]) -> None:
        if self.mapping.strategy.data != "rows":
            super().sweep(k, env)
            return
        s = self.schedule
        accumulated = [
            op for op in self.kernel.block.ops if isinstance(op, ReduceOp) and s.sweep_of[op] == k
        ]
        types = [register_type(r.result.type) for r in accumulated]
        identities = [
            reduction_identity(self.b, r.kind.data, t)
            for r, t in zip(accumulated, types, strict=True)
        ]
        reduced = self.kernel.reduced

        def body(r: SSAValue, accs: list[SSAValue]) -> list[SSAValue]:
            self.delinearize(r, reduced)
            local = dict(env)
            for op in self.plan.ops[k]:
                self.emit(op, local)
            return [
                self.combined(op, acc, local[op.value])
                for op, acc in zip(accumulated, accs, strict=True)
            ]

        row = math.prod(self.kernel.sizes[d] for d in reduced)
        partial = self.strided(f"sweep{k}_r", self.tid, row, self.mapping.threads, identities, body)
        for op, value in zip(accumulated, partial, strict=True):
            env[op.result] = self.block_reduce(op, value)

    def combined(self, op: ReduceOp, acc: SSAValue, value: SSAValue) -> SSAValue:
        result = combine(self.b, op.kind.data, acc, value)
        return round_to_bf16(self.b, result) if isinstance(op.result.type, BFloat16Type) else result

    def block_reduce(self, op: ReduceOp, value: SSAValue) -> SSAValue:
        """`value` combined over the block's threads; every thread gets the result."""
        b = self.b
        t = value.type
        suffix = _SHUFFLE_SUFFIX.get(str(t))
        if suffix is None:
            raise CompileError.at(
                op,
                f"'loop.reduce' op: no GPU block reduction of {op.result.type} (f32, bf16 or i32)",
            )
        mask, clamp = b.constant(-1, i32), b.constant(WARP_SIZE - 1, i32)
        for offset in (16, 8, 4, 2, 1):
            other = b.intrinsic(
                f"llvm.nvvm.shfl.sync.bfly.{suffix}",
                [mask, value, b.constant(offset, i32), clamp],
                t,
            )
            value = self.combined(op, value, other)
        warps = self.mapping.threads // WARP_SIZE
        if warps == 1:
            return value
        slots = self.shared_array(f"{self.name}_reduce{len(self.shared)}", t, warps)
        lane = b.add(llvm.AndOp(self.tid, b.constant(WARP_SIZE - 1, i64)))
        warp = b.add(llvm.LShrOp(self.tid, b.constant(5, i64)))
        write, written = b.new_block("warp_leader"), b.new_block("warp_written")
        is_leader = b.icmp("eq", lane, b.constant(0, i64))
        b.add(llvm.CondBrOp(is_leader, write, [], written, []))
        b.enter(write)
        b.add(llvm.StoreOp(value, self.shared_slot(slots, warp, t)))
        b.add(llvm.BrOp(written))
        b.enter(written)
        b.add(llvm.CallIntrinsicOp("llvm.nvvm.barrier0", [], []))
        total = None
        for w in range(warps):
            slot = b.add(llvm.LoadOp(self.shared_slot(slots, b.constant(w, i64), t), t))
            total = slot if total is None else self.combined(op, total, slot)
        b.add(llvm.CallIntrinsicOp("llvm.nvvm.barrier0", [], []))
        return total

    # -- contraction tiles (the tiles strategy) ----------------------------------

    def tiles(self, block_id: SSAValue) -> None:
        """Blocks stride over the output tiles (batch point, tile row, tile column);
        each sweeps K in chunks: stage the A and B chunks in shared memory, barrier,
        accumulate the thread's register tile from them, barrier (before the next
        chunk overwrites them); then the epilogue per output it holds."""
        b, c = self.b, self.contraction
        bm, bn, bk = self.mapping.tile_sizes
        sizes = self.kernel.sizes
        grid = [
            *(sizes[d] for d in c.batch),
            -(-sizes[c.m] // bm),
            -(-sizes[c.n] // bn),
        ]
        # One padding column: the stride of a shared row is odd, so a warp walking
        # down either operand's column hits 32 different banks.
        a_tile = self.shared_array(f"{self.name}_tile_a", f32, bm * (bk + 1))
        b_tile = self.shared_array(f"{self.name}_tile_b", f32, bk * (bn + 1))
        columns = b.constant(bn // THREAD_TILE, i64)
        tx, ty = b.add(llvm.URemOp(self.tid, columns)), b.add(llvm.UDivOp(self.tid, columns))
        rows = [self.offset(ty, i * bm // THREAD_TILE) for i in range(THREAD_TILE)]
        cols = [self.offset(tx, j * bn // THREAD_TILE) for j in range(THREAD_TILE)]

        def at_tile(t: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            *batch, tile_m, tile_n = self.split(t, grid)
            for d, value in zip(c.batch, batch, strict=True):
                self.dims[d] = value
            row0 = self.mul(tile_m, b.constant(bm, i64))
            col0 = self.mul(tile_n, b.constant(bn, i64))

            def chunk(kc: SSAValue, accs: list[SSAValue]) -> list[SSAValue]:
                k0 = self.mul(kc, b.constant(bk, i64))
                self.stage(c.lhs, c.m, a_tile, row0, k0, (bm, bk + 1, 1))
                self.stage(c.rhs, c.n, b_tile, col0, k0, (bn, 1, bn + 1))
                b.add(llvm.CallIntrinsicOp("llvm.nvvm.barrier0", [], []))

                def step(kk: SSAValue, accs: list[SSAValue]) -> list[SSAValue]:
                    b_row = self.mul(kk, b.constant(bn + 1, i64))
                    a = [self.shared_load(a_tile, self.offset(kk, 0, r, bk + 1)) for r in rows]
                    w = [self.shared_load(b_tile, self.offset(b_row, 0, col)) for col in cols]
                    return [
                        b.add(llvm.FMAOp(a[n // THREAD_TILE], w[n % THREAD_TILE], acc))
                        for n, acc in enumerate(accs)
                    ]

                zero = b.constant(0, i64)
                accs = b.loop("kk", zero, b.constant(bk, i64), accs, step)
                b.add(llvm.CallIntrinsicOp("llvm.nvvm.barrier0", [], []))
                return accs

            chunks = b.constant(-(-sizes[c.k] // bk), i64)
            zeros = [b.constant(0.0, f32)] * THREAD_TILE**2
            names = [f"c{i}_{j}" for i in range(THREAD_TILE) for j in range(THREAD_TILE)]
            accs = b.loop("k_chunk", b.constant(0, i64), chunks, zeros, chunk, names)
            for n, acc in enumerate(accs):
                row = self.offset(row0, 0, rows[n // THREAD_TILE])
                col = self.offset(col0, 0, cols[n % THREAD_TILE])
                self.tile_output(row, col, acc, (bm, bn))
            return carried

        self.strided("tile", block_id, math.prod(grid), self.mapping.blocks, [], at_tile)

    def offset(
        self, base: SSAValue, constant: int, index: SSAValue | None = None, scale: int = 1
    ) -> SSAValue:
        """`base + constant`, plus `index * scale` when given."""
        b = self.b
        value = base
        if index is not None:
            scaled = index if scale == 1 else self.mul(index, b.constant(scale, i64))
            value = b.add(llvm.AddOp(value, scaled, overflow=NSW))
        if constant:
            value = b.add(llvm.AddOp(value, b.constant(constant, i64), overflow=NSW))
        return value

    def bounded(self, d: int, index: SSAValue, tile: int) -> SSAValue | None:
        """Sets dim `d` to `index` clamped into it (loads stay in the tensor) and
        returns whether `index` is inside; None where tiles of `tile` divide the dim."""
        size = self.kernel.sizes[d]
        if size % tile == 0:
            self.dims[d] = index
            return None
        last = self.b.constant(size - 1, i64)
        self.dims[d] = self.b.intrinsic("llvm.umin.i64", [index, last], i64)
        return self.b.icmp("ult", index, self.b.constant(size, i64))

    def stage(
        self,
        load: LoadOp,
        d: int,
        tile: SSAValue,
        first: SSAValue,
        k0: SSAValue,
        shape: tuple[int, int, int],
    ) -> None:
        """Copies the `extent` x BK chunk of operand `load` (rows of dim `d` from
        `first`, K from `k0`) into shared `tile[r * row_stride + kk * k_stride]`,
        zero outside the tensor. Threads take consecutive elements in the operand's
        innermost memory dim, so a warp's loads coalesce."""
        b, k = self.b, self.contraction.k
        extent, row_stride, k_stride = shape
        bk = self.mapping.tile_sizes[2]
        last = self.kernel.domain_map(load).results[-1]
        k_innermost = any(isinstance(e, AffineDimExpr) and e.position == k for e in last.dfs())

        def element(e: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            r, kk = (
                self.split(e, [extent, bk]) if k_innermost else self.split(e, [bk, extent])[::-1]
            )
            inside = [
                self.bounded(d, self.offset(first, 0, r), extent),
                self.bounded(k, self.offset(k0, 0, kk), bk),
            ]
            value = self.load(load, {})
            for check in filter(None, inside):
                value = b.select(check, value, b.constant(0.0, f32))
            slot = self.offset(self.mul(r, b.constant(row_stride, i64)), 0, kk, k_stride)
            b.add(llvm.StoreOp(value, self.shared_slot(tile, slot, f32)))
            return carried

        self.strided(
            f"stage_{load.tensor.name_hint or 'x'}",
            self.tid,
            extent * bk,
            self.mapping.threads,
            [],
            element,
        )

    def shared_load(self, tile: SSAValue, index: SSAValue) -> SSAValue:
        return self.b.add(llvm.LoadOp(self.shared_slot(tile, index, f32), f32))

    def tile_output(
        self, row: SSAValue, col: SSAValue, acc: SSAValue, tile: tuple[int, int]
    ) -> None:
        """The epilogue (the body after the reduce: bias, activation, store) at output
        (`row`, `col`), skipped outside the output."""
        b, c = self.b, self.contraction
        inside = [self.bounded(c.m, row, tile[0]), self.bounded(c.n, col, tile[1])]
        checks = [v for v in inside if v is not None]
        done = None
        if checks:
            condition = checks[0] if len(checks) == 1 else b.add(llvm.AndOp(*checks))
            store, done = b.new_block("epilogue"), b.new_block("epilogue_done")
            b.add(llvm.CondBrOp(condition, store, [], done, []))
            b.enter(store)
        env = {c.reduce.result: acc}
        self.emit_stage(0, env)
        self.emit_stage(1, env)
        if done is not None:
            b.add(llvm.BrOp(done))
            b.enter(done)

    def shared_array(self, name: str, t: Attribute, count: int) -> SSAValue:
        """The address of a new `[count x t]` array in shared memory."""
        global_op = llvm.GlobalOp(
            llvm.LLVMArrayType(count, t),
            name,
            "internal",
            addr_space=3,
            alignment=16,
        )
        self.shared.append(global_op)
        address = self.b.add(llvm.AddressOfOp(name, SHARED))
        return self.b.add(llvm.PtrToIntOp(address, i64))

    def shared_slot(self, base: SSAValue, index: SSAValue, t: Attribute) -> SSAValue:
        """The `addrspace(3)` pointer to element `index` of a shared array (by integer
        arithmetic: xDSL's GEP export casts through a generic pointer)."""
        size = 4 if t in (f32, i32) else 8
        offset = self.b.add(llvm.MulOp(index, self.b.constant(size, i64), overflow=NSW))
        address = self.b.add(llvm.AddOp(base, offset))
        return self.b.add(IntToPtrOp.build(operands=[address], result_types=[SHARED]))


# ---------------------------------------------------------------------------
# LLVM IR


def export_nvvm_ir(module: ModuleOp) -> str:
    """LLVM IR text for NVPTX of a device module (`kernels_as_nvvm`)."""
    from llvmlite import ir
    from xdsl.backend.llvm.convert import convert_module

    ir_module = convert_module(
        _without_mlc_attributes(module),
        fallback_target_triple=NVPTX_TRIPLE,
        data_layout=NVPTX_DATA_LAYOUT,
    )
    for op in module.ops:
        if isinstance(op, llvm.GlobalOp) and op.addr_space.value.data == 3:
            variable = ir_module.get_global(op.sym_name.data)
            variable.initializer = ir.Constant(variable.value_type, ir.Undefined)
    annotations = ir_module.add_named_metadata("nvvm.annotations")
    for op in module.ops:
        if isinstance(op, llvm.FuncOp) and KERNEL_ATTRIBUTE in op.attributes:
            function = ir_module.get_global(op.sym_name.data)
            annotations.add(
                ir_module.add_metadata(
                    [
                        function,
                        ir.MetaDataString(ir_module, "kernel"),
                        ir.Constant(ir.IntType(32), 1),
                    ]
                )
            )
    return str(ir_module)


def _without_mlc_attributes(module: ModuleOp) -> ModuleOp:
    """A copy of `module` whose functions lack mlc's discardable attributes, which
    the exporter would otherwise try to translate."""
    copy = module.clone()
    for op in copy.ops:
        for key in (KERNEL_ATTRIBUTE, MAPPING_ATTRIBUTE):
            op.attributes.pop(key, None)
    return copy


@register_pass
@dataclass(frozen=True)
class ConvertGpuToNvvmPass(ModulePass):
    """Adds an NVVM llvm.func per GPU-mapped loop.kernel (thread ids, shuffles, barriers).

    Each `loop.kernel` with a `#mlc_gpu.mapping` gets a kernel `llvm.func` (marked
    `gpu.kernel`) and the shared-memory globals of its block reductions; the kernels
    stay in place as the host's record of the launches (see
    `mlc/lowering/gpu_to_nvvm.py`).
    """

    name = "convert-gpu-to-nvvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        device = kernels_as_nvvm(op)
        for device_op in list(device.module.ops):
            device_op.detach()
            op.body.block.add_op(device_op)
