/**
 * The contract every primitive fulfils, and the abstract builder that VJP rules (and layer
 * lowerings) write against.
 *
 * A primitive is defined once, in one file under `src/primitives/`, as a {@link PrimitiveDef}:
 * its shape rule (`infer`), its reverse-mode derivative (`vjp`, written by calling other
 * primitives through a {@link Builder}) and its ONNX emission (`emit`, opset 17). This mirrors
 * JAX's `lax`: layers and losses are compositions of primitives and never need their own
 * derivative.
 *
 * The concrete graph lives in `src/compiler/ir.ts`; this module only fixes the interface, so that
 * the dependency direction stays `primitives ← layers ← compiler`.
 */
import type { onnx } from 'onnx-proto';

/** Element types the IR knows. Training graphs use float32; tests also use float64. */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/**
 * The name of every primitive, so that a typo in `b.op('mull', …)` or a definition fails to
 * compile (like JAX's `add_p`). Adding a primitive adds its name here; a test checks that the list
 * equals the registry.
 */
export const PRIM_NAMES = [
  'abs',
  'add',
  'avg_pool',
  'cast',
  'concat',
  'constant',
  'conv',
  'conv_transpose',
  'div',
  'elu',
  'equal',
  'erf',
  'exp',
  'expand',
  'gather',
  'gather_elements',
  'gather_nd',
  'gelu',
  'gemm',
  'greater',
  'identity',
  'leaky_relu',
  'log',
  'log_softmax',
  'lstm_recurrence',
  'matmul',
  'max_pool',
  'maximum',
  'minimum',
  'mul',
  'neg',
  'one_hot',
  'pad',
  'pow_const',
  'reduce_max',
  'reduce_mean',
  'reduce_sum',
  'reduce_sum_square',
  'relu',
  'reshape',
  'scatter_add',
  'scatter_nd_add',
  'sigmoid',
  'sign',
  'slice',
  'softmax',
  'softplus',
  'split',
  'sqrt',
  'sub',
  'tanh',
  'transpose',
  'where',
] as const;
export type PrimName = (typeof PRIM_NAMES)[number];

/** The static type of a value: a concrete shape and an element type. */
export interface TensorType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** An SSA value of a graph. `id` is unique within its graph. */
export interface Value extends TensorType {
  readonly id: number;
}

/** Attribute values. Shapes, axes, pads… are integer arrays; constant payloads are number arrays. */
export type PrimAttrValue = number | string | boolean | readonly number[];
export type PrimAttrs = Readonly<Record<string, PrimAttrValue>>;

/** What VJP rules and lowerings build with. Implemented by `Graph` in `src/compiler/ir.ts`. */
export interface Builder {
  /** Apply a single-output primitive; runs its shape rule. */
  op(prim: PrimName, inputs: readonly Value[], attrs?: PrimAttrs): Value;
  /** Apply a primitive with several outputs (e.g. max_pool → values, indices). */
  opMulti(prim: PrimName, inputs: readonly Value[], attrs?: PrimAttrs): Value[];
  /** A constant tensor; `data` is row-major and has `prod(shape)` elements. */
  constant(data: readonly number[], shape: readonly number[], dtype: DType): Value;
  /**
   * The node that computed `v`, when the builder records them (the compiler's Graph does).
   * Lowerings may use it for local algebraic rewrites, e.g. max-pool of relu = relu of max-pool.
   */
  producer?(v: Value): { readonly prim: PrimName; readonly inputs: readonly Value[] } | undefined;
}

/** Arguments of a VJP rule. */
export interface VjpArgs {
  readonly b: Builder;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: PrimAttrs;
  /** Cotangents of the outputs; `undefined` means zero (e.g. the unused indices of max_pool). */
  readonly cts: readonly (Value | undefined)[];
  /** Which inputs need a cotangent; rules should skip work for the others. */
  readonly needs: readonly boolean[];
}

/** What an emitter sees of one node. */
export interface EmitNode {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly inTypes: readonly TensorType[];
  readonly outTypes: readonly TensorType[];
  readonly attrs: PrimAttrs;
}

/** Services the ONNX exporter offers to emitters. */
export interface EmitContext {
  /** A fresh, unique tensor name. */
  fresh(hint: string): string;
  /** The name of an int64 constant (shared by value); rank 1 unless `shape` says otherwise. */
  int64(values: readonly number[], shape?: readonly number[]): string;
  /** The name of a floating-point constant of the given dtype. */
  float(values: readonly number[], shape: readonly number[], dtype: DType): string;
}

/** A declared attribute of a primitive (as in an ONNX operator schema): its default and meaning. */
export interface PrimitiveAttr {
  /** The value an omitted attribute takes; absent when the attribute is required. */
  readonly default?: PrimAttrValue;
  readonly doc: string;
}

export type PrimitiveAttrs = Readonly<Record<string, PrimitiveAttr>>;

export interface PrimitiveDef {
  readonly name: PrimName;
  /** One line for docs and error messages. */
  readonly doc: string;
  /**
   * The attributes the primitive reads, with their defaults: rules, emitters, the ops builders
   * and the layers that expose the same setting read the default from here.
   */
  readonly attrs?: PrimitiveAttrs;
  /** Shape and dtype rule. Throws an `Error` with a readable message on invalid input. */
  infer(inputs: readonly TensorType[], attrs: PrimAttrs): TensorType[];
  /**
   * Reverse-mode rule: one cotangent per input (`undefined` for none / not needed). Absent for
   * primitives whose outputs are not differentiable (comparisons, one-hot, integer casts).
   */
  vjp?(args: VjpArgs): (Value | undefined)[];
  /** ONNX nodes (opset 17) computing the outputs named in `n.outputs`. */
  emit(ctx: EmitContext, n: EmitNode): onnx.INodeProto[];
}
