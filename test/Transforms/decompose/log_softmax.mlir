// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// log_softmax = (x - max) - log(sum(exp(x - max))).
// CHECK-LABEL: func.func @log_softmax(
// CHECK-NEXT:    [[REDUCE_MAX:%.+]] = nn.reduce_max %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM:%.+]] = nn.broadcast_in_dim [[REDUCE_MAX]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[SUB:%.+]] = nn.sub %x, [[BROADCAST_IN_DIM]] : tensor<4x8xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[SUB]] : tensor<4x8xf32>
// CHECK-NEXT:    [[REDUCE_SUM:%.+]] = nn.reduce_sum [[EXP]] axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    [[LOG:%.+]] = nn.log [[REDUCE_SUM]] : tensor<4x1xf32>
// CHECK-NEXT:    [[BROADCAST_IN_DIM1:%.+]] = nn.broadcast_in_dim [[LOG]] dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.sub [[SUB]], [[BROADCAST_IN_DIM1]] : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>
func.func @log_softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = nn.log_softmax %x axis = 1 : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
