/// 2,000 Fashion-MNIST training images (28×28) in idx format, bundled in examples/data/ (Zalando
/// SE, MIT licence; see data/README.md). For MNIST, point these paths at its idx files.
data fashion = Idx(images="data/fashion-2k-images-idx3-ubyte.gz", labels="data/fashion-2k-labels-idx1-ubyte.gz")

/// Variational autoencoder (Kingma & Welling, 2014, "Auto-encoding variational Bayes"), the
/// MLP VAE of the PyTorch examples: 784 → 400 → (μ, log σ²) in 20 dims → z = μ + exp(½·logvar)·ε
/// → 400 → 784. `recon` is returned as logits, because VAELoss(recon="bce") applies BCE from
/// logits (apply a Sigmoid to view the images). PyTorch reference: 652,824 trainable parameters.
model VAE(x: [B, 784]) -> (recon: [B, 784], mu: [B, 20], logvar: [B, 20]) {
  h = x |> Dense(400) |> ReLU
  mu = h |> Dense(20)
  logvar = h |> Dense(20)
  z = (mu, logvar) |> Reparameterize
  recon = z |> Dense(400) |> ReLU |> Dense(784)
  return recon, mu, logvar
}

train VAE {
  data = fashion
  loss = VAELoss(recon="bce", beta=1.0)
  optimizer = Adam(lr=1e-3)
  epochs = 10
  batch = 128
  seed = 1
}
