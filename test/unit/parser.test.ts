import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../src/language/lexer';
import { parse, walk, nodeAt, forEachChild, type AstNode } from '../../src/language/parser';
import type {
  BlockItem,
  CallExpr,
  DataItem,
  Expr,
  ImportItem,
  LayerStage,
  ModelItem,
  NumberLit,
  Pipeline,
  SourceFile,
  Stmt,
  TrainItem,
} from '../../src/language/ast';

// ---------------------------------------------------------------- helpers

function ok(text: string): SourceFile {
  const f = parse(text, 'file:///t.dlm');
  assert.deepEqual(
    f.errors.map((e) => `${e.code} ${e.message}`),
    [],
    'expected no errors',
  );
  return f;
}
function slice(text: string, s: { start: number; end: number }): string {
  return text.slice(s.start, s.end);
}
function model(f: SourceFile, i = 0): ModelItem {
  const it = f.items[i]!;
  assert.equal(it.kind, 'Model');
  return it as ModelItem;
}
function pipelineOf(s: Stmt): Pipeline {
  if (s.kind === 'Bind' || s.kind === 'ExprStmt') return s.value;
  assert.fail(`not a pipeline statement: ${s.kind}`);
}
/** Source text of every stage in a pipeline. */
function stageTexts(text: string, p: Pipeline): string[] {
  return p.stages.map((s) => slice(text, s.span));
}
function firstData(text: string): Expr {
  const f = ok(text);
  return (f.items[0] as DataItem).value;
}

// ---------------------------------------------------------------- spec examples

const LENET = `/// LeNet-5 (LeCun et al., 1998), classic 32×32 input.
model LeNet(x: [B, 1, 32, 32]) -> [B, 10] {
  x
  |> Conv2d(6, 5) |> Tanh |> AvgPool2d(2)     // [B, 6, 14, 14]
  |> Conv2d(16, 5) |> Tanh |> AvgPool2d(2)    // [B, 16, 5, 5]
  |> Flatten
  |> Dense(120) |> Tanh
  |> Dense(84) |> Tanh
  |> Dense(10)
}
`;

const BASIC_BLOCK = `/// ResNet basic block.
block BasicBlock(c: int, stride: int = 1)(x: [B, C, H, W]) {
  h = x
    |> Conv2d(c, 3, stride=stride, padding=1, bias=false) |> BatchNorm2d |> ReLU
    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d
  skip = x
  if stride != 1 or C != c {
    skip = x |> Conv2d(c, 1, stride=stride, bias=false) |> BatchNorm2d
  }
  (h, skip) |> Add |> ReLU
}
`;

const DATA = `data spiral = Spiral(points=600, classes=3, noise=0.2, seed=1)
data mnist  = Idx(images="data/train-images-idx3-ubyte.gz", labels="data/train-labels-idx1-ubyte.gz")
data houses = Csv("data/houses.csv", target="price", standardize=true)
`;

const TRAIN = `train LeNet {
  data = mnist
  loss = CrossEntropy(label_smoothing=0.1)
  optimizer = Adam(lr=1e-3)
  epochs = 10
  batch = 64
  validation = 0.1
  seed = 42
  early_stopping = 3            // patience in epochs, on validation loss
  schedule = Cosine(t_max=10)
  clip = 1.0                    // global gradient-norm clipping
  metrics = [accuracy]
}
`;

const MULTI = `model M(x: [B, 8]) {
  (h, skip) |> Add                  // residual
  (up, enc2) |> Concat(axis=1)      // U-Net skip
  (t, s) |> Multiply                // WaveNet gate
  (q, kv, kv) |> MultiHeadAttention(64, heads=4)
  (x |> Tanh, x |> Sigmoid) |> Multiply
}
`;

export const VALID_PROGRAMS = [LENET, BASIC_BLOCK, DATA, TRAIN, MULTI];

