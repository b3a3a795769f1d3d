/**
 * Recorded trainer streams for the dashboard's browser tests. Each is a list of trainer events in
 * the engine's format (src/engine/protocol.ts, plus the dashboard's optional extra events) with a
 * realistic shape, deterministic (seeded), passed through the host's DashboardFeed so the webview
 * receives exactly what the extension would send:
 * - spiral: the real Spiral dataset (600 points, 3 classes), 50 epochs × 20 steps, falling loss,
 *   rising accuracy, per-tensor gradient norms, a boundary grid that sharpens from a blur into the
 *   three arms, confusion matrices, weight histograms and dead-ReLU fractions;
 * - nan: a run with lr = 5 whose gradients explode and whose loss turns NaN at step 137;
 * - stress: 100,000 steps with 8 tensors' gradient norms, for frame-time measurement.
 */
import { spiral } from '../../src/engine/datasets/synthetic';
import type { DashTrainConfig, HostToDashboard } from '../../webview/protocol';
import { DashboardFeed, type FeedEvent } from '../../src/extension/trainingFeed';

const v = 1;

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SPIRAL_TRAIN: DashTrainConfig = {
  model: 'SpiralNet',
  epochs: 50,
  batch: 32,
  lr: 0.01,
  optimizer: { name: 'Adam', args: { lr: 0.01 } },
  dataset: 'decl:spiral',
  loss: 'CrossEntropy',
  validation: 0.2,
  metrics: ['accuracy'],
};

export const PARAMS = ['l0.weight', 'l0.bias', 'l2.weight', 'l2.bias', 'l4.weight', 'l4.bias'];

/** The hidden layers of the recorded SpiralNet (Dense(16) ReLU Dense(16) ReLU Dense(3)). */
export const NEURON_LAYERS = [
  { name: 'l0', label: 'Dense(16)', units: 16 },
  { name: 'l1', label: 'ReLU after Dense(16)', units: 16 },
  { name: 'l2', label: 'Dense(16)', units: 16 },
  { name: 'l3', label: 'ReLU after Dense(16)', units: 16 },
];

export function initMessage(
  extra: Partial<Extract<HostToDashboard, { type: 'init' }>> = {},
): HostToDashboard {
  return {
    type: 'init',
    uri: 'file:///work/examples/spiral.dlm',
    models: ['SpiralNet'],
    train: SPIRAL_TRAIN,
    datasets: [
      {
        id: 'decl:spiral',
        label: 'spiral',
        kind: 'declaration',
        detail: 'Spiral(points=600, classes=3, noise=0.2, seed=1)',
        twoD: true,
      },
      { id: 'builtin:Spiral', label: 'Spiral', kind: 'builtin', twoD: true },
      { id: 'builtin:Circles', label: 'Circles', kind: 'builtin', twoD: true },
      { id: 'builtin:Moons', label: 'Moons', kind: 'builtin', twoD: true },
      { id: 'builtin:Digits', label: 'Digits', kind: 'builtin' },
    ],
    optimizers: ['SGD', 'Adam', 'AdamW', 'RMSProp', 'AdaGrad'],
    ...extra,
  };
}

const feedOf = (events: readonly FeedEvent[], config = SPIRAL_TRAIN): HostToDashboard[] => {
  const out: HostToDashboard[] = [];
  const feed = new DashboardFeed({ model: config.model, config }, (m) => out.push(m), 100);
  for (const e of events) feed.push(e);
  feed.flush();
  return out;
};

// --------------------------------------------------------------------------------- spiral run

const data = spiral({ points: 600, classes: 3, noise: 0.2, seed: 1 });
const N = data.n;
const xs = Array.from({ length: N }, (_, i) => data.x[2 * i]!);
const ys = Array.from({ length: N }, (_, i) => data.x[2 * i + 1]!);
const labels = Array.from({ length: N }, (_, i) => Number(data.y[i]));
const isVal = Array.from({ length: N }, (_, i) => i % 5 === 0);
const pad = 0.1;
const x0 = Math.min(...xs) - pad;
const x1 = Math.max(...xs) + pad;
const y0 = Math.min(...ys) - pad;
const y1 = Math.max(...ys) + pad;
const NX = 48;

