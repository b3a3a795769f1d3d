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
import type { GraphData, GraphToHost, HostToGraph } from '../../webview/protocol';
import { ROOT, launch, startServer } from './harness';

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

async function openPage(theme: 'dark' | 'light' = 'dark'): Promise<Page> {
  const browser = await browserP;
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { __errors: string[] }).__errors = errors;
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
  await page.evaluate((m) => window.postMessage(m, '*'), msg);
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

const tests: [string, () => Promise<void>][] = [];
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
  equal(
    await page.locator('#minimap .mini-node').count(),
    resnet.graph.nodes.length,
    'minimap nodes',
  );
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
    .locator('#search input')
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
  await page.evaluate((m) => window.postMessage(m, '*'), { ...graphMsg(resnet), version: 1 });
  await page.waitForTimeout(300);
  equal(await layoutCount(page), count, 'stale version ignored');
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
  equal(
    await page.locator('#graph g.node.error').count(),
    g.nodes.filter((n) => n.error).length,
    'error nodes',
  );
  await page.locator(`g.node[data-id="${bad.id}"]`).dispatchEvent('pointerover');
  await page.waitForSelector('#tooltip .tt-error');
  equal(await page.locator('#tooltip .tt-error').textContent(), bad.error!, 'diagnostic in card');
  await shot(page, 'error-node-dark');
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
  equal(await page.locator('#model-picker vscode-option').count(), 2, 'options');
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

test('state restores collapse and viewport after a reload', async () => {
  const p2 = await (await browserP).newPage({ viewport: { width: 1200, height: 800 } });
  const rep = resnet.graph.groups.find((g) => g.kind === 'repeat')!;
  const state = {
    uri: resnet.uri,
    model: 'ResNet18',
    collapsed: [rep.id],
    viewport: { x: 10, y: 20, k: 0.5 },
  };
  await p2.addInitScript((s) => {
    (window as unknown as { __initialState: unknown }).__initialState = s;
  }, state);
  await p2.goto(`${origin}/harness.html?theme=dark`);
  await p2.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
  await send(p2, graphMsg(resnet));
  equal(await nodeCount(p2), resnet.graph.nodes.length - rep.nodeCount + 1, 'collapsed restored');
  equal(await transform(p2), 'translate(10,20) scale(0.5)', 'viewport restored');
  await p2.close();
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

// ------------------------------------------------------------------------------------- runner

async function main(): Promise<void> {
  const { server, origin: o } = await startServer();
  origin = o;
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of tests) {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`✔ ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(
        `✖ ${name}\n    ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  }
  await (await browserP).close();
  server.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch(async (err: unknown) => {
  console.log(`✖ harness: ${err instanceof Error ? err.stack : String(err)}`);
  await browserP.then((b) => b.close()).catch(() => undefined);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
