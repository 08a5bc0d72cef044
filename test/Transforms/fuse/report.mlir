// RUN: mlc-opt %s -p 'fuse{report=true}' 2>&1 >/dev/null | filecheck %s

// `fuse{report=true}` prints, per function, each kernel (domain, reduced dims, the nn
// ops it holds, bytes read and written) and the bytes moved: unfused (one kernel per
// primitive), fused, and the minimum (each used argument read once, each result
// written once). For these workloads, written as `decompose,canonicalize,cse` leaves
// them, fusion reaches the minimum: one kernel, no intermediate tensor in memory.
// Element-wise ops of arguments alone (x * x in rms_norm, x + b in gelu) are
// recomputed where they are read rather than placed in the kernel, so they are not
// listed among its ops.

// torch.softmax(x, dim=-1): 8 rows of 128.
// CHECK-LABEL: fusion report for @softmax: 1 kernels
// CHECK-NEXT:    softmax_k0: domain 8x128 reduce [1]: 5 ops (nn.reduce_max, nn.sub, nn.exp, nn.reduce_sum, nn.div); reads 4096 B, writes 4096 B
// CHECK-NEXT:    bytes moved: 49280 B unfused, [[FUSED:[0-9]+]] B fused, [[FUSED]] B minimum
func.func @softmax(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %0 = nn.reduce_max %x axes = [1] keepdims : tensor<8x128xf32> -> tensor<8x1xf32>
  %1 = nn.broadcast_in_dim %0 dims = [0, 1] : tensor<8x1xf32> -> tensor<8x128xf32>
  %2 = nn.sub %x, %1 : tensor<8x128xf32>
  %3 = nn.exp %2 : tensor<8x128xf32>
  %4 = nn.reduce_sum %3 axes = [1] keepdims : tensor<8x128xf32> -> tensor<8x1xf32>
  %5 = nn.broadcast_in_dim %4 dims = [0, 1] : tensor<8x1xf32> -> tensor<8x128xf32>
  %y = nn.div %3, %5 : tensor<8x128xf32>
  func.return %y : tensor<8x128xf32>
}

// F.layer_norm with weight and bias: x, weight and bias read once, y written once
// (8192 + 256 + 256 + 8192 bytes).
// CHECK-LABEL: fusion report for @layer_norm: 1 kernels
// CHECK-NEXT:    layer_norm_k0: domain 32x64 reduce [1]: 11 ops (nn.reduce_sum, nn.div, nn.sub, nn.mul, nn.reduce_sum, nn.div, nn.add, nn.rsqrt, nn.mul, nn.mul, nn.add); reads 8704 B, writes 8192 B
// CHECK-NEXT:    bytes moved: 166528 B unfused, [[FUSED:[0-9]+]] B fused, [[FUSED]] B minimum
func.func @layer_norm(%x: tensor<32x64xf32>, %weight: tensor<64xf32>, %bias: tensor<64xf32>) -> tensor<32x64xf32> {
  %0 = nn.reduce_sum %x axes = [1] keepdims : tensor<32x64xf32> -> tensor<32x1xf32>
  %1 = nn.splat 64.0 : tensor<32x1xf32>
  %2 = nn.div %0, %1 : tensor<32x1xf32>
  %3 = nn.broadcast_in_dim %2 dims = [0, 1] : tensor<32x1xf32> -> tensor<32x64xf32>
  %4 = nn.sub %x, %3 : tensor<32x64xf32>
  %5 = nn.mul %4, %4 : tensor<32x64xf32>
  %6 = nn.reduce_sum %5 axes = [1] keepdims : tensor<32x64xf32> -> tensor<32x1xf32>
  %7 = nn.div %6, %1 : tensor<32x1xf32>
  %8 = nn.splat 1.0e-05 : tensor<32x1xf32>
  %9 = nn.add %7, %8 : tensor<32x1xf32>
  %10 = nn.rsqrt %9 : tensor<32x1xf32>
  %11 = nn.broadcast_in_dim %10 dims = [0, 1] : tensor<32x1xf32> -> tensor<32x64xf32>
  %12 = nn.mul %4, %11 : tensor<32x64xf32>
  %13 = nn.broadcast_in_dim %weight dims = [1] : tensor<64xf32> -> tensor<32x64xf32>
  %14 = nn.mul %12, %13 : tensor<32x64xf32>
  %15 = nn.broadcast_in_dim %bias dims = [1] : tensor<64xf32> -> tensor<32x64xf32>
  %y = nn.add %14, %15 : tensor<32x64xf32>
  func.return %y : tensor<32x64xf32>
}

