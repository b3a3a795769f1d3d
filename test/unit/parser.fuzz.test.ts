import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KEYWORDS } from '../../src/language/lexer';
import { parse, walk, type AstNode } from '../../src/language/parser';
import type { SourceFile } from '../../src/language/ast';
import { structuralArb } from './helpers/structural';

/** The depth of a syntax tree (iteratively: the tree is what is being tested). */
function treeDepth(f: SourceFile): number {
  const depth = new Map<AstNode, number>();
  let max = 0;
  walk(f, (node, parent) => {
    const d = parent ? depth.get(parent)! + 1 : 0;
    depth.set(node, d);
    max = Math.max(max, d);
  });
  return max;
}

const VALID = [
  `/// LeNet-5 (LeCun et al., 1998), classic 32×32 input.
model LeNet(x: [B, 1, 32, 32]) -> [B, 10] {
  x
  |> Conv2d(6, 5) |> Tanh |> AvgPool2d(2)     // [B, 6, 14, 14]
  |> Conv2d(16, 5) |> Tanh |> AvgPool2d(2)    // [B, 16, 5, 5]
  |> Flatten
  |> Dense(120) |> Tanh
  |> Dense(84) |> Tanh
  |> Dense(10)
}
`,
  `/// ResNet basic block.
block BasicBlock(c: int, stride: int = 1)(x: [B, C, H, W]) {
  h = x
    |> Conv2d(c, 3, stride=stride, padding=1, bias=false) |> BatchNorm2d |> ReLU
    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d
  skip = x
  if stride != 1 or C != c {
    skip = x |> Conv2d(c, 1, stride=stride, bias=false) |> BatchNorm2d
  } else { skip = x }
  (h, skip) |> Add |> ReLU
}
`,
  `import "blocks/resnet.dlm"
data spiral = Spiral(points=600, classes=3, noise=0.2, seed=1)
data houses = Csv("data/houses.csv", target="price", standardize=true)
model VAE(x: [B, 784]) -> (recon: [B, 784], mu: [B, 20]) {
  layer enc = Dense(64)
  h = x |> enc |> repeat 2 (Dense(64) |> ReLU)
  (x |> Tanh, x |> Sigmoid) |> Multiply
  return h |> Dense(784), h |> Dense(20)
}
train VAE {
  data = spiral
  loss = VAELoss(recon=1, beta=0.5e-1)
  optimizer = Adam(lr=1e-3)
  epochs = 1_000; batch = 0x40
  metrics = [accuracy, mse]
}
`,
];

const VOCAB = [
  ...KEYWORDS,
  'x',
  'h',
  'Dense',
  'Conv2d',
  'ReLU',
  'B',
  'c',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ';',
  '=',
  '|>',
  '->',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '64',
  '1_000',
  '0.5',
  '.5',
  '1e-3',
  '0x1F',
  '"s"',
  '"unterminated',
  '// c',
  '/* c */',
  '/* open',
  '///',
  '\n',
  ' ',
  '@',
  '\\',
  '"a\\"b"',
];

/** Checks the invariants every parse result must satisfy. */
function checkInvariants(text: string, f: SourceFile): void {
  const n = text.length;
  const inRange = (s: { start: number; end: number }, what: string): void => {
    assert.ok(
      Number.isInteger(s.start) &&
        Number.isInteger(s.end) &&
        0 <= s.start &&
        s.start <= s.end &&
        s.end <= n,
      `${what} span ${s.start}-${s.end} outside [0, ${n}]`,
    );
  };
  for (const e of f.errors) {
    inRange(e.span, `error ${e.code}`);
    assert.match(e.code, /^DLM0(0[123]|3[346])$/);
    assert.ok(e.message.length > 0);
  }
  for (const c of f.comments) inRange(c.span, 'comment');
  walk(f, (node, parent) => {
    if (!('span' in node)) return;
    inRange(node.span, 'kind' in node ? node.kind : 'node');
    if ('argsSpan' in node && node.argsSpan) inRange(node.argsSpan, 'argsSpan');
    if ('opSpan' in node) inRange(node.opSpan, 'opSpan');
    if (parent && 'span' in parent && !('doc' in parent && parent.doc === node)) {
      assert.ok(
        parent.span.start <= node.span.start && node.span.end <= parent.span.end,
        `child ${'kind' in node ? node.kind : ''} ${node.span.start}-${node.span.end} outside parent ${'kind' in parent ? parent.kind : ''} ${parent.span.start}-${parent.span.end}`,
      );
    }
  });
}

