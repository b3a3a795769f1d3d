/**
 * The trainer's dashboard extras (src/engine/extras.ts) end to end through the supervisor: the
 * compiled examples/spiral.dlm model (and the hand-written reference program) on Spiral emit
 * boundary grids that change as the model learns, confusion matrices whose diagonal grows, and
 * weight histograms with the dead-ReLU counts; per-neuron maps answer during a run and from a
 * finished run's checkpoint. Known answers: a model whose weights kill a chosen set of ReLU units,
 * and neuron maps against a forward pass written out in JS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TrainerSupervisor } from '../../src/engine/supervisor';
import {
  validateEvent,
  validateRequest,
  PROTOCOL_VERSION,
  type EventOf,
  type StartRequest,
} from '../../src/engine/protocol';
import * as ort from 'onnxruntime-node';
import '../../src/engine/compile';
import {
  deadUnits,
  Extras,
  GRID,
  histogram,
  MAX_NEURON_MAPS,
  toProbabilities,
  type ExtraEmit,
} from '../../src/engine/extras';
import { prepare } from '../../src/engine/loop';
import { loadCheckpoint, readMetrics } from '../../src/engine/runs';

const ROOT = path.join(__dirname, '..', '..');
const spawnTrainer = () =>
  new TrainerSupervisor({
    entry: path.join(ROOT, 'src/engine/trainer.ts'),
    execArgv: ['--import', 'tsx'],
    cwd: ROOT,
  });

type Start = Omit<StartRequest, 'type' | 'v'>;

const diagonal = (m: readonly (readonly number[])[]): number => m.reduce((a, r, i) => a + r[i]!, 0);
const gridDistance = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

async function runAndCollect(start: Start, opts: { neurons?: string; after?: Start } = {}) {
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const done = sup.next('finished', undefined, 120_000);
    // during the run: ask for neuron maps once the first epoch is done
    const live = opts.neurons
      ? sup.next('epoch').then(() => {
          const n = sup.next('neurons', undefined, 30_000);
          sup.send({ type: 'neurons', layer: opts.neurons });
          return n;
        })
      : undefined;
    sup.start(start);
    const fin = await done;
    const liveNeurons = await live;
    const of = <T extends 'boundary' | 'confusion' | 'histograms' | 'epoch' | 'started'>(t: T) =>
      sup.events.filter((e): e is EventOf<T> => e.type === t);
    // after the run: neuron maps from its last checkpoint (a fresh compile of the model)
    let fromCheckpoint: EventOf<'neurons'> | undefined;
    if (opts.neurons) {
      const n = sup.next('neurons', undefined, 60_000);
      sup.send({
        type: 'neurons',
        from: {
          workspaceRoot: start.workspaceRoot,
          modelPath: start.modelPath,
          model: start.model,
          checkpoint: path.join(fin.runDir, 'last.safetensors'),
        },
      });
      fromCheckpoint = await n;
    }
    return {
      fin,
      started: of('started')[0]!,
      boundaries: of('boundary'),
      confusions: of('confusion'),
      histograms: of('histograms'),
      epochs: of('epoch'),
      errors: sup.events.filter((e) => e.type === 'error'),
      liveNeurons,
      fromCheckpoint,
    };
  } finally {
    await sup.shutdown();
  }
}

function checkExtras(r: Awaited<ReturnType<typeof runAndCollect>>, classes: number): void {
  assert.deepEqual(r.errors, []);
  // boundaries: a 48×48 grid of class probabilities; points only in the first
  assert.ok(r.boundaries.length >= 2, `${r.boundaries.length} boundary events`);
  const first = r.boundaries[0]!;
  const last = r.boundaries[r.boundaries.length - 1]!;
  assert.ok(first.points && first.points.x.length > 0 && first.points.x.length <= 600);
  assert.ok(r.boundaries.slice(1).every((b) => !b.points));
  assert.equal(first.grid.channels, classes);
  assert.equal(first.grid.values.length, 48 * 48 * classes);
  for (let i = 0; i < 48 * 48; i++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += last.grid.values[i * classes + c]!;
    assert.ok(Math.abs(s - 1) < 0.01, `probabilities sum to ${s}`);
  }
  assert.ok(first.grid.x0 < first.grid.x1 && first.grid.y0 < first.grid.y1);
  assert.ok(first.epoch === 1 && last.epoch >= first.epoch);
  const d = gridDistance(first.grid.values, last.grid.values);
  assert.ok(d > 0.05, `the boundary changed by ${d} on average`);
  // confusion: one per epoch (validation), diagonal grows
  assert.equal(r.confusions.length, r.epochs.length);
  const c0 = r.confusions[0]!;
  const c1 = r.confusions[r.confusions.length - 1]!;
  assert.equal(c0.matrix.length, classes);
  assert.equal(c0.classes.length, classes);
  const total = c0.matrix.flat().reduce((a, b) => a + b, 0);
  assert.ok(total > 0);
  assert.ok(
    diagonal(c1.matrix) > diagonal(c0.matrix),
    `diagonal ${diagonal(c0.matrix)} → ${diagonal(c1.matrix)}`,
  );
  // histograms: every epoch, 30 bins per parameter tensor
  assert.equal(r.histograms.length, r.epochs.length);
  const h = r.histograms[0]!;
  assert.ok(h.weights.length >= 2);
  assert.ok(h.weights.every((w) => w.counts.length === 30 && w.min <= w.max));
}

test('compiled spiral.dlm: boundary grids change, confusion diagonal grows, histograms', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-extras-'));
  try {
    copyFileSync(path.join(ROOT, 'examples', 'spiral.dlm'), path.join(ws, 'spiral.dlm'));
    const r = await runAndCollect(
      {
        workspaceRoot: ws,
        modelPath: 'spiral.dlm',
        model: 'SpiralNet',
        overrides: { epochs: 30 },
      },
      { neurons: 'relu1' },
    );
    assert.equal(r.fin.reason, 'completed');
    checkExtras(r, 3);
    // dead ReLUs: both ReLU layers of 16 units, every epoch, on the 120 validation samples
    assert.deepEqual(
      r.started.neuronLayers?.map((l) => `${l.name}:${l.units}`),
      ['dense0:16', 'relu0:16', 'dense1:16', 'relu1:16'],
    );
    for (const h of r.histograms) {
      assert.equal(h.probeSamples, 120);
      assert.deepEqual(
        h.deadRelu?.map((d) => [d.layer, d.label, d.units]),
        [
          ['relu0', 'ReLU after Dense(16)', 16],
          ['relu1', 'ReLU after Dense(16)', 16],
        ],
      );
      assert.ok(h.deadRelu!.every((d) => d.dead >= 0 && d.dead < 16));
    }
    // neuron maps during the run and from the final checkpoint
    const live = r.liveNeurons!;
    assert.equal(live.layer, 'relu1');
    assert.equal(live.grid.channels, 16);
    assert.equal(live.grid.values.length, 48 * 48 * 16);
    assert.ok(live.step >= 1);
    const fin = r.fromCheckpoint!;
    assert.equal(fin.layer, 'relu0'); // the default: the first hidden activation
    assert.equal(fin.step, r.fin.step);
    assert.equal(fin.units, 16);
    // relu0 over the grid = relu(W x + b) with the checkpoint's parameters
    const ck = loadCheckpoint(path.join(r.fin.runDir, 'last.safetensors'), ws);
    const W = ck.tensors.find((t) => t.name === 'dense0.weight')!.data;
    const B = ck.tensors.find((t) => t.name === 'dense0.bias')!.data;
    const g = fin.grid;
    let worst = 0;
    for (let i = 0; i < 48 * 48; i++) {
      const x = g.x0 + (((i % 48) + 0.5) / 48) * (g.x1 - g.x0);
      const y = g.y0 + ((Math.floor(i / 48) + 0.5) / 48) * (g.y1 - g.y0);
      for (let u = 0; u < 16; u++) {
        const want = Math.max(0, W[u * 2]! * x + W[u * 2 + 1]! * y + B[u]!);
        worst = Math.max(worst, Math.abs(g.values[i * 16 + u]! - want) / Math.max(1, want));
      }
    }
    assert.ok(worst < 2e-3, `max relative error ${worst}`);
    // the first and the final boundary, confusion and histograms are in metrics.jsonl
    const recs = readMetrics(path.join(r.fin.runDir, 'metrics.jsonl'), ws);
    const logged = recs.filter((x) => x.type === 'boundary');
    assert.equal(logged.length, 2);
    assert.ok(logged[0]!.points);
    assert.equal(recs.filter((x) => x.type === 'confusion').length, 30);
    // dead-ReLU counts go with the logged histograms; neuron maps are not logged
    const hs = recs.filter((x) => x.type === 'histograms');
    assert.equal(hs.length, 30);
    assert.ok(hs.every((x) => Array.isArray(x.deadRelu) && x.deadRelu.length === 2));
    assert.equal(recs.filter((x) => x.type === 'neurons').length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('early stopping: boundaries carry the 1-based epoch they were drawn in; the last is the last epoch run', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-extras-'));
  try {
    copyFileSync(path.join(ROOT, 'examples', 'spiral.dlm'), path.join(ws, 'spiral.dlm'));
    // no epoch improves on the first by 10: patience 2 stops after the third epoch
    const r = await runAndCollect({
      workspaceRoot: ws,
      modelPath: 'spiral.dlm',
      model: 'SpiralNet',
      overrides: { epochs: 50, earlyStopping: { patience: 2, minDelta: 10 } },
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.fin.reason, 'early_stopping');
    assert.deepEqual(
      r.epochs.map((e) => e.epoch),
      [0, 1, 2],
    );
    // the finished event and the dashboard count epochs from 1: three epochs run
    assert.equal(r.fin.epoch, 3);
    const last = r.boundaries[r.boundaries.length - 1]!;
    assert.equal(last.epoch, r.fin.epoch, 'the final boundary is of epoch 3');
    assert.equal(last.step, r.fin.step);
    // every boundary: the epoch (1-based) whose steps it was drawn after
    for (const b of r.boundaries) {
      const e = r.epochs.find((x) => x.step >= b.step)!;
      assert.equal(b.epoch, e.epoch + 1, `boundary at step ${b.step}`);
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('reference program: boundary through the export graph, confusion grows', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-extras-'));
  try {
    const r = await runAndCollect({
      workspaceRoot: ws,
      modelPath: 'model.dlm',
      model: 'Net',
      reference: { hidden: [32], momentum: 0.9 },
      overrides: {
        dataset: { name: 'Spiral', args: { points: 300, classes: 3, noise: 0.05, seed: 3 } },
        epochs: 20,
        batch: 16,
        lr: 0.3,
        seed: 1,
      },
    });
    checkExtras(r, 3);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('no boundary for data that is not 2-D classification (Sine regression)', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-extras-'));
  try {
    const r = await runAndCollect({
      workspaceRoot: ws,
      modelPath: 'model.dlm',
      model: 'Net',
      reference: { hidden: [8] },
      overrides: { dataset: { name: 'Sine', args: {} }, epochs: 2, lr: 0.05 },
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.boundaries.length, 0);
    assert.equal(r.confusions.length, 0);
    assert.equal(r.histograms.length, 2);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a neurons request with no run and no checkpoint is answered with a non-fatal error', async () => {
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const err = sup.next('error', undefined, 10_000);
    sup.send({ type: 'neurons', layer: 'relu0' });
    const e = await err;
    assert.equal(e.fatal, false);
    assert.match(e.message, /neuron maps: no run in progress/);
  } finally {
    await sup.shutdown();
  }
});

// ------------------------------------------------------------------ known answers, in process

const TWO_D = `data pts = Spiral(points=120, classes=3, noise=0.05, seed=2)

model Net(x: [B, 2]) -> [B, 3] {
  x |> Dense(8) |> ReLU |> Dense(6) |> ReLU |> Dense(3)
}

train Net {
  data = pts
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
  batch = 16
  validation = 0.25
  seed = 1
}
`;

/** The compiled Net on its data, an Extras that collects events, and params to edit. */
function setup(source = TWO_D, model = 'Net') {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-extras-'));
  writeFileSync(path.join(ws, 'net.dlm'), source);
  const p = prepare({
    type: 'start',
    v: PROTOCOL_VERSION,
    workspaceRoot: ws,
    modelPath: 'net.dlm',
    model,
  });
  const events: Parameters<ExtraEmit>[0][] = [];
  const extras = new Extras(p.program, p.dataset, p.split, { intraOpNumThreads: 1 }, (e) =>
    events.push(e),
  );
  const values = new Map(p.program.params.map((t) => [t.name, t.init.slice()]));
  const feeds = () =>
    Object.fromEntries(
      p.program.params.map((t) => [
        t.name,
        new ort.Tensor('float32', values.get(t.name)!, [...t.shape]),
      ]),
    );
  return { ws, p, extras, events, values, feeds };
}

