/**
 * The web extension (vscode.dev, github.dev, code-server's web worker extension host; `browser`
 * in package.json): the language server runs in a web worker (dist/web/server.js,
 * src/server/browser.ts) and answers for `.dlm` documents of any scheme: diagnostics, hover,
 * inlay hints, completion, code lenses, symbols, rename, formatting and quick fixes, over the
 * documents open in the editor; the graph view and the summary panel are the desktop's
 * (src/extension/panels.ts). Training, exports, model compare and the ONNX viewer need the
 * desktop (files on disk, onnxruntime-node, a child process); their commands say so
 * (decisions 0020, 0024).
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions } from 'vscode-languageclient/browser';
import { panelRequests, registerPanels } from './panels';

let client: LanguageClient | undefined;

/** Commands of the desktop extension and what they need there. */
export const DESKTOP_ONLY: Readonly<Record<string, string>> = {
  'dlm.train': 'Training',
  'dlm.stopTraining': 'Training',
  'dlm.importRun': 'Importing a run',
  'dlm.exportOnnx': 'ONNX export',
  'dlm.exportPytorch': 'PyTorch export',
  'dlm.compareWith': 'Compare with…',
  'dlm.openExample': 'Opening the bundled examples',
};

/** The message a desktop-only command shows on the web. */
export function desktopOnlyMessage(what: string): string {
  return `DLM: ${what} needs DLM Studio in desktop VS Code (files on disk, the bundled trainer). On the web, .dlm files get diagnostics, hover, inlay hints, the graph and the summary.`;
}

/**
 * The server's worker. A URI the page can load (http, https: vscode.dev, github.dev) starts it
 * directly. An extension served by a remote (code-server, `code serve-web`: `vscode-remote://`)
 * cannot: VS Code's web worker extension host refuses such a worker ("Creating workers from
 * remote extensions is currently not supported"), while its `fetch` does read the URI; so the
 * script is fetched and started from a blob URL.
 */
async function startWorker(script: vscode.Uri): Promise<Worker> {
  if (script.scheme === 'http' || script.scheme === 'https')
    return new Worker(script.toString(true));
  const res = await fetch(script.toString(true));
  if (!res.ok) throw new Error(`DLM: cannot load the language server (${res.status})`);
  const blob = new Blob([await res.text()], { type: 'application/javascript' });
  return new Worker(URL.createObjectURL(blob));
}

export async function activate(
  context: vscode.ExtensionContext,
): Promise<{ client: LanguageClient }> {
  const worker = await startWorker(
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'web', 'server.js'),
  );
  const clientOptions: LanguageClientOptions = {
    // Any scheme: vscode-vfs (github.dev), vscode-test-web, untitled, file. The worker reads
    // only the documents open in the editor (src/server/browser.ts).
    documentSelector: [{ language: 'dlm' }],
    synchronize: { configurationSection: 'dlm' },
    outputChannelName: 'DLM Language Server',
    markdown: { isTrusted: false, supportHtml: false },
  };
  client = new LanguageClient('dlm', 'DLM Language Server', worker, clientOptions);
  for (const [id, what] of Object.entries(DESKTOP_ONLY))
    context.subscriptions.push(
      vscode.commands.registerCommand(id, () => {
        void vscode.window.showInformationMessage(desktopOnlyMessage(what));
        return 'desktop-only';
      }),
    );
  const started = client.start();
  const c = client;
  registerPanels(
    context,
    panelRequests(async () => {
      await started;
      return c;
    }),
  );
  await started;
  context.subscriptions.push({ dispose: () => void client?.stop() });
  return { client };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop().catch(() => undefined);
  client = undefined;
}
