// Running loop.kernel with the reference interpreter: exact numbers for fixed
// inputs, a kernel against the nn op it fuses on random inputs (mlc-run --seed),
// and the run-time error for an out-of-bounds load. The verifier rejects loads whose
// indices come from the domain alone and leave the tensor (see invalid.mlir), so
// the load here reads through an index computed from a loaded value.
// RUN: mlc-opt %s --run=softmax | filecheck %s --check-prefix=SOFTMAX
// RUN: mlc-opt %s --run=gather_rows | filecheck %s --check-prefix=GATHER
// RUN: mlc-run %s --function softmax_vs_nn --seed 0 | filecheck %s --check-prefix=DIFF
// RUN: mlc-run %s --function softmax_vs_nn --seed 7 | filecheck %s --check-prefix=DIFF
// RUN: not mlc-opt %s --run=out_of_bounds 2>&1 | filecheck %s --check-prefix=OOB

// SOFTMAX:      result #0: tensor<2x3xf32> = [[0.090031, 0.244728, 0.665241],
// SOFTMAX-NEXT:                               [0.000000, 0.000000, 1.000000]]
func.func @softmax() -> tensor<2x3xf32> {
  %x0 = nn.constant dense<[[0.0, 1.0, 2.0], [-1.0, 0.5, 100.0]]> : tensor<2x3xf32>
  %y = loop.kernel "softmax" domain(%i: 2, %j: 3 reduction) ins(%x = %x0 : tensor<2x3xf32>) outs(%out : tensor<2x3xf32>) {
    %v = loop.load %x[%i, %j] : tensor<2x3xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<2x3xf32>
  }
  func.return %y : tensor<2x3xf32>
}

// Rows 2, 0, 2 of the table, plus 10 times the row's sum, and the row sums.
// GATHER:      result #0: tensor<3x2xf32> = [[94.000000, 95.000000],
// GATHER-NEXT:                               [10.000000, 11.000000],
// GATHER-NEXT:                               [94.000000, 95.000000]]
// GATHER-NEXT: result #1: tensor<3x1xf32> = [[9.000000],
// GATHER-NEXT:                               [1.000000],
// GATHER-NEXT:                               [9.000000]]
func.func @gather_rows() -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  %t0 = nn.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]> : tensor<3x2xf32>
  %ids0 = nn.constant dense<[2, 0, 2]> : tensor<3xi64>
  %y:2 = loop.kernel "gather_sum" domain(%i: 3, %j: 2 reduction) ins(%table = %t0 : tensor<3x2xf32>, %ids = %ids0 : tensor<3xi64>) outs(%o : tensor<3x2xf32>, %sums : tensor<3x1xf32>) {
    %idx = loop.load %ids[%i] : tensor<3xi64>
    %ii = arith.index_cast %idx : i64 to index
    %v = loop.load %table[%ii, %j] : tensor<3x2xf32>
    %s = loop.reduce add %v : f32
    %ten = arith.constant 10.0 : f32
    %st = arith.mulf %s, %ten : f32
    %r = arith.addf %v, %st : f32
    loop.store %r, %o[%i, %j] : tensor<3x2xf32>
    loop.store %s, %sums[%i, 0] : tensor<3x1xf32>
  }
  func.return %y#0, %y#1 : tensor<3x2xf32>, tensor<3x1xf32>
}

// The largest difference between the kernel and nn.softmax on random inputs.
// DIFF: result #0: tensor<f32> = 0.000000
// DIFF-NOT: result
func.func @softmax_vs_nn(%arg0: tensor<8x16xf32>) -> tensor<f32> {
  %y = loop.kernel "softmax" domain(%i: 8, %j: 16 reduction) ins(%x = %arg0 : tensor<8x16xf32>) outs(%out : tensor<8x16xf32>) {
    %v = loop.load %x[%i, %j] : tensor<8x16xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %out[%i, %j] : tensor<8x16xf32>
  }
  %ref = nn.softmax %arg0 axis = 1 : tensor<8x16xf32>
  %diff = nn.sub %y, %ref : tensor<8x16xf32>
  %abs = nn.abs %diff : tensor<8x16xf32>
  %max = nn.reduce_max %abs axes = [0, 1] : tensor<8x16xf32> -> tensor<f32>
  func.return %max : tensor<f32>
}

// OOB: run.mlir:[[# @LINE + 8]]:5: error: 'loop.load' op index 4 is out of range [0, 4) in dim 0 of tensor<4xf32> at %i = 2
// OOB-NOT: result
func.func @out_of_bounds() -> tensor<4xf32> {
  %x0 = nn.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %ids0 = nn.constant dense<[1, 2, 3, 0]> : tensor<4xi64>
  %y = loop.kernel domain(%i: 4) ins(%x = %x0 : tensor<4xf32>, %ids = %ids0 : tensor<4xi64>) outs(%o : tensor<4xf32>) {
    %idx = loop.load %ids[%i] : tensor<4xi64>
    %ii = arith.index_cast %idx : i64 to index
    %v = loop.load %x[%ii + 1] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}
