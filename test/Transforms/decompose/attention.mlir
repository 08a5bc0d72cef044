// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// softmax(q k^T * scale) v with the default scale 1/sqrt(16) = 0.25.
// CHECK-LABEL: func.func @attention(
// CHECK-NEXT:    [[TRANSPOSE:%.+]] = nn.transpose %k perm = [0, 2, 1] : tensor<2x6x16xf32> -> tensor<2x16x6xf32>
// CHECK-NEXT:    [[MATMUL:%.+]] = nn.matmul %q, [[TRANSPOSE]] : tensor<2x4x16xf32>, tensor<2x16x6xf32> -> tensor<2x4x6xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 0.25 : tensor<2x4x6xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[MATMUL]], [[SPLAT]] : tensor<2x4x6xf32>
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max [[MUL]] axes = [2] keepdims : tensor<2x4x6xf32> -> tensor<2x4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1, 2] : tensor<2x4x1xf32> -> tensor<2x4x6xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub [[MUL]], [[BROADCAST_IN_DIM]] : tensor<2x4x6xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<2x4x6xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [2] keepdims : tensor<2x4x6xf32> -> tensor<2x4x1xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 1.0 : tensor<2x4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[SPLAT1]], [[REDUCE_SUM]] : tensor<2x4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1, 2] : tensor<2x4x1xf32> -> tensor<2x4x6xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[EXP]], [[BROADCAST_IN_DIM1]] : tensor<2x4x6xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.matmul [[MUL1]], %v : tensor<2x4x6xf32>, tensor<2x6x8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<2x4x8xf32>
func.func @attention(%q: tensor<2x4x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x6x8xf32>) -> tensor<2x4x8xf32> {
  %y = nn.attention %q, %k, %v : tensor<2x4x16xf32>, tensor<2x6x16xf32>, tensor<2x6x8xf32> -> tensor<2x4x8xf32>
  func.return %y : tensor<2x4x8xf32>
}

// Causal: scores where key position > query position become -inf before softmax.
// CHECK-LABEL: func.func @attention_causal(
// CHECK-NEXT:    [[TRANSPOSE:%.+]] = nn.transpose %k perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK-NEXT:    [[MATMUL:%.+]] = nn.matmul %q, [[TRANSPOSE]] : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 0.5 : tensor<4x4xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul [[MATMUL]], [[SPLAT]] : tensor<4x4xf32>
// CHECK-NEXT:    [[IOTA:%.+]] = nn.iota dim = 0 : tensor<4x4xi64>
// CHECK-NEXT:    [[IOTA1:%.+]] = nn.iota dim = 1 : tensor<4x4xi64>
// CHECK-NEXT:    [[GT:%.+]] = nn.gt [[IOTA1]], [[IOTA]] : tensor<4x4xi64> -> tensor<4x4xi1>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat -inf : tensor<4x4xf32>
// CHECK-NEXT:    [[SELECT:%.+]] = nn.select [[GT]], [[SPLAT1]], [[MUL]] : tensor<4x4xi1>, tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max [[SELECT]] axes = [1] keepdims : tensor<4x4xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x4xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub [[SELECT]], [[BROADCAST_IN_DIM]] : tensor<4x4xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<4x4xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [1] keepdims : tensor<4x4xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[SPLAT2:%.+]] = nn.splat 1.0 : tensor<4x1xf32>
// CHECK-NEXT:    [[DIV:%.+]] = nn.div [[SPLAT2]], [[REDUCE_SUM]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[DIV]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x4xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[EXP]], [[BROADCAST_IN_DIM1]] : tensor<4x4xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.matmul [[MUL1]], %v : tensor<4x4xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @attention_causal(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.attention %q, %k, %v causal scale = 0.5 : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
