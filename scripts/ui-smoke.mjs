#!/usr/bin/env node
// UI smoke test: drives the real VS Code workbench (code-server 4.100.3) in headless Chromium
// with the extension loaded, and saves screenshots to test-results/:
//   ui-inlay-hover.png  lenet5.dlm with inlay hints, code lenses and a hover card on Conv2d
//   ui-problems.png     shape_mismatch.dlm with the Problems panel showing the DLM100 shape error
//   ui-training.png     spiral.dlm trained with "DLM: Train Model": the dashboard's loss charts
//   ui-training-boundary.png  the same run's Boundary tab (decision-boundary heatmap)
// Each step is a test; the last line is `N passed, N failed`. Run by scripts/run-vscode-tests.mjs
// after the integration suite, or alone: node scripts/ui-smoke.mjs (builds first).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO_ROOT,
  startCodeServer,
  writeUserSettings,
} from './lib/code-server.mjs';

const RESULTS = path.join(REPO_ROOT, 'test-results');
const say = (m) => console.log(`[ui-smoke] ${m}`);
let passed = 0;
let failed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`  ✓ ui ${name}`);
  } catch (err) {
    failed++;
    await globalThis.__page
      ?.screenshot({ path: path.join(RESULTS, `ui-failure-${passed + failed}.png`) })
      .catch(() => {});
    console.log(`  ✗ ui ${name}\n      ${String(err?.message ?? err).split('\n')[0]}`);
  }
}

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
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  const server = await startCodeServer({
    workspace,
    userDataDir,
    extensionsDir: path.join(tmp, 'extensions'),
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    globalThis.__page = page;
    const authority = `127.0.0.1:${server.port}`;
    const payload = [['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`]];
    await page.goto(
      `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2000);
    // Keyboard shortcuts need the workbench focused.
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 300 } });
    await page.keyboard.press('Escape');

    // Quick open needs ripgrep for file search; the explorer always works.
    const openFile = async (name) => {
      await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: name })
        .first()
        .dblclick();
      await page
        .locator('.tabs-container .tab', { hasText: name })
        .first()
        .waitFor({ timeout: 15_000 });
      await page.locator('.monaco-editor .view-lines').first().click();
    };
    const goTo = async (line, col) => {
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type(`${line}:${col}`);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(300);
    };

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
    });
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  failed++;
  console.error(`[ui-smoke] ERROR: ${err?.message ?? err}`);
}
say(`screenshots in ${path.relative(process.cwd(), RESULTS) || '.'}/ui-*.png`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
