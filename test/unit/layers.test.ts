import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Dim, formatShape, shape, type Shape } from '../../src/core';
import { editDistance, didYouMean, suggestions } from '../../src/core/suggest';
import { makeAttrs, resolveAttrs, resolvePadding } from '../../src/layers/attrs';
import {
  LAYERS,
  countParams,
  getLayer,
  layerNames,
  runLayer,
  type LayerRun,
} from '../../src/layers/catalog';
import * as activation from '../../src/layers/activation';
import * as attention from '../../src/layers/attention';
import * as conv from '../../src/layers/conv';
import * as dense from '../../src/layers/dense';
import * as embedding from '../../src/layers/embedding';
import * as learned from '../../src/layers/learned';
import * as merge from '../../src/layers/merge';
import * as norm from '../../src/layers/norm';
import * as pool from '../../src/layers/pool';
import * as recurrent from '../../src/layers/recurrent';
import * as regularization from '../../src/layers/regularization';
import * as shapeLayers from '../../src/layers/shape';
import type { LayerDef, LayerResult, ParamSpec, AttrValue } from '../../src/layers/types';
import { LAYER_DOCS_PATH, renderLayerDocs } from '../../scripts/gen-layer-docs';

// ---------------------------------------------------------------- helpers

type ShapeLike = readonly (number | string | Dim)[];

function run(
  layer: string,
  inputs: readonly ShapeLike[],
  pos: readonly AttrValue[] = [],
  kw: Readonly<Record<string, AttrValue>> = {},
): LayerRun {
  const def = getLayer(layer);
  assert.ok(def, `no layer ${layer}`);
  return runLayer(
    def,
    inputs.map((s) => shape(...s)),
    pos,
    kw,
  );
}

/** Run and require success; returns the result and warnings. */
function ok(
  layer: string,
  inputs: readonly ShapeLike[],
  pos: readonly AttrValue[] = [],
  kw: Readonly<Record<string, AttrValue>> = {},
): LayerResult & { warnings: LayerRun['warnings']; out: string; total: number } {
  const r = run(layer, inputs, pos, kw);
  assert.deepEqual(r.attrErrors, [], `attribute errors for ${layer}`);
  assert.equal(r.error, undefined, r.error?.message);
  const res = r.result!;
  const c = countParams(res);
  return { ...res, warnings: r.warnings, out: formatShape(res.outputs[0]!), total: c.trainable };
}

/** Run and require a ShapeError with this code; returns it. */
function fails(
  code: string,
  layer: string,
  inputs: readonly ShapeLike[],
  pos: readonly AttrValue[] = [],
  kw: Readonly<Record<string, AttrValue>> = {},
) {
  const r = run(layer, inputs, pos, kw);
  assert.deepEqual(r.attrErrors, []);
  assert.ok(r.error, `expected ${code} from ${layer}`);
  assert.equal(r.error.code, code, r.error.message);
  return r.error;
}

const B = Dim.sym('B');
const H = Dim.sym('H');
const W = Dim.sym('W');
const T = Dim.sym('T');

const byName = (ps: readonly ParamSpec[]) => Object.fromEntries(ps.map((p) => [p.name, p]));
const shapes = (ps: readonly ParamSpec[]) =>
  Object.fromEntries(ps.map((p) => [p.name, [...p.shape]]));

/** Pass a concrete input through a chain of layers and total the trainable parameters. */
function chain(input: ShapeLike, stages: [string, AttrValue[]?, Record<string, AttrValue>?][]) {
  let x: Shape = shape(...input);
  let total = 0;
  for (const [name, pos, kw] of stages) {
    const r = runLayer(getLayer(name)!, [x], pos ?? [], kw ?? {});
    assert.equal(r.error, undefined, r.error?.message);
    assert.deepEqual(r.attrErrors, []);
    x = r.result!.outputs[0]!;
    total += countParams(r.result!).trainable;
  }
  return { out: formatShape(x), total };
}

// ---------------------------------------------------------------- catalog

