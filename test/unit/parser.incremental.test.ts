/**
 * Incremental parsing: `reparse(old, new, edit)` either declines (undefined) or gives exactly the
 * tree of a full `parse(new)`, over random edit sequences of the examples and a large generated
 * file. It must also actually apply to ordinary edits inside one item.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { SourceFile } from '../../src/language/ast';
import { editRegion, parse, reparse } from '../../src/language/parser';
import { bigFile } from '../../bench/gen';
import { edit, exampleTexts as examples } from './helpers/edits';

const URI = '/ws/main.dlm';

const plain = (f: SourceFile): unknown => ({
  text: f.text,
  items: f.items,
  errors: f.errors,
  comments: f.comments,
});

/** Reparse when possible, check it against the full parse; returns the tree and whether reused. */
function step(old: SourceFile, text: string): { file: SourceFile; reused: boolean } {
  const full = parse(text, URI);
  const inc = reparse(old, text, editRegion(old.text, text));
  if (inc) assert.deepEqual(plain(inc), plain(full));
  return { file: inc ?? full, reused: inc !== undefined };
}

const insertions = fc.constantFrom(
  '',
  ' ',
  '\n',
  'x',
  '1',
  '|> ReLU ',
  '// note\n',
  '/// doc\n',
  '/*',
  '"',
  '(',
  ')',
  '}',
  '{',
  'Dense(3)',
  '\n\n',
  'h = x\n',
  'model M(x: [B, 2]) { x }\n',
  ',',
  '2',
);

describe('incremental parsing', () => {
  test('random edits of every example: reparse equals a full parse', () => {
    let reused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.tuple(fc.nat(), fc.nat(6), insertions), { minLength: 1, maxLength: 5 }),
        (src, edits) => {
          let file = parse(src, URI);
          let text = src;
          for (const [pos, del, ins] of edits) {
            text = edit(text, pos, del, ins);
            const r = step(file, text);
            if (r.reused) reused++;
            file = r.file;
          }
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    assert.ok(reused > 50, `reparse applied only ${reused} times`);
  });

  test('edits throughout a large file: reparse applies and equals a full parse', () => {
    let text = bigFile(1500);
    let file = parse(text, URI);
    let reused = 0;
    // [anchor, offset in it, characters deleted, inserted]: syntax-preserving edits, and every
    // sixth step a syntax error that the next step removes again.
    const edits: [string, number, number, string][] = [
      ['Dense(64)', 6, 0, '1'],
      ['stride=stride', 7, 0, ' '],
      ['epochs = 5', 10, 0, '0'],
      ['/// Generated', 3, 0, ' x'],
      ['    |> ReLU', 0, 0, '\n'],
      ['Res(', 0, 0, 'x'],
    ];
    for (let i = 0; i < 60; i++) {
      let next: string;
      if (i % 6 === 5) {
        const at = text.indexOf('|> Dropout', (i * 997) % text.length);
        next = edit(text, at < 0 ? 0 : at, 0, '((');
        const broken = step(file, next);
        assert.ok(!broken.reused || broken.file.errors.length === 0);
        next = text; // undo
        file = broken.file;
      } else {
        const [a, off, del, ins] = edits[i % edits.length]!;
        let at = text.indexOf(a, (i * 7919) % text.length);
        if (at < 0) at = text.indexOf(a);
        next = edit(text, at + off, del, ins);
      }
      const r = step(file, next);
      if (r.reused) reused++;
      file = r.file;
      text = next;
    }
    assert.ok(reused >= 30, `reparse applied only ${reused} of 60 times`);
  });

  test('a same-length edit keeps every other item object', () => {
    const text = bigFile(300);
    const file = parse(text, URI);
    const at = text.indexOf('Dense(64)', text.length / 2) + 6;
    const next = text.slice(0, at) + '65' + text.slice(at + 2);
    const inc = reparse(file, next, editRegion(text, next));
    assert.ok(inc);
    const changed = inc.items.filter((it, i) => it !== file.items[i]);
    assert.equal(changed.length, 1);
  });

  test('a length-changing edit keeps the items before and shifts the items after', () => {
    const text = bigFile(300);
    const file = parse(text, URI);
    // Inside the shared block (the first item) and in a model in the middle.
    for (const [anchor, ins] of [
      ['padding=1', ' '],
      ['Dense(64)', '\n  // note\n'],
    ] as const) {
      const at = text.indexOf(anchor, anchor === 'Dense(64)' ? text.length / 2 : 0);
      const next = text.slice(0, at) + ins + text.slice(at);
      const inc = reparse(file, next, editRegion(text, next));
      assert.ok(inc);
      assert.deepEqual(plain(inc), plain(parse(next, URI)));
      const k = inc.items.findIndex((it, i) => it !== file.items[i]);
      assert.ok(k >= 0 && inc.items[k]!.span.start <= at && at <= inc.items[k]!.span.end);
      // Every later item is a copy at its new offset.
      for (let i = k + 1; i < inc.items.length; i++)
        assert.equal(inc.items[i]!.span.start, file.items[i]!.span.start + ins.length);
    }
  });
});
