/**
 * The model summary (torchinfo / Keras style): one row per layer in forward order, block
 * instances and repeats as parent rows, per-row parameters and MACs, and totals including a
 * training-memory estimate with the optimizer state on its own line (docs/conventions.md §3).
 *
 * Pure TypeScript: no Node APIs. The JSON shape is documented in docs/summary-json.md.
 */
import { Dim, LineIndex, prod, type Shape, type ShapeStyle, type Span } from '../core';
import type { AttrValue } from '../layers/types';
import type { CheckedModel, CheckedTrain, Group, LayerNode, ValueId, ValueInfo } from './checked';
import { savedActivations } from './memory';

export const SUMMARY_SCHEMA = 'dlm.summary/1';

/** Bytes per tensor element: everything is float32. */
export const BYTES_PER_ELEMENT = 4;

/** Up to this many rows every row is listed; above it repeated structure is collapsed. */
export const SUMMARY_EXPAND_ROWS = 1000;
/** The most rows one summary lists (docs/limits.md); the totals still cover every layer. */
export const MAX_SUMMARY_ROWS = 2000;

/** A count that is a number when concrete, or the symbolic expression (e.g. `3136*T`) when not. */
export type Count = number | string;

export interface SummaryShape {
  /** One string per axis, as written in the language: `["B", "1", "32", "32"]`. */
  readonly dims: string[];
  /** The dims with the batch substituted, present only when every dim is then concrete. */
  readonly concrete?: number[];
}

export interface SummaryIO {
  readonly name: string;
  /** null when an upstream error left the shape unknown. */
  readonly shape: SummaryShape | null;
}

export interface ParamDetail {
  /** PyTorch-style tensor name: `weight`, `bias`, `running_mean`, … */
  readonly name: string;
  readonly shape: number[];
  readonly count: number;
  readonly trainable: boolean;
  /** How the count is computed, e.g. `5·5·1·6`; omitted when the layer gives none. */
  readonly formula?: string;
  /**
   * A tied parameter (`Dense(V, tie=embed)`): the parameter it is, e.g. `embed.weight`. Its count
   * is not added to the row (the owner's row counts it).
   */
  readonly sharedWith?: string;
}

export interface SummarySpan {
  readonly file: string;
  /** UTF-16 offsets into the file. */
  readonly start: number;
  readonly end: number;
  /** 0-based line and character of `start` (LSP convention); omitted without the source text. */
  readonly line?: number;
  readonly character?: number;
}

export interface SummaryRow {
  /** `n<node id>` for layers, `g<group id>` for block instances and repeats. Unique per summary. */
  readonly id: string;
  readonly kind: 'layer' | 'block' | 'repeat';
  /** Display label: `Conv2d(6, 5)`, `BasicBlock(128, stride=2)`, `repeat 3`. */
  readonly label: string;
  /** Catalog layer name (`Conv2d`), block name (`BasicBlock`), or `repeat`. */
  readonly layer: string;
  /** Nesting depth: 0 for top-level rows, parent depth + 1 inside a block or repeat. */
  readonly depth: number;
  /** Row id of the enclosing block or repeat row. */
  readonly parent?: string;
  readonly inputShapes: (SummaryShape | null)[];
  readonly outputShapes: (SummaryShape | null)[];
  /** Parameters counted on this row (0 on a shared reuse); a parent row sums its children. */
  readonly params: { readonly trainable: number; readonly nonTrainable: number };
  /** Parameter tensors of a layer row; empty on parent rows and on shared reuses. */
  readonly paramDetail: ParamDetail[];
  /** Multiply-accumulates of one forward pass at the summary's batch size. */
  readonly macs: Count;
  /** The MACs as a formula in B and any other symbolic dims. */
  readonly macsSymbolic: string;
  /** 2·macs. */
  readonly flops: Count;
  /** Bytes of the row's outputs at the batch size (float32); a parent row sums its layers. */
  readonly activationBytes: Count;
  /** The row's part of the training memory at the batch size; a parent row sums its layers. */
  readonly memory: RowMemory;
  /** True on the second and later uses of a tied (`layer name = …`) instance. */
  readonly shared: boolean;
  /** For a shared reuse: the row id of the first use, whose parameters are counted. */
  readonly sharedWith?: string;
  /** Label of the first use, for display. */
  readonly sharedWithLabel?: string;
  /** The tie key; the same on every use of one instance. */
  readonly sharedKey?: string;
  /** Receptive field per spatial axis at this layer's output. */
  readonly receptiveField?: number[];
  readonly notes?: string[];
  /** Set when the layer itself reported an error. */
  readonly error?: string;
  /**
   * Large models only: this block instance or repeat iteration shows the same rows as the row
   * with this id, so its descendants are not listed (its own numbers are complete).
   */
  readonly sameAs?: string;
  /** With `sameAs`: how many descendant rows were left out. */
  readonly collapsedRows?: number;
  readonly span: SummarySpan;
}

/** Training memory of one row (bytes, float32), docs/conventions.md §3. */
export interface RowMemory {
  /**
   * Activations kept for the backward pass that belong to this row: the outputs it produces
   * that a layer keeps (each counted once), and what it keeps of its own (masks, statistics,
   * attention probabilities).
   */
  readonly savedBytes: Count;
  /** One gradient per trainable parameter of the row. */
  readonly gradBytes: number;
  /** The optimizer's state for the row's trainable parameters. */
  readonly optimizerStateBytes: number;
}

