// Bias add followed by the exact (erf) GELU: the epilogue of an MLP's first matmul.
// The bias of shape [256] broadcasts over the 32 rows.
// PyTorch: torch.nn.functional.gelu(x + b)
func.func @gelu_bias(%x: tensor<32x256xf32>, %b: tensor<256xf32>) -> tensor<32x256xf32> {
  %h = nn.add %x, %b : tensor<32x256xf32>, tensor<256xf32> -> tensor<32x256xf32>
  %y = nn.gelu %h : tensor<32x256xf32>
  func.return %y : tensor<32x256xf32>
}
