/** Starts the DLM language server (dist/server.js, its own process) and connects to it over IPC. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { SERVER_NODE_FLAGS } from '../server/protocol';
import { CODE_CACHE_ENV } from '../server/bootEnv';
import { trace, tracing } from '../server/perfTrace';

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
    ...(tracing() ? { middleware: tracedMiddleware() } : {}),
  };
  return new LanguageClient('dlm', 'DLM Language Server', serverOptions, clientOptions);
}

/**
 * The client's side of the latency trace (src/server/perfTrace.ts, DLM_TRACE_FILE): when a
 * document is sent, when diagnostics arrive, and how long inlay hints and code lenses take.
 */
function tracedMiddleware(): Middleware {
  return {
    didOpen: (doc, next) => {
      trace('client.didOpen');
      return next(doc);
    },
    didChange: (e, next) => {
      trace('client.didChange');
      return next(e);
    },
    handleDiagnostics: (uri, diagnostics, next) => {
      trace('client.diagnostics', `${diagnostics.length}`);
      next(uri, diagnostics);
    },
    provideInlayHints: async (doc, range, token, next) => {
      trace('client.inlayHints');
      const r = await next(doc, range, token);
      trace('client.inlayHints.done', `${r?.length ?? 0}`);
      return r;
    },
    provideCodeLenses: async (doc, token, next) => {
      trace('client.codeLenses');
      const r = await next(doc, token);
      trace('client.codeLenses.done', `${r?.length ?? 0}`);
      return r;
    },
  };
}
