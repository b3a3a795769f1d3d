/**
 * Seeded PRNGs: xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic, seeded through
 * splitmix32. Pure TypeScript, so a seed gives the same numbers bit for bit on every platform and
 * Node version.
 *
 * `Xoshiro128` is the generator itself; `Rng` here is the compiler's, used for parameter
 * initialization. The trainer's generator (`src/engine/rng.ts`) extends the same core with
 * saved state, shuffling and its own `normal`/`fork`; the two streams need not agree.
 */

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The xoshiro128** core: four 32-bit words of state. */
export class Xoshiro128 {
  protected s0: number;
  protected s1: number;
  protected s2: number;
  protected s3: number;

  /** `seed`: any finite number; its integer part is taken modulo 2³². */
  constructor(seed = 0) {
    const sm = splitmix32(Number.isFinite(seed) ? Math.trunc(seed) : 0);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

export class Rng extends Xoshiro128 {
  /** The second Box–Muller value, kept for the next `normal()` call. */
  private spare: number | undefined;

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return this.next();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal N(0, 1) by the Box–Muller transform (both values of a pair are used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** An independent generator derived from this one's next outputs (e.g. one per tensor). */
  fork(): Rng {
    return new Rng((this.nextU32() ^ Math.imul(this.nextU32(), 0x9e3779b1)) >>> 0);
  }
}
