/// The bundled 8×8 handwritten digits (1,797 images, 10 classes), as 64 features.
data digits = Digits

/// Weight tying (as in Press & Wolf, 2017, and in recurrent nets unrolled in time): one
/// Dense(64) instance applied twice, so its 64·64 + 64 = 4,160 parameters are counted once.
/// PyTorch reference: 4,810 trainable parameters (4,160 shared + 650 head).
model TiedMLP(x: [B, 64]) -> [B, 10] {
  layer shared = Dense(64)
  x
    |> shared |> ReLU
    |> shared |> ReLU
    |> Dense(10)
}

train TiedMLP {
  data = digits
  loss = CrossEntropy
  optimizer = Adam(lr=1e-3)
  epochs = 50
  batch = 32
  validation = 0.2
  seed = 0
  metrics = [accuracy]
}