describe('catalog', () => {
  const contract = [
    'Dense',
    'Conv1d',
    'Conv2d',
    'Conv3d',
    'ConvTranspose1d',
    'ConvTranspose2d',
    'MaxPool1d',
    'MaxPool2d',
    'AvgPool1d',
    'AvgPool2d',
    'GlobalAvgPool',
    'GlobalMaxPool',
    'AdaptiveAvgPool2d',
    'Upsample',
    'Flatten',
    'Reshape',
    'Permute',
    'Identity',
    'Mean',
    'Select',
    'BatchNorm1d',
    'BatchNorm2d',
    'LayerNorm',
    'InstanceNorm1d',
    'InstanceNorm2d',
    'Dropout',
    'Embedding',
    'SimpleRNN',
    'LSTM',
    'GRU',
    'MultiHeadAttention',
    'TransformerEncoder',
    'PositionalEncoding',
    'Add',
    'Multiply',
    'Concat',
    'Reparameterize',
    'ReLU',
    'Sigmoid',
    'Tanh',
    'SiLU',
    'LeakyReLU',
    'PReLU',
    'ELU',
    'GELU',
    'Softplus',
    'Softmax',
    'LogSoftmax',
    'ReLU6',
    'Hardtanh',
    'Hardsigmoid',
    'Hardswish',
    'Mish',
    'GroupNorm',
    'RepeatVector',
    'Parameter',
    'Expand',
    'PaddingMask',
  ];

  it('has exactly the layers of decision 0001', () => {
    assert.deepEqual([...layerNames()].sort(), [...contract].sort());
    assert.equal(LAYERS.size, contract.length);
    assert.equal(getLayer('Conv2d')?.name, 'Conv2d');
    assert.equal(getLayer('conv2d'), undefined);
  });

  it('contains every LayerDef the family files export', () => {
    const families = [
      activation,
      attention,
      conv,
      dense,
      embedding,
      learned,
      merge,
      norm,
      pool,
      recurrent,
      regularization,
      shapeLayers,
    ];
    for (const m of families)
      for (const v of Object.values(m) as unknown[])
        if (typeof v === 'object' && v !== null && 'infer' in v) {
          const def = v as LayerDef;
          assert.equal(LAYERS.get(def.name), def, def.name);
        }
  });

  it('docs/layers.md is generated from the catalog and up to date', () => {
    const md = renderLayerDocs();
    assert.equal(readFileSync(LAYER_DOCS_PATH, 'utf8'), md, 'run npm run docs:layers');
    for (const name of layerNames()) assert.ok(md.includes(`### ${name}\n`), name);
  });

  it('documents every layer and attribute; positional names are attributes', () => {
    for (const def of LAYERS.values()) {
      assert.ok(def.summary.length > 5, def.name);
      assert.ok(def.doc.length > 40, def.name);
      assert.ok(def.paramFormula, `${def.name} paramFormula`);
      assert.ok(def.macsFormula, `${def.name} macsFormula`);
      for (const a of def.attrs) assert.ok(a.doc.length > 3, `${def.name}.${a.name}`);
      for (const p of def.positional)
        assert.ok(
          def.attrs.some((a) => a.name === p),
          `${def.name} positional ${p}`,
        );
      assert.equal(new Set(def.attrs.map((a) => a.name)).size, def.attrs.length, def.name);
    }
  });

  it('follows the positional order and defaults of decision 0001', () => {
    const pos = (n: string) => getLayer(n)!.positional;
    const dflt = (n: string, a: string) => getLayer(n)!.attrs.find((x) => x.name === a)?.default;
    assert.deepEqual(pos('Conv2d'), ['out', 'kernel']);
    assert.deepEqual(pos('ConvTranspose2d'), ['out', 'kernel']);
    assert.deepEqual(pos('MaxPool2d'), ['kernel']);
    assert.deepEqual(pos('Embedding'), ['vocab', 'dim']);
    assert.deepEqual(pos('TransformerEncoder'), ['dim', 'heads']);
    assert.deepEqual(pos('LSTM'), ['hidden']);
    assert.deepEqual(pos('BatchNorm2d'), []);
    assert.equal(dflt('LeakyReLU', 'alpha'), 0.01);
    assert.equal(dflt('ELU', 'alpha'), 1.0);
    assert.equal(dflt('BatchNorm2d', 'eps'), 1e-5);
    assert.equal(dflt('BatchNorm2d', 'momentum'), 0.1);
    assert.equal(dflt('InstanceNorm2d', 'affine'), false);
    assert.equal(dflt('TransformerEncoder', 'ff'), 2048);
    assert.equal(dflt('TransformerEncoder', 'dropout'), 0.1);
    assert.equal(dflt('PositionalEncoding', 'max_len'), 5000);
    assert.equal(dflt('Concat', 'axis'), 1);
    assert.equal(dflt('Softplus', 'threshold'), 20);
    assert.equal(dflt('Hardtanh', 'min'), -1);
    assert.equal(dflt('Hardtanh', 'max'), 1);
    assert.equal(dflt('SimpleRNN', 'nonlinearity'), 'tanh');
    assert.equal(
      getLayer('LSTM')!.attrs.some((a) => a.name === 'nonlinearity'),
      false,
    );
  });

  it('marks activations (and only parameter-free shape layers not) as nonlinear', () => {
    for (const n of ['ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Softmax', 'PReLU', 'LeakyReLU'])
      assert.equal(getLayer(n)!.nonlinear, true, n);
    for (const n of ['Dense', 'Conv2d', 'Identity', 'Flatten', 'Dropout', 'BatchNorm2d'])
      assert.ok(!getLayer(n)!.nonlinear, n);
  });
});

// ---------------------------------------------------------------- dense

describe('Dense', () => {
  it('counts in·out + out and N·in·out MACs with symbolic B', () => {
    const r = ok('Dense', [[B, 784]], [10]);
    assert.equal(r.out, '[B, 10]');
    assert.equal(r.total, 7850);
    assert.ok(r.macs.equals(B.mul(7840)));
    assert.equal(ok('Dense', [[B, 784]], [10], { bias: false }).total, 7840);
    assert.equal(ok('Dense', [[B, 1]], [4]).total, 8); // shallow net layer 1
  });

  it('the shallow net Di=1, D=4, Do=2 has 18 parameters', () => {
    assert.equal(chain([B, 1], [['Dense', [4]], ['ReLU'], ['Dense', [2]]]).total, 18);
  });

  it('suggests Flatten on a feature map, checks a written in', () => {
    const e = fails('DLM101', 'Dense', [[B, 64, 7, 7]], [10]);
    assert.equal(e.opts.fixes?.[0]?.kind, 'insertBefore');
    const e2 = fails('DLM100', 'Dense', [[B, 400]], [120], { in: 300 });
    assert.deepEqual(e2.opts.fixes?.[0], {
      kind: 'setAttr',
      attr: 'in',
      value: '400',
      title: 'Set in=400',
    });
    fails('DLM100', 'Dense', [[B, 'F']], [10]); // needs a concrete feature size
  });
});

// ---------------------------------------------------------------- conv

