// Round trip of the loop dialect: every op and syntax form of loop.kernel,
// loop.load, loop.store and loop.reduce prints in its custom syntax and parses
// back, also from the generic form. Index expressions print fully parenthesised,
// with subtraction as the addition of a negative constant. Every load is in bounds
// (the verifier checks indices computed from the domain alone).
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// A named kernel with a reduction dim: softmax in one kernel.
// CHECK-LABEL: func.func @softmax(
// CHECK-NEXT:    %y = loop.kernel "softmax" domain(%i: 4, %j: 8 reduction) ins(%x = %arg0 : tensor<4x8xf32>) outs(%out : tensor<4x8xf32>) {
// CHECK-NEXT:      %v = loop.load %x[%i, %j] : tensor<4x8xf32>
// CHECK-NEXT:      %m = loop.reduce max %v : f32
// CHECK-NEXT:      %d = arith.subf %v, %m : f32
// CHECK-NEXT:      %e = math.exp %d : f32
// CHECK-NEXT:      %s = loop.reduce add %e : f32
// CHECK-NEXT:      %r = arith.divf %e, %s : f32
// CHECK-NEXT:      loop.store %r, %out[%i, %j] : tensor<4x8xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %y : tensor<4x8xf32>
func.func @softmax(%arg0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = loop.kernel "softmax" domain(%i: 4, %j: 8 reduction) ins(%x = %arg0 : tensor<4x8xf32>) outs(%out : tensor<4x8xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<4x8xf32>
  }
  func.return %y : tensor<4x8xf32>
}

// An unnamed kernel with several results, a broadcast load, constant indices,
// every reduction kind, a reduction dim before a parallel one, and discardable
// attributes on the kernel (after `attributes`) and on each op.
// CHECK-LABEL: func.func @multiple_results(
// CHECK-NEXT:    %y, %y_1 = loop.kernel domain(%k: 3 reduction, %i: 4) ins(%x = %a : tensor<3x4xf32>, %w = %b : tensor<4xf32>) outs(%sum : tensor<1x4xf32>, %prod : tensor<4xf32>) attributes {fused = 2 : i64} {
// CHECK-NEXT:      %v = loop.load %x[%k, %i] {tag} : tensor<3x4xf32>
// CHECK-NEXT:      %wi = loop.load %w[%i] : tensor<4xf32>
// CHECK-NEXT:      %w0 = loop.load %w[3] : tensor<4xf32>
// CHECK-NEXT:      %s = loop.reduce add %v {tag} : f32
// CHECK-NEXT:      %p = loop.reduce mul %v : f32
// CHECK-NEXT:      %hi = loop.reduce max %v : f32
// CHECK-NEXT:      %lo = loop.reduce min %v : f32
// CHECK-NEXT:      %t = arith.addf %s, %wi : f32
// CHECK-NEXT:      %u = arith.mulf %p, %w0 : f32
// CHECK-NEXT:      loop.store %t, %sum[0, %i] {tag} : tensor<1x4xf32>
// CHECK-NEXT:      loop.store %u, %prod[%i] : tensor<4xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %y, %y_1 : tensor<1x4xf32>, tensor<4xf32>
func.func @multiple_results(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>) {
  %y:2 = loop.kernel domain(%k: 3 reduction, %i: 4) ins(%x = %a : tensor<3x4xf32>, %w = %b : tensor<4xf32>) outs(%sum : tensor<1x4xf32>, %prod : tensor<4xf32>) attributes {fused = 2} {
    %v = loop.load %x[%k, %i] {tag} : tensor<3x4xf32>
    %wi = loop.load %w[%i] : tensor<4xf32>
    %w0 = loop.load %w[3] : tensor<4xf32>
    %s = loop.reduce add %v {tag} : f32
    %p = loop.reduce mul %v : f32
    %hi = loop.reduce max %v : f32
    %lo = loop.reduce min %v : f32
    %t = arith.addf %s, %wi : f32
    %u = arith.mulf %p, %w0 : f32
    loop.store %t, %sum[0, %i] {tag} : tensor<1x4xf32>
    loop.store %u, %prod[%i] : tensor<4xf32>
  }
  func.return %y#0, %y#1 : tensor<1x4xf32>, tensor<4xf32>
}

