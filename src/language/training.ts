/**
 * The names that may appear in `data` declarations and `train` sections: datasets, losses,
 * optimizers, schedules and metrics, each with attributes, defaults and docs in one place.
 * The checker validates against these; the compiler and trainer implement them by name.
 */
import type { AttrSpec } from '../layers/types';
import { listedWidth, parseColumnGroups } from './columns';

export interface CallableSpec {
  readonly name: string;
  readonly summary: string;
  readonly doc: string;
  readonly attrs: readonly AttrSpec[];
  readonly positional: readonly string[];
}

export interface DatasetSpec extends CallableSpec {
  readonly kind: 'synthetic' | 'bundled' | 'file';
  readonly task: 'classification' | 'regression' | 'sequence' | 'unknown';
  /** Per-sample input shape(s) accepted (without batch), when known from the attributes. */
  inputShapes(args: Readonly<Record<string, unknown>>): readonly (readonly number[])[] | undefined;
  /** Number of classes (classification) or targets (regression), when known. */
  targets(args: Readonly<Record<string, unknown>>): number | undefined;
  /** Attribute names that hold workspace file paths. */
  readonly pathAttrs?: readonly string[];
  /**
   * A dataset with several named inputs (decision 0008): each feeds the model input of its name.
   * `shape` is per sample; `ids` for integer ids.
   */
  fields?(args: Readonly<Record<string, unknown>>):
    | readonly {
        readonly name: string;
        readonly shape?: readonly number[];
        readonly ids: boolean;
      }[]
    | undefined;
  /**
   * Named inputs whose names only the file holds (an .npz archive): bound by the trainer when it
   * reads the file, so the checker does not bind them.
   */
  fieldsFromFile?(args: Readonly<Record<string, unknown>>): boolean;
  /** Problems with an attribute's value that its type cannot express (DLM210), by attribute. */
  validate?(
    args: Readonly<Record<string, unknown>>,
  ): { readonly attr: string; readonly message: string }[];
}

const seed: AttrSpec = {
  name: 'seed',
  type: { kind: 'int' },
  default: 0,
  doc: 'Random seed for generation and the split.',
};
const points = (n: number): AttrSpec => ({
  name: 'points',
  type: { kind: 'int', min: 2 },
  default: n,
  doc: 'Number of samples.',
});
const noise = (x: number): AttrSpec => ({
  name: 'noise',
  type: { kind: 'float', min: 0 },
  default: x,
  doc: 'Standard deviation of Gaussian noise added to the inputs.',
});

function synthetic2d(
  name: string,
  summary: string,
  classes: number | 'attr',
  extra: AttrSpec[] = [],
): DatasetSpec {
  const attrs: AttrSpec[] = [points(600), noise(0.1), seed, ...extra];
  if (classes === 'attr')
    attrs.splice(1, 0, {
      name: 'classes',
      type: { kind: 'int', min: 2 },
      default: 3,
      doc: 'Number of classes.',
    });
  return {
    name,
    summary,
    doc: `${summary}\n\nSynthetic 2-D classification data: inputs \`[N, 2]\`, integer class labels. Seeded and reproducible.`,
    kind: 'synthetic',
    task: 'classification',
    attrs,
    positional: [],
    inputShapes: () => [[2]],
    targets: (a) => (classes === 'attr' ? (a.classes as number) : classes),
  };
}

