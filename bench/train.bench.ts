/**
 * Benchmark: training steps per second and GFLOP/s of three models compiled by our compiler
 * (src/compiler/program.ts → one ONNX graph per step, run in onnxruntime-node), side by side in
 * one run with the same thread count against
 * - @tensorflow/tfjs with the wasm backend (SIMD; binaries loaded from node_modules) and the cpu
 *   backend,
 * - PyTorch CPU through Debian's /usr/bin/python3 (python3-torch) running bench/torch_peer.py,
 * and the fraction of this machine's peak measured by a large MatMul (1024³) in onnxruntime.
 *
 * Models (SGD lr 0.01, softmax cross-entropy):
 * - MLP 784-256-128-10 (ReLU), batch 128;
 * - LeNet-5 on 28×28 (Conv 6@5×5 pad 2, ReLU, MaxPool 2, Conv 16@5×5, ReLU, MaxPool 2,
 *   120-84-10 ReLU), batch 64;
 * - char-LSTM: Embedding(64, 64) → LSTM(128), T = 64 → Dense(64) per step, batch 32.
 * FLOPs per step = 3 × forward (2 per multiply-add; backward ≈ 2 × forward).
 *
 *   node --import tsx bench/train.bench.ts [--threads N] [--quick] [--spin] [--only mlp,lenet,charlstm]
 *                                          [--scale 16,32,…] [--no-scale] [--ours-only]
 *
 * --spin lets onnxruntime's intra-op workers spin between kernels (onnxruntime's default; the
 * trainer turns it off).
 *
 * Also measured: ours with the updated parameters and optimizer state written by onnxruntime
 * straight into two preallocated buffers per tensor that alternate between steps (`fetches`;
 * onnxruntime-node has no I/O binding that keeps values on its side), and the scale curves:
 * our step time for batch 16 … 512 (--scale), each next to the MatMul peak re-measured in the
 * same round.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/compiler/ir';
import { serialize, opHistogram } from '../src/compiler/onnx';
import { benchProgram } from './programs';
import {
  PROFILE_SPECS,
  describeShares,
  ioFloor,
  isProduct,
  productFloor,
  profileStep,
  restFloor,
} from './profile';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const THREADS = Number(opt('threads') ?? 2);
const QUICK = argv.includes('--quick');
const ONLY = opt('only')?.split(',');
const MIN_MS = QUICK ? 600 : 1500;
const ROUNDS = QUICK ? 1 : 3;
const SPIN = argv.includes('--spin');
const SCALE = !argv.includes('--no-scale');
const PEERS = !argv.includes('--ours-only');
const SCALE_BATCHES = (opt('scale') ?? '16,32,64,128,256,512').split(',').map(Number);

// ------------------------------------------------------------------------------ the models

interface Spec {
  readonly key: 'mlp' | 'lenet' | 'charlstm';
  readonly label: string;
  readonly model: string;
  readonly batch: number;
  readonly sample: number[];
  /** Multiply-adds of one sample's forward pass. */
  readonly macs: number;
  /** Input ids (int) and per-position targets. */
  readonly seq?: { T: number; vocab: number };
}

const SPECS: Spec[] = [
  {
    key: 'mlp',
    label: 'MLP 784-256-128-10, batch 128',
    model: 'MLP',
    batch: 128,
    sample: [784],
    macs: 784 * 256 + 256 * 128 + 128 * 10,
  },
  {
    key: 'lenet',
    label: 'LeNet-5 28×28, batch 64',
    model: 'LeNet',
    batch: 64,
    sample: [1, 28, 28],
    macs: 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10,
  },
  {
    key: 'charlstm',
    label: 'char-LSTM T=64 H=128, batch 32',
    model: 'CharLSTM',
    batch: 32,
    sample: [64],
    macs: 64 * (4 * 128 * (64 + 128)) + 64 * 128 * 64,
    seq: { T: 64, vocab: 64 },
  },
].filter((s) => !ONLY || ONLY.includes(s.key)) as Spec[];

const flopsPerStep = (s: Spec) => 3 * 2 * s.macs * s.batch;

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** Median ms of `fn` over at least `minMs` and 10 calls (5 warm-up calls first). */
async function timeIt(fn: () => Promise<unknown> | unknown, minMs: number, warmup = 5) {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || times.length < 10) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
    if (times.length >= 3 && performance.now() - t0 > 20 * minMs) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// ------------------------------------------------------------------------------ ours

