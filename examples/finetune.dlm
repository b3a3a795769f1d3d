// Fine-tuning (transfer learning): the conv base pretrained on Fashion-MNIST by
// examples/finetune_base.dlm is frozen, and a new head is trained on the bundled 8×8 Digits.
// Only the head's 330 parameters are trained; the base's 4,848 weights and its 96 BatchNorm
// statistics stay exactly as pretrained (BatchNorm runs in eval mode inside the frozen base).
import "finetune_base.dlm"

/// Digits classifier on a frozen, pretrained feature extractor.
model DigitsFinetune(x: [B, 1, 8, 8]) -> [B, 10] {
  // The base's weights (names base0.…) from the pretraining run; its head (dense0) is not taken.
  weights from "pretrained/fashion_base.safetensors" { "base0." -> "base0." }
  x
    |> frozen Base                  // pretrained, not trained here
    |> GlobalAvgPool
    |> Dense(10)                    // the new head
}

train DigitsFinetune {
  data = Digits
  loss = CrossEntropy
  optimizer = Adam(lr=1e-2)
  epochs = 15
  batch = 64
  validation = 0.2
  seed = 1
  metrics = [accuracy]
}
