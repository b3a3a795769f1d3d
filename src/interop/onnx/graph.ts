/**
 * An ONNX model as a graph with a shape on every edge, parameters and MACs on every node.
 *
 * Pure TypeScript (onnx-proto's decoder). Shapes are inferred from the graph inputs, so a file
 * whose `value_info` is empty gets every shape; dims named in the file (`dim_param`) stay
 * symbolic. A node that is one catalog layer (Conv → Conv2d, Gemm → Dense, BatchNormalization,
 * pooling, LSTM, …; `layerOf` in ./layers.ts) gets its shapes, parameters and MACs from that
 * layer's rule, so there is one formula per concept; the remaining standard operators use ONNX's
 * own shape rules below. Small integer tensors (shapes computed with Shape → Gather → Concat, the
 * targets of Reshape, ConstantOfShape, Expand) are propagated symbolically, as ONNX's data
 * propagation does.
 *
 * Problems are diagnostics naming the node, never exceptions: an unknown operator or domain is an
 * opaque node (outputs from the file's value_info when it has them), control flow (Loop, If,
 * Scan) is refused, and a shape the file declares that disagrees with the inferred one is a
 * contradiction. Only a file that cannot be decoded at all throws (OnnxReadError).
 */
import { onnx } from 'onnx-proto';
import { Dim, formatShape, normAxis, numel, shapeEquals, type Shape } from '../../core';
import { decodeModel, OnnxReadError } from './initializers';
import { FUNCTION_DOMAIN } from '../../compiler/export';
import { docLayerOf, functionLayerOf, layerOf, type LayerMapping } from './layers';

/** Default-domain opset versions the importer knows (docs/onnx-import.md). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 18;
/** The largest file the reader opens (docs/limits.md). */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** The most nodes a graph may have (docs/limits.md). */
export const MAX_ONNX_NODES = 200_000;

export type OnnxCode = 'DLM220' | 'DLM221' | 'DLM222' | 'DLM223' | 'DLM224' | 'DLM225';

export interface OnnxDiagnostic {
  readonly code: OnnxCode | 'DLM226';
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  /** The node the problem is about (its name, or `#index` when it has none). */
  readonly node?: string;
}

export type ElemType = 'float' | 'int' | 'bool' | 'other';

export interface OnnxValue {
  readonly name: string;
  /** Undefined when it cannot be inferred (after an opaque node without value_info). */
  shape?: Shape;
  elem: ElemType;
  /** Values of a small integer tensor (rank ≤ 1), symbolic: shape arithmetic. */
  data?: Dim[];
  /** Float constants (rank ≤ 1, small): Clip bounds, scalars of Mul/Div/Pow. */
  floats?: number[];
  /** True for an initializer, or an Identity of one (PyTorch's shared weights). */
  initializer?: boolean;
  /** For an Identity of an initializer: the initializer's name. */
  aliasOf?: string;
  /** The node that produced it (index into nodes). */
  producer?: number;
  /** Nodes that read it. */
  readonly consumers: number[];
}

export type OnnxAttrValue = number | string | number[] | string[] | onnx.ITensorProto | undefined;
/** A literal default's type widened (`attr(n, 'axis', 1)` is a number). */
export type Widen<T> = T extends number ? number : T extends string ? string : T;

export interface OnnxNode {
  readonly index: number;
  /** The node's name, or `#index` when the file gives none. */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, OnnxAttrValue>;
  /** Scope path from the name (`/layer1/layer1.0/conv1/Conv` → layer1, layer1.0, conv1). */
  readonly scope: readonly string[];
  /** The node's doc_string (`dlm export` writes the layer call there). */
  readonly doc?: string;
  /** Parameter elements read from initializers (trainable and buffers). */
  params: number;
  trainable: number;
  buffers: number;
  macs: Dim;
  /** The catalog layer this node is, when it is one. */
  layer?: LayerMapping;
  /** True when no shape rule knows the operator. */
  opaque?: boolean;
}

export interface OnnxGraph {
  readonly file: string;
  readonly name: string;
  readonly producer: string;
  readonly opset: number;
  readonly irVersion: number;
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly nodes: readonly OnnxNode[];
  readonly values: ReadonlyMap<string, OnnxValue>;
  /** Initializer tensors by name (their data is decoded on demand by initializers.ts). */
  readonly initializers: ReadonlyMap<string, onnx.ITensorProto>;
  readonly diagnostics: readonly OnnxDiagnostic[];
  readonly totals: { readonly trainable: number; readonly buffers: number; readonly macs: Dim };
}

const DT = onnx.TensorProto.DataType;
const num = (v: unknown): number =>
  typeof v === 'number'
    ? v
    : typeof v === 'object' && v !== null && 'toNumber' in v
      ? (v as { toNumber(): number }).toNumber()
      : Number(v);

