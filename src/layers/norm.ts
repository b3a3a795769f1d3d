import { Dim, type Shape } from '../core';
import { ops } from '../primitives/ops';
import type { Value } from '../primitives/types';
import { intList } from './attrs';
import { channelVec, layerNorm, need, normalize, otherAxes } from './lowering';
import {
  ShapeError,
  ZERO,
  dimProduct,
  f32Bytes,
  formatShapeInline,
  inferredSize,
  param,
  type AttrSpec,
  type LayerDef,
  type LayerResult,
  type LowerCtx,
  type ParamSpec,
} from './types';

const ZERO_MACS =
  '**MACs:** 0; normalization is elementwise and not counted as multiply-accumulates.';

const numFeatures: AttrSpec = {
  name: 'num_features',
  type: { kind: 'int', min: 1 },
  doc: 'Number of channels C (axis 1). Inferred from the input when omitted; checked when given.',
};
const eps: AttrSpec = {
  name: 'eps',
  type: { kind: 'float', min: 0 },
  default: 1e-5,
  doc: 'Added to the variance before the square root.',
};
const momentum: AttrSpec = {
  name: 'momentum',
  type: { kind: 'float', min: 0, max: 1 },
  default: 0.1,
  doc: 'Running-statistics update (PyTorch form): `running = (1 − momentum)·running + momentum·batch_stat`. Keras’s momentum is 1 − this value.',
};

/** Per-channel affine (γ = ones, β = zeros) and running statistics (mean zeros, var ones). */
function channelParams(c: number, affine: boolean, track: boolean): ParamSpec[] {
  return [
    ...(affine
      ? [param('weight', [c], { kind: 'ones' }), param('bias', [c], { kind: 'zeros' })]
      : []),
    ...(track
      ? [
          param('running_mean', [c], { kind: 'zeros' }, false),
          param('running_var', [c], { kind: 'ones' }, false),
        ]
      : []),
  ];
}

function requireRanks(name: string, x: Shape, ranks: readonly number[], layouts: string): void {
  if (!ranks.includes(x.length))
    throw new ShapeError(
      'DLM101',
      `${name} expects ${layouts}, but received ${formatShapeInline(x)} (rank ${x.length})`,
    );
}

/**
 * Shape rule of the per-channel norms (BatchNorm, InstanceNorm): same shape, 2C + 2C params.
 * Saved for backward: the input and the batch mean and inverse std, C each for BatchNorm; N·C each
 * for InstanceNorm (PyTorch runs it as a batch norm over [1, N·C, ...]), plus γ repeated N times
 * with `affine`.
 */
function channelNormInfer(
  name: string,
  ranks: readonly number[],
  layouts: Parameters<typeof requireRanks>[3],
  perSample: boolean,
): LayerDef['infer'] {
  return ({ inputs, attrs }): LayerResult => {
    const x = inputs[0]!;
    requireRanks(name, x, ranks, layouts);
    const c = inferredSize(name, attrs, 'num_features', x[1]!, 'channels (axis 1)', x);
    const affine = attrs.bool('affine');
    const stats = perSample ? x[0]!.mul((affine ? 3 : 2) * c) : Dim.const(2 * c);
    return {
      outputs: [x],
      params: channelParams(c, affine, attrs.bool('track_running_stats')),
      macs: ZERO,
      saved: { inputs: [0], extraBytes: f32Bytes(stats) },
    };
  };
}

