/**
 * Compile-time evaluation of attribute expressions and shape types.
 * Values are numbers, booleans, strings and tuples; dims are symbolic (core/dim).
 */
import { Dim, DimLimitError, type Span } from '../core';
import { describeValue, type AttrValue } from '../layers/types';
import type { Expr } from './ast';

export interface EvalEnv {
  /** Constants in scope: block parameters and dims known to be integers. */
  lookup(name: string): AttrValue | undefined;
  /** Names accepted as bare symbols (returned as their own string), e.g. metric names. */
  readonly bareNames?: boolean;
}

export class EvalError extends Error {
  constructor(
    readonly code: 'DLM016' | 'DLM022' | 'DLM030' | 'DLM036' | 'DLM108',
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

/** A DimLimitError from dim arithmetic as the diagnostic at the expression that caused it. */
function dimLimit(err: unknown, span: Span): unknown {
  if (!(err instanceof DimLimitError)) return err;
  return new EvalError(err.limit === 'terms' ? 'DLM030' : 'DLM036', err.message, span);
}

/** An integer result of integer operands must stay exact (within ±2^53). */
function exactInt(v: number, l: number, r: number, span: Span): number {
  if (Number.isInteger(l) && Number.isInteger(r) && !Number.isSafeInteger(v))
    throw new EvalError(
      'DLM036',
      `the result ${Number.isFinite(v) ? v : 'Infinity'} is out of range: integers must stay within ±2^53 - 1 to be exact`,
      span,
    );
  return v;
}

/** True when the expression contains a float literal (so `/` is real division). */
function hasFloat(e: Expr): boolean {
  switch (e.kind) {
    case 'Number':
      return !e.isInt;
    case 'Unary':
      return hasFloat(e.operand);
    case 'Binary':
      return hasFloat(e.left) || hasFloat(e.right);
    default:
      return false;
  }
}

export { describeValue };

export function evalExpr(e: Expr, env: EvalEnv): AttrValue {
  switch (e.kind) {
    case 'Number':
      return e.value;
    case 'String':
      return e.value;
    case 'Bool':
      return e.value;
    case 'Name': {
      const v = env.lookup(e.name);
      if (v !== undefined) return v;
      if (env.bareNames) return e.name;
      throw new EvalError('DLM016', `'${e.name}' is not defined here`, e.span);
    }
    case 'Tuple':
    case 'List':
      return e.items.map((i) => evalExpr(i, env));
    case 'Unary': {
      const v = evalExpr(e.operand, env);
      if (e.op === 'not') {
        if (typeof v !== 'boolean')
          throw new EvalError('DLM022', `'not' needs a boolean, got ${describeValue(v)}`, e.span);
        return !v;
      }
      if (typeof v !== 'number')
        throw new EvalError(
          'DLM022',
          `unary '${e.op}' needs a number, got ${describeValue(v)}`,
          e.span,
        );
      return e.op === '-' ? -v : v;
    }
    case 'Binary': {
      const l = evalExpr(e.left, env);
      if (e.op === 'and' || e.op === 'or') {
        if (typeof l !== 'boolean')
          throw new EvalError(
            'DLM022',
            `'${e.op}' needs booleans, got ${describeValue(l)}`,
            e.left.span,
          );
        if (e.op === 'and' && !l) return false;
        if (e.op === 'or' && l) return true;
        const r = evalExpr(e.right, env);
        if (typeof r !== 'boolean')
          throw new EvalError(
            'DLM022',
            `'${e.op}' needs booleans, got ${describeValue(r)}`,
            e.right.span,
          );
        return r;
      }
      const r = evalExpr(e.right, env);
      if (e.op === '==') return valueEquals(l, r);
      if (e.op === '!=') return !valueEquals(l, r);
      if (typeof l !== 'number' || typeof r !== 'number')
        throw new EvalError(
          'DLM022',
          `'${e.op}' needs numbers, got ${describeValue(l)} and ${describeValue(r)}`,
          e.span,
        );
      switch (e.op) {
        case '+':
          return exactInt(l + r, l, r, e.span);
        case '-':
          return exactInt(l - r, l, r, e.span);
        case '*':
          return exactInt(l * r, l, r, e.span);
        case '/':
          if (r === 0) throw new EvalError('DLM108', 'division by zero', e.span);
          return Number.isInteger(l) && Number.isInteger(r) && !hasFloat(e)
            ? Math.floor(l / r)
            : l / r;
        case '%':
          if (r === 0) throw new EvalError('DLM108', 'division by zero', e.span);
          return ((l % r) + r) % r;
        case '<':
          return l < r;
        case '<=':
          return l <= r;
        case '>':
          return l > r;
        case '>=':
          return l >= r;
      }
      return 0;
    }
    case 'Call': {
      const fn = e.callee.name;
      const args = e.args.map((a) => evalExpr(a.value, env));
      const num = (i: number): number => {
        const v = args[i];
        if (typeof v !== 'number') throw new EvalError('DLM022', `${fn}() needs a number`, e.span);
        return v;
      };
      if ((fn === 'ceil' || fn === 'floor' || fn === 'round') && args.length === 1)
        return Math[fn](num(0));
      if ((fn === 'min' || fn === 'max') && args.length >= 1)
        return Math[fn](...args.map((_, i) => num(i)));
      throw new EvalError(
        'DLM022',
        `'${fn}(…)' cannot be used in an attribute value`,
        e.callee.span,
      );
    }
    case 'Missing':
      throw new EvalError('DLM022', 'missing value', e.span);
  }
}

function valueEquals(a: AttrValue, b: AttrValue): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => valueEquals(x, b[i]!));
  return a === b;
}

