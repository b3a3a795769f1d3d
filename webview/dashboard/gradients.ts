/**
 * The gradient view's non-chart parts: the latest gradient norm of each parameter tensor with
 * vanishing (< 1e-7) and exploding (> 1e3) flags, weight histograms per tensor, and the fraction
 * of dead ReLUs per activation layer.
 */
import type { DashHistogram, DashParam } from '../protocol';
import { fmt, h, palette, withAlpha } from './dom';

export const VANISHING = 1e-7;
export const EXPLODING = 1e3;

export type GradFlag = 'ok' | 'vanishing' | 'exploding' | 'nan';

export function gradFlag(v: number | undefined): GradFlag {
  if (v === undefined) return 'ok';
  if (!Number.isFinite(v)) return 'nan';
  if (v < VANISHING) return 'vanishing';
  if (v > EXPLODING) return 'exploding';
  return 'ok';
}

const FLAG_TEXT: Record<GradFlag, string> = {
  ok: 'ok',
  vanishing: 'vanishing < 1e-7',
  exploding: 'exploding > 1e3',
  nan: 'non-finite',
};

export function renderGradTable(
  host: HTMLElement,
  params: readonly DashParam[],
  latest: readonly (number | undefined)[],
  colorOf: (i: number) => string,
): { vanishing: number; exploding: number } {
  let vanishing = 0;
  let exploding = 0;
  const rows = params.map((p, i) => {
    const v = latest[i];
    const flag = gradFlag(v);
    if (flag === 'vanishing') vanishing++;
    if (flag === 'exploding' || flag === 'nan') exploding++;
    const sw = h('span', { class: 'swatch' });
    sw.style.background = colorOf(i);
    return h(
      'tr',
      { class: `grad-row flag-${flag}`, 'data-param': p.name },
      h('td', {}, sw, p.name),
      h('td', { class: 'muted' }, p.shape ? `[${p.shape.join(', ')}]` : ''),
      h('td', { class: 'num' }, fmt(v)),
      h('td', {}, h('span', { class: `flag flag-${flag}` }, FLAG_TEXT[flag])),
    );
  });
  host.replaceChildren(
    h(
      'table',
      { class: 'grads', id: 'grad-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Parameter'),
          h('th', { scope: 'col' }, 'Shape'),
          h('th', { scope: 'col' }, '‖∇‖ (latest)'),
          h('th', { scope: 'col' }, 'Flag'),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
  return { vanishing, exploding };
}

export function renderHistograms(
  host: HTMLElement,
  step: number,
  weights: readonly DashHistogram[],
  deadRelu: Readonly<Record<string, number>> | undefined,
): void {
  const p = palette();
  const cells = weights.map((w, i) => {
    const width = 200;
    const height = 64;
    const dpr = window.devicePixelRatio || 1;
    const cv = h('canvas', { class: 'hist', role: 'img', 'aria-label': `Histogram of ${w.name}` });
    cv.width = Math.round(width * dpr);
    cv.height = Math.round(height * dpr);
    cv.style.width = `${width}px`;
    cv.style.height = `${height}px`;
    const ctx = cv.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const max = Math.max(1, ...w.counts);
    const bw = width / Math.max(1, w.counts.length);
    ctx.fillStyle = withAlpha(p.series[i % p.series.length]!, 0.85);
    w.counts.forEach((c, k) => {
      const bh = (c / max) * (height - 4);
      ctx.fillRect(k * bw + 0.5, height - bh, Math.max(1, bw - 1), bh);
    });
    // zero line
    if (w.min < 0 && w.max > 0) {
      const zx = ((0 - w.min) / (w.max - w.min)) * width;
      ctx.strokeStyle = p.muted;
      ctx.setLineDash([2, 2]);
      ctx.beginPath();
      ctx.moveTo(zx, 0);
      ctx.lineTo(zx, height);
      ctx.stroke();
    }
    return h(
      'figure',
      { class: 'hist-cell', 'data-param': w.name },
      h('figcaption', {}, w.name),
      cv,
      h(
        'div',
        { class: 'hist-range muted' },
        h('span', {}, fmt(w.min, 3)),
        h('span', {}, fmt(w.max, 3)),
      ),
    );
  });
  const dead = deadRelu
    ? Object.entries(deadRelu).map(([layer, f]) => {
        const bar = h('span', { class: 'dead-bar' });
        bar.style.setProperty('--fill', `${Math.round(f * 100)}%`);
        return h(
          'div',
          { class: `dead-row${f > 0.5 ? ' dead-high' : ''}`, 'data-layer': layer },
          h('span', { class: 'dead-name' }, layer),
          bar,
          h('span', { class: 'num' }, `${(f * 100).toFixed(1)}% dead`),
        );
      })
    : [];
  host.replaceChildren(
    h('div', { class: 'sub-title' }, `Weight histograms at step ${step}`),
    h('div', { class: 'hist-grid' }, ...cells),
    ...(dead.length
      ? [
          h('div', { class: 'sub-title' }, 'Dead ReLUs (zero on the whole probe batch)'),
          h('div', { class: 'dead-list' }, ...dead),
        ]
      : []),
  );
}
