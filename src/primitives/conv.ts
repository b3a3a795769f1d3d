/**
 * Convolution and pooling over N-d spatial inputs laid out [N, C, ...spatial] (ONNX/PyTorch).
 *
 * Attributes follow ONNX: `strides`, `pads` (all begins, then all ends), `dilations`, `group`,
 * `output_padding` (conv_transpose), `kernel_shape` (pools), `count_include_pad` (avg_pool).
 * Defaults: stride 1, pad 0, dilation 1, group 1. No ceil mode.
 *
 * Gradients (forms verified against onnxruntime, see docs/architecture.md):
 * - conv input gradient: conv_transpose of the cotangent with the same weights;
 * - conv weight gradient: a conv over batch/channel-transposed tensors whose stride is the
 *   forward dilation and whose dilation is the forward stride (per group, see `convWeightGrad`);
 * - conv_transpose is the adjoint of conv, so the roles swap;
 * - max_pool: scatter-add of the cotangent at the Indices output (overlapping windows add up);
 * - avg_pool: the cotangent divided by each window's count, spread back by a ones-kernel
 *   conv_transpose.
 */
import { ops, type Ops } from './ops';
import { registerPrimitive } from './registry';
import type { PrimAttrs, EmitNode, TensorType, Value } from './types';
import { attr, expectFloat, fmt, intsAttr, node, numAttr, prod, sameDType } from './util';

