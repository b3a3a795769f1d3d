#!/usr/bin/env node
// `npm test`: installs what is missing, builds, runs every suite, and ends with one line
// `N passed, N failed` summing all suites. Each stage's own output streams through.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const only = process.argv.slice(2);
mkdirSync('test-results', { recursive: true });

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: false });
  return r.status ?? 1;
}

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('> npm ci');
  if (sh('npm', ['ci', '--no-audit', '--no-fund']) !== 0) process.exit(1);
}

/** Runs a command, streams its output, and counts passes/failures from the runner's summary. */
function run(name, cmd, args, parse) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d;
    });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      out += d;
    });
    child.on('close', (code) => {
      const counts = parse(out, code);
      resolve({ name, code, ...counts });
    });
  });
}

const nodeTestCounts = (out, code) => {
  const pass = [...out.matchAll(/^ℹ pass (\d+)/gm)].map((m) => +m[1]);
  const fail = [...out.matchAll(/^ℹ fail (\d+)/gm)].map((m) => +m[1]);
  const p = pass.length ? pass[pass.length - 1] : 0;
  const f = fail.length ? fail[fail.length - 1] : 0;
  return { passed: p, failed: f || (code !== 0 && !p ? 1 : code !== 0 ? Math.max(f, 1) : 0) };
};
const plainCounts = (out, code) => {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  if (m) return { passed: +m[1], failed: +m[2] + (code !== 0 && +m[2] === 0 ? 1 : 0) };
  return { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
};
const stageCounts = (_out, code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 });

const stages = [
  ['build', process.execPath, ['esbuild.mjs'], stageCounts],
  [
    'typecheck',
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', '.', '--noEmit'],
    stageCounts,
  ],
  [
    'lint',
    process.execPath,
    ['node_modules/eslint/bin/eslint.js', 'src', 'test', 'bench', 'scripts', 'webview'],
    stageCounts,
  ],
  [
    'format',
    process.execPath,
    [
      'node_modules/prettier/bin/prettier.cjs',
      '--check',
      '.', // everything not in .prettierignore: code, scripts, docs, grammar, snippets
    ],
    stageCounts,
  ],
  [
    'unit',
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-concurrency=2',
      ...listTests('test/unit'),
    ],
    nodeTestCounts,
  ],
];
if (existsSync('scripts/run-vscode-tests.mjs'))
  stages.push(['vscode', process.execPath, ['scripts/run-vscode-tests.mjs'], plainCounts]);
if (existsSync('scripts/run-webview-tests.mjs'))
  stages.push(['webview', process.execPath, ['scripts/run-webview-tests.mjs'], plainCounts]);
// What a user installs: the npm package of the CLI (npm pack, install, run) and the linux-x64
// .vsix installed into code-server. Last, because packaging rebuilds dist/ with --production.
stages.push(['cli-package', process.execPath, ['scripts/test-cli-package.mjs'], plainCounts]);
stages.push(['vsix', process.execPath, ['scripts/test-vsix.mjs'], plainCounts]);

function listTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
}

const results = [];
for (const [name, cmd, args, parse] of stages) {
  if (only.length && !only.includes(name)) continue;
  results.push(await run(name, cmd, args, parse));
}
console.log('\n=== summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  console.log(`${r.failed ? '✗' : '✓'} ${r.name}: ${r.passed} passed, ${r.failed} failed`);
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
