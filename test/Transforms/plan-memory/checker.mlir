// RUN: mlc-opt %s -p verify-memory-plan --split-input-file --verify-diagnostics

// Two buffers live at the same kernel (%a is read by k2, after %b is written) at
// overlapping offsets.
func.func @overlap(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 512 : i64} {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  // expected-error@+1 {{result #0 at [128, 384) overlaps result #0 of kernel #0 at [0, 256) while both are live (kernels #1 to #2)}}
  %b = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 128>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k2" domain(%i: 64) ins(%ai = %a : tensor<64xf32>, %bi = %b : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    %w = loop.load %bi[%i] : tensor<64xf32>
    %s = arith.addf %v, %w : f32
    loop.store %s, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}

// -----

// Unaligned, and past the end of the arena.
func.func @bounds(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 512 : i64} {
  // expected-error@+1 {{result #0 at arena offset 4: not a multiple of 64}}
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 4>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  // expected-error@+1 {{result #0 at [320, 576) overruns the 512-byte arena}}
  %b = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 320>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k2" domain(%i: 64) ins(%bi = %b : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>} {
    %v = loop.load %bi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}

// -----

// An in-place claim over an input read at other indices (reversed) is refused, and
// the overlap it would excuse is reported.
func.func @bad_in_place(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 256 : i64} {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  // expected-error@+2 {{result #0 cannot take over input #0 in place: input #0 is read at other indices than the result is stored at}}
  // expected-error@+1 {{result #0 at [0, 256) overlaps result #0 of kernel #0 at [0, 256) while both are live (kernels #1 to #1)}}
  %b = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>, in_place = array<i64: 0>} {
    %v = loop.load %ai[63 - %i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k2" domain(%i: 64) ins(%bi = %b : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>} {
    %v = loop.load %bi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}

// -----

// A returned value may not be placed in the arena.
func.func @returned(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 256 : i64} {
  // expected-error@+1 {{result #0 is returned: it must not be in the arena}}
  %y = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}
