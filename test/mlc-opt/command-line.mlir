// Command-line mistakes are `mlc-opt: error: ...` with exit status 1.

// RUN: not %mlc-opt %t.does-not-exist.mlir 2>&1 | filecheck %s --check-prefix=NO-FILE
// NO-FILE: mlc-opt: error: cannot read '{{.*}}does-not-exist.mlir': No such file or directory

// RUN: not %mlc-opt %s --no-such-flag 2>&1 | filecheck %s --check-prefix=FLAG
// FLAG: mlc-opt: error: unrecognized arguments: --no-such-flag

// Input comes from stdin by default and may have any file name.
// RUN: %mlc-opt < %s | filecheck %s
// RUN: cp %s %t.txt && %mlc-opt %t.txt | filecheck %s
// CHECK-LABEL: func.func @f

// -o writes the output file, but only when the run succeeds.
// RUN: rm -f %t.out && %mlc-opt %s -o %t.out && filecheck %s < %t.out
// RUN: rm -f %t.bad.out && not %mlc-opt %s -p test-break-ir --load-pass-plugin=%S/Inputs/test_passes.py -o %t.bad.out
// RUN: not test -e %t.bad.out

// Errors in stdin are located in <stdin>.
// RUN: echo 'func.func @g(' | not %mlc-opt 2>&1 | filecheck %s --check-prefix=STDIN
// STDIN: <stdin>:2:1: error: expected argument or type

func.func @f() {
  func.return
}
