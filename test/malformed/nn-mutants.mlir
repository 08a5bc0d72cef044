// Notable mutants of nn programs: each is a located error.
// RUN: %mlc-opt %s --split-input-file --verify-diagnostics -p mlc-cpu-pipeline

func.func @wrong_element_type(%x: tensor<4x8xf32>, %w: tensor<8xi1>) -> tensor<4x8xf32> {
  // expected-error @below {{'nn.layer_norm' op expects floating-point elements, got i1}}
  %y = nn.layer_norm %x, %w axes = [1] eps = 1.0e-05 : tensor<4x8xf32>, tensor<8xi1> -> tensor<4x8xf32>
  func.return %y : tensor<4x8xf32>
}

// -----

func.func @shape_mismatch(%x: tensor<4x8xf32>, %y: tensor<4x7xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'nn.add' op shapes [4, 8], [4, 7] are not broadcast-compatible}}
  %z = nn.add %x, %y : tensor<4x8xf32>, tensor<4x7xf32> -> tensor<4x8xf32>
  func.return %z : tensor<4x8xf32>
}

// -----

func.func @result_type_lies(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.reduce_sum' op result type tensor<4xf32> does not match the inferred type tensor<8xf32>}}
  %y = nn.reduce_sum %x axes = [0] : tensor<4x8xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @unknown_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{unknown operation 'nn.no_such_op'}}
  %y = nn.no_such_op %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @duplicate_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.exp %x : tensor<4xf32>
  // expected-error @below {{SSA value %y is already defined}}
  %y = nn.neg %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

func.func @dynamic_dim(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @below {{'nn.exp' op operand #0 has a dynamic dimension (tensor<?x3xf32>); nn needs static shapes}}
  %y = nn.exp %x : tensor<?x3xf32>
  func.return %y : tensor<?x3xf32>
}

// -----

func.func @axis_out_of_range(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @below {{'nn.softmax' op axis 7 is out of range for rank 2}}
  %y = nn.softmax %x axis = 7 : tensor<3x4xf32>
  func.return %y : tensor<3x4xf32>
}

// -----

func.func @constant_too_short() -> tensor<3xf32> {
  // The parser reports it at the token after the literal (the next line).
  // expected-error @+2 {{shape mismatch in dense literal. Expected [3] shape from the type, but got [2] shape.}}
  %y = nn.constant dense<[1.0, 2.0]> : tensor<3xf32>
  func.return %y : tensor<3xf32>
}

// -----

// expected-error @below {{expected shape type.}}
func.func @negative_dim(%x: tensor<-3xf32>) -> tensor<-3xf32> {
  func.return %x : tensor<-3xf32>
}
