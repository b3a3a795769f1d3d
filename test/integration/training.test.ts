/**
 * Training in real VS Code: `dlm.train` on examples/spiral.dlm runs the trainer child, the loss
 * falls, decision-boundary grids arrive and change, dead-ReLU counts come with the histograms, the
 * run folder has its metrics.jsonl, and
 * `dlm.stopTraining` stops a run. Events come from the `dlm._trainingState` test hook.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainerEvent } from '../../src/engine/protocol';
import { EXTENSION_ID, activate, open, poll, workspaceRoot } from './helpers';

interface TrainingState {
  model: string;
  runId?: string;
  runDir?: string;
  status: string;
  active: boolean;
  /** The value the extension last gave the `dlm.trainingActive` context key. */
  contextKey: boolean;
  panelVisible: boolean;
  events: TrainerEvent[];
}

const state = () => vscode.commands.executeCommand<TrainingState | undefined>('dlm._trainingState');

/** Poll the hook until `pred` holds (generous termination timeout, no timing assertions). */
async function waitFor(
  pred: (s: TrainingState) => boolean,
  what: string,
  timeoutMs = 150_000,
): Promise<TrainingState> {
  const s = await poll(
    state,
    (s) => {
      if (s && pred(s)) return true;
      const fatal = s?.events.find((e) => e.type === 'error' && e.fatal);
      if (fatal && fatal.type === 'error') throw new Error(`trainer failed: ${fatal.message}`);
      return false;
    },
    what,
    {
      timeoutMs,
      intervalMs: 250,
      describe: (s) =>
        `events: ${(s?.events ?? [])
          .map((e) => e.type)
          .join(' ')
          .slice(-400)}`,
    },
  );
  return s!;
}

/** Stop a run left by an earlier suite and wait until its trainer is gone. */
async function idle(): Promise<string | undefined> {
  const s = await state();
  if (!s) return undefined;
  if (s.active) await vscode.commands.executeCommand('dlm.stopTraining');
  return (await waitFor((x) => !x.active, 'an earlier run to end', 30_000)).runId;
}

const of = <T extends TrainerEvent['type']>(s: TrainingState, t: T) =>
  s.events.filter((e): e is Extract<TrainerEvent, { type: T }> => e.type === t);

