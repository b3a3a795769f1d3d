/**
 * An ONNX graph (src/interop/onnx/graph.ts) as the graph view's data, for the read-only ONNX
 * editor: one node per ONNX node (op type, name, parameters, MACs), edges labelled with the
 * inferred shapes (symbolic dims kept), and collapsible groups from the node-name scopes
 * (`/layer1/layer1.0/conv1/Conv` → layer1 › layer1.0 › conv1). Shape plumbing (Shape, Gather,
 * Unsqueeze, Concat … over small integer tensors, and constants) is drawn as one node per value a
 * real node reads, labelled with the value (`[1, B, 64]`) and how many ONNX nodes computed it.
 * Pure: no vscode, no Node APIs.
 */
import { formatShape, type Dim } from '../core';
import type { OnnxGraph, OnnxNode, OnnxValue } from '../interop/onnx/graph';
import type {
  GraphData,
  GraphEdge,
  GraphGroup,
  GraphNode,
  ParamBadge,
  SourceRef,
} from '../../webview/protocol';
import { compactCost, compactNumber } from './graphData';

const CATEGORIES: Readonly<Record<string, string>> = {
  Conv: 'conv',
  ConvTranspose: 'conv',
  Gemm: 'dense',
  MatMul: 'dense',
  BatchNormalization: 'norm',
  LayerNormalization: 'norm',
  InstanceNormalization: 'norm',
  GroupNormalization: 'norm',
  Relu: 'activation',
  LeakyRelu: 'activation',
  Sigmoid: 'activation',
  Tanh: 'activation',
  Gelu: 'activation',
  Erf: 'activation',
  Softmax: 'activation',
  LogSoftmax: 'activation',
  Clip: 'activation',
  Elu: 'activation',
  HardSigmoid: 'activation',
  HardSwish: 'activation',
  MaxPool: 'pool',
  AveragePool: 'pool',
  GlobalAveragePool: 'pool',
  GlobalMaxPool: 'pool',
  LSTM: 'recurrent',
  GRU: 'recurrent',
  RNN: 'recurrent',
  Gather: 'embedding',
  Add: 'merge',
  Sum: 'merge',
  Concat: 'merge',
  Mul: 'merge',
  Dropout: 'regularization',
  Reshape: 'shape',
  Flatten: 'shape',
  Transpose: 'shape',
  Squeeze: 'shape',
  Unsqueeze: 'shape',
  Shape: 'shape',
  Slice: 'shape',
  Split: 'shape',
};

export interface OnnxGraphOptions {
  /** Absolute POSIX path of the .onnx file (node sources point at it). */
  readonly file: string;
}

function badge(trainable: number, buffers: number): ParamBadge {
  return { trainable, nonTrainable: buffers, text: compactNumber(trainable + buffers) };
}

function shapeLabel(v: OnnxValue | undefined): string {
  return v?.shape ? formatShape(v.shape) : '?';
}

/** `/layer1/layer1.0/conv1` scopes: torch repeats the parent in the child (`layer1.0`), shown as `0`. */
function scopeLabel(parent: readonly string[], part: string): string {
  const prev = parent[parent.length - 1];
  return prev !== undefined && part.startsWith(`${prev}.`) ? part.slice(prev.length + 1) : part;
}

