// What convert-gpu-to-nvvm refuses, as located errors: a kernel map-to-gpu has not
// mapped, a block reduction of a type warp shuffles do not carry here, f64
// math that only libm implements (no libdevice), and a tiles mapping on a kernel
// that is not a contraction.
// RUN: mlc-opt %s -p convert-gpu-to-nvvm --split-input-file --verify-diagnostics

func.func @unmapped(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loop.kernel' op has no #mlc_gpu.mapping: run map-to-gpu first}}
  %y = loop.kernel domain(%i: 8) ins(%x = %a : tensor<8xf32>) outs(%o : tensor<8xf32>) {
    %v = loop.load %x[%i] : tensor<8xf32>
    loop.store %v, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}

// -----

func.func @f64_rows(%a: tensor<4x256xf64>) -> tensor<4xf64> {
  %y = loop.kernel domain(%i: 4, %j: 256 reduction) ins(%x = %a : tensor<4x256xf64>) outs(%o : tensor<4xf64>) attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 256, grid = 4>} {
    %v = loop.load %x[%i, %j] : tensor<4x256xf64>
    // expected-error @+1 {{'loop.reduce' op: no GPU block reduction of f64 (f32, bf16 or i32)}}
    %s = loop.reduce add %v : f64
    loop.store %s, %o[%i] : tensor<4xf64>
  }
  func.return %y : tensor<4xf64>
}

// -----

func.func @f32_sin(%a: tensor<8xf32>) -> tensor<8xf32> {
  %y = loop.kernel domain(%i: 8) ins(%x = %a : tensor<8xf32>) outs(%o : tensor<8xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 1>} {
    %v = loop.load %x[%i] : tensor<8xf32>
    // expected-error @+1 {{'math.sin' op: no GPU lowering for f32 (no libdevice yet)}}
    %e = math.sin %v : f32
    loop.store %e, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}

// -----

func.func @f64_exp(%a: tensor<8xf64>) -> tensor<8xf64> {
  %y = loop.kernel domain(%i: 8) ins(%x = %a : tensor<8xf64>) outs(%o : tensor<8xf64>) attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 1>} {
    %v = loop.load %x[%i] : tensor<8xf64>
    // expected-error @+1 {{'math.exp' op: no GPU lowering for f64 (no libdevice yet)}}
    %e = math.exp %v : f64
    loop.store %e, %o[%i] : tensor<8xf64>
  }
  func.return %y : tensor<8xf64>
}

// -----

func.func @tiles_without_a_contraction(%a: tensor<8x300xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loop.kernel' op: a 'tiles' mapping needs a contraction: the reduced value is not a product of two loads}}
  %y = loop.kernel domain(%i: 8, %j: 300 reduction) ins(%x = %a : tensor<8x300xf32>) outs(%o : tensor<8xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 1, tile = [64, 64, 16]>} {
    %v = loop.load %x[%i, %j] : tensor<8x300xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}