describe('spec examples', () => {
  test('LeNet: one pipeline across lines, doc comment, signature', () => {
    const f = ok(LENET);
    const m = model(f);
    assert.equal(m.name.name, 'LeNet');
    assert.equal(slice(LENET, m.name.span), 'LeNet');
    assert.equal(m.doc?.text, 'LeNet-5 (LeCun et al., 1998), classic 32×32 input.');
    assert.equal(m.inputs.length, 1);
    assert.equal(m.inputs[0]!.name.name, 'x');
    assert.equal(slice(LENET, m.inputs[0]!.shape!.span), '[B, 1, 32, 32]');
    assert.equal(m.outputs.length, 1);
    assert.equal(m.outputs[0]!.name.name, '');
    assert.equal(slice(LENET, m.outputs[0]!.shape!.span), '[B, 10]');
    assert.equal(m.body.stmts.length, 1);
    const p = pipelineOf(m.body.stmts[0]!);
    assert.equal(p.source.kind, 'Name');
    assert.deepEqual(stageTexts(LENET, p), [
      'Conv2d(6, 5)',
      'Tanh',
      'AvgPool2d(2)',
      'Conv2d(16, 5)',
      'Tanh',
      'AvgPool2d(2)',
      'Flatten',
      'Dense(120)',
      'Tanh',
      'Dense(84)',
      'Tanh',
      'Dense(10)',
    ]);
    assert.equal(f.comments.length, 3);
    assert.equal(f.comments[0]!.doc, true);
    assert.equal(f.comments[1]!.doc, false);
  });

  test('VAE signature with named outputs', () => {
    const src = 'model VAE(x: [B, 784]) -> (recon: [B, 784], mu: [B, 20], logvar: [B, 20]) { x }';
    const m = model(ok(src));
    assert.deepEqual(
      m.outputs.map((o) => o.name.name),
      ['recon', 'mu', 'logvar'],
    );
    assert.equal(slice(src, m.outputs[1]!.span), 'mu: [B, 20]');
    assert.equal(slice(src, m.outputs[1]!.name.span), 'mu');
  });

  test('unnamed tuple outputs get empty zero-width names', () => {
    const src = 'model M(x) -> ([B,1], [B,2]) { return x, x }';
    const m = model(ok(src));
    assert.equal(m.outputs.length, 2);
    for (const o of m.outputs) {
      assert.equal(o.name.name, '');
      assert.equal(o.name.span.start, o.name.span.end);
      assert.equal(o.name.span.start, o.shape!.span.start);
    }
    assert.equal(m.body.stmts[0]!.kind, 'Return');
  });

  test('model without output list', () => {
    const m = model(ok('model M(x: [B, 2]) { x |> Dense(3) }'));
    assert.deepEqual(m.outputs, []);
  });

  test('ResNet basic block: params, inputs, bindings, if, tuple source', () => {
    const f = ok(BASIC_BLOCK);
    const b = f.items[0] as BlockItem;
    assert.equal(b.kind, 'Block');
    assert.equal(b.doc?.text, 'ResNet basic block.');
    assert.deepEqual(
      b.params.map((p) => [
        p.name.name,
        p.type?.name,
        p.default && slice(BASIC_BLOCK, p.default.span),
      ]),
      [
        ['c', 'int', undefined],
        ['stride', 'int', '1'],
      ],
    );
    assert.equal(b.inputs.length, 1);
    assert.equal(slice(BASIC_BLOCK, b.inputs[0]!.shape!.span), '[B, C, H, W]');
    const kinds = b.body.stmts.map((s) => s.kind);
    assert.deepEqual(kinds, ['Bind', 'Bind', 'If', 'ExprStmt']);
    const h = b.body.stmts[0]!;
    assert.equal(h.kind, 'Bind');
    assert.equal(pipelineOf(h).stages.length, 5);
    const iff = b.body.stmts[2]!;
    assert.ok(iff.kind === 'If');
    assert.equal(slice(BASIC_BLOCK, iff.cond.span), 'stride != 1 or C != c');
    assert.ok(iff.cond.kind === 'Binary' && iff.cond.op === 'or');
    assert.equal(iff.then.stmts.length, 1);
    const last = pipelineOf(b.body.stmts[3]!);
    assert.ok(last.source.kind === 'SourceTuple');
    assert.equal(last.source.items.length, 2);
    assert.equal(slice(BASIC_BLOCK, last.source.span), '(h, skip)');
  });

  test('block with one parameter group: it is the input list', () => {
    const b = ok('block Stem(x) { x |> ReLU }').items[0] as BlockItem;
    assert.deepEqual(b.params, []);
    assert.deepEqual(
      b.inputs.map((i) => i.name.name),
      ['x'],
    );
  });

  test('block with outputs', () => {
    const src = 'block Head(n: int)(x: [B, F]) -> [B, n] { x |> Dense(n) }';
    const b = ok(src).items[0] as BlockItem;
    assert.equal(b.params[0]!.name.name, 'n');
    assert.equal(slice(src, b.outputs[0]!.shape!.span), '[B, n]');
  });

  test('multi-input stages and tuple of pipelines', () => {
    const f = ok(MULTI);
    const stmts = model(f).body.stmts;
    assert.equal(stmts.length, 5);
    const tup = pipelineOf(stmts[4]!).source;
    assert.ok(tup.kind === 'SourceTuple');
    assert.deepEqual(
      tup.items.map((p) => slice(MULTI, p.span)),
      ['x |> Tanh', 'x |> Sigmoid'],
    );
    const mha = pipelineOf(stmts[3]!).stages[0] as LayerStage;
    assert.equal(mha.args!.length, 2);
    assert.equal(mha.args![1]!.name!.name, 'heads');
  });

  test('data declarations', () => {
    const f = ok(DATA);
    assert.equal(f.items.length, 3);
    const d = f.items[2] as DataItem;
    assert.equal(d.name.name, 'houses');
    const c = d.value as CallExpr;
    assert.equal(c.kind, 'Call');
    assert.equal(c.callee.name, 'Csv');
    assert.equal(slice(DATA, c.argsSpan), '("data/houses.csv", target="price", standardize=true)');
    assert.equal(c.args[0]!.value.kind, 'String');
    assert.equal(c.args[2]!.value.kind, 'Bool');
  });

  test('train section: settings, including the keyword key `data`', () => {
    const f = ok(TRAIN);
    const t = f.items[0] as TrainItem;
    assert.equal(t.kind, 'Train');
    assert.equal(t.model.name, 'LeNet');
    const keys = t.body.stmts.map((s) => (s.kind === 'Setting' ? s.key.name : s.kind));
    assert.deepEqual(keys, [
      'data',
      'loss',
      'optimizer',
      'epochs',
      'batch',
      'validation',
      'seed',
      'early_stopping',
      'schedule',
      'clip',
      'metrics',
    ]);
    const metrics = t.body.stmts[10]!;
    assert.ok(metrics.kind === 'Setting' && metrics.value.kind === 'List');
  });

  test('imports', () => {
    const f = ok('import "blocks/resnet.dlm"\nimport "a.dlm"');
    const i = f.items[0] as ImportItem;
    assert.ok(i.path.kind === 'String');
    assert.equal(i.path.value, 'blocks/resnet.dlm');
    assert.equal(f.items.length, 2);
  });

  test('every spec code block without "..." parses without errors', () => {
    // Standalone snippets (a pipeline, a list of tuples) are wrapped in a model body.
    for (const src of VALID_PROGRAMS) ok(src);
    ok('model M(x) {\n  x |> Conv2d(64, 3, padding=1) |> ReLU |> MaxPool2d(2)\n}');
  });
});

