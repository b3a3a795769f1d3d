/**
 * The graph view's entry point (bundled to dist/webview/graph.js). A thin renderer: the host sends
 * GraphData; this lays it out in a Web Worker (elkjs) and renders SVG with pan/zoom, a minimap,
 * search, collapse, hover cards, source reveal, highlight and export.
 *
 * The host page provides `<body data-worker-uri="…/graph-layout.js">`; the worker is started from
 * a blob URL of that file so it runs under a strict CSP (`worker-src blob:`; `connect-src` for the
 * fetch).
 */
import { button as vscButton, option, select, textField } from '../controls';
import { h } from '../dom';
import {
  fromJson,
  type GraphData,
  type GraphNode,
  type GraphToHost,
  type GraphViewState,
  type HostToGraph,
  type SavedLayoutText,
} from '../protocol';
import {
  layoutRequest,
  requestKey,
  restoreLayout,
  saveLayout,
  visibleGraph,
  type Box,
  type LayoutRequest,
  type LayoutResult,
  type Measure,
  type VisibleGraph,
} from './layout';
import { createMeasure, ensureDefs, renderScene, type Rendered } from './render';

interface VsCodeApi {
  postMessage(msg: GraphToHost): void;
  getState(): unknown;
  setState(state: GraphViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const post = (m: GraphToHost): void => vscode.postMessage(m);

// ------------------------------------------------------------------------------------------ DOM

const SVGNS = 'http://www.w3.org/2000/svg';

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const picker = select({ id: 'model-picker', title: 'Model', 'aria-label': 'Model', hidden: '' });
const search = textField({
  id: 'search',
  placeholder: 'Search layers (Enter: next)',
  'aria-label': 'Search layers',
  size: '24',
});
const searchCount = h('span', { id: 'search-count', class: 'muted' });
const button = (id: string, label: string, title: string): HTMLButtonElement =>
  vscButton(label, { id, title, 'aria-label': title });
const zoomOut = button('zoom-out', '−', 'Zoom out');
const zoomIn = button('zoom-in', '+', 'Zoom in');
const fitBtn = button('fit', 'Fit', 'Fit to view');
const collapseAll = button('collapse-all', 'Collapse', 'Collapse all blocks');
const expandAll = button('expand-all', 'Expand', 'Expand all blocks');
const exportSvg = button('export-svg', 'SVG', 'Export as SVG');
const exportPng = button('export-png', 'PNG', 'Export as PNG');
const totals = h('span', { id: 'totals', class: 'muted' });
const actions = h('span', { id: 'actions' });
const toolbar = h(
  'div',
  { class: 'toolbar', role: 'toolbar' },
  picker,
  search,
  searchCount,
  h('span', { class: 'spacer' }),
  totals,
  actions,
  zoomOut,
  zoomIn,
  fitBtn,
  collapseAll,
  expandAll,
  exportSvg,
  exportPng,
);
const banner = h('div', { id: 'banner', class: 'banner', role: 'alert', hidden: '' });
const svg = document.createElementNS(SVGNS, 'svg');
svg.id = 'graph';
svg.setAttribute('role', 'img');
ensureDefs(svg);
const viewportG = document.createElementNS(SVGNS, 'g');
viewportG.id = 'viewport';
svg.appendChild(viewportG);
const minimap = h('div', { id: 'minimap', class: 'minimap', hidden: '' });
const miniSvg = document.createElementNS(SVGNS, 'svg');
minimap.appendChild(miniSvg);
const tooltip = h('div', { id: 'tooltip', class: 'tooltip', role: 'tooltip', hidden: '' });
const status = h('div', { id: 'status', class: 'status muted' });
const empty = h('div', { id: 'empty', class: 'empty muted' }, 'Waiting for a model…');
const canvas = h('div', { id: 'canvas', class: 'canvas' }, svg, minimap, tooltip, status, empty);
app.append(toolbar, banner, canvas);

// ---------------------------------------------------------------------------------------- state

const saved = (vscode.getState() ?? {}) as Partial<GraphViewState>;
let data: GraphData | undefined;
let meta: { uri: string; model: string; models: readonly string[]; version: number } | undefined;
const collapsed = new Set<string>(saved.collapsed ?? []);
let view = { x: 0, y: 0, k: 1 };
let haveView = false;
let pendingSavedView = saved.viewport && saved.uri ? { ...saved.viewport } : undefined;
let visible: VisibleGraph | undefined;
let rendered: Rendered | undefined;
let layout: LayoutResult | undefined;
const boxes = new Map<string, Box>();
let seq = 0;
let layoutCount = 0;
let needFit = false;
let anchor: { id: string; sx: number; sy: number } | undefined;
let highlighted: string[] = [];
let matches: string[] = [];
let matchIndex = -1;
let hoverId: string | undefined;
/** Elements carrying the `cursor` and `match`/`current` classes. */
let cursorEls: SVGGElement[] = [];
let matchEls: SVGGElement[] = [];

const fontFamily = getComputedStyle(document.body).fontFamily || 'sans-serif';
const monoFamily =
  getComputedStyle(document.documentElement)
    .getPropertyValue('--vscode-editor-font-family')
    .trim() || 'monospace';
const measure: Measure = createMeasure(fontFamily, monoFamily);
function saveState(): void {
  vscode.setState({
    ...(meta ? { uri: meta.uri, model: meta.model } : {}),
    collapsed: [...collapsed],
    ...(haveView ? { viewport: view } : {}),
    search: searchValue(),
    ...(savedLayout() ?? {}),
  });
}
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveSoon(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(saveState, 200);
}

// --------------------------------------------------------------------------------------- worker

let worker: Worker | undefined;
let queued: LayoutRequest | undefined;
/** When the worker's script was fetched and the worker created (ms on the page's clock). */
const workerStart = { fetch: 0, fetched: 0, created: 0 };
async function startWorker(): Promise<void> {
  const uri = document.body.dataset.workerUri;
  if (!uri) throw new Error('no worker URI');
  workerStart.fetch = performance.now();
  const src = await (await fetch(uri)).text();
  workerStart.fetched = performance.now();
  const blob = new Blob([src], { type: 'text/javascript' });
  const w = new Worker(URL.createObjectURL(blob));
  workerStart.created = performance.now();
  w.onmessage = (ev: MessageEvent<LayoutResult>) => onLayout(ev.data, 'worker');
  w.onerror = (ev) => {
    showBanner(`Layout failed: ${ev.message}`, true);
    post({ type: 'log', level: 'error', message: `layout worker: ${ev.message}` });
  };
  worker = w;
  if (queued) w.postMessage(queued);
  queued = undefined;
}
let workerStarted = false;
function ensureWorker(): void {
  if (workerStarted) return;
  workerStarted = true;
  startWorker().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    showBanner(`Could not start the layout worker: ${message}`, false);
    post({ type: 'log', level: 'error', message: `layout worker: ${message}` });
  });
}
// A view with a saved layout may draw its first graph without the worker: the worker then
// starts after that first paint, so that its start (ELK's script) does not compete with it.
if (!saved.layout) ensureWorker();

