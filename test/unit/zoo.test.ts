/**
 * The model zoo in examples/ reproduces PyTorch exactly: total trainable and non-trainable
 * parameters, output shapes, and for every parametrized layer (in forward order) its type,
 * output shape and parameter count. Reference numbers come from test/fixtures/torch/zoo.json,
 * generated once by test/fixtures/torch/gen_fixtures.py with Debian's python3-torch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { Dim, unifyDim, type Shape } from '../../src/core';
import { checkFile } from '../../src/language/program';

const root = resolve(__dirname, '../..');
const zoo = JSON.parse(readFileSync(resolve(root, 'test/fixtures/torch/zoo.json'), 'utf8')) as {
  models: Record<
    string,
    {
      params: { trainable: number; non_trainable: number };
      inputs: (string | number)[][];
      outputs: (string | number)[][];
      layers: {
        name: string;
        type: string;
        output: (string | number)[] | (string | number)[][];
        params: number;
      }[];
    }
  >;
};
const map = JSON.parse(readFileSync(resolve(root, 'test/fixtures/zoo-map.json'), 'utf8')) as {
  models: Record<string, { file: string; model: string }>;
};
const host = {
  root,
  readFile: (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

let env = new Map<string, Dim>();
const dims = (s: Shape): string[] => s.map((d) => d.subst(env).toString());
const ref = (s: (string | number)[]): string[] => s.map(String);

describe('model zoo matches PyTorch', () => {
  for (const [key, expected] of Object.entries(zoo.models)) {
    const entry = map.models[key];
    if (!entry) continue;
    test(`${key}: ${entry.file} (${expected.params.trainable.toLocaleString('en-US')} trainable)`, () => {
      const r = checkFile(resolve(root, entry.file), host);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => `${d.code} ${d.message}`),
        [],
      );
      const m = r.models.find((x) => x.name === entry.model);
      assert.ok(m, `model ${entry.model} in ${entry.file}`);
      // Torch ran with concrete sizes where the example keeps symbols (T, H, W): bind them.
      env = new Map();
      m.inputs.forEach((io, i) => {
        const theirs = expected.inputs[i]!.map((d) =>
          typeof d === 'number' ? Dim.const(d) : Dim.sym(d),
        );
        m.values[io.value]!.shape!.forEach((d, j) => unifyDim(d, theirs[j]!, env));
      });
      assert.equal(m.totals.trainable, expected.params.trainable, 'trainable parameters');
      assert.equal(
        m.totals.nonTrainable,
        expected.params.non_trainable,
        'non-trainable parameters',
      );
      assert.deepEqual(
        m.outputs.map((o) => dims(m.values[o.value]!.shape!)),
        expected.outputs.map(ref),
        'output shapes',
      );
      // Parametrized layers, in forward order: type, output shape and count.
      // A tied parameter (`Dense(V, tie=embed)`) counts at its owner, as torch's does at the
      // first module holding it.
      const own = (n: (typeof m.nodes)[number]) =>
        n.params.filter((p) => p.trainable && !n.tied?.some((t) => t.param === p.name));
      const ours = m.nodes
        .filter((n) => !n.sharedRepeat && own(n).length > 0)
        .map((n) => ({
          type: n.def.name,
          output: dims(m.values[n.outputs[0]!]!.shape!),
          params: own(n).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
        }));
      const theirs = expected.layers
        .filter((l) => l.params > 0)
        .map((l) => ({
          type: l.type,
          output: ref((Array.isArray(l.output[0]) ? l.output[0] : l.output) as (string | number)[]),
          params: l.params,
        }));
      // Tied modules run twice in torch but hold their parameters once.
      const seen = new Set<string>();
      const theirsOnce = theirs.filter((_, i) => {
        const name = expected.layers.filter((l) => l.params > 0)[i]!.name;
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
      assert.deepEqual(ours, theirsOnce);
    });
  }
});
