/**
 * The read-only ONNX editor in real VS Code: a `.onnx` file opens in `dlm.onnxViewer`, whose
 * webview reports (message `rendered`) as many layer nodes as the file has ONNX nodes, and
 * "Convert to .dlm" writes a .dlm (plus weights) that checks without errors. The fixtures are
 * torch exports (test/fixtures/onnx/gen_onnx.py), copied into the test workspace. With
 * DLM_TEST_GREP=onnx the runner's closing screenshot shows the LSTM's graph. All six fixtures
 * open with as many layer nodes as the file has ONNX nodes.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readOnnxGraph } from '../../src/interop/onnx/graph';
import { onnxGraphData } from '../../src/views/onnxGraphData';
import { checkFile } from '../../src/language/program';
import { onnxFixture, type OnnxFixture } from '../unit/helpers/onnx-fixtures';
import { activate, poll, workspaceRoot } from './helpers';

interface EditorState {
  uri: string;
  error?: string;
  banner?: string;
  layers?: number;
  rendered?: { layers: number; items: number };
  converted?: string;
  convertError?: string;
}

const state = (uri: vscode.Uri): Thenable<EditorState | undefined> =>
  vscode.commands.executeCommand<EditorState | undefined>('dlm._onnxEditorState', uri.toString());

function copyIn(name: OnnxFixture): { uri: vscode.Uri; layers: number } {
  const src = onnxFixture(name);
  const dir = path.join(workspaceRoot(), 'onnx');
  mkdirSync(dir, { recursive: true });
  const dst = path.join(dir, `${name}.onnx`);
  copyFileSync(src, dst);
  // Layer nodes as drawn: every ONNX node, shape plumbing folded into one node per value.
  const g = readOnnxGraph(readFileSync(dst), { file: dst });
  const drawn = onnxGraphData(g, { file: dst }).nodes.filter((n) => n.kind === 'layer').length;
  return { uri: vscode.Uri.file(dst), layers: drawn };
}

async function openOnnx(name: OnnxFixture): Promise<{ uri: vscode.Uri; s: EditorState }> {
  await activate();
  const { uri, layers } = copyIn(name);
  // The plain "open" picks the custom editor: it is the default for *.onnx.
  await vscode.commands.executeCommand('vscode.open', uri);
  const s = await poll(
    () => state(uri),
    (x) => x?.rendered !== undefined || x?.error !== undefined,
    `the ${name} graph to render`,
    { timeoutMs: 60_000 },
  );
  assert.ok(s);
  assert.equal(s.error, undefined);
  assert.equal(s.layers, layers);
  assert.equal(s.rendered?.layers, layers, `the webview draws the ${layers} layer nodes`);
  assert.ok((s.rendered?.items ?? 0) > 0);
  return { uri, s };
}

suite('onnx editor', function () {
  this.timeout(180_000);

  test('onnx: ResNet-18 opens in the custom editor with every node; Convert writes a .dlm that checks', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { uri, s } = await openOnnx('resnet18');
    assert.equal(s.rendered?.layers, 69);
    assert.equal(s.banner, undefined, 'a clean torch export has no banner');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is a custom editor');
    assert.equal((tab.input as vscode.TabInputCustom).viewType, 'dlm.onnxViewer');

    const out = vscode.Uri.file(path.join(workspaceRoot(), 'onnx', 'resnet18.dlm'));
    const r = await vscode.commands.executeCommand<{ error?: string; dlmUri?: string }>(
      'dlm._onnxConvert',
      uri.toString(),
    );
    assert.equal(r?.error, undefined);
    assert.equal(r?.dlmUri, out.toString());
    assert.ok(existsSync(out.fsPath));
    assert.ok(existsSync(out.fsPath.replace(/\.dlm$/, '.safetensors')));
    // The converted file opens in a text editor …
    await poll(
      () => vscode.window.activeTextEditor?.document.uri.toString(),
      (u) => u === out.toString(),
      'the .dlm to open',
    );
    // … and checks without errors.
    const checked = checkFile(out.fsPath, {
      root: workspaceRoot(),
      readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
      exists: existsSync,
    });
    const errors = checked.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => `${d.code} ${d.message}`),
      [],
    );
    assert.equal(checked.models.length, 1);
  });

  test('onnx: MobileNetV2, the transformer, the U-Net, the VAE and the LSTM open with every node (the LSTM left on screen for the screenshot)', async () => {
    for (const name of ['mobilenetv2', 'transformer', 'unet', 'vae', 'lstm'] as const) {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const { s } = await openOnnx(name);
      assert.ok((s.layers ?? 0) > 1, name);
    }
  });
});
