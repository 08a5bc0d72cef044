// mlc-opt --emit=ptx: the GPU pipeline's kernels as PTX for the chosen arch
// (llvmlite's NVPTX target): kernel entries with global-pointer parameters read
// through the read-only cache (noalias inputs: ld.global.nc), the
// block reduction's shuffles, shared slots and barriers, the inline exp
// polynomial (no call to a library), and --gpu-arch overriding the pipeline's arch.
// RUN: mlc-opt %s --pass-pipeline='builtin.module(mlc-gpu-pipeline{arch=sm_90})' --emit=ptx | filecheck %s --check-prefixes=CHECK,SM90
// RUN: mlc-opt %s --pass-pipeline='builtin.module(mlc-gpu-pipeline{arch=sm_90})' --emit=ptx --gpu-arch=sm_80 | filecheck %s --check-prefixes=CHECK,SM80
// RUN: not mlc-opt %s -p mlc-gpu-pipeline --emit=ptx --gpu-arch=sm_75 2>&1 | filecheck %s --check-prefix=BAD

// SM90:        .target sm_90
// SM80:        .target sm_80
// CHECK-LABEL: .visible .entry softmax_k0(
// CHECK:         .shared .align {{[0-9]+}} .b8 softmax_k0_reduce0[32];
// CHECK:         cvta.to.global.u64
// CHECK:         mov.u32 {{.+}}, %ctaid.x;
// CHECK:         ld.global.nc.b32
// CHECK:         shfl.sync.bfly.b32
// CHECK:         st.shared.{{.+}}
// CHECK:         bar.sync 0;
// CHECK:         ld.shared.{{.+}}
// CHECK-NOT:     call.uni
// CHECK:         st.global.{{.+}}
// CHECK:         ret;

// BAD: arch: unsupported GPU architecture 'sm_75'; supported: sm_80, sm_90
func.func @softmax(%x: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %y = nn.softmax %x axis = 1 : tensor<8x256xf32>
  func.return %y : tensor<8x256xf32>
}
