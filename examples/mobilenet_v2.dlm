// MobileNetV2 (Sandler et al., 2018), width 1.0, 224×224, as torchvision builds it:
// 3,504,872 trainable parameters plus 34,112 BatchNorm buffers (running mean and variance).

/// Inverted residual: a 1×1 expansion to e = 6·C channels, a 3×3 depthwise conv with the
/// stride, a linear 1×1 projection to c channels, and the residual Add when the shape is kept.
block InvertedResidual(c: int, e: int, stride: int = 1)(x: [B, C, H, W]) {
  h = x
    |> Conv2d(e, 1, bias=false) |> BatchNorm2d |> ReLU6
    |> Conv2d(e, 3, stride=stride, padding=1, groups=e, bias=false) |> BatchNorm2d |> ReLU6
    |> Conv2d(c, 1, bias=false) |> BatchNorm2d
  if stride == 1 and C == c {
    h = (h, x) |> Add
  }
  h
}

/// MobileNetV2 for ImageNet: 17 inverted residuals in 7 stages (t, c, n, s) =
/// (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
/// (6, 320, 1, 1), between a stride-2 stem and a 1×1 conv to 1280 channels.
model MobileNetV2(x: [B, 3, 224, 224]) -> [B, 1000] {
  x
    |> Conv2d(32, 3, stride=2, padding=1, bias=false) |> BatchNorm2d |> ReLU6
    // the first inverted residual has no expansion (t = 1) and no residual (32 → 16 channels)
    |> Conv2d(32, 3, padding=1, groups=32, bias=false) |> BatchNorm2d |> ReLU6
    |> Conv2d(16, 1, bias=false) |> BatchNorm2d
    |> InvertedResidual(24, e=96, stride=2) |> InvertedResidual(24, e=144)
    |> InvertedResidual(32, e=144, stride=2) |> repeat 2 InvertedResidual(32, e=192)
    |> InvertedResidual(64, e=192, stride=2) |> repeat 3 InvertedResidual(64, e=384)
    |> InvertedResidual(96, e=384) |> repeat 2 InvertedResidual(96, e=576)
    |> InvertedResidual(160, e=576, stride=2) |> repeat 2 InvertedResidual(160, e=960)
    |> InvertedResidual(320, e=960)
    |> Conv2d(1280, 1, bias=false) |> BatchNorm2d |> ReLU6
    |> GlobalAvgPool |> Flatten
    |> Dropout(0.2)
    |> Dense(1000)
}
