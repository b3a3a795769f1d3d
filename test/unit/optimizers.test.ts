/**
 * Optimizer parity with PyTorch 1.13 (test/fixtures/torch/optim.json, generated once by
 * gen_optim.py): for every configuration, a 2-layer MLP 4→5→3 (tanh, CrossEntropy, batch 8)
 * runs 5 training steps as ONE ONNX graph per step (forward, loss, penalties, autodiff,
 * clipping, optimizer update) in onnxruntime-node, from PyTorch's initial weights. The loss, the
 * objective and the gradient norm of every step and the final weights must match PyTorch's.
 *
 * Tolerance: rtol 1e-4 with atol 1e-6 (both sides are float32; the atol only matters for weights
 * that pass close to 0, where a relative bound is meaningless).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { grad } from '../../src/compiler/autodiff';
import { Graph } from '../../src/compiler/ir';
import { buildLoss } from '../../src/compiler/losses';
import {
  buildOptimizerUpdate,
  clipByGlobalNorm,
  globalNorm,
  optimizerStateSpec,
  penalties,
  updateRatio,
} from '../../src/compiler/optimizers';
import { lrAt } from '../../src/compiler/schedules';
import type { ResolvedCall } from '../../src/language/checked';
import type { AttrValue } from '../../src/layers/types';
import { ops, type Value } from '../../src/primitives';
import { compile } from './helpers/ort';

interface Call {
  name: string;
  args: Record<string, AttrValue>;
}
interface OptimCase {
  id: string;
  optimizer: Call;
  clip: number | null;
  l1: number;
  l2: number;
  schedule: Call | null;
  lrs: number[];
  losses: number[];
  objectives: number[];
  grad_norms: number[];
  final: number[][];
}
interface Fixture {
  mlp: {
    x: { shape: number[]; data: number[] };
    y: number[];
    params: { shape: number[]; data: number[] }[];
    steps: number;
  };
  optimizers: OptimCase[];
}

const fx = JSON.parse(
  readFileSync(new URL('../fixtures/torch/optim.json', import.meta.url), 'utf8'),
) as Fixture;

const RTOL = 1e-4;
const ATOL = 1e-6;
const call = (c: Call): ResolvedCall => ({
  name: c.name,
  args: c.args,
  span: { start: 0, end: 0 },
});

/** Max of |a − e| / (atol + rtol·|e|) over the arrays: ≤ 1 passes. Also the max relative error. */
function compare(actual: ArrayLike<number>, expected: readonly number[]) {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let rel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const d = Math.abs(a - e);
    worst = Math.max(worst, d / (ATOL + RTOL * Math.abs(e)));
    if (Math.abs(e) > 1e-3) rel = Math.max(rel, d / Math.abs(e));
  }
  return { worst, rel };
}

function stepGraph(c: OptimCase) {
  const g = new Graph();
  const o = ops(g);
  const shapes = fx.mlp.params.map((p) => p.shape);
  const x = g.input('x', fx.mlp.x.shape);
  const y = g.input('y', [fx.mlp.y.length], 'int64');
  const lr = g.input('lr', []);
  const params = shapes.map((s, i) => g.input(`p${i}`, s));
  const stateSpec = optimizerStateSpec(call(c.optimizer), shapes);
  const state = stateSpec.map((s) => g.input(s.name, s.shape));
  const [W1, b1, W2, b2] = params as [Value, Value, Value, Value];
  const h = o.tanh(o.gemm(x, W1, b1, { transB: true }));
  const logits = o.gemm(h, W2, b2, { transB: true });
  const { loss } = buildLoss(g, call({ name: 'CrossEntropy', args: {} }), [logits], y);
  const objective = c.l1 || c.l2 ? o.add(loss, penalties(g, params, { l1: c.l1, l2: c.l2 })) : loss;
  let grads = grad(g, objective, params);
  let norm: Value;
  if (c.clip !== null) ({ grads, norm } = clipByGlobalNorm(g, grads, c.clip));
  else ({ norm } = globalNorm(g, grads));
  const upd = buildOptimizerUpdate(g, call(c.optimizer), params, grads, state, { lr });
  g.output('loss', loss);
  g.output('objective', objective);
  g.output('norm', norm);
  g.output('ratio', updateRatio(g, params, upd.newParams));
  upd.newParams.forEach((p, i) => g.output(`p${i}_new`, p));
  upd.newState.forEach((s, i) => g.output(`${stateSpec[i]!.name}_new`, s));
  g.prune();
  return { g, stateSpec };
}

