/**
 * SVG rendering of a laid-out graph. Colours come only from CSS classes in media/graph.css, which
 * use the VS Code theme variables, so light, dark and high-contrast themes work unchanged.
 */
import type { GraphData, GraphGroup, GraphNode } from '../protocol';
import type { FontKind, LayoutResult, Measure, VisibleGraph, VisibleItem } from './layout';

const SVG = 'http://www.w3.org/2000/svg';

export const NODE = {
  padX: 10,
  minW: 84,
  maxW: 340,
  row1: 26,
  row2: 44,
  badgeH: 15,
  typeFont: 600,
  header: 22,
} as const;

/** Text widths from a canvas context with the webview's font. */
export function createMeasure(fontFamily: string, monoFamily: string): Measure {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  const cache = new Map<string, number>();
  const width = (text: string, font: string): number => {
    const key = `${font}|${text}`;
    let w = cache.get(key);
    if (w === undefined) {
      if (ctx) {
        ctx.font = font;
        w = ctx.measureText(text).width;
      } else w = text.length * 7;
      cache.set(key, w);
    }
    return w;
  };
  const typeFont = `600 12px ${fontFamily}`;
  const attrFont = `11px ${fontFamily}`;
  const badgeFont = `10px ${monoFamily}`;
  const labelFont = `10px ${monoFamily}`;
  const titleFont = `600 11px ${fontFamily}`;
  const badgesWidth = (texts: readonly string[]): number =>
    texts.reduce((a, t) => a + width(t, badgeFont) + 12 + 4, 0);
  const fonts: Record<FontKind, string> = {
    type: typeFont,
    attr: attrFont,
    badge: badgeFont,
    label: labelFont,
    title: titleFont,
  };
  return {
    text: (t, font) => width(t, fonts[font]),
    node(item: VisibleItem) {
      if (item.kind === 'node') {
        const n = item.node;
        const head = width(nodeTitle(n), typeFont) + (n.attrs ? 6 + width(n.attrs, attrFont) : 0);
        const badges = badgesWidth(nodeBadges(n));
        const w = Math.min(
          NODE.maxW,
          Math.max(NODE.minW, head + 2 * NODE.padX + 6, badges + 2 * NODE.padX),
        );
        return { w: Math.ceil(w), h: nodeBadges(n).length ? NODE.row2 : NODE.row1 + 4 };
      }
      const g = item.group;
      const head = width(`▸ ${g.collapsedLabel}`, typeFont);
      const badges = badgesWidth(groupBadges(g));
      const w = Math.min(
        NODE.maxW + 60,
        Math.max(NODE.minW, head + 2 * NODE.padX + 6, badges + 2 * NODE.padX),
      );
      return { w: Math.ceil(w), h: NODE.row2 + 2 };
    },
    group(g: GraphGroup) {
      return {
        header: NODE.header,
        minW: Math.ceil(
          width(`▾ ${g.label}`, titleFont) + 24 + badgesWidth(groupBadges(g).slice(0, 1)),
        ),
      };
    },
    label(text: string) {
      return { w: Math.ceil(width(text, labelFont) + 6), h: 13 };
    },
  };
}

export function nodeTitle(n: GraphNode): string {
  return n.kind === 'layer' ? n.type : `${n.type} ${n.label}`;
}

export function nodeBadges(n: GraphNode): string[] {
  const out: string[] = [];
  if (n.params)
    out.push(n.params.sharedRepeat ? '⇄ shared' : `${n.params.shared ? '⇄ ' : ''}${n.params.text}`);
  if (n.macs) out.push(n.macs);
  return out;
}

export function groupBadges(g: GraphGroup): string[] {
  const out = [`${g.nodeCount} layer${g.nodeCount === 1 ? '' : 's'}`];
  if (g.params.trainable + g.params.nonTrainable > 0) out.push(g.params.text);
  if (g.macs) out.push(g.macs);
  return out;
}

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function text(x: number, y: number, cls: string, content: string, parent: Element): SVGTextElement {
  const t = el('text', { x, y, class: cls }, parent);
  t.textContent = content;
  return t;
}

