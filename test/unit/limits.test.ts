/**
 * The checker's caps (docs/limits.md): each structural blow-up gets its diagnostic at the right
 * range instead of a stack overflow, an exponential blow-up or a silent rounding, and the
 * language server caches a failed check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  Dim,
  DimLimitError,
  MAX_DIM_TERMS,
  MAX_QUOTED_CHARS,
  quoteText,
  type Diagnostic,
} from '../../src/core';
import type { CheckResult } from '../../src/language/checked';
import { MAX_BLOCK_DEPTH, MAX_LAYER_INSTANCES } from '../../src/language/elaborate';
import { MAX_DEPTH, MAX_EXPR_OPERATORS, parse } from '../../src/language/parser';
import { MAX_LINT_WARNINGS, checkText, memoryHost } from '../../src/language/program';
import {
  MAX_SUMMARY_ROWS,
  SUMMARY_EXPAND_ROWS,
  formatSummaryText,
  summarize,
} from '../../src/language/summary';
import { uriToPath } from '../../src/server/host';
import { CheckCache } from '../../src/server/state';
import {
  blockChain,
  dimProduct,
  doublingBlocks,
  nestedRepeat,
  plusChain,
  repeatProduct,
  shapePlusChain,
} from './helpers/structural';

const host = memoryHost({}, '/ws');
const check = (text: string): CheckResult => checkText('/ws/a.dlm', text, host);
const codes = (r: CheckResult): string[] => r.diagnostics.map((d) => d.code);
const only = (r: CheckResult, code: string): Diagnostic => {
  const ds = r.diagnostics.filter((d) => d.code === code);
  assert.equal(ds.length, 1, `one ${code} in ${JSON.stringify(codes(r))}`);
  return ds[0]!;
};
const textAt = (text: string, d: Diagnostic): string => text.slice(d.span.start, d.span.end);

describe('dim size (DLM030)', () => {
  test('a product of many sums stops at MAX_DIM_TERMS instead of expanding 2^n terms', () => {
    let d = Dim.const(1);
    assert.throws(
      () => {
        for (let i = 0; i < 22; i++) d = d.mul(Dim.sym(`H${i}`).add(1));
      },
      (e: unknown) => e instanceof DimLimitError && e.limit === 'terms',
    );
    assert.ok(d.termCount() <= MAX_DIM_TERMS);
  });

  test('an input dim written as 22 factors is reported at the shape expression', () => {
    const text = dimProduct(22);
    const r = check(text);
    const d = only(r, 'DLM030');
    // The product up to the factor where it outgrew the limit (2^10 terms).
    assert.ok(/^\(?H0\+1\)\*\(H1\+1\)\*.*\(H9\+1\)?$/.test(textAt(text, d)), textAt(text, d));
    assert.ok(!codes(r).includes('DLM900'));
  });
});

describe('numbers (DLM036)', () => {
  test('Dense(1e309) is out of range, not an internal error', () => {
    const text = 'model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(1e309)\n}\n';
    const r = check(text);
    assert.ok(!codes(r).includes('DLM900'), JSON.stringify(r.diagnostics));
    assert.ok(r.diagnostics.some((d) => d.code === 'DLM036' && textAt(text, d) === '1e309'));
  });

  test('an integer above 2^53 is reported, not silently rounded', () => {
    const text = 'model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(9007199254740993)\n}\n';
    const r = check(text);
    const lit = r.diagnostics.find(
      (d) => d.code === 'DLM036' && textAt(text, d) === '9007199254740993',
    );
    assert.ok(lit, JSON.stringify(r.diagnostics));
    assert.match(lit.message, /would be rounded to 9007199254740992/);
    assert.deepEqual(
      parse('data d = 9007199254740991', 'u').errors.map((e) => e.code),
      [],
    );
  });

  test('integer arithmetic that leaves ±2^53 is reported where it happens', () => {
    const text = 'model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(4294967296 * 4294967296)\n}\n';
    const r = check(text);
    const d = r.diagnostics.find((x) => x.code === 'DLM036');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(textAt(text, d), '4294967296 * 4294967296');
  });

  test('a layer size beyond 2^53 (Dense(1e20)) gets DLM036 on the stage', () => {
    const text = 'model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(1e20)\n}\n';
    const d = only(check(text), 'DLM036');
    assert.equal(textAt(text, d), 'Dense(1e20)');
  });
});

describe('string values in messages', () => {
  test('a 1 MB string literal is cut in its diagnostic', () => {
    const big = 'a'.repeat(1_000_000);
    const text = `model M(x: [B, 1, 8, 8]) -> [B, 1, 8, 8] {\n  x |> Conv2d(1, 3, padding="${big}")\n}\n`;
    const r = check(text);
    assert.ok(r.diagnostics.length > 0);
    for (const d of r.diagnostics)
      assert.ok(d.message.length < 400, `${d.code}: ${d.message.length}`);
    assert.ok(r.diagnostics.some((d) => d.message.includes('(1,000,000 characters)')));
  });

  test('quoteText keeps short strings whole and never splits a surrogate pair', () => {
    assert.equal(quoteText('same'), '"same"');
    const q = quoteText('x'.repeat(79) + '😀' + 'y'.repeat(10));
    assert.ok(!q.includes('\ud83d"'), q);
  });
});

describe('expression length and nesting (DLM034, DLM033)', () => {
  test('a 10,000-term 1 + 1 + … attribute is one DLM034 over the expression', () => {
    const text = plusChain(10_000);
    const r = check(text);
    const d = only(r, 'DLM034');
    assert.equal(textAt(text, d), Array(10_000).fill('1').join(' + '));
    assert.match(d.message, new RegExp(`more than ${MAX_EXPR_OPERATORS} operators`));
  });

  test('a 10,000-term [B, H + H + …] shape is one DLM034', () => {
    const r = check(shapePlusChain(10_000));
    only(r, 'DLM034');
    assert.ok(!codes(r).includes('DLM900'));
  });

  test('a chain at the limit is still evaluated', () => {
    const text = plusChain(MAX_EXPR_OPERATORS + 1); // MAX_EXPR_OPERATORS operators
    const r = check(text.replace('-> [B, 8]', `-> [B, ${MAX_EXPR_OPERATORS + 1}]`));
    assert.deepEqual(codes(r), []);
  });
});

describe('block nesting (DLM032)', () => {
  test('700 chained blocks stop at MAX_BLOCK_DEPTH with one diagnostic', () => {
    const text = blockChain(700);
    const r = check(text);
    const d = only(r, 'DLM032');
    assert.equal(textAt(text, d), `B${MAX_BLOCK_DEPTH}`);
    assert.match(d.message, new RegExp(`more than ${MAX_BLOCK_DEPTH} calls deep`));
  });

  test('a chain within the limit checks clean', () => {
    assert.deepEqual(codes(check(blockChain(MAX_BLOCK_DEPTH - 1))), []);
  });
});

describe('layer instances (DLM031) and lint warnings (DLM035)', () => {
  test('repeat 2 nested 30 times stops at MAX_LAYER_INSTANCES', () => {
    const text = nestedRepeat(30);
    const r = check(text);
    const d = only(r, 'DLM031');
    assert.ok(textAt(text, d).startsWith('repeat 2'), textAt(text, d));
    assert.ok(r.models[0]!.nodes.length <= MAX_LAYER_INSTANCES);
    assert.equal(r.models[0]!.ok, false);
  });

  test('repeat 10000 repeat 14 Dense(64): one DLM031, each lint once', () => {
    const text = repeatProduct(10_000, 14);
    const r = check(text);
    only(r, 'DLM031');
    // Every instance of the inner Dense triggers DLM300 at the same place: reported once.
    assert.equal(r.diagnostics.filter((d) => d.code === 'DLM300').length, 1);
  });

  test('40 doubling blocks stop at the limit (template clones included)', () => {
    const r = check(doublingBlocks(40));
    only(r, 'DLM031');
    assert.ok(r.models[0]!.nodes.length <= MAX_LAYER_INSTANCES);
  });

  test('more distinct lint warnings than MAX_LINT_WARNINGS end in one DLM035 note', () => {
    const n = MAX_LINT_WARNINGS + 50;
    const text = `model M(x: [B, 8]) -> [B, 8] {\n  x${'\n    |> Dense(8)'.repeat(n + 1)}\n}\n`;
    const r = check(text);
    assert.equal(r.diagnostics.filter((d) => d.code === 'DLM300').length, MAX_LINT_WARNINGS);
    const note = only(r, 'DLM035');
    assert.equal(textAt(text, note), 'M');
    assert.match(note.message, /50 more lint warnings/);
  });
});

describe('summary of repeated structure', () => {
  test('doubling blocks: repeated instances are summarized once, totals stay whole', () => {
    const r = check(doublingBlocks(40));
    const m = r.models[0]!;
    const s = summarize(m, { text: doublingBlocks(40) });
    assert.ok(s.rows.length <= MAX_SUMMARY_ROWS);
    assert.ok(JSON.stringify(s).length < 1_000_000);
    const same = s.rows.filter((x) => x.sameAs !== undefined);
    assert.ok(same.length > 0);
    for (const x of same) {
      const first = s.rows.find((y) => y.id === x.sameAs);
      assert.ok(first, `sameAs ${x.sameAs} is listed`);
      assert.equal(first.label, x.label);
      assert.deepEqual(first.params, x.params);
    }
    assert.equal(s.totals.total, m.totals.trainable + m.totals.nonTrainable);
    // Listed rows plus omitted ones account for every layer and group.
    assert.equal(s.rows.length + (s.omittedRows ?? 0), m.nodes.length + m.groups.length);
    // Top-level rows sum to the totals, collapsed or not.
    const top = s.rows.filter((x) => x.depth === 0);
    assert.equal(
      top.reduce((a, x) => a + x.params.trainable, 0),
      s.totals.trainable,
    );
    assert.match(formatSummaryText(s), /rows are not listed/);
  });

  test('a wide repeat lists at most MAX_SUMMARY_ROWS rows', () => {
    const text = repeatProduct(10_000, 14);
    const s = summarize(check(text).models[0]!, { text });
    assert.ok(s.rows.length <= MAX_SUMMARY_ROWS);
    assert.ok((s.omittedRows ?? 0) > 0);
  });

  test('small models list every row, without sameAs', () => {
    const text =
      'block R(x: [B, 8]) -> [B, 8] {\n  x |> Dense(8) |> ReLU\n}\nmodel M(x: [B, 8]) -> [B, 8] {\n  x |> R |> R |> repeat 3 R\n}\n';
    const s = summarize(check(text).models[0]!, { text });
    assert.equal(s.omittedRows, undefined);
    assert.ok(s.rows.every((x) => x.sameAs === undefined));
    assert.equal(s.rows.filter((x) => x.kind === 'layer').length, 10);
  });
});

describe('failed checks', () => {
  test('the server caches a check that threw, with a DLM900 diagnostic', () => {
    let calls = 0;
    const cache = new CheckCache(
      host,
      () => {
        calls++;
        throw new RangeError('Maximum call stack size exceeded');
      },
      () => undefined,
      uriToPath,
    );
    const doc = TextDocument.create('file:///ws/a.dlm', 'dlm', 1, 'model M(x: [B, 8]) {\n}\n');
    const r1 = cache.get(doc);
    const r2 = cache.get(doc);
    assert.equal(calls, 1);
    assert.equal(r1, r2);
    assert.deepEqual(
      r1?.diagnostics.map((d) => [d.code, d.span.start, d.span.end]),
      [['DLM900', 0, 20]],
    );
    assert.match(r1!.diagnostics[0]!.message, /Maximum call stack size exceeded/);
  });
});

describe('docs/limits.md', () => {
  test('lists every cap with its current value and code', () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/limits.md'), 'utf8');
    const row = (needle: string): string => {
      const line = doc.split('\n').find((l) => l.startsWith('|') && l.includes(needle));
      assert.ok(line, `a table row with ${needle}`);
      return line;
    };
    const n = (x: number): string => x.toLocaleString('en-US');
    for (const [code, value] of [
      ['DLM030', MAX_DIM_TERMS],
      ['DLM031', MAX_LAYER_INSTANCES],
      ['DLM032', MAX_BLOCK_DEPTH],
      ['DLM033', MAX_DEPTH],
      ['DLM034', MAX_EXPR_OPERATORS],
      ['DLM035', MAX_LINT_WARNINGS],
    ] as const)
      assert.ok(row(`**${code}**`).includes(`| ${n(value)} `), `${code} row shows ${n(value)}`);
    assert.ok(row('**DLM036**').includes(n(Number.MAX_SAFE_INTEGER)));
    assert.ok(row('quoted in a message').includes(`| ${MAX_QUOTED_CHARS} characters`));
    assert.ok(doc.includes(`up to ${n(SUMMARY_EXPAND_ROWS)} rows`));
    assert.ok(doc.includes(`at most ${n(MAX_SUMMARY_ROWS)}`));
  });
});
