/** Layers and modes added after the first catalog: Mean, Select, causal Conv1d padding. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatShape, shape } from '../../src/core';
import { getLayer, runLayer } from '../../src/layers/catalog';

const run = (
  name: string,
  input: (string | number)[],
  pos: (number | string | boolean)[] = [],
  kw: Record<string, number | string | boolean> = {},
) => runLayer(getLayer(name)!, [shape(...input)], pos, kw);

describe('Mean and Select (sequence pooling)', () => {
  it('Mean(axis=1) averages over time: [B, T, D] → [B, D]', () => {
    const r = run('Mean', ['B', 'T', 64], [1]);
    assert.equal(formatShape(r.result!.outputs[0]!), '[B, 64]');
    assert.equal(
      formatShape(
        run('Mean', ['B', 'T', 64], [], { axis: -1, keepdims: true }).result!.outputs[0]!,
      ),
      '[B, T, 1]',
    );
  });
  it('Select takes the first token or the last step', () => {
    assert.equal(formatShape(run('Select', ['B', 'T', 64], [1, 0]).result!.outputs[0]!), '[B, 64]');
    assert.equal(
      formatShape(run('Select', ['B', 10, 64], [], { index: -1 }).result!.outputs[0]!),
      '[B, 64]',
    );
  });
  it('reject the batch axis and out-of-range indices', () => {
    assert.equal(run('Mean', ['B', 'T', 64], [0]).error?.code, 'DLM108');
    assert.equal(run('Select', ['B', 10, 64], [1, 10]).error?.code, 'DLM108');
    assert.equal(run('Select', ['B', 10, 64], [1, -11]).error?.code, 'DLM108');
  });
});

describe('causal padding', () => {
  it('Conv1d(padding="causal") keeps the length and pads d·(k−1) on the left', () => {
    const r = run('Conv1d', ['B', 32, 'L'], [32, 3], { dilation: 4, padding: 'causal' });
    assert.equal(formatShape(r.result!.outputs[0]!), '[B, 32, L]');
    const c = run('Conv1d', ['B', 32, 100], [32, 2], { dilation: 8, padding: 'causal' });
    assert.equal(formatShape(c.result!.outputs[0]!), '[B, 32, 100]');
  });
  it('is rejected on 2-D convolutions', () => {
    assert.equal(
      run('Conv2d', ['B', 3, 8, 8], [4, 3], { padding: 'causal' }).error?.code,
      'DLM108',
    );
  });
});
