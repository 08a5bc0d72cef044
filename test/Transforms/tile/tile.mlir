// RUN: mlc-opt %s -p tile --split-input-file | filecheck %s
// RUN: mlc-opt %s -p 'tile{sizes=8,16}' --split-input-file | filecheck %s --check-prefix=SIZES
// RUN: mlc-opt %s -p 'tile{remarks=true}' --split-input-file 2>&1 >/dev/null | filecheck %s --check-prefix=WHY
// RUN: not mlc-opt %s -p 'tile{sizes=-4}' 2>&1 | filecheck %s --check-prefix=BAD

// BAD: sizes must be >= 0, got [-4]

// A transpose then a point-wise op: the load of %x is strided along the innermost
// dim d1, so the heuristic tiles d0 and d1 square (32 x 32 for three f32 tensors
// in half an L1 of 32 or 48 KiB). Neither 70 nor 100 is a multiple of 32: the
// lowering clips the last tiles. Explicit sizes are right-aligned to the parallel
// dims and clipped to them.
// CHECK-LABEL: func.func @transpose_add
// CHECK:         loop.kernel "transpose_add_k0" domain(%d0: 70, %d1: 100) {{.*}} attributes {tile_sizes = array<i64: 32, 32>}
// SIZES-LABEL: func.func @transpose_add
// SIZES:         attributes {tile_sizes = array<i64: 8, 16>}
// WHY:         remark: tiled d0 by 32, d1 by 32: 'loop.load' of tensor<100x70xf32> is strided along the innermost dim d1 (contiguous in d0)
func.func @transpose_add(%x: tensor<100x70xf32>, %y: tensor<70x100xf32>) -> tensor<70x100xf32> {
  %r = loop.kernel "transpose_add_k0" domain(%d0: 70, %d1: 100) ins(%xa = %x : tensor<100x70xf32>, %ya = %y : tensor<70x100xf32>) outs(%out : tensor<70x100xf32>) {
    %a = loop.load %xa[%d1, %d0] : tensor<100x70xf32>
    %b = loop.load %ya[%d0, %d1] : tensor<70x100xf32>
    %s = arith.addf %a, %b : f32
    loop.store %s, %out[%d0, %d1] : tensor<70x100xf32>
  }
  func.return %r : tensor<70x100xf32>
}

// -----

// The batch dims outside the transposed pair get tile 1 (they stay outer loops);
// the heuristic's 32 is clipped to d2's 12 (whole: only d3 is split).
// CHECK-LABEL: func.func @batched_transpose
// CHECK:         attributes {tile_sizes = array<i64: 1, 1, 12, 32>}
// SIZES-LABEL: func.func @batched_transpose
// SIZES:         attributes {tile_sizes = array<i64: 1, 1, 8, 16>}
func.func @batched_transpose(%x: tensor<3x1x40x12xf32>) -> tensor<3x1x12x40xf32> {
  %r = loop.kernel "batched_transpose_k0" domain(%d0: 3, %d1: 1, %d2: 12, %d3: 40) ins(%xa = %x : tensor<3x1x40x12xf32>) outs(%out : tensor<3x1x12x40xf32>) {
    %a = loop.load %xa[%d0, %d1, %d3, %d2] : tensor<3x1x40x12xf32>
    %n = arith.negf %a : f32
    loop.store %n, %out[%d0, %d1, %d2, %d3] : tensor<3x1x12x40xf32>
  }
  func.return %r : tensor<3x1x12x40xf32>
}

// -----

// Every access unit-stride along d1: the heuristic leaves it (rows stream), sizes
// tile it, with 0 keeping d1 whole.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT:     tile_sizes
// SIZES-LABEL: func.func @pointwise
// SIZES:         attributes {tile_sizes = array<i64: 8, 16>}
// WHY:         remark: not tiled: every access is unit-stride or invariant along the innermost dim d1
func.func @pointwise(%x: tensor<20x50xf32>) -> tensor<20x50xf32> {
  %r = loop.kernel "pointwise_k0" domain(%d0: 20, %d1: 50) ins(%xa = %x : tensor<20x50xf32>) outs(%out : tensor<20x50xf32>) {
    %a = loop.load %xa[%d0, %d1] : tensor<20x50xf32>
    %n = math.exp %a : f32
    loop.store %n, %out[%d0, %d1] : tensor<20x50xf32>
  }
  func.return %r : tensor<20x50xf32>
}

// -----

