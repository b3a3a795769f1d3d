/**
 * The language server's features through the real VS Code API: every request goes client →
 * IPC → dist/server.js → src/ide and back.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  codeOf,
  fileUri,
  hoverText,
  inlayLabel,
  labelOf,
  open,
  poll,
  pos,
  waitForDiagnostics,
  waitForServer,
} from './helpers';

const CLEAN_EXAMPLES = ['lenet5.dlm', 'resnet18.dlm', 'unet.dlm', 'spiral.dlm'];

async function hoverAt(uri: vscode.Uri, p: vscode.Position): Promise<string> {
  return hoverText(
    await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, p),
  );
}

async function completionsAt(
  uri: vscode.Uri,
  p: vscode.Position,
  trigger?: string,
): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    uri,
    p,
    trigger,
  );
  return list?.items ?? [];
}

/** Replace the whole document text in the editor (unsaved) and return the document. */
async function setText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit));
}

suite('diagnostics', () => {
  for (const file of CLEAN_EXAMPLES) {
    test(`${file} has no diagnostics`, async () => {
      const { doc } = await open(file);
      await waitForServer(doc.uri);
      // Let the first publish land, then expect nothing.
      const d = await waitForDiagnostics(doc.uri, (ds) => ds.length === 0, 5000, 'no diagnostics');
      assert.deepEqual(
        d.map((x) => x.message),
        [],
      );
    });
  }

  test('shape mismatch: DLM100 on in=400 with code link, related information and a fix', async () => {
    const { doc } = await open('shape_mismatch.dlm');
    const [d] = await waitForDiagnostics(doc.uri, (ds) => ds.some((x) => codeOf(x) === 'DLM100'));
    assert.ok(d);
    const mismatch = vscode.languages.getDiagnostics(doc.uri).find((x) => codeOf(x) === 'DLM100')!;
    assert.equal(mismatch.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(doc.getText(mismatch.range), 'in=400');
    assert.match(mismatch.message, /256 features, not 400/);
    assert.equal(mismatch.source, 'dlm');
    const code = mismatch.code as { value: string; target: vscode.Uri };
    assert.equal(typeof code, 'object', 'the code carries a docs link');
    assert.match(code.target.toString(), /diagnostics\.md#dlm100$/);
    assert.ok(mismatch.relatedInformation && mismatch.relatedInformation.length > 0);
    assert.equal(mismatch.relatedInformation[0]!.location.uri.toString(), doc.uri.toString());
  });

  test('syntax error: DLM001 at the unexpected token', async () => {
    const { doc } = await open('syntax_error.dlm');
    const ds = await waitForDiagnostics(doc.uri, (x) => x.some((d) => codeOf(d) === 'DLM001'));
    const d = ds.find((x) => codeOf(x) === 'DLM001')!;
    assert.equal(doc.getText(d.range), '|>');
    assert.equal(d.range.start.line, 1);
  });

  test('unknown layer typo: DLM010 with did-you-mean', async () => {
    const { doc } = await open('typo.dlm');
    const ds = await waitForDiagnostics(
      doc.uri,
      (x) => x.filter((d) => codeOf(d) === 'DLM010').length === 2,
    );
    const msgs = ds.map((d) => d.message).sort();
    assert.match(msgs.join('\n'), /did you mean 'Dense'/);
    assert.match(msgs.join('\n'), /did you mean 'ReLU'/);
    assert.deepEqual(ds.map((d) => doc.getText(d.range)).sort(), ['Dence', 'ReLu']);
  });

  test('import of a missing file: DLM018 on the path', async () => {
    const { doc } = await open('missing_import.dlm');
    const ds = await waitForDiagnostics(doc.uri, (x) => x.some((d) => codeOf(d) === 'DLM018'));
    const d = ds.find((x) => codeOf(x) === 'DLM018')!;
    assert.equal(doc.getText(d.range), '"does_not_exist.dlm"');
    assert.match(d.message, /cannot find/);
  });

  test('two files importing each other: DLM019 cycle on both', async () => {
    const a = await open('cycle_a.dlm');
    const da = await waitForDiagnostics(a.doc.uri, (x) => x.some((d) => codeOf(d) === 'DLM019'));
    assert.match(da.find((d) => codeOf(d) === 'DLM019')!.message, /import cycle/);
    assert.equal(a.doc.getText(da[0]!.range), '"cycle_b.dlm"');
    const b = await open('cycle_b.dlm');
    const db = await waitForDiagnostics(b.doc.uri, (x) => x.some((d) => codeOf(d) === 'DLM019'));
    assert.equal(b.doc.getText(db[0]!.range), '"cycle_a.dlm"');
  });

  test('diagnostics follow typing (unsaved edits) and clear when fixed', async () => {
    const { doc } = await open('hello.dlm');
    const original = doc.getText();
    await setText(doc, 'model T(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2) |> Dence(2)\n}\n');
    await waitForDiagnostics(
      doc.uri,
      (x) => x.some((d) => codeOf(d) === 'DLM010'),
      10_000,
      'DLM010',
    );
    await setText(doc, 'model T(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\n');
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 10_000, 'cleared');
    await setText(doc, original);
  });
});

suite('hover', () => {
  test('a conv layer shows shapes, the parameter formula with numbers, and MACs', async () => {
    const { doc } = await open('resnet18.dlm');
    await waitForServer(doc.uri);
    const text = await hoverAt(doc.uri, pos(doc, 'Conv2d(64, 7', 2));
    assert.match(text, /\[B, 3, 224, 224\]`? → `?\[B, 64, 112, 112\]/);
    assert.match(text, /64·3·7·7 = 9,408/);
    assert.match(text, /MACs/);
    assert.match(text, /2-D convolution/, 'the layer docs are included');
  });

  test('a conv with bias: 73,856 with weight and bias split', async () => {
    const { doc } = await open('conv_bias.dlm');
    await waitForServer(doc.uri);
    const text = await hoverAt(doc.uri, pos(doc, 'Conv2d(128', 2));
    assert.match(text, /73,856/);
    assert.match(text, /`weight`.*73,728/);
    assert.match(text, /`bias`.*128/);
  });

  test('the model name shows the totals (11,689,512 trainable for ResNet-18)', async () => {
    const { doc } = await open('resnet18.dlm');
    const text = await hoverAt(doc.uri, pos(doc, 'ResNet18(x', 2));
    assert.match(text, /Trainable \| 11,689,512/);
    assert.match(text, /Non-trainable \| 9,600/);
  });

  test('a dim shows where it was bound', async () => {
    const { doc } = await open('resnet18.dlm');
    const text = await hoverAt(doc.uri, pos(doc, 'C != c', 0));
    assert.ok(text.length > 0, 'hover on a dim');
    assert.match(text, /\bC\b/);
  });
});

suite('inlay hints, code lens', () => {
  test('LeNet-5: output shape after each stage', async () => {
    const { doc } = await open('lenet5.dlm');
    await waitForServer(doc.uri);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      doc.uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
    );
    const labels = hints.map(inlayLabel);
    assert.ok(
      labels.some((l) => l.includes('[B, 6, 28, 28]')),
      labels.join(' | '),
    );
    assert.ok(labels.some((l) => l.includes('[B, 400]')));
    assert.ok(labels.some((l) => l.includes('[B, 10]')));
  });

  test('dlm.shapeStyle = times changes the hint style; dlm.inlayHints.enabled = false hides them', async () => {
    const { doc } = await open('lenet5.dlm');
    const config = vscode.workspace.getConfiguration('dlm');
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const get = async (): Promise<string[]> =>
      (
        await vscode.commands.executeCommand<vscode.InlayHint[]>(
          'vscode.executeInlayHintProvider',
          doc.uri,
          range,
        )
      ).map(inlayLabel);
    const until = (pred: (l: string[]) => boolean, what: string): Promise<string[]> =>
      poll(get, pred, what, { timeoutMs: 10_000, describe: (l) => l.join(' | ') });
    try {
      await config.update('shapeStyle', 'times', vscode.ConfigurationTarget.Global);
      await until((l) => l.some((x) => x.includes('B×6×28×28')), 'times style');
      await config.update('inlayHints.enabled', false, vscode.ConfigurationTarget.Global);
      await until((l) => l.length === 0, 'hints disabled');
    } finally {
      await config.update('shapeStyle', undefined, vscode.ConfigurationTarget.Global);
      await config.update('inlayHints.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await until((l) => l.some((x) => x.includes('[B, 6, 28, 28]')), 'back to brackets');
  });

  test('code lens over the model: params, MACs, graph, train, summary', async () => {
    const { doc } = await open('lenet5.dlm');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      doc.uri,
    );
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(
      titles.some((t) => /^61,706 params · .*MACs/.test(t)),
      titles.join(' | '),
    );
    const ids = lenses.map((l) => l.command?.command);
    assert.ok(ids.includes('dlm.showGraph'));
    assert.ok(ids.includes('dlm.showSummary'));
    const spiral = await open('spiral.dlm');
    const sl = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      spiral.doc.uri,
    );
    assert.ok(
      sl.some((l) => l.command?.command === 'dlm.train'),
      'Train lens with a train section',
    );
  });
});

