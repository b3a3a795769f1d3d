/**
 * Constants and data-movement primitives: constant, reshape, transpose, expand, concat, slice, pad.
 * Shapes, axes and pads are attributes (training shapes are concrete); the emitter turns them
 * into the int64 inputs opset 17 expects.
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import type { PrimAttrs, DType } from './types';
import {
  attr,
  axis,
  broadcastShapes,
  expectArity,
  fmt,
  intsAttr,
  inversePerm,
  node,
  numAttr,
  prod,
  sameDType,
  strAttr,
  tensorProto,
} from './util';

/** Resolve a reshape target against an element count (one -1 allowed; no 0-copy semantics). */
export function resolveReshape(from: readonly number[], to: readonly number[]): number[] {
  const n = prod(from);
  const known = to.filter((d) => d !== -1);
  const holes = to.length - known.length;
  if (holes > 1) throw new Error('reshape: at most one -1');
  if (known.some((d) => d < 0)) throw new Error(`reshape: invalid target ${fmt(to)}`);
  const k = prod(known);
  const out = to.map((d) => (d === -1 ? n / k : d));
  if (prod(out) !== n || out.some((d) => !Number.isInteger(d)))
    throw new Error(`reshape: cannot reshape ${fmt(from)} to ${fmt(to)}`);
  return out;
}

/** Slice arguments normalized against a shape: per-axis start and end, step 1. */
function sliceBounds(shape: readonly number[], attrs: PrimAttrs) {
  const starts = intsAttr(attrs, 'starts');
  const ends = intsAttr(attrs, 'ends');
  const axes = intsAttr(
    attrs,
    'axes',
    starts.map((_, i) => i),
  );
  const lo = shape.map(() => 0);
  const hi = [...shape];
  axes.forEach((a0, i) => {
    const a = axis(a0, shape.length);
    const d = shape[a]!;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    lo[a] = clamp(starts[i]!);
    hi[a] = Math.max(lo[a]!, clamp(ends[i]!));
  });
  return { lo, hi };
}

