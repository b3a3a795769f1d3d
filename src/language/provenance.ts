/**
 * Where a value came from, for diagnostics that explain a shape: the shape-changing layers it
 * passed through, where its spatial size last changed, a Flatten's factors, and the residual
 * projection fix for a channel mismatch.
 */
import { Dim, formatShape, type Fix, type RelatedInfo, type Shape, type Span } from '../core';
import type { Pipeline } from './ast';
import type { LayerNode, ValueId, ValueInfo } from './checked';
import type { ModelGraph } from './elabGraph';

/** The `(a, b)` a pipeline's first stage receives, with the values its items produced. */
export interface TupleSource {
  readonly values: readonly ValueId[];
  readonly items: readonly Pipeline[];
}

/**
 * Where the spatial size (the axes after the channel axis) of `v` last changed: the layer that
 * shrank a feature map to, e.g., 1×1 before a pooling window that no longer fits.
 */
export function spatialOrigin(graph: ModelGraph, v: ValueId): RelatedInfo | undefined {
  const spatial = (sh: Shape | undefined) =>
    sh && sh.length >= 3
      ? sh
          .slice(2)
          .map((d) => d.toString())
          .join('×')
      : undefined;
  const want = spatial(graph.values[v]!.shape);
  if (!want) return undefined;
  let cur: ValueId | undefined = v;
  for (let guard = 0; cur !== undefined && guard < 10_000; guard++) {
    const info: ValueInfo = graph.values[cur]!;
    if (info.producer === undefined)
      return {
        file: info.file,
        span: info.span,
        message: `${info.name ?? 'the input'} is already ${want}`,
      };
    const n: LayerNode = graph.nodes[info.producer]!;
    const before = spatial(n.inputs[0] === undefined ? undefined : graph.shapeOf(n.inputs[0]));
    if (before !== undefined && before !== want)
      return {
        file: n.file,
        span: n.span,
        message: `the spatial size becomes ${want} here: ${n.label} maps ${before} to ${want}`,
      };
    cur = n.inputs[0];
  }
  return undefined;
}

/**
 * Where input `k` of the current stage is written, when the stage reads a tuple source:
 * `(x, (h0, c0)) |> LSTM(64)` puts input 2 at `c0` (inner parentheses only group).
 */
export function inputSpan(
  t: TupleSource | undefined,
  k: number | undefined,
  inputs: readonly ValueId[],
): Span | undefined {
  if (k === undefined || !t || t.values.length !== inputs.length) return undefined;
  if (t.values.some((v, i) => v !== inputs[i])) return undefined;
  const spans: Span[] = [];
  const walk = (items: readonly Pipeline[]) => {
    for (const it of items)
      if (it.stages.length === 0 && it.source.kind === 'SourceTuple') walk(it.source.items);
      else spans.push(it.span);
  };
  walk(t.items);
  return spans.length === inputs.length ? spans[k] : undefined;
}

/**
 * A residual `(x, y) |> Add` whose inputs differ only in channels (axis 1): project the item
 * written as a bare name (the skip) with a 1×1 convolution to the other's channel count.
 */
export function projectionFix(
  graph: ModelGraph,
  t: TupleSource | undefined,
  inputs: readonly ValueId[],
): Fix | undefined {
  if (!t || inputs.length !== 2 || t.values.length !== 2 || t.items.length !== 2) return undefined;
  if (t.values[0] !== inputs[0] || t.values[1] !== inputs[1]) return undefined;
  const shapes = inputs.map((v) => graph.shapeOf(v));
  const [a, b] = shapes;
  if (!a || !b || a.length !== b.length || a.length < 3 || a.length > 5) return undefined;
  if (a.some((d, i) => i !== 1 && !d.equals(b[i]!))) return undefined;
  const k = t.items.findIndex((it) => it.stages.length === 0 && it.source.kind === 'Name');
  if (k < 0) return undefined;
  const c = shapes[1 - k]![1]!.value;
  if (c === undefined) return undefined;
  const item = t.items[k]!;
  const conv = `Conv${a.length - 2}d(${c}, 1)`;
  const name = item.source.kind === 'Name' ? item.source.name : 'the skip';
  return {
    title: `Project ${name} to ${c} channels with a 1×1 convolution (${name} |> ${conv})`,
    edits: [{ span: { start: item.span.end, end: item.span.end }, newText: ` |> ${conv}` }],
    preferred: true,
  };
}