suite('modern constructs: learned tensors, tied weights, frozen parts', () => {
  /** Decoded semantic tokens: the type at a position. */
  async function tokenType(
    doc: vscode.TextDocument,
    p: vscode.Position,
  ): Promise<string | undefined> {
    const legend = await vscode.commands.executeCommand<vscode.SemanticTokensLegend>(
      'vscode.provideDocumentSemanticTokensLegend',
      doc.uri,
    );
    const { data } = await vscode.commands.executeCommand<vscode.SemanticTokens>(
      'vscode.provideDocumentSemanticTokens',
      doc.uri,
    );
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      char = data[i]! === 0 ? char + data[i + 1]! : data[i + 1]!;
      if (line === p.line && char === p.character) return legend.tokenTypes[data[i + 3]!];
    }
    return undefined;
  }

  test('char-GPT: the shape and count of a learned tensor, the tied output layer shared with embed.weight', async () => {
    const { doc } = await open('chargpt.dlm');
    await waitForServer(doc.uri);
    const pos0 = await hoverAt(doc.uri, pos(doc, 'pos = Parameter', 0));
    assert.match(pos0, /learned tensor.*`pos`.*\[1, 32, 64\]/);
    assert.match(pos0, /2,048 \(1·32·64, trainable/);
    const use = await hoverAt(doc.uri, pos(doc, 'pos) |> Add', 0));
    assert.match(use, /learned tensor/, 'the use hovers like the declaration');
    const tied = await hoverAt(doc.uri, pos(doc, 'Dense(28, tie', 1));
    assert.match(
      tied,
      /shared with `embed\.weight` \(counted there; gradients from both uses add up\)/,
    );
    assert.match(tied, /\*\*Parameters\*\* 28\b/, 'only the bias is its own');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      doc.uri,
    );
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(
      titles.some((t) => /^103,964 params · /.test(t)),
      titles.join(' | '),
    );
    const hints = (
      await vscode.commands.executeCommand<vscode.InlayHint[]>(
        'vscode.executeInlayHintProvider',
        doc.uri,
        new vscode.Range(0, 0, doc.lineCount, 0),
      )
    ).map(inlayLabel);
    assert.ok(
      hints.some((l) => l.includes('[B, 32, 28]')),
      hints.join(' | '),
    );
    assert.equal(await tokenType(doc, pos(doc, 'param pos', 0)), 'keyword');
    assert.equal(await tokenType(doc, pos(doc, 'layer embed', 0)), 'keyword');
  });

  test('fine-tuning: the frozen base is counted as non-trainable in the lens and in hover', async () => {
    const { doc } = await open('finetune.dlm');
    await waitForServer(doc.uri);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      doc.uri,
    );
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(
      titles.some((t) => t.startsWith('330 params + 4,848 frozen + 96 buffers')),
      titles.join(' | '),
    );
    const base = await hoverAt(doc.uri, pos(doc, 'frozen Base', 'frozen '.length + 1));
    assert.match(base, /4,944 parameters \(0 trainable, 4,944 non-trainable\), frozen/);
    const model = await hoverAt(doc.uri, pos(doc, 'DigitsFinetune(x', 1));
    assert.match(model, /Trainable \| 330/);
    assert.match(model, /Non-trainable \| 4,944/);
    assert.equal(await tokenType(doc, pos(doc, 'frozen Base', 0)), 'keyword');
    assert.equal(await tokenType(doc, pos(doc, 'weights from', 0)), 'keyword');
  });
});

