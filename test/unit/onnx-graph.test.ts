/**
 * The ONNX reader and its shape inference (src/interop/onnx/graph.ts): the files torch exports
 * (empty value_info) get every shape and torch's parameter counts; bad input is a diagnostic
 * naming the node, or one OnnxReadError for a file that is no ONNX model, never a crash.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { formatShape } from '../../src/core';
import { readOnnxGraph } from '../../src/interop/onnx/graph';
import { buildExport } from '../../src/compiler/export';
import { lowerModel } from '../../src/compiler/forward';
import { checkText, memoryHost } from '../../src/language/program';
import { OnnxReadError } from '../../src/interop/onnx/initializers';
import { ONNX_MODELS, TORCH_COUNTS, onnxFixture } from './helpers/onnx-fixtures';

const F = onnx.TensorProto.DataType.FLOAT;
const vi = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType: F,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});
const init = (name: string, dims: number[]): onnx.ITensorProto => ({
  name,
  dataType: F,
  dims,
  floatData: new Array(dims.reduce((a, b) => a * b, 1)).fill(0.5),
});
function model(
  nodes: onnx.INodeProto[],
  opts: {
    inits?: onnx.ITensorProto[];
    out?: onnx.IValueInfoProto[];
    info?: onnx.IValueInfoProto[];
  } = {},
): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: nodes,
      input: [vi('x', ['N', 8])],
      output: opts.out ?? [vi('y', ['N', 4])],
      initializer: opts.inits ?? [init('w', [4, 8]), init('b', [4])],
      valueInfo: opts.info ?? [],
    },
  }).finish();
}
const gemm: onnx.INodeProto = {
  name: '/fc/Gemm',
  opType: 'Gemm',
  input: ['x', 'w', 'b'],
  output: ['h'],
  attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
};
const relu: onnx.INodeProto = { name: '/act/Relu', opType: 'Relu', input: ['h'], output: ['y'] };

describe('ONNX graph of files exported by torch (value_info empty)', () => {
  for (const name of ONNX_MODELS)
    it(`${name}: every value has a shape, counts equal torch's`, () => {
      const g = readOnnxGraph(readFileSync(onnxFixture(name)), { file: `${name}.onnx` });
      assert.deepEqual(g.diagnostics, []);
      assert.equal(g.totals.trainable, TORCH_COUNTS[name].trainable);
      assert.equal(g.totals.buffers, TORCH_COUNTS[name].buffers);
      for (const n of g.nodes)
        for (const o of n.outputs)
          assert.ok(g.values.get(o)!.shape, `${n.name}: ${o} has no shape`);
      for (const o of g.outputs) assert.equal(o.shape![0]!.toString(), 'B');
    });

  it('ResNet-18: catalog layers per node, MACs as torchinfo (1.81 G)', () => {
    const g = readOnnxGraph(readFileSync(onnxFixture('resnet18')));
    const conv1 = g.nodes.find((n) => n.name === '/conv1/Conv')!;
    assert.equal(conv1.layer?.layer, 'Conv2d');
    assert.deepEqual(conv1.layer?.attrs, {
      out: 64,
      kernel: 7,
      stride: 2,
      padding: 3,
      bias: false,
    });
    assert.equal(formatShape(g.values.get(conv1.outputs[0]!)!.shape!), '[B, 64, 112, 112]');
    assert.equal(conv1.macs.toString(), '118013952*B');
    assert.deepEqual(conv1.scope, ['conv1']);
    assert.equal(g.totals.macs.toString(), '1814073344*B');
  });
});

describe('ONNX shape rules and bad input', () => {
  it('a two-node model: shapes with the named dim, Gemm as Dense', () => {
    const g = readOnnxGraph(model([gemm, relu]));
    assert.deepEqual(g.diagnostics, []);
    assert.equal(formatShape(g.values.get('y')!.shape!), '[N, 4]');
    assert.equal(g.nodes[0]!.layer?.layer, 'Dense');
    assert.equal(g.totals.trainable, 36);
    assert.equal(g.totals.macs.toString(), '32*N');
  });

  it('a declared shape that contradicts the inferred one names the node', () => {
    const g = readOnnxGraph(model([gemm, relu], { info: [vi('h', ['N', 5])] }));
    const d = g.diagnostics.find((x) => x.code === 'DLM223');
    assert.ok(d, JSON.stringify(g.diagnostics));
    assert.equal(d.node, '/fc/Gemm');
    assert.match(d.message, /computes \[N, 4\] for 'h', but the file declares \[N, 5\]/);
  });

  it('inputs that do not fit the operator name the node', () => {
    const g = readOnnxGraph(
      model([{ name: 'bad_add', opType: 'Add', input: ['x', 'b'], output: ['y'] }]),
    );
    const d = g.diagnostics.find((x) => x.code === 'DLM223')!;
    assert.equal(d.node, 'bad_add');
    assert.match(d.message, /\[N, 8\] and \[4\] do not broadcast/);
  });

  it('an unknown operator is an opaque node, shapes from value_info when declared', () => {
    const g = readOnnxGraph(
      model([
        gemm,
        { name: 'mystery', opType: 'FancyOp', domain: 'com.example', input: ['h'], output: ['y'] },
      ]),
    );
    const d = g.diagnostics.find((x) => x.code === 'DLM222')!;
    assert.equal(d.node, 'mystery');
    assert.match(d.message, /FancyOp of domain 'com.example'/);
    assert.equal(g.nodes[1]!.opaque, true);
    assert.equal(formatShape(g.values.get('y')!.shape!), '[N, 4]'); // the declared output
  });

  it('Loop and If are refused with the node name', () => {
    const g = readOnnxGraph(
      model([gemm, { name: 'branch', opType: 'If', input: ['h'], output: ['y'] }]),
    );
    const d = g.diagnostics.find((x) => x.code === 'DLM225')!;
    assert.equal(d.node, 'branch');
    assert.match(d.message, /control flow \(If\)/);
  });

  it('weights in an external file are named, the graph still has shapes and counts', () => {
    const ext: onnx.ITensorProto = {
      name: 'w',
      dataType: F,
      dims: [4, 8],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'weights.bin' }],
    };
    const g = readOnnxGraph(model([gemm, relu], { inits: [ext, init('b', [4])] }));
    const d = g.diagnostics.find((x) => x.code === 'DLM224')!;
    assert.match(d.message, /'w' is stored in the external file 'weights.bin'/);
    assert.equal(g.totals.trainable, 36);
  });

  it('a truncated file and a non-ONNX file are one clear error', () => {
    const bytes = readFileSync(onnxFixture('vae'));
    for (const bad of [
      bytes.subarray(0, 1000),
      new TextEncoder().encode('hello, this is not onnx\n'),
    ]) {
      assert.throws(
        () => readOnnxGraph(bad, { file: 'm.onnx' }),
        (e: unknown) =>
          e instanceof OnnxReadError &&
          /^m\.onnx: not (a readable ONNX model|an ONNX model)/.test(e.message),
      );
    }
  });

  it('an opset outside 7–18 is a diagnostic', () => {
    const bytes = onnx.ModelProto.encode({
      ...onnx.ModelProto.decode(model([gemm, relu])),
      opsetImport: [{ domain: '', version: 3 }],
    }).finish();
    const d = readOnnxGraph(bytes).diagnostics.find((x) => x.code === 'DLM221')!;
    assert.equal(d.severity, 'error');
    assert.match(d.message, /opset 3; DLM Studio reads opsets 7 to 18/);
  });
});

describe('shared initializers', () => {
  it('a tied output layer and a shared layer count their tensors once in the totals', () => {
    const text = `model M(x: int[B, 6]) -> [B, 6, 20] {
  layer embed = Embedding(20, 8)
  layer mix = Dense(8)
  x |> embed |> mix |> ReLU |> mix |> ReLU |> Dense(20, tie=embed)
}`;
    const r = checkText('/w/m.dlm', text, memoryHost({ '/w/m.dlm': text }, '/w'));
    assert.deepEqual(r.diagnostics, []);
    const model = r.models[0]!;
    const fw = lowerModel(model, { training: false, dims: { B: 2 } });
    const values = new Map(
      fw.params.map((p) => [
        p.name,
        new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(0.1),
      ]),
    );
    const bytes = onnx.ModelProto.encode(
      buildExport(model, values, { sampleShape: [6] }).model,
    ).finish();
    const g = readOnnxGraph(bytes, { file: 'm.onnx' });
    // embed 160, mix 72 (used twice), the tied Dense's own bias 20.
    assert.equal(model.totals.trainable, 252);
    assert.equal(g.totals.trainable, 252);
  });
});
