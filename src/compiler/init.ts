/**
 * Parameter initializers (docs/conventions.md §7), seeded and reproducible bit for bit.
 *
 * | InitSpec | distribution | where it comes from |
 * |---|---|---|
 * | `kaiming_uniform{fanIn}` | `U(−1/√fan_in, 1/√fan_in)` | PyTorch's default for Linear/Conv weights (kaiming_uniform with a=√5) **and** biases |
 * | `uniform{bound}` | `U(−bound, bound)` | e.g. Xavier/Glorot: bound `√(6/(fan_in+fan_out))` ({@link xavierUniform}) |
 * | `normal{std}` | `N(0, std²)` (Box–Muller) | e.g. He/Kaiming normal: std `√(2/fan_in)` ({@link heNormal}); Embedding: std 1 |
 * | `zeros`, `ones`, `constant{value}` | constant | BatchNorm/LayerNorm β and γ, PReLU slope 0.25 |
 * | `sinusoidal` | `PE[t, 2i] = sin(t/10000^(2i/D))`, `PE[t, 2i+1] = cos(t/10000^(2i/D))` | fixed positional table |
 *
 * Every parameter tensor draws from its own generator seeded from `(seed, index)`, so a run is
 * reproducible from its seed and resizing one layer does not change the others' initial values.
 */
import type { InitSpec, ParamSpec } from '../layers/types';
import { Rng } from './rng';

function size(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** Fill a tensor of `shape` according to `init`, drawing from `rng`. */
export function initTensor(init: InitSpec, shape: readonly number[], rng: Rng): Float32Array {
  const n = size(shape);
  const out = new Float32Array(n);
  switch (init.kind) {
    case 'kaiming_uniform': {
      if (!(init.fanIn > 0))
        throw new Error(`kaiming_uniform: fan_in must be > 0, got ${init.fanIn}`);
      const a = 1 / Math.sqrt(init.fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return out;
    }
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = rng.range(-init.bound, init.bound);
      return out;
    case 'normal':
      for (let i = 0; i < n; i++) out[i] = init.std * rng.normal();
      return out;
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'constant':
      return out.fill(init.value);
    case 'sinusoidal':
      return sinusoidal(shape);
  }
}

/**
 * The sinusoidal positional table (Vaswani et al.; the PyTorch tutorial's form) for a shape whose
 * last two axes are `[T, D]`; leading axes (e.g. a batch axis of 1) repeat it.
 * `PE[t, 2i] = sin(t·ω_i)`, `PE[t, 2i+1] = cos(t·ω_i)`, `ω_i = 10000^(−2i/D)`.
 */
export function sinusoidal(shape: readonly number[]): Float32Array {
  if (shape.length < 2) throw new Error(`sinusoidal: need a shape [..., T, D], got [${shape}]`);
  const T = shape[shape.length - 2]!;
  const D = shape[shape.length - 1]!;
  const table = new Float32Array(T * D);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < D; j++) {
      const w = Math.exp(-(2 * Math.floor(j / 2) * Math.log(10000)) / D);
      table[t * D + j] = j % 2 === 0 ? Math.sin(t * w) : Math.cos(t * w);
    }
  const out = new Float32Array(size(shape));
  for (let k = 0; k < out.length; k += table.length) out.set(table, k);
  return out;
}

/** The seed of parameter `index`'s generator, mixed from the run seed (splitmix-style hash). */
export function paramSeed(seed: number, index: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Initial values for every parameter (trainable or not), in order, from one run seed. A
 * `zeroRow` (Embedding's padding_idx) is zeroed after the draw, as `nn.Embedding` does.
 */
export function initParams(params: readonly ParamSpec[], seed: number): Float32Array[] {
  return params.map((p, i) => {
    const t = initTensor(p.init, p.shape, new Rng(paramSeed(seed, i)));
    if (p.zeroRow !== undefined) {
      const row = t.length / Math.max(1, p.shape[0] ?? 1);
      t.fill(0, p.zeroRow * row, (p.zeroRow + 1) * row);
    }
    return t;
  });
}

/** Xavier/Glorot uniform: `U(−a, a)` with `a = √(6/(fan_in + fan_out))` (not `U(0, a)`). */
export function xavierUniform(fanIn: number, fanOut: number): InitSpec {
  return { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) };
}

/** He/Kaiming normal: `N(0, 2/fan_in)`. */
export function heNormal(fanIn: number): InitSpec {
  return { kind: 'normal', std: Math.sqrt(2 / fanIn) };
}

/**
 * DLM306: a trainable weight matrix or kernel (rank ≥ 2) that starts all-zero or constant keeps its
 * units symmetric, so they never learn different features. Vectors are exempt: biases, and
 * BatchNorm/LayerNorm γ = 1 and β = 0 and PReLU's 0.25 are constant by design.
 */
export function isDegenerateInit(spec: ParamSpec): boolean {
  if (!spec.trainable || spec.shape.length < 2 || size(spec.shape) < 2) return false;
  const i = spec.init;
  switch (i.kind) {
    case 'zeros':
    case 'ones':
    case 'constant':
      return true;
    case 'uniform':
      return i.bound === 0;
    case 'normal':
      return i.std === 0;
    default:
      return false;
  }
}
