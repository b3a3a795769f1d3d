/// A deliberately broken LeNet variant for MNIST 28×28 input (a common mistake): the first
/// Dense says in=400, the size for 32×32 input, but this conv stack yields 16·4·4 = 256
/// features. Expected diagnostic: DLM100 on `in=400`, with the fix `in=256`.
model LeNetWrongIn(x: [B, 1, 28, 28]) -> [B, 10] {
  x
    |> Conv2d(6, 5) |> ReLU |> MaxPool2d(2)     // [B, 6, 12, 12]
    |> Conv2d(16, 5) |> ReLU |> MaxPool2d(2)    // [B, 16, 4, 4]
    |> Flatten                                  // [B, 256]
    |> Dense(120, in=400) |> ReLU               // error: 256 features, not 400
    |> Dense(84) |> ReLU
    |> Dense(10)
}