export interface OptimizerState {
  /** Optimizer name as written (`Adam`, `SGD`, …). */
  readonly name: string;
  /** `train` when taken from the train section, `default` when assumed (Adam). */
  readonly source: 'train' | 'default';
  /** Extra state tensors kept per trainable parameter. */
  readonly statePerParam: number;
  /** Why that many, e.g. `exp_avg, exp_avg_sq`. */
  readonly stateTensors: string[];
  /** False when the optimizer is not one we know; statePerParam is then assumed to be 2. */
  readonly known: boolean;
}

export interface TrainingMemory {
  readonly optimizer: OptimizerState;
  /** The batch size the estimate uses. */
  readonly batch: number;
  /** All parameters, trainable and not. */
  readonly paramBytes: number;
  /** One gradient per trainable parameter. */
  readonly gradBytes: number;
  readonly optimizerStateBytes: number;
  /**
   * Activations kept for the backward pass (the sum of the rows' `memory.savedBytes`): what
   * PyTorch's autograd saves, without the model inputs (counted as the input).
   */
  readonly activationBytes: Count;
  readonly totalBytes: Count;
}

export interface SummaryTotals {
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly total: number;
  readonly macs: Count;
  readonly macsSymbolic: string;
  readonly flops: Count;
  /** total · 4 (float32). */
  readonly paramBytes: number;
  /** Model inputs at the batch size. */
  readonly inputBytes: Count;
  /** Sum of every layer's outputs in one forward pass at the batch size. */
  readonly activationBytes: Count;
  readonly training: TrainingMemory;
  /** Receptive field at the deepest conv/pool output, per spatial axis. */
  readonly receptiveField?: number[];
}

export interface ModelSummary {
  readonly schema: typeof SUMMARY_SCHEMA;
  readonly model: string;
  readonly file: string;
  readonly doc?: string;
  /** The value substituted for B. */
  readonly batch: number;
  /** Values substituted for other symbolic dims (`--dim T=64`); omitted when none. */
  readonly dims?: Record<string, number>;
  readonly dtype: 'float32';
  /** False when the model has errors; the numbers then cover only what could be checked. */
  readonly ok: boolean;
  readonly inputs: SummaryIO[];
  readonly outputs: SummaryIO[];
  readonly rows: SummaryRow[];
  /** Rows not listed: descendants of `sameAs` rows and rows beyond MAX_SUMMARY_ROWS. */
  readonly omittedRows?: number;
  readonly totals: SummaryTotals;
}

export interface SummarizeOptions {
  /** Batch size substituted for `B`. Default: the train section's batch, else 1. */
  readonly batch?: number;
  /** Sizes substituted for other symbolic dims, e.g. `{ T: 64 }` (the sequence length). */
  readonly dims?: Readonly<Record<string, number>>;
  /** The model's train section: names the optimizer for the memory estimate. */
  readonly train?: CheckedTrain;
  /** Source text of `model.file`, to give rows line/character positions. */
  readonly text?: string;
}

// ------------------------------------------------------------------------ optimizer state

interface OptInfo {
  readonly count: number;
  readonly tensors: string[];
  readonly known: boolean;
}

