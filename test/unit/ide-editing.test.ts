import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { complete } from '../../src/ide/completion';
import { definition, prepareRename, references, rename } from '../../src/ide/navigation';
import { signatureHelp } from '../../src/ide/signature';
import { checkText, memoryHost } from '../../src/language/program';

const F = '/w/a.dlm';
/** `|` marks the cursor. */
function at(src: string, files: Record<string, string> = {}) {
  const pos = src.lastIndexOf('|');
  const text = src.slice(0, pos) + src.slice(pos + 1);
  return { r: checkText(F, text, memoryHost({ [F]: text, ...files }, '/w')), pos, text };
}
const labels = (src: string) => {
  const { r, pos } = at(src);
  return complete(r, F, pos).items;
};

describe('completion', () => {
  it('after |> : layers with snippets, blocks, shared layers (half-typed)', () => {
    const items = labels(
      'block Blk(c: int)(x) {\n  x\n}\nmodel M(x: [B, 2]) {\n  layer enc = Dense(2)\n  x |> Con|\n}',
    );
    const conv = items.find((i) => i.label === 'Conv2d')!;
    assert.equal(conv.insertText, 'Conv2d(${1:out}, ${2:kernel})');
    assert.equal(conv.isSnippet, true);
    assert.equal(conv.kind, 'layer');
    const all = labels(
      'block Blk(c: int)(x) {\n  x\n}\nmodel M(x: [B, 2]) {\n  layer enc = Dense(2)\n  x |> |\n}',
    );
    assert.ok(
      all.some((i) => i.label === 'Blk' && i.kind === 'block' && i.insertText === 'Blk(${1:c})'),
    );
    assert.ok(all.some((i) => i.label === 'enc' && i.detail === 'shared layer instance'));
    assert.ok(all.some((i) => i.label === 'ReLU' && i.insertText === 'ReLU'));
  });
  it('inside a call: attributes not yet given, with replace span', () => {
    const src = 'model M(x: [B, 1, 8, 8]) {\n  x |> Conv2d(64, 3, st|\n}';
    const items = labels(src);
    assert.deepEqual(
      items.map((i) => i.label),
      ['stride='],
    );
    assert.match(items[0]!.detail, / · default 1$/);
    const { pos } = at(src);
    assert.deepEqual(items[0]!.replaceSpan, { start: pos - 2, end: pos });
    const rest = labels('model M(x: [B, 1, 8, 8]) {\n  x |> Conv2d(64, 3, |, bias=false)\n}').map(
      (i) => i.label,
    );
    assert.ok(
      rest.includes('padding=') &&
        !rest.includes('bias=') &&
        !rest.includes('out=') &&
        !rest.includes('kernel='),
    );
  });
  it('enum values in strings', () => {
    const items = labels('model M(x: [B, 1, 8, 8]) {\n  x |> Conv2d(4, 3, padding="sa|")\n}');
    assert.deepEqual(
      items.map((i) => i.label),
      ['same'],
    );
  });
  it('train settings, losses, optimizers, data, metrics', () => {
    const base = 'data d = Spiral()\nmodel M(x: [B, 2]) {\n  x |> Dense(3)\n}\ntrain M {\n';
    assert.deepEqual(
      labels(base + '  loss = Cro|\n}').map((i) => i.label),
      ['CrossEntropy'],
    );
    assert.ok(
      labels(base + '  optimizer = |\n}').some(
        (i) => i.label === 'AdamW' && i.kind === 'optimizer',
      ),
    );
    const data = labels(base + '  data = |\n}');
    assert.equal(data[0]!.label, 'd');
    assert.ok(data.some((i) => i.label === 'Digits'));
    assert.deepEqual(
      labels(base + '  metrics = [|\n}').map((i) => i.label),
      ['accuracy', 'mae', 'mse'],
    );
    const keys = labels(base + '  loss = MSE\n  |\n}').map((i) => i.label);
    assert.ok(keys.includes('epochs') && !keys.includes('loss'));
    assert.ok(labels(base + '  schedule = |\n}').some((i) => i.label === 'Cosine'));
  });
  it('bindings at statement start and in tuples, dims in shapes', () => {
    const b = labels('model M(x: [B, 2]) {\n  h = x |> Dense(3)\n  (h, |\n}').map((i) => i.label);
    assert.ok(b.includes('x') && b.includes('h'));
    const d = labels('model M(x: [B, T, 2], y: [B, |]) {\n  x\n}').map((i) => i.label);
    assert.ok(d.includes('T'));
  });
  it('top-level keywords', () => {
    const items = labels('model M(x: [B, 2]) {\n  x\n}\n|');
    assert.deepEqual(
      items.map((i) => i.label),
      ['model', 'block', 'data', 'train', 'import', 'frozen', 'mlp', 'cnn', 'resblock', 'lstm'],
    );
  });
  it('body keywords with what they do: frozen, param, weights from; frozen after |>', () => {
    const items = labels('model M(x: [B, 2]) {\n  |\n  x\n}');
    const kw = items.filter((i) => i.kind === 'keyword');
    assert.deepEqual(
      kw.map((i) => i.label),
      ['layer', 'param', 'frozen', 'weights', 'if', 'return'],
    );
    assert.ok(kw.every((i) => i.documentation && i.detail !== 'keyword'));
    assert.equal(kw.find((i) => i.label === 'weights')!.isSnippet, true);
    assert.ok(labels('model M(x: [B, 2]) {\n  x |> |\n}').some((i) => i.label === 'frozen'));
  });
});

