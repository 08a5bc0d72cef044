// RUN: mlc-opt %s -p fuse | filecheck %s
// RUN: mlc-opt %s -p 'fuse{epilogue=false}' | filecheck %s --check-prefix=OFF
// RUN: mlc-opt %s -p 'fuse{remarks=true}' --verify-diagnostics > /dev/null

// Bias and gelu (tanh form) run on each matmul result right after its reduction:
// one kernel, no intermediate tensor.
// CHECK-LABEL: func.func @linear_gelu(
// CHECK-NEXT:    loop.kernel "linear_gelu_k0" domain(%d0: 4, %d1: 16, %d2: 8 reduction) ins(%x_1 = %x : tensor<4x8xf32>, %w_1 = %w : tensor<8x16xf32>, %b_1 = %b : tensor<16xf32>) outs(%y_out : tensor<4x16xf32>) {
// CHECK-NEXT:      [[A:%.+]] = loop.load %x_1[%d0, %d2] : tensor<4x8xf32>
// CHECK-NEXT:      [[B:%.+]] = loop.load %w_1[%d2, %d1] : tensor<8x16xf32>
// CHECK-NEXT:      [[P:%.+]] = arith.mulf [[A]], [[B]] : f32
// CHECK-NEXT:      [[ACC:%.+]] = loop.reduce add [[P]] : f32
// CHECK-NEXT:      [[BIAS:%.+]] = loop.load %b_1[%d1] : tensor<16xf32>
// CHECK-NEXT:      [[SUM:%.+]] = arith.addf [[ACC]], [[BIAS]] : f32
// CHECK-NEXT:      [[T:%.+]] = math.tanh [[SUM]] : f32
// CHECK:           loop.store %{{.*}}, %y_out[%d0, %d1] : tensor<4x16xf32>
// CHECK-NEXT:    }

// OFF-LABEL: func.func @linear_gelu(
// OFF-COUNT-2: loop.kernel
// OFF-NOT:     loop.kernel
// OFF:         func.return
func.func @linear_gelu(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %mm = nn.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %bb = nn.broadcast_in_dim %b dims = [1] : tensor<16xf32> -> tensor<4x16xf32>
  %s = nn.add %mm, %bb : tensor<4x16xf32>
  %t = nn.tanh %s : tensor<4x16xf32>
  %y = nn.mul %s, %t : tensor<4x16xf32>
  func.return %y : tensor<4x16xf32>
}

// A point-wise producer of a matmul operand (its prologue) is not recomputed for
// every output column: it is stored and the matmul reads it.
// CHECK-LABEL: func.func @prologue(
// CHECK:         loop.kernel "prologue_k0" domain(%d0: 4, %d1: 8)
// CHECK:         loop.kernel "prologue_k1" domain(%d0: 4, %d1: 16, %d2: 8 reduction)
func.func @prologue(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = nn.exp %x : tensor<4x8xf32>
  // expected-remark @+1 {{not fused into kernel #0: would recompute kernel #0 for each of the 16 values of dim 1 (a contraction prologue)}}
  %mm = nn.matmul %e, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  func.return %mm : tensor<4x16xf32>
}

// Batched matmul with a residual add: the batch dims are parallel dims.
// CHECK-LABEL: func.func @batched_residual(
// CHECK-NEXT:    loop.kernel "batched_residual_k0" domain(%d0: 2, %d1: 4, %d2: 3, %d3: 8 reduction)
// CHECK:           loop.reduce add
// CHECK-NEXT:      loop.load %r_1[%d0, %d1, %d2]
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      loop.store
func.func @batched_residual(%a: tensor<2x4x8xf32>, %b: tensor<2x8x3xf32>, %r: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %mm = nn.matmul %a, %b : tensor<2x4x8xf32>, tensor<2x8x3xf32> -> tensor<2x4x3xf32>
  %y = nn.add %mm, %r : tensor<2x4x3xf32>
  func.return %y : tensor<2x4x3xf32>
}
