// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file | filecheck %s

// Softmax: the parallel dim is the outer loop over [begin, end) clamped to the
// dim; each row is three sweeps over the reduction dim. The max and the sum are
// loop-carried block arguments (phis) starting at their identity; the sum adds
// with `reassoc` (a reduction is defined up to reassociation), the max propagates
// NaN (llvm.maximum). exp, costly and needed by sweeps 2 and 3, is computed once
// in sweep 2 and kept for sweep 3 in a scratch row (an alloca of the reduction
// dims, made once per call); the store happens in the last sweep.
// CHECK-LABEL: llvm.func @softmax_k(%x: !llvm.ptr {llvm.noalias}, %out: !llvm.ptr {llvm.noalias}, %begin: i64, %end: i64)
// CHECK-DAG:     [[ZERO:%.+]] = llvm.mlir.constant(0) : i64
// CHECK-DAG:     [[ROWS:%.+]] = llvm.mlir.constant(4) : i64
// CHECK-DAG:     [[COLS:%.+]] = llvm.mlir.constant(8) : i64
// CHECK-DAG:     [[NEG_INF:%.+]] = llvm.mlir.constant(0xff800000 : f32) : f32
// CHECK-DAG:     [[FZERO:%.+]] = llvm.mlir.constant(0.000000e+00 : f32) : f32
// CHECK:         [[SCRATCH:%.+]] = llvm.alloca [[COLS]] x f32 {alignment = 64 : i64} : (i64) -> !llvm.ptr
// CHECK-NEXT:    [[LO:%.+]] = llvm.call_intrinsic "llvm.smax.i64"(%begin, [[ZERO]])
// CHECK-NEXT:    [[HI:%.+]] = llvm.call_intrinsic "llvm.smin.i64"(%end, [[ROWS]])
// CHECK-NEXT:    llvm.br ^d0([[LO]] : i64)
// CHECK-NEXT:  ^d0(%d0: i64):
// CHECK-NEXT:    [[C0:%.+]] = llvm.icmp "slt" %d0, [[HI]] : i64
// CHECK-NEXT:    llvm.cond_br [[C0]], ^d0_body, ^d0_end
// CHECK-NEXT:  ^d0_body:
// CHECK-NEXT:    llvm.br ^sweep1_d1([[ZERO]], [[NEG_INF]] : i64, f32)
// CHECK-NEXT:  ^sweep1_d1(%d1: i64, %max: f32):
// CHECK:         [[X1:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[MAX:%.+]] = llvm.call_intrinsic "llvm.maximum.f32"(%max, [[X1]]) : (f32, f32) -> f32
// CHECK:         llvm.br ^sweep1_d1({{%.+}}, [[MAX]] : i64, f32)
// CHECK-NEXT:  ^sweep1_d1_end:
// CHECK-NEXT:    llvm.br ^sweep2_d1([[ZERO]], [[FZERO]] : i64, f32)
// CHECK-NEXT:  ^sweep2_d1(%d1_1: i64, %sum: f32):
// CHECK:         [[X2:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[D2:%.+]] = llvm.fsub [[X2]], %max : f32
// CHECK:         [[E2:%.+]] = llvm.select {{%.+}}, [[D2]], {{%.+}} : i1, f32
// CHECK-NEXT:    [[PS:%.+]] = llvm.getelementptr inbounds [[SCRATCH]][%d1_1] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:    llvm.store [[E2]], [[PS]] : f32, !llvm.ptr
// CHECK-NEXT:    [[SUM:%.+]] = llvm.fadd %sum, [[E2]] {fastmathFlags = #llvm.fastmath<reassoc>} : f32
// CHECK:         llvm.br ^sweep2_d1({{%.+}}, [[SUM]] : i64, f32)
// CHECK-NEXT:  ^sweep2_d1_end:
// CHECK-NEXT:    llvm.br ^sweep3_d1([[ZERO]] : i64)
// CHECK-NEXT:  ^sweep3_d1(%d1_2: i64):
// CHECK:       ^sweep3_d1_body:
// CHECK-NEXT:    [[PE:%.+]] = llvm.getelementptr inbounds [[SCRATCH]][%d1_2] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:    [[E3:%.+]] = llvm.load [[PE]] : !llvm.ptr -> f32
// CHECK-NEXT:    [[R:%.+]] = llvm.fdiv [[E3]], %sum : f32
// CHECK-NEXT:    [[ROW:%.+]] = llvm.mul %d0, [[COLS]] overflow<nsw> : i64
// CHECK-NEXT:    [[OFFSET:%.+]] = llvm.add [[ROW]], %d1_2 overflow<nsw> : i64
// CHECK-NEXT:    [[PO:%.+]] = llvm.getelementptr inbounds %out[[[OFFSET]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:    llvm.store [[R]], [[PO]] : f32, !llvm.ptr
// CHECK:       ^sweep3_d1_end:
// CHECK-NEXT:    [[NEXT:%.+]] = llvm.add %d0, {{%.+}} overflow<nsw> : i64
// CHECK-NEXT:    llvm.br ^d0([[NEXT]] : i64)
// CHECK-NEXT:  ^d0_end:
// CHECK-NEXT:    llvm.return
// CHECK-NEXT:  }
func.func @softmax(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = loop.kernel "softmax_k" domain(%i: 4, %j: 8 reduction) ins(%x = %a : tensor<4x8xf32>) outs(%out : tensor<4x8xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<4x8xf32>
  }
  func.return %y : tensor<4x8xf32>
}

