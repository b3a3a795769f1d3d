/**
 * "DLM: Compare with…": the active model against another .dlm file or a git revision of itself,
 * shown as two graphs side by side with the added, removed and changed layers highlighted
 * (webview/compare). The language server computes everything (`dlm/diff`); this module only asks,
 * shows and reveals.
 */
import * as vscode from 'vscode';
import type { DiffParams, DiffResponse } from '../server/protocol';
import {
  asJson,
  type CompareData,
  type CompareToHost,
  type HostToCompare,
} from '../../webview/protocol';
import { COMPARE_PAGE, panelPage } from './webview';

export const COMPARE_VIEW_TYPE = 'dlm.compare';

/** What to compare the document with; the command asks when it is not given. */
export interface CompareTarget {
  /** Another .dlm file (URI string). */
  readonly uri?: string;
  /** A git revision of the same file. */
  readonly rev?: string;
  readonly model?: string;
}

export interface CompareDeps {
  /** Sends `dlm/diff` for the document `uri` (opened first). */
  diff(uri: vscode.Uri, params: Omit<DiffParams, 'uri'>): Promise<DiffResponse | undefined>;
}

interface State {
  panel?: vscode.WebviewPanel;
  ready: boolean;
  pending?: HostToCompare;
  data?: CompareData;
  reveals: number;
  refusedReveals: number;
  /** What the webview reported after drawing (test hook). */
  rendered?: Extract<CompareToHost, { type: 'rendered' }>;
}

