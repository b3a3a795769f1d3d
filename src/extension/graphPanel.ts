/**
 * The computational-graph panel (webview/graph). The language server builds the GraphData from
 * its check of the document (request `dlm/graph`, src/server/protocol.ts) in the `dlm.shapeStyle`
 * and `dlm.complexity` settings; the extension host only forwards it, and the webview lays it out
 * and renders it. A document that is slow to check keeps the server busy, never this host.
 *
 * Dependency interface, wired by extension.ts:
 *
 *   registerGraphView(context, {
 *     // The server's graph of a document (URI string): one model (default: the first).
 *     getGraph(uri: string, model?: string): Promise<GraphResponse | undefined>,
 *     // Fires after every check of a document (the panel updates, debounced, when it is its own).
 *     onDidCheck: vscode.Event<{ uri: string }>,
 *   })
 *
 * It registers the command `dlm.showGraph` (optional arguments: a document URI or vscode.Uri,
 * and a model name) and a WebviewPanelSerializer for the view type `dlm.graph`. package.json
 * needs: the command contribution, and `onWebviewPanel:dlm.graph` among the activation events
 * so the panel is restored after a reload.
 */
import * as vscode from 'vscode';
import { REVEAL } from './notify';
import { GRAPH_PAGE, panelPage } from './webview';
import { acceptModelName, acceptReveal, acceptRestoredUri, exportFileName } from './graphGuards';
import type { GraphResponse, LayerDocResponse } from '../server/protocol';
import {
  asJson,
  type GraphData,
  type GraphNode,
  type GraphToHost,
  type GraphViewState,
  type HostToGraph,
  type ProtoRange,
} from '../../webview/protocol';
import { LayoutMemory } from './layoutMemory';

export interface GraphViewDeps {
  getGraph(uri: string, model?: string): Promise<GraphResponse | undefined>;
  onDidCheck: vscode.Event<{ uri: string }>;
  /**
   * A layer's documentation for the node hover card, from the language server: the layer
   * catalog stays out of the extension host, which then loads faster (docs/limits.md).
   */
  layerDoc(type: string): Promise<LayerDocResponse | undefined>;
}

export const GRAPH_VIEW_TYPE = 'dlm.graph';
const UPDATE_DELAY_MS = 150;
const HIGHLIGHT_DELAY_MS = 80;

const isDlm = (doc: vscode.TextDocument): boolean =>
  doc.languageId === 'dlm' || doc.uri.path.endsWith('.dlm');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The workspaceState key of the document the graph panel shows. */
const REMEMBERED_URI = 'dlm.graph.uri';

/** The last layout a graph view drew of each model, for the next view of it (decision 0031). */
const layouts = new LayoutMemory();