registerPrimitive(
  {
    name: 'constant',
    doc: 'a constant tensor (attrs value, shape, dtype)',
    infer(inputs, attrs) {
      expectArity(inputs, 0, 'constant');
      const shape = intsAttr(attrs, 'shape');
      const value = intsAttr(attrs, 'value');
      if (value.length !== prod(shape))
        throw new Error(`constant: ${value.length} values for shape ${fmt(shape)}`);
      return [{ shape, dtype: strAttr(attrs, 'dtype') as DType }];
    },
    emit: (_ctx, n) => {
      const t = n.outTypes[0]!;
      return [
        node('Constant', [], n.outputs, [
          attr.t('value', tensorProto(intsAttr(n.attrs, 'value'), t.shape, t.dtype)),
        ]),
      ];
    },
  },
  {
    name: 'reshape',
    doc: 'reshape to attr shape (one -1 allowed)',
    infer: (inputs, attrs) => [
      {
        shape: resolveReshape(inputs[0]!.shape, intsAttr(attrs, 'shape')),
        dtype: inputs[0]!.dtype,
      },
    ],
    vjp: (a) => [ops(a.b).reshape(a.cts[0]!, a.inputs[0]!.shape)],
    emit: (ctx, n) => [node('Reshape', [n.inputs[0]!, ctx.int64(n.outTypes[0]!.shape)], n.outputs)],
  },
  {
    name: 'transpose',
    doc: 'permute axes (attr perm)',
    infer(inputs, attrs) {
      const s = inputs[0]!.shape;
      const perm = intsAttr(attrs, 'perm');
      if (perm.length !== s.length || [...perm].sort((x, y) => x - y).some((p, i) => p !== i))
        throw new Error(`transpose: invalid perm ${fmt(perm)} for rank ${s.length}`);
      return [{ shape: perm.map((p) => s[p]!), dtype: inputs[0]!.dtype }];
    },
    vjp: (a) => [ops(a.b).transpose(a.cts[0]!, inversePerm(intsAttr(a.attrs, 'perm')))],
    emit: (_ctx, n) => [
      node('Transpose', n.inputs, n.outputs, [attr.is('perm', intsAttr(n.attrs, 'perm'))]),
    ],
  },
  {
    name: 'expand',
    doc: 'broadcast to attr shape (numpy rules)',
    infer(inputs, attrs) {
      const target = intsAttr(attrs, 'shape');
      const out = broadcastShapes(inputs[0]!.shape, target);
      if (out.length !== target.length || out.some((d, i) => d !== target[i]))
        throw new Error(`expand: ${fmt(inputs[0]!.shape)} does not broadcast to ${fmt(target)}`);
      return [{ shape: out, dtype: inputs[0]!.dtype }];
    },
    vjp: (a) => [ops(a.b).unbroadcast(a.cts[0]!, a.inputs[0]!.shape)],
    emit: (ctx, n) => [node('Expand', [n.inputs[0]!, ctx.int64(n.outTypes[0]!.shape)], n.outputs)],
  },
  {
    name: 'concat',
    doc: 'concatenate along attr axis',
    infer(inputs, attrs) {
      if (inputs.length < 1) throw new Error('concat: no inputs');
      const dtype = sameDType(inputs, 'concat');
      const s0 = inputs[0]!.shape;
      const ax = axis(numAttr(attrs, 'axis'), s0.length);
      let total = 0;
      for (const t of inputs) {
        if (t.shape.length !== s0.length || t.shape.some((d, i) => i !== ax && d !== s0[i]))
          throw new Error(
            `concat: shapes ${inputs.map((u) => fmt(u.shape)).join(', ')} differ off axis ${ax}`,
          );
        total += t.shape[ax]!;
      }
      return [{ shape: s0.map((d, i) => (i === ax ? total : d)), dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const ax = axis(numAttr(a.attrs, 'axis'), ct.shape.length);
      // Several pieces needed: one split (one kernel) rather than one slice per input.
      if (a.needs.filter(Boolean).length > 1) {
        const parts = a.b.opMulti('split', [ct], {
          axis: ax,
          sizes: a.inputs.map((x) => x.shape[ax]!),
        });
        return parts.map((p, i) => (a.needs[i] ? p : undefined));
      }
      let off = 0;
      return a.inputs.map((x, i) => {
        const start = off;
        off += x.shape[ax]!;
        return a.needs[i] ? o.slice(ct, [start], [off], [ax]) : undefined;
      });
    },
    emit: (_ctx, n) => [
      node('Concat', n.inputs, n.outputs, [
        attr.i('axis', axis(numAttr(n.attrs, 'axis'), n.inTypes[0]!.shape.length)),
      ]),
    ],
  },
  {
    name: 'slice',
    doc: 'step-1 slice (attrs starts, ends, axes; negative and out-of-range values clamp as in ONNX)',
    infer(inputs, attrs) {
      const { lo, hi } = sliceBounds(inputs[0]!.shape, attrs);
      return [{ shape: lo.map((l, i) => hi[i]! - l), dtype: inputs[0]!.dtype }];
    },
    vjp(a) {
      const s = a.inputs[0]!.shape;
      const { lo, hi } = sliceBounds(s, a.attrs);
      return [ops(a.b).pad(a.cts[0]!, [...lo, ...hi.map((h, i) => s[i]! - h)])];
    },
    emit(ctx, n) {
      const { lo, hi } = sliceBounds(n.inTypes[0]!.shape, n.attrs);
      const axes = lo
        .map((_, i) => i)
        .filter((i) => lo[i] !== 0 || hi[i] !== n.inTypes[0]!.shape[i]);
      if (axes.length === 0) return [node('Identity', n.inputs, n.outputs)];
      return [
        node(
          'Slice',
          [
            n.inputs[0]!,
            ctx.int64(axes.map((i) => lo[i]!)),
            ctx.int64(axes.map((i) => hi[i]!)),
            ctx.int64(axes),
          ],
          n.outputs,
        ),
      ];
    },
  },
  {
    name: 'pad',
    doc: 'zero padding (attr pads: begins then ends, per axis, non-negative)',
    infer(inputs, attrs) {
      const s = inputs[0]!.shape;
      const pads = intsAttr(attrs, 'pads');
      if (pads.length !== 2 * s.length || pads.some((p) => p < 0))
        throw new Error(`pad: pads ${fmt(pads)} invalid for rank ${s.length}`);
      return [
        { shape: s.map((d, i) => d + pads[i]! + pads[i + s.length]!), dtype: inputs[0]!.dtype },
      ];
    },
    vjp(a) {
      const s = a.inputs[0]!.shape;
      const pads = intsAttr(a.attrs, 'pads');
      const starts = s.map((_, i) => pads[i]!);
      return [
        ops(a.b).slice(
          a.cts[0]!,
          starts,
          starts.map((p, i) => p + s[i]!),
        ),
      ];
    },
    emit: (ctx, n) => [
      node('Pad', [n.inputs[0]!, ctx.int64(intsAttr(n.attrs, 'pads'))], n.outputs),
    ],
  },
);
