/// Multilayer perceptron for MNIST: 784 → 256 → 128 → 10 with ReLU.
/// The classic fully connected baseline (e.g. LeCun et al., 1998, Table of MNIST results).
/// PyTorch reference: 235,146 trainable parameters.
model MLP(x: [B, 784]) -> [B, 10] {
  x
    |> Dense(256) |> ReLU
    |> Dense(128) |> ReLU
    |> Dense(10)                   // logits; CrossEntropy applies the softmax
}

/// 2,000 Fashion-MNIST training images (28×28, 10 classes, 200 each) in idx format, bundled in
/// examples/data/ (Zalando SE, MIT licence; see data/README.md). For MNIST itself, download its
/// train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz and point these paths at them.
data fashion = Idx(images="data/fashion-2k-images-idx3-ubyte.gz", labels="data/fashion-2k-labels-idx1-ubyte.gz")

train MLP {
  data = fashion
  loss = CrossEntropy
  optimizer = Adam(lr=1e-3)
  epochs = 10
  batch = 128
  validation = 0.1
  seed = 42
  metrics = [accuracy]
}
