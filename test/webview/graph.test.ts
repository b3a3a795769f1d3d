/**
 * Browser tests of the graph view: the bundled webview in Debian's Chromium (playwright-core),
 * served by a static server under a CSP like the real panel's, fed `graph` messages built from the
 * real examples by buildGraphData. Prints one line per test and ends with `N passed, N failed`.
 * Screenshots go to test-results/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { checkFile, checkText } from '../../src/language/program';
import type { CheckResult } from '../../src/language/checked';
import { buildGraphData } from '../../src/views/graphData';
import { readOnnxGraph } from '../../src/interop/onnx/graph';
import { onnxGraphData } from '../../src/views/onnxGraphData';
import { onnxFixture } from '../unit/helpers/onnx-fixtures';
import { asJson, type GraphData, type GraphToHost, type HostToGraph } from '../../webview/protocol';
import {
  layoutRequest,
  visibleGraph,
  type Box,
  type LayoutRequest,
  type LayoutResult,
  type Measure,
} from '../../webview/graph/layout';
import { syncElk } from '../../webview/graph/layout.worker';
import { LayoutCache, layoutNested } from '../../webview/graph/nested';
import { ROOT, launch, residualSource, runWebTests, type Theme, type WebTest } from './harness';

const OUT = join(ROOT, 'test-results');
mkdirSync(OUT, { recursive: true });

const host = {
  root: ROOT,
  readFile: (p: string): string | undefined => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};
const graphOfResult = (r: CheckResult, i = 0): GraphData =>
  buildGraphData(r.models[i]!, r.diagnostics, {
    shapeStyle: 'brackets',
    macsOrFlops: 'macs',
    files: r.files,
  });
const exampleGraph = (name: string): { graph: GraphData; uri: string } => {
  const file = join(ROOT, 'examples', name);
  return { graph: graphOfResult(checkFile(file, host)), uri: `file://${file}` };
};

/** A residual CNN with `k` identical Res blocks in one repeat (7 layers each). */
function residualGraph(k: number): { graph: GraphData; uri: string } {
  const text = residualSource(k);
  const file = `/gen/res${k}.dlm`;
  const r = checkText(file, text, { root: '/gen', readFile: () => text });
  return { graph: graphOfResult(r), uri: `file://${file}` };
}

/** A flat model: `n` layers in one chain, no blocks. */
function flatGraph(n: number): GraphData {
  const text = `model Flat(x: [B, 16]) -> [B, 16] {\n  x${' |> Dense(16) |> ReLU'.repeat(n / 2)}\n}\n`;
  const r = checkText('/gen/flat.dlm', text, { root: '/gen', readFile: () => text });
  return graphOfResult(r);
}

const resnet = exampleGraph('resnet18.dlm');
const unet = exampleGraph('unet.dlm');
const vae = exampleGraph('vae.dlm');
let version = 0;
const graphMsg = (
  g: { graph: GraphData; uri: string },
  extra: Partial<Extract<HostToGraph, { type: 'graph' }>> = {},
): HostToGraph => ({
  type: 'graph',
  version: ++version,
  uri: g.uri,
  model: g.graph.model,
  models: [g.graph.model],
  graph: g.graph,
  ...extra,
});

// --------------------------------------------------------------------------------- page helpers

declare global {
  interface Window {
    __posted: GraphToHost[];
    __violations: string[];
    __state: unknown;
  }
}

let origin = '';
const browserP = launch();

/** A page of the graph view, ready; with `state`, its VS Code state from the start. */
async function openPage(theme: Theme = 'dark', state?: unknown): Promise<Page> {
  const browser = await browserP;
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { __errors: string[] }).__errors = errors;
  if (state !== undefined)
    await page.addInitScript((s) => {
      (window as unknown as { __initialState: unknown }).__initialState = s;
    }, state);
  await page.goto(`${origin}/harness.html?theme=${theme}`);
  await page.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
  return page;
}

const layoutCount = (page: Page): Promise<number> =>
  page.evaluate(() => Number(document.body.dataset.layoutCount ?? '0'));

async function waitLayout(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.layoutCount ?? '0') > n, after, {
    timeout: 30_000,
  });
}

async function send(page: Page, msg: HostToGraph, wait = msg.type === 'graph'): Promise<void> {
  const before = await layoutCount(page);
  await page.evaluate((m) => window.postMessage(m, '*'), asJson(msg));
  if (wait) await waitLayout(page, before);
}

async function act(page: Page, fn: () => Promise<void>): Promise<void> {
  const before = await layoutCount(page);
  await fn();
  await waitLayout(page, before);
}

const nodeCount = (page: Page): Promise<number> => page.locator('#graph g.node').count();
const posted = (page: Page): Promise<GraphToHost[]> => page.evaluate(() => window.__posted);
const transform = (page: Page): Promise<string | null> =>
  page.locator('#viewport').getAttribute('transform');
const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(OUT, `${name}.png`) });

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
function equal<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected)
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

// ------------------------------------------------------------------------------------- tests

const tests: WebTest[] = [];
const test = (name: string, fn: () => Promise<void>): void => {
  tests.push([name, fn]);
};

let page: Page;

test('loads under the strict CSP, starts the layout worker, posts ready', async () => {
  page = await openPage('dark');
  await send(page, graphMsg(resnet));
  const violations = await page.evaluate(() => window.__violations);
  equal(violations.length, 0, `CSP violations (${violations.join('; ')})`);
  const errors = (page as unknown as { __errors: string[] }).__errors;
  equal(errors.length, 0, `page errors (${errors.join('; ')})`);
  const ms = await page.evaluate(() => document.body.dataset.layoutMs);
  assert(ms !== undefined, 'layout time reported');
  // The worker's start, as the graph view's benchmark reads it: its phases in order, on the
  // page's clock, and ELK's first layout done before the first result arrived.
  const s = await page.evaluate(() => document.body.dataset.workerStartup);
  assert(s !== undefined, 'the worker reports its start with its first result');
  const st = JSON.parse(s) as {
    fetch: number;
    fetched: number;
    created: number;
    evaluated: number;
    elkFirst: [number, number];
  };
  const order = [st.fetch, st.fetched, st.created, st.evaluated, ...st.elkFirst];
  assert(
    order.every((t, i) => Number.isFinite(t) && t > 0 && (i === 0 || t >= order[i - 1]!)),
    `worker start phases in order: ${s}`,
  );
  const now = await page.evaluate(() => performance.now());
  assert(st.elkFirst[1] <= now, `ELK's first layout ended before now (${s}, now ${now})`);
});

test('ResNet-18: one SVG node per GraphData node', async () => {
  equal(await nodeCount(page), resnet.graph.nodes.length, 'node count');
  equal(await page.locator('#graph g.group').count(), resnet.graph.groups.length, 'group count');
  equal(await page.locator('#graph g.edge').count(), resnet.graph.edges.length, 'edge count');
  await shot(page, 'resnet18-dark-expanded');
});

