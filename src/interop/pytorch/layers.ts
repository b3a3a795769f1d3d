/**
 * How each catalog layer becomes PyTorch code: one entry per layer, keyed by the catalog name, in
 * one table (the layer definitions in src/layers stay free of any target language). A layer with
 * parameters (or state) becomes an `nn.Module` built in `__init__`, under the name its
 * parameters have in the summary, so `state_dict` keys equal our parameter names; a
 * parameter-free layer becomes one inline expression in `forward` (`F.relu(x)`, `a + b`).
 *
 * Python helpers that torch lacks (causal Conv1d padding, a recurrent layer's last state, a
 * learned positional table) are named in `helpers` and written once into model.py.
 */
import type { Shape } from '../../core';
import { splitMask } from '../../layers/attention';
import { expandAxes } from '../../layers/learned';
import type { Attrs, AttrValue } from '../../layers/types';

/** One constructor argument: positional when `kw` is absent. `attr`: the DLM attribute it copies. */
export interface PyArg {
  readonly kw?: string;
  readonly value: AttrValue | PyCode;
  readonly attr?: string;
}

/** Python source text used verbatim (not a literal). */
export interface PyCode {
  readonly code: string;
}

export interface TorchCtor {
  /** `nn.Conv2d`, or a helper class of model.py such as `CausalConv1d`. */
  readonly callee: string;
  readonly args: readonly PyArg[];
  /**
   * Wrap the module after construction: `no_step_counter(...)` drops BatchNorm's
   * `num_batches_tracked`, which our checkpoints do not carry (momentum is always a number).
   */
  readonly wrap?: string;
}

export interface TorchCtx {
  readonly attrs: Attrs;
  readonly inputs: readonly Shape[];
  /** Attributes the user wrote at this stage (so a keyword stays even when it equals the default). */
  readonly written: ReadonlySet<string>;
}

export interface TorchLayer {
  /** Module construction (needed when the layer has parameters or buffers). */
  module?(c: TorchCtx): TorchCtor;
  /** The forward call of the module `m` on the inputs `xs` (default `m(x, ...)`). */
  call?(c: TorchCtx, m: string, xs: readonly string[]): string;
  /** A parameter-free layer as one forward expression. */
  inline?(c: TorchCtx, xs: readonly string[]): string;
  /**
   * The left-hand side that unpacks a call with several outputs into `names` (default
   * `a, b`): a recurrent layer's `out, (h_n, c_n)`.
   */
  pattern?(c: TorchCtx, names: readonly string[]): string;
  /** Helper definitions of model.py this layer uses (names in {@link HELPERS}). */
  helpers?(c: TorchCtx): readonly HelperName[];
}

export type HelperName =
  | 'no_step_counter'
  | 'CausalConv1d'
  | 'last_state'
  | 'with_last_state'
  | 'causal_mask'
  | 'LearnedPositionalEncoding'
  | 'SinusoidalPositionalEncoding'
  | 'reparameterize'
  | 'learned_tensor'
  | 'expand_to';

