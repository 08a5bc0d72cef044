// A gated SiLU with a broadcast bias, spelled out as six point-wise ops:
// silu(x + b) * gate, where silu(h) = h / (1 + exp(-h)). A fusion pass should
// turn the whole chain into one loop nest.
// PyTorch: torch.nn.functional.silu(x + b) * gate
func.func @pointwise_chain(%x: tensor<32x128xf32>, %b: tensor<128xf32>, %gate: tensor<32x128xf32>) -> tensor<32x128xf32> {
  %one = nn.splat 1.0 : tensor<32x128xf32>
  %h = nn.add %x, %b : tensor<32x128xf32>, tensor<128xf32> -> tensor<32x128xf32>
  %neg = nn.neg %h : tensor<32x128xf32>
  %e = nn.exp %neg : tensor<32x128xf32>
  %den = nn.add %e, %one : tensor<32x128xf32>
  %silu = nn.div %h, %den : tensor<32x128xf32>
  %y = nn.mul %silu, %gate : tensor<32x128xf32>
  func.return %y : tensor<32x128xf32>
}
