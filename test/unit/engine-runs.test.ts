/** Engine run folders, checkpoints, protocol validation, schedules, the reference program. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CHECKPOINT_METADATA_KEY,
  createRunDir,
  decodeCheckpoint,
  encodeCheckpoint,
  LAST_CHECKPOINT,
  listRuns,
  readWeights,
  loadCheckpoint,
  MetricsLog,
  readMetrics,
  saveCheckpoint,
  writeJson,
  type Checkpoint,
} from '../../src/engine/runs';
import {
  decode,
  encode,
  f32Tensor,
  i64Tensor,
  SafetensorsError,
  type SafeTensor,
} from '../../src/interop/safetensors';
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
    { name: 'optimizer.step', kind: 'state', shape: [], data: Float32Array.from([step]) },
  ],
  best: { loss: 0.5, epoch: 1, stale: 0 },
  partial: { loss: 1 / 3, n: 7 },
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
    assert.equal(readMetrics(path.join(a.dir, 'metrics.jsonl'), ws).length, 2);
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
    const f = path.join(ws, LAST_CHECKPOINT);
    saveCheckpoint(f, ckpt(10));
    saveCheckpoint(f, ckpt(20));
    assert.deepEqual(readdirSync(ws), ['last.safetensors']);
    const c = loadCheckpoint(f, ws);
    assert.equal(c.step, 20);
    assert.equal(c.epoch, 2);
    assert.equal(c.batchInEpoch, 3);
    assert.deepEqual(c.rng, new Rng(1).getState());
    assert.deepEqual(c.best, { loss: 0.5, epoch: 1, stale: 0 });
    assert.deepEqual(c.partial, { loss: 1 / 3, n: 7 });
    assert.deepEqual(
      c.tensors.map((t) => [t.name, t.kind]),
      [
        ['W', 'param'],
        ['W.v', 'state'],
        ['optimizer.step', 'state'],
      ],
    );
    assert.deepEqual([...c.tensors[0]!.data], [1, 2, 3, 4, 5, 6.5]);
    assert.deepEqual(c.tensors[1]!.shape, [2, 3]);
    assert.deepEqual(c.tensors[2]!.shape, []);
    // A resumed RNG continues the same stream.
    const r = new Rng(c.rng);
    const r2 = new Rng(1);
    assert.equal(r.nextU32(), r2.nextU32());
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('checkpoints are safetensors: parameters under their names, optimizer state under optimizer.', () => {
  const st = decode(encodeCheckpoint(ckpt(5)), 'last.safetensors');
  assert.deepEqual([...st.tensors.keys()], ['W', 'optimizer.W.v', 'optimizer.step']);
  assert.equal(st.tensors.get('W')!.dtype, 'F32');
  assert.equal(st.metadata.format, 'pt');
  assert.match(st.metadata['dlm.crc32']!, /^[0-9a-f]{8}$/);
  const meta = JSON.parse(st.metadata[CHECKPOINT_METADATA_KEY]!);
  assert.equal(meta.format, 2);
  assert.equal(meta.step, 5);
  assert.deepEqual(meta.state, ['W.v', 'optimizer.step']);
  // Bit-exact: every float32 pattern survives (signed zero, subnormals, the largest finite).
  const odd = Float32Array.from([-0, 1e-45, 3.4028234e38, 1 / 3, -7.25, 2 ** -126]);
  const c = decodeCheckpoint(
    encodeCheckpoint({
      ...ckpt(1),
      tensors: [{ name: 'odd', kind: 'param', shape: [6], data: odd }],
    }),
  );
  assert.deepEqual(new Uint32Array(c.tensors[0]!.data.buffer), new Uint32Array(odd.buffer));
  // The parameters load by name as weights; the optimizer state does not get in the way.
  const w = readWeights(
    'last.safetensors',
    [{ name: 'W', shape: [2, 3] }],
    '/',
    encodeCheckpoint(ckpt(1)),
  );
  assert.deepEqual([...w.get('W')!], [1, 2, 3, 4, 5, 6.5]);
});

/** Re-encode a checkpoint's tensors with one changed, keeping its metadata (and checksum rule). */
function rewrite(
  bytes: Uint8Array,
  change: (name: string, t: SafeTensor) => SafeTensor | undefined,
  checksum = true,
): Uint8Array {
  const st = decode(bytes);
  const meta = { ...st.metadata };
  delete meta['dlm.crc32'];
  delete meta['dlm.crc32.tensors'];
  const out: [string, SafeTensor][] = [];
  for (const [n, t] of st.tensors) {
    const c = change(n, t);
    if (c) out.push([n, c]);
  }
  return encode(out, meta, { checksum });
}

