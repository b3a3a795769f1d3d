/**
 * Browser tests of the compare view (webview/compare): the bundled page in Debian's Chromium under
 * the panel's CSP, fed the `compare` message the language server builds (buildCompareData over
 * diffModels of real examples). Screenshots go to test-results/compare-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { checkText, memoryHost } from '../../src/language/program';
import { diffModels } from '../../src/language/diff';
import { buildCompareData } from '../../src/views/compareData';
import {
  asJson,
  type CompareData,
  type CompareToHost,
  type HostToCompare,
} from '../../webview/protocol';
import { ROOT, launch, runWebTests, type WebTest } from './harness';

const OUT = join(ROOT, 'test-results');
mkdirSync(OUT, { recursive: true });

/** What the harness's fake VS Code API records (test/webview/harness.ts). */
interface Recorded {
  readonly __posted: CompareToHost[];
  readonly __violations: string[];
}

function compareOf(
  a: string,
  b: string,
  aTitle = 'HEAD~1:lenet5.dlm',
  bTitle = 'lenet5.dlm',
): CompareData {
  const check = (file: string, text: string) =>
    checkText(file, text, memoryHost({ [file]: text }, '/ws'));
  const ra = check('/ws/a.dlm', a);
  const rb = check('/ws/b.dlm', b);
  const ma = ra.models[0]!;
  const mb = rb.models[0]!;
  const diff = diffModels(
    { model: ma, source: { file: aTitle, rev: 'HEAD~1' }, text: a },
    { model: mb, source: { file: bTitle }, text: b },
  );
  return buildCompareData({
    diff,
    a: { model: ma, result: ra, revealable: false },
    b: { model: mb, result: rb, revealable: true },
    options: { shapeStyle: 'brackets', macsOrFlops: 'macs' },
  });
}

const LENET = readFileSync(join(ROOT, 'examples', 'lenet5.dlm'), 'utf8');
const LENET_B = LENET.replace('Conv2d(16, 5)', 'Conv2d(32, 5)')
  .replace('|> Dense(84) |> Tanh ', '|> Dense(84) |> Tanh |> Dense(50) |> ReLU')
  .replace('|> Tanh |> AvgPool2d(2)     // C1', '|> AvgPool2d(2)     // C1');

let origin = '';
const browserP = launch();

async function openPage(theme: 'dark' | 'light', data: CompareData): Promise<Page> {
  const browser = await browserP;
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/compare.html?theme=${theme}`);
  await page.waitForFunction(() =>
    (window as unknown as Recorded).__posted?.some((m) => m.type === 'ready'),
  );
  const msg: HostToCompare = { type: 'compare', data };
  await page.evaluate((m) => window.postMessage(m, '*'), asJson(msg));
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, {
    timeout: 60_000,
  });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return page;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
function equal<T>(actual: T, expected: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const tests: WebTest[] = [];
const test = (name: string, fn: () => Promise<void>): void => {
  tests.push([name, fn]);
};

const ids = (page: Page, pane: 'a' | 'b', cls: string): Promise<string[]> =>
  page.evaluate(
    ([p, c]) =>
      Array.from(document.querySelectorAll(`#pane-${p} g.node.${c}`)).map(
        (e) => e.getAttribute('data-id') ?? '',
      ),
    [pane, cls] as const,
  );