// LLaMA-style rms_norm with weight.
// CHECK-LABEL: fusion report for @rms_norm: 1 kernels
// CHECK-NEXT:    rms_norm_k0: domain 32x64 reduce [1]: 6 ops (nn.reduce_sum, nn.div, nn.add, nn.rsqrt, nn.mul, nn.mul); reads 8448 B, writes 8192 B
// CHECK-NEXT:    bytes moved: 91904 B unfused, [[FUSED:[0-9]+]] B fused, [[FUSED]] B minimum
func.func @rms_norm(%x: tensor<32x64xf32>, %weight: tensor<64xf32>) -> tensor<32x64xf32> {
  %0 = nn.mul %x, %x : tensor<32x64xf32>
  %1 = nn.reduce_sum %0 axes = [1] keepdims : tensor<32x64xf32> -> tensor<32x1xf32>
  %2 = nn.splat 64.0 : tensor<32x1xf32>
  %3 = nn.div %1, %2 : tensor<32x1xf32>
  %4 = nn.splat 1.0e-06 : tensor<32x1xf32>
  %5 = nn.add %3, %4 : tensor<32x1xf32>
  %6 = nn.rsqrt %5 : tensor<32x1xf32>
  %7 = nn.broadcast_in_dim %6 dims = [0, 1] : tensor<32x1xf32> -> tensor<32x64xf32>
  %8 = nn.mul %x, %7 : tensor<32x64xf32>
  %9 = nn.broadcast_in_dim %weight dims = [1] : tensor<64xf32> -> tensor<32x64xf32>
  %y = nn.mul %8, %9 : tensor<32x64xf32>
  func.return %y : tensor<32x64xf32>
}

// F.gelu(x + b), exact (erf) form, with a broadcast bias. Every op but the last is
// recomputed from %x and %b (h = x + b, then 0.5 * h and 1 + erf(h * 0.7071...)
// are at most four element-wise ops deep), so the kernel's one member is the final
// multiply, which reads the others in registers.
// CHECK-LABEL: fusion report for @gelu_bias: 1 kernels
// CHECK-NEXT:    gelu_bias_k0: domain 32x256: 1 ops (nn.mul); reads 33792 B, writes 32768 B
// CHECK-NEXT:    bytes moved: 689152 B unfused, [[FUSED:[0-9]+]] B fused, [[FUSED]] B minimum
func.func @gelu_bias(%x: tensor<32x256xf32>, %b: tensor<256xf32>) -> tensor<32x256xf32> {
  %0 = nn.broadcast_in_dim %b dims = [1] : tensor<256xf32> -> tensor<32x256xf32>
  %h = nn.add %x, %0 : tensor<32x256xf32>
  %1 = nn.splat 0.7071067811865476 : tensor<32x256xf32>
  %2 = nn.mul %h, %1 : tensor<32x256xf32>
  %3 = nn.erf %2 : tensor<32x256xf32>
  %4 = nn.splat 0.5 : tensor<32x256xf32>
  %5 = nn.mul %4, %h : tensor<32x256xf32>
  %6 = nn.splat 1.0 : tensor<32x256xf32>
  %7 = nn.add %6, %3 : tensor<32x256xf32>
  %y = nn.mul %5, %7 : tensor<32x256xf32>
  func.return %y : tensor<32x256xf32>
}

// Residual add then layer_norm, returning both: the new residual %r is written once
// as a second output of the same kernel, never read back.
// CHECK-LABEL: fusion report for @add_layer_norm: 1 kernels
// CHECK-NEXT:    add_layer_norm_k0: domain 32x64 reduce [1]: 12 ops (nn.add, nn.reduce_sum, nn.div, nn.sub, nn.mul, nn.reduce_sum, nn.div, nn.add, nn.rsqrt, nn.mul, nn.mul, nn.add); reads 16896 B, writes 16384 B
// CHECK-NEXT:    bytes moved: 191104 B unfused, [[FUSED:[0-9]+]] B fused, [[FUSED]] B minimum
func.func @add_layer_norm(%x: tensor<32x64xf32>, %residual: tensor<32x64xf32>, %weight: tensor<64xf32>, %bias: tensor<64xf32>) -> (tensor<32x64xf32>, tensor<32x64xf32>) {
  %r = nn.add %x, %residual : tensor<32x64xf32>
  %0 = nn.reduce_sum %r axes = [1] keepdims : tensor<32x64xf32> -> tensor<32x1xf32>
  %1 = nn.splat 64.0 : tensor<32x1xf32>
  %2 = nn.div %0, %1 : tensor<32x1xf32>
  %3 = nn.broadcast_in_dim %2 dims = [0, 1] : tensor<32x1xf32> -> tensor<32x64xf32>
  %4 = nn.sub %r, %3 : tensor<32x64xf32>
  %5 = nn.mul %4, %4 : tensor<32x64xf32>
  %6 = nn.reduce_sum %5 axes = [1] keepdims : tensor<32x64xf32> -> tensor<32x1xf32>
  %7 = nn.div %6, %1 : tensor<32x1xf32>
  %8 = nn.splat 1.0e-05 : tensor<32x1xf32>
  %9 = nn.add %7, %8 : tensor<32x1xf32>
  %10 = nn.rsqrt %9 : tensor<32x1xf32>
  %11 = nn.broadcast_in_dim %10 dims = [0, 1] : tensor<32x1xf32> -> tensor<32x64xf32>
  %12 = nn.mul %4, %11 : tensor<32x64xf32>
  %13 = nn.broadcast_in_dim %weight dims = [1] : tensor<64xf32> -> tensor<32x64xf32>
  %14 = nn.mul %12, %13 : tensor<32x64xf32>
  %15 = nn.broadcast_in_dim %bias dims = [1] : tensor<64xf32> -> tensor<32x64xf32>
  %y = nn.add %14, %15 : tensor<32x64xf32>
  func.return %y, %r : tensor<32x64xf32>, tensor<32x64xf32>
}