function num(v: AttrValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/**
 * State tensors per trainable parameter, following PyTorch's implementations:
 * Adam/AdamW 2 (3 with amsgrad), SGD 0 (1 with momentum), RMSProp 1 (+1 momentum, +1 centered),
 * AdaGrad 1. Unknown optimizers are assumed to keep 2, like Adam.
 */
export function optimizerState(
  name: string,
  args: Readonly<Record<string, AttrValue | undefined>> = {},
): OptInfo {
  const n = name.toLowerCase();
  const momentum = num(args['momentum']) ?? 0;
  switch (n) {
    case 'adam':
    case 'adamw':
    case 'adamax':
    case 'nadam':
    case 'radam': {
      const tensors = ['exp_avg', n === 'adamax' ? 'exp_inf' : 'exp_avg_sq'];
      if (args['amsgrad'] === true) tensors.push('max_exp_avg_sq');
      return { count: tensors.length, tensors, known: true };
    }
    case 'sgd':
      return momentum > 0
        ? { count: 1, tensors: ['momentum_buffer'], known: true }
        : { count: 0, tensors: [], known: true };
    case 'rmsprop': {
      const tensors = ['square_avg'];
      if (momentum > 0) tensors.push('momentum_buffer');
      if (args['centered'] === true) tensors.push('grad_avg');
      return { count: tensors.length, tensors, known: true };
    }
    case 'adagrad':
      return { count: 1, tensors: ['sum'], known: true };
    case 'adadelta':
      return { count: 2, tensors: ['square_avg', 'acc_delta'], known: true };
    case 'lion':
      return { count: 1, tensors: ['exp_avg'], known: true };
    default:
      return { count: 2, tensors: ['(assumed)', '(assumed)'], known: false };
  }
}

// ------------------------------------------------------------------------------ helpers

const B_SYM = 'B';

function countOf(d: Dim): Count {
  const v = d.value;
  return v !== undefined ? v : d.toString();
}

function shapeInfo(s: Shape | undefined, env: ReadonlyMap<string, Dim>): SummaryShape | null {
  if (!s) return null;
  const dims = s.map((d) => d.toString());
  const vals = s.map((d) => d.subst(env).value);
  return vals.every((v): v is number => v !== undefined) ? { dims, concrete: vals } : { dims };
}

function elements(s: Shape | undefined): Dim {
  return s ? s.reduce((a, d) => a.mul(d), Dim.const(1)) : Dim.const(0);
}

interface Acc {
  trainable: number;
  nonTrainable: number;
  macs: Dim;
  act: Dim;
  saved: Dim;
}

function emptyAcc(): Acc {
  return {
    trainable: 0,
    nonTrainable: 0,
    macs: Dim.const(0),
    act: Dim.const(0),
    saved: Dim.const(0),
  };
}

// ----------------------------------------------------------------------------- summarize

/** The sizes a summary substitutes: B (the batch) and the given symbolic dims. */
function sizes(opts: SummarizeOptions): {
  batch: number;
  dims: [string, number][];
  env: ReadonlyMap<string, Dim>;
  at: (d: Dim) => Count;
} {
  const batch = opts.batch ?? opts.train?.batch ?? 1;
  const dims = Object.entries(opts.dims ?? {}).filter(([k]) => k !== B_SYM);
  const env: ReadonlyMap<string, Dim> = new Map([
    [B_SYM, Dim.const(batch)],
    ...dims.map(([k, v]): [string, Dim] => [k, Dim.const(v)]),
  ]);
  return { batch, dims, env, at: (d: Dim): Count => countOf(d.subst(env)) };
}

/**
 * The training-memory estimate of a model (parameters, gradients, optimizer state and the
 * activations kept for backward) at the options' batch, from its parameter counts: the figure the
 * summary's totals and the model's hover show. `counts` defaults to the checker's totals.
 */
export function trainingMemory(
  model: CheckedModel,
  opts: SummarizeOptions = {},
  counts: { readonly trainable: number; readonly nonTrainable: number } = model.totals,
): TrainingMemory {
  const { batch, at } = sizes(opts);
  const optName = opts.train?.optimizer.name ?? 'Adam';
  const opt = optimizerState(optName, opts.train?.optimizer.args);
  const paramBytes = (counts.trainable + counts.nonTrainable) * BYTES_PER_ELEMENT;
  const gradBytes = counts.trainable * BYTES_PER_ELEMENT;
  const optimizerStateBytes = counts.trainable * opt.count * BYTES_PER_ELEMENT;
  const savedBytes = savedActivations(model).total;
  return {
    optimizer: {
      name: optName,
      source: opts.train ? 'train' : 'default',
      statePerParam: opt.count,
      stateTensors: opt.tensors,
      known: opt.known,
    },
    batch,
    paramBytes,
    gradBytes,
    optimizerStateBytes,
    activationBytes: at(savedBytes),
    totalBytes: at(savedBytes.add(paramBytes + gradBytes + optimizerStateBytes)),
  };
}

export function summarize(model: CheckedModel, opts: SummarizeOptions = {}): ModelSummary {
  const { batch, dims, env, at } = sizes(opts);
  const lines = opts.text !== undefined ? new LineIndex(opts.text) : undefined;
  const spanOf = (file: string, s: Span): SummarySpan => {
    const base = { file, start: s.start, end: s.end };
    if (!lines || file !== model.file) return base;
    const p = lines.position(s.start);
    return { ...base, line: p.line, character: p.character };
  };

  const values = new Map<ValueId, ValueInfo>(model.values.map((v) => [v.id, v]));
  const kept = savedActivations(model);
  const optName = opts.train?.optimizer.name ?? 'Adam';
  const opt = optimizerState(optName, opts.train?.optimizer.args);
  const shapeOfValue = (id: ValueId): Shape | undefined => values.get(id)?.shape;
  const groups = new Map<number, Group>(model.groups.map((g) => [g.id, g]));

  const chainCache = new Map<number, Group[]>();
  const chainOf = (gid: number | undefined): Group[] => {
    if (gid === undefined) return [];
    const cached = chainCache.get(gid);
    if (cached) return cached;
    const g = groups.get(gid);
    const chain = g ? [...chainOf(g.parent), g] : [];
    chainCache.set(gid, chain);
    return chain;
  };

  // Pass 1: rows in forward order, parent rows opened before their first child. A layer's counts
  // go to its own row and its direct parent; parents are summed bottom-up afterwards, so the
  // work is linear in the rows however deep blocks nest.
  interface Pending {
    row: Omit<
      SummaryRow,
      | 'params'
      | 'macs'
      | 'macsSymbolic'
      | 'flops'
      | 'activationBytes'
      | 'memory'
      | 'inputShapes'
      | 'outputShapes'
    >;
    node?: LayerNode;
    group?: Group;
    acc: Acc;
    /** Index of the parent row in `pending`. */
    parent?: number;
    /** Index of the row's last descendant in `pending` (itself for a layer). */
    last: number;
    /** Lowest and highest node id inside a parent row. */
    lo: number;
    hi: number;
    /** Indices of the direct children in `pending`. */
    children: number[];
    /** Interned structure: equal for rows whose subtrees show the same rows. */
    sig: number;
  }
  const pending: Pending[] = [];
  const groupRows = new Map<number, number>();
  const firstUse = new Map<string, Pending>();
  const totals = emptyAcc();

  for (const node of model.nodes) {
    const chain = chainOf(node.group);
    chain.forEach((g, i) => {
      if (groupRows.has(g.id)) return;
      // Number repeat iterations unless the checker's label already tells them apart.
      const parentLabel = g.parent !== undefined ? groups.get(g.parent)?.label : undefined;
      const label =
        g.kind === 'repeat' && g.index !== undefined && g.label === parentLabel
          ? `${g.label} #${g.index + 1}`
          : g.label;
      const parentIndex = i > 0 ? groupRows.get(chain[i - 1]!.id) : undefined;
      const p: Pending = {
        row: {
          id: `g${g.id}`,
          kind: g.kind,
          label,
          layer: g.kind === 'block' ? (g.name ?? g.label) : 'repeat',
          depth: i,
          ...(i > 0 ? { parent: `g${chain[i - 1]!.id}` } : {}),
          paramDetail: [],
          shared: false,
          span: spanOf(g.file, g.span),
        },
        group: g,
        acc: emptyAcc(),
        parent: parentIndex,
        last: pending.length,
        lo: node.id,
        hi: node.id,
        children: [],
        sig: 0,
      };
      if (parentIndex !== undefined) pending[parentIndex]!.children.push(pending.length);
      groupRows.set(g.id, pending.length);
      pending.push(p);
    });

    const prior = node.sharedKey !== undefined ? firstUse.get(node.sharedKey) : undefined;
    const shared = node.sharedRepeat === true || prior !== undefined;
    const acc = emptyAcc();
    if (!shared) {
      for (const p of node.params) {
        if (node.tied?.some((t) => t.param === p.name)) continue; // counted with its owner
        const c = prod(p.shape);
        // A frozen part's parameters are not trained (docs/language.md).
        if (p.trainable && !node.frozen) acc.trainable += c;
        else acc.nonTrainable += c;
      }
    }
    acc.macs = node.macs;
    acc.act = Dim.sum(node.outputs.map((v) => elements(shapeOfValue(v))));
    acc.saved = kept.byNode.get(node.id) ?? Dim.const(0);

    const parent = chain[chain.length - 1];
    const parentIndex = parent ? groupRows.get(parent.id) : undefined;
    const p: Pending = {
      row: {
        id: `n${node.id}`,
        kind: 'layer',
        label: node.label,
        layer: node.def.name,
        depth: chain.length,
        ...(parent ? { parent: `g${parent.id}` } : {}),
        paramDetail: shared
          ? []
          : node.params.map((q) => {
              const tie = node.tied?.find((t) => t.param === q.name);
              return {
                name: q.name || node.binding || 'value',
                shape: [...q.shape],
                count: prod(q.shape),
                trainable: q.trainable,
                ...(q.formula !== undefined ? { formula: q.formula } : {}),
                ...(tie ? { sharedWith: tie.owner } : {}),
              };
            }),
        shared,
        ...(shared && prior ? { sharedWith: prior.row.id, sharedWithLabel: prior.row.label } : {}),
        ...(node.sharedKey !== undefined ? { sharedKey: node.sharedKey } : {}),
        ...(node.rf ? { receptiveField: [...node.rf.size] } : {}),
        ...(node.notes?.length ? { notes: [...node.notes] } : {}),
        ...(node.error !== undefined ? { error: node.error } : {}),
        span: spanOf(node.file, node.span),
      },
      node,
      acc,
      parent: parentIndex,
      last: pending.length,
      lo: node.id,
      hi: node.id,
      children: [],
      sig: 0,
    };
    if (node.sharedKey !== undefined && !firstUse.has(node.sharedKey))
      firstUse.set(node.sharedKey, p);
    if (parentIndex !== undefined) pending[parentIndex]!.children.push(pending.length);
    pending.push(p);
    addAcc(totals, acc);
  }

  // Bottom-up (children follow their parents in `pending`): sums, extents and structure.
  const sigIds = new Map<string, number>();
  const intern = (key: string): number => {
    let id = sigIds.get(key);
    if (id === undefined) sigIds.set(key, (id = sigIds.size));
    return id;
  };
  const shapesKey = (vs: readonly ValueId[]): string =>
    vs
      .map(
        (v) =>
          shapeOfValue(v)
            ?.map((d) => d.key())
            .join(',') ?? '?',
      )
      .join(';');
  for (let i = pending.length - 1; i >= 0; i--) {
    const p = pending[i]!;
    p.sig = p.node
      ? intern(
          `n|${p.row.label}|${shapesKey(p.node.inputs)}|${shapesKey(p.node.outputs)}|${p.row.shared ? 's' : ''}|${p.row.error ?? ''}`,
        )
      : intern(
          `g|${p.row.kind}|${p.row.kind === 'block' ? p.row.label : ''}|${p.children.map((c) => pending[c]!.sig).join(',')}`,
        );
    if (p.parent === undefined) continue;
    const q = pending[p.parent]!;
    addAcc(q.acc, p.acc);
    q.last = Math.max(q.last, p.last);
    q.lo = Math.min(q.lo, p.lo);
    q.hi = Math.max(q.hi, p.hi);
  }

  // Pass 2: boundary shapes of parent rows, and the counts at the batch size.
  const modelOutputs = new Set(model.outputs.map((o) => o.value));
  const consumers = new Map<ValueId, LayerNode[]>();
  for (const n of model.nodes)
    for (const v of n.inputs) {
      const list = consumers.get(v) ?? [];
      list.push(n);
      consumers.set(v, list);
    }

  const finish = (p: Pending, index: number, extra: Partial<SummaryRow>): SummaryRow => {
    let ins: ValueId[];
    let outs: ValueId[];
    if (p.node) {
      ins = [...p.node.inputs];
      outs = [...p.node.outputs];
    } else {
      // A parent row's layers are the layer rows of its subtree (node ids lo…hi).
      const inside = (id: number): boolean => id >= p.lo && id <= p.hi;
      const inSet = new Set<ValueId>();
      const outSet = new Set<ValueId>();
      for (let j = index + 1; j <= p.last; j++) {
        const m = pending[j]!.node;
        if (!m) continue;
        for (const v of m.inputs) {
          const producer = values.get(v)?.producer;
          if (producer === undefined || !inside(producer)) inSet.add(v);
        }
        for (const v of m.outputs)
          if (modelOutputs.has(v) || (consumers.get(v) ?? []).some((c) => !inside(c.id)))
            outSet.add(v);
      }
      ins = [...inSet];
      outs = [...outSet];
    }
    const { id, kind, label, layer, depth, parent, paramDetail, shared, span, ...rest } = p.row;
    // Keys in a stable, readable order for the JSON output.
    return {
      id,
      kind,
      label,
      layer,
      depth,
      ...(parent !== undefined ? { parent } : {}),
      inputShapes: ins.map((v) => shapeInfo(shapeOfValue(v), env)),
      outputShapes: outs.map((v) => shapeInfo(shapeOfValue(v), env)),
      params: { trainable: p.acc.trainable, nonTrainable: p.acc.nonTrainable },
      paramDetail,
      macs: at(p.acc.macs),
      macsSymbolic: p.acc.macs.toString(),
      flops: at(p.acc.macs.mul(2)),
      activationBytes: at(p.acc.act.mul(BYTES_PER_ELEMENT)),
      memory: {
        savedBytes: at(p.acc.saved),
        gradBytes: p.acc.trainable * BYTES_PER_ELEMENT,
        optimizerStateBytes: p.acc.trainable * opt.count * BYTES_PER_ELEMENT,
      },
      shared,
      ...rest,
      ...extra,
      span,
    };
  };

  // Large models: a block instance or repeat iteration that shows the same rows as an earlier
  // one keeps its own row (its numbers are its own) but not its descendants (`sameAs`), and at
  // most MAX_SUMMARY_ROWS rows are listed. Totals always cover the whole model.
  const collapse = pending.length > SUMMARY_EXPAND_ROWS;
  const firstOfSig = new Map<number, string>();
  const rows: SummaryRow[] = [];
  let omittedRows = 0;
  for (let i = 0; i < pending.length;) {
    if (rows.length >= MAX_SUMMARY_ROWS) {
      omittedRows += pending.length - i;
      break;
    }
    const p = pending[i]!;
    if (collapse && p.group && p.last > i) {
      const first = firstOfSig.get(p.sig);
      if (first !== undefined) {
        const hidden = p.last - i;
        rows.push(finish(p, i, { sameAs: first, collapsedRows: hidden }));
        omittedRows += hidden;
        i = p.last + 1;
        continue;
      }
      firstOfSig.set(p.sig, p.row.id);
    }
    rows.push(finish(p, i, {}));
    i++;
  }

  // Totals and the training-memory estimate.
  const total = totals.trainable + totals.nonTrainable;
  const paramBytes = total * BYTES_PER_ELEMENT;
  const actBytes = totals.act.mul(BYTES_PER_ELEMENT);
  const inputBytes = model.inputs
    .reduce((a, io) => a.add(elements(shapeOfValue(io.value) ?? io.declared)), Dim.const(0))
    .mul(BYTES_PER_ELEMENT);

  // An output's shape is the inferred one: null when an error upstream left it unknown, even
  // when the signature declares it (docs/summary-json.md).
  const io = (list: CheckedModel['inputs'], declared: boolean): SummaryIO[] =>
    list.map((x) => ({
      name: x.name,
      shape: shapeInfo(shapeOfValue(x.value) ?? (declared ? x.declared : undefined), env),
    }));

  return {
    schema: SUMMARY_SCHEMA,
    model: model.name,
    file: model.file,
    ...(model.doc !== undefined ? { doc: model.doc } : {}),
    batch,
    ...(dims.length ? { dims: Object.fromEntries(dims) } : {}),
    dtype: 'float32',
    ok: model.ok,
    inputs: io(model.inputs, true),
    outputs: io(model.outputs, false),
    rows,
    ...(omittedRows > 0 ? { omittedRows } : {}),
    totals: {
      trainable: totals.trainable,
      nonTrainable: totals.nonTrainable,
      total,
      macs: at(totals.macs),
      macsSymbolic: totals.macs.toString(),
      flops: at(totals.macs.mul(2)),
      paramBytes,
      inputBytes: at(inputBytes),
      activationBytes: at(actBytes),
      training: trainingMemory(model, opts, totals),
      ...(model.receptiveField ? { receptiveField: [...model.receptiveField] } : {}),
    },
  };
}

function addAcc(into: Acc, a: Acc): void {
  into.trainable += a.trainable;
  into.nonTrainable += a.nonTrainable;
  into.macs = into.macs.add(a.macs);
  into.act = into.act.add(a.act);
  into.saved = into.saved.add(a.saved);
}

// ---------------------------------------------------------------------------- formatting

/** `61706` → `61,706`. */
export function thousands(n: number): string {
  const neg = n < 0;
  const [int, frac] = Math.abs(n).toString().split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac !== undefined ? '.' + frac : '');
}

