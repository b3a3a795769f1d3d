import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LineIndex } from '../../src/core';
import { applyEdits, codeActions, fixAll } from '../../src/ide/codeActions';
import { codeLenses } from '../../src/ide/codelens';
import { inlayHints } from '../../src/ide/inlay';
import { encodeSemanticTokens, semanticTokens, TOKEN_TYPES } from '../../src/ide/semanticTokens';
import { documentSymbols, foldingRanges, workspaceSymbols } from '../../src/ide/symbols';
import { checkText, memoryHost } from '../../src/language/program';

const F = '/w/a.dlm';
const check = (text: string, files: Record<string, string> = {}) =>
  checkText(F, text, memoryHost({ [F]: text, ...files }, '/w'));
const LENET = readFileSync('examples/lenet5.dlm', 'utf8');
const RES = readFileSync('examples/resnet18.dlm', 'utf8');

describe('inlay hints', () => {
  it('one hint at the end of each stage line; activations on the same line skipped', () => {
    const text =
      'model M(x: [B, 1, 8, 8]) {\n  x\n  |> Conv2d(4, 3) |> ReLU\n  |> Flatten\n  |> Dense(2)\n}';
    const hints = inlayHints(check(text), F);
    const labels = hints.map((h) => [text.slice(0, h.offset).split('\n').length, h.label]);
    assert.deepEqual(labels, [
      [3, ': [B, 4, 6, 6]'],
      [4, ': [B, 144]'],
      [5, ': [B, 2]'],
    ]);
    assert.equal(text.slice(hints[0]!.offset - 4, hints[0]!.offset), 'ReLU');
  });
  it('binding spanning lines gets its final shape after the name', () => {
    const text = 'model M(x: [B, 3]) {\n  h = x\n    |> Dense(5)\n  h\n}';
    const hints = inlayHints(check(text), F, undefined, {
      shapeStyle: 'times',
      macsOrFlops: 'macs',
    });
    assert.ok(hints.some((h) => h.offset === text.indexOf('h =') + 1 && h.label === ': B×5'));
  });
  it('block stages with differing shapes say so', () => {
    const hints = inlayHints(check(RES), F);
    const first = hints.find(
      (h) => h.offset === RES.indexOf('BatchNorm2d |> ReLU') + 'BatchNorm2d |> ReLU'.length,
    );
    assert.ok(first);
    assert.match(first.label, /\+3 more/);
  });
  it('respects the range', () => {
    const all = inlayHints(check(LENET), F);
    const some = inlayHints(check(LENET), F, { start: 0, end: LENET.indexOf('Flatten') });
    assert.ok(some.length > 0 && some.length < all.length);
  });
});

describe('code lenses', () => {
  it('totals and commands per model', () => {
    const lenses = codeLenses(check(LENET), F, 'file:///a.dlm');
    assert.equal(lenses[0]!.title, '61,706 params · 0.42 M MACs');
    const cmds = lenses.filter((l) => l.command).map((l) => l.command!.id);
    assert.deepEqual(cmds, ['dlm.showGraph', 'dlm.train', 'dlm.showSummary']);
    assert.deepEqual(lenses[1]!.command!.args, ['file:///a.dlm', 'LeNet5']);
    const flops = codeLenses(check(LENET), F, F, { shapeStyle: 'brackets', macsOrFlops: 'flops' });
    assert.equal(flops[0]!.title, '61,706 params · 0.83 M FLOPs');
    // Buffers apart from trainable parameters (ResNet-style BatchNorm: 2·C running statistics).
    const bn = `model N(x: [B, 3, 8, 8]) {\n  x |> Conv2d(4, 3, bias=false) |> BatchNorm2d\n}`;
    const bnLens = codeLenses(check(bn), F, F);
    assert.match(bnLens[0]!.title, /^116 params \+ 8 buffers · /);
  });
});

describe('code actions', () => {
  it('quick fix from a diagnostic, and fix all', () => {
    const text = readFileSync('examples/broken/lenet_wrong_in.dlm', 'utf8');
    const r = check(text);
    const at = text.indexOf('in=400)');
    const actions = codeActions(r, F, { start: at, end: at });
    const fix = actions.find((a) => a.kind === 'quickfix')!;
    assert.equal(fix.title, 'Set in=256');
    assert.equal(fix.preferred, true);
    assert.equal(fix.diagnostics[0]!.code, 'DLM100');
    assert.match(applyEdits(text, fix.edits), /Dense\(120, in=256\)/);
    const typo = 'model M(x: [B, 2]) {\n  x |> Dence(3) |> Rellu\n}';
    const all = fixAll(check(typo), F)!;
    assert.equal(applyEdits(typo, all.edits), 'model M(x: [B, 2]) {\n  x |> Dense(3) |> ReLU\n}');
  });
});

