// RUN: mlc-opt %s -p canonicalize --split-input-file | filecheck %s

// x + (-0.0) is x for every float, signed zeros included.
// CHECK-LABEL: func.func @add_negative_zero
// CHECK-NEXT:    func.return %x : tensor<4xf32>
func.func @add_negative_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = nn.splat -0.0 : tensor<4xf32>
  %y = nn.add %z, %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// x + 0.0 is not x when x is -0.0: it must stay.
// CHECK-LABEL: func.func @add_positive_zero_kept
// CHECK:         nn.add
func.func @add_positive_zero_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = nn.splat 0.0 : tensor<4xf32>
  %y = nn.add %x, %z : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_integer_zero
// CHECK-NEXT:    func.return %x : tensor<4xi32>
func.func @add_integer_zero(%x: tensor<4xi32>) -> tensor<4xi32> {
  %z = nn.splat 0 : tensor<4xi32>
  %y = nn.add %x, %z : tensor<4xi32>
  func.return %y : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @sub_zero
// CHECK-NEXT:    func.return %x : tensor<4xf32>
func.func @sub_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = nn.splat 0.0 : tensor<4xf32>
  %y = nn.sub %x, %z : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one_div_one
// CHECK-NEXT:    func.return %x : tensor<4xf32>
func.func @mul_one_div_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = nn.splat 1.0 : tensor<4xf32>
  %a = nn.mul %one, %x : tensor<4xf32>
  %b = nn.div %a, %one : tensor<4xf32>
  func.return %b : tensor<4xf32>
}

// -----

// A hidden broadcast is not an identity: the result type differs from %x.
// CHECK-LABEL: func.func @mul_one_broadcasting_kept
// CHECK:         nn.mul
func.func @mul_one_broadcasting_kept(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %one = nn.splat 1.0 : tensor<3x4xf32>
  %y = nn.mul %x, %one : tensor<4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  func.return %y : tensor<3x4xf32>
}

// -----

// Integer x * 0 is 0.
// CHECK-LABEL: func.func @mul_integer_zero
// CHECK-NEXT:    [[Z:%.+]] = nn.splat 0 : tensor<4xi64>
// CHECK-NEXT:    func.return [[Z]] : tensor<4xi64>
func.func @mul_integer_zero(%x: tensor<4xi64>) -> tensor<4xi64> {
  %z = nn.splat 0 : tensor<4xi64>
  %y = nn.mul %x, %z : tensor<4xi64>
  func.return %y : tensor<4xi64>
}

// -----

// Float x * 0.0 is NaN for x = inf or NaN and -0.0 for negative x: it must stay.
// CHECK-LABEL: func.func @mul_float_zero_kept
// CHECK:         nn.mul
func.func @mul_float_zero_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = nn.splat 0.0 : tensor<4xf32>
  %y = nn.mul %x, %z : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @double_negation
// CHECK-NEXT:    func.return %x : tensor<4xf32>
func.func @double_negation(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = nn.neg %x : tensor<4xf32>
  %b = nn.neg %a : tensor<4xf32>
  func.return %b : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @cast_to_same_type
// CHECK-NEXT:    func.return %x : tensor<4xf32>
func.func @cast_to_same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.cast %x : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// A real conversion stays.
// CHECK-LABEL: func.func @cast_kept
// CHECK-NEXT:    nn.cast %x : tensor<4xf32> -> tensor<4xf16>
func.func @cast_kept(%x: tensor<4xf32>) -> tensor<4xf16> {
  %y = nn.cast %x : tensor<4xf32> -> tensor<4xf16>
  func.return %y : tensor<4xf16>
}

// -----

// CHECK-LABEL: func.func @transpose_transpose
// CHECK-NEXT:    [[T:%.+]] = nn.transpose %x perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT:    func.return [[T]]
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %a = nn.transpose %x perm = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %b = nn.transpose %a perm = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  func.return %b : tensor<4x2x3xf32>
}

// -----

// Transposing back is the identity.
// CHECK-LABEL: func.func @transpose_inverse
// CHECK-NEXT:    func.return %x : tensor<2x3xf32>
func.func @transpose_inverse(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = nn.transpose %x perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %b = nn.transpose %a perm = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  func.return %b : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_reshape
// CHECK-NEXT:    [[R:%.+]] = nn.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
// CHECK-NEXT:    func.return [[R]]
func.func @reshape_reshape(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  %a = nn.reshape %x : tensor<2x6xf32> -> tensor<12xf32>
  %b = nn.reshape %a : tensor<12xf32> -> tensor<3x4xf32>
  func.return %b : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_splat
// CHECK-NEXT:    [[S:%.+]] = nn.splat 1.5 : tensor<3x4xf32>
// CHECK-NEXT:    func.return [[S]]
func.func @reshape_of_splat() -> tensor<3x4xf32> {
  %s = nn.splat 1.5 : tensor<2x6xf32>
  %r = nn.reshape %s : tensor<2x6xf32> -> tensor<3x4xf32>
  func.return %r : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_of_splat
// CHECK-NEXT:    [[S:%.+]] = nn.splat 2.5 : tensor<4x8xf32>
// CHECK-NEXT:    func.return [[S]]
func.func @broadcast_of_splat() -> tensor<4x8xf32> {
  %s = nn.splat 2.5 : tensor<8xf32>
  %b = nn.broadcast_in_dim %s dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  func.return %b : tensor<4x8xf32>
}

// -----

// Element-wise ops of splats fold to a splat of any size.
// CHECK-LABEL: func.func @fold_splats
// CHECK-NEXT:    [[S:%.+]] = nn.splat 5.0 : tensor<1024x1024xf32>
// CHECK-NEXT:    func.return [[S]]
func.func @fold_splats() -> tensor<1024x1024xf32> {
  %a = nn.splat 2.0 : tensor<1024x1024xf32>
  %b = nn.splat 3.0 : tensor<1024x1024xf32>
  %c = nn.add %a, %b : tensor<1024x1024xf32>
  func.return %c : tensor<1024x1024xf32>
}

// -----

// Small constants fold through any op.
// CHECK-LABEL: func.func @fold_small_constant
// CHECK-NEXT:    [[C:%.+]] = nn.constant dense<[4.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    func.return [[C]]
func.func @fold_small_constant() -> tensor<2xf32> {
  %c = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %s = nn.reduce_sum %c axes = [0] : tensor<2x2xf32> -> tensor<2xf32>
  func.return %s : tensor<2xf32>
}

// -----

// Folding does not materialise constants above 64 elements.
// CHECK-LABEL: func.func @no_large_fold
// CHECK-NEXT:    nn.constant
// CHECK-NEXT:    nn.transpose
func.func @no_large_fold() -> tensor<10x10xf32> {
  %c = nn.constant dense<1.0> : tensor<10x10xf32>
  %t = nn.transpose %c perm = [1, 0] : tensor<10x10xf32>
  func.return %t : tensor<10x10xf32>
}
