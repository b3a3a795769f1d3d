/**
 * The web extension's language server (vscode.dev, github.dev): the same features as the desktop
 * (src/server/features.ts) in a browser worker, over the open documents only. There is no disk:
 * imports resolve to documents open in the editor, weights files are not read, workspace symbols
 * cover open documents, and the desktop-only requests (git revisions, ONNX files) are not
 * offered. Bundled as dist/web/server.js (esbuild.mjs).
 */
import {
  BrowserMessageReader,
  BrowserMessageWriter,
  createConnection,
} from 'vscode-languageserver/browser';
import { startServer } from './features';
import { DocumentsHost, virtualPathToUri, virtualUriToPath, type ServerPlatform } from './platform';

const WHY = 'in the browser only documents open in the editor are read';

export const BROWSER_PLATFORM: ServerPlatform = {
  uriToPath: virtualUriToPath,
  pathToUri: virtualPathToUri,
  workspace: (root, openText) => new DocumentsHost(root, openText, WHY),
  documents: (root, openText) => new DocumentsHost(root, openText, WHY),
  listDlmFiles: () => [],
  fileSize: () => undefined,
};

declare const self: ConstructorParameters<typeof BrowserMessageReader>[0];

startServer(
  createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self)),
  BROWSER_PLATFORM,
);
