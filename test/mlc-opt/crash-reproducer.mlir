// An internal error writes a crash reproducer (like MLIR's
// --mlir-pass-pipeline-crash-reproducer): the input being compiled and the exact
// pipeline, and mlc-opt prints the command that reproduces the crash from it.

// RUN: not %mlc-opt %s --split-input-file --load-pass-plugin=%S/Inputs/test_passes.py \
// RUN:   -p cse,test-crash --crash-reproducer=%t.repro.mlir 2>&1 | filecheck %s --check-prefix=NOTE
// NOTE:      mlc-opt: internal error in pass 'test-crash': RuntimeError: the test pass crashed on purpose
// NOTE-NEXT: mlc-opt: note: this is a bug in mlc; rerun with --show-traceback to see where
// NOTE-NEXT: mlc-opt: note: crash reproducer written to {{.*}}.repro.mlir; reproduce with: mlc-opt {{.*}}.repro.mlir --load-pass-plugin={{.*}}Inputs/test_passes.py '--pass-pipeline=builtin.module(cse,test-crash)'
// NOTE-NOT:  Traceback

// The file: a header, then the chunk that crashed (only that one).
// RUN: filecheck %s --check-prefix=FILE < %t.repro.mlir
// FILE:      // mlc-opt crash reproducer: PassCrashError: internal error in pass 'test-crash': RuntimeError: the test pass crashed on purpose
// FILE-NEXT: // reproduce with: mlc-opt {{.*}}.repro.mlir --load-pass-plugin={{.*}} '--pass-pipeline=builtin.module(cse,test-crash)'
// FILE:      func.func @first_chunk
// FILE-NOT:  @second{{_}}chunk

// Running the printed command crashes the same way.
// RUN: not %mlc-opt %t.repro.mlir --load-pass-plugin=%S/Inputs/test_passes.py \
// RUN:   '--pass-pipeline=builtin.module(cse,test-crash)' --crash-reproducer=%t.again.mlir 2>&1 \
// RUN:   | filecheck %s --check-prefix=AGAIN
// AGAIN: mlc-opt: internal error in pass 'test-crash': RuntimeError: the test pass crashed on purpose

// Options that change what runs are part of the command.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-crash --no-verify-each \
// RUN:   --debug-counter=fuse-count=2 --emit=llvm --crash-reproducer=%t.options.mlir 2>&1 \
// RUN:   | filecheck %s --check-prefix=OPTIONS
// OPTIONS: reproduce with: mlc-opt {{.*}}.options.mlir --load-pass-plugin={{.*}} '--pass-pipeline=builtin.module(test-crash)' --no-verify-each --debug-counter=fuse-count=2 --emit=llvm

// With --show-traceback the note comes first, then the traceback.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-crash --show-traceback \
// RUN:   --crash-reproducer=%t.traceback.mlir 2>&1 | filecheck %s --check-prefix=TRACEBACK
// TRACEBACK: mlc-opt: note: crash reproducer written to {{.*}}.traceback.mlir
// TRACEBACK: Traceback (most recent call last):
// TRACEBACK: RuntimeError: the test pass crashed on purpose

// Without --crash-reproducer, a new file in the temp dir.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-crash 2>&1 \
// RUN:   | filecheck %s --check-prefix=TEMP
// TEMP: mlc-opt: note: crash reproducer written to {{.*}}mlc-opt-crash-{{.*}}.mlir; reproduce with:

// A reproducer that cannot be written is said so; the crash is still reported.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-crash \
// RUN:   --crash-reproducer=%t.missing/dir/repro.mlir 2>&1 | filecheck %s --check-prefix=UNWRITABLE
// UNWRITABLE:      mlc-opt: internal error in pass 'test-crash'
// UNWRITABLE:      mlc-opt: note: cannot write the crash reproducer to '{{.*}}.missing/dir/repro.mlir': No such file or directory

// Bad input is not a crash: no reproducer.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-break-ir 2>&1 \
// RUN:   | filecheck %s --check-prefix=INPUT
// INPUT:     error: 'func.return' op expected arguments to have the same types
// INPUT-NOT: crash reproducer written

func.func @first_chunk(%a: i32) -> i32 {
  func.return %a : i32
}

// -----

func.func @second_chunk(%a: i32) -> i32 {
  func.return %a : i32
}
