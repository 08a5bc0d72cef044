// convert-gpu-to-nvvm: one kernel llvm.func per mapped loop.kernel, with the loops
// of its mapping around the CPU lowering's scalar code.
// RUN: mlc-opt %s -p convert-gpu-to-nvvm --split-input-file | filecheck %s

// Point-wise: gid = ctaid.x * 32 + tid.x; a counted grid-stride loop of
// (95 - gid) / 64 iterations over the 32 points (8*4 + 64 - 1 = 95), each point
// delinearised innermost-fastest (urem/udiv by 4).
// CHECK-LABEL: llvm.func @scale_k(%x: !llvm.ptr {llvm.noalias}, %o: !llvm.ptr {llvm.noalias}) attributes {gpu.kernel, gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 2>}
// CHECK-DAG:     [[BLOCK:%.+]] = llvm.mlir.constant(32) : i64
// CHECK-DAG:     [[LAST:%.+]] = llvm.mlir.constant(95) : i64
// CHECK-DAG:     [[STRIDE:%.+]] = llvm.mlir.constant(64) : i64
// CHECK-DAG:     [[FOUR:%.+]] = llvm.mlir.constant(4) : i64
// CHECK:         [[TID32:%.+]] = llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.tid.x"() : () -> i32
// CHECK-NEXT:    [[TID:%.+]] = llvm.zext [[TID32]] : i32 to i64
// CHECK-NEXT:    [[BID32:%.+]] = llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.ctaid.x"() : () -> i32
// CHECK-NEXT:    [[BID:%.+]] = llvm.zext [[BID32]] : i32 to i64
// CHECK-NEXT:    [[BASE:%.+]] = llvm.mul [[BID]], [[BLOCK]] overflow<nsw> : i64
// CHECK-NEXT:    [[GID:%.+]] = llvm.add [[BASE]], [[TID]] overflow<nsw> : i64
// CHECK-NEXT:    [[LEFT:%.+]] = llvm.sub [[LAST]], [[GID]] : i64
// CHECK-NEXT:    [[COUNT:%.+]] = llvm.udiv [[LEFT]], [[STRIDE]] : i64
// CHECK:       ^p_body:
// CHECK-NEXT:    [[STEP:%.+]] = llvm.mul %p, [[STRIDE]] overflow<nsw> : i64
// CHECK-NEXT:    [[POINT:%.+]] = llvm.add [[GID]], [[STEP]] overflow<nsw> : i64
// CHECK-NEXT:    [[J:%.+]] = llvm.urem [[POINT]], [[FOUR]] : i64
// CHECK-NEXT:    [[I:%.+]] = llvm.udiv [[POINT]], [[FOUR]] : i64
// CHECK:         llvm.fadd
// CHECK:         llvm.store
// CHECK-NOT:     llvm.nvvm.barrier0
// CHECK:         llvm.return
func.func @scale(%a: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %y = loop.kernel "scale_k" domain(%i: 8, %j: 4) ins(%x = %a : tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<pointwise, block = 32, grid = 2>} {
    %v = loop.load %x[%i, %j] : tensor<8x4xf32>
    %t = arith.addf %v, %v : f32
    loop.store %t, %o[%i, %j] : tensor<8x4xf32>
  }
  func.return %y : tensor<8x4xf32>
}

// -----

// Rows: blocks stride over the 4 rows; each sweep strides the block's 64 threads
// over the row, then combines across the block: five butterfly shuffles, lane 0
// of each of the 2 warps writes its slot of a shared array, a barrier, every thread
// combines both slots, a barrier. The sum's slots are a second shared array.
// CHECK:       llvm.mlir.global internal @softmax_k_reduce0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<2 x f32>
// CHECK:       llvm.mlir.global internal @softmax_k_reduce1() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<2 x f32>
// CHECK-LABEL: llvm.func @softmax_k(
// CHECK:       ^sweep1_r_body:
// CHECK:         llvm.call_intrinsic "llvm.maximum.f32"
// CHECK:       ^sweep1_r_end:
// CHECK-NEXT:    [[S16:%.+]] = llvm.call_intrinsic "llvm.nvvm.shfl.sync.bfly.f32"(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (i32, f32, i32, i32) -> f32
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.nvvm.shfl.sync.bfly.f32"
// CHECK:         llvm.mlir.addressof @softmax_k_reduce0 : !llvm.ptr<3>
// CHECK:         llvm.cond_br %{{.+}}, ^warp_leader, ^warp_written
// CHECK:       ^warp_leader:
// CHECK:         llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr<3>
// CHECK:       ^warp_written:
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.barrier0"() : () -> ()
// CHECK-COUNT-2: llvm.load %{{.+}} : !llvm.ptr<3> -> f32
// CHECK:         llvm.call_intrinsic "llvm.nvvm.barrier0"() : () -> ()
// CHECK:       ^sweep2_r_body:
// CHECK:         llvm.fadd {{.+}} {fastmathFlags = #llvm.fastmath<reassoc>} : f32
// CHECK:       ^sweep3_r_body:
// CHECK:         llvm.fdiv
// CHECK:         llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr
// CHECK:         llvm.return
func.func @softmax(%a: tensor<4x300xf32>) -> tensor<4x300xf32> {
  %y = loop.kernel "softmax_k" domain(%i: 4, %j: 300 reduction) ins(%x = %a : tensor<4x300xf32>) outs(%o : tensor<4x300xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 64, grid = 4>} {
    %v = loop.load %x[%i, %j] : tensor<4x300xf32>
    %m = loop.reduce max %v : f32
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %s = loop.reduce add %e : f32
    %r = arith.divf %e, %s : f32
    loop.store %r, %o[%i, %j] : tensor<4x300xf32>
  }
  func.return %y : tensor<4x300xf32>
}

