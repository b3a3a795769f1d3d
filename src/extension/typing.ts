/**
 * Pipeline continuation cleanup while typing (src/ide/format.ts `onTypeEdits`): a typed `|>`
 * after the `|> ` that Enter inserted stays one `|>`, and a `}` typed there closes the block.
 *
 * It runs in the extension host, not the language server: VS Code drops on-type edits when the
 * line changes before they arrive, and a round trip to a server that is busy checking can take
 * longer than the gap between two keystrokes. The function is a few string operations on the
 * current line. Even the extension host can be slower than a typist on a loaded machine, so the
 * same repairs are also made from each changed line's state (`lineRepairEdits`): a repair whose
 * keystroke edit was dropped happens with the next change.
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
    vscode.window.onDidChangeVisibleTextEditors(applyDlmIndentation),
  );
  applyDlmIndentation(vscode.window.visibleTextEditors);
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
  const text = doc.getText();
  const edits = [...lines].flatMap((l) =>
    lineRepairEdits(text, doc.offsetAt(new vscode.Position(l, 0))),
  );
  if (edits.length === 0) return;
  const version = doc.version;
  // Applied against this version only (VS Code refuses it once the text moved on); the next
  // change repairs the line then.
  void editor.edit(
    (b) => {
      if (doc.version !== version) return;
      for (const e of edits)
        b.replace(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
    },
    { undoStopBefore: false, undoStopAfter: false },
  );
}

function applyDlmIndentation(editors: readonly vscode.TextEditor[]): void {
  for (const e of editors) {
    if (e.document.languageId !== 'dlm') continue;
    const cfg = vscode.workspace.getConfiguration('editor', e.document);
    if (cfg.get<boolean>('detectIndentation')) continue;
    const tabSize = cfg.get<number>('tabSize');
    const insertSpaces = cfg.get<boolean>('insertSpaces');
    if (typeof tabSize !== 'number' || typeof insertSpaces !== 'boolean') continue;
    if (e.options.tabSize !== tabSize || e.options.insertSpaces !== insertSpaces)
      e.options = { ...e.options, tabSize, insertSpaces };
  }
}