/** BatchNorm1d and BatchNorm2d. */
function batchNorm(rank: 1 | 2): LayerDef {
  const name = `BatchNorm${rank}d`;
  const ranks = rank === 1 ? [2, 3] : [4];
  const layouts = rank === 1 ? '[N, C] or [N, C, L]' : '[N, C, H, W]';
  const over = rank === 1 ? 'N (and L)' : 'N, H and W';
  return {
    name,
    category: 'norm',
    summary: `Batch normalization per channel over ${layouts}`,
    doc: [
      `Batch normalization (PyTorch \`nn.${name}\`) of ${layouts}, per channel C: \`y = γ·(x − μ)/√(σ² + eps) + β\`.`,
      '',
      `- **Training:** μ and σ² are the statistics of the current batch over ${over} (biased variance for normalizing); the running estimates are updated with \`momentum\` (using the unbiased batch variance).`,
      '- **Evaluation:** the running mean and variance are used instead, so the output no longer depends on the rest of the batch.',
      '',
      '**Parameters:** trainable `2C` (γ = `weight`, init ones; β = `bias`, init zeros) with `affine=true`; non-trainable `2C` (`running_mean` zeros, `running_var` ones) with `track_running_stats=true`. PyTorch’s `num_batches_tracked` step counter is a buffer, not a parameter, and is not counted.',
      ZERO_MACS,
    ].join('\n'),
    attrs: [
      numFeatures,
      eps,
      momentum,
      {
        name: 'affine',
        type: { kind: 'bool' },
        default: true,
        doc: 'Learn γ (scale) and β (shift).',
      },
      {
        name: 'track_running_stats',
        type: { kind: 'bool' },
        default: true,
        doc: 'Keep running mean/variance for evaluation; without them batch statistics are used at eval time too.',
      },
    ],
    positional: [],
    arity: { min: 1, max: 1 },
    paramFormula: '2C trainable (γ, β) + 2C non-trainable (running mean, var)',
    macsFormula: '0',
    savedFormula: 'input + 2·C (batch mean, inverse std)',
    infer: channelNormInfer(name, ranks, layouts, false),
    lower: (ctx) => [lowerNorm(ctx, name, 'batch')],
  };
}

export const BatchNorm1d = batchNorm(1);
export const BatchNorm2d = batchNorm(2);

/** InstanceNorm1d and InstanceNorm2d. */
function instanceNorm(rank: 1 | 2): LayerDef {
  const name = `InstanceNorm${rank}d`;
  const layouts = rank === 1 ? '[N, C, L]' : '[N, C, H, W]';
  return {
    name,
    category: 'norm',
    summary: `Instance normalization per sample and channel over ${layouts}`,
    doc: [
      `Instance normalization (PyTorch \`nn.${name}\`): each sample’s each channel is normalized over its spatial axes, \`y = (x − μ)/√(σ² + eps)\` (times γ plus β with \`affine=true\`).`,
      'The statistics never mix samples, so training and evaluation agree unless `track_running_stats=true`.',
      '',
      '**Parameters:** `2C` trainable if `affine`; `2C` non-trainable (running mean, var) if `track_running_stats`. Both default to false, as in PyTorch.',
      ZERO_MACS,
    ].join('\n'),
    attrs: [
      numFeatures,
      eps,
      momentum,
      { name: 'affine', type: { kind: 'bool' }, default: false, doc: 'Learn γ and β per channel.' },
      {
        name: 'track_running_stats',
        type: { kind: 'bool' },
        default: false,
        doc: 'Keep running statistics and use them at evaluation time.',
      },
    ],
    positional: [],
    arity: { min: 1, max: 1 },
    paramFormula: '2C if affine + 2C non-trainable if track_running_stats',
    macsFormula: '0',
    savedFormula: 'input + 2·N·C (mean, inverse std; + N·C with affine)',
    infer: channelNormInfer(name, [rank + 2], layouts, true),
    lower: (ctx) => [lowerNorm(ctx, name, 'instance')],
  };
}

export const InstanceNorm1d = instanceNorm(1);
export const InstanceNorm2d = instanceNorm(2);

