/**
 * Reverse-mode automatic differentiation over the IR.
 *
 * `grad(graph, loss, wrt)` appends the backward pass to `graph` and returns one gradient value
 * per entry of `wrt`. It walks the nodes that lie on a path from some `wrt` value to `loss`, in
 * reverse order, calls each primitive's VJP rule with the cotangents of its outputs, and sums
 * cotangents that reach the same value along several paths (fan-out). Only inputs on such a
 * path get cotangents (`needs`), so no work is built for data inputs, labels or constants.
 * Call `graph.prune()` after choosing outputs to drop forward work nothing reads.
 *
 * Fan-out sums are built when the value's cotangent is first read, from all its contributions
 * at once (see {@link sumCotangents}): a weight shared by many matrix products (a recurrent
 * layer's W_hh, used once per step) gets one large product over the concatenated operands
 * instead of T skinny products and T − 1 full-size additions.
 */
import { getPrimitive, isFloat, ops, type Ops, type Value } from '../primitives';
import { numAttr } from '../primitives/util';
import type { Graph } from './ir';

export interface GradOptions {
  /** Cotangent of `loss` (default: ones, i.e. d loss / d loss = 1). */
  seed?: Value;
}

export function grad(
  g: Graph,
  loss: Value,
  wrt: readonly Value[],
  opts: GradOptions = {},
): Value[] {
  const o = ops(g);
  const nodes = [...g.nodes];

  // Forward reachability from `wrt`, through float values only.
  const fromWrt = new Set<number>(wrt.map((v) => v.id));
  for (const n of nodes)
    if (n.inputs.some((v) => fromWrt.has(v.id)))
      for (const v of n.outputs) if (isFloat(v.dtype)) fromWrt.add(v.id);

  // Backward reachability to `loss`, restricted to the forward set: the active values.
  const active = new Set<number>();
  if (fromWrt.has(loss.id)) active.add(loss.id);
  const activeNodes = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((v) => active.has(v.id))) continue;
    activeNodes.push(n);
    for (const v of n.inputs) if (fromWrt.has(v.id)) active.add(v.id);
  }

  const pending = new Map<number, Value[]>();
  const accumulate = (v: Value, ct: Value) => {
    const list = pending.get(v.id);
    if (list) list.push(ct);
    else pending.set(v.id, [ct]);
  };
  const cotangent = (v: Value): Value | undefined => {
    const list = pending.get(v.id);
    if (!list) return undefined;
    if (list.length > 1) list.splice(0, list.length, sumCotangents(g, o, list));
    return list[0];
  };
  accumulate(loss, opts.seed ?? o.expand(o.scalar(1, loss), loss.shape));

  for (const n of activeNodes) {
    const outCts = n.outputs.map(cotangent);
    if (outCts.every((c) => c === undefined)) continue;
    const def = getPrimitive(n.prim);
    if (!def.vjp) throw new Error(`autodiff: primitive '${n.prim}' is not differentiable`);
    const needs = n.inputs.map((v) => active.has(v.id));
    const inCts = def.vjp({
      b: g,
      inputs: n.inputs,
      outputs: n.outputs,
      attrs: n.attrs,
      cts: outCts,
      needs,
    });
    n.inputs.forEach((v, i) => {
      const ct = inCts[i];
      if (!needs[i] || !ct) return;
      if (ct.shape.length !== v.shape.length || ct.shape.some((d, j) => d !== v.shape[j]))
        throw new Error(
          `autodiff: VJP of '${n.prim}' gave [${ct.shape.join(', ')}] for input ${i} of shape [${v.shape.join(', ')}]`,
        );
      accumulate(v, ct);
    });
  }

  return wrt.map((v) => cotangent(v) ?? o.zeros(v.shape, v.dtype));
}

/** A rank-2 product term of a cotangent sum: op(a)·op(b), contracting `a` on `axA`, `b` on `axB`. */
interface Product {
  readonly term: Value;
  readonly a: Value;
  readonly b: Value;
  readonly axA: number;
  readonly axB: number;
  /** Terms with equal keys are summed by one product. */
  readonly key: string;
  /** The same product form over other operands. */
  build(a: Value, b: Value): Value;
}

/**
 * The sum of the cotangent contributions `terms` (all of one value's shape). Rank-2 products
 * of the same form (`gemm` with equal transA, transB and alpha and no C, or `matmul`) are
 * summed as one product of their operands concatenated along the contracted axes,
 *   Σᵢ op(Aᵢ)·op(Bᵢ) = op([A₁ … Aₙ])·op([B₁ … Bₙ]),
 * and the remaining terms are added. The replaced products lose their only user and are pruned.
 */
function sumCotangents(g: Graph, o: Ops, terms: readonly Value[]): Value {
  const groups = new Map<string, Product[]>();
  const rest: Value[] = [];
  for (const t of terms) {
    const p = productOf(g, o, t);
    if (p) groups.set(p.key, [...(groups.get(p.key) ?? []), p]);
    else rest.push(t);
  }
  const parts: Value[] = [];
  for (const ps of groups.values()) {
    const first = ps[0]!;
    if (ps.length === 1) parts.push(first.term);
    else
      parts.push(
        first.build(
          concatAlong(
            g,
            o,
            ps.map((p) => p.a),
            first.axA,
          ),
          concatAlong(
            g,
            o,
            ps.map((p) => p.b),
            first.axB,
          ),
        ),
      );
  }
  return [...parts, ...rest].reduce((acc, v) => o.add(acc, v));
}

function productOf(g: Graph, o: Ops, t: Value): Product | undefined {
  const n = g.producer(t);
  if (!n || n.inputs.some((v) => v.shape.length !== 2)) return undefined;
  const [a, b] = n.inputs as [Value, Value];
  if (n.prim === 'matmul')
    return { term: t, a, b, axA: 1, axB: 0, key: 'matmul', build: (x, y) => o.matmul(x, y) };
  if (n.prim !== 'gemm' || n.inputs.length !== 2) return undefined;
  const transA = numAttr(n.attrs, 'transA', 0) !== 0;
  const transB = numAttr(n.attrs, 'transB', 0) !== 0;
  const alpha = numAttr(n.attrs, 'alpha', 1);
  return {
    term: t,
    a,
    b,
    axA: transA ? 0 : 1,
    axB: transB ? 1 : 0,
    key: `gemm ${transA} ${transB} ${alpha}`,
    build: (x, y) => o.gemm(x, y, undefined, { transA, transB, alpha }),
  };
}

/**
 * Concatenate rank-2 values along `axis`; when every value is a transpose, concatenate the
 * untransposed values along the other axis and transpose once (the optimizer folds that
 * transpose into a Gemm flag).
 */
function concatAlong(g: Graph, o: Ops, vs: readonly Value[], axis: number): Value {
  const srcs = vs.map((v) => {
    const p = g.producer(v);
    return p?.prim === 'transpose' ? p.inputs[0] : undefined;
  });
  if (srcs.every((s) => s !== undefined)) return o.transpose(o.concat(srcs, 1 - axis), [1, 0]);
  return o.concat(vs, axis);
}