/** Where a value came from: the producing stages, nearest first, each with its shapes. */
export function provenance(graph: ModelGraph, v: ValueId, depth: number): RelatedInfo[] {
  return producers(graph, v, depth).map(({ node: n, value, shape, inputs: ins, factors }) =>
    n
      ? {
          file: n.file,
          span: n.span,
          message: `${n.label}: ${ins.map((s) => formatShape(s)).join(', ')} → ${shape ? formatShape(shape) : '?'}${factors ? ` (${factors})` : ''}`,
        }
      : {
          file: graph.values[value]!.file,
          span: graph.values[value]!.span,
          message: `${graph.values[value]!.name ?? 'input'} is ${shape ? formatShape(shape) : '?'} here`,
        },
  );
}

/**
 * The shape-changing layers a value came through, nearest first. Shape-preserving layers
 * (activations, normalization, dropout) are skipped: they do not explain a size.
 */
function producers(
  graph: ModelGraph,
  v: ValueId,
  depth: number,
): { node?: LayerNode; value: ValueId; shape?: Shape; inputs: Shape[]; factors?: string }[] {
  const out: {
    node?: LayerNode;
    value: ValueId;
    shape?: Shape;
    inputs: Shape[];
    factors?: string;
  }[] = [];
  let cur: ValueId | undefined = v;
  let guard = 0;
  while (out.length < depth && cur !== undefined && guard++ < 10_000) {
    const info: ValueInfo = graph.values[cur]!;
    if (info.producer === undefined) {
      if (info.shape) out.push({ value: cur, shape: info.shape, inputs: [] });
      break;
    }
    const n: LayerNode = graph.nodes[info.producer]!;
    const ins = n.inputs.map((x) => graph.shapeOf(x)).filter((s) => s !== undefined);
    const preserving =
      ins.length === 1 && info.shape && formatShape(ins[0]!) === formatShape(info.shape);
    if (!preserving) {
      let factors: string | undefined;
      if (n.def.name === 'Flatten' && ins[0] && info.shape && ins[0].length > 2)
        factors = flattenFactors(info.shape[info.shape.length - 1]!, ins[0].slice(1));
      out.push({ node: n, value: cur, shape: info.shape, inputs: ins, factors });
    }
    cur = n.inputs[0];
  }
  return out;
}

/** "256 = 16·4·4 after Conv2d(16, 5) → MaxPool2d(2) → Flatten", when a Flatten explains a size. */
export function sizeOrigin(graph: ModelGraph, v: ValueId): string | undefined {
  const chain = producers(graph, v, 4);
  const flat = chain.findIndex((p) => p.factors);
  if (flat < 0) return undefined;
  const path = chain
    .slice(flat, flat + 3)
    .reverse()
    .map((p) => p.node?.label)
    .filter(Boolean);
  return `${chain[flat]!.factors} after ${path.join(' → ')}`;
}

/**
 * `256 = 16·4·4`, or `-16*H + 8*H*W - 16*W + 32 = 8·(H - 2)·(W - 2)` for symbolic sizes: the
 * flattened size and the factors it is the product of, a factor of several terms in parentheses.
 * Undefined unless the product of the factors is the size (a Flatten of only some axes).
 */
export function flattenFactors(size: Dim, factors: readonly Dim[]): string | undefined {
  const product = factors.reduce((a, d) => a.mul(d), Dim.const(1));
  if (!product.equals(size)) return undefined;
  const text = factors.map((d) => (d.termCount() > 1 ? `(${d.toString()})` : d.toString()));
  return `${size.toString()} = ${text.join('·')}`;
}
