/// Convolutional autoencoder for MNIST-size images (Masci et al., 2011, "Stacked convolutional
/// auto-encoders"; the layout of the Keras / PyTorch tutorial autoencoders): strided 3×3 convs
/// down to a 64-dim code, transposed convs back to 28×28. The up-sampling layers use kernel 4
/// with stride 2 (kernel divisible by the stride, so no checkerboard artifacts).
/// PyTorch reference: 214,065 trainable parameters.
model ConvAutoencoder(x: [B, 1, 28, 28]) -> [B, 1, 28, 28] {
  code = x
    |> Conv2d(16, 3, stride=2, padding=1) |> ReLU                       // [B, 16, 14, 14]
    |> Conv2d(32, 3, stride=2, padding=1) |> ReLU                       // [B, 32, 7, 7]
    |> Conv2d(64, 7)                                                    // [B, 64, 1, 1]
  code
    |> ConvTranspose2d(32, 7) |> ReLU                                   // [B, 32, 7, 7]
    |> ConvTranspose2d(16, 4, stride=2, padding=1) |> ReLU              // [B, 16, 14, 14]
    |> ConvTranspose2d(1, 4, stride=2, padding=1) |> Sigmoid            // [B, 1, 28, 28]
}
