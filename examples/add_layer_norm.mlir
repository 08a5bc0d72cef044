// Residual add followed by layer normalisation (the "add & norm" of a transformer
// layer). Returns the normalised activations and the updated residual stream.
// PyTorch: r = x + residual; y = torch.nn.functional.layer_norm(r, (64,), weight, bias, eps=1e-5)
func.func @add_layer_norm(%x: tensor<32x64xf32>, %residual: tensor<32x64xf32>, %weight: tensor<64xf32>, %bias: tensor<64xf32>) -> (tensor<32x64xf32>, tensor<32x64xf32>) {
  %r = nn.add %x, %residual : tensor<32x64xf32>
  %y = nn.layer_norm %r, %weight, %bias axes = [1] eps = 1.0e-05 : tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<32x64xf32>
  func.return %y, %r : tensor<32x64xf32>, tensor<32x64xf32>
}
