// Pipelines in MLIR's anchored form and in the shorthand form run the same passes,
// and --print-pipeline shows the canonical form with every option spelled out.

// RUN: %mlc-opt %s --pass-pipeline='builtin.module(func.func(cse),canonicalize)' | filecheck %s
// RUN: %mlc-opt %s -p 'cse,canonicalize' | filecheck %s
// RUN: %mlc-opt %s -p ' cse , canonicalize ' | filecheck %s

// The printed pipeline keeps the nesting; the shorthand gets the root anchor.
// RUN: %mlc-opt %s --pass-pipeline='builtin.module(func.func(cse),canonicalize)' --print-pipeline -o /dev/null 2>&1 \
// RUN:   | filecheck %s --check-prefix=NESTED
// NESTED: {{^}}builtin.module(func.func(cse),canonicalize){{$}}
// RUN: %mlc-opt %s -p cse,dce --print-pipeline -o /dev/null 2>&1 | filecheck %s --check-prefix=SHORT
// SHORT: {{^}}builtin.module(cse,dce){{$}}

// Every option is printed with its value, and the printed form parses back to itself.
// RUN: %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{count=3 sizes=4,8 label="two words"}' \
// RUN:   --print-pipeline -o /dev/null 2>&1 | filecheck %s --check-prefix=OPTIONS
// RUN: %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py \
// RUN:   --pass-pipeline='builtin.module(test-options{count=3 flag=false ratio=0.5 label="two words" sizes=4,8 mode=fast})' \
// RUN:   --print-pipeline -o /dev/null 2>&1 | filecheck %s --check-prefix=OPTIONS
// OPTIONS: {{^}}builtin.module(test-options{count=3 flag=false ratio=0.5 label="two words" sizes=4,8 mode=fast}){{$}}

// Option names may use '-' or '_', bare bool options are true, '{}' is an empty list,
// and an optional option can be set.
// RUN: %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{flag sizes={} limit=7}' \
// RUN:   --print-pipeline -o /dev/null 2>&1 | filecheck %s --check-prefix=SPELLINGS
// SPELLINGS: {{^}}builtin.module(test-options{count=1 flag=true ratio=0.5 label=plain sizes={} mode=fast limit=7}){{$}}

// The pass sees the options it was given.
// RUN: %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{count=2}' | filecheck %s --check-prefix=APPLIED
// APPLIED: builtin.module attributes {test.options = "test-options{count=2 flag=false ratio=0.5 label=plain sizes=1,2 mode=fast}"}

// An empty pipeline just parses, verifies and prints.
// RUN: %mlc-opt %s --pass-pipeline='builtin.module()' --print-pipeline 2>&1 | filecheck %s --check-prefix=EMPTY
// EMPTY: {{^}}builtin.module(){{$}}
// EMPTY: func.func @redundant

// CHECK-LABEL: func.func @redundant
// CHECK-NEXT:    %[[SUM:.*]] = arith.addi %a, %a : i32
// CHECK-NEXT:    %[[PRODUCT:.*]] = arith.muli %[[SUM]], %[[SUM]] : i32
// CHECK-NEXT:    func.return %[[PRODUCT]] : i32
func.func @redundant(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}

// CHECK-LABEL: func.func @folded
// CHECK-NEXT:    %[[C:.*]] = arith.constant 5 : i32
// CHECK-NEXT:    func.return %[[C]] : i32
func.func @folded() -> i32 {
  %c2 = arith.constant 2 : i32
  %c3 = arith.constant 3 : i32
  %0 = arith.addi %c2, %c3 : i32
  func.return %0 : i32
}
