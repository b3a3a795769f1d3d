import { Dim } from '../core';
import {
  ShapeError,
  ZERO,
  formatShapeInline,
  type AttrSpec,
  type LayerDef,
  type LayerResult,
} from './types';
import {
  channelsFirstLayout,
  requireChannelsFirst,
  spatialAxes,
  windowCall,
  windowOutput,
  type SpatialRank,
} from './window';

const ZERO_MACS =
  'Pooling has no multiply-accumulates; its comparisons/additions are not counted (0 MACs).';

function poolAttrs(kind: 'max' | 'avg'): AttrSpec[] {
  return [
    {
      name: 'kernel',
      type: { kind: 'ints', min: 1 },
      required: true,
      doc: 'Window size: an int or a tuple (one per spatial axis).',
    },
    {
      name: 'stride',
      type: { kind: 'ints', min: 1 },
      defaultDoc: 'kernel',
      doc: 'Window step. Defaults to the kernel size (non-overlapping windows), as in PyTorch.',
    },
    {
      name: 'padding',
      type: { kind: 'ints', min: 0 },
      default: 0,
      doc: `Implicit ${kind === 'max' ? '−∞' : 'zero'} padding on **both sides**; at most half the (effective) kernel.`,
    },
    ...(kind === 'max'
      ? [
          {
            name: 'dilation',
            type: { kind: 'ints', min: 1 },
            default: 1,
            doc: 'Spacing between window taps (effective window `d·(k−1) + 1`).',
          } satisfies AttrSpec,
        ]
      : []),
    {
      name: 'ceil_mode',
      type: { kind: 'bool' },
      default: false,
      doc: 'Use ceil instead of floor in the output size, keeping a partial last window (PyTorch rule: the last window must start inside the input or left padding).',
    },
    ...(kind === 'avg'
      ? [
          {
            name: 'count_include_pad',
            type: { kind: 'bool' },
            default: true,
            doc: 'Count padded zeros in the average’s denominator.',
          } satisfies AttrSpec,
        ]
      : []),
  ];
}

/** MaxPool1d/2d and AvgPool1d/2d. */
function poolLayer(kind: 'max' | 'avg', rank: SpatialRank): LayerDef {
  const name = `${kind === 'max' ? 'Max' : 'Avg'}Pool${rank}d`;
  const axes = spatialAxes(rank);
  const op = kind === 'max' ? 'maximum' : 'average';
  return {
    name,
    category: 'pool',
    summary: `${rank}-D ${kind} pooling over ${channelsFirstLayout(rank)}; channels unchanged`,
    doc: [
      `${rank}-D ${kind} pooling (PyTorch \`nn.${name}\`): the ${op} of each window, per channel, over ${channelsFirstLayout(rank)}.`,
      '',
      `Output size per spatial axis: the convolution formula${kind === 'max' ? '' : ' with d = 1'}, \`out = floor((n + 2p − ${kind === 'max' ? 'd·(k−1)' : '(k−1)'} − 1)/s) + 1\` (ceil with \`ceil_mode=true\`). The stride defaults to the kernel.`,
      '',
      '**Parameters:** 0.',
      `**MACs:** 0. ${ZERO_MACS}`,
    ].join('\n'),
    attrs: poolAttrs(kind),
    positional: ['kernel'],
    arity: { min: 1, max: 1 },
    display: ['kernel', 'stride'],
    paramFormula: '0',
    macsFormula: '0',
    infer(ctx): LayerResult {
      const { inputs, attrs } = ctx;
      const x = inputs[0]!;
      requireChannelsFirst(name, x, rank);
      const k = attrs.ints('kernel', rank);
      const s = attrs.has('stride') ? attrs.ints('stride', rank) : k;
      const p = attrs.ints('padding', rank);
      const d = kind === 'max' ? attrs.ints('dilation', rank) : k.map(() => 1);
      const ceilMode = attrs.bool('ceil_mode');
      p.forEach((pp, i) => {
        // PyTorch: pad ≤ half the effective window d·(k−1)+1 (d = 1 for average pooling).
        const eff = d[i]! * (k[i]! - 1) + 1;
        if (pp > Math.floor(eff / 2))
          throw new ShapeError(
            'DLM108',
            `${name}: padding must be at most half the ${d[i] === 1 ? 'kernel' : 'effective kernel d·(k−1)+1'} (PyTorch), but padding=${pp} with ${d[i] === 1 ? `kernel ${k[i]}` : `effective kernel ${eff}`}`,
            { attr: 'padding' },
          );
      });
      const spatialOut = x.slice(2).map((n, i) =>
        windowOutput(
          ctx,
          windowCall(name, k[i]!, {
            stride: s[i],
            padding: p[i],
            dilation: d[i],
            defaultStride: k[i],
          }),
          axes[i]!,
          n,
          {
            kernel: k[i]!,
            stride: s[i]!,
            dilation: d[i]!,
            padBefore: p[i]!,
            padAfter: p[i]!,
            ceilMode,
          },
        ),
      );
      return {
        outputs: [[x[0]!, x[1]!, ...spatialOut]],
        params: [],
        macs: ZERO,
        receptive: { kernel: k, stride: s, dilation: d },
      };
    },
  };
}

export const MaxPool1d = poolLayer('max', 1);
export const MaxPool2d = poolLayer('max', 2);
export const AvgPool1d = poolLayer('avg', 1);
export const AvgPool2d = poolLayer('avg', 2);

