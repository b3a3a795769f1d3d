/**
 * The decision boundary of a 2-D problem, as in TensorFlow Playground: a heatmap of the class
 * probabilities over a grid of the input plane (each class a theme chart colour, faded towards the
 * background where the model is unsure) with the data points on top (validation points hollow).
 * Per-neuron maps (each unit's activation over the same grid) render as small multiples.
 */
import type { DashGrid, DashPoints } from '../protocol';
import { fmt, h, palette, rgba } from './dom';

type RGB = [number, number, number];

function classColors(n: number): RGB[] {
  const p = palette();
  const out: RGB[] = [];
  for (let i = 0; i < Math.max(n, 2); i++) {
    const [r, g, b] = rgba(p.series[i % p.series.length]!);
    out.push([r, g, b]);
  }
  return out;
}

/** Paint `grid` into an nx × ny ImageData (row 0 at the top = y1). */
export function gridImage(grid: DashGrid, colors: readonly RGB[], bg: RGB): ImageData {
  const { nx, ny, channels, values } = grid;
  const img = new ImageData(nx, ny);
  const d = img.data;
  for (let iy = 0; iy < ny; iy++) {
    const row = ny - 1 - iy; // iy = 0 is y0 (bottom)
    for (let ix = 0; ix < nx; ix++) {
      const base = (iy * nx + ix) * channels;
      let r = 0;
      let g = 0;
      let b = 0;
      let conf: number;
      if (channels === 1) {
        // P(class 1): blend the two class colours, confidence = distance from 0.5
        const p1 = Math.min(1, Math.max(0, values[base] ?? 0));
        const c0 = colors[0]!;
        const c1 = colors[1]!;
        r = c0[0] * (1 - p1) + c1[0] * p1;
        g = c0[1] * (1 - p1) + c1[1] * p1;
        b = c0[2] * (1 - p1) + c1[2] * p1;
        conf = Math.abs(p1 - 0.5) * 2;
      } else {
        let max = 0;
        for (let c = 0; c < channels; c++) {
          const pc = values[base + c] ?? 0;
          const col = colors[c % colors.length]!;
          r += col[0] * pc;
          g += col[1] * pc;
          b += col[2] * pc;
          if (pc > max) max = pc;
        }
        conf = channels > 1 ? (max - 1 / channels) / (1 - 1 / channels) : max;
      }
      const a = 0.1 + 0.5 * Math.max(0, Math.min(1, conf));
      const o = (row * nx + ix) * 4;
      d[o] = bg[0] * (1 - a) + r * a;
      d[o + 1] = bg[1] * (1 - a) + g * a;
      d[o + 2] = bg[2] * (1 - a) + b * a;
      d[o + 3] = 255;
    }
  }
  return img;
}

/** Diverging map of one channel (neuron activations): negative → colour 1, positive → colour 0. */
export function channelImage(
  grid: DashGrid,
  channel: number,
  colors: readonly RGB[],
  bg: RGB,
): ImageData {
  const { nx, ny, channels, values } = grid;
  let amax = 1e-12;
  for (let i = channel; i < values.length; i += channels)
    amax = Math.max(amax, Math.abs(values[i]!));
  const img = new ImageData(nx, ny);
  const d = img.data;
  const pos = colors[0]!;
  const neg = colors[1]!;
  for (let iy = 0; iy < ny; iy++) {
    const row = ny - 1 - iy;
    for (let ix = 0; ix < nx; ix++) {
      const v = (values[(iy * nx + ix) * channels + channel] ?? 0) / amax;
      const c = v >= 0 ? pos : neg;
      const a = Math.min(1, Math.abs(v)) * 0.85;
      const o = (row * nx + ix) * 4;
      d[o] = bg[0] * (1 - a) + c[0] * a;
      d[o + 1] = bg[1] * (1 - a) + c[1] * a;
      d[o + 2] = bg[2] * (1 - a) + c[2] * a;
      d[o + 3] = 255;
    }
  }
  return img;
}

function drawImageScaled(
  ctx: CanvasRenderingContext2D,
  img: ImageData,
  w: number,
  h: number,
): void {
  const off = document.createElement('canvas');
  off.width = img.width;
  off.height = img.height;
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(off, 0, 0, w, h);
}

export class BoundaryView {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private readonly legend: HTMLElement;
  readonly neurons: HTMLElement;
  private grid: DashGrid | undefined;
  private points: DashPoints | undefined;
  private classNames: readonly string[] = [];
  private info = '';
  updates = 0;

  constructor(parent: HTMLElement) {
    this.canvas = h('canvas', {
      id: 'boundary-canvas',
      role: 'img',
      'aria-label': 'Decision boundary over the input plane with the data points',
    });
    this.caption = h('div', { id: 'boundary-caption', class: 'muted' });
    this.legend = h('div', { id: 'boundary-legend', class: 'legend' });
    this.neurons = h('div', { id: 'neuron-maps', class: 'neuron-maps' });
    this.root = h(
      'div',
      { class: 'boundary' },
      h('div', { class: 'boundary-main' }, this.canvas, this.caption, this.legend),
    );
    parent.appendChild(this.root);
  }

  get hasGrid(): boolean {
    return !!this.grid;
  }

  setClasses(names: readonly string[]): void {
    this.classNames = names;
  }

