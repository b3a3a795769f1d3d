import type { Dim, Shape } from '../core';
import { ops, type Ops } from '../primitives/ops';
import { dropout, layerNorm, linear, need, type Value } from './lowering';
import {
  ShapeError,
  f32Bytes,
  formatShapeInline,
  param,
  type AttrSpec,
  type Attrs,
  type LayerDef,
  type LayerResult,
  type LowerCtx,
  type ParamSpec,
} from './types';

const ATTENTION_MACS = '`N·(4·T·D² + 2·T²·D)`';

function requireSeq(layer: string, x: Shape, what: string, input?: number): void {
  if (x.length !== 3)
    throw new ShapeError(
      'DLM101',
      `${layer} expects ${what} [N, T, D] (rank 3), but received ${formatShapeInline(x)} (rank ${x.length})`,
      { input },
    );
}

/**
 * A key-padding mask is an optional last input of rank 2, `[N, Tk]`: nonzero (or true) marks a
 * padded key that no query may attend to (PyTorch's `key_padding_mask`). Ids or floats.
 * Returns the sequence inputs and the mask, if any.
 */
export function splitMask<T>(
  inputs: readonly T[],
  rank: (x: T, i: number) => number,
): { seqs: readonly T[]; mask?: T } {
  const last = inputs[inputs.length - 1];
  return inputs.length > 1 && last !== undefined && rank(last, inputs.length - 1) === 2
    ? { seqs: inputs.slice(0, -1), mask: last }
    : { seqs: inputs };
}

/** The mask must be `[N, Tk]` with the queries' batch and the keys' length (DLM104). */
function requireMask(layer: string, mask: Shape, q: Shape, k: Shape, input: number): void {
  const [n, t] = [mask[0]!, mask[1]!];
  const differs = (a: Dim, b: Dim) =>
    !a.equals(b) && a.value !== undefined && b.value !== undefined;
  if (differs(n, q[0]!) || differs(t, k[1]!) || (t.value === undefined && !t.equals(k[1]!)))
    throw new ShapeError(
      'DLM104',
      `${layer}: the key-padding mask ${formatShapeInline(mask)} must be [batch, key length] = [${q[0]!.toString()}, ${k[1]!.toString()}]`,
      { input },
    );
}

/** The model dimension of `x` must equal the `dim` attribute (DLM100, with a fix). */
function requireModelDim(layer: string, x: Shape, dim: number, input?: number): void {
  const d = x[2]!.value;
  if (d !== undefined && d !== dim)
    throw new ShapeError(
      'DLM100',
      `${layer}(dim=${dim}) received ${formatShapeInline(x)}, whose last axis has ${d} features, not ${dim}`,
      {
        attr: 'dim',
        input,
        fixes: [{ kind: 'setAttr', attr: 'dim', value: String(d), title: `Set dim=${d}` }],
      },
    );
}

function requireHeads(layer: string, dim: number, heads: number): void {
  if (dim % heads !== 0)
    throw new ShapeError(
      'DLM105',
      `${layer}: dim=${dim} must be divisible by heads=${heads} (each head gets dim/heads features)`,
      { attr: 'heads' },
    );
}

/**
 * PyTorch nn.MultiheadAttention parameters: packed in_proj (xavier-uniform weight, zero bias),
 * out_proj (Linear default weight init, zero bias). 4·(D² + D) with bias, 4·D² without.
 */
function attentionParams(prefix: string, d: number, bias: boolean): ParamSpec[] {
  const xavier = { kind: 'uniform', bound: Math.sqrt(6 / (d + 3 * d)) } as const;
  return [
    param(`${prefix}in_proj_weight`, [3 * d, d], xavier),
    ...(bias ? [param(`${prefix}in_proj_bias`, [3 * d], { kind: 'zeros' })] : []),
    param(`${prefix}out_proj.weight`, [d, d], { kind: 'kaiming_uniform', fanIn: d }),
    ...(bias ? [param(`${prefix}out_proj.bias`, [d], { kind: 'zeros' })] : []),
  ];
}

/**
 * Q, K, V and output projections plus the two T×T products:
 * `N·(2·Tq·D² + 2·Tk·D² + 2·Tq·Tk·D)`, i.e. `N·(4·T·D² + 2·T²·D)` for self-attention.
 */
