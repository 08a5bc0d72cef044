// --split-input-file processes each chunk on its own: a chunk's error does not stop
// the others, errors carry line numbers of this file, and the outputs are joined
// with the same marker.

// RUN: not %mlc-opt %s --split-input-file 2>%t.err | filecheck %s
// RUN: filecheck %s --check-prefix=ERR < %t.err

// CHECK-LABEL: func.func @first
// CHECK:       // -----
// CHECK-NEXT:  // -----
// CHECK-NEXT:  builtin.module {
// CHECK-LABEL: func.func @third
// CHECK:       // -----
// CHECK-NOT:   func.func
func.func @first(%a: i32) -> i32 {
  func.return %a : i32
}

// -----

func.func @second(%a: i32) -> i64 {
  // ERR: split-input-file.mlir:[[# @LINE + 1]]:3: error: 'func.return' op expected arguments to have the same types as the function output types: expected [i64], got [i32]
  func.return %a : i32
}

// -----

func.func @third(%a: i32) -> i32 {
  func.return %a : i32
}

// -----

func.func @fourth(%a: i32) -> i32 {
  // ERR: split-input-file.mlir:[[# @LINE + 1]]:23: error: use of undefined value '%b'
  %0 = arith.addi %a, %b : i32
  func.return %0 : i32
}

// ERR-NOT: error
