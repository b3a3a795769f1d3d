import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'dlm-studio.dlm-studio';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

suite('smoke', () => {
  test('the extension is present', () => {
    assert.ok(
      vscode.extensions.getExtension(EXTENSION_ID),
      `extension ${EXTENSION_ID} is installed`,
    );
  });

  test('opening a .dlm file gives languageId dlm and activates the extension', async () => {
    const uri = vscode.Uri.file(path.join(workspaceRoot(), 'hello.dlm'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'dlm');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    // onLanguage:dlm activation is asynchronous; activate() returns the same promise.
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('the language server starts and answers', async () => {
    const uri = vscode.Uri.file(path.join(workspaceRoot(), 'lenet5.dlm'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const until = Date.now() + 20_000;
    let symbols: vscode.DocumentSymbol[] | undefined;
    while (!symbols?.length && Date.now() < until) {
      symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
        'vscode.executeDocumentSymbolProvider',
        uri,
      );
      if (!symbols?.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(
      symbols?.some((s) => s.name === 'LeNet5'),
      'document symbols from the server',
    );
  });
});
