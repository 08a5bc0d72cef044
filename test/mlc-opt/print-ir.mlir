// IR dumps around passes go to stderr with MLIR's headers; the result goes to stdout.

// RUN: %mlc-opt %s -p cse,canonicalize --print-ir-after-all 2>&1 >/dev/null | filecheck %s --check-prefix=ALL
// ALL:      // -----// IR Dump After cse //----- //
// ALL-NEXT: builtin.module {
// ALL-NEXT:   func.func @f
// ALL-NEXT:     arith.addi %a, %a : i32
// ALL-NOT:      arith.addi %a, %a : i32
// ALL:          arith.addi %{{.*}}, %c0 : i32
// ALL:      // -----// IR Dump After canonicalize //----- //
// ALL-NEXT: builtin.module {
// ALL-NOT:      arith.constant
// ALL:          func.return

// RUN: %mlc-opt %s -p cse,canonicalize --print-ir-after=canonicalize --print-ir-before=cse 2>&1 >/dev/null \
// RUN:   | filecheck %s --check-prefix=SOME
// SOME:     // -----// IR Dump Before cse //----- //
// SOME-NOT: IR Dump After cse
// SOME:     // -----// IR Dump After canonicalize //----- //

// The dumps honour the printing flags.
// RUN: %mlc-opt %s -p cse --print-ir-after=cse --print-op-generic --print-debuginfo 2>&1 >/dev/null \
// RUN:   | filecheck %s --check-prefix=GENERIC
// GENERIC: "arith.addi"(%{{.*}}, %{{.*}}) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32 loc("{{.*}}print-ir.mlir":[[# @LINE + 8]]:3)

// The final IR is the only thing on stdout.
// RUN: %mlc-opt %s -p cse --print-ir-after-all 2>/dev/null | filecheck %s --check-prefix=STDOUT
// STDOUT-NOT: IR Dump
// STDOUT:     func.func @f

func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %c0 = arith.constant 0 : i32
  %2 = arith.addi %0, %c0 : i32
  %3 = arith.muli %2, %1 : i32
  func.return %3 : i32
}
