/**
 * BatchNorm on a batch of one: PyTorch raises "Expected more than 1 value per channel when
 * training" (BatchNorm1d on [1, C]); the trainer refuses the run before its first step with a
 * clear message and the fix, instead of training on a degenerate batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import '../../src/engine/compile';
import { runTraining, type EmitEvent } from '../../src/engine/loop';
import type { EventOf } from '../../src/engine/protocol';

async function run(points: number, batch: number, extra = ''): Promise<EmitEvent[]> {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-bn1-'));
  try {
    writeFileSync(
      path.join(ws, 'model.dlm'),
      `data d = Spiral(points=${points}, classes=3, seed=1)
model Net(x: [B, 2]) -> [B, 3] { x |> Dense(8) |> BatchNorm1d |> ReLU |> Dense(3) }
train Net {
  data = d
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
  batch = ${batch}
  validation = 0
${extra}
}
`,
    );
    const events: EmitEvent[] = [];
    await runTraining(
      { type: 'start', v: 1, workspaceRoot: ws, modelPath: 'model.dlm', model: 'Net', threads: 1 },
      { paused: false, stopRequested: false, waitWhilePaused: () => Promise.resolve() },
      (e) => events.push(e),
    );
    return events;
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

const errorOf = (ev: EmitEvent[]) => ev.find((e): e is EventOf<'error'> => e.type === 'error');

test('a last batch of one through BatchNorm is a clear error before the first step', async () => {
  const ev = await run(9, 4);
  const err = errorOf(ev);
  assert.ok(err, 'expected an error');
  assert.equal(err.kind, 'data');
  assert.match(
    err.message,
    /BatchNorm1d would train on a batch of one: 9 training samples in batches of 4 leave a last batch of 1/,
  );
  assert.match(err.message, /Expected more than 1 value per channel when training/);
  assert.match(err.suggestion ?? '', /drop_last = true/);
  assert.match(err.suggestion ?? '', /batch = 5/);
  assert.ok(!ev.some((e) => e.type === 'step'), 'no step was taken');
});

test('batch = 1 through BatchNorm is an error; drop_last or an even split trains', async () => {
  assert.match(
    errorOf(await run(8, 1))?.message ?? '',
    /batches of one value per channel \(batch 1\)/,
  );
  for (const [points, batch, extra] of [
    [9, 4, '  drop_last = true'],
    [10, 4, ''],
  ] as const) {
    const ev = await run(points, batch, extra);
    assert.equal(errorOf(ev), undefined, JSON.stringify(errorOf(ev)));
    assert.ok(ev.some((e) => e.type === 'finished'));
  }
});
