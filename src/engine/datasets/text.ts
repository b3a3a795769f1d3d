/**
 * Plain text for character-level models: the sorted set of characters is the vocabulary; each
 * sample is a window of `seqLen` character ids and its target the same window shifted by one
 * (the next character at every step). Windows start every `stride` characters: 1 for texts with
 * up to 50,000 windows, larger beyond so that at most ~50,000 windows are kept.
 */
import { DataError, type Dataset } from './types';

export const MAX_WINDOWS = 50_000;

export function readText(text: string, file: string, seqLen = 64): Dataset {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new DataError(`seq_len must be a positive integer (got ${seqLen})`);
  const chars = Array.from(text.replace(/\r\n/g, '\n'));
  if (chars.length < seqLen + 1)
    throw new DataError(
      `${file} has ${chars.length} characters; seq_len=${seqLen} needs at least ${seqLen + 1}`,
    );
  const vocab = [...new Set(chars)].sort();
  const id = new Map(vocab.map((c, i) => [c, i]));
  const ids = Int32Array.from(chars, (c) => id.get(c)!);
  const positions = chars.length - seqLen; // window starts 0..positions-1
  const stride = Math.max(1, Math.ceil(positions / MAX_WINDOWS));
  const n = Math.ceil(positions / stride);
  const x = new Float32Array(n * seqLen);
  const y = new Int32Array(n * seqLen);
  for (let s = 0; s < n; s++) {
    const p = s * stride;
    for (let t = 0; t < seqLen; t++) {
      x[s * seqLen + t] = ids[p + t]!;
      y[s * seqLen + t] = ids[p + t + 1]!;
    }
  }
  return {
    name: `Text '${file}'`,
    n,
    x,
    xShape: [seqLen],
    y,
    yShape: [seqLen],
    task: 'sequence',
    classes: vocab.length,
    classNames: vocab,
    notes: [`${chars.length} characters, vocabulary ${vocab.length}, window stride ${stride}`],
  };
}
