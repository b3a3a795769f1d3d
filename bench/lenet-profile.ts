/**
 * Per-node profile of a training step of the benchmark models (the graphs bench/train.bench.ts
 * times; LeNet-5 batch 64 by default), from onnxruntime's own profiler (bench/profile.ts): kernel
 * time per op type with its share, the matrix products' rate, and the slowest nodes. On a shared
 * machine the shares are the result; absolute times move with the load.
 *
 *   node --import tsx bench/lenet-profile.ts [--model lenet|charlstm|mlp] [--batch N] [--threads N] [--steps N] [--level all|basic|extended|disabled] [--out file.onnx]
 *       [--graph saved.onnx]   (profile a step graph saved earlier, e.g. by bench/step-ab.ts --save)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PROFILE_SPECS, isProduct, profileStep } from './profile';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const THREADS = Number(opt('threads') ?? 2);
const STEPS = Number(opt('steps') ?? 200);
const LEVEL = (opt('level') ?? 'all') as 'all' | 'basic' | 'extended' | 'disabled';
const key = (opt('model') ?? 'lenet') as keyof typeof PROFILE_SPECS;
const base = PROFILE_SPECS[key];
if (!base) throw new Error(`--model must be one of ${Object.keys(PROFILE_SPECS).join(', ')}`);
const SPEC = { ...base, batch: Number(opt('batch') ?? base.batch) };

async function main() {
  const out = opt('out');
  const p = await profileStep(SPEC, {
    steps: STEPS,
    threads: THREADS,
    level: LEVEL,
    out: out ? (bytes) => writeFileSync(out, bytes) : undefined,
    graph: opt('graph') ? readFileSync(opt('graph')!) : undefined,
  });
  const pct = (ms: number) => `${((100 * ms) / p.kernelMs).toFixed(1)}%`.padStart(6);
  console.log(
    `${SPEC.model} batch ${SPEC.batch}, level ${LEVEL}, threads ${THREADS}: wall ${p.wallMs.toFixed(3)} ms/step, kernels ${p.kernelMs.toFixed(3)} ms/step, ${p.nodes.length} nodes`,
  );
  const products = p.nodes.filter(isProduct);
  const pMs = products.reduce((a, n) => a + n.ms, 0);
  const pFlops = products.reduce((a, n) => a + n.flops, 0);
  console.log(
    `matrix products: ${products.length} nodes, ${(pFlops / 1e9).toFixed(3)} GFLOP per step, ${pct(pMs).trim()} of the kernel time, ${(pFlops / (pMs * 1e6)).toFixed(1)} GFLOP/s under the profiler`,
  );
  console.log('\nby op type (ms/step, share of the kernel time):');
  for (const o of p.byOp)
    console.log(`  ${o.op.padEnd(24)} ${o.ms.toFixed(3)} ${pct(o.ms)}  (${o.nodes} nodes)`);
  console.log('\nslowest nodes (ms/step, share):');
  for (const n of p.nodes.slice(0, 25))
    console.log(
      `  ${n.ms.toFixed(3)} ${pct(n.ms)}  ${n.op.padEnd(16)} ${n.name.padEnd(22)} ${n.shapes.length > 120 ? `${n.shapes.slice(0, 117)}…` : n.shapes}${n.flops ? `  ${(n.flops / (n.ms * 1e6)).toFixed(1)} GFLOP/s` : ''}`,
    );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