/** GlobalAvgPool and GlobalMaxPool. */
function globalPool(kind: 'avg' | 'max'): LayerDef {
  const name = kind === 'avg' ? 'GlobalAvgPool' : 'GlobalMaxPool';
  return {
    name,
    category: 'pool',
    summary: `Global ${kind} pooling over all spatial axes: [N, C, ...] → [N, C]`,
    doc: [
      `Global ${kind === 'avg' ? 'average' : 'max'} pooling: the ${kind === 'avg' ? 'mean' : 'maximum'} over every spatial axis of a channels-first input \`[N, C, ...]\`.`,
      'Output `[N, C]`, or `[N, C, 1, …, 1]` with `keepdims=true` (PyTorch `AdaptiveAvgPool2d(1)` / `AdaptiveMaxPool2d(1)` keep the axes).',
      '',
      '**Parameters:** 0. **MACs:** 0 (reductions are not counted as MACs).',
    ].join('\n'),
    attrs: [
      {
        name: 'keepdims',
        type: { kind: 'bool' },
        default: false,
        doc: 'Keep the pooled axes as size 1.',
      },
    ],
    positional: [],
    arity: { min: 1, max: 1 },
    paramFormula: '0',
    macsFormula: '0',
    infer({ inputs, attrs }): LayerResult {
      const x = inputs[0]!;
      if (x.length < 3)
        throw new ShapeError(
          'DLM101',
          `${name} expects a channels-first input [N, C, ...] with at least one spatial axis, but received ${formatShapeInline(x)} (rank ${x.length})`,
        );
      const rest = attrs.bool('keepdims') ? x.slice(2).map(() => Dim.const(1)) : [];
      return { outputs: [[x[0]!, x[1]!, ...rest]], params: [], macs: ZERO };
    },
  };
}

export const GlobalAvgPool = globalPool('avg');
export const GlobalMaxPool = globalPool('max');

export const AdaptiveAvgPool2d: LayerDef = {
  name: 'AdaptiveAvgPool2d',
  category: 'pool',
  summary: 'Average pooling to a fixed output size [N, C, oh, ow]',
  doc: [
    'Adaptive average pooling (PyTorch `nn.AdaptiveAvgPool2d`): output `[N, C, oh, ow]` whatever the input size.',
    'Window `i` on an axis of size n covers `[floor(i·n/o), ceil((i+1)·n/o))`, so windows may overlap or differ in size.',
    '',
    '**Parameters:** 0. **MACs:** 0 (additions are not counted).',
  ].join('\n'),
  attrs: [
    {
      name: 'output',
      type: { kind: 'ints', min: 1 },
      required: true,
      doc: 'Output size: an int (square) or a tuple `(oh, ow)`.',
    },
  ],
  positional: ['output'],
  arity: { min: 1, max: 1 },
  display: ['output'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    requireChannelsFirst('AdaptiveAvgPool2d', x, 2);
    const o = attrs.ints('output', 2);
    return {
      outputs: [[x[0]!, x[1]!, ...o.map((v) => Dim.const(v))]],
      params: [],
      macs: ZERO,
    };
  },
};

export const Upsample: LayerDef = {
  name: 'Upsample',
  category: 'pool',
  summary: 'Upsample the spatial axes by an integer scale (nearest or bilinear)',
  doc: [
    'Upsampling (PyTorch `nn.Upsample(scale_factor=…)`) of every spatial axis of a channels-first input `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`: `out = n·scale`.',
    '`mode="nearest"` repeats values; `mode="bilinear"` interpolates (4-D input only). With `align_corners=false` (the default) pixels are treated as areas, so corner values are not pinned.',
    'Upsample followed by a convolution avoids the checkerboard artifacts of strided transposed convolutions.',
    '',
    '**Parameters:** 0. **MACs:** 0 (interpolation is not counted).',
  ].join('\n'),
  attrs: [
    {
      name: 'scale',
      type: { kind: 'ints', min: 1 },
      required: true,
      doc: 'Integer scale factor: an int or a tuple (one per spatial axis).',
    },
    {
      name: 'mode',
      type: { kind: 'string', values: ['nearest', 'bilinear'] },
      default: 'nearest',
      doc: '`"nearest"` or `"bilinear"` (4-D input only).',
    },
    {
      name: 'align_corners',
      type: { kind: 'bool' },
      default: false,
      doc: 'Bilinear only: align the corner pixel centers of input and output.',
    },
  ],
  positional: ['scale'],
  arity: { min: 1, max: 1 },
  display: ['scale', 'mode'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const mode = attrs.str('mode');
    if (mode === 'bilinear' && x.length !== 4)
      throw new ShapeError(
        'DLM101',
        `Upsample(mode="bilinear") expects [N, C, H, W] (rank 4), but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    if (x.length < 3 || x.length > 5)
      throw new ShapeError(
        'DLM101',
        `Upsample expects [N, C, L], [N, C, H, W] or [N, C, D, H, W], but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    if (mode === 'nearest' && attrs.has('align_corners') && attrs.bool('align_corners'))
      throw new ShapeError(
        'DLM108',
        'align_corners only applies to mode="bilinear" (PyTorch rejects it for "nearest")',
        { attr: 'align_corners' },
      );
    const scale = attrs.ints('scale', x.length - 2);
    return {
      outputs: [[x[0]!, x[1]!, ...x.slice(2).map((n, i) => n.mul(scale[i]!))]],
      params: [],
      macs: ZERO,
    };
  },
};
