#!/usr/bin/env node
// UI smoke test: drives the real VS Code workbench (code-server 4.100.3) in headless Chromium
// with the extension loaded, and saves screenshots to test-results/:
//   ui-inlay-hover.png  lenet5.dlm with inlay hints, code lenses and a hover card on Conv2d
//   ui-problems.png     shape_mismatch.dlm with the Problems panel showing the DLM100 shape error
//   ui-training.png     spiral.dlm trained with "DLM: Train Model": the dashboard's loss charts
//   ui-training-boundary.png  the same run's Boundary tab (decision-boundary heatmap)
//   ui-graph.png        lenet5.dlm's graph panel after a click on the second Conv2d node, which
//                       moved the editor's selection to `Conv2d(16, 5)`
//   ui-export.png       the Command Palette with the DLM export commands
//   ui-walkthrough.png  the Get Started walkthrough with its six steps
// Each step is a test; the last line is `N passed, N failed`. Run by scripts/run-vscode-tests.mjs
// after the integration suite, or alone: node scripts/ui-smoke.mjs (builds first).
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, writeUserSettings } from './lib/code-server.mjs';
import {
  goTo as goToIn,
  launchWorkbench,
  openFile as openFileIn,
  runCommand as runCommandIn,
  uiSteps,
  webviewFrame,
} from './lib/workbench.mjs';

const RESULTS = path.join(REPO_ROOT, 'test-results');
const say = (m) => console.log(`[ui-smoke] ${m}`);
const { step, finish } = uiSteps({
  tag: 'ui',
  page: () => globalThis.__page,
  shot: (n) => `ui-failure-${n}.png`,
});

