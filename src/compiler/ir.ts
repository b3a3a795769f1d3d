/**
 * A small SSA graph IR over the primitives of `src/primitives`.
 *
 * Values have a concrete shape and a dtype; nodes apply a primitive to values with attributes
 * and define one or more new values. The graph is built in topological order by construction
 * (`op` appends), which autodiff and the ONNX exporter rely on.
 *
 * ```ts
 * const g = new Graph();
 * const x = g.input('x', [8, 4]);
 * const w = g.input('w', [4, 3]);
 * const y = g.op('matmul', [x, w]);   // runs matmul's shape rule: y.shape = [8, 3]
 * g.output('y', y);
 * ```
 */
import {
  getPrimitive,
  type PrimAttrs,
  type PrimName,
  type Builder,
  type DType,
  type TensorType,
  type Value,
} from '../primitives';

export type { PrimAttrs, DType, TensorType, Value };

export interface Node {
  readonly id: number;
  readonly prim: PrimName;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: PrimAttrs;
}

export interface GraphInput {
  readonly name: string;
  readonly value: Value;
}

export interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

export class Graph implements Builder {
  nodes: Node[] = [];
  readonly inputs: GraphInput[] = [];
  readonly outputs: GraphOutput[] = [];
  private nextValue = 0;
  private nextNode = 0;
  private readonly producers = new Map<number, Node>();

  /** Declare a graph input. */
  input(name: string, shape: readonly number[], dtype: DType = 'float32'): Value {
    if (this.inputs.some((i) => i.name === name)) throw new Error(`duplicate input '${name}'`);
    const v = this.newValue({ shape, dtype });
    this.inputs.push({ name, value: v });
    return v;
  }

  /** Mark a value as a named graph output. */
  output(name: string, value: Value): void {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`duplicate output '${name}'`);
    this.outputs.push({ name, value });
  }

  op(prim: PrimName, inputs: readonly Value[], attrs: PrimAttrs = {}): Value {
    const outs = this.opMulti(prim, inputs, attrs);
    if (outs.length !== 1) throw new Error(`${prim} has ${outs.length} outputs; use opMulti`);
    return outs[0]!;
  }

  opMulti(prim: PrimName, inputs: readonly Value[], attrs: PrimAttrs = {}): Value[] {
    const def = getPrimitive(prim);
    let types: TensorType[];
    try {
      types = def.infer(inputs, attrs);
    } catch (e) {
      const shapes = inputs.map((v) => `[${v.shape.join(', ')}]:${v.dtype}`).join(', ');
      const msg = (e as Error).message.replace(new RegExp(`^${prim}: `), '');
      throw new Error(`${prim}(${shapes}): ${msg}`);
    }
    const outputs = types.map((t) => this.newValue(t));
    const node: Node = { id: this.nextNode++, prim, inputs: [...inputs], outputs, attrs };
    for (const v of outputs) this.producers.set(v.id, node);
    this.nodes.push(node);
    return outputs;
  }

  constant(data: readonly number[], shape: readonly number[], dtype: DType): Value {
    return this.op('constant', [], { value: [...data], shape: [...shape], dtype });
  }

  /** The node defining `v`, or undefined for graph inputs. */
  producer(v: Value): Node | undefined {
    return this.producers.get(v.id);
  }

  /** For each value id, the nodes that read it. */
  users(): Map<number, Node[]> {
    const m = new Map<number, Node[]>();
    for (const n of this.nodes)
      for (const v of n.inputs) {
        const l = m.get(v.id);
        if (l) l.push(n);
        else m.set(v.id, [n]);
      }
    return m;
  }

  /** Remove nodes that no graph output depends on. Returns the number removed. */
  prune(): number {
    const live = new Set<number>(this.outputs.map((o) => o.value.id));
    const keep: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (n.outputs.some((v) => live.has(v.id))) {
        keep.push(n);
        for (const v of n.inputs) live.add(v.id);
      } else for (const v of n.outputs) this.producers.delete(v.id);
    }
    const removed = this.nodes.length - keep.length;
    this.nodes = keep.reverse();
    return removed;
  }

  /** A compact text form, one node per line, for debugging and tests. */
  toString(): string {
    const name = (v: Value) => {
      const i = this.inputs.find((x) => x.value.id === v.id);
      return i ? i.name : `%${v.id}`;
    };
    const lines = this.inputs.map(
      (i) => `input ${i.name}: [${i.value.shape.join(', ')}] ${i.value.dtype}`,
    );
    for (const n of this.nodes) {
      const attrs = Object.entries(n.attrs)
        .filter(([k]) => k !== 'value')
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      lines.push(
        `${n.outputs.map((v) => `%${v.id}[${v.shape.join(',')}]`).join(', ')} = ${n.prim}(${n.inputs.map(name).join(', ')})${attrs ? ' ' + attrs : ''}`,
      );
    }
    for (const o of this.outputs) lines.push(`output ${o.name} = ${name(o.value)}`);
    return lines.join('\n');
  }

  private newValue(t: TensorType): Value {
    return { id: this.nextValue++, shape: [...t.shape], dtype: t.dtype };
  }
}
