/** Engine run folders, checkpoints, protocol validation, schedules, the reference program. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createRunDir,
  decodeCheckpoint,
  encodeCheckpoint,
  listRuns,
  loadCheckpoint,
  MetricsLog,
  readMetrics,
  saveCheckpoint,
  writeJson,
  type Checkpoint,
} from '../../src/engine/runs';
import { PROTOCOL_VERSION, validateEvent, validateRequest } from '../../src/engine/protocol';
import { referenceProgram } from '../../src/engine/reference';
import { validateProgram } from '../../src/engine/program';
import { Rng } from '../../src/engine/rng';

const ckpt = (step: number): Checkpoint => ({
  step,
  epoch: 2,
  batchInEpoch: 3,
  rng: new Rng(1).getState(),
  tensors: [
    { name: 'W', kind: 'param', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
    { name: 'W.v', kind: 'state', shape: [2, 3], data: new Float32Array(6).fill(-0.25) },
  ],
  best: { loss: 0.5, epoch: 1, stale: 0 },
});

test('run folders: unique names, config, metrics, listing', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-runs-'));
  try {
    const now = new Date(2024, 0, 2, 3, 4, 5);
    const a = createRunDir(ws, 'Net', now);
    const b = createRunDir(ws, 'Net', now);
    assert.equal(a.id, 'Net-20240102-030405');
    assert.equal(b.id, 'Net-20240102-030405-2');
    writeJson(path.join(a.dir, 'config.json'), { model: 'Net', createdAt: '2024-01-02T03:04:05Z' });
    const log = new MetricsLog(path.join(a.dir, 'metrics.jsonl'));
    log.append({ type: 'epoch', epoch: 0, trainLoss: 1 });
    log.append({ type: 'epoch', epoch: 1, trainLoss: 0.5 });
    writeFileSync(path.join(a.dir, 'metrics.jsonl'), '{"torn":', { flag: 'a' });
    assert.equal(readMetrics(path.join(a.dir, 'metrics.jsonl')).length, 2);
    const runs = listRuns(ws, 'Net');
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.last?.epoch, 1);
    assert.equal(listRuns(ws).length, 2);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('checkpoints: atomic write, exact round trip, no temp files left, corrupt files rejected', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-ckpt-'));
  try {
    const f = path.join(ws, 'last.ckpt');
    saveCheckpoint(f, ckpt(10));
    saveCheckpoint(f, ckpt(20));
    assert.deepEqual(readdirSync(ws), ['last.ckpt']);
    const c = loadCheckpoint(f);
    assert.equal(c.step, 20);
    assert.equal(c.batchInEpoch, 3);
    assert.deepEqual(c.rng, new Rng(1).getState());
    assert.deepEqual([...c.tensors[0]!.data], [1, 2, 3, 4, 5, 6.5]);
    assert.deepEqual(c.tensors[1]!.shape, [2, 3]);
    const bytes = encodeCheckpoint(ckpt(1));
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)), /truncated/);
    assert.throws(() => decodeCheckpoint(new Uint8Array(20)), /not a DLM checkpoint/);
    // A resumed RNG continues the same stream.
    const r = new Rng(c.rng);
    const r2 = new Rng(1);
    assert.equal(r.nextU32(), r2.nextU32());
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('protocol: requests and events are validated, versions checked', () => {
  const v = PROTOCOL_VERSION;
  assert.ok(validateRequest({ type: 'pause', v }).ok);
  assert.ok(
    validateRequest({
      type: 'start',
      v,
      workspaceRoot: '/w',
      modelPath: 'a.dlm',
      model: 'M',
      threads: 2,
      overrides: { epochs: 3, lr: 0.1, dataset: { name: 'Spiral', args: { points: 10 } } },
    }).ok,
  );
  const bad = (m: unknown, re: RegExp) => {
    const r = validateRequest(m);
    assert.ok(!r.ok && re.test(r.error), JSON.stringify(r));
  };
  bad(null, /object/);
  bad({ type: 'pause', v: 2 }, /protocol version 2/);
  bad({ type: 'jump', v }, /unknown request type 'jump'/);
  bad({ type: 'start', v, workspaceRoot: '/w', modelPath: 'a', model: '' }, /model/);
  bad({ type: 'start', v, workspaceRoot: '/w', modelPath: 'a', model: 'M', threads: 0 }, /threads/);
  bad(
    {
      type: 'start',
      v,
      workspaceRoot: '/w',
      modelPath: 'a',
      model: 'M',
      overrides: { epochs: 1.5 },
    },
    /epochs/,
  );
  bad(
    {
      type: 'start',
      v,
      workspaceRoot: '/w',
      modelPath: 'a',
      model: 'M',
      overrides: { validation: 1 },
    },
    /validation/,
  );
  bad(
    {
      type: 'start',
      v,
      workspaceRoot: '/w',
      modelPath: 'a',
      model: 'M',
      overrides: { dataset: { args: {} } },
    },
    /dataset/,
  );
  assert.ok(validateEvent({ type: 'step', v, step: 1, epoch: 0, loss: 0.5, lr: 0.1 }).ok);
  assert.ok(!validateEvent({ type: 'step', v, step: 1, epoch: 0, lr: 0.1 }).ok);
  assert.ok(!validateEvent({ type: 'finished', v, reason: 'bored', runDir: '/r' }).ok);
  assert.ok(validateEvent({ type: 'error', v, kind: 'nan', message: 'x', fatal: true }).ok);
});

test('reference program is structurally valid and seeded', () => {
  const p = referenceProgram({ inputs: 2, outputs: 3, hidden: [4], momentum: 0.9, seed: 1 });
  assert.deepEqual(validateProgram(p), []);
  assert.deepEqual(
    p.params.map((t) => t.name),
    ['W1', 'b1', 'W2', 'b2'],
  );
  assert.equal(p.state.length, 4);
  assert.deepEqual(
    referenceProgram({ inputs: 2, outputs: 3, hidden: [4], seed: 1 }).params[0]!.init,
    p.params[0]!.init,
  );
  assert.ok(p.step.graph(8).length > 100);
  assert.ok(p.exportGraph!(new Map()).length > 50);
});