// --------------------------------------------------------------------------------- saved layout

/**
 * The layout this view shows, with the key of the request it answers. VS Code destroys a hidden
 * graph view (the panel does not retain its context) and keeps its state: when the view is shown
 * again, or restored after a reload, and its first request has the key of the saved layout, the
 * view draws that layout at once instead of waiting for the worker's start (decision 0031).
 */
let shownKey: { seq: number; key: string } | undefined;
/** The layout the host sent with the view's first graph: one an earlier view drew. */
let hostLayout: SavedLayoutText | undefined;
let shownLayout: { key: string; result: LayoutResult; json?: string | null } | undefined;
/** Requests with more items than this are not keyed or saved (keying reads the whole request). */
const MAX_SAVED_ITEMS = 3000;
/**
 * The key of a request: what it lays out, and the worker's script (a new version of the
 * extension may lay out differently).
 */
function keyOf(req: LayoutRequest): string | undefined {
  if (req.nodes.length + req.groups.length > MAX_SAVED_ITEMS) return undefined;
  return `${requestKey(req)}@${document.body.dataset.workerUri ?? ''}`;
}
/**
 * Offers the layout on screen to the host a second after the last layout, for the next view of
 * this model (a panel closed and opened again).
 */
let offerTimer: ReturnType<typeof setTimeout> | undefined;
function offerLayoutSoon(): void {
  if (offerTimer) clearTimeout(offerTimer);
  offerTimer = setTimeout(() => {
    const l = savedLayout()?.layout;
    if (l && meta) post({ type: 'layout', uri: meta.uri, model: meta.model, layout: l });
  }, 1000);
}
function savedLayout(): { layout: SavedLayoutText } | undefined {
  if (!shownLayout) return undefined;
  // JSON text once per layout: the state is written again on every pan and zoom.
  if (shownLayout.json === undefined) shownLayout.json = saveLayout(shownLayout.result) ?? null;
  return shownLayout.json === null
    ? undefined
    : { layout: { key: shownLayout.key, json: shownLayout.json } };
}

let statusTimer: ReturnType<typeof setTimeout> | undefined;
function relayout(): void {
  if (!data) return;
  visible = visibleGraph(data, collapsed);
  const base = layoutRequest(++seq, data, visible, measure);
  // Benchmarks and tests: `data-layout-cache="clear"` lays out without the worker's cache.
  const req = document.body.dataset.layoutCache === 'clear' ? { ...base, clearCache: true } : base;
  const key = keyOf(req);
  shownKey = key === undefined ? undefined : { seq, key };
  if (statusTimer) clearTimeout(statusTimer);
  // The view's first layout: a saved one (its state's, or the host's), when it answers this very
  // request.
  const candidate =
    layoutCount === 0 && key !== undefined
      ? [saved.layout, hostLayout].find((l) => l?.key === key)
      : undefined;
  const restored = candidate && restoreLayout(candidate.json, seq);
  if (restored) {
    onLayout(restored, 'saved');
    // the worker starts after the frame that paints it
    requestAnimationFrame(() => setTimeout(ensureWorker));
    return;
  }
  ensureWorker();
  statusTimer = setTimeout(() => (status.textContent = 'Laying out…'), 150);
  if (worker) worker.postMessage(req);
  else queued = req;
}

