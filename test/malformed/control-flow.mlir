// nn programs are straight-line: a function of several blocks is a located error
// of the pass that cannot handle it, not a crash.

// RUN: not %mlc-opt %s -p fuse 2>&1 | filecheck %s
// RUN: not %mlc-opt %s -p convert-nn-to-loop 2>&1 | filecheck %s
// RUN: not %mlc-opt %s -p mlc-cpu-pipeline --emit=llvm 2>&1 | filecheck %s
// CHECK: control-flow.mlir:[[# @LINE + 2]]:1: error: fuse needs functions of one block; @branches has 3 (control flow is not supported)

func.func @branches(%c: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  func.return %x : tensor<4xf32>
^bb2:
  %y = nn.neg %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}
