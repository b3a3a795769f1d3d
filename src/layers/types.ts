/**
 * The layer catalog contract. One LayerDef per layer, defined once: attributes (types, defaults,
 * docs), shape rule, parameters, MACs, receptive-field info and docs. Hover text, completion,
 * docs/layers.md and (later) the lowering to primitives are all derived from it.
 */
import { Dim, quoteText, type Shape } from '../core';
import type { Code } from '../core/codes';
import type { Builder, Value } from '../primitives/types';

/** A value after evaluation of an attribute expression. */
export type AttrValue = number | boolean | string | readonly AttrValue[];

/** An attribute value as written in source: `3`, `"same"`, `(3, 5)`. */
export function describeValue(v: AttrValue): string {
  if (typeof v === 'string') return quoteText(v);
  if (Array.isArray(v)) return `(${v.map(describeValue).join(', ')})`;
  return String(v);
}

export type AttrType =
  | { readonly kind: 'int'; readonly min?: number }
  | {
      readonly kind: 'float';
      readonly min?: number;
      readonly max?: number;
      readonly maxExclusive?: boolean;
    }
  | { readonly kind: 'bool' }
  /** Any compile-time value: an untyped block parameter (blocks bind through the same path). */
  | { readonly kind: 'any' }
  | { readonly kind: 'string'; readonly values?: readonly string[] }
  /** An int or a tuple of ints (kernel=3 or kernel=(3, 5)); expanded to `rank` entries. */
  | { readonly kind: 'ints'; readonly min?: number }
  /** A tuple of ints (may contain -1 for reshape), or a single int. */
  | { readonly kind: 'intList' }
  /** Conv-style padding: int, tuple of ints, "same" or "valid". */
  | { readonly kind: 'padding' };

export interface AttrSpec {
  readonly name: string;
  readonly type: AttrType;
  readonly doc: string;
  /** Default when omitted. Omitted with no default and not required: undefined (e.g. inferred `in`). */
  readonly default?: AttrValue;
  readonly required?: boolean;
  /** Text for a default computed from other attributes (pooling `stride` defaults to `kernel`). */
  readonly defaultDoc?: string;
}

/** Initializer of a parameter tensor (docs/conventions.md §7). */
export type InitSpec =
  | { readonly kind: 'kaiming_uniform'; readonly fanIn: number } // PyTorch default: U(±1/√fan_in)
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number } // e.g. PReLU slope 0.25
  | { readonly kind: 'sinusoidal' }; // fixed positional table

export interface ParamSpec {
  /** PyTorch-style name: weight, bias, weight_ih_l0, running_mean, ... */
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly init: InitSpec;
  /** How the size is computed, with numbers: `3·3·64·128`. */
  readonly formula?: string;
  /**
   * A row (index on the first axis) that starts at zero whatever `init` draws: Embedding's
   * `padding_idx`, as `nn.Embedding` zeroes it after its normal init.
   */
  readonly zeroRow?: number;
}

/** Per spatial axis, for receptive-field accounting (conv and pooling layers). */
export interface ReceptiveInfo {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
}

/**
 * What the backward pass needs from one forward pass of the layer: the tensors autograd saves
 * (PyTorch's `saved_tensors`, measured in test/fixtures/torch/memory.json). Whole input and
 * output values are named, so a value several layers keep counts once (a ReLU's output that the
 * next Dense also keeps); tensors the layer makes and keeps itself (dropout masks, normalization
 * statistics, attention probabilities, pooling indices, recurrent gates) are `extraBytes`.
 * Omitted: the layer keeps nothing (shape ops, Add, Concat, Upsample). docs/conventions.md §3.
 */
export interface SavedSpec {
  /** Inputs kept whole, by index. */
  readonly inputs?: readonly number[];
  /** True when the outputs are kept (ReLU, Sigmoid, Tanh, Softmax read their result). */
  readonly outputs?: boolean;
  /** Bytes of the layer's own kept tensors at float32 (int64 indices: 8 bytes an element). */
  readonly extraBytes?: Dim;
}

/** Keeps its (first) input: Dense, convolutions, most activations. */
export const KEEPS_INPUT: SavedSpec = { inputs: [0] };
/** Keeps its output: ReLU, Sigmoid, Tanh, Softmax, LogSoftmax. */
export const KEEPS_OUTPUT: SavedSpec = { outputs: true };

/** Bytes of `n` float32 elements. */
export function f32Bytes(n: Dim): Dim {
  return n.mul(4);
}

