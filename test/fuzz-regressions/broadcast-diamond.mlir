// mlc differential fuzzer reproducer: error
// seed: 1201
// pipeline: decompose,canonicalize,cse,fuse{vertical=true reduction=true epilogue=true horizontal=false prologue=true max-ops=64 max-recompute=0}
// num-threads: 2
// input-seed: 1201
// failure:
//   'loop.kernel' op store indices must be distinct domain dims (or 0 for a size-1 dim),
//   got (d0) -> (d0, d0) (IR after pass 'fuse' failed to verify)
//
// Found by `python -m mlc.testing.fuzz --count 3000 --seed 7` (seed 1201), minimized
// by hand. One value broadcast along both dims of a square tensor (v0[i] - v0[j]):
// `fuse` merged the kernels as if both reads used the same index map, giving the
// result a domain of one dim stored at [d0, d0]. Now the join is refused: one
// iteration would need two values of %v0.

// RUN: python -m mlc.testing.fuzz --replay %s
// RUN: mlc-opt %s -p 'fuse{remarks=true max-recompute=0}' 2>&1 | filecheck %s

// CHECK: remark: not fused into kernel #0: reads %v0 along two of its dims
// CHECK: loop.kernel "f_k0" domain(%d0: 2)
// CHECK: loop.kernel "f_k1" domain(%d0: 2, %d1: 2)

func.func @f(%a0: tensor<2xf32>) -> tensor<2x2xf32> {
  %v0 = nn.neg %a0 : tensor<2xf32>
  %v1 = nn.broadcast_in_dim %v0 dims = [0] : tensor<2xf32> -> tensor<2x2xf32>
  %v2 = nn.broadcast_in_dim %v0 dims = [1] : tensor<2xf32> -> tensor<2x2xf32>
  %v3 = nn.sub %v1, %v2 : tensor<2x2xf32>
  func.return %v3 : tensor<2x2xf32>
}
