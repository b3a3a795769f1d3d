model   Messy(x:[B,4])->[B,2]{
    h=x|>Dense(8)   |> ReLU
  h |>Dense(2)
}
