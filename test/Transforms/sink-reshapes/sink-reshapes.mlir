// RUN: mlc-opt %s -p sink-reshapes --split-input-file | filecheck %s
// RUN: mlc-opt %s -p mlc-cpu-pipeline --split-input-file | filecheck %s --check-prefix=FUSED

// A linear layer on a 3-D input: the activation after the reshape runs in the
// matmul's shape and the reshape moves below it, so the pipeline makes the
// activation the matmul's epilogue: the first kernel computes the tanh of the
// sum of products, the second (the reduction) reads it.
// CHECK-LABEL: func.func @activation
// CHECK:         [[MM:%.+]] = nn.matmul
// CHECK-NEXT:    [[T:%.+]] = nn.tanh [[MM]] : tensor<8x16xf32>
// CHECK-NEXT:    [[R:%.+]] = nn.reshape [[T]] : tensor<8x16xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT:    nn.reduce_sum [[R]]
// FUSED-LABEL: func.func @activation
// FUSED:         loop.kernel "activation_k0" domain(%d0: 8, %d1: 16, %d2: 8 reduction)
// FUSED:           [[SUM:%.+]] = loop.reduce add
// FUSED-NEXT:      [[T:%.+]] = math.tanh [[SUM]] : f32
// FUSED-NEXT:      loop.store [[T]]
// FUSED:         loop.kernel "activation_k1"
// FUSED-NOT:     loop.kernel
// FUSED:         func.return
func.func @activation(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x4xf32> {
  %x2 = nn.reshape %x : tensor<2x4x8xf32> -> tensor<8x8xf32>
  %c = nn.matmul %x2, %w : tensor<8x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  %r = nn.reshape %c : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %t = nn.tanh %r : tensor<2x4x16xf32>
  %y = nn.reduce_sum %t axes = [2] : tensor<2x4x16xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

// A residual add: the other operand, a function argument, is reshaped to the
// matmul's shape; the chain moves op by op (tanh, then the add) down to the
// reduction, which stays in its own shape.
// CHECK-LABEL: func.func @residual
// CHECK:         [[MM:%.+]] = nn.matmul
// CHECK-NEXT:    [[T:%.+]] = nn.tanh [[MM]] : tensor<8x16xf32>
// CHECK-NEXT:    [[X:%.+]] = nn.reshape %skip : tensor<2x4x16xf32> -> tensor<8x16xf32>
// CHECK-NEXT:    [[A:%.+]] = nn.add [[X]], [[T]] : tensor<8x16xf32>
// CHECK-NEXT:    [[R:%.+]] = nn.reshape [[A]] : tensor<8x16xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT:    nn.reduce_sum [[R]]
func.func @residual(%a: tensor<8x8xf32>, %w: tensor<8x16xf32>, %skip: tensor<2x4x16xf32>) -> tensor<2x4xf32> {
  %c = nn.matmul %a, %w : tensor<8x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  %r = nn.reshape %c : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %t = nn.tanh %r : tensor<2x4x16xf32>
  %s = nn.add %skip, %t : tensor<2x4x16xf32>
  %y = nn.reduce_sum %s axes = [2] : tensor<2x4x16xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

// Stays: the function returns the op's result (a returned reshape would be copied).
// CHECK-LABEL: func.func @returned
// CHECK:         [[R:%.+]] = nn.reshape %{{.+}} : tensor<8x16xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT:    [[T:%.+]] = nn.tanh [[R]] : tensor<2x4x16xf32>
// CHECK-NEXT:    func.return [[T]]
func.func @returned(%a: tensor<8x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x4x16xf32> {
  %c = nn.matmul %a, %w : tensor<8x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  %r = nn.reshape %c : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %t = nn.tanh %r : tensor<2x4x16xf32>
  func.return %t : tensor<2x4x16xf32>
}

// -----

// Stays: the other operand is computed in the op's own shape (a normalisation's
// centred input), so moving the op would cut that kernel in two.
// CHECK-LABEL: func.func @computed_operand
// CHECK:         [[R:%.+]] = nn.reshape %{{.+}} : tensor<8x16xf32> -> tensor<2x4x16xf32>
// CHECK:         nn.mul [[R]], %{{.+}} : tensor<2x4x16xf32>
func.func @computed_operand(%a: tensor<8x8xf32>, %w: tensor<8x16xf32>, %x: tensor<2x4x16xf32>) -> tensor<2x4xf32> {
  %c = nn.matmul %a, %w : tensor<8x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  %r = nn.reshape %c : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %e = nn.exp %x : tensor<2x4x16xf32>
  %m = nn.mul %r, %e : tensor<2x4x16xf32>
  %y = nn.reduce_sum %m axes = [2] : tensor<2x4x16xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

// Stays: a reshaped function argument is not a matmul result (nothing to fuse into).
// CHECK-LABEL: func.func @not_a_matmul
// CHECK:         [[R:%.+]] = nn.reshape %x : tensor<8x16xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT:    nn.tanh [[R]] : tensor<2x4x16xf32>
func.func @not_a_matmul(%x: tensor<8x16xf32>) -> tensor<2x4xf32> {
  %r = nn.reshape %x : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %t = nn.tanh %r : tensor<2x4x16xf32>
  %y = nn.reduce_sum %t axes = [2] : tensor<2x4x16xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

// Stays: two matmul results reshaped from different shapes.
// CHECK-LABEL: func.func @two_shapes
// CHECK:         nn.add %{{.+}}, %{{.+}} : tensor<2x4x16xf32>
func.func @two_shapes(%a: tensor<8x8xf32>, %w: tensor<8x16xf32>, %b: tensor<4x2x8xf32>, %v: tensor<4x8x16xf32>) -> tensor<2x4xf32> {
  %c = nn.matmul %a, %w : tensor<8x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  %r = nn.reshape %c : tensor<8x16xf32> -> tensor<2x4x16xf32>
  %d = nn.matmul %b, %v : tensor<4x2x8xf32>, tensor<4x8x16xf32> -> tensor<4x2x16xf32>
  %f = nn.reshape %d : tensor<4x2x16xf32> -> tensor<2x4x16xf32>
  %s = nn.add %r, %f : tensor<2x4x16xf32>
  %y = nn.reduce_sum %s axes = [2] : tensor<2x4x16xf32> -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
