// Round trip of the ops without tensor operands: nn.constant (a dense
// elements attribute), nn.splat (one number, including inf, -inf and nan) and
// nn.iota (the index along one dim).
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// Discardable attributes follow the value's type.
// CHECK-LABEL: func.func @constants(
// CHECK-NEXT:    %{{.*}} = nn.constant dense<[1.000000e+00, -2.500000e+00]> : tensor<2xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.constant dense<7> : tensor<2x3xi32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.constant dense<[true, false]> : tensor<2xi1>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.constant dense<5.000000e-01> : tensor<f64>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.constant {name = "one"} dense<1.000000e+00> : tensor<bf16>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @constants() {
  %c = nn.constant dense<[1.0, -2.5]> : tensor<2xf32>
  %c_splat = nn.constant dense<7> : tensor<2x3xi32>
  %c_bool = nn.constant dense<[true, false]> : tensor<2xi1>
  %c_scalar = nn.constant dense<0.5> : tensor<f64>
  %c_attr = nn.constant {name = "one"} dense<1.0> : tensor<bf16>
  func.return
}

// Floats print exactly (shortest repr); integers for integer tensors, 0 or 1 for i1.
// CHECK-LABEL: func.func @splats(
// CHECK-NEXT:    %{{.*}} = nn.splat -inf : tensor<4x4xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat inf : tensor<4xf16>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat nan : tensor<4xf64>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 0.5 : tensor<2x2xbf16>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 1.0e+30 : tensor<f32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat -1.0e-07 : tensor<f32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat -3 : tensor<3xi32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 1 : tensor<3xi1>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 0 : tensor<3xi1>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 9223372036854775807 : tensor<i64>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.splat 2.0 {tag} : tensor<2xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @splats() {
  %neg_inf = nn.splat -inf : tensor<4x4xf32>
  %inf = nn.splat inf : tensor<4xf16>
  %nan = nn.splat nan : tensor<4xf64>
  %half = nn.splat 0.5 : tensor<2x2xbf16>
  %big = nn.splat 1.0e+30 : tensor<f32>
  %tiny = nn.splat -1.0e-07 : tensor<f32>
  %int = nn.splat -3 : tensor<3xi32>
  %true = nn.splat 1 : tensor<3xi1>
  %false = nn.splat 0 : tensor<3xi1>
  %i64_max = nn.splat 9223372036854775807 : tensor<i64>
  %attr = nn.splat 2.0 {tag} : tensor<2xf32>
  func.return
}

// CHECK-LABEL: func.func @iota(
// CHECK-NEXT:    %{{.*}} = nn.iota dim = 1 : tensor<4x8xi64>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.iota dim = 0 : tensor<4x8xi32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.iota dim = 0 : tensor<5xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @iota() {
  %cols = nn.iota dim = 1 : tensor<4x8xi64>
  %rows = nn.iota dim = 0 : tensor<4x8xi32>
  %f = nn.iota dim = 0 : tensor<5xf32>
  func.return
}
