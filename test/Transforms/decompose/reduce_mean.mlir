// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// The mean is the sum divided by the element count (here 4 * 8 = 32).
// CHECK-LABEL: func.func @mean_keepdims(
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum %x axes = [1, 2] keepdims : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 32.0 : tensor<2x1x1xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<2x1x1xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x1x1xf32>
func.func @mean_keepdims(%x: tensor<2x4x8xf32>) -> tensor<2x1x1xf32> {
  %y = nn.reduce_mean %x axes = [1, 2] keepdims : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  func.return %y : tensor<2x1x1xf32>
}

// Without keepdims the kept-dims mean is reshaped.
// CHECK-LABEL: func.func @mean(
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 8.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<4x1xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.reshape [[DIV]] : tensor<4x1xf32> -> tensor<4xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4xf32>
func.func @mean(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %y = nn.reduce_mean %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