// ---------------------------------------------------------------- statements and stages

describe('statements and stages', () => {
  test('layer declaration and shared use', () => {
    const src = 'model M(x) {\n  layer enc = Dense(64)\n  a = x |> enc\n  b = a |> enc\n  b\n}';
    const s = model(ok(src)).body.stmts;
    assert.ok(s[0]!.kind === 'LayerDecl');
    assert.equal(s[0]!.name.name, 'enc');
    assert.equal(slice(src, s[0]!.value.span), 'Dense(64)');
    assert.equal(slice(src, s[0]!.span), 'layer enc = Dense(64)');
  });

  test('repeat and group stages', () => {
    const src =
      'model M(x) { x |> repeat 3 (Conv2d(64, 3, padding=1) |> ReLU) |> repeat n * 2 Dense(4) }';
    const p = pipelineOf(model(ok(src)).body.stmts[0]!);
    const r = p.stages[0]!;
    assert.ok(r.kind === 'Repeat');
    assert.equal(slice(src, r.count.span), '3');
    assert.ok(r.body.kind === 'Group');
    assert.equal(r.body.stages.length, 2);
    assert.equal(slice(src, r.body.span), '(Conv2d(64, 3, padding=1) |> ReLU)');
    const r2 = p.stages[1]!;
    assert.ok(r2.kind === 'Repeat');
    assert.equal(slice(src, r2.count.span), 'n * 2');
    assert.equal(slice(src, r2.body.span), 'Dense(4)');
  });

  test('repeat count with a name is not a call: `repeat n (A |> B)`', () => {
    const src = 'model M(x) { x |> repeat n (A |> B) }';
    const r = pipelineOf(model(ok(src)).body.stmts[0]!).stages[0]!;
    assert.ok(r.kind === 'Repeat' && r.count.kind === 'Name' && r.body.kind === 'Group');
  });

  test('if / else if / else', () => {
    const src =
      'block B(k: int)(x) {\n  if k == 1 { y = x } else if not k > 2 { y = x |> ReLU } else { y = x }\n  y\n}';
    const b = ok(src).items[0] as BlockItem;
    const s = b.body.stmts[0]!;
    assert.ok(s.kind === 'If');
    assert.ok(s.else?.kind === 'If');
    assert.ok(s.else.cond.kind === 'Unary' && s.else.cond.op === 'not');
    assert.ok(s.else.else?.kind === 'Body');
  });

  test('return several values', () => {
    const src = 'model M(x) -> (a: [B], b: [B]) {\n  return x |> Tanh, x\n}';
    const r = model(ok(src)).body.stmts[0]!;
    assert.ok(r.kind === 'Return');
    assert.deepEqual(
      r.values.map((v) => slice(src, v.span)),
      ['x |> Tanh', 'x'],
    );
  });

  test('semicolons separate statements on one line', () => {
    const s = model(ok('model M(x) { a = x; b = a |> ReLU; b }')).body.stmts;
    assert.deepEqual(
      s.map((x) => x.kind),
      ['Bind', 'Bind', 'ExprStmt'],
    );
  });

  test('a line starting with |> continues the pipeline above', () => {
    const src = 'model M(x) {\n  x\n  |> Dense(10)\n}';
    const s = model(ok(src)).body.stmts;
    assert.equal(s.length, 1);
    assert.equal(slice(src, s[0]!.span), 'x\n  |> Dense(10)');
  });

  test('a name on its own line followed by a new statement ends there', () => {
    const s = model(ok('model M(x) {\n  h = x\n  (h, x) |> Add\n}')).body.stmts;
    assert.equal(s.length, 2);
    assert.equal(pipelineOf(s[0]!).stages.length, 0);
  });

  test('"(" on the next line is not a call of the previous stage', () => {
    const s = model(ok('model M(x) {\n  h = x |> ReLU\n  (h, x) |> Add\n}')).body.stmts;
    assert.equal(s.length, 2);
    const relu = pipelineOf(s[0]!).stages[0] as LayerStage;
    assert.equal(relu.args, undefined);
    assert.equal(relu.argsSpan, undefined);
  });

  test('parenthesized single pipeline is flattened into the outer pipeline', () => {
    const src = 'model M(x) { (x |> Tanh) |> Dense(3) }';
    const p = pipelineOf(model(ok(src)).body.stmts[0]!);
    assert.equal(p.source.kind, 'Name');
    assert.equal(p.stages.length, 2);
    assert.equal(slice(src, p.span), '(x |> Tanh) |> Dense(3)');
  });

  test('trailing comma makes a one-item source tuple', () => {
    const p = pipelineOf(model(ok('model M(x) { (x,) |> F }')).body.stmts[0]!);
    assert.ok(p.source.kind === 'SourceTuple' && p.source.items.length === 1);
  });
});

