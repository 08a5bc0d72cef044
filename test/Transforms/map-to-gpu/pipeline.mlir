// mlc-gpu-pipeline: the CPU pipeline's fused kernels, each given a GPU mapping, and
// the arch recorded on the module; a bad arch or block is refused when the
// pipeline is parsed.
// RUN: mlc-opt %s -p 'mlc-gpu-pipeline{arch=sm_80 row-block=128}' | filecheck %s
// RUN: not mlc-opt %s -p 'mlc-gpu-pipeline{arch=sm_70}' 2>&1 | filecheck %s --check-prefix=ARCH
// RUN: not mlc-opt %s -p 'mlc-gpu-pipeline{block=2048}' 2>&1 | filecheck %s --check-prefix=BLOCK

// ARCH: arch: unsupported GPU architecture 'sm_70'; supported: sm_80, sm_90
// BLOCK: block: 2048 is not a multiple of 32 in [32, 1024]

// CHECK:       builtin.module attributes {gpu.arch = "sm_80"} {
// CHECK-LABEL: func.func @gelu_softmax(
// CHECK:         loop.kernel "gelu_softmax_k0" {{.+}} gpu.mapping = #mlc_gpu.mapping<rows, block = 128, grid = 8>
// CHECK-NOT:     loop.kernel
// CHECK:         func.return
func.func @gelu_softmax(%x: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %g = nn.gelu %x : tensor<8x256xf32>
  %y = nn.softmax %g axis = 1 : tensor<8x256xf32>
  func.return %y : tensor<8x256xf32>
}
