/**
 * Seeded synthetic datasets: 2-D classification (Spiral, Circles, Xor, Gaussians, Moons) and
 * 1-D/2-D regression (Sine, Plane). Classes are balanced (counts differ by at most one); noise is
 * Gaussian with standard deviation `noise`, added to the inputs (classification) or to the
 * targets (regression). Samples come out grouped by class; the split shuffles them.
 */
import { Rng } from '../rng';
import { sequences } from './sequences';
import { DataError, type Dataset } from './types';

export interface SyntheticArgs {
  points?: number;
  classes?: number;
  noise?: number;
  seed?: number;
  factor?: number;
  channels?: number;
  size?: number;
}

function counts(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, j) => Math.floor(n / k) + (j < n % k ? 1 : 0));
}

function intArg(v: unknown, name: string, dflt: number, min: number): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
    throw new DataError(`${name} must be an integer ≥ ${min} (got ${String(x)})`);
  return x;
}
function numArg(v: unknown, name: string, dflt: number, min: number, max = Infinity): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max)
    throw new DataError(`${name} must be a number in [${min}, ${max}] (got ${String(x)})`);
  return x;
}

function classification2d(
  name: string,
  a: SyntheticArgs,
  defaultClasses: number,
  gen: (rng: Rng, cls: number, i: number, count: number, k: number) => [number, number],
): Dataset {
  const n = intArg(a.points, 'points', 600, 2);
  const k = intArg(a.classes, 'classes', defaultClasses, 2);
  const noise = numArg(a.noise, 'noise', 0.1, 0);
  const rng = new Rng(intArg(a.seed, 'seed', 0, -(2 ** 31)));
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  let r = 0;
  counts(n, k).forEach((c, cls) => {
    for (let i = 0; i < c; i++, r++) {
      const [u, v] = gen(rng, cls, i, c, k);
      x[2 * r] = u + (noise > 0 ? rng.normal(0, noise) : 0);
      x[2 * r + 1] = v + (noise > 0 ? rng.normal(0, noise) : 0);
      y[r] = cls;
    }
  });
  return {
    name,
    n,
    x,
    xShape: [2],
    y,
    yShape: [],
    task: 'classification',
    classes: k,
    classNames: Array.from({ length: k }, (_, j) => String(j)),
    featureNames: ['x1', 'x2'],
  };
}

/**
 * K interleaved arms as in CS231n: radius r from 0 to 1, angle 4·r radians (about 0.64 turns)
 * plus the arm's offset 2πj/K.
 */
export function spiral(a: SyntheticArgs = {}): Dataset {
  return classification2d('Spiral', a, 3, (_rng, cls, i, c, k) => {
    const r = c > 1 ? i / (c - 1) : 0;
    const t = 4 * r + (2 * Math.PI * cls) / k;
    return [r * Math.sin(t), r * Math.cos(t)];
  });
}

/** sklearn's make_circles: class 0 on the unit circle, class 1 on radius `factor`. */
export function circles(a: SyntheticArgs = {}): Dataset {
  const factor = numArg(a.factor, 'factor', 0.5, 0, 1);
  return classification2d('Circles', { ...a, classes: 2 }, 2, (_rng, cls, i, c) => {
    const t = (2 * Math.PI * i) / c;
    const r = cls === 0 ? 1 : factor;
    return [r * Math.cos(t), r * Math.sin(t)];
  });
}

/** Points in [−1, 1]², label 1 where x·y > 0 (same-sign quadrants), 0 elsewhere; balanced. */
export function xor(a: SyntheticArgs = {}): Dataset {
  return classification2d('Xor', { ...a, classes: 2 }, 2, (rng, cls) => {
    const u = rng.uniform(0.05, 1);
    const v = rng.uniform(0.05, 1);
    const su = rng.next() < 0.5 ? -1 : 1;
    const sv = cls === 1 ? su : -su;
    return [su * u, sv * v];
  });
}

/** One isotropic blob per class (std 0.3), centres evenly spaced on a circle of radius 1.5. */
export function gaussians(a: SyntheticArgs = {}): Dataset {
  return classification2d('Gaussians', a, 3, (rng, cls, _i, _c, k) => {
    const t = (2 * Math.PI * cls) / k;
    return [1.5 * Math.cos(t) + rng.normal(0, 0.3), 1.5 * Math.sin(t) + rng.normal(0, 0.3)];
  });
}

/** sklearn's make_moons: two interleaving half circles. */
export function moons(a: SyntheticArgs = {}): Dataset {
  return classification2d('Moons', { ...a, classes: 2 }, 2, (_rng, cls, i, c) => {
    const t = c > 1 ? (Math.PI * i) / (c - 1) : 0;
    return cls === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 1 - Math.sin(t) - 0.5];
  });
}

