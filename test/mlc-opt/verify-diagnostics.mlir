// --verify-diagnostics checks the diagnostics against `expected-*` annotations; when
// they match exactly, the run succeeds (and prints the IR of chunks without errors).

// RUN: %mlc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier errors, with every line designator.
func.func @same_line(%a: i32) -> i64 {
  func.return %a : i32 // expected-error {{'func.return' op expected arguments to have the same types}}
}

// -----

func.func @plus_one(%a: i32) -> i64 {
  // expected-error @+1 {{expected [i64], got [i32]}}
  func.return %a : i32
}

// -----

func.func @minus_two(%a: i32) -> i64 {
  func.return %a : i32

  // expected-error @-2 {{expected [i64], got [i32]}}
}

// -----

func.func @above(%a: i32) -> i64 {
  func.return %a : i32
  // expected-error @above {{expected [i64], got [i32]}}
}

// -----

func.func @below(%a: i32) -> i64 {
  // expected-error @below {{expected [i64], got [i32]}}
  func.return %a : i32
}

// -----

// A chunk without diagnostics is compiled and printed as usual.
// CHECK-LABEL: func.func @fine
// CHECK-NEXT:    func.return %a : i32
func.func @fine(%a: i32) -> i32 {
  func.return %a : i32
}

// -----

// Parse errors, including ones at a specific column.
func.func @undefined(%a: i32) -> i32 {
  // expected-error @+1 {{use of undefined value '%b'}}
  %0 = arith.addi %a, %b : i32
  func.return %0 : i32
}

// -----

// Regular expressions with `-re`.
func.func @regex(%a: i32) -> i64 {
  // expected-error-re @+1 {{expected [{{i[0-9]+}}], got [i32]}}
  func.return %a : i32
}
