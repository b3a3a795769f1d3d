/**
 * Every case of the PyTorch reference fixtures (test/fixtures/torch/layers.json, real forward
 * passes): output shape, trainable / non-trainable counts and parameter names and shapes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { shape } from '../../src/core';
import { countParams, getLayer, runLayer } from '../../src/layers/catalog';
import type { AttrValue } from '../../src/layers/types';

interface Case {
  id: string;
  layer: string;
  args: AttrValue[];
  kwargs: Record<string, AttrValue>;
  inputs: number[][];
  output: number[];
  params: { trainable: number; non_trainable: number };
  param_shapes: Record<string, number[]>;
}

const url = new URL('../fixtures/torch/layers.json', import.meta.url);
const cases = (JSON.parse(readFileSync(url, 'utf8')) as { cases: Case[] }).cases;

describe('layers match PyTorch fixtures', () => {
  for (const c of cases)
    it(`${c.id}: ${c.layer}`, () => {
      const def = getLayer(c.layer);
      assert.ok(def, `unknown layer ${c.layer}`);
      const run = runLayer(
        def,
        c.inputs.map((s) => shape(...s)),
        c.args,
        c.kwargs,
      );
      assert.deepEqual(run.attrErrors, []);
      assert.equal(run.error, undefined, run.error?.message);
      const r = run.result!;
      assert.deepEqual(
        r.outputs[0]!.map((d) => d.value),
        c.output,
      );
      const counts = countParams(r);
      assert.equal(counts.trainable, c.params.trainable, 'trainable');
      assert.equal(counts.nonTrainable, c.params.non_trainable, 'non-trainable');
      const trainableShapes = Object.fromEntries(
        r.params.filter((p) => p.trainable).map((p) => [p.name, [...p.shape]]),
      );
      // Fixtures list trainable parameters (persistent buffers only appear in the counts).
      const expected = Object.fromEntries(
        Object.entries(c.param_shapes).filter(([n]) => !n.startsWith('running_')),
      );
      assert.deepEqual(trainableShapes, expected);
    });
});
