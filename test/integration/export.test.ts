/**
 * "DLM: Export ONNX" in real VS Code: exports spiral.dlm with the weights of the run the training
 * suite left in .dlm/runs (or untrained weights when there is none), through the bundled CLI in a
 * child process, and the file is a real ONNX model.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