/** Python source of each helper, in the order they are written into model.py. */
export const HELPERS: Readonly<Record<HelperName, string>> = {
  no_step_counter: `def no_step_counter(norm):
    """Drop the num_batches_tracked buffer: momentum is always a number here, so it is never
    read, and the checkpoints (and the parameter names of the summary) do not carry it."""
    norm.register_buffer("num_batches_tracked", None)
    # load_state_dict re-inserts a missing counter into the dict it loads; take it out again.
    norm._register_load_state_dict_pre_hook(
        lambda state_dict, prefix, *_: state_dict.pop(prefix + "num_batches_tracked", None)
    )
    return norm`,
  CausalConv1d: `class CausalConv1d(nn.Conv1d):
    """Conv1d with padding="causal": dilation·(kernel − 1) zeros on the left only, so output
    step t sees inputs at steps ≤ t (WaveNet, TCN)."""

    def forward(self, x):
        left = self.dilation[0] * (self.kernel_size[0] - 1)
        return super().forward(F.pad(x, (left, 0)))`,
  last_state: `def last_state(result, directions):
    """return_sequences=false: the top layer's final hidden state; for a bidirectional layer the
    final forward and backward states, concatenated."""
    _, h = result
    if isinstance(h, tuple):  # LSTM: (h_n, c_n)
        h = h[0]
    return torch.cat(list(h[-directions:]), dim=-1)`,
  with_last_state: `def with_last_state(result, directions):
    """return_sequences=false with return_state=true: the last state as the output, and the final
    states (h_n, or (h_n, c_n) for LSTM) as torch returns them."""
    return last_state(result, directions), result[1]`,
  causal_mask: `def causal_mask(queries, keys, device):
    """True above the diagonal: position t may not attend to positions after t."""
    return torch.ones(queries, keys, dtype=torch.bool, device=device).triu(1)`,
  LearnedPositionalEncoding: `class LearnedPositionalEncoding(nn.Module):
    """Adds a learned position vector (one row of \`weight\` per position) to [B, T, D]."""

    def __init__(self, max_len, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(max_len, dim).normal_())

    def forward(self, x):
        return x + self.weight[: x.shape[1]]`,
  SinusoidalPositionalEncoding: `class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal table of Vaswani et al. to [B, T, D]:
    PE[t, 2i] = sin(t·w_i), PE[t, 2i+1] = cos(t·w_i), w_i = 10000^(−2i/D). No parameters."""

    def __init__(self, max_len, dim):
        super().__init__()
        t = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        i = torch.arange(dim, dtype=torch.float64)
        w = torch.exp(-(2 * torch.div(i, 2, rounding_mode="floor")) * math.log(10000.0) / dim)
        table = torch.where(i.long() % 2 == 0, torch.sin(t * w), torch.cos(t * w))
        self.register_buffer("table", table.float(), persistent=False)

    def forward(self, x):
        return x + self.table[: x.shape[1]]`,
  learned_tensor: `def learned_tensor(shape, init="normal", std=0.02, bound=0.02):
    """A learned tensor (a \`param\` statement). Assigned to a module attribute, it is registered
    under that name, which is its name in the DLM summary and checkpoints."""
    t = torch.empty(*shape)
    if init == "zeros":
        nn.init.zeros_(t)
    elif init == "ones":
        nn.init.ones_(t)
    elif init == "uniform":
        nn.init.uniform_(t, -bound, bound)
    else:
        nn.init.normal_(t, 0.0, std)
    return nn.Parameter(t)`,
  expand_to: `def expand_to(a, b, axes):
    """Expand: \`a\` repeated along \`axes\` (size 1 there) to the sizes \`b\` has there."""
    return a.expand(*[b.shape[i] if i in axes else -1 for i in range(a.dim())])`,
  reparameterize: `# eps for reparameterize, one tensor per call in forward order: torch.randn_like unless a
# caller queues its own (train.py queues the DLM trainer's noise, so the two train alike).
NOISE = []


def reparameterize(mu, logvar, training):
    """z = mu + exp(logvar / 2)·eps with eps ~ N(0, 1) while training; mu in eval mode."""
    if not training:
        return mu
    eps = NOISE.pop(0) if NOISE else torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps`,
};

// ------------------------------------------------------------------ small builders

const code = (c: string): PyCode => ({ code: c });
const arg = (value: AttrValue | PyCode, attr?: string): PyArg => ({ value, attr });
const kw = (name: string, value: AttrValue | PyCode, attr?: string): PyArg => ({
  kw: name,
  value,
  attr,
});

/** The keyword when the user wrote the attribute or its value differs from `dflt`. */
function opt(c: TorchCtx, attr: string, name: string, dflt: AttrValue | undefined): PyArg[] {
  const v = c.attrs.get(attr);
  if (v === undefined) return [];
  if (!c.written.has(attr) && dflt !== undefined && same(v, dflt)) return [];
  return [kw(name, v, attr)];
}

function same(a: AttrValue, b: AttrValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The concrete size of axis `i` of input `k` (the checker made sure it is known). */
function size(c: TorchCtx, axis: number, k = 0): number {
  const s = c.inputs[k]!;
  const d = s[axis < 0 ? s.length + axis : axis];
  const v = d?.value;
  if (v === undefined) throw new Error(`the size of axis ${axis} is not known`);
  return v;
}

/** Python literal of a value: 3, 0.5, True, "same", (3, 5). */
export function pyLiteral(v: AttrValue): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (v === Infinity) return 'math.inf';
    if (v === -Infinity) return '-math.inf';
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v.length === 1) return `(${pyLiteral(v[0]!)},)`;
  return `(${v.map(pyLiteral).join(', ')})`;
}

