/**
 * Symbolic tensor dimensions.
 *
 * A Dim is a polynomial with integer coefficients over "atoms". An atom is either a named symbol
 * (`B`, `T`, `H`) or an irreducible floor/ceil division of a polynomial by a positive constant.
 * Every Dim is kept in a canonical form, so structural equality is semantic equality for the
 * fragment we support (+, −, ×, floor/ceil division by constants).
 */

export type Atom =
  | { readonly kind: 'sym'; readonly name: string; readonly key: string }
  | {
      readonly kind: 'floor' | 'ceil';
      readonly num: Dim;
      readonly den: number;
      readonly key: string;
    };

interface Term {
  readonly coef: number;
  /** Sorted by key; repeated atoms mean powers. */
  readonly atoms: readonly Atom[];
}

function termKey(atoms: readonly Atom[]): string {
  return atoms.map((a) => a.key).join('*');
}

/** The most terms a dim may have (docs/limits.md); beyond it arithmetic throws DimLimitError. */
export const MAX_DIM_TERMS = 1000;

/**
 * A dim grew beyond what the checker represents: more than MAX_DIM_TERMS terms (`terms`), or an
 * integer outside ±2^53, where doubles stop being exact (`range`). Callers report it as a
 * diagnostic (DLM030 / DLM036) at the expression or stage that produced it.
 */
export class DimLimitError extends Error {
  constructor(
    readonly limit: 'terms' | 'range',
    message: string,
  ) {
    super(message);
    this.name = 'DimLimitError';
  }
}

function checkRange(n: number): void {
  if (!Number.isSafeInteger(n))
    throw new DimLimitError(
      'range',
      `the size ${formatBig(n)} is out of range: sizes must be integers up to 2^53 - 1 (9,007,199,254,740,991)`,
    );
}

function formatBig(n: number): string {
  if (!Number.isFinite(n)) return String(n); // Infinity, -Infinity, NaN
  return Math.abs(n) >= 1e21 ? n.toExponential() : String(n);
}

function checkTerms(size: number): void {
  if (size > MAX_DIM_TERMS)
    throw new DimLimitError(
      'terms',
      `a dim expands to more than ${MAX_DIM_TERMS.toLocaleString('en-US')} terms; simplify the expression or use a single symbol for the size`,
    );
}

const CONST_CACHE = new Map<number, Dim>();
const SYM_CACHE = new Map<string, Dim>();

export class Dim {
  /** Memoized canonical key (dims are immutable). */
  private keyCache: string | undefined;
  /** Memoized toString() (hovers, summaries and labels format the same dims many times). */
  private textCache: string | undefined;
  /** The constant value when the dim is a constant (fast path for arithmetic). */
  private readonly constVal: number | undefined;

  /** Canonical: sorted by monomial key, no zero coefficients. Key '' is the constant term. */
  private constructor(private readonly terms: ReadonlyMap<string, Term>) {
    this.constVal =
      terms.size === 0 ? 0 : terms.size === 1 && terms.has('') ? terms.get('')!.coef : undefined;
  }

  private static fromTerms(terms: Map<string, Term>): Dim {
    const sorted = new Map<string, Term>();
    for (const k of [...terms.keys()].sort(compareKeys)) {
      const t = terms.get(k)!;
      if (t.coef !== 0) sorted.set(k, t);
    }
    return new Dim(sorted);
  }

  static const(n: number): Dim {
    const cached = CONST_CACHE.get(n);
    if (cached) return cached;
    if (!Number.isInteger(n) && Number.isFinite(n))
      throw new Error(`Dim.const expects an integer, got ${n}`);
    checkRange(n);
    const d = Dim.fromTerms(new Map([['', { coef: n, atoms: [] }]]));
    if (CONST_CACHE.size < 100_000) CONST_CACHE.set(n, d);
    return d;
  }

  static sym(name: string): Dim {
    const cached = SYM_CACHE.get(name);
    if (cached) return cached;
    const atom: Atom = { kind: 'sym', name, key: name };
    const d = Dim.fromTerms(new Map([[name, { coef: 1, atoms: [atom] }]]));
    if (SYM_CACHE.size < 10_000) SYM_CACHE.set(name, d);
    return d;
  }

  /** The integer value when the dim is a constant, otherwise undefined. */
  get value(): number | undefined {
    return this.constVal;
  }