function parseChecked(text: string): SourceFile {
  const t0 = performance.now();
  const f = parse(text, 'file:///fuzz.dlm');
  const ms = performance.now() - t0;
  // A termination bound, not a speed target (speed lives in bench/): generous for loaded machines.
  assert.ok(ms < 5000, `parse took ${ms.toFixed(1)} ms for ${text.length} chars`);
  checkInvariants(text, f);
  return f;
}

const mutation = fc.oneof(
  fc.record({
    op: fc.constant('delete' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.constantFrom(...VOCAB) }),
  fc.record({
    op: fc.constant('insertChar' as const),
    at: fc.nat(),
    s: fc.string({ maxLength: 3 }),
  }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), b: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, ms: readonly Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length === 0 ? 0 : m.at % (t.length + 1);
    switch (m.op) {
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.len);
        break;
      case 'insert':
      case 'insertChar':
        t = t.slice(0, at) + m.s + t.slice(at);
        break;
      case 'swap': {
        if (t.length < 2) break;
        const i = Math.min(at, t.length - 1);
        const j = m.b % t.length;
        const [a, b] = i < j ? [i, j] : [j, i];
        if (a === b) break;
        t = t.slice(0, a) + t[b] + t.slice(a + 1, b) + t[a] + t.slice(b + 1);
        break;
      }
    }
  }
  return t;
}

describe('parser fuzz', () => {
  test('valid programs round-trip to zero errors', () => {
    for (const src of VALID) {
      const f = parseChecked(src);
      assert.deepEqual(f.errors, []);
      assert.ok(f.items.length > 0);
    }
  });

  test('random strings never break the parser', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        parseChecked(s);
      }),
      { numRuns: 400 },
    );
  });

  test('token soups from the language vocabulary', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...VOCAB), { maxLength: 300 }),
        fc.array(fc.constantFrom(' ', '\n', ''), { minLength: 300, maxLength: 300 }),
        (toks, seps) => {
          parseChecked(toks.map((t, i) => t + seps[i]!).join(''));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('mutations of valid programs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (src, ms) => {
          parseChecked(mutate(src, ms));
        },
      ),
      { numRuns: 600 },
    );
  });

  test('structural inputs (long chains, deep nesting) give shallow syntax trees', () => {
    // Every later pass (evaluation, hover, formatting) recurses over the tree.
    fc.assert(
      fc.property(structuralArb, (s) => {
        const depth = treeDepth(parseChecked(s));
        assert.ok(depth < 1500, `syntax tree ${depth} deep`);
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  test('large inputs (up to 20 KB) parse within the time bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...VOCAB), { minLength: 2000, maxLength: 6000 }),
        (toks) => {
          parseChecked(toks.join(' ').slice(0, 20_000));
        },
      ),
      { numRuns: 15 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { maxLength: 40 }), (src, ms) => {
        parseChecked(mutate(src.repeat(Math.ceil(20_000 / src.length)).slice(0, 20_000), ms));
      }),
      { numRuns: 15 },
    );
    // Pathological nesting and long chains.
    for (const s of [
      '('.repeat(20_000),
      '[('.repeat(10_000),
      `data d = ${'-'.repeat(19_000)}1`,
      `data d = ${'1+'.repeat(9_000)}1`,
      `model M(x) { x ${'|> repeat 2 '.repeat(1500)} }`,
      `model M(x) { ${'if a { '.repeat(2800)}`,
      `model M(x) { ${'x |> ('.repeat(3000)}`,
      '"'.repeat(20_000),
      '/*'.repeat(10_000),
      '\n'.repeat(20_000),
    ]) {
      parseChecked(s);
    }
  });
});