class GraphPanel {
  private uri: string | undefined;
  private model: string | undefined;
  private version = 0;
  private ready = false;
  private posted: { uri: string; model: string } | undefined;
  private lastGraph: Extract<HostToGraph, { type: 'graph' }> | undefined;
  private lastBanner: Extract<HostToGraph, { type: 'error-banner' }> | undefined;
  private lastHighlight: Extract<HostToGraph, { type: 'highlight' }> | undefined;
  /** The view has not been sent a graph since it (re)loaded: its next graph carries a layout. */
  private newView = true;
  private updateTimer: ReturnType<typeof setTimeout> | undefined;
  /** A graph request to the server is in flight; `again`: another update was asked meanwhile. */
  private inFlight = false;
  private again = false;
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Test hook (`dlm._graphState`): the last `reveal` the webview asked for. */
  lastReveal: { uri: string; range: ProtoRange } | undefined;
  /** Test hook: `reveal` messages refused (a file the graph was not built from). */
  refusedReveals = 0;
  /** Test hook: what the view last reported drawing (`rendered`). */
  lastRendered: { items: number; source: string } | undefined;
  /** Test hook: the last hover card sent (node id and its HTML or text). */
  lastHover: { nodeId: string; content: string } | undefined;
  /**
   * The files of the graph shown (its document and its imports), as the server's paths, with
   * their document URIs: the only ones `reveal` opens.
   */
  private files: ReadonlyMap<string, string> = new Map();

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly deps: GraphViewDeps,
    private readonly onDispose: () => void,
    /** Where the extension records the document the panel shows (checked on restore). */
    private readonly memory?: vscode.Memento,
  ) {
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(extensionUri, 'media'),
      ],
    };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dlm-icon.svg');
    panel.webview.html = panelPage(GRAPH_PAGE, panel.webview, extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: GraphToHost) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      deps.onDidCheck((e) => {
        if (e.uri === this.uri) this.scheduleUpdate();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('dlm.shapeStyle') || e.affectsConfiguration('dlm.complexity'))
          this.scheduleUpdate();
      }),
      vscode.window.onDidChangeActiveTextEditor((ed) => {
        if (!ed || !isDlm(ed.document)) return;
        const uri = ed.document.uri.toString();
        if (uri === this.uri) return;
        this.setUri(uri);
        this.model = undefined;
        this.scheduleUpdate(0);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() !== this.uri) return;
        if (this.highlightTimer) clearTimeout(this.highlightTimer);
        this.highlightTimer = setTimeout(() => this.highlightAt(e.textEditor), HIGHLIGHT_DELAY_MS);
      }),
    );
  }

  show(uri: string | undefined, model: string | undefined): void {
    if (uri && (uri !== this.uri || (model && model !== this.model))) {
      this.setUri(uri);
      this.model = model;
    }
    this.panel.reveal(vscode.ViewColumn.Beside, true);
    this.scheduleUpdate(0);
  }

  /**
   * A panel restored after a reload: its state comes from the webview, so its uri is taken only
   * when it is the document the extension recorded for the panel; else the active .dlm editor.
   */
  restore(state: Partial<GraphViewState> | undefined): void {
    const remembered = this.memory?.get<string>(REMEMBERED_URI);
    const active = vscode.window.activeTextEditor?.document;
    const uri =
      acceptRestoredUri(state, remembered) ??
      (active && isDlm(active) ? active.uri.toString() : undefined);
    if (uri) this.setUri(uri);
    this.model = acceptModelName(state?.model);
    this.scheduleUpdate(0);
  }

  private setUri(uri: string): void {
    this.uri = uri;
    void this.memory?.update(REMEMBERED_URI, uri);
  }

  private post(m: HostToGraph): void {
    if (m.type === 'graph') this.lastGraph = m;
    if (m.type === 'error-banner') this.lastBanner = m.message === null ? undefined : m;
    if (m.type === 'highlight') this.lastHighlight = m;
    if (this.ready) this.send(m);
  }

  /**
   * Posts `m` to the view now (as JSON text: webview/protocol.ts `asJson`). A view's first graph
   * carries the layout an earlier view drew of that model, if the host remembers one.
   */
  private send(m: HostToGraph): void {
    if (m.type === 'graph' && this.newView) {
      this.newView = false;
      const layout = layouts.get(m.uri, m.model);
      if (layout) m = { ...m, layout };
    }
    void this.panel.webview.postMessage(asJson(m));
  }

  private scheduleUpdate(delay = UPDATE_DELAY_MS): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = setTimeout(() => void this.update(), delay);
  }

  /** One request to the server at a time: a burst of updates while it checks makes one more. */
  private async update(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      await this.updateNow();
    } catch (err) {
      // The server could not answer (stopped, restarting after a crash): say so, keep the graph.
      const why = err instanceof Error ? err.message : String(err);
      this.post({
        type: 'error-banner',
        message: `The language server did not answer: ${why}`,
        stale: !!this.lastGraph,
      });
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.scheduleUpdate(0);
      }
    }
  }

  /** True while the panel waits for the server's graph (test hook `dlm._graphState`). */
  get waiting(): boolean {
    return this.inFlight;
  }

  private async updateNow(): Promise<void> {
    const uri = this.uri;
    if (!uri) {
      this.post({ type: 'error-banner', message: 'Open a .dlm file to see its graph.' });
      return;
    }
    const got = await this.deps.getGraph(uri, this.model);
    if (uri !== this.uri) return; // the active file changed meanwhile
    if (!got) {
      this.post({
        type: 'error-banner',
        message: 'This file has not been checked yet.',
        stale: !!this.lastGraph,
      });
      return;
    }
    const model = got.model;
    const sameTarget = this.posted?.uri === uri && this.posted.model === model?.name;
    const graph = model?.graph;
    if (!model || !graph || graph.nodes.length === 0 || got.syntaxError !== undefined) {
      const first = got.syntaxError ?? got.firstError;
      const message = !model
        ? 'No model in this file.'
        : `${model.name}: ${first ?? 'the model has no layers'}`;
      // Keep the last good graph of the same model, dimmed.
      this.post({ type: 'error-banner', message, stale: sameTarget && !!this.lastGraph });
      return;
    }
    this.model = model.name;
    this.post({
      type: 'graph',
      version: ++this.version,
      uri,
      model: model.name,
      models: got.models,
      graph,
      reset: !sameTarget,
    });
    this.posted = { uri, model: model.name };
    this.files = new Map(
      got.files.map((f, i) => [f, got.fileUris[i] ?? vscode.Uri.file(f).toString()]),
    );
    this.panel.title = `Graph: ${model.name}`;
    const errs = graph.nodes.filter((n) => n.error).length;
    if (!model.ok || errs > 0) {
      const first = model.firstError ?? graph.nodes.find((n) => n.error)?.error ?? '';
      const count = Math.max(errs, model.errors);
      this.post({
        type: 'error-banner',
        message: `${count} error${count === 1 ? '' : 's'}${first ? `: ${first}` : ''}`,
        stale: false,
      });
    }
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document.uri.toString() === uri) this.highlightAt(ed, false);
  }

  /** Highlights the node(s) whose source contains the cursor (innermost span wins). */
  private highlightAt(editor: vscode.TextEditor, reveal = true): void {
    const graph = this.lastGraph?.graph;
    if (!graph) return;
    const offset = editor.document.offsetAt(editor.selection.active);
    const path = this.pathOf(editor.document.uri);
    let best: GraphNode[] = [];
    let bestLen = Infinity;
    for (const n of graph.nodes) {
      if (n.source.file !== path) continue;
      const { start, end } = n.source.span;
      if (offset < start || offset > end) continue;
      const len = end - start;
      if (len < bestLen) {
        bestLen = len;
        best = [n];
      } else if (len === bestLen) best.push(n);
    }
    const nodeIds = best.map((n) => n.id);
    const prev = this.lastHighlight?.nodeIds ?? [];
    if (prev.length === nodeIds.length && prev.every((id, i) => id === nodeIds[i])) return;
    this.post({ type: 'highlight', nodeIds, reveal });
  }

  /** Test hook (`dlm._graphReceive`): handle `m` as a message from the webview. */
  receive(m: GraphToHost): Promise<void> {
    return this.onMessage(m);
  }

  private async onMessage(m: GraphToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.newView = true;
        if (this.lastGraph) this.send({ ...this.lastGraph, reset: true });
        if (this.lastBanner) this.send(this.lastBanner);
        if (this.lastHighlight) this.send(this.lastHighlight);
        if (!this.lastGraph) this.scheduleUpdate(0);
        break;
      case 'reveal': {
        const ok = acceptReveal(new Set(this.files.keys()), m.source);
        if (!ok) {
          this.refusedReveals++;
          break;
        }
        const target = vscode.Uri.parse(this.files.get(ok.file)!);
        this.lastReveal = { uri: target.toString(), range: ok.range };
        await this.reveal(target, ok.range);
        break;
      }
      case 'select-model': {
        const name = acceptModelName(m.model);
        if (!name) break;
        this.model = name;
        this.scheduleUpdate(0);
        break;
      }
      case 'request-hover':
        await this.hover(m.nodeId);
        break;
      case 'export':
        if ((m.format !== 'svg' && m.format !== 'png') || typeof m.data !== 'string') break;
        await this.export(m.format, m.data, exportFileName(m.fileName, m.format));
        break;
      case 'log':
        if (m.level === 'error') console.error(`[dlm graph] ${m.message}`);
        break;
      case 'rendered':
        this.lastRendered = { items: Number(m.items), source: String(m.source) };
        break;
      case 'layout':
        // only for what this panel shows
        if (m.uri === this.posted?.uri && m.model === this.posted.model)
          layouts.set(m.uri, m.model, m.layout);
        break;
    }
  }

  /** The server's path of a document of the graph shown (its own URI's path if none). */
  private pathOf(uri: vscode.Uri): string {
    const s = uri.toString();
    for (const [file, u] of this.files) if (vscode.Uri.parse(u).toString() === s) return file;
    return uri.path;
  }

  private async reveal(target: vscode.Uri, range: ProtoRange): Promise<void> {
    const sel = new vscode.Range(
      range.start.line,
      range.start.character,
      range.end.line,
      range.end.character,
    );
    const visible = vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.toString() === target.toString(),
    );
    const doc = visible?.document ?? (await vscode.workspace.openTextDocument(target));
    const editor = await vscode.window.showTextDocument(doc, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
      preserveFocus: false,
      selection: sel,
    });
    editor.revealRange(sel, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async hover(nodeId: string): Promise<void> {
    const node = this.lastGraph?.graph.nodes.find((n) => n.id === nodeId);
    if (!node || node.kind !== 'layer') return;
    const def = await this.deps.layerDoc(node.type).catch(() => undefined);
    const md = [
      '```dlm',
      node.label,
      '```',
      def?.summary ?? '',
      ...(def?.paramFormula ? [`Parameters: \`${def.paramFormula}\``] : []),
      ...(def?.macsFormula ? [`MACs: \`${def.macsFormula}\``] : []),
    ].join('\n\n');
    let html: string | undefined;
    try {
      html = await vscode.commands.executeCommand<string>('markdown.api.render', md);
    } catch {
      html = undefined;
    }
    const msg: HostToGraph =
      typeof html === 'string' && html.length > 0
        ? { type: 'hover', nodeId, html }
        : {
            type: 'hover',
            nodeId,
            html: `<p><code>${escapeHtml(node.label)}</code></p><p>${escapeHtml(def?.summary ?? '')}</p>`,
          };
    this.lastHover = { nodeId, content: msg.html ?? msg.text ?? '' };
    this.send(msg);
  }

  private async export(format: 'svg' | 'png', data: string, fileName: string): Promise<void> {
    await saveGraphImage(this.panel.webview, this.uri, format, data, fileName);
  }

  dispose(): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDispose();
  }

  /** Test hook (`dlm._graphState`): the last graph message sent. */
  get lastGraphSent(): Extract<HostToGraph, { type: 'graph' }> | undefined {
    return this.lastGraph;
  }

  /** For tests. */
  get current(): { uri?: string; model?: string; graph?: GraphData } {
    return { uri: this.uri, model: this.model, graph: this.lastGraph?.graph };
  }
}

