// Every error the loop dialect reports from text, one chunk each, in the order of
// mlc/dialects/loop.py: the index-map checks shared by loop.load and loop.store,
// each op's own checks and parse errors, then loop.kernel's checks on its domain,
// block arguments and body. Forms the custom syntax cannot express are written
// generically. Some chunks show the generic checks that come first: the operand
// constraints of loop.load / loop.store (@load_memref_generic) and IsolatedFromAbove
// (@use_from_outside).
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// ===-- loop.load / loop.store: index maps ---------------------------------===//

func.func @map_dims_differ_from_indices(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<4xf32>):
    // expected-error @+1 {{index map (d0, d1) -> (d0) must have one dim per index operand (1)}}
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0, d1) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @map_with_symbols(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<4xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    // expected-error @+1 {{index map (d0)[s0] -> (d0) must have one dim per index operand (1)}}
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0)[s0] -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_memref_generic(%m: memref<4xf32>, %i: index) {
  // expected-error @+1 {{operand 'source' at position 0 does not verify}}
  %v = "loop.load"(%m, %i) <{map = affine_map<(d0) -> (d0)>}> : (memref<4xf32>, index) -> f32
  func.return
}

// -----

func.func @load_outside_a_kernel(%a: tensor<4xf32>) -> f32 {
  %c = arith.constant 1 : index
  // expected-error @+1 {{'loop.load' must be directly inside a 'loop.kernel'}}
  %v = loop.load %a[%c] : tensor<4xf32>
  func.return %v : f32
}

// -----

func.func @store_outside_a_kernel(%a: tensor<4xf32>, %v: f32) {
  %c = arith.constant 1 : index
  // expected-error @+1 {{'loop.store' must be directly inside a 'loop.kernel'}}
  loop.store %v, %a[%c] : tensor<4xf32>
  func.return
}

// -----

