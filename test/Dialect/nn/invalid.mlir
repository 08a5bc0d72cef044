// Every error the nn dialect reports, one chunk each: the parser's errors, the
// checks shared by all ops (types, shapes, element types, parameters), then each
// op's own verifier, in the order of mlc/dialects/nn.py.
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// ===-- Result types: stated vs. inferred --------------------------------===//

func.func @wrong_result_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{result type tensor<4xf16> does not match the inferred type tensor<4xf32>}}
  %0 = nn.add %a, %a : tensor<4xf32> -> tensor<4xf16>
  func.return
}

// -----

func.func @wrong_result_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result type tensor<4x8xf32> does not match the inferred type tensor<4xf32>}}
  %0 = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @compare_result_is_i1(%a: tensor<4xf32>) {
  // expected-error @+1 {{result type tensor<4xf32> does not match the inferred type tensor<4xi1>}}
  %0 = nn.lt %a, %a : tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

// ===-- Operand and result types ------------------------------------------===//

func.func @non_tensor_operand(%m: memref<4xf32>) {
  // expected-error @+1 {{operand 'input' at position 0 does not verify}}
  %0 = nn.exp %m : memref<4xf32>
  func.return
}

// -----

func.func @unranked_operand(%u: tensor<*xf32>) {
  // expected-error @+1 {{operand 'input' at position 0 does not verify}}
  %0 = nn.exp %u : tensor<*xf32>
  func.return
}

// -----

func.func @non_tensor_result(%a: tensor<4xf32>) {
  // expected-error @+1 {{result 'result' at position 0 does not verify}}
  %0 = nn.add %a, %a : tensor<4xf32> -> f32
  func.return
}

// -----

func.func @dynamic_operand(%d: tensor<?x4xf32>) {
  // expected-error @+1 {{operand #0 has a dynamic dimension (tensor<?x4xf32>); nn needs static shapes}}
  %0 = nn.exp %d : tensor<?x4xf32>
  func.return
}

// -----

func.func @dynamic_result() {
  // expected-error @+1 {{result has a dynamic dimension (tensor<?xf32>); nn needs static shapes}}
  %0 = nn.splat 1.0 : tensor<?xf32>
  func.return
}

// -----

func.func @i8_operand(%a: tensor<4xi8>) {
  // expected-error @+1 {{operand #0 has unsupported element type i8 (expected f16, bf16, f32, f64, i1, i32 or i64)}}
  %0 = nn.add %a, %a : tensor<4xi8>
  func.return
}

// -----

func.func @unsigned_operand(%a: tensor<4xui32>) {
  // expected-error @+1 {{operand #0 has unsupported element type ui32}}
  %0 = nn.neg %a : tensor<4xui32>
  func.return
}

// -----

func.func @index_operand(%a: tensor<4xindex>) {
  // expected-error @+1 {{operand #0 has unsupported element type index}}
  %0 = nn.neg %a : tensor<4xindex>
  func.return
}

// -----

func.func @signed_result(%a: tensor<4xf32>) {
  // expected-error @+1 {{result has unsupported element type si32}}
  %0 = nn.cast %a : tensor<4xf32> -> tensor<4xsi32>
  func.return
}

// -----

func.func @i8_constant() {
  // expected-error @+1 {{result has unsupported element type i8}}
  %0 = nn.constant dense<1> : tensor<4xi8>
  func.return
}

// -----

// ===-- Element kinds -----------------------------------------------------===//

func.func @float_op_on_integers(%i: tensor<4xi32>) {
  // expected-error @+1 {{'nn.exp' op expects floating-point elements, got i32}}
  %0 = nn.exp %i : tensor<4xi32>
  func.return
}

// -----

func.func @numeric_op_on_i1(%p: tensor<4xi1>) {
  // expected-error @+1 {{'nn.neg' op expects numeric (non-i1) elements, got i1}}
  %0 = nn.neg %p : tensor<4xi1>
  func.return
}

// -----

// Binary ops check the element type the operands promote to.
func.func @add_of_i1(%p: tensor<4xi1>) {
  // expected-error @+1 {{'nn.add' op expects numeric (non-i1) elements, got i1}}
  %0 = nn.add %p, %p : tensor<4xi1>
  func.return
}

// -----

func.func @div_of_integers(%i: tensor<4xi32>, %j: tensor<4xi64>) {
  // expected-error @+1 {{'nn.div' op expects floating-point elements, got i64}}
  %0 = nn.div %i, %j : tensor<4xi32>, tensor<4xi64> -> tensor<4xi64>
  func.return
}

// -----

func.func @reduce_mean_of_integers(%i: tensor<4x8xi32>) {
  // expected-error @+1 {{'nn.reduce_mean' op expects floating-point elements, got i32}}
  %0 = nn.reduce_mean %i axes = [1] : tensor<4x8xi32>
  func.return
}

// -----

func.func @one_element_type(%a: tensor<4x8xf32>, %b: tensor<8x4xf16>) {
  // expected-error @+1 {{'nn.matmul' op operands must have one element type, got f16, f32}}
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x4xf16> -> tensor<4x4xf32>
  func.return
}

// -----

// ===-- Broadcasting and axes ---------------------------------------------===//

func.func @not_broadcastable(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{shapes [4, 3], [4] are not broadcast-compatible}}
  %0 = nn.add %a, %b : tensor<4x3xf32>, tensor<4xf32>
  func.return
}

