// A tensor of 9999 x 3000000000 elements (120 TB): the compiler never allocates it,
// code is generated in a second with 64-bit index arithmetic (a row is 12000000000
// bytes, past any 32-bit offset), and --run, which would allocate it, refuses with
// an error at the function instead of a MemoryError. Tensors of 2^63 bytes or more
// are rejected by the nn verifier (test/Dialect/nn/huge-tensors.mlir).

// RUN: %mlc-opt %s -p mlc-cpu-pipeline | filecheck %s --check-prefix=KERNEL
// KERNEL-LABEL: func.func @huge
// KERNEL:         loop.kernel "huge_k0" domain(%d0: 9999, %d1: 3000000000 reduction)

// RUN: %mlc-opt %s -p mlc-cpu-pipeline --emit=llvm | filecheck %s --check-prefix=LLVM
// LLVM-LABEL: define {{.*}}@huge_k0
// LLVM:         mul i64 %{{.*}}, 12000000000

// RUN: not %mlc-opt %s -p mlc-cpu-pipeline --run=huge 2>&1 | filecheck %s --check-prefix=INTERP
// INTERP: huge-dims.mlir:[[# @LINE + 2]]:1: error: 'func.func' op: a tensor<9999x3000000000xf32> takes 119988000000000 bytes, more than this machine's {{[0-9]+}}: --run cannot interpret it

func.func @huge(%x: tensor<9999x3000000000xf32>) -> tensor<9999xf32> {
  %y = nn.softmax %x axis = 1 : tensor<9999x3000000000xf32>
  %s = nn.reduce_sum %y axes = [1] : tensor<9999x3000000000xf32> -> tensor<9999xf32>
  func.return %s : tensor<9999xf32>
}