function onLayout(r: LayoutResult, source: 'worker' | 'saved'): void {
  if (r.id !== seq || !data || !visible) return;
  if (statusTimer) clearTimeout(statusTimer);
  status.textContent = '';
  if (r.error) {
    showBanner(`Layout failed: ${r.error}`, true);
    return;
  }
  const t0 = performance.now();
  layout = r;
  shownLayout = shownKey?.seq === r.id ? { key: shownKey.key, result: r } : undefined;
  hostLayout = undefined; // only a first layout may use it
  document.body.dataset.layoutSource = source;
  rendered = renderScene(viewportG, data, visible, r, measure);
  cursorEls = [];
  matchEls = [];
  boxes.clear();
  for (const b of r.nodes) boxes.set(b.id, b);
  for (const b of r.groups) boxes.set(b.id, b);
  svg.dataset.nodes = String(r.nodes.length);
  svg.dataset.groups = String(r.groups.length);
  empty.hidden = true;
  post({
    type: 'rendered',
    layers: data.nodes.filter((n) => n.kind === 'layer').length,
    items: r.nodes.length,
    source,
  });
  offerLayoutSoon();

  if (pendingSavedView && meta && saved.uri === meta.uri && saved.model === meta.model) {
    view = pendingSavedView;
    haveView = true;
    needFit = false;
  }
  pendingSavedView = undefined;
  if (needFit || !haveView) fit(true);
  else if (anchor) {
    const b = boxes.get(anchor.id);
    if (b) {
      view.x = anchor.sx - b.x * view.k;
      view.y = anchor.sy - b.y * view.k;
    }
  }
  needFit = false;
  anchor = undefined;
  applyView();
  applyHighlight(false);
  runSearch(false);
  drawMinimap();
  layoutCount++;
  document.body.dataset.layoutCount = String(layoutCount);
  document.body.dataset.layoutMs = r.ms.toFixed(1);
  document.body.dataset.elkRuns = String(r.elkRuns ?? 0);
  document.body.dataset.layoutCached = String(r.cached ?? 0);
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
  if (r.startup) {
    // The worker's start on the page's clock, for the graph view's benchmark.
    const at = (t: number) => Number((t - performance.timeOrigin).toFixed(1));
    const first = r.startup.firstLayout;
    document.body.dataset.workerStartup = JSON.stringify({
      ...workerStart,
      evaluated: at(r.startup.evaluatedAt),
      ...(first && { elkFirst: [at(first.start), at(first.end)], elkFirstWarmUp: first.warmUp }),
    });
  }
  saveSoon();
}

/** Remembers where an item is on screen so the next layout keeps it there. */
function anchorOn(id: string | undefined): void {
  const b = id ? boxes.get(id) : undefined;
  if (!id || !b) return;
  anchor = { id, sx: view.x + b.x * view.k, sy: view.y + b.y * view.k };
}

/** The visible item nearest the centre of the screen that survives a re-check. */
function centreItem(): string | undefined {
  const rect = viewSize();
  const cx = (rect.width / 2 - view.x) / view.k;
  const cy = (rect.height / 2 - view.y) / view.k;
  let best: string | undefined;
  let bestD = Infinity;
  for (const b of layout?.nodes ?? []) {
    const d = Math.hypot(b.x + b.w / 2 - cx, b.y + b.h / 2 - cy);
    if (d < bestD) {
      bestD = d;
      best = b.id;
    }
  }
  return best;
}

// ------------------------------------------------------------------------------------- viewport

/**
 * The graph area's size, kept by a ResizeObserver (reading it from the layout on every pan and
 * zoom would force a synchronous layout of the scene each time).
 */
let size: { width: number; height: number } | undefined;
function viewSize(): { width: number; height: number } {
  if (!size || size.width === 0) {
    const r = svg.getBoundingClientRect();
    size = { width: r.width, height: r.height || window.innerHeight };
  }
  return size;
}
new ResizeObserver(() => {
  size = undefined;
  updateMinimapView();
  showVisibleBands();
}).observe(svg);

function applyView(): void {
  viewportG.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
  showVisibleBands();
  updateMinimapView();
  saveSoon();
}

/** Displays only the parts of the scene on screen (see render.ts, BAND). */
function showVisibleBands(): void {
  if (!rendered) return;
  const h = viewSize().height;
  rendered.showRows(-view.y / view.k, (h - view.y) / view.k);
}

