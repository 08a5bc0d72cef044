// map-to-gpu's heuristic, one kernel per case: point-wise kernels get grid-stride
// blocks of 256 (a grid no larger than the points need, nor than 4 waves of an
// H100); rows of >= 128 points a block each, of the row size rounded up to a warp
// (at most 512); shorter rows a thread per output point. A kernel that already has
// a mapping keeps it. Contractions get output tiles staged through shared memory:
// 64x64 (256 threads of 4x4 outputs), 32 wide in a dim of at most 32, K chunks of
// 16; tile-m/tile-n/tile-k override them.
// RUN: mlc-opt %s -p map-to-gpu | filecheck %s
// RUN: mlc-opt %s -p 'map-to-gpu{block=128 row-block=64 max-grid=2}' | filecheck %s --check-prefix=OPTS
// RUN: mlc-opt %s -p 'map-to-gpu{tile-m=32 tile-n=128 tile-k=8}' | filecheck %s --check-prefix=TILES
// RUN: not mlc-opt %s -p 'map-to-gpu{block=100}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: not mlc-opt %s -p 'map-to-gpu{tile-m=4}' 2>&1 | filecheck %s --check-prefix=BAD-TILE
// RUN: not mlc-opt %s -p 'map-to-gpu{tile-n=6}' 2>&1 | filecheck %s --check-prefix=BAD-TILE-N

// BAD: block: 100 is not a multiple of 32 in [32, 1024]
// BAD-TILE: tile-m/tile-n/tile-k: tile = [4, 32, 16]: 4 x 32 outputs in 4 x 4 per thread is 8 threads, not a multiple of 32 in [32, 1024]
// BAD-TILE-N: tile-m/tile-n/tile-k: tile = [32, 6, 16]: BM and BN must be positive multiples of 4, BK positive

// CHECK-LABEL: func.func @small_pointwise(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<pointwise, block = 256, grid = 1>
// OPTS-LABEL:  func.func @small_pointwise(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<pointwise, block = 128, grid = 1>
func.func @small_pointwise(%a: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %y = loop.kernel domain(%i: 8, %j: 4) ins(%x = %a : tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) {
    %v = loop.load %x[%i, %j] : tensor<8x4xf32>
    %e = math.exp %v : f32
    loop.store %e, %o[%i, %j] : tensor<8x4xf32>
  }
  func.return %y : tensor<8x4xf32>
}

// 2^26 points: capped at 4 waves of 132 SMs x 2048 threads = 4224 blocks of 256.
// CHECK-LABEL: func.func @large_pointwise(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<pointwise, block = 256, grid = 4224>
// OPTS-LABEL:  func.func @large_pointwise(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<pointwise, block = 128, grid = 2>
func.func @large_pointwise(%a: tensor<16384x4096xf32>) -> tensor<16384x4096xf32> {
  %y = loop.kernel domain(%i: 16384, %j: 4096) ins(%x = %a : tensor<16384x4096xf32>) outs(%o : tensor<16384x4096xf32>) {
    %v = loop.load %x[%i, %j] : tensor<16384x4096xf32>
    loop.store %v, %o[%i, %j] : tensor<16384x4096xf32>
  }
  func.return %y : tensor<16384x4096xf32>
}

// CHECK-LABEL: func.func @long_rows(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<rows, block = 512, grid = 16>
// OPTS-LABEL:  func.func @long_rows(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<rows, block = 64, grid = 2>
func.func @long_rows(%a: tensor<16x4096xf32>) -> tensor<16xf32> {
  %y = loop.kernel domain(%i: 16, %j: 4096 reduction) ins(%x = %a : tensor<16x4096xf32>) outs(%o : tensor<16xf32>) {
    %v = loop.load %x[%i, %j] : tensor<16x4096xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i] : tensor<16xf32>
  }
  func.return %y : tensor<16xf32>
}

// CHECK-LABEL: func.func @rows_of_200(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<rows, block = 224, grid = 3>
func.func @rows_of_200(%a: tensor<3x200xf32>) -> tensor<3xf32> {
  %y = loop.kernel domain(%i: 3, %j: 200 reduction) ins(%x = %a : tensor<3x200xf32>) outs(%o : tensor<3xf32>) {
    %v = loop.load %x[%i, %j] : tensor<3x200xf32>
    %s = loop.reduce max %v : f32
    loop.store %s, %o[%i] : tensor<3xf32>
  }
  func.return %y : tensor<3xf32>
}