suite('completion, signature help', () => {
  test('after `x |> Con` offers Conv2d', async () => {
    const { doc } = await open('completion.dlm');
    await waitForServer(doc.uri);
    await setTextKeep(doc, (t) => t.replace('x |> Dense(3)', 'x |> Con'));
    const items = await completionsAt(doc.uri, pos(doc, 'x |> Con', 'x |> Con'.length));
    const conv = items.find((i) => labelOf(i) === 'Conv2d');
    assert.ok(conv, items.map(labelOf).slice(0, 30).join(', '));
    assert.equal(conv.kind, vscode.CompletionItemKind.Class);
  });

  test('inside `Conv2d(64, 3, ` offers stride', async () => {
    const { doc } = await open('completion.dlm');
    await setTextKeep(doc, (t) => t.replace(/x \|> .*\n/, 'x |> Conv2d(64, 3, \n'));
    const items = await completionsAt(doc.uri, pos(doc, 'Conv2d(64, 3, ', 'Conv2d(64, 3, '.length));
    const labels = items.map(labelOf);
    assert.ok(
      labels.some((l) => l.startsWith('stride')),
      labels.join(', '),
    );
  });

  test('in a train section after `optimizer = ` offers Adam', async () => {
    const { doc } = await open('completion.dlm');
    await setTextKeep(doc, (t) => t.replace('optimizer = Adam(lr=0.01)', 'optimizer = '));
    const items = await completionsAt(doc.uri, pos(doc, 'optimizer = ', 'optimizer = '.length));
    const labels = items.map(labelOf);
    assert.ok(labels.includes('Adam'), labels.join(', '));
    assert.ok(!labels.includes('Conv2d'), 'no layers in an optimizer position');
  });

  test('signature help inside a layer call', async () => {
    const { doc } = await open('completion.dlm');
    await setTextKeep(doc, (t) => t.replace(/x \|> .*\n/, 'x |> Conv2d(64, \n'));
    const help = await vscode.commands.executeCommand<vscode.SignatureHelp>(
      'vscode.executeSignatureHelpProvider',
      doc.uri,
      pos(doc, 'Conv2d(64, ', 'Conv2d(64, '.length),
      ',',
    );
    assert.ok(help && help.signatures.length > 0, 'a signature');
    assert.match(help.signatures[0]!.label, /^Conv2d\(/);
    const active = help.signatures[0]!.parameters[help.activeParameter];
    assert.ok(active, 'an active parameter');
    assert.match(String(active.label), /kernel/);
  });

  suiteTeardown(async () => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath.endsWith('completion.dlm'));
    if (doc) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });
});

