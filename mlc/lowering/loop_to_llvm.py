"""From `loop.kernel` to an `llvm.func`: one fused kernel as a native loop nest.

`convert-loop-to-llvm` adds, for every kernel of the module, an `llvm.func` in
upstream xDSL's `llvm` dialect (it prints, parses and exports through
`xdsl.backend.llvm.convert_module`), named after the kernel. The kernels stay where
they are: they are the host's record of which buffers each call reads and writes
until a host lowering replaces them with calls. `lower_kernel` is the same lowering
for one kernel, which is what the CPU runtime (`mlc.runtime.cpu`) compiles.

**Calling convention.** `void name(ptr in0, ..., ptr out0, ..., i64 begin, i64 end)`:
every tensor is a dense row-major buffer of its static shape (`i1` one byte per
element, as numpy's bool). The call computes the points whose outermost parallel
index lies in `[begin, end)` (clamped to the dim), so a runtime can split that dim
over threads; a kernel without parallel dims has a virtual one of size 1
(`begin=0, end=1` runs it). Pointers are `noalias`: outputs never overlap another
argument (the runtime checks), except an output written in place over an input (the
kernel's `in_place` attribute, from `plan-memory`): those two may be one buffer, so
neither of them is `noalias` (every other pointer still is).

**Schedule.** The parallel dims are the outer loops, in domain order. Inside, the
body runs as a sequence of *sweeps* over the reduction dims (nested in domain
order), because a `loop.reduce` is only known after a full sweep:

* a reduce belongs to sweep `k = 1 + the last sweep its operand depends on`; the
  reduces of a sweep accumulate in loop-carried registers (block arguments, i.e.
  phis) starting from their identity;
* a value that does not vary over the reduction dims is computed once per parallel
  point, right after the last sweep it depends on;
* a value that varies over the reduction dims is computed inside each sweep that
  needs it (loads are re-issued: a row that fits in L1 is cheap to read again),
  except a costly float value (a division or a libm-class function) needed by
  several sweeps: the first computes it into a scratch row (a per-call stack buffer
  over the reduction dims, up to `SCRATCH_BYTES` in all) and the later ones load it
  back. A store of such a value (or a store indexed by a reduction dim) runs in the
  sweep right after the last reduction its value depends on;
* row-wise kernels of several sweeps prefetch the next row: in the sweep with the
  most work, the innermost reduction loop runs in chunks of `PREFETCH_CHUNK`
  iterations, each opened by an `llvm.prefetch` per cache line of the next row (the
  innermost parallel index plus one) of every input streamed through rows. The
  hardware prefetcher stops at page boundaries and idles while a row is computed
  on in cache (a single sweep streams from memory itself: nothing to prefetch);
* with `streaming_stores`, rows of large outputs (`STREAMING_MIN_BYTES`) are
  streamed: the sweep stores into a scratch row, then the row is copied to the
  output, whole 64-byte lines with non-temporal stores (no read of each line before
  it is written), the elements before the output's first line boundary and after
  its last with plain ones (user arrays need only element alignment); an `sfence`
  ends the call. Off by default: slower where measured (see `CodegenOptions`).

**Tiling.** A kernel with `tile_sizes` (the `tile` pass; see `mlc.dialects.loop`)
runs its parallel dims as tile loops, then point loops, each in domain order:

    for t0 in [begin, end) step T0:          (tile loops ^t0, ...: dims with T < size)
      for t1 in [0, N1) step T1:
        for d0 in [t0, min(t0 + T0, end)):   (point loops: dims with T > 1)
          for d1 in [t1, min(t1 + T1, N1)):
            the sweeps of point (d0, d1)

A dim tiled whole (T = size) has no tile loop and a dim of tile size 1 no point
loop (its tile index is the point), so `[begin, end)` still indexes the outermost
parallel dim, whichever loop runs over it: the calling convention and the runtime's
split over threads are unchanged (a thread's range need not start at a tile
boundary; its first and last tiles are clipped). Reduction dims are never tiled
(the verifier checks), and a contraction ignores `tile_sizes`: it blocks itself.

So softmax is three sweeps (max; exp into scratch and its sum; scale and store,
with the next row prefetched). A matmul-like kernel (f32 sum of products of two
loads over one reduction dim, then a point-wise epilogue) is the exception: it
becomes a cache-blocked nest around a register-blocked FMA micro-kernel
(`mlc.lowering.contraction`; `CodegenOptions.contraction`), and the other kernels
with reductions (f64 matmuls included) keep plain loop nests.

**Scalars.** `arith` and `math` ops become `llvm` ops, intrinsics
(`llvm.maximum.f32`, `llvm.fptosi.sat.*`, ...) or calls to libm where LLVM has no
intrinsic (`atanf`, `sinhf`, ...; declared in the module). f32 `exp`, `log`, `tanh`
and `erf` (the transcendentals decompositions emit) are inline polynomials that
vectorise (`mlc.lowering.llvm_math`; through llvmlite, `llvm.exp.f32` and friends
stay scalar libm calls in vector loops); f64 keeps libm. `index` is `i64`, `f16`
is LLVM `half`, and `bf16` lives in an f32 register, rounded after every op that
produces one (the interpreter's precision policy). Undefined behaviour of the source
(integer division by zero, signed division overflow, over-wide shifts, NaN to
integer) gets some defined result instead of a trap or a poison: the reference
interpreter refuses such inputs anyway. Float reductions carry `reassoc` (the
dialect defines a reduction only up to reassociation), which lets LLVM vectorise
them; nothing else has fast-math flags unless `CodegenOptions.fast_math` asks.

**Options** (`CodegenOptions`, the pass's options): fast-math flags, the preferred
vector width (by default the widest: the `prefer-vector-width` function attribute,
in each `llvm.func`'s `passthrough`, which `export_llvm_ir` carries into the LLVM
IR), prefetching and streaming stores.

**Memory safety.** Addresses are `getelementptr inbounds` over an `i64` row-major
offset. Every load index that the domain bounds do not prove inside its dim (a
computed index, or any index of a kernel with an empty dim, where the verifier
proves nothing) is clamped to the dim, and a load from an empty tensor yields zero:
native code never reads out of bounds, whatever the values. Prefetches, which never
fault, are the exception: they may point past a tensor. Scratch rows live on the
stack (at most `SCRATCH_BYTES` per call).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, llvm
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    VectorType,
    f32,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineSymExpr,
)
from xdsl.passes import ModulePass

from mlc.diagnostics import CompileError
from mlc.dialects.loop import KernelOp, LoadOp, ReduceOp, StoreOp, index_range
from mlc.lowering.codegen_options import DEFAULT_CODEGEN, CodegenOptions
from mlc.lowering.contraction import Contraction, emit_contraction, match_cpu_contraction
from mlc.lowering.index_exprs import flat_offset
from mlc.lowering.llvm_math import erf_f32, exp_f32, log_f32, tanh_f32
from mlc.passes import register_pass
from mlc.transforms.plan_memory import in_place_inputs

__all__ = ["ConvertLoopToLLVMPass", "LoweredKernel", "kernel_symbols", "lower_kernel"]

PTR = llvm.LLVMPointerType()
NSW = llvm.OverflowAttr((llvm.OverflowFlag.NO_SIGNED_WRAP,))
WRAP = llvm.OverflowAttr(())
FloatType = Float16Type | Float32Type | Float64Type


# ---------------------------------------------------------------------------
# Types


def is_supported(t: Attribute) -> bool:
    """Whether kernel values (or tensor elements) of type `t` have an LLVM lowering."""
    return isinstance(t, IndexType | IntegerType | FloatType | BFloat16Type)


def register_type(t: Attribute) -> Attribute:
    """The LLVM type that holds a kernel body value of type `t` (`bf16` in an f32)."""
    if isinstance(t, IndexType):
        return i64
    if isinstance(t, BFloat16Type):
        return f32
    assert isinstance(t, IntegerType | FloatType), f"no LLVM type for {t}"
    return t


def memory_type(t: Attribute) -> Attribute:
    """The LLVM type an element of type `t` is stored as: `i1` as a byte (numpy's
    bool), `bf16` as its 16 bits."""
    if t == i1:
        return i8
    return i16 if isinstance(t, BFloat16Type) else register_type(t)


def element_bytes(t: Attribute) -> int:
    """Bytes per element of type `t` in memory (see `memory_type`)."""
    m = memory_type(t)
    return (m.bitwidth if is_float(m) else m.width.data) // 8


def is_float(t: Attribute) -> bool:
    return isinstance(t, FloatType)


def type_suffix(t: Attribute) -> str:
    """The overload suffix of an intrinsic name: `f32`, `i64`, ..."""
    t = register_type(t)
    return f"f{t.bitwidth}" if is_float(t) else f"i{t.width.data}"


# ---------------------------------------------------------------------------
# Emitting llvm ops


@dataclass
class FunctionBuilder:
    """Appends ops at the end of `block`, creates blocks, and builds counted loops.

    `externals` collects the libm functions the body calls; whoever puts the function
    in a module declares them (`declare_externals`).
    """

    region: Region
    block: Block
    externals: dict[str, llvm.LLVMFunctionType] = field(default_factory=dict)
    constants: dict[tuple[str, str], SSAValue] = field(default_factory=dict)

    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0] if op.results else None

    def constant(self, value: float | int, t: Attribute) -> SSAValue:
        """A constant of register type `t`, made once at the top of the entry block.

        Integers are taken modulo 2^width (printed signed, `i1` as 0 or 1).
        """
        if is_float(t):
            attr: Attribute = FloatAttr(float(value), t)
        else:
            width = t.width.data
            value = int(value) % (1 << width)
            if width > 1 and value >= 1 << (width - 1):
                value -= 1 << width
            attr = IntegerAttr(value, t)
        key = (str(t), repr(value))
        if key not in self.constants:
            op = llvm.ConstantOp(attr, t)
            entry = self.region.blocks[0]
            if self.constants:
                entry.insert_op_after(op, next(reversed(self.constants.values())).owner)
            elif entry.first_op is not None:
                entry.insert_op_before(op, entry.first_op)
            else:
                entry.add_op(op)
            self.constants[key] = op.result
        return self.constants[key]

    def intrinsic(self, name: str, args: Sequence[SSAValue], result: Attribute) -> SSAValue:
        return self.add(llvm.CallIntrinsicOp(name, list(args), [result]))

    def call(self, name: str, args: Sequence[SSAValue], result: Attribute) -> SSAValue:
        """A call to external function `name` (declared by `declare_externals`)."""
        self.externals[name] = llvm.LLVMFunctionType([a.type for a in args], result)
        return self.add(llvm.CallOp(name, *args, return_type=result))

    def icmp(self, predicate: str, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        flag = llvm.ICmpPredicateFlag(predicate)
        return self.add(llvm.ICmpOp(lhs, rhs, IntegerAttr(flag.to_int(), i64)))

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.add(llvm.SelectOp(cond, a, b))

    def new_block(self, name: str, arg_types: Sequence[Attribute] = ()) -> Block:
        block = Block(arg_types=arg_types)
        block.name_hint = name
        return block

    def enter(self, block: Block) -> None:
        """Appends `block` to the function and continues emitting into it."""
        self.region.add_block(block)
        self.block = block

    def loop(
        self,
        name: str,
        lower: SSAValue,
        upper: SSAValue,
        carried: Sequence[SSAValue],
        body: Callable[[SSAValue, list[SSAValue]], list[SSAValue]],
        carried_names: Sequence[str] = (),
        step: int = 1,
    ) -> list[SSAValue]:
        """`for iv in [lower, upper) step step` carrying values; returns their final values.

        `^name(iv, carried...)` tests the bound, `^name_body` runs `body(iv, carried)`
        (which may add blocks) and branches back with its results, `^name_end`
        continues; the header's block arguments become phis, named `carried_names`.
        """
        header = self.new_block(name, [i64, *(v.type for v in carried)])
        header.args[0].name_hint = name.rsplit("_", 1)[-1]
        for arg, arg_name in zip(header.args[1:], carried_names, strict=False):
            arg.name_hint = arg_name
        body_block, exit_block = self.new_block(f"{name}_body"), self.new_block(f"{name}_end")
        self.add(llvm.BrOp(header, lower, *carried))
        self.enter(header)
        iv, values = header.args[0], list(header.args[1:])
        self.add(llvm.CondBrOp(self.icmp("slt", iv, upper), body_block, [], exit_block, []))
        self.enter(body_block)
        results = body(iv, values)
        increment = self.constant(step, i64)
        self.add(llvm.BrOp(header, self.add(llvm.AddOp(iv, increment, overflow=NSW)), *results))
        self.enter(exit_block)
        return values


# ---------------------------------------------------------------------------
# Scalar ops

ScalarLowering = Callable[[FunctionBuilder, Operation, list[SSAValue]], SSAValue]
SCALAR_LOWERINGS: dict[type[Operation], ScalarLowering] = {}


def lowers(*op_classes: type[Operation]) -> Callable[[ScalarLowering], ScalarLowering]:
    def register(fn: ScalarLowering) -> ScalarLowering:
        for cls in op_classes:
            SCALAR_LOWERINGS[cls] = fn
        return fn

    return register


def result_type(op: Operation) -> Attribute:
    return register_type(op.results[0].type)


_DIRECT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AddfOp: llvm.FAddOp,
    arith.SubfOp: llvm.FSubOp,
    arith.MulfOp: llvm.FMulOp,
    arith.DivfOp: llvm.FDivOp,
    arith.AddiOp: llvm.AddOp,
    arith.SubiOp: llvm.SubOp,
    arith.MuliOp: llvm.MulOp,
    arith.AndIOp: llvm.AndOp,
    arith.OrIOp: llvm.OrOp,
    arith.XOrIOp: llvm.XOrOp,
}

_BINARY_INTRINSICS: dict[type[Operation], str] = {
    arith.MaximumfOp: "llvm.maximum",  # NaN-propagating, -0 < +0: arith.maximumf exactly
    arith.MinimumfOp: "llvm.minimum",
    arith.MaxnumfOp: "llvm.maxnum",
    arith.MinnumfOp: "llvm.minnum",
    arith.MaxSIOp: "llvm.smax",
    arith.MinSIOp: "llvm.smin",
    arith.MaxUIOp: "llvm.umax",
    arith.MinUIOp: "llvm.umin",
    xmath.PowFOp: "llvm.pow",
    xmath.CopySignOp: "llvm.copysign",
}

_UNARY_INTRINSICS: dict[type[Operation], str] = {
    xmath.Exp2Op: "llvm.exp2",
    xmath.Log2Op: "llvm.log2",
    xmath.Log10Op: "llvm.log10",
    xmath.SqrtOp: "llvm.sqrt",
    xmath.SinOp: "llvm.sin",
    xmath.CosOp: "llvm.cos",
    xmath.AbsFOp: "llvm.fabs",
    xmath.FloorOp: "llvm.floor",
    xmath.CeilOp: "llvm.ceil",
    xmath.TruncOp: "llvm.trunc",
    xmath.RoundOp: "llvm.round",  # half away from zero, like math.round
    xmath.RoundEvenOp: "llvm.roundeven",
    xmath.CtPopOp: "llvm.ctpop",
}

# No LLVM intrinsic: the C library's function (`tanhf` for f32, `tanh` for f64).
_LIBM_FUNCTIONS: dict[type[Operation], str] = {
    xmath.TanOp: "tan",
    xmath.AtanOp: "atan",
    xmath.AsinOp: "asin",
    xmath.AcosOp: "acos",
    xmath.SinhOp: "sinh",
    xmath.CoshOp: "cosh",
    xmath.AsinhOp: "asinh",
    xmath.AcoshOp: "acosh",
    xmath.AtanhOp: "atanh",
    xmath.ExpM1Op: "expm1",
    xmath.Log1pOp: "log1p",
    xmath.CbrtOp: "cbrt",
    xmath.Atan2Op: "atan2",
}


@lowers(*_DIRECT_BINARY)
def _direct_binary(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    return b.add(_DIRECT_BINARY[type(op)](*args))


@lowers(*_BINARY_INTRINSICS, *_UNARY_INTRINSICS)
def _intrinsic(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    name = _BINARY_INTRINSICS.get(type(op)) or _UNARY_INTRINSICS[type(op)]
    t = result_type(op)
    return b.intrinsic(f"{name}.{type_suffix(t)}", args, t)


@lowers(*_LIBM_FUNCTIONS)
def _libm(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """f32 calls `tanhf`, f64 `tanh`; f16 goes through the f32 function."""
    t = result_type(op)
    base = _LIBM_FUNCTIONS[type(op)]
    if isinstance(t, Float64Type):
        return b.call(base, args, t)
    if isinstance(t, Float32Type):
        return b.call(f"{base}f", args, t)
    wide = [b.add(llvm.FPExtOp(a, f32)) for a in args]
    return b.add(llvm.FPTruncOp(b.call(f"{base}f", wide, f32), t))


@lowers(arith.NegfOp)
def _negf(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    return b.add(llvm.FNegOp(args[0]))


# Inline straight-line code for f32 (f16 and bf16 through f32), which vectorises;
# f64 keeps libm (an intrinsic or a call), correctly rounded but scalar.
_INLINE_F32: dict[type[Operation], Callable[[FunctionBuilder, SSAValue], SSAValue]] = {
    xmath.ExpOp: exp_f32,
    xmath.LogOp: log_f32,
    xmath.TanhOp: tanh_f32,
    xmath.ErfOp: erf_f32,
}
_F64_LIBM: dict[type[Operation], str] = {
    xmath.ExpOp: "llvm.exp.f64",
    xmath.LogOp: "llvm.log.f64",
    xmath.TanhOp: "tanh",
    xmath.ErfOp: "erf",
}


@lowers(*_INLINE_F32)
def _inline_math(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    t = result_type(op)
    if isinstance(t, Float64Type):
        name = _F64_LIBM[type(op)]
        if name.startswith("llvm."):
            return b.intrinsic(name, [x], t)
        return b.call(name, [x], t)
    if isinstance(t, Float16Type):
        wide = _INLINE_F32[type(op)](b, b.add(llvm.FPExtOp(x, f32)))
        return b.add(llvm.FPTruncOp(wide, t))
    return _INLINE_F32[type(op)](b, x)


@lowers(xmath.RsqrtOp)
def _rsqrt(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """`1 / sqrt(x)`, two correctly rounded ops (no approximate reciprocal)."""
    t = result_type(op)
    root = b.intrinsic(f"llvm.sqrt.{type_suffix(t)}", args, t)
    return b.add(llvm.FDivOp(b.constant(1.0, t), root))


@lowers(xmath.FmaOp)
def _fma(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    t = result_type(op)
    return b.intrinsic(f"llvm.fma.{type_suffix(t)}", args, t)


@lowers(xmath.AbsIOp)
def _absi(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    zero = b.constant(0, x.type)
    return b.select(b.icmp("slt", x, zero), b.add(llvm.SubOp(zero, x)), x)


@lowers(arith.ConstantOp)
def _constant(b: FunctionBuilder, op: arith.ConstantOp, args: list[SSAValue]) -> SSAValue:
    value = op.value
    if not isinstance(value, IntegerAttr | FloatAttr):
        raise CompileError.at(op, f"'arith.constant' op: no LLVM lowering for value {value}")
    return b.constant(value.value.data, result_type(op))


@lowers(arith.CmpfOp)
def _cmpf(b: FunctionBuilder, op: arith.CmpfOp, args: list[SSAValue]) -> SSAValue:
    predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    if predicate in ("false", "true"):
        return b.constant(int(predicate == "true"), i1)
    return b.add(llvm.FCmpOp(*args, predicate))


@lowers(arith.CmpiOp)
def _cmpi(b: FunctionBuilder, op: arith.CmpiOp, args: list[SSAValue]) -> SSAValue:
    return b.icmp(arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data], *args)


@lowers(arith.SelectOp)
def _select(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    return b.select(*args)


# -- integer division and shifts: defined results where the source has UB -----


def _safe_divisor(b: FunctionBuilder, divisor: SSAValue, signed: bool) -> SSAValue:
    """`divisor`, with 1 where dividing would trap (zero; -1 for signed: INT_MIN / -1)."""
    t = divisor.type
    one = b.constant(1, t)
    trap = b.icmp("eq", divisor, b.constant(0, t))
    if signed:
        trap = b.add(llvm.OrOp(trap, b.icmp("eq", divisor, b.constant(-1, t))))
    return b.select(trap, one, divisor)


def _signed_quotient_remainder(
    b: FunctionBuilder, a: SSAValue, d: SSAValue
) -> tuple[SSAValue, SSAValue]:
    """C's `a / d` and `a % d`, with `d == -1` computed as `(-a, 0)` (wrapping)."""
    t = a.type
    safe = _safe_divisor(b, d, signed=True)
    minus_one = b.icmp("eq", d, b.constant(-1, t))
    zero = b.constant(0, t)
    quotient = b.select(minus_one, b.add(llvm.SubOp(zero, a)), b.add(llvm.SDivOp(a, safe)))
    remainder = b.select(minus_one, zero, b.add(llvm.SRemOp(a, safe)))
    return quotient, remainder