describe('Conv', () => {
  it('VGG-style conv: 3·3·64·128 + 128 = 73,856, symbolic H and W kept', () => {
    const r = ok('Conv2d', [[B, 64, H, W]], [128, 3], { padding: 1 });
    assert.equal(r.out, '[B, 128, H, W]');
    assert.equal(r.total, 73_856);
    assert.deepEqual(shapes(r.params), { weight: [128, 64, 3, 3], bias: [128] });
    assert.ok(
      r.macs.equals(
        B.mul(H)
          .mul(W)
          .mul(128 * 64 * 9),
      ),
    );
    assert.deepEqual(r.receptive, { kernel: [3, 3], stride: [1, 1], dilation: [1, 1] });
    assert.deepEqual(r.warnings, []);
  });

  it('PyTorch init: kaiming-uniform with fan_in = (Cin/g)·Πk for weight and bias', () => {
    const p = byName(ok('Conv2d', [[B, 16, 8, 8]], [32, 3], { groups: 4 }).params);
    assert.deepEqual(p.weight!.init, { kind: 'kaiming_uniform', fanIn: 4 * 9 });
    assert.deepEqual(p.bias!.init, { kind: 'kaiming_uniform', fanIn: 4 * 9 });
  });

  it('valid conv shrinks by k − 1; stride 2 gives the (H − 1)/2 + 1 form', () => {
    assert.ok(ok('Conv2d', [[B, 3, H, W]], [8, 3]).outputs[0]![2]!.equals(H.sub(2)));
    const s2 = ok('Conv2d', [[B, 3, H, W]], [8, 3], { stride: 2, padding: 1 }).outputs[0]!;
    assert.ok(s2[2]!.equals(H.sub(1).floorDiv(2).add(1)));
    assert.ok(s2[3]!.equals(W.sub(1).floorDiv(2).add(1)));
    // Symbolic: no warning, the floor is part of the dim.
    assert.deepEqual(ok('Conv2d', [[B, 3, H, W]], [8, 3], { stride: 2 }).warnings, []);
    // Dilation uses the effective kernel d·(k−1)+1.
    assert.ok(ok('Conv1d', [[B, 4, T]], [8, 3], { dilation: 4 }).outputs[0]![2]!.equals(T.sub(8)));
  });

  it('AlexNet conv1 on 224: floored 54.25 → 54 with a warning naming 227', () => {
    const r = ok('Conv2d', [[B, 3, 224, 224]], [96, 11], { stride: 4 });
    assert.equal(r.out, '[B, 96, 54, 54]');
    assert.equal(r.total, 34_944);
    assert.equal(r.warnings.length, 2); // height and width
    const w = r.warnings.find((x) => x.message.includes('width'))!;
    assert.equal(w.code, 'DLM103');
    assert.match(w.message, /^Conv2d\(96, 11, stride=4\) on width 224: /);
    assert.match(w.message, /\(224 − 11\)\/4 \+ 1 = 54\.25 is floored to 54/);
    assert.match(w.message, /1 input column is dropped/);
    assert.match(w.message, /Input size 227 tiles exactly \(55 outputs\)/);
    assert.match(r.warnings.find((x) => x.message.includes('height'))!.message, /input row is/);
    // On 227 it tiles exactly.
    const r2 = ok('Conv2d', [[B, 3, 227, 227]], [96, 11], { stride: 4 });
    assert.equal(r2.out, '[B, 96, 55, 55]');
    assert.deepEqual(r2.warnings, []);
  });

  it('does not warn when only padding is left over (ResNet stem, k3 s2 p1)', () => {
    const r = ok('Conv2d', [[B, 3, 224, 224]], [64, 7], { stride: 2, padding: 3, bias: false });
    assert.equal(r.out, '[B, 64, 112, 112]');
    assert.equal(r.total, 9408);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      ok('Conv2d', [[B, 64, 56, 56]], [128, 3], { stride: 2, padding: 1 }).warnings,
      [],
    );
    // Without padding an odd leftover row/column is real input.
    const odd = ok('Conv2d', [[B, 3, 28, 28]], [8, 3], { stride: 2 });
    assert.equal(odd.out, '[B, 8, 13, 13]');
    assert.equal(odd.warnings[0]?.code, 'DLM103');
  });

  it('a non-positive output size is DLM102 with the formula', () => {
    const e = fails('DLM102', 'Conv2d', [[B, 3, 3, 3]], [8, 5]);
    assert.match(e.message, /on height 3: 3 − 5 \+ 1 = -1/);
    assert.match(e.message, /kernel 5 is larger than the input height 3/);
    fails('DLM102', 'Conv1d', [[B, 3, 4]], [8, 3], { dilation: 2 });
  });

  it('"same" and "valid" padding', () => {
    assert.equal(ok('Conv2d', [[B, 8, H, W]], [16, 3], { padding: 'same' }).out, '[B, 16, H, W]');
    // Even kernel: PyTorch puts the odd extra unit at the end.
    assert.equal(ok('Conv2d', [[B, 8, H, W]], [16, 4], { padding: 'same' }).out, '[B, 16, H, W]');
    assert.equal(
      ok('Conv2d', [[B, 8, 15, 15]], [16, 3], { padding: 'same', dilation: 2 }).out,
      '[B, 16, 15, 15]',
    );
    assert.equal(
      ok('Conv2d', [[B, 8, 20, 20]], [16, 3], { padding: 'valid' }).out,
      '[B, 16, 18, 18]',
    );
    const e = fails('DLM108', 'Conv2d', [[B, 8, 32, 32]], [16, 3], { padding: 'same', stride: 2 });
    assert.match(e.message, /ceil\(n\/stride\)/);
    assert.equal(e.opts.attr, 'padding');
    assert.deepEqual(e.opts.fixes?.[0], {
      kind: 'setAttr',
      attr: 'padding',
      value: '1',
      title: 'Use padding=1',
    });
  });

  it('resolvePadding splits d·(k−1) with the extra unit after', () => {
    const def = getLayer('Conv2d')!;
    const p = resolvePadding('Conv2d', makeAttrs(def, { padding: 'same' }), [4, 3], [1, 1], [1, 2]);
    assert.deepEqual(p, { before: [1, 2], after: [2, 2], mode: 'same' });
    assert.deepEqual(
      resolvePadding('Conv2d', makeAttrs(def, { padding: [1, 2] }), [3, 5], [1, 1], [1, 1]),
      { before: [1, 2], after: [1, 2], mode: 'explicit' },
    );
  });

  it('tuple kernel, stride and padding per axis; wrong tuple length is DLM108', () => {
    const r = ok('Conv2d', [[B, 4, 20, 30]], [8, [3, 5]], { padding: [1, 2] });
    assert.equal(r.out, '[B, 8, 20, 30]');
    assert.equal(r.total, 8 * 4 * 15 + 8);
    const e = fails('DLM108', 'Conv2d', [[B, 4, 20, 30]], [8, [3, 3, 3]]);
    assert.match(e.message, /has 3 entries, but Conv2d needs 2/);
    assert.equal(ok('Conv3d', [[B, 1, 16, 32, 32]], [8, 3]).out, '[B, 8, 14, 30, 30]');
  });

  it('channel checks: written in, groups, symbolic channels', () => {
    const e = fails('DLM100', 'Conv2d', [[B, 3, 32, 32]], [16, 3], { in: 1 });
    assert.deepEqual(e.opts.fixes?.[0], {
      kind: 'setAttr',
      attr: 'in',
      value: '3',
      title: 'Set in=3',
    });
    assert.equal(ok('Conv2d', [[B, 3, 32, 32]], [16, 3], { in: 3 }).total, 448);
    assert.equal(
      fails('DLM105', 'Conv2d', [[B, 6, 8, 8]], [16, 3], { groups: 4 }).opts.attr,
      'groups',
    );
    fails('DLM105', 'Conv2d', [[B, 8, 8, 8]], [6, 3], { groups: 4 });
    // Depthwise: groups = in.
    assert.equal(ok('Conv2d', [[B, 32, 8, 8]], [32, 3], { groups: 32, bias: false }).total, 288);
    fails('DLM100', 'Conv2d', [[B, 'C', 8, 8]], [16, 3]);
  });

  it('wrong rank is DLM101 with a Reshape suggestion', () => {
    const e = fails('DLM101', 'Conv2d', [[B, 784]], [6, 5]);
    assert.match(e.message, /\[N, C, H, W\]/);
    assert.deepEqual(e.opts.fixes?.[0], {
      kind: 'insertBefore',
      text: 'Reshape((1, 28, 28))',
      title: 'Insert Reshape((1, 28, 28)) before Conv2d',
    });
    const e2 = fails('DLM101', 'Conv2d', [[B, 28, 28]], [6, 5]);
    assert.equal(e2.opts.fixes?.[0]?.kind, 'insertBefore');
    fails('DLM101', 'Conv1d', [[B, 3, 8, 8]], [6, 3]);
  });

  it('ConvTranspose: (n−1)·s − 2p + d·(k−1) + output_padding + 1, weight [in, out/g, k...]', () => {
    const r = ok('ConvTranspose2d', [[B, 512, H, W]], [256, 4], {
      stride: 2,
      padding: 1,
      bias: false,
    });
    assert.equal(r.out, '[B, 256, 2*H, 2*W]');
    assert.equal(r.total, 512 * 256 * 16);
    assert.deepEqual(shapes(r.params), { weight: [512, 256, 4, 4] });
    assert.deepEqual(byName(r.params).weight!.init, { kind: 'kaiming_uniform', fanIn: 256 * 16 });
    // MACs N·Cin·Πin·(Cout/g)·Πk.
    assert.ok(
      r.macs.equals(
        B.mul(H)
          .mul(W)
          .mul(512 * 256 * 16),
      ),
    );
    assert.equal(r.receptive, undefined);
    assert.deepEqual(r.warnings, []);
    assert.equal(
      ok('ConvTranspose2d', [[B, 100, 1, 1]], [512, 4], { bias: false }).out,
      '[B, 512, 4, 4]',
    );
    const op = ok('ConvTranspose2d', [[B, 32, 7, 7]], [16, 3], {
      stride: 2,
      padding: 1,
      output_padding: 1,
    });
    assert.equal(op.out, '[B, 16, 14, 14]');
    assert.equal(op.total, 32 * 16 * 9 + 16);
    assert.equal(op.warnings[0]?.code, 'DLM305'); // k=3 not divisible by stride 2
    fails('DLM108', 'ConvTranspose2d', [[B, 32, 7, 7]], [16, 3], { stride: 2, output_padding: 2 });
    assert.equal(ok('ConvTranspose1d', [[B, 4, 10]], [8, 3]).out, '[B, 8, 12]');
  });
});

