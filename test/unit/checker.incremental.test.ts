/**
 * Incremental checking gives exactly the result of a full check: after random edits to the
 * examples and to a generated many-model file, checkText(new, previous) equals checkText(new).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkText } from '../../src/language/program';
import { bigFile } from '../../bench/gen';
import { edit, exampleTexts as examples, libHost as host } from './helpers/edits';
import { snapshot } from './helpers/snapshot';

const PATH = '/ws/main.dlm';

const insertions = fc.constantFrom(
  '',
  ' ',
  '\n',
  'x',
  '1',
  '|> ReLU ',
  '// note\n',
  '(',
  ')',
  'Dense(3)',
  '\n\n',
  'h = x\n',
  ',',
  '2',
);

describe('incremental checking', () => {
  test('random edits of every example give the same result as a full check', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.tuple(fc.nat(), fc.nat(4), insertions), { minLength: 1, maxLength: 4 }),
        (src, edits) => {
          let prev = checkText(PATH, src, host);
          let text = src;
          for (const [pos, del, ins] of edits) {
            text = edit(text, pos, del, ins);
            const inc = checkText(PATH, text, host, prev);
            const full = checkText(PATH, text, host);
            assert.deepEqual(snapshot(inc), snapshot(full));
            prev = inc;
          }
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });

  test('edits inside one model of a large file give the full-check result', () => {
    const big = bigFile(1200);
    let prev = checkText(PATH, big, host);
    let text = big;
    const anchors = [
      'Res(',
      'Dense(',
      'Dropout(0.1)',
      'stem = x',
      '(h, skip) |> Add',
      'epochs = 5',
    ];
    for (let i = 0; i < 12; i++) {
      const a = anchors[i % anchors.length]!;
      let at = -1;
      for (let k = 0; k <= i; k++) at = text.indexOf(a, at + 1);
      if (at < 0) at = text.indexOf(a);
      text = edit(text, at, 0, i % 3 === 0 ? '\n' : i % 3 === 1 ? ' ' : 'x');
      const inc = checkText(PATH, text, host, prev);
      assert.deepEqual(snapshot(inc), snapshot(checkText(PATH, text, host)));
      prev = inc;
    }
  });

  test('lint reports of reused models follow their train loss and shifted spans', () => {
    // Each model triggers a lint (Dense → Dense, Dropout → BatchNorm, Softmax before the loss).
    const models = [0, 1, 2, 3, 4, 5]
      .map(
        (i) => `/// m${i}
model L${i}(x: [B, 8]) -> [B, 4] {
  x |> Dense(16) |> Dense(8) |> Dropout(0.5) |> BatchNorm1d |> Dense(4) |> Softmax
}

train L${i} {
  data = Spiral(points=100, classes=4)
  loss = ${i % 2 ? 'NLL' : 'CrossEntropy'}
  optimizer = Adam(lr=1e-3)
}
`,
      )
      .join('\n');
    let prev = checkText(PATH, models, host);
    let text = models;
    const steps: [string, string][] = [
      ['loss = NLL', 'loss = CrossEntropy'],
      ['Dense(16)', 'Dense(17)'],
      ['/// m2', '/// m2 with a longer doc'],
      ['loss = CrossEntropy', 'loss = MSE'],
      ['|> Softmax\n}\n\ntrain L4', '|> LogSoftmax\n}\n\ntrain L4'],
      ['Dropout(0.5)', 'Dropout(0.25)'],
      ['loss = MSE', 'loss = NLL'],
    ];
    for (const [from, to] of steps) {
      const at = text.indexOf(from, text.length / 3);
      text =
        text.slice(0, at < 0 ? text.indexOf(from) : at) +
        to +
        text.slice((at < 0 ? text.indexOf(from) : at) + from.length);
      const inc = checkText(PATH, text, host, prev);
      assert.deepEqual(snapshot(inc), snapshot(checkText(PATH, text, host)));
      assert.ok(inc.diagnostics.some((d) => d.code.startsWith('DLM3')));
      prev = inc;
    }
  });

  test('an unchanged text reuses every model object', () => {
    const big = bigFile(600);
    const a = checkText(PATH, big, host);
    const b = checkText(PATH, big, host, a);
    assert.equal(b.models.length, a.models.length);
    assert.ok(b.models.every((m, i) => m === a.models[i]));
  });
});
