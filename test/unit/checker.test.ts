import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineIndex, formatShape } from '../../src/core';
import type { CheckResult } from '../../src/language/checked';
import { datasetFiles } from '../../src/language/checkTrain';
import { checkFile, memoryHost } from '../../src/language/program';

function check(text: string, extra: Record<string, string> = {}): CheckResult {
  const files: Record<string, string> = { '/ws/main.dlm': text };
  for (const [k, v] of Object.entries(extra)) files[`/ws/${k}`] = v;
  return checkFile('/ws/main.dlm', memoryHost(files, '/ws'));
}

function codes(r: CheckResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

function diag(r: CheckResult, code: string) {
  const d = r.diagnostics.find((x) => x.code === code);
  assert.ok(
    d,
    `expected ${code}, got ${r.diagnostics.map((x) => `${x.code} ${x.message}`).join('\n')}`,
  );
  return d;
}

function textAt(src: string, span: { start: number; end: number }): string {
  return src.slice(span.start, span.end);
}

function out(r: CheckResult, model = 0): string {
  const m = r.models[model]!;
  return m.outputs.map((o) => formatShape(m.values[o.value]!.shape!)).join(' ');
}

const LENET = `
/// LeNet-5
model LeNet(x: [B, 1, 32, 32]) -> [B, 10] {
  x
  |> Conv2d(6, 5) |> Tanh |> AvgPool2d(2)
  |> Conv2d(16, 5) |> Tanh |> AvgPool2d(2)
  |> Flatten
  |> Dense(120) |> Tanh
  |> Dense(84) |> Tanh
  |> Dense(10)
}
`;

describe('checker: shapes and counts', () => {
  test('LeNet-5 has 61,706 parameters and no diagnostics', () => {
    const r = check(LENET);
    assert.deepEqual(codes(r), []);
    const m = r.models[0]!;
    assert.equal(m.totals.trainable, 61_706);
    assert.equal(m.totals.nonTrainable, 0);
    assert.equal(out(r), '[B, 10]');
    assert.equal(m.doc, 'LeNet-5');
    assert.ok(m.ok);
  });

  test('MACs are symbolic in the batch dim', () => {
    const r = check(`model M(x: [B, 784]) -> [B, 10] { x |> Dense(256) |> ReLU |> Dense(10) }`);
    assert.equal(r.models[0]!.totals.macs.toString(), `${784 * 256 + 256 * 10}*B`);
  });

  test('stage shapes are recorded for inlay hints', () => {
    const r = check(LENET);
    const li = new LineIndex(LENET);
    const flat = r.stageShapes.find((s) => LENET.slice(s.span.start, s.span.end) === 'Flatten');
    assert.ok(flat);
    assert.equal(formatShape(flat.shapes[0]!), '[B, 400]');
    assert.equal(li.position(flat.span.start).line, 6);
  });

  test('symbolic spatial dims stay symbolic', () => {
    const r = check(`model M(x: [B, 3, H, W]) { x |> Conv2d(8, 3, padding=1) |> MaxPool2d(2) }`);
    assert.deepEqual(codes(r), []);
    assert.equal(out(r), '[B, 8, H/2, W/2]');
  });

  test('declared output is unified with the inferred one (DLM106) with a fix', () => {
    const src = `model M(x: [B, 784]) -> [B, 12] { x |> Dense(10) }`;
    const r = check(src);
    const d = diag(r, 'DLM106');
    assert.match(d.message, /declares output \[B, 12\], but the body produces \[B, 10\]/);
    assert.equal(textAt(src, d.span), '[B, 12]');
    assert.equal(d.fixes![0]!.edits[0]!.newText, '[B, 10]');
  });
});

describe('checker: the diagnostics a learner meets', () => {
  test('Dense(in=400) after a stack giving 256 features: DLM100 with provenance and a fix', () => {
    const src = `model M(x: [B, 1, 28, 28]) -> [B, 10] {
  x |> Conv2d(6, 5) |> MaxPool2d(2) |> Conv2d(16, 5) |> MaxPool2d(2)
    |> Flatten
    |> Dense(120, in=400) |> ReLU |> Dense(10)
}`;
    const r = check(src);
    const d = diag(r, 'DLM100');
    assert.match(d.message, /Dense\(in=400\) received \[B, 256\]/);
    assert.match(d.message, /256 = 16·4·4 after Conv2d\(16, 5\) → MaxPool2d\(2\) → Flatten/);
    // shape-preserving layers (ReLU) are skipped in the provenance chain
    assert.ok(!d.related!.some((x) => /^ReLU/.test(x.message)));
    assert.equal(textAt(src, d.span), 'in=400');
    assert.ok(
      d.related!.some((x) => /256 = 16·4·4/.test(x.message)),
      JSON.stringify(d.related),
    );
    assert.ok(d.related!.some((x) => /MaxPool2d/.test(x.message)));
    const fix = d.fixes![0]!;
    assert.equal(fix.edits[0]!.newText, '256');
    assert.equal(textAt(src, fix.edits[0]!.span), '400');
    // no cascade: downstream layers stay quiet
    assert.equal(r.diagnostics.filter((x) => x.severity === 'error').length, 1);
  });

  test('a spatial size that shrinks to zero is an error (DLM102)', () => {
    const r = check(`model M(x: [B, 1, 8, 8]) { x |> Conv2d(4, 5) |> Conv2d(4, 5) }`);
    const d = diag(r, 'DLM102');
    assert.equal(d.severity, 'error');
  });

  test('AlexNet conv1 on 224 warns about flooring (DLM103) and names 227', () => {
    const r = check(`model A(x: [B, 3, 224, 224]) { x |> Conv2d(96, 11, stride=4) }`);
    const d = diag(r, 'DLM103');
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /227/);
    // The layer is named as written, first argument included.
    assert.match(d.message, /^Conv2d\(96, 11, stride=4\) on height 224:/);
  });

  test('DLM102 names the call as written, with its first argument', () => {
    const r = check(`model M(x: [B, 3, 8, 8]) { x |> Conv2d(8, 3, dilation = 100) }`);
    assert.match(diag(r, 'DLM102').message, /^Conv2d\(8, 3, dilation=100\) on height 8:/);
    const p = check(`model M(x: [B, 3, 4, 4]) { x |> MaxPool2d((5, 2)) }`);
    assert.match(diag(p, 'DLM102').message, /^MaxPool2d\(\(5, 2\)\) on height 4:/);
  });

  test('element types: Embedding needs integer ids, other layers need floats (DLM110)', () => {
    // Token ids declared int feed an Embedding; undeclared inputs read by an Embedding still work.
    assert.deepEqual(
      codes(check(`model M(x: int[B, T]) { x |> Embedding(10, 4) |> Dense(2) }`)),
      [],
    );
    assert.deepEqual(codes(check(`model M(x: [B, T]) { x |> Embedding(10, 4) }`)), []);
    // Embedding on float activations: PyTorch raises; so do we.
    const f = check(`model M(x: [B, 8]) { x |> Dense(16) |> Embedding(10, 4) }`);
    assert.match(
      diag(f, 'DLM110').message,
      /Embedding\(10, 4\) looks up integer ids, but its input is float \(the output of Dense\(16\)/,
    );
    const declared = `model M(x: float[B, T]) { x |> Embedding(10, 4) }`;
    const fd = diag(check(declared), 'DLM110');
    assert.equal(textAt(declared, fd.fixes![0]!.edits[0]!.span), 'float');
    assert.equal(fd.fixes![0]!.edits[0]!.newText, 'int');
    // Dense on token ids (also through a Flatten): an error with fixes.
    const src = `model M(x: int[B, 4]) { x |> Flatten |> Dense(3) }`;
    const d = diag(check(src), 'DLM110');
    assert.match(d.message, /Dense\(3\) computes on float features, but its input is integer ids/);
    assert.equal(d.fixes![0]!.edits[0]!.newText, 'Embedding(vocab, 32) |> ');
    assert.equal(textAt(src, d.fixes![1]!.edits[0]!.span), 'int');
    assert.equal(d.fixes![1]!.edits[0]!.newText, 'float');
    assert.equal(codes(check(`model M(x: int[B, 4]) { x |> Dense(3) }`)).join(), 'DLM110');
    // Only int and float are element types.
    assert.match(diag(check(`model M(x: bool[B, 4]) { x }`), 'DLM001').message, /int .* or float/);
  });

  test('a declared shape with a 0 dim is an error (DLM109)', () => {
    const src = `model M(x: [B, 0, 32, 32]) { x |> Conv2d(8, 3) }`;
    const r = check(src);
    const d = diag(r, 'DLM109');
    assert.equal(textAt(src, d.span), '0');
    assert.match(d.message, /input 'x' has a dimension of size 0 \(axis 1\)/);
    assert.deepEqual(codes(r), ['DLM109'], 'no 0-MAC conv downstream');
  });

  test('related information has no repeated rows', () => {
    const head = check(`block Res()(x: [B, C, H, W]) {
  y = x |> Conv2d(C, 3, padding=1)
  return (x, y) |> Add
}
model M(x: [B, 512, 7, 7]) { x |> MaxPool2d(7) |> Res() |> Res() |> Res() |> AvgPool2d(7) }`);
    const rel = diag(head, 'DLM102').related!.map((r) => `${r.span.start}:${r.message}`);
    assert.equal(new Set(rel).size, rel.length, rel.join('\n'));
    const res = check(`model M(x: [B, 3, 8, 8]) { (x, x |> Conv2d(8, 3, padding=1)) |> Add }`);
    const msgs = diag(res, 'DLM104').related!.map((r) => r.message);
    assert.equal(msgs.filter((m) => m.startsWith('x is')).length, 1, msgs.join('\n'));
  });

  test('a pooling window that no longer fits shows where the spatial size collapsed', () => {
    const src = `model M(x: [B, 512, 7, 7]) { x |> MaxPool2d(7) |> Conv2d(512, 1) |> ReLU |> AvgPool2d(7) }`;
    const d = diag(check(src), 'DLM102');
    const first = d.related![0]!;
    assert.equal(textAt(src, first.span), 'MaxPool2d(7)');
    assert.equal(first.message, 'the spatial size becomes 1×1 here: MaxPool2d(7) maps 7×7 to 1×1');
  });

  test('a residual channel mismatch offers a 1×1 projection of the skip', () => {
    const src = `block Res(c: int)(x: [B, C, H, W]) {
  y = x |> Conv2d(c, 3, padding=1) |> ReLU
  return (x, y) |> Add
}
model M(x: [B, 3, 32, 32]) { x |> Res(8) }`;
    const d = diag(check(src), 'DLM104');
    const fix = d.fixes![0]!;
    assert.equal(fix.title, 'Project x to 8 channels with a 1×1 convolution (x |> Conv2d(8, 1))');
    const e = fix.edits[0]!;
    const fixed = src.slice(0, e.span.start) + e.newText + src.slice(e.span.end);
    assert.match(fixed, /return \(x \|> Conv2d\(8, 1\), y\) \|> Add/);
    assert.deepEqual(codes(check(fixed)), []);
  });

  test('a symbolic Flatten size is explained by a correct factorization', () => {
    const r = check(`model M(x: [B, 3, H, W]) { x |> Conv2d(8, 3) |> Flatten |> Dense(10) }`);
    const d = diag(r, 'DLM100');
    const want = '-16*H + 8*H*W - 16*W + 32 = 8·(H - 2)·(W - 2)';
    assert.ok(d.message.includes(`(${want} after Conv2d(8, 3) → Flatten)`), d.message);
    assert.ok(d.related!.some((x) => x.message.endsWith(`(${want})`)));
  });

  test('Dense on a feature map: wrong rank with an insert-Flatten fix', () => {
    const src = `model M(x: [B, 3, 8, 8]) { x |> Conv2d(4, 3) |> Dense(10) }`;
    const r = check(src);
    const d = diag(r, 'DLM101');
    const fix = d.fixes![0]!;
    assert.equal(fix.edits[0]!.newText, 'Flatten |> ');
    assert.equal(src.slice(fix.edits[0]!.span.start, fix.edits[0]!.span.start + 5), 'Dense');
  });

  test('unknown layer with did-you-mean and a fix', () => {
    const src = `model M(x: [B, 4]) { x |> Dence(3) }`;
    const d = diag(check(src), 'DLM010');
    assert.match(d.message, /did you mean 'Dense'/);
    assert.equal(textAt(src, d.span), 'Dence');
    assert.equal(d.fixes![0]!.edits[0]!.newText, 'Dense');
  });

  test('unknown attribute with did-you-mean', () => {
    const src = `model M(x: [B, 3, 8, 8]) { x |> Conv2d(4, 3, strid=2) }`;
    const d = diag(check(src), 'DLM011');
    assert.match(d.message, /stride/);
    assert.equal(textAt(src, d.span), 'strid');
  });

  test('wrong attribute type (DLM012)', () => {
    const src = `model M(x: [B, 3, 8, 8]) { x |> Conv2d(4, 2.5) }`;
    const d = diag(check(src), 'DLM012');
    assert.equal(textAt(src, d.span), '2.5');
  });

  test('duplicate model names (DLM015)', () => {
    const r = check(`model M(x: [B, 2]) { x |> Dense(2) }\nmodel M(x: [B, 2]) { x |> Dense(2) }`);
    diag(r, 'DLM015');
  });

  test('undefined binding with did-you-mean (DLM016) and unused binding (DLM017)', () => {
    const src = `model M(x: [B, 4]) {
  hidden = x |> Dense(8) |> ReLU
  extra = x |> Dense(8)
  hiden |> Dense(2)
}`;
    const r = check(src);
    const d = diag(r, 'DLM016');
    assert.match(d.message, /did you mean 'hidden'/);
    const u = r.diagnostics.filter((x) => x.code === 'DLM017').map((x) => textAt(src, x.span));
    assert.deepEqual(u.sort(), ['extra', 'hidden']);
  });

  test('wrong number of inputs for a merge (DLM020)', () => {
    const r = check(`model M(x: [B, 4]) { x |> Add }`);
    assert.match(diag(r, 'DLM020').message, /\(a, b\) \|> Add/);
  });

  test('merge of incompatible shapes (DLM104)', () => {
    const r = check(`model M(x: [B, 4]) { a = x |> Dense(3)\n (a, x) |> Add }`);
    diag(r, 'DLM104');
  });
});

describe('checker: blocks, repeat, conditionals, sharing', () => {
  const RES = `
/// Basic block
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
model Net(x: [B, 64, 56, 56]) {
  x |> repeat 2 BasicBlock(64) |> BasicBlock(128, stride=2)
}`;

  test('a block with a conditional downsample, repeated', () => {
    const r = check(RES);
    assert.deepEqual(codes(r), []);
    assert.equal(out(r), '[B, 128, 28, 28]');
    const m = r.models[0]!;
    // 2 × (2 convs 64→64 + 2 BN) + (conv 64→128, conv 128→128, 2 BN, downsample conv + BN)
    const conv = (i: number, o: number, k: number) => i * o * k * k;
    const expected =
      2 * (2 * conv(64, 64, 3) + 2 * 128) +
      conv(64, 128, 3) +
      conv(128, 128, 3) +
      2 * 256 +
      conv(64, 128, 1) +
      256;
    assert.equal(m.totals.trainable, expected);
    assert.equal(m.totals.nonTrainable, 2 * 4 * 64 + 6 * 128);
    assert.ok(
      m.groups.some((g) => g.kind === 'block' && g.label === 'BasicBlock(c=128, stride=2)'),
    );
    assert.equal(m.groups.filter((g) => g.kind === 'repeat').length, 2);
  });

  test('tied weights are counted once', () => {
    const r = check(`model T(a: [B, 32], b: [B, 32]) {
  layer shared = Dense(16)
  u = a |> shared
  v = b |> shared
  (u, v) |> Add
}`);
    assert.deepEqual(codes(r), []);
    const m = r.models[0]!;
    assert.equal(m.totals.trainable, 32 * 16 + 16);
    assert.equal(m.nodes.filter((n) => n.sharedKey).length, 2);
  });

  test('a tied layer used with an incompatible input is an error', () => {
    const r = check(`model T(a: [B, 32], b: [B, 8]) {
  layer shared = Dense(16)
  u = a |> shared
  v = b |> shared
  (u, v) |> Add
}`);
    assert.match(diag(r, 'DLM100').message, /shared layer 'shared'/);
  });

  test('recursive blocks are rejected (DLM021)', () => {
    const r = check(`block Loop(x) { x |> Loop }\nmodel M(x: [B, 2]) { x |> Loop }`);
    diag(r, 'DLM021');
  });

  test('block parameter type errors and missing parameters', () => {
    const r = check(
      `block Bk(c: int)(x) { x |> Dense(c) }\nmodel M(x: [B, 2]) { y = x |> Bk(1.5)\n x |> Bk }`,
    );
    diag(r, 'DLM012');
    diag(r, 'DLM013');
  });

  test('unused blocks still get unknown-layer checks', () => {
    const r = check(`block Bk(x) { x |> Relu }`);
    assert.match(diag(r, 'DLM010').message, /ReLU/);
  });

  test('multiple outputs with return', () => {
    const r = check(`model VAE(x: [B, 784]) -> (recon: [B, 784], mu: [B, 20], logvar: [B, 20]) {
  h = x |> Dense(400) |> ReLU
  mu = h |> Dense(20)
  logvar = h |> Dense(20)
  z = (mu, logvar) |> Reparameterize
  recon = z |> Dense(400) |> ReLU |> Dense(784)
  return recon, mu, logvar
}`);
    assert.deepEqual(codes(r), []);
    assert.equal(out(r), '[B, 784] [B, 20] [B, 20]');
    assert.deepEqual(
      r.models[0]!.outputs.map((o) => o.name),
      ['recon', 'mu', 'logvar'],
    );
  });
});

describe('checker: imports', () => {
  test('blocks come from an imported file', () => {
    const r = check(`import "lib.dlm"\nmodel M(x: [B, 4]) { x |> Mlp(8) }`, {
      'lib.dlm': `block Mlp(h: int)(x) { x |> Dense(h) |> ReLU }`,
    });
    assert.deepEqual(codes(r), []);
    assert.equal(out(r), '[B, 8]');
  });

  test('an error inside an imported block is reported at the use site', () => {
    const src = `import "lib.dlm"\nmodel M(x: [B, 4]) { x |> Bad }`;
    const r = check(src, { 'lib.dlm': `block Bad(x) { x |> Dense(8, in=5) }` });
    const d = diag(r, 'DLM100');
    assert.equal(d.file, '/ws/main.dlm');
    assert.equal(textAt(src, d.span), 'Bad');
    assert.match(d.message, /lib\.dlm:1/);
    assert.equal(d.related![0]!.file, '/ws/lib.dlm');
  });

  test('import cycles (DLM019), missing files and paths outside the workspace (DLM018)', () => {
    const r = check(
      `import "a.dlm"\nimport "nope.dlm"\nimport "../etc/x.dlm"\nmodel M(x: [B, 1]) { x |> ReLU }`,
      {
        'a.dlm': `import "main.dlm"`,
      },
    );
    assert.ok(
      r.diagnostics.some(
        (d) => d.code === 'DLM019' && /main\.dlm → a\.dlm → main\.dlm/.test(d.message),
      ) || r.diagnostics.some((d) => d.code === 'DLM019'),
    );
    assert.equal(r.diagnostics.filter((d) => d.code === 'DLM018').length, 2);
  });
});

describe('checker: train sections and lints', () => {
  const SPIRAL = (train: string, model = 'x |> Dense(16) |> ReLU |> Dense(3)') => `
data spiral = Spiral(points=600, classes=3, noise=0.2)
model Net(x: [B, 2]) -> [B, 3] { ${model} }
train Net {
${train}
}`;

  test('a valid train section resolves with defaults', () => {
    const r = check(
      SPIRAL(
        `  data = spiral\n  loss = CrossEntropy(label_smoothing=0.1)\n  optimizer = Adam(lr=1e-2)\n  epochs = 50\n  batch = 32\n  validation = 0.2\n  seed = 1\n  early_stopping = 5\n  schedule = Cosine(t_max=50)\n  clip = 1.0\n  metrics = [accuracy]`,
      ),
    );
    assert.deepEqual(codes(r), []);
    const t = r.trains[0]!;
    assert.equal(t.optimizer.name, 'Adam');
    assert.equal(t.optimizer.args.lr, 0.01);
    assert.equal(t.optimizer.args.beta2, 0.999);
    assert.equal(t.loss!.args.label_smoothing, 0.1);
    assert.deepEqual(t.earlyStopping, { patience: 5, minDelta: 0 });
    assert.equal(t.data!.declName, 'spiral');
    assert.deepEqual(t.metrics, ['accuracy']);
  });

  test('unknown optimizer, bad values, missing loss, unknown setting', () => {
    const r = check(
      SPIRAL(
        `  data = spiral\n  optimizer = Adamm(lr=1)\n  epochs = 0\n  validation = 1.5\n  bacth = 3`,
      ),
    );
    assert.match(diag(r, 'DLM200').message, /did you mean 'Adam'/);
    assert.equal(r.diagnostics.filter((d) => d.code === 'DLM201').length, 3);
    diag(r, 'DLM205');
  });

  test("Warmup's after is a schedule (keyword or second positional); not Warmup again", () => {
    for (const w of ['Warmup(4, after=Cosine(t_max=2))', 'Warmup(4, Cosine(2))']) {
      const r = check(SPIRAL(`  data = spiral\n  loss = CrossEntropy\n  schedule = ${w}`));
      assert.deepEqual(codes(r), [], w);
      const s = r.trains[0]!.schedule!;
      assert.equal(s.name, 'Warmup');
      assert.equal(s.args.steps, 4);
      assert.equal(s.after?.name, 'Cosine');
      assert.equal(s.after?.args.t_max, 2);
    }
    const bad = check(
      SPIRAL(`  data = spiral\n  loss = CrossEntropy\n  schedule = Warmup(4, after=Warmup(2))`),
    );
    assert.match(diag(bad, 'DLM201').message, /Step, Exponential or Cosine/);
    const unknown = check(
      SPIRAL(`  data = spiral\n  loss = CrossEntropy\n  schedule = Warmup(4, after=Cosin(2))`),
    );
    assert.match(diag(unknown, 'DLM200').message, /did you mean 'Cosine'/);
  });

  test('a model with several outputs: the loss says how to train on one of them', () => {
    const text = `block Net(x) {
  h = x |> Dense(16) |> ReLU
  return h |> Dense(3), h |> Dense(1)
}
model Heads(x: [B, 2]) -> ([B, 3], [B, 1]) { x |> Net }
model TrainHead(x: [B, 2]) -> [B, 3] {
  (logits, _aux) = x |> Net
  logits
}
train Heads {
  data = Spiral
  loss = CrossEntropy
}
train TrainHead {
  data = Spiral
  loss = CrossEntropy
}`;
    const r = check(text);
    assert.deepEqual(codes(r), ['DLM204']);
    assert.match(
      diag(r, 'DLM204').message,
      /Heads returns 2 \(output0, output1\)\. To train on one of them, .* \(output0, _output1\) = x \|> Body/,
    );
  });

  test('classes must match the model output', () => {
    const r = check(SPIRAL(`  data = Spiral(classes=4)\n  loss = CrossEntropy`));
    assert.match(diag(r, 'DLM204').message, /4 classes/);
  });

  test('data files must stay inside the workspace (DLM203)', () => {
    const r = check(`model N(x: [B, 2]) { x |> Dense(1) }\ndata d = Csv("../../etc/passwd")`);
    diag(r, 'DLM203');
  });

  test('lr far outside the usual range (DLM307)', () => {
    const r = check(SPIRAL(`  data = spiral\n  loss = CrossEntropy\n  optimizer = Adam(lr=5)`));
    diag(r, 'DLM307');
  });

  test('softmax before cross-entropy (DLM302) with a removal fix', () => {
    const src = SPIRAL(
      `  data = spiral\n  loss = CrossEntropy`,
      'x |> Dense(16) |> ReLU |> Dense(3) |> Softmax',
    );
    const r = check(src);
    const d = diag(r, 'DLM302');
    const e = d.fixes![0]!.edits[0]!;
    const fixed = src.slice(0, e.span.start) + e.newText + src.slice(e.span.end);
    assert.match(fixed, /Dense\(3\) \}/);
    assert.deepEqual(codes(check(fixed)), []);
  });

  test('two linear layers in a row (DLM300) name the equivalent layer', () => {
    const r = check(`model M(x: [B, 10]) { x |> Dense(20) |> Dense(5) }`);
    assert.match(diag(r, 'DLM300').message, /Dense\(in=10, out=5\) with 55 parameters/);
  });

  test('deep sigmoid stack (DLM301), dropout before batchnorm (DLM303), checkerboard (DLM305), bias before BN (DLM308)', () => {
    const r =
      check(`model M(x: [B, 8]) { x |> repeat 6 (Dense(8) |> Sigmoid) |> Dropout(0.5) |> BatchNorm1d }
model G(z: [B, 16, 4, 4]) { z |> ConvTranspose2d(8, 3, stride=2) |> Conv2d(8, 3) |> BatchNorm2d }`);
    diag(r, 'DLM301');
    diag(r, 'DLM303');
    diag(r, 'DLM305');
    diag(r, 'DLM308');
  });

  test('BatchNorm in a WGAN critic (DLM304)', () => {
    diag(
      check(
        `model Critic(x: [B, 3, 8, 8]) { x |> Conv2d(8, 3, bias=false) |> BatchNorm2d |> ReLU }`,
      ),
      'DLM304',
    );
  });
});

