/**
 * Per-node profile of a training step of the benchmark models (the graphs bench/train.bench.ts
 * times; LeNet-5 batch 64 by default), from onnxruntime's own profiler: total time per op type
 * and the slowest nodes.
 *
 *   node --import tsx bench/lenet-profile.ts [--model lenet|charlstm|mlp] [--batch N] [--threads N] [--steps N] [--level all|basic|extended|disabled] [--out file.onnx]
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { benchProgram } from './programs';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const THREADS = Number(opt('threads') ?? 2);
const STEPS = Number(opt('steps') ?? 200);
const LEVEL = (opt('level') ?? 'all') as 'all' | 'basic' | 'extended' | 'disabled';
const MODELS: Record<
  string,
  { model: string; batch: number; sample: number[]; classes: number; targetShape: number[] }
> = {
  lenet: { model: 'LeNet', batch: 64, sample: [1, 28, 28], classes: 10, targetShape: [] },
  charlstm: { model: 'CharLSTM', batch: 32, sample: [64], classes: 64, targetShape: [64] },
  mlp: { model: 'MLP', batch: 128, sample: [784], classes: 10, targetShape: [] },
};
const SPEC = MODELS[opt('model') ?? 'lenet']!;
if (!SPEC) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
const BATCH = Number(opt('batch') ?? SPEC.batch);

async function main() {
  const { prog, bytes, dir } = benchProgram(SPEC.model, {
    batch: BATCH,
    sample: SPEC.sample,
    classes: SPEC.classes,
    targetShape: SPEC.targetShape,
  });
  const out = opt('out');
  if (out) writeFileSync(out, bytes);
  const profPrefix = path.join(dir, 'ort');
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: LEVEL,
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: profPrefix,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  let s = 1;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const feeds: Record<string, ort.Tensor> = {};
  const nx = BATCH * SPEC.sample.reduce((a, b) => a * b, 1);
  feeds[prog.inputs.x.name] =
    prog.inputs.x.dtype === 'int64'
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: nx }, (_, i) => BigInt(i % SPEC.classes)),
          [BATCH, ...SPEC.sample],
        )
      : new ort.Tensor('float32', Float32Array.from({ length: nx }, rnd), [BATCH, ...SPEC.sample]);
  const ny = BATCH * SPEC.targetShape.reduce((a, b) => a * b, 1);
  feeds[prog.inputs.y!.name] = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: ny }, (_, i) => BigInt((i * 7) % SPEC.classes)),
    [BATCH, ...SPEC.targetShape],
  );
  for (const p of prog.params) feeds[p.name] = new ort.Tensor('float32', p.init, [...p.shape]);
  for (const st of prog.state) feeds[st.name] = new ort.Tensor('float32', st.init, [...st.shape]);
  feeds.lr = new ort.Tensor('float32', Float32Array.of(0.01), []);
  for (let i = 0; i < 20; i++) await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) await session.run(feeds);
  const wall = (performance.now() - t0) / STEPS;
  session.endProfiling();
  const profName = readdirSync(dir).find((f) => f.startsWith('ort') && f.endsWith('.json'))!;
  const profFile = path.join(dir, profName);
  const events = JSON.parse(readFileSync(profFile, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
  }[];
  const byNode = new Map<string, { op: string; us: number; n: number; shapes: string }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const shapes = (e.args?.input_type_shape ?? [])
      .map((t) => `[${Object.values(t)[0]?.join(',') ?? ''}]`)
      .join(' ');
    const r = byNode.get(name) ?? { op: e.args?.op_name ?? '?', us: 0, n: 0, shapes };
    r.us += e.dur;
    r.n++;
    byNode.set(name, r);
  }
  const runs = STEPS + 20;
  const byOp = new Map<string, { us: number; nodes: number }>();
  let total = 0;
  for (const r of byNode.values()) {
    const o = byOp.get(r.op) ?? { us: 0, nodes: 0 };
    o.us += r.us / runs;
    o.nodes++;
    byOp.set(r.op, o);
    total += r.us / runs;
  }
  console.log(
    `level ${LEVEL}, threads ${THREADS}: wall ${wall.toFixed(3)} ms/step, kernels ${(total / 1000).toFixed(3)} ms/step, ${byNode.size} nodes`,
  );
  console.log('\nby op type (ms/step):');
  for (const [op, o] of [...byOp].sort((a, b) => b[1].us - a[1].us))
    console.log(`  ${op.padEnd(24)} ${(o.us / 1000).toFixed(3)}  (${o.nodes} nodes)`);
  console.log('\nslowest nodes (ms/step):');
  for (const [name, r] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 25))
    console.log(
      `  ${(r.us / runs / 1000).toFixed(3)}  ${r.op.padEnd(16)} ${name.padEnd(22)} ${r.shapes}`,
    );
  await session.release();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
