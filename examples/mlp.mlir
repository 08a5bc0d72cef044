// A transformer feed-forward block on 32 tokens: linear 64 -> 256, exact GELU,
// linear 256 -> 64. Weights use PyTorch's [out_features, in_features] layout.
// PyTorch: fc2(gelu(fc1(x))) with fc1 = nn.Linear(64, 256), fc2 = nn.Linear(256, 64)
func.func @mlp(%x: tensor<32x64xf32>, %w1: tensor<256x64xf32>, %b1: tensor<256xf32>, %w2: tensor<64x256xf32>, %b2: tensor<64xf32>) -> tensor<32x64xf32> {
  %h = nn.linear %x, %w1, %b1 : tensor<32x64xf32>, tensor<256x64xf32>, tensor<256xf32> -> tensor<32x256xf32>
  %a = nn.gelu %h : tensor<32x256xf32>
  %y = nn.linear %a, %w2, %b2 : tensor<32x256xf32>, tensor<64x256xf32>, tensor<64xf32> -> tensor<32x64xf32>
  func.return %y : tensor<32x64xf32>
}
