// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file | filecheck %s

// f32 exp, log, tanh and erf are inline straight-line code (mlc/lowering/llvm_math.py:
// polynomials in llvm.fmuladd, bit tricks and selects, which LLVM vectorises), never
// libm; f16 goes through the f32 code. f64 keeps libm: an intrinsic (llvm.exp.f64)
// or a call (tanh, declared once per module). rsqrt is 1/sqrt, NaN-propagating max
// is an intrinsic, and float to integer saturates instead of making poison. Every
// kernel asks for the widest vectors (the `passthrough` function attributes).
// CHECK-LABEL: llvm.func @math_k(
// CHECK-SAME:    attributes {passthrough = {{\[\[}}"prefer-vector-width", "512"]]}
// CHECK:         [[X:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[A:%.+]] = llvm.call_intrinsic "llvm.fabs.f32"([[X]]) : (f32) -> f32
// CHECK-NOT:     llvm.call @
// CHECK:         [[T:%.+]] = llvm.call_intrinsic "llvm.copysign.f32"({{%.+}}, [[X]]) : (f32, f32) -> f32
// CHECK-NEXT:    llvm.call_intrinsic "llvm.fabs.f32"([[T]]) : (f32) -> f32
// CHECK-NOT:     llvm.call @
// CHECK:         [[E:%.+]] = llvm.call_intrinsic "llvm.copysign.f32"({{%.+}}, [[T]]) : (f32, f32) -> f32
// CHECK-NEXT:    [[S:%.+]] = llvm.call_intrinsic "llvm.sqrt.f32"([[E]]) : (f32) -> f32
// CHECK-NEXT:    [[R:%.+]] = llvm.fdiv {{%.+}}, [[S]] : f32
// CHECK-NEXT:    [[M:%.+]] = llvm.call_intrinsic "llvm.maximum.f32"([[R]], [[X]]) : (f32, f32) -> f32
// CHECK-NEXT:    [[I:%.+]] = llvm.call_intrinsic "llvm.fptosi.sat.i32.f32"([[M]]) : (f32) -> i32
// CHECK:         [[H:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f16
// CHECK-NEXT:    [[HW:%.+]] = llvm.fpext [[H]] : f16 to f32
// CHECK-NOT:     llvm.call @
// CHECK:         {{%.+}} = llvm.fptrunc {{%.+}} : f32 to f16
// CHECK:         [[D:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f64
// CHECK-NEXT:    [[DT:%.+]] = llvm.call @tanh([[D]]) : (f64) -> f64
// CHECK-NEXT:    {{%.+}} = llvm.call_intrinsic "llvm.exp.f64"([[DT]]) : (f64) -> f64
// CHECK-NOT:   llvm.func @tanhf
// CHECK-NOT:   llvm.func @erff
// CHECK:       llvm.func @tanh(f64) -> f64
func.func @math(%a: tensor<4xf32>, %b: tensor<4xf16>, %c: tensor<4xf64>) -> (tensor<4xi32>, tensor<4xf16>, tensor<4xf64>) {
  %y, %z, %q = loop.kernel "math_k" domain(%i: 4) ins(%x = %a : tensor<4xf32>, %h = %b : tensor<4xf16>, %g = %c : tensor<4xf64>) outs(%o : tensor<4xi32>, %p : tensor<4xf16>, %f : tensor<4xf64>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %t = math.tanh %v : f32
    %e = math.erf %t : f32
    %r = math.rsqrt %e : f32
    %m = arith.maximumf %r, %v : f32
    %n = arith.fptosi %m : f32 to i32
    loop.store %n, %o[%i] : tensor<4xi32>
    %w = loop.load %h[%i] : tensor<4xf16>
    %u = math.log %w : f16
    loop.store %u, %p[%i] : tensor<4xf16>
    %d = loop.load %g[%i] : tensor<4xf64>
    %dt = math.tanh %d : f64
    %de = math.exp %dt : f64
    loop.store %de, %f[%i] : tensor<4xf64>
  }
  func.return %y, %z, %q : tensor<4xi32>, tensor<4xf16>, tensor<4xf64>
}

// -----

// i1 elements are bytes in memory, like numpy's bools: loaded as `!= 0`, stored
// zero-extended.
// CHECK-LABEL: llvm.func @bools_k(
// CHECK:         [[B:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> i8
// CHECK-NEXT:    [[C:%.+]] = llvm.icmp "ne" [[B]], {{%.+}} : i8
// CHECK-NEXT:    [[N:%.+]] = llvm.xor [[C]], {{%.+}} : i1
// CHECK-NEXT:    [[Z:%.+]] = llvm.zext [[N]] : i1 to i8
// CHECK:         llvm.store [[Z]], {{%.+}} : i8, !llvm.ptr
func.func @bools(%a: tensor<5xi1>) -> tensor<5xi1> {
  %y = loop.kernel "bools_k" domain(%i: 5) ins(%x = %a : tensor<5xi1>) outs(%o : tensor<5xi1>) {
    %v = loop.load %x[%i] : tensor<5xi1>
    %t = arith.constant true
    %n = arith.xori %v, %t : i1
    loop.store %n, %o[%i] : tensor<5xi1>
  }
  func.return %y : tensor<5xi1>
}

