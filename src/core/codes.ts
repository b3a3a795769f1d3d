import type { Severity } from './diagnostic';

/** Every diagnostic code, its default severity and a one-line explanation (docs/diagnostics.md). */
export const CODES = {
  // syntax
  DLM001: {
    severity: 'error',
    title: 'Syntax error',
    explain:
      'The parser expected something else at this point. It recovers at the next statement, so the rest of the file is still checked.',
    example: 'x |> Dense(10',
  },
  DLM002: {
    severity: 'error',
    title: 'Unterminated string or comment',
    explain: 'A string or block comment runs to the end of the file.',
    example: 'padding="same',
  },
  DLM003: {
    severity: 'error',
    title: 'Invalid character or number literal',
    explain: 'A character that is not part of the language, or a malformed number such as `1e`.',
    example: 'x |> Dense(1e)',
  },
  // names and structure
  DLM010: {
    severity: 'error',
    title: 'Unknown layer or block',
    explain:
      'The stage names neither a catalog layer, a block in scope, nor a shared `layer` instance. The message suggests the closest name; the quick fix applies it.',
    example: 'x |> Dence(10)',
  },
  DLM011: {
    severity: 'error',
    title: 'Unknown attribute',
    explain:
      "The layer or block has no attribute of that name. See docs/layers.md for each layer's attributes.",
    example: 'Conv2d(64, 3, strid=2)',
  },
  DLM012: {
    severity: 'error',
    title: 'Wrong attribute type',
    explain:
      'The value has the wrong kind, e.g. a float where an int is required, or a boolean for padding.',
    example: 'Conv2d(64, 2.5)',
  },
  DLM013: {
    severity: 'error',
    title: 'Missing required attribute',
    explain: 'A required attribute or block parameter is missing.',
    example: 'Conv2d(kernel=3)',
  },
  DLM014: {
    severity: 'error',
    title: 'Attribute given twice or too many positional arguments',
    explain:
      'The same attribute is given twice, a positional argument follows a keyword one, or there are more positional arguments than the layer accepts.',
    example: 'Dense(10, 20, 30)',
  },
  DLM015: {
    severity: 'error',
    title: 'Duplicate name',
    explain: 'Two models, blocks, data declarations, inputs or shared layers have the same name.',
    example: 'model M(...) {...}\nmodel M(...) {...}',
  },
  DLM016: {
    severity: 'error',
    title: 'Undefined name',
    explain: 'A pipeline starts from a name that is not a tensor in scope.',
    example: 'hiden |> Dense(2)',
  },
  DLM017: {
    severity: 'warning',
    title: 'Unused binding',
    explain:
      'A binding or input is never used. Rebinding a name (the ResNet `skip` idiom) does not count as unused.',
    example: 'extra = x |> Dense(8)',
  },
  DLM018: {
    severity: 'error',
    title: 'Import not found or outside the workspace',
    explain:
      'An import points to a missing file, uses an absolute path, resolves outside the workspace, or the imported file has syntax errors.',
    example: 'import "../../etc/x.dlm"',
  },
  DLM019: {
    severity: 'error',
    title: 'Import cycle',
    explain: 'Files import each other in a cycle; the message lists the chain.',
    example: 'import "a.dlm"   // and a.dlm imports this file',
  },
  DLM020: {
    severity: 'error',
    title: 'Wrong number of inputs',
    explain: 'A layer or block receives the wrong number of tensors. Merges need a tuple source.',
    example: 'x |> Add   // use (a, b) |> Add',
  },
  DLM021: {
    severity: 'error',
    title: 'Recursive block',
    explain: 'A block uses itself, directly or through other blocks.',
    example: 'block Loop(x) { x |> Loop }',
  },
  DLM022: {
    severity: 'error',
    title: 'Expression is not a compile-time constant or has the wrong type',
    explain:
      'An `if` condition, `repeat` count, dim or default value is not a compile-time constant of the right type.',
    example: 'repeat n Dense(8)   // n is not a parameter',
  },
  DLM023: {
    severity: 'error',
    title: 'Model or block output does not match its signature count',
    explain:
      'A model or block returns a different number of outputs than its signature declares, or produces none.',
    example: '-> (a: [B, 2], b: [B, 2]) { x |> Dense(2) }',
  },
  // size and structure limits (docs/limits.md)
  DLM030: {
    severity: 'error',
    title: 'Dim expression too large',
    explain:
      'A dim, written or computed by a layer, expands to more than 1,000 polynomial terms (for example a product of many sums such as `(H0+1)*(H1+1)*…`). Simplify the shape, or bind the size to a single symbol.',
    example: 'x: [B, (H0+1)*(H1+1)*(H2+1)*…*(H21+1)]',
  },
  DLM031: {
    severity: 'error',
    title: 'Too many layer instances in a model',
    explain:
      'Expanding the model (repeats and block calls) creates more than 10,000 layer instances. The model is checked up to the limit; nothing after it is. Use fewer repeats or shallower nesting.',
    example: 'repeat 10000 repeat 14 Dense(64)',
  },
  DLM032: {
    severity: 'error',
    title: 'Block calls nest too deep',
    explain:
      'Blocks call blocks more than 64 levels deep. The message shows the start of the chain; flatten it, e.g. with `repeat`.',
    example: 'block B0(x) { x |> B1 }   block B1(x) { x |> B2 }   …',
  },
  DLM033: {
    severity: 'error',
    title: 'Nesting too deep',
    explain:
      'Parentheses, brackets, unary operators or `repeat` nest more than 200 levels deep. The parser stops descending there and skips the rest of the statement.',
    example: 'x |> repeat 2 repeat 2 repeat 2 …   (200 times)',
  },
  DLM034: {
    severity: 'error',
    title: 'Expression too long',
    explain:
      'An expression chains more than 256 binary operators, e.g. `1 + 1 + … + 1`. The expression is not evaluated; write the value directly.',
    example: '[B, H + H + H + … + H]',
  },
  DLM035: {
    severity: 'info',
    title: 'More lint warnings than shown',
    explain:
      'A model reports at most 200 learner-lint warnings (DLM300–DLM308); a lint that every instance of a repeated layer triggers counts once. This note, on the model name, counts the rest.',
    example: 'repeat 10000 (Dense(64) |> Dense(64))',
  },
  DLM036: {
    severity: 'error',
    title: 'Number out of range',
    explain:
      'A number literal, or an integer computed from literals, does not fit: integers must lie within ±2^53 (9,007,199,254,740,991) to be exact, and floats within ±1.8e308.',
    example: 'Dense(1e309)   Dense(9007199254740993)',
  },
  // recurrent state and multi-output bindings (decision 0008)
  DLM050: {
    severity: 'error',
    title: 'Recurrent state of the wrong shape',
    explain:
      "An initial state given to SimpleRNN, LSTM or GRU (`(x, h0) |> GRU(64)`) must have PyTorch's layout `[layers·directions, N, H]`: one `[N, H]` state per layer and direction, the batch N of the sequence and the layer's hidden size H. The message gives the shape the layer needs; the range is the state in the tuple.",
    example: '(x, h0) |> GRU(64, layers=2)   // h0 is [1, B, 64]; needs [2, B, 64]',
  },
  DLM051: {
    severity: 'error',
    title: 'LSTM needs both h0 and c0',
    explain:
      'An LSTM starts from a hidden state h0 and a cell state c0, given together as `(x, (h0, c0)) |> LSTM(H)`, as in PyTorch. Giving only one of them is an error; give neither to start from zeros.',
    example: '(x, h0) |> LSTM(64)   // use (x, (h0, c0)) |> LSTM(64)',
  },
  DLM052: {
    severity: 'error',
    title: 'Wrong number of names in a tuple binding',
    explain:
      'A tuple binding `(out, h) = …` names each tensor its pipeline produces, in order; parentheses inside it only group (`(out, (h, c))` names three tensors). The number of names must equal the number of tensors, e.g. two for `GRU(H, return_state=true)` and three for `LSTM(H, return_state=true)`.',
    example: '(out, h) = x |> LSTM(64, return_state=true)   // use (out, (h, c))',
  },
  // several inputs in a train section (decision 0008)
  DLM130: {
    severity: 'error',
    title: 'Model input without data',
    explain:
      "A train section binds the dataset's named inputs to the model inputs of the same names. A model input that no named input feeds, or a model with several inputs trained on a dataset that gives one tensor, cannot be trained. The message lists the names the dataset gives.",
    example: 'model S(source: int[B, 8], tgt_in: int[B, 8])   // Sequences gives src, tgt_in',
  },
  DLM131: {
    severity: 'error',
    title: 'Dataset input not used by the model',
    explain:
      "A dataset gives a named input that no model input takes, so the model would ignore part of every sample: usually a misspelt input name. Name the model inputs after the dataset's.",
    example: 'model S(src: int[B, 8])   // Sequences also gives tgt_in',
  },
  DLM132: {
    severity: 'error',
    title: 'Dataset input of the wrong shape',
    explain:
      "A dataset's named input has per-sample shape that differs from the model input of the same name (after the batch axis).",
    example: 'Sequences(length=8) gives src [8], but the model takes src: int[B, 10]',
  },
  // frozen parts and weights from files
  DLM060: {
    severity: 'error',
    title: 'Weights file not found',
    explain:
      'A `weights from "…"` statement names a file that does not exist. The path is relative to the .dlm file. Checking, training, prediction and export all need it.',
    example: 'weights from "pretrained/base.safetensors"   // no such file',
  },
  DLM061: {
    severity: 'error',
    title: 'Weights file cannot be read',
    explain:
      'The file is neither a valid safetensors file (our run checkpoints are safetensors) nor an ONNX model, or it is damaged: a truncated header, a checksum that does not match, a tensor stored outside the file (ONNX external data) or of an unsupported type. The message names the file and the tensor.',
    example: 'weights from "base.safetensors"   // truncated by an interrupted copy',
  },
  DLM062: {
    severity: 'error',
    title: 'Weight shape differs from the parameter',
    explain:
      'A tensor of the weights file maps to a parameter of another shape. The diagnostic is on the layer; its related information points at the file reference. Change the layer, or the name mapping so that the tensor goes to the right layer.',
    example: 'x |> Dense(32)   // the file has dense0.weight [64, 784]',
  },
  DLM063: {
    severity: 'warning',
    title: 'Weights in the file that no parameter takes',
    explain:
      "Tensors of the file (after the name mapping) match no parameter of the model; they are listed in the message, and ignored. BatchNorm's `num_batches_tracked` and a checkpoint's optimizer state are never listed.",
    example: 'weights from "run/best.safetensors"   // a checkpoint of another model',
  },
  DLM064: {
    severity: 'warning',
    title: 'Parameter the weights file does not give',
    explain:
      "A parameter in the part of the model the file covers (every parameter without a mapping; those under a mapping's target prefix with one) is not in the file; it keeps its initializer. The warning is on the layer and names the missing tensor.",
    example: 'weights from "base.safetensors"   // has no conv2d1.bias',
  },
  DLM065: {
    severity: 'error',
    title: 'Misplaced or conflicting weights statement',
    explain:
      '`weights from` is a statement of a model body (not of a block or an `if` branch); its mapping maps name prefixes to name prefixes, and two statements or mappings may not give the same parameter. A mapping whose prefix matches nothing is reported too.',
    example: 'block B(x) { weights from "b.safetensors"  x |> Dense(4) }',
  },
  DLM066: {
    severity: 'error',
    title: 'Shared layer frozen at one use and trained at another',
    explain:
      'A `layer` instance has one set of weights, so it cannot be frozen at one use and trained at another. Declare it `frozen layer name = …` to freeze it everywhere, or leave every use unfrozen.',
    example: 'layer enc = Dense(8)   x |> frozen enc   y |> enc',
  },
  DLM067: {
    severity: 'warning',
    title: 'Nothing left to train',
    explain:
      'Every parameter of the model is frozen, so a train section would change nothing but BatchNorm statistics outside frozen parts. Unfreeze the part you mean to train (usually the new head).',
    example: 'frozen model Base(x: [B, 4]) { x |> Dense(2) }   train Base { … }',
  },
  DLM040: {
    severity: 'error',
    title: 'A param statement needs Parameter(shape)',
    explain:
      '`param name = …` declares a learned tensor, so its right-hand side must be a `Parameter(shape, init=…)` call; layers are declared with `layer` and used in pipelines.',
    example: 'param cls = Dense(64)   // write: param cls = Parameter([1, 1, 64])',
  },
  DLM041: {
    severity: 'error',
    title: 'Tied weight does not fit',
    explain:
      '`tie=embed` makes a layer use the weight of the shared layer `embed` (declared with `layer` and used before the tie). The two weights must have the same shape: an output projection `Dense(V, tie=embed)` reuses an `Embedding(V, D)` weight `[V, D]` as its `[out, in]` weight, so its input must have D features and `out` must be V.',
    example: 'layer embed = Embedding(100, 32)\n… |> Dense(50, tie=embed)   // 50 ≠ 100',
  },
  // shapes
  DLM100: {
    severity: 'error',
    title: 'Feature or channel size mismatch',
    explain:
      "A size the layer needs does not match its input: Dense's `in`, a convolution's input channels, BatchNorm's features, a tied layer used with two input sizes. The related information traces where the size came from (e.g. `256 = 16·4·4` after Flatten); the quick fix sets the attribute to the inferred size.",
    example: 'Flatten |> Dense(120, in=400)   // receives [B, 256]',
  },
  DLM101: {
    severity: 'error',
    title: 'Wrong rank',
    explain:
      'The input has the wrong number of axes, e.g. Dense on a `[B, C, H, W]` feature map. The quick fix inserts Flatten where that is the likely intent.',
    example: 'Conv2d(16, 3) |> Dense(10)',
  },
  DLM102: {
    severity: 'error',
    title: 'Spatial size shrinks to zero or below',
    explain:
      'A convolution or pooling window is larger than its (padded) input, so the output size is zero or negative.',
    example: '[B, 1, 8, 8] |> Conv2d(4, 5) |> Conv2d(4, 5)',
  },
  DLM103: {
    severity: 'warning',
    title: 'Output size floored from a non-integer',
    explain:
      '`floor((n + 2p − d·(k−1) − 1)/s) + 1` is not an integer and real input rows or columns are never covered (PyTorch silently drops them). The message names the input sizes that tile exactly. Strided 1×1 convolutions, which subsample by design, do not warn.',
    example: '[B, 3, 224, 224] |> Conv2d(96, 11, stride=4)   // 227 tiles exactly',
  },
  DLM104: {
    severity: 'error',
    title: 'Merge of incompatible shapes',
    explain:
      'Add, Multiply or Concat receive tensors whose shapes cannot be combined (Concat: all axes but `axis` must agree; Add/Multiply: equal or broadcastable).',
    example: '(a, b) |> Add   // [B, 3] and [B, 4]',
  },
  DLM105: {
    severity: 'error',
    title: 'Size not divisible',
    explain:
      'A size must divide another: groups must divide the channels, heads must divide the model dimension, a reshape must keep the element count.',
    example: 'MultiHeadAttention(100, heads=3)',
  },
  DLM106: {
    severity: 'error',
    title: 'Inferred shape does not match the declared signature',
    explain:
      'The declared output shape of the model differs from what the body produces. The quick fix replaces the declaration with the inferred shape.',
    example: 'model M(x: [B, 784]) -> [B, 12] { x |> Dense(10) }',
  },
  DLM107: {
    severity: 'error',
    title: 'Input does not match the block signature',
    explain: "A block's input annotation does not unify with the tensor it receives.",
    example: 'block B(x: [N, 3, H, W]) ...   used on [B, 1, 28, 28]',
  },
  DLM108: {
    severity: 'error',
    title: 'Invalid attribute value',
    explain:
      'The attribute has the right kind but an invalid value: a non-positive kernel, dropout p ≥ 1, an unknown padding mode, `padding="same"` with stride > 1.',
    example: 'Conv2d(8, 3, stride=2, padding="same")',
  },
  DLM109: {
    severity: 'error',
    title: 'Empty dimension in a declared shape',
    explain:
      'Every size in a declared shape must be at least 1: a 0 makes the tensor empty, so every layer after it computes nothing.',
    example: 'model M(x: [B, 0, 32, 32]) ...',
  },
  DLM110: {
    severity: 'error',
    title: 'Integer ids where floats are needed, or floats where ids are needed',
    explain:
      'Tensors are float (features, activations) or integer (token ids, class labels, declared `x: int[B, T]`). An Embedding looks up integer ids, so it cannot take float activations; every other layer computes on floats, so integer ids must first go through an Embedding. Flatten, Reshape, Permute, Select and Identity keep the type.',
    example: 'model M(x: int[B, T]) { x |> Dense(10) }',
  },
  // data and training
  DLM200: {
    severity: 'error',
    title: 'Unknown dataset, loss, optimizer, schedule or metric',
    explain:
      'A train section or data declaration names an unknown dataset, loss, optimizer, schedule or metric.',
    example: 'optimizer = Adamm(lr=1e-3)',
  },
  DLM201: {
    severity: 'error',
    title: 'Invalid training setting',
    explain:
      'A training setting has an invalid value or is unknown, e.g. `epochs = 0` or `validation = 1.5`.',
    example: 'validation = 1.5',
  },
  DLM202: {
    severity: 'error',
    title: 'Train section names an unknown model',
    explain: '`train X` names no model in scope.',
    example: 'train LeNett { ... }',
  },
  DLM203: {
    severity: 'error',
    title: 'Data file path is outside the workspace',
    explain:
      'A data file path is absolute or resolves outside the workspace. `.dlm` files may only read files inside the workspace.',
    example: 'Csv("../../etc/passwd")',
  },
  DLM204: {
    severity: 'error',
    title: 'Loss does not fit the model output',
    explain:
      'The loss or dataset does not fit the model: class count vs. output width, sample shape vs. input signature, a classification loss on regression data, VAELoss on a model without (recon, mu, logvar).',
    example: 'Spiral(classes=4) with a model ending in Dense(3)',
  },
  DLM205: {
    severity: 'error',
    title: 'Missing or duplicate training setting',
    explain: 'A required setting (data, loss) is missing or a setting appears twice.',
    example: 'train M { data = d }   // no loss',
  },
  DLM206: {
    severity: 'warning',
    title: 'Data file not found',
    explain:
      'A data file does not exist (yet). Checking continues; training fails until the file is there.',
    example: 'Csv("data/missing.csv")',
  },
  DLM210: {
    severity: 'error',
    title: 'Invalid column groups',
    explain:
      'A Csv dataset\'s `inputs` lists column groups, one per model input: strings of the form "name: columns", where columns are header names separated by commas, or ranges `first..last` in header order. Each group feeds the model input of its name.',
    example: 'Csv("clicks.csv", inputs=("user age, income"))   // no colon after the input name',
  },
  // file system
  DLM207: {
    severity: 'error',
    title: 'Import or data file is a link that leads outside the workspace',
    explain:
      'The path is inside the workspace as written, but a symbolic link along it leads outside. Files outside the workspace are never read; copy the file into the workspace instead.',
    example: 'Csv("data/train.csv")   where data/ links to ../elsewhere',
  },
  DLM208: {
    severity: 'error',
    title: 'Import or data file is not a regular file',
    explain:
      'The path names a folder, a named pipe (FIFO), a device or a socket. Only regular files are read, so a pipe or /dev/zero can never block or flood the checker or the trainer.',
    example: 'import "blocks.dlm"   where blocks.dlm is a FIFO',
  },
  DLM209: {
    severity: 'error',
    title: 'Import or data file is too large',
    explain:
      'The file is larger than the cap for its kind (docs/limits.md lists them): 8 MiB for a .dlm file, 1 GiB for a data file (256 MiB for Csv and Text data).',
    example: 'import "huge.dlm"   (20 MB)',
  },
  // ONNX files (src/interop/onnx, docs/onnx-import.md)
  DLM220: {
    severity: 'error',
    title: 'Not a readable ONNX file',
    explain:
      'The file could not be decoded as an ONNX ModelProto: it is truncated, of another format, or larger than the cap in docs/limits.md.',
    example: 'dlm import notes.txt',
  },
  DLM221: {
    severity: 'warning',
    title: 'ONNX opset outside the supported range',
    explain:
      'DLM Studio reads default-domain opsets 7 to 18. An older opset is refused; a newer one is read with the opset-18 rules, and an operator whose meaning changed may be misread.',
    example: 'a model exported with opset_version=21',
  },
  DLM222: {
    severity: 'warning',
    title: 'Unknown ONNX operator (opaque node)',
    explain:
      'No shape rule or catalog layer knows the operator (or its domain). The node is shown as an opaque box with its op type and parameter count; its outputs take the shapes the file declares, if any.',
    example: 'a custom-domain operator such as com.microsoft.FusedConv',
  },
  DLM223: {
    severity: 'error',
    title: 'Contradiction in the ONNX file',
    explain:
      "A node's inputs do not fit its operator (shapes that do not broadcast, a Reshape that changes the element count), a value is read before it is produced, or the shape the file declares in value_info differs from the one inferred. The message names the node.",
    example: "node '/fc/Gemm' computes [B, 10] for 'y', but the file declares [B, 12]",
  },
  DLM224: {
    severity: 'warning',
    title: 'ONNX weights stored in an external file',
    explain:
      'An initializer keeps its data in a separate file (external data). Shapes and counts are complete, but the weights are not read; converting to .dlm needs them inside the .onnx file.',
    example: 'model.onnx + model.onnx.data',
  },
  DLM225: {
    severity: 'error',
    title: 'ONNX control flow (Loop, If, Scan) is not supported',
    explain:
      'A Loop, If or Scan node runs a data-dependent subgraph, which has no static shape. Export the model with loops unrolled (tracing instead of scripting).',
    example: 'torch.jit.script(model) exported to ONNX',
  },
  DLM226: {
    severity: 'error',
    title: 'ONNX node cannot be converted to a .dlm layer',
    explain:
      'The importer maps ONNX nodes and patterns to catalog layers (docs/onnx-import.md). A node that maps to none stops the conversion with its name, op type and the reason; the ONNX viewer still shows it.',
    example: "node '/Einsum' (Einsum): no catalog layer computes it",
  },
  // learner lints
  DLM300: {
    severity: 'warning',
    title: 'Linear layers without a nonlinearity collapse into one',
    explain:
      'Two linear layers with nothing nonlinear between them compose to a single linear layer; the message gives its size. Insert an activation.',
    example: 'Dense(256) |> Dense(10)',
  },
  DLM301: {
    severity: 'warning',
    title: 'Deep sigmoid/tanh stack risks vanishing gradients',
    explain:
      'Five or more sigmoid/tanh activations in a row shrink gradients at every layer (σ′ ≤ 0.25). Prefer ReLU-family activations or add normalization.',
    example: 'repeat 6 (Dense(64) |> Sigmoid)',
  },
  DLM302: {
    severity: 'warning',
    title: 'Softmax before a loss that expects logits',
    explain:
      'CrossEntropy and BCEWithLogits expect logits and apply (log-)softmax themselves; a final Softmax applies it twice. NLL expects LogSoftmax.',
    example: 'Dense(3) |> Softmax  with  loss = CrossEntropy',
  },
  DLM303: {
    severity: 'warning',
    title: 'Dropout directly before BatchNorm',
    explain:
      'Dropout right before BatchNorm makes the batch statistics differ between training and evaluation (variance shift).',
    example: 'Dropout(0.5) |> BatchNorm1d',
  },
  DLM304: {
    severity: 'warning',
    title: 'BatchNorm inside a WGAN critic',
    explain:
      'BatchNorm couples the samples of a batch, which breaks the per-sample gradient penalty of a WGAN-GP critic. Use LayerNorm or no normalization.',
    example: 'model Critic ... BatchNorm2d',
  },
  DLM305: {
    severity: 'warning',
    title: 'ConvTranspose kernel not divisible by its stride (checkerboard artifacts)',
    explain:
      'A transposed convolution whose kernel is not divisible by its stride overlaps unevenly and produces checkerboard artifacts. Use a kernel divisible by the stride, or Upsample followed by a convolution.',
    example: 'ConvTranspose2d(64, 3, stride=2)',
  },
  DLM306: {
    severity: 'warning',
    title: 'Zero or constant weight initialization',
    explain:
      'All-zero or constant initial weights keep units symmetric, so they never learn different features.',
    example: '',
  },
  DLM307: {
    severity: 'warning',
    title: 'Learning rate far outside the optimizer’s usual range',
    explain:
      "The learning rate is far outside the optimizer's usual range: too high diverges, too low barely moves.",
    example: 'optimizer = Adam(lr=5)',
  },
  DLM308: {
    severity: 'info',
    title: 'Bias before BatchNorm is redundant',
    explain:
      'A bias directly before BatchNorm is cancelled by the mean subtraction; `bias=false` saves the parameters.',
    example: 'Conv2d(64, 3) |> BatchNorm2d',
  },
  // internal
  DLM900: {
    severity: 'error',
    title: 'Internal checker error (please report)',
    explain: 'A shape rule threw unexpectedly. Please report it with the input that caused it.',
    example: '',
  },
} as const satisfies Record<
  string,
  { severity: Severity; title: string; explain: string; example: string }
>;

/** Where each code is documented (the language server links diagnostics here). */
export const DOCS_URL = 'https://github.com/dlm-studio/dlm-studio/blob/main/docs/diagnostics.md';

export type Code = keyof typeof CODES;