// ---------------------------------------------------------------- pooling

describe('Pooling', () => {
  it('MaxPool2d(2): stride defaults to kernel, floor(H/2) symbolically', () => {
    const r = ok('MaxPool2d', [[B, 6, H, W]], [2]);
    assert.ok(r.outputs[0]![2]!.equals(H.floorDiv(2)));
    assert.equal(r.total, 0);
    assert.ok(r.macs.equals(Dim.const(0)));
    assert.deepEqual(r.receptive, { kernel: [2, 2], stride: [2, 2], dilation: [1, 1] });
    assert.equal(ok('MaxPool2d', [[B, 6, 28, 28]], [2]).out, '[B, 6, 14, 14]');
  });

  it('odd sizes are floored with a warning; ceil_mode keeps the partial window', () => {
    const r = ok('MaxPool2d', [[B, 6, 27, 27]], [2]);
    assert.equal(r.out, '[B, 6, 13, 13]');
    assert.equal(r.warnings[0]?.code, 'DLM103');
    assert.match(
      r.warnings[0]!.message,
      /^MaxPool2d\(2\) on height 27: \(27 − 2\)\/2 \+ 1 = 13\.5 is floored to 13/,
    );
    assert.match(r.warnings[0]!.message, /Input size 28 tiles exactly \(14 outputs\), as does 26/);
    const c = ok('MaxPool2d', [[B, 6, 27, 27]], [2], { ceil_mode: true });
    assert.equal(c.out, '[B, 6, 14, 14]');
    assert.deepEqual(c.warnings, []);
    assert.equal(
      ok('MaxPool2d', [[B, 8, 14, 14]], [3], { stride: 2, ceil_mode: true }).out,
      '[B, 8, 7, 7]',
    );
    assert.equal(ok('AvgPool2d', [[B, 6, 5, 5]], [2], { ceil_mode: true }).out, '[B, 6, 3, 3]');
  });

  it('padding, dilation and the half-kernel padding limit', () => {
    assert.equal(
      ok('MaxPool2d', [[B, 64, 112, 112]], [3], { stride: 2, padding: 1 }).out,
      '[B, 64, 56, 56]',
    );
    assert.equal(
      ok('MaxPool2d', [[B, 4, 10, 10]], [2], { stride: 1, dilation: 2 }).out,
      '[B, 4, 8, 8]',
    );
    assert.equal(ok('AvgPool1d', [[B, 3, 20]], [4], { stride: 2 }).out, '[B, 3, 9]');
    fails('DLM108', 'MaxPool2d', [[B, 4, 10, 10]], [2], { padding: 2 });
    fails('DLM102', 'MaxPool2d', [[B, 4, 1, 1]], [2]);
    assert.equal(
      getLayer('AvgPool2d')!.attrs.some((a) => a.name === 'dilation'),
      false,
    );
    const e = run('AvgPool2d', [[B, 4, 8, 8]], [2], { dilation: 2 }).attrErrors[0];
    assert.equal(e?.code, 'DLM011');
  });

  it('global, adaptive and upsampling', () => {
    assert.equal(ok('GlobalAvgPool', [[B, 512, H, W]]).out, '[B, 512]');
    assert.equal(
      ok('GlobalAvgPool', [[B, 512, 7, 7]], [], { keepdims: true }).out,
      '[B, 512, 1, 1]',
    );
    assert.equal(ok('GlobalMaxPool', [[B, 128, T]]).out, '[B, 128]');
    fails('DLM101', 'GlobalAvgPool', [[B, 10]]);
    assert.equal(ok('AdaptiveAvgPool2d', [[B, 8, H, W]], [[2, 3]]).out, '[B, 8, 2, 3]');
    assert.equal(ok('AdaptiveAvgPool2d', [[B, 512, 13, 13]], [7]).out, '[B, 512, 7, 7]');
    assert.equal(ok('Upsample', [[B, 64, H, W]], [2]).out, '[B, 64, 2*H, 2*W]');
    assert.equal(
      ok('Upsample', [[B, 64, 15, 15]], [2], { mode: 'bilinear' }).out,
      '[B, 64, 30, 30]',
    );
    fails('DLM101', 'Upsample', [[B, 64, 15]], [2], { mode: 'bilinear' });
    fails('DLM108', 'Upsample', [[B, 64, 15, 15]], [2], { align_corners: true });
  });
});

// ---------------------------------------------------------------- normalization

