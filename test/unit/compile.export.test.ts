/**
 * The export graph (native ONNX operators, one node per layer, weights as initializers) of every
 * example gives the eval graph's outputs in onnxruntime-node (rtol 1e-5), and is Netron-friendly.
 * AlexNet, VGG-16 and ResNet-18 are left out only for size (61M, 138M and 11.7M parameters at
 * 224×224: hundreds of MB of initializers per run); their layer kinds are covered by the others.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { buildExport } from '../../src/compiler/export';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import type { CheckedModel } from '../../src/language/checked';
import { checkFile, checkText, memoryHost } from '../../src/language/program';
import { closeness, idValues, inputValues, paramValues, stageModel } from './helpers/lowering';
import { compile, toTensor } from './helpers/ort';

const EXAMPLES = join(__dirname, '../../examples');
const host = {
  root: EXAMPLES,
  readFile: (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};
// The largest models are left to zoo.test.ts (counts layer by layer); small models of the same
// construction run here (chargpt.dlm for gpt2.dlm).
const SKIP = new Set(['alexnet.dlm', 'vgg16.dlm', 'resnet18.dlm', 'gpt2.dlm']);
const DIMS = { B: 2, T: 6, L: 16 };

export function exampleModel(file: string): CheckedModel {
  const r = checkFile(join(EXAMPLES, file), host);
  return r.models[0]!;
}

/** Deterministic parameter values (small, so deep stacks stay in range) keyed by name. */
function params(fw: ReturnType<typeof lowerModel>): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const p of fw.params) {
    const local = p.name.split('.').pop()!;
    const fan = p.shape.length > 1 ? p.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const v = paramValues(local, p.shape);
    const scale = local === 'running_var' ? 1 : 2 / Math.sqrt(fan);
    m.set(
      p.name,
      Float32Array.from(v, (x) => x * scale),
    );
  }
  return m;
}

/**
 * Values for every model input: ids below the vocabulary of the Embedding that reads it, else
 * the shared input formula (input k).
 */
function inputFeeds(model: CheckedModel, fw: ReturnType<typeof lowerModel>) {
  return fw.inputs.map((x, k) => {
    const io = model.inputs[k]!;
    const reader = model.nodes.find(
      (n) => n.def.name === 'Embedding' && n.inputs.includes(io.value),
    );
    const vocab = (reader ?? model.nodes.find((n) => n.def.name === 'Embedding'))?.attrs.vocab as
      number | undefined;
    const data =
      x.value.dtype === 'int64'
        ? idValues(x.value.shape, vocab ?? 2)
        : inputValues(x.value.shape, k);
    return { x, data };
  });
}

async function compare(model: CheckedModel) {
  const g = new Graph();
  const fw = lowerModel(model, { training: false, dims: DIMS }, g);
  fw.outputs.forEach((o) => g.output(o.name, o.value));
  const values = params(fw);
  const feeds: Record<string, number[] | Float32Array> = {};
  const xs = inputFeeds(model, fw);
  const x = fw.inputs[0]!;
  for (const { x: xi, data } of xs) feeds[xi.name] = data;
  for (const [k, v] of values) feeds[k] = v;
  const ev = await compile(g);
  const want = await ev.run(feeds);
  await ev.release();

  const sample = x.value.shape.slice(1);
  const info = buildExport(model, values, { sampleShape: sample, staticBatch: DIMS.B });
  const bytes = onnx.ModelProto.encode(info.model).finish();
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await s.run(
    Object.fromEntries(
      xs.map(({ x: xi, data }) => [xi.name, toTensor(data, xi.value.shape, xi.value.dtype)]),
    ),
  );
  await s.release();
  for (const o of fw.outputs) {
    const got = Float64Array.from(out[o.name]!.data as Float32Array);
    const cl = closeness(got, want[o.name]!, 1e-5, 1e-6);
    assert.ok(cl.worst <= 1, `${o.name}: ${got[cl.at]} vs ${want[o.name]![cl.at]} at ${cl.at}`);
  }
  return info;
}

describe('export graph = eval graph on every example', () => {
  for (const f of readdirSync(EXAMPLES).filter((f) => f.endsWith('.dlm') && !SKIP.has(f)))
    it(f, async () => {
      await compare(exampleModel(f));
    });
});

/**
 * The export (no staticBatch) has the symbolic batch axis `B` on every example, also where a layer
 * is exported through its lowering (TransformerEncoder, learned PositionalEncoding), and one model
 * serves every batch size: batches of 5, 3 and 1 equal the eval graph built for 5 samples.
 */
async function dynamicBatch(model: CheckedModel) {
  const N = 5;
  const g = new Graph();
  const fw = lowerModel(model, { training: false, dims: { ...DIMS, B: N } }, g);
  fw.outputs.forEach((o) => g.output(o.name, o.value));
  const values = params(fw);
  const x = fw.inputs[0]!;
  const xs = inputFeeds(model, fw);
  const ev = await compile(g);
  const want = await ev.run({
    ...Object.fromEntries(xs.map(({ x: xi, data }) => [xi.name, data])),
    ...Object.fromEntries(values),
  });
  await ev.release();
  const sample = x.value.shape.slice(1);
  const info = buildExport(model, values, { sampleShape: sample });
  assert.ok(info.dynamicBatch, `${model.name}: batch fixed (${info.lowered.join(', ')})`);
  for (const put of [...info.model.graph!.input!, ...info.model.graph!.output!])
    assert.equal(put.type!.tensorType!.shape!.dim![0]!.dimParam, 'B', put.name!);
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(info.model).finish());
  try {
    for (const n of [N, 3, 1]) {
      // The first n samples of every input.
      const out = await s.run(
        Object.fromEntries(
          xs.map(({ x: xi, data }) => {
            const rest = xi.value.shape.slice(1);
            const per = rest.reduce((a, b) => a * b, 1);
            return [xi.name, toTensor(data.slice(0, n * per), [n, ...rest], xi.value.dtype)];
          }),
        ),
      );
      for (const o of fw.outputs) {
        const w = want[o.name]!;
        const rows = w.length / N;
        const got = Float64Array.from(out[o.name]!.data as Float32Array);
        assert.equal(got.length, n * rows, `${o.name} at batch ${n}`);
        const cl = closeness(got, w.subarray(0, n * rows), 1e-5, 1e-6);
        assert.ok(cl.worst <= 1, `${o.name} at batch ${n}: ${got[cl.at]} vs ${w[cl.at]}`);
      }
    }
  } finally {
    await s.release();
  }
}

