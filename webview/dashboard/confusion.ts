/** The confusion matrix on the validation set: rows are the true class, columns the prediction. */
import type { DashDatasetInfo, HostToDashboard } from '../protocol';
import { onFrame } from './charts';
import { h } from './dom';

/** The Confusion tab: a placeholder until the first matrix, then the latest (one draw a frame). */
export function confusionTab(panel: HTMLElement): {
  start(dataset: DashDatasetInfo): void;
  show(m: Extract<HostToDashboard, { type: 'confusion' }>): void;
} {
  const host = h(
    'div',
    { id: 'confusion' },
    h(
      'p',
      { class: 'muted empty-note' },
      'The confusion matrix on the validation set appears after the first epoch of a classification run.',
    ),
  );
  panel.appendChild(host);
  let pending: Extract<HostToDashboard, { type: 'confusion' }> | undefined;
  return {
    start(dataset) {
      host.replaceChildren(
        h(
          'p',
          { class: 'muted empty-note' },
          dataset.task === 'classification'
            ? 'The confusion matrix appears after the first validation pass.'
            : `No confusion matrix: ${dataset.name} is a ${dataset.task} task.`,
        ),
      );
    },
    show(m) {
      if (!pending)
        onFrame(() => {
          const c = pending;
          pending = undefined;
          if (c) renderConfusion(host, c.classes, c.matrix, c.epoch);
        });
      pending = m;
    },
  };
}

export function renderConfusion(
  host: HTMLElement,
  classes: readonly string[],
  matrix: readonly (readonly number[])[],
  epoch: number,
): void {
  const n = classes.length;
  const total = matrix.reduce((a, r) => a + r.reduce((b, v) => b + v, 0), 0);
  let correct = 0;
  for (let i = 0; i < n; i++) correct += matrix[i]?.[i] ?? 0;
  let rowMax = 1;
  for (const r of matrix) for (const v of r) rowMax = Math.max(rowMax, v);
  const table = h('table', { id: 'confusion-table', class: 'confusion' });
  const head = h(
    'tr',
    {},
    h('th', { class: 'corner', scope: 'col' }, 'true ↓ / predicted →'),
    ...classes.map((c) => h('th', { scope: 'col' }, c)),
    h('th', { scope: 'col', class: 'muted' }, 'recall'),
  );
  table.appendChild(h('thead', {}, head));
  const body = h('tbody');
  for (let i = 0; i < n; i++) {
    const row = matrix[i] ?? [];
    const sum = row.reduce((a, v) => a + v, 0);
    const tr = h('tr', {}, h('th', { scope: 'row' }, classes[i] ?? String(i)));
    for (let j = 0; j < n; j++) {
      const v = row[j] ?? 0;
      const td = h(
        'td',
        { class: i === j ? 'cell diag' : 'cell off', 'data-count': String(v) },
        String(v),
      );
      const pct = Math.round((v / rowMax) * 85);
      td.style.setProperty('--fill', `${pct}%`);
      td.title = `true ${classes[i]}, predicted ${classes[j]}: ${v}${sum ? ` (${((100 * v) / sum).toFixed(1)}% of the row)` : ''}`;
      tr.appendChild(td);
    }
    tr.appendChild(
      h(
        'td',
        { class: 'muted recall' },
        sum ? `${((100 * (row[i] ?? 0)) / sum).toFixed(1)}%` : '–',
      ),
    );
    body.appendChild(tr);
  }
  table.appendChild(body);
  host.replaceChildren(
    h(
      'div',
      { class: 'confusion-caption muted', id: 'confusion-caption' },
      `Validation set after epoch ${epoch}: ${correct} of ${total} correct (${total ? ((100 * correct) / total).toFixed(1) : '0'}%)`,
    ),
    table,
  );
}
