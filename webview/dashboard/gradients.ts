/**
 * The gradient view's non-chart parts: the latest gradient norm of each parameter tensor with
 * vanishing (< 1e-7) and exploding (> 1e3) flags, weight histograms per tensor, and the fraction
 * of dead ReLUs per activation layer.
 */
import type { DashDeadRelu, DashHistogram, DashParam } from '../protocol';
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

/** A ReLU layer is flagged when more than this fraction of its units is dead. */
export const DEAD_FLAG = 0.5;

/** What a learner needs to know about a flagged layer (shown once under the list). */
const DEAD_EXPLAINED =
  'A ReLU unit is dead when its input is zero or negative for every sample: it outputs 0, ' +
  'passes back no gradient, and so stops learning (it rarely recovers by itself). A few dead ' +
  'units are harmless; when most of a layer is dead, the layer has lost most of its capacity. ' +
  'Usual causes: a learning rate that is too high (one large step can push a bias far ' +
  'negative), or a bad initialization. ' +
  'Try a lower learning rate, He initialization (init = "kaiming_uniform"), LeakyReLU, or ' +
  'BatchNorm before the ReLU.';

/**
 * Weight histograms per tensor, then the dead ReLUs per ReLU layer (a bar of the dead fraction,
 * flagged above 50%, with an explanation). Returns how many ReLU layers are flagged.
 */
export function renderHistograms(
  host: HTMLElement,
  step: number,
  weights: readonly DashHistogram[],
  deadRelu: readonly DashDeadRelu[] | undefined,
  probeSamples?: number,
): number {
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
  const rows = (deadRelu ?? []).map((d) => {
    const f = d.units > 0 ? d.dead / d.units : 0;
    const high = f > DEAD_FLAG;
    const bar = h('span', { class: 'dead-bar', role: 'img', 'aria-label': `${pct(f)} dead` });
    bar.style.setProperty('--fill', `${(f * 100).toFixed(1)}%`);
    return {
      high,
      el: h(
        'div',
        {
          class: `dead-row${high ? ' dead-high' : ''}`,
          'data-layer': d.layer,
          'data-dead': String(d.dead),
          'data-units': String(d.units),
        },
        h(
          'span',
          { class: 'dead-name', title: d.label },
          d.layer,
          h('span', { class: 'muted' }, ` · ${d.label}`),
        ),
        bar,
        h('span', { class: 'num' }, `${d.dead} of ${d.units} dead (${pct(f)})${high ? ' ⚠' : ''}`),
      ),
    };
  });
  const flagged = rows.filter((r) => r.high).length;
  const highNames = (deadRelu ?? [])
    .filter((d) => d.units > 0 && d.dead / d.units > DEAD_FLAG)
    .map((d) => d.layer);
  const probe = probeSamples ? ` for all ${probeSamples} probe samples` : ' on the probe batch';
  host.replaceChildren(
    h('div', { class: 'sub-title' }, `Weight histograms at step ${step}`),
    h('div', { class: 'hist-grid' }, ...cells),
    ...(rows.length
      ? [
          h(
            'div',
            { class: 'sub-title', id: 'dead-title' },
            `Dead ReLUs at step ${step} (units that output exactly 0${probe})`,
          ),
          h('div', { class: 'dead-list', id: 'dead-relu' }, ...rows.map((r) => r.el)),
          flagged
            ? h(
                'p',
                { class: 'dead-note warn', id: 'dead-note', role: 'note' },
                h(
                  'strong',
                  {},
                  `More than half of the units of ${highNames.join(', ')} ${highNames.length === 1 ? 'is' : 'are'} dead. `,
                ),
                DEAD_EXPLAINED,
              )
            : h(
                'p',
                { class: 'dead-note muted', id: 'dead-note' },
                'A dead unit outputs 0 for every sample and gets no gradient, so it has stopped learning. Layers with more than half of their units dead are flagged.',
              ),
        ]
      : []),
  );
  return flagged;
}

function pct(f: number): string {
  return `${(f * 100).toFixed(f > 0 && f < 0.1 ? 1 : 0)}%`;
}
