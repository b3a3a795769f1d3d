import { Dim, prod } from '../core';
import { ops, type Ops } from '../primitives/ops';
import type { Value } from '../primitives/types';
import {
  KEEPS_INPUT,
  LowerError,
  dimProduct,
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
    savedFormula: kind === 'max' ? 'input + int64 indices (8 bytes per output element)' : 'input',
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
        windowOutput(ctx, ctx.call, axes[i]!, n, {
          kernel: k[i]!,
          stride: s[i]!,
          dilation: d[i]!,
          padBefore: p[i]!,
          padAfter: p[i]!,
          ceilMode,
        }),
      );
      const out = [x[0]!, x[1]!, ...spatialOut];
      return {
        outputs: [out],
        params: [],
        macs: ZERO,
        receptive: { kernel: k, stride: s, dilation: d },
        // Max pooling keeps the argmax of every window as int64 for the backward pass.
        saved: kind === 'max' ? { inputs: [0], extraBytes: dimProduct(out).mul(8) } : KEEPS_INPUT,
      };
    },
    lower(ctx) {
      const { attrs } = ctx;
      const x = ctx.inputs[0]!;
      const k = attrs.ints('kernel', rank);
      const s = attrs.has('stride') ? attrs.ints('stride', rank) : k;
      const p = attrs.ints('padding', rank);
      const d = kind === 'max' ? attrs.ints('dilation', rank) : k.map(() => 1);
      const ceil = attrs.bool('ceil_mode');
      // ceil_mode: pad the end so that the floor formula yields PyTorch's ceil output size.
      const extra = x.shape.slice(2).map((n, i) => {
        if (!ceil) return 0;
        const eff = d[i]! * (k[i]! - 1) + 1;
        let out = Math.ceil((n + 2 * p[i]! - eff) / s[i]!) + 1;
        if ((out - 1) * s[i]! >= n + p[i]!) out -= 1;
        return Math.max(0, (out - 1) * s[i]! + eff - (n + 2 * p[i]!));
      });
      const pads = [...p, ...p.map((pp, i) => pp + extra[i]!)];
      const tiled = k.every((kk, i) => s[i] === kk && d[i] === 1) && pads.every((pp) => pp === 0);
      if (kind === 'max' && tiled) {
        // maxpool(relu(z)) = relu(maxpool(z)), gradients included (a window whose maximum is
        // ≤ 0 gets no gradient either way; otherwise both pick the same first maximum), and the
        // relu then runs on the pooled tensor, a quarter of the size for 2×2 windows.
        const o = ops(ctx.b);
        const p = ctx.b.producer?.(x);
        if (p?.prim === 'relu') return [o.relu(maxPoolTiled(o, p.inputs[0]!, k))];
        return [maxPoolTiled(o, x, k)];
      }
      if (kind === 'max')
        return [
          ctx.b.op('max_pool', [x], {
            kernel_shape: k,
            strides: s,
            pads,
            dilations: d,
            indices: 0,
          }),
        ];
      let includePad = attrs.bool('count_include_pad');
      if (extra.some((e) => e > 0)) {
        // PyTorch never counts the ceil overhang; with no padding that is "exclude padding".
        if (p.some((pp) => pp > 0) && includePad)
          throw new LowerError(
            `${name}: ceil_mode=true with padding and count_include_pad=true is not trainable yet; use count_include_pad=false or ceil_mode=false`,
          );
        includePad = false;
      }
      return [
        ctx.b.op('avg_pool', [x], {
          kernel_shape: k,
          strides: s,
          pads,
          count_include_pad: includePad ? 1 : 0,
        }),
      ];
    },
  };
}

/**
 * Max pooling whose windows tile the input (stride = kernel, no padding or dilation; a floor
 * remainder at the end of an axis belongs to no window), as primitives in the batch-innermost
 * layout [C, …spatial, N] that convByUnfold (conv.ts) computes in: each window axis is split
 * into its k offsets (contiguous runs of N floats) and reduced with `maximum`, innermost axis
 * first, so ties go to the first maximum in row-major order as with PyTorch and ONNX Indices.
 * Between two unfolded convolutions, the layout transposes cancel (onnxruntime folds
 * Transpose pairs through elementwise ops), and the backward pass is the maximum and split
 * VJPs (masks and concats) instead of MaxPool's Indices and a ScatterElements.
 */
