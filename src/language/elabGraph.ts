/**
 * The layer graph of the model being elaborated: values, layer nodes, block groups, the receptive
 * field per value and the log of stage shapes, with the operations that grow it. Block templates
 * (clean instantiations kept for identical calls) are cut from it and cloned into it here.
 */
import { Dim, type Shape, type Span } from '../core';
import type { LayerDef, LayerResult } from '../layers/types';
import type { ResolvedArgs } from './args';
import type { LayerStage } from './ast';
import type {
  CheckedModel,
  Group,
  GroupId,
  LayerNode,
  NodeId,
  TiedParam,
  ValueId,
  ValueInfo,
} from './checked';

const ZERO_DIM = Dim.const(0);

/** One recorded stage: where, and its output shapes (undefined where unknown). */
export interface StageEntry {
  readonly file: string;
  readonly span: Span;
  readonly shapes: readonly (Shape | undefined)[];
}

/** A clean block instantiation, kept so identical calls clone it instead of re-elaborating. */
export interface BlockTemplate {
  readonly n0: number;
  readonly v0: number;
  readonly g0: number;
  readonly nodes: readonly LayerNode[];
  readonly values: readonly ValueInfo[];
  readonly groups: readonly Group[];
  readonly inputs: readonly ValueId[];
  readonly outs: readonly ValueId[];
  readonly stages: readonly StageEntry[];
  readonly rf: readonly [
    ValueId,
    { readonly size: readonly number[]; readonly jump: readonly number[] },
  ][];
}

export interface ReceptiveField {
  readonly size: readonly number[];
  readonly jump: readonly number[];
}

/** Where a block is called: its group's parent, the call's file and span, and a frozen use. */
export interface CallSite {
  readonly group: GroupId | undefined;
  readonly file: string;
  readonly span: Span;
  readonly frozen: boolean;
}

/** Where the graph stood before a block call, so its instantiation can become a template. */
export interface GraphMark {
  readonly n0: number;
  readonly v0: number;
  readonly g0: number;
  readonly log0: number;
}

export class ModelGraph {
  readonly nodes: LayerNode[] = [];
  readonly values: ValueInfo[] = [];
  readonly groups: Group[] = [];
  /** Receptive field per value id (dense ids, so an array). */
  readonly rf: (ReceptiveField | undefined)[] = [];
  /** recordStage calls of the current model, so a block template can replay its inner stages. */
  stageLog: StageEntry[] = [];

  newValue(
    shape: Shape | undefined,
    file: string,
    span: Span,
    producer?: NodeId,
    name?: string,
    dtype?: { type?: 'int' | 'float'; span?: Span },
  ): ValueId {
    const id = this.values.length;
    this.values.push({
      id,
      shape,
      producer,
      name,
      file,
      span,
      ...(dtype?.type ? { dtype: dtype.type } : {}),
      ...(dtype?.span ? { dtypeSpan: dtype.span } : {}),
    });
    return id;
  }

  shapeOf(v: ValueId): Shape | undefined {
    return this.values[v]!.shape;
  }

  /** Remember a stage's output shapes; program.ts aggregates them across models and uses. */
  recordStage(file: string, node: { span: Span }, shapes: readonly (Shape | undefined)[]): void {
    this.stageLog.push({ file, span: node.span, shapes });
  }

  pushNode(
    id: NodeId,
    def: LayerDef,
    label: string,
    st: LayerStage,
    resolved: ResolvedArgs,
    inputs: ValueId[],
    outputs: ValueId[],
    group: GroupId | undefined,
    result: LayerResult | undefined,
    extra?: {
      error?: string;
      sharedKey?: string;
      sharedRepeat?: boolean;
      rf?: LayerNode['rf'];
      frozen?: boolean;
      binding?: string;
      tied?: readonly TiedParam[];
    },
  ): void {
    this.nodes.push({
      id,
      def,
      label,
      file: this.values[outputs[0]!]!.file,
      span: st.span,
      nameSpan: st.callee.span,
      attrs: resolved.values,
      inputs,
      outputs,
      params: result?.params ?? [],
      macs: result?.macs ?? ZERO_DIM,
      saved: result?.saved,
      receptive: result?.receptive,
      notes: result?.notes,
      group,
      error: extra?.error,
      sharedKey: extra?.sharedKey,
      sharedRepeat: extra?.sharedRepeat,
      rf: extra?.rf,
      frozen: extra?.frozen === true,
      binding: extra?.binding,
      tied: extra?.tied,
    });
  }