export interface LayerResult {
  readonly outputs: readonly Shape[];
  readonly params: readonly ParamSpec[];
  /** Multiply-accumulates of one forward pass, symbolic in unknown dims such as B. */
  readonly macs: Dim;
  /** What the backward pass keeps (training memory); omitted: nothing. */
  readonly saved?: SavedSpec;
  readonly receptive?: ReceptiveInfo;
  /** Extra lines for hover, e.g. the bias convention of recurrent layers. */
  readonly notes?: readonly string[];
}

/** A fix the checker can turn into a text edit: set (or insert) an attribute to a value. */
export interface AttrFix {
  readonly kind: 'setAttr';
  readonly attr: string;
  readonly value: string;
  readonly title: string;
}
/** A fix that inserts a layer stage before this one, e.g. `Flatten`. */
export interface InsertFix {
  readonly kind: 'insertBefore';
  readonly text: string;
  readonly title: string;
}
export type LayerFix = AttrFix | InsertFix;

export interface IssueOpts {
  /** Attribute the problem is about; the diagnostic points at it when written. */
  readonly attr?: string;
  /** Which input (for multi-input layers) the problem is about. */
  readonly input?: number;
  readonly fixes?: readonly LayerFix[];
}

/** Thrown by shape rules; the checker turns it into a diagnostic at the layer call. */
export class ShapeError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly opts: IssueOpts = {},
  ) {
    super(message);
  }
}

export interface LayerWarning {
  readonly code: Code;
  readonly message: string;
  readonly opts?: IssueOpts;
}

/** Resolved attribute values, already type-checked against the specs (defaults filled in). */
export interface Attrs {
  /** Returns the value or the default; undefined when omitted without default. */
  get(name: string): AttrValue | undefined;
  int(name: string): number;
  float(name: string): number;
  bool(name: string): boolean;
  str(name: string): string;
  /** An `ints` attribute expanded to n entries (3 → [3, 3]). */
  ints(name: string, n: number): number[];
  /** Whether the user wrote this attribute. */
  has(name: string): boolean;
}

export interface LayerCtx {
  readonly inputs: readonly Shape[];
  readonly attrs: Attrs;
  /**
   * The call as written, for messages: `Conv2d(8, 3, dilation=100)` (every argument in source
   * order, block parameters replaced by their values).
   */
  readonly call: string;
  /** Record a warning (e.g. floor truncation) without failing. */
  warn(code: Code, message: string, opts?: IssueOpts): void;
}

export type LayerCategory =
  | 'dense'
  | 'conv'
  | 'pool'
  | 'norm'
  | 'regularization'
  | 'recurrent'
  | 'attention'
  | 'embedding'
  | 'activation'
  | 'shape'
  | 'merge'
  /** Learned tensors declared with `param` (no input). */
  | 'tensor';

export interface LayerDef {
  readonly name: string;
  readonly category: LayerCategory;
  /** Markdown; must state conventions (bias count, padding rule) and the correct formulas. */
  readonly doc: string;
  /** One-line summary for completion lists. */
  readonly summary: string;
  readonly attrs: readonly AttrSpec[];
  /** Names of the attributes that may be given positionally, in order. */
  readonly positional: readonly string[];
  /** How many input tensors: exact number, or a range (Concat takes 2 or more). */
  readonly arity: { readonly min: number; readonly max: number };
  /**
   * Element types: `ids` takes integer ids (Embedding); `preserve` only moves elements, so the
   * output has the input's type (Flatten, Reshape, …). Omitted: float in, float out (integer
   * input is DLM110).
   */
  readonly dtype?: 'ids' | 'preserve';
  /**
   * Attention layers: an optional last input of rank 2 is a key-padding mask `[N, Tk]` (ids or
   * floats, nonzero at padded keys), exempt from the float-input check. The one rule that finds
   * it is `splitMask` in attention.ts, which the shape rules, the lowering, the elaborator and
   * the PyTorch export all call.
   */
  readonly masks?: boolean;
  /** Key attributes shown on graph nodes and in the summary (e.g. kernel, stride). */
  readonly display?: readonly string[];
  /** True for activations (used by lints such as "two linear layers in a row"). */
  readonly nonlinear?: boolean;
  /** Parameter count formula for docs and hover, e.g. `out·in + out`. */
  readonly paramFormula?: string;
  /** MAC formula for docs and hover, e.g. `N·in·out`. */
  readonly macsFormula?: string;
  /**
   * What the layer keeps for the backward pass, for docs and hover, e.g. `input` or
   * `input + 2·C (batch mean, inverse std)`; the numbers come from `LayerResult.saved`.
   */
  readonly savedFormula?: string;
  /** The shape rule plus accounting. Throws ShapeError for impossible inputs. */
  infer(ctx: LayerCtx): LayerResult;
  /**
   * The lowering to primitives (src/primitives), used by the compiler for the training, eval
   * and (as a fallback) export graphs. Returns one value per layer output. Gradients come from
   * the primitives' VJP rules, so a layer never writes its own derivative. Absent: the layer
   * cannot be trained yet (the compiler says so, naming the layer). Throw {@link LowerError}
   * for attribute combinations that cannot be lowered.
   */
  lower?(ctx: LowerCtx): Value[];
}