test('ResNet-18: edge labels show shapes; toolbar shows totals', async () => {
  const labels = await page.locator('#graph .edge-label-text').allTextContents();
  assert(labels.includes('[B, 3, 224, 224]'), 'input shape label');
  assert(labels.includes('[B, 64, 56, 56]'), 'layer1 shape label');
  assert(labels.includes('[B, 1000]'), 'logits shape label');
  const totals = await page.locator('#totals').textContent();
  assert(totals?.includes('11.7M params'), `totals: ${totals}`);
});

test('ResNet-18: the minimap appears for more than 60 nodes', async () => {
  assert(await page.locator('#minimap').isVisible(), 'minimap visible');
  // One subpath per node.
  const d = (await page.locator('#minimap path.mini-node').getAttribute('d')) ?? '';
  equal(d.split('M').length - 1, resnet.graph.nodes.length, 'minimap nodes');
});

test('collapsing and expanding a block changes the node count', async () => {
  const block = resnet.graph.groups.find((g) => g.id === 'ResNet18/block:BasicBlock#0')!;
  const inside = block.nodeCount;
  await act(page, () =>
    page.locator(`g.group-header[data-toggle="${block.id}"]`).dispatchEvent('click'),
  );
  equal(await nodeCount(page), resnet.graph.nodes.length - inside + 1, 'collapsed node count');
  const collapsedNode = page.locator(`g.node.collapsed[data-id="${block.id}"]`);
  equal(await collapsedNode.count(), 1, 'collapsed block node');
  const state = (await page.evaluate(() => window.__state)) as { collapsed: string[] };
  await page.waitForTimeout(250);
  const state2 = (await page.evaluate(() => window.__state)) as { collapsed: string[] };
  assert((state2 ?? state).collapsed.includes(block.id), 'collapse state persisted with setState');
  await act(page, () => collapsedNode.dispatchEvent('click'));
  equal(await nodeCount(page), resnet.graph.nodes.length, 'expanded again');
});

test('collapsing the repeat shows one "repeat × 2" node', async () => {
  const rep = resnet.graph.groups.find((g) => g.kind === 'repeat')!;
  await act(page, () =>
    page.locator(`g.group-header[data-toggle="${rep.id}"]`).dispatchEvent('click'),
  );
  equal(await nodeCount(page), resnet.graph.nodes.length - rep.nodeCount + 1, 'node count');
  const text = await page.locator(`g.node.collapsed[data-id="${rep.id}"] .node-type`).textContent();
  assert(text?.includes('repeat × 2'), `collapsed repeat label: ${text}`);
  await act(page, () => page.locator(`g.node[data-id="${rep.id}"]`).dispatchEvent('click'));
});

test('collapse all / expand all', async () => {
  await act(page, () => page.locator('#collapse-all').click());
  const top = resnet.graph.nodes.filter((n) => !n.group).length;
  const topGroups = resnet.graph.groups.filter((g) => !g.parent).length;
  equal(await nodeCount(page), top + topGroups, 'collapsed-all node count');
  await shot(page, 'resnet18-dark-collapsed');
  await act(page, () => page.locator('#expand-all').click());
  equal(await nodeCount(page), resnet.graph.nodes.length, 'expanded-all node count');
});

test('search highlights matches and Enter cycles through them', async () => {
  const convs = resnet.graph.nodes.filter((n) => n.type === 'Conv2d').length;
  await page
    .locator('#search')
    .fill('conv2d')
    .catch(async () => {
      await page.locator('#search').click();
      await page.keyboard.type('conv2d');
    });
  await page.waitForFunction(() => document.querySelectorAll('#graph g.node.match').length > 0);
  equal(await page.locator('#graph g.node.match').count(), convs, 'matches');
  await page.locator('#search').press('Enter');
  equal(await page.locator('#graph g.node.current').count(), 1, 'current match');
  equal(await page.locator('#search-count').textContent(), `1/${convs}`, 'count text');
  await page.locator('#search').press('Enter');
  equal(await page.locator('#search-count').textContent(), `2/${convs}`, 'count text after Enter');
  await page.locator('#search').press('Escape');
  await page.waitForFunction(() => document.querySelectorAll('#graph g.node.match').length === 0);
});

test('clicking a node posts reveal with its source span', async () => {
  const node = resnet.graph.nodes.find((n) => n.id === 'ResNet18/MaxPool2d#0')!;
  await page.evaluate(() => (window.__posted = []));
  await page.locator(`g.node[data-id="${node.id}"]`).dispatchEvent('click');
  const reveal = (await posted(page)).find((m) => m.type === 'reveal');
  assert(reveal && reveal.type === 'reveal', 'reveal posted');
  equal(reveal.nodeId, node.id, 'node id');
  equal(JSON.stringify(reveal.source), JSON.stringify(node.source), 'source span and range');
  equal(reveal.source.range.start.line, 21, 'MaxPool2d line');
});

test('a real mouse drag pans, the wheel zooms, Fit refits', async () => {
  const before = await transform(page);
  await page.mouse.move(1100, 700);
  await page.mouse.down();
  await page.mouse.move(1000, 600, { steps: 5 });
  await page.mouse.up();
  const panned = await transform(page);
  assert(panned !== before, 'pan changed the transform');
  await page.mouse.wheel(0, -300);
  const zoomed = await transform(page);
  assert(zoomed !== panned && /scale\(/.test(zoomed ?? ''), 'wheel zoomed');
  await page.locator('#fit').click();
  assert((await transform(page)) !== zoomed, 'fit changed the view');
});

test('hover requests a hover card and shows the sanitized reply', async () => {
  const id = 'ResNet18/Conv2d#0';
  await page.evaluate(() => (window.__posted = []));
  await page.locator(`g.node[data-id="${id}"]`).dispatchEvent('pointerover');
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'request-hover'));
  const req = (await posted(page)).find((m) => m.type === 'request-hover');
  equal(req?.type === 'request-hover' ? req.nodeId : '', id, 'request-hover node');
  assert(await page.locator('#tooltip').isVisible(), 'tooltip visible');
  await send(page, {
    type: 'hover',
    nodeId: id,
    html: '<p><strong>Conv2d</strong> doc <code>k=7</code></p><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">',
  });
  await page.waitForFunction(() => document.querySelector('#tooltip-host strong') !== null);
  const html = await page.locator('#tooltip-host').innerHTML();
  assert(!/script|img|onerror/i.test(html), `sanitized: ${html}`);
  equal(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    undefined,
    'no script ran',
  );
  await page.locator('#graph').dispatchEvent('pointerleave');
});

