import { INIT_ATTR, weightAndBias } from './init';
import { Dim, prod } from '../core';
import { convOutputSize } from '../primitives/conv';
import { ops, type Ops } from '../primitives/ops';
import type { Value } from '../primitives/types';
import { resolvePadding } from './attrs';
import { channelVec, need } from './lowering';
import {
  KEEPS_INPUT,
  ShapeError,
  dimProduct,
  inferredSize,
  type AttrSpec,
  type LayerDef,
  type LayerResult,
} from './types';
import {
  channelsFirstLayout,
  requireChannelsFirst,
  spatialAxes,
  transposedOutput,
  windowOutput,
  type SpatialRank,
} from './window';

function convAttrs(rank: SpatialRank, transposed: boolean): AttrSpec[] {
  const per = rank === 1 ? 'an int' : `an int or a ${rank}-tuple (one per spatial axis)`;
  return [
    {
      name: 'out',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Number of output channels.',
    },
    {
      name: 'kernel',
      type: { kind: 'ints', min: 1 },
      required: true,
      doc: `Kernel size: ${per}.`,
    },
    { name: 'stride', type: { kind: 'ints', min: 1 }, default: 1, doc: `Stride: ${per}.` },
    transposed
      ? {
          name: 'padding',
          type: { kind: 'ints', min: 0 },
          default: 0,
          doc: `Implicit padding removed from **each side** of the output: ${per} (PyTorch semantics).`,
        }
      : {
          name: 'padding',
          type: { kind: 'padding' },
          default: 0,
          doc:
            `Zero padding added to **both sides** of each spatial axis: ${per}, \`"valid"\` (0) or \`"same"\`. ` +
            '`"same"` is PyTorch\'s rule: stride 1 only, output = input, the odd extra unit of `d·(k−1)` goes right/bottom.' +
            (rank === 1
              ? ' `"causal"` pads `d·(k−1)` on the left only, so output step t sees inputs ≤ t (WaveNet, TCN).'
              : ''),
        },
    ...(transposed
      ? [
          {
            name: 'output_padding',
            type: { kind: 'ints', min: 0 },
            default: 0,
            doc: 'Extra size added to one side of the output to pick among the input sizes a strided conv maps to the same size; must be < max(stride, dilation).',
          } satisfies AttrSpec,
        ]
      : []),
    {
      name: 'dilation',
      type: { kind: 'ints', min: 1 },
      default: 1,
      doc: 'Spacing between kernel taps; the effective kernel is `d·(k−1) + 1`.',
    },
    {
      name: 'groups',
      type: { kind: 'int', min: 1 },
      default: 1,
      doc: 'Split channels into `groups` independent convolutions; must divide `in` and `out`. `groups = in` is a depthwise convolution.',
    },
    {
      name: 'bias',
      type: { kind: 'bool' },
      default: true,
      doc: 'Add a learned bias per output channel.',
    },
    INIT_ATTR,
    {
      name: 'in',
      type: { kind: 'int', min: 1 },
      doc: 'Number of input channels. Inferred from the input (axis 1) when omitted; checked when given.',
    },
  ];
}

