/**
 * Gradient checks for every differentiable primitive, run in onnxruntime-node.
 *
 * For each case we build f(x…) = Σ w ⊙ prim(x…) with a fixed random w, append the backward pass
 * with our autodiff, export to ONNX and run it. The analytic gradient is compared with central
 * finite differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h, each f evaluated by running the forward
 * graph in onnxruntime too.
 *
 * Precision: every case first tries float64. If onnxruntime's CPU provider lacks a float64
 * kernel for some op of the graph (Conv, ConvTranspose, pools, Erf, Elu, …) the session fails
 * to load and the case reruns in float32.
 * - float64: h = 1e-6. Truncation error ~h²·|f'''| ≈ 1e-12, rounding ~ε·|f|/h ≈ 1e-10·|f|;
 *   we allow 1e-6 + 1e-6·|g|.
 * - float32: h = 1e-2. Rounding of f (a sum of up to a few hundred terms of size ≲ 1, so
 *   |error| ≲ 1e-7·Σ|wᵢyᵢ| ≈ 1e-5) divided by 2h gives ≲ 1e-3; truncation h²·|f'''|/6 ≲ 1e-4
 *   for our smooth ops. We allow 3e-3 + 1e-2·|g|. Inputs of non-smooth ops (relu, max, pools,
 *   abs) are kept ≥ 0.05 away from their kinks, so no FD stencil crosses one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/compiler/ir';
import { grad } from '../../src/compiler/autodiff';
import { opTypes, serialize } from '../../src/compiler/onnx';
import {
  PRIM_NAMES,
  allPrimitives,
  type PrimAttrs,
  type PrimName,
  type DType,
  type Value,
} from '../../src/primitives';
import { compile, rng } from './helpers/ort';

type Kind = 'float' | 'int64' | 'bool';
interface InputSpec {
  shape: number[];
  kind?: Kind; // default float
  data?: number[]; // fixed data (indices, masks, kink-avoiding values)
  gen?: 'pos' | 'away' | 'distinct'; // pos ∈ [0.5, 1.5]; away: |x| ≥ 0.1; distinct: spaced ≥ 0.05
  nodiff?: boolean;
}
interface Case {
  name: string;
  prim: PrimName;
  inputs: InputSpec[];
  attrs?: PrimAttrs;
  output?: number;
  /** Force float32 (e.g. to test a float32-only path). */
  f32?: boolean;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function genData(spec: InputSpec, r: () => number): number[] {
  if (spec.data) return spec.data;
  const n = prod(spec.shape);
  const out: number[] = [];
  if (spec.gen === 'distinct') {
    // A random permutation of a grid with spacing 0.05: all values distinct, far apart vs h.
    const vals = [...Array(n).keys()].map((i) => (i - n / 2) * 0.05);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [vals[i], vals[j]] = [vals[j]!, vals[i]!];
    }
    return vals;
  }
  for (let i = 0; i < n; i++) {
    const u = r();
    if (spec.gen === 'pos') out.push(0.5 + u);
    else if (spec.gen === 'away') out.push((r() < 0.5 ? -1 : 1) * (0.1 + u));
    else out.push(2 * u - 1);
  }
  return out;
}

function build(c: Case, dtype: DType, withGrad: boolean) {
  const g = new Graph();
  const xs = c.inputs.map((s, i) =>
    g.input(`x${i}`, s.shape, (s.kind ?? 'float') === 'float' ? dtype : (s.kind as DType)),
  );
  const ys = g.opMulti(c.prim, xs, c.attrs ?? {});
  const y = ys[c.output ?? 0]!;
  const w = g.input('w', y.shape, y.dtype);
  const f = g.op('reduce_sum', [g.op('mul', [y, w])]);
  g.output('f', f);
  const diff = c.inputs
    .map((s, i) => ((s.kind ?? 'float') === 'float' && !s.nodiff ? i : -1))
    .filter((i) => i >= 0);
  if (withGrad) {
    const gs = grad(
      g,
      f,
      diff.map((i) => xs[i]!),
    );
    gs.forEach((gv, k) => g.output(`g${diff[k]}`, gv));
  }
  g.prune();
  return { g, diff, y: y as Value };
}

