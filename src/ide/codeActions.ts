/**
 * Code actions: the quick fixes the checker attached to its diagnostics, "fix all", and "Add
 * train section" on a model that checks but has none.
 */
import type { Diagnostic, Span, TextEdit } from '../core';
import type { CheckResult } from '../language/checked';
import type { Host } from '../language/program';
import { dataChoices, trainSectionText } from '../language/starter';

export interface CodeAction {
  readonly title: string;
  readonly kind: 'quickfix' | 'source.fixAll' | 'refactor';
  readonly edits: readonly TextEdit[];
  readonly preferred?: boolean;
  /** The diagnostics the action fixes. */
  readonly diagnostics: readonly Diagnostic[];
}

const overlaps = (a: Span, b: Span): boolean => a.start <= b.end && b.start <= a.end;

export function codeActions(
  result: CheckResult,
  file: string,
  range: Span,
  host?: Host,
): CodeAction[] {
  const out: CodeAction[] = [];
  const inFile = result.diagnostics.filter((d) => d.file === file);
  for (const d of inFile) {
    if (!overlaps(d.span, range)) continue;
    for (const f of d.fixes ?? [])
      out.push({
        title: f.title,
        kind: 'quickfix',
        edits: f.edits,
        ...(f.preferred ? { preferred: true } : {}),
        diagnostics: [d],
      });
  }
  const all = fixAll(result, file);
  if (all && all.diagnostics.length > 1) out.push(all);
  if (host) {
    const add = addTrainSection(result, file, range, host);
    if (add) out.push(add);
  }
  return out;
}

/**
 * "Add train section" inside a model that checks and has no train section: writes one after the
 * model, with its name, the first dataset that fits it and the matching loss
 * (src/language/starter.ts).
 */
export function addTrainSection(
  result: CheckResult,
  file: string,
  range: Span,
  host: Host,
): CodeAction | undefined {
  const model = result.models.find(
    (m) => m.file === file && m.ok && overlaps(m.span, range) && range.start >= m.span.start,
  );
  if (!model || result.trains.some((t) => t.model === model.name)) return undefined;
  const choice = dataChoices(result, file, model.name, host)[0];
  if (!choice) return undefined;
  const end = model.span.end;
  return {
    title: `Add train section (${choice.text}, ${choice.loss})`,
    kind: 'refactor',
    edits: [
      {
        span: { start: end, end },
        newText: `\n\n${trainSectionText(model.name, choice).trimEnd()}`,
      },
    ],
    diagnostics: [],
  };
}

/** Every preferred fix in the file whose edits do not overlap an earlier one. */
export function fixAll(result: CheckResult, file: string): CodeAction | undefined {
  const edits: TextEdit[] = [];
  const fixed: Diagnostic[] = [];
  for (const d of result.diagnostics) {
    if (d.file !== file) continue;
    const f = d.fixes?.find((x) => x.preferred);
    if (!f) continue;
    if (
      f.edits.some((e) => edits.some((o) => e.span.start < o.span.end && o.span.start < e.span.end))
    )
      continue;
    edits.push(...f.edits);
    fixed.push(d);
  }
  if (!fixed.length) return undefined;
  edits.sort((a, b) => a.span.start - b.span.start);
  return { title: `Fix all (${fixed.length})`, kind: 'source.fixAll', edits, diagnostics: fixed };
}

/** Applies non-overlapping edits to a text (helper for tests and the CLI). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start))
    out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}
