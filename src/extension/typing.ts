/**
 * Pipeline continuation cleanup while typing (src/ide/format.ts `onTypeEdits`): a typed `|>`
 * after the `|> ` that Enter inserted stays one `|>`, and a `}` typed there closes the block.
 *
 * It runs in the extension host, not the language server: VS Code drops on-type edits when the
 * line changes before they arrive, and a round trip to a server that is busy checking can take
 * longer than the gap between two keystrokes. The function is a few string operations on the
 * current line. Even the extension host can be slower than a typist on a loaded machine, so the
 * same repairs are also made from each changed line's state (`lineRepairEdits`), and an edit
 * VS Code refuses because the user typed on is tried again with the text as it is then.
 *
 * Also here: DLM editors get the `[dlm]` indentation (2 spaces). A file opened before the
 * extension's configuration defaults were registered (a new file right after start-up, or an
 * editor restored with the window) otherwise keeps VS Code's generic 4.
 */
import * as vscode from 'vscode';
import { lineRepairEdits, onTypeEdits } from '../ide/format';

/** Lines of one change that are checked for repairs (a large paste is not scanned). */
const MAX_REPAIR_LINES = 200;

export function registerPipelineTyping(context: vscode.ExtensionContext): void {
  const manifest = context.extension.packageJSON as {
    contributes?: { configurationDefaults?: Record<string, Record<string, unknown>> };
  };
  const defaults = manifest.contributes?.configurationDefaults?.['[dlm]'] ?? {};
  const provider: vscode.OnTypeFormattingEditProvider = {
    provideOnTypeFormattingEdits(doc, position, ch) {
      const text = doc.getText();
      return onTypeEdits(text, doc.offsetAt(position), ch).map(
        (e) =>
          new vscode.TextEdit(
            new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)),
            e.newText,
          ),
      );
    },
  };
  context.subscriptions.push(
    vscode.languages.registerOnTypeFormattingEditProvider({ language: 'dlm' }, provider, '>', '}'),
    vscode.workspace.onDidChangeTextDocument(repairChangedLines),
    vscode.window.onDidChangeVisibleTextEditors((es) => applyDlmIndentation(defaults, es)),
    // a document whose language became DLM after it was opened is opened again as DLM
    vscode.workspace.onDidOpenTextDocument((d) => {
      if (d.languageId === 'dlm') applyDlmIndentation(defaults, vscode.window.visibleTextEditors);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('editor', { languageId: 'dlm' }))
        applyDlmIndentation(defaults, vscode.window.visibleTextEditors);
    }),
  );
  applyDlmIndentation(defaults, vscode.window.visibleTextEditors);
}

function repairChangedLines(ev: vscode.TextDocumentChangeEvent): void {
  const doc = ev.document;
  if (doc.languageId !== 'dlm' || ev.contentChanges.length === 0) return;
  // an undone repair stays undone
  if (
    ev.reason === vscode.TextDocumentChangeReason.Undo ||
    ev.reason === vscode.TextDocumentChangeReason.Redo
  )
    return;
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  if (!editor) return;
  const lines = new Set<number>();
  for (const c of ev.contentChanges) {
    const added = c.text.split('\n').length - 1;
    if (added >= MAX_REPAIR_LINES) continue;
    for (let l = c.range.start.line; l <= c.range.start.line + added; l++)
      if (l < doc.lineCount) lines.add(l);
  }
  repairLines(editor, [...lines], 0);
}

/** Retries of a repair VS Code refused because the text moved on (100 ms apart). */
const MAX_REPAIR_RETRIES = 50;

/**
 * Repairs `lines` of the editor's document from their current text. VS Code refuses an edit made
 * against a version the user has typed past; it is then tried again shortly (with the text as
 * it is then), so a line the user has already left with Enter is repaired too.
 */
function repairLines(editor: vscode.TextEditor, lines: readonly number[], attempt: number): void {
  const doc = editor.document;
  if (doc.isClosed) return;
  const text = doc.getText();
  const edits = lines
    .filter((l) => l < doc.lineCount)
    .flatMap((l) => lineRepairEdits(text, doc.offsetAt(new vscode.Position(l, 0))));
  if (edits.length === 0) return;
  const version = doc.version;
  void editor
    .edit(
      (b) => {
        if (doc.version !== version) return;
        for (const e of edits)
          b.replace(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
      },
      { undoStopBefore: false, undoStopAfter: false },
    )
    .then(
      (ok) => ok,
      () => false,
    )
    .then((ok) => {
      if (!ok && attempt < MAX_REPAIR_RETRIES)
        setTimeout(() => repairLines(editor, lines, attempt + 1), 100);
    });
}

/**
 * The `[dlm]` indentation: the user's language-specific setting, else this extension's own
 * `[dlm]` default read from its manifest (so it applies before VS Code has registered it), else
 * the user's general setting.
 */
function dlmIndentation(
  defaults: Readonly<Record<string, unknown>>,
  doc: vscode.TextDocument,
): { tabSize: number; insertSpaces: boolean } | undefined {
  const cfg = vscode.workspace.getConfiguration('editor', { languageId: 'dlm', uri: doc.uri });
  const get = <T>(key: string): T | undefined => {
    const i = cfg.inspect<T>(key);
    return (i?.workspaceFolderLanguageValue ??
      i?.workspaceLanguageValue ??
      i?.globalLanguageValue ??
      (defaults[`editor.${key}`] as T | undefined) ??
      i?.workspaceFolderValue ??
      i?.workspaceValue ??
      i?.globalValue ??
      i?.defaultValue) as T | undefined;
  };
  if (get<boolean>('detectIndentation')) return undefined;
  const tabSize = get<number>('tabSize');
  const insertSpaces = get<boolean>('insertSpaces');
  return typeof tabSize === 'number' && typeof insertSpaces === 'boolean'
    ? { tabSize, insertSpaces }
    : undefined;
}

function applyDlmIndentation(
  defaults: Readonly<Record<string, unknown>>,
  editors: readonly vscode.TextEditor[],
): void {
  for (const e of editors) {
    if (e.document.languageId !== 'dlm') continue;
    const want = dlmIndentation(defaults, e.document);
    // indentSize follows tabSize (VS Code's default): an editor opened early has both at 4
    if (
      want &&
      (e.options.tabSize !== want.tabSize ||
        e.options.indentSize !== want.tabSize ||
        e.options.insertSpaces !== want.insertSpaces)
    )
      e.options = { ...e.options, ...want, indentSize: want.tabSize };
  }
}
