// Round trip of the multi-op composites (softmax, log_softmax, layer_norm,
// rms_norm, linear, attention): their parameters, optional operands and
// inferred result types.
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// CHECK-LABEL: func.func @softmax(
// CHECK-NEXT:    %{{.*}} = nn.softmax %x axis = 1 : tensor<4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.log_softmax %x axis = 0 : tensor<4x8xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @softmax(%x: tensor<4x8xf32>) {
  %sm = nn.softmax %x axis = 1 : tensor<4x8xf32>
  %lsm = nn.log_softmax %x axis = 0 : tensor<4x8xf32>
  func.return
}

// weight and bias are optional and shaped like the normalised (trailing) dims;
// an integer eps prints as a float.
// CHECK-LABEL: func.func @norms(
// CHECK-NEXT:    %{{.*}} = nn.layer_norm %x, %w, %b axes = [2] eps = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.layer_norm %x, %w axes = [2] eps = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.layer_norm %x axes = [1, 2] eps = 0.0 : tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.layer_norm %x, %w2, %w2 axes = [2, 1] eps = 1.0e-12 : tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.rms_norm %x, %w axes = [2] eps = 1.0e-06 : tensor<2x4x8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.rms_norm %x axes = [2] eps = 1.0 : tensor<2x4x8xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @norms(%x: tensor<2x4x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>, %w2: tensor<4x8xf32>) {
  %ln = nn.layer_norm %x, %w, %b axes = [2] eps = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %ln_w = nn.layer_norm %x, %w axes = [2] eps = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  %ln_plain = nn.layer_norm %x axes = [1, 2] eps = 0.0 : tensor<2x4x8xf32>
  %ln_2d = nn.layer_norm %x, %w2, %w2 axes = [2, 1] eps = 1.0e-12 : tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  %rms = nn.rms_norm %x, %w axes = [2] eps = 1.0e-06 : tensor<2x4x8xf32>, tensor<8xf32>
  %rms_plain = nn.rms_norm %x axes = [2] eps = 1 : tensor<2x4x8xf32>
  func.return
}

// [..., in] x [out, in] (+ [out]) -> [..., out]; the bias is optional.
// CHECK-LABEL: func.func @linear(
// CHECK-NEXT:    %{{.*}} = nn.linear %x, %w, %b : tensor<2x4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<2x4x16xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.linear %v, %w : tensor<8xf32>, tensor<16x8xf32> -> tensor<16xf32>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @linear(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>, %v: tensor<8xf32>) {
  %y = nn.linear %x, %w, %b : tensor<2x4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %y_nobias = nn.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32>
  %y_vec = nn.linear %v, %w : tensor<8xf32>, tensor<16x8xf32>
  func.return
}

// q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]; `causal` is a
// flag and `scale` an optional float.
// CHECK-LABEL: func.func @attention(
// CHECK-NEXT:    %{{.*}} = nn.attention %q, %k, %v : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x16xf32> -> tensor<2x4x16xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.attention %x, %x, %x causal : tensor<4x8xf16>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.attention %x, %x, %x causal scale = 0.125 : tensor<4x8xf16>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.attention %q, %k, %v scale = 1.0 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x16xf32> -> tensor<2x4x16xf32>{{$}}
// CHECK-NEXT:    %{{.*}} = nn.attention %x, %x, %x causal scale = 0.35355339059327373 : tensor<4x8xf16>{{$}}
// CHECK-NEXT:    func.return{{$}}
func.func @attention(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x16xf32>, %x: tensor<4x8xf16>) {
  %a = nn.attention %q, %k, %v : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x16xf32>
  %causal = nn.attention %x, %x, %x causal : tensor<4x8xf16>
  %scaled = nn.attention %x, %x, %x causal scale = 0.125 : tensor<4x8xf16>
  %scaled_only = nn.attention %q, %k, %v scale = 1 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x16xf32>
  %params_any_order = nn.attention %x, %x, %x scale = 0.35355339059327373 causal : tensor<4x8xf16>
  func.return
}
