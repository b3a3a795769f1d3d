/** Small DOM and theme helpers shared by the dashboard modules. */

import { option } from '../controls';

export { h } from '../dom';

/** Replace a dropdown's options and select one. */
export function setOptions(
  dropdown: HTMLSelectElement,
  options: readonly { value: string; label: string; title?: string }[],
  selected: string | undefined,
): void {
  dropdown.replaceChildren(
    ...options.map((o) => {
      const el = option(o.value, o.label, o.title);
      if (o.value === selected) el.setAttribute('selected', '');
      return el;
    }),
  );
  if (selected !== undefined) (dropdown as unknown as { value: string }).value = selected;
}

/** A theme variable's current value (`--vscode-charts-blue`), or the fallback. */
export function themeVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  if (v) return v;
  const b = getComputedStyle(document.body).getPropertyValue(name).trim();
  return b || fallback;
}

/** Resolve any CSS colour (hex, rgb(), named, color-mix) to [r, g, b, a] in 0..255 / 0..1. */
const probe = (): CanvasRenderingContext2D => {
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  return c.getContext('2d', { willReadFrequently: true })!;
};
let probeCtx: CanvasRenderingContext2D | undefined;
export function rgba(color: string): [number, number, number, number] {
  probeCtx ??= probe();
  const ctx = probeCtx;
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  return [d[0]!, d[1]!, d[2]!, d[3]! / 255];
}

/** Colours of the chart palette, from the theme (`--vscode-charts-*`). */
export interface Palette {
  readonly fg: string;
  readonly muted: string;
  readonly bg: string;
  readonly grid: string;
  readonly error: string;
  readonly warning: string;
  /** Series colours in order. */
  readonly series: readonly string[];
}

export function palette(): Palette {
  const fg = themeVar('--vscode-charts-foreground', themeVar('--vscode-foreground', '#888'));
  const muted = themeVar('--vscode-descriptionForeground', fg);
  const bg = themeVar('--vscode-editor-background', '#fff');
  const grid = themeVar(
    '--vscode-editorWidget-border',
    themeVar('--vscode-widget-border', themeVar('--vscode-panel-border', muted)),
  );
  return {
    fg,
    muted,
    bg,
    grid,
    error: themeVar('--vscode-errorForeground', themeVar('--vscode-charts-red', fg)),
    warning: themeVar('--vscode-editorWarning-foreground', themeVar('--vscode-charts-yellow', fg)),
    series: [
      themeVar('--vscode-charts-blue', fg),
      themeVar('--vscode-charts-orange', fg),
      themeVar('--vscode-charts-green', fg),
      themeVar('--vscode-charts-purple', fg),
      themeVar('--vscode-charts-red', fg),
      themeVar('--vscode-charts-yellow', fg),
    ],
  };
}

/** `color` with an alpha (0..1), for canvas fills. */
export function withAlpha(color: string, alpha: number): string {
  const [r, g, b, a] = rgba(color);
  return `rgba(${r}, ${g}, ${b}, ${(a * alpha).toFixed(3)})`;
}

export const fmt = (v: number | undefined, digits = 4): string => {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
};
