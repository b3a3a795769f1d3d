#!/usr/bin/env node
// Tests the linux-x64 .vsix as a user installs it: packages it (scripts/package.mjs), installs it
// into an empty extensions folder with code-server's `--install-extension`, then
//   1. runs the installed copy's `bin/dlm` (check, and one epoch of training: the native
//      onnxruntime binding loads from the package), and
//   2. opens a workspace in code-server with only that extensions folder (no
//      extensionDevelopmentPath: nothing comes from the source folder) and waits for the DLM101
//      shape error of a broken .dlm file in the Problems panel.
// Prints one line per check and ends with `N passed, N failed`. Takes a few minutes (packaging
// is most of it); not part of `npm test`.
//
// Usage: node scripts/test-vsix.mjs [--vsix FILE] [--keep]
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CODE_SERVER_ROOT,
  REPO_ROOT,
  configFile,
  ensureCodeServer,
  startCodeServer,
  writeUserSettings,
} from './lib/code-server.mjs';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const vsixAt = args.indexOf('--vsix');
const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-vsix-'));
const RESULTS = path.join(REPO_ROOT, 'test-results');
mkdirSync(RESULTS, { recursive: true });
let passed = 0;
let failed = 0;
const t0 = Date.now();
const BROKEN = 'model M(x: [B, 4]) -> [B, 2] {\n  x |> Dense(3) |> Conv2d(4, 3)\n}\n';

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(
    `${ok ? '✔' : '✖'} vsix: ${name}${ok ? '' : `\n${String(detail).trim().replace(/^/gm, '    ')}`}`,
  );
  return ok;
}
const run = (cmd, argv, cwd, env = {}) => {
  const r = spawnSync(cmd, argv, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 10 * 60 * 1000,
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
};

let server;
let browser;
try {
  // 1. the package
  let vsix = vsixAt >= 0 ? path.resolve(args[vsixAt + 1]) : '';
  if (!vsix) {
    const t1 = Date.now();
    const p = run(
      process.execPath,
      ['scripts/package.mjs', '--target', 'linux-x64', '--out', tmp],
      REPO_ROOT,
    );
    vsix = path.join(tmp, 'dlm-studio-linux-x64.vsix');
    check(
      `npm run package -- --target linux-x64 (${((Date.now() - t1) / 1000).toFixed(0)} s)`,
      p.code === 0 && existsSync(vsix),
      p.out,
    );
    console.log(p.out.trim().replace(/^/gm, '# '));
  }
  if (!existsSync(vsix)) throw new Error(`no ${vsix}`);

  // 2. code-server --install-extension into an empty extensions folder
  await ensureCodeServer();
  const extensionsDir = path.join(tmp, 'extensions');
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  const inst = run(process.execPath, [
    path.join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js'),
    '--config',
    configFile(),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--install-extension',
    vsix,
  ]);
  const dirs = existsSync(extensionsDir)
    ? readdirSync(extensionsDir).filter((d) => d.startsWith('dlm-studio.dlm-studio-'))
    : [];
  check('code-server --install-extension', inst.code === 0 && dirs.length === 1, inst.out);
  const ext = path.join(extensionsDir, dirs[0] ?? 'missing');
  const native = path.join(ext, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  check(
    'the installed copy has only the linux/x64 onnxruntime binaries',
    existsSync(native) &&
      readdirSync(native).join() === 'linux' &&
      readdirSync(path.join(native, 'linux')).join() === 'x64',
    existsSync(native) ? readdirSync(native).join(', ') : 'no binaries',
  );

  // 3. the installed copy's dlm command: check, and train one epoch (loads onnxruntime)
  const work = path.join(tmp, 'workspace');
  mkdirSync(work);
  writeFileSync(path.join(work, 'broken.dlm'), BROKEN);
  copyFileSync(path.join(REPO_ROOT, 'examples', 'spiral.dlm'), path.join(work, 'spiral.dlm'));
  const dlm = path.join(ext, 'bin', 'dlm');
  let executable = false;
  try {
    accessSync(dlm, constants.X_OK);
    executable = true;
  } catch {
    /* reported below */
  }
  check('bin/dlm is installed executable', executable, dlm);
  const env = { DLM_NODE: process.execPath };
  const c = run('/bin/sh', [dlm, 'check', 'broken.dlm'], work, env);
  check(
    'the installed dlm check reports DLM101 and exits 1',
    c.code === 1 && /^broken\.dlm:2:20: error DLM101 /m.test(c.out),
    c.out,
  );
  const tr = run('/bin/sh', [dlm, 'train', 'spiral.dlm', '--epochs', '1', '--json'], work, env);
  check(
    'the installed dlm train runs an epoch on the packaged onnxruntime',
    tr.code === 0 && tr.out.split('\n').some((l) => l.startsWith('{"type":"epoch"')),
    tr.out.slice(-2000),
  );

  // 4. VS Code with only the installed extension: the shape error appears in Problems
  server = await startCodeServer({ workspace: work, userDataDir, extensionsDir });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}?folder=${encodeURIComponent(work)}`, { timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  await page
    .locator('.explorer-folders-view .monaco-list-row', { hasText: 'broken.dlm' })
    .first()
    .dblclick({ timeout: 60_000 });
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Shift+M');
  const row = page
    .locator('.markers-panel .monaco-list-row', { hasText: 'Conv2d expects' })
    .first();
  let shown = false;
  try {
    await row.waitFor({ timeout: 90_000 });
    shown = true;
  } catch {
    /* reported below */
  }
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(RESULTS, 'vsix-installed-problems.png') });
  const text = shown ? await row.innerText() : '';
  check(
    'the installed extension puts DLM101 in the Problems panel (test-results/vsix-installed-problems.png)',
    shown && /DLM101/.test(text),
    text || 'no problem row',
  );
} catch (err) {
  failed++;
  console.log(`✖ vsix: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
  if (keep) console.log(`# kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
