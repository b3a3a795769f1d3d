/**
 * The web extension (vscode.dev, github.dev; `browser` in package.json): the language server
 * runs in a web worker (dist/web/server.js, src/server/browser.ts) and answers for `.dlm`
 * documents of any scheme: diagnostics, hover, inlay hints, completion, code lenses, symbols,
 * rename, formatting and quick fixes, over the documents open in the editor. Training, exports,
 * the ONNX viewer and the panels need the desktop (files on disk, onnxruntime-node, a child
 * process); their commands say so (decision 0020).
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions } from 'vscode-languageclient/browser';

let client: LanguageClient | undefined;

/** Commands of the desktop extension and what they need there. */
export const DESKTOP_ONLY: Readonly<Record<string, string>> = {
  'dlm.train': 'Training',
  'dlm.stopTraining': 'Training',
  'dlm.importRun': 'Importing a run',
  'dlm.exportOnnx': 'ONNX export',
  'dlm.exportPytorch': 'PyTorch export',
  'dlm.showGraph': 'The graph view',
  'dlm.showSummary': 'The summary panel',
  'dlm.compareWith': 'Compare with…',
  'dlm.openExample': 'Opening the bundled examples',
};

/** The message a desktop-only command shows on the web. */
export function desktopOnlyMessage(what: string): string {
  return `DLM: ${what} needs DLM Studio in desktop VS Code (files on disk, the bundled trainer). On the web, .dlm files get diagnostics, hover, inlay hints and the other editor features; the model's numbers are in the hover of its name.`;
}

export async function activate(
  context: vscode.ExtensionContext,
): Promise<{ client: LanguageClient }> {
  const worker = new Worker(
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'web', 'server.js').toString(true),
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
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
  return { client };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop().catch(() => undefined);
  client = undefined;
}