// -----

// Index maps become i64 arithmetic and a row-major offset. A floordiv or mod of
// values the domain proves non-negative is an unsigned division; one that may be
// negative rounds toward -inf (sdiv, srem and a correction). Divisions that the
// offset cancels are not computed: %x[%k floordiv 4, %k mod 4] is %x + %k.
// CHECK-LABEL: llvm.func @reshape_k(
// CHECK-DAG:     llvm.udiv %d0, {{%.+}} : i64
// CHECK-DAG:     llvm.urem %d0, {{%.+}} : i64
// CHECK:         llvm.getelementptr inbounds %x[{{%.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:         [[NEGATED:%.+]] = llvm.mul %d0, {{%.+}} overflow<nsw> : i64
// CHECK:         llvm.sdiv [[NEGATED]], {{%.+}} : i64
// CHECK:         llvm.srem [[NEGATED]], {{%.+}} : i64
// CHECK:         llvm.getelementptr inbounds %z[{{%.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NOT:     llvm.udiv
// CHECK:         llvm.getelementptr inbounds %x[%d0] : (!llvm.ptr, i64) -> !llvm.ptr, f32
func.func @reshape(%a: tensor<3x4xf32>, %b: tensor<7xf32>) -> tensor<12xf32> {
  %y = loop.kernel "reshape_k" domain(%k: 12) ins(%x = %a : tensor<3x4xf32>, %z = %b : tensor<7xf32>) outs(%o : tensor<12xf32>) {
    %v = loop.load %x[%k mod 3, %k floordiv 3] : tensor<3x4xf32>
    %w = loop.load %z[(6 - %k) floordiv 2 + 3] : tensor<7xf32>
    %u = loop.load %x[%k floordiv 4, %k mod 4] : tensor<3x4xf32>
    %r = arith.addf %v, %w : f32
    %s = arith.addf %r, %u : f32
    loop.store %s, %o[%k] : tensor<12xf32>
  }
  func.return %y : tensor<12xf32>
}

// -----

// A computed (gather) index is clamped to the table's dim before the address is
// formed, whatever its producer did: native code never reads out of bounds.
// CHECK-LABEL: llvm.func @gather_k(
// CHECK:         [[ID:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> i64
// CHECK:         [[LOW:%.+]] = llvm.call_intrinsic "llvm.smax.i64"([[ID]], {{%.+}}) : (i64, i64) -> i64
// CHECK-NEXT:    [[IN:%.+]] = llvm.call_intrinsic "llvm.smin.i64"([[LOW]], {{%.+}}) : (i64, i64) -> i64
// CHECK-NEXT:    [[OFF:%.+]] = llvm.mul [[IN]], {{%.+}} overflow<nsw> : i64
// CHECK:         llvm.getelementptr inbounds %table[{{%.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
func.func @gather(%t: tensor<5x3xf32>, %ids: tensor<7xi64>) -> tensor<7x3xf32> {
  %y = loop.kernel "gather_k" domain(%i: 7, %j: 3) ins(%table = %t : tensor<5x3xf32>, %idx = %ids : tensor<7xi64>) outs(%o : tensor<7x3xf32>) {
    %n = loop.load %idx[%i] : tensor<7xi64>
    %k = arith.index_cast %n : i64 to index
    %v = loop.load %table[%k, %j] : tensor<5x3xf32>
    loop.store %v, %o[%i, %j] : tensor<7x3xf32>
  }
  func.return %y : tensor<7x3xf32>
}

// -----

// A kernel without parallel dims runs once for begin = 0, end = 1 (a virtual
// parallel dim of size 1) and stores its scalar at offset 0.
// CHECK-LABEL: llvm.func @total_k(
// CHECK:         [[HI:%.+]] = llvm.call_intrinsic "llvm.smin.i64"(%end, {{%.+}})
// CHECK:       ^once(%once: i64):
// CHECK-NEXT:    {{%.+}} = llvm.icmp "slt" %once, [[HI]] : i64
// CHECK:       ^sweep1_d0(%d0: i64, %prod: f64):
// CHECK:         llvm.fmul %prod, {{%.+}} {fastmathFlags = #llvm.fastmath<reassoc>} : f64
// CHECK:       ^sweep1_d0_end:
// CHECK-NEXT:    [[P:%.+]] = llvm.getelementptr inbounds %o[{{%.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, f64
// CHECK-NEXT:    llvm.store %prod, [[P]] : f64, !llvm.ptr
func.func @total(%a: tensor<6xf64>) -> tensor<f64> {
  %y = loop.kernel "total_k" domain(%j: 6 reduction) ins(%x = %a : tensor<6xf64>) outs(%o : tensor<f64>) {
    %v = loop.load %x[%j] : tensor<6xf64>
    %p = loop.reduce mul %v : f64
    loop.store %p, %o[] : tensor<f64>
  }
  func.return %y : tensor<f64>
}

