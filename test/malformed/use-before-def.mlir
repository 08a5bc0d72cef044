// A value used before the op that defines it (two lines of a program swapped) must
// be a located verifier error, as in MLIR ("operand #0 does not dominate this use").
// It is accepted today: `mlc.parse` does not check dominance, and --run then fails
// with an internal KeyError in the interpreter. Open bug; when it is fixed, this
// test XPASSes: drop the XFAIL and KNOWN_BUGS in test_malformed_input.py.
// XFAIL: *

// RUN: not %mlc-opt %s 2>&1 | filecheck %s
// CHECK: use-before-def.mlir:[[# @LINE + 3]]:{{[0-9]+}}: error: {{.*}}dominate

func.func @swapped(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.neg %e : tensor<4xf32>
  %e = nn.exp %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}
