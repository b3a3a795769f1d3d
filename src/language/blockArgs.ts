/**
 * Block arguments bind through the same path as layer arguments (`resolveCallArgs`): a block's
 * parameters are its attributes, in declaration order for positional arguments, typed by their
 * annotation. Defaults are expressions, evaluated afterwards in the block's file and in order, so
 * one may read the parameters before it.
 */
import type { Fix, Span } from '../core';
import type { Code } from '../core/codes';
import { checkAttrValue, type AttrOwner } from '../layers/attrs';
import type { AttrSpec, AttrType, AttrValue } from '../layers/types';
import { resolveCallArgs } from './args';
import type { BlockItem, BlockParam, LayerStage } from './ast';
import { EvalError, evalExpr, type EvalEnv } from './eval';

/** Reports a problem in `file` (the call's, or the block's for a default). */
export type BlockArgReporter = (
  code: Code,
  file: string,
  span: Span,
  message: string,
  fixes?: Fix[],
) => void;

export interface BoundBlockArgs {
  /** Every parameter's value, defaults included: the constants of the block's body. */
  readonly consts: Map<string, AttrValue>;
  /** The arguments written at the call, in the order written (for the group's label). */
  readonly given: readonly (readonly [string, AttrValue])[];
}

const TYPES: Record<string, AttrType> = {
  int: { kind: 'int' },
  float: { kind: 'float' },
  bool: { kind: 'bool' },
  string: { kind: 'string' },
};

function paramSpec(p: BlockParam): AttrSpec {
  const type = p.type ? (TYPES[p.type.name] ?? { kind: 'any' }) : { kind: 'any' as const };
  return { name: p.name.name, type, doc: '', required: p.default === undefined };
}

const owners = new WeakMap<BlockItem, AttrOwner>();

/** The block as an attribute owner (cached per syntax node). */
function ownerOf(b: BlockItem): AttrOwner {
  let o = owners.get(b);
  if (!o) {
    o = {
      name: `block ${b.name.name}`,
      noun: 'parameter',
      attrs: b.params.map(paramSpec),
      positional: b.params.map((p) => p.name.name),
    };
    owners.set(b, o);
  }
  return o;
}

/**
 * Bind a block call's arguments to the block's parameters, or report why not (DLM011–DLM014,
 * DLM016 and the evaluation errors of arguments and defaults) and return undefined.
 */
export function bindBlockArgs(
  block: { readonly item: BlockItem; readonly file: string },
  st: LayerStage,
  env: EvalEnv,
  file: string,
  report: BlockArgReporter,
): BoundBlockArgs | undefined {
  const b = block.item;
  const owner = ownerOf(b);
  const r = resolveCallArgs(
    owner,
    st.args ?? [],
    env,
    st.callee.span,
    (code, span, message, fixes) => report(code, file, span, message, fixes),
  );
  if (!r) return undefined;
  const consts = new Map<string, AttrValue>();
  let failed = false;
  b.params.forEach((p, i) => {
    const name = p.name.name;
    let v = r.attrs.has(name) ? r.values[name] : undefined;
    if (v === undefined && p.default) {
      try {
        v = evalExpr(p.default, { lookup: (n) => consts.get(n) });
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        report(err.code, block.file, err.span, err.message);
        failed = true;
        return;
      }
      const problem = checkAttrValue(owner.attrs[i]!, v);
      if (problem) {
        report(
          problem.code,
          file,
          st.callee.span,
          `${problem.message} (the default of block ${b.name.name})`,
        );
        failed = true;
        return;
      }
    }
    if (v !== undefined) consts.set(name, v);
  });
  if (failed) return undefined;
  const given: [string, AttrValue][] = [];
  let pos = 0;
  for (const a of st.args ?? []) {
    const name = a.name ? a.name.name : owner.positional[pos++];
    const v = name === undefined ? undefined : r.values[name];
    if (name !== undefined && v !== undefined) given.push([name, v]);
  }
  return { consts, given };
}
