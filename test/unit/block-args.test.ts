/**
 * Block arguments bind through resolveCallArgs, the path layer arguments take: the same codes,
 * spans and quick fixes, and defaults that read earlier parameters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult } from '../../src/language/checked';
import { checkFile, memoryHost } from '../../src/language/program';

const BLOCK = `block Unit(width: int, rate: float = 0.1, wide: int = width * 2)(x: [B, F]) {
  x |> Dense(wide) |> Dropout(rate) |> Dense(width)
}
`;

function check(call: string): { r: CheckResult; text: string } {
  const text = `${BLOCK}model M(x: [B, 8]) {\n  x |> ${call}\n}\n`;
  return { r: checkFile('/ws/m.dlm', memoryHost({ '/ws/m.dlm': text }, '/ws')), text };
}

const errors = (r: CheckResult) => r.diagnostics.filter((d) => d.severity === 'error');

test('positional, keyword and default arguments bind; a default reads an earlier parameter', () => {
  const { r } = check('Unit(16, rate=0.2)');
  assert.deepEqual(errors(r), []);
  const dense = r.models[0]!.nodes.filter((n) => n.def.name === 'Dense');
  assert.deepEqual(
    dense.map((n) => n.attrs['out']),
    [32, 16],
  );
  assert.equal(r.models[0]!.groups[0]!.label, 'Unit(width=16, rate=0.2)');
});

test('an unknown parameter is DLM011 on its name, with a did-you-mean fix', () => {
  const { r, text } = check('Unit(16, rat=0.2)');
  const d = errors(r).find((x) => x.code === 'DLM011')!;
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.equal(text.slice(d.span.start, d.span.end), 'rat');
  assert.match(d.message, /block Unit has no parameter rat; did you mean rate\?/);
  assert.equal(d.fixes?.[0]?.edits[0]?.newText, 'rate');
});

test('a wrong type is DLM012 at the argument; a missing parameter is DLM013 at the call', () => {
  const t = check('Unit(2.5)');
  const d = errors(t.r).find((x) => x.code === 'DLM012')!;
  assert.equal(t.text.slice(d.span.start, d.span.end), '2.5');
  const m = check('Unit(rate=0.2)');
  const missing = errors(m.r).find((x) => x.code === 'DLM013')!;
  assert.match(missing.message, /block Unit is missing its required parameter width/);
  assert.equal(m.text.slice(missing.span.start, missing.span.end), 'Unit');
});

test('too many, doubly given and positional-after-keyword arguments are DLM014, as for layers', () => {
  for (const call of ['Unit(16, 0.2, 4, 5)', 'Unit(16, width=16)', 'Unit(width=16, 0.2)']) {
    const { r } = check(call);
    assert.deepEqual(
      errors(r).map((d) => d.code),
      ['DLM014'],
      `${call}: ${JSON.stringify(r.diagnostics.map((d) => d.message))}`,
    );
  }
});
