/**
 * Recurrent state (decision 0008): initial states `(x, h0) |> GRU(…)`, `(x, (h0, c0)) |> LSTM(…)`
 * and final states with `return_state=true`, in PyTorch's layout [layers·directions, N, H].
 * Every output of each stage (the sequence output and h_n, c_n) is compared with torch 1.13
 * (test/fixtures/torch/gen_recurrent_state.py) within 1e-5, for the training-graph lowering and for
 * the ONNX export graph (native LSTM/GRU/RNN operators with initial_h/initial_c and Y_h/Y_c).
 * Gradients through the states are checked against finite differences in lowering.grad.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { buildExport } from '../../src/compiler/export';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import { checkText, memoryHost } from '../../src/language/program';
import { closeness, inputValues, modelFromText, paramValues, stageModel } from './helpers/lowering';
import { compile, toTensor, type Feeds } from './helpers/ort';

interface Case {
  id: string;
  stage: string;
  inputs: number[][];
  outputs: { shape: number[]; values: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/torch/recurrent_state.json'), 'utf8'),
) as { cases: Case[] };

/** Absolute tolerance (the issue's 1e-5); float32 against torch's float64. */
const TOL = 1e-5;

function assertClose(got: ArrayLike<number>, want: readonly number[], what: string): void {
  const cl = closeness(got, want, 0, TOL);
  assert.ok(cl.worst <= 1, `${what} differs at ${cl.at}: ${got[cl.at]} vs ${want[cl.at]}`);
}

describe('recurrent state matches PyTorch (recurrent_state.json)', () => {
  for (const c of fixture.cases) {
    it(`${c.id}: ${c.stage}, lowering`, async () => {
      const model = stageModel(c.stage, c.inputs);
      assert.equal(model.outputs.length, c.outputs.length);
      const g = new Graph();
      const fw = lowerModel(model, { training: false, dims: {} }, g);
      fw.outputs.forEach((o, k) => g.output(`y${k}`, o.value));
      const feeds: Feeds = {};
      fw.inputs.forEach((inp, k) => (feeds[inp.name] = inputValues(inp.value.shape, k)));
      for (const p of fw.params)
        feeds[p.name] = paramValues(p.name.slice(p.name.indexOf('.') + 1), p.shape);
      const r = await compile(g);
      const out = await r.run(feeds);
      await r.release();
      c.outputs.forEach((want, k) => {
        assert.deepEqual(fw.outputs[k]!.value.shape, want.shape, `output ${k} shape`);
        assertClose(out[`y${k}`]!, want.values, `output ${k}`);
      });
    });

    it(`${c.id}: ${c.stage}, ONNX export at batch 2 and 1`, async () => {
      // The signature with a symbolic batch: axis 0 of the sequence, axis 1 of the states.
      const sig = c.inputs
        .map(
          (sh, k) => `x${k}: [${sh.map((d, a) => (a === (k === 0 ? 0 : 1) ? 'B' : d)).join(', ')}]`,
        )
        .join(', ');
      const args = c.inputs.length === 1 ? 'x0' : `(${c.inputs.map((_, k) => `x${k}`).join(', ')})`;
      const model = modelFromText(`model M(${sig}) {\n  ${args} |> ${c.stage}\n}\n`);
      const fw = lowerModel(model, { training: false, dims: { B: 2 } }, new Graph());
      const values = new Map(
        fw.params.map((p) => [
          p.name,
          Float32Array.from(paramValues(p.name.slice(p.name.indexOf('.') + 1), p.shape)),
        ]),
      );
      const info = buildExport(model, values, { sampleShape: c.inputs[0]!.slice(1) });
      // States keep the symbolic batch on axis 1.
      for (const v of [...info.model.graph!.input!, ...info.model.graph!.output!]) {
        const dims = v.type!.tensorType!.shape!.dim!;
        const axis = dims.length === 3 && dims[1]!.dimParam === 'B' ? 1 : 0;
        assert.equal(dims[axis]!.dimParam, 'B', `${v.name} batch axis`);
      }
      const s = await ort.InferenceSession.create(onnx.ModelProto.encode(info.model).finish());
      try {
        const run = async (n: number) => {
          const feeds: Record<string, ort.Tensor> = {};
          model.inputs.forEach((io, k) => {
            const shape = c.inputs[k]!;
            const full = inputValues(shape, k);
            // Batch n of the fixture's batch 2: the first n rows on the batch axis.
            const axis = k === 0 ? 0 : 1;
            const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
            const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
            const data: number[] = [];
            for (let o = 0; o < outer; o++)
              data.push(
                ...full.slice((o * shape[axis]! + 0) * inner, (o * shape[axis]! + n) * inner),
              );
            const sh = [...shape];
            sh[axis] = n;
            feeds[io.name] = toTensor(data, sh, 'float32');
          });
          return s.run(feeds);
        };
        for (const n of [2, 1]) {
          const out = await run(n);
          model.outputs.forEach((io, k) => {
            const want = c.outputs[k]!;
            const axis = want.shape.length === 3 && k > 0 ? 1 : 0;
            const outer = want.shape.slice(0, axis).reduce((a, b) => a * b, 1);
            const inner = want.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
            const rows: number[] = [];
            for (let o = 0; o < outer; o++)
              rows.push(
                ...want.values.slice(
                  o * want.shape[axis]! * inner,
                  (o * want.shape[axis]! + n) * inner,
                ),
              );
            assertClose(out[io.name]!.data as Float32Array, rows, `${io.name} at batch ${n}`);
          });
        }
      } finally {
        await s.release();
      }
    });
  }
});

