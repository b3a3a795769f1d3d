/// One convolution with a bias: 3·3·64·128 + 128 = 73,856 parameters.
model ConvBias(x: [B, 64, 32, 32]) -> [B, 128, 32, 32] {
  x |> Conv2d(128, 3, padding=1)
}
