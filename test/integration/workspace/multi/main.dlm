import "blocks.dlm"

model Uses(x: [B, 16]) -> [B, 4] {
  features = x |> Mlp(32, 8)
  features |> Mlp(8, 4)
}
