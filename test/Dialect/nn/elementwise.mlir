// Round trip of the nn element-wise ops: every unary, binary, comparison, select
// and cast op prints in its custom syntax, parses back (also from the generic
// form), and carries the result type the op infers from its operands.
// RUN: mlc-opt %s | filecheck %s
// RUN: MLC_ROUNDTRIP

// Unary ops print one type: the operand's, which is also the result's.
// CHECK-LABEL: func.func @unary(
// CHECK-NEXT:    %{{.*}} = nn.neg %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.neg %i : tensor<4xi32>
// CHECK-NEXT:    %{{.*}} = nn.abs %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.abs %i : tensor<4xi32>
// CHECK-NEXT:    %{{.*}} = nn.exp %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.log %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.sqrt %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.rsqrt %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.tanh %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.erf %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.sin %x : tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.cos %x : tensor<4x8xf32>
// CHECK-NEXT:    func.return
func.func @unary(%x: tensor<4x8xf32>, %i: tensor<4xi32>) {
  %neg = nn.neg %x : tensor<4x8xf32>
  %negi = nn.neg %i : tensor<4xi32>
  %abs = nn.abs %x : tensor<4x8xf32>
  %absi = nn.abs %i : tensor<4xi32>
  %exp = nn.exp %x : tensor<4x8xf32>
  %log = nn.log %x : tensor<4x8xf32>
  %sqrt = nn.sqrt %x : tensor<4x8xf32>
  %rsqrt = nn.rsqrt %x : tensor<4x8xf32>
  %tanh = nn.tanh %x : tensor<4x8xf32>
  %erf = nn.erf %x : tensor<4x8xf32>
  %sin = nn.sin %x : tensor<4x8xf32>
  %cos = nn.cos %x : tensor<4x8xf32>
  func.return
}

// The composite activations. gelu's default form (approximate = none) is
// omitted when not written; an explicit form prints back as written.
// CHECK-LABEL: func.func @activations(
// CHECK-NEXT:    %{{.*}} = nn.sigmoid %x : tensor<4x8xbf16>
// CHECK-NEXT:    %{{.*}} = nn.relu %x : tensor<4x8xbf16>
// CHECK-NEXT:    %{{.*}} = nn.relu %i : tensor<4xi64>
// CHECK-NEXT:    %{{.*}} = nn.silu %x : tensor<4x8xbf16>
// CHECK-NEXT:    %{{.*}} = nn.gelu %x : tensor<4x8xbf16>
// CHECK-NEXT:    %{{.*}} = nn.gelu %x approximate = none : tensor<4x8xbf16>
// CHECK-NEXT:    %{{.*}} = nn.gelu %x approximate = tanh : tensor<4x8xbf16>
// CHECK-NEXT:    func.return
func.func @activations(%x: tensor<4x8xbf16>, %i: tensor<4xi64>) {
  %sigmoid = nn.sigmoid %x : tensor<4x8xbf16>
  %relu = nn.relu %x : tensor<4x8xbf16>
  %relui = nn.relu %i : tensor<4xi64>
  %silu = nn.silu %x : tensor<4x8xbf16>
  %gelu = nn.gelu %x : tensor<4x8xbf16>
  %gelu_none = nn.gelu %x approximate = none : tensor<4x8xbf16>
  %gelu_tanh = nn.gelu %x approximate = tanh : tensor<4x8xbf16>
  func.return
}

// CHECK-LABEL: func.func @binary(
// CHECK-NEXT:    %{{.*}} = nn.add %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.sub %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.mul %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.div %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.max %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.min %a, %b : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.pow %a, %b : tensor<4xf32>
// CHECK-NEXT:    func.return
func.func @binary(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  %add = nn.add %a, %b : tensor<4xf32>
  %sub = nn.sub %a, %b : tensor<4xf32>
  %mul = nn.mul %a, %b : tensor<4xf32>
  %div = nn.div %a, %b : tensor<4xf32>
  %max = nn.max %a, %b : tensor<4xf32>
  %min = nn.min %a, %b : tensor<4xf32>
  %pow = nn.pow %a, %b : tensor<4xf32>
  func.return
}

// Operands broadcast like numpy; the elided result type is the broadcast shape.
// CHECK-LABEL: func.func @broadcasting(
// CHECK-NEXT:    %{{.*}} = nn.add %m, %row : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.mul %col, %row : tensor<4x1xf32>, tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.sub %s, %m : tensor<f32>, tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.max %m, %col : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK-NEXT:    func.return
func.func @broadcasting(%m: tensor<4x8xf32>, %row: tensor<8xf32>, %col: tensor<4x1xf32>, %s: tensor<f32>) {
  %row_b = nn.add %m, %row : tensor<4x8xf32>, tensor<8xf32>
  %outer = nn.mul %col, %row : tensor<4x1xf32>, tensor<8xf32>
  %scalar = nn.sub %s, %m : tensor<f32>, tensor<4x8xf32>
  %stated = nn.max %m, %col : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  func.return
}

