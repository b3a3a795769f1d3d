/**
 * The DLM language server's features: a thin adapter from LSP to the checker (src/language) and
 * the pure IDE features (src/ide), the same on every platform. The desktop runs it in a Node
 * process (src/server/server.ts: IPC from VS Code, stdio for other editors and the benchmark),
 * the web extension in a browser worker (src/server/browser.ts); what differs between them is a
 * ServerPlatform (src/server/platform.ts).
 *
 * Every request reads the CheckResult cached for the document's current version; nothing is
 * re-checked per request. Every handler catches and logs: a bad document yields diagnostics,
 * never a dead server.
 */
import {
  CodeActionKind,
  CompletionItemKind,
  DidChangeConfigurationNotification,
  FileChangeType,
  InsertTextFormat,
  MarkupKind,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  ErrorCodes,
  ResponseError,
  type CodeAction,
  type CompletionItem,
  type Connection,
  type DocumentSymbol,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, Span } from '../core';
import { lineIndex } from '../core';
import type { CheckResult } from '../language/checked';
import { checkText, type Host } from '../language/program';
import { parse } from '../language/parser';
import { dirname, normalize, resolveRelative } from '../language/paths';
import { formatSummaryMarkdown, summarize } from '../language/summary';
import { codeActions, fixAll, type CodeAction as IdeCodeAction } from '../ide/codeActions';
import { codeLenses } from '../ide/codelens';
import type { DisplayOptions } from '../ide/common';
import { complete, type CompletionKind } from '../ide/completion';
import { format } from '../ide/format';
import { COMPLETION_TRIGGERS } from '../ide/completion';
import { hover } from '../ide/hover';
import { inlayHints } from '../ide/inlay';
import { definition, prepareRename, references, rename } from '../ide/navigation';
import {
  TOKEN_MODIFIERS,
  TOKEN_TYPES,
  encodeSemanticTokens,
  semanticTokens,
} from '../ide/semanticTokens';
import { signatureHelp } from '../ide/signature';
import {
  documentSymbols,
  foldingRanges,
  workspaceSymbols,
  type DocumentSymbol as IdeSymbol,
  type SymbolKind as IdeSymbolKind,
} from '../ide/symbols';
import { buildGraphData } from '../views/graphData';
import { toLspDiagnostic, toRange } from './convert';
import type { ServerHost, ServerPlatform } from './platform';
import { IncrementalChecker } from './incremental';
import { datasetFiles } from '../language/checkTrain';
import { dataChoices, sectionDataChoices, trainSectionText } from '../language/starter';
import { getLayer } from '../layers/catalog';
import {
  DEFAULT_SETTINGS,
  Requests,
  type CheckResultResponse,
  type DlmSettings,
  type GraphResponse,
  type LayerDocParams,
  type LayerDocResponse,
  type SummaryResponse,
  type TrainResponse,
} from './protocol';
import { CheckCache, DiagnosticScheduler } from './state';
import { trace } from './perfTrace';

const DEBOUNCE_MS = 150;
/** Workspace symbols read at most this many `.dlm` files from disk... */
const MAX_INDEXED_FILES = 2000;
/** ...each of at most this size; bigger files are indexed only while open (docs/limits.md). */
const MAX_INDEXED_FILE_BYTES = 2 * 1024 * 1024;

const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
  layer: CompletionItemKind.Class,
  block: CompletionItemKind.Struct,
  attribute: CompletionItemKind.Property,
  binding: CompletionItemKind.Variable,
  dim: CompletionItemKind.TypeParameter,
  dataset: CompletionItemKind.Module,
  loss: CompletionItemKind.Function,
  optimizer: CompletionItemKind.Function,
  schedule: CompletionItemKind.Function,
  setting: CompletionItemKind.Field,
  metric: CompletionItemKind.EnumMember,
  keyword: CompletionItemKind.Keyword,
  model: CompletionItemKind.Class,
  value: CompletionItemKind.Value,
};

