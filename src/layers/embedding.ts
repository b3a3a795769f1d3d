import { Dim } from '../core';
import { ops } from '../primitives/ops';
import { need } from './lowering';
import {
  ShapeError,
  ZERO,
  concrete,
  formatShapeInline,
  param,
  type LayerDef,
  type LayerResult,
} from './types';

export const Embedding: LayerDef = {
  name: 'Embedding',
  dtype: 'ids',
  category: 'embedding',
  summary: 'Lookup table of vocab vectors of size dim: [N, T] → [N, T, dim]',
  doc: [
    'Embedding lookup (PyTorch `nn.Embedding`): integer ids `[N, T]` → vectors `[N, T, dim]`. Ids must lie in `[0, vocab)`.',
    'Equivalent to a one-hot vector times a `[vocab, dim]` matrix, without the multiplication.',
    '',
    '**Parameters:** `vocab·dim` (`weight`, init `N(0, 1)` as in PyTorch). The `padding_idx` row is initialized to zeros and gets no gradient, but it is still a parameter and is counted.',
    '**MACs:** 0 (a lookup).',
  ].join('\n'),
  attrs: [
    {
      name: 'vocab',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Number of distinct ids (rows).',
    },
    {
      name: 'dim',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Size of each embedding vector.',
    },
    {
      name: 'padding_idx',
      type: { kind: 'int' },
      doc: 'An id whose vector stays zero and is not trained (e.g. the padding token). Negative values count from the end.',
    },
  ],
  positional: ['vocab', 'dim'],
  arity: { min: 1, max: 1 },
  display: ['vocab', 'dim'],
  paramFormula: 'vocab·dim',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const vocab = attrs.int('vocab');
    const dim = attrs.int('dim');
    if (x.length < 1)
      throw new ShapeError('DLM101', `Embedding expects integer ids [N, T], but received a scalar`);
    let zeroRow: number | undefined;
    if (attrs.has('padding_idx')) {
      const p = attrs.int('padding_idx');
      if (p < -vocab || p >= vocab)
        throw new ShapeError(
          'DLM108',
          `padding_idx must be in [−${vocab}, ${vocab}) for vocab=${vocab}, got ${p}`,
          { attr: 'padding_idx' },
        );
      zeroRow = p < 0 ? p + vocab : p;
    }
    const weight = param('weight', [vocab, dim], { kind: 'normal', std: 1 });
    return {
      outputs: [[...x, Dim.const(dim)]],
      params: [zeroRow === undefined ? weight : { ...weight, zeroRow }],
      macs: ZERO,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    let ids = ctx.inputs[0]!;
    if (ids.dtype !== 'int64') ids = o.cast(ids, 'int64');
    let w = need(ctx, 'Embedding', 'weight');
    if (ctx.attrs.has('padding_idx')) {
      // The padding row is initialized to zeros (ParamSpec.zeroRow) and the mask keeps its
      // gradient zero, so every optimizer leaves it at zero, as nn.Embedding does.
      const vocab = w.shape[0]!;
      const pi = ((ctx.attrs.int('padding_idx') % vocab) + vocab) % vocab;
      const mask = Array.from({ length: vocab }, (_, i) => (i === pi ? 0 : 1));
      w = o.mul(w, o.constant(mask, [vocab, 1], w.dtype));
    }
    return [o.gather(w, ids, 0)];
  },
};