/**
 * Fits the whole graph. The first view of a graph that would be shrunk below 60% instead fits
 * its width (at most 100%) and shows the top, where the input is, so labels stay readable.
 */
function fit(initial = false): void {
  if (!layout) return;
  const rect = viewSize();
  const W = Math.max(1, rect.width);
  const H = Math.max(1, rect.height);
  let k = Math.min(
    1.25,
    (W - 24) / Math.max(1, layout.width),
    (H - 24) / Math.max(1, layout.height),
  );
  if (initial && k < 0.6) k = Math.min(1, (W - 24) / Math.max(1, layout.width));
  view = {
    k,
    x: (W - layout.width * k) / 2,
    y: layout.height * k > H ? 8 : Math.max(8, (H - layout.height * k) / 2),
  };
  haveView = true;
  applyView();
}

function zoomAt(factor: number, sx: number, sy: number): void {
  const k = Math.min(4, Math.max(0.03, view.k * factor));
  const f = k / view.k;
  view = { k, x: sx - (sx - view.x) * f, y: sy - (sy - view.y) * f };
  haveView = true;
  applyView();
}

function centreOn(id: string, onlyIfOffscreen: boolean): void {
  const b = boxes.get(id);
  if (!b) return;
  const rect = viewSize();
  const x0 = view.x + b.x * view.k;
  const y0 = view.y + b.y * view.k;
  const x1 = x0 + b.w * view.k;
  const y1 = y0 + b.h * view.k;
  if (onlyIfOffscreen && x0 >= 0 && y0 >= 0 && x1 <= rect.width && y1 <= rect.height) return;
  view.x = rect.width / 2 - (b.x + b.w / 2) * view.k;
  view.y = rect.height / 2 - (b.y + b.h / 2) * view.k;
  haveView = true;
  applyView();
}

let drag: { x: number; y: number; vx: number; vy: number; moved: boolean; id: number } | undefined;
let suppressClick = false;
svg.addEventListener('pointerdown', (ev) => {
  if (ev.button !== 0) return;
  drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false, id: ev.pointerId };
});
svg.addEventListener('pointermove', (ev) => {
  if (!drag || drag.id !== ev.pointerId) return;
  const dx = ev.clientX - drag.x;
  const dy = ev.clientY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return;
  if (!drag.moved) {
    drag.moved = true;
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add('panning');
    hideTooltip();
  }
  view.x = drag.vx + dx;
  view.y = drag.vy + dy;
  haveView = true;
  applyView();
});
const endDrag = (ev: PointerEvent): void => {
  if (!drag || drag.id !== ev.pointerId) return;
  suppressClick = drag.moved;
  drag = undefined;
  svg.classList.remove('panning');
};
svg.addEventListener('pointerup', endDrag);
svg.addEventListener('pointercancel', endDrag);
svg.addEventListener(
  'wheel',
  (ev) => {
    ev.preventDefault();
    const rect = svg.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey || !ev.shiftKey) {
      const delta = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      zoomAt(
        Math.exp(-delta * (ev.ctrlKey ? 0.01 : 0.0015)),
        ev.clientX - rect.left,
        ev.clientY - rect.top,
      );
    } else {
      view.x -= ev.deltaY;
      applyView();
    }
  },
  { passive: false },
);
const centreZoom = (f: number): void => {
  const rect = viewSize();
  zoomAt(f, rect.width / 2, rect.height / 2);
};
zoomIn.addEventListener('click', () => centreZoom(1.25));
zoomOut.addEventListener('click', () => centreZoom(0.8));
fitBtn.addEventListener('click', () => fit());
window.addEventListener('resize', () => updateMinimapView());

// -------------------------------------------------------------------------------------- minimap

