/**
 * The Gradients tab: gradient norm per parameter tensor (log scale, with the vanishing and
 * exploding thresholds), the table of the latest norms, weight histograms and dead ReLUs. The tab
 * is flagged while a tensor's gradient is out of range or a ReLU layer is more than half dead.
 */
import type { HostToDashboard } from '../protocol';
import { LineChart, type ChartSource } from './charts';
import { h, palette } from './dom';
import { EXPLODING, VANISHING, renderGradTable, renderHistograms } from './gradients';
import type { RunData } from './run';

export interface GradientsTab {
  readonly chart: LineChart;
  /** The table of the latest norms and the summary line above it. */
  drawTable(): void;
  histograms(m: Extract<HostToDashboard, { type: 'histograms' }>): void;
  /** A new run: the histograms' placeholder and no flags. */
  start(): void;
  /** No run. */
  clear(): void;
}

export function gradientsTab(
  panel: HTMLElement,
  ctx: { run(): RunData | undefined; flag(on: boolean): void },
): GradientsTab {
  const summary = h('div', { id: 'grad-summary', class: 'grad-summary' });
  const grid = h('div', { class: 'chart-grid single' });
  const tableHost = h('div', { class: 'grad-table-host' });
  const histHost = h('div', { id: 'histograms', class: 'histograms' });
  panel.append(summary, grid, tableHost, histHost);
  let gradFlags = 0;
  let deadFlags = 0;
  const flag = () => ctx.flag(gradFlags + deadFlags > 0);
  const color = (i: number): string => {
    const p = palette();
    return p.series[i % p.series.length]!;
  };
  const chart = new LineChart(grid, {
    id: 'chart-grads',
    title: 'Gradient norm per parameter tensor (log scale)',
    xLabel: 'epoch',
    height: 260,
    yLog: true,
    legend: true,
    xMin: 0,
    thresholds: [
      { value: VANISHING, label: 'vanishing 1e-7' },
      { value: EXPLODING, label: 'exploding 1e3' },
    ],
    sources: () => {
      const r = ctx.run();
      if (!r) return [];
      const s: ChartSource[] = r.grads.map((g, i) => ({
        spec: {
          key: `g${i}`,
          label: r.params[i]?.name ?? `param ${i}`,
          color: i,
          width: 1.25,
          ...(i >= 6 ? { dash: [4, 3] } : {}),
        },
        data: g,
      }));
      if (r.globalGrad.n)
        s.push({
          spec: { key: 'global', label: 'global', color: palette().fg, width: 2 },
          data: r.globalGrad,
        });
      return s;
    },
  });

  function drawTable(): void {
    const r = ctx.run();
    if (!r || !r.grads.length) {
      summary.textContent = r ? 'No per-tensor gradient norms from the trainer yet.' : '';
      tableHost.replaceChildren();
      return;
    }
    const params = r.params.length
      ? r.params
      : r.grads.map((_, i) => ({ name: `param ${i}`, shape: [] }));
    const { vanishing, exploding } = renderGradTable(tableHost, params, r.latestGrads, color);
    summary.textContent =
      vanishing || exploding
        ? `${vanishing} tensor(s) with vanishing gradients (< 1e-7), ${exploding} exploding (> 1e3)`
        : `All ${params.length} parameter tensors have gradient norms in [1e-7, 1e3]`;
    summary.className = `grad-summary${vanishing || exploding ? ' warn' : ''}`;
    gradFlags = vanishing + exploding;
    flag();
  }

  return {
    chart,
    drawTable,
    histograms(m) {
      deadFlags = renderHistograms(histHost, m.step, m.weights, m.deadRelu, m.probeSamples);
      flag();
    },
    start() {
      deadFlags = 0;
      histHost.replaceChildren(
        h(
          'p',
          { class: 'muted empty-note' },
          'Weight histograms appear when the trainer sends them.',
        ),
      );
    },
    clear() {
      histHost.replaceChildren();
    },
  };
}
