/// Multilayer perceptron for MNIST: 784 → 256 → 128 → 10 with ReLU.
/// The classic fully connected baseline (e.g. LeCun et al., 1998, Table of MNIST results).
/// PyTorch reference: 235,146 trainable parameters.
model MLP(x: [B, 784]) -> [B, 10] {
  x
    |> Dense(256) |> ReLU
    |> Dense(128) |> ReLU
    |> Dense(10)                   // logits; CrossEntropy applies the softmax
}

/// MNIST in idx format (download train-images/labels into examples/data/).
data mnist = Idx(images="data/train-images-idx3-ubyte.gz", labels="data/train-labels-idx1-ubyte.gz")

train MLP {
  data = mnist
  loss = CrossEntropy
  optimizer = Adam(lr=1e-3)
  epochs = 10
  batch = 128
  validation = 0.1
  seed = 42
  metrics = [accuracy]
}
