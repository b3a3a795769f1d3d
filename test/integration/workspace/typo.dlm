model Typo(x: [B, 4]) -> [B, 2] {
  x |> Dense(8) |> ReLu |> Dence(2)
}
