// Pretraining for examples/finetune.dlm: a small conv base learns features on 2,000 bundled
// Fashion-MNIST images (28×28). The base ends in global average pooling, so the same weights
// apply to images of any size. examples/pretrained/fashion_base.safetensors is this model's
// best checkpoint after `dlm train examples/finetune_base.dlm` (copied from .dlm/runs/…/).

/// Conv feature extractor: two conv–BatchNorm–ReLU stages, size-agnostic.
block Base(x: [B, 1, H, W]) {
  x
    |> Conv2d(16, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU |> MaxPool2d(2)
    |> Conv2d(32, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU
}

/// The base with a Fashion-MNIST head (10 clothing classes).
model FashionBase(x: [B, 1, 28, 28]) -> [B, 10] {
  x |> Base |> GlobalAvgPool |> Dense(10)
}

data fashion = Idx(images="data/fashion-2k-images-idx3-ubyte.gz", labels="data/fashion-2k-labels-idx1-ubyte.gz")

train FashionBase {
  data = fashion
  loss = CrossEntropy
  optimizer = Adam(lr=3e-3)
  epochs = 8
  batch = 64
  validation = 0.1
  seed = 7
  metrics = [accuracy]
}
