#!/usr/bin/env node
// Runs the same bundled integration suite (dist/test/integration/index.js) in desktop VS Code
// through @vscode/test-electron's runTests.
//
// NOTE: runTests DOWNLOADS VS Code (from update.code.visualstudio.com) into .vscode-test/ on
// first use, so this runner CANNOT work offline. Use it on machines with internet access.
// Offline (and in CI here) use `npm run test:vscode` (scripts/run-vscode-tests.mjs), which runs
// the same suite in code-server 4.100.3 installed from npm.
//
// Usage: node test/integration/electron.mjs   (or `npm run test:electron`)
//   VSCODE_VERSION=1.100.3 picks the VS Code build (default: 'stable').
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-electron-tests-'));
const workspace = path.join(tmp, 'workspace');
for (const src of ['examples', 'test/integration/workspace']) {
  if (existsSync(path.join(repo, src)))
    cpSync(path.join(repo, src), workspace, { recursive: true });
}
const resultsFile = path.join(tmp, 'results.jsonl');

let exitCode = 1;
try {
  exitCode = await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: repo,
    extensionTestsPath: path.join(repo, 'dist', 'test', 'integration', 'index.js'),
    extensionTestsEnv: { DLM_TEST_RESULTS: resultsFile },
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
  });
} catch (err) {
  console.error(`[electron-tests] ERROR: ${err instanceof Error ? err.message : err}`);
  console.error(
    '[electron-tests] (this runner downloads VS Code; offline, use `npm run test:vscode`)',
  );
}

let passed = 0;
let failed = 0;
if (existsSync(resultsFile)) {
  for (const line of readFileSync(resultsFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line);
    if (ev.type === 'pass') {
      passed++;
      console.log(`  ✓ ${ev.fullTitle} (${ev.duration} ms)`);
    } else if (ev.type === 'fail') {
      failed++;
      console.log(`  ✗ ${ev.fullTitle}\n      ${String(ev.error).split('\n').join('\n      ')}`);
    }
  }
}
rmSync(tmp, { recursive: true, force: true });
if (exitCode !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
