/** Commands, package.json contributions and the summary view in real VS Code. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, codeOf, fileUri, open, waitForServer } from './helpers';

const COMMANDS = [
  'dlm.showGraph',
  'dlm.showSummary',
  'dlm.train',
  'dlm.stopTraining',
  'dlm.exportOnnx',
  'dlm.exportPytorch',
  'dlm.importRun',
  'dlm.openExample',
];

interface SummaryResult {
  model?: string;
  models: string[];
  params?: number;
  markdown?: string;
}

suite('commands', () => {
  test('every command is registered and contributed under the DLM category', async () => {
    await open('lenet5.dlm');
    const all = await vscode.commands.getCommands(true);
    for (const id of COMMANDS) assert.ok(all.includes(id), `${id} is registered`);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string; category: string }[] };
      activationEvents: string[];
    };
    for (const id of COMMANDS) {
      const c = pkg.contributes.commands.find((x) => x.command === id);
      assert.ok(c, `${id} is contributed`);
      assert.equal(c.category, 'DLM');
    }
    assert.deepEqual(pkg.activationEvents, [
      'onLanguage:dlm',
      'onWebviewPanel:dlm.graph',
      'onWebviewPanel:dlm.training',
      'onCustomEditor:dlm.onnxViewer',
    ]);
  });

  test('dlm.showSummary summarizes the model under the cursor in a table', async () => {
    const { doc, editor } = await open('resnet18.dlm');
    await waitForServer(doc.uri);
    const p = doc.positionAt(doc.getText().indexOf('model ResNet18') + 10);
    editor.selection = new vscode.Selection(p, p);
    const res = await vscode.commands.executeCommand<SummaryResult>('dlm.showSummary');
    assert.ok(res, 'the command returns the summary');
    assert.equal(res.model, 'ResNet18');
    assert.equal(res.params, 11_699_112);
    assert.match(res.markdown ?? '', /\| .* \|/);
    const labels = (): string[] =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
    const until = Date.now() + 5000;
    while (!labels().includes('Summary: ResNet18') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      labels().includes('Summary: ResNet18'),
      `a summary tab is open: ${labels().join(', ')}`,
    );
  });

  test('dlm.showSummary from a code lens argument (uri, model)', async () => {
    const uri = fileUri('lenet5.dlm');
    const res = await vscode.commands.executeCommand<SummaryResult>(
      'dlm.showSummary',
      uri.toString(),
      'LeNet5',
    );
    assert.equal(res.model, 'LeNet5');
    assert.equal(res.params, 61_706);
  });

  test('dlm.showGraph runs for a model', async () => {
    const { doc } = await open('lenet5.dlm');
    await waitForServer(doc.uri);
    await vscode.commands.executeCommand('dlm.showGraph', doc.uri.toString(), 'LeNet5');
    const labels = (): string[] =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
    const until = Date.now() + 10_000;
    while (!labels().some((l) => /graph|LeNet5/i.test(l)) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      labels().some((l) => /graph|LeNet5/i.test(l)),
      `a graph tab: ${labels().join(', ')}`,
    );
  });

  test('dlm.train and dlm.exportOnnx run (trusted workspace)', async () => {
    await open('spiral.dlm');
    assert.equal(vscode.workspace.isTrusted, true);
    await vscode.commands.executeCommand(
      'dlm.train',
      fileUri('spiral.dlm').toString(),
      'SpiralNet',
    );
    await vscode.commands.executeCommand('dlm.stopTraining');
  });

  test('dlm.openExample copies an example into a folder and opens it', async () => {
    const dest = fileUri('copied');
    await vscode.workspace.fs.createDirectory(dest);
    const uri = await vscode.commands.executeCommand<string>('dlm.openExample', 'mlp', dest);
    assert.ok(uri && uri.endsWith('/copied/mlp.dlm'), String(uri));
    const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(dest, 'mlp.dlm'));
    assert.ok(stat.size > 0);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri);
    // The bundled Fashion-MNIST files it trains on come along, so the copy trains as it is.
    for (const f of ['fashion-2k-images-idx3-ubyte.gz', 'fashion-2k-labels-idx1-ubyte.gz']) {
      const data = await vscode.workspace.fs.stat(vscode.Uri.joinPath(dest, 'data', f));
      assert.ok(data.size > 0, f);
    }
    // …so its data paths resolve: no DLM206 (data file not found) once the server has checked it.
    await waitForServer(vscode.Uri.parse(uri));
    const missing = vscode.languages
      .getDiagnostics(vscode.Uri.parse(uri))
      .filter((d) => codeOf(d) === 'DLM206');
    assert.deepEqual(
      missing.map((d) => d.message),
      [],
    );
  });

  test('contributions: grammar, language configuration, editor defaults, settings, trust', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the manifest is untyped JSON
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Record<string, any>;
    const c = pkg.contributes;
    assert.equal(c.grammars[0].scopeName, 'source.dlm');
    assert.equal(c.languages[0].configuration, './language-configuration.json');
    assert.ok(c.languages[0].icon);
    // Starter snippets come from the language server at the top level only (no static snippets,
    // which VS Code would offer anywhere); .dlm files get 2-space indentation and smart Enter.
    assert.equal(c.snippets, undefined);
    assert.equal(c.configurationDefaults['[dlm]']['editor.tabSize'], 2);
    assert.equal(c.configurationDefaults['[dlm]']['editor.acceptSuggestionOnEnter'], 'smart');
    for (const key of [
      'dlm.inlayHints.enabled',
      'dlm.shapeStyle',
      'dlm.complexity',
      'dlm.trainer.threads',
    ])
      assert.ok(c.configuration.properties[key], key);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    const config = vscode.workspace.getConfiguration('dlm');
    assert.equal(config.get('shapeStyle'), 'brackets');
    assert.equal(config.get('complexity'), 'macs');
    assert.equal(config.get('inlayHints.enabled'), true);
  });
});
