/**
 * End to end: the supervisor forks the trainer child (src/engine/trainer.ts under tsx), which
 * trains the hand-written reference StepProgram on synthetic data in onnxruntime-node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TrainerSupervisor } from '../../src/engine/supervisor';
import type { StartRequest, TrainerEvent } from '../../src/engine/protocol';
import { listRuns, loadCheckpoint, readMetrics } from '../../src/engine/runs';

const ROOT = path.join(__dirname, '..', '..');
const spawnTrainer = () =>
  new TrainerSupervisor({
    entry: path.join(ROOT, 'src/engine/trainer.ts'),
    execArgv: ['--import', 'tsx'],
    cwd: ROOT,
  });

function workspace(): string {
  return mkdtempSync(path.join(tmpdir(), 'dlm-engine-'));
}

type Start = Omit<StartRequest, 'type' | 'v'>;
const base = (ws: string, extra: Partial<Start> = {}): Start => ({
  workspaceRoot: ws,
  modelPath: 'model.dlm',
  model: 'Net',
  reference: { hidden: [32], momentum: 0.9 },
  stepEventInterval: 0,
  ...extra,
  overrides: {
    dataset: { name: 'Spiral', args: { points: 300, classes: 3, noise: 0.05, seed: 3 } },
    epochs: 20,
    batch: 16,
    lr: 0.3,
    seed: 1,
    ...extra.overrides,
  },
});

test('trains the reference MLP on Spiral: loss falls, events in order, run folder written', async () => {
  const ws = workspace();
  const sup = spawnTrainer();
  try {
    const ready = await sup.ready;
    assert.equal(ready.v, 1);
    const done = sup.next('finished', undefined, 60_000);
    sup.start(base(ws));
    const fin = await done;
    assert.equal(fin.reason, 'completed');
    const ev = sup.events;
    const types = ev.map((e) => e.type);
    assert.equal(types[0], 'ready');
    assert.equal(types[1], 'started');
    assert.equal(types[types.length - 1], 'finished');
    const steps = ev.filter((e): e is Extract<TrainerEvent, { type: 'step' }> => e.type === 'step');
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i]!.step > steps[i - 1]!.step);
    assert.ok(steps[0]!.gradNorms && 'W1' in steps[0]!.gradNorms && steps[0]!.updateRatios);
    const epochs = ev.filter(
      (e): e is Extract<TrainerEvent, { type: 'epoch' }> => e.type === 'epoch',
    );
    assert.equal(epochs.length, 20);
    const first = epochs[0]!;
    const last = epochs[epochs.length - 1]!;
    assert.ok(
      last.trainLoss < first.trainLoss * 0.6,
      `loss ${first.trainLoss} → ${last.trainLoss}`,
    );
    assert.ok((last.valAcc ?? 0) > 0.8, `val accuracy ${last.valAcc}`);
    const started = ev.find((e) => e.type === 'started');
    assert.ok(started && started.type === 'started');
    assert.ok(started.timing.sessionCreateMs! > 0);
    assert.equal(started.params.total, 2 * 32 + 32 + 32 * 3 + 3);
    assert.ok(last.timing.runMsPerStep! > 0 && last.timing.copyMsPerStep! >= 0);
    console.log(
      `session creation ${started.timing.sessionCreateMs!.toFixed(1)} ms; per step: copy ${last.timing.copyMsPerStep!.toFixed(3)} ms, run ${last.timing.runMsPerStep!.toFixed(3)} ms`,
    );
    // Run folder.
    const runs = listRuns(ws, 'Net');
    assert.equal(runs.length, 1);
    const dir = runs[0]!.dir;
    assert.equal(dir, started.runDir);
    assert.match(path.basename(dir), /^Net-\d{8}-\d{6}$/);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(config.train.epochs, 20);
    assert.equal(config.dataset.name, 'Spiral');
    assert.ok(config.versions.onnxruntime);
    const metrics = readMetrics(path.join(dir, 'metrics.jsonl'), ws);
    assert.equal(metrics.filter((m) => m.type === 'epoch').length, 20);
    assert.ok(
      existsSync(path.join(dir, 'last.safetensors')) &&
        existsSync(path.join(dir, 'best.safetensors')),
    );
    const ck = loadCheckpoint(path.join(dir, 'last.safetensors'), ws);
    assert.equal(ck.epoch, 20);
    assert.deepEqual(
      ck.tensors.map((t) => t.name),
      ['W1', 'b1', 'W2', 'b2', 'W1.v', 'b1.v', 'W2.v', 'b2.v'],
    );
  } finally {
    await sup.shutdown();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('pause, resume and stop take effect between steps', async () => {
  const ws = workspace();
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const s = base(ws, { overrides: { epochs: 500 }, stepEventInterval: 0 });
    sup.start(s);
    await sup.next('step', (e) => e.step >= 5);
    sup.pause();
    const paused = await sup.next('paused');
    const n = sup.events.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(sup.events.length - n <= 1, 'no steps while paused');
    sup.resume();
    const resumed = await sup.next('resumed');
    assert.equal(resumed.step, paused.step);
    await sup.next('step', (e) => e.step > paused.step + 3);
    sup.stop();
    const fin = await sup.next('finished');
    assert.equal(fin.reason, 'stopped');
    assert.ok(fin.step < 500 * 15);
    const ck = loadCheckpoint(path.join(fin.runDir, 'last.safetensors'), ws);
    assert.equal(ck.step, fin.step);
  } finally {
    await sup.shutdown();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('killing the child yields a crash event; the last checkpoint resumes the run', async () => {
  const ws = workspace();
  const sup = spawnTrainer();
  let runDir = '';
  try {
    await sup.ready;
    sup.start(base(ws, { overrides: { epochs: 200 }, checkpointEvery: 10, stepEventInterval: 20 }));
    const started = await sup.next('started');
    runDir = started.runDir;
    await sup.next('checkpoint', (e) => e.step >= 30);
    const crash = sup.next('error');
    sup.child.kill('SIGKILL');
    const err = await crash;
    assert.equal(err.kind, 'crash');
    assert.match(err.message, /SIGKILL/);
  } finally {
    await sup.dispose();
  }
  const ckPath = path.join(runDir, 'last.safetensors');
  const ck = loadCheckpoint(ckPath, ws);
  assert.ok(ck.step >= 30);
  const sup2 = spawnTrainer();
  try {
    await sup2.ready;
    sup2.start(base(ws, { overrides: { epochs: ck.epoch + 2 }, resumeFrom: ckPath }));
    const started = await sup2.next('started');
    assert.equal(started.runDir, runDir);
    assert.equal(started.resumed?.step, ck.step);
    const fin = await sup2.next('finished');
    const firstStep = sup2.events.find((e) => e.type === 'step');
    assert.equal(firstStep?.type === 'step' && firstStep.step, ck.step + 1);
    assert.equal(fin.reason, 'completed');
    assert.equal(fin.epoch, ck.epoch + 2);
    assert.ok(
      readMetrics(path.join(runDir, 'metrics.jsonl'), ws).some(
        (m) => m.type === 'started' && m.resumed,
      ),
    );
  } finally {
    await sup2.shutdown();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('resume is bit-identical: stop mid-epoch, resume from last.safetensors = one straight run', async () => {
  // 150 steps per epoch, so the stop asked for at step 20 lands inside an epoch however late the
  // trainer sees it on a loaded machine.
  const overrides = {
    epochs: 3,
    dataset: { name: 'Spiral', args: { points: 3000, classes: 3, noise: 0.05, seed: 3 } },
  };
  const run = async (ws: string, stopAt?: number) => {
    const sup = spawnTrainer();
    try {
      await sup.ready;
      sup.start(base(ws, { overrides, checkpointEvery: 5 }));
      if (stopAt !== undefined) {
        await sup.next('step', (e) => e.step >= stopAt);
        sup.stop();
      }
      return { fin: await sup.next('finished', undefined, 60_000), events: [...sup.events] };
    } finally {
      await sup.shutdown();
    }
  };
  const wsA = workspace();
  const wsB = workspace();
  try {
    const a = await run(wsA);
    const b = await run(wsB, 20);
    assert.equal(b.fin.reason, 'stopped');
    const ckPath = path.join(b.fin.runDir, 'last.safetensors');
    const stopped = loadCheckpoint(ckPath, wsB);
    assert.ok(stopped.batchInEpoch > 0, 'stopped inside an epoch');
    const sup = spawnTrainer();
    let resumedEvents: TrainerEvent[];
    try {
      await sup.ready;
      sup.start(base(wsB, { overrides, checkpointEvery: 5, resumeFrom: ckPath }));
      await sup.next('finished', undefined, 60_000);
      resumedEvents = [...sup.events];
    } finally {
      await sup.shutdown();
    }
    // the same losses for every step after the resume, and the same epoch averages
    const stepLoss = (ev: TrainerEvent[]) =>
      new Map(ev.flatMap((e) => (e.type === 'step' ? [[e.step, e.loss] as const] : [])));
    const lossA = stepLoss(a.events);
    const after = [...stepLoss(resumedEvents)];
    assert.ok(after.length > 10);
    for (const [st, loss] of after) assert.equal(loss, lossA.get(st), `step ${st}`);
    const epochs = (ev: TrainerEvent[]) =>
      ev.flatMap((e) => (e.type === 'epoch' ? [[e.epoch, e.trainLoss, e.valLoss]] : []));
    const resumedEpochs = epochs(resumedEvents);
    assert.deepEqual(resumedEpochs, epochs(a.events).slice(-resumedEpochs.length));
    // bit-identical final parameters and optimizer state
    const fa = loadCheckpoint(path.join(a.fin.runDir, 'last.safetensors'), wsA);
    const fb = loadCheckpoint(path.join(b.fin.runDir, 'last.safetensors'), wsB);
    assert.equal(fb.step, fa.step);
    assert.deepEqual(
      fb.tensors.map((t) => [t.name, t.kind, Buffer.from(t.data.buffer).toString('hex')]),
      fa.tensors.map((t) => [t.name, t.kind, Buffer.from(t.data.buffer).toString('hex')]),
    );
    assert.deepEqual(fb.rng, fa.rng);
  } finally {
    rmSync(wsA, { recursive: true, force: true });
    rmSync(wsB, { recursive: true, force: true });
  }
});

test('a NaN-inducing learning rate yields an error event naming a parameter and the step', async () => {
  const ws = workspace();
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const err = sup.next('error');
    sup.start(base(ws, { overrides: { lr: 1e30, epochs: 5 } }));
    const e = await err;
    assert.ok(!sup.events.some((x) => x.type === 'finished'));
    assert.equal(e.kind, 'nan');
    assert.ok(e.fatal);
    assert.match(String(e.details?.parameter), /^[Wb][12]$/);
    assert.ok(typeof e.details?.step === 'number' && e.details.step > 0);
    assert.match(e.message, new RegExp(`step ${e.details!.step}`));
    assert.match(e.message, /'[Wb][12]'/);
    assert.match(e.suggestion ?? '', /learning rate.*clip/);
  } finally {
    await sup.shutdown();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('data problems are reported as data errors before training', async () => {
  const ws = workspace();
  const sup = spawnTrainer();
  try {
    await sup.ready;
    const err = sup.next('error');
    sup.start(
      base(ws, { overrides: { dataset: { name: 'Csv', args: { path: '../outside.csv' } } } }),
    );
    const e = await err;
    assert.equal(e.kind, 'data');
    assert.match(e.message, /outside the workspace/);
    // The trainer stays usable: a bad request is rejected without killing it.
    sup.child.send({ type: 'start', v: 99 });
    const bad = await sup.next('error');
    assert.match(bad.message, /protocol version 99/);
    assert.ok(sup.alive);
  } finally {
    await sup.shutdown();
    rmSync(ws, { recursive: true, force: true });
  }
});
