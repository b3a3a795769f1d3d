/**
 * Seeded initializers: bounds, moments within statistical tolerance, reproducibility by seed,
 * different seeds differ, the sinusoidal table, and the DLM306 degenerate-init check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  heNormal,
  initParams,
  initTensor,
  isDegenerateInit,
  sinusoidal,
  xavierUniform,
} from '../../src/compiler/init';
import { Rng } from '../../src/compiler/rng';
import type { InitSpec, ParamSpec } from '../../src/layers/types';

const N = 200_000;

function moments(a: Float32Array) {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / a.length;
  for (const v of a) s2 += (v - mean) ** 2;
  return { mean, variance: s2 / (a.length - 1), min, max };
}

/** Mean within 5 standard errors of 0; variance within 5 standard errors of `v`. */
function assertMoments(a: Float32Array, variance: number, kurtosis: number) {
  const m = moments(a);
  const seMean = Math.sqrt(variance / a.length);
  const seVar = variance * Math.sqrt((kurtosis - 1) / a.length);
  assert.ok(Math.abs(m.mean) < 5 * seMean, `mean ${m.mean}`);
  assert.ok(Math.abs(m.variance - variance) < 5 * seVar, `variance ${m.variance} vs ${variance}`);
  return m;
}

const param = (
  init: InitSpec,
  shape: number[] = [N],
  trainable = true,
  name = 'weight',
): ParamSpec => ({
  name,
  shape,
  trainable,
  init,
});

describe('initializers', () => {
  it('kaiming_uniform (PyTorch Linear/Conv default): U(±1/√fan_in), variance 1/(3·fan_in)', () => {
    const fanIn = 64;
    const a = initTensor({ kind: 'kaiming_uniform', fanIn }, [N], new Rng(1));
    const m = assertMoments(a, 1 / (3 * fanIn), 1.8);
    const bound = 1 / Math.sqrt(fanIn);
    assert.ok(m.min >= -bound && m.max <= bound);
    assert.ok(m.min < -0.999 * bound && m.max > 0.999 * bound, 'covers the whole interval');
  });
  it('uniform and Xavier: U(−a, a), symmetric (not U(0, a))', () => {
    const spec = xavierUniform(100, 50);
    assert.deepEqual(spec, { kind: 'uniform', bound: Math.sqrt(6 / 150) });
    const a = initTensor(spec, [N], new Rng(2));
    const m = assertMoments(a, spec.kind === 'uniform' ? spec.bound ** 2 / 3 : 0, 1.8);
    assert.ok(m.min < 0 && m.min >= -0.2 && m.max <= 0.2);
  });
  it('normal and He: N(0, std²) by Box–Muller', () => {
    const spec = heNormal(32);
    assert.deepEqual(spec, { kind: 'normal', std: Math.sqrt(2 / 32) });
    const a = initTensor(spec, [N], new Rng(3));
    assertMoments(a, 2 / 32, 3);
    // Tails: about 4.55% beyond 2σ for a Gaussian.
    const sd = Math.sqrt(2 / 32);
    const tail = a.filter((v) => Math.abs(v) > 2 * sd).length / N;
    assert.ok(Math.abs(tail - 0.0455) < 0.003, `tail mass ${tail}`);
  });
  it('zeros, ones, constant', () => {
    const r = new Rng(0);
    assert.deepEqual([...initTensor({ kind: 'zeros' }, [2, 2], r)], [0, 0, 0, 0]);
    assert.deepEqual([...initTensor({ kind: 'ones' }, [3], r)], [1, 1, 1]);
    assert.deepEqual([...initTensor({ kind: 'constant', value: 0.25 }, [2], r)], [0.25, 0.25]);
  });
  it('sinusoidal: PE[t, 2i] = sin(t/10000^(2i/D)), PE[t, 2i+1] = cos(…), repeated over leading axes', () => {
    const pe = initTensor({ kind: 'sinusoidal' }, [1, 6, 4], new Rng(0));
    assert.equal(pe.length, 24);
    const at = (t: number, j: number) => pe[t * 4 + j]!;
    assert.equal(at(0, 0), 0);
    assert.equal(at(0, 1), 1);
    assert.ok(Math.abs(at(3, 0) - Math.sin(3)) < 1e-7);
    assert.ok(Math.abs(at(3, 3) - Math.cos(3 / 100)) < 1e-7);
    assert.ok(Math.abs(at(5, 2) - Math.sin(5 / 100)) < 1e-7);
    assert.deepEqual([...sinusoidal([2, 3, 4]).slice(12)], [...sinusoidal([3, 4])]);
  });
});

describe('seeding', () => {
  const specs: ParamSpec[] = [
    param({ kind: 'kaiming_uniform', fanIn: 4 }, [5, 4]),
    param({ kind: 'kaiming_uniform', fanIn: 4 }, [5], true, 'bias'),
    param({ kind: 'normal', std: 1 }, [10, 3]),
  ];
  it('the same seed gives the same values bit for bit', () => {
    const a = initParams(specs, 42);
    const b = initParams(specs, 42);
    a.forEach((t, i) => assert.deepEqual(t, b[i]));
  });
  it('different seeds differ', () => {
    const a = initParams(specs, 1);
    const b = initParams(specs, 2);
    a.forEach((t, i) => assert.ok(t.some((v, j) => v !== b[i]![j])));
  });
  it('tensors draw from independent streams: resizing one leaves the others unchanged', () => {
    const a = initParams(specs, 7);
    const b = initParams([specs[0]!, { ...specs[1]!, shape: [50] }, specs[2]!], 7);
    assert.deepEqual(a[0], b[0]);
    assert.deepEqual(a[2], b[2]);
  });
  it('the PRNG is deterministic and uniform in [0, 1)', () => {
    const r1 = new Rng(123);
    const r2 = new Rng(123);
    const xs = Array.from({ length: 1000 }, () => r1.uniform());
    assert.deepEqual(
      xs,
      Array.from({ length: 1000 }, () => r2.uniform()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(
      xs.slice(0, 10),
      Array.from({ length: 10 }, () => new Rng(124).uniform()),
    );
  });
});

describe('isDegenerateInit (DLM306)', () => {
  it('flags constant trainable weight matrices and kernels', () => {
    assert.ok(isDegenerateInit(param({ kind: 'zeros' }, [5, 4])));
    assert.ok(isDegenerateInit(param({ kind: 'constant', value: 0.1 }, [8, 3, 3, 3])));
    assert.ok(isDegenerateInit(param({ kind: 'ones' }, [3, 3])));
    assert.ok(isDegenerateInit(param({ kind: 'normal', std: 0 }, [3, 3])));
  });
  it('does not flag biases, norm γ/β, PReLU slopes, non-trainable tensors or random inits', () => {
    assert.ok(!isDegenerateInit(param({ kind: 'zeros' }, [5], true, 'bias')));
    assert.ok(!isDegenerateInit(param({ kind: 'ones' }, [64])));
    assert.ok(!isDegenerateInit(param({ kind: 'constant', value: 0.25 }, [1])));
    assert.ok(!isDegenerateInit(param({ kind: 'zeros' }, [5, 4], false, 'running_mean')));
    assert.ok(!isDegenerateInit(param({ kind: 'kaiming_uniform', fanIn: 4 }, [5, 4])));
  });
});