const MINI_W = 180;
const MINI_H = 140;
let miniView: SVGRectElement | undefined;
function drawMinimap(): void {
  if (!layout || layout.nodes.length <= 60) {
    minimap.hidden = true;
    return;
  }
  minimap.hidden = false;
  miniSvg.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
  miniSvg.setAttribute('width', String(MINI_W));
  miniSvg.setAttribute('height', String(MINI_H));
  miniSvg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  // One path per kind (one subpath per box): a 2,000-node minimap is two elements, not 2,300.
  const boxesPath = (list: readonly Box[]): string => {
    let d = '';
    for (const b of list)
      d += `M${Math.round(b.x)} ${Math.round(b.y)}h${Math.round(b.w)}v${Math.round(b.h)}h${-Math.round(b.w)}z`;
    return d;
  };
  miniSvg.innerHTML =
    `<path class="mini-group" d="${boxesPath(layout.groups)}"/>` +
    `<path class="mini-node" d="${boxesPath(layout.nodes)}"/><rect class="mini-view"/>`;
  miniView = miniSvg.lastElementChild as SVGRectElement;
  updateMinimapView();
}
function updateMinimapView(): void {
  if (!miniView || minimap.hidden) return;
  const rect = viewSize();
  miniView.setAttribute('x', String(-view.x / view.k));
  miniView.setAttribute('y', String(-view.y / view.k));
  miniView.setAttribute('width', String(rect.width / view.k));
  miniView.setAttribute('height', String(rect.height / view.k));
}
function minimapMove(ev: PointerEvent): void {
  if (!layout) return;
  const r = miniSvg.getBoundingClientRect();
  const scale = Math.min(r.width / layout.width, r.height / layout.height);
  const ox = (r.width - layout.width * scale) / 2;
  const oy = (r.height - layout.height * scale) / 2;
  const gx = (ev.clientX - r.left - ox) / scale;
  const gy = (ev.clientY - r.top - oy) / scale;
  const rect = viewSize();
  view.x = rect.width / 2 - gx * view.k;
  view.y = rect.height / 2 - gy * view.k;
  applyView();
}
let miniDrag = false;
miniSvg.addEventListener('pointerdown', (ev) => {
  miniDrag = true;
  miniSvg.setPointerCapture(ev.pointerId);
  minimapMove(ev);
});
miniSvg.addEventListener('pointermove', (ev) => miniDrag && minimapMove(ev));
miniSvg.addEventListener('pointerup', () => (miniDrag = false));

// --------------------------------------------------------------------------- clicks and toggles

function itemAt(target: EventTarget | null): SVGGElement | undefined {
  const e = target instanceof Element ? target.closest('g.node, g.group-header') : null;
  return e instanceof SVGGElement ? e : undefined;
}

function toggle(groupId: string): void {
  anchorOn(groupId);
  if (collapsed.has(groupId)) collapsed.delete(groupId);
  else collapsed.add(groupId);
  saveSoon();
  relayout();
}

function activate(g: SVGGElement): void {
  const toggleId = g.dataset.toggle;
  if (toggleId) {
    toggle(toggleId);
    return;
  }
  const id = g.dataset.id;
  const item = id ? visible?.items.get(id) : undefined;
  if (item?.kind === 'node') {
    post({ type: 'reveal', nodeId: item.node.id, source: item.node.source });
    rendered?.items.forEach((e) => e.classList.remove('selected'));
    g.classList.add('selected');
  }
}

svg.addEventListener('click', (ev) => {
  if (suppressClick) {
    suppressClick = false;
    return;
  }
  const g = itemAt(ev.target);
  if (g) activate(g);
  else if (rendered?.overview) {
    // The overview has no items to click: zoom in where it was clicked.
    const rect = svg.getBoundingClientRect();
    zoomAt(0.6 / view.k, ev.clientX - rect.left, ev.clientY - rect.top);
  }
});
svg.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter' && ev.key !== ' ') return;
  const g = itemAt(ev.target);
  if (g) {
    ev.preventDefault();
    activate(g);
  }
});
collapseAll.addEventListener('click', () => {
  if (!data) return;
  for (const g of data.groups) if (g.kind !== 'iteration') collapsed.add(g.id);
  needFit = true;
  relayout();
});
expandAll.addEventListener('click', () => {
  collapsed.clear();
  needFit = true;
  relayout();
});

// ---------------------------------------------------------------------------------------- hover

let hoverTimer: ReturnType<typeof setTimeout> | undefined;
svg.addEventListener('pointerover', (ev) => {
  if (drag?.moved) return;
  const g = itemAt(ev.target);
  const id = g?.classList.contains('node') ? g.dataset.id : undefined;
  if (id === hoverId) return;
  if (hoverTimer) clearTimeout(hoverTimer);
  if (!id || !g) {
    hideTooltip();
    return;
  }
  hoverTimer = setTimeout(() => showTooltip(id, g), 250);
});
svg.addEventListener('pointerleave', () => {
  if (hoverTimer) clearTimeout(hoverTimer);
  hideTooltip();
});

