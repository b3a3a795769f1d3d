/**
 * The trainer's files: metrics.jsonl across resumes, temp files of interrupted writes, and
 * file-system failures (read-only or full disk) reported as clear errors. In-process runs of the
 * reference program on Spiral (no child process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runTraining, type Control, type EmitEvent } from '../../src/engine/loop';
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
    // stop after step 7 (last.ckpt at step 7, mid-epoch); keep a copy of that checkpoint
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
    const mid = path.join(runDir, 'mid.ckpt');
    copyFileSync(path.join(runDir, 'last.ckpt'), mid);
    // the first resume runs to the end and logs steps 8..15; the second resumes from step 7 again,
    // as after a kill that came after later steps were logged
    for (let k = 0; k < 2; k++) {
      const ev = await train(request(ws, { resumeFrom: mid }));
      assert.ok(
        !ev.some((e) => e.type === 'error'),
        JSON.stringify(ev.find((e) => e.type === 'error')),
      );
    }
    const logged = readMetrics(path.join(runDir, 'metrics.jsonl'))
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
