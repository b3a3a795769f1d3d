/**
 * The learning rate the trainer actually uses at every optimizer step, against PyTorch
 * (test/fixtures/torch/schedules.json, from gen_schedules.py with torch 1.13): a tiny model
 * trains in-process (`runTraining`, as the trainer child does) with each `schedule` setting over
 * three times the schedule's period, and the `lr` of every step event must equal the rate the
 * PyTorch training loop used at that step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import '../../src/engine/compile';
import { runTraining, type EmitEvent } from '../../src/engine/loop';
import type { EventOf } from '../../src/engine/protocol';

interface Fixture {
  base_lr: number;
  steps_per_epoch: number;
  cases: { schedule: string; epochs: number; lrs: number[] }[];
}
const fx = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/torch/schedules.json'), 'utf8'),
) as Fixture;

const BATCH = 4;

async function trainerLrs(schedule: string, epochs: number): Promise<number[]> {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-sched-'));
  try {
    writeFileSync(
      path.join(ws, 'model.dlm'),
      `data d = Spiral(points=${BATCH * fx.steps_per_epoch}, classes=3, seed=1)
model Net(x: [B, 2]) -> [B, 3] { x |> Dense(3) }
train Net {
  data = d
  loss = CrossEntropy
  optimizer = SGD(lr=${fx.base_lr})
  epochs = ${epochs}
  batch = ${BATCH}
  validation = 0
  schedule = ${schedule}
}
`,
    );
    const events: EmitEvent[] = [];
    await runTraining(
      {
        type: 'start',
        v: 1,
        workspaceRoot: ws,
        modelPath: 'model.dlm',
        model: 'Net',
        threads: 1,
        stepEventInterval: 0,
      },
      { paused: false, stopRequested: false, waitWhilePaused: () => Promise.resolve() },
      (e) => events.push(e),
    );
    const err = events.find((e) => e.type === 'error');
    if (err) assert.fail(`training failed: ${JSON.stringify(err)}`);
    const steps = events.filter((e): e is EventOf<'step'> => e.type === 'step');
    assert.deepEqual(
      steps.map((s) => s.step),
      steps.map((_, i) => i + 1),
      'one step event per optimizer step',
    );
    return steps.map((s) => s.lr);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

for (const c of fx.cases)
  test(`trainer learning rate per step matches PyTorch: ${c.schedule}`, async () => {
    const got = await trainerLrs(c.schedule, c.epochs);
    assert.equal(got.length, c.lrs.length, 'steps');
    c.lrs.forEach((want, i) =>
      assert.ok(
        Math.abs(got[i]! - want) <= 1e-12 + 1e-10 * Math.abs(want),
        `step ${i} (epoch ${Math.floor(i / fx.steps_per_epoch)}): trainer ${got[i]}, PyTorch ${want}`,
      ),
    );
  });