/** `1813561344` → `1.81 G`; values below 1000 are printed as they are. */
export function compact(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units)
    if (Math.abs(n) >= scale) return `${(n / scale).toFixed(2)} ${unit}`;
  return String(n);
}

/**
 * Bytes as megabytes (10⁶ bytes, as torchinfo): two decimals, or three significant digits below
 * 0.1 MB so small models do not show 0.00. A symbolic size (a dim's text, `4*T` or
 * `12*T + 400`) is in megabytes too, per unit of its symbols: `0.000004·T`, `0.000012·T + 0.0004`.
 */
export function megabytes(c: Count): string {
  return typeof c === 'number' ? megabytesOf(c) : symbolicText(c, megabytesOf, perUnit);
}

/**
 * A dim's text (`2736128*T + 400`) with each coefficient formatted: `constant` for the constant
 * term, `coef` for a symbol's coefficient, and `·` for products (`2,736,128·T + 400`).
 */
function symbolicText(
  text: string,
  constant: (n: number) => string,
  coef: (n: number) => string,
): string {
  return splitTerms(text)
    .map(({ sign, body }, i) => {
      const m = /^(\d+)(?:\*(.+))?$/.exec(body);
      const n = m ? Number(m[1]) : 1;
      const rest = m ? m[2] : body;
      const term = rest === undefined ? constant(n) : `${coef(n)}·${rest.replaceAll('*', '·')}`;
      return i === 0 ? `${sign === '-' ? '-' : ''}${term}` : `${sign} ${term}`;
    })
    .join(' ');
}