// -----

func.func @axis_out_of_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = nn.reduce_sum %x axes = [2] : tensor<4x8xf32>
  func.return
}

// -----

func.func @negative_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = nn.softmax %x axis = -1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @duplicate_axes(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{[1, 1] contains duplicates}}
  %0 = nn.reduce_max %x axes = [1, 1] : tensor<4x8xf32>
  func.return
}

// -----

// ===-- Parameter syntax --------------------------------------------------===//

func.func @unknown_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{unknown parameter 'dim' for 'nn.softmax' (expected: axis)}}
  %0 = nn.softmax %x dim = 1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @parameter_on_op_without_any(%a: tensor<4xf32>) {
  // expected-error @+1 {{unknown parameter 'axis' for 'nn.add' (expected: none)}}
  %0 = nn.add %a, %a axis = 0 : tensor<4xf32>
  func.return
}

// -----

func.func @duplicate_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{parameter 'axis' given twice}}
  %0 = nn.softmax %x axis = 1 axis = 1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @integer_for_list_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{invalid value 1 for parameter 'axes'}}
  %0 = nn.reduce_sum %x axes = 1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @list_for_integer_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{invalid value [1] for parameter 'axis'}}
  %0 = nn.softmax %x axis = [1] : tensor<4x8xf32>
  func.return
}

// -----

func.func @float_for_integer_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{invalid value 1.5 for parameter 'axis'}}
  %0 = nn.softmax %x axis = 1.5 : tensor<4x8xf32>
  func.return
}

// -----

func.func @keyword_for_float_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{invalid value 'tanh' for parameter 'eps'}}
  %0 = nn.layer_norm %x axes = [1] eps = tanh : tensor<4x8xf32>
  func.return
}

// -----

func.func @number_for_keyword_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{invalid value 1 for parameter 'approximate'}}
  %0 = nn.gelu %x approximate = 1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @value_for_flag(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'causal' is a flag and takes no value}}
  %0 = nn.attention %x, %x, %x causal = 1 : tensor<4x8xf32>
  func.return
}

// -----

func.func @flag_for_valued_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{parameter 'axis' needs a value}}
  %0 = nn.softmax %x axis : tensor<4x8xf32>
  func.return
}

// -----

func.func @missing_parameter(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{property 'eps' expected}}
  %0 = nn.layer_norm %x axes = [1] : tensor<4x8xf32>
  func.return
}

// -----

func.func @minus_without_number(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected a number after '-'}}
  %0 = nn.softmax %x axis = -one : tensor<4x8xf32>
  func.return
}

// -----

// ===-- Operand lists -----------------------------------------------------===//

