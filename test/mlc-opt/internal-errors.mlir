// A pass that crashes is a bug in mlc: mlc-opt names the pass, writes a crash
// reproducer (crash-reproducer.mlir) and says how to see the traceback, but never
// prints one unasked. A pass that leaves invalid IR is
// named in the verifier's error.

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p cse,test-crash 2>&1 | filecheck %s --check-prefix=CRASH
// CRASH:      mlc-opt: internal error in pass 'test-crash': RuntimeError: the test pass crashed on purpose
// CRASH-NEXT: mlc-opt: note: this is a bug in mlc; rerun with --show-traceback to see where
// CRASH-NEXT: mlc-opt: note: crash reproducer written to {{.*}}; reproduce with: mlc-opt
// CRASH-NOT:  Traceback

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-crash --show-traceback 2>&1 \
// RUN:   | filecheck %s --check-prefix=TRACEBACK
// TRACEBACK: Traceback (most recent call last):
// TRACEBACK: RuntimeError: the test pass crashed on purpose

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-break-ir,cse 2>&1 | filecheck %s --check-prefix=BROKEN
// BROKEN: internal-errors.mlir:[[# @LINE + 7]]:3: error: 'func.return' op expected arguments to have the same types as the function output types: expected [i32, i1], got [i32] (IR after pass 'test-break-ir' failed to verify)

// With --no-verify-each the broken IR reaches the output.
// RUN: %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-break-ir --no-verify-each | filecheck %s --check-prefix=UNVERIFIED
// UNVERIFIED: func.func @f(%a: i32) -> (i32, i1)

func.func @f(%a: i32) -> i32 {
  func.return %a : i32
}
