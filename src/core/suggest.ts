/**
 * "Did you mean ...?" suggestions for misspelled names (attributes, layers, settings).
 *
 * The distance is the unrestricted Damerau-Levenshtein distance: insertions, deletions,
 * substitutions and transpositions of adjacent characters each cost 1, and a transposition may be
 * followed by further edits of the same characters (so `ca` → `abc` is 2, not 3 as in the
 * restricted "optimal string alignment" variant).
 */

/** Damerau-Levenshtein distance between a and b (case-sensitive). */
export function editDistance(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  if (la === 0) return lb;
  if (lb === 0) return la;
  const inf = la + lb;
  // d has (la + 2) × (lb + 2) cells; row/column 0 hold the sentinel `inf`.
  const w = lb + 2;
  const d = new Array<number>((la + 2) * w).fill(0);
  const at = (i: number, j: number): number => d[i * w + j]!;
  const set = (i: number, j: number, v: number): void => {
    d[i * w + j] = v;
  };
  set(0, 0, inf);
  for (let i = 0; i <= la; i++) {
    set(i + 1, 0, inf);
    set(i + 1, 1, i);
  }
  for (let j = 0; j <= lb; j++) {
    set(0, j + 1, inf);
    set(1, j + 1, j);
  }
  /** Last row (1-based) where each character of `a` was seen. */
  const lastRow = new Map<string, number>();
  for (let i = 1; i <= la; i++) {
    let lastMatchCol = 0;
    for (let j = 1; j <= lb; j++) {
      const i1 = lastRow.get(b[j - 1]!) ?? 0;
      const j1 = lastMatchCol;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchCol = j;
      set(
        i + 1,
        j + 1,
        Math.min(
          at(i, j) + cost, // substitution / match
          at(i + 1, j) + 1, // insertion
          at(i, j + 1) + 1, // deletion
          at(i1, j1) + (i - i1 - 1) + 1 + (j - j1 - 1), // transposition
        ),
      );
    }
    lastRow.set(a[i - 1]!, i);
  }
  return at(la + 1, lb + 1);
}

export interface SuggestOptions {
  /** Largest distance still suggested. Default: max(1, ⌊len/3⌋), and always less than the length. */
  readonly maxDistance?: number;
  /** How many suggestions to return from `suggestions` (default 3). */
  readonly limit?: number;
}

/**
 * The candidates closest to `name`, best first. Comparison ignores case, so a pure case slip
 * (`conv2d` for `Conv2d`) is distance 0 and always wins. Ties keep the candidates' order.
 */
export function suggestions(
  name: string,
  candidates: Iterable<string>,
  opts: SuggestOptions = {},
): string[] {
  const lower = name.toLowerCase();
  const max = opts.maxDistance ?? Math.max(1, Math.floor(name.length / 3));
  const scored: { c: string; dist: number; index: number }[] = [];
  let index = 0;
  for (const c of candidates) {
    if (c === name) continue;
    const dist = editDistance(lower, c.toLowerCase());
    // A suggestion must keep something of the original: never replace every character.
    if (dist <= max && (dist < name.length || dist === 0)) scored.push({ c, dist, index });
    index++;
  }
  scored.sort((x, y) => x.dist - y.dist || x.index - y.index);
  return scored.slice(0, opts.limit ?? 3).map((s) => s.c);
}

/** The single best suggestion for a misspelled `name`, or undefined when nothing is close. */
export function didYouMean(
  name: string,
  candidates: Iterable<string>,
  opts: SuggestOptions = {},
): string | undefined {
  return suggestions(name, candidates, { ...opts, limit: 1 })[0];
}