describe('symbols and folding', () => {
  it('document symbols: models, blocks, bindings, data, train', () => {
    const text = RES + '\ndata d = Spiral()\ntrain ResNet18 {\n  data = d\n  loss = MSE\n}\n';
    const syms = documentSymbols(check(text), F);
    assert.deepEqual(
      syms.map((s) => [s.kind, s.name]),
      [
        ['block', 'BasicBlock'],
        ['model', 'ResNet18'],
        ['data', 'd'],
        ['train', 'train ResNet18'],
      ],
    );
    assert.deepEqual(
      syms[0]!.children.map((c) => c.name),
      ['c', 'stride', 'x', 'h', 'skip', 'skip'],
    );
  });
  it('workspace symbols over several results', () => {
    const ws = workspaceSymbols([check(RES), check(LENET)], 'bb');
    assert.ok(ws.some((s) => s.name === 'BasicBlock'));
    assert.equal(workspaceSymbols([check(LENET)], 'len')[0]!.name, 'LeNet5');
  });
  it('folding: items, bodies, multi-line pipelines, comment runs', () => {
    const ranges = foldingRanges(check(RES), F);
    assert.ok(ranges.some((r) => r.kind === 'comment'));
    assert.ok(ranges.some((r) => RES.slice(r.start, r.end).match(/^x\n\s+\|> Conv2d/)));
    assert.ok(ranges.some((r) => RES.slice(r.start, r.end).startsWith('block BasicBlock')));
  });
});

describe('semantic tokens', () => {
  it('classifies layers, blocks, shared layers, bindings, params, dims', () => {
    const text =
      'block K(c: int)(x: [B, C]) {\n  layer s = Dense(c)\n  h = x |> s\n  h |> s |> Dense(C)\n}\nmodel M(x: [B, 4]) {\n  x |> K(4) // c\n}';
    const toks = semanticTokens(check(text), F);
    const kind = (needle: string, k = 0) => {
      let i = -1;
      for (let n = 0; n <= k; n++) i = text.indexOf(needle, i + 1);
      const t = toks.find((x) => x.start === i)!;
      return `${t.type}${t.modifiers.length ? '.' + t.modifiers.join('.') : ''}`;
    };
    assert.equal(kind('Dense'), 'function.defaultLibrary');
    assert.equal(kind('K(4)'), 'struct');
    assert.equal(kind('K('), 'struct.declaration');
    assert.equal(kind('s |>', 0), 'method');
    assert.equal(kind('h ='), 'variable.declaration');
    assert.equal(kind('h |>'), 'variable');
    assert.equal(kind('c)'), 'parameter.readonly');
    assert.equal(kind('C]'), 'typeParameter.declaration');
    assert.equal(kind('C)'), 'typeParameter');
    assert.equal(kind('int'), 'type.defaultLibrary');
    assert.equal(kind('// c'), 'comment');
    assert.equal(kind('model'), 'keyword');
    assert.equal(kind('4]'), 'number');
  });
  it('param, weights from, layer and frozen are keywords where they start a statement', () => {
    const text =
      'model M(x: [B, 4, 8]) {\n  weights from "w.safetensors"\n  param pos = Parameter([1, 4, 8])\n  frozen layer d = Dense(8)\n  param = x\n  (param, pos) |> Add |> d |> frozen Dense(2)\n}';
    const toks = semanticTokens(check(text, { '/w/w.safetensors': '' }), F);
    const at = (needle: string, k = 0) => {
      let i = -1;
      for (let n = 0; n <= k; n++) i = text.indexOf(needle, i + 1);
      return toks.find((x) => x.start === i)?.type;
    };
    assert.equal(at('weights'), 'keyword');
    assert.equal(at('from'), 'keyword');
    assert.equal(at('param pos'), 'keyword');
    assert.equal(at('pos ='), 'variable');
    assert.equal(at('frozen layer'), 'keyword');
    assert.equal(at('layer d'), 'keyword');
    assert.equal(at('frozen Dense'), 'keyword');
    // `param` as an ordinary name: a binding, not a keyword
    assert.equal(at('param = x'), 'variable');
    assert.equal(at('param, pos'), 'variable');
  });
  it('encodes relative positions', () => {
    const text = 'model M(x: [B, 2]) {\n  x |> ReLU\n}';
    const toks = semanticTokens(check(text), F);
    const data = encodeSemanticTokens(toks, new LineIndex(text));
    assert.equal(data.length, toks.length * 5);
    // `model` at 0:0 keyword; `M` at 0:6 class.
    assert.deepEqual(data.slice(0, 10), [
      0,
      0,
      5,
      TOKEN_TYPES.indexOf('keyword'),
      0,
      0,
      6,
      1,
      TOKEN_TYPES.indexOf('class'),
      1,
    ]);
  });
});
