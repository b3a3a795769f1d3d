#!/usr/bin/env node
// Tests the npm package of the `dlm` command as a user gets it: builds and packs packages/cli
// (scripts/build-cli-package.mjs --pack), installs the tarball into a fresh temporary project
// (npm's cache first: --prefer-offline), then, from another folder that holds only a model,
// runs `npx dlm check`, `npx dlm summary` and `npx dlm train` against that install.
// Prints one line per check and ends with `N passed, N failed`; exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import {
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
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-cli-package-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let passed = 0;
let failed = 0;
const t0 = Date.now();

function run(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...extraEnv },
    shell: process.platform === 'win32',
    timeout: 10 * 60 * 1000,
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`✔ cli package: ${name}`);
  } else {
    failed++;
    console.log(`✖ cli package: ${name}\n${String(detail).trim().replace(/^/gm, '    ')}`);
  }
}

try {
  // 1. the tarball
  const build = run(process.execPath, ['scripts/build-cli-package.mjs', '--pack', tmp], root);
  const tarball = build.out.trim().split('\n').pop() ?? '';
  check('npm pack', build.code === 0 && existsSync(tarball), build.out);
  if (!existsSync(tarball)) throw new Error('no tarball');
  const listing = run('tar', ['-tzf', tarball], tmp).out.split('\n').filter(Boolean).sort();
  check(
    'the tarball holds the bundles, the bin, README and LICENSE only',
    listing.join(' ') ===
      [
        'package/LICENSE',
        'package/README.md',
        'package/bin/dlm.js',
        'package/dist/cli.js',
        'package/dist/trainer.js',
        'package/package.json',
      ].join(' '),
    listing.join('\n'),
  );

  // 2. install it into an empty project, from npm's cache where it can (onnxruntime-node's own
  // download of optional GPU libraries is skipped: the CPU binaries ship in its package)
  const project = path.join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'uses-dlm', version: '1.0.0', private: true }, null, 2),
  );
  const install = run(
    npm,
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--onnxruntime-node-install=skip',
      tarball,
    ],
    project,
  );
  const mods = existsSync(path.join(project, 'node_modules'))
    ? readdirSync(path.join(project, 'node_modules'))
    : [];
  check(
    'npm install of the tarball',
    install.code === 0 && mods.includes('dlm-studio'),
    install.out,
  );
  check(
    'no VS Code package is installed with it',
    !mods.some((m) => m === 'vscode' || m.startsWith('vscode-') || m === '@vscode'),
    mods.join(', '),
  );

  // 3. run it from another folder that holds only a model
  const work = path.join(tmp, 'models');
  mkdirSync(work);
  copyFileSync(path.join(root, 'examples', 'spiral.dlm'), path.join(work, 'spiral.dlm'));
  writeFileSync(
    path.join(work, 'broken.dlm'),
    'model M(x: [B, 4]) -> [B, 2] {\n  x |> Dense(3) |> Conv2d(4, 3)\n}\n',
  );
  // `npx dlm` in the project resolves its bin; from the model folder, name the project's bin
  const bin = path.join(project, 'node_modules', '.bin');
  const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
  const where = run(npx, ['--no-install', 'dlm', '--version'], project);
  check(
    'npx dlm --version in the project',
    where.code === 0 && /^0\.1\.0/m.test(where.out),
    where.out,
  );

  const ok = run('dlm', ['check', 'spiral.dlm'], work, env);
  check('dlm check spiral.dlm: exit 0', ok.code === 0, ok.out);
  const bad = run('dlm', ['check', 'broken.dlm'], work, env);
  check(
    'dlm check broken.dlm: exit 1 and a file:line:col: error DLM101 line',
    bad.code === 1 && /^broken\.dlm:2:20: error DLM101 /m.test(bad.out),
    bad.out,
  );
  const sum = run('dlm', ['summary', 'spiral.dlm'], work, env);
  check(
    'dlm summary spiral.dlm: a table with the parameter total',
    sum.code === 0 && /SpiralNet/.test(sum.out) && /param/i.test(sum.out),
    sum.out,
  );
  const train = run(
    'dlm',
    ['train', 'spiral.dlm', '--epochs', '2', '--threads', '1', '--json'],
    work,
    env,
  );
  const events = train.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  check(
    'dlm train spiral.dlm --epochs 2: onnxruntime-node trains two epochs and finishes',
    train.code === 0 &&
      events.filter((e) => e.type === 'epoch').length === 2 &&
      events.some((e) => e.type === 'finished'),
    train.out.slice(-3000),
  );
  check(
    'the run folder is in the model folder',
    existsSync(path.join(work, '.dlm', 'runs')) &&
      readdirSync(path.join(work, '.dlm', 'runs')).some((d) => d.startsWith('SpiralNet-')),
    existsSync(path.join(work, '.dlm')) ? readdirSync(path.join(work, '.dlm')).join(', ') : '-',
  );
} catch (err) {
  failed++;
  console.log(`✖ cli package: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  if (keep) console.log(`# kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
