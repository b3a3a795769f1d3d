/** Helpers for the integration suites: paths, opening files, waiting for diagnostics. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'dlm-studio.dlm-studio';

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

export function fileUri(rel: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), rel));
}

export async function activate(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  await ext.activate();
}

export async function open(
  rel: string,
): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const doc = await vscode.workspace.openTextDocument(fileUri(rel));
  const editor = await vscode.window.showTextDocument(doc);
  await activate();
  return { doc, editor };
}

/** Resolves once `predicate(getDiagnostics(uri))` holds; rejects after `timeoutMs`. */
export function waitForDiagnostics(
  uri: vscode.Uri,
  predicate: (d: readonly vscode.Diagnostic[]) => boolean,
  timeoutMs = 15_000,
  what = 'diagnostics',
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const d = vscode.languages.getDiagnostics(uri);
      if (predicate(d)) {
        cleanup();
        resolve(d);
        return true;
      }
      return false;
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what} on ${path.basename(uri.fsPath)}; have: ${JSON.stringify(
            vscode.languages.getDiagnostics(uri).map((x) => `${String(codeOf(x))} ${x.message}`),
          )}`,
        ),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      sub.dispose();
    };
    check();
  });
}

/**
 * Calls `get` every `intervalMs` until `done` holds for its value, and returns that value. After
 * `timeoutMs` throws "timed out waiting for <what>; <describe(last value)>". The timeout only
 * bounds a wait that should end; it is not a timing assertion.
 */
export async function poll<T>(
  get: () => T | Thenable<T>,
  done: (value: T) => boolean,
  what: string,
  opts: { timeoutMs?: number; intervalMs?: number; describe?: (value: T) => string } = {},
): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const value = await get();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}; ${(opts.describe ?? ((v: T) => JSON.stringify(v)))(value)}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/**
 * Resolves once the language server has published for this document: a provider round-trip
 * proves the server is up, then the diagnostics for the current version arrive or stay empty.
 */
export async function waitForServer(uri: vscode.Uri, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const symbols = await vscode.commands.executeCommand<unknown[]>(
      'vscode.executeDocumentSymbolProvider',
      uri,
    );
    if (symbols && symbols.length > 0) return;
    if (Date.now() > until) throw new Error(`language server did not answer for ${uri.fsPath}`);
    await new Promise<void>((r) => {
      const sub = vscode.languages.onDidChangeDiagnostics(() => {
        sub.dispose();
        r();
      });
      setTimeout(() => {
        sub.dispose();
        r();
      }, 100);
    });
  }
}

export function codeOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  if (typeof c === 'object') return String(c.value);
  return String(c);
}

/** Position of the `nth` occurrence of `needle` in the document, plus `delta` characters. */
export function pos(doc: vscode.TextDocument, needle: string, delta = 0, nth = 0): vscode.Position {
  const text = doc.getText();
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    assert.ok(i >= 0, `'${needle}' occurs ${nth + 1} time(s) in ${path.basename(doc.uri.fsPath)}`);
  }
  return doc.positionAt(i + delta);
}

export function hoverText(hovers: readonly vscode.Hover[] | undefined): string {
  return (hovers ?? [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

export function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

export function inlayLabel(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}