suite('training', () => {
  test('a FIFO or a /dev/zero link among the imports gives a message, never a hang', async function () {
    this.timeout(200_000);
    await idle();
    const root = workspaceRoot();
    const pipe = path.join(root, 'fs_pipe.dlm');
    const zero = path.join(root, 'fs_zero.dlm');
    const main = path.join(root, 'fs_hostile.dlm');
    rmSync(pipe, { force: true });
    rmSync(zero, { force: true });
    execFileSync('mkfifo', [pipe]);
    symlinkSync('/dev/zero', zero);
    writeFileSync(
      main,
      [
        'import "fs_pipe.dlm"',
        'import "fs_zero.dlm"',
        'model Net(x: [B, 2]) -> [B, 3] {',
        '  x |> Dense(8) |> ReLU |> Dense(3)',
        '}',
        'train Net {',
        '  data = Spiral(points=60)',
        '  loss = CrossEntropy',
        '  epochs = 1',
        '}',
        '',
      ].join('\n'),
    );
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(main));
      await vscode.window.showTextDocument(doc);
      // the extension host checks the file (and its imports) before it starts the trainer
      await vscode.commands.executeCommand('dlm.train', doc.uri, 'Net', { epochs: 1 });
      const s = await poll(
        state,
        (x) => !!x?.events.some((e) => e.type === 'error' && e.fatal) && !x.active,
        'the run to fail with a message',
        { timeoutMs: 150_000, intervalMs: 250, describe: (x) => JSON.stringify(x?.events) },
      );
      const err = s!.events.find((e) => e.type === 'error' && e.fatal);
      assert.ok(err && err.type === 'error');
      assert.match(err.message, /named pipe|link that leads outside/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      for (const f of [pipe, zero, main]) rmSync(f, { force: true });
    }
  });

  test('training the spiral example shows the loss falling and the boundary forming', async function () {
    this.timeout(200_000);
    const before = await idle();
    const { doc } = await open('spiral.dlm');
    // the example's own data (noise = 0.2) plateaus near half the initial loss; the built-in
    // Spiral (the dashboard's dataset picker) shows the boundary forming within 30 epochs
    const res = await vscode.commands.executeCommand<{ running?: boolean }>(
      'dlm.train',
      doc.uri,
      'SpiralNet',
      { epochs: 30, dataset: 'builtin:Spiral' },
    );
    assert.ok(res && typeof res === 'object', `dlm.train returned ${JSON.stringify(res)}`);
    const s = await waitFor(
      (x) => x.runId !== before && x.events.some((e) => e.type === 'finished'),
      'the run to finish',
    );
    const fin = of(s, 'finished')[0]!;
    assert.equal(fin.reason, 'completed');
    const epochs = of(s, 'epoch');
    assert.equal(epochs.length, 30);
    const first = epochs[0]!.trainLoss;
    const last = epochs[epochs.length - 1]!.trainLoss;
    assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
    const bs = of(s, 'boundary');
    assert.ok(bs.length >= 2, `${bs.length} boundary events`);
    assert.ok(bs[0]!.points, 'the first boundary carries the points');
    let diff = 0;
    const a = bs[0]!.grid.values;
    const b = bs[bs.length - 1]!.grid.values;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    assert.ok(diff / a.length > 0.05, `the boundary changed by ${diff / a.length}`);
    assert.ok(of(s, 'confusion').length > 0, 'confusion matrices arrived');
    // dead ReLUs: counted for both ReLU layers of SpiralNet with every epoch's histograms
    const hs = of(s, 'histograms');
    assert.equal(hs.length, 30);
    for (const h of hs) {
      assert.deepEqual(
        h.deadRelu?.map((d) => `${d.layer}:${d.units}`),
        ['relu0:16', 'relu1:16'],
      );
      assert.ok(h.deadRelu!.every((d) => d.dead >= 0 && d.dead <= d.units));
      assert.ok(h.probeSamples! > 0);
    }
    // the layers neuron maps can show (2-feature input)
    assert.deepEqual(
      of(s, 'started')[0]!.neuronLayers?.map((l) => l.name),
      ['dense0', 'relu0', 'dense1', 'relu1'],
    );
    assert.ok(s.runDir, 'the run has a folder');
    assert.equal(path.dirname(s.runDir), path.join(workspaceRoot(), '.dlm', 'runs'));
    assert.ok(existsSync(path.join(s.runDir, 'metrics.jsonl')), 'metrics.jsonl exists');
    assert.ok(s.panelVisible, 'the dashboard is visible');
  });

  test('the char-level GPT trains in the dashboard below 2.0 nats', async function () {
    // examples/chargpt.dlm as written: tied embedding, learned positions, causal blocks; one
    // epoch on the bundled text. Its doc comment and docs/training.md state the bound.
    this.timeout(400_000);
    const before = await idle();
    const { doc } = await open('chargpt.dlm');
    const res = await vscode.commands.executeCommand('dlm.train', doc.uri, 'CharGPT');
    assert.ok(res && typeof res === 'object', `dlm.train returned ${JSON.stringify(res)}`);
    const s = await waitFor(
      (x) => x.runId !== before && x.events.some((e) => e.type === 'finished'),
      'the char-GPT run to finish',
      380_000,
    );
    assert.equal(of(s, 'finished')[0]!.reason, 'completed');
    assert.equal(s.model, 'CharGPT');
    const epochs = of(s, 'epoch');
    assert.equal(epochs.length, 1);
    assert.ok(epochs[0]!.valLoss! < 2.0, `validation loss ${epochs[0]!.valLoss}`);
    assert.ok(s.panelVisible, 'the dashboard is visible');
  });

  test('dlm.stopTraining stops a run; dlm.trainingActive is set only while it runs', async function () {
    this.timeout(200_000);
    await activate();
    const before = await idle();
    const { doc } = await open('spiral.dlm');
    await vscode.commands.executeCommand('dlm.train', doc.uri, 'SpiralNet', {
      epochs: 5000,
      dataset: 'builtin:Spiral',
    });
    const runId = (
      await waitFor(
        (x) => x.runId !== before && of(x, 'epoch').length > 0 && x.active,
        'an epoch of a new run',
      )
    ).runId;
    assert.equal((await state())?.contextKey, true, 'dlm.trainingActive while running');
    // Stop Training is enabled by the context key, in the palette and the editor title
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: {
        commands: { command: string; enablement?: string }[];
        menus: Record<string, { command: string; when?: string }[]>;
      };
    };
    const stop = pkg.contributes.commands.find((c) => c.command === 'dlm.stopTraining');
    assert.match(stop?.enablement ?? '', /(^| )dlm\.trainingActive( |$)/);
    const title = pkg.contributes.menus['editor/title']!;
    assert.match(
      title.find((m) => m.command === 'dlm.stopTraining')?.when ?? '',
      / dlm\.trainingActive/,
    );
    assert.match(title.find((m) => m.command === 'dlm.train')?.when ?? '', /!dlm\.trainingActive/);
    assert.equal(await vscode.commands.executeCommand('dlm.stopTraining'), true);
    const s = await waitFor(
      (x) => x.runId === runId && x.events.some((e) => e.type === 'finished'),
      'the stopped run to finish',
    );
    assert.equal(of(s, 'finished')[0]!.reason, 'stopped');
    await waitFor(
      (x) => !x.active && !x.contextKey,
      'the trainer to exit, the key to clear',
      30_000,
    );
    assert.equal(await vscode.commands.executeCommand('dlm.stopTraining'), false);
  });
});
