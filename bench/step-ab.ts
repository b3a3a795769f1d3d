/**
 * Interleaved A/B of two training-step graphs of one benchmark model (the graphs
 * bench/train.bench.ts times), next to a 512³ MatMul peak measured in the same rounds, so that a
 * shared, loaded machine slows A, B and the peak alike.
 *
 *   node --import tsx bench/step-ab.ts --model charlstm --save before.onnx
 *       writes the step graph the current compiler builds;
 *   node --import tsx bench/step-ab.ts --model charlstm --a before.onnx [--b after.onnx] [--rounds 15]
 *       times A and B (default: the current compiler's graph) alternately, rounds of 5 steps each,
 *       and prints best and median ms per step, the fraction of the peak, and the median CPU time
 *       per step (user + system of all threads: preemption by other processes hardly moves it).
 *
 * Both graphs must take the same inputs (parameter and state names, shapes): a change of the
 * lowering or of the autodiff keeps them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/compiler/ir';
import { serialize } from '../src/compiler/onnx';
import { PROFILE_SPECS, stepFeeds } from './profile';
import { benchProgram } from './programs';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
/** Multiply-adds of one sample's forward pass (as bench/train.bench.ts counts them). */
const MACS: Record<string, number> = {
  lenet: 6 * 25 * 784 + 16 * 150 * 100 + 400 * 120 + 120 * 84 + 84 * 10,
  charlstm: 64 * (64 * 512 + 128 * 512 + 128 * 64),
  mlp: 784 * 256 + 256 * 128 + 128 * 10,
};
const key = opt('model') ?? 'charlstm';
const SPEC = PROFILE_SPECS[key as keyof typeof PROFILE_SPECS];
if (!SPEC) throw new Error(`--model must be one of ${Object.keys(PROFILE_SPECS).join(', ')}`);
const ROUNDS = Number(opt('rounds') ?? 15);
const STEPS = 5;
const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

async function main() {
  const { prog, bytes } = benchProgram(SPEC!.model, SPEC!);
  const save = opt('save');
  if (save) {
    writeFileSync(save, bytes);
    console.log(`wrote ${save} (${bytes.length} bytes)`);
    return;
  }
  const a = opt('a');
  if (!a) throw new Error('--a <file.onnx> (or --save <file.onnx>)');
  const bFile = opt('b');
  const feeds = stepFeeds(prog, SPEC!, 5);
  const { batch } = SPEC!;
  let seed = 2;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;

  const sessA = await ort.InferenceSession.create(readFileSync(a), options);
  const sessB = await ort.InferenceSession.create(bFile ? readFileSync(bFile) : bytes, options);
  const g = new Graph();
  const ma = g.input('a', [512, 512]);
  const mb = g.input('b', [512, 512]);
  g.output('c', g.op('matmul', [ma, mb]));
  const mm = await ort.InferenceSession.create(serialize(g), options);
  const mmFeeds = {
    a: new ort.Tensor('float32', Float32Array.from({ length: 512 * 512 }, rnd), [512, 512]),
    b: new ort.Tensor('float32', Float32Array.from({ length: 512 * 512 }, rnd), [512, 512]),
  };
  // Same results from both graphs (one step from the same parameters).
  const [ra, rb] = [await sessA.run(feeds), await sessB.run(feeds)];
  let maxRel = 0;
  for (const name of sessA.outputNames) {
    const x = ra[name]!.data as Float32Array;
    const y = rb[name]?.data as Float32Array | undefined;
    if (!y || !(x instanceof Float32Array)) continue;
    for (let i = 0; i < x.length; i++)
      maxRel = Math.max(maxRel, Math.abs(x[i]! - y[i]!) / (1e-3 + Math.abs(x[i]!)));
  }
  // Wall time per step, and the process's CPU time (user + system, all of onnxruntime's
  // threads) per step: preemption by other processes stretches the first, hardly the second.
  const cpu = new Map<() => Promise<unknown>, number[]>();
  const time = async (run: () => Promise<unknown>, n: number) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await run();
    const ms = (performance.now() - t0) / n;
    const c = process.cpuUsage(c0);
    cpu.set(run, [...(cpu.get(run) ?? []), (c.user + c.system) / 1000 / n]);
    return ms;
  };
  const runA = () => sessA.run(feeds);
  const runB = () => sessB.run(feeds);
  const runMm = () => mm.run(mmFeeds);
  for (let i = 0; i < 3; i++) {
    await runA();
    await runB();
    await runMm();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const tp: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which graph goes first, so that neither always follows the MatMul.
    if (r % 2 === 0) {
      ta.push(await time(runA, STEPS));
      tb.push(await time(runB, STEPS));
    } else {
      tb.push(await time(runB, STEPS));
      ta.push(await time(runA, STEPS));
    }
    tp.push(await time(runMm, STEPS));
  }
  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  const flops = 6 * MACS[key]! * batch;
  const peak = (2 * 512 ** 3) / (best(tp) * 1e6);
  const pct = (ms: number) => `${((100 * flops) / (ms * 1e6) / peak).toFixed(1)}%`;
  console.log(
    `${SPEC!.model} batch ${batch}, ${ROUNDS} interleaved rounds of ${STEPS} steps; max relative difference of the outputs ${maxRel.toExponential(2)}`,
  );
  console.log(
    `  A ${a}: best ${best(ta).toFixed(3)} ms (${pct(best(ta))} of peak), median ${median(ta).toFixed(3)} ms (${pct(median(ta))})`,
  );
  console.log(
    `  B ${bFile ?? '(current compiler)'}: best ${best(tb).toFixed(3)} ms (${pct(best(tb))} of peak), median ${median(tb).toFixed(3)} ms (${pct(median(tb))})`,
  );
  console.log(
    `  B ÷ A: best ${(best(tb) / best(ta)).toFixed(3)}, median ${(median(tb) / median(ta)).toFixed(3)}; per-round median of B/A ${median(tb.map((x, i) => x / ta[i]!)).toFixed(3)}`,
  );
  const [ca, cb, cp] = [runA, runB, runMm].map((f) => cpu.get(f)!) as [
    number[],
    number[],
    number[],
  ];
  console.log(
    `  CPU time per step (both threads), median: A ${median(ca).toFixed(3)} ms, B ${median(cb).toFixed(3)} ms, B ÷ A ${(median(cb) / median(ca)).toFixed(3)}; MatMul 512³ ${median(cp).toFixed(3)} ms`,
  );
  console.log(
    `  MatMul 512³ peak: best ${best(tp).toFixed(3)} ms = ${peak.toFixed(1)} GFLOP/s, median ${((2 * 512 ** 3) / (median(tp) * 1e6)).toFixed(1)} GFLOP/s`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