def signed_divide(
    b: FunctionBuilder, a: SSAValue, d: SSAValue, rounding: str
) -> tuple[SSAValue, SSAValue]:
    """The quotient rounded toward zero, -inf or +inf (`trunc`, `floor`, `ceil`) and
    the remainder `a - q * d` that goes with it (floor's is `mod`).

    The C quotient moves by one when the division is inexact and the signs of the
    remainder and divisor differ (floor) or agree (ceil).
    """
    quotient, remainder = _signed_quotient_remainder(b, a, d)
    if rounding == "trunc":
        return quotient, remainder
    t = a.type
    zero = b.constant(0, t)
    inexact = b.icmp("ne", remainder, zero)
    differ = b.icmp("ne", b.icmp("slt", remainder, zero), b.icmp("slt", d, zero))
    if rounding == "ceil":
        differ = b.add(llvm.XOrOp(differ, b.constant(1, i1)))
    adjust = b.add(llvm.AndOp(inexact, differ))
    step = b.add(llvm.ZExtOp(adjust, t))
    moved = b.select(adjust, d, zero)
    if rounding == "floor":
        return b.add(llvm.SubOp(quotient, step)), b.add(llvm.AddOp(remainder, moved))
    return b.add(llvm.AddOp(quotient, step)), b.add(llvm.SubOp(remainder, moved))