/** Class probabilities on the grid after `t` ∈ [0, 1] of training: a blur sharpening into 1-NN. */
export function gridAt(t: number): number[] {
  const vals: number[] = [];
  for (let iy = 0; iy < NX; iy++)
    for (let ix = 0; ix < NX; ix++) {
      const gx = x0 + ((ix + 0.5) / NX) * (x1 - x0);
      const gy = y0 + ((iy + 0.5) / NX) * (y1 - y0);
      // soft k-NN votes with a kernel that narrows as training goes on
      const bw = 0.9 * (1 - t) + 0.06 * t;
      const votes = [0, 0, 0];
      for (let i = 0; i < N; i += 2) {
        const d2 = (xs[i]! - gx) ** 2 + (ys[i]! - gy) ** 2;
        votes[labels[i]!]! += Math.exp(-d2 / (2 * bw * bw));
      }
      const sharp = 0.3 + 6 * t;
      const tot = votes.reduce((a, b) => a + b, 0) || 1;
      const logits = votes.map((x) => (x / tot) * sharp * 3);
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const s = e.reduce((a, b) => a + b, 0);
      for (const p of e) vals.push(Number((p / s).toFixed(4)));
    }
  return vals;
}

export function boundaryEvent(epoch: number, t: number, withPoints: boolean): FeedEvent {
  return {
    type: 'boundary',
    step: epoch * 20,
    epoch,
    grid: { x0, x1, y0, y1, nx: NX, ny: NX, channels: 3, values: gridAt(t) },
    ...(withPoints ? { points: { x: xs, y: ys, label: labels, validation: isVal } } : {}),
  };
}

function histogram(
  r: () => number,
  spread: number,
  bins = 24,
): { min: number; max: number; counts: number[] } {
  const vals = Array.from({ length: 400 }, () => {
    // Box-Muller
    const u = Math.max(1e-9, r());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()) * spread;
  });
  const min = Math.min(...vals);
  const max = Math.max(...vals);
  const counts = new Array<number>(bins).fill(0);
  for (const x of vals) counts[Math.min(bins - 1, Math.floor(((x - min) / (max - min)) * bins))]!++;
  return { min, max, counts };
}