const SYMBOL_KIND: Record<IdeSymbolKind, SymbolKind> = {
  model: SymbolKind.Class,
  block: SymbolKind.Struct,
  data: SymbolKind.Namespace,
  train: SymbolKind.Event,
  import: SymbolKind.File,
  binding: SymbolKind.Variable,
  layer: SymbolKind.Function,
  input: SymbolKind.Variable,
  parameter: SymbolKind.TypeParameter,
};

/** What a platform's own request handlers (the desktop's git diff, ONNX, stats) build on. */
export interface ServerApi {
  readonly connection: Connection;
  /** The current workspace host (replaced on initialize). */
  host(): ServerHost;
  /** The host a check of `p` reads through: `h`, or `p`'s own folder with no folder open. */
  hostFor(p: string, h: Host): Host;
  /** The document, its path and its current CheckResult. */
  ctx(
    uri: string,
  ): { doc: TextDocument; path: string; result: CheckResult; text: string } | undefined;
  settingsFor(uri: string): Promise<DlmSettings>;
  display(s: DlmSettings): DisplayOptions;
  safe<P, R>(name: string, fallback: R, fn: (p: P) => R): (p: P) => R;
  safeAsync<P, R>(name: string, fallback: R, fn: (p: P) => Promise<R>): (p: P) => Promise<R>;
  /** How many checks ran, how many documents are cached, the last check's time. */
  stats(): { checks: number; cachedDocuments: number; lastCheckMs: number };
}

/**
 * Registers every language feature on `connection` and starts listening. `extend` adds the
 * platform's own requests before the connection listens.
 */