// Mixed element types promote (i1 < i32 < i64 < f16, bf16 < f32 < f64), and
// f16 with bf16 gives f32.
// CHECK-LABEL: func.func @promotion(
// CHECK-NEXT:    %{{.*}} = nn.add %i32, %f16 : tensor<4xi32>, tensor<4xf16> -> tensor<4xf16>
// CHECK-NEXT:    %{{.*}} = nn.add %f16, %bf16 : tensor<4xf16>, tensor<4xbf16> -> tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.mul %f32, %f64 : tensor<4xf32>, tensor<4xf64> -> tensor<4xf64>
// CHECK-NEXT:    %{{.*}} = nn.sub %i1, %i32 : tensor<4xi1>, tensor<4xi32> -> tensor<4xi32>
// CHECK-NEXT:    %{{.*}} = nn.max %i32, %i64 : tensor<4xi32>, tensor<4xi64> -> tensor<4xi64>
// CHECK-NEXT:    %{{.*}} = nn.div %i32, %f32 : tensor<4xi32>, tensor<4xf32> -> tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.pow %bf16, %bf16 : tensor<4xbf16>
// CHECK-NEXT:    func.return
func.func @promotion(%f32: tensor<4xf32>, %f16: tensor<4xf16>, %bf16: tensor<4xbf16>, %f64: tensor<4xf64>, %i1: tensor<4xi1>, %i32: tensor<4xi32>, %i64: tensor<4xi64>) {
  %0 = nn.add %i32, %f16 : tensor<4xi32>, tensor<4xf16>
  %1 = nn.add %f16, %bf16 : tensor<4xf16>, tensor<4xbf16>
  %2 = nn.mul %f32, %f64 : tensor<4xf32>, tensor<4xf64>
  %3 = nn.sub %i1, %i32 : tensor<4xi1>, tensor<4xi32>
  %4 = nn.max %i32, %i64 : tensor<4xi32>, tensor<4xi64>
  %5 = nn.div %i32, %f32 : tensor<4xi32>, tensor<4xf32>
  %6 = nn.pow %bf16, %bf16 : tensor<4xbf16>
  func.return
}

// Comparisons broadcast and promote like the arithmetic ops and yield i1; with
// one operand type written, the printer still states the i1 result.
// CHECK-LABEL: func.func @compare(
// CHECK-NEXT:    %{{.*}} = nn.eq %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.ne %a, %a : tensor<4x8xf32> -> tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.lt %a, %i : tensor<4x8xf32>, tensor<4x8xi32> -> tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.le %i, %i : tensor<4x8xi32> -> tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.gt %p, %p : tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.ge %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xi1>
// CHECK-NEXT:    func.return
func.func @compare(%a: tensor<4x8xf32>, %b: tensor<8xf32>, %i: tensor<4x8xi32>, %p: tensor<4x8xi1>) {
  %eq = nn.eq %a, %b : tensor<4x8xf32>, tensor<8xf32>
  %ne = nn.ne %a, %a : tensor<4x8xf32>
  %lt = nn.lt %a, %i : tensor<4x8xf32>, tensor<4x8xi32>
  %le = nn.le %i, %i : tensor<4x8xi32>
  %gt = nn.gt %p, %p : tensor<4x8xi1>
  %ge = nn.ge %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xi1>
  func.return
}

// select broadcasts all three operands and promotes the two value operands.
// cast states its result type; without one it is the identity.
// CHECK-LABEL: func.func @select_and_cast(
// CHECK-NEXT:    %{{.*}} = nn.select %c, %a, %b : tensor<4x1xi1>, tensor<4x8xf32>, tensor<8xf16> -> tensor<4x8xf32>
// CHECK-NEXT:    %{{.*}} = nn.select %c, %c, %c : tensor<4x1xi1>
// CHECK-NEXT:    %{{.*}} = nn.cast %a : tensor<4x8xf32> -> tensor<4x8xf16>
// CHECK-NEXT:    %{{.*}} = nn.cast %a : tensor<4x8xf32> -> tensor<4x8xi1>
// CHECK-NEXT:    %{{.*}} = nn.cast %i : tensor<4x8xi32> -> tensor<4x8xf64>
// CHECK-NEXT:    %{{.*}} = nn.cast %a : tensor<4x8xf32>
// CHECK-NEXT:    func.return
func.func @select_and_cast(%c: tensor<4x1xi1>, %a: tensor<4x8xf32>, %b: tensor<8xf16>, %i: tensor<4x8xi32>) {
  %sel = nn.select %c, %a, %b : tensor<4x1xi1>, tensor<4x8xf32>, tensor<8xf16>
  %sel_same = nn.select %c, %c, %c : tensor<4x1xi1>
  %to_f16 = nn.cast %a : tensor<4x8xf32> -> tensor<4x8xf16>
  %to_i1 = nn.cast %a : tensor<4x8xf32> -> tensor<4x8xi1>
  %to_f64 = nn.cast %i : tensor<4x8xi32> -> tensor<4x8xf64>
  %same = nn.cast %a : tensor<4x8xf32>
  func.return
}

// Discardable attributes print between the parameters and the types.
// CHECK-LABEL: func.func @discardable_attributes(
// CHECK-NEXT:    %{{.*}} = nn.add %a, %a {tag = "residual"} : tensor<4xf32>
// CHECK-NEXT:    %{{.*}} = nn.gelu %a approximate = tanh {fused} : tensor<4xf32>
// CHECK-NEXT:    func.return
func.func @discardable_attributes(%a: tensor<4xf32>) {
  %0 = nn.add %a, %a {tag = "residual"} : tensor<4xf32>
  %1 = nn.gelu %a approximate = tanh {fused} : tensor<4xf32>
  func.return
}
