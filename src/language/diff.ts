/**
 * Model diff: what was added, removed or changed between two versions of a model, layer by
 * layer (shapes, parameters, MACs), with totals. `dlm diff`, the language server's `dlm/diff`
 * request and the compare view all read this one function.
 *
 * Matching layers. Both models are lists of layer instances in forward order. Layers match only
 * when they are the same catalog layer; among those the matching maximizes a similarity score
 * (an order-preserving alignment, like a text diff over layers):
 *
 * - the same qualified parameter name (`basicblock1.conv2d0`, src/language/names.ts),
 * - the same label (attributes), the same parameter shapes, the same output and input shapes.
 *
 * Identical layers at the start and the end are matched first (cheap for the usual small edit);
 * the middle is aligned by dynamic programming. A middle larger than {@link MAX_ALIGN_CELLS}
 * (pairs of layers) is matched by parameter name alone (docs/diff-json.md).
 *
 * Pure TypeScript: no Node APIs. The JSON shape is documented in docs/diff-json.md.
 */
import { Dim, LineIndex, prod, formatShape, type Shape, type Span } from '../core';
import type { CheckedModel, CheckedTrain, LayerNode } from './checked';
import { modelNames } from './names';
import { summarize, thousands, type Count, type SummarySpan } from './summary';

export const DIFF_SCHEMA = 'dlm.diff/1';

/** Above this many (a-layer, b-layer) pairs left after trimming, layers match by name only. */
export const MAX_ALIGN_CELLS = 4_000_000;

export interface DiffSource {
  /** The file as shown: a path, or `REV:path` for a git revision. */
  readonly file: string;
  /** The git revision the text was read from, when it was. */
  readonly rev?: string;
}

export interface DiffParam {
  readonly name: string;
  readonly shape: number[];
  readonly trainable: boolean;
}

/** One side of a layer change: the layer as it is in model a or b. */
export interface DiffLayerSide {
  /** Position among the model's layer instances, in forward order (0-based). */
  readonly index: number;
  /** Qualified parameter-name prefix: `conv2d0`, `basicblock1.conv2d0`, `repeat0.1.dense0`. */
  readonly path: string;
  /** Catalog layer name. */
  readonly layer: string;
  /** Display label with the key attributes. */
  readonly label: string;
  /** Shapes as written (`[B, 64, 56, 56]`); null when unknown after an error. */
  readonly inputShapes: (string | null)[];
  readonly outputShapes: (string | null)[];
  /** Parameters counted on this layer (0 on the second and later uses of a tied layer). */
  readonly params: { readonly trainable: number; readonly nonTrainable: number };
  /** The parameter tensors; empty on a shared reuse. */
  readonly paramDetail: DiffParam[];
  /** MACs at the diff's batch size (a formula when other dims stay symbolic). */
  readonly macs: Count;
  /** True on the second and later uses of a tied layer. */
  readonly shared?: boolean;
  readonly span: SummarySpan;
}

export type DiffChange = 'label' | 'inputShapes' | 'outputShapes' | 'params' | 'macs';

export interface DiffLayer {
  readonly status: 'added' | 'removed' | 'changed';
  /** Catalog layer name. */
  readonly layer: string;
  readonly a: DiffLayerSide | null;
  readonly b: DiffLayerSide | null;
  /** For `changed`: what differs. Empty for added and removed layers. */
  readonly changes: DiffChange[];
  /** b − a (a missing side counts 0). */
  readonly delta: {
    readonly trainable: number;
    readonly nonTrainable: number;
    readonly macs: Count;
  };
}

export interface DiffNumber<T extends Count = Count> {
  readonly a: T;
  readonly b: T;
  readonly delta: T;
  /** delta / a, e.g. 0.15 for +15% (0 when both are 0); null when only a is 0 or a side is symbolic. */
  readonly relative: number | null;
}