// ---------------------------------------------------------------- expressions

describe('expressions', () => {
  test('precedence: or < and < not < comparison < + - < * / % < unary -', () => {
    const e = firstData('data d = a or b and not c == d + e * -f');
    // Print fully parenthesized.
    const show = (x: Expr): string => {
      switch (x.kind) {
        case 'Binary':
          return `(${show(x.left)} ${x.op} ${show(x.right)})`;
        case 'Unary':
          return `(${x.op} ${show(x.operand)})`;
        case 'Name':
          return x.name;
        default:
          return x.kind;
      }
    };
    assert.equal(show(e), '(a or (b and (not (c == (d + (e * (- f)))))))');
    assert.equal(show(firstData('data d = a - b - c % d / e')), '((a - b) - ((c % d) / e))');
    assert.equal(show(firstData('data d = -a * b')), '((- a) * b)');
    assert.equal(show(firstData('data d = not a and b')), '((not a) and b)');
  });

  test('opSpan, tuples, lists, calls, strings, booleans', () => {
    const src = 'data d = F((3, 5), [1, 2], ceil(H / 2), "a\\"b\\\\c\\nd\\te", true, false, (7))';
    const c = firstData(src) as CallExpr;
    const v = c.args.map((a) => a.value);
    assert.equal(v[0]!.kind, 'Tuple');
    assert.equal(v[1]!.kind, 'List');
    assert.ok(v[2]!.kind === 'Call' && v[2]!.callee.name === 'ceil');
    const bin = v[2].args[0]!.value;
    assert.ok(bin.kind === 'Binary');
    assert.equal(slice(src, bin.opSpan), '/');
    assert.ok(v[3]!.kind === 'String');
    assert.equal(v[3].value, 'a"b\\c\nd\te');
    assert.ok(v[4]!.kind === 'Bool' && v[4].value === true);
    assert.ok(v[5]!.kind === 'Bool' && v[5].value === false);
    // A parenthesized single expression is the expression itself.
    assert.ok(v[6]!.kind === 'Number' && v[6].value === 7);
    assert.equal(slice(src, c.argsSpan), src.slice(src.indexOf('(')));
  });

  test('numbers in every notation', () => {
    const cases: [string, number, boolean][] = [
      ['64', 64, true],
      ['1_000', 1000, true],
      ['0.5', 0.5, false],
      ['.5', 0.5, false],
      ['1e-3', 0.001, false],
      ['2.5E+4', 25000, false],
      ['0x1F', 31, true],
      ['0XfF', 255, true],
      ['3e2', 300, false],
      ['1_000.000_5', 1000.0005, false],
    ];
    for (const [text, value, isInt] of cases) {
      const n = firstData(`data d = ${text}`) as NumberLit;
      assert.equal(n.kind, 'Number', text);
      assert.equal(n.value, value, text);
      assert.equal(n.isInt, isInt, text);
      assert.equal(n.text, text);
      assert.equal(n.span.end - n.span.start, text.length);
    }
  });

  test('invalid numbers are DLM003 with the literal as range', () => {
    for (const bad of ['1__0', '1_', '0x', '12ab', '0x1G', '1e', '0x_1']) {
      const src = `data d = ${bad}`;
      const f = parse(src, 'u');
      assert.equal(f.errors.length, 1, bad);
      assert.equal(f.errors[0]!.code, 'DLM003', bad);
      assert.equal(slice(src, f.errors[0]!.span), bad);
      assert.equal((f.items[0] as DataItem).value.kind, 'Number');
    }
  });
});

