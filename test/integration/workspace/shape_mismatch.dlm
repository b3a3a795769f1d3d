/// A LeNet-style CNN whose first Dense declares the wrong input size.
model Broken(x: [B, 1, 28, 28]) -> [B, 10] {
  x
  |> Conv2d(6, 5) |> ReLU |> MaxPool2d(2)
  |> Conv2d(16, 5) |> ReLU |> MaxPool2d(2)
  |> Flatten
  |> Dense(120, in=400) |> ReLU
  |> Dense(10)
}
