model Oops(x: [B, 4]) -> [B, 2] {
  x |> Dense(8 |> ReLU
  |> Dense(2)
}
