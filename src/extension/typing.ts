/**
 * Pipeline continuation cleanup while typing (src/ide/format.ts `onTypeEdits`): a typed `|>`
 * after the `|> ` that Enter inserted stays one `|>`, and a `}` typed there closes the block.
 *
 * It runs in the extension host, not the language server: VS Code drops on-type edits when the
 * line changes before they arrive, and a round trip to a server that is busy checking can take
 * longer than the gap between two keystrokes. The function is a few string operations on the
 * current line.
 */
import * as vscode from 'vscode';
import { onTypeEdits } from '../ide/format';

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
  );
}