describe('Normalization', () => {
  it('BatchNorm: 2C trainable (γ ones, β zeros) + 2C non-trainable (running stats)', () => {
    const r = ok('BatchNorm2d', [[B, 64, H, W]]);
    assert.equal(r.out, '[B, 64, H, W]');
    assert.deepEqual(countParams(r), { trainable: 128, nonTrainable: 128 });
    const p = byName(r.params);
    assert.deepEqual(p.weight!.init, { kind: 'ones' });
    assert.deepEqual(p.bias!.init, { kind: 'zeros' });
    assert.deepEqual(p.running_mean!.init, { kind: 'zeros' });
    assert.deepEqual(p.running_var!.init, { kind: 'ones' });
    assert.equal(p.running_var!.trainable, false);
    assert.equal(p.num_batches_tracked, undefined);
    assert.deepEqual(countParams(ok('BatchNorm1d', [[B, 256]])), {
      trainable: 512,
      nonTrainable: 512,
    });
    assert.deepEqual(countParams(ok('BatchNorm1d', [[B, 32, T]], [], { affine: false })), {
      trainable: 0,
      nonTrainable: 64,
    });
    assert.deepEqual(
      countParams(ok('BatchNorm2d', [[B, 16, 8, 8]], [], { track_running_stats: false })),
      { trainable: 32, nonTrainable: 0 },
    );
    assert.match(getLayer('BatchNorm2d')!.doc, /running mean and variance are used/);
  });

  it('BatchNorm checks rank and num_features', () => {
    fails('DLM101', 'BatchNorm2d', [[B, 64]]);
    fails('DLM101', 'BatchNorm1d', [[B, 64, 8, 8]]);
    const e = fails('DLM100', 'BatchNorm2d', [[B, 64, 8, 8]], [], { num_features: 32 });
    assert.equal(e.opts.fixes?.[0]?.kind, 'setAttr');
  });

  it('LayerNorm normalizes the last axis by default; 2·Πshape parameters', () => {
    const r = ok('LayerNorm', [[B, T, 128]]);
    assert.equal(r.total, 256);
    assert.deepEqual(shapes(r.params), { weight: [128], bias: [128] });
    assert.equal(ok('LayerNorm', [[B, 10, 128]], [], { shape: [10, 128] }).total, 2560);
    assert.equal(ok('LayerNorm', [[B, T, 128]], [], { elementwise_affine: false }).total, 0);
    fails('DLM100', 'LayerNorm', [[B, T, 128]], [], { shape: 64 });
    fails('DLM100', 'LayerNorm', [[B, T, 'D']]);
  });

  it('InstanceNorm: affine and running stats off by default', () => {
    assert.deepEqual(countParams(ok('InstanceNorm2d', [[B, 64, 32, 32]])), {
      trainable: 0,
      nonTrainable: 0,
    });
    assert.deepEqual(
      countParams(
        ok('InstanceNorm2d', [[B, 64, 32, 32]], [], { affine: true, track_running_stats: true }),
      ),
      { trainable: 128, nonTrainable: 128 },
    );
    fails('DLM101', 'InstanceNorm1d', [[B, 16]]);
  });
});

// ---------------------------------------------------------------- dropout, embedding

describe('Dropout and embeddings', () => {
  it('Dropout: unchanged shape, p in [0, 1), inverted scaling documented', () => {
    assert.equal(ok('Dropout', [[B, 4096]], [0.5]).out, '[B, 4096]');
    assert.equal(ok('Dropout', [[B, 10]]).total, 0);
    assert.equal(run('Dropout', [[B, 10]], [1]).attrErrors[0]?.code, 'DLM108');
    assert.match(getLayer('Dropout')!.doc, /1\/\(1 − p\)/);
  });

  it('Embedding: V·D parameters, [N, T] → [N, T, D]', () => {
    const r = ok('Embedding', [[B, T]], [10000, 128]);
    assert.equal(r.out, '[B, T, 128]');
    assert.equal(r.total, 1_280_000);
    assert.deepEqual(byName(r.params).weight!.init, { kind: 'normal', std: 1 });
    assert.equal(ok('Embedding', [[B, 12]], [1000, 64], { padding_idx: 0 }).total, 64_000);
    fails('DLM108', 'Embedding', [[B, 12]], [1000, 64], { padding_idx: 1000 });
  });

  it('PositionalEncoding: sinusoidal 0, learned max_len·D; T > max_len is an error', () => {
    assert.equal(ok('PositionalEncoding', [[B, T, 128]]).total, 0);
    assert.equal(
      ok('PositionalEncoding', [[B, 64, 128]], [], { kind: 'learned', max_len: 256 }).total,
      32_768,
    );
    assert.equal(ok('PositionalEncoding', [[B, T, 32]], [], { kind: 'learned' }).total, 160_000);
    const e = fails('DLM108', 'PositionalEncoding', [[B, 300, 32]], [], {
      kind: 'learned',
      max_len: 256,
    });
    assert.equal(e.opts.fixes?.[0]?.kind, 'setAttr');
    fails('DLM101', 'PositionalEncoding', [[B, 32]]);
  });
});

// ---------------------------------------------------------------- recurrent

describe('Recurrent', () => {
  const lstm = (f: number, h: number) => 4 * (h * f + h * h + 2 * h);
  const gru = (f: number, h: number) => 3 * (h * f + h * h + 2 * h);
  const rnn = (f: number, h: number) => h * f + h * h + 2 * h;

  it('LSTM(F→H) = 4·(H·F + H·H + 2H), PyTorch names and U(±1/√H) init', () => {
    const r = ok('LSTM', [[B, T, 128]], [256]);
    assert.equal(r.out, '[B, T, 256]');
    assert.equal(r.total, lstm(128, 256));
    assert.equal(r.total, 395_264);
    assert.deepEqual(shapes(r.params), {
      weight_ih_l0: [1024, 128],
      weight_hh_l0: [1024, 256],
      bias_ih_l0: [1024],
      bias_hh_l0: [1024],
    });
    assert.deepEqual(byName(r.params).weight_hh_l0!.init, { kind: 'uniform', bound: 1 / 16 });
    assert.ok(r.macs.equals(B.mul(T).mul(4 * (128 * 256 + 256 * 256))));
    assert.equal(ok('LSTM', [[B, T, 128]], [256], { return_sequences: false }).out, '[B, 256]');
  });

  it('notes give the PyTorch two-bias count and the Keras one-bias count', () => {
    const r = ok('LSTM', [[B, T, 128]], [256]);
    assert.match(r.notes![0]!, /PyTorch\/ONNX convention: two bias vectors/);
    assert.match(r.notes![0]!, /395,264/);
    assert.match(
      r.notes![0]!,
      new RegExp(`Keras \\(one bias\\) would count ${(395_264 - 1024).toLocaleString('en-US')}`),
    );
    assert.match(ok('GRU', [[B, T, 40]], [128]).notes![0]!, /reset_after=True/);
  });

  it('GRU and SimpleRNN counts; bias=false', () => {
    assert.equal(ok('GRU', [[B, T, 40]], [128]).total, gru(40, 128));
    assert.equal(ok('GRU', [[B, T, 40]], [128]).total, 65_280);
    assert.equal(ok('SimpleRNN', [[B, T, 10]], [32]).total, rnn(10, 32));
    assert.equal(ok('SimpleRNN', [[B, 5, 8]], [16], { bias: false }).total, 16 * 8 + 16 * 16);
    assert.equal(ok('GRU', [[B, 5, 8]], [16], { bias: false }).total, 3 * (16 * 8 + 16 * 16));
    assert.equal(
      ok('SimpleRNN', [[B, 20, 10]], [32], { return_sequences: false, nonlinearity: 'relu' }).out,
      '[B, 32]',
    );
  });

  it('stacked and bidirectional layers follow PyTorch (layer l > 0 input = H·dirs)', () => {
    const r = ok('LSTM', [[B, T, 32]], [64], { layers: 2, bidirectional: true });
    assert.equal(r.out, '[B, T, 128]');
    assert.equal(r.total, 2 * lstm(32, 64) + 2 * lstm(128, 64));
    const s = shapes(r.params);
    assert.deepEqual(s.weight_ih_l0_reverse, [256, 32]);
    assert.deepEqual(s.weight_ih_l1, [256, 128]);
    assert.deepEqual(s.bias_hh_l1_reverse, [256]);
    assert.equal(Object.keys(s).length, 16);
    assert.ok(
      r.macs.equals(B.mul(T).mul(2 * 4 * (32 * 64 + 64 * 64) + 2 * 4 * (128 * 64 + 64 * 64))),
    );
    assert.equal(
      ok('GRU', [[B, 50, 40]], [128], { layers: 2, bidirectional: true }).total,
      427_008,
    );
    assert.equal(
      ok('LSTM', [[B, 30, 32]], [64], { bidirectional: true, return_sequences: false }).out,
      '[B, 128]',
    );
  });

  it('rejects non-sequences and symbolic features', () => {
    fails('DLM101', 'LSTM', [[B, 128]], [64]);
    fails('DLM100', 'GRU', [[B, T, 'F']], [64]);
  });
});