/** The graph view's data for an ONNX graph: every node, its value edges and its scope groups. */
export function onnxGraphData(g: OnnxGraph, opts: OnnxGraphOptions): GraphData {
  const source: SourceRef = {
    file: opts.file,
    span: { start: 0, end: 0 },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
  };
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const groups = new Map<
    string,
    {
      id: string;
      label: string;
      parent?: string;
      trainable: number;
      buffers: number;
      macs?: Dim;
      nodeCount: number;
    }
  >();

  // Where each value comes from: an ONNX node's output port, or a graph input.
  const producers = new Map<string, { id: string; port: number }>();
  g.inputs.forEach((v, i) => {
    if (v.initializer) return;
    const id = `input#${i}`;
    producers.set(v.name, { id, port: 0 });
    nodes.push({
      id,
      kind: 'input',
      type: 'Input',
      category: 'io',
      label: `${v.name}: ${shapeLabel(v)}`,
      attrs: '',
      source,
      inPorts: 0,
      outPorts: 1,
    });
  });

  // A scope holding a single node (`/conv1/Conv`) is that node, not a group.
  const plumbing = plumbingNodes(g);
  const scopeSizes = new Map<string, number>();
  for (const n of g.nodes)
    for (let k = 1; k <= n.scope.length && !plumbing.has(n.index); k++) {
      const key = n.scope.slice(0, k).join('/');
      scopeSizes.set(key, (scopeSizes.get(key) ?? 0) + 1);
    }
  const groupOf = (scope: readonly string[]): string | undefined => {
    let parent: string | undefined;
    for (let k = 0; k < scope.length; k++) {
      const key = scope.slice(0, k + 1).join('/');
      if ((scopeSizes.get(key) ?? 0) < 2) break;
      const id = `scope:${key}`;
      if (!groups.has(id)) {
        groups.set(id, {
          id,
          label: scopeLabel(scope.slice(0, k), scope[k]!),
          ...(parent !== undefined ? { parent } : {}),
          trainable: 0,
          buffers: 0,
          nodeCount: 0,
        });
      }
      parent = id;
    }
    return parent;
  };

  const nodeId = (n: OnnxNode): string => `node#${n.index}`;
  for (const n of g.nodes) {
    const id = nodeId(n);
    n.outputs.forEach((o, port) => producers.set(o, { id, port }));
  }
  // One node per plumbing value that a drawn node reads: the value and how it was computed.
  const collapsed = new Map<string, { id: string; port: number }>();
  const plumbingValue = (name: string): { id: string; port: number } => {
    const hit = collapsed.get(name);
    if (hit) return hit;
    const id = `shape#${collapsed.size}`;
    const v = g.values.get(name);
    const ops = plumbingClosure(g, name, plumbing);
    const count = ops.length;
    const kinds = [...new Set(ops.map((k) => g.nodes[k]!.opType))].join(', ');
    const consumer = g.nodes.find((c) => !plumbing.has(c.index) && c.inputs.includes(name));
    const group = consumer ? groupOf(consumer.scope) : undefined;
    nodes.push({
      id,
      kind: 'layer',
      type: count === 1 ? g.nodes[ops[0]!]!.opType : 'Shape ops',
      category: 'shape',
      label: valueText(v) ?? name,
      attrs: count === 1 ? '' : `${count} ops: ${kinds}`,
      source,
      ...(group !== undefined ? { group } : {}),
      inPorts: 1,
      outPorts: 1,
    });
    const out = { id, port: 0 };
    collapsed.set(name, out);
    return out;
  };
  for (const n of g.nodes) {
    if (plumbing.has(n.index)) continue;
    const id = nodeId(n);
    const group = groupOf(n.scope);
    for (let gid = group; gid !== undefined; gid = groups.get(gid)?.parent) {
      const gr = groups.get(gid)!;
      gr.trainable += n.trainable;
      gr.buffers += n.buffers;
      gr.macs = gr.macs ? gr.macs.add(n.macs) : n.macs;
      gr.nodeCount++;
    }
    const data = n.inputs.filter((i) => i !== '' && producers.has(i));
    const macsText = compactCost(n.macs);
    nodes.push({
      id,
      kind: 'layer',
      type: n.opType,
      category: CATEGORIES[n.opType] ?? (n.opaque ? 'opaque' : 'tensor'),
      label: n.name,
      attrs: n.layer ? n.layer.layer : '',
      ...(n.params > 0 ? { params: badge(n.trainable, n.buffers) } : {}),
      ...(macsText !== '0' ? { macs: macsText } : {}),
      source,
      ...(group !== undefined ? { group } : {}),
      ...(n.opaque
        ? { warning: `No shape rule for ${n.opType}: shapes after it are unknown.` }
        : {}),
      inPorts: Math.max(1, data.length),
      outPorts: Math.max(1, n.outputs.length),
    });
    data.forEach((input, port) => {
      const p = g.values.get(input)?.producer;
      const from =
        p !== undefined && plumbing.has(p) ? plumbingValue(input) : producers.get(input)!;
      edges.push({
        id: `${from.id}:${from.port}->${id}:${port}`,
        source: from.id,
        sourcePort: from.port,
        target: id,
        targetPort: port,
        label: shapeLabel(g.values.get(input)),
        name: input,
      });
    });
  }
  g.outputs.forEach((v, i) => {
    const id = `output#${i}`;
    nodes.push({
      id,
      kind: 'output',
      type: 'Output',
      category: 'io',
      label: `${v.name}: ${shapeLabel(g.values.get(v.name) ?? v)}`,
      attrs: '',
      source,
      inPorts: 1,
      outPorts: 0,
    });
    const p = g.values.get(v.name)?.producer;
    const from = p !== undefined && plumbing.has(p) ? plumbingValue(v.name) : producers.get(v.name);
    if (from)
      edges.push({
        id: `${from.id}:${from.port}->${id}:0`,
        source: from.id,
        sourcePort: from.port,
        target: id,
        targetPort: 0,
        label: shapeLabel(g.values.get(v.name) ?? v),
        name: v.name,
      });
  });

  const graphGroups: GraphGroup[] = [...groups.values()].map((gr) => ({
    id: gr.id,
    kind: 'block',
    label: gr.label,
    collapsedLabel: `${gr.label} (${gr.nodeCount})`,
    ...(gr.parent !== undefined ? { parent: gr.parent } : {}),
    params: badge(gr.trainable, gr.buffers),
    ...(gr.macs ? { macs: compactCost(gr.macs) } : {}),
    nodeCount: gr.nodeCount,
    source,
  }));
  return {
    model: g.name || 'onnx',
    nodes,
    edges,
    groups: graphGroups,
    totals: {
      params: badge(g.totals.trainable, g.totals.buffers),
      macs: compactCost(g.totals.macs),
    },
    costUnit: 'MACs',
  };
}

