// The generic form parses back to the same IR, and locations survive printing.

// RUN: MLC_ROUNDTRIP
// RUN: %mlc-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: %mlc-opt %s --print-op-generic | %mlc-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

// Every op carries the place it was parsed from.
// RUN: %mlc-opt %s --print-debuginfo | filecheck %s --check-prefix=LOC
// And explicit locations in the input are kept.
// RUN: %mlc-opt %s --print-debuginfo | %mlc-opt --print-debuginfo | filecheck %s --check-prefix=LOC

// CHECK-LABEL: func.func @arith
// CHECK-NEXT:    %[[C:.*]] = arith.constant 7 : i32
// CHECK-NEXT:    %[[S:.*]] = arith.addi %a, %[[C]] : i32
// CHECK-NEXT:    %[[F:.*]] = arith.sitofp %[[S]] : i32 to f32
// CHECK-NEXT:    func.return %[[F]] : f32
// GENERIC-LABEL: "func.func"() <{sym_name = "arith", function_type = (i32) -> f32}> ({
// GENERIC:         "arith.constant"() <{value = 7 : i32}> : () -> i32
// GENERIC:         "arith.addi"
// GENERIC:         "func.return"
// LOC-LABEL: func.func @arith
// LOC:         arith.constant 7 : i32 loc("{{.*}}roundtrip.mlir":[[# @LINE + 4]]:3)
// LOC:         arith.addi %a, %{{.*}} : i32 loc("{{.*}}roundtrip.mlir":[[# @LINE + 4]]:3)
// LOC:       } loc("{{.*}}roundtrip.mlir":[[# @LINE + 1]]:1)
func.func @arith(%a: i32) -> f32 {
  %c7 = arith.constant 7 : i32
  %0 = arith.addi %a, %c7 : i32
  %1 = arith.sitofp %0 : i32 to f32
  func.return %1 : f32
}

// CHECK-LABEL: func.func @call
// CHECK-NEXT:    %[[R:.*]] = func.call @arith(%x) : (i32) -> f32
// GENERIC-LABEL: "func.func"() <{sym_name = "call", function_type = (i32) -> f32}> ({
// GENERIC:         "func.call"(%{{.*}}) <{callee = @arith}> : (i32) -> f32
func.func @call(%x: i32) -> f32 {
  %0 = func.call @arith(%x) : (i32) -> f32
  func.return %0 : f32
}
