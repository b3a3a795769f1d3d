/**
 * The checked model: the single output of the checker that every consumer (language server,
 * graph view, CLI summary, compiler) reads. Nothing downstream re-parses text or re-derives shapes.
 */
import type { Diagnostic, Dim, Shape, Span } from '../core';
import type { LayerDef, ParamSpec, ReceptiveInfo, SavedSpec, AttrValue } from '../layers/types';
import type { SourceFile } from './ast';

export type ValueId = number;
export type NodeId = number;
export type GroupId = number;

/** One tensor edge. `shape` is undefined when an upstream error made it unknown. */
export interface ValueInfo {
  readonly id: ValueId;
  readonly shape: Shape | undefined;
  /** The node that produced it; undefined for model inputs. */
  readonly producer?: NodeId;
  /** The binding or input name, when the value was named. */
  readonly name?: string;
  readonly file: string;
  /** Where the value was produced (the stage, or the input declaration). */
  readonly span: Span;
  /**
   * Element type: `int` (ids: an input declared `x: int[B, T]`) or `float`. Undefined for a
   * model input declared without one: float, or ids when an Embedding reads it directly.
   */
  readonly dtype?: 'int' | 'float';
  /** For a model input declared with an element type: the span of `int`/`float`. */
  readonly dtypeSpan?: Span;
}

export interface LayerNode {
  readonly id: NodeId;
  /** The catalog layer. */
  readonly def: LayerDef;
  /** Display label with the key attributes, e.g. `Conv2d(64, k=3, s=2)`. */
  readonly label: string;
  readonly file: string;
  /** The whole stage (callee and arguments). */
  readonly span: Span;
  /** The callee identifier. */
  readonly nameSpan: Span;
  /** Resolved attribute values (defaults included). */
  readonly attrs: Readonly<Record<string, AttrValue | undefined>>;
  readonly inputs: readonly ValueId[];
  readonly outputs: readonly ValueId[];
  readonly params: readonly ParamSpec[];
  /** Set for tied layers: every use of one `layer` instance has the same key; counted once. */
  readonly sharedKey?: string;
  /** True on the second and later uses of a shared instance (its params are not counted again). */
  readonly sharedRepeat?: boolean;
  /**
   * Parameters this node takes from a shared layer instead of owning them (`Dense(V, tie=embed)`):
   * not counted again; their qualified name is the owner's.
   */
  readonly tied?: readonly TiedParam[];
  /**
   * For a learned tensor (`param cls = Parameter(...)`): its name. The tensor's qualified name is
   * the binding in its scope (`cls`, `block0.pos`), not `<layer><k>.<param>`.
   */
  readonly binding?: string;
  /** MACs of one forward pass, symbolic in unknown dims such as B. */
  readonly macs: Dim;
  /** What the backward pass keeps of this layer (src/language/memory.ts counts it). */
  readonly saved?: SavedSpec;
  readonly receptive?: ReceptiveInfo;
  /** Receptive field (per spatial axis) at this node's output, counted from the model input. */
  readonly rf?: { readonly size: readonly number[]; readonly jump: readonly number[] };
  readonly notes?: readonly string[];
  /** Innermost group (block instance or repeat) containing this node. */
  readonly group?: GroupId;
  /** True when the layer itself reported an error (the graph view highlights it). */
  readonly error?: string;
  /**
   * Inside a `frozen` part (stage, block use, shared layer or model): its parameters are not
   * trained and it runs in eval mode (BatchNorm on its running statistics, no dropout).
   */
  readonly frozen: boolean;
}

/** One tied parameter: `param` of this node is `ownerParam` of the shared layer `key`. */
export interface TiedParam {
  readonly param: string;
  /** The sharedKey of the owning `layer` instance (every node of it carries the key). */
  readonly key: string;
  readonly ownerParam: string;
  /** For display: `embed.weight` (the shared layer's binding and its parameter). */
  readonly owner: string;
}