export function elemOf(dataType: number | null | undefined): ElemType {
  switch (dataType) {
    case DT.FLOAT:
    case DT.DOUBLE:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return 'float';
    case DT.INT64:
    case DT.INT32:
    case DT.INT16:
    case DT.INT8:
    case DT.UINT8:
    case DT.UINT16:
    case DT.UINT32:
    case DT.UINT64:
      return 'int';
    case DT.BOOL:
      return 'bool';
    default:
      return 'other';
  }
}

/** A dim_param as a .dlm symbol: an identifier (`batch_size` stays, `N?` becomes `N_`). */
export function symbolName(p: string): string {
  const s = p.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `d_${s}`;
}

function shapeOfType(t: onnx.ITypeProto | null | undefined): Shape | undefined {
  const dims = t?.tensorType?.shape?.dim;
  if (!t?.tensorType?.shape || !dims) return undefined;
  const out: Dim[] = [];
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k]!;
    if (d.dimParam) out.push(Dim.sym(symbolName(d.dimParam)));
    else if (d.dimValue !== null && d.dimValue !== undefined && num(d.dimValue) > 0)
      out.push(Dim.const(num(d.dimValue)));
    else out.push(Dim.sym(`unk${k}`));
  }
  return out;
}

function attrValue(a: onnx.IAttributeProto): OnnxAttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return num(a.i);
    case T.FLOAT:
      return a.f ?? 0;
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.INTS:
      return (a.ints ?? []).map(num);
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.STRINGS:
      return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case T.TENSOR:
      return a.t ?? undefined;
    default:
      return undefined;
  }
}

/** `/layer1/layer1.0/conv1/Conv` → ['layer1', 'layer1.0', 'conv1']. */
export function scopeOf(name: string): string[] {
  if (!name.startsWith('/')) return [];
  const parts = name.split('/').filter((p) => p !== '');
  return parts.slice(0, -1);
}

const SMALL = 64;

/** Values of a small tensor proto (ints as numbers, floats as numbers). */
function smallValues(t: onnx.ITensorProto): { ints?: number[]; floats?: number[] } | undefined {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.length > 1 || count > SMALL) return undefined;
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const out: number[] = [];
  switch (t.dataType) {
    case DT.INT64:
      for (let i = 0; i < count; i++)
        out.push(view ? Number(view.getBigInt64(i * 8, true)) : num(t.int64Data?.[i]));
      return { ints: out };
    case DT.INT32:
      for (let i = 0; i < count; i++)
        out.push(view ? view.getInt32(i * 4, true) : (t.int32Data?.[i] ?? 0));
      return { ints: out };
    case DT.FLOAT:
      for (let i = 0; i < count; i++)
        out.push(view ? view.getFloat32(i * 4, true) : (t.floatData?.[i] ?? 0));
      return { floats: out };
    case DT.DOUBLE:
      for (let i = 0; i < count; i++)
        out.push(view ? view.getFloat64(i * 8, true) : (t.doubleData?.[i] ?? 0));
      return { floats: out };
    default:
      return undefined;
  }
}

/** A shape-inference failure inside one node's rule: becomes a DLM223 diagnostic. */
export class OnnxShapeError extends Error {}

const fail = (msg: string): never => {
  throw new OnnxShapeError(msg);
};

/** Numpy-style broadcasting of two shapes. */
export function broadcast(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i];
    const y = b[b.length - n + i];
    if (!x) out.push(y!);
    else if (!y) out.push(x);
    else if (x.value === 1) out.push(y);
    else if (y.value === 1 || x.equals(y)) out.push(x);
    else if (x.isConst() && y.isConst())
      fail(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    else out.push(x);
  }
  return out;
}

const ELEMENTWISE_UNARY = new Set([
  'Relu',
  'Sigmoid',
  'Tanh',
  'Erf',
  'Sqrt',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Clip',
  'LeakyRelu',
  'Elu',
  'Selu',
  'Softmax',
  'LogSoftmax',
  'HardSigmoid',
  'HardSwish',
  'Softplus',
  'Softsign',
  'Not',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sin',
  'Cos',
  'Identity',
  'Dropout',
  'Cast',
  'Mish',
  'Gelu',
  'Celu',
  'ThresholdedRelu',
  'IsNaN',
  'Sign',
]);
const ELEMENTWISE_BINARY = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Max',
  'Min',
  'Mod',
  'PRelu',
  'Sum',
  'Mean',
  'Where',
]);
const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL2',
  'ReduceL1',
  'ReduceLogSumExp',
  'ReduceSumSquare',
  'ArgMax',
  'ArgMin',
]);
const CONTROL_FLOW = new Set(['Loop', 'If', 'Scan', 'SequenceMap']);