const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  // As the trainer does (src/engine/loop.ts): no spinning intra-op workers.
  extra: { session: { intra_op: { allow_spinning: SPIN ? '1' : '0' } } },
};

interface Runner {
  step(): Promise<unknown> | unknown;
  info?: string;
  release?(): Promise<void> | void;
}

async function ours(spec: Spec, o: { prealloc?: boolean } = {}): Promise<Runner> {
  // What the trainer runs: the compiler's program as src/engine/compile.ts registers it.
  const { prog, bytes, compileMs } = benchProgram(spec.model, {
    batch: spec.batch,
    sample: spec.sample,
    classes: spec.seq ? spec.seq.vocab : 10,
    targetShape: spec.seq ? [spec.seq.T] : [],
  });
  const t1 = performance.now();
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  const sessionMs = performance.now() - t1;
  const rnd = lcg(7);
  const feeds: Record<string, ort.Tensor> = {};
  const n = spec.batch * spec.sample.reduce((a, b) => a * b, 1);
  const x = prog.inputs.x;
  feeds[x.name] =
    x.dtype === 'int64'
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: n }, (_, i) => BigInt(i % spec.seq!.vocab)),
          [spec.batch, ...spec.sample],
        )
      : new ort.Tensor('float32', Float32Array.from({ length: n }, rnd), [
          spec.batch,
          ...spec.sample,
        ]);
  const y = prog.inputs.y!;
  const ny = spec.batch * (spec.seq ? spec.seq.T : 1);
  feeds[y.name] = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: ny }, (_, i) => BigInt((i * 7) % (spec.seq?.vocab ?? 10))),
    [spec.batch, ...y.sampleShape],
  );
  for (const p of prog.params) feeds[p.name] = new ort.Tensor('float32', p.init, [...p.shape]);
  for (const s of prog.state) feeds[s.name] = new ort.Tensor('float32', s.init, [...s.shape]);
  feeds.lr = new ort.Tensor('float32', Float32Array.of(0.01), []);
  const hist = opHistogram(bytes);
  const nodes = Object.values(hist).reduce((a, b) => a + b, 0);
  const carried = [...prog.params, ...prog.state];
  // The other buffer of each carried tensor: onnxruntime writes the step's result into it.
  const spare = new Map<string, ort.Tensor>(
    carried.map((t) => [
      t.output,
      new ort.Tensor('float32', new Float32Array(t.init.length), [...t.shape]),
    ]),
  );
  const fetches: Record<string, ort.Tensor | null> = {};
  return {
    async step() {
      if (!o.prealloc) {
        const out = await session.run(feeds);
        for (const t of carried) feeds[t.name] = out[t.output]!;
        return;
      }
      for (const name of session.outputNames) fetches[name] = spare.get(name) ?? null;
      await session.run(feeds, fetches);
      for (const t of carried) {
        const next = spare.get(t.output)!;
        spare.set(t.output, feeds[t.name]!);
        feeds[t.name] = next;
      }
    },
    info: `compile ${compileMs.toFixed(0)} ms, session ${sessionMs.toFixed(0)} ms, ${nodes} ONNX nodes, ${(bytes.length / 1024).toFixed(0)} KiB`,
    release: () => session.release(),
  };
}

async function matmulPeak(nn: number): Promise<{ run: () => Promise<unknown>; flops: number }> {
  const g = new Graph();
  const a = g.input('a', [nn, nn]);
  const b = g.input('b', [nn, nn]);
  g.output('c', g.op('matmul', [a, b]));
  const session = await ort.InferenceSession.create(serialize(g), sessionOptions);
  const rnd = lcg(3);
  const feeds = {
    a: new ort.Tensor('float32', Float32Array.from({ length: nn * nn }, rnd), [nn, nn]),
    b: new ort.Tensor('float32', Float32Array.from({ length: nn * nn }, rnd), [nn, nn]),
  };
  return { run: () => session.run(feeds), flops: 2 * nn ** 3 };
}

/**
 * The machine's peak: the better GFLOP/s of a 1024³ and a 512³ MatMul in onnxruntime, each
 * kept at its best time. On a loaded machine the 1024³ product (≥ 14 ms) is preempted more
 * often than a training step of a few ms; the 512³ one (about 2 ms) lasts as long as a step, so
 * the peak is not understated by the load (a higher peak only lowers our ratios).
 */