// -----

// An f64 matmul (f32 ones take the contraction lowering: ../contraction/) is a
// plain triple loop: the parallel dims outside, the contraction as
// one sweep carrying the sum. The bias needs no reduction, so it is loaded before
// the sweep; the add that needs the sum runs after it, once per output element.
// The kernel keeps its place in the function.
// CHECK-LABEL: func.func @linear(
// CHECK:         loop.kernel "linear_k"
// CHECK-LABEL: llvm.func @linear_k(%x: !llvm.ptr {llvm.noalias}, %w: !llvm.ptr {llvm.noalias}, %b: !llvm.ptr {llvm.noalias}, %out: !llvm.ptr {llvm.noalias}, %begin: i64, %end: i64)
// CHECK:       ^d0(%d0: i64):
// CHECK:       ^d1(%d1: i64):
// CHECK:       ^d1_body:
// CHECK-NEXT:    [[PB:%.+]] = llvm.getelementptr inbounds %b[%d1] : (!llvm.ptr, i64) -> !llvm.ptr, f64
// CHECK-NEXT:    [[B:%.+]] = llvm.load [[PB]] : !llvm.ptr -> f64
// CHECK-NEXT:    llvm.br ^sweep1_d2
// CHECK-NEXT:  ^sweep1_d2(%d2: i64, %sum: f64):
// CHECK:         [[X:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f64
// CHECK:         [[W:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f64
// CHECK-NEXT:    [[P:%.+]] = llvm.fmul [[X]], [[W]] : f64
// CHECK-NEXT:    [[S:%.+]] = llvm.fadd %sum, [[P]] {fastmathFlags = #llvm.fastmath<reassoc>} : f64
// CHECK:       ^sweep1_d2_end:
// CHECK-NEXT:    [[Y:%.+]] = llvm.fadd %sum, [[B]] : f64
// CHECK:         llvm.store [[Y]], {{%.+}} : f64, !llvm.ptr
// CHECK:       ^d1_end:
// CHECK:       ^d0_end:
func.func @linear(%a: tensor<3x5xf64>, %wa: tensor<5x2xf64>, %ba: tensor<2xf64>) -> tensor<3x2xf64> {
  %y = loop.kernel "linear_k" domain(%i: 3, %j: 2, %k: 5 reduction) ins(%x = %a : tensor<3x5xf64>, %w = %wa : tensor<5x2xf64>, %b = %ba : tensor<2xf64>) outs(%out : tensor<3x2xf64>) {
    %xv = loop.load %x[%i, %k] : tensor<3x5xf64>
    %wv = loop.load %w[%k, %j] : tensor<5x2xf64>
    %p = arith.mulf %xv, %wv : f64
    %s = loop.reduce add %p : f64
    %bv = loop.load %b[%j] : tensor<2xf64>
    %r = arith.addf %s, %bv : f64
    loop.store %r, %out[%i, %j] : tensor<3x2xf64>
  }
  func.return %y : tensor<3x2xf64>
}