// ---------------------------------------------------------------- lexer

describe('lexer', () => {
  test('operators and newlineBefore', () => {
    const r = lex('a |> b -> c == d != e <= f >= g < h > i\n  = ; : %');
    assert.deepEqual(
      r.tokens.map((t) => t.kind),
      [
        'ident',
        '|>',
        'ident',
        '->',
        'ident',
        '==',
        'ident',
        '!=',
        'ident',
        '<=',
        'ident',
        '>=',
        'ident',
        '<',
        'ident',
        '>',
        'ident',
        '=',
        ';',
        ':',
        '%',
        'eof',
      ],
    );
    assert.equal(r.tokens[0]!.newlineBefore, true);
    assert.equal(r.tokens[1]!.newlineBefore, false);
    assert.equal(r.tokens[17]!.newlineBefore, true);
    assert.deepEqual(r.errors, []);
  });

  test('comments: line, block (newline inside counts), doc', () => {
    const r = lex('a // x\n/// doc\nb /* x\n y */ c //// not doc');
    assert.deepEqual(
      r.comments.map((c) => c.doc),
      [false, true, false, false],
    );
    const c = r.tokens.find((t) => t.text === 'c')!;
    assert.equal(c.newlineBefore, true);
  });

  test('keywords are their own kinds', () => {
    const kinds = lex(
      'model block data train import layer repeat if else return and or not true false',
    ).tokens.map((t) => t.kind);
    assert.deepEqual(kinds.slice(0, 3), ['model', 'block', 'data']);
    assert.ok(!kinds.includes('ident'));
  });

  test('invalid characters: one error token and one DLM003 per run', () => {
    const r = lex('a @# b $ c 😀');
    assert.deepEqual(
      r.tokens.filter((t) => t.kind === 'error').map((t) => t.text),
      ['@#', '$', '😀'],
    );
    assert.equal(r.errors.length, 3);
    assert.ok(r.errors.every((e) => e.code === 'DLM003'));
    assert.deepEqual(r.errors[0]!.span, { start: 2, end: 4 });
  });

  test('unknown escape is DLM003', () => {
    const r = lex('"a\\qb"');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.code, 'DLM003');
    assert.equal(r.tokens[0]!.text, 'aqb');
  });
});

// ---------------------------------------------------------------- spans

