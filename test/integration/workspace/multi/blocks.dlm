/// A two-layer MLP block shared by the models in main.dlm.
block Mlp(hidden: int, out: int)(x: [B, N]) {
  h = x |> Dense(hidden) |> ReLU
  h |> Dense(out)
}
