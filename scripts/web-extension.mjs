#!/usr/bin/env node
// The web extension in a real web extension host: code-server 4.100.3 (VS Code 1.100.3) in
// headless Chromium, with the user setting `remote.extensionKind: { "dlm-studio.dlm-studio":
// ["web"] }`, so the workbench runs the extension's `browser` entry (dist/web/extension.js) in
// its web worker extension host, as vscode.dev does, and the language server in a worker of
// that worker (dist/web/server.js). Decision 0024 says why this and not @vscode/test-web.
//
// Checks, each printed as a test (screenshots in test-results/web-*.png):
//   - the browser fetched dist/web/extension.js and dist/web/server.js, never dist/extension.js,
//     and code-server started no language server process (no dist/server-boot.js child)
//   - lenet5.dlm: code lens and inlay hints, its file icon in the explorer, a hover card with
//     the parameter formula
//   - a shape error in the Problems panel with its code
//   - DLM: Show Model Graph draws the model; DLM: Show Summary shows the table
//   - DLM: Train Model says training needs desktop VS Code
// The last line is `N passed, N failed`. Run by scripts/run-vscode-tests.mjs after the UI smoke
// test, or alone: node scripts/web-extension.mjs [--no-build] [--keep].
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, extensionDevelopmentPath, writeUserSettings } from './lib/code-server.mjs';
import {
  goTo,
  launchWorkbench,
  openFile,
  runCommand,
  uiSteps,
  webviewFrame,
} from './lib/workbench.mjs';

const RESULTS = path.join(REPO_ROOT, 'test-results');
const EXTENSION_ID = 'dlm-studio.dlm-studio';
const keep = process.argv.includes('--keep');
let page;
const { step, finish } = uiSteps({
  tag: 'web',
  page: () => page,
  shot: (n) => `web-failure-${n}.png`,
});