function convDoc(name: string, rank: SpatialRank, transposed: boolean): string {
  const layout = channelsFirstLayout(rank);
  const k = rank === 1 ? 'k' : 'Πk';
  if (!transposed)
    return [
      `${rank}-D convolution (cross-correlation, PyTorch \`nn.${name}\`) over channels-first input ${layout}.`,
      '',
      'Output size per spatial axis: `out = floor((n + 2p − d·(k−1) − 1)/s) + 1` with padding `p` on **each side**.',
      'A non-positive size is an error; a floored non-integer size that drops input rows/columns is a warning.',
      '',
      `**Weight:** \`[out, in/groups, ${spatialAxes(rank)
        .map((a) => `k${a}`)
        .join(', ')}]\`, bias \`[out]\`.`,
      `**Parameters:** \`out·(in/groups)·${k} + out\` (no \`+ out\` with \`bias=false\`).`,
      `**MACs:** \`N·out·Πout_spatial·(in/groups)·${k}\`.`,
      '**Init:** PyTorch default, `U(−1/√fan_in, 1/√fan_in)` for weight and bias, `fan_in = (in/groups)·Πk`.',
    ].join('\n');
  return [
    `${rank}-D transposed convolution (PyTorch \`nn.${name}\`; the gradient of a convolution, often called "deconvolution") over ${layout}.`,
    '',
    'Output size per spatial axis: `out = (n−1)·s − 2p + d·(k−1) + output_padding + 1`.',
    'With stride 2, a kernel not divisible by the stride overlaps unevenly and causes checkerboard artifacts; `Upsample` followed by a convolution avoids them.',
    '',
    `**Weight:** \`[in, out/groups, ${spatialAxes(rank)
      .map((a) => `k${a}`)
      .join(', ')}]\` (note: in first), bias \`[out]\`.`,
    `**Parameters:** \`in·(out/groups)·${k} + out\`.`,
    `**MACs:** \`N·in·Πin_spatial·(out/groups)·${k}\` (every input element is scattered through the kernel).`,
    "**Init:** PyTorch default, `U(−1/√fan_in, 1/√fan_in)` with `fan_in = (out/groups)·Πk` (PyTorch computes it from the weight's dimension 1).",
  ].join('\n');
}

/**
 * Above this many elements of the patch matrix (C·Πk × Πout·N floats) a convolution stays one
 * native `conv` (onnxruntime's Conv unfolds per image, in cache-sized pieces).
 */
export const UNFOLD_LIMIT = 1 << 23;
/**
 * …and above this many patch entries per sample (C·Πk·Πout) too: the backward pass scatters
 * with one (channel, position) index pair per entry, which onnxruntime folds into a constant.
 */
export const PATCH_LIMIT = 1 << 20;

/**
 * A group-1 convolution as one matrix product over the whole batch ("im2col"):
 *
 *   x [N, C, …sp] → [C, S, N] (batch innermost) → gather the patches along S with a constant
 *   index table → col [C·Πk, Πout·N] → W [O, C·Πk] · col (+ b) → [O, …out, N] → [N, O, …out].
 *
 * Out-of-range (padding) taps read one appended zero row. With the batch innermost, every
 * gathered element is a contiguous run of N floats, and the forward product, the weight
 * gradient (g·colᵀ) and the patch gradient (Wᵀ·g, scattered back by the gather's VJP) are
 * each a single large GEMM that shares `col`, instead of per-image products inside
 * Conv/ConvTranspose. Autodiff needs nothing special: every step is a primitive.
 */
