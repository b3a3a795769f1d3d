/**
 * Attribute resolution for layer calls: positional and keyword arguments are matched against a
 * layer's AttrSpecs, type-checked, range-checked and completed with defaults. Problems are
 * returned as AttrIssues (the checker turns them into diagnostics at the argument they name);
 * the resolved values are an `Attrs` the layer's shape rule reads.
 */
import { quoteText } from '../core/diagnostic';
import { didYouMean } from '../core/suggest';
import {
  ShapeError,
  type AttrSpec,
  type AttrType,
  type Attrs,
  type LayerDef,
  type AttrValue,
} from './types';

export type AttrIssueCode = 'DLM011' | 'DLM012' | 'DLM013' | 'DLM014' | 'DLM108';

export interface AttrIssue {
  readonly code: AttrIssueCode;
  readonly message: string;
  /** Index into the positional arguments the issue is about. */
  readonly argIndex?: number;
  /** Keyword argument the issue is about. */
  readonly keyword?: string;
  /** A replacement for the keyword name or the string value ("did you mean"). */
  readonly suggestion?: string;
}

/**
 * The parts of a LayerDef attribute resolution needs. A block call supplies the same shape from
 * its parameters, with `noun: 'parameter'` for its messages (default `attribute`).
 */
export type AttrOwner = Pick<LayerDef, 'name' | 'attrs' | 'positional'> & {
  readonly noun?: 'attribute' | 'parameter';
};

// ---------------------------------------------------------------- values and types

/** A value as the user would write it: `3`, `(3, 5)`, `"same"`, `true`. */
export function formatValue(v: AttrValue): string {
  if (typeof v === 'string') return quoteText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v.length === 1 ? `(${formatValue(v[0]!)},)` : `(${v.map(formatValue).join(', ')})`;
}

const PADDING_TEXT = 'an int, a tuple, "same", "valid" or "causal" (Conv1d)';

/** What a value of this type looks like, for messages and docs: `an int ≥ 1`. */
export function describeType(t: AttrType): string {
  switch (t.kind) {
    case 'int':
      return t.min === undefined ? 'an int' : `an int ≥ ${t.min}`;
    case 'float': {
      const range = floatRange(t);
      return range ? `a number ${range}` : 'a number';
    }
    case 'bool':
      return 'true or false';
    case 'any':
      return 'any value';
    case 'string':
      return t.values ? `one of ${t.values.map((v) => JSON.stringify(v)).join(', ')}` : 'a string';
    case 'ints':
      return t.min === undefined
        ? 'an int or a tuple of ints'
        : `an int or a tuple of ints, each ≥ ${t.min}`;
    case 'intList':
      return 'a tuple of ints (or a single int)';
    case 'padding':
      return PADDING_TEXT;
  }
}

function floatRange(t: Extract<AttrType, { kind: 'float' }>): string | undefined {
  if (t.min !== undefined && t.max !== undefined)
    return `in [${t.min}, ${t.max}${t.maxExclusive ? ')' : ']'}`;
  if (t.min !== undefined) return `≥ ${t.min}`;
  if (t.max !== undefined) return t.maxExclusive ? `< ${t.max}` : `≤ ${t.max}`;
  return undefined;
}

const isInt = (v: AttrValue): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntTuple = (v: AttrValue): v is readonly number[] => Array.isArray(v) && v.every(isInt);

export interface ValueProblem {
  readonly code: 'DLM012' | 'DLM108';
  readonly message: string;
  readonly suggestion?: string;
}

/** Type- and range-check one attribute value; undefined when it is fine. */
export function checkAttrValue(spec: AttrSpec, v: AttrValue): ValueProblem | undefined {
  const { name, type: t } = spec;
  const got = `got ${formatValue(v)}`;
  const wrongType = (what: string): ValueProblem => ({
    code: 'DLM012',
    message: `${name} must be ${what}, ${got}`,
  });
  const belowMin = (min: number): ValueProblem => ({
    code: 'DLM108',
    message: `${name} must be ≥ ${min}, ${got}`,
  });
  switch (t.kind) {
    case 'int':
      if (!isInt(v)) return wrongType('an int');
      if (t.min !== undefined && v < t.min) return belowMin(t.min);
      return undefined;
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType('a number');
      const low = t.min !== undefined && v < t.min;
      const high = t.max !== undefined && (t.maxExclusive ? v >= t.max : v > t.max);
      if (low || high)
        return { code: 'DLM108', message: `${name} must be ${floatRange(t)}, ${got}` };
      return undefined;
    }
    case 'bool':
      return typeof v === 'boolean' ? undefined : wrongType('true or false');
    case 'any':
      return undefined;
    case 'string': {
      const what = describeType(t);
      if (typeof v !== 'string') return wrongType(what);
      if (t.values && !t.values.includes(v)) {
        const suggestion = didYouMean(v, t.values);
        return {
          code: 'DLM108',
          message: `${name} must be ${what}, ${got}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          suggestion,
        };
      }
      return undefined;
    }
    case 'ints':
    case 'intList': {
      const list = isInt(v) ? [v] : isIntTuple(v) ? v : undefined;
      if (!list)
        return wrongType(t.kind === 'ints' ? 'an int or a tuple of ints' : 'a tuple of ints');
      if (list.length === 0) return { code: 'DLM108', message: `${name} must not be empty` };
      const min = t.kind === 'ints' ? t.min : undefined;
      if (min !== undefined && list.some((x) => x < min)) return belowMin(min);
      return undefined;
    }
    case 'padding': {
      if (typeof v === 'string') {
        if (v === 'same' || v === 'valid' || v === 'causal') return undefined;
        const suggestion = didYouMean(v, ['same', 'valid', 'causal']);
        return {
          code: 'DLM108',
          message: `${name} must be ${PADDING_TEXT}, ${got}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          suggestion,
        };
      }
      const list = isInt(v) ? [v] : isIntTuple(v) && v.length > 0 ? v : undefined;
      if (!list) return wrongType(PADDING_TEXT);
      if (list.some((x) => x < 0)) return belowMin(0);
      return undefined;
    }
  }
}