// -----

// Two reductions of the same sweep share it and its loop (one phi each); integer
// reductions start at 0 and at the smallest integer. Several reduction dims nest
// inside the sweep, in domain order, even around a parallel dim.
// CHECK-LABEL: llvm.func @stats_k(
// CHECK-DAG:     [[ZERO:%.+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-DAG:     [[MIN:%.+]] = llvm.mlir.constant(-2147483648 : i32) : i32
// CHECK:       ^d1(%d1: i64):
// CHECK:         llvm.br ^sweep1_d0({{%.+}}, [[ZERO]], [[MIN]] : i64, i32, i32)
// CHECK-NEXT:  ^sweep1_d0(%d0: i64, %sum: i32, %max: i32):
// CHECK:         llvm.br ^sweep1_d2({{%.+}}, %sum, %max : i64, i32, i32)
// CHECK-NEXT:  ^sweep1_d2(%d2: i64, %sum_1: i32, %max_1: i32):
// CHECK:         [[V:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> i32
// CHECK-NEXT:    [[S:%.+]] = llvm.add %sum_1, [[V]] : i32
// CHECK-NEXT:    [[M:%.+]] = llvm.call_intrinsic "llvm.smax.i32"(%max_1, [[V]]) : (i32, i32) -> i32
// CHECK:         llvm.br ^sweep1_d2({{%.+}}, [[S]], [[M]] : i64, i32, i32)
// CHECK-NEXT:  ^sweep1_d2_end:
// CHECK:         llvm.br ^sweep1_d0({{%.+}}, %sum_1, %max_1 : i64, i32, i32)
// CHECK-NEXT:  ^sweep1_d0_end:
// CHECK-NOT:   ^sweep2
// CHECK:         llvm.store %sum, {{%.+}} : i32, !llvm.ptr
// CHECK:         llvm.store %max, {{%.+}} : i32, !llvm.ptr
func.func @stats(%a: tensor<3x4x5xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %s, %m = loop.kernel "stats_k" domain(%r0: 3 reduction, %i: 4, %r1: 5 reduction) ins(%x = %a : tensor<3x4x5xi32>) outs(%so : tensor<4xi32>, %mo : tensor<4xi32>) {
    %v = loop.load %x[%r0, %i, %r1] : tensor<3x4x5xi32>
    %s = loop.reduce add %v : i32
    %m = loop.reduce max %v : i32
    loop.store %s, %so[%i] : tensor<4xi32>
    loop.store %m, %mo[%i] : tensor<4xi32>
  }
  func.return %s, %m : tensor<4xi32>, tensor<4xi32>
}

// -----

// Cheap values are recomputed from a fresh load in each sweep that needs them (a
// row that fits in L1 is cheap to read again): layer normalisation's `x - mean`
// gets no scratch row. Rows shorter than a prefetch chunk get no prefetches.
// CHECK-LABEL: llvm.func @centered_k(
// CHECK-NOT:     llvm.alloca
// CHECK:       ^sweep2_d1_body:
// CHECK:         [[X2:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[C2:%.+]] = llvm.fsub [[X2]], {{%.+}} : f32
// CHECK:       ^sweep3_d1_body:
// CHECK:         [[X3:%.+]] = llvm.load {{%.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[C3:%.+]] = llvm.fsub [[X3]], {{%.+}} : f32
// CHECK-NOT:     llvm.prefetch
// CHECK:         llvm.return
func.func @centered(%a: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %y = loop.kernel "centered_k" domain(%i: 4, %j: 64 reduction) ins(%x = %a : tensor<4x64xf32>) outs(%out : tensor<4x64xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x64xf32>
    %s = loop.reduce add %v : f32
    %c = arith.subf %v, %s : f32
    %q = arith.mulf %c, %c : f32
    %t = loop.reduce add %q : f32
    %r = arith.mulf %c, %t : f32
    loop.store %r, %out[%i, %j] : tensor<4x64xf32>
  }
  func.return %y : tensor<4x64xf32>
}