/**
 * Elements attention keeps for the backward pass besides its inputs (PyTorch's
 * `multi_head_attention_forward`, measured in test/fixtures/torch/gen_memory.py): the scaled
 * queries, keys and values per head, the heads' concatenated output, and the attention
 * probabilities, h·Tq·Tk per sample (the T·T term); with dropout also its mask and the dropped
 * probabilities.
 */
function attentionSaved(n: Dim, tq: Dim, tk: Dim, d: number, heads: number, p: number): Dim {
  return n.mul(
    tq
      .mul(2 * d)
      .add(tk.mul(2 * d))
      .add(tq.mul(tk).mul(heads * (p > 0 ? 3 : 1))),
  );
}

/**
 * Elements a TransformerEncoder layer keeps besides its input (measured on
 * nn.TransformerEncoderLayer): the attention's, the LayerNorms' inputs and statistics (2 per
 * token each), the feed-forward input and hidden activation (GELU keeps its input too), and with
 * dropout the masks and dropped tensors of its four dropouts.
 */
function encoderSaved(attrs: Attrs, n: Dim, t: Dim, d: number, ff: number): Dim {
  const p = attrs.float('dropout');
  const gelu = attrs.str('activation') === 'gelu';
  const perToken = 3 * d + (gelu ? 2 : 1) * ff + 4 + (p > 0 ? 2 * d + (gelu ? 1 : 2) * ff : 0);
  return attentionSaved(n, t, t, d, attrs.int('heads'), p).add(n.mul(t).mul(perToken));
}

function attentionMacs(n: Dim, tq: Dim, tk: Dim, d: number): Dim {
  return n.mul(
    tq
      .mul(2 * d * d)
      .add(tk.mul(2 * d * d))
      .add(tq.mul(tk).mul(2 * d)),
  );
}

const causalAttr: AttrSpec = {
  name: 'causal',
  type: { kind: 'bool' },
  default: false,
  doc: 'Mask future positions: query t attends only to keys ≤ t (decoder-style).',
};