describe('signature help', () => {
  it('label, docs and active parameter (positional and keyword)', () => {
    const { r, pos } = at('model M(x: [B, 1, 8, 8]) {\n  x |> Conv2d(64, |)\n}');
    const s = signatureHelp(r, F, pos)!;
    assert.match(s.label, /^Conv2d\(out, kernel, stride=1, padding=0/);
    assert.equal(s.activeParameter, 1);
    const k = at('model M(x: [B, 1, 8, 8]) {\n  x |> Conv2d(64, 3, padding=|)\n}');
    const sk = signatureHelp(k.r, F, k.pos)!;
    assert.equal(sk.parameters[sk.activeParameter!]!.label, 'padding=0');
  });
  it('optimizers and blocks', () => {
    const o = at('model M(x: [B, 2]) {\n  x |> Dense(3)\n}\ntrain M {\n  optimizer = Adam(|)\n}');
    assert.match(signatureHelp(o.r, F, o.pos)!.label, /^Adam\(lr=0.001/);
    const b = at(
      'block K(c: int, s: int = 2)(x) {\n  x |> Dense(c)\n}\nmodel M(x: [B, 2]) {\n  x |> K(3, |)\n}',
    );
    const sb = signatureHelp(b.r, F, b.pos)!;
    assert.equal(sb.label, 'K(c, s=2)');
    assert.equal(sb.activeParameter, 1);
  });
});

describe('navigation', () => {
  const RES = readFileSync('examples/resnet18.dlm', 'utf8');
  const r = checkText(F, RES, memoryHost({ [F]: RES }, '/w'));
  const off = (needle: string, k = 0) => {
    let i = -1;
    for (let n = 0; n <= k; n++) i = RES.indexOf(needle, i + 1);
    return i + 1;
  };
  it('definition of a binding, a block, a dim', () => {
    assert.deepEqual(definition(r, F, off('(h, skip)')), [
      { file: F, span: { start: RES.indexOf('h = x'), end: RES.indexOf('h = x') + 1 } },
    ]);
    assert.equal(
      definition(r, F, off('BasicBlock(128'))[0]!.span.start,
      RES.indexOf('BasicBlock('),
    );
    assert.equal(definition(r, F, off('C != c'))[0]!.span.start, RES.indexOf('C, H'));
  });
  it('references: if-branch rebinding joins the outer binding', () => {
    const refs = references(r, F, off('skip)'), true).map((l) =>
      RES.slice(l.span.start, l.span.end + 2),
    );
    assert.equal(refs.length, 3);
    assert.equal(references(r, F, off('skip)'), false).length, 1);
  });
  it('shadowing within a body: renaming one binding leaves the other', () => {
    const text = 'model M(x: [B, 2]) {\n  h = x |> Dense(3)\n  h = h |> ReLU\n  h\n}';
    const rr = checkText(F, text, memoryHost({ [F]: text }, '/w'));
    const first = text.indexOf('h =') + 1;
    const res = rename(rr, F, first, 'a');
    assert.ok('edits' in res);
    const out = [...res.edits]
      .sort((a, b) => b.span.start - a.span.start)
      .reduce((t, e) => t.slice(0, e.span.start) + e.newText + t.slice(e.span.end), text);
    assert.equal(out, 'model M(x: [B, 2]) {\n  a = x |> Dense(3)\n  h = a |> ReLU\n  h\n}');
  });
  it('rename a block parameter renames keyword arguments at uses', () => {
    const res = rename(r, F, off('stride: int'), 'step');
    assert.ok('edits' in res);
    const texts = res.edits.map((e) => RES.slice(e.span.start, e.span.end));
    assert.ok(texts.every((t) => t === 'stride'));
    // declaration, 2 uses in the body, 1 in the condition, 3 keyword args at uses
    assert.equal(res.edits.length, 7);
  });
  it('rename validation', () => {
    assert.ok('error' in rename(r, F, off('BasicBlock('), 'model'));
    assert.ok('error' in rename(r, F, off('BasicBlock('), '9x'));
    assert.ok('error' in prepareRename(r, F, off('Conv2d(64')));
    const m = rename(r, F, off('ResNet18('), 'Net');
    assert.ok('edits' in m && m.edits.length === 1);
  });
  it('model names in train sections, data declarations, shared layers', () => {
    const text =
      'data d = Spiral()\nmodel M(x: [B, 2]) {\n  layer s = Dense(2)\n  x |> s |> s\n}\ntrain M {\n  data = d\n  loss = MSE\n}';
    const rr = checkText(F, text, memoryHost({ [F]: text }, '/w'));
    assert.equal(references(rr, F, text.indexOf('M {') + 1).length, 2);
    assert.equal(references(rr, F, text.indexOf('d\n') + 1).length, 2);
    assert.equal(references(rr, F, text.indexOf('s |>') + 1).length, 3);
  });
  it('multi-file: blocks from imported files, import paths', () => {
    const lib = 'block Blk(c: int)(x) {\n  x |> Dense(c)\n}';
    const text = 'import "lib.dlm"\nmodel M(x: [B, 2]) {\n  x |> Blk(3) |> Blk(2)\n}';
    const rr = checkText(F, text, memoryHost({ [F]: text, '/w/lib.dlm': lib }, '/w'));
    const d = definition(rr, F, text.indexOf('Blk') + 1);
    assert.deepEqual(d, [{ file: '/w/lib.dlm', span: { start: 6, end: 9 } }]);
    const refs = references(rr, F, text.indexOf('Blk') + 1);
    assert.deepEqual(refs.map((x) => x.file).sort(), ['/w/a.dlm', '/w/a.dlm', '/w/lib.dlm']);
    assert.equal(definition(rr, F, 9)[0]!.file, '/w/lib.dlm');
  });
});