func.func @too_many_operand_types(%a: tensor<4xf32>) {
  // expected-error @+1 {{'nn.add' has 2 operands but 3 operand types}}
  %0 = nn.add %a, %a : tensor<4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @too_few_operands(%a: tensor<4xf32>) {
  // expected-error @+1 {{'nn.add' expects 2 operands, got 1}}
  %0 = nn.add %a : tensor<4xf32>
  func.return
}

// -----

func.func @too_many_operands(%x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' expects 1 to 3 operands, got 4}}
  %0 = nn.layer_norm %x, %w, %w, %w axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @operand_type_for_op_without_operands() {
  // expected-error @+1 {{'nn.iota' takes no operands: expected ': <result type>'}}
  %0 = nn.iota dim = 0 : tensor<4xi32> -> tensor<4xi32>
  func.return
}

// -----

// ===-- nn.constant, nn.splat, nn.iota ------------------------------------===//

func.func @constant_not_dense() {
  // expected-error @+1 {{'nn.constant' expects a dense elements attribute}}
  %0 = nn.constant 1.0 : f32
  func.return
}

// -----

func.func @constant_vector() {
  // expected-error @+1 {{result 'result' at position 0 does not verify}}
  %0 = nn.constant dense<1.0> : vector<4xf32>
  func.return
}

// -----

func.func @splat_without_number() {
  // expected-error @+1 {{'nn.splat' expects a number}}
  %0 = nn.splat one : tensor<4xf32>
  func.return
}

// -----

func.func @splat_of_non_tensor() {
  // expected-error @+1 {{'nn.splat' result must be a tensor type}}
  %0 = nn.splat 1.0 : f32
  func.return
}

// -----

func.func @splat_integer_into_floats() {
  // expected-error @+1 {{splat value for f32 elements must be a float}}
  %0 = nn.splat 1 : tensor<4xf32>
  func.return
}

// -----

func.func @splat_float_into_integers() {
  // expected-error @+1 {{splat value for i32 elements must be an integer}}
  %0 = nn.splat 1.0 : tensor<4xi32>
  func.return
}

// -----

func.func @splat_bool_out_of_range() {
  // expected-error @+1 {{splat value 2 does not fit in i1}}
  %0 = nn.splat 2 : tensor<4xi1>
  func.return
}

// -----

func.func @iota_of_i1() {
  // expected-error @+1 {{'nn.iota' op cannot produce i1 elements}}
  %0 = nn.iota dim = 0 : tensor<4xi1>
  func.return
}

// -----

func.func @iota_dim_out_of_range() {
  // expected-error @+1 {{dim 2 is out of range for rank 2}}
  %0 = nn.iota dim = 2 : tensor<4x8xi32>
  func.return
}

// -----

// ===-- Element-wise ops --------------------------------------------------===//

func.func @unknown_gelu_form(%x: tensor<4xf32>) {
  // expected-error @+1 {{approximate must be one of none, tanh, got fast}}
  %0 = nn.gelu %x approximate = fast : tensor<4xf32>
  func.return
}

// -----

func.func @select_condition_not_i1(%c: tensor<4xi32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{condition must have i1 elements, got i32}}
  %0 = nn.select %c, %a, %a : tensor<4xi32>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @cast_changes_shape(%a: tensor<4xf32>) {
  // expected-error @+1 {{cast must keep the shape: tensor<4xf32> vs tensor<2x2xf16>}}
  %0 = nn.cast %a : tensor<4xf32> -> tensor<2x2xf16>
  func.return
}

// -----

// ===-- Contraction and data movement -------------------------------------===//

func.func @matmul_of_vector(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{matmul operands must have rank >= 2 (use nn.expand_dims for vectors)}}
  %0 = nn.matmul %a, %b : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @matmul_contracting_dims_differ(%a: tensor<4x8xf32>, %b: tensor<6x4xf32>) {
  // expected-error @+1 {{contracting dims differ: 8 (lhs) vs 6 (rhs)}}
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<6x4xf32> -> tensor<4x4xf32>
  func.return
}

// -----

func.func @matmul_batch_dims_incompatible(%a: tensor<2x4x8xf32>, %b: tensor<3x8x4xf32>) {
  // expected-error @+1 {{shapes [2], [3] are not broadcast-compatible}}
  %0 = nn.matmul %a, %b : tensor<2x4x8xf32>, tensor<3x8x4xf32> -> tensor<2x4x4xf32>
  func.return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm [0, 0] is not a permutation of the 2 dims}}
  %0 = nn.transpose %x perm = [0, 0] : tensor<2x3xf32>
  func.return
}

// -----

