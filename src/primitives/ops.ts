/**
 * Typed, readable wrappers over {@link Builder.op}: `const o = ops(b); o.mul(ct, o.exp(x))`.
 * VJP rules, layer lowerings and losses use these instead of spelling primitive names.
 * Also home of the derived helpers every VJP needs: scalars of a matching dtype, zeros, and
 * `unbroadcast` (sum a broadcast cotangent back to an input's shape).
 */
import type { Builder, DType, Value } from './types';

export type Ops = ReturnType<typeof ops>;

export function ops(b: Builder) {
  const o = {
    b,
    /** A rank-0 constant with the dtype of `like`. */
    scalar: (v: number, like: { dtype: DType } | DType = 'float32'): Value =>
      b.constant([v], [], typeof like === 'string' ? like : like.dtype),
    constant: (data: readonly number[], shape: readonly number[], dtype: DType = 'float32') =>
      b.constant(data, shape, dtype),
    zeros: (shape: readonly number[], dtype: DType = 'float32'): Value =>
      shape.length === 0 ? o.scalar(0, dtype) : o.expand(o.scalar(0, dtype), shape),

    add: (x: Value, y: Value) => b.op('add', [x, y]),
    sub: (x: Value, y: Value) => b.op('sub', [x, y]),
    mul: (x: Value, y: Value) => b.op('mul', [x, y]),
    div: (x: Value, y: Value) => b.op('div', [x, y]),
    maximum: (x: Value, y: Value) => b.op('maximum', [x, y]),
    minimum: (x: Value, y: Value) => b.op('minimum', [x, y]),
    greater: (x: Value, y: Value) => b.op('greater', [x, y]),
    equal: (x: Value, y: Value) => b.op('equal', [x, y]),
    where: (c: Value, x: Value, y: Value) => b.op('where', [c, x, y]),
    /** `x * s` for a JS number `s`. */
    scale: (x: Value, s: number) => b.op('mul', [x, o.scalar(s, x)]),

    neg: (x: Value) => b.op('neg', [x]),
    exp: (x: Value) => b.op('exp', [x]),
    log: (x: Value) => b.op('log', [x]),
    sqrt: (x: Value) => b.op('sqrt', [x]),
    abs: (x: Value) => b.op('abs', [x]),
    sign: (x: Value) => b.op('sign', [x]),
    erf: (x: Value) => b.op('erf', [x]),
    tanh: (x: Value) => b.op('tanh', [x]),
    sigmoid: (x: Value) => b.op('sigmoid', [x]),
    relu: (x: Value) => b.op('relu', [x]),
    /** Omitted alpha: the primitive's declared default. */
    leakyRelu: (x: Value, alpha?: number) =>
      b.op('leaky_relu', [x], alpha === undefined ? {} : { alpha }),
    elu: (x: Value, alpha = 1) => b.op('elu', [x], { alpha }),
    gelu: (x: Value) => b.op('gelu', [x]),
    softplus: (x: Value) => b.op('softplus', [x]),
    powConst: (x: Value, exponent: number) => b.op('pow_const', [x], { exponent }),
    identity: (x: Value) => b.op('identity', [x]),
    cast: (x: Value, to: DType) => b.op('cast', [x], { to }),

    matmul: (x: Value, y: Value) => b.op('matmul', [x, y]),
    gemm: (
      a: Value,
      w: Value,
      c?: Value,
      opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
    ) =>
      b.op('gemm', c ? [a, w, c] : [a, w], {
        transA: opts.transA ? 1 : 0,
        transB: opts.transB ? 1 : 0,
        alpha: opts.alpha ?? 1,
        beta: opts.beta ?? 1,
      }),
    transpose: (x: Value, perm?: readonly number[]) =>
      b.op('transpose', [x], { perm: perm ?? x.shape.map((_, i) => x.shape.length - 1 - i) }),
    /** Swap the last two axes. */
    mT: (x: Value) => {
      const r = x.shape.length;
      const perm = x.shape.map((_, i) => i);
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      return b.op('transpose', [x], { perm });
    },
    /** Reshape; one entry may be -1 (inferred). */
    reshape: (x: Value, shape: readonly number[]) =>
      shapeEq(x.shape, shape) ? x : b.op('reshape', [x], { shape }),
    expand: (x: Value, shape: readonly number[]) =>
      shapeEq(x.shape, shape) ? x : b.op('expand', [x], { shape }),
    /** Reduce over `axes` (default: all). */
    reduceSum: (x: Value, axes?: readonly number[], keepdims = false) =>
      b.op('reduce_sum', [x], { ...(axes ? { axes } : {}), keepdims: keepdims ? 1 : 0 }),
    /** Reduce over `axes` (default: all). */
    reduceMean: (x: Value, axes?: readonly number[], keepdims = false) =>
      b.op('reduce_mean', [x], { ...(axes ? { axes } : {}), keepdims: keepdims ? 1 : 0 }),
    /** Σx² over `axes` (default: all), without materializing x². */
    reduceSumSquare: (x: Value, axes?: readonly number[], keepdims = false) =>
      b.op('reduce_sum_square', [x], { ...(axes ? { axes } : {}), keepdims: keepdims ? 1 : 0 }),
    /** Reduce over `axes` (default: all). */
    reduceMax: (x: Value, axes?: readonly number[], keepdims = false) =>
      b.op('reduce_max', [x], { ...(axes ? { axes } : {}), keepdims: keepdims ? 1 : 0 }),
    softmax: (x: Value, axis = -1) => b.op('softmax', [x], { axis }),
    logSoftmax: (x: Value, axis = -1) => b.op('log_softmax', [x], { axis }),
    concat: (xs: readonly Value[], axis: number) => b.op('concat', xs, { axis }),
    /** Step-1 slice along `axes` (default: the leading axes). */
    slice: (
      x: Value,
      starts: readonly number[],
      ends: readonly number[],
      axes?: readonly number[],
    ) => b.op('slice', [x], { starts, ends, axes: axes ?? starts.map((_, i) => i) }),
    /** Zero padding: `pads` = [begin_0, …, begin_n, end_0, …, end_n] (ONNX order). */
    pad: (x: Value, pads: readonly number[]) => b.op('pad', [x], { pads }),
    gather: (data: Value, indices: Value, axis = 0) => b.op('gather', [data, indices], { axis }),
    gatherElements: (data: Value, indices: Value, axis: number) =>
      b.op('gather_elements', [data, indices], { axis }),
    scatterAdd: (data: Value, indices: Value, updates: Value, axis: number) =>
      b.op('scatter_add', [data, indices, updates], { axis }),
    gatherNd: (data: Value, indices: Value) => b.op('gather_nd', [data, indices]),
    scatterNdAdd: (data: Value, indices: Value, updates: Value) =>
      b.op('scatter_nd_add', [data, indices, updates]),
    oneHot: (indices: Value, depth: number, dtype: DType = 'float32') =>
      b.op('one_hot', [indices], { depth, dtype }),

    /**
     * Sum `ct` (the cotangent of a broadcast result) back to `shape`: reduce over leading extra
     * axes and over axes where `shape` has 1, then reshape.
     */
    unbroadcast: (ct: Value, shape: readonly number[]): Value => {
      if (shapeEq(ct.shape, shape)) return ct;
      const lead = ct.shape.length - shape.length;
      const axes: number[] = [];
      for (let i = 0; i < ct.shape.length; i++) {
        if (i < lead) axes.push(i);
        else if (shape[i - lead] === 1 && ct.shape[i] !== 1) axes.push(i);
      }
      // keepdims=0 already yields `shape` when only leading axes are reduced.
      const onlyLead = axes.every((a) => a < lead);
      const r = axes.length ? o.reduceSum(ct, axes, !onlyLead) : ct;
      return o.reshape(r, shape);
    },
  };
  return o;
}

export function shapeEq(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
