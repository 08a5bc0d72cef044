// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// numpy broadcasting aligns trailing dims.
// CHECK-LABEL: func.func @broadcast_to(
// CHECK-NEXT:    [[Y:%.+]] = nn.broadcast_in_dim %x dims = [1, 2] : tensor<4x1xf32> -> tensor<3x4x5xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<3x4x5xf32>
func.func @broadcast_to(%x: tensor<4x1xf32>) -> tensor<3x4x5xf32> {
  %y = nn.broadcast_to %x : tensor<4x1xf32> -> tensor<3x4x5xf32>
  func.return %y : tensor<3x4x5xf32>
}