export const DATASETS: readonly DatasetSpec[] = [
  synthetic2d('Spiral', 'Interleaved spirals, one arm per class (TensorFlow Playground).', 'attr'),
  synthetic2d('Circles', 'Two concentric circles.', 2, [
    {
      name: 'factor',
      type: { kind: 'float', min: 0, max: 1 },
      default: 0.5,
      doc: 'Inner radius relative to the outer one.',
    },
  ]),
  synthetic2d('Xor', 'Four quadrants labelled by the sign of x·y.', 2),
  synthetic2d('Gaussians', 'Isotropic Gaussian blobs, one per class.', 'attr'),
  synthetic2d('Moons', 'Two interleaving half circles.', 2),
  {
    name: 'Sine',
    summary: 'Regression: y = sin(x) on [−π, π] with noise.',
    doc: 'Regression data: inputs `[N, 1]`, targets `[N, 1]`.',
    kind: 'synthetic',
    task: 'regression',
    attrs: [points(400), noise(0.05), seed],
    positional: [],
    inputShapes: () => [[1]],
    targets: () => 1,
  },
  {
    name: 'Plane',
    summary: 'Regression: y = a·x₁ + b·x₂ + c with noise.',
    doc: 'Regression data: inputs `[N, 2]`, targets `[N, 1]`.',
    kind: 'synthetic',
    task: 'regression',
    attrs: [points(400), noise(0.05), seed],
    positional: [],
    inputShapes: () => [[2]],
    targets: () => 1,
  },
  {
    name: 'Sequences',
    summary: 'Sequence-to-sequence tasks (reverse, copy, sort) with two inputs, src and tgt_in.',
    doc: [
      'A seeded encoder–decoder task: random source sequences of `length` symbols from `0..vocab-1` and their targets (`reverse`: backwards, `copy`, `sort`: ascending).',
      '',
      'Two inputs, bound to the model inputs of the same names: `src` `[length]` (the source ids) and `tgt_in` `[length]`, the decoder input for teacher forcing (the target shifted right behind a start symbol with id `vocab`, so its embedding needs `vocab + 1` rows). Labels: the target ids, one of `vocab` classes per step (CrossEntropy over `[B, length, vocab]`).',
    ].join('\n'),
    kind: 'synthetic',
    task: 'sequence',
    attrs: [
      {
        name: 'task',
        type: { kind: 'string', values: ['reverse', 'copy', 'sort'] },
        default: 'reverse',
        doc: 'What the target is: the source reversed, copied or sorted.',
      },
      { name: 'length', type: { kind: 'int', min: 1 }, default: 8, doc: 'Sequence length.' },
      { name: 'vocab', type: { kind: 'int', min: 2 }, default: 10, doc: 'Number of symbols.' },
      points(2000),
      seed,
    ],
    positional: [],
    inputShapes: () => undefined,
    targets: (a) => a.vocab as number,
    fields: (a) => [
      { name: 'src', shape: [a.length as number], ids: true },
      { name: 'tgt_in', shape: [a.length as number], ids: true },
    ],
  },
  {
    name: 'Stripes',
    summary: 'Synthetic images: striped gratings, one angle per class (for a first CNN).',
    doc: 'Synthetic image classification: inputs `[N, channels, size, size]` in [0, 1], class j a sine grating at the angle 180°·j/classes with a random phase and period, plus pixel noise. Seeded and reproducible; the default shape is CIFAR-10’s `[3, 32, 32]` with 10 classes.',
    kind: 'synthetic',
    task: 'classification',
    attrs: [
      points(1000),
      { name: 'classes', type: { kind: 'int', min: 2 }, default: 10, doc: 'Number of classes.' },
      { name: 'channels', type: { kind: 'int', min: 1 }, default: 3, doc: 'Channels per image.' },
      { name: 'size', type: { kind: 'int', min: 2 }, default: 32, doc: 'Image height and width.' },
      noise(0.1),
      seed,
    ],
    positional: [],
    inputShapes: (a) => {
      const c = typeof a.channels === 'number' ? a.channels : 3;
      const s = typeof a.size === 'number' ? a.size : 32;
      return [[c, s, s]];
    },
    targets: (a) => (typeof a.classes === 'number' ? a.classes : 10),
  },
  {
    name: 'Digits',
    summary: 'Bundled 8×8 handwritten digits (1,797 samples, 10 classes).',
    doc: 'UCI optical recognition of handwritten digits, as shipped by scikit-learn. Inputs `[N, 64]` or `[N, 1, 8, 8]`, pixel values scaled to [0, 1].',
    kind: 'bundled',
    task: 'classification',
    attrs: [seed],
    positional: [],
    inputShapes: () => [[64], [1, 8, 8], [8, 8]],
    targets: () => 10,
  },
  {
    name: 'Iris',
    summary: 'Bundled iris flowers (150 samples, 4 features, 3 classes).',
    doc: 'Fisher’s iris data, as shipped by scikit-learn. Inputs `[N, 4]`, standardized.',
    kind: 'bundled',
    task: 'classification',
    attrs: [seed],
    positional: [],
    inputShapes: () => [[4]],
    targets: () => 3,
  },
  {
    name: 'Csv',
    summary: 'A CSV file in the workspace.',
    doc: 'Reads a CSV file, with or without a header row. `target` names the label column; string labels are treated as categories, numbers as regression targets unless `categorical=true`.',
    kind: 'file',
    task: 'unknown',
    attrs: [
      {
        name: 'path',
        type: { kind: 'string' },
        required: true,
        doc: 'Path relative to this .dlm file.',
      },
      {
        name: 'target',
        type: { kind: 'string' },
        doc: 'Target column (default: the last column).',
      },
      {
        name: 'categorical',
        type: { kind: 'bool' },
        doc: 'Treat the target as class labels (default: when it is not numeric). Numeric labels that are not 0..k-1 are renumbered in sorted order, with a warning.',
      },
      {
        name: 'standardize',
        type: { kind: 'bool' },
        default: true,
        doc: 'Standardize feature columns with training-set mean and std.',
      },
      {
        name: 'header',
        type: { kind: 'bool' },
        doc: 'The first row holds column names (default: yes, unless every field of the first row is a number; a note says which).',
      },
      {
        name: 'inputs',
        type: { kind: 'any' },
        doc: 'Column groups, one named input each, for a model with several inputs: `inputs=("user: age..income", "item: price, stars")`. A group lists header names, singly or as a range `first..last` in header order, and feeds the model input of its name. Columns in no group are not used.',
      },
    ],
    positional: ['path'],
    pathAttrs: ['path'],
    inputShapes: () => undefined,
    targets: () => undefined,
    fields: (a) => {
      if (a.inputs === undefined) return undefined;
      const r = parseColumnGroups(a.inputs);
      if (!r.ok) return undefined;
      return r.groups.map((g) => {
        const k = listedWidth(g);
        return { name: g.name, ...(k === undefined ? {} : { shape: [k] }), ids: false };
      });
    },
    validate: (a) => {
      if (a.inputs === undefined) return [];
      const r = parseColumnGroups(a.inputs);
      return r.ok ? [] : [{ attr: 'inputs', message: r.message }];
    },
  },
  {
    name: 'Idx',
    summary: 'MNIST-style idx files (optionally gzipped).',
    doc: 'Images `[N, 1, H, W]` (or flattened) scaled to [0, 1], integer labels.',
    kind: 'file',
    task: 'classification',
    attrs: [
      { name: 'images', type: { kind: 'string' }, required: true, doc: 'idx3 image file.' },
      { name: 'labels', type: { kind: 'string' }, required: true, doc: 'idx1 label file.' },
    ],
    positional: ['images', 'labels'],
    pathAttrs: ['images', 'labels'],
    inputShapes: () => undefined,
    targets: () => undefined,
  },
  {
    name: 'Npy',
    summary: 'NumPy .npy arrays for inputs and targets (an .npz archive for several inputs).',
    doc: 'Inputs from `x`, targets from `y` (float targets: regression; integer: classes). When `x` is an `.npz` archive (`np.savez("pairs.npz", src=…, tgt_in=…)`), each array is a named input, fed to the model input of its name; integer arrays hold ids.',
    kind: 'file',
    task: 'unknown',
    attrs: [
      {
        name: 'x',
        type: { kind: 'string' },
        required: true,
        doc: 'Inputs: an .npy file, or an .npz archive whose arrays are named inputs.',
      },
      { name: 'y', type: { kind: 'string' }, required: true, doc: 'Targets .npy file.' },
    ],
    positional: ['x', 'y'],
    pathAttrs: ['x', 'y'],
    inputShapes: () => undefined,
    targets: () => undefined,
    fieldsFromFile: (a) => typeof a.x === 'string' && /\.npz$/i.test(a.x),
  },
  {
    name: 'Text',
    summary: 'A plain-text file for character-level sequence models.',
    doc: 'Samples are windows of `seq_len` character ids; the target is the next character at every step.',
    kind: 'file',
    task: 'sequence',
    attrs: [
      { name: 'path', type: { kind: 'string' }, required: true, doc: 'Text file path.' },
      { name: 'seq_len', type: { kind: 'int', min: 1 }, default: 64, doc: 'Sequence length T.' },
    ],
    positional: ['path'],
    pathAttrs: ['path'],
    inputShapes: (a) => [[a.seq_len as number]],
    targets: () => undefined,
  },
];

