/**
 * Autodiff end to end: a 2-layer MLP with softmax cross-entropy, compiled into one ONNX
 * training-step graph (forward + loss + backward + SGD), run in onnxruntime-node.
 * Also: fan-out accumulation, pruning of unneeded work, and the Gemm fusion pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/compiler/ir';
import { grad } from '../../src/compiler/autodiff';
import { opHistogram, opTypes, serialize } from '../../src/compiler/onnx';
import { fuseGemm } from '../../src/compiler/optimize';
import { ops, type DType } from '../../src/primitives';
import { compile, rng } from './helpers/ort';

const PARAMS = ['W1', 'b1', 'W2', 'b2'] as const;

/** loss = mean over the batch of −Σ y ⊙ log_softmax(relu(x·W1 + b1)·W2 + b2). */
function mlpStep(batch: number, d: number, h: number, k: number, dtype: DType, emitGrads = false) {
  const g = new Graph();
  const o = ops(g);
  const x = g.input('x', [batch, d], dtype);
  const y = g.input('y', [batch, k], dtype);
  const W1 = g.input('W1', [d, h], dtype);
  const b1 = g.input('b1', [h], dtype);
  const W2 = g.input('W2', [h, k], dtype);
  const b2 = g.input('b2', [k], dtype);
  const lr = g.input('lr', [], dtype);
  const hid = o.relu(o.add(o.matmul(x, W1), b1));
  const logits = o.add(o.matmul(hid, W2), b2);
  const loss = o.scale(o.reduceSum(o.mul(y, o.logSoftmax(logits, -1))), -1 / batch);
  g.output('loss', loss);
  const params = [W1, b1, W2, b2];
  const grads = grad(g, loss, params);
  params.forEach((p, i) => g.output(`${PARAMS[i]}_new`, o.sub(p, o.mul(lr, grads[i]!))));
  if (emitGrads) grads.forEach((gr, i) => g.output(`d${PARAMS[i]}`, gr));
  g.prune();
  return g;
}

function data(batch: number, d: number, h: number, k: number, seed: number) {
  const r = rng(seed);
  const u = (n: number, a: number) => [...Array(n)].map(() => (2 * r() - 1) * a);
  // Labels depend on the input (class = argmax of a fixed projection), so the task is learnable.
  const x = u(batch * d, 1);
  const y: number[] = [];
  for (let i = 0; i < batch; i++) {
    const scores = [...Array(k).keys()].map((c) => x[i * d + (c % d)]! - x[i * d + ((c + 1) % d)]!);
    const c = scores.indexOf(Math.max(...scores));
    for (let j = 0; j < k; j++) y.push(j === c ? 1 : 0);
  }
  return {
    x,
    y,
    W1: u(d * h, 1 / Math.sqrt(d)),
    b1: u(h, 1 / Math.sqrt(d)),
    W2: u(h * k, 1 / Math.sqrt(h)),
    b2: u(k, 1 / Math.sqrt(h)),
  };
}

test('MLP gradients match central finite differences (float64)', async () => {
  const [B, D, H, K] = [4, 5, 6, 3];
  const g = mlpStep(B, D, H, K, 'float64', true);
  const run = await compile(g);
  const feeds: Record<string, number[]> = { ...data(B, D, H, K, 7), lr: [0] };
  const res = await run.run(feeds);
  const h = 1e-6;
  for (const p of PARAMS) {
    const v = feeds[p]!;
    const analytic = res[`d${p}`]!;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      v[j] = orig + h;
      const fp = (await run.run(feeds)).loss![0]!;
      v[j] = orig - h;
      const fm = (await run.run(feeds)).loss![0]!;
      v[j] = orig;
      const numeric = (fp - fm) / (2 * h);
      // float64, h = 1e-6: FD error ≲ 1e-9 here; relu kinks are not hit by this data.
      assert.ok(
        Math.abs(analytic[j]! - numeric) < 1e-7,
        `d${p}[${j}]: ${analytic[j]} vs ${numeric}`,
      );
    }
  }
  await run.release();
});

test('the compiled SGD training step decreases the loss (float32)', async () => {
  const [B, D, H, K] = [32, 8, 16, 4];
  const g = fuseGemm(mlpStep(B, D, H, K, 'float32'));
  const run = await compile(g);
  const feeds: Record<string, number[] | Float64Array> = { ...data(B, D, H, K, 3), lr: [0.5] };
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    const res = await run.run(feeds);
    losses.push(res.loss![0]!);
    for (const p of PARAMS) feeds[p] = res[`${p}_new`]!;
  }
  await run.release();
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
  // Monotone for the first steps at this learning rate.
  for (let i = 1; i < 5; i++) assert.ok(losses[i]! < losses[i - 1]!, losses.slice(0, 6).join(' '));
});

test('the SGD update matches θ − lr·∇θ computed separately', async () => {
  const [B, D, H, K] = [4, 5, 6, 3];
  const run = await compile(mlpStep(B, D, H, K, 'float64', true));
  const feeds = { ...data(B, D, H, K, 11), lr: [0.1] };
  const res = await run.run(feeds);
  for (const p of PARAMS) {
    const want = feeds[p].map((v, i) => v - 0.1 * res[`d${p}`]![i]!);
    res[`${p}_new`]!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-12));
  }
  await run.release();
});

