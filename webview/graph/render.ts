/**
 * SVG rendering of a laid-out graph. Colours come only from CSS classes in media/graph.css, which
 * use the VS Code theme variables, so light, dark and high-contrast themes work unchanged.
 */
import type { GraphData, GraphGroup, GraphNode } from '../protocol';
import type { FontKind, LayoutResult, Measure, VisibleGraph, VisibleItem } from './layout';

const SVG = 'http://www.w3.org/2000/svg';

/** A coordinate, rounded to 1/100 px (shorter markup). */
const n2 = (v: number): number => Math.round(v * 100) / 100;

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
  if (n.frozen && n.params) out.push(`❄ ${n.params.text} frozen`);
  else if (n.params)
    out.push(n.params.sharedRepeat ? '⇄ shared' : `${n.params.shared ? '⇄ ' : ''}${n.params.text}`);
  if (n.macs) out.push(n.macs);
  return out;
}

export function groupBadges(g: GraphGroup): string[] {
  const out = [`${g.nodeCount} layer${g.nodeCount === 1 ? '' : 's'}`];
  if (g.params.trainable + g.params.nonTrainable > 0)
    out.push(g.frozen ? `❄ ${g.params.text} frozen` : g.params.text);
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
  let d = `M${n2(points[0]![0])},${n2(points[0]![1])}`;
  for (let i = 1; i < points.length; i++) {
    const [x, y] = points[i]!;
    const next = points[i + 1];
    if (!next) {
      d += `L${n2(x)},${n2(y)}`;
      break;
    }
    const [px, py] = points[i - 1]!;
    const inLen = Math.hypot(x - px, y - py);
    const outLen = Math.hypot(next[0] - x, next[1] - y);
    const rr = Math.min(r, inLen / 2, outLen / 2);
    if (rr < 0.5) {
      d += `L${n2(x)},${n2(y)}`;
      continue;
    }
    const ax = x - ((x - px) / inLen) * rr;
    const ay = y - ((y - py) / inLen) * rr;
    const bx = x + ((next[0] - x) / outLen) * rr;
    const by = y + ((next[1] - y) / outLen) * rr;
    d += `L${n2(ax)},${n2(ay)}Q${n2(x)},${n2(y)} ${n2(bx)},${n2(by)}`;
  }
  return d;
}

/** Visible item id → its `<g>`; parses the item's band on first use. */
export interface ItemMap {
  get(id: string): SVGGElement | undefined;
  /** The items parsed so far (only those can carry a state class). */
  forEach(fn: (e: SVGGElement, id: string) => void): void;
}

export interface Rendered {
  readonly items: ItemMap;
  /** Expanded group id → its `<g>`. */
  readonly groups: Map<string, SVGGElement>;
  readonly width: number;
  readonly height: number;
  /** Whether only the bands in view are in the document (large graphs). */
  readonly virtual: boolean;
  /** Whether the view shows the overview (zoomed far out: boxes and edges, no text). */
  readonly overview: boolean;
  /** Puts the bands that meet graph rows y0…y1 (and one band either side) in the document. */
  showRows(y0: number, y1: number): void;
  /** Puts every band in the document (export). */
  showAll(): void;
}

/**
 * Height of a band, graph px. Nodes, group titles, edge labels and edges that fit in two bands
 * are drawn in horizontal bands. In a large graph only the bands in view are in the document: a
 * browser spends some 20-50 µs of style and layout per connected SVG element, even under
 * `display: none`, so a 2,000-node scene (about 30,000 elements) would take a second, while the
 * part in view takes a few ms. A band's markup is parsed when it is first shown (or when one of
 * its items is needed, e.g. for a search match), and kept while the scene lives.
 */
export const BAND = 800;
/**
 * A virtual scene zoomed out so far that more bands than this are in view (text a few px tall)
 * shows an overview instead: all boxes as one path, all edges as another.
 */
export const OVERVIEW_BANDS = 12;
/** Scenes with more visible items than this are virtual (only the bands in view). */
export const VIRTUAL_FROM = 150;

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