/**
 * What a lowering sees: the graph builder, concrete input values (shapes fully known: the batch
 * and sequence sizes are bound at compile time), resolved attributes, the layer's parameters by
 * their ParamSpec name, the mode, and the graph's sources of randomness and extra outputs.
 */
export interface LowerCtx {
  /** Build with `ops(ctx.b)` from src/primitives/ops.ts. */
  readonly b: Builder;
  readonly inputs: readonly Value[];
  readonly attrs: Attrs;
  /** Parameter values by ParamSpec name (`weight`, `bias_ih_l0`, `running_mean`, ...). */
  readonly params: Readonly<Record<string, Value>>;
  /** Training mode: batch statistics, dropout masks, sampling. Eval: running stats, identity. */
  readonly training: boolean;
  /**
   * A tensor of independent U[0, 1) samples. It becomes a named graph input that the engine
   * fills from the run's seeded RNG each step, so the graph itself stays deterministic and a
   * run is reproducible. `tag` makes the input name readable (`dropout`, `mask_l0`).
   */
  randomUniform(shape: readonly number[], tag?: string): Value;
  /** Like {@link randomUniform}, with N(0, 1) samples (VAE reparameterization ε). */
  randomNormal(shape: readonly number[], tag?: string): Value;
  /**
   * The new value of a non-trainable parameter (BatchNorm `running_mean`/`running_var`) after
   * this step; the trainer feeds it back as that parameter next step. Training mode only.
   */
  updateState(param: string, value: Value): void;
}

/** A layer configuration the compiler cannot lower (yet); the message names the layer. */
export class LowerError extends Error {}

// ---------------------------------------------------------------- helpers for layer files

export const ZERO = Dim.const(0);

/** `a·b·c` with thousands separators omitted, for formulas. */
export function dotJoin(xs: readonly (number | string)[]): string {
  return xs.join('·');
}

export function formatShapeInline(s: Shape): string {
  return `[${s.map((d) => d.toString()).join(', ')}]`;
}

/** Require a rank (or one of several ranks); throws DLM101 with a helpful message. */
export function requireRank(
  layer: string,
  s: Shape,
  ranks: readonly number[],
  what: string,
  fixes?: readonly LayerFix[],
): void {
  if (!ranks.includes(s.length)) {
    throw new ShapeError(
      'DLM101',
      `${layer} expects a rank-${ranks.join(' or ')} input ${what}, but received ${formatShapeInline(s)} (rank ${s.length})`,
      { fixes },
    );
  }
}

/** The concrete value of a dim, or a ShapeError naming what needed to be known. */
export function concrete(layer: string, d: Dim, what: string): number {
  const v = d.value;
  if (v === undefined)
    throw new ShapeError(
      'DLM100',
      `${layer} needs a known ${what}, but it is the symbolic dim ${d.toString()}; declare it as a number in the signature`,
    );
  return v;
}

/** A trainable (by default) parameter whose formula is the product of its shape. */
export function param(
  name: string,
  shape: readonly number[],
  init: InitSpec,
  trainable = true,
): ParamSpec {
  return { name, shape, trainable, init, formula: dotJoin(shape) };
}

/** Product of the dims of `s` on axes [from, to). */
export function dimProduct(s: Shape, from = 0, to = s.length): Dim {
  return s.slice(from, to).reduce((a, d) => a.mul(d), Dim.const(1));
}

/**
 * A size the layer infers from its input (input channels, `num_features`): when the attribute is
 * written and the input size is known, they must agree (DLM100, with a fix); the result must be
 * concrete.
 */
export function inferredSize(
  layer: string,
  attrs: Attrs,
  attr: string,
  actual: Dim,
  what: string,
  input: Shape,
): number {
  const given = attrs.has(attr) ? attrs.int(attr) : undefined;
  const v = actual.value;
  if (given !== undefined && v !== undefined && given !== v) {
    throw new ShapeError(
      'DLM100',
      `${layer}(${attr}=${given}) received ${formatShapeInline(input)}, which has ${v} ${what}, not ${given}`,
      { attr, fixes: [{ kind: 'setAttr', attr, value: String(v), title: `Set ${attr}=${v}` }] },
    );
  }
  return given ?? concrete(layer, actual, what);
}

/** `[N, ...]`-style layout text: the input description used in rank errors. */
export function layoutText(axes: readonly string[]): string {
  return `[${axes.join(', ')}]`;
}
