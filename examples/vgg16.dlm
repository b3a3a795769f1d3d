// VGG-16 on 224×224 RGB images.

/// n 3×3 convolutions with c channels and ReLU, then 2×2 max pooling.
block VGGStage(c: int, n: int)(x: [B, C, H, W]) {
  x |> repeat n (Conv2d(c, 3, padding=1) |> ReLU) |> MaxPool2d(2)
}

/// VGG-16 (Simonyan & Zisserman, 2015, "Very deep convolutional networks for large-scale
/// image recognition"), configuration D without batch norm, as torchvision's `vgg16`.
/// PyTorch reference: 138,357,544 trainable parameters.
model VGG16(x: [B, 3, 224, 224]) -> [B, 1000] {
  x
    |> VGGStage(64, 2)               // [B, 64, 112, 112]
    |> VGGStage(128, 2)              // [B, 128, 56, 56]
    |> VGGStage(256, 3)              // [B, 256, 28, 28]
    |> VGGStage(512, 3)              // [B, 512, 14, 14]
    |> VGGStage(512, 3)              // [B, 512, 7, 7]
    |> AdaptiveAvgPool2d(7)
    |> Flatten                       // [B, 25088]
    |> Dense(4096) |> ReLU |> Dropout(0.5)
    |> Dense(4096) |> ReLU |> Dropout(0.5)
    |> Dense(1000)
}
