import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { format } from '../../src/ide/format';
import { parse } from '../../src/language/parser';

/** The tree without spans (and without the file text/comments), as a string. */
function shape(text: string): string {
  return JSON.stringify(parse(text, 'x.dlm').items, (k, v) =>
    k === 'span' || k === 'argsSpan' || k === 'opSpan' ? undefined : v,
  );
}

const files = [
  ...readdirSync('examples')
    .filter((f) => f.endsWith('.dlm'))
    .map((f) => `examples/${f}`),
  'examples/broken/lenet_wrong_in.dlm',
];

describe('format: examples', () => {
  for (const f of files)
    it(`${f}: idempotent and meaning-preserving`, () => {
      const text = readFileSync(f, 'utf8');
      const once = format(text);
      assert.equal(format(once), once);
      assert.equal(shape(once), shape(text));
      assert.ok(once.endsWith('\n'));
      assert.ok(!/[ \t]+$/m.test(once));
    });
});

describe('format: rules', () => {
  it('normalizes spacing and indentation', () => {
    const src =
      'model   M( x:[B,2] )->[B,3]{\n      h=x|>Dense( 3,bias = false )|>ReLU\n\n\n\n  h\n|> Dense(3)   \n}';
    assert.equal(
      format(src),
      'model M(x: [B, 2]) -> [B, 3] {\n  h = x |> Dense(3, bias=false) |> ReLU\n\n  h\n    |> Dense(3)\n}\n',
    );
  });
  it('keeps comments verbatim and block param defaults spaced', () => {
    const src =
      '// head\nblock K(c: int=2)(x) {\n  x |> Dense(c)   // tail  \n  /* a\n   b */\n}\n';
    const out = format(src);
    assert.match(out, /block K\(c: int = 2\)\(x\) \{/);
    assert.match(out, /x \|> Dense\(c\) {3}\/\/ tail\n/);
    assert.match(out, /\/\* a\n\s{3}b \*\//);
  });
  it('unary minus stays tight, binary minus spaced', () => {
    const out = format('model M(x: [B, 2*H+1]) {\n  x |> Select(axis=1, index=-1)\n}\n');
    assert.match(out, /\[B, 2 \* H \+ 1\]/);
    assert.match(out, /index=-1/);
  });
  it('refuses files with syntax errors', () => {
    const bad = 'model M(x: [B, 2]) {\n  x |> Dense(3\n}';
    assert.equal(format(bad), bad);
  });
  it('train sections', () => {
    assert.equal(
      format('train M{\ndata=mnist\n  optimizer=Adam(lr=1e-3)\nmetrics=[accuracy]}'),
      'train M {\n  data = mnist\n  optimizer = Adam(lr=1e-3)\n  metrics = [accuracy] }\n',
    );
  });
});

describe('format: property test', () => {
  const ident = fc.constantFrom('x', 'h', 'y', 'skip', 'z');
  const layer = fc.constantFrom(
    'ReLU',
    'Dense(3)',
    'Dense( 4 ,bias=false)',
    'Conv2d(8,3, padding = 1)',
    'repeat 2 Dense(2)',
    '(Dense(2) |> Tanh)',
    'Select(axis=1,index= -1)',
  );
  const ws = fc.constantFrom(' ', '  ', '\t', '');
  const sep = fc.constantFrom(' |> ', '|>', '\n    |> ', '\n|>');
  const stmt = fc
    .tuple(ident, ws, ident, fc.array(fc.tuple(sep, layer), { minLength: 0, maxLength: 4 }))
    .map(([a, w, b, stages]) => `${a}${w}=${w}${b}${stages.map(([s, l]) => s + l).join('')}`);
  const comment = fc.constantFrom('', '  // note', ' /* c */');
  const program = fc
    .tuple(
      fc.array(fc.tuple(stmt, comment), { minLength: 1, maxLength: 5 }),
      fc.constantFrom('\n', '\n\n', '\n\n\n'),
      fc.constantFrom('model', 'block'),
    )
    .map(
      ([stmts, nl, kw]) =>
        `/// doc\n${kw} M${kw === 'block' ? '(c: int = 1)' : ''}(x: [B, 2]) {${nl}${stmts.map(([s, c]) => '  ' + s + c).join(nl)}\n  x\n}\n`,
    );
  it('is idempotent and preserves the tree', () => {
    fc.assert(
      fc.property(program, (src) => {
        if (parse(src, 'p.dlm').errors.length) return;
        const once = format(src);
        assert.equal(format(once), once);
        assert.equal(shape(once), shape(src));
      }),
      { numRuns: 300 },
    );
  });
});
