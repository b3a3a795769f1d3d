/** Starts the DLM language server (dist/server.js, its own process) and connects to it over IPC. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { SERVER_NODE_FLAGS } from '../server/protocol';
import { CODE_CACHE_ENV } from '../server/bootEnv';

export function createClient(context: vscode.ExtensionContext): LanguageClient {
  // dist/server-boot.js runs dist/server.js with a V8 code cache kept in the global storage
  // (src/server/boot.ts): a cold open then does not compile the whole bundle again.
  const module = context.asAbsolutePath(path.join('dist', 'server-boot.js'));
  const env = {
    ...process.env,
    [CODE_CACHE_ENV]: path.join(context.globalStorageUri.fsPath, 'v8'),
  };
  const serverOptions: ServerOptions = {
    run: {
      module,
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_NODE_FLAGS], env },
    },
    debug: {
      module: context.asAbsolutePath(path.join('dist', 'server.js')),
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6019'] },
    },
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.dlm');
  context.subscriptions.push(watcher);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: 'dlm', scheme: 'file' },
      { language: 'dlm', scheme: 'untitled' },
    ],
    synchronize: { fileEvents: watcher, configurationSection: 'dlm' },
    outputChannelName: 'DLM Language Server',
    // Hovers and docs quote the user's files: never trusted (no command links), never HTML.
    markdown: { isTrusted: false, supportHtml: false },
  };
  return new LanguageClient('dlm', 'DLM Language Server', serverOptions, clientOptions);
}
