/**
 * The compare view's entry point (bundled to dist/webview/compare.js): two versions of a model
 * side by side, each graph laid out by the graph view's worker and drawn by its renderer
 * (webview/graph/layout.ts, render.ts), with added, removed and changed layers highlighted, a
 * change list that scrolls both graphs to a layer, and the totals with their change.
 *
 * The host page provides `<body data-worker-uri="…/graph-layout.js">` like the graph view; plain
 * elements styled with the `--vscode-*` theme variables (media/compare.css).
 */
import { h } from '../dom';
import {
  fromJson,
  type CompareData,
  type CompareSide,
  type CompareToHost,
  type HostToCompare,
} from '../protocol';
import { layoutRequest, visibleGraph, type LayoutResult, type VisibleGraph } from '../graph/layout';
import { createMeasure, ensureDefs, renderScene, type Rendered } from '../graph/render';

interface VsCodeApi {
  postMessage(msg: CompareToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const post = (m: CompareToHost): void => vscode.postMessage(m);

const SVGNS = 'http://www.w3.org/2000/svg';
const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const title = h('h2', { id: 'title' }, 'Comparing…');
const counts = h('span', { id: 'counts', class: 'muted' });
const legend = h(
  'span',
  { class: 'legend' },
  h('span', { class: 'swatch diff-added' }, 'added'),
  h('span', { class: 'swatch diff-removed' }, 'removed'),
  h('span', { class: 'swatch diff-changed' }, 'changed'),
);
const totals = h('table', { id: 'totals' });
const changes = h('ul', { id: 'changes', class: 'changes' });
const banner = h('div', { id: 'banner', class: 'banner', role: 'alert', hidden: '' });
const header = h(
  'div',
  { class: 'compare-header' },
  h('div', { class: 'compare-title' }, title, counts, legend),
  h('div', { class: 'compare-summary' }, totals, changes),
);

interface Pane {
  readonly root: HTMLElement;
  readonly caption: HTMLElement;
  readonly scroller: HTMLElement;
  readonly svg: SVGSVGElement;
  readonly g: SVGGElement;
  side?: CompareSide;
  visible?: VisibleGraph;
  rendered?: Rendered;
  seq: number;
}

function pane(id: 'a' | 'b'): Pane {
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.classList.add('compare-graph');
  svg.setAttribute('role', 'img');
  ensureDefs(svg);
  const g = document.createElementNS(SVGNS, 'g');
  svg.appendChild(g);
  const caption = h('div', { class: 'pane-caption' });
  const scroller = h('div', { class: 'pane-scroll' });
  scroller.appendChild(svg);
  const root = h('section', { id: `pane-${id}`, class: 'pane' }, caption, scroller);
  return { root, caption, scroller, svg, g, seq: 0 };
}
const panes = { a: pane('a'), b: pane('b') };
app.append(header, banner, h('div', { class: 'panes' }, panes.a.root, panes.b.root));

const fontFamily = getComputedStyle(document.body).fontFamily || 'sans-serif';
const monoFamily =
  getComputedStyle(document.documentElement)
    .getPropertyValue('--vscode-editor-font-family')
    .trim() || 'monospace';
const measure = createMeasure(fontFamily, monoFamily);

// ------------------------------------------------------------------------------------ worker
// One worker lays out both sides: request ids are 2·n for a and 2·n + 1 for b.
let worker: Worker | undefined;
const queued: unknown[] = [];
let nextId = 0;

async function startWorker(): Promise<void> {
  const uri = document.body.dataset.workerUri;
  if (!uri) throw new Error('no worker URI');
  const src = await (await fetch(uri)).text();
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (ev: MessageEvent<LayoutResult>) => onLayout(ev.data);
  w.onerror = (ev) => showBanner(`Layout failed: ${ev.message}`);
  worker = w;
  for (const q of queued.splice(0)) w.postMessage(q);
}
startWorker().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  showBanner(`Could not start the layout worker: ${message}`);
  post({ type: 'log', level: 'error', message: `layout worker: ${message}` });
});

function showBanner(message: string | null): void {
  banner.textContent = message ?? '';
  banner.hidden = message === null;
}

function layOut(p: Pane, which: 'a' | 'b'): void {
  if (!p.side) return;
  p.visible = visibleGraph(p.side.graph, new Set());
  p.seq = 2 * ++nextId + (which === 'a' ? 0 : 1);
  const req = layoutRequest(p.seq, p.side.graph, p.visible, measure);
  if (worker) worker.postMessage(req);
  else queued.push(req);
}

