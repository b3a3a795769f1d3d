/**
 * Gradients of each lowered layer (autodiff through the primitives' VJPs) against central
 * finite differences of the same lowered forward graph, on tiny shapes. float64 where
 * onnxruntime has float64 kernels for every op of the layer; otherwise float32 with a larger
 * step and tolerance (rtol 2e-2: the central difference's float32 rounding error is
 * ~ε_f32·|L|/h ≈ 1e-3 relative at h = 1e-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grad } from '../../src/compiler/autodiff';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import { opHistogram, serialize } from '../../src/compiler/onnx';
import { ops } from '../../src/primitives';
import { compile, type Feeds, type Runner } from './helpers/ort';
import { inputValues, paramValues, stageModel } from './helpers/lowering';

const CASES: [string, number[][]][] = [
  ['Dense(3)', [[2, 4]]],
  ['Dense(2)', [[2, 3, 4]]],
  ['Conv1d(2, 3, stride=2, padding=1, dilation=1)', [[1, 2, 6]]],
  ['Conv2d(2, 3, stride=2, padding=1)', [[1, 2, 5, 5]]],
  ['Conv2d(4, 3, groups=2, dilation=2, padding=2)', [[1, 2, 5, 5]]],
  ['ConvTranspose2d(2, 3, stride=2, padding=1, output_padding=1)', [[1, 2, 3, 3]]],
  ['Conv2d(2, (3, 2), stride=(2, 1), dilation=(1, 2), padding=(1, 0))', [[2, 2, 6, 5]]],
  ['Conv3d(2, 2, padding=1, bias=false)', [[1, 2, 3, 2, 3]]],
  ['MaxPool2d(3, stride=2, padding=1)', [[1, 2, 5, 5]]],
  ['MaxPool2d(2)', [[2, 2, 5, 4]]],
  ['MaxPool1d(3)', [[1, 2, 7]]],
  ['ReLU |> MaxPool2d(2)', [[1, 2, 4, 6]]],
  ['AvgPool2d(3, stride=2, padding=1, count_include_pad=false)', [[1, 2, 5, 5]]],
  ['AdaptiveAvgPool2d((2, 3))', [[1, 1, 5, 4]]],
  ['Upsample(2, mode="bilinear")', [[1, 1, 3, 3]]],
  ['Upsample(2)', [[1, 1, 2, 3]]],
  ['GlobalAvgPool', [[2, 2, 3, 3]]],
  ['BatchNorm2d', [[3, 2, 2, 2]]],
  ['LayerNorm', [[2, 3, 4]]],
  ['GroupNorm(2)', [[2, 4, 3]]],
  ['InstanceNorm1d(affine=true)', [[2, 2, 5]]],
  ['PositionalEncoding(kind="learned", max_len=6)', [[1, 4, 3]]],
  ['SimpleRNN(3, layers=2)', [[2, 3, 2]]],
  ['LSTM(3, bidirectional=true, return_sequences=false)', [[2, 3, 2]]],
  ['GRU(3)', [[2, 3, 2]]],
  // Initial and final states: gradients reach h0 (and c0) and flow back from h_n (and c_n).
  [
    'GRU(3, layers=2, return_state=true)',
    [
      [2, 3, 2],
      [2, 2, 3],
    ],
  ],
  [
    'LSTM(2, bidirectional=true, return_sequences=false, return_state=true)',
    [
      [2, 3, 2],
      [2, 2, 2],
      [2, 2, 2],
    ],
  ],
  [
    'SimpleRNN(2, return_state=true)',
    [
      [2, 3, 2],
      [1, 2, 2],
    ],
  ],
  ['MultiHeadAttention(4, heads=2, causal=true)', [[2, 3, 4]]],
  ['TransformerEncoder(4, 2, ff=6, dropout=0)', [[1, 3, 4]]],
  ['PReLU(2)', [[2, 2, 3]]],
  ['ELU', [[2, 5]]],
  ['GELU(approximate="tanh")', [[2, 5]]],
  ['SiLU', [[2, 5]]],
  ['ReLU6', [[2, 5]]],
  ['Hardtanh(-0.5, 0.3)', [[2, 5]]],
  ['Hardsigmoid', [[2, 5]]],
  ['Hardswish', [[2, 5]]],
  ['Mish', [[2, 5]]],
  ['Softplus(beta=2)', [[2, 5]]],
  ['LogSoftmax', [[2, 5]]],
  ['Softmax', [[2, 5]]],
  ['Permute((0, 2, 1))', [[1, 2, 3]]],
  ['Select(axis=1, index=-1)', [[2, 3, 2]]],
  ['RepeatVector(3)', [[2, 2]]],
  ['RepeatVector(2) |> GRU(2)', [[2, 3]]],
  [
    'Concat(axis=1)',
    [
      [2, 2],
      [2, 3],
    ],
  ],
  [
    'Multiply',
    [
      [2, 3],
      [2, 3],
    ],
  ],
];

async function build(stage: string, inputs: number[][], dtype: 'float32' | 'float64') {
  const model = stageModel(stage, inputs);
  const g = new Graph();
  const o = ops(g);
  const fw = lowerModel(model, { training: true, dims: {}, dtype }, g);
  // loss = Σ_k Σ y_k ⊙ c_k for fixed c_k, so every element of every output (a recurrent
  // layer's h_n and c_n too) matters.
  const terms = fw.outputs.map(({ value: y }, k) =>
    o.reduceSum(o.mul(y, o.constant(inputValues(y.shape, 7 + k), y.shape, dtype))),
  );
  const loss = terms.reduce((a, t) => o.add(a, t));
  const wrt = [
    ...fw.inputs.map((i) => i.value),
    ...fw.params.filter((p) => p.trainable).map((p) => p.value),
  ];
  const names = [
    ...fw.inputs.map((i) => i.name),
    ...fw.params.filter((p) => p.trainable).map((p) => p.name),
  ];
  g.output('loss', loss);
  grad(g, loss, wrt).forEach((gv, k) => g.output(`d:${names[k]}`, gv));
  const feeds: Feeds = {};
  fw.inputs.forEach((inp, k) => (feeds[inp.name] = inputValues(inp.value.shape, k)));
  for (const p of fw.params)
    feeds[p.name] = paramValues(p.name.slice(p.name.indexOf('.') + 1), p.shape);
  return { runner: await compile(g), feeds, names };
}

describe('lowered layers: autodiff gradients = central differences', () => {
  for (const [stage, inputs] of CASES)
    it(stage, async (t) => {
      let dtype: 'float32' | 'float64' = 'float64';
      let b: Awaited<ReturnType<typeof build>>;
      try {
        b = await build(stage, inputs, 'float64');
      } catch {
        dtype = 'float32';
        b = await build(stage, inputs, 'float32');
      }
      const { runner, feeds, names } = b as { runner: Runner; feeds: Feeds; names: string[] };
      t.diagnostic(dtype);
      const h = dtype === 'float64' ? 1e-6 : 1e-2;
      const rtol = dtype === 'float64' ? 1e-5 : 2e-2;
      const base = await runner.run(feeds);
      for (const name of names) {
        const x = Array.from(feeds[name]!);
        const analytic = base[`d:${name}`]!;
        // Probe a few coordinates per tensor.
        const idx = [
          ...new Set([0, Math.floor(x.length / 2), x.length - 1, Math.floor(x.length / 3)]),
        ];
        for (const i of idx) {
          const at = (v: number) => ({ ...feeds, [name]: x.map((u, j) => (j === i ? v : u)) });
          const lp = (await runner.run(at(x[i]! + h))).loss![0]!;
          const lm = (await runner.run(at(x[i]! - h))).loss![0]!;
          const fd = (lp - lm) / (2 * h);
          const a = analytic[i]!;
          const scale = Math.max(1, Math.abs(fd), Math.abs(a));
          assert.ok(
            Math.abs(fd - a) <= rtol * scale,
            `${dtype} d/d${name}[${i}]: autodiff ${a}, finite differences ${fd}`,
          );
        }
      }
      await runner.release();
    });
});

describe('tiled max pooling: ties', () => {
  it('MaxPool2d(2) sends each window cotangent to its first maximum (row-major), like Indices', async () => {
    // Values from {0, 1, 2}: most windows tie. Input [1, 2, 4, 5]; the last column is a floor
    // remainder that belongs to no window.
    const shape = [1, 2, 4, 5];
    const x = Array.from({ length: 40 }, (_, i) => (i * 7 + (i >> 2)) % 3);
    const model = stageModel('MaxPool2d(2)', [shape]);
    const g = new Graph();
    const o = ops(g);
    const fw = lowerModel(model, { training: true, dims: {}, dtype: 'float32' }, g);
    const y = fw.outputs[0]!.value;
    const c = o.constant(inputValues(y.shape, 3), y.shape, 'float32');
    const loss = o.reduceSum(o.mul(y, c));
    g.output('dx', grad(g, loss, [fw.inputs[0]!.value])[0]!);
    const runner = await compile(g);
    const dx = (await runner.run({ [fw.inputs[0]!.name]: x })).dx!;
    await runner.release();
    const cv = inputValues(y.shape, 3);
    const want = new Array<number>(40).fill(0);
    for (let ch = 0; ch < 2; ch++)
      for (let oh = 0; oh < 2; oh++)
        for (let ow = 0; ow < 2; ow++) {
          let best = -1;
          for (const [a, b] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ] as const) {
            const i = ch * 20 + (2 * oh + a) * 5 + 2 * ow + b;
            if (best < 0 || x[i]! > x[best]!) best = i;
          }
          want[best] = cv[ch * 4 + oh * 2 + ow]!;
        }
    // `+ 0` turns the −0 of masked negative cotangents into 0.
    assert.deepEqual(
      Array.from(dx, (v) => Math.fround(v) + 0),
      want.map((v) => Math.fround(v)),
    );
  });
});

describe('recurrent lowering: fewer, larger nodes', () => {
  it('LSTM: one sigmoid and two tanh per step; a backward step is six nodes; W_hh gets one product', () => {
    const build = (T: number) => {
      const model = stageModel('LSTM(4)', [[2, T, 3]]);
      const g = new Graph();
      const o = ops(g);
      const fw = lowerModel(model, { training: true, dims: {}, dtype: 'float32' }, g);
      const loss = o.reduceSum(fw.outputs[0]!.value);
      const whh = fw.params.find((p) => p.name.endsWith('weight_hh_l0'))!;
      g.output('loss', loss);
      g.output('dWhh', grad(g, loss, [whh.value])[0]!);
      g.prune();
      return g;
    };
    const T = 6;
    const g = build(T);
    const count = (prim: string, shape?: string) =>
      g.nodes.filter(
        (n) => n.prim === prim && (shape === undefined || n.outputs[0]!.shape.join() === shape),
      ).length;
    // The recurrence is one primitive with its own VJP; W_hh's gradient is one [16, 12]·[12, 4].
    assert.equal(count('lstm_recurrence'), 1);
    assert.equal(count('gemm', '16,4') + count('matmul', '16,4'), 1);
    assert.equal(count('add', '16,4'), 0);
    const hist = opHistogram(serialize(g));
    assert.equal(hist.Sigmoid, T);
    assert.equal(hist.Tanh, 2 * T + 1);
    // The input projection, T − 1 steps forward and backward (step 0 starts from zeros), dW_hh.
    assert.equal(hist.Gemm, 1 + 2 * (T - 1) + 1);
    // Each further step adds 10 forward nodes (Gemm, 2 Split, Sigmoid, 2 Tanh, 3 Mul, Add) and
    // 6 backward ones (Gemm dz·W_hh; Mul dh⊙A; Mul and Add for the carried dc⊙f; Concat and Mul
    // for dz); everything else runs once over all steps.
    const nodes = (gr: Graph) => Object.values(opHistogram(serialize(gr))).reduce((a, b) => a + b);
    assert.equal(nodes(build(2 * T)) - nodes(g), 16 * T);
  });
});
