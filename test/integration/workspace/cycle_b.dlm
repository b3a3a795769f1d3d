import "cycle_a.dlm"

block Bee(x: [B, N]) {
  x |> Dense(4)
}
