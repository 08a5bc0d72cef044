// Log-softmax over the vocabulary of 8 token positions (a language-model head's
// log-probabilities over a 512-word vocabulary).
// PyTorch: torch.log_softmax(logits, dim=-1)
func.func @log_softmax(%logits: tensor<8x512xf32>) -> tensor<8x512xf32> {
  %logp = nn.log_softmax %logits axis = 1 : tensor<8x512xf32>
  func.return %logp : tensor<8x512xf32>
}
