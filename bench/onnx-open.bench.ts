/**
 * Opening ResNet-50's ONNX file (about 100 MB of weights): our reader (decode + shapes, params
 * and MACs of every node, `readOnnxGraph`) next to decoding the same bytes with onnx-proto alone,
 * in the same run. The file is exported by torch in the setup (test/fixtures/onnx/gen_onnx.py,
 * Debian's python3-torch) into the ignored .cache/onnx-fixtures, not committed.
 *
 *   node --import tsx bench/onnx-open.bench.ts
 *
 * Prints the median of 5 runs of each after a warm-up, and their ratio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { readOnnxGraph } from '../src/interop/onnx/graph';

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'onnx-fixtures');
const file = path.join(CACHE, 'resnet50.onnx');
if (!existsSync(file)) {
  const r = spawnSync(
    '/usr/bin/python3',
    [path.join(ROOT, 'test/fixtures/onnx/gen_onnx.py'), CACHE, 'resnet50'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`gen_onnx.py resnet50 failed:\n${r.stderr}`);
}
const bytes = readFileSync(file);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function time(f: () => unknown): number {
  f();
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
const decode = time(() => onnx.ModelProto.decode(bytes));
let nodes = 0;
const ours = time(() => {
  const g = readOnnxGraph(bytes, { file: 'resnet50.onnx' });
  nodes = g.nodes.length;
  if (g.totals.trainable !== 25_557_032) throw new Error(`ResNet-50: ${g.totals.trainable} params`);
});
console.log(`ResNet-50 ONNX: ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${nodes} nodes`);
console.log(`onnx-proto decode only:           ${decode.toFixed(1)} ms`);
console.log(`readOnnxGraph (decode + shapes):  ${ours.toFixed(1)} ms`);
console.log(`ratio ours / decode:              ${(ours / decode).toFixed(2)}×`);