// Affine index expressions: slices, a wrapping shift, reversal, reshapes, and
// computed indices (a gather) mixed with domain indices.
// CHECK-LABEL: func.func @indices(
// CHECK-NEXT:    %y = loop.kernel "gather" domain(%i: 4, %j: 2) ins(%x = %a : tensor<8xf32>, %t = %table : tensor<10x3xf32>, %id = %ids : tensor<4xi64>) outs(%o : tensor<4x2xf32>) {
// CHECK-NEXT:      %slice = loop.load %x[((%i * 2) + 1)] : tensor<8xf32>
// CHECK-NEXT:      %shift = loop.load %x[((%i + -1) mod 8)] : tensor<8xf32>
// CHECK-NEXT:      %rev = loop.load %x[((%i * -1) + 7)] : tensor<8xf32>
// CHECK-NEXT:      %split = loop.load %x[((%i floordiv 2) + (%j mod 2))] : tensor<8xf32>
// CHECK-NEXT:      %half = loop.load %x[(%i ceildiv 2)] : tensor<8xf32>
// CHECK-NEXT:      %same = loop.load %x[%i] : tensor<8xf32>
// CHECK-NEXT:      %idx = loop.load %id[%i] : tensor<4xi64>
// CHECK-NEXT:      %ii = arith.index_cast %idx : i64 to index
// CHECK-NEXT:      %g = loop.load %t[%ii, %j] : tensor<10x3xf32>
// CHECK-NEXT:      %g2 = loop.load %t[((%ii * 2) + %i), (%j + 1)] : tensor<10x3xf32>
// CHECK-NEXT:      loop.store %g, %o[%i, %j] : tensor<4x2xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %y : tensor<4x2xf32>
func.func @indices(%a: tensor<8xf32>, %table: tensor<10x3xf32>, %ids: tensor<4xi64>) -> tensor<4x2xf32> {
  %y = loop.kernel "gather" domain(%i: 4, %j: 2) ins(%x = %a : tensor<8xf32>, %t = %table : tensor<10x3xf32>, %id = %ids : tensor<4xi64>) outs(%o : tensor<4x2xf32>) {
    %slice = loop.load %x[%i * 2 + 1] : tensor<8xf32>
    %shift = loop.load %x[(%i - 1) mod 8] : tensor<8xf32>
    %rev = loop.load %x[-%i + 7] : tensor<8xf32>
    %split = loop.load %x[%i floordiv 2 + %j mod 2] : tensor<8xf32>
    %half = loop.load %x[%i ceildiv 2] : tensor<8xf32>
    %same = loop.load %x[%i + 1 - 1] : tensor<8xf32>
    %idx = loop.load %id[%i] : tensor<4xi64>
    %ii = arith.index_cast %idx : i64 to index
    %g = loop.load %t[%ii, %j] : tensor<10x3xf32>
    %g2 = loop.load %t[%ii * 2 + %i, %j + 1] : tensor<10x3xf32>
    loop.store %g, %o[%i, %j] : tensor<4x2xf32>
  }
  func.return %y : tensor<4x2xf32>
}

// Rank 0: an empty domain list and empty index lists; no inputs; a size-0 dim.
// CHECK-LABEL: func.func @rank_zero(
// CHECK-NEXT:    %y = loop.kernel domain() ins(%x = %a : tensor<f32>) outs(%o : tensor<f32>) {
// CHECK-NEXT:      %v = loop.load %x[] : tensor<f32>
// CHECK-NEXT:      loop.store %v, %o[] : tensor<f32>
// CHECK-NEXT:    }
// CHECK-NEXT:    %z = loop.kernel domain(%i: 0, %j: 3) ins() outs(%e : tensor<0x3xi32>) {
// CHECK-NEXT:      %c = arith.constant 7 : i32
// CHECK-NEXT:      loop.store %c, %e[%i, %j] : tensor<0x3xi32>
// CHECK-NEXT:    }
func.func @rank_zero(%a: tensor<f32>) -> (tensor<f32>, tensor<0x3xi32>) {
  %y = loop.kernel domain() ins(%x = %a : tensor<f32>) outs(%o : tensor<f32>) {
    %v = loop.load %x[] : tensor<f32>
    loop.store %v, %o[] : tensor<f32>
  }
  %z = loop.kernel domain(%i: 0, %j: 3) ins() outs(%e : tensor<0x3xi32>) {
    %c = arith.constant 7 : i32
    loop.store %c, %e[%i, %j] : tensor<0x3xi32>
  }
  func.return %y, %z : tensor<f32>, tensor<0x3xi32>
}

// An empty body prints as an empty region and parses back.
// CHECK-LABEL: func.func @empty_body(
// CHECK-NEXT:    loop.kernel domain(%i: 4) ins() outs() {
// CHECK-NEXT:    }
// CHECK-NEXT:    loop.kernel "nothing" domain() ins(%x = %a : tensor<f32>) outs() {
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
func.func @empty_body(%a: tensor<f32>) {
  loop.kernel domain(%i: 4) ins() outs() {}
  loop.kernel "nothing" domain() ins(%x = %a : tensor<f32>) outs() {
  }
  func.return
}
