import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SUMMARY_SCHEMA,
  compact,
  formatSummaryMarkdown,
  formatSummaryText,
  megabytes,
  optimizerState,
  summarize,
  thousands,
  trainingMemory,
} from '../../src/language/summary';
import { lenet, nested, sequence, trainWith } from './helpers/checked-fixtures';
import { checkFile, memoryHost } from '../../src/language/program';

const LENET_PARAMS = 61_706;
const LENET_MACS = 117_600 + 240_000 + 48_000 + 10_080 + 840; // 416,520 per sample

describe('summarize: totals', () => {
  it('counts LeNet-5 parameters and MACs', () => {
    const s = summarize(lenet());
    assert.equal(s.schema, SUMMARY_SCHEMA);
    assert.equal(s.schema, 'dlm.summary/1');
    assert.equal(s.model, 'LeNet');
    assert.equal(s.batch, 1);
    assert.equal(s.totals.total, LENET_PARAMS);
    assert.equal(s.totals.trainable, LENET_PARAMS);
    assert.equal(s.totals.nonTrainable, 0);
    assert.equal(s.totals.macs, LENET_MACS);
    assert.equal(s.totals.flops, 2 * LENET_MACS);
    assert.equal(s.totals.macsSymbolic, `${LENET_MACS}*B`);
    assert.equal(s.totals.paramBytes, LENET_PARAMS * 4);
    assert.deepEqual(s.totals.receptiveField, [16, 16]);
  });

  it('sums forward activations of every layer output', () => {
    const s = summarize(lenet());
    const elements =
      2 * 6 * 28 * 28 + 6 * 14 * 14 + 2 * 16 * 10 * 10 + 400 + 400 + 2 * 120 + 2 * 84 + 10;
    assert.equal(s.totals.activationBytes, elements * 4);
    assert.equal(s.totals.inputBytes, 32 * 32 * 4);
    assert.equal(
      s.rows.reduce((a, r) => a + (r.kind === 'layer' ? (r.activationBytes as number) : 0), 0),
      elements * 4,
    );
  });

  it('is JSON-serializable and round-trips', () => {
    const s = summarize(nested());
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  it('agrees with the checker totals', () => {
    for (const m of [lenet(), nested()]) {
      const s = summarize(m);
      assert.equal(s.totals.trainable, m.totals.trainable);
      assert.equal(s.totals.nonTrainable, m.totals.nonTrainable);
    }
  });
});

describe('summarize: batch substitution', () => {
  it('substitutes B = batch into MACs, activations and shapes', () => {
    const s = summarize(lenet(), { batch: 8 });
    assert.equal(s.batch, 8);
    assert.equal(s.totals.macs, 8 * LENET_MACS);
    assert.equal(s.totals.flops, 16 * LENET_MACS);
    assert.deepEqual(s.inputs[0]!.shape, {
      dims: ['B', '1', '32', '32'],
      concrete: [8, 1, 32, 32],
    });
    assert.deepEqual(s.outputs[0]!.shape, { dims: ['B', '10'], concrete: [8, 10] });
    const conv = s.rows[0]!;
    assert.equal(conv.macs, 8 * 117_600);
    assert.equal(conv.macsSymbolic, '117600*B');
    assert.equal(conv.activationBytes, 8 * 6 * 28 * 28 * 4);
  });

  it('defaults to the train section batch, then 1', () => {
    assert.equal(summarize(lenet()).batch, 1);
    assert.equal(summarize(lenet(), { train: trainWith('Adam', {}, 64) }).batch, 64);
    assert.equal(summarize(lenet(), { train: trainWith('Adam', {}, 64), batch: 2 }).batch, 2);
  });

  it('keeps dims other than B symbolic', () => {
    const s = summarize(sequence(), { batch: 4 });
    assert.equal(s.totals.macs, '256*T');
    assert.equal(s.totals.flops, '512*T');
    assert.deepEqual(s.inputs[0]!.shape, { dims: ['B', 'T', '16'] });
    assert.equal(s.totals.activationBytes, '64*T');
    // Its one Dense keeps only the model input, which is counted as the input.
    assert.equal(s.totals.training.activationBytes, 0);
    assert.equal(s.totals.training.totalBytes, 1088);
    assert.equal(s.totals.total, 68);
  });
});

describe('summarize: tree', () => {
  it('emits parent rows before their children with depths', () => {
    const s = summarize(nested());
    const outline = s.rows.map((r) => `${r.depth}:${r.kind}:${r.label}`);
    assert.deepEqual(outline, [
      '0:block:Res(8)',
      '1:layer:Dense(8)',
      '1:layer:BatchNorm1d',
      '1:layer:Add',
      '0:repeat:repeat 2',
      '1:repeat:repeat 2 #1',
      '2:layer:Dense(8)',
      '2:layer:ReLU',
      '1:repeat:repeat 2 #2',
      '2:layer:Dense(8)',
      '2:layer:ReLU',
      '0:layer:enc: Dense(8)',
      '0:layer:ReLU',
      '0:layer:enc: Dense(8)',
    ]);
    const ids = new Set(s.rows.map((r) => r.id));
    assert.equal(ids.size, s.rows.length);
    for (const r of s.rows) if (r.parent) assert.ok(ids.has(r.parent));
  });

  it('aggregates params, MACs and activations in parent rows', () => {
    const s = summarize(nested(), { batch: 2 });
    const res = s.rows[0]!;
    assert.deepEqual(res.params, { trainable: 72 + 16, nonTrainable: 16 });
    assert.equal(res.macs, 2 * (64 + 8));
    assert.equal(res.activationBytes, 3 * 2 * 8 * 4);
    assert.equal(res.layer, 'Res');
    const rep = s.rows[4]!;
    assert.deepEqual(rep.params, { trainable: 144, nonTrainable: 0 });
    assert.equal(rep.macs, 2 * 128);
    assert.equal(s.rows[5]!.params.trainable, 72);
  });

  it('gives parent rows their boundary shapes', () => {
    const s = summarize(nested());
    const res = s.rows[0]!;
    assert.equal(res.inputShapes.length, 1, 'x enters the block once (Dense and Add both read it)');
    assert.deepEqual(res.inputShapes[0]!.dims, ['B', '8']);
    assert.equal(res.outputShapes.length, 1);
    const add = s.rows[3]!;
    assert.equal(add.inputShapes.length, 2);
  });

  it('lists parameter tensors with formulas', () => {
    const s = summarize(nested());
    const bn = s.rows[2]!;
    assert.deepEqual(
      bn.paramDetail.map((p) => [p.name, p.count, p.trainable]),
      [
        ['weight', 8, true],
        ['bias', 8, true],
        ['running_mean', 8, false],
        ['running_var', 8, false],
      ],
    );
    assert.equal(s.rows[1]!.paramDetail[0]!.formula, '8·8');
  });
});

describe('summarize: shared layers', () => {
  it('counts tied parameters once and points at the first use', () => {
    const s = summarize(nested());
    const uses = s.rows.filter((r) => r.sharedKey === 'enc');
    assert.equal(uses.length, 2);
    assert.equal(uses[0]!.shared, false);
    assert.deepEqual(uses[0]!.params, { trainable: 72, nonTrainable: 0 });
    assert.equal(uses[1]!.shared, true);
    assert.deepEqual(uses[1]!.params, { trainable: 0, nonTrainable: 0 });
    assert.deepEqual(uses[1]!.paramDetail, []);
    assert.equal(uses[1]!.sharedWith, uses[0]!.id);
    // MACs are spent on every use.
    assert.equal(uses[1]!.macs, 64);
    // 72 (Res Dense) + 32 (BN) + 2·72 (repeat) + 72 (enc once)
    assert.equal(s.totals.total, 72 + 32 + 144 + 72);
  });
});

describe('summarize: optimizer state and training memory', () => {
  it('knows the state tensors per parameter', () => {
    assert.equal(optimizerState('Adam').count, 2);
    assert.equal(optimizerState('AdamW').count, 2);
    assert.equal(optimizerState('Adam', { amsgrad: true }).count, 3);
    assert.equal(optimizerState('SGD').count, 0);
    assert.equal(optimizerState('SGD', { momentum: 0 }).count, 0);
    assert.equal(optimizerState('SGD', { momentum: 0.9 }).count, 1);
    assert.equal(optimizerState('RMSProp').count, 1);
    assert.equal(optimizerState('RMSProp', { momentum: 0.9 }).count, 2);
    assert.equal(optimizerState('AdaGrad').count, 1);
    const unknown = optimizerState('Shampoo');
    assert.equal(unknown.known, false);
    assert.equal(unknown.count, 2);
  });

  it('defaults to Adam and says so', () => {
    const t = summarize(lenet()).totals.training;
    assert.equal(t.optimizer.name, 'Adam');
    assert.equal(t.optimizer.source, 'default');
    assert.equal(t.optimizerStateBytes, LENET_PARAMS * 2 * 4);
  });

  it('adds params, grads, optimizer state and saved activations', () => {
    for (const [name, args, k] of [
      ['SGD', {}, 0],
      ['SGD', { momentum: 0.9 }, 1],
      ['Adam', {}, 2],
      ['RMSProp', { momentum: 0.5 }, 2],
    ] as const) {
      const s = summarize(nested(), { train: trainWith(name, args, 16) });
      const t = s.totals.training;
      assert.equal(t.optimizer.source, 'train');
      assert.equal(t.optimizer.statePerParam, k, name);
      assert.equal(t.batch, 16);
      assert.equal(t.paramBytes, 320 * 4);
      assert.equal(t.gradBytes, 304 * 4, 'no gradients for running statistics');
      assert.equal(t.optimizerStateBytes, 304 * k * 4);
      // Kept for backward at B = 16, each value once: the first Dense's output (kept by
      // BatchNorm) and BatchNorm's 2·8 statistics, the Add's output (kept by the next Dense) and
      // the three ReLUs' outputs (kept by the ReLUs and the Dense layers after them). The first
      // Dense keeps the model input, which counts as the input.
      const saved = 16 * 8 * 4 + 2 * 8 * 4 + 16 * 8 * 4 + 3 * 16 * 8 * 4;
      assert.equal(t.activationBytes, saved);
      assert.equal(t.totalBytes, 320 * 4 + 304 * 4 + 304 * k * 4 + saved);
      // The model's hover computes the same estimate from the checker's counts alone.
      assert.deepEqual(trainingMemory(nested(), { train: trainWith(name, args, 16) }), t);
      const rows = s.rows.filter((r) => r.kind === 'layer');
      assert.equal(
        rows.reduce((a, r) => a + (r.memory.savedBytes as number), 0),
        saved,
      );
      assert.equal(
        rows.reduce((a, r) => a + r.memory.gradBytes + r.memory.optimizerStateBytes, 0),
        t.gradBytes + t.optimizerStateBytes,
      );
    }
  });
});

describe('number formatting', () => {
  it('formats thousands, compact units and megabytes', () => {
    assert.equal(thousands(11_689_512), '11,689,512');
    assert.equal(thousands(999), '999');
    assert.equal(thousands(-1234), '-1,234');
    assert.equal(compact(1_813_561_344), '1.81 G');
    assert.equal(compact(3_627_122_688), '3.63 G');
    assert.equal(compact(416_520), '416.52 K');
    assert.equal(compact(12), '12');
    assert.equal(megabytes(246_824), '0.25');
    assert.equal(megabytes(4096), '0.0041');
    assert.equal(megabytes(0), '0.00');
    // symbolic sizes are in MB per unit of their symbols, never in bytes under an (MB) title
    assert.equal(megabytes('64*T'), '0.000064·T');
    assert.equal(megabytes('4*T'), '0.000004·T');
    assert.equal(megabytes('12288*T + 400'), '0.0123·T + 0.0004');
    assert.equal(megabytes('4*H*W - 8'), '0.000004·H·W - 0.000008');
    assert.equal(megabytes('T'), '0.000001·T');
    assert.equal(megabytes('4*(H - 1)/2 + 3000000'), '0.000004·(H - 1)/2 + 3.00');
  });
});

describe('formatSummaryText', () => {
  const text = formatSummaryText(summarize(lenet()));
  const lines = text.split('\n');

  it('has the header, root row and one line per layer', () => {
    assert.match(text, /^Model: LeNet/);
    assert.match(
      text,
      /Layer \(type\)\s+Input shape\s+Output shape\s+Param #\s+MACs\s+Train mem \(MB\)/,
    );
    assert.ok(
      lines.some((l) =>
        /^LeNet\s+\[B, 1, 32, 32\]\s+\[B, 10\]\s+61,706\s+416,520\s+1\.02$/.test(l),
      ),
    );
    // 156 parameters: 156·4 gradients + 156·8 Adam state; it keeps only the model input.
    assert.ok(
      lines.some((l) =>
        /^├─Conv2d\(6, 5\)\s+\[B, 1, 32, 32\]\s+\[B, 6, 28, 28\]\s+156\s+117,600\s+0\.00187$/.test(
          l,
        ),
      ),
    );
    // The first Tanh's output, kept by the Tanh and the pooling after it: 6·28·28·4 bytes.
    assert.ok(lines.some((l) => /^├─Tanh\s+.*\s+0\.0188$/.test(l)));
    assert.ok(
      lines.some((l) => /^└─Dense\(10\)\s+\[B, 84\]\s+\[B, 10\]\s+850\s+840\s+0\.0102$/.test(l)),
    );
  });

  it('prints the totals block', () => {
    assert.match(text, /^Total params: 61,706$/m);
    assert.match(text, /^Trainable params: 61,706$/m);
    assert.match(text, /^Non-trainable params: 0$/m);
    assert.match(text, /^Total MACs: 416\.52 K \(FLOPs = 2·MACs: 833\.04 K\) at B = 1$/m);
    assert.match(text, /^Params size \(MB\): 0\.25$/m);
    assert.match(text, /^Forward activations \(MB\): 0\.06$/m);
    assert.match(text, /^ {2}Optimizer state \(Adam, 2 per param\) \(MB\): 0\.49$/m);
    assert.match(text, /Adam assumed: no train section/);
    // Kept for backward at B = 1: the Tanh outputs (4704, 1600, 120, 84 floats), the pooled
    // maps the next layers keep (1176, 400): 8084 floats, the same as PyTorch's saved tensors
    // for LeNet-5 (test/fixtures/torch/memory.json, 64,672 bytes at B = 2).
    assert.match(text, /^ {2}Saved activations \(MB\): 0\.0323$/m);
    assert.match(text, /^Estimated training memory \(MB\): 1\.02$/m);
    assert.match(text, /^Receptive field: 16 × 16$/m);
  });

  it('aligns columns: every table row has the same width as the header', () => {
    const start = lines.findIndex((l) => l.startsWith('Layer (type)'));
    const rows = lines.slice(start + 2, start + 2 + 13);
    const widths = new Set(rows.map((r) => r.length));
    assert.equal(widths.size, 1, rows.join('\n'));
    assert.ok(Math.max(...lines.map((l) => l.length)) <= 140);
  });

  it('draws the tree and the shared note', () => {
    const t = formatSummaryText(summarize(nested()), { shapeStyle: 'times' });
    assert.match(t, /^├─Res\(8\)\s+B×8/m);
    assert.match(t, /^│ ├─Dense\(8\)/m);
    assert.match(t, /^│ └─Add\s+2× B×8/m);
    assert.match(t, /^│ └─repeat 2 #2/m);
    assert.match(t, /^│ {3}└─ReLU/m);
    assert.match(t, /^└─enc: Dense\(8\).*shared with enc: Dense\(8\)/m);
    assert.match(t, /Non-trainable/);
    assert.match(t, /^Non-trainable params: 16$/m);
    assert.ok(!t.includes('\x1b['));
  });

  it('colors only when asked', () => {
    const t = formatSummaryText(summarize(nested()), { color: true });
    assert.ok(t.includes('\x1b[1m'));
    // Colors do not change the layout.
    const plain = t
      .split(String.fromCharCode(27))
      .map((part, i) => (i ? part.replace(/^\[\d+m/, '') : part))
      .join('');
    assert.equal(plain, formatSummaryText(summarize(nested())));
  });

  it('shortens long layer labels to fit maxWidth', () => {
    const base = summarize(lenet());
    const long = {
      ...base,
      rows: base.rows.map((r, i) => (i === 0 ? { ...r, label: `Conv2d(${'x'.repeat(200)})` } : r)),
    };
    const lines = formatSummaryText(long).split('\n');
    const row = lines.find((l) => l.startsWith('├─Conv2d(xxx'))!;
    assert.ok(row.includes('…'));
    assert.equal(row.length, 140);
    assert.ok(formatSummaryText(long, { maxWidth: 100 }).includes('…'));
    assert.ok(!formatSummaryText(base).includes('…'));
  });

  it('prints symbolic MACs when a dim other than B remains', () => {
    const t = formatSummaryText(summarize(sequence()));
    assert.match(t, /^Total MACs: 64·T \(FLOPs = 2·MACs: 128·T\) at B = 1$/m);
  });
});

describe('formatSummaryMarkdown', () => {
  it('renders a markdown table with the same content', () => {
    const md = formatSummaryMarkdown(summarize(nested(), { train: trainWith('SGD') }));
    const lines = md.split('\n');
    assert.equal(lines[0], '### Nested');
    const header = lines.find((l) => l.startsWith('| Layer'))!;
    assert.equal(
      header,
      '| Layer (type) | Input shape | Output shape | Param # | Non-trainable | MACs | Train mem (MB) |',
    );
    assert.ok(lines.includes('|:---|:---|:---|---:|---:|---:|---:|'));
    const tableRows = lines.filter((l) => l.startsWith('| ') && l !== header);
    assert.equal(tableRows.length, 1 + 14);
    for (const r of tableRows) assert.equal(r.split(' | ').length, 7, r);
    // B = 32, SGD: 320·4 parameters + 304·4 gradients + 5,184 bytes kept for backward.
    assert.ok(lines.includes('| **Nested** | [B, 8] | [B, 8] | 320 | 16 | 10,496 | 0.00768 |'));
    assert.match(md, /\*shared with enc: Dense\(8\)\*/);
    assert.match(md, /^- \*\*Total params:\*\* 320$/m);
    assert.match(md, /^ {2}- \*\*Optimizer state \(SGD, 0 per param\) \(MB\):\*\* 0\.00$/m);
  });
});

describe('summarize: outputs after an error', () => {
  it('a declared output is null when an upstream error left its shape unknown', () => {
    const check = (src: string) =>
      checkFile('/ws/m.dlm', memoryHost({ '/ws/m.dlm': src }, '/ws')).models[0]!;
    // Dense on a rank-4 feature map is an error: the declared [B, 10] is not what was inferred.
    const bad = summarize(
      check(`model M(x: [B, 3, 8, 8]) -> (out: [B, 10]) { x |> Conv2d(4, 3) |> Dense(10) }`),
    );
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.outputs, [{ name: 'out', shape: null }]);
    assert.deepEqual(bad.inputs[0]!.shape?.dims, ['B', '3', '8', '8']);
    const good = summarize(
      check(`model M(x: [B, 3, 8, 8]) -> (out: [B, 10]) { x |> Flatten |> Dense(10) }`),
    );
    assert.equal(good.ok, true);
    assert.deepEqual(good.outputs[0]!.shape?.dims, ['B', '10']);
  });
});
