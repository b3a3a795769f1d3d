/**
 * Checker speed: a full check (parse, elaborate, shapes, accounting, lints) of a generated
 * 2,000-layer model and of a 5,000-line file, and the incremental re-check the editor runs after
 * an edit inside one model (same length, and one that inserts a character so that everything
 * after it shifts). Target: < 50 ms on this machine.
 * Peer, measured in the same run: TypeScript's own parser (ts.createSourceFile) on a
 * 5,000-line TypeScript file — parse only, no type checking.
 *
 *   node --import tsx bench/check.bench.ts
 */
import ts from 'typescript';
import { clearElaborationMemo } from '../src/language/elaborate';
import { checkText, memoryHost } from '../src/language/program';
import { parse } from '../src/language/parser';
import { bigFile, bigModel, tsPeer } from './gen';

function measure(fn: () => void, runs = 30): { p50: number; min: number; max: number } {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(runs / 2)]!, min: times[0]!, max: times[runs - 1]! };
}

const host = memoryHost({}, '/ws');
const model = bigModel(2000);
const file = bigFile(5000);
const peer = tsPeer(5000);

const rModel = checkText('/ws/deep.dlm', model, host);
const rFile = checkText('/ws/big.dlm', file, host);
const errors = [...rModel.diagnostics, ...rFile.diagnostics].filter((d) => d.severity === 'error');
if (errors.length) throw new Error(`generated inputs should check cleanly: ${errors[0]!.message}`);
const nodes = rModel.models[0]!.nodes.length;
const fileNodes = rFile.models.reduce((a, m) => a + m.nodes.length, 0);

// Full checks start from empty content-keyed memo tables (what opening a file costs); the warm
// row shows a full check whose layer arguments and shape rules were seen before (a re-open).
const m = measure(() => {
  clearElaborationMemo();
  checkText('/ws/deep.dlm', model, host);
});
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

const row = (name: string, r: { p50: number; min: number; max: number }, extra = ''): void =>
  console.log(
    `${name.padEnd(52)} p50 ${r.p50.toFixed(2).padStart(7)} ms  (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})${extra}`,
  );
console.log(
  `inputs: model with ${nodes} layers (${model.split('\n').length} lines); file with ${file.split('\n').length} lines, ${rFile.models.length} models, ${fileNodes} layer nodes`,
);
row('full check, 2,000-layer model', m, m.p50 < 50 ? '  ✓ < 50 ms' : '  ✗ target 50 ms');
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