/** Operators with a shape rule here or a catalog layer (for docs and tests). */
export const KNOWN_OPS: ReadonlySet<string> = new Set([
  ...ELEMENTWISE_UNARY,
  ...ELEMENTWISE_BINARY,
  ...REDUCE,
  'Constant',
  'ConstantOfShape',
  'Shape',
  'Size',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Transpose',
  'Reshape',
  'Flatten',
  'Slice',
  'Expand',
  'MatMul',
  'Gemm',
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'LSTM',
  'GRU',
  'RNN',
  'Split',
  'Range',
  'Tile',
  'Einsum',
]);

interface RuleCtx {
  readonly node: OnnxNode;
  readonly inputs: readonly (OnnxValue | undefined)[];
  readonly opset: number;
  attr<T extends OnnxAttrValue>(name: string, dflt: T): Widen<T>;
  /** An input's shape; throws when unknown. */
  shape(i: number): Shape;
  /** An input's integer values (const or symbolic), when known. */
  ints(i: number): Dim[] | undefined;
}

interface RuleResult {
  readonly shapes: (Shape | undefined)[];
  readonly data?: (Dim[] | undefined)[];
  readonly macs?: Dim;
}

const ZERO = Dim.const(0);

function reduceShape(x: Shape, axes: number[] | undefined, keep: boolean): Shape {
  const set = new Set(
    (axes ?? x.map((_, i) => i)).map(
      (a) => normAxis(a, x.length) ?? fail(`axis ${a} is out of range for rank ${x.length}`),
    ),
  );
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(Dim.const(1));
  });
  return out;
}

const constInts = (ds: Dim[] | undefined, what: string): number[] =>
  (ds ?? fail(`${what} is not a constant`)).map(
    (d) => d.value ?? fail(`${what} is not a constant`),
  );

