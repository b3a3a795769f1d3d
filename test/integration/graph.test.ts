/**
 * The graph panel in real VS Code: `dlm.showGraph` opens it with the model's nodes, and it
 * follows the active .dlm editor. Reads the panel through the hidden test hook `dlm._graphState`
 * (src/extension/graphPanel.ts). The click on a node is driven by scripts/ui-smoke.mjs.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { DlmApi } from '../../src/extension/extension';
import { checkFile } from '../../src/language/program';
import { Requests } from '../../src/server/protocol';
import { buildGraphData } from '../../src/views/graphData';
import { EXTENSION_ID, fileUri, open, poll, workspaceRoot } from './helpers';

interface GraphState {
  open: boolean;
  uri?: string;
  model?: string;
  nodeCount?: number;
  costUnit?: string;
  edgeLabels?: string[];
  /** The panel waits for the language server's answer to its graph request. */
  waiting: boolean;
  lastReveal?: { uri: string; range: unknown };
  refusedReveals?: number;
  lastHover?: { nodeId: string; content: string };
  /** What the view last reported drawing, and whether its layout came from its worker. */
  lastRendered?: { items: number; source: string };
  /** The host remembers a layout of the graph shown, for the next view of it. */
  layoutRemembered?: boolean;
}

const state = (): Thenable<GraphState> =>
  vscode.commands.executeCommand<GraphState>('dlm._graphState');

