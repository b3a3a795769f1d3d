/// Character-level language model on a small generated corpus (examples/data/tiny.txt, 28
/// distinct characters): every step predicts the next character. Embedding → LSTM → Dense.
data text = Text("data/tiny.txt", seq_len=64)

model CharLSTM(x: int[B, T]) -> [B, T, 28] {
  x
    |> Embedding(28, 32)                          // [B, T, 32]
    |> LSTM(128)                                  // [B, T, 128]
    |> Dense(28)                                  // next-character logits
}

train CharLSTM {
  data = text
  loss = CrossEntropy
  optimizer = Adam(lr=0.005)
  epochs = 2
  batch = 32
  validation = 0.1
  seed = 1
  clip = 1.0
}