/** Edit the open document through a WorkspaceEdit and wait for the server to see the new version. */
async function setTextKeep(doc: vscode.TextDocument, fn: (t: string) => string): Promise<void> {
  const full = new vscode.Range(0, 0, doc.lineCount, 0);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, full, fn(doc.getText()));
  assert.ok(await vscode.workspace.applyEdit(edit));
}

suite('navigation and rename', () => {
  test('definition, references and rename of a binding', async () => {
    const { doc } = await open('unet.dlm');
    await waitForServer(doc.uri);
    const use = pos(doc, 'enc1 |> MaxPool2d', 1);
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      use,
    );
    assert.equal(defs.length, 1);
    const def = defs[0]!;
    const range = 'targetRange' in def ? (def.targetSelectionRange ?? def.targetRange) : def.range;
    assert.equal(doc.getText(range), 'enc1');
    assert.equal(range.start.line, pos(doc, 'enc1 = x').line);

    const refs = await vscode.commands.executeCommand<vscode.Location[]>(
      'vscode.executeReferenceProvider',
      doc.uri,
      use,
    );
    assert.equal(refs.length, 3, 'declaration, the MaxPool use and the skip concat');

    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>(
      'vscode.executeDocumentRenameProvider',
      doc.uri,
      use,
      'encoder1',
    );
    const edits = edit.get(doc.uri);
    assert.equal(edits.length, 3);
    assert.ok(edits.every((e) => e.newText === 'encoder1' && doc.getText(e.range) === 'enc1'));
  });

  test('a block across files: definition in the imported file, references and rename in both', async () => {
    const main = await open('multi/main.dlm');
    await waitForServer(main.doc.uri);
    const use = pos(main.doc, 'Mlp(32', 1);
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      main.doc.uri,
      use,
    );
    assert.equal(defs.length, 1);
    const def = defs[0]!;
    const target = 'targetUri' in def ? def.targetUri : def.uri;
    assert.equal(target.fsPath, fileUri('multi/blocks.dlm').fsPath);

    const refs = await vscode.commands.executeCommand<vscode.Location[]>(
      'vscode.executeReferenceProvider',
      main.doc.uri,
      use,
    );
    const files = new Set(refs.map((r) => r.uri.fsPath));
    assert.equal(refs.length, 3, 'the block declaration and two uses');
    assert.equal(files.size, 2);

    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>(
      'vscode.executeDocumentRenameProvider',
      main.doc.uri,
      use,
      'TwoLayer',
    );
    assert.equal(edit.get(main.doc.uri).length, 2);
    assert.equal(edit.get(fileUri('multi/blocks.dlm')).length, 1);
  });

  test('rename of a built-in layer is refused', async () => {
    const { doc } = await open('lenet5.dlm');
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand(
          'vscode.executeDocumentRenameProvider',
          doc.uri,
          pos(doc, 'Conv2d(6', 2),
          'Foo',
        ),
      ),
      /built-in layer/,
    );
  });

  test('definition on an import path opens the imported file', async () => {
    const main = await open('multi/main.dlm');
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      main.doc.uri,
      pos(main.doc, 'blocks.dlm', 2),
    );
    const def = defs[0]!;
    assert.equal(
      ('targetUri' in def ? def.targetUri : def.uri).fsPath,
      fileUri('multi/blocks.dlm').fsPath,
    );
  });
});

