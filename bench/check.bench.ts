/**
 * Checker speed: a full check (parse, elaborate, shapes, accounting, lints) of a generated
 * 2,000-layer model and of a 5,000-line file, and the incremental re-check the editor runs after
 * an edit inside one model (same length, and one that inserts a character so that everything
 * after it shifts). Targets: the incremental re-checks < 50 ms; the full check of the 2,000-layer
 * model ≤ 10 ms (issue #17). Each row also says how much of its time went to V8's garbage
 * collector (PerformanceObserver 'gc' entries inside the measured runs): the profile behind a
 * missed target.
 * Peer, measured in the same run: TypeScript's own parser (ts.createSourceFile) on a
 * 5,000-line TypeScript file — parse only, no type checking.
 *
 * The checker is measured as the language server runs it: bundled by esbuild with the options
 * of esbuild.mjs, not through tsx. tsx keeps function names by wrapping every function it
 * creates in a `__name` call, and that took 8.7% of a CPU profile of the 2,000-layer check.
 * The young generation matters too: the server runs with `--max-semi-space-size=4`
 * (SERVER_NODE_FLAGS, for its memory). Pass the flag to measure under it.
 *
 *   node --import tsx bench/check.bench.ts
 *   node --max-semi-space-size=4 --import tsx bench/check.bench.ts   (the server's young generation)
 */
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import ts from 'typescript';
import { bigFile, bigModel, tsPeer } from './gen';

type Checker = typeof import('../src/language/program') &
  typeof import('../src/language/elaborate') &
  typeof import('../src/language/parser');

/** src/language bundled as esbuild.mjs bundles the server (no keepNames, node20, CommonJS). */
function bundledChecker(): Checker {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-check-bench-'));
  const outfile = path.join(dir, 'checker.js');
  try {
    buildSync({
      stdin: {
        contents: [
          "export { checkText, memoryHost } from './src/language/program';",
          "export { clearElaborationMemo } from './src/language/elaborate';",
          "export { parse } from './src/language/parser';",
        ].join('\n'),
        resolveDir: path.resolve(__dirname, '..'),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    return createRequire(__filename)(outfile) as Checker;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const { checkText, memoryHost, clearElaborationMemo, parse } = bundledChecker();

interface Measured {
  p50: number;
  min: number;
  max: number;
  /** The measured runs, [start, end] in performance.now() ms: GC entries are matched to them. */
  windows: [number, number][];
}

function measure(fn: () => void, runs = 30): Measured {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const times: number[] = [];
  const windows: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    const t1 = performance.now();
    times.push(t1 - t0);
    windows.push([t0, t1]);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(runs / 2)]!, min: times[0]!, max: times[runs - 1]!, windows };
}

// Every garbage collection of the run (delivered asynchronously, matched to the runs at the end).
const gcs: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

/** The share of the measured runs' time that V8 spent collecting garbage. */
function gcShare(r: Measured): number {
  let gc = 0;
  let total = 0;
  for (const [a, b] of r.windows) {
    total += b - a;
    for (const g of gcs) if (g.start >= a && g.start < b) gc += Math.min(g.duration, b - g.start);
  }
  return total > 0 ? gc / total : 0;
}

const host = memoryHost({}, '/ws');
const model = bigModel(2000);
const file = bigFile(5000);
const peer = tsPeer(5000);

const rModel = checkText('/ws/deep.dlm', model, host);
const modelErrors = rModel.diagnostics.filter((d) => d.severity === 'error');
if (modelErrors.length) throw new Error(`generated model: ${modelErrors[0]!.message}`);
const nodes = rModel.models[0]!.nodes.length;

// Full checks start from empty content-keyed memo tables (what opening a file costs); the warm
// row shows a full check whose layer arguments and shape rules were seen before (a re-open).
// The 2,000-layer model is measured before the 5,000-line file is checked at all: held in the
// heap, that file's result (about 50 MB) would make every collection during the model's runs
// slower, and the row would measure the other file.
const m = measure(() => {
  clearElaborationMemo();
  checkText('/ws/deep.dlm', model, host);
});
const rFile = checkText('/ws/big.dlm', file, host);
const fileErrors = rFile.diagnostics.filter((d) => d.severity === 'error');
if (fileErrors.length) throw new Error(`generated file: ${fileErrors[0]!.message}`);
const fileNodes = rFile.models.reduce((a, m) => a + m.nodes.length, 0);
const f = measure(() => {
  clearElaborationMemo();
  checkText('/ws/big.dlm', file, host);
});
const fWarm = measure(() => checkText('/ws/big.dlm', file, host));
const p = measure(() => parse(file, '/ws/big.dlm'));
// What the editor does on a keystroke: re-check with the previous result (one model changes).
const base = checkText('/ws/big.dlm', file, host);
const mid = file.indexOf('Dropout(0.1)', Math.floor(file.length / 2));
let flip = false;
const inc = measure(() => {
  flip = !flip;
  const edited =
    file.slice(0, mid) + (flip ? 'Dropout(0.2)' : 'Dropout(0.3)') + file.slice(mid + 12);
  checkText('/ws/big.dlm', edited, host, base);
});
// Typing changes the length: everything after the edit shifts (same model, a digit inserted).
let typed = false;
const incTyped = measure(() => {
  typed = !typed;
  const edited =
    file.slice(0, mid) + (typed ? 'Dropout(0.15)' : 'Dropout(0.1)') + file.slice(mid + 12);
  checkText('/ws/big.dlm', edited, host, base);
});
const t = measure(() => ts.createSourceFile('peer.ts', peer, ts.ScriptTarget.Latest, true));

// The GC entries arrive asynchronously: report once they have.
setTimeout(() => {
  console.log(
    `checker: src/language bundled by esbuild; node ${process.version} ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ') || '(default heap flags)'}`,
  );
  const row = (name: string, r: Measured, extra = ''): void =>
    console.log(
      `${name.padEnd(52)} p50 ${r.p50.toFixed(2).padStart(7)} ms  (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)}; GC ${(100 * gcShare(r)).toFixed(0)}%)${extra}`,
    );
  console.log(
    `inputs: model with ${nodes} layers (${model.split('\n').length} lines); file with ${file.split('\n').length} lines, ${rFile.models.length} models, ${fileNodes} layer nodes`,
  );
  row('full check, 2,000-layer model', m, m.p50 <= 10 ? '  ✓ ≤ 10 ms' : '  ✗ target 10 ms');
  row('full check, 5,000-line file', f, f.p50 < 50 ? '  ✓ < 50 ms' : '  ✗ target 50 ms');
  row('full check, 5,000-line file, warm memo tables', fWarm);
  row(
    're-check after an edit, 5,000-line file (incremental)',
    inc,
    inc.p50 < 50 ? '  ✓ < 50 ms' : '  ✗ target 50 ms',
  );
  row(
    're-check after typing a character (length changes)',
    incTyped,
    incTyped.p50 < 50 ? '  ✓ < 50 ms' : '  ✗ target 50 ms',
  );
  row('parse only, 5,000-line .dlm file', p);
  row('peer: TypeScript createSourceFile, 5,000-line .ts', t);
  console.log(
    `ratio: our full check of 5,000 lines takes ${(f.p50 / t.p50).toFixed(2)}× the time TypeScript needs just to parse 5,000 lines; our parser is ${(t.p50 / p.p50).toFixed(2)}× as fast as TypeScript's`,
  );
}, 100);
