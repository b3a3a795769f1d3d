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

export function createClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS] } },
    debug: {
      module,
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