test('a highlight message marks the node under the cursor and scrolls it into view', async () => {
  const id = 'ResNet18/Dense#0';
  await send(page, { type: 'highlight', nodeIds: [id], reveal: true });
  equal(await page.locator('#graph g.node.cursor').count(), 1, 'one highlighted node');
  equal(await page.locator('#graph g.node.cursor').getAttribute('data-id'), id, 'highlighted id');
  const box = await page.locator(`g.node[data-id="${id}"]`).boundingBox();
  assert(box && box.y >= 0 && box.y + box.height <= 800, `node on screen: ${JSON.stringify(box)}`);
  // Inside a collapsed group, the group is highlighted.
  const block = 'ResNet18/block:BasicBlock#5';
  await act(page, () =>
    page.locator(`g.group-header[data-toggle="${block}"]`).dispatchEvent('click'),
  );
  await send(page, { type: 'highlight', nodeIds: [`${block}/Conv2d#0`] });
  equal(
    await page.locator('#graph g.node.cursor').getAttribute('data-id'),
    block,
    'collapsed group highlighted',
  );
  await act(page, () => page.locator(`g.node[data-id="${block}"]`).dispatchEvent('click'));
  await send(page, { type: 'highlight', nodeIds: [] });
  equal(await page.locator('#graph g.node.cursor').count(), 0, 'cleared');
});

test('the viewport stays put when a new version of the same graph arrives', async () => {
  const before = await transform(page);
  await send(page, graphMsg(resnet));
  equal(await transform(page), before, 'transform after an update');
  // An older version is ignored.
  const count = await layoutCount(page);
  await page.evaluate(
    (m) => window.postMessage(m, '*'),
    asJson({ ...graphMsg(resnet), version: 1 }),
  );
  // A message that is not the host's JSON text (a stray postMessage) is ignored.
  await page.evaluate((m) => window.postMessage(m, '*'), { ...graphMsg(resnet), reset: true });
  await page.evaluate(() => window.postMessage('{"type":"graph"}', '*'));
  await page.waitForTimeout(300);
  equal(await layoutCount(page), count, 'stale version and stray messages ignored');
});

test('an error banner keeps the last good graph, dimmed', async () => {
  await send(page, { type: 'error-banner', message: "ResNet18: expected ')'", stale: true });
  assert(await page.locator('#banner').isVisible(), 'banner visible');
  equal(await page.locator('#banner').textContent(), "ResNet18: expected ')'", 'banner text');
  assert(
    await page.locator('#graph').evaluate((e) => e.classList.contains('stale')),
    'graph dimmed',
  );
  equal(await nodeCount(page), resnet.graph.nodes.length, 'last graph kept');
  await shot(page, 'resnet18-dark-error-banner');
  await send(page, graphMsg(resnet));
  assert(!(await page.locator('#banner').isVisible()), 'banner cleared by a new graph');
});

test('a node with a diagnostic is drawn in red with its message', async () => {
  const text = `model Bad(x: [B, 3, 32, 32]) -> [B, 10] {\n  x |> Conv2d(16, 3) |> Dense(10)\n}\n`;
  const r = checkText('/m/bad.dlm', text, { root: '/m', readFile: () => text });
  const g = graphOfResult(r);
  const bad = g.nodes.find((n) => n.error)!;
  assert(bad, 'fixture has an error node');
  await send(page, graphMsg({ graph: g, uri: 'file:///m/bad.dlm' }));
  await send(page, { type: 'error-banner', message: '1 error', stale: false });
  assert(
    /\(model has errors\)$/.test((await page.locator('#totals').textContent()) ?? ''),
    'the totals say they are partial',
  );
  equal(
    await page.locator('#graph g.node.error').count(),
    g.nodes.filter((n) => n.error).length,
    'error nodes',
  );
  // drawn as failing, also when selected or under the editor cursor (not in the selection blue)
  const ok = page.locator('#graph g.node:not(.error) .node-box').first();
  const box = page.locator(`g.node[data-id="${bad.id}"] .node-box`);
  const stroke = (l: typeof box) => l.evaluate((e) => getComputedStyle(e).stroke);
  const fill = (l: typeof box) => l.evaluate((e) => getComputedStyle(e).fill);
  const red = await stroke(box);
  assert(red !== (await stroke(ok)), `error stroke ${red}`);
  assert((await fill(box)) !== (await fill(ok)), 'error tint');
  await send(page, { type: 'highlight', nodeIds: [bad.id] });
  await page.locator(`g.node.cursor[data-id="${bad.id}"]`).waitFor();
  equal(await stroke(box), red, 'under the cursor: still the error stroke');
  await page.locator(`g.node[data-id="${bad.id}"]`).dispatchEvent('click');
  await page.locator(`g.node.selected[data-id="${bad.id}"]`).waitFor();
  equal(await stroke(box), red, 'selected: still the error stroke');
  await send(page, { type: 'highlight', nodeIds: [] });
  await page.locator(`g.node[data-id="${bad.id}"]`).dispatchEvent('pointerover');
  await page.waitForSelector('#tooltip .tt-error');
  equal(await page.locator('#tooltip .tt-error').textContent(), bad.error!, 'diagnostic in card');
  await shot(page, 'error-node-dark');
  await page.locator('#graph').dispatchEvent('pointerleave');
});

test('frozen layers and a frozen block instance are greyed, with a frozen badge and card row', async () => {
  const text = `block Base(x) {\n  x |> Conv2d(8, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU\n}\nmodel Fine(x: [B, 1, 8, 8]) -> [B, 10] {\n  x |> frozen Base |> Flatten |> Dense(10)\n}\n`;
  const r = checkText('/m/fine.dlm', text, { root: '/m', readFile: () => text });
  const g = graphOfResult(r);
  await send(page, graphMsg({ graph: g, uri: 'file:///m/fine.dlm' }));
  equal(await page.locator('#graph g.node.frozen').count(), 3, 'frozen nodes (conv, BN, ReLU)');
  equal(await page.locator('#graph g.group.frozen').count(), 1, 'frozen block instance');
  const dense = g.nodes.find((n) => n.type === 'Dense')!;
  equal(
    await page.locator(`g.node[data-id="${dense.id}"]`).getAttribute('class'),
    'node kind-layer c-purple',
    'the head is not frozen',
  );
  const conv = g.nodes.find((n) => n.type === 'Conv2d')!;
  const badge = await page.locator(`g.node[data-id="${conv.id}"] .badge-text`).allTextContents();
  assert(badge.includes('❄ 72 frozen'), `badge: ${badge.join(' | ')}`);
  const opacity = await page
    .locator(`g.node[data-id="${conv.id}"]`)
    .evaluate((e) => getComputedStyle(e).opacity);
  equal(opacity, '0.55', 'greyed');
  await page.locator(`g.node[data-id="${conv.id}"]`).dispatchEvent('pointerover');
  await page.waitForSelector('#tooltip');
  const card = await page.locator('#tooltip').textContent();
  assert(card?.includes('not trained; eval mode'), `card: ${card}`);
  await shot(page, 'frozen-dark');
  await page.locator('#graph').dispatchEvent('pointerleave');
});

