/**
 * `Sequences(task, length, vocab, points, seed)`: a seeded sequence-to-sequence task with two
 * named inputs, so an encoder–decoder trains without downloaded data (decision 0008).
 *
 * Each sample is a random source sequence of `length` symbols from `0..vocab-1` and its target:
 * `reverse` (the source backwards), `copy` (the source) or `sort` (ascending). The inputs are
 * `src` (the source ids) and `tgt_in`, the decoder input for teacher forcing: the target shifted
 * right by one behind a start symbol, whose id is `vocab` (so a decoder embedding needs `vocab + 1`
 * rows). The labels are the target ids, one class per step (`vocab` classes).
 */
import { Rng } from '../rng';
import { DataError, type Dataset } from './types';

export const SEQUENCE_TASKS = ['reverse', 'copy', 'sort'] as const;
export type SequenceTask = (typeof SEQUENCE_TASKS)[number];

export interface SequencesArgs {
  task?: string;
  length?: number;
  vocab?: number;
  points?: number;
  seed?: number;
}

function int(v: unknown, name: string, dflt: number, min: number): number {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
    throw new DataError(`Sequences: ${name} must be an integer ≥ ${min} (got ${String(x)})`);
  return x;
}

export function sequences(a: SequencesArgs): Dataset {
  const task = (a.task ?? 'reverse') as SequenceTask;
  if (!SEQUENCE_TASKS.includes(task))
    throw new DataError(
      `Sequences: task must be one of ${SEQUENCE_TASKS.map((t) => `"${t}"`).join(', ')} (got ${JSON.stringify(a.task)})`,
    );
  const len = int(a.length, 'length', 8, 1);
  const vocab = int(a.vocab, 'vocab', 10, 2);
  const n = int(a.points, 'points', 2000, 2);
  const rng = new Rng(int(a.seed, 'seed', 0, -(2 ** 31)));
  const x = new Float32Array(n * 2 * len);
  const y = new Int32Array(n * len);
  const src = new Array<number>(len);
  for (let s = 0; s < n; s++) {
    for (let t = 0; t < len; t++) src[t] = rng.int(vocab);
    const tgt =
      task === 'reverse'
        ? [...src].reverse()
        : task === 'sort'
          ? [...src].sort((p, q) => p - q)
          : src;
    const row = s * 2 * len;
    for (let t = 0; t < len; t++) {
      x[row + t] = src[t]!;
      x[row + len + t] = t === 0 ? vocab : tgt[t - 1]!; // start symbol, then the target shifted
      y[s * len + t] = tgt[t]!;
    }
  }
  return {
    name: `Sequences(${task})`,
    n,
    x,
    xShape: [2 * len],
    parts: [
      { name: 'src', shape: [len], ids: true },
      { name: 'tgt_in', shape: [len], ids: true },
    ],
    y,
    yShape: [len],
    task: 'sequence',
    classes: vocab,
    featureDescription: `inputs src [${len}] and tgt_in [${len}] (symbol ids)`,
    notes: [
      `${task}: ${n} sequences of ${len} symbols from ${vocab}; tgt_in is the target shifted right behind the start symbol ${vocab}`,
    ],
  };
}
