// RUN: mlc-opt %s -p 'fuse{remarks=true}' --verify-diagnostics > /dev/null
// RUN: mlc-opt %s -p 'fuse{remarks=true vertical=false}' 2>&1 >/dev/null | filecheck %s --check-prefix=VERTICAL
// RUN: mlc-opt %s -p 'fuse{remarks=true reduction=false}' 2>&1 >/dev/null | filecheck %s --check-prefix=REDUCTION
// RUN: mlc-opt %s -p 'fuse{remarks=true epilogue=false}' 2>&1 >/dev/null | filecheck %s --check-prefix=EPILOGUE
// RUN: mlc-opt %s -p 'fuse{remarks=true max-ops=2}' 2>&1 >/dev/null | filecheck %s --check-prefix=MAXOPS
// RUN: mlc-opt %s -p fuse 2>&1 | filecheck %s --check-prefix=QUIET
// RUN: mlc-opt %s -p 'fuse{vertical=false reduction=false epilogue=false max-ops=1}' 2>&1 | filecheck %s --check-prefix=QUIET

// `fuse{remarks=true}` explains, at the op, each kernel it did not join and why: one
// function per reason `can_join` gives. A producer an op reads is kept out of the
// recomputation the pass does for cheap element-wise values of the arguments by
// returning it too (a returned value is stored, never recomputed).
//
// Not here: "would compute it redundantly along dim N" is unreachable while
// placements are right (every member of a kernel covers all its parallel dims, so
// a reader of any member covers them too); "horizontal fusion is disabled" is never
// produced (sibling merging is not decided by can_join and emits no remarks).

// Without remarks=true nothing is said, however many fusions are refused.
// QUIET-NOT:   remark
// QUIET:       builtin.module
// QUIET-NOT:   remark

// A gather reads its table at computed rows; a concat reads each input piecewise.
func.func @gather_table(%x: tensor<8x4xf32>, %idx: tensor<3xi64>) -> (tensor<8x4xf32>, tensor<3x4xf32>) {
  %e = nn.exp %x : tensor<8x4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e at data-dependent indices}}
  %g = nn.gather %e, %idx axis = 0 : tensor<8x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  func.return %e, %g : tensor<8x4xf32>, tensor<3x4xf32>
}

func.func @concat_input(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x8xf32>) {
  %e = nn.exp %x : tensor<4x4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e at data-dependent indices}}
  %c = nn.concat %e, %x axis = 1 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x8xf32>
  func.return %e, %c : tensor<4x4xf32>, tensor<4x8xf32>
}

// A reshape that regroups elements, and a strided slice, read other iterations'
// values.
func.func @reshape_map(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<6x4xf32>) {
  %e = nn.exp %x : tensor<4x6xf32>
  %r = nn.reshape %e : tensor<4x6xf32> -> tensor<6x4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e through the index map ((((d0 * 4) + d1) floordiv 6)) of a slice or reshape; it would need values of other iterations}}
  %y = nn.neg %r : tensor<6x4xf32>
  func.return %e, %y : tensor<4x6xf32>, tensor<6x4xf32>
}

func.func @slice_map(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<4xf32>) {
  %e = nn.exp %x : tensor<8xf32>
  %s = nn.slice %e start = [1] stop = [8] step = [2] : tensor<8xf32> -> tensor<4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e through the index map (((d0 * 2) + 1)) of a slice or reshape; it would need values of other iterations}}
  %y = nn.neg %s : tensor<4xf32>
  func.return %e, %y : tensor<8xf32>, tensor<4xf32>
}

// e + e^T needs e at (i, j) and at (j, i) in the same iteration.
func.func @different_order(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %e = nn.exp %x : tensor<4x4xf32>
  %t = nn.transpose %e perm = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  // expected-remark @+1 {{not fused into kernel #0: reads %e in a different order than the kernel computes it}}
  %y = nn.add %t, %e : tensor<4x4xf32>
  func.return %e, %y : tensor<4x4xf32>, tensor<4x4xf32>
}

