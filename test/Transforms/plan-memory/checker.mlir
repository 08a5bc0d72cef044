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

// -----

// A claim over an input that the kernel loads again after storing the result (the
// load would read the stored value) is refused, and so is the overlap it excuses.
func.func @load_after_store(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 512 : i64} {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  // expected-error@+2 {{result #0 cannot take over input #0 in place: input #0 is loaded after result #0 is stored (it would read the stored value)}}
  // expected-error@+1 {{result #0 at [0, 256) overlaps result #0 of kernel #0 at [0, 256) while both are live (kernels #1 to #1)}}
  %p, %q = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>, %o2 : tensor<64xf32>) attributes {arena_offsets = array<i64: 0, 256>, in_place = array<i64: 0, -1>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
    %w = loop.load %ai[%i] : tensor<64xf32>
    %e = math.exp %w : f32
    loop.store %e, %o2[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k2" domain(%i: 64) ins(%pi = %p : tensor<64xf32>, %qi = %q : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>} {
    %v = loop.load %pi[%i] : tensor<64xf32>
    %w = loop.load %qi[%i] : tensor<64xf32>
    %s = arith.addf %v, %w : f32
    loop.store %s, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}

// -----

// A function argument is the caller's: never written over.
func.func @argument(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 256 : i64} {
  // expected-error@+1 {{result #0 cannot take over input #0 in place: it is not an intermediate}}
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>, in_place = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  %y = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}

// -----

// An `in_place` entry naming no input is malformed.
func.func @no_such_input(%x: tensor<64xf32>) -> tensor<64xf32> attributes {arena_bytes = 256 : i64} {
  %a = loop.kernel "k0" domain(%i: 64) ins(%xi = %x : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: 0>} {
    %v = loop.load %xi[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  // expected-error@+1 {{'in_place' gives input #3 for result #0 of a kernel of 1 inputs}}
  %y = loop.kernel "k1" domain(%i: 64) ins(%ai = %a : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {arena_offsets = array<i64: -1>, in_place = array<i64: 3>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    loop.store %v, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}