/**
 * Shape plumbing: nodes without parameters whose outputs are all small integer tensors the reader
 * evaluated symbolically (`data`: shapes, indices, axes) or small float constants, and whose inputs
 * are graph inputs only through `Shape` (the shape of a tensor, not its values).
 */
function plumbingNodes(g: OnnxGraph): Set<number> {
  const out = new Set<number>();
  for (const n of g.nodes) {
    if (n.params > 0 || n.outputs.length === 0) continue;
    const small = n.outputs.every((o) => {
      const v = g.values.get(o);
      return v !== undefined && (v.data !== undefined || v.floats !== undefined);
    });
    if (!small) continue;
    // Every input is itself plumbing, an initializer, or (for Shape) any tensor.
    const fed = n.inputs.every((i) => {
      if (i === '') return true;
      const v = g.values.get(i);
      if (!v) return false;
      if (n.opType === 'Shape' || v.initializer) return true;
      return v.producer !== undefined && out.has(v.producer);
    });
    if (fed) out.add(n.index);
  }
  return out;
}

/** The plumbing nodes that computed `value` (itself included), in graph order. */
function plumbingClosure(g: OnnxGraph, value: string, plumbing: ReadonlySet<number>): number[] {
  const seen = new Set<number>();
  const stack = [value];
  while (stack.length) {
    const p = g.values.get(stack.pop()!)?.producer;
    if (p === undefined || !plumbing.has(p) || seen.has(p)) continue;
    seen.add(p);
    for (const i of g.nodes[p]!.inputs) if (i !== '') stack.push(i);
  }
  return [...seen].sort((a, b) => a - b);
}

/** `[1, B, 64]` for a small integer tensor, `0.125` / `[0.5, 2]` for float constants. */
function valueText(v: OnnxValue | undefined): string | undefined {
  if (v?.data) return v.shape?.length === 0 ? v.data[0]!.toString() : formatShape(v.data);
  if (v?.floats) return v.floats.length === 1 ? String(v.floats[0]) : `[${v.floats.join(', ')}]`;
  return undefined;
}