describe('spans', () => {
  test('Ident spans are exactly the identifier, argsSpan includes parentheses', () => {
    const src =
      'model  Net ( x : [ B , 3 ] ) {\n  h   =   x |>  Conv2d ( 3 ,  k=2 )  |> ReLU\n  h\n}';
    const f = ok(src);
    walk(f, (n) => {
      if ('kind' in n && n.kind === 'Ident' && n.name !== '')
        assert.equal(slice(src, n.span), n.name);
      if ('kind' in n && n.kind === 'Name') assert.equal(slice(src, n.span), n.name);
    });
    const conv = pipelineOf(model(f).body.stmts[0]!).stages[0] as LayerStage;
    assert.equal(slice(src, conv.argsSpan!), '( 3 ,  k=2 )');
    assert.equal(slice(src, conv.span), 'Conv2d ( 3 ,  k=2 )');
    assert.equal(slice(src, conv.args![1]!.span), 'k=2');
    assert.equal(slice(src, model(f).body.span), src.slice(src.indexOf('{')));
    assert.equal(slice(src, model(f).span), src);
    assert.equal(
      slice(src, model(f).body.stmts[0]!.span),
      'h   =   x |>  Conv2d ( 3 ,  k=2 )  |> ReLU',
    );
  });

  test('children lie inside their parents (except doc comments)', () => {
    for (const src of VALID_PROGRAMS) {
      const f = ok(src);
      walk(f, (n, parent) => {
        if (!parent || !('span' in parent) || !('span' in n)) return;
        if ('doc' in parent && parent.doc === n) return;
        assert.ok(parent.span.start <= n.span.start && n.span.end <= parent.span.end);
      });
    }
  });
});

// ---------------------------------------------------------------- doc comments

describe('doc comments', () => {
  test('consecutive /// lines join; a blank line or plain comment breaks the run', () => {
    const src =
      '/// a\n///  b\n///c\nmodel M(x) { x }\n\n/// lost\n\ndata d = X()\n/// kept\n// plain\nblock B(x) { x }';
    const f = ok(src);
    assert.equal((f.items[0] as ModelItem).doc?.text, 'a\n b\nc');
    assert.equal(slice(src, (f.items[0] as ModelItem).doc!.span), '/// a\n///  b\n///c');
    assert.equal((f.items[1] as DataItem).doc, undefined);
    assert.equal((f.items[2] as BlockItem).doc, undefined);
  });

  test('doc on data; not attached to train', () => {
    const f = ok('/// Spiral.\ndata s = Spiral()\n/// x\ntrain M { epochs = 1 }');
    assert.equal((f.items[0] as DataItem).doc?.text, 'Spiral.');
    assert.ok(!('doc' in f.items[1]!));
  });
});

// ---------------------------------------------------------------- recovery

function errs(src: string): { code: string; text: string; message: string }[] {
  return parse(src, 'u').errors.map((e) => ({
    code: e.code,
    text: slice(src, e.span),
    message: e.message,
  }));
}

