/**
 * The checker never throws and answers in bounded time, whatever the input: mutations of every
 * example, token soups from the language's vocabulary, and random well-formed models with
 * random layer arguments (which exercise the shape rules' error paths).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layerNames } from '../../src/layers/catalog';
import { KEYWORDS } from '../../src/language/lexer';
import { checkText } from '../../src/language/program';
import { MAX_SUMMARY_ROWS, summarize } from '../../src/language/summary';
import { exampleTexts as examples, libHost as host } from './helpers/edits';
import { structuralArb } from './helpers/structural';

function checkBounded(text: string, withSummary = false): void {
  const t0 = process.cpuUsage();
  const r = checkText('/ws/fuzz.dlm', text, host);
  // The status bar asks for the summary right after opening a file: it must stay bounded too.
  if (withSummary)
    for (const m of r.models) {
      const s = summarize(m, { text });
      assert.ok(s.rows.length <= MAX_SUMMARY_ROWS, `${s.rows.length} summary rows`);
    }
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  // A termination bound, not a speed target (speed lives in bench/): this process's CPU time, so
  // that other work on a loaded machine does not count (wall-clock time did, and flaked).
  assert.ok(ms < 10_000, `check used ${ms.toFixed(0)} ms of CPU for ${text.length} chars`);
  for (const d of r.diagnostics) {
    assert.ok(d.code.startsWith('DLM'), d.code);
    assert.notEqual(d.code, 'DLM900', `internal error: ${d.message}\n--- input ---\n${text}`);
    if (d.file === '/ws/fuzz.dlm') {
      assert.ok(
        d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length,
        'span in range',
      );
    }
  }
}

const mutation = fc
  .tuple(
    fc.constantFrom(...examples),
    fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.string({ maxLength: 6 })), {
      minLength: 1,
      maxLength: 6,
    }),
  )
  .map(([src, edits]) => {
    let s = src;
    for (const [pos, del, ins] of edits) {
      const at = pos % (s.length + 1);
      s = s.slice(0, at) + ins + s.slice(at + del);
    }
    return s;
  });

const vocab = [
  ...KEYWORDS,
  'x',
  'h',
  'B',
  'C',
  'H',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '=',
  '|>',
  '->',
  '+',
  '-',
  '*',
  '/',
  '1',
  '3',
  '64',
  '0',
  '-1',
  '1e-3',
  '"same"',
  '"lib.dlm"',
  '\n',
  '///',
  '//',
  ...layerNames().slice(0, 30),
];
const soup = fc.array(fc.constantFrom(...vocab), { maxLength: 80 }).map((t) => t.join(' '));

const argValue = fc.oneof(
  fc.integer({ min: -3, max: 300 }).map(String),
  fc.constantFrom(
    '0.5',
    '1e-3',
    '"same"',
    '"valid"',
    '"causal"',
    'true',
    'false',
    '(3, 5)',
    '(2, 2, 2)',
    '(0, 2, 1)',
    '-1',
  ),
);
const stage = fc
  .tuple(fc.constantFrom(...layerNames()), fc.array(argValue, { maxLength: 3 }))
  .map(([name, args]) => (args.length ? `${name}(${args.join(', ')})` : name));
const shapes = fc.constantFrom(
  '[B, 3, 32, 32]',
  '[B, 784]',
  '[B, T, 64]',
  '[B, 16, L]',
  '[B, 1, 8, 8, 8]',
  '[B, T]',
  '[4, 2]',
);
const randomModel = fc
  .tuple(shapes, fc.array(stage, { minLength: 1, maxLength: 8 }))
  .map(([s, stages]) => `model M(x: ${s}) {\n  x |> ${stages.join('\n  |> ')}\n}\n`);

describe('checker fuzz', () => {
  test('mutated examples never throw', () => {
    fc.assert(
      fc.property(mutation, (s) => checkBounded(s)),
      { numRuns: 300, seed: 7 },
    );
  });
  test('token soups never throw', () => {
    fc.assert(
      fc.property(soup, (s) => checkBounded(s)),
      { numRuns: 400, seed: 11 },
    );
  });
  test('random layer stacks with random arguments never throw or hit an internal error', () => {
    fc.assert(
      fc.property(randomModel, (s) => checkBounded(s)),
      { numRuns: 600, seed: 13 },
    );
  });
  test('structural blow-ups (nesting, chains, repeats, doubling, dim products, pipelines) stay bounded', () => {
    fc.assert(
      fc.property(structuralArb, (s) => checkBounded(s, true)),
      { numRuns: 40, seed: 17 },
    );
  });
  test('pathological inputs stay bounded', () => {
    checkBounded('model M(x: [B, 4]) { x |> repeat 10000 Dense(4) }');
    checkBounded('('.repeat(5000));
    checkBounded('model M(x: [B, 4]) { x' + ' |> ReLU'.repeat(5000) + ' }');
    checkBounded('block A(x) { x |> B }\nblock B(x) { x |> A }\nmodel M(x: [B, 2]) { x |> A }');
    checkBounded('"'.repeat(3) + '/*');
  });
});
