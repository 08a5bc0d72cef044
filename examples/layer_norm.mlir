// Layer normalisation of 32 tokens of width 64, with a learned scale and shift.
// PyTorch: torch.nn.functional.layer_norm(x, (64,), weight, bias, eps=1e-5)
func.func @layer_norm(%x: tensor<32x64xf32>, %weight: tensor<64xf32>, %bias: tensor<64xf32>) -> tensor<32x64xf32> {
  %y = nn.layer_norm %x, %weight, %bias axes = [1] eps = 1.0e-05 : tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<32x64xf32>
  func.return %y : tensor<32x64xf32>
}
