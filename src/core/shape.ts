import { Dim, dim } from './dim';

/** A tensor shape: one symbolic dim per axis. Scalars have rank 0. */
export type Shape = readonly Dim[];

export function shape(...dims: (Dim | number | string)[]): Shape {
  return dims.map(dim);
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d.equals(b[i]!));
}

/** Product of dims, e.g. the element count. */
export function numel(s: Shape): Dim {
  return s.reduce((acc, d) => acc.mul(d), Dim.const(1));
}

/** Product of concrete numbers, e.g. the element count of a `number[]` shape (1 for `[]`). */
export function prod(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** Concrete element count, when every dim is known. */
export function numelValue(s: Shape): number | undefined {
  return numel(s).value;
}

export type ShapeStyle = 'brackets' | 'times';

/** `[B, 64, 28, 28]` (default) or `B×64×28×28`. */
export function formatShape(s: Shape, style: ShapeStyle = 'brackets'): string {
  const parts = s.map((d) => {
    const t = d.toString();
    return style === 'times' && /[ +\-*]/.test(t) ? `(${t})` : t;
  });
  return style === 'times' ? (parts.length ? parts.join('×') : 'scalar') : `[${parts.join(', ')}]`;
}

/** Normalize a possibly negative axis; undefined when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}
