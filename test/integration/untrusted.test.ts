/**
 * Restricted Mode: the workbench is opened with workspace trust on and never granted
 * (scripts/run-vscode-tests.mjs --suite untrusted sets DLM_TEST_SUITE=untrusted, and
 * test/integration/index.ts then loads this file instead of the main suites).
 *
 * Language features and the graph must work; training, stopping, ONNX export (and with them
 * every dataset read) must refuse with the trust message and leave nothing on disk.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  codeOf,
  hoverText,
  inlayLabel,
  open,
  poll,
  pos,
  waitForDiagnostics,
  workspaceRoot,
} from './helpers';

suite('untrusted workspace (Restricted Mode)', () => {
  test('the workspace really is untrusted', async () => {
    await open('spiral.dlm');
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('diagnostics, hover and inlay hints still work', async () => {
    const { doc } = await open('shape_mismatch.dlm');
    const diags = await waitForDiagnostics(
      doc.uri,
      (d) => d.some((x) => x.severity === vscode.DiagnosticSeverity.Error),
      20_000,
      'the shape error',
    );
    assert.ok(
      diags.some((d) => /400|in=/.test(d.message) && codeOf(d)),
      `a coded shape error: ${diags.map((d) => d.message).join(' | ')}`,
    );
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      doc.uri,
      pos(doc, 'Conv2d(6', 2),
    );
    assert.match(hoverText(hovers), /Conv2d/);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      doc.uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
    );
    assert.ok(hints.length > 0, 'inlay hints are shown');
    assert.ok(
      hints.some((h) => /6/.test(inlayLabel(h))),
      hints.map((h) => inlayLabel(h)).join(', '),
    );
  });

  test('training, stopping and export refuse with the trust message and write nothing', async () => {
    await open('spiral.dlm');
    const runs = path.join(workspaceRoot(), '.dlm', 'runs');
    assert.equal(existsSync(runs), false, 'no runs folder before');
    for (const id of ['dlm.train', 'dlm.stopTraining', 'dlm.exportOnnx', 'dlm.exportPytorch']) {
      const r = await vscode.commands.executeCommand<unknown>(id);
      assert.equal(r, 'untrusted', `${id} answers 'untrusted'`);
    }
    // Give anything that might have been started a moment, then check nothing ran.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(existsSync(runs), false, 'no run was started');
    const all = await vscode.commands.getCommands(true);
    assert.equal(all.includes('dlm._trainingState'), false, 'the trainer is not registered');
  });

  test('the summary and graph commands still work', async () => {
    await open('spiral.dlm');
    const res = await vscode.commands.executeCommand<{ models: string[] }>('dlm.showSummary');
    assert.ok(res && res.models.length > 0, 'the summary answers');
    await vscode.commands.executeCommand('dlm.showGraph');
    await poll(
      () =>
        vscode.commands.executeCommand<{ open: boolean; nodeCount?: number } | undefined>(
          'dlm._graphState',
        ),
      (s) => !!s?.open && (s.nodeCount ?? 0) > 0,
      'the graph to open',
    );
  });
});
