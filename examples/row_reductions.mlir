// The sum and the maximum of every row: two reductions over the same input, which
// a fusion pass can compute in one sweep.
// PyTorch: (x.sum(dim=1), x.amax(dim=1))
func.func @row_reductions(%x: tensor<16x256xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %sum = nn.reduce_sum %x axes = [1] : tensor<16x256xf32> -> tensor<16xf32>
  %max = nn.reduce_max %x axes = [1] : tensor<16x256xf32> -> tensor<16xf32>
  func.return %sum, %max : tensor<16xf32>, tensor<16xf32>
}
