// REQUIRES: x86_64
// RUN: mlc-opt %s -p mlc-cpu-pipeline --emit=asm | filecheck %s

// The inner loops run on packed SIMD registers (xmm/ymm/zmm by what the host has):
// a point-wise chain with a broadcast operand...
// CHECK-LABEL: scale_shift_k0:
// CHECK:         vmulps {{.*}}%{{[xyz]}}mm
// CHECK:         vaddps {{.*}}%{{[xyz]}}mm
// CHECK-NOT:     call
// CHECK-LABEL: row_sum_k0:
func.func @scale_shift(%x: tensor<64x256xf32>, %s: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
  %bs = nn.broadcast_in_dim %s dims = [1] : tensor<256xf32> -> tensor<64x256xf32>
  %bb = nn.broadcast_in_dim %b dims = [1] : tensor<256xf32> -> tensor<64x256xf32>
  %m = nn.mul %x, %bs : tensor<64x256xf32>
  %y = nn.add %m, %bb : tensor<64x256xf32>
  func.return %y : tensor<64x256xf32>
}

// ...and a row reduction, whose sum is reassociated into vector partial sums.
// CHECK:         vaddps {{.*}}%{{[xyz]}}mm
func.func @row_sum(%x: tensor<64x256xf32>) -> tensor<64xf32> {
  %s = nn.reduce_sum %x axes = [1] : tensor<64x256xf32> -> tensor<64xf32>
  func.return %s : tensor<64xf32>
}