export const MultiHeadAttention: LayerDef = {
  name: 'MultiHeadAttention',
  category: 'attention',
  summary: 'Multi-head scaled dot-product attention (self or q, k, v)',
  doc: [
    'Multi-head attention (PyTorch `nn.MultiheadAttention`, batch first). One input is self-attention; three inputs are (query, key, value) with `[N, Tq, D]`, `[N, Tk, D]`, `[N, Tk, D]`. Output `[N, Tq, D]`.',
    '`Attention(Q, K, V) = softmax(Q·Kᵀ/√(D/h) + mask)·V` per head, each head of size D/h; heads are concatenated and projected.',
    '',
    '**Masks:** `causal=true` hides later keys from each query. A key-padding mask is one more input after the sequences, `[N, Tk]`, nonzero at padded keys (PyTorch `key_padding_mask`): `(x, mask) |> MultiHeadAttention(…)` or `(q, k, v, mask) |> …`. Make it from token ids with `PaddingMask(pad)`, or declare it as a model input. The two masks combine; a masked score gets −10⁹, so a query whose keys are all masked attends uniformly (PyTorch gives NaN there).',
    '',
    '**Parameters:** `4·(D² + D)`: `in_proj_weight [3D, D]`, `in_proj_bias [3D]`, `out_proj.weight [D, D]`, `out_proj.bias [D]` (`4·D²` with `bias=false`).',
    `**MACs:** ${ATTENTION_MACS} for self-attention (Q, K, V, output projections 4·T·D², plus Q·Kᵀ and the weighted sum of V, T²·D each); with separate key length \`N·(2·Tq·D² + 2·Tk·D² + 2·Tq·Tk·D)\`. Softmax is not counted.`,
    '**Init:** PyTorch, `in_proj_weight` Xavier-uniform, biases zeros, `out_proj.weight` `U(±1/√D)`.',
  ].join('\n'),
  attrs: [
    {
      name: 'dim',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Model dimension D (the last axis of every input).',
    },
    {
      name: 'heads',
      type: { kind: 'int', min: 1 },
      default: 1,
      doc: 'Number of heads h; must divide D.',
    },
    causalAttr,
    {
      name: 'bias',
      type: { kind: 'bool' },
      default: true,
      doc: 'Bias on the input and output projections.',
    },
    {
      name: 'dropout',
      type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
      default: 0,
      doc: 'Dropout on the attention weights at training time.',
    },
  ],
  positional: ['dim'],
  arity: { min: 1, max: 4 },
  masks: true,
  display: ['dim', 'heads'],
  paramFormula: '4·(D² + D)',
  macsFormula: 'N·(4·T·D² + 2·T²·D)',
  savedFormula: 'inputs + N·(4·T·D + h·T·T) (3·h·T·T with dropout)',
  infer({ inputs: all, attrs }): LayerResult {
    const name = 'MultiHeadAttention';
    const { seqs: inputs, mask } = splitMask(all, (x) => x.length);
    if (inputs.length === 2)
      throw new ShapeError(
        'DLM020',
        `${name} takes 1 sequence (self-attention) or 3 (query, key, value), each optionally followed by a key-padding mask [N, Tk], but received 2 sequences; for cross-attention pass (q, kv, kv)`,
      );
    if (inputs.length > 3)
      throw new ShapeError(
        'DLM020',
        `${name} takes at most 3 sequences (query, key, value) and a key-padding mask, but received ${inputs.length} sequences`,
      );
    const dim = attrs.int('dim');
    requireHeads(name, dim, attrs.int('heads'));
    const roles = ['query', 'key', 'value'];
    inputs.forEach((x, i) => {
      requireSeq(name, x, inputs.length === 1 ? 'a sequence' : `the ${roles[i]}`, i);
      requireModelDim(name, x, dim, i);
    });
    const q = inputs[0]!;
    const k = inputs[1] ?? q;
    const v = inputs[2] ?? q;
    if (mask) requireMask(name, mask, q, k, inputs.length);
    if (!k[1]!.equals(v[1]!))
      throw new ShapeError(
        'DLM104',
        `${name}: key ${formatShapeInline(k)} and value ${formatShapeInline(v)} must have the same length (axis 1)`,
        { input: 2 },
      );
    for (const [i, x] of [k, v].entries())
      if (!x[0]!.equals(q[0]!) && x[0]!.value !== undefined && q[0]!.value !== undefined)
        throw new ShapeError(
          'DLM104',
          `${name}: the batch sizes differ, query ${formatShapeInline(q)} vs ${formatShapeInline(x)}`,
          { input: i + 1 },
        );
    return {
      outputs: [q],
      params: attentionParams('', dim, attrs.bool('bias')),
      macs: attentionMacs(q[0]!, q[1]!, k[1]!, dim),
      saved: {
        inputs: inputs.map((_, i) => i),
        extraBytes: f32Bytes(
          attentionSaved(q[0]!, q[1]!, k[1]!, dim, attrs.int('heads'), attrs.float('dropout')),
        ),
      },
    };
  },
  lower(ctx) {
    const { seqs, mask } = splitMask(ctx.inputs, (x) => x.shape.length);
    const [q, k, v] = seqs;
    return [
      attention(ctx, '', q!, k ?? q!, v ?? q!, {
        heads: ctx.attrs.int('heads'),
        causal: ctx.attrs.bool('causal'),
        mask,
        p: ctx.attrs.float('dropout'),
      }),
    ];
  },
};