// A 32x32x16 matmul: one 32x32 tile (both dims are at most 32) of 64 threads.
// CHECK-LABEL: func.func @matmul(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<tiles, block = 64, grid = 1, tile = [32, 32, 16]>
// OPTS-LABEL:  func.func @matmul(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<tiles, block = 64, grid = 1, tile = [32, 32, 16]>
// TILES-LABEL: func.func @matmul(
// TILES:         gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1, tile = [32, 128, 8]>
func.func @matmul(%a: tensor<32x16xf32>, %b: tensor<16x32xf32>) -> tensor<32x32xf32> {
  %y = loop.kernel domain(%i: 32, %j: 32, %k: 16 reduction) ins(%x = %a : tensor<32x16xf32>, %w = %b : tensor<16x32xf32>) outs(%o : tensor<32x32xf32>) {
    %l = loop.load %x[%i, %k] : tensor<32x16xf32>
    %r = loop.load %w[%k, %j] : tensor<16x32xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    loop.store %s, %o[%i, %j] : tensor<32x32xf32>
  }
  func.return %y : tensor<32x32xf32>
}

// A batched linear (x @ w^T per batch) with bias and relu: 3 batches x 2 x 3 tiles of 64x64; with
// max-grid=2 two blocks stride over the 18 tiles.
// CHECK-LABEL: func.func @batched_linear(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 18, tile = [64, 64, 16]>
// OPTS-LABEL:  func.func @batched_linear(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 2, tile = [64, 64, 16]>
// TILES-LABEL: func.func @batched_linear(
// TILES:         gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 18, tile = [32, 128, 8]>
func.func @batched_linear(%a: tensor<3x70x37xf32>, %b: tensor<3x150x37xf32>, %c: tensor<150xf32>) -> tensor<3x70x150xf32> {
  %y = loop.kernel domain(%n: 3, %i: 70, %j: 150, %k: 37 reduction) ins(%x = %a : tensor<3x70x37xf32>, %w = %b : tensor<3x150x37xf32>, %bias = %c : tensor<150xf32>) outs(%o : tensor<3x70x150xf32>) {
    %l = loop.load %x[%n, %i, %k] : tensor<3x70x37xf32>
    %r = loop.load %w[%n, %j, %k] : tensor<3x150x37xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    %bv = loop.load %bias[%j] : tensor<150xf32>
    %t = arith.addf %s, %bv : f32
    %zero = arith.constant 0.0 : f32
    %relu = arith.maximumf %t, %zero : f32
    loop.store %relu, %o[%n, %i, %j] : tensor<3x70x150xf32>
  }
  func.return %y : tensor<3x70x150xf32>
}

// Not contractions, so no tiles: a max of products (not a sum), and a sum of
// products of i32.
// CHECK-LABEL: func.func @max_of_products(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<threads, block = 256, grid = 4>
// TILES-LABEL: func.func @max_of_products(
// TILES:         gpu.mapping = #mlc_gpu.mapping<threads, block = 256, grid = 4>
func.func @max_of_products(%a: tensor<32x16xf32>, %b: tensor<16x32xf32>) -> tensor<32x32xf32> {
  %y = loop.kernel domain(%i: 32, %j: 32, %k: 16 reduction) ins(%x = %a : tensor<32x16xf32>, %w = %b : tensor<16x32xf32>) outs(%o : tensor<32x32xf32>) {
    %l = loop.load %x[%i, %k] : tensor<32x16xf32>
    %r = loop.load %w[%k, %j] : tensor<16x32xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce max %p : f32
    loop.store %s, %o[%i, %j] : tensor<32x32xf32>
  }
  func.return %y : tensor<32x32xf32>
}

// CHECK-LABEL: func.func @int_matmul(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<rows, block = 160, grid = 1024>
func.func @int_matmul(%a: tensor<32x150xi32>, %b: tensor<150x32xi32>) -> tensor<32x32xi32> {
  %y = loop.kernel domain(%i: 32, %j: 32, %k: 150 reduction) ins(%x = %a : tensor<32x150xi32>, %w = %b : tensor<150x32xi32>) outs(%o : tensor<32x32xi32>) {
    %l = loop.load %x[%i, %k] : tensor<32x150xi32>
    %r = loop.load %w[%k, %j] : tensor<150x32xi32>
    %p = arith.muli %l, %r : i32
    %s = loop.reduce add %p : i32
    loop.store %s, %o[%i, %j] : tensor<32x32xi32>
  }
  func.return %y : tensor<32x32xi32>
}

// CHECK-LABEL: func.func @already_mapped(
// CHECK:         gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 7>
// OPTS-LABEL:  func.func @already_mapped(
// OPTS:          gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 7>
func.func @already_mapped(%a: tensor<8xf32>) -> tensor<8xf32> {
  %y = loop.kernel domain(%i: 8) ins(%x = %a : tensor<8xf32>) outs(%o : tensor<8xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 7>} {
    %v = loop.load %x[%i] : tensor<8xf32>
    loop.store %v, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}
