// Errors in nn ops point at the offending line and column: the verifier's at the
// op (its first token), the parser's at the token it rejects. Each chunk stops
// at its first error and the driver exits non-zero.
// RUN: not mlc-opt %s --split-input-file 2>&1 | filecheck %s

func.func @stated_result_type_differs(%a: tensor<4xf32>) -> tensor<4xf16> {
  // CHECK: located_errors.mlir:[[# @LINE + 1]]:3: error: 'nn.add' op result type tensor<4xf16> does not match the inferred type tensor<4xf32>
  %0 = nn.add %a, %a : tensor<4xf32> -> tensor<4xf16>
  func.return %0 : tensor<4xf16>
}

// -----

func.func @stated_result_shape_differs(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // CHECK: located_errors.mlir:[[# @LINE + 1]]:3: error: 'nn.reduce_sum' op result type tensor<4x1xf32> does not match the inferred type tensor<4xf32>
  %0 = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4x1xf32>
  func.return %0 : tensor<4x1xf32>
}

// -----

func.func @unknown_parameter(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: located_errors.mlir:[[# @LINE + 1]]:22: error: unknown parameter 'dim' for 'nn.softmax' (expected: axis)
  %0 = nn.softmax %x dim = 1 : tensor<4x8xf32>
  func.return %0 : tensor<4x8xf32>
}

// -----

func.func @bad_parameter_value(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: located_errors.mlir:[[# @LINE + 1]]:25: error: invalid value 1 for parameter 'axes'
  %0 = nn.reduce_sum %x axes = 1 : tensor<4x8xf32> -> tensor<4x8xf32>
  func.return %0 : tensor<4x8xf32>
}