export interface LossSpec extends CallableSpec {
  /** What the model output must look like. */
  readonly expects: 'logits' | 'log_probs' | 'any' | 'vae';
  readonly task: 'classification' | 'regression' | 'vae';
}

const reduction: AttrSpec = {
  name: 'reduction',
  type: { kind: 'string', values: ['mean', 'sum'] },
  default: 'mean',
  doc: 'mean (default) or sum over the batch. Switching from sum to mean scales the effective SGD learning rate by 1/batch.',
};

const ignoreIndex: AttrSpec = {
  name: 'ignore_index',
  type: { kind: 'int' },
  doc: 'A target id that adds nothing to the loss, its gradient or the accuracy (padded positions); the mean is over the other positions, as in PyTorch. Unset: every position counts.',
};

/** What a train section's loss compares the output with: VAELoss always reconstructs its input. */
export function lossTarget(train: {
  readonly loss?: { readonly name: string };
  readonly target: 'labels' | 'input';
}): 'labels' | 'input' {
  return train.loss?.name === 'VAELoss' ? 'input' : train.target;
}

export const LOSSES: readonly LossSpec[] = [
  {
    name: 'MSE',
    summary: 'Mean squared error.',
    doc: '`mean((ŷ − y)²)`.',
    attrs: [reduction],
    positional: [],
    expects: 'any',
    task: 'regression',
  },
  {
    name: 'MAE',
    summary: 'Mean absolute error (L1).',
    doc: '`mean(|ŷ − y|)`.',
    attrs: [reduction],
    positional: [],
    expects: 'any',
    task: 'regression',
  },
  {
    name: 'Huber',
    summary: 'Huber loss: quadratic near zero, linear beyond δ.',
    doc: '`½e²` for `|e| ≤ δ`, and `δ·(|e| − ½δ)` for `|e| > δ` (quadratic inside, linear outside).',
    attrs: [
      { name: 'delta', type: { kind: 'float', min: 0 }, default: 1.0, doc: 'Threshold δ.' },
      reduction,
    ],
    positional: ['delta'],
    expects: 'any',
    task: 'regression',
  },
  {
    name: 'CrossEntropy',
    summary: 'Softmax cross-entropy from logits.',
    doc: 'Takes **logits** (no Softmax at the end of the model). Stable log-sum-exp; the gradient is `softmax − onehot`. Label smoothing ε uses targets `(1−ε)·onehot + ε/K`.',
    attrs: [
      {
        name: 'label_smoothing',
        type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
        default: 0,
        doc: 'ε in [0, 1).',
      },
      reduction,
      ignoreIndex,
    ],
    positional: [],
    expects: 'logits',
    task: 'classification',
  },
  {
    name: 'BCEWithLogits',
    summary: 'Binary cross-entropy from logits.',
    doc: 'Takes logits; numerically stable `max(x,0) − x·y + log(1 + e^{−|x|})`.',
    attrs: [reduction],
    positional: [],
    expects: 'logits',
    task: 'classification',
  },
  {
    name: 'NLL',
    summary: 'Negative log-likelihood of log-probabilities.',
    doc: 'Expects **log-probabilities** (end the model with LogSoftmax).',
    attrs: [reduction, ignoreIndex],
    positional: [],
    expects: 'log_probs',
    task: 'classification',
  },
  {
    name: 'Hinge',
    summary: 'Multi-class hinge loss.',
    doc: '`mean(max(0, 1 − (s_y − s_j)))` over j ≠ y (PyTorch MultiMarginLoss, margin 1).',
    attrs: [reduction],
    positional: [],
    expects: 'logits',
    task: 'classification',
  },
  {
    name: 'VAELoss',
    summary: 'VAE loss: reconstruction + β·KL.',
    doc: 'For a model returning `(recon, mu, logvar)`: reconstruction (BCE from logits or MSE, summed per sample) plus `β · −½·Σ(1 + logvar − μ² − exp(logvar))`, averaged over the batch.',
    attrs: [
      {
        name: 'recon',
        type: { kind: 'string', values: ['bce', 'mse'] },
        default: 'bce',
        doc: 'Reconstruction term.',
      },
      {
        name: 'beta',
        type: { kind: 'float', min: 0 },
        default: 1.0,
        doc: 'Weight of the KL term.',
      },
    ],
    positional: [],
    expects: 'vae',
    task: 'vae',
  },
];