export function convByUnfold(
  o: Ops,
  x: Value,
  w: Value,
  bias: Value | undefined,
  geo: { strides: number[]; dilations: number[]; pads: number[] },
): Value {
  const [n, c, ...sp] = x.shape as [number, number, ...number[]];
  const [oc, , ...k] = w.shape as [number, number, ...number[]];
  const r = sp.length;
  const out = sp.map(
    (d, i) =>
      Math.floor(
        (d + geo.pads[i]! + geo.pads[i + r]! - geo.dilations[i]! * (k[i]! - 1) - 1) /
          geo.strides[i]!,
      ) + 1,
  );
  const S = prod(sp);
  const K = prod(k);
  const L = prod(out);
  // Row-major strides of a shape.
  const strides = (shape: readonly number[]) => shape.map((_, i) => prod(shape.slice(i + 1)));
  const spStr = strides(sp);
  const kStr = strides(k);
  const oStr = strides(out);
  const table = new Array<number>(K * L);
  let padded = false;
  for (let kk = 0; kk < K; kk++)
    for (let l = 0; l < L; l++) {
      let flat = 0;
      let inside = true;
      for (let i = 0; i < r; i++) {
        const ki = Math.floor(kk / kStr[i]!) % k[i]!;
        const oi = Math.floor(l / oStr[i]!) % out[i]!;
        const xi = oi * geo.strides[i]! - geo.pads[i]! + ki * geo.dilations[i]!;
        if (xi < 0 || xi >= sp[i]!) inside = false;
        flat += xi * spStr[i]!;
      }
      if (!inside) padded = true;
      table[kk * L + l] = inside ? flat : S;
    }
  const toLast = [...Array(r + 1).keys()].map((i) => i + 1);
  let xs = o.reshape(o.transpose(x, [...toLast, 0]), [c, S, n]);
  if (padded) xs = o.pad(xs, [0, 0, 0, 0, 1, 0]);
  const idx = o.constant(table, [K, L], 'int64');
  const col = o.reshape(o.gather(xs, idx, 1), [c * K, L * n]);
  let y = o.matmul(o.reshape(w, [oc, c * K]), col);
  if (bias) y = o.add(y, o.reshape(bias, [oc, 1]));
  return o.transpose(o.reshape(y, [oc, ...out, n]), [r + 1, 0, ...toLast.slice(0, r)]);
}