async function check(c: Case): Promise<{ dtype: DType; ops: string[] }> {
  for (const dtype of (c.f32 ? ['float32'] : ['float64', 'float32']) as DType[]) {
    const { g: full, diff, y } = build(c, dtype, true);
    const { g: fwd } = build(c, dtype, false);
    let runFull, runFwd;
    try {
      runFull = await compile(full);
      runFwd = await compile(fwd);
    } catch (e) {
      if (dtype === 'float64') continue; // no float64 kernel: retry in float32
      throw e;
    }
    const r = rng(1234);
    const feeds: Record<string, number[]> = {};
    c.inputs.forEach((s, i) => (feeds[`x${i}`] = genData(s, r)));
    feeds.w = genData({ shape: [...y.shape] }, r);
    const res = await runFull.run(feeds);
    const h = dtype === 'float64' ? 1e-6 : 1e-2;
    const [atol, rtol] = dtype === 'float64' ? [1e-6, 1e-6] : [3e-3, 1e-2];
    for (const i of diff) {
      const x = feeds[`x${i}`]!;
      const analytic = res[`g${i}`]!;
      assert.equal(analytic.length, x.length, `g${i} size`);
      for (let j = 0; j < x.length; j++) {
        const orig = x[j]!;
        x[j] = orig + h;
        const fp = (await runFwd.run(feeds)).f![0]!;
        x[j] = orig - h;
        const fm = (await runFwd.run(feeds)).f![0]!;
        x[j] = orig;
        const numeric = (fp - fm) / (2 * h);
        const a = analytic[j]!;
        assert.ok(
          Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric),
          `${c.name} (${dtype}): d/dx${i}[${j}] analytic ${a} vs numeric ${numeric}`,
        );
      }
    }
    await runFull.release();
    await runFwd.release();
    return { dtype, ops: opTypes(serialize(full)) };
  }
  throw new Error('unreachable');
}

const ints = (n: number, hi: number, seed: number) => {
  const r = rng(seed);
  return [...Array(n)].map(() => Math.floor(r() * hi));
};