export interface OptimizerSpec extends CallableSpec {
  /** Optimizer state tensors per parameter tensor (for the training-memory estimate). */
  stateTensors(args: Readonly<Record<string, unknown>>): number;
  /** The usual learning-rate range; outside it DLM307 warns. */
  readonly lrRange: readonly [number, number];
}

const lr = (d: number): AttrSpec => ({
  name: 'lr',
  type: { kind: 'float', min: 0 },
  default: d,
  doc: 'Learning rate.',
});
const wd = (d: number, decoupled = false): AttrSpec => ({
  name: 'weight_decay',
  type: { kind: 'float', min: 0 },
  default: d,
  doc: decoupled
    ? 'Decoupled weight decay: θ ← θ − lr·wd·θ (AdamW).'
    : 'L2 weight decay, added to the gradient as wd·θ.',
});
const betas: AttrSpec[] = [
  {
    name: 'beta1',
    type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
    default: 0.9,
    doc: 'β1, decay of the first-moment average.',
  },
  {
    name: 'beta2',
    type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
    default: 0.999,
    doc: 'β2, decay of the second-moment average.',
  },
];

export const OPTIMIZERS: readonly OptimizerSpec[] = [
  {
    name: 'SGD',
    summary: 'Stochastic gradient descent, optionally with momentum or Nesterov.',
    doc: 'PyTorch form: `v ← μ·v + g`, `θ ← θ − lr·v`; Nesterov: `θ ← θ − lr·(g + μ·v)`. (The EMA form `v ← βv + (1−β)g` differs by a factor (1−β) in the effective learning rate.)',
    attrs: [
      lr(0.01),
      {
        name: 'momentum',
        type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
        default: 0,
        doc: 'μ.',
      },
      { name: 'nesterov', type: { kind: 'bool' }, default: false, doc: 'Nesterov momentum.' },
      wd(0),
    ],
    positional: ['lr'],
    stateTensors: (a) => ((a.momentum as number) > 0 ? 1 : 0),
    lrRange: [1e-5, 1],
  },
  {
    name: 'AdaGrad',
    summary: 'AdaGrad: per-parameter rates from accumulated squared gradients.',
    doc: '`s ← s + g²`, `θ ← θ − lr·g/(√s + ε)`, ε = 1e-10.',
    attrs: [
      lr(0.01),
      { name: 'eps', type: { kind: 'float', min: 0 }, default: 1e-10, doc: 'ε.' },
      wd(0),
    ],
    positional: ['lr'],
    stateTensors: () => 1,
    lrRange: [1e-4, 1],
  },
  {
    name: 'RMSProp',
    summary: 'RMSProp: rates from an exponential average of squared gradients.',
    doc: '`s ← α·s + (1−α)·g²`, `θ ← θ − lr·g/(√s + ε)`, α = 0.99, ε = 1e-8.',
    attrs: [
      lr(0.01),
      { name: 'alpha', type: { kind: 'float', min: 0, max: 1 }, default: 0.99, doc: 'α.' },
      { name: 'eps', type: { kind: 'float', min: 0 }, default: 1e-8, doc: 'ε.' },
      {
        name: 'momentum',
        type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
        default: 0,
        doc: 'Momentum.',
      },
      wd(0),
    ],
    positional: ['lr'],
    stateTensors: (a) => ((a.momentum as number) > 0 ? 2 : 1),
    lrRange: [1e-5, 0.1],
  },
  {
    name: 'Adam',
    summary: 'Adam with bias correction (PyTorch defaults).',
    doc: '`m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`, `θ ← θ − lr·m̂/(√v̂ + ε)`. Defaults β1 = 0.9, β2 = 0.999, ε = 1e-8 (Keras uses 1e-7).',
    attrs: [
      lr(0.001),
      ...betas,
      { name: 'eps', type: { kind: 'float', min: 0 }, default: 1e-8, doc: 'ε.' },
      wd(0),
    ],
    positional: ['lr'],
    stateTensors: () => 2,
    lrRange: [1e-6, 0.1],
  },
  {
    name: 'AdamW',
    summary: 'Adam with decoupled weight decay.',
    doc: 'Adam, plus `θ ← θ − lr·wd·θ` applied directly to the weights (wd = 0.01).',
    attrs: [
      lr(0.001),
      ...betas,
      { name: 'eps', type: { kind: 'float', min: 0 }, default: 1e-8, doc: 'ε.' },
      wd(0.01, true),
    ],
    positional: ['lr'],
    stateTensors: () => 2,
    lrRange: [1e-6, 0.1],
  },
];