/** Command lines of the processes in the process group `pgid` (Linux `ps`). */
function groupCommands(pgid) {
  const r = spawnSync('ps', ['-o', 'pgid=,args=', '-e'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([g]) => Number(g) === pgid)
    .map(([, ...a]) => a.join(' '));
}

async function main() {
  if (!process.argv.includes('--no-build')) {
    const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }
  mkdirSync(RESULTS, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-web-ext-'));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  copyFileSync(path.join(REPO_ROOT, 'examples', 'lenet5.dlm'), path.join(workspace, 'lenet5.dlm'));
  copyFileSync(
    path.join(REPO_ROOT, 'test', 'integration', 'workspace', 'shape_mismatch.dlm'),
    path.join(workspace, 'shape_mismatch.dlm'),
  );
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  // The extension kind the user can force (VS Code's `remote.extensionKind`): web, so the
  // workbench runs the `browser` entry in its web worker extension host.
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  settings['remote.extensionKind'] = { [EXTENSION_ID]: ['web'] };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));

  const devPath = extensionDevelopmentPath();
  /** Every extension file the browser fetched (dedicated workers' requests included). */
  const fetched = new Set();
  const workbench = await launchWorkbench({
    workspace,
    userDataDir,
    extensionsDir: path.join(tmp, 'extensions'),
    beforeOpen: (p) =>
      p.context().on('request', (r) => {
        const m = /[?&]path=([^&]+)/.exec(r.url());
        const file = m ? decodeURIComponent(m[1]) : '';
        if (file.startsWith(`${devPath}/dist/`)) fetched.add(path.relative(devPath, file));
      }),
  });
  const { server } = workbench;
  page = workbench.page;
  try {
    await step('lenet5.dlm gets code lenses and inlay hints from the worker server', async () => {
      await openFile(page, 'lenet5.dlm');
      await page
        .locator('.monaco-editor .codelens-decoration', { hasText: '61,706 params' })
        .first()
        .waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500);
      const hints = await page.evaluate(() =>
        [...document.querySelectorAll('.monaco-editor .view-lines span')]
          .map((s) => (s.textContent ?? '').replace(/\u00a0/g, ' '))
          .filter((t) => t.includes(': [B, 6, 28, 28]')),
      );
      if (!hints.length) throw new Error('no inlay hint `: [B, 6, 28, 28]` rendered');
    });

    await step('the extension runs in the web worker extension host', async () => {
      const want = ['dist/web/extension.js', 'dist/web/server.js'];
      const missing = want.filter((f) => !fetched.has(f));
      if (missing.length) throw new Error(`not fetched: ${missing.join(', ')}`);
      if (fetched.has('dist/extension.js')) throw new Error('the desktop entry was fetched');
      const servers = groupCommands(server.pid).filter((c) => /dist\/server(-boot)?\.js/.test(c));
      if (servers.length) throw new Error(`a Node language server runs: ${servers[0]}`);
      const hosts = groupCommands(server.pid).filter((c) => /extensionHost/.test(c));
      if (!hosts.length) throw new Error('no remote extension host to compare with (ps)');
    });

    await step('the explorer shows the .dlm file icon', async () => {
      // `contributes.languages[].icon`, drawn by the default Seti theme for languages it lacks
      const icon = await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: 'lenet5.dlm' })
        .first()
        .locator('.monaco-icon-label')
        .evaluate((el) => getComputedStyle(el, '::before').backgroundImage);
      if (!icon.includes('dlm-file.svg')) throw new Error(`the row's icon is ${icon}`);
    });

    await step('hover card on Conv2d', async () => {
      await goTo(page, 6, 8);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Parameters' }).first();
      await hover.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(RESULTS, 'web-hover.png') });
      const text = await hover.innerText();
      if (!/6·1·5·5 \+ 6 = 156/.test(text))
        throw new Error(`hover lacks the parameter count: ${text.slice(0, 200)}`);
      await page.keyboard.press('Escape');
    });

    await step('the Problems panel shows the shape error', async () => {
      await openFile(page, 'shape_mismatch.dlm');
      await page.keyboard.press('Control+Shift+M');
      const row = page
        .locator('.markers-panel .monaco-list-row', { hasText: '256 features' })
        .first();
      await row.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(RESULTS, 'web-problems.png') });
      const text = await row.innerText();
      if (!/DLM\d{3}/.test(text)) throw new Error(`no diagnostic code in "${text}"`);
      await page.keyboard.press('Control+J'); // close the panel: room for the next steps
    });

    await step('DLM: Show Model Graph draws LeNet5', async () => {
      await openFile(page, 'lenet5.dlm');
      await runCommand(page, 'DLM: Show Model Graph');
      await page
        .locator('.tabs-container .tab', { hasText: 'Graph: LeNet5' })
        .first()
        .waitFor({ timeout: 30_000 });
      const frame = await webviewFrame(page, 'g.node');
      await page.waitForTimeout(1000);
      const convs = await frame.locator('g.node[aria-label^="Conv2d"]').count();
      if (convs !== 2) throw new Error(`expected 2 Conv2d nodes, found ${convs}`);
      await page.screenshot({ path: path.join(RESULTS, 'web-graph.png') });
    });

    await step('DLM: Show Summary shows the table', async () => {
      await runCommand(page, 'View: Close All Editor Groups');
      await openFile(page, 'lenet5.dlm');
      await runCommand(page, 'DLM: Show Summary');
      await page
        .locator('.tabs-container .tab', { hasText: 'Summary: LeNet5' })
        .first()
        .waitFor({ timeout: 30_000 });
      const frame = await webviewFrame(page, 'table');
      const total = await frame.locator('tr.total').innerText({ timeout: 15_000 });
      if (!total.includes('61,706')) throw new Error(`total row: ${total}`);
      const where = await frame.locator('p.muted', { hasText: 'inputs' }).innerText();
      if (!where.startsWith('lenet5.dlm · ')) throw new Error(`the file is shown as: ${where}`);
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(RESULTS, 'web-summary.png') });
    });

    await step('DLM: Train Model says it needs desktop VS Code', async () => {
      await runCommand(page, 'View: Close All Editor Groups');
      await openFile(page, 'lenet5.dlm');
      await page.keyboard.press('Control+Home');
      await runCommand(page, 'DLM: Train Model');
      const toast = page
        .locator('.notifications-toasts .notification-toast', {
          hasText: 'Training needs DLM Studio in desktop VS Code',
        })
        .first();
      await toast.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(RESULTS, 'web-train.png') });
    });
  } finally {
    await workbench.close();
    if (keep) console.log(`[web-extension] kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await finish(main);
