// RUN: mlc-opt %s -p fuse | filecheck %s
// RUN: mlc-opt %s -p 'fuse{reduction=false}' | filecheck %s --check-prefix=OFF
// RUN: mlc-opt %s -p 'fuse{remarks=true}' --verify-diagnostics > /dev/null

// Softmax after decompose: the max, the shifted exp, its sum and the division are
// one kernel that sweeps each row; the reduced values are used "broadcast back".
// CHECK-LABEL: func.func @softmax(
// CHECK-NEXT:    [[Y:%.+]] = loop.kernel "softmax_k0" domain(%d0: 4, %d1: 8 reduction) ins(%x_1 = %x : tensor<4x8xf32>) outs(%y_out : tensor<4x8xf32>) {
// CHECK-NEXT:      [[X:%.+]] = loop.load %x_1[%d0, %d1] : tensor<4x8xf32>
// CHECK-NEXT:      [[MAX:%.+]] = loop.reduce max [[X]] : f32
// CHECK-NEXT:      [[SUB:%.+]] = arith.subf [[X]], [[MAX]] : f32
// CHECK-NEXT:      [[EXP:%.+]] = math.exp [[SUB]] : f32
// CHECK-NEXT:      [[SUM:%.+]] = loop.reduce add [[EXP]] : f32
// CHECK-NEXT:      [[DIV:%.+]] = arith.divf [[EXP]], [[SUM]] : f32
// CHECK-NEXT:      loop.store [[DIV]], %y_out[%d0, %d1] : tensor<4x8xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[Y]]

// Without reduction fusion each reduction is a kernel and the point-wise ops
// between them are kernels of their own.
// OFF-LABEL: func.func @softmax(
// OFF-COUNT-4: loop.kernel
// OFF-NOT:     loop.kernel
// OFF:         func.return
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.reduce_max %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %1 = nn.broadcast_in_dim %0 dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  %2 = nn.sub %x, %1 : tensor<4x8xf32>
  %3 = nn.exp %2 : tensor<4x8xf32>
  %4 = nn.reduce_sum %3 axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %5 = nn.broadcast_in_dim %4 dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  %y = nn.div %3, %5 : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// A row sum stored per row: the output is indexed by the parallel dim only.
// CHECK-LABEL: func.func @row_sum_of_squares(
// CHECK-NEXT:    loop.kernel "row_sum_of_squares_k0" domain(%d0: 4, %d1: 8 reduction)
// CHECK-NEXT:      [[X:%.+]] = loop.load %x_1[%d0, %d1]
// CHECK-NEXT:      [[SQ:%.+]] = arith.mulf [[X]], [[X]] : f32
// CHECK-NEXT:      [[SUM:%.+]] = loop.reduce add [[SQ]] : f32
// CHECK-NEXT:      loop.store [[SUM]], %s_out[%d0] : tensor<4xf32>
func.func @row_sum_of_squares(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %sq = nn.mul %x, %x : tensor<4x8xf32>
  %s = nn.reduce_sum %sq axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  func.return %s : tensor<4xf32>
}

// Reducing rows, then the columns of the result, needs two kernels.
// CHECK-LABEL: func.func @different_axes(
// CHECK:         loop.kernel "different_axes_k0" domain(%d0: 4, %d1: 8 reduction)
// CHECK:         loop.kernel "different_axes_k1" domain(%d0: 4 reduction, %d1: 1)
func.func @different_axes(%x: tensor<4x8xf32>) -> tensor<1x1xf32> {
  %r = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  // expected-remark @+1 {{not fused into kernel #0: reduction dims differ: kernel #0 reduces dims [1], the op dims [0]}}
  %c = nn.reduce_max %r axes = [0] keepdims : tensor<4x1xf32> -> tensor<1x1xf32>
  func.return %c : tensor<1x1xf32>
}

// A consumer that broadcasts a row statistic over a new, longer dim would have to
// recompute the reduction: it reads the stored result instead.
// CHECK-LABEL: func.func @broadcast_wider(
// CHECK:         loop.kernel "broadcast_wider_k0" domain(%d0: 4, %d1: 8 reduction)
// CHECK:         loop.kernel "broadcast_wider_k1" domain(%d0: 4, %d1: 16)
func.func @broadcast_wider(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %r = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %b = nn.broadcast_in_dim %r dims = [0, 1] : tensor<4x1xf32> -> tensor<4x16xf32>
  // expected-remark @+1 {{not fused into kernel #0: would recompute kernel #0 for each of the 16 values of dim 1}}
  %y = nn.exp %b : tensor<4x16xf32>
  func.return %y : tensor<4x16xf32>
}