/** ONNX's shape rules for operators that are not a catalog layer (or whose mapping failed). */
function onnxRule(op: string, c: RuleCtx): RuleResult {
  if (ELEMENTWISE_UNARY.has(op)) {
    const data = op === 'Cast' || op === 'Identity' ? c.inputs[0]?.data : undefined;
    if (op === 'Dropout') return { shapes: [c.shape(0), c.shape(0)] };
    return { shapes: [c.shape(0)], data: [data] };
  }
  if (ELEMENTWISE_BINARY.has(op)) {
    const n = c.inputs.length;
    let s = c.shape(0);
    for (let i = 1; i < n; i++) if (c.inputs[i]) s = broadcast(s, c.shape(i));
    // Shape arithmetic on small int tensors (Mul/Div/Add/Sub of dims).
    let data: Dim[] | undefined;
    const a = c.ints(0);
    const b = c.ints(1);
    if (a && b && n === 2 && ['Add', 'Sub', 'Mul', 'Div'].includes(op)) {
      const len = Math.max(a.length, b.length);
      if ((a.length === len || a.length === 1) && (b.length === len || b.length === 1)) {
        data = Array.from({ length: len }, (_, i) => {
          const x = a[a.length === 1 ? 0 : i]!;
          const y = b[b.length === 1 ? 0 : i]!;
          if (op === 'Add') return x.add(y);
          if (op === 'Sub') return x.sub(y);
          if (op === 'Mul') return x.mul(y);
          return y.value !== undefined && y.value > 0 ? x.floorDiv(y.value) : Dim.sym('unk');
        });
      }
    }
    return { shapes: [s], data: [data] };
  }
  if (REDUCE.has(op)) {
    const keep = c.attr('keepdims', 1) !== 0;
    const x = c.shape(0);
    let axes: number[] | undefined;
    if (op === 'ArgMax' || op === 'ArgMin') axes = [c.attr('axis', 0)];
    else if (c.inputs[1]) axes = constInts(c.ints(1), 'the axes input');
    else {
      const a = c.attr<number[] | undefined>('axes', undefined);
      axes = a && a.length ? a : undefined;
    }
    return { shapes: [reduceShape(x, axes, keep)] };
  }
  switch (op) {
    case 'Constant': {
      const t = c.attr<OnnxAttrValue>('value', undefined);
      if (t && typeof t === 'object' && !Array.isArray(t)) {
        const dims = (t.dims ?? []).map(num);
        const v = smallValues(t);
        return {
          shapes: [dims.map((d) => Dim.const(d))],
          data: [v?.ints?.map((x) => Dim.const(x))],
        };
      }
      const ints = c.attr<OnnxAttrValue>('value_ints', undefined);
      if (Array.isArray(ints))
        return {
          shapes: [[Dim.const(ints.length)]],
          data: [(ints as number[]).map((x) => Dim.const(x))],
        };
      const i = c.attr<OnnxAttrValue>('value_int', undefined);
      if (typeof i === 'number') return { shapes: [[]], data: [[Dim.const(i)]] };
      return { shapes: [[]] };
    }
    case 'Shape': {
      const x = c.shape(0);
      const start = normClamp(c.attr('start', 0), x.length);
      const end = normClamp(c.attr('end', x.length), x.length);
      const d = x.slice(start, end);
      return { shapes: [[Dim.const(d.length)]], data: [d] };
    }
    case 'Size':
      return { shapes: [[]], data: [[numel(c.shape(0))]] };
    case 'ConstantOfShape': {
      const s = c.ints(0) ?? fail('its shape input is not known');
      return { shapes: [s] };
    }
    case 'Gather': {
      const x = c.shape(0);
      const idx = c.shape(1);
      const axis = normAxis(c.attr('axis', 0), x.length) ?? fail('axis out of range');
      let data: Dim[] | undefined;
      const xd = c.ints(0);
      const id = c.ints(1);
      if (xd && id && x.length === 1)
        data = id.map((i) => {
          const k = i.value ?? fail('index is not a constant');
          return xd[k < 0 ? k + xd.length : k] ?? fail(`index ${k} out of range`);
        });
      return { shapes: [[...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]], data: [data] };
    }
    case 'Unsqueeze': {
      const x = c.shape(0);
      const axes =
        c.opset >= 13 ? constInts(c.ints(1), 'the axes input') : c.attr<number[]>('axes', []);
      const r = x.length + axes.length;
      const set = new Set(axes.map((a) => (a < 0 ? a + r : a)));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) out.push(set.has(i) ? Dim.const(1) : x[j++]!);
      return { shapes: [out], data: [c.inputs[0]?.data] };
    }
    case 'Squeeze': {
      const x = c.shape(0);
      const axes =
        c.opset >= 13
          ? c.inputs[1]
            ? constInts(c.ints(1), 'the axes input')
            : undefined
          : c.attr<number[] | undefined>('axes', undefined);
      const set = new Set(
        (axes ?? x.flatMap((d, i) => (d.value === 1 ? [i] : []))).map((a) =>
          a < 0 ? a + x.length : a,
        ),
      );
      for (const a of set)
        if (x[a] && x[a]!.value !== undefined && x[a]!.value !== 1)
          fail(`axis ${a} of ${formatShape(x)} has size ${x[a]!.value}, not 1`);
      return { shapes: [x.filter((_, i) => !set.has(i))], data: [c.inputs[0]?.data] };
    }
    case 'Concat': {
      const shapes = c.inputs.map((_, i) => c.shape(i));
      const r = shapes[0]!.length;
      const axis = normAxis(c.attr('axis', 0), r) ?? fail('axis out of range');
      const out = [...shapes[0]!];
      for (const s of shapes.slice(1)) {
        if (s.length !== r) fail(`inputs of rank ${r} and ${s.length}`);
        s.forEach((d, i) => {
          if (i === axis) out[i] = out[i]!.add(d);
          else if (out[i]!.isConst() && d.isConst() && !out[i]!.equals(d))
            fail(`inputs ${formatShape(shapes[0]!)} and ${formatShape(s)} differ on axis ${i}`);
        });
      }
      const ds = c.inputs.map((v) => v?.data);
      return {
        shapes: [out],
        data: [r === 1 && ds.every((d) => d) ? ds.flatMap((d) => d!) : undefined],
      };
    }
    case 'Transpose': {
      const x = c.shape(0);
      const perm = c.attr<number[]>(
        'perm',
        x.map((_, i) => x.length - 1 - i),
      );
      if (perm.length !== x.length) fail(`perm has ${perm.length} entries for rank ${x.length}`);
      return { shapes: [perm.map((p) => x[p] ?? fail(`perm entry ${p} out of range`))] };
    }
    case 'Reshape': {
      const x = c.shape(0);
      const target = c.ints(1) ?? fail('its shape input is not known');
      const allowZero = c.attr('allowzero', 0) === 1;
      const out: (Dim | undefined)[] = target.map((d, i) =>
        d.value === 0 && !allowZero
          ? (x[i] ?? fail('0 copies a missing axis'))
          : d.value === -1
            ? undefined
            : d,
      );
      const total = numel(x);
      const hole = out.indexOf(undefined);
      if (hole >= 0) {
        const known = out
          .filter((d): d is Dim => d !== undefined)
          .reduce((a, b) => a.mul(b), Dim.const(1));
        out[hole] =
          divideDims(total, known) ??
          fail(`cannot infer -1: ${formatShape(x)} into ${target.map(String).join(', ')}`);
      } else {
        const count = numel(out as Dim[]);
        if (count.isConst() && total.isConst() && !count.equals(total))
          fail(
            `${formatShape(x)} (${total.toString()} elements) cannot become [${out.map(String).join(', ')}]`,
          );
      }
      return { shapes: [out as Dim[]], data: [c.inputs[0]?.data] };
    }
    case 'Flatten': {
      const x = c.shape(0);
      const axis = normAxis(c.attr('axis', 1), x.length + 1) ?? fail('axis out of range');
      return { shapes: [[numel(x.slice(0, axis)), numel(x.slice(axis))]] };
    }
    case 'Slice': {
      const x = c.shape(0);
      const starts = constInts(c.ints(1), 'starts');
      const ends = constInts(c.ints(2), 'ends');
      const axes = c.inputs[3] ? constInts(c.ints(3), 'axes') : starts.map((_, i) => i);
      const steps = c.inputs[4] ? constInts(c.ints(4), 'steps') : starts.map(() => 1);
      const out = [...x];
      const xd = c.inputs[0]?.data;
      let data: Dim[] | undefined;
      axes.forEach((a0, k) => {
        const a = normAxis(a0, x.length) ?? fail(`axis ${a0} out of range`);
        const n = x[a]!.value;
        const step = steps[k]!;
        if (n === undefined) {
          if (starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && step === 1) return;
          out[a] = Dim.sym(`unk_slice${a}`);
          return;
        }
        const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
        const s = clamp(
          starts[k]! < 0 ? starts[k]! + n : starts[k]!,
          step > 0 ? 0 : -1,
          step > 0 ? n : n - 1,
        );
        const e = clamp(
          ends[k]! < 0 ? ends[k]! + n : ends[k]!,
          step > 0 ? 0 : -1,
          step > 0 ? n : n - 1,
        );
        const len = Math.max(0, Math.ceil((e - s) / step));
        out[a] = Dim.const(len);
        if (xd && x.length === 1) data = Array.from({ length: len }, (_, i) => xd[s + i * step]!);
      });
      return { shapes: [out], data: [data] };
    }
    case 'Expand': {
      const target = c.ints(1) ?? fail('its shape input is not known');
      return { shapes: [broadcast(c.shape(0), target)] };
    }
    case 'Tile': {
      const x = c.shape(0);
      const reps = c.ints(1) ?? fail('its repeats input is not known');
      return { shapes: [x.map((d, i) => d.mul(reps[i] ?? Dim.const(1)))] };
    }
    case 'Range':
      return { shapes: [[Dim.sym('unk_range')]] };
    case 'Split': {
      const x = c.shape(0);
      const axis = normAxis(c.attr('axis', 0), x.length) ?? fail('axis out of range');
      const n = c.node.outputs.length;
      const sizes = c.inputs[1]
        ? constInts(c.ints(1), 'split')
        : (c.attr<number[] | undefined>('split', undefined) ??
          Array.from(
            { length: n },
            () => (x[axis]!.value ?? fail('the split axis is symbolic')) / n,
          ));
      return { shapes: sizes.map((s) => x.map((d, i) => (i === axis ? Dim.const(s) : d))) };
    }
    case 'MatMul': {
      const a = c.shape(0);
      const b = c.shape(1);
      if (a.length < 1 || b.length < 1) fail('MatMul of a scalar');
      const a2 = a.length === 1 ? [Dim.const(1), a[0]!] : a;
      const b2 = b.length === 1 ? [b[0]!, Dim.const(1)] : b;
      const k1 = a2[a2.length - 1]!;
      const k2 = b2[b2.length - 2]!;
      if (k1.isConst() && k2.isConst() && !k1.equals(k2))
        fail(`inner dims differ: ${formatShape(a)} × ${formatShape(b)}`);
      const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
      const m = a2[a2.length - 2]!;
      const n = b2[b2.length - 1]!;
      const out = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
      const macs = [...batch, m, k1, n].reduce((x, y) => x.mul(y), Dim.const(1));
      return { shapes: [out], macs };
    }
    case 'Gemm': {
      const a = c.shape(0);
      const b = c.shape(1);
      const [m, k] = c.attr('transA', 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const n = c.attr('transB', 0) ? b[0]! : b[1]!;
      return { shapes: [[m, n]], macs: m.mul(k).mul(n) };
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const x = c.shape(0);
      return { shapes: [[x[0]!, x[1]!, ...x.slice(2).map(() => Dim.const(1))]] };
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const x = c.shape(0);
      const h = c.attr('hidden_size', 0);
      const dirs = c.attr('direction', 'forward') === 'bidirectional' ? 2 : 1;
      const H = Dim.const(h);
      const D = Dim.const(dirs);
      const state = [D, x[1]!, H];
      return { shapes: [[x[0]!, D, x[1]!, H], state, state] };
    }
    case 'Einsum':
      return { shapes: [undefined] };
    default:
      return fail(`no shape rule for ${op}`);
  }
}

