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
argument (the runtime checks).

**Schedule.** The parallel dims are the outer loops, in domain order. Inside, the
body runs as a sequence of *sweeps* over the reduction dims (nested in domain
order), because a `loop.reduce` is only known after a full sweep:

* a reduce belongs to sweep `k = 1 + the last sweep its operand depends on`; the
  reduces of a sweep accumulate in loop-carried registers (block arguments, i.e.
  phis) starting from their identity;
* a value that does not vary over the reduction dims is computed once per parallel
  point, right after the last sweep it depends on;
* a value that varies over the reduction dims is computed inside each sweep that
  needs it (loads are re-issued: a row that fits in L1 is cheap to read again), and a
  store of such a value (or a store indexed by a reduction dim) runs in the sweep
  right after the last reduction its value depends on.

So softmax is three sweeps (max, sum of exp, normalise and store) and a matmul is a
plain triple loop.

**Scalars.** `arith` and `math` ops become `llvm` ops, intrinsics (`llvm.exp.f32`,
`llvm.maximum.f32`, `llvm.fptosi.sat.*`, ...) or calls to libm where LLVM has no
intrinsic (`tanhf`, `erff`, ...; declared in the module). `index` is `i64`, `f16`
is LLVM `half`, and `bf16` lives in an f32 register, rounded after every op that
produces one (the interpreter's precision policy). Undefined behaviour of the source
(integer division by zero, signed division overflow, over-wide shifts, NaN to
integer) gets some defined result instead of a trap or a poison: the reference
interpreter refuses such inputs anyway. Float reductions carry `reassoc` (the
dialect defines a reduction only up to reassociation), which lets LLVM vectorise
them; nothing else has fast-math flags.

**Memory safety.** Addresses are `getelementptr inbounds` over an `i64` row-major
offset. Every load index that the domain bounds do not prove inside its dim (a
computed index, or any index of a kernel with an empty dim, where the verifier
proves nothing) is clamped to the dim, and a load from an empty tensor yields zero:
native code never reads out of bounds, whatever the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
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
from mlc.passes import register_pass

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
    ) -> list[SSAValue]:
        """`for iv in [lower, upper)` carrying values; returns their final values.

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
        one = self.constant(1, i64)
        self.add(llvm.BrOp(header, self.add(llvm.AddOp(iv, one, overflow=NSW)), *results))
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
    xmath.LogOp: "llvm.log",
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
    xmath.TanhOp: "tanh",
    xmath.ErfOp: "erf",
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


@lowers(xmath.ExpOp)
def _exp(b: FunctionBuilder, op: Operation, args: list[SSAValue]) -> SSAValue:
    """f32 (and f16, bf16 through it) inline, f64 by `llvm.exp.f64` (libm's `exp`).

    LLVM turns `llvm.exp.f32` into a call of libm's scalar `expf` per element, even
    in a vectorised loop: softmax 4096x1024 ran 3-5x slower with it than with this
    polynomial.
    """
    (x,) = args
    t = result_type(op)
    if isinstance(t, Float64Type):
        return b.intrinsic("llvm.exp.f64", [x], t)
    if isinstance(t, Float16Type):
        return b.add(llvm.FPTruncOp(exp_f32(b, b.add(llvm.FPExtOp(x, f32))), t))
    return exp_f32(b, x)


# Cephes `expf`: ln 2 split so that `n * _LN2_HIGH` is exact, and the minimax
# polynomial for (exp(r) - 1 - r) / r^2 on |r| <= ln(2) / 2, highest degree first.
_LN2_HIGH, _LN2_LOW = 0.693359375, -2.12194440e-4
_ROUNDING_SHIFT = 12582912.0  # 1.5 * 2^23, whose f32 bits are 0x4B400000
_EXP_POLYNOMIAL = (
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
)


def exp_f32(b: FunctionBuilder, x: SSAValue) -> SSAValue:
    """`exp(x)` for f32 in straight-line code that LLVM vectorises (within 1 ulp).

    `x = n ln 2 + r` with `n` the integer nearest `x / ln 2` (x clamped to
    [-104, 88.8] first, beyond which the result is 0 or inf anyway), `exp(r)` by the
    polynomial, and the factor `2^n` built in the exponent bits in two halves, so
    that overflow and results below the normal range (down to 2^-150) round once.
    NaN is returned as is.
    """
    nan = b.add(llvm.FCmpOp(x, x, "uno"))
    clamped = b.intrinsic("llvm.minimum.f32", [x, b.constant(88.8, f32)], f32)
    clamped = b.intrinsic("llvm.maximum.f32", [clamped, b.constant(-104.0, f32)], f32)
    safe = b.select(nan, b.constant(0.0, f32), clamped)
    scaled = b.add(llvm.FMulOp(safe, b.constant(1.4426950408889634, f32)))
    # Adding 1.5 * 2^23 rounds to an integer (to even) in the low mantissa bits:
    # roundeven and float-to-int in three ops that vectorise (fptosi.sat does not).
    shifted = b.add(llvm.FAddOp(scaled, b.constant(_ROUNDING_SHIFT, f32)))
    n = b.add(llvm.FSubOp(shifted, b.constant(_ROUNDING_SHIFT, f32)))
    k = b.add(llvm.SubOp(b.add(llvm.BitcastOp(shifted, i32)), b.constant(0x4B400000, i32)))
    r = b.add(llvm.FSubOp(safe, b.add(llvm.FMulOp(n, b.constant(_LN2_HIGH, f32)))))
    r = b.add(llvm.FSubOp(r, b.add(llvm.FMulOp(n, b.constant(_LN2_LOW, f32)))))
    p = b.constant(_EXP_POLYNOMIAL[0], f32)
    for coefficient in _EXP_POLYNOMIAL[1:]:
        p = b.add(llvm.FAddOp(b.add(llvm.FMulOp(p, r)), b.constant(coefficient, f32)))
    r2 = b.add(llvm.FMulOp(r, r))
    y = b.add(llvm.FAddOp(b.add(llvm.FAddOp(b.add(llvm.FMulOp(p, r2)), r)), b.constant(1.0, f32)))
    half = b.add(llvm.AShrOp(k, b.constant(1, i32)))  # k in [-150, 128]
    for part in (half, b.add(llvm.SubOp(k, half))):  # each in [-75, 64]: a normal 2^part
        biased = b.add(llvm.AddOp(part, b.constant(127, i32)))
        power = b.add(llvm.BitcastOp(b.add(llvm.ShlOp(biased, b.constant(23, i32))), f32))
        y = b.add(llvm.FMulOp(y, power))
    return b.select(nan, x, y)


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


# ---------------------------------------------------------------------------
# Kernels


@dataclass(frozen=True)
class LoweredKernel:
    """A kernel's `llvm.func` and the external functions (libm) it calls."""

    function: llvm.FuncOp
    externals: dict[str, llvm.LLVMFunctionType]


def lower_kernel(kernel: KernelOp, name: str) -> LoweredKernel:
    """The `llvm.func @name` computing `kernel` (see the module docstring).

    CompileError, located at the op, for a body op or element type without a lowering.
    """
    for arg in kernel.block.args[kernel.rank :]:
        if not is_supported(arg.type.element_type):
            raise CompileError.at(kernel, f"'loop.kernel' op: no LLVM lowering for {arg.type}")
    for op in kernel.block.ops:
        for result in op.results:
            if not is_supported(result.type):
                raise CompileError.at(op, f"'{op.name}' op: no LLVM lowering for {result.type}")
    return _KernelLowering(kernel, name).lower()


class _KernelLowering:
    """The state of lowering one kernel: the builder and the value maps."""

    def __init__(self, kernel: KernelOp, name: str) -> None:
        self.kernel = kernel
        self.name = name
        self.schedule = schedule(kernel)
        tensors = [*kernel.input_args, *kernel.output_args]
        entry = Block(arg_types=[PTR] * len(tensors) + [i64, i64])
        for arg, tensor in zip(entry.args[:-2], tensors, strict=True):
            arg.name_hint = tensor.name_hint
        entry.args[-2].name_hint, entry.args[-1].name_hint = "begin", "end"
        self.b = FunctionBuilder(Region(entry), entry)
        self.pointers = dict(zip(tensors, entry.args[:-2], strict=True))
        self.dims: dict[int, SSAValue] = {}
        """The i64 value of each domain dim at the current point."""

    def lower(self) -> LoweredKernel:
        entry = self.b.block
        begin, end = entry.args[-2], entry.args[-1]
        parallel = [d for d in range(self.kernel.rank) if d not in self.kernel.reduced]
        outer_size = self.kernel.sizes[parallel[0]] if parallel else 1
        lower = self.b.intrinsic("llvm.smax.i64", [begin, self.b.constant(0, i64)], i64)
        upper = self.b.intrinsic("llvm.smin.i64", [end, self.b.constant(outer_size, i64)], i64)

        def parallel_point(carried: list[SSAValue]) -> list[SSAValue]:
            self.point()
            return carried

        if parallel:
            self.nest("", parallel, [], parallel_point, (lower, upper))
        else:  # the virtual parallel dim of size 1
            self.b.loop("once", lower, upper, [], lambda _iv, carried: parallel_point(carried))
        self.b.add(llvm.ReturnOp())
        function_type = llvm.LLVMFunctionType(entry.arg_types, llvm.LLVMVoidType())
        no_alias = DictionaryAttr({"llvm.noalias": UnitAttr()})
        pointer_attrs = [no_alias] * (len(entry.args) - 2) + [DictionaryAttr({})] * 2
        function = llvm.FuncOp(
            self.name,
            function_type,
            linkage=llvm.LinkageAttr("external"),
            body=self.b.region,
            other_props={"arg_attrs": ArrayAttr(pointer_attrs)},
        )
        return LoweredKernel(function, self.b.externals)

    # -- loops ---------------------------------------------------------------

    def nest(
        self,
        prefix: str,
        dims: Sequence[int],
        carried: list[SSAValue],
        body: Callable[[list[SSAValue]], list[SSAValue]],
        outer_bounds: tuple[SSAValue, SSAValue] | None = None,
        carried_names: Sequence[str] = (),
    ) -> list[SSAValue]:
        """Loops over `dims` (outermost first) around `body(carried) -> carried`.

        The outermost loop runs over `outer_bounds` when given, every other loop over
        its whole dim.
        """
        if not dims:
            return body(carried)
        d, rest = dims[0], dims[1:]
        if outer_bounds is None:
            outer_bounds = (self.b.constant(0, i64), self.b.constant(self.kernel.sizes[d], i64))

        def step(iv: SSAValue, values: list[SSAValue]) -> list[SSAValue]:
            self.dims[d] = iv
            return self.nest(prefix, rest, values, body, carried_names=carried_names)

        return self.b.loop(f"{prefix}d{d}", *outer_bounds, carried, step, carried_names)

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
        ops = self.sweep_ops(roots)
        identities = [
            reduction_identity(self.b, r.kind.data, register_type(r.result.type))
            for r in accumulated
        ]

        def body(accs: list[SSAValue]) -> list[SSAValue]:
            local = dict(env)
            for op in ops:
                self.emit(op, local)
            results = []
            for r, acc in zip(accumulated, accs, strict=True):
                value = combine(self.b, r.kind.data, acc, local[r.value])
                if isinstance(r.result.type, BFloat16Type):
                    value = round_to_bf16(self.b, value)
                results.append(value)
            return results

        names = [_ACCUMULATOR_NAMES[r.kind.data] for r in accumulated]
        finals = self.nest(f"sweep{k}_", self.kernel.reduced, identities, body, carried_names=names)
        env.update((r.result, v) for r, v in zip(accumulated, finals, strict=True))

    def sweep_ops(self, roots: Iterable[Operation]) -> list[Operation]:
        """The inner ops that `roots` (reduces and stores of a sweep) need, in order."""
        needed: set[Operation] = set()
        work = list(roots)
        while work:
            op = work.pop()
            if op in needed:
                continue
            needed.add(op)
            for operand in op.operands:
                owner = operand.owner
                if isinstance(owner, Operation) and operand in self.schedule.inner:
                    work.append(owner)
        return [op for op in self.kernel.block.ops if op in needed and not isinstance(op, ReduceOp)]

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
            value = lowering(self.b, op, [self.value(o, env) for o in op.operands])
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
        self.b.add(llvm.StoreOp(value, self.address(op, env, clamp=False)))

    # -- addresses -------------------------------------------------------------

    def address(self, op: LoadOp | StoreOp, env: dict[SSAValue, SSAValue], clamp: bool) -> SSAValue:
        """`getelementptr inbounds` at the row-major offset of the op's indices.

        With `clamp`, indices not proven inside their dim are clamped to it (stores
        are proven by the verifier: distinct domain dims of the output's sizes).
        """
        tensor: TensorType = op.tensor.type
        shape = tensor.get_shape()
        domain_map = self.kernel.domain_map(op)
        symbols = [self.value(i, env) for i in op.indices if i not in self.kernel.ivs]
        offset: SSAValue | None = None
        for expr, size in zip(domain_map.results, shape, strict=True):
            index = self.index(expr, symbols)
            if clamp and not self.proven_inside(expr, size):
                index = self.clamp(index, size)
            if offset is None:
                offset = index
            else:  # Horner: ((i0 * size1 + i1) * size2 + i2) ...
                scaled = self.mul(offset, self.b.constant(size, i64))
                offset = self.b.add(llvm.AddOp(scaled, index, overflow=NSW))
        if offset is None:  # rank 0
            offset = self.b.constant(0, i64)
        gep = llvm.GEPOp(
            self.pointers[op.tensor],
            [llvm.GEP_USE_SSA_VAL],
            memory_type(tensor.element_type),
            ssa_indices=[offset],
            inbounds=True,
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
    taken |= {f"{name}{suffix}" for name in _LIBM_FUNCTIONS.values() for suffix in ("", "f")}
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

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        externals: dict[str, llvm.LLVMFunctionType] = {}
        for kernel, name in kernel_symbols(op).items():
            lowered = lower_kernel(kernel, name)
            op.body.block.add_op(lowered.function)
            externals |= lowered.externals
        declare_externals(op, externals)