function onLayout(r: LayoutResult): void {
  const p = r.id % 2 === 0 ? panes.a : panes.b;
  if (r.id !== p.seq || !p.side || !p.visible) return;
  if (r.error) {
    showBanner(`Layout failed: ${r.error}`);
    return;
  }
  const pad = 16;
  p.rendered = renderScene(p.g, p.side.graph, p.visible, r, measure);
  p.rendered.showAll();
  p.g.setAttribute('transform', `translate(${pad},${pad})`);
  p.svg.setAttribute('width', String(Math.ceil(r.width + 2 * pad)));
  p.svg.setAttribute('height', String(Math.ceil(r.height + 2 * pad)));
  for (const [id, status] of Object.entries(p.side.status)) {
    p.rendered.items.get(id)?.classList.add(`diff-${status}`);
  }
  p.svg.dataset.nodes = String(r.nodes.length);
  p.root.dataset.ready = 'true';
  if (panes.a.root.dataset.ready && panes.b.root.dataset.ready) {
    document.body.dataset.ready = 'true';
    const count = (q: Pane, sel: string): number => q.svg.querySelectorAll(sel).length;
    const lit = '.node.diff-added, .node.diff-removed, .node.diff-changed';
    post({
      type: 'rendered',
      nodes: { a: count(panes.a, '.node'), b: count(panes.b, '.node') },
      highlighted: { a: count(panes.a, lit), b: count(panes.b, lit) },
    });
    // Start at the first change.
    const first = current?.changes[0];
    if (first) focusChange(first.a, first.b);
  }
}

// ------------------------------------------------------------------------------------ render

let current: CompareData | undefined;

function fill(data: CompareData): void {
  current = data;
  showBanner(null);
  delete document.body.dataset.ready;
  title.textContent = `Compare ${data.model}`;
  counts.textContent = data.counts;
  totals.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, ''),
      h('th', {}, data.a.title),
      h('th', {}, data.b.title),
      h('th', {}, 'change'),
    ),
    ...data.totals.map(([k, a, b, d]) =>
      h(
        'tr',
        {},
        h('td', {}, k),
        h('td', { class: 'n' }, a),
        h('td', { class: 'n' }, b),
        h('td', { class: `n ${/^\+/.test(d) ? 'up' : /^-/.test(d) ? 'down' : ''}` }, d),
      ),
    ),
  );
  changes.replaceChildren(
    ...(data.changes.length === 0
      ? [h('li', { class: 'muted' }, 'No layer changed.')]
      : data.changes.map((c) => {
          const li = h(
            'li',
            { class: `change diff-${c.status}`, tabindex: '0', role: 'button' },
            h(
              'span',
              { class: 'mark' },
              c.status === 'added' ? '+' : c.status === 'removed' ? '−' : '~',
            ),
            h('code', {}, c.path),
            ' ',
            c.text,
          );
          const go = (): void => focusChange(c.a, c.b);
          li.addEventListener('click', go);
          li.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              go();
            }
          });
          return li;
        })),
  );
  for (const [which, side] of [
    ['a', data.a],
    ['b', data.b],
  ] as const) {
    const p = panes[which];
    p.side = side;
    delete p.root.dataset.ready;
    p.caption.textContent = `${which === 'a' ? 'Before' : 'After'}: ${side.title}`;
    layOut(p, which);
  }
}

/** Scroll each pane to its node of a change and flash it. */
function focusChange(a: string | undefined, b: string | undefined): void {
  for (const [p, id] of [
    [panes.a, a],
    [panes.b, b],
  ] as const) {
    if (!id || !p.rendered) continue;
    const el = p.rendered.items.get(id);
    if (!el) continue;
    p.rendered.items.forEach((e) => e.classList.remove('focused'));
    el.classList.add('focused');
    el.scrollIntoView({ block: 'center', inline: 'center' });
  }
}

for (const which of ['a', 'b'] as const) {
  const p = panes[which];
  p.svg.addEventListener('click', (ev) => {
    const node = (ev.target as Element).closest('.node[data-id]');
    const id = node?.getAttribute('data-id');
    if (!id || !p.side?.revealable) return;
    const n = p.side.graph.nodes.find((x) => x.id === id);
    if (n) post({ type: 'reveal', side: which, source: n.source });
  });
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = fromJson<HostToCompare>(ev.data);
  if (m?.type === 'compare') fill(m.data);
  else if (m?.type === 'error') {
    title.textContent = 'Compare';
    showBanner(m.message);
  }
});
post({ type: 'ready' });