export interface ModelDiff {
  readonly schema: typeof DIFF_SCHEMA;
  /** The model names in a and b (equal unless two single-model files were compared). */
  readonly model: { readonly a: string; readonly b: string };
  readonly a: DiffSource;
  readonly b: DiffSource;
  /** The value substituted for B on both sides. */
  readonly batch: number;
  /** False when that side has errors; its numbers then cover only what could be checked. */
  readonly ok: { readonly a: boolean; readonly b: boolean };
  readonly totals: {
    readonly trainable: DiffNumber<number>;
    readonly nonTrainable: DiffNumber<number>;
    readonly total: DiffNumber<number>;
    readonly macs: DiffNumber;
    /** Training-memory estimate (params, gradients, optimizer state, saved activations). */
    readonly trainingBytes: DiffNumber;
  };
  readonly counts: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly unchanged: number;
  };
  /** How layers were matched: `aligned`, or `by-name` for a very large middle. */
  readonly matching: 'aligned' | 'by-name';
  /** The changes in forward order (removed layers where they stood in a). */
  readonly layers: DiffLayer[];
  /** Indices of unchanged layers as [a index, b index] pairs, for views. */
  readonly unchanged: [number, number][];
}

export interface DiffSideInput {
  readonly model: CheckedModel;
  readonly source: DiffSource;
  /** The model's train section (names the optimizer of the training-memory estimate). */
  readonly train?: CheckedTrain;
  /** Text of `model.file`, for line/character positions. */
  readonly text?: string;
  /** How span files are shown (the CLI makes them relative). Default: as they are. */
  readonly displayFile?: (file: string) => string;
}

export interface DiffOptions {
  /** Batch size substituted for B. Default: b's train section batch, else a's, else 1. */
  readonly batch?: number;
  /** Largest aligned middle, in layer pairs (default MAX_ALIGN_CELLS); above it, by name. */
  readonly maxAlignCells?: number;
}

// ------------------------------------------------------------------------------ sides

const B_SYM = 'B';

function countOf(d: Dim): Count {
  return d.value ?? d.toString();
}

interface Side {
  readonly info: DiffLayerSide;
  readonly node: LayerNode;
  readonly macs: Dim;
  /** Equal for layers that show no difference (path aside). */
  readonly sig: string;
  readonly paramKey: string;
  readonly outKey: string;
  readonly inKey: string;
}

function sidesOf(input: DiffSideInput, env: ReadonlyMap<string, Dim>): Side[] {
  const { model } = input;
  const names = modelNames(model).nodes;
  const lines = input.text !== undefined ? new LineIndex(input.text) : undefined;
  const show = input.displayFile ?? ((f: string) => f);
  const spanOf = (file: string, s: Span): SummarySpan => {
    const base = { file: show(file), start: s.start, end: s.end };
    if (!lines || file !== model.file) return base;
    const p = lines.position(s.start);
    return { ...base, line: p.line, character: p.character };
  };
  const shapeOf = (v: number): Shape | undefined => model.values[v]?.shape;
  const text = (s: Shape | undefined): string | null => (s ? formatShape(s) : null);
  const key = (vs: readonly number[]): string =>
    vs
      .map(
        (v) =>
          shapeOf(v)
            ?.map((d) => d.key())
            .join(',') ?? '?',
      )
      .join(';');
  const seenShared = new Set<string>();
  return model.nodes.map((n, index) => {
    const shared =
      n.sharedRepeat === true || (n.sharedKey !== undefined && seenShared.has(n.sharedKey));
    if (n.sharedKey !== undefined) seenShared.add(n.sharedKey);
    let trainable = 0;
    let nonTrainable = 0;
    const paramDetail: DiffParam[] = [];
    if (!shared)
      for (const p of n.params) {
        if (p.trainable) trainable += prod(p.shape);
        else nonTrainable += prod(p.shape);
        paramDetail.push({ name: p.name, shape: [...p.shape], trainable: p.trainable });
      }
    const macs = n.macs.subst(env);
    const paramKey = paramDetail.map((p) => `${p.name}:${p.shape.join('x')}`).join(';');
    const outKey = key(n.outputs);
    const inKey = key(n.inputs);
    const info: DiffLayerSide = {
      index,
      path: names[index] ?? `#${index}`,
      layer: n.def.name,
      label: n.label,
      inputShapes: n.inputs.map((v) => text(shapeOf(v))),
      outputShapes: n.outputs.map((v) => text(shapeOf(v))),
      params: { trainable, nonTrainable },
      paramDetail,
      macs: countOf(macs),
      ...(shared ? { shared: true } : {}),
      span: spanOf(n.file, n.span),
    };
    return {
      info,
      node: n,
      macs,
      sig: `${n.def.name}|${n.label}|${inKey}|${outKey}|${paramKey}|${shared ? 's' : ''}|${macs.key()}`,
      paramKey,
      outKey,
      inKey,
    };
  });
}

