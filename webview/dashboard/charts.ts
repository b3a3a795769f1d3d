/**
 * Line charts on uPlot. Every chart keeps its points in `Series` (all of them) and, once per
 * animation frame at most, hands uPlot a min/max-per-pixel decimation of the visible x range.
 * Dragging zooms (the x range is re-decimated at full detail), double-click returns to following
 * the data. Colours are read from the theme variables when a chart is (re)built.
 */
import uPlot from 'uplot';
import { align, decimate, type Series } from './decimate';
import { fmt, h, palette, themeVar, withAlpha } from './dom';

export interface SeriesSpec {
  readonly key: string;
  readonly label: string;
  /** Index into the theme palette, or an explicit CSS colour. */
  readonly color: number | string;
  readonly width?: number;
  readonly dash?: readonly number[];
  /** Draw point markers (sparse series: one point per epoch). */
  readonly points?: boolean;
  /** Markers only, no line (the best-epoch marker). */
  readonly pointsOnly?: boolean;
  /** Fade (the raw per-step curve under its epoch mean). */
  readonly alpha?: number;
}

export interface ChartSource {
  readonly spec: SeriesSpec;
  readonly data: Series;
}

export interface ChartOptions {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly height?: number;
  /** Log y axis: fixed, or follows `logScale()` (the toggle). */
  readonly yLog?: boolean | (() => boolean);
  readonly legend?: boolean;
  /** Called each render for the current series (the list may grow: new runs, new tensors). */
  readonly sources: () => readonly ChartSource[];
  /** Lower bound of the x range when following the data (epoch charts start at 0). */
  readonly xMin?: number;
  /** Dashed horizontal reference lines, drawn when inside the y range. */
  readonly thresholds?: readonly { readonly value: number; readonly label: string }[];
}

/** Frame statistics, exposed for the browser tests (`document.body.dataset`). */
export const perf = {
  frames: 0,
  renderMs: 0,
  maxRenderMs: 0,
  lastRenderMs: 0,
  points: 0,
  decimateMs: 0,
  /** Render time of recent frames (ms), newest last. */
  samples: [] as number[],
};

const charts = new Set<LineChart>();
let frameRequested = false;
const frameHooks: (() => void)[] = [];

/** Runs `fn` on the next animation frame with the chart renders (coalesced). */
export function onFrame(fn: () => void): void {
  frameHooks.push(fn);
  requestFrame();
}

function requestFrame(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    const t0 = performance.now();
    const hooks = frameHooks.splice(0);
    for (const f of hooks) f();
    for (const c of charts) c.renderIfDirty();
    const ms = performance.now() - t0;
    perf.frames++;
    perf.renderMs += ms;
    perf.lastRenderMs = ms;
    perf.maxRenderMs = Math.max(perf.maxRenderMs, ms);
    perf.samples.push(ms);
    if (perf.samples.length > 5000) perf.samples.splice(0, perf.samples.length - 5000);
    document.body.dataset.renderMs = ms.toFixed(2);
  });
}

export class LineChart {
  readonly root: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private plot: uPlot | undefined;
  private structure = '';
  private dirty = true;
  private zoom: [number, number] | undefined;
  private width = 0;
  private readonly resize: ResizeObserver;

  constructor(
    parent: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    this.plotHost = h('div', { class: 'chart-plot' });
    this.emptyNote = h('div', { class: 'chart-empty muted' }, 'No data yet');
    const title = h('div', { class: 'chart-title' }, opts.title);
    this.root = h(
      'section',
      { class: 'chart', id: opts.id, 'aria-label': opts.title },
      title,
      this.plotHost,
      this.emptyNote,
    );
    parent.appendChild(this.root);
    // the content width, cached: reading layout in every frame would force a reflow per chart
    this.resize = new ResizeObserver((entries) => {
      const w = Math.floor(entries[entries.length - 1]?.contentRect.width ?? 0);
      if (w !== this.width) {
        this.width = w;
        this.invalidate();
      }
    });
    this.resize.observe(this.root);
    charts.add(this);
  }