/** Shortens `s` with an ellipsis until it fits `maxW` pixels in `font`. */
function fit(m: Measure, s: string, maxW: number, font: FontKind): string {
  if (m.text(s, font) <= maxW) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (m.text(`${s.slice(0, mid)}…`, font) <= maxW) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, Math.max(1, lo))}…`;
}

/** Orthogonal polyline with small rounded corners. */
export function edgePath(points: readonly (readonly [number, number])[]): string {
  if (points.length === 0) return '';
  const r = 5;
  let d = `M${points[0]![0]},${points[0]![1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x, y] = points[i]!;
    const next = points[i + 1];
    if (!next) {
      d += `L${x},${y}`;
      break;
    }
    const [px, py] = points[i - 1]!;
    const inLen = Math.hypot(x - px, y - py);
    const outLen = Math.hypot(next[0] - x, next[1] - y);
    const rr = Math.min(r, inLen / 2, outLen / 2);
    if (rr < 0.5) {
      d += `L${x},${y}`;
      continue;
    }
    const ax = x - ((x - px) / inLen) * rr;
    const ay = y - ((y - py) / inLen) * rr;
    const bx = x + ((next[0] - x) / outLen) * rr;
    const by = y + ((next[1] - y) / outLen) * rr;
    d += `L${ax},${ay}Q${x},${y} ${bx},${by}`;
  }
  return d;
}

export interface Rendered {
  /** Visible item id → its `<g>`. */
  readonly items: Map<string, SVGGElement>;
  /** Expanded group id → its `<g>`. */
  readonly groups: Map<string, SVGGElement>;
  readonly edges: Map<string, SVGGElement>;
  readonly width: number;
  readonly height: number;
}

const CATEGORY_CLASS: Readonly<Record<string, string>> = {
  conv: 'c-blue',
  dense: 'c-purple',
  pool: 'c-green',
  norm: 'c-yellow',
  regularization: 'c-yellow',
  activation: 'c-orange',
  recurrent: 'c-red',
  attention: 'c-red',
  embedding: 'c-purple',
  shape: 'c-grey',
  merge: 'c-green',
  io: 'c-io',
};

function badgeRow(
  x: number,
  y: number,
  badges: readonly string[],
  classes: readonly string[],
  g: Element,
  m: Measure,
): void {
  let bx = x;
  badges.forEach((b, i) => {
    const w = m.text(b, 'badge') + 12;
    const bg = el('g', { class: `badge ${classes[i] ?? ''}` }, g);
    el('rect', { x: bx, y, width: w, height: NODE.badgeH, rx: 7.5 }, bg);
    text(bx + 6, y + 11, 'badge-text', b, bg);
    bx += w + 4;
  });
}

