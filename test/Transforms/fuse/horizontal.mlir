// RUN: mlc-opt %s -p fuse | filecheck %s
// RUN: mlc-opt %s -p 'fuse{horizontal=false}' | filecheck %s --check-prefix=OFF

// Two reductions of the same rows read %x once, in one kernel with two outputs.
// CHECK-LABEL: func.func @row_stats(
// CHECK-NEXT:    %s, %m = loop.kernel "row_stats_k0" domain(%d0: 4, %d1: 8 reduction) ins(%x_1 = %x : tensor<4x8xf32>) outs(%s_out : tensor<4xf32>, %m_out : tensor<4xf32>) {
// CHECK-NEXT:      [[X:%.+]] = loop.load %x_1[%d0, %d1] : tensor<4x8xf32>
// CHECK-NEXT:      [[S:%.+]] = loop.reduce add [[X]] : f32
// CHECK-NEXT:      [[M:%.+]] = loop.reduce max [[X]] : f32
// CHECK-NEXT:      loop.store [[S]], %s_out[%d0] : tensor<4xf32>
// CHECK-NEXT:      loop.store [[M]], %m_out[%d0] : tensor<4xf32>

// OFF-LABEL: func.func @row_stats(
// OFF-COUNT-2: loop.kernel
// OFF-NOT:     loop.kernel
// OFF:         func.return
func.func @row_stats(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %s = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  %m = nn.reduce_max %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  func.return %s, %m : tensor<4xf32>, tensor<4xf32>
}

// Three projections of one input (attention's q, k, v) share the read of %x.
// CHECK-LABEL: func.func @qkv(
// CHECK-COUNT-1: loop.kernel
// CHECK-NOT:     loop.kernel
func.func @qkv(%x: tensor<4x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %q = nn.matmul %x, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %k = nn.matmul %x, %wk : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %v = nn.matmul %x, %wv : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  func.return %q, %k, %v : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// Kernels over different domains stay apart even when they share an input.
// CHECK-LABEL: func.func @different_domains(
// CHECK-COUNT-2: loop.kernel
func.func @different_domains(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %s = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  %e = nn.exp %x : tensor<4x8xf32>
  func.return %s, %e : tensor<4xf32>, tensor<4x8xf32>
}

// A kernel that reads the other's result is not a sibling.
// CHECK-LABEL: func.func @dependent(
// CHECK-COUNT-2: loop.kernel
func.func @dependent(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %t = nn.transpose %x perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %e = nn.exp %t : tensor<8x4xf32>
  %s = nn.slice %e start = [0, 0] stop = [8, 4] step = [2, 1] : tensor<8x4xf32> -> tensor<4x4xf32>
  %y = nn.exp %s : tensor<4x4xf32>
  %z = nn.concat %y, %y axis = 1 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x8xf32>
  %w = nn.add %z, %x : tensor<4x8xf32>
  func.return %w : tensor<4x8xf32>
}
