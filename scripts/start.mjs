#!/usr/bin/env node
// `npm start`: runs DLM Studio in real VS Code (code-server 4.100.3, VS Code 1.100.3) in the
// browser, offline, with the extension loaded from this checkout and examples/ open.
//
//   node scripts/start.mjs [--port N] [--folder DIR] [--check]
//     --port    port on 127.0.0.1 (default 8080, or a free one if 8080 is taken)
//     --folder  folder to open (default: a scratch copy of examples/, see below)
//     --check   non-interactive smoke check: open the page in headless Chromium, open a .dlm
//               file, verify the language mode reads "DLM" and the "DLM: Show Model Graph" command
//               exists, save test-results/start.png, then stop. Exits non-zero on failure.
//
// By default the workspace is .cache/start/examples, a copy of examples/ refreshed from the
// repository at each start (files you added there and training runs under .dlm/ stay): training
// writes .dlm/runs into the workspace, and examples/ is also the extension's own bundled
// examples (through the extension link below), which must stay as committed.
//
// The extension is loaded by symlinking the repo into a fresh extensions folder
// (.cache/start/extensions/dlm-studio.dlm-studio-VERSION -> repo), so the plain URL works and
// "Developer: Reload Window" picks up a rebuild (`node esbuild.mjs --watch` in another terminal).
// Settings and UI state persist in .cache/start/user-data.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO_ROOT,
  ensureCodeServer,
  freePort,
  startCodeServer,
  writeUserSettings,
} from './lib/code-server.mjs';
import { argValue, args } from './lib/args.mjs';

const check = args.includes('--check');
const say = (msg) => console.log(`[start] ${msg}`);

function runOrDie(what, cmd, cmdArgs) {
  say(`${what}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[start] ERROR: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

async function portIsFree(port) {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// 1. Dependencies and build.
if (!existsSync(path.join(REPO_ROOT, 'node_modules')))
  runOrDie('installing dependencies', 'npm', ['ci']);
runOrDie('building', process.execPath, ['esbuild.mjs']);

// 2. code-server.
try {
  await ensureCodeServer();
} catch (err) {
  console.error(`[start] ERROR: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

// 3. Profile and extension link.
const startDir = path.join(REPO_ROOT, '.cache', 'start');
const userDataDir = path.join(startDir, 'user-data');
const extensionsDir = path.join(startDir, 'extensions');
rmSync(extensionsDir, { recursive: true, force: true }); // fresh each time: no stale versions
mkdirSync(extensionsDir, { recursive: true });
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const extId = `${pkg.publisher}.${pkg.name}`;
symlinkSync(REPO_ROOT, path.join(extensionsDir, `${extId}-${pkg.version}`));
if (!existsSync(path.join(userDataDir, 'User', 'settings.json'))) writeUserSettings(userDataDir);

let folder = argValue('--folder');
if (folder) folder = path.resolve(folder);
else if (existsSync(path.join(REPO_ROOT, 'examples'))) {
  // a scratch copy: runs and edits stay out of the repository's examples/
  folder = path.join(startDir, 'examples');
  cpSync(path.join(REPO_ROOT, 'examples'), folder, { recursive: true, force: true });
  say(`workspace: ${path.relative(REPO_ROOT, folder)} (a copy of examples/)`);
} else {
  say('examples/ does not exist yet; opening test/integration/workspace instead');
  folder = path.join(REPO_ROOT, 'test', 'integration', 'workspace');
}

// 4. Server.
let port = Number(argValue('--port') ?? 0);
if (!port) port = !check && (await portIsFree(8080)) ? 8080 : await freePort();
const server = await startCodeServer({ port, workspace: folder, userDataDir, extensionsDir });
const url = `${server.url}?folder=${encodeURIComponent(folder).replaceAll('%2F', '/')}`;

if (check) {
  let ok = false;
  try {
    ok = await smokeCheck(url, folder);
  } catch (err) {
    console.error(`[start] check failed: ${err instanceof Error ? err.message : err}`);
  }
  await server.stop();
  console.log(ok ? '[start] check passed' : '[start] check FAILED');
  process.exit(ok ? 0 : 1);
}

console.log('');
say('DLM Studio is running in VS Code (code-server 4.100.3). Open:');
console.log(`\n    ${url}\n`);
say(`extension ${extId} loaded from ${REPO_ROOT} (reload the window after a rebuild)`);
const code = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
if (code.status === 0 && code.stdout.trim()) {
  say('desktop VS Code is also available:');
  console.log(
    `    code --extensionDevelopmentPath=${REPO_ROOT} ${path.relative(process.cwd(), folder) || '.'}\n`,
  );
}
say('press Ctrl-C to stop');
// The lib's SIGINT/SIGTERM handler kills code-server's process group and exits.
process.on('SIGINT', () => {
  say('stopping');
  server.stop().finally(() => process.exit(0));
});
await new Promise(() => {}); // keep running

/** Opens the workbench headlessly and checks that the extension is live. */
async function smokeCheck(pageUrl, dir) {
  const { readdirSync } = await import('node:fs');
  // a .dlm file, not the .dlm folder that training runs leave in the workspace
  const dlmFile = readdirSync(dir, { withFileTypes: true }).find(
    (e) => e.isFile() && e.name.endsWith('.dlm'),
  )?.name;
  if (!dlmFile) throw new Error(`no .dlm file at the top of ${dir}`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pageUrl);
    say(`check: opening ${dlmFile}`);
    await page
      .locator('.explorer-folders-view .monaco-list-row', { hasText: dlmFile })
      .first()
      .click({ timeout: 60_000 });
    const mode = page.locator('[id="status.editor.mode"]');
    await mode.filter({ hasText: 'DLM' }).waitFor({ timeout: 30_000 });
    say(`check: language mode shows "${(await mode.innerText()).trim()}"`);
    // The command palette lists the contributed command.
    await page.keyboard.press('F1');
    await page.keyboard.type('DLM: Show Model Graph');
    const item = page.locator('.quick-input-list .monaco-list-row', {
      hasText: 'DLM: Show Model Graph',
    });
    await item.first().waitFor({ timeout: 15_000 });
    say('check: command palette lists "DLM: Show Model Graph"');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
    mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', 'start.png') });
    say('check: screenshot test-results/start.png');
    return true;
  } finally {
    await browser.close();
  }
}