export const LayerNorm: LayerDef = {
  name: 'LayerNorm',
  category: 'norm',
  summary: 'Layer normalization over the trailing axes (default: the last axis)',
  doc: [
    'Layer normalization (PyTorch `nn.LayerNorm`): each sample is normalized over its **trailing** axes given by `shape` (default: the last axis), `y = γ·(x − μ)/√(σ² + eps) + β`.',
    'Statistics are per sample, so training and evaluation behave the same; there are no running statistics.',
    '',
    '**Parameters:** `2·Πshape` (γ = `weight` ones, β = `bias` zeros) with `elementwise_affine=true`, else 0.',
    ZERO_MACS,
  ].join('\n'),
  attrs: [
    {
      name: 'shape',
      type: { kind: 'intList' },
      defaultDoc: 'last axis',
      doc: 'Normalized shape: the sizes of the trailing axes to normalize over (an int or a tuple). Defaults to the size of the last axis.',
    },
    eps,
    {
      name: 'elementwise_affine',
      type: { kind: 'bool' },
      default: true,
      doc: 'Learn γ and β with the normalized shape.',
    },
  ],
  positional: [],
  arity: { min: 1, max: 1 },
  paramFormula: '2·Πshape',
  macsFormula: '0',
  savedFormula: 'input + 2 per normalized row (mean, inverse std)',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    if (x.length < 2)
      throw new ShapeError(
        'DLM101',
        `LayerNorm expects a batched input [N, ...], but received ${formatShapeInline(x)}`,
      );
    let shape: number[];
    if (attrs.has('shape')) {
      shape = intList(attrs, 'shape');
      const trailing = x.slice(x.length - shape.length);
      const ok =
        shape.length < x.length &&
        trailing.every((d, i) => d.value === undefined || d.value === shape[i]);
      if (!ok) {
        const want = x.length > shape.length ? formatShapeInline(trailing) : 'a non-batch axis';
        throw new ShapeError(
          'DLM100',
          `LayerNorm(shape=(${shape.join(', ')})) must match the trailing axes of ${formatShapeInline(x)}, which are ${want}`,
          { attr: 'shape' },
        );
      }
    } else {
      const last = x[x.length - 1]!;
      const v = last.value;
      if (v === undefined)
        throw new ShapeError(
          'DLM100',
          `LayerNorm needs a known last axis to size γ and β, but it is the symbolic dim ${last.toString()}; declare it as a number or give shape=`,
        );
      shape = [v];
    }
    const params = attrs.bool('elementwise_affine')
      ? [param('weight', shape, { kind: 'ones' }), param('bias', shape, { kind: 'zeros' })]
      : [];
    // One mean and one inverse std per normalized row: the leading axes.
    const rows = dimProduct(x, 0, x.length - shape.length);
    return {
      outputs: [x],
      params,
      macs: ZERO,
      saved: { inputs: [0], extraBytes: f32Bytes(rows.mul(2)) },
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const n = ctx.attrs.has('shape') ? intList(ctx.attrs, 'shape').length : 1;
    return [layerNorm(o, x, n, ctx.attrs.float('eps'), ctx.params.weight, ctx.params.bias)];
  },
};

/**
 * Batch and instance normalization. Statistics over N and the spatial axes (batch) or the
 * spatial axes only (instance); biased variance for normalizing. In training mode with
 * `track_running_stats`, the running estimates are updated as PyTorch does:
 * `running = (1 − m)·running + m·stat`, with the unbiased variance `var·n/(n − 1)`.
 * At eval time with running statistics those are used instead.
 */
function lowerNorm(ctx: LowerCtx, name: string, kind: 'batch' | 'instance'): Value {
  const o = ops(ctx.b);
  const x = ctx.inputs[0]!;
  const r = x.shape.length;
  const eps = ctx.attrs.float('eps');
  const track = ctx.attrs.bool('track_running_stats');
  const axes = kind === 'batch' ? otherAxes(r, [1]) : otherAxes(r, [0, 1]);
  let y: Value;
  if (ctx.training || !track) {
    const st = normalize(o, x, axes, eps);
    y = st.y;
    if (ctx.training && track) {
      const m = ctx.attrs.float('momentum');
      const count = axes.reduce((a, i) => a * x.shape[i]!, 1);
      const c = x.shape[1]!;
      // Instance norm: PyTorch averages the per-instance statistics over the batch.
      const mean = o.reshape(kind === 'batch' ? st.mean : o.reduceMean(st.mean, [0], true), [c]);
      const biased = kind === 'batch' ? st.variance : o.reduceMean(st.variance, [0], true);
      const unbiased = o.scale(o.reshape(biased, [c]), count > 1 ? count / (count - 1) : 1);
      const ema = (old: Value, stat: Value) => o.add(o.scale(old, 1 - m), o.scale(stat, m));
      ctx.updateState('running_mean', ema(need(ctx, name, 'running_mean'), mean));
      ctx.updateState('running_var', ema(need(ctx, name, 'running_var'), unbiased));
    }
  } else {
    const mean = channelVec(o, need(ctx, name, 'running_mean'), r);
    const variance = channelVec(o, need(ctx, name, 'running_var'), r);
    y = o.div(o.sub(x, mean), o.sqrt(o.add(variance, o.scalar(eps, x))));
  }
  if (ctx.params.weight) y = o.mul(y, channelVec(o, ctx.params.weight, r));
  if (ctx.params.bias) y = o.add(y, channelVec(o, ctx.params.bias, r));
  return y;
}

