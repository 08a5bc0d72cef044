// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// CHECK-LABEL: func.func @sigmoid(
// CHECK-NEXT:    [[NEG:%.+]] = nn.neg %x : tensor<4x8xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[NEG]] : tensor<4x8xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 1.0 : tensor<4x8xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[SPLAT]], [[EXP]] : tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.div [[SPLAT]], [[ADD]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @sigmoid(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.sigmoid %x : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