const NEEDS_ESCAPE = /[&<>"']/;

/** Escapes text and attribute values for SVG markup. */
export function esc(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

function badgeRow(
  x: number,
  y: number,
  badges: readonly string[],
  classes: readonly string[],
  m: Measure,
): string {
  let bx = x;
  let out = '';
  badges.forEach((b, i) => {
    const w = n2(m.text(b, 'badge') + 12);
    out +=
      `<g class="badge ${classes[i] ?? ''}"><rect x="${n2(bx)}" y="${y}" width="${w}" height="${NODE.badgeH}" rx="7.5"/>` +
      `<text x="${n2(bx + 6)}" y="${y + 11}" class="badge-text">${esc(b)}</text></g>`;
    bx += w + 4;
  });
  return out;
}

/**
 * Builds the whole SVG scene into `root` (cleared first). The markup is built as one string and
 * parsed once (far cheaper than creating some ten thousand elements one by one); the maps to the
 * elements are then read back from the layers in order.
 */
export function renderScene(
  root: SVGGElement,
  data: GraphData,
  visible: VisibleGraph,
  layout: LayoutResult,
  m: Measure,
): Rendered {
  const groupById = new Map(data.groups.map((g) => [g.id, g]));

  // Groups first (containers, outermost first: the layout lists parents before children).
  let groupsSvg = '';
  // Group titles sit above the edges (a haloed title stays readable where an edge enters).
  const headers = new Banded();
  const groupIds: string[] = [];
  for (const b of layout.groups) {
    const g = groupById.get(b.id);
    if (!g) continue;
    const at = `translate(${n2(b.x)},${n2(b.y)})`;
    const id = esc(g.id);
    groupsSvg +=
      `<g class="group kind-${g.kind}${g.error ? ' has-error' : ''}${g.frozen ? ' frozen' : ''}" data-id="${id}" transform="${at}">` +
      `<rect class="group-box" width="${n2(b.w)}" height="${n2(b.h)}" rx="8"/></g>`;
    const badge = groupBadges(g)[1] ?? groupBadges(g)[0]!;
    const bw = m.text(badge, 'badge') + 12;
    const showBadge = b.w > bw + 100;
    const title = fit(m, `▾ ${g.label}`, b.w - 20 - (showBadge ? bw + 8 : 0), 'title');
    headers.add(
      b.y,
      b.y + NODE.header,
      g.id,
      `<g class="group-header" data-toggle="${id}" role="button" tabindex="0" aria-label="${esc(`${g.label}: collapse`)}" transform="${at}">` +
        `<rect class="group-header-hit" x="0" y="0" width="${n2(b.w)}" height="${NODE.header + 2}" rx="8"/>` +
        `<text x="10" y="16" class="group-title">${esc(title)}</text>` +
        (showBadge ? badgeRow(n2(b.w - bw - 8), 5, [badge], ['params'], m) : '') +
        `</g>`,
    );
    groupIds.push(g.id);
  }

  const edgeById = new Map(visible.edges.map((x) => [x.id, x]));
  const edgesB = new Banded();
  const labels = new Banded();
  for (const e of layout.edges) {
    const ve = edgeById.get(e.id);
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const p of e.points) {
      if (p[1] < y0) y0 = p[1];
      if (p[1] > y1) y1 = p[1];
    }
    edgesB.add(
      y0,
      y1,
      e.id,
      `<g class="edge" data-id="${esc(e.id)}"${ve ? ` data-source="${esc(ve.source)}" data-target="${esc(ve.target)}"` : ''}>` +
        `<path class="edge-path" d="${edgePath(e.points)}" marker-end="url(#arrow)"/></g>`,
    );
    if (e.label && ve) {
      const l = e.label;
      labels.add(
        l.y,
        l.y + l.h,
        e.id,
        `<g class="edge-label" data-edge="${esc(e.id)}"><rect x="${n2(l.x - 1)}" y="${n2(l.y)}" width="${n2(l.w + 2)}" height="${n2(l.h)}" rx="3"/>` +
          `<text x="${n2(l.x + 3)}" y="${n2(l.y + 10)}" class="edge-label-text">${esc(ve.label)}</text></g>`,
      );
    }
  }

  const nodes = new Banded();
  for (const b of layout.nodes) {
    const item = visible.items.get(b.id);
    if (!item) continue;
    const head = `transform="translate(${n2(b.x)},${n2(b.y)})" data-id="${esc(b.id)}" tabindex="0" role="button"`;
    const w = n2(b.w);
    const h = n2(b.h);
    if (item.kind === 'node') {
      const n = item.node;
      const cat = CATEGORY_CLASS[n.category] ?? 'c-grey';
      const cls = `node kind-${n.kind} ${cat}${n.error ? ' error' : n.warning ? ' warning' : ''}${n.frozen ? ' frozen' : ''}`;
      const title = nodeTitle(n);
      let attrs = '';
      if (n.attrs) {
        const room = b.w - 2 * NODE.padX - 6 - m.text(title, 'type') - (n.error ? 14 : 0);
        attrs = `<tspan class="node-attrs" dx="6">${esc(fit(m, n.attrs, Math.max(24, room), 'attr'))}</tspan>`;
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
      nodes.add(
        b.y,
        b.y + b.h,
        b.id,
        `<g ${head} class="${cls}" aria-label="${esc(`${n.label}${n.error ? `: ${n.error}` : ''}`)}">` +
          `<rect class="node-box" width="${w}" height="${h}" rx="6"/>` +
          `<rect class="node-stripe" x="0" y="0" width="4" height="${h}" rx="2"/>` +
          `<text x="${NODE.padX}" y="17" class="node-title"><tspan class="node-type">${esc(title)}</tspan>${attrs}</text>` +
          (badges.length ? badgeRow(NODE.padX, 24, badges, classes, m) : '') +
          (n.error
            ? `<g class="error-mark" transform="translate(${n2(b.w - 9)},9)"><circle r="7"/><text x="-2" y="4" class="error-mark-text">!</text></g>`
            : '') +
          `</g>`,
      );
    } else {
      const g = item.group;
      nodes.add(
        b.y,
        b.y + b.h,
        b.id,
        `<g ${head} class="node collapsed kind-${g.kind}${g.error ? ' error' : ''}${g.frozen ? ' frozen' : ''}" data-toggle="${esc(g.id)}" aria-label="${esc(`${g.collapsedLabel} (collapsed)`)}">` +
          `<rect class="node-box stack" x="4" y="4" width="${w}" height="${h}" rx="6"/>` +
          `<rect class="node-box" width="${w}" height="${h}" rx="6"/>` +
          `<text x="${NODE.padX}" y="17" class="node-title"><tspan class="node-type">${esc(fit(m, `▸ ${g.collapsedLabel}`, b.w - 2 * NODE.padX, 'type'))}</tspan></text>` +
          badgeRow(NODE.padX, 24, groupBadges(g), ['count', 'params', 'macs'], m) +
          `</g>`,
      );
    }
  }

  const layers = [edgesB, headers, nodes, labels];
  root.innerHTML =
    `<g class="groups">${groupsSvg}</g>` +
    `<g class="edges"><g class="band">${edgesB.tall.svg}</g></g>` +
    `<g class="group-headers"><g class="band">${headers.tall.svg}</g></g>` +
    `<g class="nodes"><g class="band">${nodes.tall.svg}</g></g>` +
    `<g class="edge-labels"><g class="band">${labels.tall.svg}</g></g>`;
  const [groupLayer, ...layerEls] = Array.from(root.children);
  const groupsMap = new Map<string, SVGGElement>();
  const kids = groupLayer?.children;
  groupIds.forEach((id, i) => {
    const e = kids?.[i];
    if (e) groupsMap.set(id, e as SVGGElement);
  });
  const items = new Map<string, SVGGElement>();
  nodes.read(nodes.tall, layerEls[2]?.firstElementChild ?? undefined, items);
  const bandOf = new Map<string, number>();
  nodes.bands.forEach((b, i) => b?.ids.forEach((id) => bandOf.set(id, i)));
  const nBands = Math.max(...layers.map((l) => l.bands.length), 0);

  /** Band i: one `<g>` per layer, parsed on first use. */
  const parsed: (Element[] | undefined)[] = [];
  const parse = (i: number): Element[] => {
    let els = parsed[i];
    if (els) return els;
    const holder = document.createElementNS(SVG, 'g');
    holder.innerHTML = layers.map((l) => `<g class="band">${l.bands[i]?.svg ?? ''}</g>`).join('');
    els = Array.from(holder.children);
    nodes.read(nodes.bands[i], els[2], items);
    parsed[i] = els;
    return els;
  };
  const attached = new Set<number>();
  const attach = (i: number): void => {
    if (attached.has(i)) return;
    attached.add(i);
    parse(i).forEach((e, l) => layerEls[l]?.appendChild(e));
  };
  const detach = (i: number): void => {
    if (!attached.delete(i)) return;
    for (const e of parse(i)) e.remove();
  };
  const virtual = layout.nodes.length > VIRTUAL_FROM;
  /** Zoomed far out: every box and edge as one path each, no text (built on first use). */
  let overview: SVGGElement | undefined;
  const setOverview = (on: boolean): void => {
    if (on && !overview) {
      let boxes = '';
      for (const b of layout.nodes)
        boxes += `M${n2(b.x)} ${n2(b.y)}h${n2(b.w)}v${n2(b.h)}h${-n2(b.w)}z`;
      let lines = '';
      for (const e of layout.edges) lines += edgePath(e.points);
      overview = document.createElementNS(SVG, 'g');
      overview.setAttribute('class', 'overview');
      overview.innerHTML = `<path class="edge-path" d="${lines}"/><path class="node-box" d="${boxes}"/>`;
    }
    if (!overview) return;
    if (on && !overview.isConnected) groupLayer?.after(overview);
    else if (!on) overview.remove();
  };
  const showAll = (): void => {
    setOverview(false);
    for (let i = 0; i < nBands; i++) attach(i);
  };
  if (!virtual) showAll();
  return {
    items: {
      get(id) {
        const hit = items.get(id);
        if (hit) return hit;
        const i = bandOf.get(id);
        if (i === undefined || parsed[i]) return undefined;
        parse(i);
        return items.get(id);
      },
      forEach: (fn) => items.forEach(fn),
    },
    groups: groupsMap,
    width: layout.width,
    height: layout.height,
    virtual,
    get overview() {
      return overview?.isConnected ?? false;
    },
    showRows(y0, y1) {
      if (!virtual) return;
      const a = Math.floor(Math.max(0, y0) / BAND) - 1;
      const b = Math.floor(Math.max(0, y1) / BAND) + 1;
      const far = b - a + 1 > OVERVIEW_BANDS;
      for (const i of [...attached]) if (far || i < a || i > b) detach(i);
      setOverview(far);
      if (!far) for (let i = Math.max(0, a); i <= Math.min(b, nBands - 1); i++) attach(i);
    },
    showAll,
  };
}

interface Band {
  readonly ids: string[];
  svg: string;
}

/**
 * One layer's markup in bands: an element whose rows fit in one band (or two neighbours) goes in
 * the band of its top; a taller one (a long edge) goes in an always-shown group.
 */
class Banded {
  readonly bands: (Band | undefined)[] = [];
  readonly tall: Band = { ids: [], svg: '' };
  add(y0: number, y1: number, id: string, svg: string): void {
    const a = Math.max(0, Math.floor(y0 / BAND));
    const b = Math.max(0, Math.floor(y1 / BAND));
    const band = b - a <= 1 ? (this.bands[a] ??= { ids: [], svg: '' }) : this.tall;
    band.ids.push(id);
    band.svg += svg;
  }
  /** Records the parsed `<g>`s of a band's items. */
  read(band: Band | undefined, el: Element | undefined, out: Map<string, SVGGElement>): void {
    const els = el?.children;
    band?.ids.forEach((id, j) => {
      const x = els?.[j];
      if (x) out.set(id, x as SVGGElement);
    });
  }
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
