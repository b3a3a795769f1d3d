/**
 * The dashboard's panel state (webview/dashboard/state.ts), pure and in Node: each model's state
 * is its own, a data problem disables Start, epochs are 1-based, and the protocol's fields (not
 * the wording of messages) decide.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostToDashboard } from '../../webview/protocol';
import {
  EMPTY_STATE,
  apply,
  canStart,
  idleStatus,
  runStatus,
  type DashEvent,
  type DashState,
} from '../../webview/dashboard/state';

const train = (model: string, epochs = 200) => ({
  model,
  epochs,
  batch: 32,
  lr: 0.01,
  optimizer: { name: 'Adam', args: {} },
  validation: 0.2,
  metrics: [],
});
const init = (uri: string, model: string, extra = {}): HostToDashboard => ({
  type: 'init',
  uri,
  model,
  models: [model],
  train: train(model),
  datasets: [],
  optimizers: ['Adam'],
  ...extra,
});
const started = (runId: string, model: string): HostToDashboard => ({
  type: 'run-started',
  runId,
  model,
  config: train(model),
  dataset: { name: 'Spiral', task: 'classification', train: 480, validation: 120, xShape: [2] },
  stepsPerEpoch: 15,
  params: [],
  live: true,
});
const run = (...ms: DashEvent[]): DashState => ms.reduce(apply, EMPTY_STATE);

describe('dashboard state', () => {
  it("training charlstm, then opening lenet5: lenet5's panel has no CharLSTM status, run or banners", () => {
    const s = run(
      init('file:///w/charlstm.dlm', 'CharLSTM'),
      started('CharLSTM-1', 'CharLSTM'),
      { type: 'failure', runId: 'CharLSTM-1', failure: { kind: 'nan', message: 'diverged' } },
      init('file:///w/lenet5.dlm', 'LeNet5'),
    );
    assert.equal(s.model, 'LeNet5');
    assert.equal(s.run, undefined);
    assert.deepEqual(s.banners, []);
    assert.equal(idleStatus(s), 'Ready to train LeNet5');
    // a late message of the CharLSTM run does not reach it
    const late = apply(s, {
      type: 'failure',
      runId: 'CharLSTM-1',
      failure: { kind: 'crash', message: 'x' },
    });
    assert.deepEqual(late.banners, []);
  });

  it('banners do not pile up: the same message once, an init of the same model keeps them', () => {
    const fail: DashEvent = {
      type: 'failure',
      failure: { kind: 'config', message: 'No dataset fits' },
    };
    const s = run(init('file:///w/a.dlm', 'A'), fail, fail, init('file:///w/a.dlm', 'A'));
    assert.equal(s.banners.length, 1);
  });

  it('a data problem disables Start and the status says so, until the settings change', () => {
    const s = run(init('file:///w/a.dlm', 'A'), {
      type: 'failure',
      failure: {
        kind: 'data',
        message: 'Spiral has samples of shape [2], but model A takes [B, 3]',
      },
    });
    assert.equal(canStart(s), false);
    assert.doesNotMatch(idleStatus(s), /Ready/);
    assert.match(idleStatus(s), /^Data problem/);
    const changed = apply(s, { type: 'ui-settings-changed' });
    assert.equal(canStart(changed), true);
    assert.equal(idleStatus(changed), 'Ready to train A');
    // dismissing the banner also clears it; a fresh check of the file (init) too
    assert.equal(canStart(apply(s, { type: 'ui-dismiss', index: 0 })), true);
    assert.equal(canStart(apply(s, init('file:///w/a.dlm', 'A'))), true);
  });

  it('untrusted comes from the disabledReason field, not from the wording', () => {
    const s = run(
      init('file:///w/a.dlm', 'A', {
        disabled: 'Geschulte Arbeitsbereiche…',
        disabledReason: 'untrusted',
      }),
    );
    assert.equal(s.untrusted, true);
    assert.equal(s.banners[0]?.failure.kind, 'untrusted');
    assert.equal(canStart(s), false);
    const noTrain = run(
      init('file:///w/a.dlm', 'A', {
        train: undefined,
        disabled: 'A has no train section and no dataset fits it (trust me)',
        disabledReason: 'nothing-to-train',
      }),
    );
    assert.equal(noTrain.untrusted, false);
    assert.deepEqual(noTrain.banners, []);
  });

  it('a model without a train section is ready with the starter settings', () => {
    const s = run(
      init('file:///w/cnn.dlm', 'SmallCNN', {
        train: train('SmallCNN', 10),
        starter: { model: 'SmallCNN', file: 'cnn.dlm', section: 'train SmallCNN {…}' },
      }),
    );
    assert.equal(canStart(s), true);
    assert.equal(idleStatus(s), 'Ready to train SmallCNN (no train section: starter settings)');
  });

  it('epochs are 1-based: step 900 of 15 a epoch is the end of epoch 60, step 901 starts 61', () => {
    let s = run(init('file:///w/a.dlm', 'A'), started('A-1', 'A'));
    assert.equal(
      runStatus(s, { stepEpoch: 900 / 15, step: 900 }),
      'Training · epoch 60/200 · step 900',
    );
    assert.equal(
      runStatus(s, { stepEpoch: 901 / 15, step: 901 }),
      'Training · epoch 61/200 · step 901',
    );
    assert.equal(runStatus(s, { stepEpoch: 1 / 15, step: 1 }), 'Training · epoch 1/200 · step 1');
    s = apply(s, { type: 'run-ended', runId: 'A-1', status: 'early-stopped', bestEpoch: 20 });
    assert.equal(
      runStatus(s, { stepEpoch: 60, step: 900 }),
      'Early-stopped · epoch 60/200 · step 900',
    );
    assert.equal(s.run?.bestEpoch, 20);
    assert.equal(canStart(s), true);
  });

  it('a run in progress disables Start; pausing keeps it disabled; another run id is ignored', () => {
    let s = run(init('file:///w/a.dlm', 'A'), started('A-1', 'A'));
    assert.equal(canStart(s), false);
    s = apply(s, { type: 'status', runId: 'A-1', status: 'paused' });
    assert.equal(canStart(s), false);
    s = apply(s, { type: 'status', runId: 'B-9', status: 'completed' });
    assert.equal(s.run?.status, 'paused');
  });
});
