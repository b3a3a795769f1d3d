/// A toy sentiment task (examples/data/cue-tokens-*.npy, made by scripts/make-token-task.ts):
/// 1,024 sequences of 32 token ids from a vocabulary of 8,000, labelled by which kind of cue
/// word (ids 1–99 or 100–199) they hold more of.
data cues = Npy(x="data/cue-tokens-x.npy", y="data/cue-tokens-y.npy")

/// Transformer encoder classifier (Vaswani et al., 2017, "Attention is all you need";
/// post-norm encoder layers as PyTorch's nn.TransformerEncoderLayer): token embedding,
/// learned positional encoding, 2 encoder layers (d=128, 4 heads, ff=512, no dropout), mean
/// pooling over time, 2 class logits. PyTorch reference: 1,453,570 trainable parameters.
model TextTransformer(tokens: [B, T]) -> [B, 2] {
  tokens
    |> Embedding(8000, 128)                                 // [B, T, 128]
    |> PositionalEncoding(kind="learned", max_len=256)
    |> repeat 2 TransformerEncoder(128, 4, ff=512, dropout=0)  // [B, T, 128]
    |> Mean(axis=1)                                         // mean over T: [B, 128]
    |> Dense(2)
}

train TextTransformer {
  data = cues
  loss = CrossEntropy
  optimizer = Adam(lr=1e-3)
  epochs = 3
  batch = 32
  validation = 0.2
  seed = 1
  metrics = [accuracy]
}