  /**
   * The receptive field of a layer's outputs: grows through conv/pool layers (`receptive`),
   * passes through rank-preserving layers; undefined elsewhere. Returns the node's own field.
   */
  propagateRf(
    receptive: LayerResult['receptive'],
    inputs: readonly ValueId[],
    shapes: readonly Shape[],
    outs: readonly ValueId[],
  ): LayerNode['rf'] {
    let rf: LayerNode['rf'];
    if (receptive) {
      const r = receptive;
      const prev = this.mergeRf(inputs, r.kernel.length);
      rf = {
        size: r.kernel.map((k, i) => prev.size[i]! + (k - 1) * r.dilation[i]! * prev.jump[i]!),
        jump: r.stride.map((s, i) => prev.jump[i]! * s),
      };
      for (const o of outs) this.rf[o] = rf;
    } else if (outs.length === 1) {
      const outRank = this.values[outs[0]!]!.shape!.length;
      let carried: { readonly size: readonly number[] } | undefined;
      let sameRank = true;
      for (let i = 0; i < inputs.length; i++) {
        carried ??= this.rf[inputs[i]!];
        if (shapes[i]!.length !== outRank) sameRank = false;
      }
      if (carried && sameRank)
        this.rf[outs[0]!] =
          inputs.length === 1 ? this.rf[inputs[0]!]! : this.mergeRf(inputs, carried.size.length);
    }
    return rf;
  }

  /** A key of a value's receptive field, for block-call keys (empty when it has none). */
  rfKey(v: ValueId): string {
    const r = this.rf[v];
    return r ? `@${r.size.join(',')}/${r.jump.join(',')}` : '';
  }

  private mergeRf(inputs: readonly ValueId[], rank: number): { size: number[]; jump: number[] } {
    const size = new Array<number>(rank).fill(1);
    const jump = new Array<number>(rank).fill(1);
    for (const v of inputs) {
      const r = this.rf[v];
      if (!r || r.size.length !== rank) continue;
      for (let i = 0; i < rank; i++) {
        size[i] = Math.max(size[i]!, r.size[i]!);
        jump[i] = Math.max(jump[i]!, r.jump[i]!);
      }
    }
    return { size, jump };
  }

  mark(): GraphMark {
    return {
      n0: this.nodes.length,
      v0: this.values.length,
      g0: this.groups.length,
      log0: this.stageLog.length,
    };
  }

  /** The block instantiation since `m` as a template (its group is the one created at `m`). */
  template(m: GraphMark, inputs: readonly ValueId[], outs: readonly ValueId[]): BlockTemplate {
    const rf: BlockTemplate['rf'][number][] = [];
    for (let v = m.v0; v < this.values.length; v++) {
      const r = this.rf[v];
      if (r) rf.push([v, r]);
    }
    return {
      n0: m.n0,
      v0: m.v0,
      g0: m.g0,
      nodes: this.nodes.slice(m.n0),
      values: this.values.slice(m.v0),
      groups: this.groups.slice(m.g0),
      inputs: [...inputs],
      outs: [...outs],
      // the block's own stage is recorded again by the clone, not replayed
      stages: this.stageLog.slice(m.log0, this.stageLog.length - 1),
      rf,
    };
  }

  /** Marks every node from `n0` on frozen (a frozen use of a block freezes the instance). */
  freezeFrom(n0: number): void {
    for (let i = n0; i < this.nodes.length; i++)
      if (!this.nodes[i]!.frozen) this.nodes[i] = { ...this.nodes[i]!, frozen: true };
  }