const waitForState = (
  pred: (s: GraphState) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<GraphState> =>
  poll(state, pred, what, { timeoutMs, describe: (s) => `graph state: ${JSON.stringify(s)}` });

/** The node count buildGraphData gives for the file's first model, checked from disk. */
function expected(rel: string): { model: string; nodes: number } {
  const root = workspaceRoot();
  const r = checkFile(fileUri(rel).fsPath, {
    root,
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: existsSync,
  });
  const m = r.models[0];
  assert.ok(m, `${rel} has a model`);
  const g = buildGraphData(m, r.diagnostics, {
    shapeStyle: 'brackets',
    macsOrFlops: 'macs',
    files: r.files,
  });
  return { model: m.name, nodes: g.nodes.length };
}

suite('graph panel', function () {
  this.timeout(60_000);

  test('dlm.showGraph shows the model with its nodes and follows the active editor', async () => {
    const lenet = expected('lenet5.dlm');
    const resnet = expected('resnet18.dlm');
    assert.equal(lenet.model, 'LeNet5');
    // input, 11 layers, output
    assert.ok(lenet.nodes >= 11, `LeNet5 has ${lenet.nodes} nodes`);
    assert.notEqual(resnet.nodes, lenet.nodes);

    // Start from no panel: an earlier suite may have left one showing another graph.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const { doc } = await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    const s1 = await waitForState(
      (s) => s.open && s.uri === doc.uri.toString() && s.model === lenet.model,
      'the LeNet5 graph',
    );
    assert.equal(s1.model, 'LeNet5');
    assert.equal(s1.nodeCount, lenet.nodes);

    // The panel follows the active .dlm editor.
    const other = await vscode.workspace.openTextDocument(fileUri('resnet18.dlm'));
    await vscode.window.showTextDocument(other, vscode.ViewColumn.One);
    const s2 = await waitForState(
      (s) => s.uri === other.uri.toString() && s.nodeCount === resnet.nodes,
      `the ${resnet.model} graph (${resnet.nodes} nodes)`,
    );
    assert.equal(s2.model, resnet.model);
    assert.ok(s2.open);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'the panel to close');
  });
  test('a graph panel closed and opened again draws the layout the last view drew, without its worker', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const { doc } = await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    const first = await waitForState(
      (s) => s.uri === doc.uri.toString() && (s.lastRendered?.items ?? 0) > 0,
      'the LeNet5 graph drawn',
    );
    // The view offers its layout to the host a second after drawing it.
    await waitForState((s) => !!s.layoutRemembered, 'the layout remembered by the host');

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'the panel to close');
    await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    const again = await waitForState(
      (s) => s.open && (s.lastRendered?.items ?? 0) > 0,
      'the LeNet5 graph drawn again',
    );
    assert.equal(again.lastRendered?.source, 'saved');
    assert.equal(again.lastRendered?.items, first.lastRendered?.items);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'the panel to close');
  });

  test("a node's hover card shows the layer's documentation, from the language server", async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const { doc } = await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    await waitForState((s) => s.open && s.uri === doc.uri.toString(), 'the LeNet5 graph');
    // a node id of the graph the panel shows, as the server builds it
    const api = vscode.extensions.getExtension<DlmApi>(EXTENSION_ID)!.exports;
    const res = await api.checkResult(doc.uri, 'LeNet5');
    const conv = res?.models[0]?.graph?.nodes.find((n) => n.type === 'Conv2d');
    assert.ok(conv, 'LeNet5 has a Conv2d node');
    await vscode.commands.executeCommand('dlm._graphReceive', {
      type: 'request-hover',
      nodeId: conv.id,
    });
    const s = await waitForState((x) => x.lastHover?.nodeId === conv.id, 'the hover card');
    // the catalog's summary and formulas, which the extension host no longer bundles
    assert.match(s.lastHover!.content, /2-D convolution/);
    assert.match(s.lastHover!.content, /Parameters/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((x) => !x.open, 'the panel to close');
  });
  test('a reveal message opens only the files of the graph shown', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const { doc } = await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    await waitForState((s) => s.open && s.uri === doc.uri.toString(), 'the LeNet5 graph');
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
    const receive = (file: string) =>
      vscode.commands.executeCommand('dlm._graphReceive', {
        type: 'reveal',
        source: { file, range },
      });
    const outside = '/etc/hostname';
    await receive(outside);
    // in the workspace, but not in this graph (a file no other test opens)
    const other = `${workspaceRoot()}/not-in-graph.dlm`;
    writeFileSync(other, 'model N(x: [B, 2]) { x |> Dense(1) }\n');
    await receive(other);
    const s = await state();
    assert.equal(s.refusedReveals, 2);
    assert.equal(s.lastReveal, undefined);
    const opened = vscode.workspace.textDocuments.map((d) => d.uri.fsPath);
    assert.ok(!opened.includes(outside), `opened: ${opened.join(', ')}`);
    assert.ok(!opened.some((f) => f.endsWith('not-in-graph.dlm')), `opened: ${opened.join(', ')}`);
    // the graph's own document is revealed
    await receive(doc.uri.fsPath);
    const s2 = await state();
    assert.equal(s2.lastReveal?.uri, doc.uri.toString());
    assert.equal(s2.refusedReveals, 2);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((x) => !x.open, 'the panel to close');
  });

  test('the graph follows the declared dlm.complexity and dlm.shapeStyle settings', async () => {
    const config = vscode.workspace.getConfiguration('dlm');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const { doc } = await open('lenet5.dlm');
    await vscode.commands.executeCommand('dlm.showGraph');
    await waitForState(
      (s) => s.uri === doc.uri.toString() && s.costUnit === 'MACs',
      'the LeNet5 graph in MACs',
    );
    try {
      await config.update('complexity', 'flops', vscode.ConfigurationTarget.Workspace);
      await waitForState((s) => s.costUnit === 'FLOPs', 'the graph in FLOPs (dlm.complexity)');
      await config.update('shapeStyle', 'times', vscode.ConfigurationTarget.Workspace);
      const s = await waitForState(
        (x) => !!x.edgeLabels?.some((l) => l.includes('×')),
        'shapes written B×… (dlm.shapeStyle)',
      );
      assert.ok(!s.edgeLabels?.some((l) => l.startsWith('[')), JSON.stringify(s.edgeLabels));
    } finally {
      await config.update('complexity', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('shapeStyle', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'the panel to close');
  });

  test('a hostile file in the graph panel is checked by the server, not the extension host', async function () {
    this.timeout(240_000);
    // An input dim written as a product of many factors: its size doubles with each factor (the
    // graph of 12 is 260 KB). While the server is held (SIGSTOP, as a check that never ends), the
    // graph can only come from the server, and the extension host keeps answering commands.
    const dim = Array.from({ length: 12 }, (_, i) => `(H${i}+1)`).join('*');
    const uri = fileUri('hostile_graph.dlm');
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(`model Hostile(x: [B, ${dim}]) -> [B, 4] {\n  x |> Dense(4)\n}\n`),
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'no graph panel');
    const api = vscode.extensions.getExtension<DlmApi>(EXTENSION_ID)!.exports;
    // By method name: the test bundle and the extension bundle each carry their own JSON-RPC
    // module, and a typed request object from one is not recognized by the other's client.
    const { pid } = (await api.client.sendRequest(Requests.stats.method, {})) as { pid: number };
    process.kill(pid, 'SIGSTOP');
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('dlm.showGraph');
      // Another command answers while the graph request is with the server, and no graph is
      // drawn: nothing in the extension host checks the file.
      const s = await waitForState(
        (x) => x.open && (x.waiting || x.nodeCount !== undefined),
        'the panel waiting for the server',
      );
      assert.equal(s.nodeCount, undefined, 'a graph drawn while the server was stopped');
      assert.ok(s.waiting);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Once the server is back, its answer reaches the panel.
    await waitForState(
      (s) => !s.waiting && s.uri === uri.toString() && s.model === 'Hostile' && !!s.nodeCount,
      'the Hostile graph from the server',
      120_000,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitForState((s) => !s.open, 'the panel to close');
    await vscode.workspace.fs.delete(uri);
  });
});
