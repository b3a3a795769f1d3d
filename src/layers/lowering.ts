/**
 * Shared pieces of layer lowerings (LayerDef.lower): the linear map, inverted dropout,
 * normalization and small shape helpers, all written with `ops(b)` over primitives, so their
 * gradients come from the primitives' VJP rules.
 */
import { ops, type Ops } from '../primitives/ops';
import type { Value } from '../primitives/types';
import { LowerError, type LowerCtx } from './types';

export type { Value };

/** `x·Wᵀ + b` on the last axis (PyTorch `nn.Linear`): W `[out, in]`, b `[out]`. */
export function linear(o: Ops, x: Value, w: Value, b?: Value): Value {
  if (x.shape.length === 2) return o.gemm(x, w, b, { transB: true });
  const inF = x.shape.at(-1)!;
  const flat = o.reshape(x, [-1, inF]);
  const y = o.gemm(flat, w, b, { transB: true });
  return o.reshape(y, [...x.shape.slice(0, -1), w.shape[0]!]);
}

/**
 * Inverted dropout: keep an element when its U[0, 1) sample is ≥ p and scale survivors by
 * 1/(1 − p); the identity at eval time or with p = 0.
 */
export function dropout(ctx: LowerCtx, x: Value, p: number, tag = 'dropout'): Value {
  if (!ctx.training || p <= 0) return x;
  const o = ops(ctx.b);
  const u = ctx.randomUniform(x.shape, tag);
  const keep = o.greater(u, o.scalar(p, u));
  return o.where(keep, o.scale(x, 1 / (1 - p)), o.scalar(0, x));
}

/** `(x − mean)/√(var + eps)` with the biased variance over `axes`; also returns the stats. */
export function normalize(
  o: Ops,
  x: Value,
  axes: readonly number[],
  eps: number,
): { y: Value; mean: Value; variance: Value } {
  const mean = o.reduceMean(x, axes, true);
  const d = o.sub(x, mean);
  const variance = o.reduceMean(o.mul(d, d), axes, true);
  const y = o.div(d, o.sqrt(o.add(variance, o.scalar(eps, x))));
  return { y, mean, variance };
}

/** A per-channel vector `[C]` reshaped to broadcast over `[N, C, ...]` of the given rank. */
export function channelVec(o: Ops, v: Value, rank: number): Value {
  return o.reshape(v, [1, v.shape[0]!, ...Array<number>(Math.max(0, rank - 2)).fill(1)]);
}

/** Axes 0..rank−1 except those listed. */
export function otherAxes(rank: number, except: readonly number[]): number[] {
  return [...Array(rank).keys()].filter((a) => !except.includes(a));
}

/** The parameter `name`, or a LowerError naming the layer when the compiler did not supply it. */
export function need(ctx: LowerCtx, layer: string, name: string): Value {
  const v = ctx.params[name];
  if (!v) throw new LowerError(`${layer}: parameter ${name} was not supplied to the lowering`);
  return v;
}

/** Left-fold a binary op over two or more inputs. */
export function fold(xs: readonly Value[], f: (a: Value, b: Value) => Value): Value {
  return xs.slice(1).reduce(f, xs[0]!);
}

/** Layer-normalize over the trailing `n` axes, then γ, β when given. */
export function layerNorm(
  o: Ops,
  x: Value,
  n: number,
  eps: number,
  gamma?: Value,
  beta?: Value,
): Value {
  const r = x.shape.length;
  const axes = [...Array(n).keys()].map((i) => r - n + i);
  let y = normalize(o, x, axes, eps).y;
  if (gamma) y = o.mul(y, gamma);
  if (beta) y = o.add(y, beta);
  return y;
}

/** Exact GELU (`"none"`) or its tanh approximation. */
export function gelu(o: Ops, x: Value, approximate: string): Value {
  if (approximate !== 'tanh') return o.gelu(x);
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const inner = o.scale(o.add(x, o.scale(o.mul(o.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return o.mul(o.scale(x, 0.5), o.add(o.scalar(1, x), o.tanh(inner)));
}