test('symbolic shapes label the edges', async () => {
  const text = `model Down(x: [B, 3, H, W]) -> [B, 16, H/2, W/2] {\n  x |> Conv2d(16, 3, stride=2, padding=1) |> ReLU\n}\n`;
  const r = checkText('/m/down.dlm', text, { root: '/m', readFile: () => text });
  const g = graphOfResult(r);
  await send(page, graphMsg({ graph: g, uri: 'file:///m/down.dlm' }));
  const labels = await page.locator('#graph .edge-label-text').allTextContents();
  assert(labels.includes('[B, 3, H, W]'), `input label: ${labels.join(' | ')}`);
  assert(
    labels.some((l) => /^\[B, 16, .*H.*2.*, .*W.*2.*\]$/.test(l)),
    `symbolic: ${labels.join(' | ')}`,
  );
});

test('U-Net and VAE: node counts; the minimap hides for small graphs', async () => {
  await send(page, graphMsg(unet));
  equal(await nodeCount(page), unet.graph.nodes.length, 'U-Net nodes');
  equal(await page.locator('#graph g.group').count(), unet.graph.groups.length, 'U-Net groups');
  await shot(page, 'unet-dark');
  await send(page, graphMsg(vae));
  equal(await nodeCount(page), vae.graph.nodes.length, 'VAE nodes');
  assert(!(await page.locator('#minimap').isVisible()), 'no minimap for 12 nodes');
  const outs = await page.locator('#graph g.node.kind-output').count();
  equal(outs, 3, 'three outputs');
  await shot(page, 'vae-dark');
});

test('the model picker lists the models and posts select-model', async () => {
  const text = readFileSync(join(ROOT, 'examples', 'vae.dlm'), 'utf8');
  void text;
  await send(page, graphMsg(vae, { models: ['VAE', 'Other'] }));
  assert(await page.locator('#model-picker').isVisible(), 'picker visible');
  equal(await page.locator('#model-picker option').count(), 2, 'options');
  await page.evaluate(() => (window.__posted = []));
  await page.evaluate(() => {
    const p = document.getElementById('model-picker') as HTMLElement & { value: string };
    p.value = 'Other';
    p.dispatchEvent(new Event('change'));
  });
  const sel = (await posted(page)).find((m) => m.type === 'select-model');
  equal(sel?.type === 'select-model' ? sel.model : '', 'Other', 'selected model');
});