function showTooltip(id: string, g: SVGGElement): void {
  const item = visible?.items.get(id);
  if (!item) return;
  hoverId = id;
  const card: (Node | string)[] = [];
  if (item.kind === 'node') {
    const n = item.node;
    card.push(
      h('div', { class: 'tt-title' }, n.kind === 'layer' ? n.label : `${n.type} ${n.label}`),
    );
    const rows: [string, string][] = [];
    const inEdge = data?.edges.find((e) => e.target === n.id);
    const outEdge = data?.edges.find((e) => e.source === n.id);
    if (inEdge) rows.push(['in', inEdge.label]);
    if (outEdge) rows.push(['out', outEdge.label]);
    if (n.params)
      rows.push([
        'params',
        `${n.params.trainable.toLocaleString('en-US')} trainable` +
          (n.params.nonTrainable
            ? `, ${n.params.nonTrainable.toLocaleString('en-US')} fixed`
            : '') +
          (n.params.sharedRepeat
            ? ' (shared; counted at first use)'
            : n.params.shared
              ? ' (shared)'
              : '') +
          (n.params.sharedWith?.length
            ? `; shared with ${n.params.sharedWith.join(', ')} (counted there)`
            : ''),
      ]);
    if (n.frozen) rows.push(['frozen', 'not trained; eval mode']);
    if (n.macs) rows.push([data?.costUnit ?? 'MACs', n.macs]);
    card.push(tooltipRows(rows));
    if (n.error) card.push(h('div', { class: 'tt-error' }, n.error));
    else if (n.warning) card.push(h('div', { class: 'tt-warning' }, n.warning));
    if (n.kind === 'layer') post({ type: 'request-hover', nodeId: n.id });
  } else {
    const gr = item.group;
    card.push(h('div', { class: 'tt-title' }, gr.label));
    card.push(
      tooltipRows([
        ['layers', String(gr.nodeCount)],
        [
          'params',
          `${gr.params.trainable.toLocaleString('en-US')} trainable` +
            (gr.params.nonTrainable
              ? `, ${gr.params.nonTrainable.toLocaleString('en-US')} fixed`
              : ''),
        ],
        ...(gr.macs ? ([[data?.costUnit ?? 'MACs', gr.macs]] as [string, string][]) : []),
      ]),
    );
    card.push(h('div', { class: 'muted' }, 'Click to expand'));
  }
  card.push(h('div', { class: 'tt-host', id: 'tooltip-host' }));
  tooltip.replaceChildren(...card);
  tooltip.hidden = false;
  const r = g.getBoundingClientRect();
  const c = canvas.getBoundingClientRect();
  const tw = tooltip.offsetWidth;
  const th = tooltip.offsetHeight;
  let x = r.right - c.left + 8;
  if (x + tw > c.width - 4) x = Math.max(4, r.left - c.left - tw - 8);
  const y = Math.min(Math.max(4, r.top - c.top), Math.max(4, c.height - th - 4));
  tooltip.style.left = `${x}px`;
  tooltip.style.top = `${y}px`;
}
function tooltipRows(rows: readonly [string, string][]): HTMLElement {
  const t = h('table', { class: 'tt-rows' });
  for (const [k, v] of rows) t.append(h('tr', {}, h('th', {}, k), h('td', {}, v)));
  return t;
}
function hideTooltip(): void {
  hoverId = undefined;
  tooltip.hidden = true;
}

/** Keeps a small allow-list of formatting elements; drops every attribute but `class`. */
function sanitize(html: string): DocumentFragment {
  const allowed = new Set([
    'P',
    'CODE',
    'PRE',
    'STRONG',
    'EM',
    'B',
    'I',
    'UL',
    'OL',
    'LI',
    'BR',
    'HR',
    'TABLE',
    'THEAD',
    'TBODY',
    'TR',
    'TH',
    'TD',
    'SPAN',
    'DIV',
    'H1',
    'H2',
    'H3',
    'H4',
    'BLOCKQUOTE',
    'A',
  ]);
  // A document without a browsing context: nothing in it loads or runs.
  const doc = document.implementation.createHTMLDocument('');
  // Event-handler attributes are neutralized before parsing too (they never survive the copy,
  // but parsing them would still be reported as CSP violations).
  doc.body.innerHTML = html.replace(/\son[a-z]+\s*=/gi, ' data-removed=');
  const copy = (src: Node, dst: Node): void => {
    for (const c of Array.from(src.childNodes)) {
      if (c.nodeType === Node.TEXT_NODE)
        dst.appendChild(document.createTextNode(c.textContent ?? ''));
      else if (c instanceof Element) {
        if (!allowed.has(c.tagName)) {
          if (c.tagName !== 'SCRIPT' && c.tagName !== 'STYLE') copy(c, dst);
          continue;
        }
        const e = document.createElement(c.tagName === 'A' ? 'span' : c.tagName.toLowerCase());
        const cls = c.getAttribute('class');
        if (cls) e.className = cls;
        copy(c, e);
        dst.appendChild(e);
      }
    }
  };
  const frag = document.createDocumentFragment();
  copy(doc.body, frag);
  return frag;
}

// ------------------------------------------------------------------------ highlight and search

function applyHighlight(reveal: boolean): void {
  if (!rendered || !visible) return;
  // (Tracked, not queried: in a large scene most items are not in the document.)
  for (const e of cursorEls) e.classList.remove('cursor');
  cursorEls = [];
  const shown = [
    ...new Set(highlighted.map((id) => visible!.shownAs.get(id)).filter((x): x is string => !!x)),
  ];
  for (const id of shown) {
    const e = rendered.items.get(id);
    if (e) {
      e.classList.add('cursor');
      cursorEls.push(e);
    }
  }
  if (reveal && shown[0]) centreOn(shown[0], true);
}

function searchValue(): string {
  return search.value.trim();
}

