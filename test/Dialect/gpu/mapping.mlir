// The mlc_gpu dialect's one attribute, #mlc_gpu.mapping, on loop.kernels: each
// strategy prints in its custom syntax and parses back, also from the generic form.
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// CHECK-LABEL: func.func @pointwise(
// CHECK:         attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 256, grid = 1>}
func.func @pointwise(%a: tensor<8xf32>) -> tensor<8xf32> {
  %y = loop.kernel domain(%i: 8) ins(%x = %a : tensor<8xf32>) outs(%o : tensor<8xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 256, grid = 1>} {
    %v = loop.load %x[%i] : tensor<8xf32>
    loop.store %v, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}

// CHECK-LABEL: func.func @rows(
// CHECK:         attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 1024, grid = 4>}
func.func @rows(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4, %j: 8 reduction) ins(%x = %a : tensor<4x8xf32>) outs(%o : tensor<4xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 1024, grid = 4>} {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @threads(
// CHECK:         attributes {gpu.mapping = #mlc_gpu.mapping<threads, block = 32, grid = 2147483647>}
func.func @threads(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4, %j: 8 reduction) ins(%x = %a : tensor<4x8xf32>) outs(%o : tensor<4xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<threads, block = 32, grid = 2147483647>} {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    %s = loop.reduce max %v : f32
    loop.store %s, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @tiles(
// CHECK:         attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 128, grid = 6, tile = [32, 64, 8]>}
func.func @tiles(%a: tensor<70x37xf32>, %b: tensor<37x50xf32>) -> tensor<70x50xf32> {
  %y = loop.kernel domain(%i: 70, %j: 50, %k: 37 reduction) ins(%x = %a : tensor<70x37xf32>, %w = %b : tensor<37x50xf32>) outs(%o : tensor<70x50xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 128, grid = 6, tile = [32, 64, 8]>} {
    %l = loop.load %x[%i, %k] : tensor<70x37xf32>
    %r = loop.load %w[%k, %j] : tensor<37x50xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    loop.store %s, %o[%i, %j] : tensor<70x50xf32>
  }
  func.return %y : tensor<70x50xf32>
}
