// Every error #mlc_gpu.mapping reports: its verifier's three checks, then parse errors.
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{unknown GPU mapping 'tiles' (expected pointwise, rows, threads)}}
func.func @f() attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1>} {
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
