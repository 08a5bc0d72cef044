// RUN: mlc-opt %s -p 'decompose{keep=softmax,layer_norm}' | filecheck %s --check-prefix=KEEP
// RUN: mlc-opt %s -p 'decompose{only=gelu}' | filecheck %s --check-prefix=ONLY
// RUN: mlc-opt %s -p 'decompose{keep=nn.softmax,layer_norm}' | filecheck %s --check-prefix=KEEP
// RUN: not mlc-opt %s -p 'decompose{keep=softmax},verify-primitives' 2>&1 | filecheck %s --check-prefix=LEFT
// RUN: not mlc-opt %s -p 'decompose{keep=add}' 2>&1 | filecheck %s --check-prefix=NOT-COMPOSITE
// RUN: not mlc-opt %s -p 'decompose{keep=softmax only=gelu}' 2>&1 | filecheck %s --check-prefix=BOTH
// RUN: not mlc-opt %s -p 'decompose{keeps=softmax}' 2>&1 | filecheck %s --check-prefix=UNKNOWN

// keep= leaves the named composites; everything else becomes primitives.
// KEEP-LABEL: func.func @block(
// KEEP-NEXT:    nn.softmax
// KEEP-NOT:     nn.gelu
// KEEP:         nn.erf
// KEEP-NOT:     nn.gelu
// KEEP:         nn.layer_norm
// KEEP-NEXT:    func.return

// only= decomposes the named composites and nothing else.
// ONLY-LABEL: func.func @block(
// ONLY-NEXT:    nn.softmax
// ONLY-NOT:     nn.gelu
// ONLY:         nn.erf
// ONLY-NOT:     nn.gelu
// ONLY:         nn.layer_norm
// ONLY-NEXT:    func.return

// LEFT: options.mlir:[[# @LINE + 5]]:3: error: 'nn.softmax' is a composite; run 'decompose' (without keeping it) first
// NOT-COMPOSITE: 'add' in keep= is not a composite (composites: attention, broadcast_to, gelu, layer_norm, linear, log_softmax, reduce_mean, relu, rms_norm, sigmoid, silu, softmax)
// BOTH: give keep= or only=, not both
// UNKNOWN: keeps
func.func @block(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %s = nn.softmax %x axis = 1 : tensor<4x8xf32>
  %g = nn.gelu %s : tensor<4x8xf32>
  %y = nn.layer_norm %g, %w, %b axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}