describe('error recovery', () => {
  test("missing ')' in an argument list: one error at the end of the line; pipeline continues", () => {
    const src = 'model M(x: [B, 3]) {\n  h = x |> Conv2d(6, 5\n  |> ReLU\n  h\n}';
    const f = parse(src, 'u');
    assert.equal(f.errors.length, 1);
    const e = f.errors[0]!;
    assert.equal(e.code, 'DLM001');
    assert.equal(e.message, "expected ')' to close the argument list of Conv2d");
    assert.deepEqual(e.span, { start: src.indexOf('5\n') + 1, end: src.indexOf('5\n') + 1 });
    const s = model(f).body.stmts;
    assert.equal(s.length, 2);
    const p = pipelineOf(s[0]!);
    assert.equal(p.stages.length, 2);
    const conv = p.stages[0] as LayerStage;
    assert.equal(slice(src, conv.argsSpan!), '(6, 5');
    assert.equal(conv.args!.length, 2);
  });

  test("missing stage after '|>'", () => {
    const src = 'model M(x) {\n  h = x |>\n  y = h |> ReLU\n  y\n}';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [e.code, e.message]),
      [['DLM001', "expected a stage after '|>'"]],
    );
    const end = src.indexOf('|>') + 2;
    assert.deepEqual(f.errors[0]!.span, { start: end, end });
    const s = model(f).body.stmts;
    assert.deepEqual(
      s.map((x) => x.kind),
      ['Bind', 'Bind', 'ExprStmt'],
    );
    assert.equal(pipelineOf(s[0]!).stages[0]!.kind, 'MissingStage');
  });

  test("missing stage at '}'", () => {
    const e = errs('model M(x) { x |> }');
    assert.deepEqual(
      e.map((x) => [x.text, x.message]),
      [['}', "expected a stage after '|>'"]],
    );
  });

  test('garbage line in the middle of a model: later statements still parsed', () => {
    const src =
      'model M(x: [B, 3]) {\n  h = x |> Dense(4)\n  = = ) ] 12 ,\n  y = h |> ReLU\n  y\n}\nmodel N(x) { x }';
    const f = parse(src, 'u');
    assert.equal(f.errors.length, 1);
    assert.equal(f.errors[0]!.code, 'DLM001');
    assert.equal(slice(src, f.errors[0]!.span), '=');
    assert.equal(f.items.length, 2);
    assert.deepEqual(
      model(f).body.stmts.map((s) => s.kind),
      ['Bind', 'Bind', 'ExprStmt'],
    );
  });

  test('invalid characters in a model: DLM003 only, tree intact', () => {
    const src = 'model M(x) {\n  h = x |> Dense(4) @@\n  y = h |> ReLU\n}';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [e.code, slice(src, e.span)]),
      [['DLM003', '@@']],
    );
    assert.equal(model(f).body.stmts.length, 2);
  });

  test('two statements on one line without ";"', () => {
    const e = errs('model M(x) { x y }');
    assert.deepEqual(
      e.map((x) => [x.code, x.text]),
      [['DLM001', 'y']],
    );
  });

  test('unterminated string: DLM002 to the end of the line, no follow-up DLM001', () => {
    const src = 'data d = Csv("abc\nmodel N(x) { x }';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [e.code, slice(src, e.span)]),
      [['DLM002', '"abc']],
    );
    assert.equal(f.items.length, 2);
    assert.equal(((f.items[0] as DataItem).value as CallExpr).args.length, 1);
  });

  test('unterminated block comment: DLM002 to the end of file', () => {
    const src = 'model N(x) { x }\n/* never closed\nmodel Q(x) { x }';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [e.code, e.span]),
      [['DLM002', { start: src.indexOf('/*'), end: src.length }]],
    );
    assert.equal(f.items.length, 1);
  });

  test("missing ')' in the input list before '->'", () => {
    const src = 'model M(x: [B, 3] -> [B, 4] {\n  x |> Dense(4)\n}';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [slice(src, e.span), e.message]),
      [['->', "expected ')' to close the input list of model M, found '->'"]],
    );
    const m = model(f);
    assert.equal(m.outputs.length, 1);
    assert.equal(m.body.stmts.length, 1);
  });

  test("missing '{': statements are still read", () => {
    const src = 'model M(x) -> [B, 4]\n  x |> Dense(4)\n}\ndata q = X()';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => e.message),
      ["expected '{' to start the body of model M"],
    );
    assert.equal(model(f).body.stmts.length, 1);
    assert.equal(f.items.length, 2);
  });

  test("missing '}' at the end of file and before the next item", () => {
    const src = 'model M(x) {\n  h = x |> Dense(10)\nmodel N(x) { x }';
    const f = parse(src, 'u');
    assert.deepEqual(
      f.errors.map((e) => [e.message, e.span]),
      [["expected '}' to close the body of model M", { start: 33, end: 33 }]], // after 'Dense(10)'
    );
    assert.equal(f.items.length, 2);
    assert.equal(
      errs('model M(x) {\n x\n')[0]!.message,
      "expected '}' to close the body of model M",
    );
  });

  test("missing ',' between arguments", () => {
    const e = errs('model M(x) {\n  x |> Dense(10 20) |> ReLU\n}');
    assert.deepEqual(
      e.map((x) => [x.text, x.message]),
      [['20', "expected ',' or ')' in the argument list of Dense, found number 20"]],
    );
  });

  test('train: a setting without "=" is skipped, the others kept', () => {
    const src = 'train M {\n  data = mnist\n  loss CrossEntropy()\n  epochs = 10\n}';
    const f = parse(src, 'u');
    assert.equal(f.errors.length, 1);
    assert.equal(f.errors[0]!.message, "expected '=' after 'loss' in the train settings");
    assert.equal((f.items[0] as TrainItem).body.stmts.length, 2);
  });

  test('top-level garbage: one error, next item parsed', () => {
    const src = 'x |> Dense(3) )))\nfoo bar\nmodel M(x) { x }';
    const f = parse(src, 'u');
    assert.equal(f.errors.length, 1);
    assert.equal(slice(src, f.errors[0]!.span), 'x');
    assert.equal(f.items.length, 1);
  });

  test('missing pieces become Missing nodes', () => {
    const f = parse('model (x) {\n  h = \n  return\n}\ndata d =\nimport', 'u');
    const m = model(f);
    assert.equal(m.name.name, '');
    assert.equal(m.name.span.start, m.name.span.end);
    const b = m.body.stmts[0]!;
    assert.ok(b.kind === 'Bind' && b.value.source.kind === 'Missing');
    assert.equal(((f.items[1] as DataItem).value as Expr).kind, 'Missing');
    assert.equal((f.items[2] as ImportItem).path.kind, 'Missing');
    assert.ok(f.errors.every((e) => e.code === 'DLM001'));
  });

  test('errors are sorted by position and every one has a code', () => {
    const src = 'model M(x) { x |> @ Dense(1 }\n"unterminated\n';
    const f = parse(src, 'u');
    const starts = f.errors.map((e) => e.span.start);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
    assert.ok(f.errors.every((e) => /^DLM0(0[123]|3[346])$/.test(e.code)));
  });

  test('deep nesting is reported, not a stack overflow', () => {
    const f = parse(`data d = ${'('.repeat(5000)}1${')'.repeat(5000)}`, 'u');
    assert.ok(
      f.errors.some((e) => e.code === 'DLM033' && e.message.startsWith('nesting is deeper than')),
    );
    const g = parse(`model M(x) { ${'if a { '.repeat(3000)} }`, 'u');
    assert.ok(g.errors.length > 0);
  });
});

