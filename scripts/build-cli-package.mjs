#!/usr/bin/env node
// Builds the npm package of the `dlm` command in packages/cli: the CLI and the trainer bundled and
// minified into packages/cli/dist/ (everything below the engine is pure TypeScript), with
// onnxruntime-node as the package's only dependency and nothing of VS Code.
//
// Usage: node scripts/build-cli-package.mjs [--pack DIR]
//   --pack DIR  also run `npm pack` and write the tarball into DIR (prints its path last)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(root, 'packages', 'cli');
const dist = path.join(pkgDir, 'dist');

const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const cliPkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
// One version: the CLI package is released with the extension.
if (cliPkg.version !== rootPkg.version)
  fail(`packages/cli/package.json has version ${cliPkg.version}, package.json ${rootPkg.version}`);
const ort = rootPkg.dependencies['onnxruntime-node'];
if (cliPkg.dependencies['onnxruntime-node'] !== ort)
  fail(
    `packages/cli depends on onnxruntime-node ${cliPkg.dependencies['onnxruntime-node']}, the extension on ${ort}`,
  );

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const [entry, out] of [
  ['src/cli/main.ts', 'cli.js'],
  ['src/engine/trainer.ts', 'trainer.js'],
]) {
  const r = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(dist, out),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // onnxruntime-node is native (the package's dependency); `vscode` must never be reached
    external: ['onnxruntime-node'],
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(r.metafile.inputs);
  const bad = inputs.filter((f) =>
    /(^|\/)(node_modules\/(vscode-|@vscode\/)|src\/extension\/)/.test(f),
  );
  if (bad.length) fail(`${entry} pulls in editor code: ${bad.join(', ')}`);
}
copyFileSync(path.join(root, 'LICENSE'), path.join(pkgDir, 'LICENSE'));
console.log(
  `built ${path.relative(root, dist)}/cli.js and trainer.js (dlm-studio ${cliPkg.version})`,
);

const packAt = process.argv.indexOf('--pack');
if (packAt >= 0) {
  const dest = path.resolve(process.argv[packAt + 1] ?? '.');
  mkdirSync(dest, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--json', '--pack-destination', dest], {
    cwd: pkgDir,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) fail(`npm pack failed: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout);
  console.log(
    `${info.files.length} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked`,
  );
  console.log(path.join(dest, info.filename));
}

function fail(message) {
  console.error(`build-cli-package: ${message}`);
  process.exit(1);
}
