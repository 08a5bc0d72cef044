// RUN: mlc-opt %s -p fuse | filecheck %s
// RUN: mlc-opt %s -p 'fuse{vertical=false}' | filecheck %s --check-prefix=OFF
// RUN: mlc-opt %s -p 'fuse{max-recompute=0}' | filecheck %s --check-prefix=STORED
// RUN: mlc-opt %s -p 'fuse{remarks=true max-recompute=0}' --verify-diagnostics > /dev/null

// A point-wise chain with a broadcast bias is one kernel; the broadcast is an
// index map (%b[%d1]), not a copy.
// CHECK-LABEL: func.func @chain(
// CHECK-NEXT:    [[Y:%.+]] = loop.kernel "chain_k0" domain(%d0: 4, %d1: 8) ins(%x_1 = %x : tensor<4x8xf32>, %b_1 = %b : tensor<8xf32>) outs(%y_out : tensor<4x8xf32>) {
// CHECK-NEXT:      [[X:%.+]] = loop.load %x_1[%d0, %d1] : tensor<4x8xf32>
// CHECK-NEXT:      [[B:%.+]] = loop.load %b_1[%d1] : tensor<8xf32>
// CHECK-NEXT:      [[ADD:%.+]] = arith.addf [[X]], [[B]] : f32
// CHECK-NEXT:      [[EXP:%.+]] = math.exp [[ADD]] : f32
// CHECK-NEXT:      [[TWO:%.+]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      [[MUL:%.+]] = arith.mulf [[EXP]], [[TWO]] : f32
// CHECK-NEXT:      loop.store [[MUL]], %y_out[%d0, %d1] : tensor<4x8xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return [[Y]] : tensor<4x8xf32>

// OFF-LABEL: func.func @chain(
// OFF-COUNT-3: loop.kernel
// OFF-NOT:     loop.kernel
// OFF:         func.return
func.func @chain(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %bb = nn.broadcast_in_dim %b dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = nn.add %x, %bb : tensor<4x8xf32>
  %e = nn.exp %s : tensor<4x8xf32>
  %two = nn.splat 2.0 : tensor<4x8xf32>
  %y = nn.mul %e, %two : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// A transpose on the way is just a different index order. By default the cheap
// exp is recomputed by its reader, so the kernel runs over the output's order.
// CHECK-LABEL: func.func @transposed(
// CHECK-NEXT:    loop.kernel "transposed_k0" domain(%d0: 8, %d1: 4)
// CHECK-NEXT:      loop.load %x_1[%d1, %d0] : tensor<4x8xf32>
// CHECK-NEXT:      math.exp
// CHECK-NEXT:      math.tanh
// CHECK-NEXT:      loop.store %{{.*}}, %y_out[%d0, %d1] : tensor<8x4xf32>

// Without recomputation the exp's kernel takes the tanh along, storing transposed.
// STORED-LABEL: func.func @transposed(
// STORED-NEXT:    loop.kernel "transposed_k0" domain(%d0: 4, %d1: 8)
// STORED-NEXT:      loop.load %x_1[%d0, %d1] : tensor<4x8xf32>
// STORED-NEXT:      math.exp
// STORED-NEXT:      math.tanh
// STORED-NEXT:      loop.store %{{.*}}, %y_out[%d1, %d0] : tensor<8x4xf32>
func.func @transposed(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  %e = nn.exp %x : tensor<4x8xf32>
  %t = nn.transpose %e perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %y = nn.tanh %t : tensor<8x4xf32>
  func.return %y : tensor<8x4xf32>
}

// A strided read of a cheap value recomputes just the elements it needs.
// CHECK-LABEL: func.func @strided(
// CHECK-NEXT:    loop.kernel "strided_k0" domain(%d0: 4)
// CHECK-NEXT:      loop.load %x_1[((%d0 * 2) + 1)] : tensor<8xf32>
// CHECK-NEXT:      math.exp
// CHECK-NEXT:      arith.negf

// Stored, the value is written once and the slice reads every other element back:
// its values come from other iterations, so the slice cannot join the kernel.
// STORED-LABEL: func.func @strided(
// STORED:         [[E:%.+]] = loop.kernel "strided_k0" domain(%d0: 8)
// STORED:           math.exp
// STORED:         loop.kernel "strided_k1" domain(%d0: 4) ins(%e_1 = [[E]] : tensor<8xf32>)
// STORED-NEXT:      loop.load %e_1[((%d0 * 2) + 1)] : tensor<8xf32>
func.func @strided(%x: tensor<8xf32>) -> tensor<4xf32> {
  %e = nn.exp %x : tensor<8xf32>
  %s = nn.slice %e start = [1] stop = [8] step = [2] : tensor<8xf32> -> tensor<4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e through the index map (((d0 * 2) + 1)) of a slice}}
  %y = nn.neg %s : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// A value used by two kernels is stored once, never recomputed.
// CHECK-LABEL: func.func @shared(
// CHECK:         loop.kernel "shared_k0"
// CHECK:         loop.store
// CHECK:         loop.store
// CHECK:       }
// CHECK-NOT:     loop.kernel
// CHECK:         func.return
func.func @shared(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = nn.exp %x : tensor<8xf32>
  %a = nn.neg %e : tensor<8xf32>
  func.return %e, %a : tensor<8xf32>, tensor<8xf32>
}