function megabytesOf(bytes: number): string {
  const mb = bytes / 1e6;
  if (mb === 0 || Math.abs(mb) >= 0.1) return mb.toFixed(2);
  return String(Number(mb.toPrecision(3)));
}

/** A coefficient in MB with three significant digits and no exponent (`0.000004`, `1.23`). */
function perUnit(bytes: number): string {
  const mb = Number((bytes / 1e6).toPrecision(3));
  return mb < 1e-6 ? mb.toFixed(20).replace(/0+$/, '') : String(mb);
}

/** The top-level `+`/`-` terms of a dim's text (Dim.toString), parentheses kept whole. */
function splitTerms(text: string): { sign: '+' | '-'; body: string }[] {
  const out: { sign: '+' | '-'; body: string }[] = [];
  let depth = 0;
  let start = 0;
  let sign: '+' | '-' = '+';
  if (text.startsWith('-')) {
    sign = '-';
    start = 1;
  }
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && (ch === '+' || ch === '-') && text[i - 1] === ' ') {
      out.push({ sign, body: text.slice(start, i).trim() });
      sign = ch;
      start = i + 1;
    }
  }
  out.push({ sign, body: text.slice(start).trim() });
  return out;
}

function countText(c: Count, f: (n: number) => string = thousands): string {
  return typeof c === 'number' ? f(c) : symbolicText(c, f, f);
}

