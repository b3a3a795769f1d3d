/**
 * Export an IR graph to an ONNX model (opset 17, IR version 8) built with onnx-proto.
 *
 * Graph inputs and outputs keep their names; intermediate values are named `v<id>`. Constants
 * that emitters request through the context (axes, shapes, pads, scalars) become initializers,
 * shared by value. A graph output that is also an input, or that names the same value twice,
 * goes through an Identity node.
 */
import { onnx } from 'onnx-proto';
import { getPrimitive, type DType, type EmitContext, type TensorType } from '../primitives';
import { ONNX_DTYPE, tensorProto } from '../primitives/util';
import type { Graph } from './ir';

export const OPSET = 17;
export const IR_VERSION = 8;

export interface ExportOptions {
  name?: string;
  /** Extra initializers: name → values (shape and dtype must match the input of that name). */
  initializers?: Record<string, readonly number[]>;
}

function valueInfo(name: string, t: TensorType): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[t.dtype],
        shape: { dim: t.shape.map((d) => ({ dimValue: d })) },
      },
    },
  };
}

export function toModel(g: Graph, opts: ExportOptions = {}): onnx.ModelProto {
  const names = new Map<number, string>();
  const used = new Set<string>();
  const claim = (n: string) => {
    if (used.has(n)) throw new Error(`onnx export: name '${n}' used twice`);
    used.add(n);
    return n;
  };
  for (const i of g.inputs) names.set(i.value.id, claim(i.name));

  const nodes: onnx.INodeProto[] = [];
  const outputNodes: onnx.INodeProto[] = [];
  // Name each output's value after the output, unless it already has a name (then alias).
  for (const out of g.outputs) {
    const existing = names.get(out.value.id);
    if (existing === undefined) names.set(out.value.id, claim(out.name));
    else outputNodes.push({ opType: 'Identity', input: [existing], output: [claim(out.name)] });
  }

  let counter = 0;
  const initializers: onnx.ITensorProto[] = [];
  const constCache = new Map<string, string>();
  const constant = (values: readonly number[], shape: readonly number[], dtype: DType) => {
    const key = `${dtype}|${shape.join(',')}|${values.join(',')}`;
    const hit = constCache.get(key);
    if (hit) return hit;
    const name = claim(`c${constCache.size}_${dtype}`);
    initializers.push(tensorProto(values, shape, dtype, name));
    constCache.set(key, name);
    return name;
  };
  const ctx: EmitContext = {
    fresh: (hint) => claim(`${hint}_${counter++}`),
    int64: (values, shape) => constant(values, shape ?? [values.length], 'int64'),
    float: (values, shape, dtype) => constant(values, shape, dtype),
  };
  const nameOf = (id: number) => {
    let n = names.get(id);
    if (n === undefined) names.set(id, (n = claim(`v${id}`)));
    return n;
  };

  for (const n of g.nodes) {
    const def = getPrimitive(n.prim);
    const emitted = def.emit(ctx, {
      inputs: n.inputs.map((v) => nameOf(v.id)),
      outputs: n.outputs.map((v) => nameOf(v.id)),
      inTypes: n.inputs,
      outTypes: n.outputs,
      attrs: n.attrs,
    });
    emitted.forEach((e, i) => {
      e.name = `${n.prim}_${n.id}${emitted.length > 1 ? `_${i}` : ''}`;
      nodes.push(e);
    });
  }
  nodes.push(...outputNodes);

  for (const [name, values] of Object.entries(opts.initializers ?? {})) {
    const inp = g.inputs.find((i) => i.name === name);
    if (!inp) throw new Error(`onnx export: initializer '${name}' is not an input`);
    initializers.push(tensorProto(values, inp.value.shape, inp.value.dtype, name));
  }

  const graph: onnx.IGraphProto = {
    name: opts.name ?? 'dlm',
    node: nodes,
    initializer: initializers,
    input: g.inputs.map((i) => valueInfo(i.name, i.value)),
    output: g.outputs.map((o) => valueInfo(o.name, o.value)),
  };
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'dlm-studio',
    graph,
  });
}

/** Serialize an IR graph to ONNX protobuf bytes. */
export function serialize(g: Graph, opts: ExportOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(toModel(g, opts)).finish();
}

/** The op types of a model's nodes, in order (for tests and the benchmark report). */
export function opTypes(model: Uint8Array | onnx.IModelProto): string[] {
  const m = model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;
  return (m.graph?.node ?? []).map((n) => n.opType ?? '');
}

/** Count op types, e.g. `{ Gemm: 6, Relu: 2 }`. */
export function opHistogram(model: Uint8Array | onnx.IModelProto): Record<string, number> {
  const h: Record<string, number> = {};
  for (const t of opTypes(model)) h[t] = (h[t] ?? 0) + 1;
  return h;
}
