/**
 * Reverse-mode automatic differentiation over the IR.
 *
 * `grad(graph, loss, wrt)` appends the backward pass to `graph` and returns one gradient value
 * per entry of `wrt`. It walks the nodes that lie on a path from some `wrt` value to `loss`, in
 * reverse order, calls each primitive's VJP rule with the cotangents of its outputs, and sums
 * cotangents that reach the same value along several paths (fan-out). Only inputs on such a
 * path get cotangents (`needs`), so no work is built for data inputs, labels or constants.
 * Call `graph.prune()` after choosing outputs to drop forward work nothing reads.
 */
import { getPrimitive, isFloat, ops, type Value } from '../primitives';
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

  const cts = new Map<number, Value>();
  const accumulate = (v: Value, ct: Value) => {
    const prev = cts.get(v.id);
    cts.set(v.id, prev ? o.add(prev, ct) : ct);
  };
  accumulate(loss, opts.seed ?? o.expand(o.scalar(1, loss), loss.shape));

  for (const n of activeNodes) {
    const outCts = n.outputs.map((v) => cts.get(v.id));
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

  return wrt.map((v) => cts.get(v.id) ?? o.zeros(v.shape, v.dtype));
}
