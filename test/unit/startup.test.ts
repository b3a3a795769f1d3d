/**
 * What a cold open of a `.dlm` loads (docs/decisions/0021-editor-latency.md): the extension's
 * activation bundle holds the language client and the editor glue, not the layer catalog, the
 * ONNX protobuf code or the trainer's modules; the lazily loaded bundles' commands all have
 * stand-ins at activation; and the language server starts from a V8 code cache once it has one.
 * No timing is asserted here (bench/vscode-latency.mjs measures it).
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { runCached } from '../../src/server/codeCache';
import { EXPORT_COMMANDS, TRAINING_COMMANDS } from '../../src/extension/lazyModules';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** The source files esbuild puts into a bundle of `entry`, as esbuild.mjs builds it. */
async function bundleInputs(entry: string): Promise<string[]> {
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    external: ['vscode', 'onnxruntime-node', 'mocha'],
    outfile: path.join(tmpdir(), 'dlm-startup-test.js'),
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs);
}

test('the activation bundle leaves out the catalog, ONNX protobufs, the engine and training', async () => {
  const inputs = await bundleInputs('src/extension/extension.ts');
  assert.ok(inputs.some((f) => f.includes('vscode-languageclient')));
  const heavy = inputs.filter((f) =>
    /src\/(layers|primitives|compiler|interop|engine)\/|onnx-proto|protobufjs|src\/extension\/(training|export|trainingFeed)\.ts/.test(
      f,
    ),
  );
  assert.deepEqual(
    heavy,
    [],
    'loaded at activation although only training, export or the checker need it',
  );
});

test('the training and export bundles are built on their own (esbuild.mjs)', () => {
  const build = readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8');
  assert.match(build, /'src\/extension\/training\.ts', 'dist\/extension-training\.js'/);
  assert.match(build, /'src\/extension\/export\.ts', 'dist\/extension-export\.js'/);
  assert.match(build, /'src\/server\/boot\.ts', 'dist\/server-boot\.js'/);
});

/** The command ids a module registers with vscode.commands.registerCommand. */
function registeredCommands(file: string): string[] {
  const src = readFileSync(path.join(ROOT, file), 'utf8');
  return [...src.matchAll(/registerCommand\(\s*'([^']+)'/g)].map((m) => m[1]!).sort();
}

test('every command of the lazily loaded modules has a stand-in at activation', () => {
  assert.deepEqual(registeredCommands('src/extension/training.ts'), [...TRAINING_COMMANDS].sort());
  assert.deepEqual(registeredCommands('src/extension/export.ts'), [...EXPORT_COMMANDS].sort());
});

test('a bundle runs as require() would, and from its V8 code cache the next time', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-code-cache-'));
  try {
    const bundle = path.join(dir, 'bundle.js');
    const cacheDir = path.join(dir, 'cache');
    const body = (n: number): string =>
      `globalThis.__dlmCodeCacheTest = [require('node:path').basename(__filename), __dirname, typeof module.exports, ${n}];\n` +
      `function f${n}() { return ${n}; }\nmodule.exports = f${n};\n`;
    writeFileSync(bundle, body(1));
    const g = globalThis as { __dlmCodeCacheTest?: unknown[] };

    const first = runCached(bundle, cacheDir, 0);
    assert.deepEqual(g.__dlmCodeCacheTest, ['bundle.js', dir, 'object', 1]);
    assert.equal(first.usedCache, false);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(first.cache && existsSync(first.cache), 'the cache is written after the start');

    const second = runCached(bundle, cacheDir, 0);
    assert.equal(second.usedCache, true, 'the second start reads the cache');
    assert.equal(second.cache, first.cache);

    // A new build: another cache file, and the old one is removed when it is written.
    writeFileSync(bundle, body(22));
    const third = runCached(bundle, cacheDir, 0);
    assert.deepEqual(g.__dlmCodeCacheTest, ['bundle.js', dir, 'object', 22]);
    assert.equal(third.usedCache, false);
    assert.notEqual(third.cache, first.cache);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(readdirSync(cacheDir), [path.basename(third.cache!)]);

    // No cache folder (or one that cannot be written): the bundle still runs.
    const none = runCached(bundle, undefined, 0);
    assert.equal(none.usedCache, false);
    assert.equal(none.cache, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
