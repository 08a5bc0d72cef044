// Tensors of 99999999999 x 99999999999 elements: the compiler never allocates them
// (code is generated with 64-bit index arithmetic, in a second), and --run, which
// would, refuses with an error at the parameter instead of a MemoryError.

// RUN: %mlc-opt %s -p mlc-cpu-pipeline | filecheck %s --check-prefix=KERNEL
// KERNEL-LABEL: func.func @huge
// KERNEL:         loop.kernel "huge_k0" domain(%d0: 99999999999, %d1: 99999999999 reduction)

// RUN: %mlc-opt %s -p mlc-cpu-pipeline --emit=llvm | filecheck %s --check-prefix=LLVM
// LLVM-LABEL: define {{.*}}@huge_k0
// LLVM:         mul i64 %{{.*}}, 399999999996

// RUN: not %mlc-opt %s -p mlc-cpu-pipeline --run=huge 2>&1 | filecheck %s --check-prefix=INTERP
// INTERP: huge-dims.mlir:[[# @LINE + 2]]:1: error: 'func.func' op: a tensor<99999999999x99999999999xf32> takes 39999999999200000000004 bytes, more than this machine's {{[0-9]+}}: --run cannot interpret it

func.func @huge(%x: tensor<99999999999x99999999999xf32>) -> tensor<99999999999xf32> {
  %y = nn.softmax %x axis = 1 : tensor<99999999999x99999999999xf32>
  %s = nn.reduce_sum %y axes = [1] : tensor<99999999999x99999999999xf32> -> tensor<99999999999xf32>
  func.return %s : tensor<99999999999xf32>
}
