// RUN: mlc-opt %s -p 'plan-memory{in-place=false},verify-memory-plan' | filecheck %s
// RUN: mlc-opt %s -p 'plan-memory,verify-memory-plan' | filecheck %s --check-prefix=INPLACE
// RUN: mlc-opt %s -p 'plan-memory{in-place=false report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT
// RUN: mlc-opt %s -p 'plan-memory{report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT-INPLACE
// RUN: mlc-opt %s -p 'plan-memory{in-place=true}' | mlc-opt -p verify-memory-plan | filecheck %s --check-prefix=INPLACE

// A chain of point-wise kernels over 256-byte tensors: %a dies at k1, so %c takes
// its place; the returned %y is not in the arena. In place, every intermediate
// takes over the one before it: one 256-byte slot.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    attributes {arena_bytes = 512 : i64}
// CHECK:         loop.kernel "k0" {{.*}} attributes {arena_offsets = array<i64: 0>}
// CHECK:         loop.kernel "k1" {{.*}} attributes {arena_offsets = array<i64: 256>}
// CHECK:         loop.kernel "k2" {{.*}} attributes {arena_offsets = array<i64: 0>}
// CHECK:         loop.kernel "k3" {{.*}} attributes {arena_offsets = array<i64: -1>}
// INPLACE-LABEL: func.func @chain
// INPLACE-SAME:    attributes {arena_bytes = 256 : i64}
// INPLACE:         loop.kernel "k0" {{.*}} attributes {arena_offsets = array<i64: 0>}
// INPLACE:         loop.kernel "k1" {{.*}} attributes {arena_offsets = array<i64: 0>, in_place = array<i64: 0>}
// INPLACE:         loop.kernel "k2" {{.*}} attributes {arena_offsets = array<i64: 0>, in_place = array<i64: 0>}
// The returned value is never written over its input, nor placed.
// INPLACE:         loop.kernel "k3" {{.*}} attributes {arena_offsets = array<i64: -1>}
// REPORT: memory plan for @chain: 3 intermediates (0 in place): arena 512 B, naive 768 B, lower bound 512 B (arena / lower bound = 1.00)
// REPORT-INPLACE: memory plan for @chain: 3 intermediates (2 in place): arena 256 B, naive 768 B, lower bound 256 B (arena / lower bound = 1.00)
func.func @chain(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %a = loop.kernel "k0" domain(%i: 4, %j: 16) ins(%xi = %x : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %xi[%i, %j] : tensor<4x16xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i, %j] : tensor<4x16xf32>
  }
  %b = loop.kernel "k1" domain(%i: 4, %j: 16) ins(%ai = %a : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %ai[%i, %j] : tensor<4x16xf32>
    %e = math.exp %v : f32
    loop.store %e, %o[%i, %j] : tensor<4x16xf32>
  }
  %c = loop.kernel "k2" domain(%i: 4, %j: 16) ins(%bi = %b : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %bi[%i, %j] : tensor<4x16xf32>
    %s = arith.mulf %v, %v : f32
    loop.store %s, %o[%i, %j] : tensor<4x16xf32>
  }
  %y = loop.kernel "k3" domain(%i: 4, %j: 16) ins(%ci = %c : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %ci[%i, %j] : tensor<4x16xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i, %j] : tensor<4x16xf32>
  }
  func.return %y : tensor<4x16xf32>
}