function maxPoolTiled(o: Ops, x: Value, k: readonly number[]): Value {
  const [n, c, ...sp] = x.shape as [number, number, ...number[]];
  const r = sp.length;
  const out = sp.map((v, i) => Math.floor(v / k[i]!));
  const toLast = [...Array(r + 1).keys()].map((i) => i + 1);
  let t = o.transpose(x, [...toLast, 0]);
  if (out.some((v, i) => v * k[i]! !== sp[i]))
    t = o.slice(
      t,
      out.map(() => 0),
      out.map((v, i) => v * k[i]!),
      out.map((_, i) => i + 1),
    );
  // [C, O₁, k₁, …, O_r, k_r, N]; reduce k_r first, then k_{r−1}, … Each level views the
  // tensor as [outer, kᵢ, inner] (no unit axes, which would let onnxruntime push the layout
  // transposes through the reshapes as slow rank-6 transposes).
  let y = t;
  for (let i = r - 1; i >= 0; i--) {
    if (k[i]! === 1) continue;
    const outer = c * prod(out.slice(0, i + 1)) * prod(k.slice(0, i));
    const inner = prod(out.slice(i + 1)) * n;
    const parts = o.b.opMulti('split', [o.reshape(y, [outer, k[i]!, inner])], {
      axis: 1,
      sizes: Array<number>(k[i]!).fill(1),
    });
    y = parts.slice(1).reduce((m, p) => o.maximum(m, p), parts[0]!);
  }
  return o.transpose(o.reshape(y, [c, ...out, n]), [r + 1, 0, ...toLast.slice(0, r)]);
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
    savedFormula: kind === 'avg' ? 'input' : 'input and output',
    infer({ inputs, attrs }): LayerResult {
      const x = inputs[0]!;
      if (x.length < 3)
        throw new ShapeError(
          'DLM101',
          `${name} expects a channels-first input [N, C, ...] with at least one spatial axis, but received ${formatShapeInline(x)} (rank ${x.length})`,
        );
      const rest = attrs.bool('keepdims') ? x.slice(2).map(() => Dim.const(1)) : [];
      return {
        outputs: [[x[0]!, x[1]!, ...rest]],
        params: [],
        macs: ZERO,
        saved: kind === 'avg' ? KEEPS_INPUT : { inputs: [0], outputs: true },
      };
    },
    lower(ctx) {
      const o = ops(ctx.b);
      const x = ctx.inputs[0]!;
      const axes = x.shape.slice(2).map((_, i) => i + 2);
      const keep = ctx.attrs.bool('keepdims');
      return [kind === 'avg' ? o.reduceMean(x, axes, keep) : o.reduceMax(x, axes, keep)];
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
  savedFormula: 'input',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    requireChannelsFirst('AdaptiveAvgPool2d', x, 2);
    const o = attrs.ints('output', 2);
    return {
      outputs: [[x[0]!, x[1]!, ...o.map((v) => Dim.const(v))]],
      params: [],
      macs: ZERO,
      saved: KEEPS_INPUT,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const out = ctx.attrs.ints('output', 2);
    const sp = x.shape.slice(2);
    if (sp.every((n, i) => n % out[i]! === 0)) {
      if (out.every((v) => v === 1)) return [o.reduceMean(x, [2, 3], true)];
      const k = sp.map((n, i) => n / out[i]!);
      return [ctx.b.op('avg_pool', [x], { kernel_shape: k, strides: k, pads: [0, 0, 0, 0] })];
    }
    // Windows of unequal size: adaptive pooling is linear and separable, P_h · x · P_wᵀ.
    const ph = adaptiveMatrix(sp[0]!, out[0]!);
    const pw = adaptiveMatrix(sp[1]!, out[1]!);
    return [separable(o, x, ph, pw)];
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
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const k = x.shape.length - 2;
    const scale = ctx.attrs.ints('scale', k);
    const sp = x.shape.slice(2);
    if (ctx.attrs.str('mode') === 'bilinear') {
      const ac = ctx.attrs.bool('align_corners');
      const mh = bilinearMatrix(sp[0]!, sp[0]! * scale[0]!, ac);
      const mw = bilinearMatrix(sp[1]!, sp[1]! * scale[1]!, ac);
      return [separable(o, x, mh, mw)];
    }
    // Nearest with an integer scale: out[i] = in[floor(i/s)], i.e. repeat each element s times.
    const [n, c] = x.shape as [number, number];
    const inter = sp.flatMap((d) => [d, 1]);
    const big = sp.flatMap((d, i) => [d, scale[i]!]);
    const y = o.expand(o.reshape(x, [n, c, ...inter]), [n, c, ...big]);
    return [o.reshape(y, [n, c, ...sp.map((d, i) => d * scale[i]!)])];
  },
};

// ---------------------------------------------------------------- linear resampling helpers

/** Row-major `[rows, cols]` matrix from a row builder. */
type Matrix = { rows: number; cols: number; data: number[] };

/** PyTorch adaptive average pooling on one axis: row i averages [⌊i·n/o⌋, ⌈(i+1)·n/o⌉). */
function adaptiveMatrix(n: number, out: number): Matrix {
  const data = new Array<number>(out * n).fill(0);
  for (let i = 0; i < out; i++) {
    const lo = Math.floor((i * n) / out);
    const hi = Math.ceil(((i + 1) * n) / out);
    for (let j = lo; j < hi; j++) data[i * n + j] = 1 / (hi - lo);
  }
  return { rows: out, cols: n, data };
}

/** PyTorch bilinear interpolation weights on one axis (`align_corners` as in F.interpolate). */
function bilinearMatrix(n: number, out: number, alignCorners: boolean): Matrix {
  const data = new Array<number>(out * n).fill(0);
  for (let i = 0; i < out; i++) {
    let src = alignCorners
      ? out > 1
        ? (i * (n - 1)) / (out - 1)
        : 0
      : Math.max(0, ((i + 0.5) * n) / out - 0.5);
    src = Math.min(src, n - 1);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, n - 1);
    const l1 = src - i0;
    data[i * n + i0]! += 1 - l1;
    data[i * n + i1]! += l1;
  }
  return { rows: out, cols: n, data };
}

/** `A_h · x · A_wᵀ` over the last two axes of `[N, C, H, W]`. */
function separable(o: Ops, x: Value, ah: Matrix, aw: Matrix): Value {
  const awT: number[] = [];
  for (let j = 0; j < aw.cols; j++)
    for (let i = 0; i < aw.rows; i++) awT.push(aw.data[i * aw.cols + j]!);
  const right = o.matmul(x, o.constant(awT, [aw.cols, aw.rows], x.dtype));
  return o.matmul(o.constant(ah.data, [ah.rows, ah.cols], x.dtype), right);
}
