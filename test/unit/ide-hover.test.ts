import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { DisplayOptions } from '../../src/ide/common';
import { hover } from '../../src/ide/hover';
import { checkText, memoryHost } from '../../src/language/program';

const F = '/w/a.dlm';
function check(text: string, files: Record<string, string> = {}) {
  return checkText(F, text, memoryHost({ [F]: text, ...files }, '/w'));
}
function at(text: string, needle: string, k = 0): number {
  let i = -1;
  for (let n = 0; n <= k; n++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  return i + 1;
}
const OPTS: DisplayOptions = { shapeStyle: 'brackets', macsOrFlops: 'macs' };
const h = (text: string, needle: string, k = 0, opts = OPTS) =>
  hover(check(text), F, at(text, needle, k), opts)?.markdown ?? '';

const CONV = `model M(x: [B, 64, 28, 28]) {
  x |> Conv2d(128, 3, padding=1) |> ReLU
}
train M {
  data = Digits()
  loss = CrossEntropy(label_smoothing=0.1)
  optimizer = SGD(lr=0.1)
  epochs = 3
}`;

describe('hover: layers', () => {
  it('shows shapes, parameters by tensor with formulas, MACs for B=1', () => {
    const md = h(CONV, 'Conv2d');
    assert.match(md, /Conv2d\(128, 3/);
    assert.match(md, /`\[B, 64, 28, 28\]` → `\[B, 128, 28, 28\]`/);
    assert.match(md, /`weight` 128·64·3·3 = 73,728/);
    assert.match(md, /`bias` 128/);
    assert.match(md, /= 73,856/);
    // plain text: a code span's padding read as a space before the semicolon
    assert.match(md, /\*\*MACs\*\* 57,802,752·B; 57,802,752 for B = 1/);
    assert.match(md, /Receptive field/);
    assert.match(md, /---/); // docs follow
  });
  it('a shared layer reads as its declaration, its name once', () => {
    const text = 'model M(x: [B, 4]) {\n  layer enc = Dense(4)\n  x |> enc |> enc\n}';
    const r = checkText(F, text, memoryHost({ [F]: text }));
    for (const at of [text.indexOf('enc ='), text.indexOf('enc |>')]) {
      const h = hover(r, F, at + 1)!;
      assert.match(
        h.markdown,
        /^\*\*`layer enc = Dense\(4\)`\*\* \(shared layer instance: tied weights\)/,
      );
    }
  });
  it('labels FLOPs as 2·MACs when configured', () => {
    const md = h(CONV, 'Conv2d', 0, { shapeStyle: 'times', macsOrFlops: 'flops' });
    assert.match(md, /FLOPs \(2·MACs\)\*\* 115,605,504·B;/);
    assert.match(md, /B×64×28×28/);
  });
  it('marks running statistics as non-trainable', () => {
    const md = h('model M(x: [B, 8, 4, 4]) {\n  x |> BatchNorm2d\n}', 'BatchNorm2d');
    assert.match(md, /`running_mean` 8 \(non-trainable\)/);
    assert.match(md, /16 trainable, 16 non-trainable/);
  });
  it('shows recurrent notes (bias convention)', () => {
    const md = h('model M(x: [B, 5, 3]) {\n  x |> LSTM(4)\n}', 'LSTM');
    assert.match(md, /Note:/);
    assert.match(md, /Keras/);
  });
  it('says when a block body stage is used several times with different shapes', () => {
    const text = readFileSync('examples/resnet18.dlm', 'utf8');
    const md = hover(check(text), F, at(text, 'Conv2d(c, 3, stride'), OPTS)!.markdown;
    assert.match(md, /Used 8 times\*\*; shapes differ/);
    assert.match(md, /`\[B, 64, 56, 56\]` → `\[B, 128, 28, 28\]`/);
  });
  it('lists at most 12 distinct shapes of a stage used with many', () => {
    const uses = Array.from({ length: 20 }, (_, i) => `  |> Lin(${i + 1})`).join('\n');
    const text = `block Lin(n: int)(x) {\n  x |> Dense(n)\n}\nmodel M(x: [B, 4]) {\n  x\n${uses}\n}`;
    const md = hover(check(text), F, at(text, 'Dense'), OPTS)!.markdown;
    assert.match(
      md,
      /Used 20 times\*\*; shapes differ \(20 distinct, the first 12 in use order\):/,
    );
    assert.match(md, /`\[B, 4\]` → `\[B, 1\]`/);
    assert.match(md, /`\[B, 11\]` → `\[B, 12\]`/);
    assert.doesNotMatch(md, /`\[B, 12\]` → `\[B, 13\]`/);
    assert.match(md, /- … 8 more/);
  });
  it('hovers a catalog layer that has no node with its docs', () => {
    const md = h('block K(x) {\n  x |> Dense(3)\n}\nmodel M(x: [B, 2]) {\n  x\n}', 'Dense');
    assert.match(md, /\*\*Dense\*\*/);
  });
});

describe('hover: blocks, models, names', () => {
  const RES = readFileSync('examples/resnet18.dlm', 'utf8');
  const r = check(RES);
  const hv = (needle: string, k = 0) => hover(r, F, at(RES, needle, k), OPTS)?.markdown ?? '';
  it('block use: doc, instantiated params, totals', () => {
    const md = hv('BasicBlock(128, stride=2)');
    assert.match(md, /BasicBlock\(c=128, stride=2\)/);
    assert.match(md, /230,912 parameters/);
    assert.match(md, /ResNet basic block/);
  });
  it('model name: doc and totals', () => {
    const md = hv('ResNet18(');
    assert.match(md, /Trainable \| 11,689,512/);
    assert.match(md, /Non-trainable \| 9,600/);
    assert.match(md, /Receptive field \| 435×435/);
  });
  it('model with a train section: memory estimate', () => {
    const md = h(CONV, 'M(');
    assert.match(md, /Training memory \(batch 32, SGD\)/);
    assert.match(md, /optimizer state \(0 per parameter\)/);
  });
  it('dim symbol: where bound and values', () => {
    const md = hv('C, H');
    assert.match(md, /Bound by input `x` of block `BasicBlock`/);
    assert.match(md, /`64` \(×3\)/);
  });
  it('model output dim value', () => {
    const md = h('model M(x: [B, 4]) -> [B, K] {\n  x |> Dense(3)\n}', 'K]');
    assert.match(md, /Value: `3`/);
  });
  it('binding: shape and where defined', () => {
    const md = hv('(h, skip)');
    assert.match(md, /\*\*tensor\*\* `h`: `\[B, 64, 56, 56\]`/);
    assert.match(md, /Defined at line 6/);
  });
  it('block parameter values at uses', () => {
    assert.match(hv('c: int'), /`128` \(×2\)/);
  });
  it('attribute keyword: type, default, doc, resolved value', () => {
    const md = hv('stride=2, padding=3');
    assert.match(md, /Conv2d.stride/);
    assert.match(md, /Default: `1`/);
    assert.match(md, /Resolved here: `2`/);
  });
});

describe('hover: train and data', () => {
  it('loss with resolved values and defaults', () => {
    const md = h(CONV, 'CrossEntropy');
    assert.match(md, /logits/);
    assert.match(md, /`label_smoothing` \| 0.1/);
    assert.match(md, /`reduction` \| `"mean"`/); // strings are shown as code
  });
  it('optimizer', () => {
    const md = h(CONV, 'SGD');
    assert.match(md, /v ← μ·v \+ g/);
    assert.match(md, /`momentum` \| 0/);
  });
  it('setting key with its resolved value', () => {
    assert.match(h(CONV, 'epochs'), /Resolved: `3`/);
  });
  it('dataset', () => {
    assert.match(h(CONV, 'Digits'), /8×8 handwritten digits/);
  });
  it('data declaration', () => {
    const text = 'data sp = Spiral(points=100)\nmodel M(x: [B, 2]) {\n  x |> Dense(3)\n}';
    const md = h(text, 'sp =');
    assert.match(md, /`points` \| 100/);
  });
  it('nothing on whitespace', () => {
    assert.equal(hover(check(CONV), F, 0, OPTS), undefined);
    assert.equal(hover(check('\n\n'), F, 1, OPTS), undefined);
  });
});

describe('hover: text from the file stays literal (untrusted markdown)', () => {
  /** The body of the first fenced code block, closed only by a fence at least as long. */
  function fenced(markdown: string): string | undefined {
    const lines = markdown.split('\n');
    const open = lines.findIndex((l) => /^`{3,}dlm$/.test(l));
    if (open < 0) return undefined;
    const n = /^`+/.exec(lines[open]!)![0].length;
    const close = lines.findIndex(
      (l, i) => i > open && new RegExp(`^ {0,3}\`{${n},}\\s*$`).test(l),
    );
    return close < 0 ? undefined : lines.slice(open + 1, close).join('\n');
  }
  const SIG = 'block B(x /*\n```\n[run](command:workbench.action.terminal.new)\n*/) -> x';
  const SRC = `${SIG} {\n  x\n}\nmodel M(x: [B, 4]) {\n  x |> B\n}\n`;

  it('a block comment with a fence inside a signature cannot close the code block', () => {
    for (const needle of ['B(x', 'B\n']) {
      const text = h(SRC, needle);
      assert.equal(fenced(text), SIG, text);
    }
  });

  it('a model signature keeps its comment inside the code block too', () => {
    const src = 'model M(x: [B, 4] /*\n````\n<img src=x> */) {\n  x |> Dense(2)\n}';
    const text = h(src, 'M(');
    assert.equal(fenced(text), 'model M(x: [B, 4] /*\n````\n<img src=x> */)', text);
  });

  it('doc comments are escaped: no HTML, links, images or emphasis', () => {
    const src = [
      '/// <img src="https://example.com/t.png"> [run](command:workbench.action.terminal.new)',
      '/// ![x](https://example.com/p.png) **bold** `code` # heading',
      'block B(x) -> x {',
      '  x',
      '}',
      'model M(x: [B, 4]) {',
      '  x |> B',
      '}',
    ].join('\n');
    for (const needle of ['B(x', 'B\n']) {
      const text = h(src, needle);
      assert.ok(
        text.includes(
          '\\<img src\\=\\"https\\:\\/\\/example\\.com\\/t\\.png\\"\\> \\[run\\]\\(command\\:',
        ),
        text,
      );
      assert.ok(text.includes('\\!\\[x\\]\\(https'), text);
      assert.ok(text.includes('\\*\\*bold\\*\\* \\`code\\` \\# heading'), text);
      assert.doesNotMatch(text, /(^|[^\\])<img/);
      assert.doesNotMatch(text, /(^|[^\\])\[run\]/);
    }
  });

  it("the user's strings are inline code in argument tables, and cannot split a row", () => {
    const src = `model M(x: [B, 4]) {\n  x |> Dense(2)\n}\ntrain M {\n  data = Csv("a|b <img src=x>.csv", target="y")\n  loss = MSE\n}`;
    const text = h(src, 'Csv');
    const row = text.split('\n').find((l) => l.startsWith('| `path`'));
    assert.ok(row, text);
    assert.match(row, /\| `"a\\\|b <img src=x>\.csv"` \|/);
    // three cells: the row splits only at unescaped pipes
    assert.equal(row.split(/(?<!\\)\|/).length, 5, row);
  });
});
