// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// Softmax is max-subtracted so exp never overflows, then scaled by the reciprocal
// of the sum (one division per row): max, sub, exp, sum, 1/sum, mul.
// CHECK-LABEL: func.func @softmax_rows(
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<4x8xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 1.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[SPLAT]], [[REDUCE_SUM]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul [[EXP]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @softmax_rows(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.softmax %x axis = 1 : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// Along a leading axis the broadcasts go over dim 0.
// CHECK-LABEL: func.func @softmax_columns(
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max %x axes = [0] keepdims : tensor<4x8xf64> -> tensor<1x8xf64>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1] : tensor<1x8xf64> -> tensor<4x8xf64>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf64>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<4x8xf64>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [0] keepdims : tensor<4x8xf64> -> tensor<1x8xf64>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 1.0 : tensor<1x8xf64>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[SPLAT]], [[REDUCE_SUM]] : tensor<1x8xf64>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1] : tensor<1x8xf64> -> tensor<4x8xf64>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul [[EXP]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf64>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf64>
func.func @softmax_columns(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  %y = nn.softmax %x axis = 0 : tensor<4x8xf64>
  func.return %y : tensor<4x8xf64>
}

// f16 is computed in f32 and rounded once.
// CHECK-LABEL: func.func @softmax_f16(
// CHECK-NEXT:    [[CAST:%.+]] = nn.cast %x : tensor<2x3xf16> -> tensor<2x3xf32>
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max [[CAST]] axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub [[CAST]], [[BROADCAST_IN_DIM]] : tensor<2x3xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<2x3xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 1.0 : tensor<2x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[SPLAT]], [[REDUCE_SUM]] : tensor<2x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[EXP]], [[BROADCAST_IN_DIM1]] : tensor<2x3xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.cast [[MUL]] : tensor<2x3xf32> -> tensor<2x3xf16>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x3xf16>
func.func @softmax_f16(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %y = nn.softmax %x axis = 1 : tensor<2x3xf16>
  func.return %y : tensor<2x3xf16>
}