const cases: Case[] = [
  // elementwise, broadcasting
  {
    name: 'add broadcast [2,3,4]+[3,1]',
    prim: 'add',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }],
  },
  { name: 'sub broadcast [4]-[2,4]', prim: 'sub', inputs: [{ shape: [4] }, { shape: [2, 4] }] },
  {
    name: 'mul broadcast [2,1,4]*[3,1]',
    prim: 'mul',
    inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }],
  },
  {
    name: 'div broadcast [2,3]/[3]',
    prim: 'div',
    inputs: [{ shape: [2, 3] }, { shape: [3], gen: 'pos' }],
  },
  { name: 'mul by scalar', prim: 'mul', inputs: [{ shape: [2, 3] }, { shape: [] }] },
  {
    name: 'maximum',
    prim: 'maximum',
    inputs: [
      { shape: [12], data: ints(12, 40, 1).map((v) => v * 0.05) },
      { shape: [12], data: ints(12, 40, 2).map((v) => v * 0.05 + 0.025) },
    ],
  },
  {
    name: 'minimum broadcast',
    prim: 'minimum',
    inputs: [
      { shape: [3, 4], data: ints(12, 40, 3).map((v) => v * 0.05) },
      { shape: [4], data: [0.525, 1.025, 0.275, 1.525] },
    ],
  },
  {
    name: 'where broadcast',
    prim: 'where',
    inputs: [{ shape: [3, 1], kind: 'bool', data: [1, 0, 1] }, { shape: [3, 4] }, { shape: [4] }],
  },
  { name: 'neg', prim: 'neg', inputs: [{ shape: [5] }] },
  { name: 'identity', prim: 'identity', inputs: [{ shape: [5] }] },
  { name: 'exp', prim: 'exp', inputs: [{ shape: [2, 5] }] },
  { name: 'log', prim: 'log', inputs: [{ shape: [2, 5], gen: 'pos' }] },
  { name: 'sqrt', prim: 'sqrt', inputs: [{ shape: [2, 5], gen: 'pos' }] },
  { name: 'abs', prim: 'abs', inputs: [{ shape: [2, 5], gen: 'away' }] },
  { name: 'tanh', prim: 'tanh', inputs: [{ shape: [2, 5] }] },
  { name: 'sigmoid', prim: 'sigmoid', inputs: [{ shape: [2, 5] }] },
  { name: 'erf', prim: 'erf', inputs: [{ shape: [2, 5] }] },
  { name: 'softplus', prim: 'softplus', inputs: [{ shape: [2, 5] }] },
  { name: 'relu', prim: 'relu', inputs: [{ shape: [3, 5], gen: 'away' }] },
  {
    name: 'leaky_relu α=0.1',
    prim: 'leaky_relu',
    inputs: [{ shape: [3, 5], gen: 'away' }],
    attrs: { alpha: 0.1 },
  },
  {
    name: 'elu α=0.7',
    prim: 'elu',
    inputs: [{ shape: [3, 5], gen: 'away' }],
    attrs: { alpha: 0.7 },
  },
  { name: 'gelu', prim: 'gelu', inputs: [{ shape: [3, 5] }] },
  { name: 'pow_const 2', prim: 'pow_const', inputs: [{ shape: [6] }], attrs: { exponent: 2 } },
  {
    name: 'pow_const -1.5',
    prim: 'pow_const',
    inputs: [{ shape: [6], gen: 'pos' }],
    attrs: { exponent: -1.5 },
  },
  {
    name: 'cast float32→float64',
    prim: 'cast',
    inputs: [{ shape: [6] }],
    attrs: { to: 'float64' },
    f32: true,
  },
  // shape
  { name: 'reshape', prim: 'reshape', inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [4, -1] } },
  {
    name: 'transpose',
    prim: 'transpose',
    inputs: [{ shape: [2, 3, 4] }],
    attrs: { perm: [2, 0, 1] },
  },
  {
    name: 'expand [3,1]→[2,3,4]',
    prim: 'expand',
    inputs: [{ shape: [3, 1] }],
    attrs: { shape: [2, 3, 4] },
  },
  {
    name: 'concat axis 1',
    prim: 'concat',
    inputs: [{ shape: [2, 2, 3] }, { shape: [2, 1, 3] }, { shape: [2, 3, 3] }],
    attrs: { axis: 1 },
  },
  {
    name: 'split axis 1 (piece 1 of 3)',
    prim: 'split',
    inputs: [{ shape: [2, 6, 2] }],
    attrs: { axis: 1, sizes: [1, 3, 2] },
    output: 1,
  },
  {
    name: 'slice',
    prim: 'slice',
    inputs: [{ shape: [4, 6] }],
    attrs: { starts: [1, -4], ends: [3, 100], axes: [0, 1] },
  },
  { name: 'pad', prim: 'pad', inputs: [{ shape: [2, 3] }], attrs: { pads: [1, 0, 2, 3] } },
  // reductions and softmax
  {
    name: 'reduce_sum axes [0,2] keepdims',
    prim: 'reduce_sum',
    inputs: [{ shape: [2, 3, 4] }],
    attrs: { axes: [0, 2], keepdims: 1 },
  },
  { name: 'reduce_sum all', prim: 'reduce_sum', inputs: [{ shape: [2, 3] }] },
  {
    name: 'reduce_mean axis -1',
    prim: 'reduce_mean',
    inputs: [{ shape: [2, 3, 4] }],
    attrs: { axes: [-1] },
  },
  {
    name: 'reduce_sum_square axes [1] keepdims',
    prim: 'reduce_sum_square',
    inputs: [{ shape: [2, 3, 4] }],
    attrs: { axes: [1], keepdims: 1 },
  },
  { name: 'reduce_sum_square all', prim: 'reduce_sum_square', inputs: [{ shape: [3, 4] }] },
  {
    name: 'reduce_max axis 1',
    prim: 'reduce_max',
    inputs: [{ shape: [2, 5, 3], gen: 'distinct' }],
    attrs: { axes: [1] },
  },
  { name: 'softmax axis -1', prim: 'softmax', inputs: [{ shape: [3, 5] }], attrs: { axis: -1 } },
  {
    name: 'softmax axis 1 of rank 3',
    prim: 'softmax',
    inputs: [{ shape: [2, 4, 3] }],
    attrs: { axis: 1 },
  },
  { name: 'log_softmax', prim: 'log_softmax', inputs: [{ shape: [3, 5] }], attrs: { axis: -1 } },
  // linear algebra
  { name: 'matmul 2d', prim: 'matmul', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }] },
  {
    name: 'matmul batched broadcast [2,1,3,4]@[3,4,2]',
    prim: 'matmul',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
  },
  {
    name: 'matmul [2,3,4]@[4,5] (shared weight)',
    prim: 'matmul',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
  },
  {
    name: 'gemm plain + bias',
    prim: 'gemm',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
  },
  {
    name: 'gemm transA transB alpha beta',
    prim: 'gemm',
    inputs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [3, 1] }],
    attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 2 },
  },
  // indexing
  {
    name: 'gather axis 0 (embedding, repeats)',
    prim: 'gather',
    inputs: [{ shape: [5, 3] }, { shape: [2, 3], kind: 'int64', data: [0, 4, 0, 2, 4, 4] }],
  },
  {
    name: 'gather axis 1',
    prim: 'gather',
    inputs: [{ shape: [2, 4, 3] }, { shape: [3], kind: 'int64', data: [3, 0, 3] }],
    attrs: { axis: 1 },
  },
  {
    name: 'gather axis 2, two leading axes, 2-d indices with repeats (im2col)',
    prim: 'gather',
    inputs: [{ shape: [2, 3, 5, 2] }, { shape: [2, 3], kind: 'int64', data: [4, 0, 4, 1, 1, 2] }],
    attrs: { axis: 2 },
  },
  {
    name: 'gather_elements axis 1',
    prim: 'gather_elements',
    inputs: [{ shape: [3, 4] }, { shape: [3, 2], kind: 'int64', data: [0, 3, 1, 1, 2, 0] }],
    attrs: { axis: 1 },
  },
  {
    name: 'scatter_add axis 0',
    prim: 'scatter_add',
    inputs: [
      { shape: [4, 2] },
      { shape: [3, 2], kind: 'int64', data: [0, 1, 3, 3, 0, 1] },
      { shape: [3, 2] },
    ],
    attrs: { axis: 0 },
  },
  {
    name: 'gather_nd',
    prim: 'gather_nd',
    inputs: [{ shape: [3, 4, 2] }, { shape: [3, 2], kind: 'int64', data: [0, 1, 2, 3, 0, 1] }],
  },
  {
    name: 'scatter_nd_add',
    prim: 'scatter_nd_add',
    inputs: [
      { shape: [4, 3] },
      { shape: [3, 1], kind: 'int64', data: [1, 3, 1] },
      { shape: [3, 3] },
    ],
  },
  // the LSTM recurrence (its hand-written VJP: zero or given initial states, both directions)
  {
    name: 'lstm_recurrence hs, zero initial state',
    prim: 'lstm_recurrence',
    inputs: [{ shape: [8, 12] }, { shape: [12, 3] }],
    attrs: { steps: 4 },
  },
  {
    name: 'lstm_recurrence hs, h0 and c0',
    prim: 'lstm_recurrence',
    inputs: [{ shape: [6, 12] }, { shape: [12, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
    attrs: { steps: 3 },
  },
  {
    name: 'lstm_recurrence cs, reverse, h0 and c0',
    prim: 'lstm_recurrence',
    inputs: [{ shape: [6, 12] }, { shape: [12, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
    attrs: { steps: 3, reverse: 1 },
    output: 1,
  },
  {
    name: 'lstm_recurrence hs, reverse, one step',
    prim: 'lstm_recurrence',
    inputs: [{ shape: [2, 8] }, { shape: [8, 2] }, { shape: [2, 2] }, { shape: [2, 2] }],
    attrs: { steps: 1, reverse: 1 },
  },
  // convolution and pooling
  {
    name: 'conv2d stride 2, pads, dilation 2, groups 2',
    prim: 'conv',
    inputs: [{ shape: [2, 4, 9, 8] }, { shape: [6, 2, 3, 2] }],
    attrs: { strides: [2, 2], pads: [1, 2, 1, 0], dilations: [2, 1], group: 2 },
  },
  {
    name: 'conv2d plain 3x3',
    prim: 'conv',
    inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }],
  },
  {
    name: 'conv1d stride 3 pad 1',
    prim: 'conv',
    inputs: [{ shape: [2, 3, 10] }, { shape: [2, 3, 3] }],
    attrs: { strides: [3], pads: [1, 1] },
  },
  {
    name: 'conv_transpose2d stride 2, pads, output_padding, groups 2',
    prim: 'conv_transpose',
    inputs: [{ shape: [2, 4, 3, 4] }, { shape: [4, 3, 3, 2] }],
    attrs: { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0], group: 2 },
  },
  {
    name: 'conv_transpose1d dilation 2',
    prim: 'conv_transpose',
    inputs: [{ shape: [1, 2, 5] }, { shape: [2, 3, 3] }],
    attrs: { strides: [1], pads: [1, 1], dilations: [2] },
  },
  {
    name: 'max_pool2d 3x3 stride 2 pad 1 (overlapping)',
    prim: 'max_pool',
    inputs: [{ shape: [2, 2, 7, 6], gen: 'distinct' }],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'max_pool1d 2 stride 2',
    prim: 'max_pool',
    inputs: [{ shape: [2, 3, 8], gen: 'distinct' }],
    attrs: { kernel_shape: [2], strides: [2] },
  },
  {
    name: 'avg_pool2d 3x3 stride 2 pad 1, exclude pad',
    prim: 'avg_pool',
    inputs: [{ shape: [2, 2, 6, 7] }],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 },
  },
  {
    name: 'avg_pool2d 2x3 stride 1 pad, include pad',
    prim: 'avg_pool',
    inputs: [{ shape: [1, 2, 4, 5] }],
    attrs: { kernel_shape: [2, 3], strides: [1, 2], pads: [1, 1, 0, 1], count_include_pad: 1 },
  },
  {
    name: 'avg_pool1d',
    prim: 'avg_pool',
    inputs: [{ shape: [2, 2, 9] }],
    attrs: { kernel_shape: [3], strides: [3] },
  },
];

for (const c of cases) {
  test(`grad ${c.prim}: ${c.name}`, async (t) => {
    const { dtype } = await check(c);
    t.diagnostic(dtype);
  });
}

test('PRIM_NAMES (the PrimName type) lists exactly the registered primitives', () => {
  const registered = allPrimitives().map((p) => p.name as string);
  assert.deepEqual([...registered].sort(), [...PRIM_NAMES].sort());
});

test('every differentiable primitive has a gradient check', () => {
  const covered = new Set(cases.map((c) => c.prim));
  const missing = allPrimitives()
    .filter((p) => p.vjp && !covered.has(p.name))
    .map((p) => p.name);
  assert.deepEqual(missing, []);
});

test('non-differentiable primitives run and compute the right values', async () => {
  const g = new Graph();
  const a = g.input('a', [4]);
  const b = g.input('b', [4]);
  const lbl = g.input('lbl', [3], 'int64');
  g.output('gt', g.op('cast', [g.op('greater', [a, b])], { to: 'float32' }));
  g.output('eq', g.op('cast', [g.op('equal', [a, b])], { to: 'float32' }));
  g.output('sign', g.op('sign', [a]));
  g.output('oh', g.op('one_hot', [lbl], { depth: 3 }));
  g.output('k', g.constant([1, 2, 3, 4, 5, 6], [2, 3], 'float32'));
  const r = await compile(g);
  const out = await r.run({ a: [1, -2, 3, 0], b: [0, -2, 4, 0], lbl: [2, 0, 1] });
  assert.deepEqual([...out.gt!], [1, 0, 0, 0]);
  assert.deepEqual([...out.eq!], [0, 1, 0, 1]);
  assert.deepEqual([...out.sign!], [1, -1, 1, 0]);
  assert.deepEqual([...out.oh!], [0, 0, 1, 1, 0, 0, 0, 1, 0]);
  assert.deepEqual([...out.k!], [1, 2, 3, 4, 5, 6]);
  await r.release();
});

test('shape rules reject invalid inputs with readable messages', () => {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const y = g.input('y', [4, 5]);
  assert.throws(
    () => g.op('matmul', [x, y]),
    /matmul\(\[2, 3\]:float32, \[4, 5\]:float32\): inner dims differ/,
  );
  assert.throws(() => g.op('add', [x, y]), /do not broadcast/);
  assert.throws(() => g.op('reshape', [x], { shape: [4, -1] }), /cannot reshape/);
  // @ts-expect-error a misspelt primitive name does not compile (PrimName)
  assert.throws(() => g.op('nope', [x]), /unknown primitive 'nope'/);
});

test('the conv gradient uses ConvTranspose and Conv; max_pool uses ScatterElements', async () => {
  const conv = build(
    cases.find((c) => c.prim === 'conv')!,
    'float32',
    true,
  ).g;
  const ops = opTypes(serialize(conv));
  assert.ok(
    ops.includes('ConvTranspose') && ops.filter((o) => o === 'Conv').length === 2,
    ops.join(' '),
  );
  const pool = build(
    cases.find((c) => c.prim === 'max_pool')!,
    'float32',
    true,
  ).g;
  assert.ok(opTypes(serialize(pool)).includes('ScatterElements'));
});