// ---------------------------------------------------------------- Attrs

class ResolvedAttrs implements Attrs {
  private readonly specs: ReadonlyMap<string, AttrSpec>;

  constructor(
    private readonly layer: string,
    specs: readonly AttrSpec[],
    private readonly given: ReadonlyMap<string, AttrValue>,
  ) {
    this.specs = new Map(specs.map((s) => [s.name, s]));
  }

  get(name: string): AttrValue | undefined {
    return this.given.has(name) ? this.given.get(name) : this.specs.get(name)?.default;
  }

  has(name: string): boolean {
    return this.given.has(name);
  }

  private need(name: string): AttrValue {
    const v = this.get(name);
    if (v === undefined)
      throw new ShapeError('DLM013', `${this.layer} needs the attribute ${name}`, { attr: name });
    return v;
  }

  private wrong(name: string, what: string, v: AttrValue): ShapeError {
    return new ShapeError('DLM012', `${name} must be ${what}, got ${formatValue(v)}`, {
      attr: name,
    });
  }

  int(name: string): number {
    const v = this.need(name);
    if (!isInt(v)) throw this.wrong(name, 'an int', v);
    return v;
  }

  float(name: string): number {
    const v = this.need(name);
    if (typeof v !== 'number') throw this.wrong(name, 'a number', v);
    return v;
  }

  bool(name: string): boolean {
    const v = this.need(name);
    if (typeof v !== 'boolean') throw this.wrong(name, 'true or false', v);
    return v;
  }

  str(name: string): string {
    const v = this.need(name);
    if (typeof v !== 'string') throw this.wrong(name, 'a string', v);
    return v;
  }

  ints(name: string, n: number): number[] {
    const v = this.need(name);
    if (isInt(v)) return new Array<number>(n).fill(v);
    if (!isIntTuple(v)) throw this.wrong(name, 'an int or a tuple of ints', v);
    if (v.length !== n)
      throw new ShapeError(
        'DLM108',
        `${name}=${formatValue(v)} has ${v.length} entries, but ${this.layer} needs ${n} (one per spatial axis)`,
        { attr: name },
      );
    return [...v];
  }
}

/** An Attrs over already-checked values (defaults from the specs fill the rest). */
export function makeAttrs(
  owner: Pick<LayerDef, 'name' | 'attrs'>,
  values: Readonly<Record<string, AttrValue>> | ReadonlyMap<string, AttrValue> = {},
): Attrs {
  const map =
    values instanceof Map
      ? (values as ReadonlyMap<string, AttrValue>)
      : new Map(Object.entries(values as Record<string, AttrValue>));
  return new ResolvedAttrs(owner.name, owner.attrs, map);
}

/** A tuple-or-int attribute as a list (`intList` kind): `3` → `[3]`, `(2, -1)` → `[2, -1]`. */
export function intList(attrs: Attrs, name: string): number[] {
  const v = attrs.get(name);
  if (v === undefined)
    throw new ShapeError('DLM013', `the attribute ${name} is required`, { attr: name });
  if (isInt(v)) return [v];
  if (isIntTuple(v)) return [...v];
  throw new ShapeError('DLM012', `${name} must be a tuple of ints`, { attr: name });
}

// ---------------------------------------------------------------- resolution

/**
 * Match a call's arguments to the layer's attributes. Every problem is reported (not only the
 * first); values that fail their check are left out, so their defaults apply in `attrs`.
 */