function normClamp(a: number, r: number): number {
  return Math.min(Math.max(a < 0 ? a + r : a, 0), r);
}

/** total / known when it divides evenly (constants, or a symbolic total with a constant factor). */
function divideDims(total: Dim, known: Dim): Dim | undefined {
  const k = known.value;
  if (k !== undefined && k > 0) {
    const t = total.value;
    if (t !== undefined) return t % k === 0 ? Dim.const(t / k) : undefined;
    return total.divisibleBy(k) ? total.floorDiv(k) : undefined;
  }
  if (total.equals(known)) return Dim.const(1);
  // One symbol: cancel it (B·512 / B = 512) when it is a factor of every term.
  const only = known.asSymbol();
  if (only !== undefined) {
    const rest = total.subst(new Map([[only, Dim.const(1)]]));
    return rest.mul(known).equals(total) ? rest : undefined;
  }
  // A symbolic product: cancel one symbol, then divide by the rest (B·T·8 / (B·T)).
  for (const s of known.symbols()) {
    const sym = Dim.sym(s);
    const rest = divideDims(known, sym);
    if (rest === undefined) continue;
    const env = new Map([[s, Dim.const(1)]]);
    if (total.subst(env).mul(sym).equals(total))
      return divideDims(total.subst(env), rest.subst(env));
  }
  return undefined;
}