/** The argument list text of `xs` (`x`, or `a, b`). */
const list = (xs: readonly string[]) => xs.join(', ');

// ------------------------------------------------------------------ families

function conv(rank: 1 | 2 | 3): TorchLayer {
  return {
    module(c) {
      const causal = c.attrs.get('padding') === 'causal';
      const pad = c.attrs.get('padding');
      return {
        callee: causal ? 'CausalConv1d' : `nn.Conv${rank}d`,
        args: [
          arg(size(c, 1), 'in'),
          arg(c.attrs.int('out'), 'out'),
          arg(c.attrs.get('kernel')!, 'kernel'),
          ...opt(c, 'stride', 'stride', 1),
          ...(causal || pad === undefined || (!c.written.has('padding') && pad === 0)
            ? []
            : [kw('padding', pad, 'padding')]),
          ...opt(c, 'dilation', 'dilation', 1),
          ...opt(c, 'groups', 'groups', 1),
          ...opt(c, 'bias', 'bias', true),
        ],
      };
    },
    helpers: (c) => (c.attrs.get('padding') === 'causal' ? ['CausalConv1d'] : []),
  };
}

function convTranspose(rank: 1 | 2): TorchLayer {
  return {
    module: (c) => ({
      callee: `nn.ConvTranspose${rank}d`,
      args: [
        arg(size(c, 1), 'in'),
        arg(c.attrs.int('out'), 'out'),
        arg(c.attrs.get('kernel')!, 'kernel'),
        ...opt(c, 'stride', 'stride', 1),
        ...opt(c, 'padding', 'padding', 0),
        ...opt(c, 'output_padding', 'output_padding', 0),
        ...opt(c, 'groups', 'groups', 1),
        ...opt(c, 'bias', 'bias', true),
        ...opt(c, 'dilation', 'dilation', 1),
      ],
    }),
  };
}

function pool(fn: string, max: boolean): TorchLayer {
  return {
    inline(c, xs) {
      const k = c.attrs.get('kernel')!;
      const parts = [xs[0]!, pyLiteral(k)];
      const stride = c.attrs.get('stride');
      if (stride !== undefined && !same(stride, k)) parts.push(`stride=${pyLiteral(stride)}`);
      const pad = c.attrs.get('padding');
      if (pad !== undefined && !same(pad, 0)) parts.push(`padding=${pyLiteral(pad)}`);
      if (max) {
        const d = c.attrs.get('dilation');
        if (d !== undefined && !same(d, 1)) parts.push(`dilation=${pyLiteral(d)}`);
      }
      if (c.attrs.bool('ceil_mode')) parts.push('ceil_mode=True');
      if (!max && !c.attrs.bool('count_include_pad')) parts.push('count_include_pad=False');
      return `${fn}(${parts.join(', ')})`;
    },
  };
}

function globalPool(reduce: 'mean' | 'amax'): TorchLayer {
  return {
    inline(c, xs) {
      const rank = c.inputs[0]!.length;
      const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      const dim = axes.length === 1 ? String(axes[0]) : `(${axes.join(', ')})`;
      return `${xs[0]}.${reduce}(dim=${dim}${c.attrs.bool('keepdims') ? ', keepdim=True' : ''})`;
    },
  };
}

function batchNorm(rank: 1 | 2, kind: 'BatchNorm' | 'InstanceNorm'): TorchLayer {
  const defaults = kind === 'BatchNorm' ? [true, true] : [false, false];
  return {
    module: (c) => ({
      callee: `nn.${kind}${rank}d`,
      args: [
        arg(size(c, 1), 'num_features'),
        ...opt(c, 'eps', 'eps', 1e-5),
        ...opt(c, 'momentum', 'momentum', 0.1),
        ...opt(c, 'affine', 'affine', defaults[0]!),
        ...opt(c, 'track_running_stats', 'track_running_stats', defaults[1]!),
      ],
      wrap: c.attrs.bool('track_running_stats') ? 'no_step_counter' : undefined,
    }),
    helpers: (c) => (c.attrs.bool('track_running_stats') ? ['no_step_counter'] : []),
  };
}