// ---------------------------------------------------------------- traversal

describe('walk / forEachChild / nodeAt', () => {
  test('walk visits every node in source order', () => {
    const src = 'model M(x) { x |> Dense(3) }';
    const f = ok(src);
    const seen: string[] = [];
    walk(f, (n) => {
      if ('kind' in n && n.kind === 'Ident') seen.push(n.name);
    });
    assert.deepEqual(seen, ['M', 'x', 'Dense']);
    let count = 0;
    walk(f, (n) => {
      count++;
      return !('kind' in n && n.kind === 'Model');
    });
    assert.equal(count, 2, 'returning false skips children');
    const kids: AstNode[] = [];
    forEachChild(f.items[0]!, (c) => kids.push(c));
    assert.equal(kids.length, 3); // name, input, body
  });

  test('nodeAt returns the innermost path', () => {
    const src = 'model M(x) {\n  h = x |> Conv2d(64, k=3)\n}';
    const f = ok(src);
    const at = (needle: string, delta = 0): string[] =>
      nodeAt(f, src.indexOf(needle) + delta).map((n) =>
        'kind' in n ? n.kind : 'value' in n ? 'Arg' : 'Other',
      );
    assert.deepEqual(at('Conv2d', 2), [
      'File',
      'Model',
      'Body',
      'Bind',
      'Pipeline',
      'Layer',
      'Ident',
    ]);
    assert.deepEqual(at('64', 1), [
      'File',
      'Model',
      'Body',
      'Bind',
      'Pipeline',
      'Layer',
      'Arg',
      'Number',
    ]);
    // Right after an identifier still counts as on it.
    assert.deepEqual(at('Conv2d', 6).slice(-1), ['Ident']);
    assert.deepEqual(at('k=3', 0).slice(-2), ['Arg', 'Ident']);
    const path = nodeAt(f, src.indexOf('h ='));
    const last = path[path.length - 1]!;
    assert.ok('kind' in last && last.kind === 'Ident' && last.name === 'h');
    // On the `model` keyword the item itself is innermost.
    assert.equal(nodeAt(f, 0).length, 2);
  });
});

// ---------------------------------------------------------------- size
// Speed is measured in bench/check.bench.ts, never asserted here.

describe('large files', () => {
  test('a 5,000-line file parses without errors', () => {
    let text = '';
    let k = 0;
    while (text.split('\n').length < 5000) {
      text +=
        LENET.replace(/LeNet/g, `LeNet${k}`) +
        BASIC_BLOCK.replace(/BasicBlock/g, `BB${k}`) +
        DATA.replace(/data (\w+)/g, `data $1${k}`) +
        TRAIN.replace('LeNet', `LeNet${k}`);
      k++;
    }
    const f = parse(text, 'u');
    assert.deepEqual(f.errors, []);
    assert.ok(f.items.length > 500);
  });
});
