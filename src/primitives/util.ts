/**
 * Shared helpers for primitive definitions: attribute accessors, shape arithmetic (numpy
 * broadcasting, axes normalization) and ONNX NodeProto construction.
 */
import { onnx } from 'onnx-proto';
import type { PrimAttrValue, PrimAttrs, DType, TensorType } from './types';

// ── attributes ──────────────────────────────────────────────────────────────────────────────

export function numAttr(attrs: PrimAttrs, key: string, dflt?: number): number {
  const v = attrs[key] ?? dflt;
  if (typeof v !== 'number') throw new Error(`attribute '${key}' must be a number`);
  return v;
}

export function intsAttr(attrs: PrimAttrs, key: string, dflt?: readonly number[]): number[] {
  const v: PrimAttrValue | undefined = attrs[key] ?? dflt;
  if (!Array.isArray(v)) throw new Error(`attribute '${key}' must be a list of numbers`);
  return [...(v as readonly number[])];
}

export function strAttr(attrs: PrimAttrs, key: string, dflt?: string): string {
  const v = attrs[key] ?? dflt;
  if (typeof v !== 'string') throw new Error(`attribute '${key}' must be a string`);
  return v;
}

// ── shapes ──────────────────────────────────────────────────────────────────────────────────

export { prod } from '../core/shape';

export function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Numpy-style broadcast of several shapes; throws when incompatible. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const e = k >= 0 ? s[k]! : 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e)
        throw new Error(`shapes ${shapes.map(fmt).join(' and ')} do not broadcast`);
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** Normalize an axis against a rank, throwing when out of range. */
export function axis(a: number, rank: number): number {
  const r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank) throw new Error(`axis ${a} out of range for rank ${rank}`);
  return r;
}

export function sameDType(inputs: readonly TensorType[], what: string): DType {
  const d = inputs[0]!.dtype;
  for (const t of inputs)
    if (t.dtype !== d) throw new Error(`${what}: mixed dtypes ${d} and ${t.dtype}`);
  return d;
}

export function expectFloat(t: TensorType, what: string): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    throw new Error(`${what}: expected a float tensor, got ${t.dtype}`);
}

export function expectArity(inputs: readonly TensorType[], n: number, what: string): void {
  if (inputs.length !== n) throw new Error(`${what}: expected ${n} inputs, got ${inputs.length}`);
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

// ── ONNX ────────────────────────────────────────────────────────────────────────────────────

export const ONNX_DTYPE: Record<DType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

const A = onnx.AttributeProto.AttributeType;

/** Typed ONNX attribute constructors: int, ints, float, string, tensor. */
export const attr = {
  i: (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i }),
  is: (name: string, ints: readonly number[]): onnx.IAttributeProto => ({
    name,
    type: A.INTS,
    ints: [...ints],
  }),
  f: (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f }),
  s: (name: string, s: string): onnx.IAttributeProto => ({
    name,
    type: A.STRING,
    s: new TextEncoder().encode(s),
  }),
  t: (name: string, t: onnx.ITensorProto): onnx.IAttributeProto => ({ name, type: A.TENSOR, t }),
};

export function node(
  opType: string,
  input: readonly string[],
  output: readonly string[],
  attribute: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
  return { opType, input: [...input], output: [...output], attribute, domain: '' };
}

/** A TensorProto holding `values` (row-major) with the given dtype and shape. */
export function tensorProto(
  values: readonly number[],
  shape: readonly number[],
  dtype: DType,
  name = '',
): onnx.ITensorProto {
  const t: onnx.ITensorProto = { name, dims: [...shape], dataType: ONNX_DTYPE[dtype] };
  switch (dtype) {
    case 'float32':
      t.rawData = new Uint8Array(Float32Array.from(values).buffer);
      break;
    case 'float64':
      t.rawData = new Uint8Array(Float64Array.from(values).buffer);
      break;
    case 'int64':
      t.rawData = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
      break;
    case 'bool':
      t.rawData = Uint8Array.from(values.map((v) => (v ? 1 : 0)));
      break;
  }
  return t;
}
