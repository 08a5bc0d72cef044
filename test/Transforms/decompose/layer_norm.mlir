// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// mean, centre, biased variance, rsqrt(var + eps), scale, then weight and bias.
// CHECK-LABEL: func.func @layer_norm_affine(
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 8.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[SUB]], [[SUB]] : tensor<4x8xf32>
// CHECK-NEXT:    [[REDUCE_SUM1:%.+]] = nn.reduce_sum [[MUL]] axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 8.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV1:%.+]] = nn.div [[REDUCE_SUM1]], [[SPLAT1]] : tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT2:%.+]] = nn.splat 1.0e-05 : tensor<4x1xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[DIV1]], [[SPLAT2]] : tensor<4x1xf32>
// CHECK-NEXT:    [[RSQRT:%.+]] = nn.rsqrt [[ADD]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[RSQRT]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[SUB]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM2:%.+]] = nn.broadcast_in_dim %w dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[MUL2:%.+]] = nn.mul [[MUL1]], [[BROADCAST_IN_DIM2]] : tensor<4x8xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM3:%.+]] = nn.broadcast_in_dim %b dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.add [[MUL2]], [[BROADCAST_IN_DIM3]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @layer_norm_affine(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = nn.layer_norm %x, %w, %b axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Without weight and bias the normalised value is the result.
// CHECK-LABEL: func.func @layer_norm_plain(
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum %x axes = [1, 2] keepdims : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 12.0 : tensor<2x1x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<2x1x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1, 2] : tensor<2x1x1xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub %x, [[BROADCAST_IN_DIM]] : tensor<2x3x4xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[SUB]], [[SUB]] : tensor<2x3x4xf32>
// CHECK-NEXT:    [[REDUCE_SUM1:%.+]] = nn.reduce_sum [[MUL]] axes = [1, 2] keepdims : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 12.0 : tensor<2x1x1xf32>
// CHECK-NEXT:    [[DIV1:%.+]] = nn.div [[REDUCE_SUM1]], [[SPLAT1]] : tensor<2x1x1xf32>
// CHECK-NEXT:    [[SPLAT2:%.+]] = nn.splat 1.0e-06 : tensor<2x1x1xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[DIV1]], [[SPLAT2]] : tensor<2x1x1xf32>
// CHECK-NEXT:    [[RSQRT:%.+]] = nn.rsqrt [[ADD]] : tensor<2x1x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[RSQRT]] dims = [0, 1, 2] : tensor<2x1x1xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul [[SUB]], [[BROADCAST_IN_DIM1]] : tensor<2x3x4xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x3x4xf32>
func.func @layer_norm_plain(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %y = nn.layer_norm %x axes = [1, 2] eps = 1.0e-06 : tensor<2x3x4xf32>
  func.return %y : tensor<2x3x4xf32>
}