describe('checker: data files', () => {
  test('a missing data file is a warning (DLM206); an existing one is fine', () => {
    const src = `data d = Csv("data/houses.csv", target="price")\nmodel N(x: [B, 2]) { x |> Dense(1) }`;
    const missing = check(src);
    assert.equal(diag(missing, 'DLM206').severity, 'warning');
    const present = check(src, { 'data/houses.csv': 'a,b,price\n1,2,3\n' });
    assert.ok(!present.diagnostics.some((d) => d.code === 'DLM206'));
  });

  test("datasetFiles lists the paths a train section's data reads, and none for built-ins", () => {
    const r = check(
      `data imgs = Idx(images="data/i.gz", labels="data/l.gz")\nmodel N(x: [B, 784]) -> [B, 10] { x |> Dense(10) }\ntrain N { data = imgs\n loss = CrossEntropy }\nmodel S(x: [B, 2]) -> [B, 3] { x |> Dense(3) }\ntrain S { data = Spiral\n loss = CrossEntropy }`,
    );
    const files = r.trains.map((t) => (t.data ? datasetFiles(t.data) : []));
    assert.deepEqual(files, [['data/i.gz', 'data/l.gz'], []]);
  });
});

describe('checker: autoencoders', () => {
  const AE = (loss: string, out = '784') => `
model AE(x: [B, 784]) { x |> Dense(32) |> ReLU |> Dense(${out}) }
train AE {
  data = Digits
  loss = ${loss}
  target = input
}`;
  test('target = input trains on reconstruction', () => {
    const r = check(AE('MSE'));
    assert.deepEqual(codes(r), []);
    assert.equal(r.trains[0]!.target, 'input');
  });
  test('target = input needs a reconstruction loss and matching shapes', () => {
    diag(check(AE('CrossEntropy')), 'DLM204');
    assert.match(diag(check(AE('MSE', '10')), 'DLM204').message, /maps \[B, 784\] to \[B, 10\]/);
  });
});