// A row statistic broadcast over a new, longer dim; a point-wise matmul operand
// read once per output column.
func.func @recompute(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %r = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %b = nn.broadcast_in_dim %r dims = [0, 1] : tensor<4x1xf32> -> tensor<4x16xf32>
  // expected-remark @+1 {{not fused into kernel #0: would recompute kernel #0 for each of the 16 values of dim 1}}
  %y = nn.exp %b : tensor<4x16xf32>
  func.return %y : tensor<4x16xf32>
}

func.func @prologue_recompute(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> (tensor<4x8xf32>, tensor<4x16xf32>) {
  %t = nn.tanh %x : tensor<4x8xf32>
  // expected-remark @+1 {{not fused into kernel #0: would recompute kernel #0 for each of the 16 values of dim 1 (a contraction prologue)}}
  %mm = nn.matmul %t, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  func.return %t, %mm : tensor<4x8xf32>, tensor<4x16xf32>
}

// With one output column nothing would be recomputed, but a contraction never
// joins a kernel that already computes something.
func.func @prologue(%x: tensor<4x8xf32>, %w: tensor<8x1xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>) {
  %t = nn.tanh %x : tensor<4x8xf32>
  // expected-remark @+1 {{not fused into kernel #0: fusing into a contraction's prologue is not supported}}
  %mm = nn.matmul %t, %w : tensor<4x8xf32>, tensor<8x1xf32> -> tensor<4x1xf32>
  func.return %t, %mm : tensor<4x8xf32>, tensor<4x1xf32>
}

// Row sums, then the column of row sums.
func.func @reduction_dims_differ(%x: tensor<4x8xf32>) -> tensor<1x1xf32> {
  %r = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  // expected-remark @+1 {{not fused into kernel #0: reduction dims differ: kernel #0 reduces dims [1], the op dims [0]}}
  %c = nn.reduce_max %r axes = [0] keepdims : tensor<4x1xf32> -> tensor<1x1xf32>
  func.return %c : tensor<1x1xf32>
}

// %y reads %e (kernel #0) and %rb (kernel #2, which reads kernel #1, which reads
// kernel #0): in kernel #0 it would be computed before the value it needs.
func.func @cycle(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %s = nn.reduce_sum %x axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %sb = nn.broadcast_in_dim %s dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  %e = nn.sub %x, %sb : tensor<4x8xf32>
  // expected-remark @+1 {{not fused into kernel #0: would recompute kernel #0 for each of the 16 values of dim 1 (a contraction prologue)}}
  %mm = nn.matmul %e, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  // expected-remark @+1 {{not fused into kernel #1: reduction dims differ: kernel #1 reduces dims [2], the op dims [1]}}
  %r = nn.reduce_max %mm axes = [1] keepdims : tensor<4x16xf32> -> tensor<4x1xf32>
  %rb = nn.broadcast_in_dim %r dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  // expected-remark @+2 {{not fused into kernel #2: would recompute kernel #2 for each of the 8 values of dim 1}}
  // expected-remark @+1 {{not fused into kernel #0: kernel #2 reads kernel #0: fusing would create a cycle}}
  %y = nn.mul %e, %rb : tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// One fusion of each kind, refused when the kind is disabled (or the kernel is
// full); with the defaults all of them happen, so there is no remark here.
func.func @kinds(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = nn.exp %x : tensor<4x8xf32>
  // VERTICAL: remarks.mlir:[[# @LINE + 1]]:3: remark: not fused into kernel #{{[0-9]+}}: vertical fusion is disabled
  %n = nn.neg %e : tensor<4x8xf32>
  // REDUCTION: remarks.mlir:[[# @LINE + 2]]:3: remark: not fused into kernel #{{[0-9]+}}: reduction fusion is disabled
  // MAXOPS: remarks.mlir:[[# @LINE + 1]]:3: remark: not fused into kernel #{{[0-9]+}}: kernel #{{[0-9]+}} already has the maximum of 2 ops
  %m = nn.reduce_max %n axes = [1] keepdims : tensor<4x8xf32> -> tensor<4x1xf32>
  %mm = nn.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  // EPILOGUE: remarks.mlir:[[# @LINE + 1]]:3: remark: not fused into kernel #{{[0-9]+}}: epilogue fusion is disabled
  %y = nn.tanh %mm : tensor<4x8xf32>
  %mb = nn.broadcast_in_dim %m dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  func.return %e, %mb, %y : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
