// RMS normalisation (as in LLaMA) of 32 tokens of width 64, with a learned scale.
// PyTorch: torch.nn.functional.rms_norm(x, (64,), weight, eps=1e-6)
func.func @rms_norm(%x: tensor<32x64xf32>, %weight: tensor<64xf32>) -> tensor<32x64xf32> {
  %y = nn.rms_norm %x, %weight axes = [1] eps = 1.0e-06 : tensor<32x64xf32>, tensor<64xf32> -> tensor<32x64xf32>
  func.return %y : tensor<32x64xf32>
}
