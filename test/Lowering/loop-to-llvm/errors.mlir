// RUN: not mlc-opt %s -p convert-loop-to-llvm 2>&1 | filecheck %s

// An op without a lowering is a located error, not a crash.
// CHECK: errors.mlir:[[# @LINE + 4]]:5: error: 'math.ctlz' op has no lowering to LLVM
func.func @count(%a: tensor<4xi32>) -> tensor<4xi32> {
  %y = loop.kernel "count_k" domain(%i: 4) ins(%x = %a : tensor<4xi32>) outs(%o : tensor<4xi32>) {
    %v = loop.load %x[%i] : tensor<4xi32>
    %c = math.ctlz %v : i32
    loop.store %c, %o[%i] : tensor<4xi32>
  }
  func.return %y : tensor<4xi32>
}
