/**
 * The trainer's dashboard extras (src/engine/extras.ts) end to end through the supervisor: the
 * compiled examples/spiral.dlm model (and the hand-written reference program) on Spiral emit
 * boundary grids that change as the model learns, confusion matrices whose diagonal grows, and
 * weight histograms; a `neurons` request is answered with a non-fatal error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
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
import { histogram, toProbabilities } from '../../src/engine/extras';
import { readMetrics } from '../../src/engine/runs';

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

async function runAndCollect(start: Start) {
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const done = sup.next('finished', undefined, 120_000);
    sup.start(start);
    const fin = await done;
    const of = <T extends 'boundary' | 'confusion' | 'histograms' | 'epoch'>(t: T) =>
      sup.events.filter((e): e is EventOf<T> => e.type === t);
    return {
      fin,
      boundaries: of('boundary'),
      confusions: of('confusion'),
      histograms: of('histograms'),
      epochs: of('epoch'),
      errors: sup.events.filter((e) => e.type === 'error'),
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
    const r = await runAndCollect({
      workspaceRoot: ws,
      modelPath: 'spiral.dlm',
      model: 'SpiralNet',
      overrides: { epochs: 30 },
    });
    assert.equal(r.fin.reason, 'completed');
    checkExtras(r, 3);
    // the first and the final boundary, confusion and histograms are in metrics.jsonl
    const recs = readMetrics(path.join(r.fin.runDir, 'metrics.jsonl'));
    const logged = recs.filter((x) => x.type === 'boundary');
    assert.equal(logged.length, 2);
    assert.ok(logged[0]!.points);
    assert.equal(recs.filter((x) => x.type === 'confusion').length, 30);
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

test('a neurons request is answered with a non-fatal error (not supported yet)', async () => {
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const err = sup.next('error', undefined, 10_000);
    sup.send({ type: 'neurons', layer: 'Dense_1' });
    const e = await err;
    assert.equal(e.kind, 'internal');
    assert.equal(e.fatal, false);
    assert.match(e.message, /not supported/);
  } finally {
    await sup.shutdown();
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