  termCount(): number {
    return this.terms.size;
  }

  isConst(): boolean {
    return this.value !== undefined;
  }

  /** Names of all symbols this dim mentions (including inside divisions). */
  symbols(): Set<string> {
    const out = new Set<string>();
    for (const t of this.terms.values())
      for (const a of t.atoms) {
        if (a.kind === 'sym') out.add(a.name);
        else for (const s of a.num.symbols()) out.add(s);
      }
    return out;
  }

  /** A single bare symbol (coefficient 1), e.g. `B`. */
  asSymbol(): string | undefined {
    if (this.terms.size !== 1) return undefined;
    const t = [...this.terms.values()][0]!;
    if (t.coef === 1 && t.atoms.length === 1 && t.atoms[0]!.kind === 'sym') return t.atoms[0]!.name;
    return undefined;
  }

  add(o: Dim | number): Dim {
    const other = typeof o === 'number' ? Dim.const(o) : o;
    if (this.constVal !== undefined && other.constVal !== undefined)
      return Dim.const(this.constVal + other.constVal);
    if (other.constVal === 0) return this;
    if (this.constVal === 0) return other;
    const m = new Map<string, Term>(this.terms);
    for (const [k, t] of other.terms) {
      const prev = m.get(k);
      const coef = (prev?.coef ?? 0) + t.coef;
      checkRange(coef);
      m.set(k, { coef, atoms: t.atoms });
    }
    checkTerms(m.size);
    return Dim.fromTerms(m);
  }

  /** The sum of many dims, built once (the same canonical result as adding them one by one). */
  static sum(ds: readonly Dim[]): Dim {
    let c = 0;
    let m: Map<string, Term> | undefined;
    for (const d of ds) {
      if (d.constVal !== undefined) {
        c += d.constVal;
        continue;
      }
      m ??= new Map();
      for (const [k, t] of d.terms) {
        const prev = m.get(k);
        if (prev) checkRange(prev.coef + t.coef);
        m.set(k, prev ? { coef: prev.coef + t.coef, atoms: t.atoms } : t);
      }
      checkTerms(m.size);
    }
    checkRange(c);
    if (!m) return Dim.const(c);
    if (c !== 0) {
      const prev = m.get('');
      m.set('', { coef: (prev?.coef ?? 0) + c, atoms: [] });
    }
    return Dim.fromTerms(m);
  }

  neg(): Dim {
    const m = new Map<string, Term>();
    for (const [k, t] of this.terms) m.set(k, { coef: -t.coef, atoms: t.atoms });
    return Dim.fromTerms(m);
  }

  sub(o: Dim | number): Dim {
    return this.add((typeof o === 'number' ? Dim.const(o) : o).neg());
  }

  mul(o: Dim | number): Dim {
    const other = typeof o === 'number' ? Dim.const(o) : o;
    if (this.constVal !== undefined && other.constVal !== undefined)
      return Dim.const(this.constVal * other.constVal);
    if (other.constVal === 1) return this;
    if (this.constVal === 1) return other;
    const m = new Map<string, Term>();
    for (const a of this.terms.values())
      for (const b of other.terms.values()) {
        const atoms = [...a.atoms, ...b.atoms].sort((x, y) => compareKeys(x.key, y.key));
        const k = termKey(atoms);
        const prev = m.get(k);
        const coef = (prev?.coef ?? 0) + a.coef * b.coef;
        checkRange(coef);
        m.set(k, { coef, atoms });
        checkTerms(m.size);
      }
    return Dim.fromTerms(m);
  }

  /** floor(this / k) for a positive integer constant k. */
  floorDiv(k: number): Dim {
    return this.divide(k, 'floor');
  }

  /** ceil(this / k) for a positive integer constant k. */
  ceilDiv(k: number): Dim {
    return this.divide(k, 'ceil');
  }

  /** True when this dim is an exact multiple of k for every value of its symbols. */
  divisibleBy(k: number): boolean {
    for (const t of this.terms.values()) if (t.coef % k !== 0) return false;
    return true;
  }