// -----

// Long rows: the sweep with the most work runs its innermost loop in chunks of
// 256 iterations, and each chunk first prefetches the cache lines of the next row
// (the parallel index plus one; no `inbounds`: past the last row it points past
// the tensor, which a prefetch may) that the chunk will read: 16 lines of f32 for
// the streamed input, none for the weight, which every row shares.
// CHECK-LABEL: llvm.func @scaled_k(
// CHECK:       ^sweep1_d1(
// CHECK-NOT:     llvm.prefetch
// CHECK:       ^sweep2_d1_chunk(%chunk: i64):
// CHECK:       ^sweep2_d1_chunk_body:
// CHECK-NEXT:    [[FIRST:%.+]] = llvm.mul %chunk, [[CHUNK:%.+]] overflow<nsw> : i64
// CHECK-NEXT:    [[NEXT_ROW:%.+]] = llvm.add %d0, {{%.+}} overflow<nsw> : i64
// CHECK-NEXT:    [[COLUMN:%.+]] = llvm.add [[FIRST]], {{%.+}} overflow<nsw> : i64
// CHECK-NEXT:    [[ROW:%.+]] = llvm.mul [[NEXT_ROW]], {{%.+}} overflow<nsw> : i64
// CHECK-NEXT:    [[OFFSET:%.+]] = llvm.add [[ROW]], [[COLUMN]] overflow<nsw> : i64
// CHECK-NEXT:    [[P:%.+]] = llvm.getelementptr %x[[[OFFSET]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:    llvm.call_intrinsic "llvm.prefetch.p0"([[P]], {{%.+}}, {{%.+}}, {{%.+}}) : (!llvm.ptr, i32, i32, i32) -> ()
// CHECK-COUNT-15: llvm.call_intrinsic "llvm.prefetch.p0"
// CHECK-NOT:     llvm.prefetch
// CHECK:         [[END:%.+]] = llvm.add [[FIRST]], [[CHUNK]] overflow<nsw> : i64
// CHECK-NEXT:    [[LAST:%.+]] = llvm.call_intrinsic "llvm.smin.i64"([[END]], {{%.+}})
// CHECK-NEXT:    llvm.br ^sweep2_d1([[FIRST]] : i64)
// CHECK-NEXT:  ^sweep2_d1(%d1_1: i64):
// CHECK-NEXT:    {{%.+}} = llvm.icmp "slt" %d1_1, [[LAST]] : i64
// CHECK:         llvm.store
// CHECK:       ^sweep2_d1_chunk_end:
func.func @scaled(%a: tensor<4x300xf32>, %wa: tensor<300xf32>) -> tensor<4x300xf32> {
  %y = loop.kernel "scaled_k" domain(%i: 4, %j: 300 reduction) ins(%x = %a : tensor<4x300xf32>, %w = %wa : tensor<300xf32>) outs(%out : tensor<4x300xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x300xf32>
    %s = loop.reduce add %v : f32
    %wv = loop.load %w[%j] : tensor<300xf32>
    %p = arith.mulf %v, %wv : f32
    %r = arith.divf %p, %s : f32
    loop.store %r, %out[%i, %j] : tensor<4x300xf32>
  }
  func.return %y : tensor<4x300xf32>
}

// -----

// One sweep streams its rows from memory itself: long rows, but no prefetches.
// CHECK-LABEL: llvm.func @row_sum_k(
// CHECK-NOT:     llvm.prefetch
// CHECK:         llvm.return
func.func @row_sum(%a: tensor<4x300xf32>) -> tensor<4xf32> {
  %y = loop.kernel "row_sum_k" domain(%i: 4, %j: 300 reduction) ins(%x = %a : tensor<4x300xf32>) outs(%out : tensor<4xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x300xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %out[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}