suite('code actions, formatting, outline', () => {
  test('quick fix "Set in=256" removes the error', async () => {
    const { doc } = await open('fixme.dlm');
    const ds = await waitForDiagnostics(doc.uri, (x) => x.some((d) => codeOf(d) === 'DLM100'));
    const d = ds.find((x) => codeOf(x) === 'DLM100')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title === 'Set in=256');
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    assert.equal(fix.kind?.value, 'quickfix');
    assert.ok(fix.isPreferred);
    assert.ok(fix.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /Dense\(120, in=256\)/);
    await waitForDiagnostics(
      doc.uri,
      (x) => !x.some((y) => codeOf(y) === 'DLM100'),
      10_000,
      'fixed',
    );
  });

  test('fix all applies every preferred fix', async () => {
    const { doc } = await open('typo.dlm');
    await waitForDiagnostics(doc.uri, (x) => x.filter((d) => codeOf(d) === 'DLM010').length === 2);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
      vscode.CodeActionKind.SourceFixAll.value,
    );
    const all = actions.find((a) => a.kind?.value.startsWith('source.fixAll'));
    assert.ok(all, actions.map((a) => a.title).join(', '));
    assert.ok(await vscode.workspace.applyEdit(all.edit!));
    assert.match(doc.getText(), /ReLU \|> Dense\(2\)/);
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 10_000, 'all fixed');
  });

  test('a line left as "|> |> …" is repaired from its state; DLM editors indent by 2', async () => {
    // an untitled DLM document: what a keystroke whose on-type edit was dropped leaves behind
    const doc = await vscode.workspace.openTextDocument({
      language: 'dlm',
      content: 'model M(x: [B, 4]) -> [B, 4] {\n  x\n  |> ReLU\n}\n',
    });
    const editor = await vscode.window.showTextDocument(doc);
    await poll(
      () => [editor.options.tabSize, editor.options.indentSize, editor.options.insertSpaces],
      (o) => o[0] === 2 && o[1] === 2 && o[2] === true,
      'the [dlm] indentation',
    );
    await editor.edit((b) => b.insert(new vscode.Position(3, 0), '  |> |> Flatten\n'));
    await poll(
      () => doc.lineAt(3).text,
      (t) => t === '  |> Flatten',
      'the doubled |> repaired',
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('format document is canonical and idempotent', async () => {
    const { doc } = await open('format_me.dlm');
    await waitForServer(doc.uri);
    const opts = { insertSpaces: true, tabSize: 2 };
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>(
      'vscode.executeFormatDocumentProvider',
      doc.uri,
      opts,
    );
    assert.ok(edits && edits.length > 0, 'the messy file changes');
    const we = new vscode.WorkspaceEdit();
    we.set(doc.uri, edits);
    assert.ok(await vscode.workspace.applyEdit(we));
    assert.match(
      doc.getText(),
      /^model Messy\(x: \[B, 4\]\) -> \[B, 2\] \{\n {2}h = x \|> Dense\(8\) \|> ReLU\n/,
    );
    const again = await vscode.commands.executeCommand<vscode.TextEdit[]>(
      'vscode.executeFormatDocumentProvider',
      doc.uri,
      opts,
    );
    // VS Code answers `undefined` when the provider returns no edits.
    assert.equal(again?.length ?? 0, 0, 'formatting a formatted file changes nothing');
  });

  test('document symbols: models, blocks and bindings', async () => {
    const { doc } = await open('unet.dlm');
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
      'vscode.executeDocumentSymbolProvider',
      doc.uri,
    );
    const names = symbols.map((s) => s.name);
    assert.ok(names.includes('DoubleConv'));
    assert.ok(names.includes('UNet'));
    const unet = symbols.find((s) => s.name === 'UNet')!;
    assert.equal(unet.kind, vscode.SymbolKind.Class);
    assert.ok(
      unet.children.some((c) => c.name === 'enc1'),
      unet.children.map((c) => c.name).join(', '),
    );
  });

  test('workspace symbols find models in files that are not open', async () => {
    const symbols = await vscode.commands.executeCommand<vscode.SymbolInformation[]>(
      'vscode.executeWorkspaceSymbolProvider',
      'VGG16',
    );
    assert.ok(
      symbols.some((s) => s.name === 'VGG16' && s.location.uri.fsPath.endsWith('vgg16.dlm')),
      symbols.map((s) => s.name).join(', '),
    );
  });

  test('folding ranges for models, blocks and multi-line pipelines', async () => {
    const { doc } = await open('resnet18.dlm');
    const ranges = await vscode.commands.executeCommand<vscode.FoldingRange[]>(
      'vscode.executeFoldingRangeProvider',
      doc.uri,
    );
    const block = pos(doc, 'block BasicBlock').line;
    const model = pos(doc, 'model ResNet18').line;
    assert.ok(
      ranges.some((r) => r.start === block),
      'the block folds',
    );
    assert.ok(
      ranges.some((r) => r.start === model),
      'the model folds',
    );
  });

  test('semantic tokens classify layers, blocks and bindings', async () => {
    const { doc } = await open('resnet18.dlm');
    const legend = await vscode.commands.executeCommand<vscode.SemanticTokensLegend>(
      'vscode.provideDocumentSemanticTokensLegend',
      doc.uri,
    );
    const tokens = await vscode.commands.executeCommand<vscode.SemanticTokens>(
      'vscode.provideDocumentSemanticTokens',
      doc.uri,
    );
    assert.ok(legend.tokenTypes.includes('struct'));
    const data = tokens.data;
    assert.ok(data.length > 0 && data.length % 5 === 0);
    // Decode and look up the token at `Conv2d` (line of the stem) and `BasicBlock` uses.
    const decoded: { line: number; char: number; len: number; type: string }[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      char = data[i]! === 0 ? char + data[i + 1]! : data[i + 1]!;
      decoded.push({ line, char, len: data[i + 2]!, type: legend.tokenTypes[data[i + 3]!]! });
    }
    const at = (p: vscode.Position): string | undefined =>
      decoded.find((t) => t.line === p.line && t.char === p.character)?.type;
    assert.equal(at(pos(doc, 'Conv2d(64, 7')), 'function');
    assert.equal(at(pos(doc, 'BasicBlock(128')), 'struct');
    assert.equal(at(pos(doc, 'skip = x')), 'variable');
  });
});

suite('multi-file', () => {
  test('editing and saving an imported file re-checks its importer', async () => {
    const main = await open('multi/main.dlm');
    await waitForDiagnostics(main.doc.uri, (x) => x.length === 0, 10_000, 'clean main');
    const blocksUri = fileUri('multi/blocks.dlm');
    const blocks = await vscode.workspace.openTextDocument(blocksUri);
    const original = blocks.getText();
    // Rename the block's parameter `out` → the importer's positional call still works, but
    // a required second parameter `extra` makes the importer's calls incomplete.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      blocksUri,
      new vscode.Range(0, 0, blocks.lineCount, 0),
      original.replace('block Mlp(', 'block Mlp2('),
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await blocks.save());
    await vscode.window.showTextDocument(main.doc);
    const ds = await waitForDiagnostics(
      main.doc.uri,
      (x) => x.some((d) => codeOf(d) === 'DLM010'),
      15_000,
      'unknown block Mlp after the rename',
    );
    assert.match(ds.find((d) => codeOf(d) === 'DLM010')!.message, /Mlp/);
    // Restore and the error goes away.
    const back = new vscode.WorkspaceEdit();
    back.replace(blocksUri, new vscode.Range(0, 0, blocks.lineCount, 0), original);
    assert.ok(await vscode.workspace.applyEdit(back));
    assert.ok(await blocks.save());
    await waitForDiagnostics(main.doc.uri, (x) => x.length === 0, 15_000, 'clean again');
  });

  test('an unsaved edit in an open imported file re-checks its importer too', async () => {
    const main = await open('multi/main.dlm');
    const blocks = await open('multi/blocks.dlm');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      blocks.doc.uri,
      new vscode.Range(0, 0, blocks.doc.lineCount, 0),
      blocks.doc.getText().replace('block Mlp(', 'block Mlp3('),
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(
      main.doc.uri,
      (x) => x.some((d) => codeOf(d) === 'DLM010'),
      15_000,
      'DLM010',
    );
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitForDiagnostics(main.doc.uri, (x) => x.length === 0, 15_000, 'clean after revert');
  });
});