function runSearch(move: boolean): void {
  if (!rendered || !visible || !data) return;
  const q = searchValue().toLowerCase();
  for (const e of matchEls) e.classList.remove('match', 'current');
  matchEls = [];
  svg.classList.toggle('searching', q.length > 0);
  if (!q) {
    matches = [];
    matchIndex = -1;
    searchCount.textContent = '';
    return;
  }
  const hit = (n: GraphNode): boolean =>
    n.type.toLowerCase().includes(q) ||
    n.label.toLowerCase().includes(q) ||
    n.attrs.toLowerCase().includes(q);
  const ids = new Set<string>();
  for (const n of data.nodes) if (hit(n)) ids.add(visible.shownAs.get(n.id) ?? n.id);
  for (const g of data.groups)
    if (g.label.toLowerCase().includes(q) && visible.items.has(g.id)) ids.add(g.id);
  matches = [...ids]
    .filter((id) => boxes.has(id))
    .sort((a, b) => boxes.get(a)!.y - boxes.get(b)!.y || boxes.get(a)!.x - boxes.get(b)!.x);
  for (const id of matches) {
    const e = rendered.items.get(id);
    if (e) {
      e.classList.add('match');
      matchEls.push(e);
    }
  }
  if (matchIndex >= matches.length) matchIndex = matches.length - 1;
  if (move && matches.length) {
    matchIndex = (matchIndex + 1) % matches.length;
    centreOn(matches[matchIndex]!, false);
  }
  if (matchIndex >= 0 && matches[matchIndex])
    rendered.items.get(matches[matchIndex]!)?.classList.add('current');
  searchCount.textContent = matches.length
    ? `${matchIndex >= 0 ? matchIndex + 1 : 0}/${matches.length}`
    : 'no match';
}
search.addEventListener('input', () => {
  matchIndex = -1;
  runSearch(false);
  saveSoon();
});
search.addEventListener('keydown', (ev) => {
  if ((ev as KeyboardEvent).key === 'Enter') runSearch(true);
  if ((ev as KeyboardEvent).key === 'Escape') {
    search.value = '';
    runSearch(false);
  }
});
if (saved.search) search.value = saved.search;

// --------------------------------------------------------------------------------------- banner

function showBanner(message: string | null, stale: boolean): void {
  banner.hidden = message === null;
  banner.textContent = message ?? '';
  banner.classList.toggle('stale', stale);
  svg.classList.toggle('stale', message !== null && stale);
}

// --------------------------------------------------------------------------------------- export

const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'display',
  'visibility',
  // the group titles' halo: without these the background-coloured stroke covers the text
  'paint-order',
  'stroke-linejoin',
  'stroke-linecap',
  'text-anchor',
  'font-style',
];

/** Interaction state the panel shows and an exported image does not (selection, search, cursor). */
const STATE_CLASSES = ['selected', 'cursor', 'match', 'current', 'panning', 'searching', 'stale'];

/** A title's expand/collapse chevron (`▾ Res`, `▸ Res ×2`): a control of the panel only. */
const CHEVRON = /^[▸▾] /;

/** A standalone SVG of the whole graph with computed styles inlined (theme colours resolved). */
function serializeSvg(): string {
  if (!layout) return '';
  rendered?.showAll();
  // The styles are computed without the interaction state (restored right after, before any
  // paint), so the image shows the graph as drawn, not what is selected or searched.
  const stateful = [
    svg,
    ...Array.from(svg.querySelectorAll(STATE_CLASSES.map((c) => `.${c}`).join(','))),
  ];
  const saved = stateful.map(
    (e) => [e, STATE_CLASSES.filter((c) => e.classList.contains(c))] as const,
  );
  for (const [e, cs] of saved) e.classList.remove(...cs);
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  src.forEach((s, i) => {
    const d = dst[i] as SVGElement | undefined;
    if (!d || !(s instanceof SVGElement)) return;
    const cs = getComputedStyle(s);
    for (const p of STYLE_PROPS) {
      const v = cs.getPropertyValue(p);
      if (v) d.style.setProperty(p, v);
    }
    d.removeAttribute('tabindex');
  });
  for (const [e, cs] of saved) e.classList.add(...cs);
  for (const t of Array.from(clone.querySelectorAll('.group-title, .node-type')))
    if (t.firstChild?.nodeType === Node.TEXT_NODE && CHEVRON.test(t.firstChild.nodeValue ?? ''))
      t.firstChild.nodeValue = (t.firstChild.nodeValue ?? '').replace(CHEVRON, '');
  const w = Math.ceil(layout.width);
  const hgt = Math.ceil(layout.height);
  clone.setAttribute('xmlns', SVGNS);
  clone.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(hgt));
  clone.removeAttribute('class');
  clone.style.removeProperty('opacity');
  const vp = clone.querySelector('#viewport');
  vp?.removeAttribute('transform');
  const bg = document.createElementNS(SVGNS, 'rect');
  bg.setAttribute('width', String(w));
  bg.setAttribute('height', String(hgt));
  bg.style.setProperty('fill', getComputedStyle(document.body).backgroundColor || '#fff');
  clone.insertBefore(bg, vp ?? null);
  showVisibleBands();
  return new XMLSerializer().serializeToString(clone);
}