class Peak {
  private readonly best = new Map<number, number>();
  private constructor(private readonly mms: Map<number, Awaited<ReturnType<typeof matmulPeak>>>) {}
  static async create(): Promise<Peak> {
    return new Peak(
      new Map([
        [1024, await matmulPeak(1024)],
        [512, await matmulPeak(512)],
      ]),
    );
  }
  async measure(minMs: number, warmup = 1): Promise<void> {
    for (const [nn, mm] of this.mms) {
      const ms = await timeIt(mm.run, minMs / 2, warmup);
      this.best.set(nn, Math.min(this.best.get(nn) ?? Infinity, ms));
    }
  }
  gflops(nn?: number): number {
    const g = (k: number) => this.mms.get(k)!.flops / (this.best.get(k)! * 1e6);
    return nn ? g(nn) : Math.max(...[...this.mms.keys()].map(g));
  }
  describe(): string {
    return [...this.mms.keys()]
      .map((k) => `${k}³ ${this.best.get(k)!.toFixed(2)} ms = ${this.gflops(k).toFixed(1)} GFLOP/s`)
      .join(', ');
  }
}

// ------------------------------------------------------------------------------ tfjs

type Tf = typeof import('@tensorflow/tfjs');
let networkRequests = 0;

async function loadTf(): Promise<{ tf: Tf; wasmThreads: string }> {
  // Nothing may be downloaded at run time: fail any fetch and count it.
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: unknown, init?: unknown) => {
    networkRequests++;
    console.log(`  !! fetch(${String(input)}) blocked`);
    void init;
    return Promise.reject(new Error('network access blocked by the benchmark'));
  }) as typeof fetch;
  void realFetch;
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep);
  wasm.setWasmPaths(dir);
  let wasmThreads = 'n/a';
  try {
    wasm.setThreadsCount(THREADS);
  } catch {
    /* single-threaded build in Node */
  }
  await tf.setBackend('wasm');
  await tf.ready();
  try {
    wasmThreads = String(wasm.getThreadsCount());
  } catch {
    /* older API */
  }
  return { tf, wasmThreads };
}

function tfModel(tf: Tf, spec: Spec) {
  const L = tf.layers;
  const m = tf.sequential();
  if (spec.key === 'mlp') {
    m.add(L.dense({ inputShape: [784], units: 256, activation: 'relu' }));
    m.add(L.dense({ units: 128, activation: 'relu' }));
    m.add(L.dense({ units: 10 }));
  } else if (spec.key === 'lenet') {
    m.add(
      L.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
    );
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(L.flatten());
    m.add(L.dense({ units: 120, activation: 'relu' }));
    m.add(L.dense({ units: 84, activation: 'relu' }));
    m.add(L.dense({ units: 10 }));
  } else {
    // Embedding as one-hot ids × a bias-free Dense (the same function and gradient): the wasm
    // backend has no UnsortedSegmentSum kernel, which tf.layers.embedding's gradient needs.
    m.add(L.dense({ inputShape: [64, 64], units: 64, useBias: false }));
    m.add(L.lstm({ units: 128, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
    m.add(L.dense({ units: 64 }));
  }
  return m;
}

async function tfRunner(tf: Tf, backend: 'wasm' | 'cpu', spec: Spec): Promise<Runner> {
  await tf.setBackend(backend);
  await tf.ready();
  const m = tfModel(tf, spec);
  const optimizer = tf.train.sgd(0.01);
  const n = spec.batch;
  const x =
    spec.key === 'mlp'
      ? tf.randomNormal([n, 784])
      : spec.key === 'lenet'
        ? tf.randomNormal([n, 28, 28, 1])
        : tf.oneHot(
            tf.randomUniform([n, 64], 0, 64, 'int32') as import('@tensorflow/tfjs').Tensor,
            64,
          );
  const k = spec.seq ? spec.seq.vocab : 10;
  const labels = tf.randomUniform(spec.seq ? [n, 64] : [n], 0, k, 'int32');
  const y = tf.oneHot(labels, k);
  return {
    step() {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(y, m.apply(x) as import('@tensorflow/tfjs').Tensor),
        true,
      );
      const v = loss?.dataSync()[0];
      loss?.dispose();
      return v;
    },
    release() {
      m.dispose();
      x.dispose();
      y.dispose();
      labels.dispose();
    },
  };
}

// ------------------------------------------------------------------------------ torch

function torchPeer(): { version?: string; results?: Record<string, number>; skip?: string } {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { skip: `${py} not found` };
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skip: `${py} has no torch (apt install python3-torch)` };
  const r = spawnSync(
    py,
    [
      path.join(__dirname, 'torch_peer.py'),
      JSON.stringify({ threads: THREADS, min_ms: MIN_MS, models: SPECS.map((s) => s.key) }),
    ],
    {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
    },
  );
  if (r.status !== 0) return { skip: `torch_peer.py failed: ${r.stderr.slice(-500)}` };
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    torch: string;
    results: Record<string, number>;
  };
  return { version: j.torch, results: j.results };
}

