#!/usr/bin/env node
// Runs the integration suite (test/integration, bundled to dist/test/integration/index.js)
// inside real VS Code, offline: code-server 4.100.3 (VS Code 1.100.3) driven by headless
// Chromium through playwright-core. The workbench is opened with the `payload` URL parameter,
// which sets extensionDevelopmentPath and extensionTestsPath like `code --extensionTestsPath`.
//
// Usage: node scripts/run-vscode-tests.mjs [--timeout SECONDS] [--workspace DIR] [--keep]
//   --timeout    overall limit, default 600 (env DLM_VSCODE_TEST_TIMEOUT)
//   --workspace  folder to open instead of a temp copy of examples/ + test/integration/workspace/
//   --keep       keep the temp folder (user data, logs) for inspection
//   --no-ui      skip the UI smoke test (scripts/ui-smoke.mjs), the first-ten-minutes
//                scenario (scripts/first-ten.mjs) and the web extension test
//                (scripts/web-extension.mjs) that run after the suite
//   --suite      main | untrusted | all (default all). `untrusted` opens the workspace with
//                workspace trust on and never granted (Restricted Mode) and runs
//                test/integration/untrusted.test.ts instead of the main suites.
//
// Results: the test runner appends JSON Lines to the file named by DLM_TEST_RESULTS, an env
// var set on code-server and inherited by the extension host. Each test is printed as it ends.
// Artifacts go to test-results/: a workbench screenshot, the browser console and the server log.
// The last line of output is always `N passed, N failed`; the exit code is non-zero on failure.
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
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO_ROOT,
  ensureCodeServer,
  startCodeServer,
  writeUserSettings,
} from './lib/code-server.mjs';
import { argValue, args } from './lib/args.mjs';

const timeoutSec = Number(argValue('--timeout') ?? process.env.DLM_VSCODE_TEST_TIMEOUT ?? 600);
const keep = args.includes('--keep');
const suiteArg = argValue('--suite') ?? 'all';
if (!['main', 'untrusted', 'all'].includes(suiteArg)) {
  console.error(`[vscode-tests] unknown --suite ${suiteArg} (main, untrusted or all)`);
  process.exit(2);
}
const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg) => console.log(`[vscode-tests ${elapsed()}] ${msg}`);

let passed = 0;
let failed = 0;
let pending = 0;
let infraError = null;
/** Counts when the current workbench started (the runner's `end` event counts one workbench). */
let base = { passed: 0, failed: 0 };
const cleanups = [];

async function main() {
  // 1. Build.
  say('building (node esbuild.mjs)');
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`build failed (node esbuild.mjs exited ${build.status})`);
  const testsEntry = path.join(REPO_ROOT, 'dist', 'test', 'integration', 'index.js');
  if (!existsSync(testsEntry))
    throw new Error(`build did not produce ${path.relative(REPO_ROOT, testsEntry)}`);

  // 2. code-server (cached after the first run).
  await ensureCodeServer();

  if (suiteArg !== 'untrusted') await runWorkbench(testsEntry, 'main');
  if (suiteArg !== 'main') await runWorkbench(testsEntry, 'untrusted');
}

/**
 * One workbench session: a fresh profile and workspace, code-server, Chromium, and the suite
 * streamed to the console. `untrusted` runs with workspace trust on and not granted.
 */
async function runWorkbench(testsEntry, suite) {
  const untrusted = suite === 'untrusted';
  const first = cleanups.length;
  try {
    await runWorkbenchIn(testsEntry, suite, untrusted);
  } finally {
    // This session's clean-ups (the signal handler still sees them until they have run).
    for (const fn of cleanups.splice(first).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`[vscode-tests] cleanup: ${err instanceof Error ? err.message : err}`);
      }
    }
  }
}