async function toPng(svgText: string): Promise<string> {
  if (!layout) return '';
  const img = new Image();
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('could not rasterize the SVG'));
    img.src = url;
  });
  const scale = Math.min(2, 16000 / Math.max(layout.width, layout.height));
  const c = document.createElement('canvas');
  c.width = Math.ceil(layout.width * scale);
  c.height = Math.ceil(layout.height * scale);
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no canvas');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0);
  return c.toDataURL('image/png');
}

exportSvg.addEventListener('click', () => {
  const text = serializeSvg();
  if (text)
    post({ type: 'export', format: 'svg', data: text, fileName: `${data?.model ?? 'graph'}.svg` });
});
exportPng.addEventListener('click', () => {
  const text = serializeSvg();
  if (!text) return;
  toPng(text).then(
    (png) =>
      post({ type: 'export', format: 'png', data: png, fileName: `${data?.model ?? 'graph'}.png` }),
    (err: unknown) =>
      showBanner(`PNG export failed: ${err instanceof Error ? err.message : String(err)}`, false),
  );
});

// ------------------------------------------------------------------------------- model picker

function updatePicker(models: readonly string[], current: string): void {
  picker.hidden = models.length < 2;
  const same =
    picker.options.length === models.length &&
    models.every((m, i) => picker.options[i]!.value === m);
  if (!same) picker.replaceChildren(...models.map((m) => option(m, m)));
  picker.value = current;
}
picker.addEventListener('change', () => {
  const value = picker.value;
  if (value && value !== meta?.model) post({ type: 'select-model', model: value });
});

// ------------------------------------------------------------------------------------- messages

const AUTO_COLLAPSE = 300;

function onGraph(m: Extract<HostToGraph, { type: 'graph' }>): void {
  const sameTarget = meta && meta.uri === m.uri && meta.model === m.model;
  if (sameTarget && m.version < meta!.version) return;
  if (!sameTarget || m.reset) {
    needFit = true;
    if (meta) {
      collapsed.clear();
      pendingSavedView = undefined;
    }
  } else anchorOn(centreItem());
  // A large model first opens with its top-level blocks and repeats collapsed (unless a saved
  // collapse state applies); the layout stays fast and the user expands what they need.
  const restoring = !meta && saved.uri === m.uri && saved.model === m.model;
  if (
    needFit &&
    !restoring &&
    m.graph.nodes.length > AUTO_COLLAPSE &&
    document.body.dataset.autoCollapse !== 'off'
  ) {
    for (const g of m.graph.groups) if (!g.parent) collapsed.add(g.id);
  }
  if (m.layout && layoutCount === 0) hostLayout = m.layout;
  meta = { uri: m.uri, model: m.model, models: m.models, version: m.version };
  data = m.graph;
  // A new graph clears the banner; the host sends a new one after it when still needed.
  showBanner(null, false);
  const t = m.graph.totals;
  // counts of a model with errors are partial, as the code lens and status bar say
  const failing = m.graph.nodes.some((n) => n.error);
  totals.textContent = `${t.params.text} params · ${t.macs} ${m.graph.costUnit}${failing ? ' (model has errors)' : ''}`;
  totals.title = `${t.params.trainable.toLocaleString('en-US')} trainable, ${t.params.nonTrainable.toLocaleString('en-US')} non-trainable parameters`;
  updatePicker(m.models, m.model);
  relayout();
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = fromJson<HostToGraph>(ev.data);
  switch (m?.type) {
    case 'graph':
      onGraph(m);
      break;
    case 'error-banner':
      showBanner(m.message, m.stale ?? false);
      break;
    case 'highlight':
      highlighted = [...m.nodeIds];
      applyHighlight(m.reveal ?? true);
      break;
    case 'hover': {
      if (m.nodeId !== hoverId && visible?.shownAs.get(m.nodeId) !== hoverId) break;
      const host = document.getElementById('tooltip-host');
      if (!host) break;
      if (m.html) host.replaceChildren(sanitize(m.html));
      else if (m.text) host.replaceChildren(h('div', { class: 'tt-text' }, m.text));
      break;
    }
    case 'theme':
      document.body.dataset.theme = m.kind;
      break;
    case 'actions':
      actions.replaceChildren(
        ...m.actions.map((a) => {
          const b = button(`action-${a.id}`, a.label, a.title);
          b.addEventListener('click', () => post({ type: 'action', id: a.id }));
          return b;
        }),
      );
      break;
    case 'export-done':
      status.textContent = m.ok ? (m.message ?? 'Exported') : (m.message ?? 'Export failed');
      setTimeout(() => (status.textContent = ''), 2500);
      break;
  }
});

post({ type: 'ready' });