// What is never reused in place, even with in-place=true: a function argument
// (%x), a returned value that a later kernel reads (%r), an input read at other
// indices than the result is stored at (the transpose %t over %p), an input of a
// reducing kernel (%m over %s: softmax-like, it reads a whole row before writing
// it), and an input still read by a later kernel (%s over %t, which k5 reads).
// INPLACE-LABEL: func.func @not_in_place
// INPLACE-SAME:    attributes {arena_bytes = 3072 : i64}
// INPLACE:         loop.kernel "k0" {{.*}} attributes {arena_offsets = array<i64: -1>}
// INPLACE:         loop.kernel "k1" {{.*}} attributes {arena_offsets = array<i64: 0>}
// INPLACE:         loop.kernel "k2" {{.*}} attributes {arena_offsets = array<i64: 1024>}
// INPLACE:         loop.kernel "k3" {{.*}} attributes {arena_offsets = array<i64: 0>}
// INPLACE:         loop.kernel "k4" {{.*}} attributes {arena_offsets = array<i64: 2048>}
// INPLACE:         loop.kernel "k5" {{.*}} attributes {arena_offsets = array<i64: -1>}
// INPLACE-NOT:     in_place
// INPLACE:         func.return
func.func @not_in_place(%x: tensor<16x16xf32>) -> (tensor<16x16xf32>, tensor<16x16xf32>) {
  %r = loop.kernel "k0" domain(%i: 16, %j: 16) ins(%xi = %x : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %xi[%i, %j] : tensor<16x16xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i, %j] : tensor<16x16xf32>
  }
  %p = loop.kernel "k1" domain(%i: 16, %j: 16) ins(%ri = %r : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %ri[%i, %j] : tensor<16x16xf32>
    %e = math.exp %v : f32
    loop.store %e, %o[%i, %j] : tensor<16x16xf32>
  }
  %t = loop.kernel "k2" domain(%i: 16, %j: 16) ins(%pi = %p : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %pi[%j, %i] : tensor<16x16xf32>
    loop.store %v, %o[%i, %j] : tensor<16x16xf32>
  }
  %s = loop.kernel "k3" domain(%i: 16, %j: 16) ins(%ti = %t : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %ti[%i, %j] : tensor<16x16xf32>
    %e = math.exp %v : f32
    loop.store %e, %o[%i, %j] : tensor<16x16xf32>
  }
  %m = loop.kernel "k4" domain(%i: 16, %j: 16 reduction) ins(%si = %s : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %si[%i, %j] : tensor<16x16xf32>
    %sum = loop.reduce add %v : f32
    %d = arith.divf %v, %sum : f32
    loop.store %d, %o[%i, %j] : tensor<16x16xf32>
  }
  %y = loop.kernel "k5" domain(%i: 16, %j: 16) ins(%ti = %t : tensor<16x16xf32>, %mi = %m : tensor<16x16xf32>) outs(%o : tensor<16x16xf32>) {
    %v = loop.load %ti[%i, %j] : tensor<16x16xf32>
    %w = loop.load %mi[%i, %j] : tensor<16x16xf32>
    %d = arith.divf %v, %w : f32
    loop.store %d, %o[%i, %j] : tensor<16x16xf32>
  }
  func.return %r, %y : tensor<16x16xf32>, tensor<16x16xf32>
}

// Body order: k1 stores %p, then loads %a again (a fused kernel may) at the same
// index; written over %a, that load would read %p's value, so %p is not in place.
// %q is stored after every load of %a: it takes %a over (in_place -1, 0).
// Nor is a result written over an input passed twice (%a as both inputs of k3: the
// second argument would alias the result unannounced), nor over one of another
// type (the bitcast in k4).
// INPLACE-LABEL: func.func @body_order
// INPLACE:         loop.kernel "k1" {{.*}} attributes {arena_offsets = array<i64: [[P:[0-9]+]], [[A:[0-9]+]]>, in_place = array<i64: -1, 0>}
// INPLACE:         loop.kernel "k2" {{.*}} attributes {arena_offsets = array<i64: [[P]]>, in_place = array<i64: 0>}
// INPLACE:         loop.kernel "k3" {{.*}} attributes {arena_offsets = array<i64: {{[0-9]+}}>}
// INPLACE:         loop.kernel "k4" {{.*}} attributes {arena_offsets = array<i64: {{[0-9]+}}>}
// INPLACE:         loop.kernel "k5" {{.*}} attributes {arena_offsets = array<i64: -1>}
func.func @body_order(%x: tensor<64xf32>) -> tensor<64xi32> {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %xi[%i] : tensor<64xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<64xf32>
  }
  %p, %q = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>, %o2 : tensor<64xf32>) {
    %v = loop.load %ai[%i] : tensor<64xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<64xf32>
    %w = loop.load %ai[%i] : tensor<64xf32>
    %e = math.exp %w : f32
    loop.store %e, %o2[%i] : tensor<64xf32>
  }
  %r = loop.kernel "k2" domain(%i: 64) ins(%pi = %p : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %pi[%i] : tensor<64xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<64xf32>
  }
  %s = loop.kernel "k3" domain(%i: 64) ins(%qi = %q : tensor<64xf32>, %qj = %q : tensor<64xf32>) outs(%o : tensor<64xf32>) {
    %v = loop.load %qi[%i] : tensor<64xf32>
    %w = loop.load %qj[%i] : tensor<64xf32>
    %m = arith.mulf %v, %w : f32
    loop.store %m, %o[%i] : tensor<64xf32>
  }
  %t = loop.kernel "k4" domain(%i: 64) ins(%ri = %r : tensor<64xf32>) outs(%o : tensor<64xi32>) {
    %v = loop.load %ri[%i] : tensor<64xf32>
    %b = arith.bitcast %v : f32 to i32
    loop.store %b, %o[%i] : tensor<64xi32>
  }
  %y = loop.kernel "k5" domain(%i: 64) ins(%si = %s : tensor<64xf32>, %ti = %t : tensor<64xi32>) outs(%o : tensor<64xi32>) {
    %v = loop.load %si[%i] : tensor<64xf32>
    %w = loop.load %ti[%i] : tensor<64xi32>
    %b = arith.fptosi %v : f32 to i32
    %s2 = arith.addi %b, %w : i32
    loop.store %s2, %o[%i] : tensor<64xi32>
  }
  func.return %y : tensor<64xi32>
}
