// Remarks, warnings, errors and notes that a pass emits are checked like verifier
// errors; notes are matched at their own location.

// RUN: %mlc-opt %s --split-input-file --verify-diagnostics --load-pass-plugin=%S/Inputs/test_passes.py \
// RUN:   -p test-diagnostics | filecheck %s

// CHECK-LABEL: func.func @remarks
// CHECK:         arith.addi %a, %a {test.remark = "fused 2 ops", test.note = "the enclosing function"} : i32
func.func @remarks(%a: i32) -> i32 {
  // expected-note @-1 {{the enclosing function}}
  // expected-remark @+1 {{fused 2 ops}}
  %0 = arith.addi %a, %a {test.remark = "fused 2 ops", test.note = "the enclosing function"} : i32
  %1 = arith.muli %0, %0 {test.warning = "slow path"} : i32 // expected-warning {{slow path}}
  func.return %1 : i32
}

// -----

// Several annotations can stack up above a line with @below.
// CHECK-LABEL: func.func @stacked
func.func @stacked(%a: i32) -> i32 {
  // expected-remark @below {{first}}
  // expected-warning @below {{second}}
  %0 = arith.addi %a, %a {test.remark = "first", test.warning = "second"} : i32
  func.return %0 : i32
}

// -----

// A diagnostic without a location is matched with @unknown.
// expected-remark @unknown {{nowhere in particular}}
builtin.module attributes {test.unlocated = "nowhere in particular"} {
  // CHECK-LABEL: func.func @unlocated
  func.func @unlocated() {
    func.return
  }
}

// -----

// An error from a pass stops the chunk: it prints nothing.
// CHECK:     // -----
// CHECK-NOT: func.func @failed
func.func @failed(%a: i32) -> i32 {
  %0 = arith.addi %a, %a {test.error = "cannot handle this"} : i32 // expected-error {{cannot handle this}}
  func.return %0 : i32
}