function check(src: string) {
  return checkText('/t.dlm', src, memoryHost({ '/t.dlm': src }));
}

describe('recurrent state: shapes and diagnostics', () => {
  it('an encoder–decoder passes the encoder state: no unused binding, states [layers·dirs, B, H]', () => {
    const src = `model S(src: [B, 7, 5], tgt: [B, 6, 4]) {
  (enc, h) = src |> GRU(16, layers=2, return_state=true)
  (dec, (hn)) = (tgt, h) |> GRU(16, layers=2, return_state=true)
  return dec |> Dense(10), hn
}
`;
    const r = check(src);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.code} ${d.message}`),
      ["DLM017 binding 'enc' is never used"],
    );
    const m = r.models[0]!;
    assert.deepEqual(
      m.outputs.map((o) => m.values[o.value]!.shape!.map(String).join(',')),
      ['B,6,10', '2,B,16'],
    );
    // The decoder's second input is the encoder's state: the graph is connected.
    const [enc, dec] = m.nodes;
    assert.equal(dec!.inputs[1], enc!.outputs[1]);
  });

  it('LSTM returns (out, (h_n, c_n)); bidirectional two-layer states are [4, B, H]', () => {
    const r = check(`model L(x: [B, 7, 5]) {
  (o, (h, c)) = x |> LSTM(8, layers=2, bidirectional=true, return_state=true)
  return o, h, c
}
`);
    assert.deepEqual(r.diagnostics, []);
    const m = r.models[0]!;
    assert.deepEqual(
      m.outputs.map((o) => m.values[o.value]!.shape!.map(String).join(',')),
      ['B,7,16', '4,B,8', '4,B,8'],
    );
  });

  it('a state of the wrong shape is DLM050 at the state, naming the shape it needs', () => {
    const src = `model M(x: [B, 7, 5], h0: [1, B, 9]) {
  (x, h0) |> GRU(8, layers=2)
}
`;
    const r = check(src);
    const d = r.diagnostics.find((e) => e.code === 'DLM050');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(src.slice(d.span.start, d.span.end), 'h0');
    assert.match(
      d.message,
      /needs its initial hidden state h0 as \[2, B, 8\].*receives \[1, B, 9\]/,
    );
  });

  it('a cell state of the wrong batch is DLM050 at c0; h0 without c0 is DLM051', () => {
    const src = `model M(x: [B, 7, 5], h0: [1, B, 8], c0: [1, 3, 8]) {
  a = (x, (h0, c0)) |> LSTM(8)
  b = (x, h0) |> LSTM(8)
  return a, b
}
`;
    const r = check(src);
    const d50 = r.diagnostics.find((e) => e.code === 'DLM050')!;
    assert.equal(src.slice(d50.span.start, d50.span.end), 'c0');
    assert.match(d50.message, /cell state c0 as \[1, B, 8\]/);
    const d51 = r.diagnostics.find((e) => e.code === 'DLM051')!;
    assert.equal(src.slice(d51.span.start, d51.span.end), 'h0');
  });

  it('a tuple binding with the wrong number of names is DLM052 at the names', () => {
    const src = `model M(x: [B, 7, 5]) {
  (o, h) = x |> LSTM(8, return_state=true)
  o
}
`;
    const r = check(src);
    const d = r.diagnostics.find((e) => e.code === 'DLM052')!;
    assert.equal(src.slice(d.span.start, d.span.end), '(o, h)');
    assert.match(
      d.message,
      /2 names for 3 tensors: the pipeline gives \[B, 7, 8\], \[1, B, 8\], \[1, B, 8\]/,
    );
  });

  it('counts: states add no parameters; MACs are unchanged', () => {
    const a = check('model M(x: [B, 7, 5]) { x |> GRU(16) }\n').models[0]!;
    const b = check(
      'model M(x: [B, 7, 5], h0: [1, B, 16]) {\n  (o, h) = (x, h0) |> GRU(16, return_state=true)\n  return o, h\n}\n',
    ).models[0]!;
    assert.equal(a.totals.trainable, b.totals.trainable);
    assert.equal(a.totals.macs.toString(), b.totals.macs.toString());
  });
});
