/**
 * "DLM: Compare with…" in real VS Code: `dlm.compareWith` against another file and against a git
 * revision (a repository made in the workspace), through the language server's `dlm/diff`, shown
 * in the compare panel. Reads the panel through the hidden test hook `dlm._compareState`. Run last
 * (DLM_TEST_GREP=compare), the runner's closing screenshot shows the panel.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffResponse } from '../../src/server/protocol';
import { fileUri, open, poll, waitForServer, workspaceRoot } from './helpers';

interface CompareState {
  open: boolean;
  ready: boolean;
  title?: string;
  model?: string;
  counts?: string;
  rendered?: { nodes: { a: number; b: number }; highlighted: { a: number; b: number } };
}

const state = (): Thenable<CompareState> =>
  vscode.commands.executeCommand<CompareState>('dlm._compareState');

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

suite('compare', function () {
  // Two graphs are laid out in the webview on a loaded machine.
  this.timeout(120_000);
  test('command contributed under DLM', () => {
    const pkg = vscode.extensions.getExtension('dlm-studio.dlm-studio')!.packageJSON as {
      contributes: { commands: { command: string; category: string; title: string }[] };
    };
    const c = pkg.contributes.commands.find((x) => x.command === 'dlm.compareWith');
    assert.equal(c?.title, 'Compare with…');
    assert.equal(c?.category, 'DLM');
  });

  test('compare with another file: the diff and the panel', async () => {
    const lenet = readFileSync(path.join(workspaceRoot(), 'lenet5.dlm'), 'utf8');
    mkdirSync(path.join(workspaceRoot(), 'cmp'), { recursive: true });
    writeFileSync(path.join(workspaceRoot(), 'cmp', 'before.dlm'), lenet);
    writeFileSync(
      path.join(workspaceRoot(), 'cmp', 'after.dlm'),
      lenet.replace('Dense(84)', 'Dense(100)'),
    );
    const { doc } = await open('cmp/after.dlm');
    await waitForServer(doc.uri);
    const res = await vscode.commands.executeCommand<DiffResponse>('dlm.compareWith', doc.uri, {
      uri: fileUri('cmp/before.dlm').toString(),
    });
    assert.ok(res?.diff, `a diff: ${JSON.stringify(res?.error)}`);
    assert.deepEqual(res.diff.totals.trainable, {
      a: 61706,
      b: 63802,
      delta: 2096,
      relative: 2096 / 61706,
    });
    assert.deepEqual(
      res.diff.layers.map((l) => `${l.status} ${l.b!.path}`),
      ['changed dense1', 'changed tanh3', 'changed dense2'],
    );
    const s = await poll(
      state,
      (x) => x.open && x.rendered !== undefined,
      'the compare panel drawn',
      { timeoutMs: 30_000, describe: (x) => JSON.stringify(x) },
    );
    // Input, 12 layers and the output on each side; 3 layers highlighted on each side.
    assert.deepEqual(s.rendered, { nodes: { a: 14, b: 14 }, highlighted: { a: 3, b: 3 } });
    assert.equal(s.model, 'LeNet5');
    assert.equal(s.counts, '0 added, 0 removed, 3 changed, 9 unchanged');
    assert.equal(s.title, 'Compare: cmp/before.dlm ↔ cmp/after.dlm');
  });

  test('compare with a git revision of the same file, and a revision that does not exist', async () => {
    const repo = path.join(workspaceRoot(), 'gitrepo');
    mkdirSync(repo, { recursive: true });
    const file = path.join(repo, 'net.dlm');
    writeFileSync(
      file,
      'model Net(x: [B, 32]) -> [B, 10] {\n  x |> Dense(64) |> ReLU |> Dense(10)\n}\n',
    );
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await vscode.window.showTextDocument(doc);
    // Unsaved edit: the compare reads the editor's text for the newer side.
    await editor.edit((e) =>
      e.replace(
        new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)),
        'model Net(x: [B, 32]) -> [B, 10] {\n  x |> Dense(64) |> ReLU |> Dropout(0.2) |> Dense(10)\n}\n',
      ),
    );
    await waitForServer(doc.uri);
    const res = await vscode.commands.executeCommand<DiffResponse>('dlm.compareWith', doc.uri, {
      rev: 'HEAD',
    });
    assert.ok(res?.diff, `a diff: ${JSON.stringify(res?.error)}`);
    assert.deepEqual(res.diff.a, { file: 'HEAD:gitrepo/net.dlm', rev: 'HEAD' });
    assert.deepEqual(
      res.diff.layers.map((l) => `${l.status} ${(l.b ?? l.a)!.path}`),
      ['added dropout0'],
    );
    await poll(
      state,
      (x) => x.open && x.title === 'Compare: HEAD:gitrepo/net.dlm ↔ gitrepo/net.dlm',
      'the panel shows the revision',
      {
        timeoutMs: 20_000,
        describe: (x) => JSON.stringify(x),
      },
    );
    const bad = await vscode.commands.executeCommand<DiffResponse>('dlm.compareWith', doc.uri, {
      rev: 'HEAD~7',
    });
    assert.equal(bad?.error, "unknown revision 'HEAD~7'");
    await vscode.commands.executeCommand('workbench.action.files.revert');
    // Leave LeNet's comparison on screen, maximized, for the closing screenshot.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const after = await open('cmp/after.dlm');
    await vscode.commands.executeCommand('dlm.compareWith', after.doc.uri, {
      uri: fileUri('cmp/before.dlm').toString(),
    });
    await poll(state, (x) => x.open && x.rendered !== undefined, 'the compare panel drawn again', {
      timeoutMs: 30_000,
      describe: (x) => JSON.stringify(x),
    });
    await vscode.commands.executeCommand('workbench.action.toggleMaximizeEditorGroup');
  });
});
