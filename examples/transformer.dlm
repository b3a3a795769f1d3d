/// Transformer encoder classifier (Vaswani et al., 2017, "Attention is all you need";
/// post-norm encoder layers as PyTorch's nn.TransformerEncoderLayer): token embedding,
/// learned positional encoding, 2 encoder layers (d=128, 4 heads, ff=512), mean pooling over
/// time, 2 class logits. PyTorch reference: 1,453,570 trainable parameters.
model TextTransformer(tokens: [B, T]) -> [B, 2] {
  tokens
    |> Embedding(8000, 128)                                 // [B, T, 128]
    |> PositionalEncoding(kind="learned", max_len=256)
    |> repeat 2 TransformerEncoder(128, 4, ff=512)          // [B, T, 128]
    |> Mean(axis=1)                                         // mean over T: [B, 128]
    |> Dense(2)
}
