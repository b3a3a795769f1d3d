/**
 * `dlm train --resume RUN`: a run stopped mid-epoch and resumed from the CLI continues in its
 * folder and is bit-identical to an uninterrupted run (every later step loss, the final
 * parameters and optimizer state), with the settings the run was started with even after the
 * file's train section changed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Ctx } from '../../src/cli/common';
import { resolveTarget, trainCli } from '../../src/cli/train';
import { loadCheckpoint, resumePoint } from '../../src/engine/runs';

const REPO = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-resume-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// 480 training samples in batches of 16: 30 steps per epoch, 60 in all. A stop requested at step
// 5 lands inside the first epoch however fast the trainer runs (with 3 steps per epoch it could
// land on an epoch boundary on a quiet machine).
const NET = `model Net(x: [B, 2]) -> [B, 3] {
  x |> Dense(8) |> ReLU |> Dense(3)
}

train Net {
  data = Spiral(points=600, classes=3, seed=1)
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 2
  batch = 16
}
`;

interface StepLine {
  type: string;
  step?: number;
  loss?: number;
  epoch?: number;
  runDir?: string;
  resumed?: { step: number };
}

function cli(
  ws: string,
  args: string[],
): { code: number | null; events: StepLine[]; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', TSX, MAIN, 'train', 'net.dlm', '--json', '--threads', '1', ...args],
    { cwd: ws, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' },
  );
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as StepLine);
  return { code: r.status, events, stderr: r.stderr };
}

const tensorsHex = (file: string, ws: string) =>
  loadCheckpoint(file, ws).tensors.map((t) => [
    t.name,
    t.kind,
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'),
  ]);

describe('dlm train --resume', () => {
  it('continues a run stopped mid-epoch bit-identically to an uninterrupted run', async () => {
    const wsA = mkdtempSync(path.join(tmp, 'a-'));
    const wsB = mkdtempSync(path.join(tmp, 'b-'));
    writeFileSync(path.join(wsA, 'net.dlm'), NET);
    writeFileSync(path.join(wsB, 'net.dlm'), NET);

    const straight = cli(wsA, []);
    assert.equal(straight.code, 0, straight.stderr);

    // Run B: stopped after step 5 (inside the second epoch), in-process as `dlm train` does.
    let out = '';
    const io = {
      stdout: (t: string) => (out += t),
      stderr: (t: string) => (out += t),
      cwd: wsB,
      env: {},
      isTTY: false,
    };
    const ctx = { io, args: { positionals: [], options: {} } } as unknown as Ctx;
    const target = resolveTarget(ctx, 'net.dlm');
    assert.ok(typeof target !== 'number', out);
    const code = await trainCli({
      target,
      overrides: {},
      threads: 1,
      json: true,
      io,
      onSupervisor: (sup) =>
        sup.onEvent((e) => {
          if (e.type === 'step' && e.step === 5) sup.stop();
        }),
    });
    assert.equal(code, 0, out);
    const [runId] = readdirSync(path.join(wsB, '.dlm', 'runs'));
    const stopped = loadCheckpoint(path.join(wsB, '.dlm', 'runs', runId!, 'last.safetensors'), wsB);
    assert.ok(
      stopped.step < 30 && stopped.batchInEpoch > 0,
      `stopped inside an epoch (step ${stopped.step})`,
    );

    // The train section changes meanwhile: the resumed run keeps the settings it started with.
    writeFileSync(
      path.join(wsB, 'net.dlm'),
      NET.replace('epochs = 2', 'epochs = 9').replace('lr=0.01', 'lr=0.5'),
    );
    const resumed = cli(wsB, ['--resume', runId!]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const started = resumed.events.find((e) => e.type === 'started')!;
    assert.equal(started.resumed?.step, stopped.step);
    assert.equal(path.basename(started.runDir!), runId, 'continues in the same run folder');

    const loss = (ev: StepLine[]) =>
      new Map(ev.filter((e) => e.type === 'step').map((e) => [e.step!, e.loss!]));
    const lossA = loss(straight.events);
    const after = [...loss(resumed.events)];
    assert.equal(lossA.size, 60);
    assert.equal(after.length, lossA.size - stopped.step);
    for (const [step, l] of after) assert.equal(l, lossA.get(step), `step ${step}`);

    const runA = straight.events.find((e) => e.type === 'started')!.runDir!;
    assert.deepEqual(
      tensorsHex(path.join(wsB, '.dlm', 'runs', runId!, 'last.safetensors'), wsB),
      tensorsHex(path.join(runA, 'last.safetensors'), wsA),
    );
  });

  it('names what is missing: an unknown run, a run without a checkpoint', () => {
    const ws = mkdtempSync(path.join(tmp, 'c-'));
    writeFileSync(path.join(ws, 'net.dlm'), NET);
    const r = cli(ws, ['--resume', 'Net-20990101-000000']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot resume: no run 'Net-20990101-000000': give a run folder/);
    const dir = path.join(ws, '.dlm', 'runs', 'Net-1');
    mkdirSync(dir, { recursive: true });
    assert.throws(() => resumePoint(ws, 'Net-1'), /has no checkpoint to resume from/);
  });
});