const summary: string[] = [];
after(() => {
  if (summary.length) console.log(`optimizer parity (max relative error):\n${summary.join('\n')}`);
});

describe('optimizers match PyTorch over 5 steps (MLP 4→5→3, tanh, CrossEntropy)', () => {
  for (const c of fx.optimizers)
    it(c.id, async () => {
      const { g, stateSpec } = stepGraph(c);
      const run = await compile(g);
      try {
        const feeds: Record<string, ArrayLike<number>> = { x: fx.mlp.x.data, y: fx.mlp.y };
        fx.mlp.params.forEach((p, i) => (feeds[`p${i}`] = p.data));
        for (const s of stateSpec)
          feeds[s.name] = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
        const baseLr = c.optimizer.args.lr as number;
        const sched = c.schedule ? call(c.schedule) : undefined;
        let lossWorst = 0;
        let lossRel = 0;
        for (let t = 0; t < fx.mlp.steps; t++) {
          const lr = lrAt(sched, baseLr, 0, t, fx.mlp.steps);
          assert.ok(Math.abs(lr - c.lrs[t]!) <= 1e-12 * c.lrs[t]!, `lr at step ${t}`);
          feeds.lr = [lr];
          const out = await run.run(feeds);
          for (const [k, want] of [
            ['loss', c.losses[t]!],
            ['objective', c.objectives[t]!],
            ['norm', c.grad_norms[t]!],
          ] as const) {
            const r = compare(out[k]!, [want]);
            assert.ok(r.worst <= 1, `${k} at step ${t + 1}: ${out[k]![0]} vs PyTorch ${want}`);
            lossWorst = Math.max(lossWorst, r.worst);
            lossRel = Math.max(lossRel, r.rel);
          }
          const ratio = out.ratio![0]!;
          assert.ok(Number.isFinite(ratio) && ratio > 0, `update/weight ratio ${ratio}`);
          fx.mlp.params.forEach((_, i) => (feeds[`p${i}`] = out[`p${i}_new`]!));
          for (const s of stateSpec) feeds[s.name] = out[`${s.name}_new`]!;
        }
        assert.equal(feeds.step![0], fx.mlp.steps, 'step counter');
        let wRel = 0;
        c.final.forEach((want, i) => {
          const r = compare(feeds[`p${i}`]!, want);
          assert.ok(r.worst <= 1, `final p${i}: ${r.worst.toFixed(2)}× the tolerance`);
          wRel = Math.max(wRel, r.rel);
        });
        summary.push(
          `  ${c.id.padEnd(18)} loss/objective/norm ${lossRel.toExponential(1)}  weights ${wRel.toExponential(1)}`,
        );
      } finally {
        await run.release();
      }
    });
});

describe('optimizer state layout', () => {
  const shapes = [[5, 4], [5]];
  const names = (name: string, args: Record<string, AttrValue>) =>
    optimizerStateSpec(call({ name, args }), shapes).map((s) => `${s.name}[${s.shape}]`);
  it('follows PyTorch state keys, then a scalar step counter', () => {
    assert.deepEqual(names('SGD', {}), ['step[]']);
    assert.deepEqual(names('SGD', { momentum: 0.9 }), [
      'p0_momentum_buffer[5,4]',
      'p1_momentum_buffer[5]',
      'step[]',
    ]);
    assert.deepEqual(names('AdaGrad', {}), ['p0_sum[5,4]', 'p1_sum[5]', 'step[]']);
    assert.deepEqual(names('RMSProp', { momentum: 0.5 }), [
      'p0_square_avg[5,4]',
      'p0_momentum_buffer[5,4]',
      'p1_square_avg[5]',
      'p1_momentum_buffer[5]',
      'step[]',
    ]);
    assert.deepEqual(names('AdamW', {}), [
      'p0_exp_avg[5,4]',
      'p0_exp_avg_sq[5,4]',
      'p1_exp_avg[5]',
      'p1_exp_avg_sq[5]',
      'step[]',
    ]);
  });
  it('rejects attributes the spec does not have', () => {
    assert.throws(() => names('Adam', { momentum: 0.9 }), /unknown attribute 'momentum'/);
    assert.throws(() => names('Lion', {}), /unknown 'Lion'/);
  });
});

