/// AlexNet (Krizhevsky, Sutskever & Hinton, 2012), in the single-GPU form of torchvision's
/// `alexnet` (after Krizhevsky, 2014, "One weird trick"): 64-192-384-256-256 channels,
/// conv1 with padding 2 so that 224×224 tiles exactly, AdaptiveAvgPool2d(6) before the
/// classifier. PyTorch reference: 61,100,840 trainable parameters.
model AlexNet(x: [B, 3, 224, 224]) -> [B, 1000] {
  x
    |> Conv2d(64, 11, stride=4, padding=2) |> ReLU |> MaxPool2d(3, stride=2)   // [B, 64, 27, 27]
    |> Conv2d(192, 5, padding=2) |> ReLU |> MaxPool2d(3, stride=2)             // [B, 192, 13, 13]
    |> Conv2d(384, 3, padding=1) |> ReLU
    |> Conv2d(256, 3, padding=1) |> ReLU
    |> Conv2d(256, 3, padding=1) |> ReLU |> MaxPool2d(3, stride=2)             // [B, 256, 6, 6]
    |> AdaptiveAvgPool2d(6)
    |> Flatten                                                                  // [B, 9216]
    |> Dropout(0.5) |> Dense(4096) |> ReLU
    |> Dropout(0.5) |> Dense(4096) |> ReLU
    |> Dense(1000)
}
