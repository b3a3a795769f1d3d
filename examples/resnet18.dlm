// ResNet-18 on 224×224 RGB images.

/// ResNet basic block: two 3×3 convolutions and an identity shortcut, or a 1×1 conv + BN
/// projection shortcut when the stride or the channel count changes.
block BasicBlock(c: int, stride: int = 1)(x: [B, C, H, W]) {
  h = x
    |> Conv2d(c, 3, stride=stride, padding=1, bias=false) |> BatchNorm2d |> ReLU
    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d
  skip = x
  if stride != 1 or C != c {
    skip = x |> Conv2d(c, 1, stride=stride, bias=false) |> BatchNorm2d
  }
  (h, skip) |> Add |> ReLU
}

/// ResNet-18 (He, Zhang, Ren & Sun, 2016, "Deep residual learning for image recognition"),
/// as torchvision's `resnet18`. PyTorch reference: 11,689,512 trainable parameters and 9,600
/// non-trainable (BatchNorm running mean and variance).
model ResNet18(x: [B, 3, 224, 224]) -> [B, 1000] {
  x
    |> Conv2d(64, 7, stride=2, padding=3, bias=false) |> BatchNorm2d |> ReLU   // [B, 64, 112, 112]
    |> MaxPool2d(3, stride=2, padding=1)                                        // [B, 64, 56, 56]
    |> repeat 2 BasicBlock(64)                                                  // layer1
    |> BasicBlock(128, stride=2) |> BasicBlock(128)                             // layer2: [B, 128, 28, 28]
    |> BasicBlock(256, stride=2) |> BasicBlock(256)                             // layer3: [B, 256, 14, 14]
    |> BasicBlock(512, stride=2) |> BasicBlock(512)                             // layer4: [B, 512, 7, 7]
    |> AdaptiveAvgPool2d(1)
    |> Flatten                                                                  // [B, 512]
    |> Dense(1000)
}