/** Same output as core's formatShape, from the dims' strings. */
function shapeText(s: SummaryShape | null, style: ShapeStyle): string {
  if (!s) return '?';
  if (style === 'brackets') return `[${s.dims.join(', ')}]`;
  if (s.dims.length === 0) return 'scalar';
  return s.dims.map((d) => (/[ +\-*]/.test(d) ? `(${d})` : d)).join('×');
}

function shapesText(list: readonly (SummaryShape | null)[], style: ShapeStyle): string {
  if (list.length === 0) return '';
  const texts = list.map((s) => shapeText(s, style));
  if (texts.length > 1 && texts.every((t) => t === texts[0])) return `${texts.length}× ${texts[0]}`;
  return texts.join(', ');
}

function paramText(r: SummaryRow): string {
  if (r.shared) return `shared with ${r.sharedWithLabel ?? r.sharedWith ?? 'an earlier use'}`;
  const all = r.params.trainable + r.params.nonTrainable;
  const tied = r.paramDetail.flatMap((p) => (p.sharedWith ? [p.sharedWith] : []));
  if (tied.length) return `${all ? `${thousands(all)} + ` : ''}shared with ${tied.join(', ')}`;
  if (all === 0) return r.kind === 'layer' ? '--' : '0';
  return thousands(all);
}

export interface FormatOptions {
  readonly shapeStyle?: ShapeStyle;
  /** ANSI colors (the CLI turns this on for terminals). */
  readonly color?: boolean;
  /**
   * Text only: the widest table allowed (default 140). Longer layer labels are shortened with
   * `…` (never below 32 columns); the JSON and Markdown keep them whole.
   */
  readonly maxWidth?: number;
}

type Tone = 'bold' | 'dim' | 'cyan' | 'yellow' | 'red';
const ANSI: Record<Tone, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
};

