// --timing reports the wall time of parsing, each pass, verification and output on
// stderr, in the layout of MLIR's -mlir-timing.

// RUN: %mlc-opt %s -p cse,canonicalize,cse --timing 2>&1 >/dev/null | filecheck %s
// CHECK:      ... Execution time report ...
// CHECK:        Total Execution Time: {{[0-9.]+}} seconds
// CHECK:        ----Wall Time----  ----Name----
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]{4} \( *[0-9.]+%\)}}  Parser
// CHECK-NEXT:   {{.*}}  cse
// CHECK-NEXT:   {{.*}}  canonicalize
// CHECK-NEXT:   {{.*}}  cse
// CHECK-NEXT:   {{.*}}  (verifier)
// CHECK-NEXT:   {{.*}}  Output
// CHECK-NEXT:   {{ *[0-9]+\.[0-9]{4} \(100\.0%\)}}  Total

// Without verification there is no verifier row.
// RUN: %mlc-opt %s -p cse --timing --no-verify-each 2>&1 >/dev/null | filecheck %s --check-prefix=NO-VERIFY
// NO-VERIFY:      {{.*}}  cse
// NO-VERIFY-NEXT: {{.*}}  Output

func.func @f(%a: i32) -> i32 {
  func.return %a : i32
}
