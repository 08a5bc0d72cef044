// Round trip of the nn reductions: `axes` drops the reduced dims, `keepdims`
// keeps them as size 1, and the elided result type is inferred from both.
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// CHECK-LABEL: func.func @reductions(
// CHECK-NEXT:    %{{.*}} = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_prod %i axes = [2, 0] : tensor<2x3x5xi32> -> tensor<3xi32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_max %i axes = [1] keepdims : tensor<2x3x5xi32> -> tensor<2x1x5xi32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_min %x axes = [0] : tensor<4x8xf32> -> tensor<8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_mean %x axes = [0, 1] keepdims : tensor<4x8xf32> -> tensor<1x1xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @reductions(%x: tensor<4x8xf32>, %i: tensor<2x3x5xi32>) {
  %sum = nn.reduce_sum %x axes = [1] : tensor<4x8xf32>
  %sum_keep = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32>
  %prod = nn.reduce_prod %i axes = [2, 0] : tensor<2x3x5xi32>
  %max = nn.reduce_max %i axes = [1] keepdims : tensor<2x3x5xi32>
  %min = nn.reduce_min %x axes = [0] : tensor<4x8xf32> -> tensor<8xf32>
  %mean = nn.reduce_mean %x axes = [0, 1] keepdims : tensor<4x8xf32>
  func.return
}

// Reducing every dim gives a rank-0 tensor; reducing none is the identity.
// CHECK-LABEL: func.func @all_or_no_axes(
// CHECK-NEXT:    %{{.*}} = nn.reduce_sum %x axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_max %x axes = [] : tensor<4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.reduce_mean %x axes = [1, 0] : tensor<4x8xf32> -> tensor<f32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @all_or_no_axes(%x: tensor<4x8xf32>) {
  %all = nn.reduce_sum %x axes = [0, 1] : tensor<4x8xf32>
  %none = nn.reduce_max %x axes = [] : tensor<4x8xf32>
  %mean = nn.reduce_mean %x axes = [1, 0] : tensor<4x8xf32>
  func.return
}