// -----

// exp of f32 is inline straight-line code that LLVM vectorises (llvm.exp.f32
// would be a scalar libm call per element): x below the last f32 whose exp is
// not 0 computes exp(0) instead and selects 0 at the end (no underflowing
// product), x above 88.8 is clamped by compare and select (vminps, NaN kept),
// n = nearest integer of x/ln 2 by the 1.5 * 2^23 shift, r = x - n ln 2 in two
// fused parts, the polynomial, 2^n built in the exponent bits in two halves;
// NaN passes through. f64 keeps llvm.exp.
// CHECK-LABEL: llvm.func @exp_k(
// CHECK-DAG:     [[SHIFT:%.+]] = llvm.mlir.constant(0x4B400000 : f32) : f32
// CHECK-DAG:     [[SHIFT_BITS:%.+]] = llvm.mlir.constant(1262485504 : i32) : i32
// CHECK-DAG:     [[ZERO_BELOW:%.+]] = llvm.mlir.constant(-103.972076 : f32) : f32
// CHECK-DAG:     [[ZERO:%.+]] = llvm.mlir.constant(0.000000e+00 : f32) : f32
// CHECK:         [[X:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[UNDER:%.+]] = llvm.fcmp "olt" [[X]], [[ZERO_BELOW]] : f32
// CHECK-NEXT:    [[ABOVE:%.+]] = llvm.fcmp "ogt" [[X]], [[TOP:%.+]] : f32
// CHECK-NEXT:    [[HI:%.+]] = llvm.select [[ABOVE]], [[TOP]], [[X]] : i1, f32
// CHECK-NEXT:    [[LO:%.+]] = llvm.select [[UNDER]], [[ZERO]], [[HI]] : i1, f32
// CHECK-NEXT:    [[SCALED:%.+]] = llvm.fmul [[LO]], {{%.+}} : f32
// CHECK-NEXT:    [[SHIFTED:%.+]] = llvm.fadd [[SCALED]], [[SHIFT]] : f32
// CHECK-NEXT:    [[N:%.+]] = llvm.fsub [[SHIFTED]], [[SHIFT]] : f32
// CHECK-NEXT:    [[BITS:%.+]] = llvm.bitcast [[SHIFTED]] : f32 to i32
// CHECK-NEXT:    [[K:%.+]] = llvm.sub [[BITS]], [[SHIFT_BITS]] : i32
// CHECK-NEXT:    [[R:%.+]] = llvm.call_intrinsic "llvm.fmuladd.f32"([[N]], {{%.+}}, [[LO]])
// CHECK-NEXT:    llvm.call_intrinsic "llvm.fmuladd.f32"([[N]], {{%.+}}, [[R]])
// CHECK-COUNT-2: llvm.shl {{%.+}}, {{%.+}} : i32
// CHECK:         [[EXP:%.+]] = llvm.select [[UNDER]], [[ZERO]], {{%.+}} : i1, f32
// CHECK-NEXT:    [[NAN:%.+]] = llvm.fcmp "uno" [[X]], [[X]] : f32
// CHECK-NEXT:    [[Y:%.+]] = llvm.select [[NAN]], [[X]], [[EXP]] : i1, f32
// CHECK-NOT:     llvm.call
// CHECK:         llvm.store [[Y]], {{%.+}} : f32, !llvm.ptr
// CHECK:         llvm.call_intrinsic "llvm.exp.f64"
func.func @exp(%a: tensor<4xf32>, %b: tensor<4xf64>) -> (tensor<4xf32>, tensor<4xf64>) {
  %y, %z = loop.kernel "exp_k" domain(%i: 4) ins(%x = %a : tensor<4xf32>, %w = %b : tensor<4xf64>) outs(%o : tensor<4xf32>, %p : tensor<4xf64>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %e = math.exp %v : f32
    loop.store %e, %o[%i] : tensor<4xf32>
    %u = loop.load %w[%i] : tensor<4xf64>
    %f = math.exp %u : f64
    loop.store %f, %p[%i] : tensor<4xf64>
  }
  func.return %y, %z : tensor<4xf32>, tensor<4xf64>
}