export const TransformerEncoder: LayerDef = {
  name: 'TransformerEncoder',
  category: 'attention',
  summary: 'One transformer encoder block: self-attention and feed-forward, each with add & norm',
  doc: [
    'One transformer encoder block (PyTorch `nn.TransformerEncoderLayer(d_model=dim, nhead=heads, dim_feedforward=ff, batch_first=True)`), `[N, T, D]` unchanged.',
    '',
    '- Post-norm (default, `norm_first=false`): `x = LayerNorm₁(x + SelfAttn(x))`, then `x = LayerNorm₂(x + FF(x))`.',
    '- Pre-norm (`norm_first=true`): `x = x + SelfAttn(LayerNorm₁(x))`, then `x = x + FF(LayerNorm₂(x))`.',
    '- `FF(x) = linear2(dropout(act(linear1(x))))` with `linear1: D → ff`, `linear2: ff → D`; dropout also follows the attention and FF outputs.',
    '- A key-padding mask `[N, T]` (nonzero at padded positions, e.g. from `PaddingMask(pad)`) may follow the sequence: `(x, mask) |> TransformerEncoder(…)` (PyTorch `src_key_padding_mask`); it combines with `causal=true`.',
    '',
    '**Parameters:** `4·(D² + D)` (attention) `+ (D·ff + ff) + (ff·D + D)` (feed-forward) `+ 4D` (two LayerNorms). For D = 512, h = 8, ff = 2048 that is 3,152,384.',
    `**MACs:** ${ATTENTION_MACS} \`+ N·T·2·D·ff\`.`,
  ].join('\n'),
  attrs: [
    {
      name: 'dim',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Model dimension D (d_model).',
    },
    {
      name: 'heads',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Number of attention heads; must divide D.',
    },
    {
      name: 'ff',
      type: { kind: 'int', min: 1 },
      default: 2048,
      doc: 'Hidden size of the feed-forward network (dim_feedforward).',
    },
    {
      name: 'dropout',
      type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
      default: 0.1,
      doc: 'Dropout after attention, inside and after the feed-forward network (PyTorch default 0.1).',
    },
    {
      name: 'activation',
      type: { kind: 'string', values: ['relu', 'gelu'] },
      default: 'relu',
      doc: 'Feed-forward nonlinearity.',
    },
    {
      name: 'norm_first',
      type: { kind: 'bool' },
      default: false,
      doc: 'Pre-norm (LayerNorm before each sub-block) instead of post-norm.',
    },
    causalAttr,
    {
      name: 'eps',
      type: { kind: 'float', min: 0 },
      default: 1e-5,
      doc: 'Epsilon of both LayerNorms (PyTorch `layer_norm_eps`; ViT uses 1e-6).',
    },
  ],
  positional: ['dim', 'heads'],
  arity: { min: 1, max: 2 },
  masks: true,
  display: ['dim', 'heads', 'ff'],
  nonlinear: true,
  paramFormula: '4·(D² + D) + 2·D·ff + ff + D + 4D',
  macsFormula: 'N·(4·T·D² + 2·T²·D) + N·T·2·D·ff',
  savedFormula:
    'input + attention N·(4·T·D + h·T·T) + N·T·(3·D + ff (2·ff with GELU) + 4), more with dropout',
  infer({ inputs, attrs }): LayerResult {
    const name = 'TransformerEncoder';
    const x = inputs[0]!;
    const dim = attrs.int('dim');
    const ff = attrs.int('ff');
    requireHeads(name, dim, attrs.int('heads'));
    requireSeq(name, x, 'a sequence');
    requireModelDim(name, x, dim);
    const mask = inputs[1];
    if (mask) {
      if (mask.length !== 2)
        throw new ShapeError(
          'DLM101',
          `${name} takes a sequence and optionally a key-padding mask [N, T] (rank 2), but its second input is ${formatShapeInline(mask)} (rank ${mask.length})`,
          { input: 1 },
        );
      requireMask(name, mask, x, x, 1);
    }
    const linear = (prefix: string, out: number, inF: number): ParamSpec[] => [
      param(`${prefix}.weight`, [out, inF], { kind: 'kaiming_uniform', fanIn: inF }),
      param(`${prefix}.bias`, [out], { kind: 'kaiming_uniform', fanIn: inF }),
    ];
    const norm = (prefix: string): ParamSpec[] => [
      param(`${prefix}.weight`, [dim], { kind: 'ones' }),
      param(`${prefix}.bias`, [dim], { kind: 'zeros' }),
    ];
    const [n, t] = [x[0]!, x[1]!];
    return {
      outputs: [x],
      params: [
        ...attentionParams('self_attn.', dim, true),
        ...linear('linear1', ff, dim),
        ...linear('linear2', dim, ff),
        ...norm('norm1'),
        ...norm('norm2'),
      ],
      macs: attentionMacs(n, t, t, dim).add(n.mul(t).mul(2 * dim * ff)),
      saved: { inputs: [0], extraBytes: f32Bytes(encoderSaved(attrs, n, t, dim, ff)) },
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const name = 'TransformerEncoder';
    const heads = ctx.attrs.int('heads');
    const causal = ctx.attrs.bool('causal');
    const p = ctx.attrs.float('dropout');
    const gelu = ctx.attrs.str('activation') === 'gelu';
    const prm = (n: string) => need(ctx, name, n);
    const norm = (x: Value, i: number) =>
      layerNorm(o, x, 1, ctx.attrs.float('eps'), prm(`norm${i}.weight`), prm(`norm${i}.bias`));
    const mask = ctx.inputs[1];
    const sa = (x: Value) =>
      dropout(
        ctx,
        attention(ctx, 'self_attn.', x, x, x, { heads, causal, mask, p }),
        p,
        'dropout1',
      );
    const ff = (x: Value) => {
      const hdn = linear(o, x, prm('linear1.weight'), prm('linear1.bias'));
      const a = dropout(ctx, gelu ? o.gelu(hdn) : o.relu(hdn), p, 'dropout');
      return dropout(ctx, linear(o, a, prm('linear2.weight'), prm('linear2.bias')), p, 'dropout2');
    };
    let x = ctx.inputs[0]!;
    if (ctx.attrs.bool('norm_first')) {
      x = o.add(x, sa(norm(x, 1)));
      x = o.add(x, ff(norm(x, 2)));
    } else {
      x = norm(o.add(x, sa(x)), 1);
      x = norm(o.add(x, ff(x)), 2);
    }
    return [x];
  },
};

/** Large negative score for masked positions; exp underflows to exactly 0. */
const MASKED = -1e9;

/** How one attention call masks and regularizes. */
export interface AttentionOptions {
  readonly heads: number;
  /** Hide later keys from each query. */
  readonly causal: boolean;
  /** Key-padding mask `[N, Tk]`, nonzero at padded keys (ids or floats). */
  readonly mask?: Value;
  /** Dropout on the attention weights at training time. */
  readonly p: number;
}

/**
 * Multi-head scaled dot-product attention with PyTorch's parameter layout: packed
 * `in_proj_weight [3D, D]` (rows q, k, v), `in_proj_bias [3D]`, `out_proj.weight/bias`.
 * `softmax(Q·Kᵀ/√(D/h) + mask)·V` per head; dropout on the attention weights at train time.
 */
export function attention(
  ctx: LowerCtx,
  prefix: string,
  q: Value,
  k: Value,
  v: Value,
  { heads, causal, mask, p }: AttentionOptions,
): Value {
  const o = ops(ctx.b);
  const layer = 'MultiHeadAttention';
  const [n, tq, d] = q.shape as [number, number, number];
  const tk = k.shape[1]!;
  const dh = d / heads;
  const w = need(ctx, layer, `${prefix}in_proj_weight`);
  const b = ctx.params[`${prefix}in_proj_bias`];
  const rows = (x: Value, i: number) => o.slice(x, [i * d], [(i + 1) * d], [0]);
  let qp: Value, kp: Value, vp: Value;
  if (q === k && k === v) {
    const all = linear(o, q, w, b); // [N, T, 3D]
    [qp, kp, vp] = [0, 1, 2].map((i) => o.slice(all, [i * d], [(i + 1) * d], [2])) as [
      Value,
      Value,
      Value,
    ];
  } else {
    qp = linear(o, q, rows(w, 0), b && rows(b, 0));
    kp = linear(o, k, rows(w, 1), b && rows(b, 1));
    vp = linear(o, v, rows(w, 2), b && rows(b, 2));
  }
  const split = (x: Value, t: number) => o.transpose(o.reshape(x, [n, t, heads, dh]), [0, 2, 1, 3]); // [N, h, t, dh]
  const Q = split(qp, tq);
  const K = split(kp, tk);
  const V = split(vp, tk);
  let scores = o.scale(o.matmul(Q, o.transpose(K, [0, 1, 3, 2])), 1 / Math.sqrt(dh));
  if (causal) scores = o.add(scores, causalMask(o, tq, tk, scores.dtype));
  if (mask) scores = o.add(scores, paddingBias(o, mask, n, tk, scores.dtype));
  const attn = dropout(ctx, o.softmax(scores, -1), p, 'attn_dropout');
  const ctxv = o.reshape(o.transpose(o.matmul(attn, V), [0, 2, 1, 3]), [n, tq, d]);
  return linear(
    o,
    ctxv,
    need(ctx, layer, `${prefix}out_proj.weight`),
    ctx.params[`${prefix}out_proj.bias`],
  );
}

/** `[N, 1, 1, Tk]`: 0 at kept keys, {@link MASKED} where the key-padding mask is nonzero. */
function paddingBias(o: Ops, mask: Value, n: number, tk: number, dtype: Value['dtype']): Value {
  const kept = o.equal(mask, o.scalar(0, mask));
  const bias = o.where(kept, o.scalar(0, dtype), o.scalar(MASKED, dtype));
  return o.reshape(bias, [n, 1, 1, tk]);
}

function causalMask(o: Ops, tq: number, tk: number, dtype: Value['dtype']): Value {
  const m: number[] = [];
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) m.push(j > i ? MASKED : 0);
  return o.constant(m, [tq, tk], dtype);
}
