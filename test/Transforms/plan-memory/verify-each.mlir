// The memory plan is checked wherever IR is verified: after every pass (naming the
// pass that broke it), and when a planned module is parsed.
// RUN: not mlc-opt %s -p 'plan-memory,test-collapse-arena' --load-pass-plugin=%S/../../mlc-opt/Inputs/test_passes.py 2>&1 | filecheck %s
// RUN: mlc-opt %s -p 'plan-memory,test-collapse-arena' --load-pass-plugin=%S/../../mlc-opt/Inputs/test_passes.py --no-verify-each | not mlc-opt 2>&1 | filecheck %s --check-prefix=PARSE
// RUN: mlc-opt %s -p 'plan-memory,test-collapse-arena' --load-pass-plugin=%S/../../mlc-opt/Inputs/test_passes.py --no-verify-each | filecheck %s --check-prefix=UNCHECKED

// %a and %b are live together at k2; collapsed to offset 0, they overlap. The error
// is at k1, where %b is written over %a.
// CHECK: verify-each.mlir:[[# @LINE + 12]]:3: error: result #0 at [0, 256) overlaps result #0 of kernel #0 at [0, 256) while both are live (kernels #1 to #2) (IR after pass 'test-collapse-arena' failed to verify)
// CHECK-NOT: error:
// Reparsed (without locations of its own, the printed IR is <stdin>), the plan is
// rejected by the parser's verification.
// PARSE: <stdin>:{{[0-9]+}}:{{[0-9]+}}: error: result #0 at [0, 256) overlaps result #0 of kernel #0
// UNCHECKED: loop.kernel "k1" {{.*}} attributes {arena_offsets = array<i64: 0>}
func.func @live_together(%x: tensor<64xf32>) -> tensor<64xf32> {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %xi[%i] : tensor<64xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<64xf32>
  }
  %b = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %ai[63 - %i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k2" domain(%i: 64) ins(%ai = %a : tensor<64xf32>, %bi = %b : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %ai[%i] : tensor<64xf32>
    %w = loop.load %bi[%i] : tensor<64xf32>
    %s = arith.addf %v, %w : f32
    loop.store %s, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}