export const SCHEDULES: readonly CallableSpec[] = [
  {
    name: 'Step',
    summary: 'Multiply the learning rate by γ every `step_size` epochs.',
    doc: '`lr_e = lr·γ^⌊e/step_size⌋`.',
    attrs: [
      {
        name: 'step_size',
        type: { kind: 'int', min: 1 },
        required: true,
        doc: 'Epochs between decays.',
      },
      { name: 'gamma', type: { kind: 'float', min: 0 }, default: 0.1, doc: 'Decay factor.' },
    ],
    positional: ['step_size'],
  },
  {
    name: 'Exponential',
    summary: 'Multiply the learning rate by γ every epoch.',
    doc: '`lr_e = lr·γ^e`.',
    attrs: [
      {
        name: 'gamma',
        type: { kind: 'float', min: 0 },
        required: true,
        doc: 'Decay factor per epoch.',
      },
    ],
    positional: ['gamma'],
  },
  {
    name: 'Cosine',
    summary: 'Cosine annealing from lr to eta_min over t_max epochs.',
    doc: '`lr_e = η_min + ½(lr − η_min)(1 + cos(π·e/t_max))`.',
    attrs: [
      {
        name: 't_max',
        type: { kind: 'int', min: 1 },
        required: true,
        doc: 'Epochs of one half cosine.',
      },
      { name: 'eta_min', type: { kind: 'float', min: 0 }, default: 0, doc: 'Final learning rate.' },
    ],
    positional: ['t_max'],
  },
  {
    name: 'Warmup',
    summary:
      'Linear warm-up over `steps` optimizer steps, then constant, or the schedule `after` (Step, Exponential or Cosine).',
    doc: '`lr_t = lr·min(1, (t+1)/steps)`; with `after=S`: `S(e)·min(1, (t+1)/steps)`, e.g. `Warmup(500, after=Cosine(20))`.',
    attrs: [
      { name: 'steps', type: { kind: 'int', min: 1 }, required: true, doc: 'Warm-up steps.' },
    ],
    positional: ['steps'],
  },
];