describe('step counter', () => {
  it('t = counter + 1 by default; an explicit hyper.step gives the same update', async () => {
    const g = new Graph();
    const spec = call({ name: 'Adam', args: { lr: 0.1 } });
    const p = g.input('p', [3]);
    const gr = g.input('g', [3]);
    const lr = g.input('lr', []);
    const t = g.input('t', []);
    const st = optimizerStateSpec(spec, [[3]]).map((s) => g.input(s.name, s.shape));
    const a = buildOptimizerUpdate(g, spec, [p], [gr], st, { lr });
    const b = buildOptimizerUpdate(g, spec, [p], [gr], st, { lr, step: t });
    g.output('pa', a.newParams[0]!);
    g.output('pb', b.newParams[0]!);
    g.output('ta', a.newState[2]!);
    g.output('tb', b.newState[2]!);
    const run = await compile(g);
    const out = await run.run({
      p: [1, -2, 3],
      g: [0.5, 0.1, -1],
      lr: [0.1],
      t: [3],
      p0_exp_avg: [0.1, 0, -0.2],
      p0_exp_avg_sq: [0.01, 0.001, 0.02],
      step: [2],
    });
    await run.release();
    assert.deepEqual([...out.pa!], [...out.pb!]);
    assert.equal(out.ta![0], 3);
    assert.equal(out.tb![0], 3);
  });
});

describe('clipping and penalties', () => {
  it('clip_grad_norm_: scales by max_norm/(norm + 1e-6) only when the norm exceeds max_norm', async () => {
    const g = new Graph();
    const a = g.input('a', [2]);
    const b = g.input('b', [1]);
    const big = clipByGlobalNorm(g, [a, b], 2.5);
    const small = clipByGlobalNorm(g, [a, b], 10);
    g.output('a_big', big.grads[0]!);
    g.output('b_big', big.grads[1]!);
    g.output('n', big.norm);
    g.output('a_small', small.grads[0]!);
    const run = await compile(g);
    const out = await run.run({ a: [3, 0], b: [4] }); // norm 5
    await run.release();
    const coef = 2.5 / (5 + 1e-6);
    assert.ok(Math.abs(out.n![0]! - 5) < 1e-6);
    assert.ok(Math.abs(out.a_big![0]! - 3 * coef) < 1e-6);
    assert.ok(Math.abs(out.b_big![0]! - 4 * coef) < 1e-6);
    assert.deepEqual([...out.a_small!], [3, 0]);
  });
  it('penalties: l1·Σ|θ| + ½·l2·Σθ² over every tensor', async () => {
    const g = new Graph();
    const w = g.input('w', [2, 2]);
    const b = g.input('b', [2]);
    g.output('p', penalties(g, [w, b], { l1: 0.1, l2: 0.4 }));
    g.output('zero', penalties(g, [w, b], { l1: 0, l2: 0 }));
    const run = await compile(g);
    const out = await run.run({ w: [1, -2, 0, 3], b: [-1, 0.5] });
    await run.release();
    const l1 = 1 + 2 + 0 + 3 + 1 + 0.5;
    const l2 = 1 + 4 + 0 + 9 + 1 + 0.25;
    assert.ok(Math.abs(out.p![0]! - (0.1 * l1 + 0.2 * l2)) < 1e-5);
    assert.equal(out.zero![0], 0);
  });
});
