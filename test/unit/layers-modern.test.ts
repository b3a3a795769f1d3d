/** Layers added for modern architectures: MobileNet activations and GroupNorm, in the checker. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatShape } from '../../src/core';
import { checkFile, memoryHost } from '../../src/language/program';

const check = (text: string) =>
  checkFile('/ws/main.dlm', memoryHost({ '/ws/main.dlm': text }, '/ws'));

describe('GroupNorm', () => {
  test('counts 2C and keeps the shape', () => {
    const r = check(
      `model M(x: [B, 32, 7, 7]) { x |> Conv2d(64, 3, padding=1) |> GroupNorm(8) |> ReLU6 }`,
    );
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      [],
    );
    const m = r.models[0]!;
    assert.equal(formatShape(m.values[m.outputs[0]!.value]!.shape!), '[B, 64, 7, 7]');
  });

  test('channels not divisible by num_groups: DLM100 at the argument, with divisor fixes', () => {
    const src = `model M(x: [B, 30, 4, 4]) { x |> GroupNorm(8) }`;
    const r = check(src);
    const d = r.diagnostics.find((x) => x.code === 'DLM100');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d.message, /30 channels do not split into 8 groups/);
    assert.equal(src.slice(d.span.start, d.span.end), '8');
    const titles = (d.fixes ?? []).map((f) => f.title);
    assert.deepEqual(titles, ['Use 6 groups of 5 channels', 'Use 10 groups of 3 channels']);
  });
});

describe('MobileNet activations', () => {
  test('Hardtanh needs min < max (DLM012)', () => {
    const r = check(`model M(x: [B, 4]) { x |> Hardtanh(1, -1) }`);
    assert.ok(r.diagnostics.some((d) => d.code === 'DLM012' && /min < max/.test(d.message)));
  });

  test('they count as nonlinear: no collapse lint between two Dense layers', () => {
    for (const act of ['ReLU6', 'Hardswish', 'Hardsigmoid', 'Mish', 'Hardtanh']) {
      const r = check(`model M(x: [B, 4]) { x |> Dense(8) |> ${act} |> Dense(2) }`);
      assert.deepEqual(
        r.diagnostics.map((d) => d.code),
        [],
        act,
      );
    }
  });
});
