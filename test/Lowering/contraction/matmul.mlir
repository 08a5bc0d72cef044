// RUN: mlc-opt %s -p 'mlc-cpu-pipeline,convert-loop-to-llvm{vector_width=512}' --split-input-file | filecheck %s
// RUN: mlc-opt %s -p 'mlc-cpu-pipeline,convert-loop-to-llvm{vector_width=256}' --split-input-file | filecheck %s --check-prefix=AVX2
// RUN: mlc-opt %s -p mlc-cpu-pipeline,convert-loop-to-llvm{contraction=false} --split-input-file | filecheck %s --check-prefix=OFF

// An f32 matmul with a bias + gelu epilogue: with 512-bit vectors, a K x 32 panel
// of B and an 8 x 32 tile on the stack, B packed per 32 columns (a full panel
// without clamps, a partial one clamped), 8 x 32 accumulators as 16 <16 x f32>
// FMAs per k, then the epilogue: with constant bounds on a full tile (which LLVM
// vectorises), over the valid part of a partial one. With 256-bit
// vectors (16 registers), the tile is 6 x 16: 12 <8 x f32> accumulators.
// CHECK-LABEL: llvm.func @mm_k0(
// CHECK-DAG:     [[COLUMNS:%.+]] = llvm.mlir.constant(32) : i64
// CHECK-DAG:     [[ROWS:%.+]] = llvm.mlir.constant(8) : i64
// CHECK-DAG:     [[K:%.+]] = llvm.mlir.constant(1024) : i64
// CHECK-DAG:     [[TILE:%.+]] = llvm.mlir.constant(256) : i64
// CHECK:         llvm.alloca [[K]] x f32 {alignment = 64 : i64}
// CHECK:         llvm.alloca [[TILE]] x f32 {alignment = 64 : i64}
// CHECK:       ^jr(
// CHECK:       ^pack_full:
// CHECK:       ^pack_partial:
// CHECK:       ^packed:
// CHECK:       ^ir(
// CHECK:       ^k(%{{.+}}: i64, %c0: vector<16xf32>,
// CHECK-COUNT-16: llvm.intr.fma
// CHECK:       ^k_end:
// CHECK:       ^epilogue_full:
// CHECK:       ^epilogue_full_m(
// CHECK:         llvm.icmp "slt" %m, [[ROWS]] : i64
// CHECK:       ^epilogue_full_n(
// CHECK:         llvm.icmp "slt" %n{{.*}}, [[COLUMNS]] : i64
// CHECK:       ^epilogue_partial:
// CHECK:       ^epilogue_partial_n_body:
// CHECK-NOT:   llvm.intr.fma
// CHECK:         llvm.return
// AVX2-LABEL: llvm.func @mm_k0(
// AVX2-DAG:     [[K:%.+]] = llvm.mlir.constant(512) : i64
// AVX2-DAG:     [[TILE:%.+]] = llvm.mlir.constant(96) : i64
// AVX2:         llvm.alloca [[K]] x f32 {alignment = 64 : i64}
// AVX2:         llvm.alloca [[TILE]] x f32 {alignment = 64 : i64}
// AVX2:       ^k(%{{.+}}: i64, %c0: vector<8xf32>,
// AVX2-COUNT-12: llvm.intr.fma
// AVX2-NOT:     llvm.intr.fma
// AVX2:       ^k_end:
// OFF-LABEL: llvm.func @mm_k0(
// OFF-NOT:   llvm.intr.fma
// OFF:       ^sweep1_d2(
func.func @mm(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>, %bias: tensor<48xf32>) -> tensor<64x48xf32> {
  %c = nn.matmul %a, %b : tensor<64x32xf32>, tensor<32x48xf32> -> tensor<64x48xf32>
  %h = nn.add %c, %bias : tensor<64x48xf32>, tensor<48xf32> -> tensor<64x48xf32>
  %y = nn.gelu %h : tensor<64x48xf32>
  func.return %y : tensor<64x48xf32>
}