// ------------------------------------------------------------------------------ matching

/** Similarity of two layers; 0 when they cannot match (different catalog layers). */
function similarity(x: Side, y: Side): number {
  if (x.node.def !== y.node.def) return 0;
  let s = 1;
  if (x.info.path === y.info.path) s += 3;
  if (x.info.label === y.info.label) s += 4;
  if (x.paramKey === y.paramKey) s += 2;
  if (x.outKey === y.outKey) s += 2;
  if (x.inKey === y.inKey) s += 1;
  // Nothing in common but the layer type: a removal and an addition, not a change.
  return s > 1 ? s : 0;
}

/** Matched pairs [i in a, j in b], increasing in both. */
function align(
  a: readonly Side[],
  b: readonly Side[],
  maxCells: number,
): { pairs: [number, number][]; byName: boolean } {
  let lo = 0;
  while (
    lo < a.length &&
    lo < b.length &&
    a[lo]!.sig === b[lo]!.sig &&
    a[lo]!.info.path === b[lo]!.info.path
  )
    lo++;
  let ha = a.length;
  let hb = b.length;
  while (ha > lo && hb > lo && a[ha - 1]!.sig === b[hb - 1]!.sig) {
    ha--;
    hb--;
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < lo; i++) pairs.push([i, i]);
  const n = ha - lo;
  const m = hb - lo;
  let byName = false;
  if (n > 0 && m > 0) {
    if (n * m <= maxCells) {
      // score[i][j]: best total for a[lo+i..] against b[lo+j..] (suffix form: backtrack forward).
      const w = m + 1;
      const score = new Float64Array((n + 1) * w);
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          const s = similarity(a[lo + i]!, b[lo + j]!);
          const diag = s > 0 ? s + score[(i + 1) * w + j + 1]! : 0;
          const down = score[(i + 1) * w + j]!;
          const right = score[i * w + j + 1]!;
          score[i * w + j] = Math.max(diag, down, right);
        }
      }
      let i = 0;
      let j = 0;
      while (i < n && j < m) {
        const s = similarity(a[lo + i]!, b[lo + j]!);
        const here = score[i * w + j]!;
        if (s > 0 && here === s + score[(i + 1) * w + j + 1]!) {
          pairs.push([lo + i, lo + j]);
          i++;
          j++;
        } else if (here === score[(i + 1) * w + j]!) i++;
        else j++;
      }
    } else {
      byName = true;
      const byPath = new Map<string, number>();
      for (let j = lo; j < hb; j++) byPath.set(`${b[j]!.node.def.name}|${b[j]!.info.path}`, j);
      // Keep the matches increasing in b (an order-preserving subset).
      let last = lo - 1;
      for (let i = lo; i < ha; i++) {
        const j = byPath.get(`${a[i]!.node.def.name}|${a[i]!.info.path}`);
        if (j !== undefined && j > last) {
          pairs.push([i, j]);
          last = j;
        }
      }
    }
  }
  for (let k = 0; k < a.length - ha; k++) pairs.push([ha + k, hb + k]);
  return { pairs, byName };
}

