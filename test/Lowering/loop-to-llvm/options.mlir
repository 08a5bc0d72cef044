// REQUIRES: x86_64
// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file | filecheck %s --check-prefix=DEFAULT
// RUN: mlc-opt %s -p 'convert-loop-to-llvm{vector_width=256 fast_math=true prefetch=false streaming_stores=true}' --split-input-file | filecheck %s --check-prefix=CHOSEN
// RUN: not mlc-opt %s -p 'convert-loop-to-llvm{vector_width=100}' 2>&1 | filecheck %s --check-prefix=BAD-WIDTH

// By default: the widest vectors, no fast-math flags beyond the reductions'
// `reassoc`, and the next row prefetched.
// DEFAULT-LABEL: llvm.func @norm_k(
// DEFAULT-SAME:    attributes {passthrough = {{\[\[}}"prefer-vector-width", "512"]]}
// DEFAULT:         llvm.fadd %sum, {{%.+}} {fastmathFlags = #llvm.fastmath<reassoc>} : f32
// DEFAULT:         llvm.call_intrinsic "llvm.prefetch.p0"
// DEFAULT:         [[Q:%.+]] = llvm.fdiv {{%.+}}, %sum : f32
// DEFAULT-NEXT:    llvm.fneg [[Q]] : f32
// DEFAULT-NOT:     nontemporal

// Each option changes what it names: a 256-bit preference, every float add, sub,
// mul, div and neg with the fast-math flags that keep NaN and inf (no nnan/ninf),
// no prefetches; this output is too small to be streamed.
// CHOSEN-LABEL: llvm.func @norm_k(
// CHOSEN-SAME:    attributes {passthrough = {{\[\[}}"prefer-vector-width", "256"]]}
// CHOSEN:         llvm.fadd %sum, {{%.+}} {fastmathFlags = #llvm.fastmath<reassoc,nsz,arcp,contract,afn>} : f32
// CHOSEN-NOT:     llvm.prefetch
// CHOSEN:         [[Q:%.+]] = llvm.fdiv {{%.+}}, %sum {fastmathFlags = #llvm.fastmath<reassoc,nsz,arcp,contract,afn>} : f32
// CHOSEN-NEXT:    llvm.fneg [[Q]] {fastmathFlags = #llvm.fastmath<reassoc,nsz,arcp,contract,afn>} : f32
// CHOSEN-NOT:     nontemporal

// BAD-WIDTH: vector_width: expected 128, 256, 512 or None, got 100
func.func @norm(%a: tensor<4x512xf32>) -> tensor<4x512xf32> {
  %y = loop.kernel "norm_k" domain(%i: 4, %j: 512 reduction) ins(%x = %a : tensor<4x512xf32>) outs(%out : tensor<4x512xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x512xf32>
    %s = loop.reduce add %v : f32
    %q = arith.divf %v, %s : f32
    %n = arith.negf %q : f32
    loop.store %n, %out[%i, %j] : tensor<4x512xf32>
  }
  func.return %y : tensor<4x512xf32>
}

// -----

// With streaming_stores, rows of an output of 8 MiB or more go through a scratch
// row, then are copied out (elements up to a 64-byte boundary, whole lines with
// non-temporal stores, the rest), and a fence drains the non-temporal stores before
// the return. By default, and for a smaller output (above): plain stores.
// DEFAULT-LABEL: llvm.func @big_k(
// DEFAULT-NOT:     nontemporal
// DEFAULT-NOT:     sfence
// DEFAULT:         llvm.return
// CHOSEN-LABEL: llvm.func @big_k(
// CHOSEN:         [[ROW:%.+]] = llvm.alloca {{%.+}} x f32 {alignment = 64 : i64}
// CHOSEN:       ^sweep2_d1(
// CHOSEN:         llvm.store {{%.+}}, {{%.+}} : f32, !llvm.ptr
// CHOSEN:       ^sweep2_d1_end:
// CHOSEN:         llvm.ptrtoint {{%.+}} : !llvm.ptr to i64
// CHOSEN:       ^head_body:
// CHOSEN:       ^line_body:
// CHOSEN:         [[LINE:%.+]] = llvm.load {{%.+}} {alignment = 4 : i64} : !llvm.ptr -> vector<16xi32>
// CHOSEN:         llvm.store [[LINE]], {{%.+}} {alignment = 64 : i64, nontemporal} : vector<16xi32>, !llvm.ptr
// CHOSEN:       ^tail_body:
// CHOSEN:       ^d0_end:
// CHOSEN-NEXT:    llvm.call_intrinsic "llvm.x86.sse.sfence"() : () -> ()
// CHOSEN-NEXT:    llvm.return
func.func @big(%a: tensor<2048x1024xf32>) -> tensor<2048x1024xf32> {
  %y = loop.kernel "big_k" domain(%i: 2048, %j: 1024 reduction) ins(%x = %a : tensor<2048x1024xf32>) outs(%out : tensor<2048x1024xf32>) {
    %v = loop.load %x[%i, %j] : tensor<2048x1024xf32>
    %s = loop.reduce add %v : f32
    %q = arith.divf %v, %s : f32
    loop.store %q, %out[%i, %j] : tensor<2048x1024xf32>
  }
  func.return %y : tensor<2048x1024xf32>
}
