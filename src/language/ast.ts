/**
 * The .dlm syntax tree. Every node keeps its source span (offsets into the file text).
 * The parser never throws; missing pieces are represented by `Missing` nodes or undefined
 * optional fields, and the parse errors are reported separately.
 */
import type { Span } from '../core/range';

export interface Node {
  readonly span: Span;
}

export interface Ident extends Node {
  readonly kind: 'Ident';
  readonly name: string;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameExpr
  | TupleExpr
  | ListExpr
  | UnaryExpr
  | BinaryExpr
  | CallExpr
  | MissingExpr;

export interface NumberLit extends Node {
  readonly kind: 'Number';
  readonly value: number;
  /** True when written without '.', exponent or a float suffix, e.g. `64`, `1_000`. */
  readonly isInt: boolean;
  readonly text: string;
}
export interface StringLit extends Node {
  readonly kind: 'String';
  readonly value: string;
}
export interface BoolLit extends Node {
  readonly kind: 'Bool';
  readonly value: boolean;
}
export interface NameExpr extends Node {
  readonly kind: 'Name';
  readonly name: string;
}
/** `(a, b)`; a parenthesized single expression is not a tuple (it is the inner expression). */
export interface TupleExpr extends Node {
  readonly kind: 'Tuple';
  readonly items: readonly Expr[];
}
/** `[a, b]`: a list in settings (metrics = [accuracy]) or a shape in a signature. */
export interface ListExpr extends Node {
  readonly kind: 'List';
  readonly items: readonly Expr[];
}
export interface UnaryExpr extends Node {
  readonly kind: 'Unary';
  readonly op: '-' | '+' | 'not';
  readonly operand: Expr;
}
export type BinaryOp =
  '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';
export interface BinaryExpr extends Node {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly opSpan: Span;
  readonly left: Expr;
  readonly right: Expr;
}
/** `Name(args)`: a layer, block, dataset, loss, optimizer, or a function such as `ceil(H/2)`. */
export interface CallExpr extends Node {
  readonly kind: 'Call';
  readonly callee: Ident;
  readonly args: readonly Arg[];
  /** Span of the parenthesized argument list including the parentheses. */
  readonly argsSpan: Span;
}
export interface Arg extends Node {
  /** Present for keyword arguments `name=value`. */
  readonly name?: Ident;
  readonly value: Expr;
}
/** Placeholder for an expression the parser could not read. */
export interface MissingExpr extends Node {
  readonly kind: 'Missing';
}

// ---------------------------------------------------------------- pipelines

/**
 * `source |> stage |> stage`. The source is a tensor name, or a tuple of pipelines for
 * multi-input stages: `(h, skip) |> Add`. A parenthesized single pipeline is not a tuple:
 * `(x |> Tanh) |> Dense(3)` is the pipeline `x |> Tanh |> Dense(3)` (its span includes the
 * parentheses); `(x,) |> F` with a trailing comma is a one-item SourceTuple.
 */
export interface Pipeline extends Node {
  readonly kind: 'Pipeline';
  readonly source: PipelineSource;
  readonly stages: readonly Stage[];
}
export type PipelineSource = NameExpr | SourceTuple | MissingExpr;
export interface SourceTuple extends Node {
  readonly kind: 'SourceTuple';
  readonly items: readonly Pipeline[];
}

export type Stage = LayerStage | RepeatStage | GroupStage | MissingStage;
/** A layer/block use: `Dense(10)`, or a bare name such as `ReLU` or a shared layer `enc`. */
export interface LayerStage extends Node {
  readonly kind: 'Layer';
  /** The `frozen` keyword written before the stage (its weights are not trained). */
  readonly frozen?: Span;
  readonly callee: Ident;
  /** Undefined when written without parentheses. */
  readonly args?: readonly Arg[];
  readonly argsSpan?: Span;
}
/** `repeat 3 Stage`: applies the stage 3 times in sequence, each with its own weights. */
export interface RepeatStage extends Node {
  readonly kind: 'Repeat';
  /** `frozen repeat 3 …`: every copy is frozen. */
  readonly frozen?: Span;
  readonly count: Expr;
  readonly body: Stage;
}
/** `(Conv2d(64, 3) |> ReLU)`: a parenthesized sub-pipeline of stages, mainly for repeat. */
export interface GroupStage extends Node {
  readonly kind: 'Group';
  /** `frozen (Conv2d(8, 3) |> BatchNorm2d)`: every stage of the group is frozen. */
  readonly frozen?: Span;
  readonly stages: readonly Stage[];
}
export interface MissingStage extends Node {
  readonly kind: 'MissingStage';
}

// ---------------------------------------------------------------- statements

export type Stmt =
  | BindStmt
  | BindTupleStmt
  | LayerDeclStmt
  | ParamDeclStmt
  | IfStmt
  | ReturnStmt
  | ExprStmt
  | SettingStmt
  | WeightsStmt;

/** `name = pipeline` (rebinding a name shadows the earlier value). */
export interface BindStmt extends Node {
  readonly kind: 'Bind';
  readonly name: Ident;
  readonly value: Pipeline;
}
/**
 * `(out, h) = x |> GRU(64, return_state=true)`: one name per tensor the pipeline produces, in
 * order. Inner parentheses only group, as in PyTorch: `(out, (h, c))` names three tensors.
 */
export interface BindTupleStmt extends Node {
  readonly kind: 'BindTuple';
  /** The names, flattened in source order. */
  readonly names: readonly Ident[];
  /** The parenthesized name list. */
  readonly pattern: Span;
  readonly value: Pipeline;
}
/** `layer enc = Dense(64)`: one layer instance, used by name in several places (tied weights). */
export interface LayerDeclStmt extends Node {
  readonly kind: 'LayerDecl';
  /** `frozen layer enc = Dense(64)`: the instance is frozen at every use. */
  readonly frozen?: Span;
  readonly name: Ident;
  readonly value: LayerStage;
}
/**
 * `param cls = Parameter([1, 1, 192], init="zeros")`: a learned tensor, bound to a name and used
 * as a value (`(x, pos) |> Add`). `param` is a keyword only at the start of a statement followed
 * by a name.
 */
export interface ParamDeclStmt extends Node {
  readonly kind: 'ParamDecl';
  readonly name: Ident;
  readonly value: LayerStage;
}
/** `if cond { ... } else { ... }`: structure chosen at elaboration time from block parameters. */
export interface IfStmt extends Node {
  readonly kind: 'If';
  readonly cond: Expr;
  readonly then: Body;
  readonly else?: Body | IfStmt;
}
/** `return a, b`: the outputs, in the order of the signature. */
export interface ReturnStmt extends Node {
  readonly kind: 'Return';
  readonly values: readonly Pipeline[];
}
/** A bare pipeline; the last one in a body is its output when there is no `return`. */
export interface ExprStmt extends Node {
  readonly kind: 'ExprStmt';
  readonly value: Pipeline;
}
/**
 * `weights from "base.safetensors" { "features." -> "base." }` in a model body: initial values
 * of parameters read from a file (safetensors, a run checkpoint, or an ONNX file's
 * initializers). Without a mapping every tensor of the file is taken under its own name; with
 * one, only tensors whose names start with a `from` prefix, renamed to the `to` prefix.
 */
export interface WeightsStmt extends Node {
  readonly kind: 'Weights';
  /** The `weights from` words. */
  readonly keywordSpan: Span;
  readonly path: StringLit | MissingExpr;
  readonly map: readonly WeightsMapping[];
}
/** `"features." -> "base."`: file names starting with `from` become ours starting with `to`. */
export interface WeightsMapping extends Node {
  readonly from: StringLit;
  readonly to: StringLit | MissingExpr;
}

/** `key = expr` inside `train { }`. */
export interface SettingStmt extends Node {
  readonly kind: 'Setting';
  readonly key: Ident;
  readonly value: Expr;
}

export interface Body extends Node {
  readonly kind: 'Body';
  readonly stmts: readonly Stmt[];
}

// ---------------------------------------------------------------- items

export type Item = ImportItem | ModelItem | BlockItem | DataItem | TrainItem;

export interface DocComment extends Node {
  /** The text of consecutive `///` lines, without the slashes, joined by newlines. */
  readonly text: string;
}

export interface ImportItem extends Node {
  readonly kind: 'Import';
  readonly path: StringLit | MissingExpr;
}

/** `x: [B, 1, 28, 28]` or `x: int[B, T]`. Dims are expressions: names, integers, + - * /, ceil(). */
export interface TensorParam extends Node {
  /**
   * For an unnamed output (`-> [B, 10]`, `-> ([B, 1], [B, 2])`) the name is an Ident with an
   * empty `name` and a zero-width span at the start of the shape.
   */
  readonly name: Ident;
  /** `int` in `x: int[B, T]` (integer ids); `float` may be written too; omitted: float. */
  readonly dtype?: Ident;
  readonly shape?: ListExpr;
}

/** `c: int = 64`. Types: int, float, bool, string. */
export interface BlockParam extends Node {
  readonly name: Ident;
  readonly type?: Ident;
  readonly default?: Expr;
}

export interface ModelItem extends Node {
  readonly kind: 'Model';
  /** `frozen model Base(…)`: no parameter of the model is trained. */
  readonly frozen?: Span;
  readonly doc?: DocComment;
  readonly name: Ident;
  readonly inputs: readonly TensorParam[];
  /** Declared outputs; names are optional (`-> (recon: [B, 784], mu: [B, 20])`). */
  readonly outputs: readonly TensorParam[];
  readonly body: Body;
}

export interface BlockItem extends Node {
  readonly kind: 'Block';
  readonly doc?: DocComment;
  readonly name: Ident;
  readonly params: readonly BlockParam[];
  readonly inputs: readonly TensorParam[];
  readonly outputs: readonly TensorParam[];
  readonly body: Body;
}

/** `data name = Spiral(points=500)` or `data m = Csv("data/x.csv", target="y")`. */
export interface DataItem extends Node {
  readonly kind: 'Data';
  readonly doc?: DocComment;
  readonly name: Ident;
  readonly value: Expr;
}

/** `train ModelName { data = d  loss = CrossEntropy()  ... }` */
export interface TrainItem extends Node {
  readonly kind: 'Train';
  readonly model: Ident;
  readonly body: Body;
}

export interface ParseError {
  readonly code: string;
  readonly span: Span;
  readonly message: string;
}

export interface Comment {
  readonly span: Span;
  readonly doc: boolean;
}

export interface SourceFile {
  readonly kind: 'File';
  readonly uri: string;
  readonly text: string;
  readonly items: readonly Item[];
  readonly errors: readonly ParseError[];
  /** All comments, for the formatter and semantic tokens. */
  readonly comments: readonly Comment[];
}