// ------------------------------------------------------------------------------ diff

function deltaCount(a: Dim, b: Dim): DiffNumber {
  const d = b.sub(a);
  const av = a.value;
  const bv = b.value;
  return {
    a: countOf(a),
    b: countOf(b),
    delta: countOf(d),
    relative:
      av === undefined || bv === undefined ? null : av !== 0 ? (bv - av) / av : bv === 0 ? 0 : null,
  };
}

function deltaNumber(a: number, b: number): DiffNumber<number> {
  return { a, b, delta: b - a, relative: a !== 0 ? (b - a) / a : b === a ? 0 : null };
}

function countDim(c: Count): Dim | undefined {
  return typeof c === 'number' ? Dim.const(c) : undefined;
}

export function diffModels(a: DiffSideInput, b: DiffSideInput, opts: DiffOptions = {}): ModelDiff {
  const batch = opts.batch ?? b.train?.batch ?? a.train?.batch ?? 1;
  const env: ReadonlyMap<string, Dim> = new Map([[B_SYM, Dim.const(batch)]]);
  const sa = sidesOf(a, env);
  const sb = sidesOf(b, env);
  const { pairs, byName } = align(sa, sb, opts.maxAlignCells ?? MAX_ALIGN_CELLS);

  const layers: DiffLayer[] = [];
  const unchanged: [number, number][] = [];
  const zero = Dim.const(0);
  const entry = (x: Side | undefined, y: Side | undefined, changes: DiffChange[]): DiffLayer => {
    const ap = x?.info.params ?? { trainable: 0, nonTrainable: 0 };
    const bp = y?.info.params ?? { trainable: 0, nonTrainable: 0 };
    return {
      status: !x ? 'added' : !y ? 'removed' : 'changed',
      layer: (y ?? x)!.info.layer,
      a: x?.info ?? null,
      b: y?.info ?? null,
      changes,
      delta: {
        trainable: bp.trainable - ap.trainable,
        nonTrainable: bp.nonTrainable - ap.nonTrainable,
        macs: countOf((y?.macs ?? zero).sub(x?.macs ?? zero)),
      },
    };
  };
  let i = 0;
  let j = 0;
  const flush = (ti: number, tj: number): void => {
    for (; i < ti; i++) layers.push(entry(sa[i], undefined, []));
    for (; j < tj; j++) layers.push(entry(undefined, sb[j], []));
  };
  for (const [pi, pj] of pairs) {
    flush(pi, pj);
    const x = sa[pi]!;
    const y = sb[pj]!;
    const changes: DiffChange[] = [];
    if (x.info.label !== y.info.label) changes.push('label');
    if (x.inKey !== y.inKey) changes.push('inputShapes');
    if (x.outKey !== y.outKey) changes.push('outputShapes');
    if (x.paramKey !== y.paramKey || x.info.shared !== y.info.shared) changes.push('params');
    if (!x.macs.equals(y.macs)) changes.push('macs');
    if (changes.length) layers.push(entry(x, y, changes));
    else unchanged.push([pi, pj]);
    i = pi + 1;
    j = pj + 1;
  }
  flush(sa.length, sb.length);

  const sumA = summarize(a.model, { batch, ...(a.train ? { train: a.train } : {}) });
  const sumB = summarize(b.model, { batch, ...(b.train ? { train: b.train } : {}) });
  const memA = countDim(sumA.totals.training.totalBytes);
  const memB = countDim(sumB.totals.training.totalBytes);
  const trainingBytes: DiffNumber =
    memA && memB
      ? deltaCount(memA, memB)
      : {
          a: sumA.totals.training.totalBytes,
          b: sumB.totals.training.totalBytes,
          delta: `(${sumB.totals.training.totalBytes}) - (${sumA.totals.training.totalBytes})`,
          relative: null,
        };
  const counts = { added: 0, removed: 0, changed: 0, unchanged: unchanged.length };
  for (const l of layers) counts[l.status]++;
  return {
    schema: DIFF_SCHEMA,
    model: { a: a.model.name, b: b.model.name },
    a: a.source,
    b: b.source,
    batch,
    ok: { a: a.model.ok, b: b.model.ok },
    totals: {
      trainable: deltaNumber(sumA.totals.trainable, sumB.totals.trainable),
      nonTrainable: deltaNumber(sumA.totals.nonTrainable, sumB.totals.nonTrainable),
      total: deltaNumber(sumA.totals.total, sumB.totals.total),
      macs: deltaCount(a.model.totals.macs.subst(env), b.model.totals.macs.subst(env)),
      trainingBytes,
    },
    counts,
    matching: byName ? 'by-name' : 'aligned',
    layers,
    unchanged,
  };
}