_SIGNED_DIVISIONS: dict[type[Operation], tuple[str, int]] = {
    arith.DivSIOp: ("trunc", 0),
    arith.RemSIOp: ("trunc", 1),
    arith.FloorDivSIOp: ("floor", 0),
    arith.CeilDivSIOp: ("ceil", 0),
}


@lowers(*_SIGNED_DIVISIONS)
def _signed_division(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    rounding, which = _SIGNED_DIVISIONS[type(op)]
    return signed_divide(b, *args, rounding)[which]


@lowers(arith.DivUIOp, arith.RemUIOp, arith.CeilDivUIOp)
def _unsigned_division(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    a, d = args
    safe = _safe_divisor(b, d, signed=False)
    if isinstance(op, arith.RemUIOp):
        return b.add(llvm.URemOp(a, safe))
    quotient = b.add(llvm.UDivOp(a, safe))
    if isinstance(op, arith.DivUIOp):
        return quotient
    inexact = b.icmp("ne", b.add(llvm.URemOp(a, safe)), b.constant(0, a.type))
    return b.add(llvm.AddOp(quotient, b.add(llvm.ZExtOp(inexact, a.type))))


_SHIFTS: dict[type[Operation], type[Operation]] = {
    arith.ShLIOp: llvm.ShlOp,
    arith.ShRSIOp: llvm.AShrOp,
    arith.ShRUIOp: llvm.LShrOp,
}


@lowers(*_SHIFTS)
def _shift(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """The amount is taken modulo the width (what x86 does), never a poison shift."""
    a, amount = args
    masked = b.add(llvm.AndOp(amount, b.constant(a.type.width.data - 1, a.type)))
    return b.add(_SHIFTS[type(op)](a, masked))


# -- casts ----------------------------------------------------------------------


def _resize_int(b: FunctionBuilder, x: SSAValue, to: Attribute, signed: bool) -> SSAValue:
    source, target = x.type.width.data, to.width.data
    if source == target:
        return x
    if source > target:
        return b.add(llvm.TruncOp(x, to))
    return b.add(llvm.SExtOp(x, to) if signed else llvm.ZExtOp(x, to))


@lowers(arith.ExtSIOp, arith.ExtUIOp, arith.TruncIOp, arith.IndexCastOp)
def _int_cast(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    return _resize_int(b, args[0], result_type(op), signed=not isinstance(op, arith.ExtUIOp))


@lowers(arith.ExtFOp, arith.TruncFOp)
def _float_cast(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    (x,) = args
    t = result_type(op)
    if x.type == t:
        return x
    if isinstance(op, arith.ExtFOp):
        return b.add(llvm.FPExtOp(x, t))
    if isinstance(x.type, Float64Type) and isinstance(
        op.results[0].type, Float16Type | BFloat16Type
    ):
        x = _round_to_odd_f32(b, x)  # then rounded to 16 bits by fptrunc or round_to_bf16
    return x if x.type == t else b.add(llvm.FPTruncOp(x, t))


def _round_to_odd_f32(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """f64 to f32 rounded toward zero, with the last bit set if inexact ("to odd").

    x86 has no f64 to f16 instruction (LLVM calls compiler-rt's `__truncdfhf2`,
    which the JIT does not have), and going through a plain f32 would round twice;
    rounding to odd first keeps the final rounding to f16 or bf16 exact.
    """
    nearest = b.add(llvm.FPTruncOp(x, f32))
    back = b.add(llvm.FPExtOp(nearest, x.type))
    abs_name = f"llvm.fabs.{type_suffix(x.type)}"
    away = b.add(
        llvm.FCmpOp(
            b.intrinsic(abs_name, [back], x.type), b.intrinsic(abs_name, [x], x.type), "ogt"
        )
    )
    bits = b.add(llvm.BitcastOp(nearest, i32))
    toward_zero = b.add(llvm.SubOp(bits, b.add(llvm.ZExtOp(away, i32))))
    inexact = b.add(llvm.ZExtOp(b.add(llvm.FCmpOp(back, x, "une")), i32))
    return b.add(llvm.BitcastOp(b.add(llvm.OrOp(toward_zero, inexact)), f32))


def round_to_bf16(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """The f32 `x` rounded to the nearest bf16 (ties to even), still in an f32.

    bf16 values live in f32 registers and every op producing one rounds once, as
    the interpreter does. NaN stays a (quiet) NaN of the same sign.
    """
    bits = b.add(llvm.BitcastOp(x, i32))
    odd = b.add(llvm.AndOp(b.add(llvm.LShrOp(bits, b.constant(16, i32))), b.constant(1, i32)))
    bias = b.add(llvm.AddOp(odd, b.constant(0x7FFF, i32)))
    high = b.constant(0xFFFF0000, i32)
    rounded = b.add(llvm.AndOp(b.add(llvm.AddOp(bits, bias)), high))
    quiet = b.add(llvm.AndOp(b.add(llvm.OrOp(bits, b.constant(0x00400000, i32))), high))
    nan = b.add(llvm.FCmpOp(x, x, "uno"))
    return b.add(llvm.BitcastOp(b.select(nan, quiet, rounded), f32))


@lowers(arith.SIToFPOp)
def _sitofp(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    return b.add(llvm.SIToFPOp(args[0], result_type(op)))


@lowers(arith.UIToFPOp)
def _uitofp(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """Zero-extend and convert as signed; a 64-bit value with its top bit set is halved
    (keeping the lowest bit, so rounding is unchanged), converted and doubled."""
    (x,) = args
    t = result_type(op)
    if x.type.width.data < 64:
        return b.add(llvm.SIToFPOp(b.add(llvm.ZExtOp(x, i64)), t))
    one = b.constant(1, i64)
    halved = b.add(llvm.OrOp(b.add(llvm.LShrOp(x, one)), b.add(llvm.AndOp(x, one))))
    big = b.add(llvm.SIToFPOp(halved, t))
    doubled = b.add(llvm.FAddOp(big, big))
    small = b.add(llvm.SIToFPOp(x, t))
    return b.select(b.icmp("slt", x, b.constant(0, i64)), doubled, small)


@lowers(arith.FPToSIOp, arith.FPToUIOp)
def _fptoi(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """Saturating conversion (NaN gives 0): defined where the source has poison."""
    t = result_type(op)
    kind = "fptosi" if isinstance(op, arith.FPToSIOp) else "fptoui"
    return b.intrinsic(f"llvm.{kind}.sat.{type_suffix(t)}.{type_suffix(args[0].type)}", args, t)


@lowers(arith.BitcastOp)
def _bitcast(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    t = result_type(op)
    return args[0] if args[0].type == t else b.add(llvm.BitcastOp(args[0], t))


# ---------------------------------------------------------------------------
# Reductions


_ACCUMULATOR_NAMES = {"add": "sum", "mul": "prod", "max": "max", "min": "min"}


def reduction_identity(b: FunctionBuilder, kind: str, t: Attribute) -> SSAValue:
    """0, 1, -inf or the smallest integer, +inf or the largest integer."""
    if kind in ("add", "mul"):
        return b.constant(int(kind == "mul"), t)
    if is_float(t):
        return b.constant(-math.inf if kind == "max" else math.inf, t)
    width = t.width.data
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return b.constant(low if kind == "max" else high, t)


def combine(b: FunctionBuilder, kind: str, acc: SSAValue, value: SSAValue) -> SSAValue:
    t = acc.type
    if kind in ("max", "min"):
        name = ("llvm.maximum" if kind == "max" else "llvm.minimum") if is_float(t) else None
        name = name or ("llvm.smax" if kind == "max" else "llvm.smin")
        return b.intrinsic(f"{name}.{type_suffix(t)}", [acc, value], t)
    if is_float(t):
        reassoc = llvm.FastMathAttr((llvm.FastMathFlag.REASSOC,))
        return b.add((llvm.FAddOp if kind == "add" else llvm.FMulOp)(acc, value, reassoc))
    return b.add((llvm.AddOp if kind == "add" else llvm.MulOp)(acc, value))


# ---------------------------------------------------------------------------
# The schedule


@dataclass(frozen=True)
class Schedule:
    """When each body op of a kernel runs (see the module docstring).

    `after[v]`: the last sweep whose reductions `v` depends on (0: none). `inner`:
    the values and stores that run inside sweeps. `sweep_of[op]`: the sweep of a
    reduce or of an inner store.
    """

    after: dict[SSAValue, int]
    inner: set[SSAValue | StoreOp]
    sweep_of: dict[Operation, int]
    sweeps: int


def schedule(kernel: KernelOp) -> Schedule:
    """The sweep of every reduce and inner store, in one pass over the body."""
    reduction_ivs = {kernel.ivs[d] for d in kernel.reduced}
    after: dict[SSAValue, int] = {arg: 0 for arg in kernel.block.args}
    inner: set[SSAValue | StoreOp] = set(reduction_ivs)
    sweep_of: dict[Operation, int] = {}
    for op in kernel.block.ops:
        last = max((after[o] for o in op.operands), default=0)
        varies = any(o in inner for o in op.operands)
        if isinstance(op, ReduceOp):
            sweep_of[op] = last + 1
            after[op.result] = last + 1
        elif isinstance(op, StoreOp):
            if varies or any(i in reduction_ivs for i in op.indices):
                inner.add(op)
                sweep_of[op] = after[op.value] + 1
        else:
            for r in op.results:
                after[r] = last
                if varies:
                    inner.add(r)
    return Schedule(after, inner, sweep_of, max(sweep_of.values(), default=0))


_CHEAP_MATH = (
    xmath.AbsFOp,
    xmath.AbsIOp,
    xmath.CopySignOp,
    xmath.FmaOp,
    xmath.FloorOp,
    xmath.CeilOp,
    xmath.TruncOp,
    xmath.RoundOp,
    xmath.RoundEvenOp,
    xmath.CtPopOp,
)
CACHE_LINE = 64
STREAMING_MIN_BYTES = 8 << 20
"""Outputs at least this large are written with non-temporal stores: they would not
stay in the caches for their readers anyway, and plain stores read every line from
memory before writing it (1.3x on layer normalisation at 256 MiB)."""
_LINE = VectorType(i32, [CACHE_LINE // 4])
PREFETCH_CHUNK = 256
"""Iterations of the innermost reduction loop between two rounds of prefetches."""
PREFETCH_LOCALITY = 2
"""`llvm.prefetch` locality: into L2 (and L3), where a long next row cannot evict the
current row and its scratch rows from L1 (measured equal for short rows)."""
SCRATCH_BYTES = 64 * 1024
"""Most stack a kernel spends on values kept between sweeps (one row of each)."""


def is_costly(op: Operation) -> bool:
    """Worth keeping in scratch rather than recomputing: a division or a libm-class
    function (an inline exp is ~20 vector ops; a reload is one load from L1)."""
    if isinstance(op, arith.DivfOp):
        return True
    return op.name.startswith("math.") and not isinstance(op, _CHEAP_MATH)


@dataclass(frozen=True)
class SweepPlan:
    """What each sweep computes, and which values pass between sweeps in scratch.

    A costly float value that later sweeps need again (softmax's `exp(x - max)`:
    summed in sweep 2, divided in sweep 3) is stored into a per-call scratch buffer
    over the reduction dims in the first sweep that computes it and loaded back in
    the later ones, when the buffers fit `SCRATCH_BYTES`; otherwise it is
    recomputed. `ops[k]`: the inner ops sweep `k` emits, in body order; `reloaded[k]`:
    the values it loads from scratch; `stashed`: every value kept in scratch.
    """

    ops: dict[int, list[Operation]]
    reloaded: dict[int, list[SSAValue]]
    stashed: list[SSAValue]


def plan_sweeps(kernel: KernelOp, s: Schedule) -> SweepPlan:
    order = {op: n for n, op in enumerate(kernel.block.ops)}
    roots: dict[int, list[Operation]] = {k: [] for k in range(1, s.sweeps + 1)}
    for op in kernel.block.ops:
        if op in s.sweep_of:
            roots[s.sweep_of[op]].append(op)

    def cone(k: int, cut: set[SSAValue]) -> tuple[list[Operation], list[SSAValue]]:
        """The inner ops sweep `k` needs, not looking through the values in `cut`."""
        needed: set[Operation] = set()
        reached: set[SSAValue] = set()
        work = list(roots[k])
        while work:
            op = work.pop()
            if op in needed:
                continue
            needed.add(op)
            for operand in op.operands:
                owner = operand.owner
                if operand in cut:
                    reached.add(operand)
                elif isinstance(owner, Operation) and operand in s.inner:
                    work.append(owner)
        ops = sorted((op for op in needed if not isinstance(op, ReduceOp)), key=order.__getitem__)
        return ops, sorted(reached, key=lambda v: order[v.owner])

    sweeps = sorted(roots)
    uses: dict[SSAValue, int] = {}
    for k in sweeps:
        for op in cone(k, set())[0]:
            for result in op.results:
                uses[result] = uses.get(result, 0) + 1
    row = math.prod(kernel.sizes[d] for d in kernel.reduced)
    candidates = {
        v
        for v, n in uses.items()
        if n > 1 and is_float(register_type(v.type)) and is_costly(v.owner)
    }
    if not candidates or len(candidates) * row * 8 > SCRATCH_BYTES:
        candidates = set()
    ops: dict[int, list[Operation]] = {}
    reloaded: dict[int, list[SSAValue]] = {}
    computed: set[SSAValue] = set()
    for k in sweeps:
        ops[k], reloaded[k] = cone(k, computed)
        computed |= {r for op in ops[k] for r in op.results if r in candidates}
    stashed = sorted({v for vs in reloaded.values() for v in vs}, key=lambda v: order[v.owner])
    return SweepPlan(ops, reloaded, stashed)


# ---------------------------------------------------------------------------
# Kernels


def function_attributes(options: CodegenOptions) -> ArrayAttr:
    """The `passthrough` of each kernel's `llvm.func`: LLVM string attributes."""
    width = str(options.vector_width or 512)
    return ArrayAttr([ArrayAttr([StringAttr("prefer-vector-width"), StringAttr(width)])])


_FAST_MATH = llvm.FastMathAttr(
    tuple(
        flag
        for flag in llvm.FastMathFlag
        if flag not in (llvm.FastMathFlag.NO_NANS, llvm.FastMathFlag.NO_INFS)
    )
)


_FAST_MATH_SOURCES = (arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.DivfOp, arith.NegfOp)
"""The ops whose LLVM arithmetic `fast_math` flags (with `loop.reduce`'s combining
step). Never the arithmetic inside the math functions' polynomials: their range
reduction (`(x + 1.5*2^23) - 1.5*2^23` rounds to an integer) is exactly what
reassociation would fold away."""


def _add_fast_math_flags(block: Block, after: Operation | None) -> None:
    """Flags the float arithmetic appended to `block` after `after`."""
    op = block.first_op if after is None else after.next_op
    while op is not None:
        if isinstance(op, llvm.AbstractFloatArithOp | llvm.FNegOp):
            op.properties["fastmathFlags"] = _FAST_MATH
        op = op.next_op


@dataclass(frozen=True)
class LoweredKernel:
    """A kernel's `llvm.func` and the external functions (libm) it calls."""

    function: llvm.FuncOp
    externals: dict[str, llvm.LLVMFunctionType]


def lower_kernel(
    kernel: KernelOp, name: str, options: CodegenOptions = DEFAULT_CODEGEN
) -> LoweredKernel:
    """The `llvm.func @name` computing `kernel` (see the module docstring).

    CompileError, located at the op, for a body op or element type without a lowering.
    """
    check_element_types(kernel, "LLVM")
    return _KernelLowering(kernel, name, options).lower()


def check_element_types(kernel: KernelOp, target: str) -> None:
    """CompileError, located, for a tensor or body value of a type the scalar lowering
    has no registers for (`target` names the lowering in the message)."""
    for arg in kernel.block.args[kernel.rank :]:
        if not is_supported(arg.type.element_type):
            raise CompileError.at(kernel, f"'loop.kernel' op: no {target} lowering for {arg.type}")
    for op in kernel.block.ops:
        for result in op.results:
            if not is_supported(result.type):
                raise CompileError.at(op, f"'{op.name}' op: no {target} lowering for {result.type}")


class _KernelLowering:
    """The state of lowering one kernel: the builder and the value maps."""

    def __init__(self, kernel: KernelOp, name: str, options: CodegenOptions) -> None:
        self.kernel = kernel
        self.name = name
        self.options = options
        self.schedule = schedule(kernel)
        self.plan = plan_sweeps(kernel, self.schedule)
        tensors = [*kernel.input_args, *kernel.output_args]
        entry = Block(arg_types=[PTR] * len(tensors) + [i64, i64])
        for arg, tensor in zip(entry.args[:-2], tensors, strict=True):
            arg.name_hint = tensor.name_hint
        entry.args[-2].name_hint, entry.args[-1].name_hint = "begin", "end"
        self.b = FunctionBuilder(Region(entry), entry)
        self.pointers = dict(zip(tensors, entry.args[:-2], strict=True))
        self.dims: dict[int, SSAValue] = {}
        """The i64 value of each domain dim at the current point."""
        self.scratch: dict[SSAValue, SSAValue] = {}
        """The buffer over the reduction dims of each value kept between sweeps."""
        self.row_inputs = self.row_input_loads()
        self.prefetch_sweep = self.choose_prefetch_sweep()
        self.streamed: dict[StoreOp, SSAValue | None] = dict.fromkeys(self.streamed_stores())
        """Stores written through a scratch row and streamed out (their scratch rows)."""

    def lower(self) -> LoweredKernel:
        entry = self.b.block
        begin, end = entry.args[-2], entry.args[-1]
        parallel = [d for d in range(self.kernel.rank) if d not in self.kernel.reduced]
        outer_size = self.kernel.sizes[parallel[0]] if parallel else 1
        row = self.b.constant(math.prod(self.kernel.sizes[d] for d in self.kernel.reduced), i64)
        for v in self.plan.stashed:
            self.scratch[v] = self.b.add(llvm.AllocaOp(row, register_type(v.type), alignment=64))
        for store in self.streamed:
            element = memory_type(store.value.type)
            self.streamed[store] = self.b.add(llvm.AllocaOp(row, element, alignment=64))
        lower = self.b.intrinsic("llvm.smax.i64", [begin, self.b.constant(0, i64)], i64)
        upper = self.b.intrinsic("llvm.smin.i64", [end, self.b.constant(outer_size, i64)], i64)

        def parallel_point(carried: list[SSAValue]) -> list[SSAValue]:
            self.point()
            return carried

        contraction = (
            match_cpu_contraction(self.kernel, self.schedule) if self.options.contraction else None
        )

        def loops() -> None:
            if isinstance(contraction, Contraction):
                emit_contraction(self, contraction, (lower, upper))
            elif parallel:
                self.parallel_loops(parallel, parallel_point, (lower, upper))
            else:  # the virtual parallel dim of size 1
                self.b.loop("once", lower, upper, [], lambda _iv, carried: parallel_point(carried))

        pairs = [(n, r) for r, n in enumerate(in_place_inputs(self.kernel)) if n >= 0]
        self.in_place_versions(loops, pairs)
        if self.streamed:  # non-temporal stores are weakly ordered: drain them first
            self.b.add(llvm.CallIntrinsicOp("llvm.x86.sse.sfence", [], []))
        self.b.add(llvm.ReturnOp())
        function_type = llvm.LLVMFunctionType(entry.arg_types, llvm.LLVMVoidType())
        no_alias = DictionaryAttr({"llvm.noalias": UnitAttr()})
        inputs = len(self.kernel.inputs)
        shared = {pointer for n, r in pairs for pointer in (n, inputs + r)}
        pointer_attrs = [
            DictionaryAttr({}) if n in shared else no_alias for n in range(len(entry.args) - 2)
        ] + [DictionaryAttr({})] * 2
        function = llvm.FuncOp(
            self.name,
            function_type,
            linkage=llvm.LinkageAttr("external"),
            body=self.b.region,
            other_props={
                "arg_attrs": ArrayAttr(pointer_attrs),
                "passthrough": function_attributes(self.options),
            },
        )
        return LoweredKernel(function, self.b.externals)

    def in_place_versions(self, emit: Callable[[], None], pairs: list[tuple[int, int]]) -> None:
        """`emit()` the loops, twice for a kernel with in-place `pairs` (input number,
        result number): when every pair is one buffer, with the input loaded through the output's pointer, else
        as written. Through two pointers that may alias, LLVM vectorizes behind a
        run-time overlap check, which one buffer fails (scalar code, 2x slower where
        measured); through one, it sees each element loaded before it is stored."""
        inputs, outputs = self.kernel.input_args, self.kernel.output_args
        if not pairs:
            emit()
            return
        same = None
        for n, r in pairs:
            source, target = (
                self.b.add(llvm.PtrToIntOp(self.pointers[a], i64)) for a in (inputs[n], outputs[r])
            )
            equal = self.b.icmp("eq", source, target)
            same = equal if same is None else self.b.add(llvm.AndOp(same, equal))
        one, two, done = (self.b.new_block(name) for name in ("one_buffer", "two", "joined"))
        self.b.add(llvm.CondBrOp(same, one, [], two, []))
        separate = dict(self.pointers)
        self.pointers.update((inputs[n], separate[outputs[r]]) for n, r in pairs)
        self.b.enter(one)
        emit()
        self.b.add(llvm.BrOp(done))
        self.pointers = separate
        self.b.enter(two)
        emit()
        self.b.add(llvm.BrOp(done))
        self.b.enter(done)

    # -- loops ---------------------------------------------------------------

    def nest(
        self,
        prefix: str,
        dims: Sequence[int],
        carried: list[SSAValue],
        body: Callable[[list[SSAValue]], list[SSAValue]],
        outer_bounds: tuple[SSAValue, SSAValue] | None = None,
        carried_names: Sequence[str] = (),
        before_chunk: Callable[[SSAValue], None] | None = None,
    ) -> list[SSAValue]:
        """Loops over `dims` (outermost first) around `body(carried) -> carried`.

        The outermost loop runs over `outer_bounds` when given, every other loop over
        its whole dim. With `before_chunk`, the innermost loop runs in chunks of
        `PREFETCH_CHUNK` iterations and `before_chunk(first index)` opens each.
        """
        if not dims:
            return body(carried)
        d, rest = dims[0], dims[1:]
        if outer_bounds is None:
            outer_bounds = (self.b.constant(0, i64), self.b.constant(self.kernel.sizes[d], i64))

        def step(iv: SSAValue, values: list[SSAValue]) -> list[SSAValue]:
            self.dims[d] = iv
            return self.nest(prefix, rest, values, body, None, carried_names, before_chunk)

        if rest or before_chunk is None:
            return self.b.loop(f"{prefix}d{d}", *outer_bounds, carried, step, carried_names)
        chunk_size = self.b.constant(PREFETCH_CHUNK, i64)

        def chunk(c: SSAValue, values: list[SSAValue]) -> list[SSAValue]:
            first = self.mul(c, chunk_size)
            before_chunk(first)
            end = self.b.add(llvm.AddOp(first, chunk_size, overflow=NSW))
            last = self.b.intrinsic("llvm.smin.i64", [end, outer_bounds[1]], i64)
            return self.b.loop(f"{prefix}d{d}", first, last, values, step, carried_names)

        chunks = self.b.constant(-(-self.kernel.sizes[d] // PREFETCH_CHUNK), i64)
        zero = self.b.constant(0, i64)
        return self.b.loop(f"{prefix}d{d}_chunk", zero, chunks, carried, chunk, carried_names)

    def parallel_loops(
        self,
        parallel: Sequence[int],
        body: Callable[[list[SSAValue]], list[SSAValue]],
        outer_bounds: tuple[SSAValue, SSAValue],
    ) -> None:
        """The loops over the parallel dims around `body`: a plain nest, or with
        `tile_sizes`, tile loops then point loops (see the module docstring)."""
        tiles = self.kernel.tile_sizes
        sizes = self.kernel.sizes
        if tiles is None or all(tiles[d] == max(sizes[d], 1) for d in parallel):
            self.nest("", parallel, [], body, outer_bounds)
            return
        bounds = {d: (self.b.constant(0, i64), self.b.constant(sizes[d], i64)) for d in parallel}
        bounds[parallel[0]] = outer_bounds
        # A dim tiled whole has no tile loop; a dim of tile size 1 no point loop.
        tiled = [d for d in parallel if tiles[d] < sizes[d]]
        pointwise = [d for d in parallel if tiles[d] > 1]
        tile_ivs: dict[int, SSAValue] = {}

        def tile_level(k: int) -> None:
            if k == len(tiled):
                point_level(0)
                return
            d = tiled[k]

            def step(iv: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                tile_ivs[d] = iv
                if tiles[d] == 1:
                    self.dims[d] = iv
                tile_level(k + 1)
                return carried

            self.b.loop(f"t{d}", *bounds[d], [], step, step=tiles[d])

        def point_level(k: int) -> None:
            if k == len(pointwise):
                body([])
                return
            d = pointwise[k]
            lower, upper = bounds[d]
            if d in tile_ivs:  # the tile's points, the last tile clipped to the dim
                lower = tile_ivs[d]
                end = self.b.add(llvm.AddOp(lower, self.b.constant(tiles[d], i64), overflow=NSW))
                upper = self.b.intrinsic("llvm.smin.i64", [end, upper], i64)

            def step(iv: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
                self.dims[d] = iv
                point_level(k + 1)
                return carried

            self.b.loop(f"d{d}", lower, upper, [], step)

        tile_level(0)

    # -- one parallel point: stages and sweeps -------------------------------------

    def point(self) -> None:
        """The body at one parallel point: stage 0, then each sweep and its stage."""
        env: dict[SSAValue, SSAValue] = {}
        self.emit_stage(0, env)
        for k in range(1, self.schedule.sweeps + 1):
            self.sweep(k, env)
            self.emit_stage(k, env)

    def emit_stage(self, k: int, env: dict[SSAValue, SSAValue]) -> None:
        """The ops outside sweeps that become computable after sweep `k`."""
        s = self.schedule
        for op in self.kernel.block.ops:
            if isinstance(op, ReduceOp) or op in s.inner:
                continue
            if isinstance(op, StoreOp):
                if s.after[op.value] == k:
                    self.emit(op, env)
            elif op.results and op.results[0] not in s.inner and s.after[op.results[0]] == k:
                self.emit(op, env)

    def sweep(self, k: int, env: dict[SSAValue, SSAValue]) -> None:
        """Sweep `k`: the loops over the reduction dims accumulating its reduces."""
        s = self.schedule
        roots = [op for op in self.kernel.block.ops if s.sweep_of.get(op) == k]
        accumulated = [r for r in roots if isinstance(r, ReduceOp)]
        ops = self.plan.ops[k]
        stored = [v for v in self.plan.stashed if v.owner in ops]
        identities = [
            reduction_identity(self.b, r.kind.data, register_type(r.result.type))
            for r in accumulated
        ]

        def body(accs: list[SSAValue]) -> list[SSAValue]:
            local = dict(env)
            for v in self.plan.reloaded[k]:
                local[v] = self.b.add(
                    llvm.LoadOp(
                        self.row_address(self.scratch[v], register_type(v.type)),
                        register_type(v.type),
                    )
                )
            for op in ops:
                self.emit(op, local)
            for v in stored:
                self.b.add(
                    llvm.StoreOp(local[v], self.row_address(self.scratch[v], register_type(v.type)))
                )
            results = []
            for r, acc in zip(accumulated, accs, strict=True):
                last = self.b.block.last_op
                value = combine(self.b, r.kind.data, acc, local[r.value])
                if self.options.fast_math:
                    _add_fast_math_flags(self.b.block, after=last)
                if isinstance(r.result.type, BFloat16Type):
                    value = round_to_bf16(self.b, value)
                results.append(value)
            return results

        names = [_ACCUMULATOR_NAMES[r.kind.data] for r in accumulated]
        before_chunk = self.prefetch_next_row if k == self.prefetch_sweep else None
        finals = self.nest(
            f"sweep{k}_", self.kernel.reduced, identities, body, None, names, before_chunk
        )
        env.update((r.result, v) for r, v in zip(accumulated, finals, strict=True))
        for store in self.streamed:
            if store in ops:
                self.stream_out(store, env)

    # -- prefetching ------------------------------------------------------------

    def row_input_loads(self) -> list[LoadOp]:
        """The loads that stream through rows: indexed by the innermost parallel dim
        and the innermost reduction dim, without computed indices (one per tensor)."""
        parallel = [d for d in range(self.kernel.rank) if d not in self.kernel.reduced]
        if not parallel or not self.kernel.reduced:
            return []
        wanted = {parallel[-1], self.kernel.reduced[-1]}
        streams: dict[SSAValue, LoadOp] = {}
        for op in self.kernel.block.ops:
            if isinstance(op, LoadOp) and all(i in self.kernel.ivs for i in op.indices):
                used = {
                    e.position
                    for r in self.kernel.domain_map(op).results
                    for e in _subexpressions(r)
                    if isinstance(e, AffineDimExpr)
                }
                if wanted <= used:
                    streams.setdefault(op.tensor, op)
        return list(streams.values())

    def choose_prefetch_sweep(self) -> int | None:
        """The sweep with the most work (the last of equals), in which the next row is
        prefetched, when prefetching is on, rows are long enough to pay for it and a
        row is swept more than once. (A single sweep streams its rows from memory
        itself, and prefetches only compete with it: row sums ran 1.25x slower.)"""
        if not self.options.prefetch or not self.row_inputs or self.schedule.sweeps < 2:
            return None
        if self.kernel.sizes[self.kernel.reduced[-1]] < PREFETCH_CHUNK:
            return None
        return max(self.plan.ops, key=lambda k: (len(self.plan.ops[k]), k))

    def prefetch_next_row(self, first: SSAValue) -> None:
        """`llvm.prefetch` of every cache line of the next row (the innermost parallel
        index plus one) that a chunk starting at innermost reduction index `first`
        reads. The address may lie past the tensor: a prefetch never faults."""
        parallel = [d for d in range(self.kernel.rank) if d not in self.kernel.reduced]
        p, r = parallel[-1], self.kernel.reduced[-1]
        current = dict(self.dims)
        self.dims[p] = self.b.add(llvm.AddOp(current[p], self.b.constant(1, i64), overflow=NSW))
        for op in self.row_inputs:
            per_line = max(1, CACHE_LINE // element_bytes(op.tensor.type.element_type))
            for line in range(0, PREFETCH_CHUNK, per_line):
                offset = self.b.constant(line, i64)
                self.dims[r] = self.b.add(llvm.AddOp(first, offset, overflow=NSW))
                address = self.address(op, {}, clamp=False, inbounds=False)
                flags = [self.b.constant(v, i32) for v in (0, PREFETCH_LOCALITY, 1)]  # read, data
                self.b.add(llvm.CallIntrinsicOp("llvm.prefetch.p0", [address, *flags], []))
        self.dims = current

    # -- body ops --------------------------------------------------------------

    def emit(self, op: Operation, env: dict[SSAValue, SSAValue]) -> None:
        if isinstance(op, LoadOp):
            env[op.result] = self.load(op, env)
        elif isinstance(op, StoreOp):
            self.store(op, env)
        else:
            lowering = SCALAR_LOWERINGS.get(type(op))
            if lowering is None:
                raise CompileError.at(op, f"'{op.name}' op has no lowering to LLVM")
            last = self.b.block.last_op
            value = lowering(self.b, op, [self.value(o, env) for o in op.operands])
            if self.options.fast_math and isinstance(op, _FAST_MATH_SOURCES):
                _add_fast_math_flags(self.b.block, after=last)
            if isinstance(op.results[0].type, BFloat16Type):  # computed in f32
                value = round_to_bf16(self.b, value)
            env[op.results[0]] = value

    def value(self, v: SSAValue, env: dict[SSAValue, SSAValue]) -> SSAValue:
        if v in env:
            return env[v]
        return self.dims[self.kernel.ivs.index(v)]

    def load(self, op: LoadOp, env: dict[SSAValue, SSAValue]) -> SSAValue:
        t = op.result.type
        tensor = op.source.type
        if math.prod(tensor.get_shape()) == 0:  # never in bounds: see the module docstring
            return self.b.constant(0, register_type(t))
        address = self.address(op, env, clamp=True)
        raw = self.b.add(llvm.LoadOp(address, memory_type(t)))
        if t == i1:
            return self.b.icmp("ne", raw, self.b.constant(0, i8))
        if isinstance(t, BFloat16Type):  # the high half of an f32
            wide = self.b.add(llvm.ZExtOp(raw, i32))
            high = self.b.add(llvm.ShlOp(wide, self.b.constant(16, i32)))
            return self.b.add(llvm.BitcastOp(high, f32))
        return raw

    def store(self, op: StoreOp, env: dict[SSAValue, SSAValue]) -> None:
        value = self.value(op.value, env)
        if op.value.type == i1:
            value = self.b.add(llvm.ZExtOp(value, i8))
        elif isinstance(op.value.type, BFloat16Type):  # already rounded: the high half
            bits = self.b.add(llvm.BitcastOp(value, i32))
            high = self.b.add(llvm.LShrOp(bits, self.b.constant(16, i32)))
            value = self.b.add(llvm.TruncOp(high, i16))
        if op in self.streamed:
            self.b.add(llvm.StoreOp(value, self.row_address(self.streamed[op], value.type)))
        else:
            self.b.add(llvm.StoreOp(value, self.address(op, env, clamp=False)))

    # -- streaming stores --------------------------------------------------------

    def streamed_stores(self) -> list[StoreOp]:
        """Stores inside sweeps into large outputs whose row at a parallel point is
        contiguous, in the order of the reduction dims (so the scratch row is a copy
        of it), while the scratch rows fit `SCRATCH_BYTES`. (Point-wise kernels
        stream nothing: measured, their plain stores interleave better with their
        input streams, 1.3-1.5x faster at 256 MiB.)"""
        if not self.options.streaming_stores or not self.kernel.reduced:
            return []
        row = math.prod(self.kernel.sizes[d] for d in self.kernel.reduced)
        stashed = sum(row * register_type(v.type).bitwidth // 8 for v in self.plan.stashed)
        budget = SCRATCH_BYTES - stashed
        chosen = []
        for op in self.kernel.block.ops:
            if not isinstance(op, StoreOp) or op not in self.schedule.sweep_of:
                continue
            tensor = op.tensor.type
            bytes_per_row = row * element_bytes(tensor.element_type)
            total = math.prod(tensor.get_shape()) * element_bytes(tensor.element_type)
            if total >= STREAMING_MIN_BYTES and bytes_per_row <= budget and self.row_contiguous(op):
                chosen.append(op)
                budget -= bytes_per_row
        return chosen

    def row_contiguous(self, op: StoreOp) -> bool:
        reduced = self.kernel.reduced
        results = self.kernel.domain_map(op).results
        shape = op.tensor.type.get_shape()
        trailing = list(results[len(results) - len(reduced) :])
        if trailing != [AffineDimExpr(d) for d in reduced]:
            return False
        if list(shape[len(shape) - len(reduced) :]) != [self.kernel.sizes[d] for d in reduced]:
            return False
        leading = results[: len(results) - len(reduced)]
        return not any(
            isinstance(e, AffineDimExpr) and e.position in reduced
            for r in leading
            for e in _subexpressions(r)
        )

    def row_address(self, buffer: SSAValue, element: Attribute) -> SSAValue:
        """The address in a scratch row of the current reduction point."""
        first, *rest = self.kernel.reduced  # only sweeps (over reduction dims) use scratch
        offset = self.dims[first]
        for d in rest:
            scaled = self.mul(offset, self.b.constant(self.kernel.sizes[d], i64))
            offset = self.b.add(llvm.AddOp(scaled, self.dims[d], overflow=NSW))
        gep = llvm.GEPOp(
            buffer, [llvm.GEP_USE_SSA_VAL], element, ssa_indices=[offset], inbounds=True
        )
        return self.b.add(gep)

    def stream_out(self, op: StoreOp, env: dict[SSAValue, SSAValue]) -> None:
        """Copies the scratch row of store `op` into its output row: elements up to
        the first 64-byte boundary of the output, then whole cache lines with
        non-temporal stores (`store <16 x i32> ..., align 64, !nontemporal`), then
        the rest; user arrays need not be aligned beyond their element type. (LLVM
        makes the two short copies `memcpy` calls: the only calls in the kernel.)"""
        b = self.b
        element = memory_type(op.value.type)
        size = element_bytes(op.value.type)
        row = math.prod(self.kernel.sizes[d] for d in self.kernel.reduced)
        saved = dict(self.dims)
        for d in self.kernel.reduced:
            self.dims[d] = b.constant(0, i64)
        start = self.address(op, env, clamp=False)
        self.dims = saved
        misalignment = b.add(
            llvm.AndOp(b.add(llvm.PtrToIntOp(start, i64)), b.constant(CACHE_LINE - 1, i64))
        )
        to_boundary = b.add(
            llvm.AndOp(
                b.add(llvm.SubOp(b.constant(CACHE_LINE, i64), misalignment)),
                b.constant(CACHE_LINE - 1, i64),
            )
        )
        length = b.constant(row, i64)
        head = b.intrinsic(
            "llvm.umin.i64", [b.add(llvm.UDivOp(to_boundary, b.constant(size, i64))), length], i64
        )
        per_line = CACHE_LINE // size
        lines = b.add(llvm.UDivOp(b.add(llvm.SubOp(length, head)), b.constant(per_line, i64)))
        body_end = b.add(llvm.AddOp(head, self.mul(lines, b.constant(per_line, i64)), overflow=NSW))
        scratch = self.streamed[op]

        def element_at(buffer: SSAValue, index: SSAValue) -> SSAValue:
            gep = llvm.GEPOp(buffer, [llvm.GEP_USE_SSA_VAL], element, ssa_indices=[index])
            return b.add(gep)

        def copy(index: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            value = b.add(llvm.LoadOp(element_at(scratch, index), element))
            b.add(llvm.StoreOp(value, element_at(start, index)))
            return carried

        def line(n: SSAValue, carried: list[SSAValue]) -> list[SSAValue]:
            index = b.add(llvm.AddOp(head, self.mul(n, b.constant(per_line, i64)), overflow=NSW))
            chunk = b.add(llvm.LoadOp(element_at(scratch, index), _LINE, alignment=size))
            b.add(
                llvm.StoreOp(
                    chunk, element_at(start, index), alignment=CACHE_LINE, nontemporal=True
                )
            )
            return carried

        b.loop("head", b.constant(0, i64), head, [], copy)
        b.loop("line", b.constant(0, i64), lines, [], line)
        b.loop("tail", body_end, length, [], copy)

    # -- addresses -------------------------------------------------------------

    def address(
        self,
        op: LoadOp | StoreOp,
        env: dict[SSAValue, SSAValue],
        clamp: bool,
        inbounds: bool = True,
    ) -> SSAValue:
        """`getelementptr inbounds` at the row-major offset of the op's indices.

        With `clamp`, indices not proven inside their dim are clamped to it (stores
        are proven by the verifier: distinct domain dims of the output's sizes).
        """
        tensor: TensorType = op.tensor.type
        shape = tensor.get_shape()
        domain_map = self.kernel.domain_map(op)
        symbols = [self.value(i, env) for i in op.indices if i not in self.kernel.ivs]
        results = domain_map.results
        if not symbols and 0 not in shape and all(map(self.proven_inside, results, shape)):
            # One affine expression, in which a reshape's divisions cancel the strides.
            offset = self.index(flat_offset(results, shape, self.kernel.sizes), [])
        else:
            offset = None
            for expr, size in zip(results, shape, strict=True):
                index = self.index(expr, symbols)
                if clamp and not self.proven_inside(expr, size):
                    index = self.clamp(index, size)
                if offset is None:
                    offset = index
                else:  # Horner: ((i0 * size1 + i1) * size2 + i2) ...
                    scaled = self.mul(offset, self.b.constant(size, i64))
                    offset = self.b.add(llvm.AddOp(scaled, index, overflow=NSW))
            if offset is None:  # rank 0, read with a computed index its map ignores
                offset = self.b.constant(0, i64)
        gep = llvm.GEPOp(
            self.pointers[op.tensor],
            [llvm.GEP_USE_SSA_VAL],
            memory_type(tensor.element_type),
            ssa_indices=[offset],
            inbounds=inbounds,
        )
        return self.b.add(gep)

    def proven_inside(self, expr: AffineExpr, size: int) -> bool:
        if _has_symbol(expr) or 0 in self.kernel.sizes:
            return False
        low, high = index_range(expr, self.kernel.sizes)
        return low >= 0 and high < size

    def clamp(self, index: SSAValue, size: int) -> SSAValue:
        low = self.b.intrinsic("llvm.smax.i64", [index, self.b.constant(0, i64)], i64)
        return self.b.intrinsic("llvm.smin.i64", [low, self.b.constant(size - 1, i64)], i64)

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.b.add(llvm.MulOp(a, b, overflow=NSW))

    def index(self, expr: AffineExpr, symbols: Sequence[SSAValue]) -> SSAValue:
        """`expr` over the domain dims and `symbols`, in i64 with floor semantics.

        Division by a constant of a value the domain proves non-negative is a plain
        unsigned division (a shift for powers of two); otherwise it is rounded
        toward -inf like the interpreter's `//`. Only expressions of the domain alone
        (small by construction) are `nsw`: a computed index may be anything, and an
        overflow must wrap to a value that the clamp then fixes, not make a poison.
        """
        if isinstance(expr, AffineDimExpr):
            return self.dims[expr.position]
        if isinstance(expr, AffineSymExpr):
            return symbols[expr.position]
        if isinstance(expr, AffineConstantExpr):
            return self.b.constant(expr.value, i64)
        assert isinstance(expr, AffineBinaryOpExpr), f"unexpected index expression {expr}"
        lhs, rhs = self.index(expr.lhs, symbols), self.index(expr.rhs, symbols)
        domain_only = not _has_symbol(expr)
        if expr.kind in (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul):
            op_class = llvm.AddOp if expr.kind == AffineBinaryOpKind.Add else llvm.MulOp
            return self.b.add(op_class(lhs, rhs, overflow=NSW if domain_only else WRAP))
        non_negative = domain_only and index_range(expr.lhs, self.kernel.sizes)[0] >= 0
        if not non_negative or not isinstance(expr.rhs, AffineConstantExpr):
            rounding = "ceil" if expr.kind == AffineBinaryOpKind.CeilDiv else "floor"
            quotient, remainder = signed_divide(self.b, lhs, rhs, rounding)
            return remainder if expr.kind == AffineBinaryOpKind.Mod else quotient
        if expr.kind == AffineBinaryOpKind.Mod:
            return self.b.add(llvm.URemOp(lhs, rhs))
        if expr.kind == AffineBinaryOpKind.CeilDiv:
            lhs = self.b.add(llvm.AddOp(lhs, self.b.constant(expr.rhs.value - 1, i64)))
        return self.b.add(llvm.UDivOp(lhs, rhs))


def _subexpressions(expr: AffineExpr) -> Iterator[AffineExpr]:
    yield expr
    if isinstance(expr, AffineBinaryOpExpr):
        yield from _subexpressions(expr.lhs)
        yield from _subexpressions(expr.rhs)


def _has_symbol(expr: AffineExpr) -> bool:
    if isinstance(expr, AffineSymExpr):
        return True
    if isinstance(expr, AffineBinaryOpExpr):
        return _has_symbol(expr.lhs) or _has_symbol(expr.rhs)
    return False


# ---------------------------------------------------------------------------
# Modules


def kernel_symbols(module: ModuleOp) -> dict[KernelOp, str]:
    """The `llvm.func` name of every kernel of `module`, in program order.

    A kernel is named after its `kernel_name` (else `kernel`), with a `_<n>` suffix
    where that name is taken by an earlier kernel or another top-level symbol.
    """
    taken = {
        op.sym_name.data
        for op in module.ops
        if isinstance(getattr(op, "sym_name", None), StringAttr)
    }
    libm = [*_LIBM_FUNCTIONS.values(), *(n for n in _F64_LIBM.values() if "." not in n)]
    taken |= {f"{name}{suffix}" for name in libm for suffix in ("", "f")}
    names: dict[KernelOp, str] = {}
    for kernel in module.walk():
        if not isinstance(kernel, KernelOp):
            continue
        base = kernel.kernel_name.data if kernel.kernel_name is not None else "kernel"
        name, n = base, 0
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        names[kernel] = name
    return names


def declare_externals(module: ModuleOp, externals: dict[str, llvm.LLVMFunctionType]) -> None:
    """Adds `llvm.func @name(...)` declarations for the libm functions kernels call."""
    declared = {op.sym_name.data for op in module.ops if isinstance(op, llvm.FuncOp)}
    for name, function_type in sorted(externals.items()):
        if name not in declared:
            module.body.block.add_op(
                llvm.FuncOp(name, function_type, linkage=llvm.LinkageAttr("external"))
            )


def export_llvm_ir(module: ModuleOp, target_triple: str, data_layout: str) -> str:
    """LLVM IR text of a module of `llvm.func`s: xDSL's `convert_module`, plus what
    it drops: the string attributes of each function's `passthrough` (such as
    `"prefer-vector-width"="512"`) and the `!nontemporal` of stores."""
    from llvmlite import ir
    from xdsl.backend.llvm.convert import convert_module

    ir_module = convert_module(
        module, fallback_target_triple=target_triple, data_layout=data_layout
    )
    nontemporal = ir_module.add_metadata([ir.Constant(ir.IntType(32), 1)])
    for op in module.ops:
        if not isinstance(op, llvm.FuncOp):
            continue
        function = ir_module.get_global(op.sym_name.data)
        if op.passthrough is not None:
            attributes = _string_function_attributes()(function.attributes)
            for key, value in op.passthrough.data:
                attributes.add(f'"{key.data}"="{value.data}"')
            function.attributes = attributes
        # convert_module makes one store instruction per llvm.store, in order.
        stores = [o for o in op.walk() if isinstance(o, llvm.StoreOp)]
        instructions = [
            i
            for block in function.blocks
            for i in block.instructions
            if isinstance(i, ir.StoreInstr)
        ]
        for store, instruction in zip(stores, instructions, strict=True):
            if store.nontemporal is not None:
                instruction.set_metadata("nontemporal", nontemporal)
    return str(ir_module)


@functools.cache
def _string_function_attributes() -> type:
    """llvmlite's function attribute set, which knows only keyword attributes,
    extended to `"key"="value"` ones (made on first use: llvmlite loads lazily)."""
    from llvmlite import ir

    class StringFunctionAttributes(ir.FunctionAttributes):
        def add(self, name: str) -> None:
            if name.startswith('"'):
                set.add(self, name)
            else:
                super().add(name)

    return StringFunctionAttributes


@register_pass
@dataclass(frozen=True)
class ConvertLoopToLLVMPass(ModulePass):
    """Adds an llvm.func per loop.kernel: parallel loops around reduction sweeps.

    Each kernel becomes `void name(ptr in..., ptr out..., i64 begin, i64 end)`
    computing the points whose outermost parallel index is in `[begin, end)`; the
    kernels stay in place as the host's record of the calls (see
    `mlc/lowering/loop_to_llvm.py` for the schedule and the scalar lowering).
    """

    name = "convert-loop-to-llvm"

    fast_math: bool = field(
        default=False,
        metadata={"help": "reassociate, contract and use reciprocals (NaN and inf kept)"},
    )
    vector_width: int | None = field(
        default=None,
        metadata={"help": "preferred SIMD width in bits: 128, 256 or 512 (default: widest)"},
    )
    prefetch: bool = field(
        default=True, metadata={"help": "prefetch the next row in row-wise kernels"}
    )
    streaming_stores: bool = field(
        default=False,
        metadata={"help": "non-temporal stores for rows of large outputs (x86-64)"},
    )
    contraction: bool = field(
        default=True,
        metadata={"help": "blocked FMA micro-kernels for matmul-like kernels (f32)"},
    )

    def __post_init__(self) -> None:
        self.codegen_options()  # reject a bad vector width before the pass runs

    def codegen_options(self) -> CodegenOptions:
        return CodegenOptions(
            fast_math=self.fast_math,
            vector_width=self.vector_width,
            prefetch=self.prefetch,
            streaming_stores=self.streaming_stores,
            contraction=self.contraction,
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        externals: dict[str, llvm.LLVMFunctionType] = {}
        options = self.codegen_options()
        for kernel, name in kernel_symbols(op).items():
            lowered = lower_kernel(kernel, name, options)
            op.body.block.add_op(lowered.function)
            externals |= lowered.externals
        declare_externals(op, externals)