function regression(
  name: string,
  a: SyntheticArgs,
  dflt: { points: number; noise: number },
  d: number,
  gen: (rng: Rng, x: Float32Array, off: number) => number,
  notes: string[],
): Dataset {
  const n = intArg(a.points, 'points', dflt.points, 2);
  const noise = numArg(a.noise, 'noise', dflt.noise, 0);
  const rng = new Rng(intArg(a.seed, 'seed', 0, -(2 ** 31)));
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = gen(rng, x, i * d) + (noise > 0 ? rng.normal(0, noise) : 0);
  return {
    name,
    n,
    x,
    xShape: [d],
    y,
    yShape: [1],
    task: 'regression',
    featureNames: d === 1 ? ['x'] : ['x1', 'x2'],
    notes,
  };
}

/** y = sin(x), x uniform on [−π, π]. */
export function sine(a: SyntheticArgs = {}): Dataset {
  return regression(
    'Sine',
    a,
    { points: 400, noise: 0.05 },
    1,
    (rng, x, o) => {
      const v = rng.uniform(-Math.PI, Math.PI);
      x[o] = v;
      return Math.sin(v);
    },
    ['y = sin(x), x uniform on [−π, π]'],
  );
}

export const PLANE = { a: 1.5, b: -2, c: 0.5 } as const;

/** y = 1.5·x₁ − 2·x₂ + 0.5, x uniform on [−1, 1]². */
export function plane(a: SyntheticArgs = {}): Dataset {
  return regression(
    'Plane',
    a,
    { points: 400, noise: 0.05 },
    2,
    (rng, x, o) => {
      const u = rng.uniform(-1, 1);
      const v = rng.uniform(-1, 1);
      x[o] = u;
      x[o + 1] = v;
      return PLANE.a * u + PLANE.b * v + PLANE.c;
    },
    [`y = ${PLANE.a}·x₁ + ${PLANE.b}·x₂ + ${PLANE.c}, x uniform on [−1, 1]²`],
  );
}

/**
 * Images of stripes for a first convolutional model: class j is a sine grating at the angle
 * π·j/K with a random phase and a period of 4 to 8 pixels, each channel a phase-shifted copy (so
 * colour carries no label), in [0, 1] plus Gaussian pixel noise. Shape `[channels, size, size]`,
 * so a model for CIFAR-sized input (`[B, 3, 32, 32]`) can train on it before real data is there.
 */
export function stripes(a: SyntheticArgs = {}): Dataset {
  const n = intArg(a.points, 'points', 1000, 2);
  const k = intArg(a.classes, 'classes', 10, 2);
  const c = intArg(a.channels, 'channels', 3, 1);
  const size = intArg(a.size, 'size', 32, 2);
  const noise = numArg(a.noise, 'noise', 0.1, 0);
  const rng = new Rng(intArg(a.seed, 'seed', 0, -(2 ** 31)));
  const per = c * size * size;
  if (n * per > 2 ** 28)
    throw new DataError(
      `Stripes: ${n} images of ${c}×${size}×${size} are ${n * per} values, over the limit of 2^28; use fewer points or a smaller size`,
    );
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  let r = 0;
  counts(n, k).forEach((count, cls) => {
    const angle = (Math.PI * cls) / k;
    const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
    for (let i = 0; i < count; i++, r++) {
      const period = rng.uniform(4, 8);
      const phase = rng.uniform(0, 2 * Math.PI);
      for (let ch = 0; ch < c; ch++)
        for (let yy = 0; yy < size; yy++)
          for (let xx = 0; xx < size; xx++) {
            const t = ((xx * dx + yy * dy) * 2 * Math.PI) / period + phase + ch;
            x[r * per + (ch * size + yy) * size + xx] =
              0.5 + 0.5 * Math.sin(t) + (noise > 0 ? rng.normal(0, noise) : 0);
          }
      y[r] = cls;
    }
  });
  return {
    name: 'Stripes',
    n,
    x,
    xShape: [c, size, size],
    y,
    yShape: [],
    task: 'classification',
    classes: k,
    classNames: Array.from({ length: k }, (_, j) => `${Math.round((180 * j) / k)}°`),
  };
}

export const SYNTHETIC: Readonly<Record<string, (a: SyntheticArgs) => Dataset>> = {
  Spiral: spiral,
  Circles: circles,
  Xor: xor,
  Gaussians: gaussians,
  Moons: moons,
  Sine: sine,
  Plane: plane,
  Sequences: sequences,
  Stripes: stripes,
};
