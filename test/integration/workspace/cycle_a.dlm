import "cycle_b.dlm"

block A(x: [B, N]) {
  x |> Dense(4)
}
