// Depthwise-separable convolution blocks.

/// Depthwise-separable block (MobileNet, Howard et al., 2017): 3×3 depthwise conv
/// (groups = input channels) + BN + ReLU, then 1×1 pointwise conv to c channels + BN + ReLU.
block Separable(c: int, stride: int = 1)(x: [B, C, H, W]) {
  x
    |> Conv2d(C, 3, stride=stride, padding=1, groups=C, bias=false) |> BatchNorm2d |> ReLU
    |> Conv2d(c, 1, bias=false) |> BatchNorm2d |> ReLU
}

/// Two MobileNet-v1 separable blocks (the 2nd and 3rd layers of MobileNet-v1 at 224×224).
/// PyTorch reference: 11,680 trainable and 576 non-trainable parameters
/// (a standard 3×3 conv 32→64 alone would have 18,432).
model SeparableStack(x: [B, 32, 112, 112]) -> [B, 128, 56, 56] {
  x
    |> Separable(64)                     // [B, 64, 112, 112]
    |> Separable(128, stride=2)          // [B, 128, 56, 56]
}
