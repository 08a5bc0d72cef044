// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// Implicit broadcasting becomes nn.broadcast_in_dim.
// CHECK-LABEL: func.func @add_bias(
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim %b dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.add %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @add_bias(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = nn.add %x, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Mixed element types become an explicit cast to the promoted type, then a broadcast.
// CHECK-LABEL: func.func @promote(
// CHECK-NEXT:    [[CAST:%.+]] = nn.cast %i : tensor<4x1xi32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[CAST]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @promote(%x: tensor<4x8xf32>, %i: tensor<4x1xi32>) -> tensor<4x8xf32> {
  %y = nn.mul %x, %i : tensor<4x8xf32>, tensor<4x1xi32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Both sides may stretch.
// CHECK-LABEL: func.func @outer(
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim %a dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim %b dims = [0, 1] : tensor<1x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.lt [[BROADCAST_IN_DIM]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf32> -> tensor<4x8xi1>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xi1>
func.func @outer(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) -> tensor<4x8xi1> {
  %y = nn.lt %a, %b : tensor<4x1xf32>, tensor<1x8xf32> -> tensor<4x8xi1>
  func.return %y : tensor<4x8xi1>
}

// CHECK-LABEL: func.func @select(
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim %c dims = [1] : tensor<8xi1> -> tensor<4x8xi1>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim %b dims = [] : tensor<f32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.select [[BROADCAST_IN_DIM]], %a, [[BROADCAST_IN_DIM1]] : tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @select(%c: tensor<8xi1>, %a: tensor<4x8xf32>, %b: tensor<f32>) -> tensor<4x8xf32> {
  %y = nn.select %c, %a, %b : tensor<8xi1>, tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Batch dims of matmul broadcast explicitly.
// CHECK-LABEL: func.func @matmul_batch(
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim %b dims = [1, 2] : tensor<8x3xf32> -> tensor<2x8x3xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.matmul %a, [[BROADCAST_IN_DIM]] : tensor<2x4x8xf32>, tensor<2x8x3xf32> -> tensor<2x4x3xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x4x3xf32>
func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<8x3xf32>) -> tensor<2x4x3xf32> {
  %y = nn.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x3xf32> -> tensor<2x4x3xf32>
  func.return %y : tensor<2x4x3xf32>
}

// Already explicit ops are left exactly as they are.
// CHECK-LABEL: func.func @untouched(
// CHECK-NEXT:    [[S:%.+]] = nn.add %a, %b : tensor<4x8xf32>
// CHECK-NEXT:    [[E:%.+]] = nn.exp [[S]] : tensor<4x8xf32>
// CHECK-NEXT:    [[M:%.+]] = nn.matmul [[E]], %w : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    func.return [[M]] : tensor<4x3xf32>
func.func @untouched(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %w: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %s = nn.add %a, %b : tensor<4x8xf32>
  %e = nn.exp %s : tensor<4x8xf32>
  %m = nn.matmul %e, %w : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  func.return %m : tensor<4x3xf32>
}
