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