describe('export graph has a dynamic batch axis on every example (batches 5, 3, 1)', () => {
  for (const f of readdirSync(EXAMPLES).filter((f) => f.endsWith('.dlm') && !SKIP.has(f)))
    it(f, async () => {
      await dynamicBatch(exampleModel(f));
    });
});

describe('export is Netron-friendly', () => {
  it('LeNet-5: Conv, Tanh, AveragePool, Gemm, one node per layer, dynamic batch', async () => {
    const model = exampleModel('lenet5.dlm');
    const info = await compare(model);
    const nodes = info.model.graph!.node!;
    const ops = nodes.map((n) => n.opType);
    assert.deepEqual(ops, [
      'Conv',
      'Tanh',
      'AveragePool',
      'Conv',
      'Tanh',
      'AveragePool',
      'Flatten',
      'Gemm',
      'Tanh',
      'Gemm',
      'Tanh',
      'Gemm',
    ]);
    assert.equal(nodes.length, model.nodes.length);
    assert.deepEqual(
      nodes.map((n) => n.name),
      model.nodes.map((_, i) => nodes[i]!.name),
    );
    assert.equal(nodes[0]!.name, 'conv2d0');
    assert.equal(nodes[0]!.docString, 'Conv2d(6, 5)');
    assert.ok(info.dynamicBatch);
    const dim0 = info.model.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!;
    assert.equal(dim0.dimParam, 'B');
    const inits = info.model.graph!.initializer!.map((t) => t.name);
    assert.ok(inits.includes('conv2d0.weight') && inits.includes('dense2.bias'));
  });

  it('a key-padding mask is the mask, not the keys: the export computes what the lowering does', async () => {
    // Before, MultiHeadAttention's export read `(x, mask)` as (queries, keys) and the file did
    // not load in onnxruntime.
    const text = `model Masked(ids: int[B, 6]) -> [B, 3] {
  mask = ids |> PaddingMask(0)
  h = ids |> Embedding(50, 16)
  a = (h, mask) |> MultiHeadAttention(16, heads=4)
  (a, mask) |> TransformerEncoder(16, 4, ff=32, dropout=0, causal=true) |> Mean(axis=1) |> Dense(3)
}
`;
    const r = checkText('/m.dlm', text, memoryHost({ '/m.dlm': text }));
    assert.deepEqual(r.diagnostics, []);
    await compare(r.models[0]!);
  });

  it('recurrent and attention layers become one node each (native op or local function)', async () => {
    for (const f of ['bigru.dlm', 'lstm_classifier.dlm', 'transformer.dlm']) {
      const model = exampleModel(f);
      const info = await compare(model);
      const visible = model.nodes.filter((n) => n.def.name !== 'Identity');
      assert.equal(info.model.graph!.node!.length, visible.length, f);
    }
  });
});

describe('export of every layer family matches PyTorch (forward.json, eval cases)', () => {
  const fixture = JSON.parse(
    readFileSync(join(__dirname, '../fixtures/torch/forward.json'), 'utf8'),
  ) as {
    cases: {
      id: string;
      stage: string;
      inputs: number[][];
      ids: number | null;
      train: boolean;
      output: number[];
    }[];
  };
  for (const c of fixture.cases.filter((c) => !c.train))
    it(`${c.id}: ${c.stage}`, async () => {
      const model = stageModel(c.stage, c.inputs);
      const fw = lowerModel(model, { training: false, dims: {} });
      const values = new Map<string, Float32Array>();
      for (const p of fw.params)
        values.set(
          p.name,
          Float32Array.from(paramValues(p.name.slice(p.name.indexOf('.') + 1), p.shape)),
        );
      const info = buildExport(model, values, {
        sampleShape: c.inputs[0]!.slice(1),
        staticBatch: c.inputs[0]![0]!,
      });
      const s = await ort.InferenceSession.create(onnx.ModelProto.encode(info.model).finish());
      const feeds: Record<string, ort.Tensor> = {};
      fw.inputs.forEach((inp, k) => {
        const v = c.ids ? idValues(inp.value.shape, c.ids) : inputValues(inp.value.shape, k);
        feeds[inp.name] = toTensor(v, inp.value.shape, inp.value.dtype);
      });
      const out = await s.run(feeds);
      await s.release();
      const got = Float64Array.from(Object.values(out)[0]!.data as Float32Array);
      const cl = closeness(got, c.output, 1e-4, 1e-5);
      assert.ok(cl.worst <= 1, `${got[cl.at]} vs ${c.output[cl.at]} at ${cl.at}`);
    });
});
