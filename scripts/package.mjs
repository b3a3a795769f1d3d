#!/usr/bin/env node
// Builds one .vsix per platform onnxruntime-node ships binaries for. Each package carries the
// bundles and only its own platform's native onnxruntime binaries: the `.vscodeignore` line that
// keeps `bin/napi-v*/linux/x64/*` is rewritten per target into a temporary ignore file.
//
// Usage: node scripts/package.mjs [--target T]... [--out DIR] [--no-build]
//   --target  linux-x64 | linux-arm64 | darwin-arm64 | win32-x64 | win32-arm64 (default: all)
//   --out     folder for dlm-studio-<target>.vsix (default: the repository root)
// Prints each package's size and native files, and exits non-zero if one holds another
// platform's binaries or none of its own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** vsce target → onnxruntime-node's binary folder. */
const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};
const KEEP_NATIVE = /^!node_modules\/onnxruntime-node\/bin\/napi-v\*\/linux\/x64\/\*$/m;

const args = process.argv.slice(2);
const targets = args.flatMap((a, i) => (args[i - 1] === '--target' ? [a] : []));
for (const t of targets)
  if (!TARGETS[t]) fail(`unknown target ${t} (${Object.keys(TARGETS).join(', ')})`);
const outAt = args.indexOf('--out');
const out = path.resolve(outAt >= 0 ? args[outAt + 1] : root);
mkdirSync(out, { recursive: true });

const t0 = Date.now();
if (!args.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['esbuild.mjs', '--production'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (b.status !== 0) fail('build failed');
}
const ignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
if (!KEEP_NATIVE.test(ignore))
  fail('.vscodeignore lacks the line that keeps the linux/x64 binaries');
const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-package-'));
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
let bad = 0;
try {
  for (const target of targets.length ? targets : Object.keys(TARGETS)) {
    const t1 = Date.now();
    const ignoreFile = path.join(tmp, `vscodeignore-${target}`);
    writeFileSync(
      ignoreFile,
      ignore.replace(
        KEEP_NATIVE,
        `!node_modules/onnxruntime-node/bin/napi-v*/${TARGETS[target]}/*`,
      ),
    );
    const vsix = path.join(out, `dlm-studio-${target}.vsix`);
    const r = spawnSync(
      process.execPath,
      [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', vsix],
      { cwd: root, encoding: 'utf8' },
    );
    if (r.status !== 0) fail(`vsce package --target ${target} failed:\n${r.stdout}${r.stderr}`);
    const native = listZip(vsix).filter((f) =>
      f.startsWith('extension/node_modules/onnxruntime-node/bin/'),
    );
    const foreign = native.filter((f) => !f.includes(`/${TARGETS[target]}/`));
    const own = native.filter((f) => f.includes(`/${TARGETS[target]}/`) && f.endsWith('.node'));
    const mb = (statSync(vsix).size / 1e6).toFixed(1);
    console.log(
      `${path.relative(process.cwd(), vsix)}: ${mb} MB, ${native.length} native files (${native.map((f) => path.basename(f)).join(', ')}), ${((Date.now() - t1) / 1000).toFixed(0)} s`,
    );
    if (foreign.length || !own.length) {
      bad++;
      console.error(
        `  ✖ ${target}: ${foreign.length ? `other platforms' binaries: ${foreign.join(', ')}` : 'no onnxruntime binding'}`,
      );
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`packaged in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(bad ? 1 : 0);

/** The entry names of a zip file (`unzip -Z1`). */
function listZip(file) {
  const r = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) fail(`cannot list ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}
