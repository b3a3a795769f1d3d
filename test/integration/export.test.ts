/**
 * "DLM: Export ONNX" in real VS Code: exports spiral.dlm with the weights of the run the training
 * suite left in .dlm/runs (or untrained weights when there is none), through the bundled CLI in a
 * child process, and the file is a real ONNX model.
 */
import * as assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { open, workspaceRoot } from './helpers';

suite('export ONNX', function () {
  this.timeout(180_000);

  test('dlm.exportOnnx writes the inference graph of a trained run', async () => {
    const { doc } = await open('spiral.dlm');
    const root = workspaceRoot();
    const runs = path.join(root, '.dlm', 'runs');
    const run = existsSync(runs)
      ? readdirSync(runs)
          .filter((d) => d.startsWith('SpiralNet-'))
          .sort()
          .map((d) => path.join(runs, d))
          .reverse()
          .find(
            (d) =>
              existsSync(path.join(d, 'best.safetensors')) ||
              existsSync(path.join(d, 'last.safetensors')),
          )
      : undefined;
    const out = path.join(root, 'exported-spiral.onnx');
    const written = await vscode.commands.executeCommand<string | undefined>(
      'dlm.exportOnnx',
      doc.uri,
      'SpiralNet',
      run,
      out,
    );
    assert.equal(written, out);
    const bytes = readFileSync(out);
    assert.ok(bytes.length > 1000, `ONNX file has ${bytes.length} bytes`);
    // An ONNX ModelProto names its graph nodes: the export has one Gemm per Dense layer.
    assert.ok(bytes.includes(Buffer.from('Gemm')), 'the export contains Gemm nodes');
  });
});

suite('export PyTorch', function () {
  this.timeout(180_000);

  test('dlm.exportPytorch writes the project folder and offers to reveal it', async () => {
    const { doc } = await open('spiral.dlm');
    const root = workspaceRoot();
    const out = path.join(root, 'spiral-pytorch');
    rmSync(out, { recursive: true, force: true });
    const r = await vscode.commands.executeCommand<{ dir: string; choice?: string } | undefined>(
      'dlm.exportPytorch',
      doc.uri,
      'SpiralNet',
      undefined,
      out,
      'Reveal in Explorer',
    );
    assert.ok(r, 'the command returns the folder');
    assert.equal(r.dir, out);
    assert.equal(r.choice, 'Reveal in Explorer');
    for (const f of [
      'model.py',
      'weights.safetensors',
      'train.py',
      'README.md',
      'data/x_train.npy',
    ])
      assert.ok(existsSync(path.join(out, f)), `${f} is written`);
    assert.match(readFileSync(path.join(out, 'model.py'), 'utf8'), /class SpiralNet\(nn\.Module\)/);
    // safetensors: an 8-byte little-endian header length, then the JSON header.
    const st = readFileSync(path.join(out, 'weights.safetensors'));
    const n = Number(st.readBigUInt64LE(0));
    const header = JSON.parse(st.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
    assert.ok('dense0.weight' in header, Object.keys(header).join(', '));
    // The offer: the notification's buttons act on the folder (Reveal in Explorer, Open model.py).
    const opened = await vscode.commands.executeCommand<{ dir: string; choice?: string }>(
      'dlm.exportPytorch',
      doc.uri,
      'SpiralNet',
      undefined,
      out,
      'Open model.py',
    );
    assert.equal(opened.choice, 'Open model.py');
    assert.equal(
      path.basename(vscode.window.activeTextEditor?.document.uri.fsPath ?? ''),
      'model.py',
      'model.py is open',
    );
  });

  test('dlm.importRun brings a run trained elsewhere into the run history', async () => {
    const root = workspaceRoot();
    // What an exported train.py leaves in run/: metrics.jsonl in our event format and weights.
    const run = path.join(root, 'spiral-pytorch', 'run');
    mkdirSync(run, { recursive: true });
    const events = [
      { type: 'started', model: 'SpiralNet', epochs: 2, source: 'pytorch', world: 1 },
      { type: 'step', step: 1, epoch: 0, loss: 1.1, lr: 0.01 },
      { type: 'epoch', epoch: 0, step: 15, trainLoss: 1.05, valLoss: 0.98 },
      { type: 'finished', reason: 'completed', step: 30, epoch: 1 },
    ];
    writeFileSync(path.join(run, 'metrics.jsonl'), events.map((e) => JSON.stringify(e)).join('\n'));
    copyFileSync(
      path.join(root, 'spiral-pytorch', 'weights.safetensors'),
      path.join(run, 'best.safetensors'),
    );
    const dir = await vscode.commands.executeCommand<string | undefined>('dlm.importRun', run);
    assert.ok(dir && existsSync(path.join(dir, 'metrics.jsonl')), `imported into ${dir}`);
    assert.ok(existsSync(path.join(dir, 'best.safetensors')));
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
      model: string;
      source: string;
    };
    assert.deepEqual([config.model, config.source], ['SpiralNet', 'pytorch']);
    assert.ok(dir.startsWith(path.join(root, '.dlm', 'runs')), dir);
    // a folder that is not a run: an error message, nothing imported
    const none = await vscode.commands.executeCommand<string | undefined>(
      'dlm.importRun',
      path.join(root, 'spiral-pytorch', 'data'),
    );
    assert.equal(none, undefined);
  });
});