/**
 * A dim expression in a shape type: integers, symbols, + - *, `/` by a constant (floor),
 * `ceil(a / k)`. Names bound to integer constants (block parameters, known dims) substitute.
 */
export function evalDim(e: Expr, env: EvalEnv): Dim {
  switch (e.kind) {
    case 'Number':
      if (!e.isInt || e.value < 0)
        throw new EvalError(
          'DLM022',
          `a dim must be a non-negative integer, got ${e.text}`,
          e.span,
        );
      if (!Number.isSafeInteger(e.value))
        throw new EvalError(
          'DLM036',
          `the dim ${e.text} is out of range: sizes must be integers up to 2^53 - 1`,
          e.span,
        );
      return Dim.const(e.value);
    case 'Name': {
      const v = env.lookup(e.name);
      if (typeof v === 'number' && Number.isInteger(v)) return Dim.const(v);
      return Dim.sym(e.name);
    }
    case 'Unary':
      if (e.op === '-') return evalDim(e.operand, env).neg();
      if (e.op === '+') return evalDim(e.operand, env);
      break;
    case 'Binary': {
      const l = evalDim(e.left, env);
      if (e.op === '/' || e.op === '*' || e.op === '+' || e.op === '-') {
        const r = evalDim(e.right, env);
        try {
          if (e.op === '+') return l.add(r);
          if (e.op === '-') return l.sub(r);
          if (e.op === '*') return l.mul(r);
        } catch (err) {
          throw dimLimit(err, e.span);
        }
        const k = r.value;
        if (k === undefined || k <= 0)
          throw new EvalError(
            'DLM022',
            'a dim can only be divided by a positive integer constant',
            e.right.span,
          );
        return l.floorDiv(k);
      }
      break;
    }
    case 'Call':
      if ((e.callee.name === 'ceil' || e.callee.name === 'floor') && e.args.length === 1) {
        const inner = e.args[0]!.value;
        if (inner.kind === 'Binary' && inner.op === '/') {
          const l = evalDim(inner.left, env);
          const k = evalDim(inner.right, env).value;
          if (k === undefined || k <= 0)
            throw new EvalError(
              'DLM022',
              'a dim can only be divided by a positive integer constant',
              inner.right.span,
            );
          return e.callee.name === 'ceil' ? l.ceilDiv(k) : l.floorDiv(k);
        }
        return evalDim(inner, env);
      }
      break;
    default:
      break;
  }
  throw new EvalError(
    'DLM022',
    'not a dim: use integers, names, + - *, / by a constant, or ceil(a / k)',
    e.span,
  );
}
