/**
 * Every layer family's lowering against PyTorch: fixed weights and inputs (formulas shared with
 * test/fixtures/torch/gen_forward.py), one stage per case, run in onnxruntime-node in float32 and
 * compared with torch 1.13's float64 output at rtol 1e-4 (atol 1e-5 for values near zero: the
 * float32 rounding of inputs and weights alone is ~6e-8 relative, and the deepest case, a
 * two-layer bidirectional LSTM, accumulates well under 1e-5).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import { compile, type Feeds } from './helpers/ort';
import { closeness, idValues, inputValues, paramValues, stageModel } from './helpers/lowering';

interface Case {
  id: string;
  stage: string;
  inputs: number[][];
  ids: number | null;
  train: boolean;
  output_shape: number[];
  output: number[];
  running_mean?: number[];
  running_var?: number[];
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/torch/forward.json'), 'utf8'),
) as { cases: Case[] };

const RTOL = 1e-4;
const ATOL = 1e-5;

describe('layer lowerings match PyTorch (forward.json)', () => {
  for (const c of fixture.cases) {
    it(`${c.id}: ${c.stage}`, async () => {
      const model = stageModel(c.stage, c.inputs);
      const g = new Graph();
      const fw = lowerModel(model, { training: c.train, dims: {} }, g);
      g.output('y', fw.outputs[0]!.value);
      for (const u of fw.stateUpdates) g.output(`new:${u.param}`, u.value);
      assert.equal(fw.random.length, 0, 'no random inputs expected');
      const feeds: Feeds = {};
      fw.inputs.forEach((inp, k) => {
        feeds[inp.name] = c.ids
          ? idValues(inp.value.shape, c.ids)
          : inputValues(inp.value.shape, k);
      });
      for (const p of fw.params) {
        const local = p.name.slice(p.name.indexOf('.') + 1);
        feeds[p.name] = paramValues(local, p.shape);
      }
      const r = await compile(g);
      const out = await r.run(feeds);
      await r.release();
      assert.deepEqual(fw.outputs[0]!.value.shape, c.output_shape);
      const cl = closeness(out.y!, c.output, RTOL, ATOL);
      assert.ok(
        cl.worst <= 1,
        `output differs at ${cl.at}: ${out.y![cl.at]} vs ${c.output[cl.at]} (max abs ${cl.maxAbs})`,
      );
      if (c.running_mean) {
        const prefix = fw.params[0]!.name.split('.')[0]!;
        for (const key of ['running_mean', 'running_var'] as const) {
          const got = out[`new:${prefix}.${key}`]!;
          const cc = closeness(got, c[key]!, RTOL, ATOL);
          assert.ok(cc.worst <= 1, `${key}: ${[...got]} vs ${c[key]!}`);
        }
      }
    });
  }
});