func.func @too_few_load_indices(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4x8xf32>) outs(%o : tensor<4xf32>) {
    // expected-error @+1 {{1 indices for a rank-2 tensor tensor<4x8xf32>}}
    %v = loop.load %x[%i] : tensor<4x8xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @too_many_store_indices(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    // expected-error @+1 {{2 indices for a rank-1 tensor tensor<4xf32>}}
    loop.store %v, %o[%i, 0] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

// ===-- loop.load ----------------------------------------------------------===//

func.func @load_result_type(%a: tensor<4xf32>) -> tensor<4xf32> {
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<4xf32>):
    // expected-error @+1 {{result type f16 is not the element type of tensor<4xf32>}}
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f16
    %w = arith.extf %v : f16 to f32
    "loop.store"(%w, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_non_tensor_type(%m: memref<4xf32>, %i: index) {
  // expected-error @+1 {{'loop.load' expects a tensor type}}
  %v = loop.load %m[%i] : memref<4xf32>
  func.return
}

// -----

// ===-- loop.store ---------------------------------------------------------===//

func.func @store_element_type(%a: tensor<4xf16>) -> tensor<4xf32> {
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64>}> ({
  ^bb0(%i: index, %x: tensor<4xf16>, %o: tensor<4xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf16>, index) -> f16
    // expected-error @+1 {{stored f16 into tensor<4xf32>: element types differ}}
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f16, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf16>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_non_tensor_type(%m: memref<4xf32>, %v: f32, %i: index) {
  // expected-error @+1 {{'loop.store' expects a tensor type}}
  loop.store %v, %m[%i] : memref<4xf32>
  func.return
}

// -----

// ===-- loop.reduce --------------------------------------------------------===//

func.func @reduce_outside_a_kernel(%v: f32) -> f32 {
  // expected-error @+1 {{'loop.reduce' must be directly inside a 'loop.kernel'}}
  %s = loop.reduce add %v : f32
  func.return %s : f32
}

// -----

func.func @unknown_reduction(%a: tensor<4xf32>) -> tensor<1xf32> {
  %y = loop.kernel domain(%i: 4 reduction) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<1xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    // expected-error @+1 {{unknown reduction 'avg' (expected add, mul, max, min)}}
    %s = loop.reduce avg %v : f32
    loop.store %s, %o[0] : tensor<1xf32>
  }
  func.return %y : tensor<1xf32>
}

// -----

func.func @missing_reduction_kind(%a: tensor<4xf32>) -> tensor<1xf32> {
  %y = loop.kernel domain(%i: 4 reduction) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<1xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    // expected-error @+1 {{identifier expected (a reduction kind)}}
    %s = loop.reduce %v : f32
    loop.store %s, %o[0] : tensor<1xf32>
  }
  func.return %y : tensor<1xf32>
}

// -----

func.func @reduce_result_type(%a: tensor<4xf32>) -> tensor<1xf32> {
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64: 0>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<1xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    // expected-error @+1 {{result and operand types differ}}
    %s = "loop.reduce"(%v) <{kind = "add"}> : (f32) -> f64
    %t = arith.truncf %s : f64 to f32
    "loop.store"(%t, %o) <{map = affine_map<() -> (0)>}> : (f32, tensor<1xf32>) -> ()
  }) : (tensor<4xf32>) -> tensor<1xf32>
  func.return %y : tensor<1xf32>
}

// -----

// ===-- loop.kernel: domain and block arguments ----------------------------===//

func.func @negative_size(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{domain sizes must be >= 0, got [-1]}}
  %y = "loop.kernel"(%a) <{domain = array<i64: -1>, reduction_dims = array<i64>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<4xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @reduction_dim_out_of_range(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{invalid reduction dims [1] for rank 1}}
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64: 1>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<4xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @duplicate_reduction_dim(%a: tensor<4xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{invalid reduction dims [0, 0] for rank 1}}
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64: 0, 0>}> ({
  ^bb0(%i: index, %x: tensor<4xf32>, %o: tensor<1xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    %s = "loop.reduce"(%v) <{kind = "add"}> : (f32) -> f32
    "loop.store"(%s, %o) <{map = affine_map<() -> (0)>}> : (f32, tensor<1xf32>) -> ()
  }) : (tensor<4xf32>) -> tensor<1xf32>
  func.return %y : tensor<1xf32>
}

// -----

func.func @block_arguments(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block arguments must be the domain indices, then the input and output tensors: expected (index, tensor<4xf32>, tensor<4xf32>)}}
  %y = "loop.kernel"(%a) <{domain = array<i64: 4>, reduction_dims = array<i64>}> ({
  ^bb0(%x: tensor<4xf32>, %i: index, %o: tensor<4xf32>):
    %v = "loop.load"(%x, %i) <{map = affine_map<(d0) -> (d0)>}> : (tensor<4xf32>, index) -> f32
    "loop.store"(%v, %o, %i) <{map = affine_map<(d0) -> (d0)>}> : (f32, tensor<4xf32>, index) -> ()
  }) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @output_never_stored(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{output #1 is never stored}}
  %y:2 = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>, %p : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y#0, %y#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// ===-- loop.kernel: the body ----------------------------------------------===//

func.func @op_from_another_dialect(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'func.call' is not allowed in a kernel body (scalar arith, math and loop ops only)}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %w = func.call @g(%v) : (f32) -> f32
    loop.store %w, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}
func.func private @g(f32) -> f32

// -----

func.func @nested_kernel(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loop.kernel' is not allowed in a kernel body (scalar arith, math and loop ops only)}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %z = loop.kernel domain(%j: 4) ins(%xx = %x : tensor<4xf32>) outs(%oo : tensor<4xf32>) {
      %u = loop.load %xx[%j] : tensor<4xf32>
      loop.store %u, %oo[%j] : tensor<4xf32>
    }
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @tensor_operand_in_body(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.addf' in a kernel body must work on scalars}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %t = arith.addf %x, %x : tensor<4xf32>
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @tensor_result_in_body(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.constant' in a kernel body must work on scalars}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %c = arith.constant dense<1.0> : tensor<4xf32>
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_from_output(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loop.load' must read a kernel input argument}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %o[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_past_the_end(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{load index 0 ((d0 + 1)) ranges over [1, 4], outside [0, 4) of tensor<4xf32>}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i + 1] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_before_the_start(%a: tensor<3x8xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{load index 1 (((d1 * 2) + -1)) ranges over [-1, 5], outside [0, 8) of tensor<3x8xf32>}}
  %y = loop.kernel domain(%i: 3, %j: 4) ins(%x = %a : tensor<3x8xf32>) outs(%o : tensor<3x4xf32>) {
    %v = loop.load %x[%i, %j * 2 - 1] : tensor<3x8xf32>
    loop.store %v, %o[%i, %j] : tensor<3x4xf32>
  }
  func.return %y : tensor<3x4xf32>
}

// -----

func.func @load_constant_index_out_of_bounds(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{load index 0 (4) ranges over [4, 4], outside [0, 4) of tensor<4xf32>}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[4] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @load_reshape_out_of_bounds(%a: tensor<3x4xf32>) -> tensor<12xf32> {
  // expected-error @+1 {{load index 1 ((d0 mod 5)) ranges over [0, 4], outside [0, 4) of tensor<3x4xf32>}}
  %y = loop.kernel domain(%n: 12) ins(%x = %a : tensor<3x4xf32>) outs(%o : tensor<12xf32>) {
    %v = loop.load %x[%n floordiv 4, %n mod 5] : tensor<3x4xf32>
    loop.store %v, %o[%n] : tensor<12xf32>
  }
  func.return %y : tensor<12xf32>
}

// -----

func.func @reduce_without_reduction_dims(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loop.reduce' in a kernel without reduction dims}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %s = loop.reduce add %v : f32
    loop.store %s, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_to_input(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loop.store' must write a kernel output argument}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @stored_twice(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{an output is stored more than once}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @stored_value_varies_over_unindexed_dim(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{stored value varies over dims [1] that the store does not index}}
  %y = loop.kernel domain(%i: 4, %j: 8 reduction) ins(%x = %a : tensor<4x8xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i, %j] : tensor<4x8xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @use_from_outside(%a: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  // expected-error @+1 {{operation using value defined out of its IsolatedFromAbove parent}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %w = arith.addf %v, %s : f32
    loop.store %w, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_index_not_a_dim(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{store indices must be distinct domain dims (or 0 for a size-1 dim), got (d0) -> ((d0 + 1))}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i + 1] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_index_repeated(%a: tensor<4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{store indices must be distinct domain dims (or 0 for a size-1 dim), got (d0) -> (d0, d0)}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4x4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i, %i] : tensor<4x4xf32>
  }
  func.return %y : tensor<4x4xf32>
}

// -----

func.func @store_index_computed(%a: tensor<4xf32>, %ids: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{store indices must be distinct domain dims (or 0 for a size-1 dim), got (d0)[s0] -> (s0)}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>, %id = %ids : tensor<4xi64>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    %k = loop.load %id[%i] : tensor<4xi64>
    %kk = arith.index_cast %k : i64 to index
    loop.store %v, %o[%kk] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_size_mismatch(%a: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{output dim 0 has size 8 but is stored over domain dim 0 of size 4}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<8xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<8xf32>
  }
  func.return %y : tensor<8xf32>
}

// -----

func.func @store_skips_a_parallel_dim(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{store does not index parallel dim 1 of size 5: each output element must be written exactly once}}
  %y = loop.kernel domain(%i: 4, %j: 5) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_skips_an_empty_parallel_dim(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{store does not index parallel dim 1 of size 0: each output element must be written exactly once}}
  %y = loop.kernel domain(%i: 4, %j: 0) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<4xf32>) {
    %v = loop.load %x[%i] : tensor<4xf32>
    loop.store %v, %o[%i] : tensor<4xf32>
  }
  func.return %y : tensor<4xf32>
}

// -----

func.func @store_of_an_invariant_skips_a_parallel_dim(%a: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{store does not index parallel dim 0 of size 4: each output element must be written exactly once}}
  %y = loop.kernel domain(%i: 4) ins(%x = %a : tensor<4xf32>) outs(%o : tensor<f32>) {
    %v = loop.load %x[0] : tensor<4xf32>
    loop.store %v, %o[] : tensor<f32>
  }
  func.return %y : tensor<f32>
}
