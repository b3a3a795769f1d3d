import "does_not_exist.dlm"

model UsesMissing(x: [B, 4]) -> [B, 2] {
  x |> Dense(2)
}
