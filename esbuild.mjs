// Bundles every entry point that exists. `node esbuild.mjs [--watch] [--production]`.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** [entry, outfile, platform, format] */
const entries = [
  ['src/cli/main.ts', 'dist/cli.js', 'node', 'cjs'],
  ['src/extension/extension.ts', 'dist/extension.js', 'node', 'cjs'],
  // loaded on first use by src/extension/optional.ts, not at activation
  ['src/extension/training.ts', 'dist/extension-training.js', 'node', 'cjs'],
  ['src/extension/export.ts', 'dist/extension-export.js', 'node', 'cjs'],
  ['src/server/server.ts', 'dist/server.js', 'node', 'cjs'],
  ['src/server/boot.ts', 'dist/server-boot.js', 'node', 'cjs'],
  ['src/engine/trainer.ts', 'dist/trainer.js', 'node', 'cjs'],
  ['webview/graph/main.ts', 'dist/webview/graph.js', 'browser', 'iife'],
  ['webview/graph/layout.worker.ts', 'dist/webview/graph-layout.js', 'browser', 'iife'],
  ['webview/dashboard/main.ts', 'dist/webview/dashboard.js', 'browser', 'iife'],
  ['webview/compare/main.ts', 'dist/webview/compare.js', 'browser', 'iife'],
  ['test/integration/index.ts', 'dist/test/integration/index.js', 'node', 'cjs'],
  // The web extension (vscode.dev): its extension host loads CommonJS; the server is a worker.
  ['src/extension/browser.ts', 'dist/web/extension.js', 'browser', 'cjs'],
  ['src/server/browser.ts', 'dist/web/server.js', 'browser', 'iife'],
].filter(([entry]) => existsSync(entry));

const contexts = await Promise.all(
  entries.map(([entry, outfile, platform, format]) =>
    esbuild.context({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform,
      format,
      target: platform === 'node' ? 'node20' : 'es2022',
      sourcemap: !production,
      minify: production,
      external: ['vscode', 'onnxruntime-node', 'mocha'],
      logLevel: 'warning',
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`esbuild: watching ${entries.length} entries`);
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  console.log(`esbuild: built ${entries.length} entries`);
}