// -----

// A one-warp row block needs no shared memory: the shuffles reduce the row.
// CHECK-NOT:   llvm.mlir.global
// CHECK-LABEL: llvm.func @row_sum(
// CHECK-COUNT-5: llvm.nvvm.shfl.sync.bfly.i32
// CHECK-NOT:     llvm.nvvm.barrier0
// CHECK:         llvm.return
func.func @sum(%a: tensor<4x40xi32>) -> tensor<4xi32> {
  %y = loop.kernel "row_sum" domain(%i: 4, %j: 40 reduction) ins(%x = %a : tensor<4x40xi32>) outs(%o : tensor<4xi32>) attributes {gpu.mapping = #mlc_gpu.mapping<rows, block = 32, grid = 4>} {
    %v = loop.load %x[%i, %j] : tensor<4x40xi32>
    %s = loop.reduce add %v : i32
    loop.store %s, %o[%i] : tensor<4xi32>
  }
  func.return %y : tensor<4xi32>
}

// -----

// Threads: a grid-stride loop over the 32x32 outputs, the reduction over k serial
// in each thread (a loop carrying the sum), no shuffles and no barriers.
// CHECK-LABEL: llvm.func @matmul_k(
// CHECK:       ^p_body:
// CHECK:         llvm.br ^sweep1_d2(%{{.+}}, %{{.+}} : i64, f32)
// CHECK:       ^sweep1_d2(%d2: i64, %sum: f32):
// CHECK:         llvm.fmul
// CHECK:         llvm.fadd
// CHECK-NOT:     llvm.nvvm.shfl
// CHECK-NOT:     llvm.nvvm.barrier0
// CHECK:         llvm.return
func.func @matmul(%a: tensor<32x16xf32>, %b: tensor<16x32xf32>) -> tensor<32x32xf32> {
  %y = loop.kernel "matmul_k" domain(%i: 32, %j: 32, %k: 16 reduction) ins(%x = %a : tensor<32x16xf32>, %w = %b : tensor<16x32xf32>) outs(%o : tensor<32x32xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<threads, block = 256, grid = 4>} {
    %l = loop.load %x[%i, %k] : tensor<32x16xf32>
    %r = loop.load %w[%k, %j] : tensor<16x32xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    loop.store %s, %o[%i, %j] : tensor<32x32xf32>
  }
  func.return %y : tensor<32x32xf32>
}

// -----

