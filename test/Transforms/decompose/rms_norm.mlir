// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// x * rsqrt(mean(x * x) + eps) * weight.
// CHECK-LABEL: func.func @rms_norm(
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul %x, %x : tensor<4x8xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[MUL]] axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 8.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 1.0e-06 : tensor<4x1xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[DIV]], [[SPLAT1]] : tensor<4x1xf32>
// CHECK-NEXT:    [[RSQRT:%.+]] = nn.rsqrt [[ADD]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[RSQRT]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim %w dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul [[MUL1]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @rms_norm(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = nn.rms_norm %x, %w axes = [1] eps = 1.0e-06 : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @rms_norm_no_weight(
// CHECK-NEXT:    [[CAST:%.+]] = nn.cast %x : tensor<4x8xbf16> -> tensor<4x8xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[CAST]], [[CAST]] : tensor<4x8xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[MUL]] axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 8.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[REDUCE_SUM]], [[SPLAT]] : tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 1.0e-06 : tensor<4x1xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[DIV]], [[SPLAT1]] : tensor<4x1xf32>
// CHECK-NEXT:    [[RSQRT:%.+]] = nn.rsqrt [[ADD]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[RSQRT]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[CAST]], [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.cast [[MUL1]] : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xbf16>
func.func @rms_norm_no_weight(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %y = nn.rms_norm %x axes = [1] eps = 1.0e-06 : tensor<4x8xbf16>
  func.return %y : tensor<4x8xbf16>
}
