/**
 * Reuse between checks of the same file: what a result keeps so that the next check can take an
 * unchanged model (its text and its blocks' text outside the edited region) with its spans
 * shifted instead of elaborating it again.
 */
import type { Diagnostic, Span } from '../core';
import type { Body, Pipeline, SourceFile, Stage } from './ast';
import type { CheckedModel } from './checked';
import type { FileScope, ModelCapture } from './elaborate';
import type { EditRegion } from './parser';

/** Kept on a CheckResult (as `reuse`) so the next check of the same file can skip unchanged models. */
export interface ReuseState {
  readonly path: string;
  readonly text: string;
  /** Texts of every other file the check read (imports). */
  readonly otherTexts: ReadonlyMap<string, string>;
  /** Kinds and names of the root file's items, in order: a change forces a full check. */
  readonly signature: string;
  /** For models and blocks: [end of the previous item, end of this item] (includes doc comments). */
  readonly ranges: ReadonlyMap<string, readonly [number, number]>;
  /** For each model: the root-file blocks it names, transitively. */
  readonly deps: ReadonlyMap<string, readonly string[]>;
  readonly models: ReadonlyMap<string, Kept>;
}

/** A model of the previous result with what it contributed, for reuse by the next check. */
export interface Kept {
  readonly model: CheckedModel;
  readonly capture: ModelCapture;
  /**
   * The model's lint reports (root file only) and the train loss they were computed with: lints
   * read only the model, the loss name and the text at the model's own spans, so a reused model
   * with the same loss reports the same.
   */
  lints?: { readonly loss: string | undefined; readonly diagnostics: readonly Diagnostic[] };
}

export function sameTexts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export function itemRanges(file: SourceFile): Map<string, readonly [number, number]> {
  const out = new Map<string, readonly [number, number]>();
  let prevEnd = 0;
  for (const item of file.items) {
    if ((item.kind === 'Model' || item.kind === 'Block') && item.name.name)
      out.set(`${item.kind}:${item.name.name}`, [prevEnd, item.span.end]);
    prevEnd = item.span.end;
  }
  return out;
}

/** For each model, the root-file blocks it names (directly or through other blocks). */
export function modelDeps(file: SourceFile, scope: FileScope): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of file.items) {
    if (item.kind !== 'Model') continue;
    const found = new Set<string>();
    const queue = [...calleesOf(item.body)];
    while (queue.length) {
      const n = queue.pop()!;
      if (found.has(n)) continue;
      const b = scope.blocks.get(n);
      if (!b || b.file !== file.uri) continue;
      found.add(n);
      for (const c of calleesOf(b.item.body)) queue.push(c);
    }
    out.set(item.name.name, [...found]);
  }
  return out;
}

/** The previous result's model, shifted to the new text, when nothing it depends on was edited. */
export function reusable(
  prev: ReuseState,
  name: string,
  edit: EditRegion,
  path: string,
): Kept | undefined {
  const entry = prev.models.get(name);
  if (!entry) return undefined;
  const spans = [`Model:${name}`, ...(prev.deps.get(name) ?? []).map((b) => `Block:${b}`)];
  for (const key of spans) {
    const r = prev.ranges.get(key);
    if (!r || (r[0] <= edit.oldEnd && edit.start <= r[1])) return undefined;
  }
  if (edit.delta === 0) return { model: entry.model, capture: entry.capture, lints: entry.lints };
  const f = (file: string, s: Span): Span =>
    file === path && s.start >= edit.oldEnd
      ? { start: s.start + edit.delta, end: s.end + edit.delta }
      : s;
  const m = entry.model;
  const model: CheckedModel = {
    ...m,
    span: f(m.file, m.span),
    nameSpan: f(m.file, m.nameSpan),
    inputs: m.inputs.map((io) => ({ ...io, span: f(m.file, io.span) })),
    outputs: m.outputs.map((io) => ({ ...io, span: f(m.file, io.span) })),
    nodes: m.nodes.map((n) => ({ ...n, span: f(n.file, n.span), nameSpan: f(n.file, n.nameSpan) })),
    values: m.values.map((v) => ({ ...v, span: f(v.file, v.span) })),
    groups: m.groups.map((g) => ({ ...g, span: f(g.file, g.span) })),
  };
  const c = entry.capture;
  const shiftDiagnostic = (d: Diagnostic): Diagnostic => ({
    ...d,
    span: f(d.file, d.span),
    related: d.related?.map((r) => ({ ...r, span: f(r.file, r.span) })),
    fixes: d.fixes?.map((fx) => ({
      ...fx,
      edits: fx.edits.map((e) => ({ ...e, span: f(d.file, e.span) })),
    })),
  });
  const capture: ModelCapture = {
    diagnostics: c.diagnostics.map(shiftDiagnostic),
    declared: c.declared.map((d) => ({ ...d, span: f(d.file, d.span) })),
    used: c.used.map((u) =>
      u.file === path && u.offset >= edit.oldEnd
        ? { file: u.file, offset: u.offset + edit.delta }
        : u,
    ),
    stages: c.stages.map((st) => ({ ...st, span: f(st.file, st.span) })),
  };
  const lints = entry.lints && {
    loss: entry.lints.loss,
    diagnostics: entry.lints.diagnostics.map(shiftDiagnostic),
  };
  return { model, capture, lints };
}

/** Names of every layer, block or shared layer a body calls (including nested if/repeat). */
export function calleesOf(body: Body, into = new Set<string>()): Set<string> {
  const visitStage = (st: Stage): void => {
    if (st.kind === 'Layer') into.add(st.callee.name);
    else if (st.kind === 'Repeat') visitStage(st.body);
    else if (st.kind === 'Group') st.stages.forEach(visitStage);
  };
  const visitPipeline = (p: Pipeline): void => {
    p.stages.forEach(visitStage);
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(visitPipeline);
  };
  for (const st of body.stmts) {
    if (st.kind === 'Bind' || st.kind === 'BindTuple' || st.kind === 'ExprStmt')
      visitPipeline(st.value);
    else if (st.kind === 'Return') st.values.forEach(visitPipeline);
    else if (st.kind === 'LayerDecl' || st.kind === 'ParamDecl') into.add(st.value.callee.name);
    else if (st.kind === 'If') {
      calleesOf(st.then, into);
      let e = st.else;
      while (e) {
        if (e.kind === 'If') {
          calleesOf(e.then, into);
          e = e.else;
        } else {
          calleesOf(e, into);
          e = undefined;
        }
      }
    }
  }
  return into;
}