  private divide(k: number, mode: 'floor' | 'ceil'): Dim {
    if (!Number.isInteger(k) || k <= 0) throw new Error(`division by a non-positive constant ${k}`);
    if (k === 1) return this;
    if (this.constVal !== undefined)
      return Dim.const(
        mode === 'floor' ? Math.floor(this.constVal / k) : Math.ceil(this.constVal / k),
      );
    // Split into q·k + r, where r keeps, per monomial, the coefficient remainder in [0, k).
    let q = Dim.const(0);
    let r = Dim.const(0);
    for (const t of this.terms.values()) {
      const rem = ((t.coef % k) + k) % k;
      const quo = (t.coef - rem) / k;
      const mono = Dim.fromTerms(new Map([[termKey(t.atoms), { coef: 1, atoms: t.atoms }]]));
      q = q.add(mono.mul(quo));
      r = r.add(mono.mul(rem));
    }
    const rv = r.value;
    if (rv !== undefined) {
      const part = mode === 'floor' ? Math.floor(rv / k) : Math.ceil(rv / k);
      return q.add(part);
    }
    const key = `${mode}(${r.key()}/${k})`;
    const atom: Atom = { kind: mode, num: r, den: k, key };
    return q.add(Dim.fromTerms(new Map([[key, { coef: 1, atoms: [atom] }]])));
  }

  /** Replace symbols by dims. */
  subst(env: ReadonlyMap<string, Dim>): Dim {
    let out = Dim.const(0);
    for (const t of this.terms.values()) {
      let mono = Dim.const(t.coef);
      for (const a of t.atoms) {
        if (a.kind === 'sym') mono = mono.mul(env.get(a.name) ?? Dim.sym(a.name));
        else {
          const n = a.num.subst(env);
          mono = mono.mul(a.kind === 'floor' ? n.floorDiv(a.den) : n.ceilDiv(a.den));
        }
      }
      out = out.add(mono);
    }
    return out;
  }

  equals(o: Dim): boolean {
    if (this === o) return true;
    if (this.constVal !== undefined || o.constVal !== undefined)
      return this.constVal === o.constVal;
    return this.key() === o.key();
  }

  /** A canonical string; equal dims have equal keys. */
  key(): string {
    if (this.keyCache !== undefined) return this.keyCache;
    this.keyCache =
      this.constVal !== undefined
        ? String(this.constVal)
        : this.terms.size === 0
          ? '0'
          : [...this.terms.entries()].map(([k, t]) => `${t.coef}${k ? '*' + k : ''}`).join('+');
    return this.keyCache;
  }

  /** Human-readable form using the language's own syntax, e.g. `2*H + 1`, `(H - 1)/2`, `ceil(W/2)`. */
  toString(): string {
    return (this.textCache ??= this.format());
  }

  private format(): string {
    if (this.terms.size === 0) return '0';
    const parts: string[] = [];
    // Print non-constant terms first, then the constant.
    const entries = [...this.terms.entries()].sort(([a], [b]) =>
      a === '' ? 1 : b === '' ? -1 : compareKeys(a, b),
    );
    entries.forEach(([, t], i) => {
      const abs = Math.abs(t.coef);
      let body: string;
      if (t.atoms.length === 0) body = String(abs);
      else {
        const atomsStr = groupPowers(t.atoms).join('*');
        body = abs === 1 ? atomsStr : `${abs}*${atomsStr}`;
      }
      if (i === 0) parts.push(t.coef < 0 ? `-${body}` : body);
      else parts.push(t.coef < 0 ? `- ${body}` : `+ ${body}`);
    });
    return parts.join(' ');
  }
}

function groupPowers(atoms: readonly Atom[]): string[] {
  return atoms.map((a) => {
    if (a.kind === 'sym') return a.name;
    const inner = a.num.termCount() > 1 ? `(${a.num.toString()})` : a.num.toString();
    return a.kind === 'floor' ? `${inner}/${a.den}` : `ceil(${inner}/${a.den})`;
  });
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function dim(x: Dim | number | string): Dim {
  if (x instanceof Dim) return x;
  return typeof x === 'number' ? Dim.const(x) : Dim.sym(x);
}

/** Try to bind `pattern` (a declared dim) against `actual`. Bare symbols bind; others must be equal. */
export function unifyDim(pattern: Dim, actual: Dim, env: Map<string, Dim>): boolean {
  const s = pattern.asSymbol();
  if (s !== undefined && !env.has(s)) {
    // A symbol binds to itself when the actual dim is that same symbol.
    env.set(s, actual);
    return true;
  }
  return pattern.subst(env).equals(actual);
}