export function startServer(
  connection: Connection,
  platform: ServerPlatform,
  extend?: (api: ServerApi) => void,
): void {
  const { uriToPath, pathToUri } = platform;
  const documents = new TextDocuments(TextDocument);
  const log = (msg: string): void => connection.console.log(`[dlm] ${msg}`);
  const logError = (where: string, err: unknown): void =>
    connection.console.error(
      `[dlm] ${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );

  const openText = (p: string): string | undefined => documents.get(pathToUri(p))?.getText();
  // Until initialize says otherwise (and whenever no folder is open): no workspace, no disk.
  let host: ServerHost = platform.documents('/', openText);
  /**
   * With no folder open, each document's own folder is its workspace and only open documents
   * are read; the server's current directory means nothing (it is wherever the editor started).
   */
  const folderHosts = new Map<string, ServerHost>();
  const hostFor = (p: string, h: Host): Host => {
    if (host.readsDisk) return h;
    const dir = dirname(p);
    let fh = folderHosts.get(dir);
    if (!fh) folderHosts.set(dir, (fh = platform.documents(dir, openText)));
    return fh;
  };
  const checker = new IncrementalChecker(checkText);
  const checkWith = (p: string, t: string, h: Host): CheckResult =>
    checker.check(p, t, hostFor(p, h));
  let cache = new CheckCache(host, checkWith, log, uriToPath);
  let hasConfigCapability = false;
  let settings = new Map<string, Promise<DlmSettings>>();

  /** Safe wrapper: a failing handler logs and answers `fallback`. */
  function safe<P, R>(name: string, fallback: R, fn: (p: P) => R): (p: P) => R {
    return (p: P) => {
      try {
        return fn(p);
      } catch (err) {
        logError(name, err);
        return fallback;
      }
    };
  }
  function safeAsync<P, R>(name: string, fallback: R, fn: (p: P) => Promise<R>) {
    return async (p: P): Promise<R> => {
      try {
        return await fn(p);
      } catch (err) {
        logError(name, err);
        return fallback;
      }
    };
  }

  async function settingsFor(uri: string): Promise<DlmSettings> {
    if (!hasConfigCapability) return DEFAULT_SETTINGS;
    let s = settings.get(uri);
    if (!s) {
      s = connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'dlm' })
        .then((v: Partial<DlmSettings> | null) => mergeSettings(v))
        .catch(() => DEFAULT_SETTINGS);
      settings.set(uri, s);
    }
    return s;
  }
  const display = (s: DlmSettings): DisplayOptions => ({
    shapeStyle: s.shapeStyle,
    macsOrFlops: s.complexity,
  });

  /** The document, its path and its current CheckResult. */
  function ctx(
    uri: string,
  ): { doc: TextDocument; path: string; result: CheckResult; text: string } | undefined {
    const doc = documents.get(uri);
    const path = uriToPath(uri);
    if (!doc || !path) return undefined;
    const result = cache.get(doc);
    if (!result) return undefined;
    return { doc, path, result, text: doc.getText() };
  }
  const offsetOf = (text: string, pos: { line: number; character: number }): number =>
    lineIndex(text).offset(pos);

  /** Text of a file the result covers (for ranges in imported files). */
  function textOf(result: CheckResult, file: string): string | undefined {
    return result.files.get(file)?.text ?? host.readFile(file);
  }
  function uriOf(file: string): string {
    return pathToUri(file);
  }
  function location(result: CheckResult, file: string, span: Span): Location {
    return { uri: uriOf(file), range: toRange(textOf(result, file) ?? '', span) };
  }

  // ------------------------------------------------------------------ diagnostics
  const publish = (uri: string): void => {
    try {
      const doc = documents.get(uri);
      if (!doc) return;
      const version = doc.version;
      trace('server.check', `v${version}`);
      const c = ctx(uri);
      if (!c || documents.get(uri)?.version !== version) return; // stale: a newer check follows
      const diagnostics = ownDiagnostics(c.result, c.path).map((d) =>
        toLspDiagnostic(d, c.text, (f) => textOf(c.result, f), uriOf),
      );
      void connection.sendDiagnostics({ uri, version, diagnostics });
      trace('server.publish', `v${version} ${diagnostics.length}`);
    } catch (err) {
      logError('diagnostics', err);
    }
  };
  const scheduler = new DiagnosticScheduler(DEBOUNCE_MS, publish);

  /** A file changed: re-check the open documents that import it. */
  const recheckDependents = (path: string): void => {
    for (const dep of cache.dependents(path)) {
      cache.invalidate(dep);
      scheduler.schedule(dep, true);
    }
  };

  // ------------------------------------------------------------------ lifecycle
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    trace('server.initialize');
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    const root = (folder && uriToPath(folder)) ?? params.rootPath ?? undefined;
    host = root ? platform.workspace(normalize(root), openText) : platform.documents('/', openText);
    if (!root) log('no folder open: each file sees only its own folder, and only open documents');
    cache = new CheckCache(host, checkWith, log, uriToPath);
    hasConfigCapability = !!params.capabilities.workspace?.configuration;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        inlayHintProvider: { resolveProvider: false },
        codeLensProvider: { resolveProvider: false },
        completionProvider: {
          resolveProvider: true,
          triggerCharacters: [...COMPLETION_TRIGGERS],
        },
        signatureHelpProvider: { triggerCharacters: ['(', ',', '='], retriggerCharacters: [' '] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: {
          legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] },
          full: true,
          range: false,
        },
        codeActionProvider: {
          codeActionKinds: [
            CodeActionKind.QuickFix,
            CodeActionKind.Refactor,
            CodeActionKind.SourceFixAll,
          ],
        },
        documentFormattingProvider: true,
        workspace: { workspaceFolders: { supported: true } },
      },
      serverInfo: { name: 'dlm-language-server', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (hasConfigCapability)
      void connection.client
        .register(DidChangeConfigurationNotification.type, { section: 'dlm' })
        .catch(() => undefined);
  });

  connection.onDidChangeConfiguration(() => {
    settings = new Map();
    void connection.languages.inlayHint.refresh().catch(() => undefined);
    void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  });

  documents.onDidOpen((e) => {
    trace('server.didOpen', `v${e.document.version}`);
    scheduler.schedule(e.document.uri, true);
    // The settings round trip overlaps the first check, instead of delaying the first inlay
    // hints and code lenses that come right after it.
    void settingsFor(e.document.uri);
  });
  documents.onDidChangeContent((e) => {
    trace('server.didChange', `v${e.document.version}`);
    // The cached hints belong to the old result; drop them rather than keep that result alive.
    inlayCache.delete(e.document.uri);
    scheduler.schedule(e.document.uri);
    const p = uriToPath(e.document.uri);
    if (p) recheckDependents(p);
  });
  documents.onDidClose((e) => {
    scheduler.cancel(e.document.uri);
    cache.forget(e.document.uri);
    inlayCache.delete(e.document.uri);
    settings.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    // The file is read from disk again by its importers.
    const p = uriToPath(e.document.uri);
    if (p) {
      checker.forget(p);
      host.invalidate(p);
      recheckDependents(p);
    }
  });

  connection.onDidChangeWatchedFiles(
    safe('watched files', undefined, (params) => {
      for (const change of params.changes) {
        const p = uriToPath(change.uri);
        if (!p) continue;
        host.invalidate(p);
        wsParse.delete(p);
        // An open document's own edits arrive through didChange; disk events matter for the rest.
        if (change.type === FileChangeType.Deleted || documents.get(change.uri) === undefined)
          recheckDependents(p);
      }
    }),
  );

  // ------------------------------------------------------------------ features
  connection.onHover(
    safeAsync('hover', null, async (p) => {
      trace('server.hover');
      const s = await settingsFor(p.textDocument.uri);
      const c = ctx(p.textDocument.uri);
      if (!c) return null;
      const h = hover(c.result, c.path, offsetOf(c.text, p.position), display(s));
      trace('server.hover.done', h ? '1' : '0');
      if (!h) return null;
      return {
        contents: { kind: MarkupKind.Markdown, value: h.markdown },
        range: toRange(c.text, h.span),
      };
    }),
  );

  const inlayCache = new Map<
    string,
    { key: string; result: CheckResult; hints: ReturnType<typeof inlayHints> }
  >();
  connection.languages.inlayHint.on(
    safeAsync('inlay hints', [], async (p) => {
      trace('server.inlayHints');
      const s = await settingsFor(p.textDocument.uri);
      if (!s.inlayHints.enabled) return [];
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      const ix = lineIndex(c.text);
      const start = ix.offset(p.range.start);
      const end = ix.offset(p.range.end);
      // Hints for the whole file are computed once per version and style; a scroll only filters.
      const key = `${s.shapeStyle}:${s.complexity}`;
      let all = inlayCache.get(p.textDocument.uri);
      if (!all || all.key !== key || all.result !== c.result) {
        all = { key, result: c.result, hints: inlayHints(c.result, c.path, undefined, display(s)) };
        inlayCache.set(p.textDocument.uri, all);
      }
      const out = all.hints
        .filter((h) => start <= h.offset && h.offset <= end)
        .map((h) => ({
          position: ix.position(h.offset),
          label: h.label,
          paddingLeft: true,
          ...(h.tooltip ? { tooltip: h.tooltip } : {}),
        }));
      trace('server.inlayHints.done', `${out.length}`);
      return out;
    }),
  );

  connection.onCodeLens(
    safeAsync('code lens', [], async (p) => {
      const s = await settingsFor(p.textDocument.uri);
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      return codeLenses(c.result, c.path, p.textDocument.uri, display(s)).map((l) => ({
        range: toRange(c.text, l.span),
        command: l.command
          ? { title: l.title, command: l.command.id, arguments: [...l.command.args] }
          : { title: l.title, command: '' },
      }));
    }),
  );

  // Completion: the list carries labels only; documentation comes with resolve.
  let lastCompletion: { key: string; items: ReturnType<typeof complete>['items'] } | undefined;
  connection.onCompletion(
    safe('completion', [] as CompletionItem[], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      const offset = offsetOf(c.text, p.position);
      const list = complete(c.result, c.path, offset);
      const key = `${p.textDocument.uri}@${c.doc.version}:${offset}`;
      lastCompletion = { key, items: list.items };
      return list.items.map((it, i): CompletionItem => {
        const item: CompletionItem = {
          label: it.label,
          kind: COMPLETION_KIND[it.kind] ?? CompletionItemKind.Text,
          detail: it.detail,
          data: { key, i },
        };
        if (it.sortText) item.sortText = it.sortText;
        if (it.isSnippet) item.insertTextFormat = InsertTextFormat.Snippet;
        const insert = it.insertText ?? it.label;
        if (it.replaceSpan)
          item.textEdit = { range: toRange(c.text, it.replaceSpan), newText: insert };
        else item.insertText = insert;
        if (it.replaceSpan) item.filterText = it.label;
        return item;
      });
    }),
  );
  connection.onCompletionResolve(
    safe('completion resolve', undefined as unknown as CompletionItem, (item) => {
      const data = item.data as { key?: string; i?: number } | undefined;
      if (data && lastCompletion && data.key === lastCompletion.key && data.i !== undefined) {
        const it = lastCompletion.items[data.i];
        if (it?.documentation)
          item.documentation = { kind: MarkupKind.Markdown, value: it.documentation };
      }
      return item;
    }),
  );

  connection.onSignatureHelp(
    safe('signature help', null, (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return null;
      const h = signatureHelp(c.result, c.path, offsetOf(c.text, p.position));
      if (!h) return null;
      return {
        signatures: [
          {
            label: h.label,
            documentation: { kind: MarkupKind.Markdown, value: h.documentation },
            parameters: h.parameters.map((q) => ({
              label: q.label,
              documentation: { kind: MarkupKind.Markdown, value: q.documentation },
            })),
          },
        ],
        activeSignature: 0,
        activeParameter: h.activeParameter ?? null,
      };
    }),
  );

  connection.onDefinition(
    safe('definition', [] as Location[], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      return definition(c.result, c.path, offsetOf(c.text, p.position)).map((l) =>
        location(c.result, l.file, l.span),
      );
    }),
  );

  connection.onReferences(
    safe('references', [] as Location[], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      return references(
        c.result,
        c.path,
        offsetOf(c.text, p.position),
        p.context.includeDeclaration,
      ).map((l) => location(c.result, l.file, l.span));
    }),
  );

  // prepareRename errors must reach the user, so re-register without `safe` swallowing them.
  connection.onPrepareRename((p) => {
    const c = ctx(p.textDocument.uri);
    if (!c) return null;
    try {
      const r = prepareRename(c.result, c.path, offsetOf(c.text, p.position));
      if ('error' in r) return new ResponseError(ErrorCodes.InvalidRequest, r.error);
      return { range: toRange(c.text, r.span), placeholder: r.placeholder };
    } catch (err) {
      logError('prepare rename', err);
      return null;
    }
  });

  connection.onRenameRequest((p) => {
    const c = ctx(p.textDocument.uri);
    if (!c) return null;
    try {
      const r = rename(c.result, c.path, offsetOf(c.text, p.position), p.newName);
      if ('error' in r) return new ResponseError(ErrorCodes.InvalidRequest, r.error);
      const changes: Record<string, TextEdit[]> = {};
      for (const e of r.edits) {
        const uri = uriOf(e.file);
        (changes[uri] ??= []).push({
          range: toRange(textOf(c.result, e.file) ?? '', e.span),
          newText: e.newText,
        });
      }
      return { changes } satisfies WorkspaceEdit;
    } catch (err) {
      logError('rename', err);
      return null;
    }
  });

  const toDocSymbol = (text: string, s: IdeSymbol): DocumentSymbol => ({
    name: s.name || '(unnamed)',
    kind: SYMBOL_KIND[s.kind] ?? SymbolKind.Variable,
    ...(s.detail ? { detail: s.detail } : {}),
    range: toRange(text, s.span),
    selectionRange: toRange(text, s.selectionSpan),
    children: s.children.map((ch) => toDocSymbol(text, ch)),
  });
  connection.onDocumentSymbol(
    safe('document symbols', [] as DocumentSymbol[], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      return documentSymbols(c.result, c.path).map((s) => toDocSymbol(c.text, s));
    }),
  );

  // Workspace symbols: open documents' results plus every .dlm file on disk (parsed only), up to
  // MAX_INDEXED_FILES files of at most MAX_INDEXED_FILE_BYTES each (docs/limits.md).
  const wsParse = new Map<string, { text: string; result: CheckResult }>();
  const skippedLarge = new Set<string>();
  const parsedOnly = (p: string, text: string): CheckResult => {
    const old = wsParse.get(p);
    if (old && old.text === text) return old.result;
    const result: CheckResult = {
      files: new Map([[p, parse(text, p)]]),
      models: [],
      trains: [],
      diagnostics: [],
      stageShapes: [],
    };
    wsParse.set(p, { text, result });
    return result;
  };
  connection.onWorkspaceSymbol(
    safe('workspace symbols', [], (p) => {
      const results: CheckResult[] = [];
      const seen = new Set<string>();
      for (const doc of documents.all()) {
        const path = uriToPath(doc.uri);
        const r = cache.get(doc);
        if (path && r) {
          results.push(r);
          seen.add(path);
        }
      }
      // With no folder open there is no workspace on disk: open documents only.
      for (const f of host.readsDisk ? platform.listDlmFiles(host.root, MAX_INDEXED_FILES) : []) {
        if (seen.has(f)) continue;
        const size = platform.fileSize(f);
        if (size === undefined) continue;
        if (size > MAX_INDEXED_FILE_BYTES) {
          if (!skippedLarge.has(f)) {
            skippedLarge.add(f);
            log(
              `workspace symbols: skipped ${f} (${(size / 1024 / 1024).toFixed(1)} MB; files over ${MAX_INDEXED_FILE_BYTES / 1024 / 1024} MB are not indexed unless open)`,
            );
          }
          wsParse.delete(f);
          continue;
        }
        const text = host.readFile(f);
        if (text !== undefined) results.push(parsedOnly(f, text));
      }
      return workspaceSymbols(results, p.query)
        .slice(0, 1000)
        .map((s) => {
          const text = results.find((r) => r.files.has(s.file))?.files.get(s.file)?.text ?? '';
          return {
            name: s.name,
            kind: SYMBOL_KIND[s.kind] ?? SymbolKind.Variable,
            location: { uri: uriOf(s.file), range: toRange(text, s.span) },
            ...(s.container ? { containerName: s.container } : {}),
          };
        });
    }),
  );

  connection.onFoldingRanges(
    safe('folding ranges', [], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      const ix = lineIndex(c.text);
      const out = [];
      const seen = new Set<string>();
      for (const f of foldingRanges(c.result, c.path)) {
        const startLine = ix.position(f.start).line;
        const endLine = ix.position(f.end).line;
        if (endLine <= startLine) continue;
        const key = `${startLine}:${endLine}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ startLine, endLine, ...(f.kind ? { kind: f.kind } : {}) });
      }
      return out;
    }),
  );

  connection.languages.semanticTokens.on(
    safe('semantic tokens', { data: [] as number[] }, (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return { data: [] };
      return { data: encodeSemanticTokens(semanticTokens(c.result, c.path), lineIndex(c.text)) };
    }),
  );

  const toLspAction = (
    c: { text: string; result: CheckResult; path: string },
    uri: string,
    a: IdeCodeAction,
  ): CodeAction => ({
    title: a.title,
    kind:
      a.kind === 'quickfix'
        ? CodeActionKind.QuickFix
        : a.kind === 'refactor'
          ? CodeActionKind.Refactor
          : CodeActionKind.SourceFixAll,
    ...(a.preferred ? { isPreferred: true } : {}),
    diagnostics: a.diagnostics.map((d) =>
      toLspDiagnostic(d, c.text, (f) => textOf(c.result, f), uriOf),
    ),
    edit: {
      changes: {
        [uri]: a.edits.map((e) => ({ range: toRange(c.text, e.span), newText: e.newText })),
      },
    },
  });
  connection.onCodeAction(
    safe('code actions', [] as CodeAction[], (p) => {
      const c = ctx(p.textDocument.uri);
      if (!c) return [];
      const only = p.context.only;
      const wantsFixAll = only?.some(
        (k) =>
          CodeActionKind.SourceFixAll.startsWith(k) || k.startsWith(CodeActionKind.SourceFixAll),
      );
      if (only && wantsFixAll && !only.some((k) => k.startsWith(CodeActionKind.QuickFix))) {
        const all = fixAll(c.result, c.path);
        return all ? [toLspAction(c, p.textDocument.uri, all)] : [];
      }
      const ix = lineIndex(c.text);
      const range = { start: ix.offset(p.range.start), end: ix.offset(p.range.end) };
      return codeActions(c.result, c.path, range, hostFor(c.path, host))
        .filter((a) => !only || only.some((k) => a.kind.startsWith(k)))
        .map((a) => toLspAction(c, p.textDocument.uri, a));
    }),
  );

  connection.onDocumentFormatting(
    safe('format', [] as TextEdit[], (p) => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return [];
      const text = doc.getText();
      const indent = p.options.insertSpaces ? p.options.tabSize : 2;
      const out = format(text, { indent });
      if (out === text) return [];
      const end = lineIndex(text).position(text.length);
      return [{ range: { start: { line: 0, character: 0 }, end }, newText: out }];
    }),
  );

  // ------------------------------------------------------------------ custom requests
  connection.onRequest(
    Requests.summary,
    safe('summary', null as SummaryResponse | null, (p) => {
      const c = ctx(p.uri);
      if (!c) return null;
      const models = c.result.models.filter((m) => m.file === c.path);
      let model = p.model ? models.find((m) => m.name === p.model) : undefined;
      if (!model && p.position) {
        const off = offsetOf(c.text, p.position);
        model = models.find((m) => m.span.start <= off && off <= m.span.end);
      }
      model ??= models[0];
      const base = { uri: p.uri, models: models.map((m) => m.name) };
      if (!model) return base;
      const train = c.result.trains.find((t) => t.model === model!.name);
      const summary = summarize(model, { ...(train ? { train } : {}), text: c.text });
      return {
        ...base,
        model: model.name,
        summary,
        markdown: formatSummaryMarkdown(summary),
        params: model.totals.trainable + model.totals.nonTrainable,
        ok: model.ok,
      };
    }),
  );

  connection.onRequest(
    Requests.checkResult,
    safeAsync('checkResult', null as CheckResultResponse | null, async (p) => {
      const s = await settingsFor(p.uri);
      const c = ctx(p.uri);
      if (!c) return null;
      const models = c.result.models
        .filter((m) => m.file === c.path && (!p.model || m.name === p.model))
        .map((m) => ({
          name: m.name,
          ok: m.ok,
          params: m.totals.trainable + m.totals.nonTrainable,
          graph: buildGraphData(m, c.result.diagnostics, {
            ...display(s),
            files: c.result.files,
          }),
        }));
      const own = c.result.diagnostics.filter((d) => d.file === c.path);
      return {
        uri: p.uri,
        version: c.doc.version,
        models,
        errors: own.filter((d) => d.severity === 'error').length,
        warnings: own.filter((d) => d.severity === 'warning').length,
      };
    }),
  );

  // The graph panel: one model's graph and the errors its banner shows.
  connection.onRequest(
    Requests.graph,
    safeAsync('graph', null as GraphResponse | null, async (p) => {
      const s = await settingsFor(p.uri);
      const c = ctx(p.uri);
      if (!c) return null;
      const { result, path } = c;
      const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.file === path);
      const syntaxError = result.files.get(path)?.errors[0]?.message;
      const model = result.models.find((m) => m.name === p.model) ?? result.models[0];
      const inModel = model
        ? errors.filter((d) => d.span.start >= model.span.start && d.span.end <= model.span.end)
        : [];
      return {
        uri: p.uri,
        version: c.doc.version,
        models: result.models.map((m) => m.name),
        files: [...result.files.keys()],
        fileUris: [...result.files.keys()].map(pathToUri),
        ...(syntaxError !== undefined ? { syntaxError } : {}),
        ...(errors[0] ? { firstError: errors[0].message } : {}),
        ...(model
          ? {
              model: {
                name: model.name,
                ok: model.ok,
                ...(syntaxError === undefined
                  ? {
                      graph: buildGraphData(model, result.diagnostics, {
                        ...display(s),
                        files: result.files,
                      }),
                    }
                  : {}),
                errors: inModel.length,
                ...(inModel[0] ? { firstError: inModel[0].message } : {}),
              },
            }
          : {}),
      };
    }),
  );

  // Training: the train sections as checked (the trainer process compiles the model itself).
  connection.onRequest(
    Requests.train,
    safe('train', null as TrainResponse | null, (p) => {
      const c = ctx(p.uri);
      if (!c) return null;
      return {
        uri: p.uri,
        version: c.doc.version,
        models: c.result.models.map((m) => m.name),
        trains: c.result.trains.map((t) => ({
          ...t,
          dataFiles: t.data ? datasetFiles(t.data) : [],
          ...(t.file === c.path
            ? { dataChoices: sectionDataChoices(c.result, c.path, t, hostFor(c.path, host)) }
            : {}),
        })),
        starters: c.result.models
          .filter(
            (m) => m.file === c.path && m.ok && !c.result.trains.some((t) => t.model === m.name),
          )
          .map((m) => ({
            model: m.name,
            insertAt: m.span.end,
            choices: dataChoices(c.result, c.path, m.name, hostFor(c.path, host)).map((d) => ({
              ...d,
              section: trainSectionText(m.name, d),
            })),
          })),
      };
    }),
  );

  // The graph panel's node hover card: the catalog lives here, not in the extension host.
  connection.onRequest(Requests.layerDoc, (p: LayerDocParams): LayerDocResponse | null => {
    const def = typeof p?.type === 'string' ? getLayer(p.type) : undefined;
    if (!def) return null;
    return {
      summary: def.summary,
      ...(def.paramFormula ? { paramFormula: def.paramFormula } : {}),
      ...(def.macsFormula ? { macsFormula: def.macsFormula } : {}),
    };
  });

  extend?.({
    connection,
    host: () => host,
    hostFor,
    ctx,
    settingsFor,
    display,
    safe,
    safeAsync,
    stats: () => ({
      checks: cache.checks,
      cachedDocuments: cache.size,
      lastCheckMs: cache.lastCheckMs,
    }),
  });

  documents.listen(connection);
  connection.listen();
}

