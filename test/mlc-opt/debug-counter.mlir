// Debug counters limit individual decisions (like LLVM's -debug-counter): a refused
// fusion decision is a remark with its number, and the kernels show it was refused.

// RUN: %mlc-opt --list-debug-counters | filecheck %s --check-prefix=LIST
// LIST:      Available debug counters (--debug-counter=NAME-skip=N,NAME-count=M):
// LIST-NEXT:   fuse            fuse: an op joining a kernel, or two kernels merging horizontally
// LIST-NEXT:   fuse-recompute  fuse: an element-wise value recomputed by its readers instead of stored

// Three decisions (%b, %c and %d each join the kernel of the op before): skip the
// first, take the second, refuse the rest.
// RUN: %mlc-opt %s -p 'fuse{remarks=true max-recompute=0}' --debug-counter=fuse-skip=1,fuse-count=1 \
// RUN:   --print-debug-counters -o %t 2>&1 | filecheck %s --check-prefix=REMARKS
// REMARKS:      debug-counter.mlir:[[# @LINE + 38]]:3: remark: not fused into kernel #0: vertical fusion refused by debug counter 'fuse' (decision 1)
// REMARKS:      debug-counter.mlir:[[# @LINE + 39]]:3: remark: not fused into kernel #1: vertical fusion refused by debug counter 'fuse' (decision 3)
// REMARKS:      debug counter 'fuse': 3 decisions (skip=1,count=1)
// RUN: filecheck %s --check-prefix=KERNELS < %t
// KERNELS-LABEL: func.func @chain
// KERNELS:         loop.kernel "chain_k0"
// KERNELS:           math.exp
// KERNELS-NOT:       math.tanh
// KERNELS:         loop.kernel "chain_k1"
// KERNELS:           math.tanh
// KERNELS:           arith.negf
// KERNELS-NOT:       math.absf
// KERNELS:         loop.kernel "chain_k2"
// KERNELS:           math.absf

// With no counter given, every decision is taken: one kernel.
// RUN: %mlc-opt %s -p 'fuse{max-recompute=0}' --print-debug-counters 2>&1 | filecheck %s --check-prefix=ALL
// ALL: debug counter 'fuse': 3 decisions (unlimited)
// ALL: loop.kernel "chain_k0"
// ALL-NOT: loop.kernel

// fuse-recompute counts the values readers would recompute instead of loading.
// RUN: %mlc-opt %s -p 'fuse{remarks=true}' --debug-counter=fuse-recompute-skip=1 \
// RUN:   --print-debug-counters -o /dev/null 2>&1 | filecheck %s --check-prefix=RECOMPUTE
// RECOMPUTE:     debug-counter.mlir:[[# @LINE + 13]]:3: remark: stored, not recomputed: recomputation refused by debug counter 'fuse-recompute' (decision 1)
// RECOMPUTE-NOT: decision 2
// RECOMPUTE:     debug counter 'fuse-recompute': 1 decision (skip=1)

// Mistakes in the spec are usage errors.
// RUN: not %mlc-opt %s --debug-counter=fuze-count=1 2>&1 | filecheck %s --check-prefix=UNKNOWN
// UNKNOWN: mlc-opt: error: --debug-counter: unknown debug counter 'fuze'; did you mean 'fuse'? (see --list-debug-counters)
// RUN: not %mlc-opt %s --debug-counter=fuse=1 2>&1 | filecheck %s --check-prefix=SYNTAX
// SYNTAX: mlc-opt: error: --debug-counter: expected NAME-skip=N or NAME-count=N, got 'fuse=1'
// RUN: not %mlc-opt %s --debug-counter=fuse-skip=x 2>&1 | filecheck %s --check-prefix=NUMBER
// NUMBER: mlc-opt: error: --debug-counter: fuse-skip needs a non-negative integer, got 'x'

func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %a = nn.exp %x : tensor<4x8xf32>
  %b = nn.tanh %a : tensor<4x8xf32>
  %c = nn.neg %b : tensor<4x8xf32>
  %d = nn.abs %c : tensor<4x8xf32>
  func.return %d : tensor<4x8xf32>
}