export interface Group {
  readonly id: GroupId;
  readonly kind: 'block' | 'repeat';
  /** `BasicBlock(128, stride=2)` or `repeat 3`. */
  readonly label: string;
  /** For blocks: the block's name. */
  readonly name?: string;
  readonly parent?: GroupId;
  readonly file: string;
  /** The use site (stage) that created the group. */
  readonly span: Span;
  /** For repeats: which iteration (0-based) of the parent repeat this group is. */
  readonly index?: number;
}

export interface Totals {
  /** Parameters the optimizer updates (frozen parts excluded). */
  readonly trainable: number;
  /** Everything not trained: buffers (running statistics) and frozen parameters. */
  readonly nonTrainable: number;
  /** The part of `nonTrainable` that are parameters of frozen parts (the rest are buffers). */
  readonly frozen: number;
  /** Symbolic in B (and other unknown dims). */
  readonly macs: Dim;
}

export interface ModelIO {
  readonly name: string;
  readonly value: ValueId;
  readonly declared?: Shape;
  readonly span: Span;
}

export interface CheckedModel {
  readonly name: string;
  readonly file: string;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly doc?: string;
  readonly inputs: readonly ModelIO[];
  readonly outputs: readonly ModelIO[];
  readonly nodes: readonly LayerNode[];
  readonly values: readonly ValueInfo[];
  readonly groups: readonly Group[];
  readonly totals: Totals;
  /** Receptive field at the deepest conv/pool output, per spatial axis. */
  readonly receptiveField?: readonly number[];
  /** `weights from "file"` statements: initial values read from files (see WeightSource). */
  readonly weights?: readonly WeightSource[];
  /** True when the model has no error diagnostics. */
  readonly ok: boolean;
}

/** `weights from "path" { "from" -> "to" }`, as written (the path relative to the model's file). */
export interface WeightSource {
  /** Undefined when the path string is missing (a syntax error was reported). */
  readonly path?: string;
  /** The path string (or the keywords when it is missing): file diagnostics go here. */
  readonly span: Span;
  readonly stmtSpan: Span;
  readonly map: readonly {
    readonly from: string;
    readonly to?: string;
    readonly span: Span;
  }[];
}

/** A resolved call in the train section or a data declaration: name + attribute values. */
export interface ResolvedCall {
  readonly name: string;
  readonly args: Readonly<Record<string, AttrValue | undefined>>;
  readonly span: Span;
  /** Warmup's `after`: the schedule that follows the warm-up (the one call-valued argument). */
  readonly after?: ResolvedCall;
}

export interface CheckedTrain {
  readonly model: string;
  readonly file: string;
  readonly span: Span;
  readonly data?: ResolvedCall & { readonly declName?: string };
  readonly loss?: ResolvedCall;
  readonly optimizer: ResolvedCall;
  readonly epochs: number;
  readonly batch: number;
  readonly validation: number;
  readonly seed: number;
  readonly earlyStopping?: { readonly patience: number; readonly minDelta: number };
  readonly schedule?: ResolvedCall;
  readonly clip?: number;
  readonly l1: number;
  readonly l2: number;
  readonly metrics: readonly string[];
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** What the loss compares the output with: the dataset's labels, or the input (autoencoders). */
  readonly target: 'labels' | 'input';
}

/** Where each pipeline stage produced which shapes (for inlay hints; blocks may have several). */
export interface StageShape {
  readonly file: string;
  readonly span: Span;
  readonly shapes: readonly Shape[];
  /** How many times the stage was instantiated (blocks used more than once). */
  readonly count: number;
  /**
   * Every distinct set of output shapes across instantiations, in first-seen order, with how many
   * instantiations produced it. `shapes` is `variants[0].shapes`.
   */
  readonly variants: readonly { readonly shapes: readonly Shape[]; readonly count: number }[];
}

export interface CheckResult {
  /** The root file and every file it imports. */
  readonly files: ReadonlyMap<string, SourceFile>;
  readonly models: readonly CheckedModel[];
  readonly trains: readonly CheckedTrain[];
  readonly diagnostics: readonly Diagnostic[];
  readonly stageShapes: readonly StageShape[];
  /** Opaque state that lets the next check of the same file reuse unchanged models (checkText). */
  readonly reuse?: unknown;
}
