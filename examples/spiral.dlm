/// Three interleaved spirals in the plane (the TensorFlow Playground / CS231n toy problem).
data spiral = Spiral(points=600, classes=3, noise=0.05, seed=1)

/// MLP 2 → 16 → 16 → 3 with ReLU for the spiral problem (CS231n "Minimal neural network case
/// study"). PyTorch reference: 371 trainable parameters.
model SpiralNet(x: [B, 2]) -> [B, 3] {
  x
    |> Dense(16) |> ReLU
    |> Dense(16) |> ReLU
    |> Dense(3)
}

train SpiralNet {
  data = spiral
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 200
  batch = 32
  validation = 0.2
  seed = 1
  schedule = Cosine(t_max=200)
  early_stopping = 40
  metrics = [accuracy]
}
