/// Two-layer bidirectional GRU (Cho et al., 2014; Schuster & Paliwal, 1997) over 40-dim
/// feature frames (e.g. filterbanks), final forward and backward states concatenated, then
/// 10 class logits. PyTorch reference: 429,578 trainable parameters.
model BiGRU(x: [B, T, 40]) -> [B, 10] {
  x
    |> GRU(128, layers=2, bidirectional=true, return_sequences=false)   // [B, 256]
    |> Dense(10)
}