describe('checker: provenance', () => {
  test('each merge input is traced back to the model input by its own name', () => {
    const r = check(`model U(x: [B, 3, 65, 65]) {
  e1 = x |> Conv2d(16, 3, padding=1) |> ReLU
  d = e1 |> MaxPool2d(2) |> ConvTranspose2d(16, 2, stride=2)
  (d, e1) |> Concat(axis=1)
}`);
    const d = diag(r, 'DLM104');
    assert.ok(
      d.related!.some((x) => x.message === 'x is [B, 3, 65, 65] here'),
      JSON.stringify(d.related),
    );
    assert.ok(!d.related!.some((x) => /^e1 is/.test(x.message)));
  });
});

describe('checker: stage shapes across block uses', () => {
  test('a block stage used with different shapes keeps every variant', () => {
    const src = `block Down(c: int)(x) { x |> Conv2d(c, 3, stride=2, padding=1) }
model M(x: [B, 3, 32, 32]) { x |> Down(8) |> Down(8) |> Down(16) }`;
    const r = check(src);
    assert.deepEqual(codes(r), []);
    const conv = r.stageShapes.find((s) =>
      src.slice(s.span.start, s.span.end).startsWith('Conv2d'),
    )!;
    assert.equal(conv.count, 3);
    assert.deepEqual(
      conv.variants.map((v) => `${v.shapes.map((s) => formatShape(s)).join(' ')} ×${v.count}`),
      ['[B, 8, 16, 16] ×1', '[B, 8, 8, 8] ×1', '[B, 16, 4, 4] ×1'],
    );
    assert.equal(formatShape(conv.shapes[0]!), '[B, 8, 16, 16]');
  });
});

