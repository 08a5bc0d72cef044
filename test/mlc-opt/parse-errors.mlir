// Syntax errors are reported at the offending token as file:line:col, followed by
// the source line and a caret, like clang and MLIR.

// RUN: not %mlc-opt %s --split-input-file 2>&1 | filecheck %s

func.func @missing_operand(%a: i32) -> i32 {
  // CHECK:      parse-errors.mlir:[[# @LINE + 3]]:23: error: operand expected
  // CHECK-NEXT: {{^}}  %0 = arith.addi %a, : i32{{$}}
  // CHECK-NEXT: {{^}}                      ^{{$}}
  %0 = arith.addi %a, : i32
  func.return %0 : i32
}

// -----

func.func @unknown_op(%a: i32) {
  // CHECK:      parse-errors.mlir:[[# @LINE + 3]]:8: error: unknown operation 'foo.bar'
  // CHECK-NEXT: {{^}}  %0 = foo.bar %a : i32{{$}}
  // CHECK-NEXT: {{^}}       ^~~~~~~{{$}}
  %0 = foo.bar %a : i32
  func.return
}

// -----

// xDSL reports undefined values at the end of the input; mlc at their first use.
func.func @undefined_value(%a: i32) -> i32 {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:23: error: use of undefined value '%b'
  %0 = arith.addi %a, %b : i32
  // The error names the other undefined values too.
  %1 = arith.addi %0, %c : i32
  func.return %1 : i32
}
// CHECK-SAME: (also undefined: '%c')

// -----

func.func @type_mismatch(%a: i32) -> i32 {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:19: error: operand is used with type i64, but has been previously used or defined with type i32
  %0 = arith.addi %a, %a : i64
  func.return %0 : i32
}

// -----

func.func @out_of_range() -> i8 {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:3: error: integer value 300 is out of range for type i8
  %0 = arith.constant 300 : i8
  func.return %0 : i8
}

// -----

// CHECK: parse-errors.mlir:[[# @LINE + 1]]:1: error: expected an operation, found '}'
}

// CHECK-NOT: {{: error:}}
