// GRU encoder–decoder (Cho et al., 2014; Sutskever et al., 2014) that learns to reverse
// sequences of 8 symbols. The decoder starts from the encoder's final state and reads the target
// shifted right behind a start symbol (teacher forcing). PyTorch reference: 32,474 parameters.

data reverse = Sequences(task="reverse", length=8, vocab=10, points=2000, seed=1)

/// Encoder–decoder over symbol ids: src and tgt_in are bound to the dataset's inputs of the
/// same names. The encoder's final state h [1, B, 64] is the decoder's initial state.
model Seq2SeqGRU(src: int[B, 8], tgt_in: int[B, 8]) -> [B, 8, 10] {
  (_enc, h) = src |> Embedding(10, 16) |> GRU(64, return_state=true)   // h: [1, B, 64]
  (tgt_in |> Embedding(11, 16), h)                                    // 11: 10 symbols + start
    |> GRU(64)                                                        // [B, 8, 64], from h
    |> Dense(10)                                                      // logits per step
}

train Seq2SeqGRU {
  data = reverse
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 10
  batch = 64
  validation = 0.1
  seed = 1
  clip = 1.0
  metrics = [accuracy]
}
