data spiral = Spiral(points=600, classes=3)

model Comp(x: [B, 2]) -> [B, 3] {
  x |> Dense(3)
}

train Comp {
  data = spiral
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 5
}