// ------------------------------------------------------------------------------ main

const fmt = (v: number | undefined, d = 2) =>
  v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d);

async function main() {
  console.log(
    'command: node --import tsx bench/train.bench.ts' + (argv.length ? ` ${argv.join(' ')}` : ''),
  );
  console.log(
    `threads ${THREADS} (onnxruntime intraOpNumThreads, torch.set_num_threads, tfjs-wasm setThreadsCount)`,
  );
  console.log(
    `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}, node ${process.version}\n`,
  );

  const peak = await Peak.create();
  await peak.measure(MIN_MS, 2);

  const tfl = PEERS ? await loadTf() : undefined;
  if (tfl)
    console.log(
      `tfjs ${tfl.tf.version.tfjs}; wasm backend threads: ${tfl.wasmThreads}; wasm files from node_modules`,
    );
  if (PEERS) console.log('torch: running bench/torch_peer.py with /usr/bin/python3 …');
  const torch: ReturnType<typeof torchPeer> = PEERS ? torchPeer() : { skip: '--ours-only' };
  if (!QUICK && torch.results) {
    // A second run later keeps the better of two, like the interleaved rounds on our side.
    const again = torchPeer();
    for (const [k, v] of Object.entries(again.results ?? {}))
      torch.results[k] = Math.min(torch.results[k] ?? Infinity, v);
  }
  console.log(torch.skip ? `torch: skipped (${torch.skip})` : `torch ${torch.version}\n`);

  interface Row {
    spec: Spec;
    ours: number;
    /** Ours with preallocated, alternating output buffers for parameters and state. */
    pre: number;
    wasm?: number;
    cpu?: number;
    torch?: number;
  }
  const rows: Row[] = [];
  for (const spec of SPECS) {
    console.log(`${spec.label}: ${(flopsPerStep(spec) / 1e9).toFixed(3)} GFLOP/step`);
    const o = await ours(spec);
    const pre = await ours(spec, { prealloc: true });
    console.log(`  ours: ${o.info}`);
    const row: Row = { spec, ours: Infinity, pre: Infinity, torch: torch.results?.[spec.key] };
    const peers: Partial<Record<'wasm' | 'cpu', Runner>> = {};
    for (const backend of tfl ? (['wasm', 'cpu'] as const) : []) {
      const tf = tfl!.tf;
      try {
        peers[backend] = await tfRunner(tf, backend, spec);
        await tf.setBackend(backend);
        await peers[backend]!.step(); // fails here when a gradient kernel is missing
      } catch (e) {
        console.log(`  tfjs-${backend}: cannot train this model: ${(e as Error).message}`);
        delete peers[backend];
      }
    }
    // The machine may be shared: interleave ours, the tfjs peers and the MatMul peak in rounds
    // and keep each one's best round, so a burst of outside load does not skew one ratio.
    for (let r = 0; r < ROUNDS; r++) {
      row.ours = Math.min(row.ours, await timeIt(() => o.step(), MIN_MS));
      row.pre = Math.min(row.pre, await timeIt(() => pre.step(), MIN_MS / 2));
      await peak.measure(MIN_MS / 2);
      for (const backend of ['wasm', 'cpu'] as const) {
        const t = peers[backend];
        if (!t || (backend === 'cpu' && r > 0)) continue;
        await tfl!.tf.setBackend(backend);
        const ms = await timeIt(() => t.step(), backend === 'cpu' ? MIN_MS / 3 : MIN_MS / 2, 1);
        row[backend] = Math.min(row[backend] ?? Infinity, ms);
      }
    }
    await o.release?.();
    await pre.release?.();
    for (const backend of ['wasm', 'cpu'] as const) {
      if (!peers[backend]) continue;
      await tfl!.tf.setBackend(backend);
      peers[backend]!.release?.();
    }
    console.log(
      `  ours ${fmt(row.ours)} ms (preallocated outputs ${fmt(row.pre)} ms), tfjs-wasm ${fmt(row.wasm)} ms, tfjs-cpu ${fmt(row.cpu)} ms, torch ${fmt(row.torch)} ms`,
    );
    rows.push(row);
  }
  const peakG = peak.gflops();

  const gf = (spec: Spec, ms?: number) =>
    ms === undefined ? undefined : flopsPerStep(spec) / (ms * 1e6);
  const header = [
    'model',
    'impl',
    'ms/step',
    'steps/s',
    'GFLOP/s',
    'ours÷tfjs-wasm',
    'ours÷torch',
    'ours÷peak',
  ];
  const table: string[][] = [];
  for (const r of rows) {
    const oursG = gf(r.spec, r.ours)!;
    const impls: [string, number | undefined][] = [
      ['ours (onnxruntime)', r.ours],
      ['tfjs-wasm', r.wasm],
      ['tfjs-cpu', r.cpu],
      ['torch cpu', r.torch],
    ];
    impls.forEach(([name, ms], i) =>
      table.push([
        i === 0 ? r.spec.label : '',
        name,
        fmt(ms, 3),
        fmt(ms === undefined ? undefined : 1000 / ms, 1),
        fmt(gf(r.spec, ms), 2),
        i === 0 ? (r.wasm ? `${(r.wasm / r.ours).toFixed(1)}×` : '–') : '',
        i === 0 ? (r.torch ? `${(r.torch / r.ours).toFixed(2)}×` : '–') : '',
        i === 0 ? `${((100 * oursG) / peakG).toFixed(1)}%` : '',
      ]),
    );
  }
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
  console.log(
    `\nMatMul peak (onnxruntime, ${THREADS} threads): ${peakG.toFixed(1)} GFLOP/s (${peak.describe()})`,
  );
  console.log(`network requests during the run: ${networkRequests}`);
  console.log(
    '\npreallocated outputs (parameters and optimizer state written into alternating buffers):',
  );
  for (const r of rows)
    console.log(
      `  ${r.spec.label}: ${fmt(r.pre, 3)} ms vs ${fmt(r.ours, 3)} ms (${((100 * gf(r.spec, r.pre)!) / peakG).toFixed(1)}% of peak)`,
    );
  console.log(
    '\ntargets: ≥ 20× tfjs-wasm, ≥ 3× torch on every model; of the peak: MLP ≥ 85%, LeNet and char-LSTM ≥ 50%',
  );
  const peakTarget: Record<Spec['key'], number> = { mlp: 0.85, lenet: 0.5, charlstm: 0.5 };
  for (const r of rows) {
    const miss: string[] = [];
    if (r.wasm && r.wasm / r.ours < 20)
      miss.push(`tfjs-wasm ${(r.wasm / r.ours).toFixed(1)}× < 20×`);
    if (r.torch && r.torch / r.ours < 3) miss.push(`torch ${(r.torch / r.ours).toFixed(2)}× < 3×`);
    const frac = gf(r.spec, Math.min(r.ours, r.pre))! / peakG;
    if (frac < peakTarget[r.spec.key])
      miss.push(
        `${(100 * frac).toFixed(1)}% of peak < ${(100 * peakTarget[r.spec.key]).toFixed(0)}%`,
      );
    console.log(`  ${r.spec.label}: ${miss.length ? `MISSED: ${miss.join('; ')}` : 'met'}`);
    if (frac < peakTarget[r.spec.key])
      await whyBelowPeak(r.spec, frac, Math.min(r.ours, r.pre), peakTarget[r.spec.key]);
  }
  if (SCALE) await scaleCurves(peak);
}