interface Geom {
  k: number; // spatial rank
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

function geom(attrs: PrimAttrs, k: number): Geom {
  const ones = Array<number>(k).fill(1);
  const ge: Geom = {
    k,
    strides: intsAttr(attrs, 'strides', ones),
    pads: intsAttr(attrs, 'pads', Array<number>(2 * k).fill(0)),
    dilations: intsAttr(attrs, 'dilations', ones),
    group: numAttr(attrs, 'group', 1),
  };
  if (ge.strides.length !== k || ge.dilations.length !== k || ge.pads.length !== 2 * k)
    throw new Error(`strides/dilations need ${k} entries and pads ${2 * k}`);
  return ge;
}

/**
 * Output size of a convolution or pooling window on one axis, the one formula used by the conv
 * primitives, the conv lowering and the checker's shape rule (src/layers/window.ts):
 * `⌊(n + p_before + p_after − d·(k − 1) − 1)/s⌋ + 1`, or `⌈…⌉ + 1` with `ceil` (PyTorch's
 * ceil_mode, before its last-window correction).
 */
export function convOutputSize(
  n: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation: number,
  ceil = false,
): number {
  const span = n + padBefore + padAfter - dilation * (kernel - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

const geomAttrs = (ge: Geom) => ({
  strides: ge.strides,
  pads: ge.pads,
  dilations: ge.dilations,
  group: ge.group,
});

function onnxGeom(n: EmitNode, withGroup = true) {
  const k = n.inTypes[0]!.shape.length - 2;
  const ge = geom(n.attrs, k);
  const a = [
    attr.is('strides', ge.strides),
    attr.is('pads', ge.pads),
    attr.is('dilations', ge.dilations),
  ];
  if (withGroup) a.push(attr.i('group', ge.group));
  return a;
}

function expectConvInputs(x: TensorType, w: TensorType, what: string): number {
  expectFloat(x, what);
  sameDType([x, w], what);
  const k = x.shape.length - 2;
  if (k < 1 || w.shape.length !== k + 2)
    throw new Error(`${what}: input ${fmt(x.shape)} and weight ${fmt(w.shape)} ranks do not match`);
  return k;
}

/**
 * Weight gradient of y = conv(x, w) given the cotangent ct of y, for weights of `wShape`
 * [O, C/G, ...k]. Treat the channels (per group) as the batch and the batch as the channels:
 *   dw[o, c] = Σ_n x[n, c] ⋆ ct[n, o]   (correlation, stride = forward dilation,
 *                                         dilation = forward stride)
 * The result's spatial extent can exceed k by the forward floor remainder; slice it off.
 */
function convWeightGrad(o: Ops, x: Value, ct: Value, wShape: readonly number[], ge: Geom): Value {
  const [n, c] = x.shape as [number, number];
  const oc = ct.shape[1]!;
  const G = ge.group;
  const sp = x.shape.slice(2);
  const osp = ct.shape.slice(2);
  const rest = (off: number) => [...Array(ge.k).keys()].map((i) => i + off);
  let xT: Value;
  let gT: Value;
  if (G === 1) {
    xT = o.transpose(x, [1, 0, ...rest(2)]);
    gT = o.transpose(ct, [1, 0, ...rest(2)]);
  } else {
    // x: [N, G, C/G, sp] → [C/G, G, N, sp] → [C/G, G·N, sp] (channel index = group·N + n)
    xT = o.reshape(o.transpose(o.reshape(x, [n, G, c / G, ...sp]), [2, 1, 0, ...rest(3)]), [
      c / G,
      G * n,
      ...sp,
    ]);
    // ct: [N, G, O/G, osp] → [G, O/G, N, osp] → [O, N, osp]; group i reads channels of group i.
    gT = o.reshape(o.transpose(o.reshape(ct, [n, G, oc / G, ...osp]), [1, 2, 0, ...rest(3)]), [
      oc,
      n,
      ...osp,
    ]);
  }
  const r = o.b.op('conv', [xT, gT], {
    strides: ge.dilations,
    dilations: ge.strides,
    pads: ge.pads,
    group: G,
  });
  const kk = wShape.slice(2);
  const cut = r.shape.slice(2).some((d, i) => d !== kk[i])
    ? o.slice(
        r,
        kk.map(() => 0),
        kk,
        rest(2),
      )
    : r;
  return o.transpose(cut, [1, 0, ...rest(2)]);
}

const withIndices = (attrs: PrimAttrs) => numAttr(attrs, 'indices', 1) !== 0;

/** conv_transpose geometry that maps a conv's output extent `osp` back to exactly `sp`. */
function adjointPadding(
  sp: readonly number[],
  osp: readonly number[],
  kk: readonly number[],
  ge: Geom,
) {
  return sp.map((x, i) => {
    const full =
      (osp[i]! - 1) * ge.strides[i]! -
      ge.pads[i]! -
      ge.pads[i + ge.k]! +
      ge.dilations[i]! * (kk[i]! - 1) +
      1;
    return x - full;
  });
}

registerPrimitive(
  {
    name: 'conv',
    doc: 'N-d convolution (cross-correlation) x [N, C, …] ⋆ w [O, C/group, …k], no bias',
    infer(inputs, attrs) {
      const [x, w] = inputs as [TensorType, TensorType];
      const k = expectConvInputs(x, w, 'conv');
      const ge = geom(attrs, k);
      const [n, c] = x.shape as [number, number];
      if (c !== w.shape[1]! * ge.group || w.shape[0]! % ge.group !== 0)
        throw new Error(`conv: ${c} input channels, weight ${fmt(w.shape)}, group ${ge.group}`);
      const sp = x.shape
        .slice(2)
        .map((d, i) =>
          convOutputSize(
            d,
            w.shape[i + 2]!,
            ge.strides[i]!,
            ge.pads[i]!,
            ge.pads[i + k]!,
            ge.dilations[i]!,
          ),
        );
      if (sp.some((d) => d < 1)) throw new Error(`conv: empty output ${fmt(sp)}`);
      return [{ shape: [n, w.shape[0]!, ...sp], dtype: x.dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const [x, w] = a.inputs as [Value, Value];
      const ct = a.cts[0]!;
      const ge = geom(a.attrs, x.shape.length - 2);
      const dx = a.needs[0]
        ? a.b.op('conv_transpose', [ct, w], {
            ...geomAttrs(ge),
            output_padding: adjointPadding(
              x.shape.slice(2),
              ct.shape.slice(2),
              w.shape.slice(2),
              ge,
            ),
          })
        : undefined;
      const dw = a.needs[1] ? convWeightGrad(o, x, ct, w.shape, ge) : undefined;
      return [dx, dw];
    },
    emit: (_ctx, n) => [node('Conv', n.inputs, n.outputs, onnxGeom(n))],
  },
  {
    name: 'conv_transpose',
    doc: 'N-d transposed convolution x [N, C, …] with w [C, O/group, …k] (attr output_padding)',
    infer(inputs, attrs) {
      const [x, w] = inputs as [TensorType, TensorType];
      const k = expectConvInputs(x, w, 'conv_transpose');
      const ge = geom(attrs, k);
      const op = intsAttr(attrs, 'output_padding', Array<number>(k).fill(0));
      const [n, c] = x.shape as [number, number];
      if (c !== w.shape[0]! || c % ge.group !== 0)
        throw new Error(
          `conv_transpose: ${c} input channels, weight ${fmt(w.shape)}, group ${ge.group}`,
        );
      const sp = x.shape
        .slice(2)
        .map(
          (d, i) =>
            (d - 1) * ge.strides[i]! -
            ge.pads[i]! -
            ge.pads[i + k]! +
            ge.dilations[i]! * (w.shape[i + 2]! - 1) +
            1 +
            op[i]!,
        );
      if (sp.some((d) => d < 1)) throw new Error(`conv_transpose: empty output ${fmt(sp)}`);
      return [{ shape: [n, w.shape[1]! * ge.group, ...sp], dtype: x.dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const [x, w] = a.inputs as [Value, Value];
      const ct = a.cts[0]!;
      const ge = geom(a.attrs, x.shape.length - 2);
      const dx = a.needs[0] ? a.b.op('conv', [ct, w], geomAttrs(ge)) : undefined;
      // y = conv_transpose(x, w) is the adjoint of a conv from y-space to x-space with weights w.
      const dw = a.needs[1] ? convWeightGrad(o, ct, x, w.shape, ge) : undefined;
      return [dx, dw];
    },
    emit: (_ctx, n) => {
      const k = n.inTypes[0]!.shape.length - 2;
      return [
        node('ConvTranspose', n.inputs, n.outputs, [
          ...onnxGeom(n),
          attr.is('output_padding', intsAttr(n.attrs, 'output_padding', Array<number>(k).fill(0))),
        ]),
      ];
    },
  },
  {
    name: 'max_pool',
    doc: 'max pooling (attrs kernel_shape, strides, pads, dilations) → [values, int64 indices]; attr indices=0 → [values] only',
    infer(inputs, attrs) {
      const x = inputs[0]!;
      expectFloat(x, 'max_pool');
      const k = x.shape.length - 2;
      const ge = geom(attrs, k);
      const ks = intsAttr(attrs, 'kernel_shape');
      const sp = x.shape
        .slice(2)
        .map((d, i) =>
          convOutputSize(d, ks[i]!, ge.strides[i]!, ge.pads[i]!, ge.pads[i + k]!, ge.dilations[i]!),
        );
      const shape = [...x.shape.slice(0, 2), ...sp];
      const values = { shape, dtype: x.dtype };
      return withIndices(attrs) ? [values, { shape, dtype: 'int64' }] : [values];
    },
    vjp(a) {
      // Indices are positions in the flattened input (batch and channel included); an input
      // that wins several (overlapping) windows sums their cotangents. Without the Indices
      // output (attr indices=0, the fast MaxPool kernel) the backward pass recomputes them.
      const o = ops(a.b);
      const x = a.inputs[0]!;
      const ct = a.cts[0];
      if (!ct) return [undefined];
      const indices = withIndices(a.attrs)
        ? a.outputs[1]!
        : a.b.opMulti('max_pool', [x], { ...a.attrs, indices: 1 })[1]!;
      const flat = o.scatterAdd(
        o.zeros([prod(x.shape)], x.dtype),
        o.reshape(indices, [-1]),
        o.reshape(ct, [-1]),
        0,
      );
      return [o.reshape(flat, x.shape)];
    },
    emit: (_ctx, n) => [
      node('MaxPool', n.inputs, n.outputs, [
        attr.is('kernel_shape', intsAttr(n.attrs, 'kernel_shape')),
        ...onnxGeom(n, false),
      ]),
    ],
  },
  {
    name: 'avg_pool',
    doc: 'average pooling (attrs kernel_shape, strides, pads, count_include_pad default 0)',
    infer(inputs, attrs) {
      const x = inputs[0]!;
      expectFloat(x, 'avg_pool');
      const k = x.shape.length - 2;
      const ge = geom(attrs, k);
      const ks = intsAttr(attrs, 'kernel_shape');
      const sp = x.shape
        .slice(2)
        .map((d, i) => convOutputSize(d, ks[i]!, ge.strides[i]!, ge.pads[i]!, ge.pads[i + k]!, 1));
      return [{ shape: [...x.shape.slice(0, 2), ...sp], dtype: x.dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const x = a.inputs[0]!;
      const ct = a.cts[0]!;
      const k = x.shape.length - 2;
      const ge = geom(a.attrs, k);
      const ks = intsAttr(a.attrs, 'kernel_shape');
      const includePad = numAttr(a.attrs, 'count_include_pad', 0) !== 0;
      const sp = x.shape.slice(2);
      const osp = ct.shape.slice(2);
      // Window sizes are separable: count = Π_i count_i(o_i). Shapes are static, so fold them.
      const per = osp.map((od, i) =>
        [...Array(od).keys()].map((oi) => {
          if (includePad) return ks[i]!;
          const lo = oi * ge.strides[i]! - ge.pads[i]!;
          return Math.min(lo + ks[i]!, sp[i]!) - Math.max(lo, 0);
        }),
      );
      const inv: number[] = [];
      const walk = (i: number, acc: number) => {
        if (i === k) return void inv.push(1 / acc);
        for (const c of per[i]!) walk(i + 1, acc * c);
      };
      walk(0, 1);
      const [n, c] = x.shape as [number, number];
      const scaled = o.mul(
        o.reshape(ct, [n * c, 1, ...osp]),
        o.constant(inv, [1, 1, ...osp], ct.dtype),
      );
      const ones = o.constant(Array<number>(prod(ks)).fill(1), [1, 1, ...ks], ct.dtype);
      const spread = a.b.op('conv_transpose', [scaled, ones], {
        strides: ge.strides,
        pads: ge.pads,
        output_padding: adjointPadding(sp, osp, ks, { ...ge, dilations: Array<number>(k).fill(1) }),
      });
      return [o.reshape(spread, x.shape)];
    },
    emit: (_ctx, n) => {
      const k = n.inTypes[0]!.shape.length - 2;
      const ge = geom(n.attrs, k);
      return [
        node('AveragePool', n.inputs, n.outputs, [
          attr.is('kernel_shape', intsAttr(n.attrs, 'kernel_shape')),
          attr.is('strides', ge.strides),
          attr.is('pads', ge.pads),
          attr.i('count_include_pad', numAttr(n.attrs, 'count_include_pad', 0)),
        ]),
      ];
    },
  },
);