export function spiralEvents(opts: { epochs?: number; finish?: boolean } = {}): FeedEvent[] {
  const epochs = opts.epochs ?? 50;
  const spe = 20;
  const r = rng(7);
  const ev: FeedEvent[] = [];
  ev.push({
    type: 'started',
    v,
    runDir: '/work/examples/.dlm/runs/SpiralNet-20250101-120000',
    runId: 'SpiralNet-20250101-120000',
    dataset: {
      name: 'Spiral',
      task: 'classification',
      samples: 600,
      train: 480,
      validation: 120,
      xShape: [2],
      yShape: [],
      classes: 3,
      classNames: ['arm 0', 'arm 1', 'arm 2'],
    },
    params: { trainable: 371, total: 371 },
    program: 'compiled',
    epochs: 50,
    stepsPerEpoch: spe,
    timing: { sessionCreateMs: 41 },
    neuronLayers: NEURON_LAYERS,
    paramShapes: {
      'l0.weight': [16, 2],
      'l0.bias': [16],
      'l2.weight': [16, 16],
      'l2.bias': [16],
      'l4.weight': [3, 16],
      'l4.bias': [3],
    },
  });
  let best = Infinity;
  const confusionAt = (t: number): number[][] => {
    const m = [0, 1, 2].map(() => [0, 0, 0]);
    const acc = 0.36 + 0.61 * t;
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 40; i++) {
        const right = r() < acc;
        const p = right ? c : (c + 1 + Math.floor(r() * 2)) % 3;
        m[c]![p]!++;
      }
    return m;
  };
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < spe; s++) {
      const step = e * spe + s + 1;
      const t = step / (50 * spe);
      const base = 1.1 * Math.exp(-4.2 * t) + 0.06;
      const loss = base * (1 + 0.25 * (r() - 0.5)) + 0.02 * r();
      const g = (k: number): number => (0.8 / (k + 1)) * Math.exp(-1.5 * t) * (0.7 + 0.6 * r());
      const gradNorms = Object.fromEntries(PARAMS.map((p, k) => [p, g(k)]));
      ev.push({
        type: 'step',
        v,
        step,
        epoch: e,
        loss,
        lr: 0.01 * (t < 0.6 ? 1 : 0.3),
        gradNorm: Math.hypot(...Object.values(gradNorms)),
        gradNorms,
        metrics: {
          accuracy: Math.min(1, 0.35 + 0.64 * (1 - Math.exp(-4 * t)) + 0.05 * (r() - 0.5)),
        },
      });
    }
    const t = (e + 1) / 50;
    const trainLoss = 1.1 * Math.exp(-4.2 * t) + 0.06;
    const valLoss = trainLoss * (1.05 + 0.08 * r()) + 0.01;
    const isBest = valLoss < best;
    if (isBest) best = valLoss;
    ev.push({
      type: 'epoch',
      v,
      epoch: e,
      step: (e + 1) * spe,
      trainLoss,
      trainAcc: 0.35 + 0.64 * (1 - Math.exp(-4 * t)),
      valLoss,
      valAcc: 0.34 + 0.63 * (1 - Math.exp(-4 * t)),
      lr: 0.01,
      timeMs: 180 + 20 * r(),
      best: isBest,
      timing: {},
    });
    if (isBest)
      ev.push({
        type: 'checkpoint',
        v,
        path: 'best.ckpt',
        step: (e + 1) * spe,
        epoch: e,
        best: true,
      });
    if (e % 5 === 0 || e === epochs - 1) ev.push(boundaryEvent(e + 1, t, e === 0));
    ev.push({
      type: 'confusion',
      epoch: e + 1,
      classes: ['arm 0', 'arm 1', 'arm 2'],
      matrix: confusionAt(t),
    });
    if (e % 10 === 0 || e === epochs - 1)
      ev.push({
        type: 'histograms',
        step: (e + 1) * spe,
        weights: PARAMS.map((p, k) => ({
          name: p,
          ...histogram(r, (0.3 + 0.5 * t) / (1 + (k % 2) * 2)),
        })),
        // l3 dies off during the run: 2 of 16 dead at the start, 10 of 16 (> 50%) at the end
        deadRelu: [
          {
            layer: 'l1',
            label: 'ReLU after Dense(16)',
            units: 16,
            dead: Math.round(16 * 0.06 * t),
          },
          {
            layer: 'l3',
            label: 'ReLU after Dense(16)',
            units: 16,
            dead: Math.round(16 * (0.1 + 0.525 * t)),
          },
        ],
        probeSamples: 120,
      });
  }
  if (opts.finish !== false)
    ev.push({
      type: 'finished',
      v,
      reason: 'completed',
      step: epochs * spe,
      epoch: epochs,
      bestEpoch: epochs - 1,
      bestValLoss: best,
      runDir: '/x',
      timeMs: 9000,
    });
  return ev;
}

export const spiralStream = (opts?: { epochs?: number; finish?: boolean }): HostToDashboard[] =>
  feedOf(spiralEvents(opts));

// ------------------------------------------------------------------------------------ NaN run

export function nanStream(): HostToDashboard[] {
  const r = rng(3);
  const cfg: DashTrainConfig = {
    ...SPIRAL_TRAIN,
    lr: 5,
    optimizer: { name: 'SGD', args: { lr: 5 } },
  };
  const ev: FeedEvent[] = [
    {
      type: 'started',
      v,
      runDir: '/x/SpiralNet-20250101-130000',
      runId: 'SpiralNet-20250101-130000',
      dataset: {
        name: 'Spiral',
        task: 'classification',
        samples: 600,
        train: 480,
        validation: 120,
        xShape: [2],
        yShape: [],
        classes: 3,
      },
      params: { trainable: 371, total: 371 },
      program: 'compiled',
      epochs: 50,
      stepsPerEpoch: 20,
      timing: {},
    },
  ];
  for (let step = 1; step < 137; step++) {
    const grow = Math.exp(step * 0.08);
    const gradNorms = Object.fromEntries(PARAMS.map((p, k) => [p, ((0.5 + r()) * grow) / (k + 1)]));
    ev.push({
      type: 'step',
      v,
      step,
      epoch: Math.floor((step - 1) / 20),
      loss: 1.1 * grow ** 0.5,
      lr: 5,
      gradNorm: grow * 1.2,
      gradNorms,
    });
    if (step % 20 === 0)
      ev.push({
        type: 'epoch',
        v,
        epoch: step / 20 - 1,
        step,
        trainLoss: 1.1 * grow ** 0.5,
        valLoss: 1.3 * grow ** 0.5,
        lr: 5,
        timeMs: 150,
        best: step === 20,
        timing: {},
      });
  }
  ev.push({
    type: 'error',
    v,
    kind: 'nan',
    message:
      'the loss became NaN at step 137 (epoch 7): the gradient of l4.weight was the first to go non-finite',
    details: { parameter: 'l4.weight', step: 137, epoch: 6 },
    suggestion: 'lower the learning rate (lr = 5 → 0.05) or add clip = 1.0 to the train section',
    fatal: true,
  });
  const out: HostToDashboard[] = [];
  const feed = new DashboardFeed({ model: cfg.model, config: cfg }, (m) => out.push(m), 50);
  for (const e of ev) feed.push(e);
  return out;
}