describe('checker: initialization', () => {
  test('zero or constant weights warn (DLM306) with a fix; random choices do not', () => {
    const src = `model M(x: [B, 4]) { x |> Dense(8, init="zeros") |> ReLU |> Dense(2, init="xavier_uniform") }`;
    const r = check(src);
    const d = diag(r, 'DLM306');
    assert.equal(textAt(src, d.span), 'Dense');
    assert.equal(textAt(src, d.fixes![0]!.edits[0]!.span), 'init="zeros"');
    assert.equal(r.diagnostics.filter((x) => x.code === 'DLM306').length, 1);
    const w = r.models[0]!.nodes[2]!.params.find((p) => p.name === 'weight')!;
    assert.deepEqual(w.init, { kind: 'uniform', bound: Math.sqrt(6 / (8 + 2)) });
  });
  test('Conv2d init uses PyTorch fans (fan_out = out·Πk)', () => {
    const r = check(
      `model M(x: [B, 3, 8, 8]) { x |> Conv2d(16, 3, init="kaiming_normal") |> Conv2d(4, 3, init="xavier_normal") }`,
    );
    assert.deepEqual(codes(r), []);
    const [a, b] = r.models[0]!.nodes.map((n) => n.params[0]!.init);
    assert.deepEqual(a, { kind: 'normal', std: Math.sqrt(2 / (3 * 9)) });
    assert.deepEqual(b, { kind: 'normal', std: Math.sqrt(2 / (16 * 9 + 4 * 9)) });
  });
});