export const METRICS: readonly { name: string; doc: string }[] = [
  { name: 'accuracy', doc: 'Fraction of correctly classified samples.' },
  { name: 'mae', doc: 'Mean absolute error.' },
  { name: 'mse', doc: 'Mean squared error.' },
];

export const SETTINGS: readonly { name: string; doc: string; type: string }[] = [
  { name: 'data', doc: 'The dataset: a data declaration or a dataset call.', type: 'dataset' },
  { name: 'loss', doc: 'The loss function.', type: 'loss' },
  { name: 'optimizer', doc: 'The optimizer (default Adam).', type: 'optimizer' },
  { name: 'epochs', doc: 'Number of passes over the training data (default 10).', type: 'int' },
  { name: 'batch', doc: 'Mini-batch size (default 32).', type: 'int' },
  {
    name: 'validation',
    doc: 'Fraction of the data held out for validation, in [0, 1) (default 0.2).',
    type: 'float',
  },
  { name: 'seed', doc: 'Seed for initialization, shuffling and dropout (default 0).', type: 'int' },
  {
    name: 'early_stopping',
    doc: 'Patience in epochs on validation loss, or EarlyStopping(patience, min_delta).',
    type: 'early_stopping',
  },
  { name: 'schedule', doc: 'Learning-rate schedule.', type: 'schedule' },
  { name: 'clip', doc: 'Clip gradients to this global L2 norm.', type: 'float' },
  { name: 'l1', doc: 'L1 penalty weight added to the loss.', type: 'float' },
  { name: 'l2', doc: 'L2 penalty weight added to the loss (½·l2·Σθ²).', type: 'float' },
  { name: 'metrics', doc: 'Metrics to report, e.g. [accuracy].', type: 'metrics' },
  { name: 'shuffle', doc: 'Shuffle the training set every epoch (default true).', type: 'bool' },
  { name: 'drop_last', doc: 'Drop the last incomplete batch (default false).', type: 'bool' },
  {
    name: 'target',
    doc: 'What the loss compares the output with: `labels` (default) or `input`, which trains an autoencoder to reconstruct its input.',
    type: 'target',
  },
];

export const EARLY_STOPPING: CallableSpec = {
  name: 'EarlyStopping',
  summary: 'Stop when validation loss has not improved for `patience` epochs.',
  doc: 'Stops training when the validation loss has not improved by more than `min_delta` for `patience` epochs; the best weights are kept.',
  attrs: [
    {
      name: 'patience',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Epochs without improvement.',
    },
    {
      name: 'min_delta',
      type: { kind: 'float', min: 0 },
      default: 0,
      doc: 'Smallest improvement that counts.',
    },
  ],
  positional: ['patience'],
};

export function findSpec<T extends { name: string }>(
  list: readonly T[],
  name: string,
): T | undefined {
  return list.find((s) => s.name === name);
}
