/// LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998, "Gradient-based learning applied to
/// document recognition"), classic variant: 32×32 input, tanh activations, average pooling,
/// full C3 connectivity. PyTorch reference: 61,706 trainable parameters.
model LeNet5(x: [B, 1, 32, 32]) -> [B, 10] {
  x
    |> Conv2d(6, 5) |> Tanh |> AvgPool2d(2)     // C1, S2: [B, 6, 14, 14]
    |> Conv2d(16, 5) |> Tanh |> AvgPool2d(2)    // C3, S4: [B, 16, 5, 5]
    |> Flatten                                  // [B, 400]
    |> Dense(120) |> Tanh                       // C5
    |> Dense(84) |> Tanh                        // F6
    |> Dense(10)                                // output logits
}
