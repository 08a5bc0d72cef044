// Index arithmetic is 64-bit: kernels over dims past 2^31 elements (3000000000 i1
// bytes, rows 3000000000 bytes apart) compute loop bounds, row offsets and addresses
// in i64, never truncated to i32, both in the LLVM dialect and in the optimized LLVM
// IR handed to the JIT. Nothing is allocated or run.
// RUN: mlc-opt %s -p convert-loop-to-llvm | filecheck %s
// RUN: mlc-opt %s -p convert-loop-to-llvm --emit=llvm | filecheck %s --check-prefix=LLVM

// CHECK-LABEL: llvm.func @flip_k(
// CHECK-SAME:    %begin: i64, %end: i64)
// CHECK-NOT:     i32
// CHECK:         [[N:%.+]] = llvm.mlir.constant(3000000000) : i64
// CHECK:         llvm.call_intrinsic "llvm.smin.i64"(%end, [[N]]) : (i64, i64) -> i64
// CHECK-NOT:     i32
// CHECK:         llvm.getelementptr inbounds %x[%{{.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NOT:     i32
// CHECK:         llvm.getelementptr inbounds %o[%{{.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NOT:     i32
// CHECK:         llvm.return

// LLVM-LABEL: define void @flip_k
// LLVM:         call i64 @llvm.smin.i64(i64 %{{.+}}, i64 3000000000)
// LLVM-NOT:     trunc i64
// LLVM:         getelementptr inbounds {{.*}}i8, ptr %{{.+}}, i64 %{{.+}}
// LLVM-NOT:     trunc i64
// LLVM:         ret void
func.func @flip(%a: tensor<3000000000xi1>) -> tensor<3000000000xi1> {
  %y = loop.kernel "flip_k" domain(%i: 3000000000) ins(%x = %a : tensor<3000000000xi1>) outs(%o : tensor<3000000000xi1>) {
    %v = loop.load %x[%i] : tensor<3000000000xi1>
    %t = arith.constant true
    %n = arith.xori %v, %t : i1
    loop.store %n, %o[%i] : tensor<3000000000xi1>
  }
  func.return %y : tensor<3000000000xi1>
}

// The row offset i * 3000000000 overflows 32 bits from the second row on.
// CHECK-LABEL: llvm.func @rows_k(
// CHECK-NOT:     i32
// CHECK:         [[ROW:%.+]] = llvm.mlir.constant(3000000000) : i64
// CHECK-NOT:     i32
// CHECK:         [[OFFSET:%.+]] = llvm.mul %{{.+}}, [[ROW]] overflow<nsw> : i64
// CHECK-NEXT:    [[INDEX:%.+]] = llvm.add [[OFFSET]], %{{.+}} overflow<nsw> : i64
// CHECK-NEXT:    llvm.getelementptr inbounds %{{[a-z0-9_]+}}[[[INDEX]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NOT:     i32
// CHECK:         llvm.return

// LLVM-LABEL: define void @rows_k
// LLVM:         mul nuw nsw i64 %{{.+}}, 3000000000
// LLVM-NOT:     trunc i64
// LLVM:         ret void
func.func @rows(%a: tensor<3x3000000000xi1>) -> tensor<3000000000x3xi1> {
  %y = loop.kernel "rows_k" domain(%i: 3, %j: 3000000000) ins(%x = %a : tensor<3x3000000000xi1>) outs(%o : tensor<3000000000x3xi1>) {
    %v = loop.load %x[%i, %j] : tensor<3x3000000000xi1>
    loop.store %v, %o[%j, %i] : tensor<3000000000x3xi1>
  }
  func.return %y : tensor<3000000000x3xi1>
}
