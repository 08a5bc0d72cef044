// The `tile` debug counter: each kernel given tile sizes is one decision, so a wrong
// result can be bisected to the one tiling that causes it.
// RUN: mlc-opt %s -p tile | filecheck %s --check-prefix=ALL
// RUN: mlc-opt %s -p tile --debug-counter=tile-skip=1 | filecheck %s --check-prefix=SKIP
// RUN: mlc-opt %s -p 'tile{remarks=true}' --debug-counter=tile-skip=1 2>&1 >/dev/null | filecheck %s --check-prefix=WHY

// ALL-COUNT-2: tile_sizes = array<i64: 32, 32>

// WHY: remark: tiling refused by debug counter 'tile' (decision 1)
// WHY-NEXT: %t = loop.kernel "first"
// SKIP-LABEL: func.func @two_transposes
// SKIP:         loop.kernel "first" {{.*}} outs(%o : tensor<70x100xf32>) {{{$}}
// SKIP:         loop.kernel "second" {{.*}} attributes {tile_sizes = array<i64: 32, 32>}
func.func @two_transposes(%x: tensor<100x70xf32>) -> tensor<100x70xf32> {
  %t = loop.kernel "first" domain(%d0: 70, %d1: 100) ins(%xa = %x : tensor<100x70xf32>) outs(%o : tensor<70x100xf32>) {
    %a = loop.load %xa[%d1, %d0] : tensor<100x70xf32>
    loop.store %a, %o[%d0, %d1] : tensor<70x100xf32>
  }
  %u = loop.kernel "second" domain(%d0: 100, %d1: 70) ins(%ta = %t : tensor<70x100xf32>) outs(%p : tensor<100x70xf32>) {
    %a = loop.load %ta[%d1, %d0] : tensor<70x100xf32>
    %n = arith.negf %a : f32
    loop.store %n, %p[%d0, %d1] : tensor<100x70xf32>
  }
  func.return %u : tensor<100x70xf32>
}
