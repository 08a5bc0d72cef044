// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// A 2-D input: x @ w^T + b.
// CHECK-LABEL: func.func @linear(
// CHECK-NEXT:    [[TRANSPOSE:%.+]] = nn.transpose %w perm = [1, 0] : tensor<16x8xf32> -> tensor<8x16xf32>
// CHECK-NEXT:    [[MATMUL:%.+]] = nn.matmul %x, [[TRANSPOSE]] : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim %b dims = [1] : tensor<16xf32> -> tensor<4x16xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.add [[MATMUL]], [[BROADCAST_IN_DIM]] : tensor<4x16xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x16xf32>
func.func @linear(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %y = nn.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
  func.return %y : tensor<4x16xf32>
}

// Leading dims fold into one matmul over 2 * 3 rows, then unfold.
// CHECK-LABEL: func.func @linear_batched_no_bias(
// CHECK-NEXT:    [[RESHAPE:%.+]] = nn.reshape %x : tensor<2x3x8xf32> -> tensor<6x8xf32>
// CHECK-NEXT:    [[TRANSPOSE:%.+]] = nn.transpose %w perm = [1, 0] : tensor<16x8xf32> -> tensor<8x16xf32>
// CHECK-NEXT:    [[MATMUL:%.+]] = nn.matmul [[RESHAPE]], [[TRANSPOSE]] : tensor<6x8xf32>, tensor<8x16xf32> -> tensor<6x16xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.reshape [[MATMUL]] : tensor<6x16xf32> -> tensor<2x3x16xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x3x16xf32>
func.func @linear_batched_no_bias(%x: tensor<2x3x8xf32>, %w: tensor<16x8xf32>) -> tensor<2x3x16xf32> {
  %y = nn.linear %x, %w : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<2x3x16xf32>
  func.return %y : tensor<2x3x16xf32>
}