func.func @reshape_changes_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{reshape cannot change the element type}}
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf16>
  func.return
}

// -----

func.func @reshape_changes_element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{reshape must keep the element count: tensor<2x3xf32> vs tensor<7xf32>}}
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  func.return
}

// -----

func.func @broadcast_to_changes_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{broadcast_to cannot change the element type}}
  %0 = nn.broadcast_to %x : tensor<4xf32> -> tensor<2x4xf16>
  func.return
}

// -----

func.func @broadcast_to_smaller_rank(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{tensor<2x4xf32> cannot be broadcast to tensor<4xf32>}}
  %0 = nn.broadcast_to %x : tensor<2x4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @broadcast_to_shrinks_a_dim(%x: tensor<4x1xf32>) {
  // expected-error @+1 {{tensor<4x1xf32> cannot be broadcast to tensor<1x4xf32>}}
  %0 = nn.broadcast_to %x : tensor<4x1xf32> -> tensor<1x4xf32>
  func.return
}

// -----

func.func @broadcast_to_incompatible(%x: tensor<3xf32>) {
  // expected-error @+1 {{tensor<3xf32> cannot be broadcast to tensor<2x4xf32>}}
  %0 = nn.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @broadcast_in_dim_changes_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{broadcast_in_dim cannot change the element type}}
  %0 = nn.broadcast_in_dim %x dims = [1] : tensor<4xf32> -> tensor<2x4xf64>
  func.return
}

// -----

func.func @broadcast_in_dim_dims_count(%x: tensor<4xf32>) {
  // expected-error @+1 {{dims has 2 entries for a rank-1 input}}
  %0 = nn.broadcast_in_dim %x dims = [0, 1] : tensor<4xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @broadcast_in_dim_dim_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{dim 2 is out of range for rank 2}}
  %0 = nn.broadcast_in_dim %x dims = [2] : tensor<4xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @broadcast_in_dim_not_increasing(%x: tensor<4x2xf32>) {
  // expected-error @+1 {{dims [1, 0] must be increasing}}
  %0 = nn.broadcast_in_dim %x dims = [1, 0] : tensor<4x2xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @broadcast_in_dim_size_mismatch(%x: tensor<3xf32>) {
  // expected-error @+1 {{input dim 0 (3) cannot become 4}}
  %0 = nn.broadcast_in_dim %x dims = [1] : tensor<3xf32> -> tensor<2x4xf32>
  func.return
}

// -----

func.func @expand_dims_axis_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{axis 3 is out of range for rank 2}}
  %0 = nn.expand_dims %x axes = [3] : tensor<4xf32>
  func.return
}

// -----

func.func @squeeze_non_unit_dim(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{cannot squeeze axis 1 of size 4}}
  %0 = nn.squeeze %x axes = [1] : tensor<1x4xf32>
  func.return
}

// -----

func.func @concat_without_operands() {
  // expected-error @+1 {{concat needs at least one operand}}
  %0 = nn.concat axis = 0 : tensor<4xf32>
  func.return
}

// -----

func.func @concat_element_types_differ(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'nn.concat' op operands must have one element type, got f16, f32}}
  %0 = nn.concat %a, %b axis = 0 : tensor<4xf32>, tensor<4xf16> -> tensor<8xf32>
  func.return
}

// -----

func.func @concat_shapes_differ_off_axis(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{operand shapes (2, 3) and (4, 3) differ off axis 1}}
  %0 = nn.concat %a, %b axis = 1 : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x6xf32>
  func.return
}

// -----

func.func @slice_bounds_count(%x: tensor<10x4xf32>) {
  // expected-error @+1 {{stop has 1 entries for rank 2}}
  %0 = nn.slice %x start = [0, 0] stop = [10] step = [1, 1] : tensor<10x4xf32>
  func.return
}

// -----

func.func @slice_stop_past_end(%x: tensor<10x4xf32>) {
  // expected-error @+1 {{dim 0: need 0 <= start <= stop <= 10, got 2:11}}
  %0 = nn.slice %x start = [2, 0] stop = [11, 4] step = [1, 1] : tensor<10x4xf32>
  func.return
}

// -----

