// mlc-run --backend=cpu: the program goes through mlc-cpu-pipeline and LLVM and runs
// natively on the same seeded inputs as the interpreter; --check compares the two.
// RUN: mlc-run %s --backend=cpu --seed 0 | filecheck %s
// RUN: mlc-run %s --seed 0 | filecheck %s
// RUN: mlc-run %s --backend=cpu --seed 0 --check | filecheck %s --check-prefix=CHECK-OK
// RUN: mlc-run %s --backend=cpu --seed 3 --check --function softmax64 | filecheck %s --check-prefix=CHECK-F64
// RUN: mlc-run %s --backend=cpu --seed 0 --check --pipeline decompose | filecheck %s --check-prefix=CHECK-OK
// RUN: not mlc-run %s --check 2>&1 | filecheck %s --check-prefix=USAGE
// RUN: mlc-opt %s --pass-pipeline='builtin.module(mlc-cpu-pipeline)' | filecheck %s --check-prefix=FUSED

// CHECK:      result #0: tensor<2x3xf32> = [[1.429730, 0.814976, 0.000000],
// CHECK-NEXT:                               [1.408900, 0.411412, 0.000000]]
// CHECK-NEXT: result #1: tensor<2xf32> = [1.429730, 1.408900]
// CHECK-NOT:  check:

// CHECK-OK:      result #1: tensor<2xf32> = [1.429730, 1.408900]
// CHECK-OK-NEXT: check: result #0: max abs diff 0, max rel diff 0 (rtol 0.0001, atol 1e-05): ok
// CHECK-OK-NEXT: check: result #1: max abs diff 0, max rel diff 0 (rtol 0.0001, atol 1e-05): ok

// CHECK-F64: result #0: tensor<4x8xf64> =
// CHECK-F64: check: result #0: max abs diff {{.*}} (rtol 1e-09, atol 1e-12): ok

// USAGE: mlc-run: error: --check compares the cpu backend with the interpreter: add --backend=cpu

// One kernel per function, no nn op left.
// FUSED-NOT: nn.
// FUSED:     loop.kernel "bias_relu_max_k0"
// FUSED-NOT: nn.
// FUSED:     func.return
// FUSED-NOT: nn.
// FUSED:     loop.kernel "softmax64_k0"
// FUSED-NOT: nn.
// FUSED:     func.return

func.func @bias_relu_max(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2xf32>) {
  %h = nn.add %x, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %y = nn.relu %h : tensor<2x3xf32>
  %m = nn.reduce_max %y axes = [1] : tensor<2x3xf32> -> tensor<2xf32>
  func.return %y, %m : tensor<2x3xf32>, tensor<2xf32>
}

func.func @softmax64(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  %y = nn.softmax %x axis = 1 : tensor<4x8xf64>
  func.return %y : tensor<4x8xf64>
}
