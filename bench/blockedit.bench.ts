/**
 * In-process re-check after an edit inside the block that every model of `bigFile(5000)` uses
 * (each check re-elaborates all 200 models). Prints the first checks and p50/max over N checks.
 * MODE: space (insert/remove a space after `padding=1`), sem (`padding=1` ↔ `padding=2`),
 * grow (one more space each time: no text repeats), semnew (`padding=2, 3, 4, …`).
 *
 *   npx esbuild bench/blockedit.bench.ts --bundle --platform=node --target=node20 \
 *     --outfile=/tmp/blockedit.js && MODE=sem node /tmp/blockedit.js
 */
import { checkText, memoryHost } from '../src/language/program';
import { bigFile } from './gen';

const file = '/w/big.dlm';
let text = bigFile(5000);
const host = memoryHost({ [file]: text }, '/w');
let prev = checkText(file, text, host);
const at = text.indexOf('stride=stride, padding=1') + 'stride=stride, padding='.length;
const mode = process.env.MODE ?? 'space';
const N = Number(process.env.N ?? 40);
const times: number[] = [];
for (let i = 0; i < N; i++) {
  if (mode === 'space')
    text =
      i % 2 === 0
        ? text.slice(0, at + 1) + ' ' + text.slice(at + 1)
        : text.slice(0, at + 1) + text.slice(at + 2);
  else if (mode === 'grow') text = text.slice(0, at + 1) + ' ' + text.slice(at + 1);
  else if (mode === 'semnew')
    text = text.slice(0, at) + String(i + 2) + text.slice(text.indexOf(',', at));
  else text = text.slice(0, at) + (i % 2 === 0 ? '2' : '1') + text.slice(at + 1);
  const t0 = performance.now();
  prev = checkText(file, text, host, prev);
  times.push(performance.now() - t0);
}
console.log(
  `first ${times
    .slice(0, 6)
    .map((x) => x.toFixed(0))
    .join(' ')} ms`,
);
times.sort((a, b) => a - b);
console.log(
  `${mode}: p50 ${times[N >> 1]!.toFixed(1)} ms, max ${times[N - 1]!.toFixed(1)} ms, ${prev.diagnostics.length} diagnostics`,
);
