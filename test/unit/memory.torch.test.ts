/**
 * The training-memory breakdown matches PyTorch: for every model of the zoo, the activations the
 * summary says are kept for the backward pass are within 10% of the bytes autograd really saves
 * (distinct storages seen by torch.autograd.graph.saved_tensors_hooks in a training-mode forward
 * pass, without parameters and model inputs). Reference numbers: test/fixtures/torch/memory.json,
 * generated once by test/fixtures/torch/gen_memory.py with Debian's python3-torch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { Dim } from '../../src/core';
import { savedActivations } from '../../src/language/memory';
import { checkFile } from '../../src/language/program';
import { summarize } from '../../src/language/summary';

const root = resolve(__dirname, '../..');
const fixture = JSON.parse(
  readFileSync(resolve(root, 'test/fixtures/torch/memory.json'), 'utf8'),
) as {
  meta: { batch: number };
  models: Record<string, { saved_bytes: number; trainable: number; dims?: Record<string, number> }>;
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

function load(key: string) {
  const entry = map.models[key]!;
  const r = checkFile(resolve(root, entry.file), host);
  const m = r.models.find((x) => x.name === entry.model)!;
  return { m, train: r.trains.find((t) => t.model === m.name) };
}

describe('activations kept for backward match PyTorch (within 10%)', () => {
  const batch = fixture.meta.batch;
  for (const [key, want] of Object.entries(fixture.models)) {
    test(`${key}: ${(want.saved_bytes / 1e6).toFixed(3)} MB saved by autograd`, () => {
      const { m, train } = load(key);
      assert.ok(m.ok, `${key} checks without errors`);
      const s = summarize(m, { batch, dims: want.dims, train });
      const got = s.totals.training.activationBytes;
      assert.equal(
        typeof got,
        'number',
        `concrete at B = ${batch} and ${JSON.stringify(want.dims)}`,
      );
      const ratio = (got as number) / want.saved_bytes;
      assert.ok(
        want.saved_bytes === 0 ? got === 0 : Math.abs(ratio - 1) <= 0.1,
        `${key}: estimate ${got} bytes, PyTorch ${want.saved_bytes} (${((ratio - 1) * 100).toFixed(1)}%)`,
      );
      // Gradients: one float per trainable parameter, as torch allocates them.
      assert.equal(s.totals.training.gradBytes, want.trainable * 4);
      // The rows add up to the total.
      const rows = s.rows.filter((r) => r.kind === 'layer');
      assert.equal(
        rows.reduce((a, r) => a + (r.memory.savedBytes as number), 0),
        got,
      );
    });
  }
});

describe('attention keeps its T·T probabilities', () => {
  test('the transformer example grows with T² (h·T·T per sample and layer)', () => {
    const { m } = load('transformer');
    const total = savedActivations(m).total;
    const at = (t: number): number =>
      total.subst(
        new Map([
          ['B', Dim.const(1)],
          ['T', Dim.const(t)],
        ]),
      ).value!;
    // Second difference in T: 2·(4 heads · 2 layers · 4 bytes) for the T·T term.
    assert.equal(at(3) - 2 * at(2) + at(1), 2 * 4 * 2 * 4);
    assert.match(total.toString(), /T\*T/);
  });
});