// -----

// Not a contraction: an f64 matmul keeps the plain loop nest (one sweep).
// CHECK-LABEL: llvm.func @mm64_k0(
// CHECK-NOT:   ^pack_full
// CHECK:       ^sweep1_d2(
// OFF-LABEL: llvm.func @mm64_k0(
func.func @mm64(%a: tensor<8x4xf64>, %b: tensor<4x8xf64>) -> tensor<8x8xf64> {
  %y = nn.matmul %a, %b : tensor<8x4xf64>, tensor<4x8xf64> -> tensor<8x8xf64>
  func.return %y : tensor<8x8xf64>
}

// -----

// Operands read through views are contractions too: A is a [2, 32, 16] tensor
// read as [64, 16] rows, whose flat offset d0 * 16 + d2 needs no division, and B
// is a transposed [48, 16] weight.
// CHECK-LABEL: llvm.func @reshaped_k0(
// CHECK:       ^pack_full:
// CHECK:       ^k(%{{.+}}: i64, %c0: vector<16xf32>,
// CHECK-NOT:     llvm.udiv
// CHECK:       ^k_end:
// OFF-LABEL: llvm.func @reshaped_k0(
// OFF-NOT:   ^pack_full
func.func @reshaped(%x: tensor<2x32x16xf32>, %w: tensor<48x16xf32>) -> tensor<64x48xf32> {
  %a = nn.reshape %x : tensor<2x32x16xf32> -> tensor<64x16xf32>
  %b = nn.transpose %w perm = [1, 0] : tensor<48x16xf32> -> tensor<16x48xf32>
  %y = nn.matmul %a, %b : tensor<64x16xf32>, tensor<16x48xf32> -> tensor<64x48xf32>
  func.return %y : tensor<64x48xf32>
}

// -----

// An operand whose rows are split over two dims (the heads of an attention
// output, [2, 4, 8, 8] read as [16, 32] rows) is still a contraction: the
// micro-kernel computes each element's address, divisions included.
// CHECK-LABEL: llvm.func @heads_k0(
// CHECK:       ^pack_full:
// CHECK:       ^k(%{{.+}}: i64, %c0: vector<16xf32>,
// CHECK:         llvm.udiv
// CHECK:       ^k_end:
func.func @heads(%h: tensor<2x4x8x8xf32>, %w: tensor<32x32xf32>) -> tensor<16x32xf32> {
  %t = nn.transpose %h perm = [0, 2, 1, 3] : tensor<2x4x8x8xf32> -> tensor<2x8x4x8xf32>
  %a = nn.reshape %t : tensor<2x8x4x8xf32> -> tensor<16x32xf32>
  %y = nn.matmul %a, %w : tensor<16x32xf32>, tensor<32x32xf32> -> tensor<16x32xf32>
  func.return %y : tensor<16x32xf32>
}

// -----

// A batched operand times a shared one (torch.matmul of a 3-D input and a 2-D
// weight): the dim only x uses is a batch loop around the panels of w.
// CHECK-LABEL: llvm.func @shared_weight_k0(
// CHECK:       ^batch_d0(
// CHECK:       ^pack_full:
// CHECK:       ^k(%{{.+}}: i64, %c0: vector<16xf32>,
// OFF-LABEL: llvm.func @shared_weight_k0(
// OFF-NOT:   ^pack_full
func.func @shared_weight(%x: tensor<3x19x40xf32>, %w: tensor<40x37xf32>) -> tensor<3x19x37xf32> {
  %wb = nn.broadcast_in_dim %w dims = [1, 2] : tensor<40x37xf32> -> tensor<3x40x37xf32>
  %y = nn.matmul %x, %wb : tensor<3x19x40xf32>, tensor<3x40x37xf32> -> tensor<3x19x37xf32>
  func.return %y : tensor<3x19x37xf32>
}