/**
 * The measured reason a model misses its fraction of the peak: onnxruntime's profile of the same
 * step graph (shares of the kernel time, which the load does not change); the step's matrix
 * products run alone (bench/profile.ts, productFloor), which bound what the step can reach if
 * every other kernel took no time; then, if the target is within that bound, the products plus
 * one dispatch per other node; and the slowest nodes with their shapes.
 */
async function whyBelowPeak(
  spec: Spec,
  frac: number,
  stepMs: number,
  target: number,
): Promise<void> {
  const pspec = { ...PROFILE_SPECS[spec.key], batch: spec.batch };
  const p = await profileStep(pspec, { steps: 60, keepOptimized: true });
  const share = (ms: number) => `${((100 * ms) / p.kernelMs).toFixed(1)}%`;
  const products = p.nodes.filter(isProduct);
  const pMs = products.reduce((a, n) => a + n.ms, 0);
  console.log(`    profile (onnxruntime, share of kernel time): ${describeShares(p)}`);
  // The products alone: no step takes less time, so the step's FLOPs over that time, against the
  // same peak, bound its fraction of the peak.
  const f = await productFloor(p, sessionOptions);
  const bound = (frac * stepMs) / f.floorMs;
  console.log(
    `    matrix products: ${products.length} nodes, ${share(pMs)} of the kernel time under the profiler; run alone they take ${f.floorMs.toFixed(2)} ms (the step ${stepMs.toFixed(2)} ms), so with every other kernel free the step would be at ≤ ${(100 * bound).toFixed(0)}% of peak` +
      (bound < target
        ? ' (below the target: the products themselves are too slow)'
        : ' (the rest of the step is what misses the target)'),
  );
  if (bound >= target) {
    // The rest of the step: at least one kernel dispatch per node. Measured here as the cost per
    // node of a chain of tiny element-wise nodes in a session with the trainer's options.
    const perNode = await dispatchFloorMs();
    const withRest = (frac * stepMs) / (f.floorMs + f.others * perNode);
    console.log(
      `    dispatch floor: ${(perNode * 1000).toFixed(1)} µs per node (a chain of Mul on [32, 128], same session options); ` +
        `the products plus ${f.others} other nodes × that = ${(f.floorMs + f.others * perNode).toFixed(2)} ms per step, so even with every other kernel at the floor the step would be at ≤ ${(100 * withRest).toFixed(0)}% of peak` +
        (withRest < target
          ? ' (below the target: not reachable with this many nodes on top of these products)'
          : ' (the target is within this bound: the other kernels cost more than their dispatch)'),
    );
    // The rest of the step, and its way in and out of onnxruntime-node (no I/O binding: every
    // run feeds the parameters and fetches the new ones). The I/O's own copies are kernels that a
    // step writing its new parameters in its own kernels does not pay on top, so only the time
    // outside them bounds the step together with the products.
    const r = await restFloor(p, sessionOptions);
    const io = await ioFloor(p, sessionOptions);
    const outside = Math.max(io.ioMs - io.copyMs, 0);
    const withIo = (frac * stepMs) / (f.floorMs + outside);
    const need = (frac * stepMs) / target - f.floorMs - outside;
    console.log(
      `    the rest alone: the other ${r.nodes} nodes, with the products' results and the inputs as constants, take ${r.restMs.toFixed(2)} ms; ` +
        `a run with only the step's ${io.inputs} inputs and ${io.outputs} outputs (one Identity copy each) takes ${io.ioMs.toFixed(2)} ms, ` +
        `${io.copyMs.toFixed(2)} ms of it in the copies' kernels, so ${outside.toFixed(2)} ms outside any kernel. ` +
        `Products + rest + that = ${(f.floorMs + r.restMs + outside).toFixed(2)} ms against the step's ${stepMs.toFixed(2)} ms. ` +
        `The products plus the time outside the kernels alone put the step at ≤ ${(100 * withIo).toFixed(0)}% of peak` +
        (withIo < target
          ? ' (below the target: not reachable with these products through onnxruntime-node)'
          : `; to meet the target the other ${r.nodes} nodes would have to take ≤ ${Math.max(need, 0).toFixed(2)} ms together`),
    );
  }
  console.log(
    `    slowest: ${p.nodes
      .slice(0, 4)
      .map(
        (n) =>
          `${n.op} ${n.shapes.length > 40 ? `${n.shapes.slice(0, 39)}…` : n.shapes} ${share(n.ms)}`,
      )
      .join('; ')}`,
  );
  console.log(`    ${WHY[spec.key]}`);
}

