// MobileNetV2/V3 building blocks: ReLU6, Hardswish, Hardsigmoid, a squeeze-and-excite gate.

/// Inverted residual (MobileNetV2, Sandler et al., 2018): a 1×1 expansion by t, a 3×3 depthwise
/// conv, and a linear 1×1 projection back to C channels, with a residual connection.
block InvertedResidual(t: int = 6)(x: [B, C, H, W]) {
  h = x
    |> Conv2d(C * t, 1, bias=false) |> BatchNorm2d |> ReLU6
    |> Conv2d(C * t, 3, padding=1, groups=C * t, bias=false) |> BatchNorm2d |> ReLU6
    |> Conv2d(C, 1, bias=false) |> BatchNorm2d
  (h, x) |> Add
}

/// Squeeze-and-excite gate (MobileNetV3, Howard et al., 2019): global pooling, a bottleneck of
/// C/r units, and a Hardsigmoid gate that scales each channel.
block SqueezeExcite(r: int = 4)(x: [B, C, H, W]) {
  g = x
    |> GlobalAvgPool |> Flatten
    |> Dense(C / r) |> ReLU
    |> Dense(C) |> Hardsigmoid
    |> Reshape((C, 1, 1))
  (x, g) |> Multiply
}

/// A small MobileNetV3-style classifier for 3×32×32 images: a Hardswish stem, two inverted
/// residuals, a squeeze-and-excite gate, and a head with GroupNorm and Mish.
model MobileNetV3Tiny(x: [B, 3, 32, 32]) -> [B, 10] {
  x
    |> Conv2d(16, 3, stride=2, padding=1, bias=false) |> BatchNorm2d |> Hardswish
    |> InvertedResidual(4)
    |> InvertedResidual(4)
    |> SqueezeExcite
    |> Conv2d(32, 1, bias=false) |> GroupNorm(8) |> Mish
    |> GlobalAvgPool |> Flatten
    |> Dense(10) |> Hardtanh(-8, 8)
}
