/// LSTM text classifier (Hochreiter & Schmidhuber, 1997): token ids → Embedding(10000, 128)
/// → LSTM(256), last time step → 5 class logits. PyTorch reference: 1,676,549 trainable
/// parameters (LSTM with PyTorch's two bias vectors: 4·(256·128 + 256·256 + 2·256) = 395,264).
model LSTMClassifier(tokens: [B, T]) -> [B, 5] {
  tokens
    |> Embedding(10000, 128)                      // [B, T, 128]
    |> LSTM(256, return_sequences=false)          // [B, 256]
    |> Dense(5)
}