export const crashFailure: HostToDashboard = {
  type: 'failure',
  failure: {
    kind: 'crash',
    message: 'the trainer process was killed by SIGKILL',
    exitCode: null,
    signal: 'SIGKILL',
    suggestion: 'the last checkpoint (last.ckpt in the run folder) can resume the run',
    detail: 'onnxruntime: std::bad_alloc\n    at InferenceSession.run',
  },
};
export const dataFailure: HostToDashboard = {
  type: 'failure',
  failure: {
    kind: 'data',
    message: "houses.csv: column 'price' (the target) has 3 non-numeric values (rows 14, 201, 388)",
  },
};

/** A run on CSV digits labelled 1..10: the trainer renumbered them to the class ids 0..9. */
export function relabelledStream(): HostToDashboard[] {
  const labels = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
  const started: FeedEvent = {
    type: 'started',
    v,
    runDir: '/work/examples/.dlm/runs/Digits-20250101-120000',
    runId: 'Digits-20250101-120000',
    dataset: {
      name: "Csv 'digits.csv'",
      task: 'classification',
      samples: 100,
      train: 80,
      validation: 20,
      xShape: [64],
      yShape: [],
      classes: 10,
      classNames: labels,
      relabelled: { column: 'digit', labels },
    },
    params: { trainable: 650, total: 650 },
    program: 'compiled',
    epochs: 2,
    stepsPerEpoch: 3,
    timing: { sessionCreateMs: 20 },
  };
  return feedOf([started]);
}

// --------------------------------------------------------------------------------- stress run

/** 100k steps in messages of `chunk` steps (as the host's throttle would batch them). */
export function stressStream(total = 100_000, chunk = 1000): HostToDashboard[] {
  const r = rng(11);
  const params = Array.from({ length: 8 }, (_, i) => ({
    name: `layer${i >> 1}.${i % 2 ? 'bias' : 'weight'}`,
  }));
  const spe = 1000;
  const out: HostToDashboard[] = [
    {
      type: 'run-started',
      runId: 'Stress-1',
      model: 'Stress',
      config: { ...SPIRAL_TRAIN, model: 'Stress', epochs: total / spe },
      dataset: {
        name: 'Digits',
        task: 'classification',
        train: 1437,
        validation: 360,
        xShape: [64],
        classes: 10,
      },
      stepsPerEpoch: spe,
      params,
      live: true,
    },
  ];
  for (let s0 = 0; s0 < total; s0 += chunk) {
    const steps = [];
    for (let s = s0 + 1; s <= Math.min(total, s0 + chunk); s++) {
      const t = s / total;
      steps.push({
        step: s,
        epoch: s / spe,
        loss:
          2.3 * Math.exp(-3 * t) + 0.05 + 0.3 * r() * Math.exp(-2 * t) + (r() < 0.001 ? 1.5 : 0),
        lr: 0.001 * 0.5 * (1 + Math.cos(Math.PI * t)),
        gradNorm: 2 * Math.exp(-t) * (0.5 + r()),
        grads: params.map((_, k) => Math.exp(-t * (k + 1)) * (0.5 + r()) * 10 ** -k),
      });
    }
    out.push({ type: 'steps', runId: 'Stress-1', steps });
    if ((s0 + chunk) % spe === 0) {
      const e = (s0 + chunk) / spe;
      const tl = 2.3 * Math.exp(-3 * (e / 100)) + 0.1;
      out.push({
        type: 'epoch',
        runId: 'Stress-1',
        epoch: {
          epoch: e,
          step: s0 + chunk,
          trainLoss: tl,
          valLoss: tl * 1.1,
          metrics: { accuracy: 1 - tl / 2.5, val_accuracy: 1 - tl / 2.4 },
        },
      });
    }
  }
  return out;
}