export function registerCompare(context: vscode.ExtensionContext, deps: CompareDeps): void {
  const state: State = { ready: false, reveals: 0, refusedReveals: 0 };

  const post = (m: HostToCompare): void => {
    if (state.panel && state.ready) void state.panel.webview.postMessage(asJson(m));
    else state.pending = m;
  };

  const onMessage = async (m: CompareToHost): Promise<void> => {
    if (m.type === 'ready') {
      state.ready = true;
      if (state.pending) {
        const p = state.pending;
        state.pending = undefined;
        post(p);
      }
    } else if (m.type === 'reveal') {
      const side = state.data?.[m.side];
      // Only sources of the graph shown, on a side read from disk.
      const known =
        side?.revealable && side.graph.nodes.some((n) => n.source.file === m.source.file);
      if (!known) {
        state.refusedReveals++;
        return;
      }
      state.reveals++;
      const r = m.source.range;
      const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
      await vscode.window.showTextDocument(vscode.Uri.file(m.source.file), {
        selection: range,
        viewColumn: vscode.ViewColumn.One,
      });
    } else if (m.type === 'rendered') {
      state.rendered = m;
    } else if (m.type === 'log') {
      console[m.level === 'error' ? 'error' : 'log'](`[dlm compare] ${m.message}`);
    }
  };

  const show = (title: string, msg: HostToCompare): void => {
    if (!state.panel) {
      const panel = vscode.window.createWebviewPanel(
        COMPARE_VIEW_TYPE,
        title,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        {
          enableScripts: true,
          retainContextWhenHidden: true,
          localResourceRoots: [
            vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'),
            vscode.Uri.joinPath(context.extensionUri, 'media'),
          ],
        },
      );
      panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'dlm-icon.svg');
      state.panel = panel;
      state.ready = false;
      panel.webview.onDidReceiveMessage((m: CompareToHost) => void onMessage(m));
      panel.onDidDispose(() => {
        state.panel = undefined;
        state.ready = false;
        state.data = undefined;
      });
      panel.webview.html = panelPage(COMPARE_PAGE, panel.webview, context.extensionUri);
    }
    state.panel.title = title;
    state.panel.reveal(vscode.ViewColumn.Beside, false);
    post(msg);
  };

  /** Asks what to compare with: another .dlm file of the workspace, or a git revision. */
  const ask = async (uri: vscode.Uri): Promise<CompareTarget | undefined> => {
    const trusted = vscode.workspace.isTrusted;
    const kind = await vscode.window.showQuickPick(
      [
        { label: '$(file) Another .dlm file…', id: 'file' as const },
        {
          label: '$(git-commit) A git revision of this file…',
          id: 'rev' as const,
          ...(trusted ? {} : { description: 'needs a trusted workspace' }),
        },
      ],
      { placeHolder: `Compare ${vscode.workspace.asRelativePath(uri)} with…` },
    );
    if (!kind) return undefined;
    if (kind.id === 'rev') {
      if (!trusted) {
        void vscode.window.showWarningMessage(
          'DLM: comparing with a git revision runs git, which needs a trusted workspace.',
        );
        return undefined;
      }
      const rev = await vscode.window.showInputBox({
        prompt: 'Git revision to compare with (the older side)',
        value: 'HEAD',
        placeHolder: 'HEAD, HEAD~1, a branch, a tag or a commit',
        validateInput: (v) =>
          v.trim() === '' ? 'Enter a revision' : v.startsWith('-') ? 'Not a revision' : undefined,
      });
      return rev ? { rev: rev.trim() } : undefined;
    }
    const files = (await vscode.workspace.findFiles('**/*.dlm', '**/node_modules/**', 1000))
      .filter((f) => f.toString() !== uri.toString())
      .map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f }))
      .sort((x, y) => x.label.localeCompare(y.label));
    const browse = { label: '$(folder-opened) Browse…', uri: undefined };
    const pick = await vscode.window.showQuickPick([...files, browse], {
      placeHolder: 'The older version to compare with',
    });
    if (!pick) return undefined;
    if (pick.uri) return { uri: pick.uri.toString() };
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { DLM: ['dlm'] },
    });
    return chosen?.[0] ? { uri: chosen[0].toString() } : undefined;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(
      'dlm.compareWith',
      async (arg?: unknown, target?: CompareTarget): Promise<DiffResponse | undefined> => {
        const editor = vscode.window.activeTextEditor;
        const uri =
          arg instanceof vscode.Uri
            ? arg
            : typeof arg === 'string'
              ? vscode.Uri.parse(arg)
              : editor?.document.languageId === 'dlm'
                ? editor.document.uri
                : undefined;
        if (!uri) {
          void vscode.window.showInformationMessage('DLM: open a .dlm file to compare it.');
          return undefined;
        }
        const t = target ?? (await ask(uri));
        if (!t) return undefined;
        if (t.rev !== undefined && !vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage(
            'DLM: comparing with a git revision runs git, which needs a trusted workspace.',
          );
          return undefined;
        }
        if (t.uri !== undefined) await vscode.workspace.openTextDocument(vscode.Uri.parse(t.uri));
        const res = await deps.diff(uri, {
          ...(t.uri !== undefined ? { otherUri: t.uri } : {}),
          ...(t.rev !== undefined ? { rev: t.rev } : {}),
          ...(t.model !== undefined ? { model: t.model } : {}),
        });
        if (!res) {
          void vscode.window.showWarningMessage(
            'DLM: the language server has no result for this file.',
          );
          return undefined;
        }
        if (res.error !== undefined || !res.data) {
          void vscode.window.showErrorMessage(`DLM: cannot compare: ${res.error ?? 'no result'}`);
          if (state.panel) post({ type: 'error', message: res.error ?? 'no result' });
          return res;
        }
        state.data = res.data;
        state.rendered = undefined;
        show(`Compare: ${res.data.a.title} ↔ ${res.data.b.title}`, {
          type: 'compare',
          data: res.data,
        });
        return res;
      },
    ),
    // Test hook: what the compare panel shows.
    vscode.commands.registerCommand('dlm._compareState', () => ({
      open: state.panel !== undefined,
      ready: state.ready,
      title: state.panel?.title,
      model: state.data?.model,
      counts: state.data?.counts,
      reveals: state.reveals,
      refusedReveals: state.refusedReveals,
      rendered: state.rendered && {
        nodes: state.rendered.nodes,
        highlighted: state.rendered.highlighted,
      },
    })),
  );
}