  /** Materialize a block template for a new call site, remapping node, value and group ids. */
  cloneTemplate(
    t: BlockTemplate,
    inputs: readonly ValueId[],
    site: CallSite,
    /** Unique per clone in the check: keeps the clones' shared-layer keys apart. */
    clone: number,
  ): ValueId[] {
    const dn = this.nodes.length - t.n0;
    const dv = this.values.length - t.v0;
    const dg = this.groups.length - t.g0;
    const mapV = (id: ValueId): ValueId => (id >= t.v0 ? id + dv : inputs[t.inputs.indexOf(id)]!);
    const mapG = (id: GroupId | undefined): GroupId | undefined =>
      id === undefined || id < t.g0 ? site.group : id + dg;
    const sharedKeys = new Map<string, string>();
    for (const g of t.groups)
      this.groups.push(
        g.id === t.g0
          ? { ...g, id: g.id + dg, parent: site.group, file: site.file, span: site.span }
          : { ...g, id: g.id + dg, parent: mapG(g.parent) },
      );
    for (const v of t.values)
      this.values.push({
        id: v.id + dv,
        shape: v.shape,
        producer: v.producer === undefined ? undefined : v.producer + dn,
        name: v.name,
        file: v.file,
        span: v.span,
      });
    // Id lists are often shared (a node's inputs are its producer's outputs): map each list once.
    const lists = new Map<readonly ValueId[], ValueId[]>();
    const mapList = (ids: readonly ValueId[]): ValueId[] => {
      let m = lists.get(ids);
      if (!m) lists.set(ids, (m = ids.map(mapV)));
      return m;
    };
    for (const n of t.nodes) {
      let sharedKey = n.sharedKey;
      if (sharedKey) {
        let k = sharedKeys.get(sharedKey);
        if (!k) sharedKeys.set(sharedKey, (k = `${sharedKey}~${clone}`));
        sharedKey = k;
      }
      // The same fields in the same order as pushNode (one object shape for every node).
      this.nodes.push({
        id: n.id + dn,
        def: n.def,
        label: n.label,
        file: n.file,
        span: n.span,
        nameSpan: n.nameSpan,
        attrs: n.attrs,
        inputs: mapList(n.inputs),
        outputs: mapList(n.outputs),
        params: n.params,
        macs: n.macs,
        saved: n.saved,
        receptive: n.receptive,
        notes: n.notes,
        group: mapG(n.group),
        error: n.error,
        sharedKey,
        sharedRepeat: n.sharedRepeat,
        rf: n.rf,
        frozen: n.frozen || site.frozen,
        binding: n.binding,
        tied: n.tied?.map((x) => {
          let k = sharedKeys.get(x.key);
          if (!k) sharedKeys.set(x.key, (k = `${x.key}~${clone}`));
          return { ...x, key: k };
        }),
      });
    }
    for (const [v, r] of t.rf) this.rf[v + dv] = r;
    for (const e of t.stages) this.stageLog.push(e);
    const outs = t.outs.map(mapV);
    this.recordStage(
      site.file,
      site,
      outs.map((v) => this.shapeOf(v)),
    );
    return outs;
  }

  totals(): CheckedModel['totals'] {
    let trainable = 0;
    let nonTrainable = 0;
    let frozen = 0;
    const macs = Dim.sum(this.nodes.map((n) => n.macs));
    for (const n of this.nodes) {
      if (n.sharedRepeat) continue;
      for (const p of n.params) {
        if (n.tied?.some((t) => t.param === p.name)) continue; // counted with its owner
        const c = p.shape.reduce((a, b) => a * b, 1);
        if (p.trainable && !n.frozen) trainable += c;
        else nonTrainable += c;
        if (p.trainable && n.frozen) frozen += c;
      }
    }
    return { trainable, nonTrainable, frozen, macs };
  }

  /** The largest receptive field of any node (by area), as the model's. */
  receptiveField(): number[] | undefined {
    let receptiveField: number[] | undefined;
    for (const n of this.nodes)
      if (
        n.rf &&
        (!receptiveField ||
          n.rf.size.reduce((a, b) => a * b, 1) >= receptiveField.reduce((a, b) => a * b, 1))
      )
        receptiveField = [...n.rf.size];
    return receptiveField;
  }
}