test('export posts a self-contained SVG and a PNG', async () => {
  await page.evaluate(() => (window.__posted = []));
  await page.locator('#export-svg').click();
  const svgMsg = (await posted(page)).find((m) => m.type === 'export');
  assert(svgMsg?.type === 'export' && svgMsg.format === 'svg', 'svg export posted');
  assert(svgMsg.data.startsWith('<svg') && svgMsg.data.includes('Reparameterize'), 'svg content');
  assert(!svgMsg.data.includes('var(--'), 'theme variables resolved');
  assert(/fill: rgb\(/.test(svgMsg.data), 'inline styles');
  equal(svgMsg.fileName, 'VAE.svg', 'file name');
  await page.locator('#export-png').click();
  await page.waitForFunction(() =>
    window.__posted.some((m) => m.type === 'export' && m.format === 'png'),
  );
  const png = (await posted(page)).find((m) => m.type === 'export' && m.format === 'png');
  assert(png?.type === 'export' && png.data.startsWith('data:image/png;base64,'), 'png data URL');
  assert(png.data.length > 5000, 'png has content');
  const violations = await page.evaluate(() => window.__violations);
  equal(violations.length, 0, `CSP violations (${violations.join('; ')})`);
});

test('the exported SVG is the graph as drawn: block titles, no chevrons, selection or search', async () => {
  await send(page, graphMsg(resnet, { reset: true }));
  const rep = resnet.graph.groups.find((g) => g.kind === 'repeat')!;
  // one block collapsed (a ▸ node), the rest expanded (▾ titles), a node selected, a search on
  await act(page, () =>
    page.locator(`g.group-header[data-toggle="${rep.id}"]`).dispatchEvent('click'),
  );
  await page.locator('g.node:not(.collapsed)').nth(1).dispatchEvent('click');
  equal(await page.locator('g.node.selected').count(), 1, 'a node selected');
  await page.locator('#search').fill('conv');
  await page.locator('#graph.searching, svg.searching').first().waitFor();
  await page.evaluate(() => (window.__posted = []));
  await page.locator('#export-svg').click();
  const m = (await posted(page)).find((x) => x.type === 'export');
  assert(m?.type === 'export' && m.format === 'svg', 'svg export posted');
  const svg = m.data;
  // every expanded block's title, readable: its halo (a background-coloured stroke) painted
  // under the text as in the panel, not over it
  const titles = [...svg.matchAll(/<text [^>]*class="group-title"[^>]*>([^<]*)</g)];
  const expanded = resnet.graph.groups.filter(
    (g) => g.id !== rep.id && !g.id.startsWith(`${rep.id}/`),
  ).length;
  equal(titles.length, expanded, 'expanded block titles');
  for (const t of titles) assert(/paint-order: stroke/.test(t[0]), `title halo: ${t[0]}`);
  assert(
    titles.some((t) => t[1]!.startsWith('BasicBlock(c=128')),
    `titles: ${titles.map((t) => t[1]).join(', ')}`,
  );
  assert(!/[▸▾]/.test(svg), 'no expand/collapse chevrons');
  assert(
    !/class="[^"]*\b(selected|match|current|cursor|searching)\b/.test(svg),
    'no selection or search state',
  );
  // a selected node's box is exported like any other node's of its kind
  const boxes = [
    ...svg.matchAll(/<g [^>]*class="node kind-layer[^"]*"[^>]*>\s*<rect [^>]*style="([^"]*)"/g),
  ];
  assert(boxes.length > 2, 'node boxes');
  equal(new Set(boxes.map((b) => /stroke: [^;]+/.exec(b[1]!)?.[0])).size <= 3, true, 'box strokes');
  // the panel keeps its state
  equal(await page.locator('g.node.selected').count(), 1, 'selection kept in the panel');
  await page.locator('#search').fill('');
  await act(page, () => page.locator(`g.node[data-id="${rep.id}"]`).dispatchEvent('click'));
  // the image itself, to look at: test-results/webview/resnet18-export-svg.png
  const view = await (await browserP).newPage({ viewport: { width: 900, height: 1400 } });
  await view.setContent(svg);
  await view.screenshot({ path: join(OUT, 'resnet18-export-svg.png') });
  await view.close();
});

test('an ONNX graph (LSTM fixture): scope groups, search, the Convert action, export, rendered report', async () => {
  const file = onnxFixture('lstm');
  const onnx = onnxGraphData(readOnnxGraph(readFileSync(file)), { file });
  const layers = onnx.nodes.filter((n) => n.kind === 'layer').length;
  await page.evaluate(() => (window.__posted = []));
  await send(page, graphMsg({ graph: onnx, uri: `file://${file}` }, { reset: true }));
  equal(await nodeCount(page), onnx.nodes.length, 'one SVG node per ONNX node');
  equal(await page.locator('#graph g.group').count(), onnx.groups.length, 'the scope groups');
  assert(
    onnx.groups.some((gr) => gr.label === 'lstm'),
    'the lstm scope is a group',
  );
  equal(await page.locator('#totals').textContent(), '57.4K params · 394K·B MACs', 'totals');
  const rendered = (await posted(page)).find((m) => m.type === 'rendered');
  equal(rendered?.type === 'rendered' ? rendered.layers : -1, layers, 'rendered layers');
  await send(page, {
    type: 'actions',
    actions: [{ id: 'convert', label: 'Convert to .dlm', title: 'dlm import' }],
  });
  await page.locator('#action-convert').click();
  assert(
    (await posted(page)).some((m) => m.type === 'action' && m.id === 'convert'),
    'the Convert button posts its action',
  );
  await page.locator('#search').fill('lstm');
  await page.waitForFunction(() => document.querySelectorAll('#graph g.node.match').length > 0);
  const lstmNodes = onnx.nodes.filter((n) => n.label.toLowerCase().includes('lstm')).length;
  assert(lstmNodes > 1, 'several nodes in the lstm scope');
  equal(await page.locator('#graph g.node.match').count(), lstmNodes, 'search matches');
  await page.locator('#search').press('Escape');
  await page.locator('#export-svg').click();
  const svgMsg = (await posted(page)).find((m) => m.type === 'export');
  assert(svgMsg?.type === 'export' && svgMsg.data.includes('LSTM'), 'svg export of the ONNX graph');
  await shot(page, 'onnx-lstm');
  await send(page, { type: 'actions', actions: [] });
});

test('state restores collapse and viewport after a reload', async () => {
  const rep = resnet.graph.groups.find((g) => g.kind === 'repeat')!;
  const state = {
    uri: resnet.uri,
    model: 'ResNet18',
    collapsed: [rep.id],
    viewport: { x: 10, y: 20, k: 0.5 },
  };
  const p2 = await openPage('dark', state);
  await send(p2, graphMsg(resnet));
  equal(await nodeCount(p2), resnet.graph.nodes.length - rep.nodeCount + 1, 'collapsed restored');
  equal(await transform(p2), 'translate(10,20) scale(0.5)', 'viewport restored');
  await p2.close();
});

const placed = (page: Page): Promise<string[]> =>
  page.$$eval('#graph g.node', (gs) =>
    gs.map((g) => `${g.getAttribute('data-id')} ${g.getAttribute('transform')}`),
  );
const workerCreated = (page: Page): Promise<boolean> =>
  page.evaluate(() =>
    performance.getEntriesByType('resource').some((e) => e.name.endsWith('graph-layout.js')),
  );

test("a view shown again (or a new view with the host's layout) draws the saved layout at once, then starts the worker for what comes next", async () => {
  // First view: laid out by the worker; its state keeps the layout.
  const p1 = await openPage();
  await send(p1, graphMsg(resnet));
  equal(await p1.evaluate(() => document.body.dataset.layoutSource), 'worker', 'first view');
  const drawn = await placed(p1);
  await p1.waitForFunction(() => !!(window.__state as { layout?: unknown } | undefined)?.layout);
  const state = await p1.evaluate(
    () => window.__state as { layout: { key: string; json: string } },
  );
  // ... and offers it to the host a second after drawing it, for the next view of this model.
  await p1.waitForFunction(() => window.__posted.some((m) => m.type === 'layout'), undefined, {
    timeout: 5000,
  });
  const offered = (await posted(p1)).find((m) => m.type === 'layout');
  assert(offered?.type === 'layout', 'layout offered');
  equal(offered.uri, resnet.uri, 'offered for its document');
  equal(offered.model, 'ResNet18', 'and model');
  equal(offered.layout.key, state.layout.key, 'the same layout as the state');
  const rendered = (await posted(p1)).filter((m) => m.type === 'rendered');
  equal(
    rendered.at(-1)?.type === 'rendered' && rendered.at(-1)!.source,
    'worker',
    'rendered: source',
  );
  await p1.close();
  assert(
    state.layout.key.length > 10 && state.layout.json.startsWith('{'),
    'layout saved in the state',
  );

  // Shown again with the same graph: the saved layout, before the worker's script is even fetched.
  const p2 = await openPage('dark', state);
  equal(await workerCreated(p2), false, 'no worker before the first graph');
  await send(p2, graphMsg(resnet));
  equal(await p2.evaluate(() => document.body.dataset.layoutSource), 'saved', 'second view');
  const again = await placed(p2);
  equal(again.length, drawn.length, 'the same nodes');
  equal(
    again.find((x, i) => x !== drawn[i]),
    undefined,
    'each node in the same place',
  );
  equal(
    await transform(p2),
    await (async () => {
      const t = (state as { viewport?: { x: number; y: number; k: number } }).viewport;
      return t ? `translate(${t.x},${t.y}) scale(${t.k})` : null;
    })(),
    'viewport restored',
  );
  // The worker starts after that paint and lays out what the user does next.
  await p2.waitForFunction(() =>
    performance.getEntriesByType('resource').some((e) => e.name.endsWith('graph-layout.js')),
  );
  const block = resnet.graph.groups.find((g) => g.id === 'ResNet18/block:BasicBlock#0')!;
  const before = await nodeCount(p2);
  await act(p2, () =>
    p2.locator(`g.group-header[data-toggle="${block.id}"]`).dispatchEvent('click'),
  );
  equal(await p2.evaluate(() => document.body.dataset.layoutSource), 'worker', 'after a collapse');
  assert((await nodeCount(p2)) < before, 'the block collapsed');
  equal((p2 as unknown as { __errors: string[] }).__errors.join('; '), '', 'no page errors');
  await p2.close();

  // Shown again after the model changed: the saved layout does not answer; the worker lays out.
  const p3 = await openPage('dark', state);
  await send(p3, graphMsg(unet));
  equal(await p3.evaluate(() => document.body.dataset.layoutSource), 'worker', 'another graph');
  equal(await nodeCount(p3), unet.graph.nodes.length, 'U-Net drawn');
  await p3.close();

  // A new view (no state) with the layout the host remembered: drawn at once too.
  const p5 = await openPage();
  await send(p5, graphMsg(resnet, { layout: offered.layout }));
  equal(await p5.evaluate(() => document.body.dataset.layoutSource), 'saved', "the host's layout");
  equal((await placed(p5)).length, drawn.length, 'all nodes');
  // ... but not for another model's request.
  const p6 = await openPage();
  await send(p6, graphMsg(unet, { layout: offered.layout }));
  equal(await p6.evaluate(() => document.body.dataset.layoutSource), 'worker', 'key differs');
  await p5.close();
  await p6.close();

  // A state from another version of the view (not a saved layout) is ignored.
  const p4 = await openPage('dark', { ...state, layout: { key: state.layout.key, json: '[1,2' } });
  await send(p4, graphMsg(resnet));
  equal(
    await p4.evaluate(() => document.body.dataset.layoutSource),
    'worker',
    'unreadable saved layout',
  );
  equal(await nodeCount(p4), resnet.graph.nodes.length, 'ResNet drawn');
  await p4.close();
});

const styleOf = (p: Page, sel: string, prop: string): Promise<string> =>
  p.locator(sel).evaluate((e, k) => getComputedStyle(e).getPropertyValue(k), prop);

test('toolbar controls are native elements (no component library): the keyboard drives them', async () => {
  const p = await openPage('dark');
  await send(p, graphMsg(vae, { models: ['VAE', 'Other'] }));
  const custom = await p.evaluate(() =>
    Array.from(document.querySelectorAll('*'))
      .filter((e) => e.tagName.includes('-'))
      .map((e) => e.tagName),
  );
  equal(custom.join(','), '', 'custom elements');
  // Tab walks the toolbar in order: model picker, search, then the buttons
  await p.focus('#model-picker');
  const order = ['model-picker'];
  for (let i = 0; i < 3; i++) {
    await p.keyboard.press('Tab');
    order.push(await p.evaluate(() => document.activeElement?.id ?? ''));
  }
  equal(order.join(' '), 'model-picker search zoom-out zoom-in', 'tab order');
  equal(await styleOf(p, '#zoom-in', 'outline-style'), 'solid', 'focus ring');
  equal(await styleOf(p, '#zoom-in', 'outline-color'), 'rgb(0, 120, 212)', 'focus ring colour');
  // Enter and Space press buttons
  const before = await transform(p);
  await p.keyboard.press('Enter');
  const zoomed = await transform(p);
  assert(zoomed !== before, `Enter on Zoom in zooms (${before} → ${zoomed})`);
  await p.keyboard.press('Space');
  assert((await transform(p)) !== zoomed, 'Space on Zoom in zooms again');
  await p.evaluate(() => (window.__posted = []));
  await p.focus('#export-svg');
  await p.keyboard.press('Enter');
  assert(
    (await posted(p)).some((m) => m.type === 'export' && m.format === 'svg'),
    'Enter on SVG exports',
  );
  // the arrow keys pick a model in the picker
  await p.focus('#model-picker');
  await p.keyboard.press('ArrowDown');
  const sel = (await posted(p)).find((m) => m.type === 'select-model');
  equal(sel?.type === 'select-model' ? sel.model : '', 'Other', 'ArrowDown selects the next model');
  const errors = (p as unknown as { __errors: string[] }).__errors;
  equal(errors.length, 0, `page errors (${errors.join('; ')})`);
  await p.close();
});

for (const theme of ['dark', 'light', 'hc'] as const)
  test(`toolbar controls take the ${theme} theme's colours; screenshots`, async () => {
    const p = await openPage(theme);
    await send(p, graphMsg(vae, { models: ['VAE', 'Other'] }));
    const want = {
      dark: ['rgb(58, 61, 65)', 'rgb(60, 60, 60)', 'rgb(60, 60, 60)'],
      light: ['rgb(229, 229, 229)', 'rgb(255, 255, 255)', 'rgb(206, 206, 206)'],
      hc: ['rgb(0, 0, 0)', 'rgb(0, 0, 0)', 'rgb(111, 195, 223)'],
    }[theme];
    equal(await styleOf(p, '#fit', 'background-color'), want[0], 'button');
    equal(await styleOf(p, '#search', 'background-color'), want[1], 'search field');
    equal(await styleOf(p, '#model-picker', 'border-top-color'), want[2], 'picker border');
    equal(await styleOf(p, '#search', 'border-top-color'), want[2], 'search border');
    if (theme === 'hc') {
      equal(await styleOf(p, '#fit', 'border-top-color'), want[2], 'button border');
      await shot(p, 'vae-hc');
    }
    await p.fill('#search', 'conv');
    await p.focus('#fit');
    await p.keyboard.press('Shift+Tab');
    await p.keyboard.press('Tab');
    await p.screenshot({
      path: join(OUT, `graph-toolbar-${theme}.png`),
      clip: { x: 0, y: 0, width: 1200, height: 40 },
    });
    await p.close();
  });

test('light theme screenshots', async () => {
  const light = await openPage('light');
  await send(light, graphMsg(resnet));
  equal(await nodeCount(light), resnet.graph.nodes.length, 'nodes');
  await shot(light, 'resnet18-light-expanded');
  await send(light, graphMsg(unet));
  await shot(light, 'unet-light');
  await send(light, graphMsg(vae));
  await shot(light, 'vae-light');
  const bg = await light.evaluate(() => getComputedStyle(document.body).backgroundColor);
  equal(bg, 'rgb(255, 255, 255)', 'light background from the theme variable');
  await light.close();
});

// ------------------------------------------------------------- layout (in Node, the worker's code)

/** Text widths without a canvas: deterministic, close enough for layout tests. */
const fakeMeasure: Measure = {
  text: (t) => t.length * 7,
  node: (item) =>
    item.kind === 'node'
      ? { w: Math.max(84, (item.node.type.length + item.node.attrs.length) * 7 + 26), h: 44 }
      : { w: 150, h: 46 },
  group: (g) => ({ header: 22, minW: g.label.length * 7 + 24 }),
  label: (t) => ({ w: t.length * 6 + 6, h: 13 }),
};
const elk = syncElk();
const requestFor = (g: GraphData, collapsed: ReadonlySet<string> = new Set()): LayoutRequest =>
  layoutRequest(1, g, visibleGraph(g, collapsed), fakeMeasure);
/** The result without its timing fields. */
const shape = (r: LayoutResult): unknown => ({ ...r, ms: 0, elkRuns: 0, cached: 0 });
const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.5;

/** Geometry every layout must have. Returns the problems found. */
function checkGeometry(req: LayoutRequest, r: LayoutResult): string[] {
  const problems: string[] = [];
  const box = new Map<string, Box>([...r.nodes, ...r.groups].map((b) => [b.id, b]));
  for (const n of req.nodes) if (!box.has(n.id)) problems.push(`node ${n.id} not laid out`);
  for (const g of req.groups) if (!box.has(g.id)) problems.push(`group ${g.id} not laid out`);
  const inside = (a: Box, b: Box): boolean =>
    a.x >= b.x - 0.5 &&
    a.y >= b.y - 0.5 &&
    a.x + a.w <= b.x + b.w + 0.5 &&
    a.y + a.h <= b.y + b.h + 0.5;
  const parentOf = new Map<string, string | undefined>([
    ...req.nodes.map((n): [string, string | undefined] => [n.id, n.parent]),
    ...req.groups.map((g): [string, string | undefined] => [g.id, g.parent]),
  ]);
  for (const [id, parent] of parentOf) {
    const b = box.get(id);
    const pb = parent === undefined ? undefined : box.get(parent);
    if (b && pb && !inside(b, pb)) problems.push(`${id} outside its group ${parent}`);
    if (b && !inside(b, { id: '', x: 0, y: 0, w: r.width, h: r.height }))
      problems.push(`${id} outside the scene`);
  }
  // Siblings do not overlap.
  const byParent = new Map<string | undefined, Box[]>();
  for (const [id, parent] of parentOf) {
    const b = box.get(id);
    if (b) byParent.set(parent, [...(byParent.get(parent) ?? []), b]);
  }
  for (const list of byParent.values())
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (
          a.x < b.x + b.w - 0.5 &&
          b.x < a.x + a.w - 0.5 &&
          a.y < b.y + b.h - 0.5 &&
          b.y < a.y + a.h - 0.5
        )
          problems.push(`${a.id} overlaps ${b.id}`);
      }
  // Edges: orthogonal, from the source's bottom side to the target's top side.
  const edgeById = new Map(req.edges.map((e) => [e.id, e]));
  for (const e of r.edges) {
    const re = edgeById.get(e.id)!;
    const p = e.points;
    if (p.length < 2) {
      problems.push(`edge ${e.id} has ${p.length} points`);
      continue;
    }
    for (let i = 1; i < p.length; i++)
      if (!near(p[i]![0], p[i - 1]![0]) && !near(p[i]![1], p[i - 1]![1]))
        problems.push(`edge ${e.id} has a diagonal step`);
    const s = box.get(re.source)!;
    const t = box.get(re.target)!;
    const [x0, y0] = p[0]!;
    const [x1, y1] = p[p.length - 1]!;
    if (!near(y0, s.y + s.h) || x0 < s.x - 0.5 || x0 > s.x + s.w + 0.5)
      problems.push(`edge ${e.id} does not start on its source's bottom side`);
    if (!near(y1, t.y) || x1 < t.x - 0.5 || x1 > t.x + t.w + 0.5)
      problems.push(`edge ${e.id} does not end on its target's top side`);
  }
  return problems;
}

