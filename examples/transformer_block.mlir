// A GPT-2 transformer block (pre-LayerNorm) on 16 tokens, d_model 64, 4 heads of 16,
// MLP width 256:
//   h = x + attn(ln_1(x));  y = h + mlp(ln_2(h)),  mlp(z) = c_proj(gelu_tanh(c_fc(z)))
// The attention uses GPT-2's fused query/key/value projection c_attn (64 -> 192),
// sliced into q, k and v. Every weight is a function argument, in PyTorch's
// nn.Linear [out, in] layout (GPT-2's Conv1D stores the transpose).
// PyTorch (transformers.GPT2Block, eval mode, no KV cache):
//   heads = lambda t: t.view(16, 4, 16).transpose(0, 1)
//   q, k, v = c_attn(ln_1(x)).split(64, dim=-1)
//   a = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True)
//   h = x + attn_c_proj(a.transpose(0, 1).reshape(16, 64))
//   y = h + mlp_c_proj(F.gelu(c_fc(ln_2(h)), approximate="tanh"))
func.func @gpt2_block(%x: tensor<16x64xf32>, %ln1_w: tensor<64xf32>, %ln1_b: tensor<64xf32>, %attn_w: tensor<192x64xf32>, %attn_b: tensor<192xf32>, %proj_w: tensor<64x64xf32>, %proj_b: tensor<64xf32>, %ln2_w: tensor<64xf32>, %ln2_b: tensor<64xf32>, %fc_w: tensor<256x64xf32>, %fc_b: tensor<256xf32>, %fc_proj_w: tensor<64x256xf32>, %fc_proj_b: tensor<64xf32>) -> tensor<16x64xf32> {
  // --- attention sub-block ---
  %ln1 = nn.layer_norm %x, %ln1_w, %ln1_b axes = [1] eps = 1.0e-05 : tensor<16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %qkv = nn.linear %ln1, %attn_w, %attn_b : tensor<16x64xf32>, tensor<192x64xf32>, tensor<192xf32> -> tensor<16x192xf32>
  %q = nn.slice %qkv start = [0, 0] stop = [16, 64] step = [1, 1] : tensor<16x192xf32> -> tensor<16x64xf32>
  %k = nn.slice %qkv start = [0, 64] stop = [16, 128] step = [1, 1] : tensor<16x192xf32> -> tensor<16x64xf32>
  %v = nn.slice %qkv start = [0, 128] stop = [16, 192] step = [1, 1] : tensor<16x192xf32> -> tensor<16x64xf32>
  %q3 = nn.reshape %q : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %qh = nn.transpose %q3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  %k3 = nn.reshape %k : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %kh = nn.transpose %k3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  %v3 = nn.reshape %v : tensor<16x64xf32> -> tensor<16x4x16xf32>
  %vh = nn.transpose %v3 perm = [1, 0, 2] : tensor<16x4x16xf32> -> tensor<4x16x16xf32>
  %oh = nn.attention %qh, %kh, %vh causal : tensor<4x16x16xf32>
  %o3 = nn.transpose %oh perm = [1, 0, 2] : tensor<4x16x16xf32> -> tensor<16x4x16xf32>
  %o = nn.reshape %o3 : tensor<16x4x16xf32> -> tensor<16x64xf32>
  %attn = nn.linear %o, %proj_w, %proj_b : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %h = nn.add %x, %attn : tensor<16x64xf32>
  // --- MLP sub-block ---
  %ln2 = nn.layer_norm %h, %ln2_w, %ln2_b axes = [1] eps = 1.0e-05 : tensor<16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %fc = nn.linear %ln2, %fc_w, %fc_b : tensor<16x64xf32>, tensor<256x64xf32>, tensor<256xf32> -> tensor<16x256xf32>
  %act = nn.gelu %fc approximate = tanh : tensor<16x256xf32>
  %mlp = nn.linear %act, %fc_proj_w, %fc_proj_b : tensor<16x256xf32>, tensor<64x256xf32>, tensor<64xf32> -> tensor<16x64xf32>
  %y = nn.add %h, %mlp : tensor<16x64xf32>
  func.return %y : tensor<16x64xf32>
}
