// Generated code addresses tensors with signed 64-bit byte offsets, so the nn verifier
// rejects a tensor of 2^63 bytes or more (also when its element count alone overflows
// i64) with an error at the op; one byte less is accepted.
// RUN: mlc-opt %s --split-input-file --verify-diagnostics
// RUN: mlc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// CHECK-LABEL: func.func @largest_i1
// CHECK:         nn.select %x, %x, %x : tensor<9223372036854775807xi1>
func.func @largest_i1(%x: tensor<9223372036854775807xi1>) -> tensor<9223372036854775807xi1> {
  %y = nn.select %x, %x, %x : tensor<9223372036854775807xi1>
  func.return %y : tensor<9223372036854775807xi1>
}

// -----

// CHECK-LABEL: func.func @largest_f64
// CHECK:         nn.neg %x : tensor<1152921504606846975xf64>
func.func @largest_f64(%x: tensor<1152921504606846975xf64>) -> tensor<1152921504606846975xf64> {
  %y = nn.neg %x : tensor<1152921504606846975xf64>
  func.return %y : tensor<1152921504606846975xf64>
}

// -----

// CHECK-LABEL: func.func @wide_but_small
// CHECK:         nn.reduce_sum %x axes = [1] : tensor<3000000000x4xf32> -> tensor<3000000000xf32>
func.func @wide_but_small(%x: tensor<3000000000x4xf32>) -> tensor<3000000000xf32> {
  %y = nn.reduce_sum %x axes = [1] : tensor<3000000000x4xf32> -> tensor<3000000000xf32>
  func.return %y : tensor<3000000000xf32>
}

// -----

func.func @f64_one_element_too_many(%x: tensor<1152921504606846976xf64>) -> tensor<1152921504606846976xf64> {
  // expected-error @below {{'nn.neg' op operand #0 tensor<1152921504606846976xf64> takes 9223372036854775808 bytes, more than 64-bit offsets can address (2^63 - 1)}}
  %y = nn.neg %x : tensor<1152921504606846976xf64>
  func.return %y : tensor<1152921504606846976xf64>
}

// -----

func.func @element_count_overflows(%x: tensor<4294967296x4294967296xi1>) -> tensor<4294967296x4294967296xi1> {
  // expected-error @below {{'nn.select' op operand #0 tensor<4294967296x4294967296xi1> takes 18446744073709551616 bytes}}
  %y = nn.select %x, %x, %x : tensor<4294967296x4294967296xi1>
  func.return %y : tensor<4294967296x4294967296xi1>
}

// -----

func.func @only_the_result_is_huge(%x: tensor<3000000000x1xf32>, %y: tensor<1x3000000000xf32>) -> tensor<3000000000x3000000000xf32> {
  // expected-error @below {{'nn.add' op result tensor<3000000000x3000000000xf32> takes 36000000000000000000 bytes}}
  %z = nn.add %x, %y : tensor<3000000000x1xf32>, tensor<1x3000000000xf32> -> tensor<3000000000x3000000000xf32>
  func.return %z : tensor<3000000000x3000000000xf32>
}

// -----

func.func @reduction_of_a_huge_input(%x: tensor<99999999999x99999999999xf32>) -> tensor<99999999999xf32> {
  // expected-error @below {{'nn.reduce_sum' op operand #0 tensor<99999999999x99999999999xf32> takes 39999999999200000000004 bytes}}
  %s = nn.reduce_sum %x axes = [1] : tensor<99999999999x99999999999xf32> -> tensor<99999999999xf32>
  func.return %s : tensor<99999999999xf32>
}
