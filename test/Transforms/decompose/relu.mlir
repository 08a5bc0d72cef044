// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// CHECK-LABEL: func.func @relu(
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 0.0 : tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.max %x, [[SPLAT]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.relu %x : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Integers compare against an integer zero.
// CHECK-LABEL: func.func @relu_i32(
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 0 : tensor<5xi32>
// CHECK-NEXT:    [[Y:%.+]] = nn.max %x, [[SPLAT]] : tensor<5xi32>
// CHECK-NEXT:    func.return [[Y]] : tensor<5xi32>
func.func @relu_i32(%x: tensor<5xi32>) -> tensor<5xi32> {
  %y = nn.relu %x : tensor<5xi32>
  func.return %y : tensor<5xi32>
}
