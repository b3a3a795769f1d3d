/** Evaluates call arguments and type-checks them against attribute specs, reporting precisely. */
import type { Fix, Span } from '../core';
import type { Code } from '../core/codes';
import { resolveAttrs, type AttrOwner } from '../layers/attrs';
import type { Attrs, AttrValue } from '../layers/types';
import type { Arg } from './ast';
import { EvalError, evalExpr, type EvalEnv } from './eval';

export type Reporter = (code: Code, span: Span, message: string, fixes?: Fix[]) => void;

export interface ResolvedArgs {
  readonly attrs: Attrs;
  /** Every attribute of the owner with its value (defaults filled in). */
  readonly values: Record<string, AttrValue | undefined>;
}

export function resolveCallArgs(
  owner: AttrOwner,
  args: readonly Arg[],
  env: EvalEnv,
  calleeSpan: Span,
  report: Reporter,
): ResolvedArgs | undefined {
  const positional: { value: AttrValue }[] = [];
  const keyword: { name: string; value: AttrValue }[] = [];
  const posArgs: Arg[] = [];
  const kwArgs = new Map<string, Arg>();
  let failed = false;
  let sawKeyword = false;
  for (const a of args) {
    let v: AttrValue;
    try {
      v = evalExpr(a.value, env);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      report(
        err.code,
        err.span,
        err.code === 'DLM016'
          ? `${err.message} (attribute values may use numbers, strings, booleans, tuples and block parameters)`
          : err.message,
      );
      failed = true;
      continue;
    }
    if (a.name) {
      sawKeyword = true;
      keyword.push({ name: a.name.name, value: v });
      kwArgs.set(a.name.name, a);
    } else {
      if (sawKeyword) {
        report('DLM014', a.span, 'positional arguments must come before keyword arguments');
        failed = true;
      }
      positional.push({ value: v });
      posArgs.push(a);
    }
  }
  if (failed) return undefined;
  const { attrs, errors } = resolveAttrs(owner, positional, keyword);
  for (const e of errors) {
    const arg =
      e.keyword !== undefined
        ? kwArgs.get(e.keyword)
        : e.argIndex !== undefined
          ? posArgs[e.argIndex]
          : undefined;
    const span = e.code === 'DLM011' && arg?.name ? arg.name.span : (arg?.span ?? calleeSpan);
    const fixes: Fix[] = [];
    if (e.code === 'DLM011' && e.suggestion && arg?.name)
      fixes.push({
        title: `Change to '${e.suggestion}'`,
        edits: [{ span: arg.name.span, newText: e.suggestion }],
        preferred: true,
      });
    report(e.code, span, e.message, fixes);
  }
  if (errors.length) return undefined;
  const values: Record<string, AttrValue | undefined> = {};
  for (const a of owner.attrs) values[a.name] = attrs.get(a.name);
  return { attrs, values };
}