/** Builds the whole SVG scene into `root` (cleared first). */
export function renderScene(
  root: SVGGElement,
  data: GraphData,
  visible: VisibleGraph,
  layout: LayoutResult,
  m: Measure,
): Rendered {
  root.replaceChildren();
  const items = new Map<string, SVGGElement>();
  const groups = new Map<string, SVGGElement>();
  const edges = new Map<string, SVGGElement>();
  const groupById = new Map(data.groups.map((g) => [g.id, g]));

  // Groups first (containers, outermost first: ELK lists parents before children).
  const groupLayer = el('g', { class: 'groups' }, root);
  const edgeLayer = el('g', { class: 'edges' }, root);
  // Group titles sit above the edges (a haloed title stays readable where an edge enters).
  const headerLayer = el('g', { class: 'group-headers' }, root);
  const nodeLayer = el('g', { class: 'nodes' }, root);
  const labelLayer = el('g', { class: 'edge-labels' }, root);

  for (const b of layout.groups) {
    const g = groupById.get(b.id);
    if (!g) continue;
    const ge = el(
      'g',
      {
        class: `group kind-${g.kind}${g.error ? ' has-error' : ''}`,
        'data-id': g.id,
        transform: `translate(${b.x},${b.y})`,
      },
      groupLayer,
    );
    el('rect', { class: 'group-box', width: b.w, height: b.h, rx: 8 }, ge);
    const header = el(
      'g',
      {
        class: 'group-header',
        'data-toggle': g.id,
        role: 'button',
        tabindex: 0,
        'aria-label': `${g.label}: collapse`,
        transform: `translate(${b.x},${b.y})`,
      },
      headerLayer,
    );
    el(
      'rect',
      { class: 'group-header-hit', x: 0, y: 0, width: b.w, height: NODE.header + 2, rx: 8 },
      header,
    );
    const badge = groupBadges(g)[1] ?? groupBadges(g)[0]!;
    const bw = m.text(badge, 'badge') + 12;
    const showBadge = b.w > bw + 100;
    const title = `▾ ${g.label}`;
    text(
      10,
      16,
      'group-title',
      fit(m, title, b.w - 20 - (showBadge ? bw + 8 : 0), 'title'),
      header,
    );
    if (showBadge) badgeRow(b.w - bw - 8, 5, [badge], ['params'], header, m);
    groups.set(g.id, ge);
  }

  const edgeById = new Map(visible.edges.map((x) => [x.id, x]));
  for (const e of layout.edges) {
    const ve = edgeById.get(e.id);
    const ge = el('g', { class: 'edge', 'data-id': e.id }, edgeLayer);
    if (ve) {
      ge.dataset.source = ve.source;
      ge.dataset.target = ve.target;
    }
    el('path', { class: 'edge-path', d: edgePath(e.points), 'marker-end': 'url(#arrow)' }, ge);
    if (e.label && ve) {
      const lg = el('g', { class: 'edge-label', 'data-edge': e.id }, labelLayer);
      el(
        'rect',
        { x: e.label.x - 1, y: e.label.y, width: e.label.w + 2, height: e.label.h, rx: 3 },
        lg,
      );
      text(e.label.x + 3, e.label.y + 10, 'edge-label-text', ve.label, lg);
    }
    edges.set(e.id, ge);
  }

  for (const b of layout.nodes) {
    const item = visible.items.get(b.id);
    if (!item) continue;
    const ge = el(
      'g',
      { transform: `translate(${b.x},${b.y})`, 'data-id': b.id, tabindex: 0, role: 'button' },
      nodeLayer,
    );
    if (item.kind === 'node') {
      const n = item.node;
      const cat = CATEGORY_CLASS[n.category] ?? 'c-grey';
      ge.setAttribute(
        'class',
        `node kind-${n.kind} ${cat}${n.error ? ' error' : n.warning ? ' warning' : ''}`,
      );
      ge.setAttribute('aria-label', `${n.label}${n.error ? `: ${n.error}` : ''}`);
      el('rect', { class: 'node-box', width: b.w, height: b.h, rx: 6 }, ge);
      el('rect', { class: 'node-stripe', x: 0, y: 0, width: 4, height: b.h, rx: 2 }, ge);
      const t = el('text', { x: NODE.padX, y: 17, class: 'node-title' }, ge);
      const ty = el('tspan', { class: 'node-type' }, t);
      const title = nodeTitle(n);
      ty.textContent = title;
      if (n.attrs) {
        const at = el('tspan', { class: 'node-attrs', dx: 6 }, t);
        const room = b.w - 2 * NODE.padX - 6 - m.text(title, 'type') - (n.error ? 14 : 0);
        at.textContent = fit(m, n.attrs, Math.max(24, room), 'attr');
      }
      const badges = nodeBadges(n);
      const classes = [
        n.params
          ? n.params.sharedRepeat || n.params.shared
            ? 'shared'
            : n.params.trainable === 0
              ? 'fixed'
              : 'params'
          : 'macs',
        'macs',
      ];
      if (badges.length) badgeRow(NODE.padX, 24, badges, classes, ge, m);
      if (n.error) {
        const mark = el('g', { class: 'error-mark', transform: `translate(${b.w - 9},9)` }, ge);
        el('circle', { r: 7 }, mark);
        text(-2, 4, 'error-mark-text', '!', mark);
      }
    } else {
      const g = item.group;
      ge.setAttribute('class', `node collapsed kind-${g.kind}${g.error ? ' error' : ''}`);
      ge.dataset.toggle = g.id;
      ge.setAttribute('aria-label', `${g.collapsedLabel} (collapsed)`);
      el('rect', { class: 'node-box stack', x: 4, y: 4, width: b.w, height: b.h, rx: 6 }, ge);
      el('rect', { class: 'node-box', width: b.w, height: b.h, rx: 6 }, ge);
      const t = el('text', { x: NODE.padX, y: 17, class: 'node-title' }, ge);
      const ty = el('tspan', { class: 'node-type' }, t);
      ty.textContent = fit(m, `▸ ${g.collapsedLabel}`, b.w - 2 * NODE.padX, 'type');
      badgeRow(NODE.padX, 24, groupBadges(g), ['count', 'params', 'macs'], ge, m);
    }
    items.set(b.id, ge);
  }
  return { items, groups, edges, width: layout.width, height: layout.height };
}

/** `<defs>` with the arrow marker; call once per SVG. */
export function ensureDefs(svg: SVGSVGElement): void {
  if (svg.querySelector('defs')) return;
  const defs = el('defs', {}, svg);
  const m = el(
    'marker',
    {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    },
    defs,
  );
  el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }, m);
  svg.insertBefore(defs, svg.firstChild);
}
