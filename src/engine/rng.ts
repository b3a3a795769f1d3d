/**
 * A seeded PRNG: xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic, seeded through
 * splitmix32, so every sequence is reproducible bit-for-bit from the seed on any platform.
 * `normal` uses Box–Muller and keeps the spare value in the state, so a saved state resumes the
 * exact same stream.
 */

import { Xoshiro128 } from '../compiler/rng';

export interface RngState {
  /** The four 32-bit words of xoshiro128**. */
  readonly s: readonly [number, number, number, number];
  /** The cached second Box–Muller value, when there is one. */
  readonly spare?: number;
}

/** The generator: the compiler's xoshiro128** core with saved state, shuffling and forks. */
export class Rng extends Xoshiro128 {
  private spare: number | undefined;

  /** `seed`: any integer (taken modulo 2³²) or a saved state. */
  constructor(seed: number | RngState = 0) {
    super(typeof seed === 'number' ? seed : 0);
    if (typeof seed !== 'number') this.setState(seed);
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer uniform in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1) || n > 0x100000000) throw new RangeError(`Rng.int: bad bound ${n}`);
    const bound = n >>> 0 || 0x100000000;
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % bound;
    }
  }

  /** Normal with the given mean and standard deviation (Box–Muller, spare cached). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** An independent generator derived from this one (advances this one by four draws). */
  fork(): Rng {
    return new Rng({ s: [this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32() | 1] });
  }

  getState(): RngState {
    const s: [number, number, number, number] = [this.s0, this.s1, this.s2, this.s3];
    return this.spare === undefined ? { s } : { s, spare: this.spare };
  }

  setState(st: RngState): void {
    const [a, b, c, d] = st.s;
    if (![a, b, c, d].every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff))
      throw new Error('Rng: invalid state');
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    if ((a | b | c | d) === 0) this.s0 = 1;
    this.spare = st.spare;
  }
}
