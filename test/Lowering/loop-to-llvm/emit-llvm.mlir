// RUN: mlc-opt %s -p 'decompose,fuse' --emit=llvm | filecheck %s

// The fused softmax kernel as optimised LLVM IR for this CPU: the row sweeps are
// vectorised (the vector width depends on the host), and the kernel takes the range
// of rows [begin, end) it computes.
// CHECK: define void @softmax_k0(ptr {{.*}}, ptr {{.*}}, i64 {{.*}}, i64 {{.*}})
// CHECK: load <{{[0-9]+}} x float>
// CHECK: store <{{[0-9]+}} x float>
func.func @softmax(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %y = nn.softmax %x axis = 1 : tensor<8x128xf32>
  func.return %y : tensor<8x128xf32>
}
