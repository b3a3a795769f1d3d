/**
 * In-process checks for views that need the full CheckResult object (the graph panel): the
 * language server owns diagnostics and editor features; this cache re-checks a document on
 * demand, per version, with the same workspace-confined host the server uses.
 */
import * as vscode from 'vscode';
import type { CheckResult } from '../language/checked';
import { checkText } from '../language/program';
import { WorkspaceHost, uriToPath } from '../server/host';

export class LocalChecks implements vscode.Disposable {
  private readonly cache = new Map<
    string,
    { version: number; text: string; result: CheckResult }
  >();
  private readonly emitter = new vscode.EventEmitter<{ uri: string }>();
  /** Fires whenever the language server has published a new check of a .dlm document. */
  readonly onDidCheck = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];

  constructor() {
    this.subs.push(
      vscode.languages.onDidChangeDiagnostics((e) => {
        for (const uri of e.uris)
          if (uri.path.endsWith('.dlm')) this.emitter.fire({ uri: uri.toString() });
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidSaveTextDocument(() => this.cache.clear()),
    );
  }

  async getResult(uri: string): Promise<{ result: CheckResult; text: string } | undefined> {
    const u = vscode.Uri.parse(uri);
    const path = uriToPath(u.toString());
    if (!path) return undefined;
    const doc = await vscode.workspace.openTextDocument(u);
    const hit = this.cache.get(u.toString());
    if (hit && hit.version === doc.version) return { result: hit.result, text: hit.text };
    const folder =
      vscode.workspace.getWorkspaceFolder(u)?.uri.fsPath ?? path.replace(/\/[^/]*$/, '');
    const open = new Map(
      vscode.workspace.textDocuments
        .filter((d) => d.uri.scheme === 'file')
        .map((d) => [d.uri.fsPath, d] as const),
    );
    const host = new WorkspaceHost(folder, (p) => open.get(p)?.getText());
    const text = doc.getText();
    const result = checkText(path, text, host);
    this.cache.set(u.toString(), { version: doc.version, text, result });
    return { result, text };
  }

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subs) s.dispose();
  }
}