// Tiles: a linear with bias and relu (x @ w^T: both operands innermost in k), M = 40
// and K = 20 not multiples of the 32x32x8 tile. Two shared arrays, each row padded
// by one float (32 x 9 of A, 8 x 33 of B); blocks stride over the 2 output tiles;
// per K chunk the 64 threads stage both chunks (element e: k = e % 8 fastest, as
// both operands are contiguous in k), loads clamped into the tensor and zeroed
// outside it (M and K checked, N = 32 divides), a barrier, 8 steps of 16 FMAs
// from shared memory, a barrier; then per output of the thread's 4x4 tile the
// epilogue under its row check.
// CHECK:       llvm.mlir.global internal @linear_k_tile_a() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<288 x f32>
// CHECK:       llvm.mlir.global internal @linear_k_tile_b() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<264 x f32>
// CHECK-LABEL: llvm.func @linear_k(
// CHECK:         llvm.mlir.addressof @linear_k_tile_a : !llvm.ptr<3>
// CHECK:       ^tile_body:
// CHECK:       ^k_chunk(%chunk: i64, %c0: f32, {{.+}}, %c3_3: f32):
// CHECK:       ^stage_x_body:
// CHECK:         [[ROW:%.+]] = llvm.call_intrinsic "llvm.umin.i64"
// CHECK-NEXT:    [[ROW_IN:%.+]] = llvm.icmp "ult"
// CHECK:         [[K:%.+]] = llvm.call_intrinsic "llvm.umin.i64"
// CHECK-NEXT:    [[K_IN:%.+]] = llvm.icmp "ult"
// CHECK:         [[A:%.+]] = llvm.load %{{.+}} : !llvm.ptr -> f32
// CHECK-NEXT:    [[A1:%.+]] = llvm.select [[ROW_IN]], [[A]], %{{.+}} : i1, f32
// CHECK-NEXT:    [[A2:%.+]] = llvm.select [[K_IN]], [[A1]], %{{.+}} : i1, f32
// CHECK:         llvm.store [[A2]], %{{.+}} : f32, !llvm.ptr<3>
// CHECK:       ^stage_w_body:
// CHECK-NOT:     llvm.nvvm.barrier0
// CHECK:         llvm.icmp "ult"
// CHECK-NOT:     llvm.icmp "ult"
// CHECK:         llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr<3>
// CHECK:       ^stage_w_end:
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.barrier0"() : () -> ()
// CHECK:       ^kk_body:
// CHECK-COUNT-8: llvm.load %{{.+}} : !llvm.ptr<3> -> f32
// CHECK-COUNT-16: llvm.intr.fma
// CHECK:       ^kk_end:
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.barrier0"() : () -> ()
// CHECK:       ^k_chunk_end:
// CHECK:         llvm.cond_br %{{.+}}, ^epilogue, ^epilogue_done
// CHECK:       ^epilogue:
// CHECK:         llvm.fadd
// CHECK:         llvm.call_intrinsic "llvm.maximum.f32"
// CHECK:         llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr
// CHECK:       ^epilogue_done_15:
// CHECK:         llvm.return
func.func @linear(%a: tensor<40x20xf32>, %b: tensor<32x20xf32>, %c: tensor<32xf32>) -> tensor<40x32xf32> {
  %y = loop.kernel "linear_k" domain(%i: 40, %j: 32, %k: 20 reduction) ins(%x = %a : tensor<40x20xf32>, %w = %b : tensor<32x20xf32>, %bias = %c : tensor<32xf32>) outs(%o : tensor<40x32xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 64, grid = 2, tile = [32, 32, 8]>} {
    %l = loop.load %x[%i, %k] : tensor<40x20xf32>
    %r = loop.load %w[%j, %k] : tensor<32x20xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    %bv = loop.load %bias[%j] : tensor<32xf32>
    %t = arith.addf %s, %bv : f32
    %zero = arith.constant 0.0 : f32
    %relu = arith.maximumf %t, %zero : f32
    loop.store %relu, %o[%i, %j] : tensor<40x32xf32>
  }
  func.return %y : tensor<40x32xf32>
}

// -----

// Tiles dividing every dim (a batched 2x64x64x32 matmul in 64x64x16 tiles): no
// bounds checks, no clamps, no epilogue branches; the batch dim comes from the
// tile index (udiv by the one tile column and row).
// CHECK-LABEL: llvm.func @bmm_k(
// CHECK:       ^tile_body:
// CHECK-NEXT:    llvm.mul
// CHECK-NEXT:    [[T:%.+]] = llvm.add
// CHECK-NEXT:    llvm.urem [[T]], %{{.+}} : i64
// CHECK-NEXT:    [[REST:%.+]] = llvm.udiv [[T]], %{{.+}} : i64
// CHECK-NEXT:    llvm.urem [[REST]], %{{.+}} : i64
// CHECK-NEXT:    llvm.udiv [[REST]], %{{.+}} : i64
// CHECK-NOT:     llvm.icmp "ult"
// CHECK-NOT:     llvm.umin
// CHECK:         llvm.nvvm.barrier0
// CHECK-NOT:     llvm.icmp "ult"
// CHECK:         llvm.nvvm.barrier0
// CHECK-NOT:     llvm.nvvm.barrier0
// CHECK-NOT:     ^epilogue
// CHECK-NOT:     llvm.icmp "ult"
// CHECK:         llvm.store %{{.+}}, %{{.+}} : f32, !llvm.ptr
// CHECK:         llvm.return
func.func @bmm(%a: tensor<2x64x32xf32>, %b: tensor<2x32x64xf32>) -> tensor<2x64x64xf32> {
  %y = loop.kernel "bmm_k" domain(%n: 2, %i: 64, %j: 64, %k: 32 reduction) ins(%x = %a : tensor<2x64x32xf32>, %w = %b : tensor<2x32x64xf32>) outs(%o : tensor<2x64x64xf32>) attributes {gpu.mapping = #mlc_gpu.mapping<tiles, block = 256, grid = 2, tile = [64, 64, 16]>} {
    %l = loop.load %x[%n, %i, %k] : tensor<2x64x32xf32>
    %r = loop.load %w[%n, %k, %j] : tensor<2x32x64xf32>
    %p = arith.mulf %l, %r : f32
    %s = loop.reduce add %p : f32
    loop.store %s, %o[%n, %i, %j] : tensor<2x64x64xf32>
  }
  func.return %y : tensor<2x64x64xf32>
}
