/**
 * From a loaded dataset to batches: a seeded train/validation split, standardization with
 * training-split statistics, per-epoch shuffling, batching with drop_last, and reshaping samples
 * to the shape the model takes.
 */
import { Rng } from '../rng';
import { DataError, formatShape, product, type Dataset, type DatasetSummary } from './types';

/** Select samples by index into a new dataset. */
export function subset(ds: Dataset, idx: ArrayLike<number>, name = ds.name): Dataset {
  const fx = product(ds.xShape);
  const fy = product(ds.yShape);
  const x = new Float32Array(idx.length * fx);
  const y =
    ds.y instanceof Int32Array
      ? new Int32Array(idx.length * fy)
      : new Float32Array(idx.length * fy);
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i]!;
    x.set(ds.x.subarray(s * fx, (s + 1) * fx), i * fx);
    y.set(ds.y.subarray(s * fy, (s + 1) * fy), i * fy);
  }
  return { ...ds, name, n: idx.length, x, y };
}

export interface Split {
  readonly train: Dataset;
  readonly validation?: Dataset;
  /** Feature standardization computed on the training split, when the dataset asks for it. */
  readonly standardization?: { readonly mean: Float32Array; readonly std: Float32Array };
}

/**
 * Seeded split: a permutation of the samples from `seed`; the first ⌊n·fraction⌋ (at least one,
 * when fraction > 0) are the validation set. Standardization statistics come from the training
 * split only, and are then applied to both.
 */
export function splitDataset(ds: Dataset, fraction: number, seed: number): Split {
  if (!(fraction >= 0 && fraction < 1))
    throw new DataError(`validation must be in [0, 1) (got ${fraction})`);
  const perm = new Rng((seed ^ 0x5eed5911) >>> 0).permutation(ds.n);
  let nv = fraction > 0 ? Math.max(1, Math.floor(ds.n * fraction)) : 0;
  if (nv >= ds.n) nv = ds.n - 1;
  if (ds.n - nv < 1) throw new DataError(`${ds.name} has too few samples (${ds.n}) to train on`);
  const train = subset(ds, perm.subarray(nv));
  const validation = nv > 0 ? subset(ds, perm.subarray(0, nv)) : undefined;
  if (!ds.standardize) return { train, validation };
  const st = featureStats(train);
  standardizeInPlace(train, st);
  if (validation) standardizeInPlace(validation, st);
  return { train, validation, standardization: st };
}

/**
 * Per-feature mean and (population) std; a constant feature gets std 1. The values of a named
 * input that holds ids get mean 0 and std 1, so standardizing leaves them as they are.
 */
export function featureStats(ds: Dataset): { mean: Float32Array; std: Float32Array } {
  const d = product(ds.xShape);
  const ids = new Uint8Array(d);
  let off = 0;
  for (const p of ds.parts ?? []) {
    const k = product(p.shape);
    if (p.ids) ids.fill(1, off, off + k);
    off += k;
  }
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < ds.n; i++)
    for (let j = 0; j < d; j++) {
      const v = ds.x[i * d + j]!;
      sum[j] = sum[j]! + v;
      sq[j] = sq[j]! + v * v;
    }
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    if (ids[j]) {
      std[j] = 1;
      continue;
    }
    const m = sum[j]! / ds.n;
    const s = Math.sqrt(Math.max(0, sq[j]! / ds.n - m * m));
    mean[j] = m;
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

export function standardizeInPlace(
  ds: Dataset,
  st: { mean: Float32Array; std: Float32Array },
): void {
  const d = st.mean.length;
  for (let i = 0; i < ds.n; i++)
    for (let j = 0; j < d; j++) ds.x[i * d + j] = (ds.x[i * d + j]! - st.mean[j]!) / st.std[j]!;
}

/** The sample order for one epoch: shuffled with `rng` when `shuffle`, else 0..n−1. */
export function epochOrder(n: number, shuffle: boolean, rng: Rng): Int32Array {
  if (shuffle) return rng.permutation(n);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** [start, end) ranges of each batch; the last short batch is dropped when `dropLast`. */
export function batchRanges(n: number, batch: number, dropLast: boolean): [number, number][] {
  if (!(Number.isInteger(batch) && batch >= 1))
    throw new DataError(`batch must be a positive integer (got ${batch})`);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    if (e - s < batch && dropLast) break;
    out.push([s, e]);
  }
  return out;
}

/** Copy the samples `order[start..end)` into the (reused) batch buffers. */
export function gatherBatch(
  ds: Dataset,
  order: ArrayLike<number>,
  start: number,
  end: number,
  xOut: Float32Array,
  yOut: Float32Array | Int32Array | BigInt64Array,
): void {
  const fx = product(ds.xShape);
  const fy = product(ds.yShape);
  for (let i = start; i < end; i++) {
    const s = order[i]!;
    const o = i - start;
    xOut.set(ds.x.subarray(s * fx, (s + 1) * fx), o * fx);
    if (yOut instanceof BigInt64Array) {
      for (let k = 0; k < fy; k++) yOut[o * fy + k] = BigInt(ds.y[s * fy + k]!);
    } else if (yOut instanceof Int32Array === ds.y instanceof Int32Array) {
      yOut.set(ds.y.subarray(s * fy, (s + 1) * fy), o * fy);
    } else {
      for (let k = 0; k < fy; k++) yOut[o * fy + k] = ds.y[s * fy + k]!;
    }
  }
}

/**
 * The per-sample shape to feed a model that takes `modelSample` (no batch axis; non-numbers are
 * unknown dims): the data's own shape when it matches, otherwise a C-order reshape when the
 * element counts agree and the model's dims are all known (digits [64] → [1, 8, 8]).
 */
export function adaptSampleShape(
  data: readonly number[],
  modelSample: readonly (number | string | null)[],
): number[] | undefined {
  if (
    data.length === modelSample.length &&
    data.every((d, i) => typeof modelSample[i] !== 'number' || modelSample[i] === d)
  )
    return [...data];
  if (
    modelSample.every((d): d is number => typeof d === 'number') &&
    product(modelSample) === product(data)
  )
    return [...modelSample];
  return undefined;
}

export function summarize(ds: Dataset, split: Split): DatasetSummary {
  return {
    name: ds.name,
    task: ds.task,
    samples: ds.n,
    train: split.train.n,
    validation: split.validation?.n ?? 0,
    xShape: ds.xShape,
    yShape: ds.yShape,
    ...(ds.parts ? { parts: ds.parts } : {}),
    classes: ds.classes,
    classNames: ds.classNames,
    featureNames: ds.featureNames,
    standardization: split.standardization && {
      mean: Array.from(split.standardization.mean),
      std: Array.from(split.standardization.std),
    },
    notes: ds.notes,
    ...(ds.relabelled ? { relabelled: ds.relabelled } : {}),
  };
}

export { formatShape };
