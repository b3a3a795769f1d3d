/**
 * Memo keys for elaboration: content keys of call arguments, compile-time values and shapes, and
 * the cross-check memo tables of resolved layer arguments and shape-rule results built on them.
 */
import { DimLimitError, type Shape } from '../core';
import type { Code } from '../core/codes';
import {
  ShapeError,
  type IssueOpts,
  type LayerDef,
  type LayerFix,
  type LayerResult,
  type AttrValue,
} from '../layers/types';
import type { ResolvedArgs } from './args';
import type { Arg, Expr, LayerStage } from './ast';
import { BoundedCache } from './memo';

export interface Warning {
  readonly code: Code;
  readonly message: string;
  readonly opts?: { attr?: string; fixes?: readonly LayerFix[] };
}

/**
 * What a call's arguments are, independent of where they are written: a key of their structure
 * and literal values (no spans, whitespace or comments), and the names they read, in order.
 */
interface ArgsShape {
  readonly key: string;
  readonly names: readonly string[];
}

function argsShape(args: readonly Arg[] | undefined): ArgsShape {
  if (!args) return { key: '', names: [] };
  const names = new Set<string>();
  const visit = (e: Expr): string => {
    switch (e.kind) {
      case 'Number':
        return `${e.isInt ? 'i' : 'f'}${valueKey(e.value)}`;
      case 'String':
        return JSON.stringify(e.value);
      case 'Bool':
        return e.value ? 'T' : 'F';
      case 'Name':
        names.add(e.name);
        return `$${e.name}`;
      case 'Tuple':
        return `(${e.items.map(visit).join(',')})`;
      case 'List':
        return `[${e.items.map(visit).join(',')}]`;
      case 'Unary':
        return `${e.op}{${visit(e.operand)}}`;
      case 'Binary':
        return `{${visit(e.left)}${e.op}${visit(e.right)}}`;
      case 'Call':
        return `${e.callee.name}(${e.args.map((a) => visit(a.value)).join(',')})`;
      case 'Missing':
        return '?';
    }
  };
  const key = `(${args.map((a) => (a.name ? `${a.name.name}=` : '') + visit(a.value)).join(',')})`;
  return { key, names: [...names] };
}

/** A key for a compile-time value: equal keys mean equal values (and types). */
export function valueKey(v: AttrValue | undefined): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return '?';
  return `(${v.map(valueKey).join(',')})`;
}

/** Keys of shapes (dims by their canonical keys), per shape array: shape-rule results are shared. */
const shapeKeys = new WeakMap<Shape, string>();

export function shapeKey(s: Shape): string {
  let k = shapeKeys.get(s);
  if (k === undefined) {
    k = '';
    for (const d of s) k += `${d.key()},`;
    shapeKeys.set(s, k);
  }
  return k;
}

/**
 * Content keys of call arguments, per stage node. Syntax trees are immutable and the parser keeps
 * unchanged items between checks, so this survives edits elsewhere; entries die with the tree.
 */
const argsShapes = new WeakMap<LayerStage, ArgsShape>();

/** Resolved call arguments, shared by every call with the same content (see memoizedArgs). */
export interface ArgsEntry extends ResolvedArgs {
  /** Unique per entry: keys the shape-rule memo. */
  readonly id: number;
  readonly label: string;
}

export interface InferEntry {
  readonly result?: LayerResult;
  /**
   * Why the shape rule failed: the content of its ShapeError (no `code`: any other exception, an
   * internal error). Never the thrown object itself: an Error's stack trace keeps its frames'
   * receivers alive, i.e. the whole elaboration that threw it, and this memo outlives checks.
   */
  readonly error?: {
    readonly code?: Code;
    readonly message: string;
    readonly opts: IssueOpts;
    /** Set when dim arithmetic hit a limit (a DimLimitError): DLM030 or DLM036, not DLM900. */
    readonly limit?: DimLimitError['limit'];
  };
  readonly warnings: readonly Warning[];
}

/**
 * Memo tables that survive between checks (and documents), keyed by content only: a layer and
 * the structure of its arguments plus the constants they read; a resolved argument set and the
 * input shapes. Both computations are pure and report nothing when they succeed (failures are
 * not memoized and report at the current spans), so a hit gives what a fresh computation would.
 * Bounded (see BoundedCache); `clearElaborationMemo` empties them (tests).
 */
const argsMemo = new BoundedCache<string, ArgsEntry>(4096);
const inferMemo = new BoundedCache<string, InferEntry>(16_384);
let argsIds = 0;

/** Empty the cross-check memo tables (tests use it to compare memoized and fresh results). */
export function clearElaborationMemo(): void {
  argsMemo.clear();
  inferMemo.clear();
}

/** Sizes of the cross-check memo tables (tests check they stay bounded). */
export function elaborationMemoSize(): { args: number; infer: number } {
  return { args: argsMemo.size, infer: inferMemo.size };
}

/**
 * A call's resolved arguments, from the memo when a call with the same content (layer, argument
 * structure and the constants it reads) was resolved before; else from `resolve`, whose success
 * is memoized (a failure reports at the current spans and is not).
 */
export function memoizedArgs(
  def: LayerDef,
  st: LayerStage,
  consts: ReadonlyMap<string, AttrValue>,
  resolve: () => (ResolvedArgs & { label: string }) | undefined,
): ArgsEntry | undefined {
  let shape = argsShapes.get(st);
  if (!shape) argsShapes.set(st, (shape = argsShape(st.args)));
  let key = `${def.name}${shape.key}`;
  for (const n of shape.names) key += `|${valueKey(consts.get(n))}`;
  const hit = argsMemo.get(key);
  if (hit) return hit;
  const r = resolve();
  if (!r) return undefined;
  const entry: ArgsEntry = { attrs: r.attrs, values: r.values, id: ++argsIds, label: r.label };
  argsMemo.set(key, entry);
  return entry;
}

/** Runs a layer's shape rule, memoized on its resolved arguments and input shapes. */
export function inferShapes(
  def: LayerDef,
  resolved: ArgsEntry,
  shapes: readonly Shape[],
): InferEntry {
  let key = `${resolved.id}#`;
  for (const s of shapes) key += `${shapeKey(s)};`;
  const hit = inferMemo.get(key);
  if (hit) return hit;
  const warnings: Warning[] = [];
  let entry: InferEntry;
  try {
    const result = def.infer({
      inputs: shapes,
      attrs: resolved.attrs,
      call: resolved.label,
      warn: (code, message, opts) => warnings.push({ code, message, opts }),
    });
    entry = { result, warnings };
  } catch (error) {
    entry = {
      error:
        error instanceof ShapeError
          ? { code: error.code, message: error.message, opts: error.opts }
          : error instanceof DimLimitError
            ? { message: error.message, opts: {}, limit: error.limit }
            : { message: error instanceof Error ? error.message : String(error), opts: {} },
      warnings,
    };
  }
  inferMemo.set(key, entry);
  return entry;
}
