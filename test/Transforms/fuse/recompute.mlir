// RUN: mlc-opt %s -p fuse | filecheck %s
// RUN: mlc-opt %s -p 'fuse{max-recompute=0}' | filecheck %s --check-prefix=STORED
// RUN: mlc-opt %s -p 'fuse{max-recompute=1}' | filecheck %s --check-prefix=ONE
// RUN: not mlc-opt %s -p 'fuse{max-recompute=-1}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: mlc-opt %s -p 'fuse{prologue=true}' | filecheck %s --check-prefix=PROLOGUE

// BAD: max-recompute must be >= 0, got -1

// Row sums and column maxima of exp(2x) cannot share a kernel (they reduce
// different dims). exp(2x) is two cheap ops of %x: each kernel recomputes it
// rather than one storing it and the other reading it back.
// CHECK-LABEL: func.func @shared_scale(
// CHECK:         loop.kernel "shared_scale_k0" domain(%d0: 4, %d1: 8 reduction) ins(%x_1 = %x : tensor<4x8xf32>)
// CHECK:           math.exp
// CHECK:           loop.reduce add
// CHECK:         loop.kernel "shared_scale_k1" domain(%d0: 4 reduction, %d1: 8) ins(%x_1 = %x : tensor<4x8xf32>)
// CHECK:           math.exp
// CHECK:           loop.reduce max

// With recomputation off, the first kernel also stores exp(2x) for the second.
// STORED-LABEL: func.func @shared_scale(
// STORED:         %e, %r = loop.kernel "shared_scale_k0"
// STORED:         loop.kernel "shared_scale_k1" domain(%d0: 4 reduction, %d1: 8) ins(%e_1 = %e : tensor<4x8xf32>)

// A budget of one op recomputes the scaling but stores the exp of it.
// ONE-LABEL: func.func @shared_scale(
// ONE:         %e, %r = loop.kernel "shared_scale_k0"
func.func @shared_scale(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<8xf32>) {
  %two = nn.splat 2.0 : tensor<4x8xf32>
  %s = nn.mul %x, %two : tensor<4x8xf32>
  %e = nn.exp %s : tensor<4x8xf32>
  %r = nn.reduce_sum %e axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  %c = nn.reduce_max %e axes = [0] : tensor<4x8xf32> -> tensor<8xf32>
  func.return %r, %c : tensor<4xf32>, tensor<8xf32>
}

// A matmul reads each element of its operand once per output column: recomputing
// the exp there would repeat it 16 times, so it is stored.
// CHECK-LABEL: func.func @no_recompute_in_prologue(
// CHECK:         [[E:%.+]] = loop.kernel "no_recompute_in_prologue_k0" domain(%d0: 4, %d1: 8)
// CHECK:           math.exp
// CHECK:         loop.kernel "no_recompute_in_prologue_k1" domain(%d0: 4, %d1: 16, %d2: 8 reduction) ins(%e_1 = [[E]] : tensor<4x8xf32>

// Asked for explicitly, the matmul recomputes the exp in its prologue.
// PROLOGUE-LABEL: func.func @no_recompute_in_prologue(
// PROLOGUE-NEXT:    loop.kernel "no_recompute_in_prologue_k0" domain(%d0: 4, %d1: 16, %d2: 8 reduction) ins(%x_1 = %x : tensor<4x8xf32>, %w_1 = %w : tensor<8x16xf32>)
// PROLOGUE-NEXT:      loop.load %x_1[%d0, %d2]
// PROLOGUE-NEXT:      math.exp
func.func @no_recompute_in_prologue(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = nn.exp %x : tensor<4x8xf32>
  %mm = nn.matmul %e, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  func.return %mm : tensor<4x16xf32>
}

// A returned value is stored whatever it costs.
// CHECK-LABEL: func.func @returned(
// CHECK:         %e, %n = loop.kernel
func.func @returned(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = nn.exp %x : tensor<8xf32>
  %n = nn.neg %e : tensor<8xf32>
  func.return %e, %n : tensor<8xf32>, tensor<8xf32>
}
