/**
 * The "DLM Training" output channel's lines (src/extension/trainingLog.ts) and the History's
 * Resume flag: what a user pastes into a bug report, with 1-based epochs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainerEvent } from '../../src/engine/protocol';
import { eventLines, startLines } from '../../src/extension/trainingLog';
import { runSummary } from '../../src/extension/trainingFeed';

const at = new Date('2026-12-07T07:30:05Z');

describe('training log lines', () => {
  it('the request and the trainer command line open a run', () => {
    const lines = startLines(
      {
        workspaceRoot: '/w',
        modelPath: '/w/net.dlm',
        model: 'Net',
        overrides: { epochs: 3 },
        threads: 2,
      },
      { execPath: '/usr/bin/node', entry: '/ext/dist/trainer.js', cwd: '/w' },
      at,
    );
    assert.deepEqual(lines, [
      '[07:30:05] Train Net (/w/net.dlm)',
      '  trainer: /usr/bin/node /ext/dist/trainer.js (cwd /w)',
      '  request: {"modelPath":"/w/net.dlm","model":"Net","overrides":{"epochs":3},"threads":2}',
    ]);
  });

  it('epochs, the end and the best epoch are 1-based; steps are not logged', () => {
    const epoch = {
      type: 'epoch',
      v: 1,
      epoch: 0,
      step: 3,
      trainLoss: 1.2345678,
      valLoss: 1.1,
      valAcc: 0.5,
      lr: 0.01,
      timeMs: 120,
      best: true,
      timing: { runMsPerStep: 1.234 },
    } as TrainerEvent;
    assert.deepEqual(eventLines(epoch, at), [
      '[07:30:05] epoch 1: train loss 1.2346, validation loss 1.1000, validation accuracy 50.00%, 120 ms (1.23 ms/step in onnxruntime), best so far',
    ]);
    const fin = {
      type: 'finished',
      v: 1,
      reason: 'early_stopping',
      step: 900,
      epoch: 60,
      bestEpoch: 19,
      bestValLoss: 0.25,
      runDir: '/w/.dlm/runs/Net-1',
      timeMs: 65_000,
    } as TrainerEvent;
    assert.deepEqual(eventLines(fin, at), [
      '[07:30:05] finished (early stopping) after 60 epochs, 900 steps, 65.0 s; best epoch 20 (validation loss 0.25000)',
      '  run folder: /w/.dlm/runs/Net-1',
    ]);
    assert.deepEqual(eventLines({ type: 'step', v: 1, step: 1, epoch: 0, loss: 1, lr: 1 }, at), []);
  });

  it('errors carry the suggestion, the exit and the end of the trainer stderr', () => {
    const lines = eventLines(
      {
        type: 'error',
        v: 1,
        kind: 'crash',
        message: 'the trainer exited',
        suggestion: 'resume from last.safetensors',
        details: { exitCode: 134, signal: null, stderr: 'a\nb\nAbort' },
        fatal: true,
      },
      at,
    );
    assert.deepEqual(lines, [
      '[07:30:05] error (crash): the trainer exited',
      '  suggestion: resume from last.safetensors',
      '  exit code 134, signal null',
      '  trainer stderr (end):',
      '    a',
      '    b',
      '    Abort',
    ]);
  });
});

describe('History: Resume is offered for runs that ended early with a checkpoint', () => {
  const base = {
    id: 'Net-1',
    config: { train: { epochs: 5, batch: 8, optimizer: { name: 'Adam' } } },
    checkpoints: ['/w/.dlm/runs/Net-1/last.safetensors'],
  };
  it('stopped with a last checkpoint: resumable; completed or without one: not', () => {
    assert.equal(
      runSummary({ ...base, last: { type: 'finished', reason: 'stopped', epoch: 2 } }).resumable,
      true,
    );
    assert.equal(runSummary({ ...base, last: { type: 'epoch', epoch: 1 } }).resumable, true);
    assert.equal(
      runSummary({ ...base, last: { type: 'finished', reason: 'completed', epoch: 5 } }).resumable,
      undefined,
    );
    assert.equal(
      runSummary({
        ...base,
        checkpoints: [],
        last: { type: 'finished', reason: 'stopped', epoch: 2 },
      }).resumable,
      undefined,
    );
  });
});