export interface ReadOptions {
  /** The file name for messages. */
  readonly file?: string;
}

/** Decode and infer; throws OnnxReadError only when the bytes are not an ONNX model. */
export function readOnnxGraph(bytes: Uint8Array, opts: ReadOptions = {}): OnnxGraph {
  const file = opts.file ?? '<onnx>';
  if (bytes.length > MAX_ONNX_BYTES)
    throw new OnnxReadError(
      file,
      `the file is larger than ${MAX_ONNX_BYTES} bytes (docs/limits.md)`,
    );
  const model = decodeModel(bytes, file);
  return graphOf(model, file);
}

/** Infer shapes, params and MACs of a decoded model. */
/** The element count of a value with a known shape (0 where a dim is unknown). */
const elems = (v: OnnxValue): number => (v.shape ?? []).reduce((a, d) => a * (d.value ?? 0), 1);

export function graphOf(model: onnx.IModelProto, file = '<onnx>'): OnnxGraph {
  const g = model.graph!;
  const diagnostics: OnnxDiagnostic[] = [];
  const diag = (d: OnnxDiagnostic) => diagnostics.push(d);
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? num(opsetEntry.version) : 1;
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    diag({
      code: 'DLM221',
      severity: opset < MIN_OPSET ? 'error' : 'warning',
      message: `the model uses opset ${opset}; DLM Studio reads opsets ${MIN_OPSET} to ${MAX_OPSET}${opset > MAX_OPSET ? ' (operators changed after that are read by their opset-18 rules and may be misread)' : ''}`,
    });
  if ((g.node?.length ?? 0) > MAX_ONNX_NODES)
    throw new OnnxReadError(
      file,
      `the graph has ${g.node!.length} nodes, more than the cap of ${MAX_ONNX_NODES} (docs/limits.md)`,
    );

  const values = new Map<string, OnnxValue>();
  const initializers = new Map<string, onnx.ITensorProto>();
  const value = (name: string, init: Partial<OnnxValue> = {}): OnnxValue => {
    let v = values.get(name);
    if (!v) values.set(name, (v = { name, consumers: [], elem: 'float', ...init }));
    return v;
  };
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    initializers.set(name, t);
    const small = smallValues(t);
    value(name, {
      shape: (t.dims ?? []).map((d) => Dim.const(num(d))),
      elem: elemOf(t.dataType),
      initializer: true,
      data: small?.ints?.map((x) => Dim.const(x)),
      floats: small?.floats,
    });
    if (
      t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ||
      (t.externalData?.length ?? 0) > 0
    ) {
      const loc = t.externalData?.find((e) => e.key === 'location')?.value ?? '?';
      diag({
        code: 'DLM224',
        severity: 'warning',
        message: `initializer '${name}' is stored in the external file '${loc}', which is not read: shapes and counts are complete, but its weights are not available (converting to .dlm needs them inside the .onnx file)`,
      });
    }
  }
  const declared = new Map<string, Shape>();
  for (const vi of [...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const s = shapeOfType(vi.type);
    if (s && vi.name) declared.set(vi.name, s);
  }
  const inputs: OnnxValue[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) continue; // IR < 4: initializers listed as inputs
    const v = value(name, {
      shape: shapeOfType(vi.type),
      elem: elemOf(vi.type?.tensorType?.elemType),
    });
    inputs.push(v);
  }

  const nodes: OnnxNode[] = [];
  // `dlm export` writes each node's layer call as its doc_string (docLayerOf).
  const fromDlm = model.producerName === 'dlm-studio';
  const protoNodes = g.node ?? [];
  for (let index = 0; index < protoNodes.length; index++) {
    const p = protoNodes[index]!;
    const attrs = new Map<string, OnnxAttrValue>();
    for (const a of p.attribute ?? []) attrs.set(a.name ?? '', attrValue(a));
    const name = p.name || `#${index}`;
    const node: OnnxNode = {
      index,
      name,
      opType: p.opType ?? '',
      domain: p.domain ?? '',
      inputs: p.input ?? [],
      outputs: p.output ?? [],
      attrs,
      scope: scopeOf(p.name ?? ''),
      ...(p.docString ? { doc: p.docString } : {}),
      params: 0,
      trainable: 0,
      buffers: 0,
      macs: ZERO,
    };
    nodes.push(node);
    const ins = node.inputs.map((n) => (n === '' ? undefined : values.get(n)));
    node.inputs.forEach((n, i) => {
      if (n === '') return;
      const v = ins[i] ?? value(n, {});
      v.consumers.push(index);
      if (!ins[i])
        diag({
          code: 'DLM223',
          severity: 'error',
          node: name,
          message: `node '${name}' (${node.opType}) reads '${n}', which no node, input or initializer produces before it (the graph is not in topological order, or the value is missing)`,
        });
    });
    const outs = node.outputs.map((n) => value(n, { producer: index }));
    outs.forEach((o) => (o.producer = index));
    if (node.opType === 'Identity' && ins[0]?.initializer) {
      // PyTorch writes a weight used by two modules once, and the second use as an Identity.
      const o = outs[0]!;
      Object.assign(o, { ...ins[0], name: o.name, consumers: o.consumers, producer: index });
      o.aliasOf = ins[0].aliasOf ?? node.inputs[0];
      continue;
    }
    // Parameters: the float initializers a node reads; single numbers (Clip bounds, the scale of
    // attention scores) are constants, not weights.
    const paramIns = ins.filter((v) => v?.initializer && v.elem === 'float' && elems(v) > 1);

    let result: RuleResult | undefined;
    if (CONTROL_FLOW.has(node.opType)) {
      diag({
        code: 'DLM225',
        severity: 'error',
        node: name,
        message: `node '${name}' is control flow (${node.opType}), which DLM Studio does not read: its subgraph is data-dependent. Its outputs are unknown; export the model with the loop unrolled or the branch fixed (e.g. torch.onnx.export without scripting)`,
      });
      node.opaque = true;
    } else if (
      node.domain === FUNCTION_DOMAIN &&
      ins.every((v, i) => node.inputs[i] === '' || v?.shape) &&
      (node.layer = functionLayerOf(node, ins))
    ) {
      // A multi-operator layer that `dlm export` wrote as a model-local function.
      const m = node.layer;
      result = { shapes: [...(m.outputs ?? [m.output])], macs: m.macs };
    } else if (node.domain !== '' && node.domain !== 'ai.onnx') {
      node.opaque = true;
      diag({
        code: 'DLM222',
        severity: 'warning',
        node: name,
        message: `node '${name}' is the operator ${node.opType} of domain '${node.domain}', which DLM Studio does not know: it is shown as an opaque node${node.outputs.every((o) => declared.has(o)) ? ' with the shapes the file declares' : ' and what follows it has no shapes'}`,
      });
    } else if (!KNOWN_OPS.has(node.opType)) {
      node.opaque = true;
      diag({
        code: 'DLM222',
        severity: 'warning',
        node: name,
        message: `node '${name}' is the operator ${node.opType}, which DLM Studio has no shape rule for: it is shown as an opaque node${node.outputs.every((o) => declared.has(o)) ? ' with the shapes the file declares' : ' and what follows it has no shapes'}`,
      });
    } else if (ins.every((v, i) => node.inputs[i] === '' || v?.shape)) {
      const ctx: RuleCtx = {
        node,
        inputs: ins,
        opset,
        attr: <T extends OnnxAttrValue>(n: string, d: T) =>
          (attrs.has(n) ? attrs.get(n) : d) as Widen<T>,
        shape: (i) => ins[i]?.shape ?? fail(`input ${i} has no known shape`),
        ints: (i) => ins[i]?.data,
      };
      try {
        const mapping = layerOf(node, ins, opset);
        if (mapping) {
          node.layer = mapping;
          const onnxShapes =
            node.outputs.length > 1 ? onnxRule(node.opType, ctx).shapes : [mapping.output];
          result = {
            shapes: onnxShapes.map((s, i) => (i === 0 ? mapping.output : s)),
            macs: mapping.macs,
          };
        } else result = onnxRule(node.opType, ctx);
        const doc = fromDlm ? docLayerOf(node, ins, node.layer, result.shapes[0]) : undefined;
        if (doc) {
          node.layer = doc;
          result = { shapes: [doc.output, ...result.shapes.slice(1)], macs: doc.macs };
        }
      } catch (e) {
        if (!(e instanceof OnnxShapeError)) throw e;
        diag({
          code: 'DLM223',
          severity: 'error',
          node: name,
          message: `node '${name}' (${node.opType}): ${e.message}`,
        });
      }
    }
    if (node.layer) {
      node.trainable = node.layer.trainable;
      node.buffers = node.layer.buffers;
    } else {
      node.trainable = paramIns.reduce((a, v) => a + elems(v!), 0);
    }
    node.params = node.trainable + node.buffers;
    node.macs = result?.macs ?? ZERO;
    outs.forEach((o, i) => {
      const inferred = result?.shapes[i];
      const decl = declared.get(o.name);
      if (inferred && decl && !shapeEquals(inferred, decl) && !compatible(inferred, decl))
        diag({
          code: 'DLM223',
          severity: 'error',
          node: name,
          message: `node '${name}' (${node.opType}) computes ${formatShape(inferred)} for '${o.name}', but the file declares ${formatShape(decl)}`,
        });
      o.shape = inferred ?? decl;
      o.elem = outElem(node.opType, ins, attrs, o.elem);
      const d = result?.data?.[i];
      if (d) o.data = d;
      if (node.opType === 'Constant') {
        const t = attrs.get('value');
        const f = attrs.get('value_float');
        if (t && typeof t === 'object' && !Array.isArray(t)) o.floats = smallValues(t)?.floats;
        else if (typeof f === 'number') o.floats = [f];
      }
    });
  }
  const outputs = (g.output ?? []).map((vi) => value(vi.name ?? ''));
  let trainable = 0;
  let buffers = 0;
  let macs = ZERO;
  // An initializer read by several nodes (a shared layer, a tied output layer) is one tensor:
  // each node shows it, the totals count it once.
  const counted = new Set<string>();
  for (const n of nodes) {
    let again = 0;
    for (const name of new Set(n.inputs)) {
      const v = values.get(name);
      if (!v?.initializer || v.elem !== 'float' || elems(v) <= 1) continue;
      if (counted.has(name)) again += elems(v);
      else counted.add(name);
    }
    trainable += Math.max(0, n.trainable - again);
    buffers += n.buffers;
    macs = macs.add(n.macs);
  }
  // Initializers no node reads are not counted (ONNX checkers warn about them; so do we).
  return {
    file,
    name: g.name ?? '',
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opset,
    irVersion: num(model.irVersion ?? 0),
    inputs,
    outputs,
    nodes,
    values,
    initializers,
    diagnostics,
    totals: { trainable, buffers, macs },
  };
}

