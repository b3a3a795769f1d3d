/**
 * Activations kept for the backward pass, per layer and in total: the "saved activations" line of
 * the training-memory estimate (docs/conventions.md §3, decision 0020).
 *
 * Each layer says what autograd keeps of it (`LayerResult.saved`: whole inputs or outputs, and
 * tensors of its own such as masks, statistics and attention probabilities). A value kept by
 * several layers is one tensor in memory, so it is counted once and belongs to the layer that
 * produced it; model inputs are counted as the input, not here. Layers that no gradient reaches
 * (a frozen stem fed by the data) keep nothing. Checked against PyTorch's saved tensors in
 * test/unit/memory.torch.test.ts.
 */
import { Dim, type Shape } from '../core';
import type { CheckedModel, NodeId } from './checked';

/** Bytes per float32 element. */
const F32 = 4;

export interface SavedActivations {
  /** Bytes kept for the backward pass that belong to each layer, symbolic in B and other dims. */
  readonly byNode: ReadonlyMap<NodeId, Dim>;
  /** The sum over every layer. */
  readonly total: Dim;
}

function elements(s: Shape | undefined): Dim {
  return s ? s.reduce((a, d) => a.mul(d), Dim.const(1)) : Dim.const(0);
}

/** Memoized per checked model (immutable): a layer's hover reads its model's figures each time. */
const cache = new WeakMap<CheckedModel, SavedActivations>();

export function savedActivations(model: CheckedModel): SavedActivations {
  let s = cache.get(model);
  if (!s) cache.set(model, (s = compute(model)));
  return s;
}

function compute(model: CheckedModel): SavedActivations {
  const byNode = new Map<NodeId, Dim>();
  const add = (id: NodeId, bytes: Dim): void => {
    byNode.set(id, (byNode.get(id) ?? Dim.const(0)).add(bytes));
  };
  // Does a gradient reach this value? Data inputs: no; a layer's outputs: when it trains
  // parameters of its own or a gradient reaches one of its inputs.
  const needsGrad = new Set<number>();
  const kept = new Set<number>();
  for (const node of model.nodes) {
    const trains = !node.frozen && node.params.some((p) => p.trainable);
    if (!trains && !node.inputs.some((v) => needsGrad.has(v))) continue;
    for (const v of node.outputs) needsGrad.add(v);
    const s = node.saved;
    if (!s) continue;
    for (const i of s.inputs ?? []) {
      const v = node.inputs[i];
      if (v !== undefined) kept.add(v);
    }
    if (s.outputs) for (const v of node.outputs) kept.add(v);
    if (s.extraBytes) add(node.id, s.extraBytes);
  }
  for (const v of kept) {
    const info = model.values[v];
    if (info?.producer === undefined) continue; // a model input
    add(info.producer, elements(info.shape).mul(F32));
  }
  const total = Dim.sum([...byNode.values()]);
  return { byNode, total };
}
