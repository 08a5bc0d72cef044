// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file | filecheck %s
// RUN: mlc-opt %s -p convert-loop-to-llvm --split-input-file --emit=llvm | filecheck %s --check-prefix=IR

// Result #0 is written in place over input #2 (`in_place`, from plan-memory): those
// two pointers may be one buffer, so neither is noalias; every other pointer (inputs
// #0 and #1, result #1) still is.
// CHECK-LABEL: llvm.func @two_outputs_k(%a: !llvm.ptr {llvm.noalias}, %b: !llvm.ptr {llvm.noalias}, %c: !llvm.ptr, %o: !llvm.ptr, %p: !llvm.ptr {llvm.noalias}, %begin: i64, %end: i64)
// IR-LABEL: define void @two_outputs_k{{[_0-9]*}}(ptr noalias {{[^,]+}}, ptr noalias {{[^,]+}}, ptr {{[^n,][^,]*}}, ptr {{[^n,][^,]*}}, ptr noalias {{[^,]+}}, i64
// The loops come twice: when the pair is one buffer, input #2 is loaded through the
// output's pointer (LLVM vectorises that without an overlap check at run time, which
// one buffer would fail), and as written otherwise.
// CHECK:         [[C:%.+]] = llvm.ptrtoint %c : !llvm.ptr to i64
// CHECK-NEXT:    [[O:%.+]] = llvm.ptrtoint %o : !llvm.ptr to i64
// CHECK-NEXT:    [[SAME:%.+]] = llvm.icmp "eq" [[C]], [[O]] : i64
// CHECK-NEXT:    llvm.cond_br [[SAME]], ^one_buffer, ^two
// CHECK:       ^one_buffer:
// CHECK:         llvm.getelementptr inbounds %a[
// CHECK:         llvm.getelementptr inbounds %o[
// CHECK-NOT:     %c[
// CHECK:         llvm.br ^joined
// CHECK:       ^two:
// CHECK:         llvm.getelementptr inbounds %c[
// CHECK:         llvm.br ^joined
// CHECK:       ^joined:
// CHECK-NEXT:    llvm.return
func.func @two_outputs(%x: tensor<8xf32>, %y: tensor<8xf32>, %z: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %r:2 = loop.kernel "two_outputs_k" domain(%i: 8) ins(%a = %x : tensor<8xf32>, %b = %y : tensor<8xf32>, %c = %z : tensor<8xf32>) outs(%o : tensor<8xf32>, %p : tensor<8xf32>) attributes {in_place = array<i64: 2, -1>} {
    %u = loop.load %a[%i] : tensor<8xf32>
    %v = loop.load %b[%i] : tensor<8xf32>
    %w = loop.load %c[%i] : tensor<8xf32>
    %s = arith.addf %u, %w : f32
    %t = arith.mulf %v, %w : f32
    loop.store %s, %o[%i] : tensor<8xf32>
    loop.store %t, %p[%i] : tensor<8xf32>
  }
  func.return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

// Without `in_place` (or with -1 for every result), every pointer is noalias and the
// loops come once.
// CHECK-LABEL: llvm.func @separate_k(%a: !llvm.ptr {llvm.noalias}, %o: !llvm.ptr {llvm.noalias}, %begin: i64, %end: i64)
// CHECK-NOT:     ^one_buffer
// CHECK-LABEL: llvm.func @none_in_place_k(%{{.+}}: !llvm.ptr {llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.noalias}, %{{.+}}: i64, %{{.+}}: i64)
// CHECK-NOT:     ^one_buffer
// CHECK:         llvm.return
// IR-LABEL: define void @separate_k{{[_0-9]*}}(ptr noalias {{[^,]+}}, ptr noalias {{[^,]+}}, i64
func.func @separate(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %y = loop.kernel "separate_k" domain(%i: 8) ins(%a = %x : tensor<8xf32>) outs(%o : tensor<8xf32>) {
    %v = loop.load %a[%i] : tensor<8xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<8xf32>
  }
  %z = loop.kernel "none_in_place_k" domain(%i: 8) ins(%a = %y : tensor<8xf32>) outs(%o : tensor<8xf32>) attributes {in_place = array<i64: -1>} {
    %v = loop.load %a[%i] : tensor<8xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i] : tensor<8xf32>
  }
  func.return %y, %z : tensor<8xf32>, tensor<8xf32>
}
