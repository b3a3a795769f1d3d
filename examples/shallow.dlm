/// The shallow network of the lecture notes: Di=1 input, one hidden layer of D=4 ReLU units,
/// Do=2 outputs. Parameters: (1·4 + 4) + (4·2 + 2) = 18 (PyTorch reference: 18).
model Shallow(x: [B, 1]) -> [B, 2] {
  x |> Dense(4) |> ReLU |> Dense(2)
}
