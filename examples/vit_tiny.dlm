/// ViT-Tiny/16 at 224×224 (Dosovitskiy et al., 2021; timm `vit_tiny_patch16_224`): 16×16 patches
/// embedded by a strided convolution, a learned class token prepended to the 196 patch tokens,
/// learned position embeddings for all 197, 12 pre-norm encoder blocks (d=192, 3 heads, MLP 768,
/// GELU, LayerNorm eps 1e-6), a final LayerNorm and a linear head on the class token.
/// PyTorch reference: 5,717,416 trainable parameters.
model ViTTiny(x: [B, 3, 224, 224]) -> [B, 1000] {
  param cls = Parameter([1, 1, 192], init="zeros")          // class token
  param pos = Parameter([1, 197, 192])                      // position embeddings
  patches = x
    |> Conv2d(192, 16, stride=16)                           // [B, 192, 14, 14]
    |> Flatten(start=2)                                     // [B, 192, 196]
    |> Permute((0, 2, 1))                                   // [B, 196, 192]
  tokens = ((cls, patches) |> Expand(axes=0), patches) |> Concat(axis=1)   // [B, 197, 192]
  (tokens, pos) |> Add
    |> repeat 12 TransformerEncoder(192, 3, ff=768, dropout=0, activation="gelu", norm_first=true, eps=1e-6)
    |> LayerNorm(eps=1e-6)
    |> Select(axis=1, index=0)                              // the class token: [B, 192]
    |> Dense(1000)
}
