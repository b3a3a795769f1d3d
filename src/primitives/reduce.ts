/**
 * Reductions (sum, mean, sum of squares, max over axes, with keepdims) and the normalized exponentials
 * (softmax, log_softmax) used by attention and the cross-entropy losses.
 */
import { ops, type Ops } from './ops';
import { registerPrimitive } from './registry';
import type { PrimAttrs, PrimName, PrimitiveDef, Value } from './types';
import { attr, axis, expectFloat, intsAttr, node, numAttr, prod } from './util';

function reduceAxes(rank: number, attrs: PrimAttrs): number[] {
  const axes = intsAttr(attrs, 'axes', [...Array(rank).keys()]).map((a) => axis(a, rank));
  return [...new Set(axes)].sort((x, y) => x - y);
}

const keep = (attrs: PrimAttrs) => numAttr(attrs, 'keepdims', 0) !== 0;

/** Shape of the reduction with keepdims=1 (reduced axes become 1). */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Bring a reduction's cotangent (or result) back to the broadcastable keepdims shape. */
function kept(o: Ops, v: Value, inShape: readonly number[], axes: readonly number[]): Value {
  return o.reshape(v, keptShape(inShape, axes));
}

function reduction(
  name: PrimName,
  opType: string,
  doc: string,
  vjp: PrimitiveDef['vjp'],
  axesAsInput: boolean,
): PrimitiveDef {
  return {
    name,
    doc,
    infer(inputs, attrs) {
      expectFloat(inputs[0]!, name);
      const s = inputs[0]!.shape;
      const axes = reduceAxes(s.length, attrs);
      const shape = keep(attrs) ? keptShape(s, axes) : s.filter((_, i) => !axes.includes(i));
      return [{ shape, dtype: inputs[0]!.dtype }];
    },
    vjp,
    emit(ctx, n) {
      const axes = reduceAxes(n.inTypes[0]!.shape.length, n.attrs);
      const kd = attr.i('keepdims', keep(n.attrs) ? 1 : 0);
      if (axes.length === 0) return [node('Identity', n.inputs, n.outputs)];
      // Opset 17: ReduceSum takes axes as an input; ReduceMean/ReduceMax as an attribute.
      return axesAsInput
        ? [node(opType, [n.inputs[0]!, ctx.int64(axes)], n.outputs, [kd])]
        : [node(opType, n.inputs, n.outputs, [kd, attr.is('axes', axes)])];
    },
  };
}

registerPrimitive(
  reduction(
    'reduce_sum',
    'ReduceSum',
    'sum over attr axes (default all), attr keepdims (default 0)',
    (a) => {
      const o = ops(a.b);
      const s = a.inputs[0]!.shape;
      const axes = reduceAxes(s.length, a.attrs);
      return [o.expand(kept(o, a.cts[0]!, s, axes), s)];
    },
    true,
  ),
  reduction(
    'reduce_mean',
    'ReduceMean',
    'mean over attr axes (default all), attr keepdims (default 0)',
    (a) => {
      const o = ops(a.b);
      const s = a.inputs[0]!.shape;
      const axes = reduceAxes(s.length, a.attrs);
      const count = prod(axes.map((i) => s[i]!));
      return [o.expand(o.scale(kept(o, a.cts[0]!, s, axes), 1 / count), s)];
    },
    false,
  ),
  reduction(
    'reduce_sum_square',
    'ReduceSumSquare',
    'Σx² over attr axes (default all), attr keepdims (default 0): one pass, no x² temporary',
    (a) => {
      const o = ops(a.b);
      const x = a.inputs[0]!;
      const axes = reduceAxes(x.shape.length, a.attrs);
      return [o.mul(o.scale(x, 2), kept(o, a.cts[0]!, x.shape, axes))];
    },
    false,
  ),
  reduction(
    'reduce_max',
    'ReduceMax',
    'max over attr axes; ties share the gradient equally',
    (a) => {
      const o = ops(a.b);
      const x = a.inputs[0]!;
      const s = x.shape;
      const axes = reduceAxes(s.length, a.attrs);
      const isMax = o.equal(x, kept(o, a.outputs[0]!, s, axes));
      const mask = o.cast(isMax, x.dtype);
      const count = o.reduceSum(mask, axes, true);
      const ct = o.div(kept(o, a.cts[0]!, s, axes), count);
      return [o.mul(mask, ct)];
    },
    false,
  ),
  {
    name: 'softmax',
    doc: 'softmax along attr axis (default -1)',
    infer(inputs) {
      expectFloat(inputs[0]!, 'softmax');
      return [{ ...inputs[0]! }];
    },
    vjp(a) {
      // dx = y ⊙ (ct − Σ(ct ⊙ y))
      const o = ops(a.b);
      const y = a.outputs[0]!;
      const ct = a.cts[0]!;
      const ax = axis(numAttr(a.attrs, 'axis', -1), y.shape.length);
      return [o.mul(y, o.sub(ct, o.reduceSum(o.mul(ct, y), [ax], true)))];
    },
    emit: (_ctx, n) => [
      node('Softmax', n.inputs, n.outputs, [attr.i('axis', numAttr(n.attrs, 'axis', -1))]),
    ],
  },
  {
    name: 'log_softmax',
    doc: 'log-softmax along attr axis (default -1), numerically stable',
    infer(inputs) {
      expectFloat(inputs[0]!, 'log_softmax');
      return [{ ...inputs[0]! }];
    },
    vjp(a) {
      // dx = ct − softmax(x) ⊙ Σct; softmax(x) = exp(y)
      const o = ops(a.b);
      const y = a.outputs[0]!;
      const ct = a.cts[0]!;
      const ax = axis(numAttr(a.attrs, 'axis', -1), y.shape.length);
      return [o.sub(ct, o.mul(o.exp(y), o.reduceSum(ct, [ax], true)))];
    },
    emit: (_ctx, n) => [
      node('LogSoftmax', n.inputs, n.outputs, [attr.i('axis', numAttr(n.attrs, 'axis', -1))]),
    ],
  },
);
