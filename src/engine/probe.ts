/**
 * Probe graphs: the model's forward pass in eval mode (dropout off, BatchNorm on its running
 * statistics, as in the eval graph) that returns the outputs of chosen hidden layers instead of
 * the loss. The dashboard extras use them for the fraction of dead ReLUs (src/engine/extras.ts
 * `deadRelus`) and for per-neuron maps over the decision-boundary grid.
 *
 *     (x, params…) → (probe:<layer>…)
 *
 * Built here, in the engine, from the compiler's public pieces (lowerModel, nodePrefixes,
 * fuseGemm, serialize): the model is lowered with its `outputs` replaced by the probed layers'
 * output values, so the compiler needs no change. Layers are named by their node prefix, the
 * prefix of their parameter names (`dense0`, `relu1`, `basicblock0.relu0`; see
 * src/compiler/forward.ts), with `#k` added when a shared layer is used more than once.
 *
 * A layer's units: the features of a vector output ([B, F]); for larger outputs, the channels
 * (axis 1) when the activation comes after a convolution, pooling or batch/instance norm
 * (channels-first), else the last axis (a Dense applied over a sequence). A ReLU unit is dead when
 * it outputs exactly 0 for every probe sample, at every position of its channel.
 */
import type { CheckedModel, LayerNode, ModelIO } from '../language/checked';
import { concreteShape, lowerModel, nodePrefixes } from '../compiler/forward';
import { Graph, type Value } from '../compiler/ir';
import { serialize } from '../compiler/onnx';
import { fuseGemm } from '../compiler/optimize';
import type { DashNeuronLayer } from '../../webview/protocol';

export interface ProbeLayer extends DashNeuronLayer {
  /** The catalog layer (`ReLU`, `Dense`). */
  readonly kind: string;
  /** Per-sample output shape (no batch axis). */
  readonly sampleShape: readonly number[];
  /** The axis of `sampleShape` that indexes units. */
  readonly unitAxis: number;
  /** A ReLU: its dead units are counted. */
  readonly relu: boolean;
  /** An activation layer (the default for neuron maps). */
  readonly activation: boolean;
  /** The graph output that holds it: `probe:<name>`. */
  readonly output: string;
}

export interface ProbeSource {
  readonly layers: readonly ProbeLayer[];
  /** The probe graph at `batch` returning the named layers (default: all). */
  graph(batch: number, layers?: readonly string[]): Uint8Array;
}

/** Categories whose [C, …] outputs are channels-first feature maps. */
const CHANNELS_FIRST = new Set(['conv', 'pool']);
const PASS_THROUGH = new Set(['activation', 'regularization', 'merge']);

function unitAxis(model: CheckedModel, n: LayerNode, rank: number): number {
  if (rank <= 1) return 0;
  // walk back through activations, dropout and merges to the layer that made the features
  let cur: LayerNode | undefined = n;
  for (let hops = 0; cur && hops < 64; hops++) {
    const cat = cur.def.category;
    if (CHANNELS_FIRST.has(cat)) return 0;
    if (cat === 'norm') return /^(BatchNorm|InstanceNorm)/.test(cur.def.name) ? 0 : rank - 1;
    if (cur !== n && !PASS_THROUGH.has(cat)) return rank - 1;
    const v: number | undefined = cur.inputs[0];
    const producer: number | undefined = v === undefined ? undefined : model.values[v]?.producer;
    cur = producer === undefined ? undefined : model.nodes[producer];
  }
  return rank - 1;
}

/** `ReLU after Dense(16)` for activations, else the node's label. */
function labelOf(model: CheckedModel, n: LayerNode): string {
  const base = n.label.replace(/^[A-Za-z_]\w*:\s*/, '');
  if (n.def.category !== 'activation') return base;
  const v = n.inputs[0];
  const p = v === undefined ? undefined : model.values[v]?.producer;
  const before = p === undefined ? undefined : model.nodes[p];
  return before ? `${base} after ${before.label.replace(/^[A-Za-z_]\w*:\s*/, '')}` : base;
}

/**
 * The probe source of a model, or undefined when no layer can be probed. `bind(batch)` gives the
 * values of the signature's symbolic dims for a batch size (the compiler's `bindDims`); graphs have
 * a static batch axis and are built (and cached) per batch size and layer set.
 */
export function probeSource(
  model: CheckedModel,
  bind: (batch: number) => Readonly<Record<string, number>>,
  /** Several named inputs: the packed batch input and its unpacking, as the step graph has. */
  unpack?: (g: Graph, batch: number) => ReadonlyMap<string, Value> | undefined,
): ProbeSource | undefined {
  const prefixes = nodePrefixes(model);
  const dims1 = bind(1);
  const modelOutputs = new Set(model.outputs.map((o) => o.value));
  const seen = new Map<string, number>();
  const layers: (ProbeLayer & { value: number })[] = [];
  for (const n of model.nodes) {
    if (n.outputs.length !== 1) continue;
    const value = n.outputs[0]!;
    // the model's own outputs are not hidden layers
    if (modelOutputs.has(value)) continue;
    const shape = model.values[value]?.shape;
    if (!shape) continue;
    let concrete: number[];
    try {
      concrete = concreteShape(shape, dims1, n.label);
    } catch {
      continue;
    }
    const sampleShape = concrete.slice(1);
    if (sampleShape.length === 0) continue;
    let name = prefixes[n.id]!;
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    if (k > 0) name = `${name}#${k}`;
    const axis = unitAxis(model, n, sampleShape.length);
    layers.push({
      name,
      label: labelOf(model, n),
      units: sampleShape[axis]!,
      kind: n.def.name,
      sampleShape,
      unitAxis: axis,
      relu: n.def.name === 'ReLU',
      activation: n.def.category === 'activation',
      output: `probe:${name}`,
      value,
    });
  }
  if (!layers.length) return undefined;
  const cache = new Map<string, Uint8Array>();
  return {
    layers: layers.map(({ value: _value, ...l }) => l),
    graph(batch, names) {
      const chosen = names ? layers.filter((l) => names.includes(l.name)) : layers;
      if (!chosen.length) throw new Error(`no probe layer among ${(names ?? []).join(', ')}`);
      const key = `${batch}|${chosen.map((l) => l.name).join(',')}`;
      let bytes = cache.get(key);
      if (!bytes) {
        const outputs: ModelIO[] = chosen.map((l) => ({
          name: l.output,
          value: l.value,
          span: model.span,
        }));
        const g = new Graph();
        const inputValues = unpack?.(g, batch);
        const fw = lowerModel(
          { ...model, outputs },
          { training: false, dims: bind(batch), ...(inputValues ? { inputValues } : {}) },
          g,
        );
        fw.outputs.forEach((o) => g.output(o.name, o.value));
        g.prune();
        bytes = serialize(fuseGemm(g), { name: `${model.name}_probe` });
        cache.set(key, bytes);
      }
      return bytes;
    },
  };
}
