// A value used where its definition does not dominate the use (two lines of a program
// swapped, say) is a located verifier error, as in MLIR, with a note at the definition,
// never an internal error in a later pass or the interpreter.

// RUN: %mlc-opt %s --split-input-file --verify-diagnostics
// RUN: not %mlc-opt %s --split-input-file --run=swapped 2>&1 | filecheck %s
// RUN: not %mlc-opt %s --split-input-file -p mlc-cpu-pipeline 2>&1 | filecheck %s

// CHECK: use-before-def.mlir:[[# @LINE + 5]]:3: error: 'nn.neg' op operand #0 does not dominate this use
// CHECK: use-before-def.mlir:[[# @LINE + 6]]:3: note: operand defined here

func.func @swapped(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.neg' op operand #0 does not dominate this use}}
  %y = nn.neg %e : tensor<4xf32>
  // expected-note @below {{operand defined here}}
  %e = nn.exp %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @second_operand(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.add' op operand #1 does not dominate this use}}
  // expected-note @below {{operand defined here}}
  %y = nn.add %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// A result used inside the op's own region is not defined yet there.
func.func @own_result_in_region(%c: i1) -> i32 {
  // expected-note @below {{operand defined here}}
  %r = scf.if %c -> (i32) {
    // expected-error @below {{'scf.yield' op operand #0 does not dominate this use}}
    scf.yield %r : i32
  } else {
    %z = arith.constant 0 : i32
    scf.yield %z : i32
  }
  func.return %r : i32
}

// -----

// A value defined in a nested region is not visible after it (the parser's scopes
// already say so).
func.func @escapes_its_region(%c: i1) -> i32 {
  scf.if %c {
    %inner = arith.constant 1 : i32
    scf.yield
  }
  // expected-error @below {{use of undefined value '%inner'}}
  func.return %inner : i32
}

// -----

// Across blocks: ^left does not dominate ^join.
func.func @sibling_block(%c: i1) -> i32 {
  cf.cond_br %c, ^left, ^right
^left:
  // expected-note @below {{operand defined here}}
  %a = arith.constant 1 : i32
  cf.br ^join
^right:
  cf.br ^join
^join:
  // expected-error @below {{'func.return' op operand #0 does not dominate this use}}
  func.return %a : i32
}

// -----

// Valid uses are accepted: outer values in nested regions, a dominating block's
// values in the blocks it dominates, anything in an unreachable block (as in MLIR).
func.func @valid(%c: i1, %x: i32) -> i32 {
  %one = arith.constant 1 : i32
  %r = scf.if %c -> (i32) {
    %s = arith.addi %x, %one : i32
    scf.yield %s : i32
  } else {
    scf.yield %one : i32
  }
  cf.cond_br %c, ^left, ^join
^left:
  cf.br ^join
^join:
  %t = arith.addi %r, %one : i32
  func.return %t : i32
^unreachable:
  %u = arith.addi %late, %one : i32
  %late = arith.constant 2 : i32
  func.return %u : i32
}
