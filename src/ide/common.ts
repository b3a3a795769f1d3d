/**
 * Helpers shared by the IDE features: number and shape formatting, nodes and groups by source
 * position, the shape a binding holds.
 */
import { Dim, formatShape, type Shape, type ShapeStyle, type Span } from '../core';
import type {
  CheckResult,
  CheckedModel,
  CheckedTrain,
  Group,
  LayerNode,
  StageShape,
} from '../language/checked';
import type { Pipeline, Stage } from '../language/ast';
import { thousands } from '../language/summary';

export interface DisplayOptions {
  readonly shapeStyle: ShapeStyle;
  readonly macsOrFlops: 'macs' | 'flops';
}

export const DEFAULT_DISPLAY: DisplayOptions = { shapeStyle: 'brackets', macsOrFlops: 'macs' };

/** `61706` → `61,706` (defined once, in the summary). */
export { thousands };

/** `416520` → `0.42 M`, `1814073344` → `1.81 G`; below 1000 as is. */
export function compact(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  if (n >= 1e5 && n < 1e6) return `${(n / 1e6).toFixed(2)} M`;
  for (const [scale, unit] of units)
    if (Math.abs(n) >= scale) return `${(n / scale).toFixed(2)} ${unit}`;
  return String(n);
}

/**
 * Shape texts memoized per shape object and style: shapes are immutable and shared between the
 * many nodes a block or a shape-rule result produces, and hovers format hundreds of them.
 */
const shapeTexts: Record<ShapeStyle, WeakMap<Shape, string>> = {
  brackets: new WeakMap(),
  times: new WeakMap(),
};
export function shapeText(s: Shape | undefined, style: ShapeStyle): string {
  if (!s) return '?';
  const memo = shapeTexts[style];
  let t = memo?.get(s);
  if (t === undefined) {
    t = formatShape(s, style);
    memo?.set(s, t);
  }
  return t;
}

export function shapesText(ss: readonly (Shape | undefined)[], style: ShapeStyle): string {
  if (ss.length === 1) return shapeText(ss[0], style);
  return `(${ss.map((s) => shapeText(s, style)).join(', ')})`;
}

const B1: ReadonlyMap<string, Dim> = new Map([['B', Dim.const(1)]]);

/** MACs or FLOPs of a dim, as `2*B` plus the value for B = 1 when that is concrete. */
export function computeText(
  macs: Dim,
  opts: DisplayOptions,
): { label: string; symbolic: string; atB1?: number } {
  const d = opts.macsOrFlops === 'flops' ? macs.mul(2) : macs;
  const label = opts.macsOrFlops === 'flops' ? 'FLOPs' : 'MACs';
  const v = d.subst(B1).value;
  return { label, symbolic: d.value !== undefined ? thousands(d.value) : readableDim(d), atB1: v };
}

/** A symbolic count for people: `57802752*B` → `57,802,752·B` (the summary JSON keeps `*`). */
export function readableDim(d: Dim): string {
  return d
    .toString()
    .replace(/\d{4,}/g, (n) => thousands(Number(n)))
    .replace(/\*/g, '·');
}

export function modelsInFile(result: CheckResult, file: string): CheckedModel[] {
  return result.models.filter((m) => m.file === file);
}

export function sameSpan(a: Span, b: Span): boolean {
  return a.start === b.start && a.end === b.end;
}

/** A key for a span in a file (lookups by exact span). */
const spanKey = (file: string, span: Span): string => `${span.start}:${span.end}:${file}`;

/**
 * Per-result lookup tables, built once on first use (linear) so that each lookup is O(1): inlay
 * hints ask for every stage of a pipeline, and scanning all stages per stage was quadratic.
 */
const nodeIndex = new WeakMap<
  CheckResult,
  Map<string, { model: CheckedModel; node: LayerNode }[]>
>();
const stageIndex = new WeakMap<CheckResult, Map<string, StageShape>>();

/** Every layer node (across models) created by the stage whose callee is at `nameSpan`. */
export function nodesAt(
  result: CheckResult,
  file: string,
  nameSpan: Span,
): { model: CheckedModel; node: LayerNode }[] {
  let m = nodeIndex.get(result);
  if (!m) {
    m = new Map();
    for (const model of result.models)
      for (const node of model.nodes) {
        const k = spanKey(node.file, node.nameSpan);
        const list = m.get(k);
        if (list) list.push({ model, node });
        else m.set(k, [{ model, node }]);
      }
    nodeIndex.set(result, m);
  }
  return [...(m.get(spanKey(file, nameSpan)) ?? [])];
}

/** Every block-instance or repeat group created by the stage at `span`. */
export function groupsAt(
  result: CheckResult,
  file: string,
  span: Span,
  kind: Group['kind'],
): { model: CheckedModel; group: Group }[] {
  const out: { model: CheckedModel; group: Group }[] = [];
  for (const model of result.models)
    for (const group of model.groups)
      if (group.kind === kind && group.file === file && sameSpan(group.span, span))
        out.push({ model, group });
  return out;
}

/** Nodes inside a group (at any depth). */
export function nodesInGroup(model: CheckedModel, gid: number): LayerNode[] {
  const parent = new Map(model.groups.map((g) => [g.id, g.parent]));
  const inside = (g: number | undefined): boolean => {
    for (let c = g; c !== undefined; c = parent.get(c)) if (c === gid) return true;
    return false;
  };
  return model.nodes.filter((n) => inside(n.group));
}

export function stageShapeAt(
  result: CheckResult,
  file: string,
  span: Span,
): StageShape | undefined {
  let m = stageIndex.get(result);
  if (!m) {
    m = new Map();
    for (const s of result.stageShapes) {
      const k = spanKey(s.file, s.span);
      if (!m.has(k)) m.set(k, s);
    }
    stageIndex.set(result, m);
  }
  return m.get(spanKey(file, span));
}

/** The span the checker records for a stage's output: the last stage of a pipeline. */
export function lastStage(p: Pipeline): Stage | undefined {
  return p.stages[p.stages.length - 1];
}

export function trainFor(result: CheckResult, model: string): CheckedTrain | undefined {
  return result.trains.find((t) => t.model === model);
}

/**
 * Markdown for text from the user's files (hovers are untrusted: no HTML, no command links). An
 * inline code span: backticks become ˋ so the span cannot close early, and line breaks become
 * spaces so a blank line cannot end it.
 */
export function md(code: string): string {
  return '`' + code.replace(/`/g, 'ˋ').replace(/\s*[\r\n]+\s*/g, ' ') + '`';
}

/**
 * Prose from the user's files (doc comments, messages quoting their strings) as literal text:
 * every ASCII punctuation character is backslash-escaped, so nothing in it becomes markup, HTML,
 * a link or an image. Line breaks are kept.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** A fenced code block whose fence is longer than any backtick run inside `code`. */
export function codeBlock(lang: string, code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${code}\n${fence}`;
}

/** Inline code in a table cell: `|` is escaped so it cannot split the row. */
export function mdCell(code: string): string {
  return md(code).replace(/\|/g, '\\|');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