  /** New data: redraw on the next frame. `rebuild` forces new uPlot options (theme, log scale). */
  invalidate(rebuild = false): void {
    if (rebuild) this.structure = '';
    this.dirty = true;
    requestFrame();
  }

  resetZoom(): void {
    this.zoom = undefined;
    delete this.root.dataset.zoomed;
    this.invalidate();
  }

  get uplot(): uPlot | undefined {
    return this.plot;
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    charts.delete(this);
    this.root.remove();
  }

  private drawThresholds(u: uPlot, color: string): void {
    const th = this.opts.thresholds;
    const y = u.scales.y;
    if (!th?.length || y?.min == null || y.max == null) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = devicePixelRatio;
    ctx.font = `${10 * devicePixelRatio}px ${themeVar('--vscode-font-family', 'sans-serif')}`;
    for (const t of th) {
      if (t.value < y.min || t.value > y.max) continue;
      const py = u.valToPos(t.value, 'y', true);
      if (py < top || py > top + height) continue;
      ctx.beginPath();
      ctx.moveTo(left, py);
      ctx.lineTo(left + width, py);
      ctx.stroke();
      ctx.fillText(t.label, left + 4 * devicePixelRatio, py - 3 * devicePixelRatio);
    }
    ctx.restore();
  }

  private log(): boolean {
    const l = this.opts.yLog;
    return typeof l === 'function' ? l() : !!l;
  }

  renderIfDirty(): void {
    if (!this.dirty) return;
    if (!this.root.isConnected || this.width === 0) return; // hidden tab: the observer calls back
    this.dirty = false;
    this.render();
  }

  private render(): void {
    const sources = this.opts.sources().filter((s) => s.data.n > 0);
    const log = this.log();
    this.root.dataset.series = sources.map((s) => s.spec.label).join('|');
    this.root.dataset.log = String(log);
    this.emptyNote.hidden = sources.length > 0;
    this.plotHost.hidden = sources.length === 0;
    if (!sources.length) {
      this.root.dataset.total = '0';
      this.plot?.destroy();
      this.plot = undefined;
      this.structure = '';
      return;
    }
    const width = Math.max(120, this.width);
    const height = this.opts.height ?? 200;
    const key = `${log}|${sources.map((s) => s.spec.key).join(',')}`;
    if (key !== this.structure || !this.plot) {
      this.plot?.destroy();
      this.plot = this.build(sources, log, width, height);
      this.structure = key;
      this.root.dataset.distr = String(this.plot.scales.y?.distr ?? 1);
    } else if (this.plot.width !== width || this.plot.height !== height) {
      this.plot.setSize({ width, height });
    }
    // x range: the zoom, or everything
    let xmin = Infinity;
    let xmax = -Infinity;
    for (const s of sources) {
      xmin = Math.min(xmin, s.data.x[0]!);
      xmax = Math.max(xmax, s.data.x[s.data.n - 1]!);
    }
    if (this.opts.xMin !== undefined) xmin = Math.min(xmin, this.opts.xMin);
    const [lo, hi] = this.zoom ?? [xmin, xmax];
    const buckets = Math.max(16, Math.round(this.plot.bbox.width / devicePixelRatio) || width);
    const t0 = performance.now();
    const dec = sources.map((s) => decimate(s.data, lo, hi, buckets, log));
    const data = align(dec);
    perf.points = data[0].length;
    perf.decimateMs += performance.now() - t0;
    this.root.dataset.points = String(data[0].length);
    this.root.dataset.total = String(sources.reduce((a, s) => a + s.data.n, 0));
    this.root.dataset.counts = sources.map((s) => s.data.n).join('|');
    this.plot.setData(data as uPlot.AlignedData, !this.zoom);
    if (hi > lo) this.plot.setScale('x', { min: lo, max: hi });
  }

