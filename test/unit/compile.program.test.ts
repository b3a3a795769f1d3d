/**
 * The assembled training-step and eval graphs: names and shapes the engine reads, a loss that
 * falls over steps when new params/state are fed back, per-tensor gradient norms, BatchNorm
 * running statistics as outputs, dropout masks as seeded inputs (reproducible; expectation =
 * identity).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import { compileProgram, type CompiledProgram } from '../../src/compiler/program';
import { checkText, memoryHost } from '../../src/language/program';
import { compile, rng } from './helpers/ort';
import { inputValues, stageModel } from './helpers/lowering';

function program(
  src: string,
  req: { sampleShape: number[]; classes?: number; targetShape: number[] },
) {
  const r = checkText('/p.dlm', src, memoryHost({ '/p.dlm': src }));
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 0, errs.map((d) => d.message).join('\n'));
  return compileProgram({ model: r.models[0]!, train: r.trains[0]!, seed: 3, ...req });
}

const MLP = `
model Net(x: [B, 4]) -> [B, 3] {
  x |> Dense(16) |> BatchNorm1d |> ReLU |> Dropout(0.2) |> Dense(3)
}
train Net {
  data = Iris
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 1
  batch = 8
  clip = 5
  l2 = 0.0001
  metrics = [accuracy]
}
`;

async function runSteps(p: CompiledProgram, steps: number, seed = 1) {
  const B = 8;
  const s = await ort.InferenceSession.create(p.step.graph(B));
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of [...p.params, ...p.state])
    feeds[t.name] = new ort.Tensor('float32', t.init.slice(), [...t.shape]);
  feeds[p.inputs.x.name] = new ort.Tensor('float32', Float32Array.from(inputValues([B, 4], 0)), [
    B,
    4,
  ]);
  feeds[p.inputs.y!.name] = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: B }, (_, i) => BigInt(i % 3)),
    [B],
  );
  feeds.lr = new ort.Tensor('float32', Float32Array.of(0.01), []);
  const r = rng(seed);
  const losses: number[] = [];
  let last: ort.InferenceSession.OnnxValueMapType = {};
  for (let k = 0; k < steps; k++) {
    for (const x of p.random) {
      const n = B * x.sampleShape.reduce((a, b) => a * b, 1);
      feeds[x.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, r), [
        B,
        ...x.sampleShape,
      ]);
    }
    last = await s.run(feeds);
    losses.push(Number(last[p.step.loss]!.data[0]));
    for (const t of [...p.params, ...p.state]) feeds[t.name] = last[t.output]!;
  }
  await s.release();
  return { losses, last };
}

describe('training-step program', () => {
  const p = program(MLP, { sampleShape: [4], classes: 3, targetShape: [] });

  it('declares the tensors the engine feeds and reads', () => {
    assert.deepEqual(
      p.params.map((t) => t.name),
      [
        'dense0.weight',
        'dense0.bias',
        'batchnorm1d0.weight',
        'batchnorm1d0.bias',
        'batchnorm1d0.running_mean',
        'batchnorm1d0.running_var',
        'dense1.weight',
        'dense1.bias',
      ],
    );
    assert.equal(p.params.find((t) => t.name === 'batchnorm1d0.running_var')!.trainable, false);
    assert.deepEqual(p.state.map((t) => t.name).slice(0, 2), [
      'dense0.weight.exp_avg',
      'dense0.weight.exp_avg_sq',
    ]);
    assert.equal(p.state.at(-1)!.name, 'optimizer.step');
    assert.equal(p.state[0]!.param, 'dense0.weight');
    assert.deepEqual(p.random, [
      { name: 'rand.dropout0.dropout', sampleShape: [16], kind: 'uniform' },
    ]);
    assert.deepEqual(p.inputs.y, { name: 'y', dtype: 'int64', sampleShape: [] });
    assert.deepEqual(
      p.step.metrics.map((m) => m.name),
      ['accuracy'],
    );
    // PyTorch init: U(±1/√fan_in) for Dense, γ = 1, running var = 1.
    const w = p.params[0]!.init;
    assert.ok(w.every((v) => Math.abs(v) <= 0.5) && new Set(w).size > 10);
    assert.ok(p.params[5]!.init.every((v) => v === 1));
  });

  it('trains: the loss falls; grad norms, update ratios and running stats come out', async () => {
    const { losses, last } = await runSteps(p, 40);
    assert.ok(losses.at(-1)! < 0.6 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
    for (const t of p.params.filter((t) => t.trainable)) {
      assert.ok(Number(last[t.gradNorm!]!.data[0]) >= 0);
      assert.ok(Number.isFinite(Number(last[t.updateRatio!]!.data[0])));
    }
    assert.ok(Number(last[p.step.gradNorm]!.data[0]) > 0);
    const rm = last['new:batchnorm1d0.running_mean']!.data as Float32Array;
    assert.ok(
      rm.some((v) => v !== 0),
      'running mean moved',
    );
    assert.equal(Number(last['new:optimizer.step']!.data[0]), 40);
  });

  it('is reproducible: the same seed and masks give bit-identical losses', async () => {
    const a = await runSteps(p, 5, 7);
    const b = await runSteps(p, 5, 7);
    const c = await runSteps(p, 5, 8);
    assert.deepEqual(a.losses, b.losses);
    assert.notDeepEqual(a.losses, c.losses);
  });

  it('eval graph: loss, accuracy and the model output, no random inputs', async () => {
    const s = await ort.InferenceSession.create(p.eval.graph(4));
    assert.ok(!s.inputNames.some((n) => n.startsWith('rand')));
    assert.deepEqual(
      p.eval.outputs,
      ['output:out0'].map(() => s.outputNames.find((n) => n.startsWith('output:'))!),
    );
    await s.release();
  });
});

describe('dropout', () => {
  it('inverted: mean of many masks ≈ identity; survivors scaled by 1/(1 − p); same mask, same output', async () => {
    const model = stageModel('Dropout(0.3)', [[4, 50]]);
    const g = new Graph();
    const fw = lowerModel(model, { training: true, dims: {} }, g);
    g.output('y', fw.outputs[0]!.value);
    assert.equal(fw.random.length, 1);
    const r = await compile(g);
    const x = inputValues([4, 50], 0);
    const next = rng(5);
    const sum = new Float64Array(200);
    const N = 400;
    let kept = 0;
    let first: Float64Array | undefined;
    let firstU: number[] | undefined;
    for (let k = 0; k < N; k++) {
      const u = Array.from({ length: 200 }, next);
      const y = (await r.run({ x0: x, [fw.random[0]!.name]: u })).y!;
      if (!first) [first, firstU] = [y, u];
      y.forEach((v, i) => {
        sum[i]! += v;
        if (v !== 0) {
          kept++;
          assert.ok(Math.abs(v - x[i]! / 0.7) < 1e-5);
        }
      });
    }
    assert.ok(Math.abs(kept / (N * 200) - 0.7) < 0.01, `kept ${kept / (N * 200)}`);
    // Mean over 400 masks: standard error ≈ |x|·√(p/(1−p)/N) ≈ 0.033·|x|.
    sum.forEach((s, i) =>
      assert.ok(Math.abs(s / N - x[i]!) < 0.15 * Math.abs(x[i]!) + 0.02, `${i}`),
    );
    const again = (await r.run({ x0: x, [fw.random[0]!.name]: firstU! })).y!;
    assert.deepEqual([...again], [...first!]);
    await r.release();
    // Eval mode: the identity, no random input.
    const e = lowerModel(model, { training: false, dims: {} });
    assert.equal(e.random.length, 0);
    assert.equal(e.outputs[0]!.value.id, e.inputs[0]!.value.id);
  });
});