/**
 * onnxruntime's cost per node when the kernel does almost nothing: chains of 50 and 550 Mul nodes
 * on [32, 128] (the char-LSTM's per-step size; two graph inputs alternate as the second operand,
 * so nothing folds), run in interleaved rounds with the trainer's session options. The difference
 * divided by 500 nodes, best of the rounds (ms).
 */
async function dispatchFloorMs(): Promise<number> {
  const shape = [32, 128];
  const vi = (name: string): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  const chain = (n: number): Uint8Array => {
    const nodes: onnx.INodeProto[] = [];
    for (let i = 0; i < n; i++)
      nodes.push({
        opType: 'Mul',
        input: [i === 0 ? 'x' : `t${i - 1}`, i % 2 ? 'a' : 'b'],
        output: [i === n - 1 ? 'y' : `t${i}`],
      });
    return onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'chain', node: nodes, input: [vi('x'), vi('a'), vi('b')], output: [vi('y')] },
    }).finish();
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const k of ['x', 'a', 'b'])
    feeds[k] = new ort.Tensor('float32', new Float32Array(32 * 128).fill(1), shape);
  const short = await ort.InferenceSession.create(chain(50), sessionOptions);
  const long = await ort.InferenceSession.create(chain(550), sessionOptions);
  const time = async (sess: ort.InferenceSession): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await sess.run(feeds);
    return (performance.now() - t0) / 20;
  };
  let best = Infinity;
  for (let round = 0; round < 15; round++) {
    const a = await time(short);
    const b = await time(long);
    if (round >= 3) best = Math.min(best, (b - a) / 500);
  }
  await short.release();
  await long.release();
  return Math.max(best, 0);
}

