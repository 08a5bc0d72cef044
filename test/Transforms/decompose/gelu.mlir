// RUN: mlc-opt %s -p decompose | filecheck %s
// RUN: mlc-opt %s -p decompose,verify-primitives

// The erf form: x/2 * (1 + erf(x * sqrt(1/2))).
// CHECK-LABEL: func.func @gelu_erf(
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat 0.7071067811865476 : tensor<16xf32>
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul %x, [[SPLAT]] : tensor<16xf32>
// CHECK-NEXT:    [[ERF:%.+]] = nn.erf [[MUL]] : tensor<16xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat 0.5 : tensor<16xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[SPLAT1]], %x : tensor<16xf32>
// CHECK-NEXT:    [[SPLAT2:%.+]] = nn.splat 1.0 : tensor<16xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[SPLAT2]], [[ERF]] : tensor<16xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.mul [[MUL1]], [[ADD]] : tensor<16xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<16xf32>
func.func @gelu_erf(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = nn.gelu %x : tensor<16xf32>
  func.return %y : tensor<16xf32>
}

// The tanh form x/2 * (1 + tanh z), z = sqrt(2/pi) * (x + 0.044715 x^3), as the same
// function x * sigmoid(2z) = x / (1 + exp(-2z)): one exp, no tanh.
// CHECK-LABEL: func.func @gelu_tanh(
// CHECK-NEXT:    [[MUL:%.+]] = nn.mul %x, %x : tensor<16xf32>
// CHECK-NEXT:    [[SPLAT:%.+]] = nn.splat -0.07135481627260025 : tensor<16xf32>
// CHECK-NEXT:    [[MUL1:%.+]] = nn.mul [[SPLAT]], [[MUL]] : tensor<16xf32>
// CHECK-NEXT:    [[SPLAT1:%.+]] = nn.splat -1.5957691216057308 : tensor<16xf32>
// CHECK-NEXT:    [[ADD:%.+]] = nn.add [[MUL1]], [[SPLAT1]] : tensor<16xf32>
// CHECK-NEXT:    [[MUL2:%.+]] = nn.mul %x, [[ADD]] : tensor<16xf32>
// CHECK-NEXT:    [[SPLAT2:%.+]] = nn.splat 1.0 : tensor<16xf32>
// CHECK-NEXT:    [[EXP:%.+]] = nn.exp [[MUL2]] : tensor<16xf32>
// CHECK-NEXT:    [[ADD1:%.+]] = nn.add [[SPLAT2]], [[EXP]] : tensor<16xf32>
// CHECK-NEXT:    [[Y:%.+]] = nn.div %x, [[ADD1]] : tensor<16xf32>
// CHECK-NEXT:    func.return [[Y]] : tensor<16xf32>
func.func @gelu_tanh(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = nn.gelu %x approximate = tanh : tensor<16xf32>
  func.return %y : tensor<16xf32>
}
