/**
 * Growable numeric series and min/max-per-pixel decimation. The charts keep every point here and
 * hand uPlot at most two points per horizontal pixel per series, so 100k-step runs draw as fast as
 * short ones and still show every spike.
 */

export class Series {
  x = new Float64Array(256);
  y = new Float64Array(256);
  n = 0;

  push(x: number, y: number): void {
    if (this.n === this.x.length) {
      const nx = new Float64Array(this.x.length * 2);
      nx.set(this.x);
      this.x = nx;
      const ny = new Float64Array(this.y.length * 2);
      ny.set(this.y);
      this.y = ny;
    }
    this.x[this.n] = x;
    this.y[this.n] = y;
    this.n++;
  }

  clear(): void {
    this.n = 0;
  }

  get last(): number | undefined {
    return this.n ? this.y[this.n - 1] : undefined;
  }

  static of(points: readonly (readonly [number, number])[]): Series {
    const s = new Series();
    for (const [x, y] of points) s.push(x, y);
    return s;
  }
}

/** First index with x[i] >= v (x sorted ascending). */
export function lowerBound(x: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Decimated {
  readonly x: number[];
  readonly y: (number | null)[];
}

/**
 * Min and max of each of `buckets` equal-width x buckets over [xmin, xmax] (in their order of
 * occurrence), plus the nearest point outside each end so lines run to the plot edge. Series with
 * at most 2·buckets points in range are returned as they are. Non-finite values (and values ≤ 0
 * when `positive`) become gaps.
 */
export function decimate(
  s: Series,
  xmin: number,
  xmax: number,
  buckets: number,
  positive = false,
): Decimated {
  const ok = (v: number): boolean => Number.isFinite(v) && (!positive || v > 0);
  const outX: number[] = [];
  const outY: (number | null)[] = [];
  if (s.n === 0) return { x: outX, y: outY };
  let i0 = lowerBound(s.x, s.n, xmin);
  let i1 = lowerBound(s.x, s.n, xmax);
  while (i1 < s.n && s.x[i1]! <= xmax) i1++;
  if (i0 > 0) i0--;
  if (i1 < s.n) i1++;
  const count = i1 - i0;
  const emit = (i: number): void => {
    const v = s.y[i]!;
    outX.push(s.x[i]!);
    outY.push(ok(v) ? v : null);
  };
  if (count <= buckets * 2 || !(xmax > xmin)) {
    for (let i = i0; i < i1; i++) emit(i);
    return { x: outX, y: outY };
  }
  const width = (xmax - xmin) / buckets;
  let i = i0;
  // points left of xmin (at most one)
  while (i < i1 && s.x[i]! < xmin) emit(i++);
  while (i < i1) {
    const b = Math.min(buckets - 1, Math.floor((s.x[i]! - xmin) / width));
    if (s.x[i]! > xmax) {
      emit(i++);
      continue;
    }
    const end = xmin + (b + 1) * width;
    let iMin = -1;
    let iMax = -1;
    let gap = -1;
    for (; i < i1 && (s.x[i]! < end || b === buckets - 1) && s.x[i]! <= xmax; i++) {
      const v = s.y[i]!;
      if (!ok(v)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (iMin < 0 || v < s.y[iMin]!) iMin = i;
      if (iMax < 0 || v > s.y[iMax]!) iMax = i;
    }
    if (iMin < 0) {
      if (gap >= 0) emit(gap);
      continue;
    }
    if (iMin === iMax) emit(iMin);
    else if (iMin < iMax) {
      emit(iMin);
      emit(iMax);
    } else {
      emit(iMax);
      emit(iMin);
    }
    if (gap >= 0) {
      // keep the gap visible: a null right after the bucket's points
      outX.push(s.x[gap]!);
      outY.push(null);
    }
  }
  return { x: outX, y: outY };
}

/**
 * uPlot's aligned data from independently sampled series: the sorted union of their x values,
 * `undefined` where a series has no point (uPlot joins across those) and null for real gaps.
 */
export function align(
  series: readonly Decimated[],
): [number[], ...(number | null | undefined)[][]] {
  const xs: number[] = [];
  for (const s of series) for (const v of s.x) xs.push(v);
  xs.sort((a, b) => a - b);
  const ux: number[] = [];
  for (const v of xs) if (ux.length === 0 || ux[ux.length - 1] !== v) ux.push(v);
  const cols = series.map((s) => {
    const col = new Array<number | null | undefined>(ux.length).fill(undefined);
    // both sorted: merge walk (duplicate x within a series keeps the last value)
    let j = 0;
    for (let k = 0; k < s.x.length; k++) {
      const v = s.x[k]!;
      while (ux[j]! < v) j++;
      col[j] = s.y[k] ?? null;
    }
    return col;
  });
  return [ux, ...cols];
}
