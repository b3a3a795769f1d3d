// A WaveNet-like dilated Conv1d stack over a raw 1-channel signal.

/// Gated residual layer: tanh(conv_f(x)) ⊙ σ(conv_g(x)), a 1×1 projection, and a residual
/// add. Causal padding, d·(k−1) on the left, keeps the length and never looks ahead.
block GatedResidual(c: int, d: int)(x: [B, C, L]) {
  g = (x |> Conv1d(c, 3, dilation=d, padding="causal") |> Tanh,
    x |> Conv1d(c, 3, dilation=d, padding="causal") |> Sigmoid)
    |> Multiply
    |> Conv1d(c, 1)
  (x, g) |> Add
}

/// WaveNet-like stack (van den Oord et al., 2016, "WaveNet: a generative model for raw audio"):
/// dilations 1, 2, 4, 8 with gated tanh⊙sigmoid units and residual connections, then a 1×1
/// conv to 256 μ-law classes per time step. Causal: output t depends on inputs ≤ t only.
/// PyTorch reference: 37,568 trainable parameters; receptive field 31 samples.
model WaveNet(x: [B, 1, L]) -> [B, 256, L] {
  x
    |> Conv1d(32, 1)                     // [B, 32, L]
    |> GatedResidual(32, 1)
    |> GatedResidual(32, 2)
    |> GatedResidual(32, 4)
    |> GatedResidual(32, 8)
    |> ReLU
    |> Conv1d(256, 1)                    // [B, 256, L]
}