  private build(
    sources: readonly ChartSource[],
    log: boolean,
    width: number,
    height: number,
  ): uPlot {
    const p = palette();
    const fontFamily = themeVar('--vscode-font-family', 'sans-serif');
    const font = `11px ${fontFamily}`;
    const color = (c: number | string): string =>
      typeof c === 'number' ? p.series[c % p.series.length]! : c;
    const axis = (label: string): uPlot.Axis => ({
      stroke: p.muted,
      label,
      labelFont: font,
      labelSize: 16,
      font,
      size: 48,
      grid: { stroke: withAlpha(p.grid, 0.6), width: 1 },
      ticks: { stroke: withAlpha(p.grid, 0.8), width: 1, size: 4 },
    });
    const series: uPlot.Series[] = [
      { label: this.opts.xLabel, value: (_u, v) => (v == null ? '–' : fmt(v, 5)) },
      ...sources.map((s): uPlot.Series => {
        const c = color(s.spec.color);
        const stroke = s.spec.alpha !== undefined ? withAlpha(c, s.spec.alpha) : c;
        return {
          label: s.spec.label,
          stroke,
          width: s.spec.pointsOnly ? 0 : (s.spec.width ?? 1.5),
          ...(s.spec.dash ? { dash: [...s.spec.dash] } : {}),
          spanGaps: false,
          value: (_u, v) => (v == null ? '–' : fmt(v)),
          points: s.spec.pointsOnly
            ? { show: true, size: 9, stroke: c, fill: p.bg, width: 2 }
            : s.spec.points
              ? { show: true, size: 4, stroke: c, fill: c }
              : { show: false },
          ...(s.spec.pointsOnly ? { paths: () => null } : {}),
        };
      }),
    ];
    const yAxis = axis(log ? 'log₁₀' : '');
    yAxis.values = (_u, ticks) =>
      ticks.map((t) => (t == null ? '' : String(Number(t.toPrecision(3)))));
    if (log) {
      // powers of ten only (with 2× and 5× when the range spans under two decades)
      yAxis.splits = (_u, _i, min, max) => logSplits(min, max);
      yAxis.values = (_u, ticks) =>
        ticks.map((t) => (t == null ? '' : t >= 0.01 && t < 1e4 ? fmt(t, 3) : t.toExponential(0)));
    }
    const opts: uPlot.Options = {
      width,
      height,
      pxAlign: 0,
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : { auto: true } },
      axes: [axis(this.opts.xLabel), yAxis],
      series,
      legend: { show: this.opts.legend ?? true, live: true },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
      hooks: {
        draw: [(u) => this.drawThresholds(u, p.error)],
        setScale: [
          (u, key) => {
            if (key === 'x') this.root.dataset.xmax = String(u.scales.x?.max ?? '');
          },
        ],
        // drag-select zooms the x range; the next render re-decimates it at full detail
        setSelect: [
          (u) => {
            const sel = u.select;
            if (sel.width < 2) return;
            const min = u.posToVal(sel.left, 'x');
            const max = u.posToVal(sel.left + sel.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (max > min) {
              this.zoom = [min, max];
              this.root.dataset.zoomed = 'true';
              this.invalidate();
            }
          },
        ],
      },
    };
    const plot = new uPlot(opts, [[]], this.plotHost);
    plot.over.addEventListener('dblclick', () => this.resetZoom());
    plot.over.title = 'Drag to zoom, double-click to reset';
    return plot;
  }
}

/** Tick positions of a log axis: the powers of ten in [min, max], denser for short ranges. */
export function logSplits(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [min, max].filter((v) => v > 0);
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const decades = hi - lo;
  const step = Math.max(1, Math.ceil(decades / 8));
  const mult = decades <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e += step)
    for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  return out.length ? out : [min, max];
}

/** Rebuild every chart (theme changed: colours are baked into the canvases). */
export function rebuildAll(): void {
  for (const c of charts) c.invalidate(true);
}
