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
  openExample: 'dlm.openExample',
  insertSnippet: 'editor.action.insertSnippet',
} as const;

/** What "Insert a model" writes into an empty file: a small checked model to edit. */
export const STARTER_MODEL =
  '/// ${1:A small classifier}.\nmodel ${2:Net}(x: [B, ${3:2}]) -> [B, ${4:3}] {\n  x |> Dense(${5:16}) |> ReLU |> Dense(${4:3})\n}\n$0';

export function codeLenses(
  result: CheckResult,
  file: string,
  uri: string = file,
  opts: DisplayOptions = DEFAULT_DISPLAY,
): CodeLens[] {
  const out: CodeLens[] = [];
  const source = result.files.get(file);
  if (source && source.items.length === 0 && source.text.length < 100_000) {
    // A new (or comment-only) file: show how to start.
    const span = { start: 0, end: 0 };
    out.push({
      span,
      title: 'Insert a model',
      command: { id: COMMANDS.insertSnippet, args: [{ snippet: STARTER_MODEL }] },
    });
    out.push({ span, title: 'Open an example…', command: { id: COMMANDS.openExample, args: [] } });
    return out;
  }
  for (const m of result.models) {
    if (m.file !== file) continue;
    const span = m.nameSpan;
    // Trainable parameters, with frozen ones and buffers (BatchNorm running statistics) apart,
    // as torchinfo and the doc comments of the zoo count them: "11,689,512 params + 9,600
    // buffers", "2,570 params + 44 frozen + 8 buffers".
    const buffers = m.totals.nonTrainable - m.totals.frozen;
    const params =
      `${thousands(m.totals.trainable)} params` +
      (m.totals.frozen ? ` + ${thousands(m.totals.frozen)} frozen` : '') +
      (buffers ? ` + ${thousands(buffers)} buffers` : '');
    const c = computeText(m.totals.macs, opts);
    const compute =
      c.atB1 !== undefined ? `${compact(c.atB1)} ${c.label}` : `${c.symbolic} ${c.label}`;
    const args = [uri, m.name];
    out.push({
      span,
      title: `${params} · ${compute}${m.ok ? '' : ' (model has errors)'}`,
    });
    out.push({ span, title: 'Show graph', command: { id: COMMANDS.showGraph, args } });
    out.push({ span, title: 'Train', command: { id: COMMANDS.train, args } });
    out.push({ span, title: 'Summary', command: { id: COMMANDS.showSummary, args } });
  }
  return out;
}
