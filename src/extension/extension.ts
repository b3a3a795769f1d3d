/**
 * DLM Studio's VS Code client: starts the language server (src/server, its own process), and
 * registers the commands, the summary view, the status bar item, and the graph view and trainer
 * when those modules are present. The extension host never runs the checker: the summary, the
 * graph and the train sections come from the server's typed requests (src/server/protocol.ts),
 * so a file that is slow or hostile to check can only cost the server process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  Requests,
  type CheckResultParams,
  type CheckResultResponse,
  type SummaryResponse,
  type TrainResponse,
} from '../server/protocol';
import { trace } from '../server/perfTrace';
import { traceToFile } from '../server/traceFile';
import { createClient } from './client';
import { registerOnnxEditor } from './onnxEditor';
import {
  EXPORT_BUNDLE,
  EXPORT_COMMANDS,
  TRAINING_BUNDLE,
  TRAINING_COMMANDS,
  TRAINING_VIEW_TYPE,
  hasBundle,
  lazyCommands,
  loadExportModule,
  loadTrainingModule,
  panelOpen,
} from './optional';
import { registerCompare } from './comparePanel';
import { registerStatusBar } from './statusBar';
import { panelRequests, registerPanels } from './panels';
import { registerCli } from './cliTasks';
import { registerPipelineTyping } from './typing';
import { listExamples } from './examples';

let client: LanguageClient | undefined;

/** What the extension's activate() returns (used by the integration tests). */
export interface DlmApi {
  readonly client: LanguageClient;
  summary(uri: vscode.Uri, model?: string): Promise<SummaryResponse | undefined>;
  checkResult(uri: vscode.Uri, model?: string): Promise<CheckResultResponse | undefined>;
  train(uri: vscode.Uri): Promise<TrainResponse | undefined>;
}

const UNTRUSTED_MESSAGE =
  'DLM: training, ONNX export and reading datasets are disabled in an untrusted workspace. ' +
  'Trust the workspace (Manage Workspace Trust) to enable them; editing and checking still work.';