test('layout: every node and group placed inside its group, edges orthogonal and attached (ResNet-18, U-Net, VAE, 100 Res blocks)', async () => {
  for (const [name, g] of [
    ['ResNet-18', resnet.graph],
    ['U-Net', unet.graph],
    ['VAE', vae.graph],
    ['Res×100', residualGraph(100).graph],
    ['flat 300', flatGraph(300)],
    ['VGG-16', exampleGraph('vgg16.dlm').graph],
    ['WaveNet', exampleGraph('wavenet.dlm').graph],
    ['Transformer', exampleGraph('transformer.dlm').graph],
  ] as const) {
    const req = requestFor(g);
    const r = layoutNested(req, elk, new LayoutCache());
    const problems = checkGeometry(req, r);
    equal(problems.length, 0, `${name}: ${problems.slice(0, 5).join('; ')}`);
    equal(r.nodes.length, req.nodes.length, `${name}: node boxes`);
    equal(r.groups.length, req.groups.length, `${name}: group boxes (runs are not drawn)`);
    equal(r.edges.length, req.edges.length, `${name}: edges`);
  }
});

test('layout cache: a cached layout equals a fresh one; repeated blocks are laid out once', async () => {
  const g = residualGraph(100).graph;
  const req = requestFor(g);
  const cache = new LayoutCache();
  const first = layoutNested(req, elk, cache);
  // 100 identical blocks, the runs of 10 blocks, the repeat and the top level: four distinct
  // containers and the block.
  assert((first.elkRuns ?? 0) <= 6, `ELK runs: ${first.elkRuns}`);
  assert((first.cached ?? 0) >= 100, `cached: ${first.cached}`);
  const again = layoutNested(req, elk, cache);
  equal(again.elkRuns, 0, 'second layout: ELK runs');
  equal(JSON.stringify(shape(again)), JSON.stringify(shape(first)), 'cached = first');
  const fresh = layoutNested(req, elk, new LayoutCache());
  equal(JSON.stringify(shape(fresh)), JSON.stringify(shape(first)), 'fresh = first');
  // Every block has the same inner layout (relative to its box).
  const box = new Map(first.nodes.map((b) => [b.id, b]));
  const blocks = first.groups.filter((b) => b.id.includes('block:Res'));
  equal(blocks.length, 100, 'blocks');
  const inner = (b: Box): string =>
    JSON.stringify(
      req.nodes
        .filter((n) => n.parent === b.id)
        .map((n) => [Math.round(box.get(n.id)!.x - b.x), Math.round(box.get(n.id)!.y - b.y)]),
    );
  const ref = inner(blocks[0]!);
  for (const b of blocks) equal(inner(b), ref, `inner layout of ${b.id}`);
  // The blocks form one straight column with equal gaps (runs are invisible).
  const sorted = [...blocks].sort((a, b) => a.y - b.y);
  const gaps = new Set(
    sorted.slice(1).map((b, i) => Math.round(b.y - sorted[i]!.y - sorted[i]!.h)),
  );
  const xs = new Set(sorted.map((b) => Math.round(b.x)));
  equal(gaps.size, 1, `one gap between blocks (${[...gaps].join(', ')})`);
  equal(xs.size, 1, `one column (${[...xs].join(', ')})`);
});