// Softmax: three sweeps; the reduction dim stays whole (a sweep needs the earlier
// sweeps' reduces over the whole row), and the heuristic does not tile the
// parallel dims of a row kernel. Explicit sizes tile the parallel dim only (the
// last size, 16, goes to d0; the reduction dim keeps its 40).
// CHECK-LABEL: func.func @softmax
// CHECK-NOT:     tile_sizes
// SIZES-LABEL: func.func @softmax
// SIZES:         attributes {tile_sizes = array<i64: 16, 40>}
// WHY:         remark: reduction dims d1 not tiled: a row (160 B of inputs) stays in L1 between its 3 sweeps; rows are not split, since a sweep needs the earlier sweeps' reduces over the whole row
// WHY:         remark: parallel dims not tiled: rows are swept one parallel point at a time
func.func @softmax(%x: tensor<50x40xf32>) -> tensor<50x40xf32> {
  %y = loop.kernel "softmax_k0" domain(%i: 50, %j: 40 reduction) ins(%xa = %x : tensor<50x40xf32>) outs(%out : tensor<50x40xf32>) {
    %v = loop.load %xa[%i, %j] : tensor<50x40xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<50x40xf32>
  }
  func.return %y : tensor<50x40xf32>
}

// -----

// A row sum: one sweep, which streams each row once.
// SIZES-LABEL: func.func @row_sum
// SIZES:         attributes {tile_sizes = array<i64: 16, 40>}
// WHY:         remark: reduction dims d1 not tiled: one sweep streams each row once
func.func @row_sum(%x: tensor<50x40xf32>) -> tensor<50xf32> {
  %y = loop.kernel "row_sum_k0" domain(%i: 50, %j: 40 reduction) ins(%xa = %x : tensor<50x40xf32>) outs(%out : tensor<50xf32>) {
    %v = loop.load %xa[%i, %j] : tensor<50x40xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %out[%i] : tensor<50xf32>
  }
  func.return %y : tensor<50xf32>
}

// -----

// A matmul is a contraction: not tiled even with sizes (its lowering blocks it).
// CHECK-LABEL: func.func @matmul
// CHECK-NOT:     tile_sizes
// SIZES-LABEL: func.func @matmul
// SIZES-NOT:     tile_sizes
// WHY:         remark: a contraction: its lowering blocks it itself
func.func @matmul(%a: tensor<40x30xf32>, %b: tensor<30x50xf32>) -> tensor<40x50xf32> {
  %y = loop.kernel "matmul_k0" domain(%m: 40, %n: 50, %k: 30 reduction) ins(%aa = %a : tensor<40x30xf32>, %ba = %b : tensor<30x50xf32>) outs(%out : tensor<40x50xf32>) {
    %x = loop.load %aa[%m, %k] : tensor<40x30xf32>
    %w = loop.load %ba[%k, %n] : tensor<30x50xf32>
    %p = arith.mulf %x, %w : f32
    %s = loop.reduce add %p : f32
    loop.store %s, %out[%m, %n] : tensor<40x50xf32>
  }
  func.return %y : tensor<40x50xf32>
}

// -----

// Size-1 dims leave a single wide dim: nothing to tile; an already tiled kernel
// keeps its sizes.
// CHECK-LABEL: func.func @size_one
// CHECK-NOT:     tile_sizes
// WHY:         remark: not tiled: fewer than two parallel dims of size > 1
// WHY:         remark: already tiled
// CHECK-LABEL: func.func @already_tiled
// CHECK:         attributes {tile_sizes = array<i64: 2, 5>}
// SIZES-LABEL: func.func @size_one
// SIZES:         attributes {tile_sizes = array<i64: 8, 1>}
// SIZES-LABEL: func.func @already_tiled
// SIZES:         attributes {tile_sizes = array<i64: 2, 5>}
func.func @size_one(%x: tensor<1x64xf32>) -> tensor<64x1xf32> {
  %r = loop.kernel "size_one_k0" domain(%d0: 64, %d1: 1) ins(%xa = %x : tensor<1x64xf32>) outs(%out : tensor<64x1xf32>) {
    %a = loop.load %xa[%d1, %d0] : tensor<1x64xf32>
    loop.store %a, %out[%d0, %d1] : tensor<64x1xf32>
  }
  func.return %r : tensor<64x1xf32>
}
func.func @already_tiled(%x: tensor<10x20xf32>) -> tensor<20x10xf32> {
  %r = loop.kernel "already_tiled_k0" domain(%d0: 20, %d1: 10) ins(%xa = %x : tensor<10x20xf32>) outs(%out : tensor<20x10xf32>) attributes {tile_sizes = array<i64: 2, 5>} {
    %a = loop.load %xa[%d1, %d0] : tensor<10x20xf32>
    loop.store %a, %out[%d0, %d1] : tensor<20x10xf32>
  }
  func.return %r : tensor<20x10xf32>
}