export function registerGraphView(
  context: vscode.ExtensionContext,
  deps: GraphViewDeps,
): vscode.Disposable {
  let panel: GraphPanel | undefined;
  const attach = (p: vscode.WebviewPanel): GraphPanel => {
    panel = new GraphPanel(
      p,
      context.extensionUri,
      deps,
      () => (panel = undefined),
      context.workspaceState,
    );
    return panel;
  };
  const command = vscode.commands.registerCommand(
    'dlm.showGraph',
    (arg?: vscode.Uri | string, model?: string) => {
      const active = vscode.window.activeTextEditor?.document;
      const uri =
        typeof arg === 'string'
          ? arg
          : arg instanceof vscode.Uri
            ? arg.toString()
            : active && isDlm(active)
              ? active.uri.toString()
              : undefined;
      if (!panel) {
        const p = vscode.window.createWebviewPanel(
          GRAPH_VIEW_TYPE,
          'DLM Graph',
          { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
          { enableScripts: true, retainContextWhenHidden: false },
        );
        attach(p);
      }
      panel!.show(uri, model);
      return panel!.current;
    },
  );
  const serializer = vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
    async deserializeWebviewPanel(p: vscode.WebviewPanel, state: unknown) {
      panel?.panel.dispose();
      attach(p).restore(state as Partial<GraphViewState> | undefined);
    },
  });
  // Hidden test hook (not contributed in package.json): the panel's state for the integration
  // suite (test/integration/graph.test.ts). nodeCount is from the last GraphData sent.
  // uri, model and nodeCount all describe the last graph message sent to the webview.
  const state = vscode.commands.registerCommand('dlm._graphState', () => {
    const g = panel?.lastGraphSent;
    return {
      open: !!panel,
      uri: g?.uri,
      model: g?.model,
      nodeCount: g?.graph.nodes.length,
      costUnit: g?.graph.costUnit,
      edgeLabels: g?.graph.edges.map((e) => e.label),
      waiting: !!panel?.waiting,
      lastReveal: panel?.lastReveal,
      refusedReveals: panel?.refusedReveals,
      lastHover: panel?.lastHover,
      lastRendered: panel?.lastRendered,
      layoutRemembered: !!g && layouts.has(g.uri, g.model),
    };
  });
  // Hidden test hook: deliver a message to the panel as if its webview had sent it.
  const receive = vscode.commands.registerCommand('dlm._graphReceive', (m: GraphToHost) =>
    panel?.receive(m),
  );
  const disposable = vscode.Disposable.from(command, state, receive, serializer, {
    dispose: () => panel?.panel.dispose(),
  });
  context.subscriptions.push(disposable);
  return disposable;
}

