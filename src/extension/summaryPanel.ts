/** "DLM: Show Summary": the model's summary as a table in a webview. */
import * as vscode from 'vscode';
import { nonce } from './webview';
import type { SummaryResponse } from '../server/protocol';

interface Shape {
  dims: string[];
}
interface Row {
  kind: string;
  label: string;
  depth: number;
  outputShapes: (Shape | null)[];
  params: { trainable: number; nonTrainable: number };
  macs: number | string;
  memory: { savedBytes: number | string; gradBytes: number; optimizerStateBytes: number };
  shared: boolean;
  error?: string;
  sameAs?: string;
  collapsedRows?: number;
}
interface Summary {
  model: string;
  file: string;
  batch: number;
  ok: boolean;
  doc?: string;
  inputs: { name: string; shape: Shape | null }[];
  outputs: { name: string; shape: Shape | null }[];
  rows: Row[];
  omittedRows?: number;
  totals: {
    trainable: number;
    nonTrainable: number;
    total: number;
    macs: number | string;
    macsSymbolic: string;
    paramBytes: number;
    activationBytes: number | string;
    training: {
      totalBytes: number | string;
      activationBytes: number | string;
      gradBytes: number;
      optimizerStateBytes: number;
      optimizer: { name: string };
    };
  };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (n: number | string): string =>
  typeof n === 'number' ? n.toLocaleString('en-US') : symbolic(n);
const shape = (s: Shape | null | undefined): string => (s ? `[${s.dims.join(', ')}]` : '?');
/** Bytes in MiB (2^20, which is what the division by 1024·1024 gives). */
const mib = (n: number | string): string =>
  typeof n === 'number' ? `${(n / 1024 / 1024).toFixed(2)} MiB` : `${symbolic(n)} bytes`;
/** A symbolic count for people, as the hover prints it: `1814073344*B` → `1,814,073,344·B`. */
const symbolic = (n: number | string): string =>
  typeof n === 'number'
    ? n.toLocaleString('en-US')
    : n.replace(/\d{4,}/g, (d) => Number(d).toLocaleString('en-US')).replace(/\*/g, '·');
/** Doc comment text: `code` spans as <code>, the rest escaped (no raw backticks). */
const docHtml = (text: string): string =>
  text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 ? `<code>${esc(part.slice(1, -1))}</code>` : esc(part)))
    .join('');

/** `file`: the document as the user knows it (workspace-relative), not the server's path. */
export function summaryHtml(res: SummaryResponse, cspSource: string, file?: string): string {
  const s = res.summary as Summary | undefined;
  const n = nonce();
  const head = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${n}';">
<style nonce="${n}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: var(--vscode-editor-font-size); max-width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border, #8884); vertical-align: top; }
th { text-align: left; color: var(--vscode-descriptionForeground); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.l { font-family: var(--vscode-editor-font-family); white-space: pre-wrap; overflow-wrap: anywhere; }
code { font-family: var(--vscode-editor-font-family); }
tr.block td { font-weight: 600; }
tr.err td { color: var(--vscode-errorForeground); }
tr.total td { font-weight: 700; border-top: 2px solid var(--vscode-panel-border, #8886); }
.muted { color: var(--vscode-descriptionForeground); }
</style></head><body>`;
  if (!s) return `${head}<p>No model in this file.</p></body></html>`;
  const rows = s.rows
    .map((r) => {
      const cls = [r.kind !== 'layer' ? 'block' : '', r.error ? 'err' : ''].join(' ').trim();
      const p = r.params.trainable + r.params.nonTrainable;
      return `<tr class="${cls}"><td class="l">${'  '.repeat(r.depth)}${esc(r.label)}${r.shared ? ' <span class="muted">(shared)</span>' : ''}${r.sameAs !== undefined ? ` <span class="muted">(repeats an earlier instance; ${num(r.collapsedRows ?? 0)} rows not shown)</span>` : ''}</td>
<td class="l">${esc(r.outputShapes.map(shape).join(', '))}</td><td class="n">${num(p)}</td><td class="n">${esc(num(r.macs))}</td>
<td class="n">${esc(mib(r.memory.savedBytes))}</td><td class="n">${mib(r.memory.gradBytes + r.memory.optimizerStateBytes)}</td></tr>`;
    })
    .join('\n');
  const t = s.totals;
  return `${head}
<h2>${esc(s.model)}${s.ok ? '' : ' <span class="muted">(has errors)</span>'}</h2>
${s.doc ? `<p class="muted">${docHtml(s.doc)}</p>` : ''}
<p class="muted">${esc(file ?? s.file)} · inputs ${esc(s.inputs.map((i) => `${i.name}: ${shape(i.shape)}`).join(', '))} · MACs at B = ${s.batch}</p>
<table>
<thead><tr><th>Layer</th><th>Output shape</th><th class="n">Params</th><th class="n">MACs</th><th class="n" title="Activations kept for the backward pass">Kept for backward</th><th class="n">Gradients + ${esc(s.totals.training.optimizer.name)} state</th></tr></thead>
<tbody>
${rows}
<tr class="total"><td class="l">Total</td><td class="l">${esc(s.outputs.map((o) => shape(o.shape)).join(', '))}</td><td class="n">${num(t.total)}</td><td class="n">${esc(num(t.macs))}</td><td class="n">${esc(mib(t.training.activationBytes))}</td><td class="n">${mib(t.training.gradBytes + t.training.optimizerStateBytes)}</td></tr>
</tbody></table>
${s.omittedRows ? `<p class="muted">${num(s.omittedRows)} rows are not listed (repeated blocks are shown once); the totals count every layer.</p>` : ''}
<table>
<tr><td>Trainable parameters</td><td class="n">${num(t.trainable)}</td></tr>
<tr><td>Non-trainable parameters</td><td class="n">${num(t.nonTrainable)}</td></tr>
<tr><td>MACs (symbolic)</td><td class="n">${esc(symbolic(t.macsSymbolic))}</td></tr>
<tr><td>Parameter memory</td><td class="n">${mib(t.paramBytes)}</td></tr>
<tr><td>Activation memory (B = ${s.batch})</td><td class="n">${esc(mib(t.activationBytes))}</td></tr>
<tr><td>Activations kept for backward (B = ${s.batch})</td><td class="n">${esc(mib(t.training.activationBytes))}</td></tr>
<tr><td>Gradients</td><td class="n">${mib(t.training.gradBytes)}</td></tr>
<tr><td>Optimizer state (${esc(t.training.optimizer.name)})</td><td class="n">${mib(t.training.optimizerStateBytes)}</td></tr>
<tr><td>Training memory estimate (${esc(t.training.optimizer.name)})</td><td class="n">${esc(mib(t.training.totalBytes))}</td></tr>
</table></body></html>`;
}

let panel: vscode.WebviewPanel | undefined;

export function showSummaryPanel(res: SummaryResponse): vscode.WebviewPanel {
  const title = `Summary: ${res.model ?? 'no model'}`;
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      'dlm.summary',
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false },
    );
    panel.onDidDispose(() => (panel = undefined));
  }
  panel.title = title;
  const file = vscode.workspace.asRelativePath(vscode.Uri.parse(res.uri));
  panel.webview.html = summaryHtml(res, panel.webview.cspSource, file);
  panel.reveal(vscode.ViewColumn.Beside, true);
  return panel;
}
