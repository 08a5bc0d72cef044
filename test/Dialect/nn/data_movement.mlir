// Round trip of nn.matmul and the data-movement ops, with the result types they
// infer (or, for reshape, cast-like broadcasts and broadcast_in_dim, check).
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// [..., m, k] x [..., k, n] -> [..., m, n]; the batch dims broadcast.
// CHECK-LABEL: func.func @matmul(
// CHECK-NEXT:    %{{.*}} = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.matmul %batched, %rhs : tensor<2x1x4x8xf16>, tensor<3x8x5xf16> -> tensor<2x3x4x5xf16>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.matmul %ia, %ib : tensor<4x8xi32>, tensor<8x2xi32> -> tensor<4x2xi32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %batched: tensor<2x1x4x8xf16>, %rhs: tensor<3x8x5xf16>, %ia: tensor<4x8xi32>, %ib: tensor<8x2xi32>) {
  %mm = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32>
  %bmm = nn.matmul %batched, %rhs : tensor<2x1x4x8xf16>, tensor<3x8x5xf16>
  %imm = nn.matmul %ia, %ib : tensor<4x8xi32>, tensor<8x2xi32> -> tensor<4x2xi32>
  func.return
}

// transpose, expand_dims and squeeze infer their results; reshape states it (and
// is the identity without one).
// CHECK-LABEL: func.func @layout(
// CHECK-NEXT:    %{{.*}} = nn.transpose %x perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reshape %x : tensor<2x3x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.expand_dims %x axes = [0, 3] : tensor<2x3x4xf32> -> tensor<1x2x3x1x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.squeeze %e axes = [3, 0] : tensor<1x2x3x1x4xf32> -> tensor<2x3x4xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @layout(%x: tensor<2x3x4xf32>) {
  %t = nn.transpose %x perm = [2, 0, 1] : tensor<2x3x4xf32>
  %r = nn.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %r_same = nn.reshape %x : tensor<2x3x4xf32>
  %e = nn.expand_dims %x axes = [0, 3] : tensor<2x3x4xf32>
  %s = nn.squeeze %e axes = [3, 0] : tensor<1x2x3x1x4xf32>
  func.return
}

// CHECK-LABEL: func.func @broadcast(
// CHECK-NEXT:    %{{.*}} = nn.broadcast_to %row : tensor<8xf32> -> tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.broadcast_to %col : tensor<4x1xi64>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.broadcast_in_dim %row dims = [1] : tensor<8xf32> -> tensor<4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.broadcast_in_dim %col dims = [0, 2] : tensor<4x1xi64> -> tensor<4x3x5xi64>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @broadcast(%row: tensor<8xf32>, %col: tensor<4x1xi64>) {
  %bt = nn.broadcast_to %row : tensor<8xf32> -> tensor<2x4x8xf32>
  %bt_same = nn.broadcast_to %col : tensor<4x1xi64>
  %bid = nn.broadcast_in_dim %row dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %bid_col = nn.broadcast_in_dim %col dims = [0, 2] : tensor<4x1xi64> -> tensor<4x3x5xi64>
  func.return
}

// concat is variadic (one operand is allowed); slice rounds (stop - start) / step
// up and may produce an empty dim; gather splices the index shape in at `axis`.
// CHECK-LABEL: func.func @concat_slice_gather(
// CHECK-NEXT:    %{{.*}} = nn.concat %a, %b, %a axis = 1 : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x3xf32> -> tensor<2x11xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.concat %a, %a axis = 0 : tensor<2x3xf32> -> tensor<4x3xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.concat %a axis = 0 : tensor<2x3xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.slice %table start = [1, 0] stop = [10, 4] step = [2, 3] : tensor<10x4xf32> -> tensor<5x2xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.slice %table start = [3, 0] stop = [3, 4] step = [1, 1] : tensor<10x4xf32> -> tensor<0x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.gather %table, %ids axis = 0 : tensor<10x4xf32>, tensor<2x3xi32> -> tensor<2x3x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.gather %table, %ids64 axis = 1 : tensor<10x4xf32>, tensor<7xi64> -> tensor<10x7xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @concat_slice_gather(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %table: tensor<10x4xf32>, %ids: tensor<2x3xi32>, %ids64: tensor<7xi64>) {
  %cat = nn.concat %a, %b, %a axis = 1 : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x3xf32>
  %cat_same = nn.concat %a, %a axis = 0 : tensor<2x3xf32>
  %one = nn.concat %a axis = 0 : tensor<2x3xf32>
  %sl = nn.slice %table start = [1, 0] stop = [10, 4] step = [2, 3] : tensor<10x4xf32>
  %empty = nn.slice %table start = [3, 0] stop = [3, 4] step = [1, 1] : tensor<10x4xf32>
  %rows = nn.gather %table, %ids axis = 0 : tensor<10x4xf32>, tensor<2x3xi32>
  %cols = nn.gather %table, %ids64 axis = 1 : tensor<10x4xf32>, tensor<7xi64>
  func.return
}