/** What the profile of each model shows (docs/training.md, Performance, has the figures). */
const WHY: Record<Spec['key'], string> = {
  mlp: 'the step is three GEMM pairs of batch 128 plus the SGD update, the loss and the per-tensor gradient norms; the non-GEMM kernels are element-wise passes over the parameters that no ONNX op fuses.',
  lenet:
    'the convolutions are skinny products (6 or 16 output channels: M = 6 or 16 against K·N = 25 × 50,176 or 150 × 6,400), memory-bound at a fraction of the peak, and the im2col Gathers and the col2im ScatterND are pure data movement; onnxruntime CPU runs a native Conv/ConvTranspose image by image with the same skinny products (measured slower, decision 0017).',
  charlstm:
    'the recurrence is sequential: 2 products of M = 32 per time step (h·W_hhᵀ forward, dz·W_hh backward, one [32, 128]·[128, 512]-sized product each) that cannot be batched across steps; 127 of the 133 products are these, and onnxruntime runs a product that small far below its peak rate (the products alone above).',
};

/**
 * Step time against batch size for each model, batch by batch in interleaved rounds with the
 * MatMul peak, so that each ratio compares against the peak measured next to it.
 */
async function scaleCurves(peak: Peak) {
  console.log(`\nscale curves (ours, batch ${SCALE_BATCHES.join(', ')}):`);
  const header = ['model', 'batch', 'ms/step', 'µs/sample', 'GFLOP/s', 'ours÷peak', 'peak GFLOP/s'];
  const table: string[][] = [];
  for (const spec of SPECS) {
    // All batch sizes of a model in interleaved rounds, best round kept, so that a burst of
    // outside load does not bend one point of the curve.
    const runs = [];
    for (const batch of SCALE_BATCHES) {
      const s = { ...spec, batch };
      runs.push({ s, o: await ours(s), ms: Infinity, peak: await Peak.create() });
    }
    for (let r = 0; r < ROUNDS; r++)
      for (const run of runs) {
        run.ms = Math.min(run.ms, await timeIt(() => run.o.step(), MIN_MS / 2, 2));
        await run.peak.measure(MIN_MS / 2);
      }
    for (const { s, o, ms, peak: local } of runs) {
      await o.release?.();
      const g = flopsPerStep(s) / (ms * 1e6);
      // The run's best peak or the one measured next to this batch, whichever is higher.
      const pg = Math.max(peak.gflops(), local.gflops());
      table.push([
        s.batch === SCALE_BATCHES[0] ? spec.label.split(',')[0]! : '',
        String(s.batch),
        fmt(ms, 3),
        fmt((1000 * ms) / s.batch, 1),
        fmt(g, 1),
        `${((100 * g) / pg).toFixed(1)}%`,
        fmt(pg, 1),
      ]);
    }
  }
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
