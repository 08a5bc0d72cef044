// REQUIRES: x86_64
// RUN: mlc-opt %s -p mlc-cpu-pipeline --emit=asm | filecheck %s

// The micro-kernel's inner loop is packed FMAs on a broadcast element of A and
// the panel vectors (zmm on AVX-512 hosts).
// CHECK-LABEL: mm_k0:
// CHECK:         vbroadcastss {{.*}}%{{[xyz]}}mm
// CHECK:         vfmadd231ps %{{[xyz]}}mm{{[0-9]+}}, %{{[xyz]}}mm{{[0-9]+}}, %{{[xyz]}}mm
func.func @mm(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>) -> tensor<64x48xf32> {
  %y = nn.matmul %a, %b : tensor<64x32xf32>, tensor<32x48xf32> -> tensor<64x48xf32>
  func.return %y : tensor<64x48xf32>
}