func.func @slice_zero_step(%x: tensor<10x4xf32>) {
  // expected-error @+1 {{dim 1: step must be >= 1, got 0}}
  %0 = nn.slice %x start = [0, 0] stop = [10, 4] step = [1, 0] : tensor<10x4xf32>
  func.return
}

// -----

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{indices must be i32 or i64, got f32}}
  %0 = nn.gather %t, %i axis = 0 : tensor<10x4xf32>, tensor<3xf32> -> tensor<3x4xf32>
  func.return
}

// -----

func.func @gather_axis_out_of_range(%t: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = nn.gather %t, %i axis = 2 : tensor<10x4xf32>, tensor<3xi32> -> tensor<10x4xf32>
  func.return
}

// -----

// ===-- Composites --------------------------------------------------------===//

func.func @softmax_of_integers(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{'nn.softmax' op expects floating-point elements, got i32}}
  %0 = nn.softmax %x axis = 1 : tensor<4x8xi32>
  func.return
}

// -----

func.func @log_softmax_axis_out_of_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = nn.log_softmax %x axis = 2 : tensor<4x8xf32>
  func.return
}

// -----

func.func @layer_norm_leading_axes(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{normalized axes [0] must be the trailing dims of the rank-2 input}}
  %0 = nn.layer_norm %x axes = [0] eps = 1.0e-05 : tensor<4x8xf32>
  func.return
}

// -----

func.func @layer_norm_negative_eps(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{eps must be >= 0}}
  %0 = nn.layer_norm %x axes = [1] eps = -1.0e-05 : tensor<4x8xf32>
  func.return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{weight/bias must be tensor<8xf32>, got tensor<4xf32>}}
  %0 = nn.layer_norm %x, %w, %b axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @rms_norm_weight_element_type(%x: tensor<4x8xf32>, %w: tensor<8xf16>) {
  // expected-error @+1 {{weight/bias must be tensor<8xf32>, got tensor<8xf16>}}
  %0 = nn.rms_norm %x, %w axes = [1] eps = 1.0e-06 : tensor<4x8xf32>, tensor<8xf16> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @linear_weight_rank(%x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{linear needs an input of rank >= 1 and a rank-2 weight}}
  %0 = nn.linear %x, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @linear_features_differ(%x: tensor<4x8xf32>, %w: tensor<16x4xf32>) {
  // expected-error @+1 {{input features 8 do not match weight [16, 4]}}
  %0 = nn.linear %x, %w : tensor<4x8xf32>, tensor<16x4xf32> -> tensor<4x16xf32>
  func.return
}

// -----

func.func @linear_bias_shape(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{bias must have shape [16], got tensor<8xf32>}}
  %0 = nn.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<8xf32> -> tensor<4x16xf32>
  func.return
}

// -----

func.func @attention_ranks(%q: tensor<4x8xf32>, %k: tensor<2x4x8xf32>) {
  // expected-error @+1 {{query, key and value must have one rank >= 2}}
  %0 = nn.attention %q, %k, %k : tensor<4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @attention_batch_dims(%q: tensor<2x4x8xf32>, %k: tensor<3x4x8xf32>) {
  // expected-error @+1 {{batch dims differ: [2], [3], [3]}}
  %0 = nn.attention %q, %k, %k : tensor<2x4x8xf32>, tensor<3x4x8xf32>, tensor<3x4x8xf32> -> tensor<2x4x8xf32>
  func.return
}

// -----

func.func @attention_feature_dims(%q: tensor<4x8xf32>, %k: tensor<6x16xf32>) {
  // expected-error @+1 {{query and key feature dims differ: 8 vs 16}}
  %0 = nn.attention %q, %k, %k : tensor<4x8xf32>, tensor<6x16xf32>, tensor<6x16xf32> -> tensor<4x16xf32>
  func.return
}

// -----

func.func @attention_key_value_lengths(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<5x8xf32>) {
  // expected-error @+1 {{key and value lengths differ: 6 vs 5}}
  %0 = nn.attention %q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<5x8xf32> -> tensor<4x8xf32>
  func.return
}

// -----

func.func @attention_of_integers(%q: tensor<4x8xi32>) {
  // expected-error @+1 {{'nn.attention' op expects floating-point elements, got i32}}
  %0 = nn.attention %q, %q, %q : tensor<4x8xi32>
  func.return
}