// ---------------------------------------------------------------- attention

describe('Attention', () => {
  it('MultiHeadAttention: 4·(D² + D) params, N·(4·T·D² + 2·T²·D) MACs', () => {
    const r = ok('MultiHeadAttention', [[B, T, 64]], [64], { heads: 4 });
    assert.equal(r.out, '[B, T, 64]');
    assert.equal(r.total, 4 * (64 * 64 + 64));
    assert.deepEqual(shapes(r.params), {
      in_proj_weight: [192, 64],
      in_proj_bias: [192],
      'out_proj.weight': [64, 64],
      'out_proj.bias': [64],
    });
    assert.ok(r.macs.equals(B.mul(T.mul(4 * 64 * 64).add(T.mul(T).mul(2 * 64)))));
    assert.deepEqual(byName(r.params).in_proj_weight!.init, {
      kind: 'uniform',
      bound: Math.sqrt(6 / (64 + 192)),
    });
    assert.equal(
      ok('MultiHeadAttention', [[B, 5, 32]], [32], { heads: 2, bias: false }).total,
      4 * 32 * 32,
    );
  });

  it('cross-attention (q, k, v): output has the query length', () => {
    const S = Dim.sym('S');
    const r = ok(
      'MultiHeadAttention',
      [
        [B, T, 64],
        [B, S, 64],
        [B, S, 64],
      ],
      [64],
      { heads: 4 },
    );
    assert.equal(r.out, '[B, T, 64]');
    assert.ok(
      r.macs.equals(
        B.mul(
          T.mul(2 * 64 * 64)
            .add(S.mul(2 * 64 * 64))
            .add(T.mul(S).mul(2 * 64)),
        ),
      ),
    );
    fails(
      'DLM104',
      'MultiHeadAttention',
      [
        [B, T, 64],
        [B, S, 64],
        [B, T, 64],
      ],
      [64],
    );
    fails(
      'DLM020',
      'MultiHeadAttention',
      [
        [B, T, 64],
        [B, T, 64],
      ],
      [64],
    );
  });

  it('checks dim and heads', () => {
    const e = fails('DLM105', 'MultiHeadAttention', [[B, T, 64]], [64], { heads: 5 });
    assert.equal(e.opts.attr, 'heads');
    const e2 = fails('DLM100', 'MultiHeadAttention', [[B, T, 32]], [64]);
    assert.equal(e2.opts.fixes?.[0]?.kind, 'setAttr');
  });

  it('TransformerEncoder = nn.TransformerEncoderLayer parameter count', () => {
    const r = ok('TransformerEncoder', [[B, T, 512]], [512, 8]);
    assert.equal(r.out, '[B, T, 512]');
    assert.equal(r.total, 3_152_384);
    const d = 128;
    const ff = 512;
    const t = ok('TransformerEncoder', [[B, T, d]], [d, 4], { ff });
    assert.equal(t.total, 4 * (d * d + d) + (d * ff + ff) + (ff * d + d) + 4 * d);
    assert.ok(
      t.macs.equals(B.mul(T.mul(4 * d * d).add(T.mul(T).mul(2 * d))).add(B.mul(T).mul(2 * d * ff))),
    );
    assert.deepEqual(Object.keys(shapes(t.params)), [
      'self_attn.in_proj_weight',
      'self_attn.in_proj_bias',
      'self_attn.out_proj.weight',
      'self_attn.out_proj.bias',
      'linear1.weight',
      'linear1.bias',
      'linear2.weight',
      'linear2.bias',
      'norm1.weight',
      'norm1.bias',
      'norm2.weight',
      'norm2.bias',
    ]);
    fails('DLM105', 'TransformerEncoder', [[B, T, 64]], [64, 3]);
  });
});

// ---------------------------------------------------------------- activations

describe('Activations', () => {
  it('all keep the shape and have no parameters (PReLU excepted)', () => {
    for (const n of [
      'ReLU',
      'Sigmoid',
      'Tanh',
      'SiLU',
      'LeakyReLU',
      'ELU',
      'GELU',
      'Softplus',
      'Softmax',
      'LogSoftmax',
    ]) {
      const r = ok(n, [[B, 10, H]]);
      assert.equal(r.out, '[B, 10, H]', n);
      assert.equal(r.params.length, 0, n);
    }
  });

  it('LeakyReLU α defaults to 0.01; docs state the correct formulas', () => {
    assert.match(getLayer('LeakyReLU')!.doc, /α = 0\.01/);
    assert.match(getLayer('Softplus')!.doc, /log\(1 \+ eˣ\)/);
    assert.equal(ok('LeakyReLU', [[B, 8]], [0.2]).out, '[B, 8]');
    assert.equal(ok('GELU', [[B, 8]], [], { approximate: 'tanh' }).out, '[B, 8]');
  });

  it('PReLU: one or C slopes initialized to 0.25', () => {
    const one = ok('PReLU', [[B, 64, 8, 8]]);
    assert.equal(one.total, 1);
    assert.deepEqual(one.params[0]!.init, { kind: 'constant', value: 0.25 });
    assert.equal(ok('PReLU', [[B, 64, 8, 8]], [64]).total, 64);
    fails('DLM100', 'PReLU', [[B, 32, 8, 8]], [64]);
  });

  it('Softmax axis must exist', () => {
    assert.equal(ok('Softmax', [[B, 10, 3]], [], { axis: 1 }).out, '[B, 10, 3]');
    assert.equal(fails('DLM108', 'Softmax', [[B, 10]], [], { axis: 2 }).opts.attr, 'axis');
  });
});

