import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  diffModels,
  formatDiffText,
  pairModels,
  type DiffSideInput,
  type ModelDiff,
} from '../../src/language/diff';
import { checkText, memoryHost } from '../../src/language/program';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const example = (name: string): string => readFileSync(path.join(EXAMPLES, name), 'utf8');

function side(text: string, file = '/ws/m.dlm', model?: string): DiffSideInput {
  const r = checkText(file, text, memoryHost({ [file]: text }, '/ws'));
  const m = model ? r.models.find((x) => x.name === model)! : r.models[0]!;
  assert.ok(m, 'model checked');
  return {
    model: m,
    source: { file },
    text,
    train: r.trains.find((t) => t.model === m.name),
  };
}

function diff(a: string, b: string, opts = {}): ModelDiff {
  return diffModels(side(a, '/ws/a.dlm'), side(b, '/ws/b.dlm'), opts);
}

/** `status path` per change, e.g. `changed conv2d1`, `added dense2`. */
function brief(d: ModelDiff): string[] {
  return d.layers.map((l) => `${l.status} ${(l.b ?? l.a)!.path}`);
}

const MLP = (body: string): string => `model M(x: [B, 784]) -> [B, 10] {\n  x ${body}\n}\n`;

describe('model diff', () => {
  it('an unchanged model has no layer changes and zero deltas', () => {
    const t = example('resnet18.dlm');
    const d = diff(t, t);
    assert.deepEqual(d.layers, []);
    assert.equal(d.counts.unchanged, d.unchanged.length);
    assert.ok(d.counts.unchanged > 50);
    assert.deepEqual(d.totals.trainable, { a: 11689512, b: 11689512, delta: 0, relative: 0 });
    assert.deepEqual(d.totals.nonTrainable, { a: 9600, b: 9600, delta: 0, relative: 0 });
    assert.equal(d.totals.macs.delta, 0);
    assert.match(formatDiffText(d), /no layer changed/);
  });

  it('LeNet-5: a wider convolution and an inserted layer, with exact counts', () => {
    const a = example('lenet5.dlm');
    const b = a
      .replace('Conv2d(16, 5)', 'Conv2d(32, 5)')
      .replace('|> Dense(84) |> Tanh ', '|> Dense(84) |> Tanh |> Dense(50) |> ReLU');
    const d = diff(a, b);
    assert.deepEqual(brief(d), [
      'changed conv2d1',
      'changed tanh1',
      'changed avgpool2d1',
      'changed flatten0',
      'changed dense0',
      'added dense2',
      'added relu0',
      'changed dense3',
    ]);
    const conv = d.layers[0]!;
    assert.deepEqual(conv.changes, ['label', 'outputShapes', 'params', 'macs']);
    assert.equal(conv.a!.label, 'Conv2d(16, 5)');
    assert.equal(conv.b!.label, 'Conv2d(32, 5)');
    assert.deepEqual(conv.a!.outputShapes, ['[B, 16, 10, 10]']);
    assert.deepEqual(conv.b!.outputShapes, ['[B, 32, 10, 10]']);
    // 16·6·5·5 + 16 = 2,416 → 32·6·5·5 + 32 = 4,832; MACs 16·10·10·6·25 = 240,000 → 480,000.
    assert.deepEqual(conv.delta, { trainable: 2416, nonTrainable: 0, macs: 240000 });
    // The last Dense was renamed (dense2 → dense3) by the insertion, and its input changed.
    const last = d.layers[7]!;
    assert.equal(last.a!.path, 'dense2');
    assert.equal(last.b!.path, 'dense3');
    assert.deepEqual(last.changes, ['inputShapes', 'params', 'macs']);
    assert.deepEqual(last.delta, { trainable: 510 - 850, nonTrainable: 0, macs: 500 - 840 });
    // 61,706 + 2,416 + 48,000 (dense0: 800·120 instead of 400·120) + 4,250 − 340.
    assert.deepEqual(d.totals.trainable, {
      a: 61706,
      b: 116032,
      delta: 54326,
      relative: 54326 / 61706,
    });
    assert.equal(d.totals.macs.a, 416520);
    assert.equal(d.totals.macs.b, 416520 + 240000 + 48000 + 4200 - 340);
    assert.deepEqual(d.counts, { added: 2, removed: 0, changed: 6, unchanged: 6 });
    const text = formatDiffText(d);
    assert.match(
      text,
      /~ conv2d1 +Conv2d\(16, 5\) → Conv2d\(32, 5\); out \[B, 16, 10, 10\] → \[B, 32, 10, 10\]; params 2,416 → 4,832 \(\+2,416\)/,
    );
    assert.match(text, /\+ dense2 +Dense\(50\) +out \[B, 50\]; params 4,250; MACs 4,200/);
    assert.match(text, /trainable +61,706 +116,032 +\+54,326 \(\+88\.0%\)/);
  });

  it('a layer inserted at the front leaves the renamed layers after it unchanged', () => {
    const a = MLP('|> Dense(64) |> ReLU |> Dense(64) |> ReLU |> Dense(10)');
    const b = MLP('|> Dense(784) |> ReLU |> Dense(64) |> ReLU |> Dense(64) |> ReLU |> Dense(10)');
    const d = diff(a, b);
    assert.deepEqual(brief(d), ['added dense0', 'added relu0']);
    assert.deepEqual(d.counts, { added: 2, removed: 0, changed: 0, unchanged: 5 });
    // a's dense0 is b's dense1: matched by structure although the parameter names moved.
    assert.deepEqual(d.unchanged[0], [0, 2]);
    assert.equal(d.totals.trainable.delta, 784 * 784 + 784);
  });

  it('removed layers are listed where they stood in a', () => {
    const a = MLP('|> Dense(64) |> ReLU |> Dropout(0.5) |> Dense(10)');
    const b = MLP('|> Dense(64) |> ReLU |> Dense(10)');
    const d = diff(a, b);
    assert.deepEqual(brief(d), ['removed dropout0']);
    assert.equal(d.layers[0]!.b, null);
    assert.equal(d.layers[0]!.a!.index, 2);
    assert.match(formatDiffText(d), /- dropout0 +Dropout\(0\.5\)/);
  });

  it('different layer types never match: a swap is a removal and an addition', () => {
    const d = diff(
      MLP('|> Dense(64) |> ReLU |> Dense(10)'),
      MLP('|> Dense(64) |> Tanh |> Dense(10)'),
    );
    assert.deepEqual(brief(d), ['removed relu0', 'added tanh0']);
  });

  it('blocks: removing a ResNet stage lists the layers inside the block instances by path', () => {
    const a = example('resnet18.dlm');
    const b = a.replace('|> BasicBlock(512, stride=2) |> BasicBlock(512)', '');
    const d = diff(a, b);
    const inBlock = (k: number, names: string[]): string[] =>
      names.map((n) => `removed basicblock${k}.${n}`);
    assert.deepEqual(brief(d), [
      // BasicBlock(512, stride=2): two convolutions and a projection shortcut.
      ...inBlock(4, ['conv2d0', 'batchnorm2d0', 'relu0', 'conv2d1', 'batchnorm2d1']),
      ...inBlock(4, ['conv2d2', 'batchnorm2d2', 'add0', 'relu1']),
      // BasicBlock(512): identity shortcut.
      ...inBlock(5, ['conv2d0', 'batchnorm2d0', 'relu0', 'conv2d1', 'batchnorm2d1']),
      ...inBlock(5, ['add0', 'relu1']),
      'changed adaptiveavgpool2d0',
      'changed flatten0',
      'changed dense0',
    ]);
    assert.deepEqual(d.layers.at(-1)!.changes, ['inputShapes', 'params', 'macs']);
    // Dense(512 → 1000) becomes Dense(256 → 1000): 256,000 weights fewer.
    assert.equal(d.layers.at(-1)!.delta.trainable, -256000);
    assert.equal(
      d.totals.trainable.delta,
      d.layers.reduce((s, l) => s + l.delta.trainable, 0),
    );
    assert.equal(d.totals.trainable.b, 11689512 - 8649728);
  });

  it('falls back to matching by parameter name above the alignment cap', () => {
    const a = MLP('|> Dense(64) |> ReLU |> Dense(32) |> ReLU |> Dense(10)');
    const b = MLP('|> Dense(128) |> ReLU |> Dense(32) |> ReLU |> Dense(10)');
    const aligned = diff(a, b);
    const byName = diff(a, b, { maxAlignCells: 1 });
    assert.equal(aligned.matching, 'aligned');
    assert.equal(byName.matching, 'by-name');
    for (const d of [aligned, byName]) {
      assert.deepEqual(brief(d), ['changed dense0', 'changed relu0', 'changed dense1']);
    }
    assert.match(formatDiffText(byName), /matched by parameter name/);
  });

  it('symbolic dims stay symbolic in MACs deltas', () => {
    const seq = (h: number): string =>
      `model S(x: [B, T, 16]) -> [B, T, ${h}] {\n  x |> Dense(${h})\n}\n`;
    const d = diff(seq(8), seq(32));
    assert.equal(d.totals.macs.a, '128*T');
    assert.equal(d.totals.macs.b, '512*T');
    assert.equal(d.totals.macs.delta, '384*T');
    assert.equal(d.totals.macs.relative, null);
    assert.equal(d.layers[0]!.delta.macs, '384*T');
  });

  it('pairs models by name, or the single models of two files', () => {
    const two = `model A(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\nmodel C(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\n`;
    const other = `model A(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\nmodel D(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\n`;
    const ma = checkText('/ws/a.dlm', two, memoryHost({}, '/ws')).models;
    const mb = checkText('/ws/b.dlm', other, memoryHost({}, '/ws')).models;
    const p = pairModels(ma, mb);
    assert.deepEqual(
      p.pairs.map(([x, y]) => `${x.name}/${y.name}`),
      ['A/A'],
    );
    assert.deepEqual(p.onlyA, ['C']);
    assert.deepEqual(p.onlyB, ['D']);
    assert.deepEqual(pairModels(ma, mb, 'C').onlyA, ['C']);
    const single = pairModels([ma[1]!], [mb[1]!]);
    assert.deepEqual(
      single.pairs.map(([x, y]) => `${x.name}/${y.name}`),
      ['C/D'],
    );
  });
});
