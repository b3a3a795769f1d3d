#!/usr/bin/env node
// Browser tests of the webviews: builds the bundles, then runs test/webview/*.test.ts (each serves
// a harness page and drives Debian's Chromium with playwright-core). Prints one line per test and
// ends with exactly one line `N passed, N failed`; exits non-zero on failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`✖ webview: no Chromium at ${chromium} (set CHROMIUM_PATH)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (!process.argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) {
    console.log('✖ webview: build failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const dir = 'test/webview';
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => join(dir, f))
  : [];

let passed = 0;
let failed = 0;
for (const file of files) {
  console.log(`# ${file}`);
  const { code, out } = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60 * 1000);
    let pending = '';
    const emit = (line) => {
      // Pass everything through except the file's own summary line (one summary at the end).
      if (!/^\d+ passed, \d+ failed$/.test(line)) console.log(line);
    };
    child.stdout.on('data', (d) => {
      out += d;
      const lines = (pending + d).split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(emit);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (c) => {
      clearTimeout(timer);
      if (pending) emit(pending);
      resolve({ code: c ?? 1, out });
    });
  });
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  if (m) {
    passed += +m[1];
    failed += +m[2] + (code !== 0 && +m[2] === 0 ? 1 : 0);
  } else failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