/**
 * The root file's diagnostics, plus import problems found in imported files (a cycle, a missing
 * file further down) shown on the root's import that leads there, with the real place as related.
 */
export function ownDiagnostics(result: CheckResult, path: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const root = result.files.get(path);
  for (const d of result.diagnostics) {
    if (d.file === path) {
      out.push(d);
      continue;
    }
    if ((d.code !== 'DLM018' && d.code !== 'DLM019') || !root) continue;
    const via = importLeadingTo(result, path, d.file);
    if (!via) continue;
    out.push({
      code: d.code,
      severity: d.severity,
      file: path,
      span: via,
      message: `${d.file.split('/').pop()}: ${d.message}`,
      related: [{ file: d.file, span: d.span, message: d.message }],
    });
  }
  return out;
}

/** The span of the import in `from` whose target is, or transitively imports, `to`. */
function importLeadingTo(result: CheckResult, from: string, to: string): Span | undefined {
  const src = result.files.get(from);
  if (!src) return undefined;
  for (const item of src.items) {
    if (item.kind !== 'Import' || item.path.kind !== 'String') continue;
    const target = resolveRelative(from, item.path.value);
    if (!result.files.has(target)) continue;
    const seen = new Set<string>([from]);
    const stack = [target];
    while (stack.length) {
      const f = stack.pop()!;
      if (f === to) return item.path.span;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const it of result.files.get(f)?.items ?? [])
        if (it.kind === 'Import' && it.path.kind === 'String') {
          const t = resolveRelative(f, it.path.value);
          if (result.files.has(t)) stack.push(t);
        }
    }
  }
  return undefined;
}

export function mergeSettings(v: Partial<DlmSettings> | null | undefined): DlmSettings {
  const d = DEFAULT_SETTINGS;
  return {
    inlayHints: { enabled: v?.inlayHints?.enabled ?? d.inlayHints.enabled },
    shapeStyle: v?.shapeStyle === 'times' ? 'times' : 'brackets',
    complexity: v?.complexity === 'flops' ? 'flops' : 'macs',
    trainer: { threads: Number(v?.trainer?.threads ?? d.trainer.threads) || 0 },
  };
}
