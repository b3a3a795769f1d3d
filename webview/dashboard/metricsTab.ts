/**
 * The Metrics tab: loss (per step, per epoch, validation, best; log scale on demand), the
 * metrics, and the learning rate, with History's overlaid runs drawn dashed.
 */
import { checkbox, withLabel } from '../controls';
import { LineChart, type ChartSource } from './charts';
import type { Series } from './decimate';
import { h } from './dom';
import type { OverlayCurves, RunData } from './run';

export interface MetricsContext {
  run(): RunData | undefined;
  /** Ids of the runs overlaid from History, in order. */
  overlay(): Iterable<string>;
  readonly curves: ReadonlyMap<string, OverlayCurves>;
  logScale(): boolean;
  setLogScale(on: boolean): void;
}

export interface MetricsTab {
  readonly loss: LineChart;
  readonly metrics: LineChart;
  readonly lr: LineChart;
  /** Show the saved log-scale setting. */
  syncLogScale(): void;
}

export function metricsTab(panel: HTMLElement, ctx: MetricsContext): MetricsTab {
  const logToggle = checkbox({ id: 'log-scale' });
  const chartTools = h(
    'div',
    { class: 'chart-tools' },
    withLabel(logToggle, 'Log scale (loss)'),
    h('span', { class: 'muted hint' }, 'Drag to zoom · double-click to reset'),
  );
  const grid = h('div', { class: 'chart-grid' });
  panel.append(chartTools, grid);

  const overlaySources = (pick: (c: OverlayCurves) => [string, Series][]): ChartSource[] => {
    const out: ChartSource[] = [];
    let k = 0;
    for (const id of ctx.overlay()) {
      const c = ctx.curves.get(id);
      if (!c || id === ctx.run()?.runId) continue;
      for (const [label, s] of pick(c)) {
        out.push({
          spec: {
            key: `ov:${id}:${label}`,
            label: `${id} ${label}`,
            color: 3 + k,
            dash: [5, 4],
            width: 1.25,
          },
          data: s,
        });
      }
      k++;
    }
    return out;
  };

  const loss = new LineChart(grid, {
    id: 'chart-loss',
    title: 'Loss',
    xLabel: 'epoch',
    height: 240,
    yLog: () => ctx.logScale(),
    xMin: 0,
    sources: () => {
      const r = ctx.run();
      const s: ChartSource[] = [];
      if (r) {
        s.push({
          spec: { key: 'step', label: 'train (per step)', color: 0, alpha: 0.35, width: 1 },
          data: r.stepLoss,
        });
        s.push({
          spec: { key: 'epoch', label: 'train', color: 0, width: 2, points: true },
          data: r.epochLoss,
        });
        s.push({
          spec: { key: 'val', label: 'validation', color: 1, width: 2, points: true },
          data: r.valLoss,
        });
        s.push({ spec: { key: 'best', label: 'best', color: 2, pointsOnly: true }, data: r.best });
      }
      return [...s, ...overlaySources((c) => [['val', c.val.n ? c.val : c.loss]])];
    },
  });
  const metrics = new LineChart(grid, {
    id: 'chart-metrics',
    title: 'Metrics',
    xLabel: 'epoch',
    height: 240,
    xMin: 0,
    sources: () => {
      const r = ctx.run();
      const s: ChartSource[] = [];
      if (r) {
        let i = 0;
        const em = [...r.epochMetrics.keys()].sort();
        for (const k of em)
          s.push({
            spec: {
              key: `e:${k}`,
              label: k,
              color: i++ % 3 === 0 && k.startsWith('val') ? 1 : i - 1,
              width: 2,
              points: true,
            },
            data: r.epochMetrics.get(k)!,
          });
        if (!em.length)
          for (const [k, v] of r.stepMetrics)
            s.push({ spec: { key: `s:${k}`, label: k, color: i++, width: 1 }, data: v });
      }
      return [
        ...s,
        ...overlaySources((c) => [...c.metrics.entries()].filter(([k]) => k.startsWith('val'))),
      ];
    },
  });
  const lr = new LineChart(grid, {
    id: 'chart-lr',
    title: 'Learning rate',
    xLabel: 'epoch',
    height: 160,
    xMin: 0,
    legend: false,
    sources: () => {
      const r = ctx.run();
      return r
        ? [{ spec: { key: 'lr', label: 'learning rate', color: 3, width: 1.5 }, data: r.stepLr }]
        : [];
    },
  });

  logToggle.addEventListener('change', () => {
    ctx.setLogScale((logToggle as unknown as { checked: boolean }).checked);
    loss.invalidate(true);
  });
  return {
    loss,
    metrics,
    lr,
    syncLogScale: () => {
      (logToggle as unknown as { checked: boolean }).checked = ctx.logScale();
    },
  };
}