// ---------------------------------------------------------------- shape layers

describe('Shape layers', () => {
  it('Flatten keeps the batch axis, symbolic product', () => {
    assert.equal(ok('Flatten', [[B, 16, 5, 5]]).out, '[B, 400]');
    assert.ok(ok('Flatten', [[B, 64, H, W]]).outputs[0]![1]!.equals(H.mul(W).mul(64)));
    assert.equal(ok('Flatten', [[B, 16, 5, 5]], [], { start: 2 }).out, '[B, 16, 25]');
    fails('DLM108', 'Flatten', [[B, 16]], [], { start: 3 });
    fails('DLM108', 'Flatten', [[B, 16, 4]], [], { start: 2, end: 1 });
  });

  it('Reshape with -1, symbolic element counts, mismatches', () => {
    assert.equal(ok('Reshape', [[B, 3136]], [[64, 7, 7]]).out, '[B, 64, 7, 7]');
    assert.equal(ok('Reshape', [[B, 8, 6]], [[4, -1]]).out, '[B, 4, 12]');
    const sym = ok('Reshape', [[B, 64, H, W]], [[16, -1]]).outputs[0]!;
    assert.ok(sym[2]!.equals(H.mul(W).mul(4)));
    fails('DLM100', 'Reshape', [[B, 100]], [[1, 28, 28]]);
    fails('DLM105', 'Reshape', [[B, 10]], [[3, -1]]);
    fails('DLM105', 'Reshape', [[B, H]], [[2, -1]]);
    fails('DLM108', 'Reshape', [[B, 16]], [[-1, -1]]);
  });

  it('Permute is a full permutation with the batch axis first', () => {
    assert.equal(ok('Permute', [[B, 10, 128]], [[0, 2, 1]]).out, '[B, 128, 10]');
    fails('DLM101', 'Permute', [[B, 10, 128]], [[0, 1]]);
    fails('DLM108', 'Permute', [[B, 10, 128]], [[0, 1, 1]]);
    fails('DLM108', 'Permute', [[B, 10, 128]], [[1, 0, 2]]);
    assert.equal(ok('Identity', [[B, 3, H]]).out, '[B, 3, H]');
  });
});

// ---------------------------------------------------------------- merges

describe('Merges', () => {
  it('Add and Multiply: equal shapes, size-1 axes broadcast', () => {
    assert.equal(
      ok('Add', [
        [B, 64, H, W],
        [B, 64, H, W],
      ]).out,
      '[B, 64, H, W]',
    );
    assert.equal(
      ok('Add', [
        [B, 64, 8, 8],
        [B, 64, 1, 1],
      ]).out,
      '[B, 64, 8, 8]',
    );
    assert.equal(
      ok('Multiply', [
        [B, 32, 128],
        [B, 32, 128],
        [B, 32, 128],
      ]).out,
      '[B, 32, 128]',
    );
    const e = fails('DLM104', 'Add', [
      [B, 64, H, W],
      [B, 32, H, W],
    ]);
    assert.match(e.message, /differ on axis 1 \(64 vs 32\)/);
    assert.equal(e.opts.input, 1);
  });

  it('Concat sums the axis, other axes equal', () => {
    assert.equal(
      ok('Concat', [
        [B, 32, H, W],
        [B, 96, H, W],
      ]).out,
      '[B, 128, H, W]',
    );
    const c = ok('Concat', [
      [B, 'C', H],
      [B, 'C', H],
    ]).outputs[0]!;
    assert.ok(c[1]!.equals(Dim.sym('C').mul(2)));
    assert.equal(
      ok(
        'Concat',
        [
          [B, 5, 3],
          [B, 5, 7],
        ],
        [],
        { axis: -1 },
      ).out,
      '[B, 5, 10]',
    );
    fails('DLM104', 'Concat', [
      [B, 32, 16, 16],
      [B, 32, 8, 8],
    ]);
    fails('DLM104', 'Concat', [
      [B, 32, 16],
      [B, 32, 8, 8],
    ]);
    fails(
      'DLM108',
      'Concat',
      [
        [B, 32],
        [B, 32],
      ],
      [],
      { axis: 3 },
    );
  });

  it('Reparameterize takes (μ, logvar) of equal shape', () => {
    assert.equal(
      ok('Reparameterize', [
        [B, 20],
        [B, 20],
      ]).out,
      '[B, 20]',
    );
    fails('DLM104', 'Reparameterize', [
      [B, 20],
      [B, 10],
    ]);
    assert.match(getLayer('Reparameterize')!.doc, /μ \+ exp\(½·logvar\)·ε/);
  });
});

// ---------------------------------------------------------------- reference totals

describe('reference networks', () => {
  it('LeNet-5 (classic, 32×32) has 61,706 parameters', () => {
    const r = chain(
      [B, 1, 32, 32],
      [
        ['Conv2d', [6, 5]],
        ['Tanh'],
        ['AvgPool2d', [2]],
        ['Conv2d', [16, 5]],
        ['Tanh'],
        ['AvgPool2d', [2]],
        ['Flatten'],
        ['Dense', [120]],
        ['Tanh'],
        ['Dense', [84]],
        ['Tanh'],
        ['Dense', [10]],
      ],
    );
    assert.equal(r.out, '[B, 10]');
    assert.equal(r.total, 61_706);
  });

  it('VGG-16 on 224×224×3 has 138,357,544 parameters', () => {
    const stages: [string, AttrValue[]?, Record<string, AttrValue>?][] = [];
    for (const [c, n] of [
      [64, 2],
      [128, 2],
      [256, 3],
      [512, 3],
      [512, 3],
    ] as const) {
      for (let i = 0; i < n; i++) stages.push(['Conv2d', [c, 3], { padding: 1 }], ['ReLU']);
      stages.push(['MaxPool2d', [2]]);
    }
    stages.push(['Flatten'], ['Dense', [4096]], ['ReLU'], ['Dropout'], ['Dense', [4096]]);
    stages.push(['ReLU'], ['Dropout'], ['Dense', [1000]]);
    const r = chain([B, 3, 224, 224], stages);
    assert.equal(r.out, '[B, 1000]');
    assert.equal(r.total, 138_357_544);
  });
});

// ---------------------------------------------------------------- attributes