export const PositionalEncoding: LayerDef = {
  name: 'PositionalEncoding',
  category: 'embedding',
  summary: 'Add sinusoidal or learned position vectors to [N, T, D]',
  doc: [
    'Adds a position vector to every time step of `[N, T, D]`; the shape is unchanged.',
    '',
    '- `kind="sinusoidal"` (Vaswani et al.): `PE[t, 2i] = sin(t/10000^(2i/D))`, `PE[t, 2i+1] = cos(t/10000^(2i/D))`. A fixed table: **0 parameters**.',
    '- `kind="learned"`: a trainable `[max_len, D]` table (like `nn.Embedding(max_len, D)` over positions 0…T−1, init `N(0, 1)`): **max_len·D parameters**. Sequences longer than `max_len` are an error.',
    '',
    '**MACs:** 0 (an elementwise addition).',
  ].join('\n'),
  attrs: [
    {
      name: 'kind',
      type: { kind: 'string', values: ['sinusoidal', 'learned'] },
      default: 'sinusoidal',
      doc: '`"sinusoidal"` (fixed, 0 parameters) or `"learned"` (max_len·D parameters).',
    },
    {
      name: 'max_len',
      type: { kind: 'int', min: 1 },
      default: 5000,
      doc: 'Longest supported sequence; sizes the learned table.',
    },
  ],
  positional: [],
  arity: { min: 1, max: 1 },
  display: ['kind'],
  paramFormula: 'learned: max_len·D; sinusoidal: 0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    if (x.length !== 3)
      throw new ShapeError(
        'DLM101',
        `PositionalEncoding expects [N, T, D] (rank 3), but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    const maxLen = attrs.int('max_len');
    const t = x[1]!.value;
    if (t !== undefined && t > maxLen)
      throw new ShapeError(
        'DLM108',
        `PositionalEncoding(max_len=${maxLen}) received a sequence of length ${t} > max_len`,
        {
          attr: 'max_len',
          fixes: [
            { kind: 'setAttr', attr: 'max_len', value: String(t), title: `Set max_len=${t}` },
          ],
        },
      );
    if (attrs.str('kind') === 'sinusoidal') return { outputs: [x], params: [], macs: ZERO };
    const d = concrete('PositionalEncoding', x[2]!, 'model dimension D (last axis)');
    return {
      outputs: [x],
      params: [param('weight', [maxLen, d], { kind: 'normal', std: 1 })],
      macs: ZERO,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const [, t, d] = x.shape as [number, number, number];
    if (ctx.attrs.str('kind') === 'learned') {
      const w = need(ctx, 'PositionalEncoding', 'weight');
      return [o.add(x, o.slice(w, [0], [t], [0]))];
    }
    return [o.add(x, o.constant(sinusoidalTable(t, d), [t, d], x.dtype))];
  },
};

/**
 * The fixed table of Vaswani et al.: `PE[t, 2i] = sin(t·ω_i)`, `PE[t, 2i+1] = cos(t·ω_i)` with
 * `ω_i = exp(−2i·ln(10000)/D)` (the form of the PyTorch tutorial), row-major `[T, D]`.
 */
export function sinusoidalTable(t: number, d: number): number[] {
  const out = new Array<number>(t * d).fill(0);
  for (let pos = 0; pos < t; pos++)
    for (let i = 0; 2 * i < d; i++) {
      const w = Math.exp((-2 * i * Math.log(10000)) / d);
      out[pos * d + 2 * i] = Math.sin(pos * w);
      if (2 * i + 1 < d) out[pos * d + 2 * i + 1] = Math.cos(pos * w);
    }
  return out;
}

export const PaddingMask: LayerDef = {
  name: 'PaddingMask',
  dtype: 'ids',
  category: 'embedding',
  summary: 'Key-padding mask from token ids: [N, T] ids → [N, T], 1 where the id is pad',
  doc: [
    'Marks the padded positions of a batch of token ids: `[N, T]` ids → `[N, T]`, `1` where the id equals `pad`, `0` elsewhere (PyTorch: `ids == pad`, the `key_padding_mask` of `nn.MultiheadAttention` and `src_key_padding_mask` of `nn.TransformerEncoderLayer`).',
    '',
    'Pass it after the sequence to an attention layer so that no query attends to a padded key; use the `padding_idx` of the Embedding that reads the same ids:',
    '',
    '```dlm',
    'm = x |> PaddingMask(0)',
    'h = x |> Embedding(1000, 64, padding_idx=0)',
    '(h, m) |> TransformerEncoder(64, 4)',
    '```',
    '',
    'To leave padded positions out of the loss too, give the targets there an id the loss ignores: `CrossEntropy(ignore_index=…)`.',
    '',
    '**Parameters:** 0. **MACs:** 0.',
  ].join('\n'),
  attrs: [
    {
      name: 'pad',
      type: { kind: 'int' },
      required: true,
      doc: 'The padding id (the Embedding’s `padding_idx`).',
    },
  ],
  positional: ['pad'],
  arity: { min: 1, max: 1 },
  display: ['pad'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs }): LayerResult {
    const x = inputs[0]!;
    if (x.length !== 2)
      throw new ShapeError(
        'DLM101',
        `PaddingMask expects token ids [N, T] (rank 2), but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    return { outputs: [x], params: [], macs: ZERO };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    let ids = ctx.inputs[0]!;
    if (ids.dtype !== 'int64') ids = o.cast(ids, 'int64');
    return [o.cast(o.equal(ids, o.scalar(ctx.attrs.int('pad'), 'int64')), 'float32')];
  },
};