test('LeNet-5 before and after: both graphs drawn, changed nodes highlighted on each side', async () => {
  const data = compareOf(LENET, LENET_B);
  const page = await openPage('dark', data);
  equal(
    await page.locator('#pane-a g.node').count(),
    data.a.graph.nodes.length,
    'nodes drawn on the a side',
  );
  equal(
    await page.locator('#pane-b g.node').count(),
    data.b.graph.nodes.length,
    'nodes drawn on the b side',
  );
  const expectA = Object.entries(data.a.status);
  const expectB = Object.entries(data.b.status);
  // The first Tanh was removed (a only); a Dense and a ReLU added (b only); the second conv changed.
  equal(await ids(page, 'a', 'diff-removed'), ['LeNet5/Tanh#0'], 'removed on a');
  equal(
    (await ids(page, 'b', 'diff-added')).sort(),
    ['LeNet5/Dense#2', 'LeNet5/ReLU#0'],
    'added on b',
  );
  assert((await ids(page, 'a', 'diff-changed')).includes('LeNet5/Conv2d#1'), 'conv changed on a');
  assert((await ids(page, 'b', 'diff-changed')).includes('LeNet5/Conv2d#1'), 'conv changed on b');
  equal(
    (await ids(page, 'a', 'diff-removed')).length + (await ids(page, 'a', 'diff-changed')).length,
    expectA.length,
    'every a status drawn',
  );
  equal(
    (await ids(page, 'b', 'diff-added')).length + (await ids(page, 'b', 'diff-changed')).length,
    expectB.length,
    'every b status drawn',
  );
  // The highlight is visible: a changed node's border takes the git "modified" colour.
  const stroke = await page.evaluate(
    () =>
      getComputedStyle(document.querySelector('#pane-b g.node.diff-added .node-box') as Element)
        .strokeWidth,
  );
  equal(stroke, '3px', 'added border width');
  const rows = await page.locator('#totals tr').allInnerTexts();
  assert(
    rows.some((r) => /Trainable parameters\s+61,706\s+\d/.test(r)),
    `totals: ${rows.join(' | ')}`,
  );
  equal(await page.locator('#changes li.change').count(), data.changes.length, 'change list');
  const violations = await page.evaluate(() => (window as unknown as Recorded).__violations);
  equal(violations, [], 'CSP violations');
  await page.screenshot({ path: join(OUT, 'compare-lenet5-dark.png') });
  await page.close();
});

test('clicking a change scrolls to its node; clicking a node reveals only on the working side', async () => {
  const data = compareOf(LENET, LENET_B);
  const page = await openPage('light', data);
  await page.locator('#changes li.change.diff-changed').first().click();
  equal(await page.locator('#pane-a g.node.focused').count(), 1, 'focused on a');
  equal(await page.locator('#pane-b g.node.focused').count(), 1, 'focused on b');
  await page.locator('#pane-a g.node[data-id="LeNet5/Dense#0"]').click();
  await page.locator('#pane-b g.node[data-id="LeNet5/Dense#0"]').click();
  const reveals = (await page.evaluate(() => (window as unknown as Recorded).__posted)).filter(
    (m) => m.type === 'reveal',
  );
  equal(reveals.length, 1, 'one reveal (the revision side is not revealable)');
  equal(reveals[0]!.type === 'reveal' && reveals[0]!.side, 'b', 'revealed side');
  await page.screenshot({ path: join(OUT, 'compare-lenet5-light.png') });
  await page.close();
});

test('ResNet-18 with a stage removed: block contents drawn and marked removed', async () => {
  const a = readFileSync(join(ROOT, 'examples', 'resnet18.dlm'), 'utf8');
  const b = a.replace('|> BasicBlock(512, stride=2) |> BasicBlock(512)', '');
  const data = compareOf(a, b, 'resnet18.dlm (before)', 'resnet18.dlm');
  const page = await openPage('dark', data);
  equal((await ids(page, 'a', 'diff-removed')).length, 16, 'removed layers on a');
  equal((await ids(page, 'b', 'diff-changed')).length, 3, 'changed layers on b');
  await page.screenshot({ path: join(OUT, 'compare-resnet18-dark.png') });
  await page.close();
});

test('an error message is shown in the banner', async () => {
  const browser = await browserP;
  const page = await browser.newPage();
  await page.goto(`${origin}/compare.html?theme=dark`);
  await page.waitForFunction(() =>
    (window as unknown as Recorded).__posted?.some((m) => m.type === 'ready'),
  );
  const msg: HostToCompare = { type: 'error', message: "unknown revision 'HEAD~9'" };
  await page.evaluate((m) => window.postMessage(m, '*'), asJson(msg));
  equal(await page.locator('#banner').innerText(), "unknown revision 'HEAD~9'", 'banner');
  await page.close();
});

runWebTests(tests, { browser: browserP, serve: (o) => (origin = o) });