function recurrent(cls: 'nn.RNN' | 'nn.LSTM' | 'nn.GRU'): TorchLayer {
  return {
    module: (c) => ({
      callee: cls,
      args: [
        arg(size(c, -1), 'in'),
        arg(c.attrs.int('hidden'), 'hidden'),
        ...opt(c, 'layers', 'num_layers', 1),
        ...(cls === 'nn.RNN' ? opt(c, 'nonlinearity', 'nonlinearity', 'tanh') : []),
        ...opt(c, 'bias', 'bias', true),
        kw('batch_first', true),
        ...opt(c, 'dropout', 'dropout', 0),
        ...opt(c, 'bidirectional', 'bidirectional', false),
      ],
    }),
    call: (c, m, xs) => {
      // Initial states as torch takes them: (x, h0), and for LSTM (x, (h0, c0)).
      // A nested source tuple arrives as one entry `h0, c0`: names, so flattening is exact.
      const flat = list(xs).split(', ');
      const args = flat.length === 3 ? `${flat[0]}, (${flat[1]}, ${flat[2]})` : flat.join(', ');
      const dirs = c.attrs.bool('bidirectional') ? 2 : 1;
      const seqs = c.attrs.bool('return_sequences');
      if (c.attrs.bool('return_state'))
        return seqs ? `${m}(${args})` : `with_last_state(${m}(${args}), ${dirs})`;
      return seqs ? `${m}(${args})[0]` : `last_state(${m}(${args}), ${dirs})`;
    },
    // return_state: `out, h_n = …`, and for LSTM `out, (h_n, c_n) = …`, as torch returns them.
    pattern: (_c, names) =>
      names.length === 3 ? `${names[0]}, (${names[1]}, ${names[2]})` : names.join(', '),
    helpers: (c) =>
      c.attrs.bool('return_sequences')
        ? []
        : c.attrs.bool('return_state')
          ? ['last_state', 'with_last_state']
          : ['last_state'],
  };
}

function activation(f: (c: TorchCtx, x: string) => string): TorchLayer {
  return { inline: (c, xs) => f(c, xs[0]!) };
}

function variadic(op: string): TorchLayer {
  return { inline: (_c, xs) => xs.join(` ${op} `) };
}

// ------------------------------------------------------------------ the table

