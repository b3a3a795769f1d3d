// The latency floor (bench/vscode-latency.mjs): a language extension that does no work. For a
// `.floor` file (the benchmark's `.dlm` text under another name) it answers from the text at
// once, in the extension host, with no language server:
//   inlay hint  `[B, n, 32, 32]` after each `Conv2d(n`
//   code lens   `params` over each `model` line
//   diagnostic  an error on `-> [B, k]` when k is not 10, set on open and on every change, with
//               what DLM's carries (a code with a link, a source, two related locations)
// Whatever the benchmark measures for it is the workbench's own cost (the browser, the remote
// connection, the extension host and the editor's scheduling), the floor under any extension.
'use strict';
const vscode = require('vscode');
const fs = require('node:fs');

/** The same trace as DLM's (src/server/traceFile.ts), when DLM_TRACE_FILE is set. */
function trace(e) {
  const file = process.env.DLM_TRACE_FILE;
  if (!file) return;
  const t = performance.timeOrigin + performance.now();
  try {
    fs.appendFileSync(file, JSON.stringify({ t, who: 'floor', e }) + '\n');
  } catch {
    /* only the line is lost */
  }
}

const SELECTOR = { language: 'dlm-floor' };

function activate(context) {
  trace('floor.activate');
  const collection = vscode.languages.createDiagnosticCollection('floor');
  const diagnose = (doc) => {
    if (doc.languageId !== 'dlm-floor') return;
    const out = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const line = doc.lineAt(i).text;
      const m = /-> \[B, (\d+)\]/.exec(line);
      if (m && m[1] !== '10') {
        const start = m.index + 6;
        const range = new vscode.Range(i, start, i, start + m[1].length);
        // Shaped like DLM's (DLM106): a code with a link, a source, two related locations.
        const d = new vscode.Diagnostic(range, `declares output [B, ${m[1]}], produces [B, 10]`);
        d.source = 'floor';
        d.code = { value: 'F106', target: vscode.Uri.parse('https://example.invalid/#f106') };
        d.relatedInformation = [i + 8, i + 6].map(
          (l) =>
            new vscode.DiagnosticRelatedInformation(
              new vscode.Location(doc.uri, new vscode.Range(l, 4, l, 12)),
              'the layer that produces it',
            ),
        );
        out.push(d);
      }
    }
    collection.set(doc.uri, out);
    trace('floor.diagnostics');
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(diagnose),
    vscode.workspace.onDidChangeTextDocument((e) => diagnose(e.document)),
    vscode.languages.registerInlayHintsProvider(SELECTOR, {
      provideInlayHints(doc, range) {
        trace('floor.inlayHints');
        const hints = [];
        for (let i = range.start.line; i <= range.end.line && i < doc.lineCount; i++) {
          const line = doc.lineAt(i).text;
          const m = /Conv2d\((\d+)[^)]*\)/.exec(line);
          if (!m) continue;
          const hint = new vscode.InlayHint(
            new vscode.Position(i, m.index + m[0].length),
            `[B, ${m[1]}, 32, 32]`,
          );
          hint.paddingLeft = true;
          hints.push(hint);
        }
        return hints;
      },
    }),
    vscode.languages.registerCodeLensProvider(SELECTOR, {
      provideCodeLenses(doc) {
        const lenses = [];
        for (let i = 0; i < doc.lineCount; i++) {
          if (doc.lineAt(i).text.startsWith('model '))
            lenses.push(
              new vscode.CodeLens(new vscode.Range(i, 0, i, 0), { title: '0 params', command: '' }),
            );
        }
        return lenses;
      },
    }),
  );
  for (const doc of vscode.workspace.textDocuments) diagnose(doc);
}

module.exports = { activate, deactivate() {} };