async function runWorkbenchIn(testsEntry, suite, untrusted) {
  const tag = untrusted ? '-untrusted' : '';
  base = { passed, failed };
  say(`workbench for the ${suite} suite${untrusted ? ' (workspace trust on, not granted)' : ''}`);
  // 3. Fresh profile, extensions folder and workspace.
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-vscode-tests-'));
  const removeTmp = () =>
    keep ? say(`kept ${tmp}`) : rmSync(tmp, { recursive: true, force: true });
  removeTmp.sync = true;
  cleanups.push(removeTmp);
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const resultsFile = path.join(tmp, 'results.jsonl');
  let workspace = argValue('--workspace');
  if (workspace) {
    workspace = path.resolve(workspace);
  } else {
    workspace = path.join(tmp, 'workspace');
    mkdirSync(workspace, { recursive: true });
    for (const src of ['examples', path.join('test', 'integration', 'workspace')]) {
      const abs = path.join(REPO_ROOT, src);
      if (existsSync(abs)) cpSync(abs, workspace, { recursive: true });
    }
  }
  writeUserSettings(userDataDir, { workspaceTrust: untrusted });
  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const old of [
    'vscode-workbench.png',
    'vscode-timeout.png',
    'vscode-failure.png',
    'vscode-console.log',
    'code-server.log',
  ]) {
    rmSync(path.join(RESULTS_DIR, old.replace('.', `${tag}.`)), { force: true });
  }

  // 4. Server. DLM_TEST_RESULTS is inherited by the extension host (a child of code-server).
  say('starting code-server');
  const server = await startCodeServer({
    workspace,
    userDataDir,
    extensionsDir,
    env: { DLM_TEST_RESULTS: resultsFile, DLM_TEST_SUITE: suite },
    workspaceTrust: untrusted,
  });
  cleanups.push(async () => {
    await server.stop();
    writeFileSync(path.join(RESULTS_DIR, `code-server${tag}.log`), server.output());
  });
  say(`code-server ${server.url} (pid ${server.pid})`);

  // 5. Browser.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    handleSIGINT: false, // our handler reports; playwright still kills the browser on exit
  });
  cleanups.push(() => browser.close().catch(() => {}));
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  cleanups.push(() =>
    writeFileSync(
      path.join(RESULTS_DIR, `vscode-console${tag}.log`),
      consoleLines.join('\n') + '\n',
    ),
  );

  const authority = `127.0.0.1:${server.port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`],
    ['extensionTestsPath', `vscode-remote://${authority}${testsEntry}`],
  ];
  const url = `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  say(`opening workbench: ${server.url}?folder=${workspace}&payload=…`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });

  // 6. Stream results until the `end` event, the timeout, or the server dies.
  const deadline = Date.now() + timeoutSec * 1000;
  const fallbackFile = path.join(workspace, '.dlm-test-results.jsonl');
  let offset = 0;
  let ended = false;
  let lastEventAt = Date.now();
  while (!ended) {
    const file = existsSync(resultsFile)
      ? resultsFile
      : existsSync(fallbackFile)
        ? fallbackFile
        : null;
    if (file) {
      const text = readFileSync(file, 'utf8');
      const lastNl = text.lastIndexOf('\n');
      if (lastNl + 1 > offset) {
        for (const line of text.slice(offset, lastNl + 1).split('\n')) {
          if (!line.trim()) continue;
          if (handleEvent(JSON.parse(line))) ended = true;
        }
        offset = lastNl + 1;
        lastEventAt = Date.now();
      }
    }
    if (ended) break;
    if (Date.now() > deadline) {
      await screenshot(page, `vscode-timeout${tag}.png`);
      throw new Error(
        `timed out after ${timeoutSec}s waiting for the integration suite to finish ` +
          `(${passed} passed, ${failed} failed so far; last result ${((Date.now() - lastEventAt) / 1000).toFixed(0)}s ago). ` +
          `See test-results/vscode-timeout${tag}.png, vscode-console${tag}.log and code-server${tag}.log.`,
      );
    }
    if (!page.isClosed() && (await extensionHostFailed(page))) {
      // Give the runner a moment to flush, then stop waiting.
      await new Promise((r) => setTimeout(r, 1000));
      if (!existsSync(resultsFile) && !existsSync(fallbackFile)) {
        await screenshot(page, `vscode-failure${tag}.png`);
        throw new Error(
          `the extension host terminated before reporting any result (see test-results/vscode-console${tag}.log)`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (file0(resultsFile, fallbackFile) === fallbackFile) {
    say('note: results came through the workspace file; DLM_TEST_RESULTS was not inherited');
  }

  // 7. Screenshot of the workbench as the suite left it.
  await page.waitForTimeout(500);
  await screenshot(page, `vscode-workbench${tag}.png`);
}

function file0(a, b) {
  return existsSync(a) ? a : existsSync(b) ? b : null;
}

/** Returns true on the final event. */
function handleEvent(ev) {
  switch (ev.type) {
    case 'start':
      say(`running ${ev.total} test(s)`);
      return false;
    case 'pass':
      passed++;
      console.log(`  ✓ ${ev.fullTitle} (${ev.duration} ms)`);
      return false;
    case 'fail':
      failed++;
      console.log(`  ✗ ${ev.fullTitle} (${ev.duration} ms)`);
      for (const l of mapStack(String(ev.error ?? '')).split('\n')) console.log(`      ${l}`);
      return false;
    case 'pending':
      pending++;
      console.log(`  - ${ev.fullTitle} (pending)`);
      return false;
    case 'end':
      if (ev.passed !== passed - base.passed || ev.failed !== failed - base.failed) {
        say(
          `warning: runner counted ${ev.passed} passed, ${ev.failed} failed; streamed ${passed - base.passed}/${failed - base.failed}`,
        );
      }
      say(`suite finished in ${ev.duration} ms`);
      return true;
    default:
      return false;
  }
}

/**
 * The extension host strips NODE_OPTIONS, so --enable-source-maps cannot reach it. Map bundle
 * positions (dist/...js:L:C) in stack traces back to the TypeScript sources here instead.
 */
const sourceMaps = new Map();
function mapStack(text) {
  return text.replace(
    /((?:\/[^\s():]*\/)?dist\/[^\s():]+\.js):(\d+):(\d+)/g,
    (whole, file, line, col) => {
      const abs = path.isAbsolute(file) ? file : path.join(REPO_ROOT, file);
      let map = sourceMaps.get(abs);
      if (map === undefined) {
        try {
          map = new SourceMap(JSON.parse(readFileSync(`${abs}.map`, 'utf8')));
        } catch {
          map = null;
        }
        sourceMaps.set(abs, map);
      }
      const entry = map?.findEntry(Number(line) - 1, Number(col) - 1);
      if (!entry || !entry.originalSource) return whole;
      const src = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(abs), entry.originalSource);
      return `${path.relative(REPO_ROOT, src)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  );
}

