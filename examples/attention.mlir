// A causal multi-head self-attention block: 16 tokens, d_model 64, 4 heads of 16.
// Project to queries, keys and values, split the heads ([16, 64] -> [4, 16, 16]),
// attend causally with the default scale 1/sqrt(16), merge the heads back and
// apply the output projection. Weights use PyTorch's [out, in] layout.
// PyTorch:
//   heads = lambda t: t.view(16, 4, 16).transpose(0, 1)
//   q, k, v = heads(F.linear(x, wq, bq)), heads(F.linear(x, wk, bk)), heads(F.linear(x, wv, bv))
//   o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
//   y = F.linear(o.transpose(0, 1).reshape(16, 64), wo, bo)
func.func @causal_self_attention(%x: tensor<16x64xf32>, %wq: tensor<64x64xf32>, %bq: tensor<64xf32>, %wk: tensor<64x64xf32>, %bk: tensor<64xf32>, %wv: tensor<64x64xf32>, %bv: tensor<64xf32>, %wo: tensor<64x64xf32>, %bo: tensor<64xf32>) -> tensor<16x64xf32> {
  // Projections: [16, 64] -> [16, 64].
  %q = nn.linear %x, %wq, %bq : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %k = nn.linear %x, %wk, %bk : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %v = nn.linear %x, %wv, %bv : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  // Split heads: [seq, d_model] -> [seq, heads, head_dim] -> [heads, seq, head_dim].
  %q3 = nn.reshape %q : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %qh = nn.transpose %q3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  %k3 = nn.reshape %k : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %kh = nn.transpose %k3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  %v3 = nn.reshape %v : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %vh = nn.transpose %v3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  // Per-head causal attention: [4, 16, 16].
  %oh = nn.attention %qh, %kh, %vh causal : tensor<4x16x16xf32>
  // Merge heads: [heads, seq, head_dim] -> [seq, heads, head_dim] -> [seq, d_model].
  %o3 = nn.transpose %oh perm = [1, 0, 2] : tensor<4x16x16xf32> -> tensor<16x4x16xf32>
  %o = nn.reshape %o3 : tensor<16x4x16xf32> -> tensor<16x64xf32>
  // Output projection.
  %y = nn.linear %o, %wo, %bo : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  func.return %y : tensor<16x64xf32>
}
