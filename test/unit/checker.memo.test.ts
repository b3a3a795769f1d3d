/**
 * The checker's memo tables that survive between checks (resolved arguments and shape-rule
 * results, keyed by content) never change a result: a check with warm tables equals a check with
 * empty ones, and a hit reports at the spans of the current text, not those of the first use.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { clearElaborationMemo, elaborationMemoSize } from '../../src/language/elaborate';
import { BoundedCache } from '../../src/language/memo';
import { checkText } from '../../src/language/program';
import { bigFile } from '../../bench/gen';
import { edit, exampleTexts as examples, libHost as host } from './helpers/edits';
import { snapshot } from './helpers/snapshot';

const PATH = '/ws/main.dlm';

/** A check of `text` with empty memo tables (which it leaves filled). */
const fresh = (text: string): unknown => {
  clearElaborationMemo();
  return snapshot(checkText(PATH, text, host));
};

describe('cross-check memo tables', () => {
  test('a check with warm tables equals one with empty tables, over random edits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.nat(3),
            fc.constantFrom(' ', '\n', '1', '2', 'x', ', stride=2', '|> ReLU ', '// c\n'),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (src, edits) => {
          let prev = checkText(PATH, src, host);
          let text = src;
          for (const [pos, del, ins] of edits) {
            text = edit(text, pos, del, ins);
            const warm = checkText(PATH, text, host, prev);
            assert.deepEqual(snapshot(warm), fresh(text));
            prev = warm;
          }
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  test('a memoized warning or shape error is reported at the current spans', () => {
    const body = `model A(x: [B, 1, 7, 7]) -> [B, 1, 3, 3] {
  x |> MaxPool2d(2)
}

model C(x: [B, 8]) {
  x |> Conv2d(4, 3)
}
`;
    const first = checkText(PATH, body, host);
    const codes = first.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('DLM103'), codes.join());
    assert.ok(first.diagnostics.some((d) => d.severity === 'error'));
    // The same calls, moved down by a comment and repeated in a new model: the memo hits.
    const moved = `// moved\n${body}\nmodel D(y: [B, 8]) {\n  y |> Conv2d(4, 3)\n}\n`;
    const again = checkText(PATH, moved, host, first);
    const warm = snapshot(again);
    assert.deepEqual(warm, fresh(moved));
    for (const d of again.diagnostics) {
      const at = moved.slice(d.span.start, d.span.end);
      assert.ok(/MaxPool2d|Conv2d|x|y|\d/.test(at), `${d.code} at '${at}'`);
    }
    const errs = again.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errs.length, 2);
    assert.notEqual(errs[0]!.span.start, errs[1]!.span.start);
  });

  test('the same argument text with different constants resolves separately', () => {
    const text = `block B(c: int)(x) { x |> Dense(c) }
model M(x: [B, 4]) -> [B, 5] {
  x |> B(3) |> B(5)
}
`;
    const r = checkText(PATH, text, host);
    assert.deepEqual(
      r.models[0]!.nodes.map((n) => n.label),
      ['Dense(3)', 'Dense(5)'],
    );
    assert.deepEqual(snapshot(r), fresh(text));
    // The same argument text where the name is a block parameter, then undefined: no shared entry.
    const s = `block S(mode: string)(x) { x |> Upsample(2, mode=mode) }
model N(x: [B, 4, 8, 8]) { x |> S("nearest") |> Upsample(2, mode=mode) }
`;
    const rs = checkText(PATH, s, host);
    assert.ok(rs.diagnostics.some((d) => d.code === 'DLM016'));
    assert.deepEqual(snapshot(rs), fresh(s));
  });

  test('the tables stay bounded', () => {
    const c = new BoundedCache<number, number>(4);
    for (let i = 0; i < 100; i++) c.set(i, i);
    assert.ok(c.size <= 8);
    // An entry used regularly survives while others come and go.
    const d = new BoundedCache<string, number>(4);
    d.set('keep', 1);
    for (let i = 0; i < 100; i++) {
      d.set(`k${i}`, i);
      assert.equal(d.get('keep'), 1);
    }
    checkText(PATH, bigFile(600), host);
    const size = elaborationMemoSize();
    assert.ok(size.args <= 2 * 4096 && size.infer <= 2 * 16_384);
  });
});