/** Conv1d/2d/3d and ConvTranspose1d/2d. */
function convLayer(rank: SpatialRank, transposed: boolean): LayerDef {
  const name = `${transposed ? 'ConvTranspose' : 'Conv'}${rank}d`;
  const axes = spatialAxes(rank);
  return {
    name,
    category: 'conv',
    summary: transposed
      ? `${rank}-D transposed convolution (learned upsampling), channels first`
      : `${rank}-D convolution, channels first ${channelsFirstLayout(rank)}`,
    doc: convDoc(name, rank, transposed),
    attrs: convAttrs(rank, transposed),
    positional: ['out', 'kernel'],
    arity: { min: 1, max: 1 },
    display: ['out', 'kernel', 'stride', 'padding'],
    paramFormula: transposed ? 'in·(out/groups)·Πkernel + out' : 'out·(in/groups)·Πkernel + out',
    savedFormula: 'input',
    macsFormula: transposed
      ? 'N·in·Πin_spatial·(out/groups)·Πkernel'
      : 'N·out·Πout_spatial·(in/groups)·Πkernel',
    infer(ctx): LayerResult {
      const { inputs, attrs } = ctx;
      const x = inputs[0]!;
      requireChannelsFirst(name, x, rank);
      const k = attrs.ints('kernel', rank);
      const s = attrs.ints('stride', rank);
      const d = attrs.ints('dilation', rank);
      const outC = attrs.int('out');
      const g = attrs.int('groups');
      const inC = inferredSize(name, attrs, 'in', x[1]!, 'input channels (axis 1)', x);
      for (const [what, c] of [
        ['input', inC],
        ['output', outC],
      ] as const)
        if (c % g !== 0)
          throw new ShapeError(
            'DLM105',
            `${name}: groups=${g} must divide the ${what} channels, but ${c} is not divisible by ${g}`,
            { attr: 'groups' },
          );

      const spatialIn = x.slice(2);
      let spatialOut: Dim[];
      if (!transposed) {
        const pad = resolvePadding(name, attrs, k, s, d);
        spatialOut = spatialIn.map((n, i) =>
          windowOutput(ctx, ctx.call, axes[i]!, n, {
            kernel: k[i]!,
            stride: s[i]!,
            dilation: d[i]!,
            padBefore: pad.before[i]!,
            padAfter: pad.after[i]!,
          }),
        );
      } else {
        const p = attrs.ints('padding', rank);
        const op = attrs.ints('output_padding', rank);
        op.forEach((o, i) => {
          if (o >= Math.max(s[i]!, d[i]!))
            throw new ShapeError(
              'DLM108',
              `${name}: output_padding must be smaller than stride or dilation, but output_padding=${o} with stride=${s[i]} and dilation=${d[i]}`,
              { attr: 'output_padding' },
            );
        });
        spatialOut = spatialIn.map((n, i) =>
          transposedOutput(ctx.call, axes[i]!, n, {
            kernel: k[i]!,
            stride: s[i]!,
            dilation: d[i]!,
            padding: p[i]!,
            outputPadding: op[i]!,
          }),
        );
        const uneven = k.findIndex((kk, i) => s[i]! > 1 && kk % s[i]! !== 0);
        if (uneven >= 0)
          ctx.warn(
            'DLM305',
            `${name}: kernel ${k[uneven]} is not divisible by stride ${s[uneven]}, so the kernel windows overlap unevenly and produce checkerboard artifacts; use kernel ${2 * s[uneven]!} (a multiple of the stride), or Upsample(${s[uneven]}) followed by a Conv${rank}d`,
            { attr: 'kernel' },
          );
      }

      const kProd = prod(k);
      const weightShape = transposed ? [inC, outC / g, ...k] : [outC, inC / g, ...k];
      // PyTorch's fans: fan_in = size(1)·Πk, fan_out = size(0)·Πk of the weight tensor.
      const fanIn = (transposed ? outC / g : inC / g) * kProd;
      const fanOut = (transposed ? inC : outC) * kProd;
      const params = weightAndBias({
        weightShape,
        init: attrs.str('init'),
        fanIn,
        fanOut,
        bias: attrs.bool('bias'),
        biasSize: outC,
      });

      const batch = x[0]!;
      const macs = transposed
        ? batch.mul(dimProduct(spatialIn)).mul(inC * (outC / g) * kProd)
        : batch.mul(dimProduct(spatialOut)).mul(outC * (inC / g) * kProd);
      return {
        outputs: [[batch, Dim.const(outC), ...spatialOut]],
        params,
        macs,
        saved: KEEPS_INPUT,
        // Transposed convolutions upsample; the receptive-field recurrence does not apply to them.
        ...(transposed ? {} : { receptive: { kernel: k, stride: s, dilation: d } }),
      };
    },
    lower(ctx) {
      const o = ops(ctx.b);
      const x = ctx.inputs[0]!;
      const { attrs } = ctx;
      const k = attrs.ints('kernel', rank);
      const s = attrs.ints('stride', rank);
      const d = attrs.ints('dilation', rank);
      const group = attrs.int('groups');
      const w = need(ctx, name, 'weight');
      let y;
      if (!transposed) {
        const pad = resolvePadding(name, attrs, k, s, d);
        const pads = [...pad.before, ...pad.after];
        const outSp = x.shape
          .slice(2)
          .map((n, i) => convOutputSize(n, k[i]!, s[i]!, pads[i]!, pads[i + rank]!, d[i]!));
        const patches = x.shape[1]! * prod(k) * prod(outSp);
        if (group === 1 && patches * x.shape[0]! <= UNFOLD_LIMIT && patches <= PATCH_LIMIT)
          return [convByUnfold(o, x, w, ctx.params.bias, { strides: s, dilations: d, pads })];
        y = ctx.b.op('conv', [x, w], {
          strides: s,
          dilations: d,
          pads: [...pad.before, ...pad.after],
          group,
        });
      } else {
        const p = attrs.ints('padding', rank);
        y = ctx.b.op('conv_transpose', [x, w], {
          strides: s,
          dilations: d,
          pads: [...p, ...p],
          group,
          output_padding: attrs.ints('output_padding', rank),
        });
      }
      const bias = ctx.params.bias;
      return [bias ? o.add(y, channelVec(o, bias, y.shape.length)) : y];
    },
  };
}

export const Conv1d = convLayer(1, false);
export const Conv2d = convLayer(2, false);
export const Conv3d = convLayer(3, false);
export const ConvTranspose1d = convLayer(1, true);
export const ConvTranspose2d = convLayer(2, true);
