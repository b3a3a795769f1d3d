/**
 * The read-only ONNX editor (`dlm.onnxViewer`, a CustomReadonlyEditorProvider for `*.onnx`): the
 * graph view (webview/graph) showing the file's ONNX graph. The language server reads and parses
 * the file (request `dlm/onnxGraph`: through the confined host, without weight data), never this
 * host. "Convert to .dlm" runs `dlm import` on the server (`dlm/onnxImport`) and opens the .dlm.
 * The reader's diagnostics (opset, unknown operators, Loop/If, …) show as the view's banner.
 */
import * as vscode from 'vscode';
import { saveGraphImage } from './graphPanel';
import { GRAPH_PAGE, panelPage } from './webview';
import type { OnnxGraphResponse, OnnxImportResponse } from '../server/protocol';
import { asJson, type GraphToHost, type HostToGraph } from '../../webview/protocol';

export const ONNX_VIEW_TYPE = 'dlm.onnxViewer';

export interface OnnxEditorDeps {
  onnxGraph(uri: vscode.Uri): Promise<OnnxGraphResponse>;
  onnxImport(uri: vscode.Uri, out?: vscode.Uri): Promise<OnnxImportResponse>;
}

/** Test hook state (`dlm._onnxEditorState`). */
interface EditorState {
  uri: string;
  error?: string;
  banner?: string;
  /** Layer nodes in the graph sent to the webview. */
  layers?: number;
  /** What the webview reported after laying out (`rendered`). */
  rendered?: { layers: number; items: number };
  /** The .dlm the last conversion wrote. */
  converted?: string;
  convertError?: string;
}

/** The banner text for the reader's diagnostics: errors and warnings first, at most five. */
export function onnxBanner(r: OnnxGraphResponse): string | null {
  if (r.error !== undefined) return r.error;
  const shown = r.diagnostics.filter((d) => d.severity !== 'info');
  if (shown.length === 0) return null;
  const lines = shown
    .slice(0, 5)
    .map((d) => `${d.code} ${d.message}${d.node !== undefined ? ` (node ${d.node})` : ''}`);
  if (shown.length > 5) lines.push(`… and ${shown.length - 5} more`);
  return lines.join('\n');
}

class OnnxEditor {
  readonly state: EditorState;
  private ready = false;
  private readonly queue: HostToGraph[] = [];

  constructor(
    private readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: OnnxEditorDeps,
  ) {
    this.state = { uri: uri.toString() };
    panel.webview.onDidReceiveMessage((m: GraphToHost) => void this.receive(m));
  }

  private post(m: HostToGraph): void {
    if (this.ready) void this.panel.webview.postMessage(asJson(m));
    else this.queue.push(m);
  }

  async load(): Promise<void> {
    let r: OnnxGraphResponse;
    try {
      r = await this.deps.onnxGraph(this.uri);
    } catch (e) {
      r = { uri: this.uri.toString(), error: (e as Error).message, diagnostics: [] };
    }
    if (r.error !== undefined) this.state.error = r.error;
    if (r.graph) {
      this.state.layers = r.graph.nodes.filter((n) => n.kind === 'layer').length;
      const name = this.uri.path.split('/').pop() ?? 'model.onnx';
      this.post({
        type: 'graph',
        version: 1,
        uri: this.uri.toString(),
        model: r.graph.model,
        models: [r.graph.model],
        graph: r.graph,
        reset: true,
      });
      this.post({
        type: 'actions',
        actions: [
          {
            id: 'convert',
            label: 'Convert to .dlm',
            title: `Write ${name.replace(/\.onnx$/i, '')}.dlm and its .safetensors weights (dlm import)`,
          },
        ],
      });
    }
    const banner = onnxBanner(r);
    if (banner !== null) this.state.banner = banner;
    this.post({ type: 'error-banner', message: banner });
  }

  async receive(m: GraphToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(asJson(q));
        break;
      case 'rendered':
        this.state.rendered = { layers: m.layers, items: m.items };
        break;
      case 'export':
        await saveGraphImage(this.panel.webview, this.uri.toString(), m.format, m.data, m.fileName);
        break;
      case 'action':
        if (m.id === 'convert') await this.convert();
        break;
      case 'log':
        if (m.level === 'error') console.error(`[dlm onnx] ${m.message}`);
        break;
    }
  }

  /** `dlm import` beside the file; when that .dlm exists, a save dialog asks where instead. */
  async convert(out?: vscode.Uri): Promise<OnnxImportResponse> {
    let target = out;
    if (!target) {
      const beside = this.uri.with({ path: this.uri.path.replace(/\.onnx$/i, '') + '.dlm' });
      const exists = await vscode.workspace.fs.stat(beside).then(
        () => true,
        () => false,
      );
      target = exists
        ? await vscode.window.showSaveDialog({
            defaultUri: beside,
            filters: { 'DLM model': ['dlm'] },
            saveLabel: 'Convert',
          })
        : beside;
      if (!target) return { error: 'cancelled' };
    }
    const r = await this.deps.onnxImport(this.uri, target);
    if (r.error !== undefined || r.dlmUri === undefined) {
      this.state.convertError = r.error;
      void vscode.window.showErrorMessage(`DLM: could not convert the ONNX model: ${r.error}`);
      return r;
    }
    this.state.converted = r.dlmUri;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(r.dlmUri));
    await vscode.window.showTextDocument(doc, { preview: false });
    void vscode.window.showInformationMessage(
      `DLM: imported ${r.modelName ?? 'the model'} (${r.layers ?? 0} layers) with its weights.`,
    );
    return r;
  }
}

export function registerOnnxEditor(
  context: vscode.ExtensionContext,
  deps: OnnxEditorDeps,
): vscode.Disposable {
  const editors = new Map<string, OnnxEditor>();
  let last: OnnxEditor | undefined;
  const provider: vscode.CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
    resolveCustomEditor: async (document, panel) => {
      panel.webview.options = {
        enableScripts: true,
        localResourceRoots: [
          vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'),
          vscode.Uri.joinPath(context.extensionUri, 'media'),
        ],
      };
      const editor = new OnnxEditor(document.uri, panel, deps);
      const key = document.uri.toString();
      editors.set(key, editor);
      last = editor;
      panel.onDidDispose(() => {
        if (editors.get(key) === editor) editors.delete(key);
        if (last === editor) last = undefined;
      });
      panel.webview.html = panelPage(GRAPH_PAGE, panel.webview, context.extensionUri);
      await editor.load();
    },
  };
  const find = (uri?: string): OnnxEditor | undefined =>
    uri !== undefined ? editors.get(uri) : last;
  const disposable = vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(ONNX_VIEW_TYPE, provider, {
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: false,
    }),
    // Hidden test hooks: the editor's state, and "Convert to .dlm" with an explicit target.
    vscode.commands.registerCommand('dlm._onnxEditorState', (uri?: string) => find(uri)?.state),
    vscode.commands.registerCommand('dlm._onnxConvert', (uri?: string, out?: string) =>
      find(uri)?.convert(out !== undefined ? vscode.Uri.parse(out) : undefined),
    ),
  );
  context.subscriptions.push(disposable);
  return disposable;
}