async function extensionHostFailed(page) {
  // VS Code shows this notification when the extension host dies unexpectedly.
  try {
    return (await page.locator('text=/Extension host .*terminated/i').count()) > 0;
  } catch {
    return false;
  }
}

async function screenshot(page, name) {
  try {
    if (page.isClosed()) return;
    const file = path.join(RESULTS_DIR, name);
    await page.screenshot({ path: file, timeout: 15_000 });
    say(`screenshot: ${path.relative(REPO_ROOT, file)}`);
  } catch (err) {
    say(`screenshot ${name} failed: ${err instanceof Error ? err.message : err}`);
  }
}

let exitCode = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    // code-server's process group is killed by scripts/lib/code-server.mjs, Chromium by playwright.
    console.error(`\n[vscode-tests] interrupted (${sig})`);
    for (const fn of cleanups.filter((f) => f.sync)) fn();
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
try {
  await main();
} catch (err) {
  infraError = err;
  console.error(`\n[vscode-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
}
for (const fn of cleanups.reverse()) {
  try {
    await fn();
  } catch (err) {
    console.error(`[vscode-tests] cleanup: ${err instanceof Error ? err.message : err}`);
  }
}
// UI smoke test (screenshots in test-results/ui-*.png), the first-ten-minutes scenario
// (test-results/ft-*.png) and the web extension in the web worker extension host
// (test-results/web-*.png), each in its own workbench; skip them with --no-ui.
for (const [script, limit] of [
  ['ui-smoke.mjs', 300_000],
  ['first-ten.mjs', 600_000],
  ['web-extension.mjs', 400_000],
]) {
  if (
    infraError ||
    args.includes('--no-ui') ||
    !existsSync(path.join(REPO_ROOT, 'scripts', script))
  )
    continue;
  say(`${script}`);
  const ui = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', script), '--no-build'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: limit,
  });
  const out = `${ui.stdout ?? ''}${ui.stderr ?? ''}`;
  for (const line of out.split('\n'))
    if (line.trim() && !/^\d+ passed, \d+ failed$/.test(line)) console.log(line);
  const m = /^(\d+) passed, (\d+) failed$/m.exec(out);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  } else failed++;
}
// An infrastructure failure counts as a failed test, so CI never reads "0 failed" from a broken run.
if (infraError) failed++;
if (passed + failed === 0) {
  console.error('[vscode-tests] ERROR: no tests ran');
  failed++;
}
if (failed > 0) exitCode = 1;
say(`done${pending ? ` (${pending} pending)` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