  clear(): void {
    this.grid = undefined;
    this.points = undefined;
    this.updates = 0;
    this.neurons.replaceChildren();
    this.caption.textContent = '';
    this.legend.replaceChildren();
    const ctx = this.canvas.getContext('2d');
    ctx?.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  update(grid: DashGrid, points: DashPoints | undefined, info: string): void {
    this.grid = grid;
    if (points) this.points = points;
    this.info = info;
    this.updates++;
    this.canvas.dataset.updates = String(this.updates);
  }

  /** Draw at the current size (call from an animation frame). */
  draw(): void {
    const grid = this.grid;
    if (!grid) return;
    const size = Math.max(160, Math.min(520, this.root.clientWidth - 16 || 360));
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(size * dpr)) {
      this.canvas.width = Math.round(size * dpr);
      this.canvas.height = Math.round(size * dpr);
      this.canvas.style.width = `${size}px`;
      this.canvas.style.height = `${size}px`;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const p = palette();
    const [br, bgc, bb] = rgba(p.bg);
    const bg: RGB = [br, bgc, bb];
    const nClasses = Math.max(grid.channels === 1 ? 2 : grid.channels, this.classNames.length);
    const colors = classColors(nClasses);
    drawImageScaled(ctx, gridImage(grid, colors, bg), size, size);
    // points
    const pts = this.points;
    if (pts) {
      const sx = (x: number): number => ((x - grid.x0) / (grid.x1 - grid.x0)) * size;
      const sy = (y: number): number => size - ((y - grid.y0) / (grid.y1 - grid.y0)) * size;
      const n = Math.min(pts.x.length, pts.y.length, pts.label.length);
      const r = n > 2000 ? 2 : 3;
      ctx.lineWidth = 1;
      for (let i = 0; i < n; i++) {
        const c = colors[pts.label[i]! % colors.length]!;
        const col = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
        ctx.beginPath();
        ctx.arc(sx(pts.x[i]!), sy(pts.y[i]!), r, 0, Math.PI * 2);
        if (pts.validation?.[i]) {
          ctx.fillStyle = p.bg;
          ctx.fill();
          ctx.strokeStyle = col;
          ctx.lineWidth = 1.5;
          ctx.stroke();
        } else {
          ctx.fillStyle = col;
          ctx.fill();
          ctx.strokeStyle = p.bg;
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
    }
    ctx.strokeStyle = p.grid;
    ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
    this.caption.textContent = `${this.info} · x ∈ [${fmt(grid.x0, 3)}, ${fmt(grid.x1, 3)}], y ∈ [${fmt(grid.y0, 3)}, ${fmt(grid.y1, 3)}]`;
    this.legend.replaceChildren(
      ...Array.from({ length: nClasses }, (_, i) => {
        const c = colors[i]!;
        const sw = h('span', { class: 'swatch' });
        sw.style.background = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
        return h('span', { class: 'legend-item' }, sw, this.classNames[i] ?? `class ${i}`);
      }),
      h('span', { class: 'legend-item muted' }, '● train  ○ validation'),
    );
  }

  /**
   * Per-neuron maps of one layer, like TensorFlow Playground's thumbnails: each unit's output over
   * the input plane, scaled per unit (positive in the first chart colour, negative in the second,
   * the background where it is 0). A unit that is 0 on the whole plane is marked "off".
   */
  drawNeurons(
    layer: string,
    grid: DashGrid,
    info: { step?: number; label?: string; units?: number } = {},
  ): void {
    const p = palette();
    const [br, bgc, bb] = rgba(p.bg);
    const colors = classColors(2);
    const cells: HTMLElement[] = [];
    const size = 72;
    const dpr = window.devicePixelRatio || 1;
    let off = 0;
    for (let c = 0; c < grid.channels; c++) {
      let zero = true;
      for (let i = c; i < grid.values.length && zero; i += grid.channels)
        if (grid.values[i] !== 0) zero = false;
      if (zero) off++;
      const cv = h('canvas', {
        class: 'neuron',
        role: 'img',
        'aria-label': `${layer} unit ${c}${zero ? ' (0 everywhere)' : ''}`,
      });
      cv.width = Math.round(size * dpr);
      cv.height = Math.round(size * dpr);
      cv.style.width = `${size}px`;
      cv.style.height = `${size}px`;
      const ctx = cv.getContext('2d')!;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawImageScaled(ctx, channelImage(grid, c, colors, [br, bgc, bb]), size, size);
      cells.push(
        h(
          'figure',
          { class: `neuron-cell${zero ? ' off' : ''}`, 'data-unit': String(c) },
          cv,
          h('figcaption', { class: 'muted' }, zero ? `#${c} · off` : `#${c}`),
        ),
      );
    }
    const units = info.units ?? grid.channels;
    const capped = units > grid.channels;
    const swatch = (c: RGB) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      return sw;
    };
    this.neurons.replaceChildren(
      h(
        'div',
        { class: 'neuron-title' },
        `${layer}${info.label ? ` · ${info.label}` : ''}: ${units} units${info.step !== undefined ? ` at step ${info.step}` : ''}`,
      ),
      h(
        'div',
        { class: 'neuron-caption muted', id: 'neuron-caption' },
        capped
          ? `Showing the first ${grid.channels} of ${units} units (at most ${grid.channels} maps). `
          : '',
        `Each map is one unit's output over the same plane as the decision boundary, scaled per unit. `,
        off
          ? `${off} unit${off === 1 ? ' is' : 's are'} 0 over the whole plane (off): for a ReLU that means dead here. `
          : '',
        h('span', { class: 'legend-item' }, swatch(colors[0]!), ' positive'),
        ' ',
        h('span', { class: 'legend-item' }, swatch(colors[1]!), ' negative'),
      ),
      h('div', { class: 'neuron-grid' }, ...cells),
    );
  }
}