/**
 * Which models of a and b to compare: the one named `wanted` in both; else, when each side
 * defines exactly one model, those two; else every model whose name both define. Names missing
 * on one side are listed so the caller can say so.
 */
export function pairModels(
  a: readonly CheckedModel[],
  b: readonly CheckedModel[],
  wanted?: string,
): {
  readonly pairs: [CheckedModel, CheckedModel][];
  readonly onlyA: string[];
  readonly onlyB: string[];
} {
  if (wanted !== undefined) {
    const x = a.find((m) => m.name === wanted);
    const y = b.find((m) => m.name === wanted);
    return {
      pairs: x && y ? [[x, y]] : [],
      onlyA: x && !y ? [wanted] : [],
      onlyB: y && !x ? [wanted] : [],
    };
  }
  if (a.length === 1 && b.length === 1) return { pairs: [[a[0]!, b[0]!]], onlyA: [], onlyB: [] };
  const inB = new Map(b.map((m) => [m.name, m]));
  const inA = new Set(a.map((m) => m.name));
  const pairs: [CheckedModel, CheckedModel][] = [];
  for (const m of a) {
    const y = inB.get(m.name);
    if (y) pairs.push([m, y]);
  }
  return {
    pairs,
    onlyA: a.filter((m) => !inB.has(m.name)).map((m) => m.name),
    onlyB: b.filter((m) => !inA.has(m.name)).map((m) => m.name),
  };
}

// ---------------------------------------------------------------------------- formatting

/** `+1,234`, `-56`, `0`. */
export function signed(n: number): string {
  return n > 0 ? `+${thousands(n)}` : thousands(n);
}

/** `+15.0%`; empty when there is no ratio. */
export function percent(r: number | null): string {
  if (r === null || r === 0 || !Number.isFinite(r)) return '';
  const p = r * 100;
  const t = Math.abs(p) < 0.05 && p !== 0 ? p.toPrecision(2) : p.toFixed(1);
  return `${p > 0 ? '+' : ''}${t}%`;
}

function countText(c: Count): string {
  return typeof c === 'number' ? thousands(c) : c;
}

function signedCount(c: Count): string {
  return typeof c === 'number' ? signed(c) : `${c}`;
}

type Tone = 'bold' | 'dim' | 'green' | 'red' | 'yellow';
const ANSI: Record<Tone, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  green: ['\x1b[32m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
};

function shapes(list: readonly (string | null)[]): string {
  return list.map((s) => s ?? '?').join(', ');
}

function paramsOf(s: DiffLayerSide): number {
  return s.params.trainable + s.params.nonTrainable;
}

