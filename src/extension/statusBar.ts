/** A status bar item with the parameter count of the model under the cursor (or the file's first). */
import * as vscode from 'vscode';
import type { SummaryResponse } from '../server/protocol';

export function registerStatusBar(
  context: vscode.ExtensionContext,
  summaryOf: (uri: vscode.Uri, position?: vscode.Position) => Promise<SummaryResponse | undefined>,
): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem(
    'dlm.params',
    vscode.StatusBarAlignment.Right,
    100,
  );
  item.name = 'DLM Parameters';
  item.command = 'dlm.showSummary';
  context.subscriptions.push(item);
  let timer: NodeJS.Timeout | undefined;
  let seq = 0;
  const update = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== 'dlm') {
        item.hide();
        return;
      }
      const mine = ++seq;
      const res = await summaryOf(editor.document.uri, editor.selection.active).catch(
        () => undefined,
      );
      if (mine !== seq) return;
      if (!res?.model || res.params === undefined) {
        item.hide();
        return;
      }
      item.text = `$(symbol-class) ${res.model}: ${res.params.toLocaleString('en-US')} params${res.ok ? '' : ' (has errors)'}`;
      item.tooltip = `${res.model}${res.ok ? '' : ' (has errors)'}: click for the summary table`;
      item.show();
    }, 250);
  };
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.window.onDidChangeTextEditorSelection(update),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document) update();
    }),
  );
  update();
  return item;
}
