// Every error #mlc_gpu.mapping reports: its verifier's checks (strategy, block,
// grid, the tile of a tiles mapping), then parse errors.
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{unknown GPU mapping 'warps' (expected pointwise, rows, threads, tiles)}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<warps, block = 256, grid = 1>} {
  func.return
}

// -----

// expected-error @+1 {{block = 100: threads per block must be a multiple of 32 in [32, 1024]}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 100, grid = 1>} {
  func.return
}

// -----

// expected-error @+1 {{block = 2048: threads per block must be a multiple of 32 in [32, 1024]}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 2048, grid = 1>} {
  func.return
}

// -----

// expected-error @+1 {{grid = 0: must be in [1, 2147483647]}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 64, grid = 0>} {
  func.return
}

// -----

// expected-error @+1 {{expected 'grid'}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 64, blocks = 2>} {
  func.return
}

// -----

// expected-error @+1 {{tile = []: a 'tiles' mapping needs [BM, BN, BK]}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1>} {
  func.return
}

// -----

// expected-error @+1 {{a 'rows' mapping has no tile}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 64, grid = 1, tile = [64, 64, 16]>} {
  func.return
}

// -----

// expected-error @+1 {{tile = [64, 30, 16]: BM and BN must be positive multiples of 4, BK positive}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1, tile = [64, 30, 16]>} {
  func.return
}

// -----

// expected-error @+1 {{tile = [64, 64, 0]: BM and BN must be positive multiples of 4, BK positive}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1, tile = [64, 64, 0]>} {
  func.return
}

// -----

// expected-error @+1 {{tile = [16, 16, 8]: 16 x 16 outputs in 4 x 4 per thread is 16 threads, not a multiple of 32 in [32, 1024]}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 32, grid = 1, tile = [16, 16, 8]>} {
  func.return
}

// -----

// expected-error @+1 {{block = 128: a 64 x 64 tile has 256 threads (4 x 4 outputs each)}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 128, grid = 1, tile = [64, 64, 16]>} {
  func.return
}

// -----

// expected-error @+1 {{expected 'tile'}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1, tiles = [64, 64, 16]>} {
  func.return
}