export async function activate(context: vscode.ExtensionContext): Promise<DlmApi> {
  traceToFile('ext');
  trace('ext.activate');
  client = createClient(context);
  const started = client.start();
  void started.then(
    () => trace('ext.ready'),
    () => undefined,
  );
  context.subscriptions.push({ dispose: () => void client?.stop() });
  registerPipelineTyping(context);
  registerCli(context);

  const c = client;
  const ready = async (): Promise<LanguageClient> => {
    await started;
    return c;
  };
  const toUri = (u: vscode.Uri | string): vscode.Uri =>
    typeof u === 'string' ? vscode.Uri.parse(u) : u;

  /** Make sure the server knows the document (it only answers for open ones). */
  const ensureOpen = async (uri: vscode.Uri): Promise<vscode.TextDocument> =>
    vscode.workspace.openTextDocument(uri);

  const requests = panelRequests(ready);
  const summary = requests.summary;
  const checkResult = async (
    uri: vscode.Uri | string,
    model?: string,
  ): Promise<CheckResultResponse | undefined> => {
    const u = toUri(uri);
    await ensureOpen(u);
    const cl = await ready();
    const params: CheckResultParams = {
      uri: cl.code2ProtocolConverter.asUri(u),
      ...(model ? { model } : {}),
    };
    return (await cl.sendRequest(Requests.checkResult, params)) ?? undefined;
  };
  const train = async (uri: vscode.Uri): Promise<TrainResponse | undefined> => {
    await ensureOpen(uri);
    const cl = await ready();
    const params = { uri: cl.code2ProtocolConverter.asUri(uri) };
    return (await cl.sendRequest(Requests.train, params)) ?? undefined;
  };
  const register = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };

  // ------------------------------------------------------------------ summary and graph view
  registerPanels(context, requests);

  // ------------------------------------------------------------------ compare view
  registerCompare(context, {
    diff: async (uri, params) => {
      await ensureOpen(uri);
      const cl = await ready();
      const p = { uri: cl.code2ProtocolConverter.asUri(uri), ...params };
      return (await cl.sendRequest(Requests.diff, p)) ?? undefined;
    },
  });

  // ------------------------------------------------------------------ ONNX editor
  registerOnnxEditor(context, {
    onnxGraph: async (uri) => {
      const cl = await ready();
      return cl.sendRequest(Requests.onnxGraph, { uri: cl.code2ProtocolConverter.asUri(uri) });
    },
    onnxImport: async (uri, out) => {
      const cl = await ready();
      const conv = cl.code2ProtocolConverter;
      return cl.sendRequest(Requests.onnxImport, {
        uri: conv.asUri(uri),
        ...(out ? { outUri: conv.asUri(out) } : {}),
      });
    },
  });

  // ------------------------------------------------------------------ training and export
  const untrusted = (): boolean => {
    if (vscode.workspace.isTrusted) return false;
    void vscode.window
      .showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return true;
  };
  /**
   * Registers the training and export commands (a trusted workspace only): stand-ins that load
   * their bundles on first use, or at once when a training dashboard is being restored.
   */
  let trustedEnabled = false;
  const enableTrusted = (): void => {
    if (trustedEnabled) return;
    trustedEnabled = true;
    if (hasBundle(TRAINING_BUNDLE)) {
      const loadTraining = lazyCommands(context, TRAINING_COMMANDS, () =>
        loadTrainingModule()?.registerTraining?.(context, { getTrain: train }),
      );
      if (panelOpen(TRAINING_VIEW_TYPE)) loadTraining();
    }
    if (hasBundle(EXPORT_BUNDLE))
      lazyCommands(context, EXPORT_COMMANDS, () => loadExportModule()?.registerExport?.(context));
  };
  if (vscode.workspace.isTrusted) enableTrusted();
  const now = new Set(await vscode.commands.getCommands(true));
  const placeholders: vscode.Disposable[] = [];
  /** Stands in for a command that is absent: untrusted workspace, or not in this build. */
  const placeholder = (have: Set<string>, id: string, what: string): void => {
    if (have.has(id)) return;
    const d = vscode.commands.registerCommand(id, () => {
      if (untrusted()) return 'untrusted';
      void vscode.window.showInformationMessage(`DLM: ${what} is not available in this build.`);
      return 'unavailable';
    });
    placeholders.push(d);
    context.subscriptions.push(d);
  };
  const registerPlaceholders = (have: Set<string>): void => {
    placeholder(have, 'dlm.train', 'training');
    placeholder(have, 'dlm.stopTraining', 'training');
    placeholder(have, 'dlm.exportOnnx', 'ONNX export');
    placeholder(have, 'dlm.exportPytorch', 'PyTorch export');
  };
  registerPlaceholders(now);
  // Trust granted while running: swap the placeholders for the real commands, no reload needed.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      for (const d of placeholders.splice(0)) d.dispose();
      enableTrusted();
      registerPlaceholders(new Set(await vscode.commands.getCommands(true)));
    }),
  );

  // ------------------------------------------------------------------ examples
  register('dlm.openExample', async (name?: unknown, destination?: unknown) => {
    const dir = context.asAbsolutePath('examples');
    // the bundled examples only (not the `.dlm` runs folder a training run leaves there)
    const examples = listExamples(dir);
    const files = examples.map((e) => e.file);
    if (!files.length) {
      void vscode.window.showWarningMessage('DLM: no examples are bundled with this build.');
      return undefined;
    }
    let file =
      typeof name === 'string' ? files.find((f) => f === name || f === `${name}.dlm`) : undefined;
    if (!file) {
      const picked = await vscode.window.showQuickPick(
        examples.map((e) => ({ label: e.file, description: e.description })),
        { placeHolder: 'Open an example model', matchOnDescription: true },
      );
      if (!picked) return undefined;
      file = picked.label;
    }
    const source = path.join(dir, file);
    let dest: vscode.Uri | undefined;
    if (destination instanceof vscode.Uri) dest = destination;
    else if (typeof destination === 'string') dest = vscode.Uri.file(destination);
    else if (typeof name !== 'string') {
      const how = await vscode.window.showQuickPick(
        [
          { label: 'Copy into a folder…', id: 'copy' },
          { label: 'Open read-only', id: 'view' },
        ],
        { placeHolder: `${file}: copy it to edit and train, or just look at it` },
      );
      if (!how) return undefined;
      if (how.id === 'copy') {
        const folder = await vscode.window.showOpenDialog({
          canSelectFiles: false,
          canSelectFolders: true,
          defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
          openLabel: 'Copy example here',
        });
        if (!folder?.[0]) return undefined;
        dest = folder[0];
      }
    }
    if (dest) {
      const target = vscode.Uri.joinPath(dest, file);
      const keepExisting = (err: unknown): void => {
        if (!(err instanceof vscode.FileSystemError) || err.code !== 'FileExists') throw err;
      };
      // The data files it names (e.g. data/fashion-2k-…gz) come along, so the copy trains as is:
      // the server lists them from the example's train sections (as written, relative to it).
      const example = await train(vscode.Uri.file(source)).catch(() => undefined);
      const dataFiles = new Set(example?.trains.flatMap((t) => t.dataFiles) ?? []);
      await vscode.workspace.fs
        .copy(vscode.Uri.file(source), target, { overwrite: false })
        .then(undefined, keepExisting);
      for (const rel of dataFiles) {
        const from = path.resolve(dir, rel);
        if (!from.startsWith(dir + path.sep) || !fs.existsSync(from)) continue;
        await vscode.workspace.fs
          .copy(vscode.Uri.file(from), vscode.Uri.joinPath(dest, ...rel.split('/')), {
            overwrite: false,
          })
          .then(undefined, keepExisting);
      }
      const doc = await vscode.workspace.openTextDocument(target);
      await vscode.window.showTextDocument(doc);
      return target.toString();
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(source));
    await vscode.window.showTextDocument(doc, { preview: true });
    await vscode.commands
      .executeCommand('workbench.action.files.setActiveEditorReadonlyInSession')
      .then(undefined, () => undefined);
    return doc.uri.toString();
  });

  registerStatusBar(context, (uri, position) => summary(uri, undefined, position));

  trace('ext.activated');
  return { client: c, summary, checkResult, train };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop().catch(() => undefined);
  client = undefined;
}
