/// DCGAN generator (Radford, Metz & Chintala, 2016), exactly as in the PyTorch DCGAN tutorial
/// with nz=100, ngf=64, nc=3: z [B, 100, 1, 1] → image [B, 3, 64, 64] in [−1, 1].
/// PyTorch reference: 3,576,704 trainable and 1,920 non-trainable parameters.
model Generator(z: [B, 100, 1, 1]) -> [B, 3, 64, 64] {
  z
    |> ConvTranspose2d(512, 4, bias=false) |> BatchNorm2d |> ReLU                        // [B, 512, 4, 4]
    |> ConvTranspose2d(256, 4, stride=2, padding=1, bias=false) |> BatchNorm2d |> ReLU   // [B, 256, 8, 8]
    |> ConvTranspose2d(128, 4, stride=2, padding=1, bias=false) |> BatchNorm2d |> ReLU   // [B, 128, 16, 16]
    |> ConvTranspose2d(64, 4, stride=2, padding=1, bias=false) |> BatchNorm2d |> ReLU    // [B, 64, 32, 32]
    |> ConvTranspose2d(3, 4, stride=2, padding=1, bias=false) |> Tanh                    // [B, 3, 64, 64]
}