/** Tree prefixes: `├─`, `└─`, with `│ ` for ancestors that have later siblings. */
function treePrefixes(rows: readonly SummaryRow[]): string[] {
  const isLast = rows.map((r, i) => {
    for (let j = i + 1; j < rows.length; j++) {
      const d = rows[j]!.depth;
      if (d < r.depth) return true;
      if (d === r.depth) return false;
    }
    return true;
  });
  const open: boolean[] = []; // open[d]: the ancestor at depth d has later siblings
  return rows.map((r, i) => {
    open.length = r.depth;
    let prefix = '';
    for (let d = 0; d < r.depth; d++) prefix += open[d] ? '│ ' : '  ';
    prefix += isLast[i] ? '└─' : '├─';
    open[r.depth] = !isLast[i];
    return prefix;
  });
}

interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
}

function totalsLines(s: ModelSummary): [string, string][][] {
  const t = s.totals;
  const tr = t.training;
  const opt = tr.optimizer;
  const optLabel = `${opt.name}, ${opt.statePerParam} per param${opt.known ? '' : ', assumed'}`;
  const dimsText = Object.entries(s.dims ?? {})
    .map(([k, v]) => `, ${k} = ${v}`)
    .join('');
  const memTitle = `Training memory (batch ${tr.batch}${dimsText}, float32${
    opt.source === 'default' ? `, ${opt.name} assumed: no train section` : ''
  })`;
  const macs =
    typeof t.macs === 'number' && typeof t.flops === 'number'
      ? `${compact(t.macs)} (FLOPs = 2·MACs: ${compact(t.flops)}) at B = ${s.batch}`
      : `${countText(t.macs)} (FLOPs = 2·MACs: ${countText(t.flops)}) at B = ${s.batch}`;
  const groups: [string, string][][] = [
    [
      ['Total params', thousands(t.total)],
      ['Trainable params', thousands(t.trainable)],
      ['Non-trainable params', thousands(t.nonTrainable)],
      ['Total MACs', macs],
    ],
    [
      ['Input size (MB)', megabytes(t.inputBytes)],
      ['Params size (MB)', megabytes(t.paramBytes)],
      ['Forward activations (MB)', megabytes(t.activationBytes)],
    ],
    [
      [memTitle, ''],
      ['  Params (MB)', megabytes(tr.paramBytes)],
      ['  Gradients (MB)', megabytes(tr.gradBytes)],
      [`  Optimizer state (${optLabel}) (MB)`, megabytes(tr.optimizerStateBytes)],
      ['  Saved activations (MB)', megabytes(tr.activationBytes)],
      ['Estimated training memory (MB)', megabytes(tr.totalBytes)],
    ],
  ];
  if (t.receptiveField) groups.push([['Receptive field', t.receptiveField.join(' × ')]]);
  return groups;
}

/**
 * A row's training memory: its saved activations, gradients and optimizer state (its parameters
 * themselves are in Param #). Symbolic when the saved part is.
 */
export function rowMemoryBytes(r: SummaryRow): Count {
  const m = r.memory;
  const fixed = m.gradBytes + m.optimizerStateBytes;
  return typeof m.savedBytes === 'number' ? m.savedBytes + fixed : `${m.savedBytes} + ${fixed}`;
}

function tableCells(
  s: ModelSummary,
  style: ShapeStyle,
): { columns: Column[]; body: string[][]; nonTrainCol: boolean } {
  const nonTrainCol = s.rows.some((r) => r.params.nonTrainable > 0);
  const columns: Column[] = [
    { title: 'Layer (type)', align: 'left' },
    { title: 'Input shape', align: 'left' },
    { title: 'Output shape', align: 'left' },
    { title: 'Param #', align: 'right' },
    ...(nonTrainCol ? [{ title: 'Non-trainable', align: 'right' as const }] : []),
    { title: 'MACs', align: 'right' },
    { title: 'Train mem (MB)', align: 'right' },
  ];
  const prefixes = treePrefixes(s.rows);
  const labels = new Map(s.rows.map((r) => [r.id, r.label]));
  const body = s.rows.map((r, i) => [
    prefixes[i]! +
      r.label +
      (r.sameAs !== undefined
        ? ` (as ${labels.get(r.sameAs) ?? r.sameAs}, ${thousands(r.collapsedRows ?? 0)} rows not shown)`
        : ''),
    shapesText(r.inputShapes, style),
    shapesText(r.outputShapes, style),
    paramText(r),
    ...(nonTrainCol
      ? [r.shared || r.params.nonTrainable === 0 ? '' : thousands(r.params.nonTrainable)]
      : []),
    countText(r.macs),
    r.shared && rowMemoryBytes(r) === 0 ? '' : megabytes(rowMemoryBytes(r)),
  ]);
  // The model itself as the root row, as torchinfo does.
  const t = s.totals;
  const root = [
    s.model,
    s.inputs.map((x) => shapeText(x.shape, style)).join(', '),
    s.outputs.map((x) => shapeText(x.shape, style)).join(', '),
    thousands(t.total),
    ...(nonTrainCol ? [t.nonTrainable ? thousands(t.nonTrainable) : ''] : []),
    countText(t.macs),
    megabytes(t.training.totalBytes),
  ];
  return { columns, body: [root, ...body], nonTrainCol };
}

