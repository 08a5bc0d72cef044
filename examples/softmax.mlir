// Softmax over the last dim of a batch of 8 rows of 128 logits.
// PyTorch: torch.softmax(x, dim=-1)
func.func @softmax(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %y = nn.softmax %x axis = 1 : tensor<8x128xf32>
  func.return %y : tensor<8x128xf32>
}