test('deadUnits: vector units, channels-first maps, last-axis features', () => {
  // 3 samples × 4 units: unit 1 and 3 are zero everywhere
  const v = [1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0];
  assert.deepEqual([...deadUnits(v, 3, [4], 0)], [1, 0, 1, 0]);
  // 2 samples × [C=2, 3 positions]: channel 0 fires at one position of one sample only
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0];
  assert.deepEqual([...deadUnits(m, 2, [2, 3], 0)], [1, 0]);
  // the same data as [T=2, F=3] (features last): feature 2 fires (sample 1, t = 0)
  assert.deepEqual([...deadUnits(m, 2, [2, 3], 1)], [0, 0, 1]);
});

test('dead ReLUs: a known number of units killed by their weights and biases', async () => {
  const { ws, p, extras, events, values, feeds } = setup();
  try {
    const relus = extras.reluLayers;
    assert.deepEqual(
      relus.map((l) => [l.name, l.label, l.units]),
      [
        ['relu0', 'ReLU after Dense(8)', 8],
        ['relu1', 'ReLU after Dense(6)', 6],
      ],
    );
    // Dense(8): zero weights and bias -1 kill units 0, 3 and 5 (relu(-1) = 0 for every input);
    // the others get zero weights and bias +1 (they output 1 everywhere: alive).
    const w0 = values.get('dense0.weight')!;
    const b0 = values.get('dense0.bias')!;
    const killed = new Set([0, 3, 5]);
    w0.fill(0);
    for (let u = 0; u < 8; u++) b0[u] = killed.has(u) ? -1 : 1;
    // Dense(6) reads relu0 (0 or 1 per unit): weight +1 from unit 1, bias -2 for units 0 and 4
    // (1 - 2 < 0: dead), bias 0.5 for the others (alive)
    const w1 = values.get('dense1.weight')!;
    const b1 = values.get('dense1.bias')!;
    assert.equal(w1.length, 6 * 8);
    w1.fill(0);
    for (let u = 0; u < 6; u++) {
      w1[u * 8 + 1] = 1; // PyTorch layout [out, in]
      b1[u] = u === 0 || u === 4 ? -2 : 0.5;
    }
    await extras.histograms(feeds(), 7);
    const h = events.find((e) => e.type === 'histograms');
    assert.ok(h && h.type === 'histograms');
    assert.equal(h.step, 7);
    assert.equal(h.probeSamples, p.split.validation!.n);
    assert.deepEqual(h.deadRelu, [
      { layer: 'relu0', label: 'ReLU after Dense(8)', units: 8, dead: 3 },
      { layer: 'relu1', label: 'ReLU after Dense(6)', units: 6, dead: 2 },
    ]);
    assert.equal(h.weights.length, p.program.params.length);
    // the untouched initial weights: every unit alive somewhere on the data, or not; compare
    // with a direct count
    for (const t of p.program.params) values.set(t.name, t.init.slice());
    events.length = 0;
    await extras.histograms(feeds(), 8);
    const h2 = events[0]!;
    assert.ok(h2.type === 'histograms');
    const val = p.split.validation!;
    const W = values.get('dense0.weight')!;
    const B = values.get('dense0.bias')!;
    let dead = 0;
    for (let u = 0; u < 8; u++) {
      let alive = false;
      for (let i = 0; i < val.n && !alive; i++)
        alive = W[u * 2]! * val.x[2 * i]! + W[u * 2 + 1]! * val.x[2 * i + 1]! + B[u]! > 1e-6;
      if (!alive) dead++;
    }
    assert.equal(h2.deadRelu![0]!.dead, dead);
  } finally {
    await extras.release();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('neuron maps: each unit over the boundary grid equals a direct forward pass', async () => {
  const { ws, extras, events, values, feeds } = setup();
  try {
    assert.deepEqual(
      extras.neuronLayers.map((l) => l.name),
      ['dense0', 'relu0', 'dense1', 'relu1'],
    );
    await extras.neurons(feeds(), 5, 'relu1');
    const e = events.find((x) => x.type === 'neurons');
    assert.ok(e && e.type === 'neurons');
    assert.equal(e.layer, 'relu1');
    assert.equal(e.units, 6);
    assert.equal(e.label, 'ReLU after Dense(6)');
    assert.deepEqual(e.layers, ['dense0', 'relu0', 'dense1', 'relu1']);
    const g = e.grid;
    assert.equal(g.nx, GRID);
    assert.equal(g.channels, 6);
    assert.equal(g.values.length, GRID * GRID * 6);
    // the same grid as the boundary: cell centres of [x0, x1] × [y0, y1]
    await extras.boundary(feeds(), 5, 1, { force: true });
    const b = events.find((x) => x.type === 'boundary');
    assert.ok(b && b.type === 'boundary');
    assert.deepEqual([g.x0, g.x1, g.y0, g.y1], [b.grid.x0, b.grid.x1, b.grid.y0, b.grid.y1]);
    const W0 = values.get('dense0.weight')!;
    const B0 = values.get('dense0.bias')!;
    const W1 = values.get('dense1.weight')!;
    const B1 = values.get('dense1.bias')!;
    let worst = 0;
    let positive = 0;
    for (let iy = 0; iy < GRID; iy++)
      for (let ix = 0; ix < GRID; ix++) {
        const x = g.x0 + ((ix + 0.5) / GRID) * (g.x1 - g.x0);
        const y = g.y0 + ((iy + 0.5) / GRID) * (g.y1 - g.y0);
        const h0 = Array.from({ length: 8 }, (_, u) =>
          Math.max(0, W0[u * 2]! * x + W0[u * 2 + 1]! * y + B0[u]!),
        );
        for (let u = 0; u < 6; u++) {
          let a = B1[u]!;
          for (let k = 0; k < 8; k++) a += W1[u * 8 + k]! * h0[k]!;
          const want = Math.max(0, a);
          const got = g.values[(iy * GRID + ix) * 6 + u]!;
          worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
          if (want > 0) positive++;
        }
      }
    assert.ok(worst < 2e-3, `max relative error ${worst}`);
    assert.ok(positive > 0);
    // default layer: the first hidden activation
    events.length = 0;
    await extras.neurons(feeds(), 5);
    assert.equal((events[0] as { layer: string }).layer, 'relu0');
    await assert.rejects(extras.neurons(feeds(), 5, 'nope'), /no hidden layer 'nope'/);
  } finally {
    await extras.release();
    rmSync(ws, { recursive: true, force: true });
  }
});

test(`neuron maps: a wide layer sends its first ${MAX_NEURON_MAPS} units and says how many it has`, async () => {
  const src = TWO_D.replace('Dense(8) |> ReLU |> Dense(6)', 'Dense(100) |> ReLU |> Dense(6)');
  const { ws, extras, events, feeds } = setup(src);
  try {
    await extras.neurons(feeds(), 1, 'relu0');
    const e = events[0]!;
    assert.ok(e.type === 'neurons');
    assert.equal(e.units, 100);
    assert.equal(e.grid.channels, MAX_NEURON_MAPS);
    assert.equal(e.grid.values.length, GRID * GRID * MAX_NEURON_MAPS);
  } finally {
    await extras.release();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('probe layers of a conv net: ReLU units are channels; no neuron maps without 2-D input', async () => {
  const src = `data d = Digits()

model Conv(x: [B, 1, 8, 8]) -> [B, 10] {
  x |> Conv2d(4, 3, padding=1) |> ReLU |> MaxPool2d(2) |> Flatten |> Dense(12) |> ReLU |> Dense(10)
}

train Conv {
  data = d
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
  batch = 32
  validation = 0.1
}
`;
  const { ws, p, extras, events, values, feeds } = setup(src, 'Conv');
  try {
    const relus = extras.reluLayers;
    assert.deepEqual(
      relus.map((l) => [l.name, l.units, l.unitAxis, l.sampleShape.join('x')]),
      [
        ['relu0', 4, 0, '4x8x8'],
        ['relu1', 12, 0, '12'],
      ],
    );
    assert.deepEqual(extras.neuronLayers, []);
    await assert.rejects(extras.neurons(feeds(), 1), /two input features/);
    // kill conv channel 2 (zero kernel, bias -1: 0 at every position of every sample)
    const w = values.get('conv2d0.weight')!;
    const b = values.get('conv2d0.bias')!;
    // (the other channels: zero kernels and bias +1, so they output 1 everywhere)
    w.fill(0);
    for (let c = 0; c < 4; c++) b[c] = c === 2 ? -1 : 1;
    await extras.histograms(feeds(), 1);
    const h = events[0]!;
    assert.ok(h.type === 'histograms');
    assert.equal(h.probeSamples, Math.min(256, p.split.validation!.n));
    assert.deepEqual(h.deadRelu![0], {
      layer: 'relu0',
      label: 'ReLU after Conv2d(4, 3, padding=1)',
      units: 4,
      dead: 1,
    });
    // the same counts when the probe batch runs in chunks of 3 samples (a last short chunk)
    const perSample = 4 * 8 * 8 + 12;
    const chunked = await extras.deadRelus(feeds(), 3 * perSample);
    assert.deepEqual(chunked?.entries, h.deadRelu);
    assert.equal(chunked?.samples, h.probeSamples);
    assert.ok(h.probeSamples! % 3 !== 0, 'the last chunk is short');
  } finally {
    await extras.release();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('protocol: extras validate; bad grids and neurons requests are rejected', () => {
  const v = PROTOCOL_VERSION;
  const grid = { x0: 0, x1: 1, y0: 0, y1: 1, nx: 2, ny: 2, channels: 1, values: [0, 1, 0, 1] };
  assert.ok(validateEvent({ type: 'boundary', v, step: 1, epoch: 1, grid }).ok);
  assert.ok(
    !validateEvent({ type: 'boundary', v, step: 1, epoch: 1, grid: { ...grid, nx: 3 } }).ok,
  );
  assert.ok(validateEvent({ type: 'confusion', v, epoch: 1, classes: ['a'], matrix: [[1]] }).ok);
  assert.ok(!validateEvent({ type: 'confusion', v, epoch: 1, classes: ['a'], matrix: [['x']] }).ok);
  const w = { name: 'W', min: 0, max: 1, counts: [1, 2] };
  assert.ok(validateEvent({ type: 'histograms', v, step: 3, weights: [w] }).ok);
  assert.ok(validateEvent({ type: 'neurons', v, layer: 'l', layers: ['l'], step: 1, grid }).ok);
  assert.ok(validateRequest({ type: 'neurons', v }).ok);
  assert.ok(!validateRequest({ type: 'neurons', v, layer: 3 }).ok);
  const dead = { layer: 'relu0', label: 'ReLU after Dense(4)', units: 4, dead: 1 };
  assert.ok(validateEvent({ type: 'histograms', v, step: 3, weights: [w], deadRelu: [dead] }).ok);
  assert.ok(
    !validateEvent({
      type: 'histograms',
      v,
      step: 3,
      weights: [w],
      deadRelu: [{ ...dead, dead: 5 }],
    }).ok,
  );
  const from = {
    workspaceRoot: '/w',
    modelPath: 'm.dlm',
    model: 'M',
    checkpoint: 'last.safetensors',
  };
  assert.ok(validateRequest({ type: 'neurons', v, layer: 'relu0', from }).ok);
  assert.ok(!validateRequest({ type: 'neurons', v, from: { ...from, checkpoint: '' } }).ok);
  assert.ok(!validateRequest({ type: 'neurons', v, from: { ...from, dataset: { name: 3 } } }).ok);
});

test('toProbabilities: softmax of logits, sigmoid of one logit, distributions kept', () => {
  const l = toProbabilities(new Float32Array([0, Math.log(3), 5, 5]), 2, 2);
  assert.ok(Math.abs(l[0]! - 0.25) < 1e-6 && Math.abs(l[2]! - 0.5) < 1e-6);
  const p = toProbabilities(new Float32Array([0.2, 0.8]), 1, 2);
  assert.ok(Math.abs(p[0]! - 0.2) < 1e-6);
  const s = toProbabilities(new Float32Array([0, 2]), 2, 1);
  assert.ok(Math.abs(s[0]! - 0.5) < 1e-6 && s[1]! > 0.8);
  const h = histogram('W', [0, 0.5, 1, 1]);
  assert.equal(h.counts.length, 30);
  assert.equal(
    h.counts.reduce((a, b) => a + b, 0),
    4,
  );
  assert.equal(h.counts[29], 2);
});
