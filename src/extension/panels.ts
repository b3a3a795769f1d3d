/**
 * The panels the desktop and the web extension share (decision 0024): the graph view and the
 * summary, both fed by the language server's typed requests (src/server/protocol.ts), whichever
 * client talks to it (a Node process on the desktop, a web worker on vscode.dev). No Node APIs
 * here or in what it imports (ESLint: the web patterns).
 */
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import {
  Requests,
  type GraphResponse,
  type LayerDocResponse,
  type SummaryParams,
  type SummaryResponse,
} from '../server/protocol';
import { registerGraphView } from './graphPanel';
import { showSummaryPanel } from './summaryPanel';

/** The server's answers the panels need; the client is started by `ready`. */
export interface PanelRequests {
  summary(
    uri: vscode.Uri,
    model?: string,
    position?: vscode.Position,
  ): Promise<SummaryResponse | undefined>;
  graph(uri: string, model?: string): Promise<GraphResponse | undefined>;
  layerDoc(type: string): Promise<LayerDocResponse | undefined>;
}

export function panelRequests(ready: () => Promise<BaseLanguageClient>): PanelRequests {
  const toUri = (u: vscode.Uri | string): vscode.Uri =>
    typeof u === 'string' ? vscode.Uri.parse(u) : u;
  // The server answers only for open documents.
  const ensureOpen = (uri: vscode.Uri): Thenable<vscode.TextDocument> =>
    vscode.workspace.openTextDocument(uri);
  return {
    async summary(uri, model, position) {
      await ensureOpen(uri);
      const cl = await ready();
      const params: SummaryParams = {
        uri: cl.code2ProtocolConverter.asUri(uri),
        ...(model ? { model } : {}),
        ...(position ? { position: { line: position.line, character: position.character } } : {}),
      };
      return (await cl.sendRequest(Requests.summary, params)) ?? undefined;
    },
    async graph(uri, model) {
      const u = toUri(uri);
      await ensureOpen(u);
      const cl = await ready();
      const params = { uri: cl.code2ProtocolConverter.asUri(u), ...(model ? { model } : {}) };
      return (await cl.sendRequest(Requests.graph, params)) ?? undefined;
    },
    async layerDoc(type) {
      const cl = await ready();
      return (await cl.sendRequest(Requests.layerDoc, { type })) ?? undefined;
    },
  };
}

/** The target of a command: explicit arguments (a code lens) or the active .dlm editor. */
export function commandTarget(
  arg?: unknown,
  model?: unknown,
): { uri: vscode.Uri; model?: string; position?: vscode.Position } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (arg instanceof vscode.Uri || typeof arg === 'string') {
    const uri = typeof arg === 'string' ? vscode.Uri.parse(arg) : arg;
    const pos =
      editor && editor.document.uri.toString() === uri.toString()
        ? editor.selection.active
        : undefined;
    return {
      uri,
      ...(typeof model === 'string' ? { model } : {}),
      ...(pos ? { position: pos } : {}),
    };
  }
  if (editor && editor.document.languageId === 'dlm')
    return { uri: editor.document.uri, position: editor.selection.active };
  return undefined;
}

/**
 * Registers `dlm.showSummary` and the graph view (`dlm.showGraph`). The graph updates after every
 * check of its document, which the client reports as new diagnostics.
 */
export function registerPanels(
  context: vscode.ExtensionContext,
  requests: PanelRequests,
): { onDidCheck: vscode.Event<{ uri: string }> } {
  const checked = new vscode.EventEmitter<{ uri: string }>();
  context.subscriptions.push(
    checked,
    vscode.languages.onDidChangeDiagnostics((e) => {
      for (const uri of e.uris)
        if (uri.path.endsWith('.dlm')) checked.fire({ uri: uri.toString() });
    }),
    vscode.commands.registerCommand('dlm.showSummary', async (arg?: unknown, model?: unknown) => {
      const t = commandTarget(arg, model);
      if (!t) {
        void vscode.window.showInformationMessage('DLM: open a .dlm file to see a model summary.');
        return undefined;
      }
      let res = await requests.summary(t.uri, t.model, t.position);
      if (res && !t.model && !t.position && res.models.length > 1) {
        const pick = await vscode.window.showQuickPick([...res.models], {
          placeHolder: 'Model to summarize',
        });
        if (!pick) return undefined;
        res = await requests.summary(t.uri, pick);
      }
      if (!res) {
        void vscode.window.showWarningMessage(
          'DLM: the language server has no result for this file.',
        );
        return undefined;
      }
      showSummaryPanel(res);
      return res;
    }),
  );
  registerGraphView(context, {
    getGraph: (uri, model) => requests.graph(uri, model),
    onDidCheck: checked.event,
    layerDoc: (type) => requests.layerDoc(type),
  });
  return { onDidCheck: checked.event };
}