test('fan-out: cotangents of a value used several times are summed', async () => {
  const g = new Graph();
  const o = ops(g);
  const x = g.input('x', [3], 'float64');
  // f = Σ x·x·x + Σ exp(x): x feeds four uses; df/dx = 3x² + eˣ
  const f = o.add(o.reduceSum(o.mul(o.mul(x, x), x)), o.reduceSum(o.exp(x)));
  g.output('f', f);
  g.output('dx', grad(g, f, [x])[0]!);
  g.prune();
  const r = await compile(g);
  const xs = [0.5, -1, 2];
  const res = await r.run({ x: xs });
  res.dx!.forEach((v, i) => assert.ok(Math.abs(v - (3 * xs[i]! ** 2 + Math.exp(xs[i]!))) < 1e-12));
  await r.release();
});

for (const form of ['gemm', 'matmul'] as const)
  test(`fan-out through ${form}: a weight used by T products gets one product for its gradient`, async () => {
    // h_t = tanh(h_{t−1}·W + x_t) for t = 1 … T (the recurrence of a simple RNN); f = Σ h_T.
    const T = 5;
    const [n, d] = [2, 3];
    const build = (withGrad: boolean) => {
      const g = new Graph();
      const o = ops(g);
      const W = g.input('W', [d, d], 'float64');
      const x = g.input('x', [T, n, d], 'float64');
      const h0 = g.input('h0', [n, d], 'float64');
      const xs = g.opMulti('split', [x], { axis: 0, sizes: Array<number>(T).fill(1) });
      let h = h0;
      for (const xt of xs) {
        const x2 = o.reshape(xt, [n, d]);
        h = o.tanh(form === 'gemm' ? o.gemm(h, W, x2) : o.add(o.matmul(h, W), x2));
      }
      const f = o.reduceSum(h);
      g.output('f', f);
      if (withGrad) g.output('dW', grad(g, f, [W])[0]!);
      g.prune();
      return g;
    };
    const g = build(true);
    // One product has W's shape: the T contributions x·g were summed as one product.
    const products = g.nodes.filter(
      (nd) => (nd.prim === 'gemm' || nd.prim === 'matmul') && nd.outputs[0]!.shape.join() === '3,3',
    );
    assert.equal(products.length, 1, g.toString());
    assert.equal(
      g.nodes.filter((nd) => nd.prim === 'add' && nd.outputs[0]!.shape.join() === '3,3').length,
      0,
    );
    const r = rng(11);
    const feeds = {
      W: [...Array(d * d)].map(() => r() - 0.5),
      x: [...Array(T * n * d)].map(() => r() - 0.5),
      h0: [...Array(n * d)].map(() => r() - 0.5),
    };
    const withGrad = await compile(g);
    const dW = (await withGrad.run(feeds)).dW!;
    await withGrad.release();
    const fwd = await compile(build(false));
    const eps = 1e-6;
    for (let i = 0; i < d * d; i++) {
      const at = async (delta: number) => {
        const W = [...feeds.W];
        W[i]! += delta;
        return (await fwd.run({ ...feeds, W })).f![0]!;
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      assert.ok(Math.abs(fd - dW[i]!) < 1e-8, `dW[${i}] = ${dW[i]} vs ${fd}`);
    }
    await fwd.release();
  });

test('pruning: no gradient work for inputs that are not differentiated', () => {
  const g = new Graph();
  const o = ops(g);
  const x = g.input('x', [4, 3]);
  const w = g.input('w', [3, 2]);
  const f = o.reduceSum(o.tanh(o.matmul(x, w)));
  const [dw] = grad(g, f, [w]);
  g.output('dw', dw!);
  g.prune();
  // Only x·w (forward), tanh, its VJP, and xᵀ·g: no product for dx (which needs wᵀ).
  const matmuls = g.nodes.filter((n) => n.prim === 'matmul');
  assert.equal(matmuls.length, 2);
  assert.ok(!g.nodes.some((n) => n.prim === 'transpose' && n.inputs[0]!.id === w.id));
  // A loss that does not depend on the input yields an explicit zero gradient.
  const g2 = new Graph();
  const a = g2.input('a', [2]);
  const b = g2.input('b', [2]);
  const [da] = grad(g2, g2.op('reduce_sum', [b]), [a]);
  assert.deepEqual(da!.shape, [2]);
});

test('non-differentiable paths are rejected, integer paths ignored', () => {
  const g = new Graph();
  const o = ops(g);
  const x = g.input('x', [3]);
  const lbl = g.input('lbl', [3], 'int64');
  const f = o.reduceSum(o.mul(o.oneHot(lbl, 3), o.expand(o.reshape(x, [3, 1]), [3, 3])));
  assert.equal(grad(g, f, [x]).length, 1);
  const bad = o.reduceSum(o.sign(x));
  assert.throws(() => grad(g, bad, [x]), /'sign' is not differentiable/);
});

test('gemm fusion: the MLP step has Gemm with folded transposes and bias, same numbers', async () => {
  const [B, D, H, K] = [8, 6, 5, 3];
  const plain = mlpStep(B, D, H, K, 'float64');
  const fused = fuseGemm(plain);
  const hist = opHistogram(serialize(fused));
  assert.equal(hist.Gemm, 5, JSON.stringify(hist)); // 2 forward (with bias), 3 backward (transA/transB)
  assert.equal(hist.MatMul ?? 0, 0);
  assert.equal(hist.Transpose ?? 0, 0);
  assert.ok(
    !opTypes(serialize(fused)).includes('Expand') || hist.Expand === 1,
    JSON.stringify(hist),
  );
  const feeds = { ...data(B, D, H, K, 5), lr: [0.3] };
  const [r1, r2] = [await compile(plain), await compile(fused)];
  const [a, b] = [await r1.run(feeds), await r2.run(feeds)];
  for (const k of Object.keys(a))
    a[k]!.forEach((v, i) => assert.ok(Math.abs(v - b[k]![i]!) < 1e-12, k));
  await r1.release();
  await r2.release();
});