/** A torchinfo-like text table followed by the totals. */
export function formatSummaryText(s: ModelSummary, opts: FormatOptions = {}): string {
  const style = opts.shapeStyle ?? 'brackets';
  const paint = (tone: Tone, text: string): string =>
    opts.color && text ? ANSI[tone][0] + text + ANSI[tone][1] : text;
  const { columns, body, nonTrainCol } = tableCells(s, style);
  const gap = '  ';
  const widths = columns.map((c, i) =>
    Math.max(c.title.length, ...body.map((row) => row[i]!.length)),
  );
  const natural = widths.reduce((a, w) => a + w, 0) + gap.length * (columns.length - 1);
  const excess = natural - (opts.maxWidth ?? 140);
  if (excess > 0) {
    widths[0] = Math.max(32, widths[0]! - excess);
    for (const row of body)
      if (row[0]!.length > widths[0]) row[0] = row[0]!.slice(0, widths[0] - 1) + '…';
  }
  const pad = (text: string, i: number): string =>
    columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const tableWidth = widths.reduce((a, w) => a + w, 0) + gap.length * (columns.length - 1);

  const groups = totalsLines(s);
  const totalLines = groups.map((g) =>
    g.map(([label, value]) => (value ? `${label}: ${value}` : label)),
  );
  const width = Math.max(tableWidth, ...totalLines.flat().map((l) => l.length));
  const heavy = '='.repeat(width);
  const light = '-'.repeat(width);

  const out: string[] = [];
  const title = `Model: ${s.model}  (${s.file})${s.ok ? '' : '  [has errors]'}`;
  out.push(paint('bold', title));
  out.push(heavy);
  out.push(
    paint(
      'bold',
      columns
        .map((c, i) => pad(c.title, i))
        .join(gap)
        .trimEnd(),
    ),
  );
  out.push(heavy);
  body.forEach((cells, ri) => {
    const row = ri === 0 ? undefined : s.rows[ri - 1];
    const text = cells
      .map((c, i) => {
        const padded = pad(c, i);
        if (ri === 0 && i === 0) return paint('bold', padded);
        if (row?.shared && i === 3) return paint('cyan', padded);
        if (row?.error !== undefined && i === 0) return paint('red', padded);
        if (row && row.kind !== 'layer' && i === 0) return paint('yellow', padded);
        return padded;
      })
      .join(gap)
      .trimEnd();
    out.push(text);
  });
  out.push(heavy);
  totalLines.forEach((g, i) => {
    if (i > 0) out.push(light);
    for (const l of g) out.push(l);
  });
  out.push(heavy);
  const notes = [
    `MACs are multiply-accumulates at B = ${s.batch}; FLOPs = 2·MACs.`,
    `Train mem: activations kept for the backward pass + gradients + ${s.totals.training.optimizer.name} state, per row at B = ${s.batch}; the model row adds the parameters.`,
    nonTrainCol
      ? 'Param # counts every parameter; Non-trainable is the part that is not trained (e.g. running statistics).'
      : '',
    s.rows.some((r) => r.shared)
      ? 'Shared (tied) layers are counted once, at their first use.'
      : '',
    omittedNote(s),
  ].filter(Boolean);
  for (const n of notes) out.push(paint('dim', n));
  return out.join('\n') + '\n';
}

/** The note under a table that does not list every row (large models). */
function omittedNote(s: ModelSummary): string {
  return s.omittedRows
    ? `${thousands(s.omittedRows)} rows are not listed (repeated blocks shown once, at most ${thousands(MAX_SUMMARY_ROWS)} rows); the totals count every layer.`
    : '';
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The same content as a Markdown table plus a totals list. */
export function formatSummaryMarkdown(s: ModelSummary, opts: FormatOptions = {}): string {
  const style = opts.shapeStyle ?? 'brackets';
  const { columns, body } = tableCells(s, style);
  const out: string[] = [];
  out.push(`### ${mdEscape(s.model)}`, '');
  out.push(
    `\`${s.file}\`${s.ok ? '' : ' (has errors)'}. MACs at B = ${s.batch}; FLOPs = 2·MACs.`,
    '',
  );
  out.push(`| ${columns.map((c) => c.title).join(' | ')} |`);
  out.push(`|${columns.map((c) => (c.align === 'right' ? '---:' : ':---')).join('|')}|`);
  body.forEach((cells, ri) => {
    const row = ri === 0 ? undefined : s.rows[ri - 1];
    const md = cells.map((c, i) => {
      let text = mdEscape(c);
      if (i === 0) {
        // Keep the tree indentation visible: Markdown collapses runs of spaces.
        text = text.replace(/^[ │├└─]+/, (m) => m.replace(/ /g, '\u00a0'));
        if (ri === 0) text = `**${text}**`;
      }
      if (i > 0 && text && row?.shared && i === 3) text = `*${text}*`;
      return text;
    });
    out.push(`| ${md.join(' | ')} |`);
  });
  out.push('');
  if (s.omittedRows) out.push(`*${omittedNote(s)}*`, '');
  for (const g of totalsLines(s))
    for (const [label, value] of g) {
      const l = label.trim();
      const indent = label.startsWith('  ') ? '  ' : '';
      out.push(
        value ? `${indent}- **${mdEscape(l)}:** ${mdEscape(value)}` : `- **${mdEscape(l)}**`,
      );
    }
  return out.join('\n') + '\n';
}