export const GroupNorm: LayerDef = {
  name: 'GroupNorm',
  category: 'norm',
  summary: 'Group normalization: channels split into groups, each normalized per sample',
  doc: [
    'Group normalization (PyTorch `nn.GroupNorm`, Wu & He 2018) of `[N, C, ...]`: the C channels are split into `num_groups` groups of `C/num_groups`, and each sample’s each group is normalized over its channels and spatial axes, `y = γ·(x − μ)/√(σ² + eps) + β` with per-channel γ and β.',
    '`num_groups=1` normalizes each sample over all of C and the spatial axes (like LayerNorm over `[C, H, W]`, but with per-channel affine); `num_groups=C` is InstanceNorm with affine. Statistics never mix samples, so training and evaluation agree and a batch of one is fine.',
    '',
    '**Parameters:** `2C` (γ = `weight` ones, β = `bias` zeros) with `affine=true`, else 0.',
    ZERO_MACS,
  ].join('\n'),
  attrs: [
    {
      name: 'num_groups',
      type: { kind: 'int', min: 1 },
      doc: 'Number of groups G; the channel count C must be divisible by G.',
    },
    {
      name: 'num_channels',
      type: { kind: 'int', min: 1 },
      doc: 'Number of channels C (axis 1). Inferred from the input when omitted; checked when given.',
    },
    eps,
    { name: 'affine', type: { kind: 'bool' }, default: true, doc: 'Learn γ and β per channel.' },
  ],
  positional: ['num_groups'],
  arity: { min: 1, max: 1 },
  display: ['num_groups'],
  paramFormula: '2C if affine',
  macsFormula: '0',
  savedFormula: 'input + 2·N·G (mean, inverse std per sample and group)',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    if (x.length < 2)
      throw new ShapeError(
        'DLM101',
        `GroupNorm expects [N, C, ...], but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    const c = inferredSize('GroupNorm', attrs, 'num_channels', x[1]!, 'channels (axis 1)', x);
    const g = attrs.int('num_groups');
    if (c % g !== 0) {
      const divisors = [...Array(c).keys()]
        .map((i) => i + 1)
        .filter((d) => c % d === 0)
        .sort((a, b) => Math.abs(a - g) - Math.abs(b - g))
        .slice(0, 2);
      throw new ShapeError(
        'DLM100',
        `GroupNorm(${g}) needs the channel count to be divisible by num_groups, but ${c} channels do not split into ${g} groups (${formatShapeInline(x)})`,
        {
          attr: 'num_groups',
          fixes: divisors.map((d) => ({
            kind: 'setAttr' as const,
            attr: 'num_groups',
            value: String(d),
            title: `Use ${d} groups of ${c / d} channels`,
          })),
        },
      );
    }
    return {
      outputs: [x],
      params: attrs.bool('affine')
        ? [param('weight', [c], { kind: 'ones' }), param('bias', [c], { kind: 'zeros' })]
        : [],
      macs: ZERO,
      saved: { inputs: [0], extraBytes: f32Bytes(x[0]!.mul(2 * g)) },
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const n = x.shape[0]!;
    const g = ctx.attrs.int('num_groups');
    const grouped = o.reshape(x, [n, g, -1]);
    let y = o.reshape(normalize(o, grouped, [2], ctx.attrs.float('eps')).y, x.shape);
    const r = x.shape.length;
    if (ctx.params.weight) y = o.mul(y, channelVec(o, ctx.params.weight, r));
    if (ctx.params.bias) y = o.add(y, channelVec(o, ctx.params.bias, r));
    return [y];
  },
};