async function main() {
  if (!process.argv.includes('--no-build')) {
    const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }
  mkdirSync(RESULTS, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-ui-smoke-'));
  const workspace = path.join(tmp, 'workspace');
  for (const src of ['examples', 'test/integration/workspace'])
    if (existsSync(path.join(REPO_ROOT, src)))
      cpSync(path.join(REPO_ROOT, src), workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'typing.dlm'), '');
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  const { page, close } = await launchWorkbench({
    workspace,
    userDataDir,
    extensionsDir: path.join(tmp, 'extensions'),
  });
  globalThis.__page = page;
  try {
    const openFile = (name) => openFileIn(page, name);
    const goTo = (line, col) => goToIn(page, line, col);

    await step('lenet5.dlm shows code lenses and inlay hints', async () => {
      await openFile('lenet5.dlm');
      // Code lenses are DOM text: they prove the language server answered.
      await page
        .locator('.monaco-editor .codelens-decoration', { hasText: '61,706 params' })
        .first()
        .waitFor({ timeout: 30_000 });
      // Inlay hints render as injected text with generated classes; give them a moment.
      await page.waitForTimeout(1500);
      const hintText = await page.evaluate(() => {
        const out = [];
        for (const sheet of document.styleSheets) {
          let rules;
          try {
            rules = sheet.cssRules;
          } catch {
            continue;
          }
          for (const r of rules)
            if (/content: ".*\[B, 6, 28, 28\]/.test(r.cssText)) out.push(r.cssText);
        }
        const spans = [...document.querySelectorAll('.monaco-editor .view-lines span')].map((s) =>
          (s.textContent ?? '').replace(/\u00a0/g, ' '),
        );
        return out.join('\n') + spans.filter((t) => t.includes('[B, 6, 28, 28]')).join('\n');
      });
      if (!hintText.includes('[B, 6, 28, 28]'))
        throw new Error('no inlay hint with [B, 6, 28, 28] rendered');
    });

    await step('hover card on Conv2d', async () => {
      // `|> Conv2d(6, 5)` on the first pipeline line: the card opens below it, the hints on that
      // line (after Tanh and AvgPool2d) stay visible.
      await goTo(6, 8);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Parameters' }).first();
      await hover.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(RESULTS, 'ui-inlay-hover.png') });
      const text = await hover.innerText();
      if (!/6·1·5·5 \+ 6 = 156/.test(text))
        throw new Error(`hover lacks the parameter count: ${text.slice(0, 200)}`);
    });

    await step('Problems panel shows the shape error', async () => {
      await page.keyboard.press('Escape');
      await openFile('shape_mismatch.dlm');
      await page.keyboard.press('Control+Shift+M');
      const row = page
        .locator('.markers-panel .monaco-list-row', { hasText: '256 features' })
        .first();
      await row.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(800);
      await page.screenshot({ path: path.join(RESULTS, 'ui-problems.png') });
    });

    await step('training dashboard: DLM: Train Model on spiral.dlm', async () => {
      await page.keyboard.press('Escape');
      // close the Problems panel of the previous step: room for the dashboard
      await page.keyboard.press('Control+J');
      await openFile('spiral.dlm');
      await page.keyboard.press('Control+Shift+P');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type('DLM: Train Model');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Train Model' })
        .first()
        .waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await page
        .locator('.tabs-container .tab', { hasText: 'Train: SpiralNet' })
        .first()
        .waitFor({ timeout: 30_000 });
      await page.waitForTimeout(20_000);
      await page.screenshot({ path: path.join(RESULTS, 'ui-training.png') });
      // the Boundary tab of the dashboard (inside the webview's nested frames)
      const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      await frame.locator('text=Boundary').first().click({ timeout: 15_000 });
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(RESULTS, 'ui-training-boundary.png') });
      // per-neuron maps of the default layer (relu0, 16 units): from the trainer while the run
      // is in progress, or from the run's last.ckpt once it has finished
      await frame.locator('#neuron-maps-btn').click({ timeout: 15_000 });
      await frame.locator('#neuron-maps canvas.neuron').nth(15).waitFor({ timeout: 60_000 });
      const maps = await frame.locator('#neuron-maps canvas.neuron').count();
      if (maps !== 16) throw new Error(`expected 16 neuron maps, found ${maps}`);
      await frame.locator('#neuron-maps').scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(RESULTS, 'ui-training-neurons.png') });
    });

    await step('graph panel: clicking the second Conv2d node selects its source', async () => {
      const runCommand = (title) => runCommandIn(page, title);
      await page.keyboard.press('Escape');
      await runCommand('View: Close All Editor Groups');
      await page.waitForTimeout(800);
      await openFile('lenet5.dlm');
      // where `Conv2d(16, 5)` is in lenet5.dlm (1-based line and columns)
      const lines = readFileSync(path.join(workspace, 'lenet5.dlm'), 'utf8').split('\n');
      const lineIx = lines.findIndex((l) => l.includes('Conv2d(16, 5)'));
      if (lineIx < 0) throw new Error('lenet5.dlm has no Conv2d(16, 5)');
      const col0 = lines[lineIx].indexOf('Conv2d(16, 5)') + 1;
      const cols = [col0, col0 + 'Conv2d(16, 5)'.length];
      await runCommand('DLM: Show Model Graph');
      await page
        .locator('.tabs-container .tab', { hasText: 'Graph: LeNet5' })
        .first()
        .waitFor({ timeout: 30_000 });
      // the graph webview: nested iframes; the frame whose document has the nodes
      const frame = await webviewFrame(page, 'g.node');
      await page.waitForTimeout(800); // layout settles (fit to view)
      const convs = frame.locator('g.node[aria-label^="Conv2d"]');
      const n = await convs.count();
      if (n < 2) throw new Error(`expected 2 Conv2d nodes, found ${n}`);
      const labels = await convs.evaluateAll((es) => es.map((e) => e.getAttribute('aria-label')));
      const i = labels.findIndex((l) => /16/.test(l ?? ''));
      await convs.nth(i >= 0 ? i : 1).click();
      // the host sets the editor selection: the status bar shows `Ln X, Col Y`
      const status = page.locator('#status\\.editor\\.selection');
      // the whole `Conv2d(16, 5)` is selected: `Ln 7, Col 21 (13 selected)`
      const ok = (m) =>
        !!m && Number(m[1]) === lineIx + 1 && cols.includes(Number(m[2])) && Number(m[3]) === 13;
      let text = '';
      for (const until = Date.now() + 10_000; Date.now() < until;) {
        text = (await status.innerText().catch(() => '')).trim();
        const m = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(text);
        if (ok(m)) break;
        await page.waitForTimeout(200);
      }
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(RESULTS, 'ui-graph.png') });
      const m = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(text);
      if (!ok(m))
        throw new Error(
          `status bar shows "${text}", expected Ln ${lineIx + 1}, Col ${cols.join(' or ')} (13 selected) (labels: ${labels.join(' | ')})`,
        );
    });

    await step('the Command Palette lists the DLM export commands', async () => {
      await page.keyboard.press('Escape');
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Shift+P');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type('DLM: Export');
      for (const title of ['Export ONNX', 'Export PyTorch Project'])
        await page
          .locator('.quick-input-widget .monaco-list-row', { hasText: title })
          .first()
          .waitFor({ timeout: 15_000 });
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(RESULTS, 'ui-export.png') });
      await page.keyboard.press('Escape');
    });

    await step('the Get Started walkthrough shows its six steps', async () => {
      await page.keyboard.press('Control+Shift+P');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type('Welcome: Open Walkthrough');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Open Walkthrough' })
        .first()
        .waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Get Started with DLM Studio' })
        .first()
        .click({ timeout: 15_000 });
      const steps = [
        'Open an example',
        'Hover a layer',
        'Fix a shape error',
        'Show the graph',
        'Train',
        'Export',
      ];
      const page_ = page.locator('.gettingStartedSlideDetails');
      await page_.waitFor({ timeout: 30_000 });
      for (const t of steps)
        await page_
          .locator('.getting-started-step .step-title', { hasText: t })
          .first()
          .waitFor({ timeout: 15_000 });
      await page_
        .locator('.getting-started-step .step-title', { hasText: 'Hover a layer' })
        .first()
        .click();
      await page.waitForTimeout(800);
      await page.screenshot({ path: path.join(RESULTS, 'ui-walkthrough.png') });
    });

    await step(
      'typing a new model: Enter is a newline, no doubled |>, no pipeline in train',
      async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+Shift+P');
        await page.locator('.quick-input-widget input').waitFor();
        await page.keyboard.type('View: Close All Editor Groups');
        await page.waitForTimeout(500);
        await page.keyboard.press('Enter');
        await page.waitForTimeout(800);
        await openFile('typing.dlm');
        // An empty file shows how to start.
        await page
          .locator('.monaco-editor .codelens-decoration', { hasText: 'Insert a model' })
          .first()
          .waitFor({ timeout: 30_000 });
        await page.screenshot({ path: path.join(RESULTS, 'ui-new-file.png') });
        await page.locator('.monaco-editor .view-lines').first().click();
        // What a person types: each line's text (the editor indents), then Enter. Brackets are
        // auto-closed and typed-over; the block's `}` is already there, so the body's last line
        // ends with Ctrl+End instead of Enter.
        const lines = [
          '// A small CNN for CIFAR-10 (3x32x32 images, 10 classes).',
          'model Cifar(x: [B, 3, 32, 32]) -> [B, 10] {',
          'x',
          '|> Conv2d(32, 3, padding=1) |> ReLU',
          '|> MaxPool2d(2)',
          '|> Flatten',
          '|> Dense(10)',
        ];
        const type = async (t) => {
          await page.keyboard.type(t, { delay: 120 });
          await page.waitForTimeout(400); // the suggestion list, if any, is open now
        };
        for (const [i, l] of lines.entries()) {
          await type(l);
          if (i < lines.length - 1) await page.keyboard.press('Enter');
        }
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        for (const l of ['train Cifar {', 'data = Digits', 'loss = CrossEntropy']) {
          await type(l);
          if (l !== 'loss = CrossEntropy') await page.keyboard.press('Enter');
        }
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+S');
        await page.waitForTimeout(1000);
        await page.screenshot({ path: path.join(RESULTS, 'ui-typing.png') });
        const got = readFileSync(path.join(workspace, 'typing.dlm'), 'utf8');
        const want = [
          '// A small CNN for CIFAR-10 (3x32x32 images, 10 classes).',
          'model Cifar(x: [B, 3, 32, 32]) -> [B, 10] {',
          '  x',
          '  |> Conv2d(32, 3, padding=1) |> ReLU',
          '  |> MaxPool2d(2)',
          '  |> Flatten',
          '  |> Dense(10)',
          '}',
          'train Cifar {',
          '  data = Digits',
          '  loss = CrossEntropy',
          '}',
        ].join('\n');
        if (got.trimEnd() !== want)
          throw new Error(`typing.dlm came out as:\n${got}\n--- expected:\n${want}`);
      },
    );
  } finally {
    await close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await finish(main, () =>
  say(`screenshots in ${path.relative(process.cwd(), RESULTS) || '.'}/ui-*.png`),
);
