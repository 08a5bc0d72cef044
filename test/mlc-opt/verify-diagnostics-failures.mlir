// --verify-diagnostics fails (exit 1) when an expected diagnostic is missing or an
// unexpected one appears, and says where, in MLIR's words.

// RUN: not %mlc-opt %s --split-input-file --verify-diagnostics 2>&1 | filecheck %s

// An annotation that nothing matches.
func.func @missing(%a: i32) -> i32 {
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 1]]:6: error: expected error "does not happen" was not produced
  // expected-error @+1 {{does not happen}}
  func.return %a : i32
}

// -----

// A diagnostic that no annotation expects.
func.func @unexpected(%a: i32) -> i64 {
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 3]]:3: error: unexpected error: 'func.return' op expected arguments to have the same types
  // CHECK-NEXT: {{^}}  func.return %a : i32{{$}}
  // CHECK-NEXT: {{^}}  ^{{$}}
  func.return %a : i32
}

// -----

// The right message on the wrong line.
func.func @wrong_line(%a: i32) -> i64 {
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 3]]:3: error: unexpected error: 'func.return' op
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 1]]:6: error: expected error "expected [i64], got [i32]" was not produced
  // expected-error @+2 {{expected [i64], got [i32]}}
  func.return %a : i32
}

// -----

// The right line with the wrong severity.
func.func @wrong_severity(%a: i32) -> i64 {
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 3]]:3: error: unexpected error: 'func.return' op
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 1]]:6: error: expected warning "expected [i64], got [i32]" was not produced
  // expected-warning @+1 {{expected [i64], got [i32]}}
  func.return %a : i32
}

// -----

// The right line with a message that is not contained in the diagnostic.
func.func @wrong_message(%a: i32) -> i32 {
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 3]]:23: error: unexpected error: use of undefined value '%b'
  // CHECK: verify-diagnostics-failures.mlir:[[# @LINE + 1]]:6: error: expected error "undefined value '%c'" was not produced
  // expected-error @+1 {{undefined value '%c'}}
  %0 = arith.addi %a, %b : i32
  func.return %0 : i32
}

// CHECK-NOT: {{: error:}}
