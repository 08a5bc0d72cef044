// tile_sizes that the loop.kernel verifier rejects, each a located error.
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

func.func @wrong_count(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{tile_sizes has 1 sizes for a domain of rank 2: one per dim}}
  %r = loop.kernel domain(%i: 4, %j: 8) ins(%xa = %x : tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) attributes {tile_sizes = array<i64: 2>} {
    %v = loop.load %xa[%i, %j] : tensor<4x8xf32>
    loop.store %v, %o[%i, %j] : tensor<4x8xf32>
  }
  func.return %r : tensor<4x8xf32>
}

// -----

func.func @zero(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{tile size 0 of dim 1 (size 8) is outside [1, 8]}}
  %r = loop.kernel domain(%i: 4, %j: 8) ins(%xa = %x : tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) attributes {tile_sizes = array<i64: 2, 0>} {
    %v = loop.load %xa[%i, %j] : tensor<4x8xf32>
    loop.store %v, %o[%i, %j] : tensor<4x8xf32>
  }
  func.return %r : tensor<4x8xf32>
}

// -----

func.func @larger_than_dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{tile size 5 of dim 0 (size 4) is outside [1, 4]}}
  %r = loop.kernel domain(%i: 4, %j: 8) ins(%xa = %x : tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) attributes {tile_sizes = array<i64: 5, 8>} {
    %v = loop.load %xa[%i, %j] : tensor<4x8xf32>
    loop.store %v, %o[%i, %j] : tensor<4x8xf32>
  }
  func.return %r : tensor<4x8xf32>
}

// -----

func.func @split_row(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{tile size 4 of reduction dim 1: reduction dims are swept whole (tile size 8), since a sweep needs the earlier sweeps' reduces over the whole row}}
  %r = loop.kernel domain(%i: 4, %j: 8 reduction) ins(%xa = %x : tensor<4x8xf32>) outs(%o : tensor<4xf32>) attributes {tile_sizes = array<i64: 2, 4>} {
    %v = loop.load %xa[%i, %j] : tensor<4x8xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i] : tensor<4xf32>
  }
  func.return %r : tensor<4xf32>
}

// -----

func.func @not_i64(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{tile_sizes must be an array<i64: ...>, got array<i32: 2, 2>}}
  %r = loop.kernel domain(%i: 4, %j: 8) ins(%xa = %x : tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) attributes {tile_sizes = array<i32: 2, 2>} {
    %v = loop.load %xa[%i, %j] : tensor<4x8xf32>
    loop.store %v, %o[%i, %j] : tensor<4x8xf32>
  }
  func.return %r : tensor<4x8xf32>
}