/** What changed on a layer, as `what: a → b` parts. */
export function changeParts(l: DiffLayer): string[] {
  const a = l.a;
  const b = l.b;
  if (!a || !b) {
    const s = (a ?? b)!;
    const parts = [`out ${shapes(s.outputShapes)}`];
    if (!s.shared && paramsOf(s) > 0) parts.push(`params ${thousands(paramsOf(s))}`);
    if (s.shared) parts.push('params shared');
    if (s.macs !== 0) parts.push(`MACs ${countText(s.macs)}`);
    return parts;
  }
  const parts: string[] = [];
  if (l.changes.includes('label')) parts.push(`${a.label} → ${b.label}`);
  if (l.changes.includes('inputShapes'))
    parts.push(`in ${shapes(a.inputShapes)} → ${shapes(b.inputShapes)}`);
  if (l.changes.includes('outputShapes'))
    parts.push(`out ${shapes(a.outputShapes)} → ${shapes(b.outputShapes)}`);
  if (l.changes.includes('params')) {
    const d = paramsOf(b) - paramsOf(a);
    parts.push(
      `params ${thousands(paramsOf(a))} → ${thousands(paramsOf(b))}${d !== 0 ? ` (${signed(d)})` : ''}`,
    );
  }
  if (l.changes.includes('macs'))
    parts.push(`MACs ${countText(a.macs)} → ${countText(b.macs)} (${signedCount(l.delta.macs)})`);
  return parts;
}

export interface DiffFormatOptions {
  readonly color?: boolean;
}

/** The diff as text: a header, one line per change, then the totals. */
export function formatDiffText(d: ModelDiff, opts: DiffFormatOptions = {}): string {
  const paint = (tone: Tone, t: string): string =>
    opts.color ? ANSI[tone][0] + t + ANSI[tone][1] : t;
  const name = d.model.a === d.model.b ? d.model.a : `${d.model.a} → ${d.model.b}`;
  const out: string[] = [
    paint('bold', `Model ${name}: ${d.a.file} → ${d.b.file}`) + paint('dim', ` (B = ${d.batch})`),
  ];
  if (!d.ok.a || !d.ok.b) {
    const bad = [!d.ok.a ? d.a.file : undefined, !d.ok.b ? d.b.file : undefined].filter(Boolean);
    out.push(
      paint(
        'yellow',
        `  ${bad.join(' and ')} ha${bad.length > 1 ? 've' : 's'} errors: the numbers cover what could be checked`,
      ),
    );
  }
  if (d.layers.length === 0) out.push('  no layer changed');
  const pathWidth = Math.min(40, Math.max(0, ...d.layers.map((l) => (l.b ?? l.a)!.path.length)));
  for (const l of d.layers) {
    const s = (l.b ?? l.a)!;
    const mark = l.status === 'added' ? '+' : l.status === 'removed' ? '-' : '~';
    const tone: Tone = l.status === 'added' ? 'green' : l.status === 'removed' ? 'red' : 'yellow';
    const label = l.status === 'changed' && l.changes.includes('label') ? '' : `${s.label}  `;
    out.push(
      `  ${paint(tone, `${mark} ${s.path.padEnd(pathWidth)}`)}  ${label}${changeParts(l).join('; ')}`,
    );
  }
  const c = d.counts;
  out.push(
    paint(
      'dim',
      `  ${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.unchanged} unchanged` +
        (d.matching === 'by-name' ? ' (matched by parameter name: too many layers to align)' : ''),
    ),
  );
  const rows: [string, DiffNumber][] = [
    ['trainable', d.totals.trainable],
    ['non-trainable', d.totals.nonTrainable],
    ['MACs', d.totals.macs],
    ['training memory (bytes)', d.totals.trainingBytes],
  ];
  const cells = rows.map(([k, v]) => [
    k,
    countText(v.a),
    countText(v.b),
    `${signedCount(v.delta)}${percent(v.relative) ? ` (${percent(v.relative)})` : ''}`,
  ]);
  const head = ['', 'a', 'b', 'delta'];
  const widths = head.map((h, k) => Math.max(h.length, ...cells.map((r) => r[k]!.length)));
  const line = (r: readonly string[]): string =>
    '  ' + r.map((x, k) => (k === 0 ? x.padEnd(widths[k]!) : x.padStart(widths[k]!))).join('  ');
  out.push(paint('bold', line(head)));
  for (const r of cells) out.push(line(r));
  return out.join('\n') + '\n';
}
