/**
 * Code actions: the quick fixes the checker attached to its diagnostics, and "fix all".
 */
import type { Diagnostic, Span, TextEdit } from '../core';
import type { CheckResult } from '../language/checked';

export interface CodeAction {
  readonly title: string;
  readonly kind: 'quickfix' | 'source.fixAll';
  readonly edits: readonly TextEdit[];
  readonly preferred?: boolean;
  /** The diagnostics the action fixes. */
  readonly diagnostics: readonly Diagnostic[];
}

const overlaps = (a: Span, b: Span): boolean => a.start <= b.end && b.start <= a.end;

export function codeActions(result: CheckResult, file: string, range: Span): CodeAction[] {
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
  return out;
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
