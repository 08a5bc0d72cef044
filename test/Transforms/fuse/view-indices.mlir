// RUN: mlc-opt %s -p fuse --split-input-file | filecheck %s

// Reads through chains of views index the source tensor by the simplest form of
// the composed index map over the kernel's domain (mlc/lowering/index_exprs.py).

// The query and key heads of a [4, 64, 384] qkv projection: reshape, slice,
// reshape into 4 heads and transpose compose to plain strided reads of the
// [256, 384] matrix (row d0 * 64 + d2, column d1 * 32 + d4 plus the slice start).
// CHECK-LABEL: func.func @attention_scores
// CHECK:         loop.kernel "attention_scores_k0" domain(%d0: 4, %d1: 4, %d2: 64, %d3: 64, %d4: 32 reduction)
// CHECK:           loop.load %{{.*}}[((%d0 * 64) + %d2), ((%d1 * 32) + %d4)] : tensor<256x384xf32>
// CHECK:           loop.load %{{.*}}[((%d0 * 64) + %d3), (((%d1 * 32) + %d4) + 128)] : tensor<256x384xf32>
func.func @attention_scores(%qkv: tensor<256x384xf32>) -> tensor<4x4x64x64xf32> {
  %r = nn.reshape %qkv : tensor<256x384xf32> -> tensor<4x64x384xf32>
  %q0 = nn.slice %r start = [0, 0, 0] stop = [4, 64, 128] step = [1, 1, 1] : tensor<4x64x384xf32> -> tensor<4x64x128xf32>
  %k0 = nn.slice %r start = [0, 0, 128] stop = [4, 64, 256] step = [1, 1, 1] : tensor<4x64x384xf32> -> tensor<4x64x128xf32>
  %q1 = nn.reshape %q0 : tensor<4x64x128xf32> -> tensor<4x64x4x32xf32>
  %k1 = nn.reshape %k0 : tensor<4x64x128xf32> -> tensor<4x64x4x32xf32>
  %q = nn.transpose %q1 perm = [0, 2, 1, 3] : tensor<4x64x4x32xf32> -> tensor<4x4x64x32xf32>
  %k = nn.transpose %k1 perm = [0, 2, 3, 1] : tensor<4x64x4x32xf32> -> tensor<4x4x32x64xf32>
  %s = nn.matmul %q, %k : tensor<4x4x64x32xf32>, tensor<4x4x32x64xf32> -> tensor<4x4x64x64xf32>
  func.return %s : tensor<4x4x64x64xf32>
}

// -----

// A reshape read back in the shape it came from is the identity: the [256, 128]
// view of a [4, 64, 128] tensor at (d0 * 64 + d1, d2).
// CHECK-LABEL: func.func @round_trip
// CHECK:         loop.load %{{.*}}[%d0, %d1, %d2] : tensor<4x64x128xf32>
func.func @round_trip(%x: tensor<4x64x128xf32>) -> tensor<4x64x128xf32> {
  %flat = nn.reshape %x : tensor<4x64x128xf32> -> tensor<256x128xf32>
  %back = nn.reshape %flat : tensor<256x128xf32> -> tensor<4x64x128xf32>
  %y = nn.exp %back : tensor<4x64x128xf32>
  func.return %y : tensor<4x64x128xf32>
}

// -----

// What does not simplify keeps its divisions: rows of 3 read as rows of 4 cross
// row boundaries, so (d0 * 4 + d1) floordiv 3 depends on both dims (the remainder
// only drops the multiple of 3 in d0 * 4).
// CHECK-LABEL: func.func @regrouped
// CHECK:         loop.load %{{.*}}[(((%d0 * 4) + %d1) floordiv 3), ((%d0 + %d1) mod 3)] : tensor<4x3xf32>
func.func @regrouped(%x: tensor<4x3xf32>) -> tensor<3x4xf32> {
  %r = nn.reshape %x : tensor<4x3xf32> -> tensor<3x4xf32>
  %y = nn.exp %r : tensor<3x4xf32>
  func.return %y : tensor<3x4xf32>
}
