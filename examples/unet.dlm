// A small U-Net for 64×64 single-channel segmentation into 2 classes.

/// Two 3×3 conv + BatchNorm + ReLU layers with c channels (the U-Net "double conv").
block DoubleConv(c: int)(x: [B, C, H, W]) {
  x |> repeat 2 (Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU)
}

/// Small U-Net (Ronneberger, Fischer & Brox, 2015): two down levels (32, 64 channels), a
/// 128-channel bottleneck, ConvTranspose2d up-sampling and concatenated skips.
/// PyTorch reference: 466,626 trainable and 1,280 non-trainable parameters.
model UNet(x: [B, 1, 64, 64]) -> [B, 2, 64, 64] {
  enc1 = x |> DoubleConv(32)                                   // [B, 32, 64, 64]
  enc2 = enc1 |> MaxPool2d(2) |> DoubleConv(64)                // [B, 64, 32, 32]
  mid = enc2 |> MaxPool2d(2) |> DoubleConv(128)                // [B, 128, 16, 16]
  up2 = mid |> ConvTranspose2d(64, 2, stride=2)                // [B, 64, 32, 32]
  dec2 = (up2, enc2) |> Concat(axis=1) |> DoubleConv(64)       // [B, 64, 32, 32]
  up1 = dec2 |> ConvTranspose2d(32, 2, stride=2)               // [B, 32, 64, 64]
  dec1 = (up1, enc1) |> Concat(axis=1) |> DoubleConv(32)       // [B, 32, 64, 64]
  dec1 |> Conv2d(2, 1)                                         // per-pixel class logits
}
