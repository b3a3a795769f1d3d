/** Previous runs from `.dlm/runs/`: their config and final metrics, an overlay toggle, actions. */
import type { DashRunSummary } from '../protocol';
import { button, checkbox } from '../controls';
import { fmt, h } from './dom';

export interface HistoryActions {
  overlay(runId: string, on: boolean): void;
  openConfig(runId: string): void;
  exportOnnx(runId: string): void;
}

export function renderHistory(
  host: HTMLElement,
  runs: readonly DashRunSummary[],
  overlay: ReadonlySet<string>,
  current: string | undefined,
  actions: HistoryActions,
): void {
  if (!runs.length) {
    host.replaceChildren(
      h('p', { class: 'muted empty-note' }, 'No previous runs in .dlm/runs/ yet.'),
    );
    return;
  }
  const table = h('table', { id: 'history-table', class: 'history' });
  table.appendChild(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Overlay'),
        h('th', { scope: 'col' }, 'Run'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Config'),
        h('th', { scope: 'col' }, 'Result'),
        h('th', { scope: 'col' }, ''),
      ),
    ),
  );
  const body = h('tbody');
  for (const r of runs) {
    const box = checkbox({
      class: 'overlay-toggle',
      'aria-label': `Overlay ${r.runId} on the charts`,
    });
    box.checked = overlay.has(r.runId);
    box.disabled = r.runId === current;
    box.addEventListener('change', () => actions.overlay(r.runId, box.checked));
    const c = r.config;
    const cfg = `${c.optimizer}${c.lr !== undefined ? ` lr=${fmt(c.lr)}` : ''} · ${c.epochs} epochs · batch ${c.batch} · ${c.dataset}`;
    const fin = r.final
      ? Object.entries(r.final)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(' · ')
      : '–';
    const when = new Date(r.startedAt);
    const open = button('Config', {
      class: 'open-config',
      title: `Open ${r.runId}/config.json`,
    });
    open.addEventListener('click', () => actions.openConfig(r.runId));
    const exp = button(r.hasOnnx ? 'ONNX ✓' : 'Export ONNX', {
      class: 'export-onnx',
      title: `Export ${r.runId} as ONNX`,
    });
    exp.addEventListener('click', () => actions.exportOnnx(r.runId));
    const tr = h(
      'tr',
      { 'data-run': r.runId, class: r.runId === current ? 'current' : '' },
      h('td', {}, box),
      h(
        'td',
        {},
        h('div', { class: 'run-id' }, r.runId),
        h(
          'div',
          { class: 'muted' },
          `${r.model} · ${Number.isNaN(when.getTime()) ? r.startedAt : when.toLocaleString()}`,
        ),
      ),
      h(
        'td',
        {},
        h('span', { class: `status-pill status-${r.status}` }, r.status),
        h('div', { class: 'muted' }, `${r.epochsDone}/${c.epochs} epochs`),
      ),
      h('td', { class: 'cfg' }, cfg),
      h('td', { class: 'final' }, fin),
      h('td', { class: 'actions' }, open, exp),
    );
    body.appendChild(tr);
  }
  table.appendChild(body);
  host.replaceChildren(table);
}
