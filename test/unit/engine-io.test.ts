/**
 * The trainer's files: metrics.jsonl across resumes, temp files of interrupted writes, and
 * file-system failures (read-only or full disk) reported as clear errors. In-process runs of the
 * reference program on Spiral (no child process).
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fsFailure, runTraining, type Control, type EmitEvent } from '../../src/engine/loop';
import type { StartRequest } from '../../src/engine/protocol';
import { readMetrics } from '../../src/engine/runs';

const workspace = () => mkdtempSync(path.join(tmpdir(), 'dlm-io-'));

const request = (ws: string, extra: Partial<StartRequest> = {}): StartRequest => ({
  type: 'start',
  v: 1,
  workspaceRoot: ws,
  modelPath: 'model.dlm',
  model: 'Net',
  reference: { hidden: [8] },
  stepEventInterval: 0,
  ...extra,
  overrides: {
    dataset: { name: 'Spiral', args: { points: 96, classes: 3, seed: 3 } },
    epochs: 3,
    batch: 16,
    lr: 0.1,
    seed: 1,
    validation: 0.25,
    ...extra.overrides,
  },
});

const go: Control = {
  paused: false,
  stopRequested: false,
  waitWhilePaused: () => Promise.resolve(),
};

async function train(req: StartRequest, ctl: Control = go): Promise<EmitEvent[]> {
  const events: EmitEvent[] = [];
  await runTraining(req, ctl, (e) => events.push(e));
  return events;
}

test('a run resumed from an earlier checkpoint logs each step once in metrics.jsonl', async () => {
  const ws = workspace();
  try {
    // stop after step 7 (last.safetensors at step 7, mid-epoch); keep a copy of that checkpoint
    let steps = 0;
    const stopAt7: Control = {
      ...go,
      get stopRequested() {
        return steps >= 7;
      },
    };
    const events: EmitEvent[] = [];
    await runTraining(request(ws), stopAt7, (e) => {
      events.push(e);
      if (e.type === 'step') steps = e.step;
    });
    const started = events.find((e) => e.type === 'started');
    assert.ok(started && started.type === 'started');
    const runDir = started.runDir;
    const stopped = events.at(-1);
    assert.ok(stopped?.type === 'finished' && stopped.reason === 'stopped' && stopped.step === 7);
    const mid = path.join(runDir, 'mid.safetensors');
    copyFileSync(path.join(runDir, 'last.safetensors'), mid);
    // the first resume runs to the end and logs steps 8..15; the second resumes from step 7 again,
    // as after a kill that came after later steps were logged
    for (let k = 0; k < 2; k++) {
      const ev = await train(request(ws, { resumeFrom: mid }));
      assert.ok(
        !ev.some((e) => e.type === 'error'),
        JSON.stringify(ev.find((e) => e.type === 'error')),
      );
    }
    const logged = readMetrics(path.join(runDir, 'metrics.jsonl'), runDir)
      .filter((r) => r.type === 'step')
      .map((r) => r.step as number);
    assert.deepEqual(
      logged,
      Array.from({ length: 15 }, (_, i) => i + 1),
      'steps 1..15, each once',
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

/** The run's first events up to a stop after `n` steps (last.safetensors at step n). */
async function stopAfter(req: StartRequest, n: number): Promise<EmitEvent[]> {
  let steps = 0;
  const ctl: Control = {
    ...go,
    get stopRequested() {
      return steps >= n;
    },
  };
  const events: EmitEvent[] = [];
  await runTraining(req, ctl, (e) => {
    events.push(e);
    if (e.type === 'step') steps = e.step;
  });
  return events;
}

const runDirOf = (events: readonly EmitEvent[]): string => {
  const s = events.find((e) => e.type === 'started');
  assert.ok(s?.type === 'started', JSON.stringify(events.find((e) => e.type === 'error')));
  return s.runDir;
};

test('the temp file of a killed checkpoint write is removed by the next run in the folder', async () => {
  const ws = workspace();
  try {
    const runDir = runDirOf(await stopAfter(request(ws), 3));
    // what a kill during writeFileAtomic leaves behind (another process id)
    const stale = path.join(runDir, '.last.safetensors.999999.0badf00d.tmp');
    writeFileSync(stale, 'partial');
    const ev = await train(request(ws, { resumeFrom: path.join(runDir, 'last.safetensors') }));
    assert.equal(runDirOf(ev), runDir);
    assert.ok(!existsSync(stale), 'the stale temp file is gone');
    assert.deepEqual(
      readdirSync(runDir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

// The node:fs module object that src/engine/runs.ts calls into (mocked to fail like a disk).
const fs = createRequire(__filename)('node:fs') as typeof import('node:fs');
const errno = (code: string, syscall: string, file: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file });

test('a read-only file system at a checkpoint is an io error naming the folder, in metrics.jsonl', async () => {
  const ws = workspace();
  const open = fs.openSync;
  const m = mock.method(fs, 'openSync', ((file: import('node:fs').PathLike, ...rest: unknown[]) => {
    if (/\.last\.safetensors\..*\.tmp$/.test(String(file)))
      throw errno('EROFS', 'open', String(file));
    return (open as (...a: unknown[]) => number)(file, ...rest);
  }) as typeof fs.openSync);
  try {
    const ev = await train(request(ws));
    m.mock.restore();
    const runDir = runDirOf(ev);
    const err = ev.find((e) => e.type === 'error');
    assert.ok(err?.type === 'error', 'an error event');
    assert.equal(err.kind, 'io');
    assert.equal(
      err.message,
      `cannot write last.safetensors in ${runDir}: the file system is read-only (EROFS)`,
    );
    assert.match(err.suggestion!, /make .* writable; then train again/);
    assert.doesNotMatch(err.message, /internal/);
    const logged = readMetrics(path.join(runDir, 'metrics.jsonl'), runDir).filter(
      (r) => r.type === 'error',
    );
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.kind, 'io');
    assert.equal(logged[0]!.message, err.message);
  } finally {
    m.mock.restore();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a full disk is an io error that says what to do; a failing run folder names .dlm/runs', () => {
  const full = fsFailure(
    errno('ENOSPC', 'write', '/w/.dlm/runs/A/.last.safetensors.1.00000000.tmp'),
    'last.safetensors',
    '/w/.dlm/runs/A',
    '/w/.dlm/runs/A/last.safetensors',
  );
  assert.equal(full?.kind, 'io');
  assert.equal(
    full?.message,
    'cannot write last.safetensors in /w/.dlm/runs/A: the disk is full (ENOSPC)',
  );
  assert.equal(
    full?.suggestion,
    'free space on the disk that holds /w/.dlm/runs/A (old run folders under .dlm/runs can be deleted); then resume the run from /w/.dlm/runs/A/last.safetensors',
  );
  assert.equal(fsFailure(new Error('other'), 'x', '/d'), undefined);
  // an unwritable workspace: no run folder can be created
  const ws = workspace();
  const m = mock.method(fs, 'mkdirSync', ((file: import('node:fs').PathLike) => {
    throw errno('EROFS', 'mkdir', String(file));
  }) as typeof fs.mkdirSync);
  return train(request(ws))
    .then((ev) => {
      m.mock.restore();
      const err = ev.find((e) => e.type === 'error');
      assert.ok(err?.type === 'error');
      assert.equal(err.kind, 'io');
      assert.equal(
        err.message,
        `cannot write a run folder in ${path.join(ws, '.dlm', 'runs')}: the file system is read-only (EROFS)`,
      );
    })
    .finally(() => {
      m.mock.restore();
      rmSync(ws, { recursive: true, force: true });
    });
});
