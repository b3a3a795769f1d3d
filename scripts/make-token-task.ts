/**
 * Writes the synthetic token task that examples/transformer.dlm trains on:
 * examples/data/cue-tokens-x.npy (int32 [1024, 32], token ids) and cue-tokens-y.npy (int64 [1024],
 * class ids). Reproducible byte for byte (a seeded xoshiro128**, no other input):
 *
 *   node --import tsx scripts/make-token-task.ts
 *
 * The task is a toy sentiment problem. Each sequence is 32 tokens of filler drawn uniformly from
 * ids 200–1999, in which 6 to 10 positions hold cue words: ids 1–99 are "positive" and 100–199
 * "negative". The label is the polarity with more cue words (1 positive, 0 negative); one in
 * four cue words has the other polarity, so the label depends on counting, not on one token. The
 * cue words recur across sequences, which is what makes the task learnable from 1,024 samples
 * (the filler words recur too, so the model can learn that
 * they carry nothing).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/compiler/rng';
import { encodeNpy } from '../src/engine/datasets/npy';

const N = 1024;
const T = 32;
/** Filler ids are 200 to FILLER − 1, well inside the model's vocabulary of 8,000. */
const FILLER = 2000;
const out = join(__dirname, '..', 'examples', 'data');

const rng = new Rng(2017);
const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo));
const x = new Int32Array(N * T);
const y = new Int32Array(N);
for (let i = 0; i < N; i++) {
  const label = int(0, 2);
  const row = x.subarray(i * T, (i + 1) * T);
  for (let t = 0; t < T; t++) row[t] = int(200, FILLER);
  const cues = int(6, 11);
  for (let k = 0; k < cues; k++) {
    // Most cues carry the label's polarity; with an even count, the last one always does.
    const agree = k === cues - 1 || rng.uniform() >= 0.25;
    const positive = agree === (label === 1);
    row[int(0, T)] = positive ? int(1, 100) : int(100, 200);
  }
  // Cue words may overwrite each other: the label is the majority of what is in the sequence.
  let p = 0;
  let n = 0;
  for (const tok of row) {
    if (tok >= 1 && tok < 100) p++;
    else if (tok >= 100 && tok < 200) n++;
  }
  y[i] = p > n ? 1 : p < n ? 0 : label;
}
writeFileSync(join(out, 'cue-tokens-x.npy'), encodeNpy([N, T], x, '<i4'));
writeFileSync(join(out, 'cue-tokens-y.npy'), encodeNpy([N], y, '<i8'));
let ones = 0;
for (const v of y) ones += v;
console.log(
  `wrote ${N} sequences of ${T} tokens to ${out} (${ones} positive, ${N - ones} negative)`,
);