/** The graph view's `export`: a save dialog beside `uri`, then `export-done` to the view. */
export async function saveGraphImage(
  webview: vscode.Webview,
  uri: string | undefined,
  format: 'svg' | 'png',
  data: string,
  fileName: string,
): Promise<void> {
  const base = uri ? vscode.Uri.joinPath(vscode.Uri.parse(uri), '..', fileName) : undefined;
  const target = await vscode.window.showSaveDialog({
    ...(base ? { defaultUri: base } : {}),
    filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
    saveLabel: `Export ${format.toUpperCase()}`,
  });
  if (!target) return;
  try {
    const bytes =
      format === 'svg'
        ? new TextEncoder().encode(data)
        : Uint8Array.from(atob(data.replace(/^data:image\/png;base64,/, '')), (c) =>
            c.charCodeAt(0),
          );
    await vscode.workspace.fs.writeFile(target, bytes);
    void webview.postMessage(
      asJson<HostToGraph>({
        type: 'export-done',
        ok: true,
        message: `Saved ${target.path.split('/').pop() ?? ''}`,
      }),
    );
    void vscode.window
      .showInformationMessage(
        `DLM: saved the graph to ${vscode.workspace.asRelativePath(target)}.`,
        REVEAL,
      )
      .then((choice) =>
        choice === REVEAL ? vscode.commands.executeCommand('revealInExplorer', target) : undefined,
      );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`Could not export the graph: ${message}`);
    void webview.postMessage(asJson<HostToGraph>({ type: 'export-done', ok: false, message }));
  }
}
