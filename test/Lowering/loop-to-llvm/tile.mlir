// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file | filecheck %s

// tile_sizes 32 x 16 on 70 x 100: tile loops ^t0 (over [begin, end) clamped to
// the dim, step 32) and ^t1 (over [0, 100), step 16), then point loops ^d0 and ^d1
// over one tile each, clipped to the dim (smin), the innermost still d1.
// CHECK-LABEL: llvm.func @tiled_k(
// CHECK-DAG:     [[ZERO:%.+]] = llvm.mlir.constant(0) : i64
// CHECK-DAG:     [[N0:%.+]] = llvm.mlir.constant(70) : i64
// CHECK-DAG:     [[N1:%.+]] = llvm.mlir.constant(100) : i64
// CHECK-DAG:     [[T0:%.+]] = llvm.mlir.constant(32) : i64
// CHECK-DAG:     [[T1:%.+]] = llvm.mlir.constant(16) : i64
// CHECK:         [[LO:%.+]] = llvm.call_intrinsic "llvm.smax.i64"(%begin, [[ZERO]])
// CHECK-NEXT:    [[HI:%.+]] = llvm.call_intrinsic "llvm.smin.i64"(%end, [[N0]])
// CHECK-NEXT:    llvm.br ^t0([[LO]] : i64)
// CHECK-NEXT:  ^t0([[TI:%.+]]: i64):
// CHECK:         llvm.br ^t1([[ZERO]] : i64)
// CHECK-NEXT:  ^t1([[TJ:%.+]]: i64):
// CHECK-NEXT:    {{%.+}} = llvm.icmp "slt" [[TJ]], [[N1]] : i64
// CHECK:       ^t1_body:
// CHECK-NEXT:    [[E0:%.+]] = llvm.add [[TI]], [[T0]] overflow<nsw> : i64
// CHECK-NEXT:    [[U0:%.+]] = llvm.call_intrinsic "llvm.smin.i64"([[E0]], [[HI]])
// CHECK-NEXT:    llvm.br ^d0([[TI]] : i64)
// CHECK:       ^d0_body:
// CHECK-NEXT:    [[E1:%.+]] = llvm.add [[TJ]], [[T1]] overflow<nsw> : i64
// CHECK-NEXT:    [[U1:%.+]] = llvm.call_intrinsic "llvm.smin.i64"([[E1]], [[N1]])
// CHECK-NEXT:    llvm.br ^d1([[TJ]] : i64)
// CHECK:       ^d1_body:
// CHECK:         llvm.load
// CHECK:         llvm.store
// CHECK:       ^d0_end:
// CHECK-NEXT:    {{%.+}} = llvm.add [[TJ]], [[T1]] overflow<nsw> : i64
// CHECK:       ^t1_end:
// CHECK-NEXT:    {{%.+}} = llvm.add [[TI]], [[T0]] overflow<nsw> : i64
func.func @tiled(%x: tensor<100x70xf32>) -> tensor<70x100xf32> {
  %r = loop.kernel "tiled_k" domain(%d0: 70, %d1: 100) ins(%xa = %x : tensor<100x70xf32>) outs(%out : tensor<70x100xf32>) attributes {tile_sizes = array<i64: 32, 16>} {
    %a = loop.load %xa[%d1, %d0] : tensor<100x70xf32>
    loop.store %a, %out[%d0, %d1] : tensor<70x100xf32>
  }
  func.return %r : tensor<70x100xf32>
}

// -----

// Tile 1 of d0 and 8 of d1 (whole: no tile loop): d0 has no point loop (its tile
// index is the point); a reduction kernel's sweeps run inside the point loops.
// CHECK-LABEL: llvm.func @outer_and_rows_k(
// CHECK:         llvm.br ^t0(
// CHECK-NOT:     ^d0(
// CHECK-NOT:     ^t1(
// CHECK:         llvm.br ^d1(
// CHECK:         llvm.br ^sweep1_d2(
func.func @outer_and_rows(%x: tensor<3x8x5xf32>) -> tensor<3x8xf32> {
  %r = loop.kernel "outer_and_rows_k" domain(%d0: 3, %d1: 8, %d2: 5 reduction) ins(%xa = %x : tensor<3x8x5xf32>) outs(%out : tensor<3x8xf32>) attributes {tile_sizes = array<i64: 1, 8, 5>} {
    %a = loop.load %xa[%d0, %d1, %d2] : tensor<3x8x5xf32>
    %s = loop.reduce add %a : f32
    loop.store %s, %out[%d0, %d1] : tensor<3x8xf32>
  }
  func.return %r : tensor<3x8xf32>
}
