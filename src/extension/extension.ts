// DLM Studio VS Code client. For now a skeleton: the language server and features come later.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('dlm.hello', () => 'ok'));
}

export function deactivate(): void {
  // Nothing to clean up yet; disposables in context.subscriptions are released by VS Code.
}