test('damaged checkpoints: a clear message naming the file and the tensor, never a crash', () => {
  const file = '/runs/Net-1/last.safetensors';
  const good = encodeCheckpoint(ckpt(1));
  const fails = (bytes: Uint8Array, re: RegExp) => {
    assert.throws(
      () => decodeCheckpoint(bytes, file),
      (e: unknown) => e instanceof SafetensorsError && re.test(e.message),
    );
  };
  // truncated: in the data, in the header, in the length field
  fails(
    good.subarray(0, good.length - 4),
    /^\/runs\/Net-1\/last\.safetensors: tensor 'optimizer\.step': is truncated/,
  );
  fails(good.subarray(0, 100), /last\.safetensors: is truncated: the header needs/);
  fails(good.subarray(0, 5), /last\.safetensors: is not a safetensors file/);
  // a flipped bit in a parameter: the checksum names it
  const flipped = good.slice();
  flipped[flipped.length - 4 - 24 - 24 + 5]! ^= 0x10;
  fails(flipped, /last\.safetensors: tensor 'W': is damaged: checksum \w+ does not match/);
  // wrong dtype
  fails(
    rewrite(good, (n, t) => (n === 'W' ? i64Tensor([2, 3], [1, 2, 3, 4, 5, 6]) : t)),
    /last\.safetensors: tensor 'W': dtype I64 is not a floating-point type/,
  );
  // missing optimizer state
  fails(
    rewrite(good, (n, t) => (n === 'optimizer.W.v' ? undefined : t)),
    /last\.safetensors: tensor 'optimizer\.W\.v': is missing/,
  );
  // NaN bytes written into a weight (no checksum to catch it)
  fails(
    rewrite(
      good,
      (n, t) => (n === 'W' ? f32Tensor([2, 3], Float32Array.from([1, 2, NaN, 4, 5, 6])) : t),
      false,
    ),
    /last\.safetensors: tensor 'W': value 2 of \[2, 3\] is NaN/,
  );
  // damaged training state; weights without training state
  const st = decode(good);
  fails(
    encode(st.tensors, { [CHECKPOINT_METADATA_KEY]: '{"format":2,"step":-1}' }),
    /last\.safetensors: is damaged: the training state's step is missing or invalid/,
  );
  fails(
    encode(st.tensors, {}),
    /last\.safetensors: holds weights but no training state .* cannot resume a run/,
  );
  // wrong shape and missing parameters, when read as weights for a model
  const need = (name: string, shape: number[]) => () =>
    readWeights(file, [{ name, shape }], '/', good);
  assert.throws(
    need('W', [3, 2]),
    /last\.safetensors: tensor 'W': has shape \[2, 3\] but the model needs \[3, 2\]/,
  );
  assert.throws(
    need('fc.weight', [2, 3]),
    /last\.safetensors: tensor 'fc\.weight': is missing: the model needs this \[2, 3\] parameter/,
  );
});

test('legacy DLMCKPT1 checkpoints are still read (resume, export, predict)', () => {
  const legacy = legacyBytes(ckpt(7));
  const c = decodeCheckpoint(legacy, 'last.ckpt');
  assert.equal(c.step, 7);
  assert.equal(c.batchInEpoch, 3);
  assert.deepEqual([...c.tensors[0]!.data], [1, 2, 3, 4, 5, 6.5]);
  assert.equal(c.tensors[1]!.kind, 'state');
  const w = readWeights('last.ckpt', [{ name: 'W', shape: [2, 3] }], '/', legacy);
  assert.deepEqual([...w.get('W')!], [1, 2, 3, 4, 5, 6.5]);
  assert.throws(
    () => decodeCheckpoint(legacy.subarray(0, legacy.length - 4), 'last.ckpt'),
    /last\.ckpt: tensor 'optimizer\.step': is truncated/,
  );
});

/** A DLMCKPT1 file as the previous version wrote it (the format is frozen; this is its spec). */
function legacyBytes(c: Checkpoint): Uint8Array {
  let offset = 0;
  const tensors = c.tensors.map((t) => {
    const e = { name: t.name, kind: t.kind, shape: [...t.shape], offset, length: t.data.length };
    offset += t.data.length * 4;
    return e;
  });
  const json = Buffer.from(JSON.stringify({ ...c, format: 1, tensors }), 'utf8');
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const out = Buffer.alloc(start + offset);
  out.write('DLMCKPT1', 0, 'latin1');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  c.tensors.forEach((t, k) =>
    t.data.forEach((v, i) => out.writeFloatLE(v, start + tensors[k]!.offset + 4 * i)),
  );
  return out;
}

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