describe('resolveAttrs', () => {
  const conv = getLayer('Conv2d')!;
  const res = (pos: AttrValue[], kw: Record<string, AttrValue> = {}) =>
    resolveAttrs(
      conv,
      pos.map((value) => ({ value })),
      Object.entries(kw).map(([name, value]) => ({ name, value })),
    );

  it('fills defaults and reads positional then keyword', () => {
    const { attrs, errors } = res([64, 3], { stride: 2 });
    assert.deepEqual(errors, []);
    assert.equal(attrs.int('out'), 64);
    assert.deepEqual(attrs.ints('kernel', 2), [3, 3]);
    assert.deepEqual(attrs.ints('stride', 2), [2, 2]);
    assert.equal(attrs.get('padding'), 0);
    assert.equal(attrs.bool('bias'), true);
    assert.equal(attrs.has('stride'), true);
    assert.equal(attrs.has('dilation'), false);
    assert.equal(attrs.get('in'), undefined);
  });

  it('int vs float: a float for an int is DLM012; an integer-valued number is a fine float', () => {
    const e = res([2.5, 3]).errors;
    assert.deepEqual(e, [{ code: 'DLM012', message: 'out must be an int, got 2.5', argIndex: 0 }]);
    assert.equal(
      res([64, 2.5]).errors[0]?.message,
      'kernel must be an int or a tuple of ints, got 2.5',
    );
    assert.equal(res([64, [3, 2.5]]).errors[0]?.code, 'DLM012');
    const lrelu = resolveAttrs(getLayer('LeakyReLU')!, [{ value: 1 }], []);
    assert.deepEqual(lrelu.errors, []);
    assert.equal(lrelu.attrs.float('alpha'), 1);
    const bad = resolveAttrs(getLayer('Dropout')!, [{ value: true }], []);
    assert.deepEqual(bad.errors, [
      { code: 'DLM012', message: 'p must be a number, got true', argIndex: 0 },
    ]);
  });

  it('min, max and enums are DLM108', () => {
    assert.deepEqual(res([0, 3]).errors, [
      { code: 'DLM108', message: 'out must be ≥ 1, got 0', argIndex: 0 },
    ]);
    assert.equal(res([8, 3], { stride: 0 }).errors[0]?.code, 'DLM108');
    const drop = resolveAttrs(getLayer('Dropout')!, [{ value: 1 }], []);
    assert.equal(drop.errors[0]?.message, 'p must be in [0, 1), got 1');
    const up = resolveAttrs(
      getLayer('Upsample')!,
      [{ value: 2 }],
      [{ name: 'mode', value: 'bilinar' }],
    );
    assert.equal(up.errors[0]?.code, 'DLM108');
    assert.equal(up.errors[0]?.suggestion, 'bilinear');
    assert.equal(up.errors[0]?.keyword, 'mode');
  });

  it('padding accepts an int, a tuple, "same", "valid" or "causal"', () => {
    for (const padding of [1, [1, 2], 'same', 'valid', 'causal'] as AttrValue[])
      assert.deepEqual(res([8, 3], { padding }).errors, []);
    const e = res([8, 3], { padding: 'sam' }).errors[0]!;
    assert.equal(e.code, 'DLM108');
    assert.match(
      e.message,
      /^padding must be an int, a tuple, "same", "valid" or "causal" \(Conv1d\), got "sam"/,
    );
    assert.equal(e.suggestion, 'same');
    assert.equal(res([8, 3], { padding: true }).errors[0]?.code, 'DLM012');
    assert.equal(res([8, 3], { padding: -1 }).errors[0]?.code, 'DLM108');
  });

  it('unknown keywords get a did-you-mean', () => {
    const e = res([8, 3], { strides: 2 }).errors;
    assert.equal(e.length, 1);
    assert.equal(e[0]!.code, 'DLM011');
    assert.equal(e[0]!.keyword, 'strides');
    assert.equal(e[0]!.suggestion, 'stride');
    assert.match(e[0]!.message, /did you mean stride\?/);
    const none = res([8, 3], { zzz: 2 }).errors[0]!;
    assert.equal(none.suggestion, undefined);
    assert.match(none.message, /its attributes are out, kernel/);
  });

  it('too many positionals, duplicates and missing required attributes', () => {
    const many = res([8, 3, 2]).errors;
    assert.equal(many.length, 1);
    assert.equal(many[0]!.code, 'DLM014');
    assert.equal(many[0]!.argIndex, 2);
    assert.equal(resolveAttrs(getLayer('ReLU')!, [{ value: 1 }], []).errors[0]?.code, 'DLM014');
    const both = res([8, 3], { kernel: 5 }).errors;
    assert.deepEqual(
      both.map((e) => [e.code, e.keyword]),
      [['DLM014', 'kernel']],
    );
    const twice = resolveAttrs(
      conv,
      [{ value: 8 }, { value: 3 }],
      [
        { name: 'stride', value: 1 },
        { name: 'stride', value: 2 },
      ],
    ).errors;
    assert.deepEqual(
      twice.map((e) => [e.code, e.keyword]),
      [['DLM014', 'stride']],
    );
    const missing = res([8]).errors;
    assert.equal(missing.length, 1);
    assert.equal(missing[0]!.code, 'DLM013');
    assert.match(missing[0]!.message, /kernel/);
    // A required attribute given with a bad value is a type error, not also "missing".
    assert.deepEqual(
      res([8, 'x']).errors.map((e) => e.code),
      ['DLM012'],
    );
  });

  it('runLayer reports attribute errors without running the shape rule', () => {
    const r = run('Conv2d', [[B, 3, 8, 8]], [8], { kernal: 3 });
    assert.deepEqual(r.attrErrors.map((e) => e.code).sort(), ['DLM011', 'DLM013']);
    assert.equal(r.result, undefined);
  });
});

// ---------------------------------------------------------------- suggestions

describe('didYouMean', () => {
  it('Damerau-Levenshtein distance (unrestricted)', () => {
    assert.equal(editDistance('kernal', 'kernel'), 1);
    assert.equal(editDistance('strdie', 'stride'), 1); // transposition
    assert.equal(editDistance('ca', 'abc'), 2); // OSA would say 3
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  it('suggests close names, case-insensitively, and nothing when far', () => {
    assert.equal(didYouMean('conv2d', layerNames()), 'Conv2d');
    assert.equal(didYouMean('Lstm', layerNames()), 'LSTM');
    assert.equal(didYouMean('Conv2D', layerNames()), 'Conv2d');
    assert.equal(didYouMean('BatchNorm', layerNames()), 'BatchNorm1d');
    assert.equal(didYouMean('Dropuot', layerNames()), 'Dropout');
    assert.equal(didYouMean('Transformer', layerNames()), undefined);
    assert.equal(didYouMean('x', ['p']), undefined);
    assert.deepEqual(suggestions('MaxPool', layerNames()), ['MaxPool1d', 'MaxPool2d']);
  });
});
