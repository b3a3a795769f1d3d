/**
 * Code lenses over each model: its totals, and actions to open the graph, train, and summarize.
 */
import type { Span } from '../core';
import type { CheckResult } from '../language/checked';
import { compact, computeText, thousands, type DisplayOptions, DEFAULT_DISPLAY } from './common';

export interface CodeLens {
  readonly span: Span;
  readonly title: string;
  readonly command?: { readonly id: string; readonly args: readonly unknown[] };
}

export const COMMANDS = {
  showGraph: 'dlm.showGraph',
  train: 'dlm.train',
  showSummary: 'dlm.showSummary',
} as const;

export function codeLenses(
  result: CheckResult,
  file: string,
  uri: string = file,
  opts: DisplayOptions = DEFAULT_DISPLAY,
): CodeLens[] {
  const out: CodeLens[] = [];
  for (const m of result.models) {
    if (m.file !== file) continue;
    const span = m.nameSpan;
    const params = m.totals.trainable + m.totals.nonTrainable;
    const c = computeText(m.totals.macs, opts);
    const compute =
      c.atB1 !== undefined ? `${compact(c.atB1)} ${c.label}` : `${c.symbolic} ${c.label}`;
    const args = [uri, m.name];
    out.push({
      span,
      title: `${thousands(params)} params · ${compute}${m.ok ? '' : ' (model has errors)'}`,
    });
    out.push({ span, title: 'Show graph', command: { id: COMMANDS.showGraph, args } });
    out.push({ span, title: 'Train', command: { id: COMMANDS.train, args } });
    out.push({ span, title: 'Summary', command: { id: COMMANDS.showSummary, args } });
  }
  return out;
}