/** Every catalog layer (tests check that the table and the catalog have the same names). */
export const TORCH_LAYERS: Readonly<Record<string, TorchLayer>> = {
  Dense: {
    module: (c) => ({
      callee: 'nn.Linear',
      args: [
        arg(size(c, -1), 'in'),
        arg(c.attrs.int('out'), 'out'),
        ...opt(c, 'bias', 'bias', true),
      ],
    }),
  },
  Conv1d: conv(1),
  Conv2d: conv(2),
  Conv3d: conv(3),
  ConvTranspose1d: convTranspose(1),
  ConvTranspose2d: convTranspose(2),
  MaxPool1d: pool('F.max_pool1d', true),
  MaxPool2d: pool('F.max_pool2d', true),
  AvgPool1d: pool('F.avg_pool1d', false),
  AvgPool2d: pool('F.avg_pool2d', false),
  GlobalAvgPool: globalPool('mean'),
  GlobalMaxPool: globalPool('amax'),
  AdaptiveAvgPool2d: {
    inline: (c, xs) => `F.adaptive_avg_pool2d(${xs[0]}, ${pyLiteral(c.attrs.get('output')!)})`,
  },
  Upsample: {
    inline(c, xs) {
      const mode = c.attrs.str('mode');
      const s = c.attrs.get('scale')!;
      const scale = pyLiteral(s);
      const ac =
        mode === 'bilinear'
          ? `, align_corners=${c.attrs.bool('align_corners') ? 'True' : 'False'}`
          : '';
      return `F.interpolate(${xs[0]}, scale_factor=${scale}, mode=${JSON.stringify(mode)}${ac})`;
    },
  },
  BatchNorm1d: batchNorm(1, 'BatchNorm'),
  BatchNorm2d: batchNorm(2, 'BatchNorm'),
  LayerNorm: {
    module(c) {
      const given = c.attrs.get('shape');
      const shape = given ?? size(c, -1);
      return {
        callee: 'nn.LayerNorm',
        args: [
          arg(shape, given === undefined ? undefined : 'shape'),
          ...opt(c, 'eps', 'eps', 1e-5),
          ...opt(c, 'elementwise_affine', 'elementwise_affine', true),
        ],
      };
    },
  },
  InstanceNorm1d: batchNorm(1, 'InstanceNorm'),
  InstanceNorm2d: batchNorm(2, 'InstanceNorm'),
  GroupNorm: {
    module: (c) => ({
      callee: 'nn.GroupNorm',
      args: [
        arg(c.attrs.int('num_groups')),
        arg(size(c, 1)),
        ...opt(c, 'eps', 'eps', 1e-5),
        ...opt(c, 'affine', 'affine', true),
      ],
    }),
  },
  Dropout: {
    inline: (c, xs) => `F.dropout(${xs[0]}, ${pyLiteral(c.attrs.float('p'))}, self.training)`,
  },
  Embedding: {
    module: (c) => ({
      callee: 'nn.Embedding',
      args: [
        arg(c.attrs.int('vocab'), 'vocab'),
        arg(c.attrs.int('dim'), 'dim'),
        ...opt(c, 'padding_idx', 'padding_idx', undefined),
      ],
    }),
  },
  PositionalEncoding: {
    module: (c) => ({
      callee:
        c.attrs.str('kind') === 'learned'
          ? 'LearnedPositionalEncoding'
          : 'SinusoidalPositionalEncoding',
      args: [
        arg(
          c.attrs.str('kind') === 'learned' ? c.attrs.int('max_len') : size(c, 1),
          c.attrs.str('kind') === 'learned' ? 'max_len' : undefined,
        ),
        arg(size(c, -1)),
      ],
    }),
    helpers: (c) => [
      c.attrs.str('kind') === 'learned'
        ? 'LearnedPositionalEncoding'
        : 'SinusoidalPositionalEncoding',
    ],
  },
  SimpleRNN: recurrent('nn.RNN'),
  LSTM: recurrent('nn.LSTM'),
  GRU: recurrent('nn.GRU'),
  MultiHeadAttention: {
    module: (c) => ({
      callee: 'nn.MultiheadAttention',
      args: [
        arg(c.attrs.int('dim'), 'dim'),
        arg(c.attrs.int('heads'), 'heads'),
        ...opt(c, 'dropout', 'dropout', 0),
        ...opt(c, 'bias', 'bias', true),
        kw('batch_first', true),
      ],
    }),
    call(c, m, xs) {
      const { seqs, mask } = splitMask(xs, (_x, i) => c.inputs[i]!.length);
      const [q, k, v] = seqs.length === 1 ? [seqs[0]!, seqs[0]!, seqs[0]!] : seqs;
      const causal = c.attrs.bool('causal')
        ? `, attn_mask=causal_mask(${q}.shape[1], ${k}.shape[1], ${q}.device)`
        : '';
      const padding = mask ? `, key_padding_mask=${mask} != 0` : '';
      return `${m}(${q}, ${k}, ${v}${causal}${padding}, need_weights=False)[0]`;
    },
    helpers: (c) => (c.attrs.bool('causal') ? ['causal_mask'] : []),
  },
  TransformerEncoder: {
    module: (c) => ({
      callee: 'nn.TransformerEncoderLayer',
      args: [
        arg(c.attrs.int('dim'), 'dim'),
        arg(c.attrs.int('heads'), 'heads'),
        kw('dim_feedforward', c.attrs.int('ff'), 'ff'),
        kw('dropout', c.attrs.float('dropout'), 'dropout'),
        ...opt(c, 'activation', 'activation', 'relu'),
        kw('batch_first', true),
        ...opt(c, 'norm_first', 'norm_first', false),
        ...opt(c, 'eps', 'layer_norm_eps', 1e-5),
      ],
    }),
    call(c, m, xs) {
      const x = xs[0]!;
      const causal = c.attrs.bool('causal')
        ? `, src_mask=causal_mask(${x}.shape[1], ${x}.shape[1], ${x}.device)`
        : '';
      const padding = xs[1] ? `, src_key_padding_mask=${xs[1]} != 0` : '';
      return `${m}(${x}${causal}${padding})`;
    },
    helpers: (c) => (c.attrs.bool('causal') ? ['causal_mask'] : []),
  },
  PaddingMask: {
    inline: (c, xs) => `(${xs[0]} == ${c.attrs.int('pad')}).float()`,
  },
  ReLU: activation((_c, x) => `F.relu(${x})`),
  ReLU6: activation((_c, x) => `F.relu6(${x})`),
  Hardtanh: activation(
    (c, x) =>
      `F.hardtanh(${x}, ${pyLiteral(c.attrs.float('min'))}, ${pyLiteral(c.attrs.float('max'))})`,
  ),
  Hardsigmoid: activation((_c, x) => `F.hardsigmoid(${x})`),
  Hardswish: activation((_c, x) => `F.hardswish(${x})`),
  Mish: activation((_c, x) => `F.mish(${x})`),
  LeakyReLU: activation((c, x) => `F.leaky_relu(${x}, ${pyLiteral(c.attrs.float('alpha'))})`),
  PReLU: {
    module: (c) => ({
      callee: 'nn.PReLU',
      args: opt(c, 'num_parameters', 'num_parameters', 1),
    }),
  },
  ELU: activation((c, x) => `F.elu(${x}, ${pyLiteral(c.attrs.float('alpha'))})`),
  GELU: activation((c, x) =>
    c.attrs.str('approximate') === 'none'
      ? `F.gelu(${x})`
      : `F.gelu(${x}, approximate=${JSON.stringify(c.attrs.str('approximate'))})`,
  ),
  SiLU: activation((_c, x) => `F.silu(${x})`),
  Sigmoid: activation((_c, x) => `torch.sigmoid(${x})`),
  Tanh: activation((_c, x) => `torch.tanh(${x})`),
  Softplus: activation(
    (c, x) =>
      `F.softplus(${x}, beta=${pyLiteral(c.attrs.float('beta'))}, threshold=${pyLiteral(c.attrs.float('threshold'))})`,
  ),
  Softmax: activation((c, x) => `F.softmax(${x}, dim=${c.attrs.int('axis')})`),
  LogSoftmax: activation((c, x) => `F.log_softmax(${x}, dim=${c.attrs.int('axis')})`),
  Flatten: activation((c, x) => {
    const start = c.attrs.int('start');
    const end = c.attrs.int('end');
    return end === -1 ? `torch.flatten(${x}, ${start})` : `torch.flatten(${x}, ${start}, ${end})`;
  }),
  Reshape: activation((c, x) => {
    const s = c.attrs.get('shape')!;
    const dims = Array.isArray(s) ? s.map((v) => pyLiteral(v)) : [pyLiteral(s)];
    return `${x}.reshape(${x}.shape[0], ${dims.join(', ')})`;
  }),
  Permute: activation((c, x) => {
    const s = c.attrs.get('dims')!;
    return `${x}.permute(${(Array.isArray(s) ? s : [s]).map((v) => pyLiteral(v)).join(', ')})`;
  }),
  Identity: activation((_c, x) => x),
  Mean: activation(
    (c, x) =>
      `${x}.mean(dim=${c.attrs.int('axis')}${c.attrs.bool('keepdims') ? ', keepdim=True' : ''})`,
  ),
  RepeatVector: activation((c, x) => {
    const ones = Array<string>(c.inputs[0]!.length - 1).fill('1');
    return `${x}.unsqueeze(1).repeat(1, ${c.attrs.int('n')}, ${ones.join(', ')})`;
  }),
  Select: activation((c, x) => `${x}.select(${c.attrs.int('axis')}, ${c.attrs.int('index')})`),
  Add: variadic('+'),
  Multiply: variadic('*'),
  Concat: { inline: (c, xs) => `torch.cat([${list(xs)}], dim=${c.attrs.int('axis')})` },
  Expand: {
    inline: (c, xs) =>
      `expand_to(${list(xs)}, ${pyLiteral(expandAxes(c.attrs.get('axes'), c.inputs[0]!.length))})`,
    helpers: () => ['expand_to'],
  },
  Parameter: {
    module: (c) => ({
      callee: 'learned_tensor',
      args: [
        arg(c.attrs.get('shape')!, 'shape'),
        ...opt(c, 'init', 'init', 'normal'),
        ...opt(c, 'std', 'std', 0.02),
        ...opt(c, 'bound', 'bound', 0.02),
      ],
    }),
    call: (_c, m) => m,
    helpers: () => ['learned_tensor'],
  },
  Reparameterize: {
    inline: (_c, xs) => `reparameterize(${list(xs)}, self.training)`,
    helpers: () => ['reparameterize'],
  },
};

export { code as pyCode };