test('layout cache: collapse then expand reuses every container and restores the layout', async () => {
  const g = resnet.graph;
  const cache = new LayoutCache();
  const full = layoutNested(requestFor(g), elk, cache);
  const block = g.groups.find((x) => x.kind === 'block')!;
  const folded = layoutNested(requestFor(g, new Set([block.id])), elk, cache);
  assert(!folded.groups.some((b) => b.id === block.id), 'collapsed group is not a container');
  assert(
    folded.nodes.some((b) => b.id === block.id),
    'collapsed group is a node',
  );
  // Only the containers that hold the collapsed block change; the rest come from the cache.
  const runs = folded.elkRuns ?? 0;
  const all = runs + (folded.cached ?? 0);
  assert(runs > 0 && runs <= all / 2, `ELK runs after a collapse: ${runs} of ${all}`);
  const back = layoutNested(requestFor(g), elk, cache);
  equal(back.elkRuns, 0, 'ELK runs after expanding again');
  equal(JSON.stringify(shape(back)), JSON.stringify(shape(full)), 'same layout');
});

test('layout: a value used by two layers of the next block enters it once (shared port, one label)', async () => {
  const g = residualGraph(3).graph;
  const req = requestFor(g);
  const r = layoutNested(req, elk, new LayoutCache());
  // Block 1's output feeds block 2's first Conv2d and its Add: two edges, one label between the
  // blocks, and the two paths coincide until they enter block 2.
  const out = req.nodes.find((n) => /\/0\/block:Res#0\/ReLU#1$/.test(n.id))!.id;
  const into = r.edges.filter((e) => edgeSource(req, e.id) === out);
  equal(into.length, 2, 'edges from block 1 output');
  equal(into.filter((e) => e.label).length, 1, 'one label');
  const b2 = r.groups.find((b) => /\/1\/block:Res#0$/.test(b.id))!;
  // Where a path crosses the row y (on a vertical step).
  const cross = (e: (typeof into)[number]): number | undefined => {
    for (let i = 1; i < e.points.length; i++) {
      const [x0, y0] = e.points[i - 1]!;
      const [x1, y1] = e.points[i]!;
      if (near(x0, x1) && Math.min(y0, y1) <= b2.y && Math.max(y0, y1) >= b2.y) return x0;
    }
    return undefined;
  };
  const [c0, c1] = into.map(cross);
  assert(c0 !== undefined && c0 === c1, `both enter block 2 at one point (${c0}, ${c1})`);
});
test('layout: a long flat chain is laid out in invisible runs, as one straight column with equal gaps', async () => {
  const g = flatGraph(300);
  const req = requestFor(g);
  const r = layoutNested(req, elk, new LayoutCache());
  assert((r.elkRuns ?? 0) < 20, `ELK runs: ${r.elkRuns}`);
  equal(r.groups.length, 0, 'runs are not drawn');
  const sorted = [...r.nodes].sort((a, b) => a.y - b.y);
  const gaps = new Set(
    sorted.slice(1).map((b, i) => Math.round(b.y - sorted[i]!.y - sorted[i]!.h)),
  );
  const centres = new Set(sorted.map((b) => Math.round(b.x + b.w / 2)));
  equal(gaps.size, 1, `one gap (${[...gaps].join(', ')})`);
  equal(centres.size, 1, `one column (${[...centres].join(', ')})`);
});
const edgeSource = (req: LayoutRequest, id: string): string | undefined =>
  req.edges.find((e) => e.id === id)?.source;

test('a 700-node model: only the part in view is in the document; search, highlight and export still see every node; zoomed far out, an overview', async () => {
  const big = residualGraph(100);
  const p = await openPage();
  await p.evaluate(() => {
    document.body.dataset.autoCollapse = 'off';
  });
  await send(p, graphMsg(big, { reset: true }));
  const total = big.graph.nodes.length;
  const inDom = await nodeCount(p);
  assert(inDom > 0 && inDom < total / 4, `nodes in the document: ${inDom} of ${total}`);
  equal(Number(await p.locator('#graph').getAttribute('data-nodes')), total, 'nodes laid out');
  // Search counts every match and Enter brings each into the document, on screen.
  const adds = big.graph.nodes.filter((n) =>
    [n.type, n.label, n.attrs].some((t) => t.toLowerCase().includes('add')),
  ).length;
  await p.locator('#search').fill('Add');
  equal(await p.locator('#search-count').textContent(), `0/${adds}`, 'search count');
  for (let i = 0; i < 3; i++) await p.locator('#search').press('Enter');
  const current = p.locator('#graph g.node.current');
  equal(await current.count(), 1, 'current match in the document');
  const bb = await current.boundingBox();
  assert(bb && bb.y > 0 && bb.y < 800, `current match on screen: ${JSON.stringify(bb)}`);
  await p.locator('#search').press('Escape');
  // A highlight far down scrolls there and marks it.
  const last = big.graph.nodes.filter((n) => n.type === 'Conv2d').at(-1)!;
  await p.evaluate(
    (m) => window.postMessage(m, '*'),
    asJson<HostToGraph>({ type: 'highlight', nodeIds: [last.id], reveal: true }),
  );
  await p.waitForFunction(
    (id) => !!document.querySelector(`g.node.cursor[data-id="${id}"]`),
    last.id,
  );
  const hb = await p.locator(`g.node[data-id="${last.id}"]`).boundingBox();
  assert(hb && hb.y > 0 && hb.y < 800, `highlighted node on screen: ${JSON.stringify(hb)}`);
  // Clicking it reveals its source.
  await p.locator(`g.node[data-id="${last.id}"]`).dispatchEvent('click');
  const reveal = (await posted(p)).find((m) => m.type === 'reveal');
  equal(reveal?.type === 'reveal' ? reveal.nodeId : undefined, last.id, 'reveal');
  // Export draws the whole graph.
  await p.locator('#export-svg').click();
  const svgMsg = (await posted(p)).find((m) => m.type === 'export');
  assert(svgMsg?.type === 'export', 'svg export posted');
  equal((svgMsg.data.match(/class="node /g) ?? []).length, total, 'exported nodes');
  assert((await nodeCount(p)) < total / 4, 'export leaves only the view in the document');
  // Fit zooms far out: an overview (every box and edge, no text) instead of every element.
  await p.locator('#fit').click();
  equal(await p.locator('#graph g.overview').count(), 1, 'overview shown');
  equal(await nodeCount(p), 0, 'no node elements in the overview');
  await shot(p, 'res100-dark-overview');
  // A click on the overview zooms in there, with the nodes back.
  await p.locator('#graph').click({ position: { x: 600, y: 400 } });
  equal(await p.locator('#graph g.overview').count(), 0, 'overview gone after zooming in');
  const back = await nodeCount(p);
  assert(back > 0 && back < total / 4, `nodes in view after zooming in: ${back}`);
  await shot(p, 'res100-dark-zoomed-in');
  const errors = (p as unknown as { __errors: string[] }).__errors;
  equal(errors.length, 0, `page errors: ${errors.join('; ')}`);
  await p.close();
});

test('the worker caches container layouts: the same graph again runs ELK 0 times', async () => {
  await send(page, graphMsg(resnet, { reset: true }));
  await send(page, graphMsg(resnet));
  equal(await page.evaluate(() => document.body.dataset.elkRuns), '0', 'ELK runs');
  assert(Number(await page.evaluate(() => document.body.dataset.layoutCached)) > 0, 'cached');
});

// ------------------------------------------------------------------------------------- runner

runWebTests(tests, {
  browser: browserP,
  serve: (o) => (origin = o),
  only: process.env.GRAPH_ONLY,
});