/** A declared dim that is a symbol the file made up (`unk…`, a dim_param) matches anything. */
function compatible(a: Shape, b: Shape): boolean {
  return (
    a.length === b.length && a.every((d, i) => d.equals(b[i]!) || !d.isConst() || !b[i]!.isConst())
  );
}

function outElem(
  op: string,
  ins: readonly (OnnxValue | undefined)[],
  attrs: ReadonlyMap<string, OnnxAttrValue>,
  dflt: ElemType,
): ElemType {
  if (op === 'Shape' || op === 'Size' || op === 'ArgMax' || op === 'ArgMin') return 'int';
  if (['Equal', 'Less', 'Greater', 'Not', 'And', 'Or', 'IsNaN'].includes(op)) return 'bool';
  if (op === 'Cast') return elemOf(attrs.get('to') as number);
  if (op === 'Gather') return ins[0]?.elem ?? dflt;
  if (op === 'ConstantOfShape') {
    const t = attrs.get('value') as onnx.ITensorProto | undefined;
    return t ? elemOf(t.dataType) : 'float';
  }
  if (op === 'Constant') {
    const t = attrs.get('value');
    if (t && typeof t === 'object' && !Array.isArray(t))
      return elemOf((t as onnx.ITensorProto).dataType);
    return attrs.has('value_int') || attrs.has('value_ints') ? 'int' : 'float';
  }
  return ins.find((v) => v)?.elem ?? dflt;
}
