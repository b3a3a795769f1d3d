/**
 * Losses against PyTorch 1.13 (test/fixtures/torch/optim.json, `losses`, computed in float64):
 * the value for reduction mean and sum, and the gradient w.r.t. every model output built by our
 * autodiff, both run in onnxruntime-node; the gradient is also checked against central finite
 * differences of our own graph. Plus the metrics.
 *
 * Graphs run in float64 (tolerance 1e-9), except the losses that use Softplus (BCEWithLogits,
 * VAELoss with recon="bce"): onnxruntime has no float64 Softplus kernel, so those run in float32
 * (tolerance 1e-5 relative on values and gradients; finite differences 3e-4 plus the loss's own
 * float32 rounding divided by the step).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { grad } from '../../src/compiler/autodiff';
import { Graph } from '../../src/compiler/ir';
import { buildLoss, buildMetrics } from '../../src/compiler/losses';
import type { ResolvedCall } from '../../src/language/checked';
import type { AttrValue } from '../../src/layers/types';
import type { DType } from '../../src/primitives';
import { compile } from './helpers/ort';

interface Tensor {
  shape: number[];
  data: number[];
}
interface LossCase {
  id: string;
  loss: string;
  args: Record<string, AttrValue>;
  outputs: Tensor[];
  target: Tensor & { dtype: 'int64' | 'float' };
  value: number;
  grads: number[][];
}

const cases = (
  JSON.parse(readFileSync(new URL('../fixtures/torch/optim.json', import.meta.url), 'utf8')) as {
    losses: LossCase[];
  }
).losses;

const call = (name: string, args: Record<string, AttrValue> = {}): ResolvedCall => ({
  name,
  args,
  span: { start: 0, end: 0 },
});

function close(a: number, e: number, rtol: number, atol: number, what: string) {
  assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}: ${a} vs ${e}`);
}

function lossGraph(c: LossCase, dtype: DType) {
  const g = new Graph();
  const outs = c.outputs.map((t, i) => g.input(`o${i}`, t.shape, dtype));
  const target = g.input('t', c.target.shape, c.target.dtype === 'int64' ? 'int64' : dtype);
  const { loss, perSample } = buildLoss(g, call(c.loss, c.args), outs, target);
  g.output('loss', loss);
  g.output('per', perSample!);
  grad(g, loss, outs).forEach((d, i) => g.output(`d${i}`, d));
  g.prune();
  return g;
}

describe('losses match PyTorch (value, autodiff gradient, finite differences)', () => {
  for (const c of cases)
    it(c.id, async () => {
      const f32 = c.loss === 'BCEWithLogits' || (c.loss === 'VAELoss' && c.args.recon === 'bce');
      const [rtol, atol, fdTol, h] = f32 ? [1e-5, 1e-6, 3e-4, 1e-2] : [1e-9, 1e-12, 1e-6, 1e-5];
      const run = await compile(lossGraph(c, f32 ? 'float32' : 'float64'));
      try {
        const feeds: Record<string, number[]> = { t: c.target.data };
        c.outputs.forEach((t, i) => (feeds[`o${i}`] = [...t.data]));
        const out = await run.run(feeds);
        close(out.loss![0]!, c.value, rtol, atol, 'loss');
        const per = [...out.per!];
        const agg = per.reduce((s, v) => s + v, 0);
        const sum = c.args.reduction === 'sum';
        assert.equal(per.length, c.outputs[0]!.shape[0]);
        const ignore = c.args.ignore_index;
        if (typeof ignore === 'number' && !sum) {
          // Mean over kept positions: each sample's mean weighs by its kept positions.
          const steps = c.target.data.length / per.length;
          const kept = per.map(
            (_, i) =>
              c.target.data.slice(i * steps, (i + 1) * steps).filter((v) => v !== ignore).length,
          );
          const total = kept.reduce((a, b) => a + b, 0);
          close(
            per.reduce((a, v, i) => a + v * kept[i]!, 0) / total,
            out.loss![0]!,
            1e-6,
            1e-9,
            'perSample',
          );
        } else close(sum ? agg : agg / per.length, out.loss![0]!, 1e-6, 1e-9, 'perSample');
        c.grads.forEach((want, i) => {
          const got = out[`d${i}`]!;
          want.forEach((w, j) => close(got[j]!, w, rtol * 10, atol, `d${i}[${j}]`));
        });
        // Central differences of our own graph.
        for (let i = 0; i < c.outputs.length; i++) {
          const x = feeds[`o${i}`]!;
          for (let j = 0; j < x.length; j++) {
            const x0 = x[j]!;
            x[j] = x0 + h;
            const up = (await run.run(feeds)).loss![0]!;
            x[j] = x0 - h;
            const down = (await run.run(feeds)).loss![0]!;
            x[j] = x0;
            const fd = (up - down) / (2 * h);
            // Rounding of the loss itself limits the difference quotient: ~4 ulp(loss)/h.
            const roundoff = (4 * (f32 ? 2 ** -23 : 2 ** -52) * Math.abs(out.loss![0]!)) / h;
            assert.ok(
              Math.abs(fd - out[`d${i}`]![j]!) <= fdTol * Math.max(1, Math.abs(fd)) + roundoff,
              `finite difference d${i}[${j}]: ${fd} vs autodiff ${out[`d${i}`]![j]}`,
            );
          }
        }
      } finally {
        await run.release();
      }
    });
});

describe('loss inputs', () => {
  it('class losses want int64 targets matching the scores', () => {
    const g = new Graph();
    const x = g.input('x', [4, 3]);
    assert.throws(
      () => buildLoss(g, call('CrossEntropy'), [x], g.input('t', [4])),
      /int64 class indices/,
    );
    assert.throws(
      () => buildLoss(g, call('NLL'), [x], g.input('u', [5], 'int64')),
      /do not match scores/,
    );
    assert.throws(
      () => buildLoss(g, call('CrossEntropy'), [x], g.input('v', [4], 'int64'), { classes: 10 }),
      /3 scores per sample but the data has 10 classes/,
    );
    // [N, 1] targets are accepted for [N, K] scores.
    assert.ok(buildLoss(g, call('Hinge'), [x], g.input('w', [4, 1], 'int64')).loss);
  });
  it('VAELoss needs (recon, mu, logvar); other losses one output', () => {
    const g = new Graph();
    const x = g.input('x', [4, 3]);
    const t = g.input('t', [4, 3]);
    assert.throws(() => buildLoss(g, call('VAELoss'), [x], t), /\(recon, mu, logvar\)/);
    assert.throws(() => buildLoss(g, call('MSE'), [x, x], t), /one model output/);
    assert.throws(() => buildLoss(g, call('MSE', { delta: 1 }), [x], t), /unknown attribute/);
  });
});

describe('metrics', () => {
  it('accuracy takes the first maximal class (torch.argmax), per position', async () => {
    const g = new Graph();
    const x = g.input('x', [4, 3]);
    const t = g.input('t', [4], 'int64');
    g.output('acc', buildMetrics(g, call('CrossEntropy'), [x], t).accuracy!);
    const run = await compile(g);
    // rows: argmax 2 (hit), all equal → 0 (label 1: miss), tie 1/2 → 1 (hit), argmax 0 (miss)
    const out = await run.run({
      x: [0, 1, 5, 2, 2, 2, 0, 3, 3, 1, 0, 0],
      t: [2, 1, 1, 2],
    });
    await run.release();
    assert.equal(out.acc![0], 0.5);
  });
  it('BCEWithLogits accuracy thresholds logits at 0 and targets at 0.5; regression gives mae and mse', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 2]);
    const t = g.input('t', [2, 2]);
    g.output('acc', buildMetrics(g, call('BCEWithLogits'), [x], t).accuracy!);
    const m = buildMetrics(g, call('Huber'), [x], t);
    g.output('mae', m.mae!);
    g.output('mse', m.mse!);
    assert.deepEqual(buildMetrics(g, call('VAELoss'), [x, x, x], t), {});
    const run = await compile(g);
    const out = await run.run({ x: [1, -1, 0.5, -3], t: [1, 1, 0, 0] });
    await run.release();
    assert.equal(out.acc![0], 0.5);
    close(out.mae![0]!, (0 + 2 + 0.5 + 3) / 4, 1e-6, 0, 'mae');
    close(out.mse![0]!, (0 + 4 + 0.25 + 9) / 4, 1e-6, 0, 'mse');
  });
});
