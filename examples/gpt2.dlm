/// GPT-2 small (Radford et al., 2019): vocabulary 50,257, context 1,024, 12 pre-norm causal
/// blocks (d=768, 12 heads, MLP 3,072, GELU), a final LayerNorm, and an output layer tied to the
/// token embedding (`tie=wte`: its weight is the embedding's, counted once, as in GPT-2's lm_head).
/// PyTorch reference: 124,439,808 trainable parameters.
model GPT2(tokens: int[B, T]) -> [B, T, 50257] {
  layer wte = Embedding(50257, 768)                         // token embeddings
  tokens
    |> wte                                                  // [B, T, 768]
    |> PositionalEncoding(kind="learned", max_len=1024)     // wpe: T ≤ 1,024
    |> repeat 12 TransformerEncoder(768, 12, ff=3072, dropout=0.1, activation="gelu", norm_first=true, causal=true)
    |> LayerNorm                                            // ln_f
    |> Dense(50257, bias=false, tie=wte)                    // lm_head, tied: next-token logits
}