export function resolveAttrs(
  def: AttrOwner,
  positional: readonly { readonly value: AttrValue }[],
  keyword: readonly { readonly name: string; readonly value: AttrValue }[],
): { attrs: Attrs; errors: AttrIssue[] } {
  const errors: AttrIssue[] = [];
  const noun = def.noun ?? 'attribute';
  const specs = new Map(def.attrs.map((s) => [s.name, s]));
  const given = new Map<string, AttrValue>();
  const provided = new Set<string>();

  positional.forEach((arg, i) => {
    const name = def.positional[i];
    if (name === undefined) {
      const takes =
        def.positional.length === 0
          ? `${def.name} takes no positional arguments`
          : `${def.name} takes ${def.positional.length} positional argument${def.positional.length === 1 ? '' : 's'} (${def.positional.join(', ')})`;
      errors.push({
        code: 'DLM014',
        message: `${takes}, but this is argument ${i + 1}; pass other ${noun}s by keyword, e.g. name=value`,
        argIndex: i,
      });
      return;
    }
    const spec = specs.get(name)!;
    provided.add(name);
    const problem = checkAttrValue(spec, arg.value);
    if (problem) errors.push({ ...problem, argIndex: i });
    else given.set(name, arg.value);
  });

  const seen = new Set<string>();
  for (const kw of keyword) {
    const spec = specs.get(kw.name);
    if (!spec) {
      const suggestion = didYouMean(
        kw.name,
        def.attrs.map((a) => a.name),
      );
      const known = def.attrs.length
        ? `; its ${noun}s are ${def.attrs.map((a) => a.name).join(', ')}`
        : `; it takes no ${noun}s`;
      errors.push({
        code: 'DLM011',
        message: `${def.name} has no ${noun} ${kw.name}${suggestion ? `; did you mean ${suggestion}?` : known}`,
        keyword: kw.name,
        suggestion,
      });
      continue;
    }
    if (seen.has(kw.name)) {
      errors.push({
        code: 'DLM014',
        message: `${kw.name} is given twice`,
        keyword: kw.name,
      });
      continue;
    }
    seen.add(kw.name);
    const pos = def.positional.indexOf(kw.name);
    if (pos >= 0 && pos < positional.length) {
      errors.push({
        code: 'DLM014',
        message: `${kw.name} is given both positionally (argument ${pos + 1}) and by keyword`,
        keyword: kw.name,
      });
      continue;
    }
    provided.add(kw.name);
    const problem = checkAttrValue(spec, kw.value);
    if (problem) errors.push({ ...problem, keyword: kw.name });
    else given.set(kw.name, kw.value);
  }

  for (const spec of def.attrs) {
    if (!spec.required || provided.has(spec.name)) continue;
    const pos = def.positional.indexOf(spec.name);
    const where = pos >= 0 ? ` (positional argument ${pos + 1}, or ${spec.name}=...)` : '';
    errors.push({
      code: 'DLM013',
      message: `${def.name} is missing its required ${noun} ${spec.name}${where}`,
    });
  }

  return { attrs: new ResolvedAttrs(def.name, def.attrs, given), errors };
}

// ---------------------------------------------------------------- padding

export interface ResolvedPadding {
  /** Padding at the start of each spatial axis (top/left). */
  readonly before: readonly number[];
  /** Padding at the end of each spatial axis (bottom/right). */
  readonly after: readonly number[];
  readonly mode: 'explicit' | 'same' | 'valid' | 'causal';
}

/**
 * Resolve a `padding` attribute (decision 0001): an int or tuple pads that much on **both** sides
 * of each spatial axis; `"valid"` is 0; `"same"` works as in PyTorch, for stride 1 only: the total
 * padding `d·(k−1)` is split with the odd extra unit on the right/bottom, so output = input.
 * `"same"` with a stride > 1 is DLM108 (TF's `ceil(n/s)` rule needs asymmetric padding).
 */
export function resolvePadding(
  layer: string,
  attrs: Attrs,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  name = 'padding',
): ResolvedPadding {
  const v = attrs.get(name) ?? 0;
  const rank = kernel.length;
  if (v === 'valid') {
    const zeros = new Array<number>(rank).fill(0);
    return { before: zeros, after: zeros, mode: 'valid' };
  }
  if (v === 'causal') {
    // Causal (WaveNet, TCN): pad d·(k−1) on the left only, so output t sees inputs ≤ t.
    if (rank !== 1)
      throw new ShapeError(
        'DLM108',
        `${layer}: padding="causal" applies to 1-D sequences (Conv1d); use an explicit padding here`,
        { attr: name },
      );
    return { before: kernel.map((k, i) => dilation[i]! * (k - 1)), after: [0], mode: 'causal' };
  }
  if (v === 'same') {
    const bad = stride.findIndex((s) => s !== 1);
    if (bad >= 0) {
      const explicit = kernel.map((k, i) => Math.floor((dilation[i]! * (k - 1)) / 2));
      const value =
        rank === 1 || explicit.every((p) => p === explicit[0])
          ? String(explicit[0])
          : `(${explicit.join(', ')})`;
      throw new ShapeError(
        'DLM108',
        `${layer}: padding="same" needs stride 1 (as in PyTorch), but stride is ${stride[bad]}. ` +
          `TF's "same" rule, output = ceil(n/stride), needs asymmetric padding, which this language does not implement; ` +
          `write an explicit padding such as padding=${value} (output = floor((n + 2p − d·(k−1) − 1)/s) + 1)`,
        {
          attr: name,
          fixes: [{ kind: 'setAttr', attr: name, value, title: `Use padding=${value}` }],
        },
      );
    }
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    const before = total.map((t) => Math.floor(t / 2));
    return { before, after: total.map((t, i) => t - before[i]!), mode: 'same' };
  }
  const p = attrs.ints(name, rank);
  return { before: p, after: p, mode: 'explicit' };
}
