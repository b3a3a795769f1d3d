/**
 * Copies of syntax-tree items with every span moved by a fixed delta, for the incremental parser:
 * the items after an edit that changed the text's length are the same trees at other offsets.
 * Hand-written per node kind with object literals of the parser's own shapes (each copy has
 * exactly the fields the parser sets), which is several times faster than lexing and parsing the
 * same text again and allocates no tokens. Spans that the parser shares between a node and its
 * child (e.g. a bare `ReLU` stage and its callee) become two equal objects; nothing compares
 * spans of different fields by identity.
 */
import type { Span } from '../core/range';
import type {
  Arg,
  BlockParam,
  Body,
  Comment,
  DocComment,
  Expr,
  Ident,
  IfStmt,
  Item,
  LayerStage,
  ListExpr,
  MissingExpr,
  Pipeline,
  PipelineSource,
  Stage,
  Stmt,
  StringLit,
  TensorParam,
} from './ast';

/** Shifts spans by one delta; see shiftItems. */
class Shifter {
  constructor(private readonly d: number) {}

  span(s: Span): Span {
    return { start: s.start + this.d, end: s.end + this.d };
  }

  ident(i: Ident): Ident {
    return { kind: 'Ident', name: i.name, span: this.span(i.span) };
  }

  exprs(es: readonly Expr[]): Expr[] {
    const out = new Array<Expr>(es.length);
    for (let i = 0; i < es.length; i++) out[i] = this.expr(es[i]!);
    return out;
  }

  expr(e: Expr): Expr {
    switch (e.kind) {
      case 'Number':
        return {
          kind: 'Number',
          value: e.value,
          isInt: e.isInt,
          text: e.text,
          span: this.span(e.span),
        };
      case 'String':
        return { kind: 'String', value: e.value, span: this.span(e.span) };
      case 'Bool':
        return { kind: 'Bool', value: e.value, span: this.span(e.span) };
      case 'Name':
        return { kind: 'Name', name: e.name, span: this.span(e.span) };
      case 'Missing':
        return { kind: 'Missing', span: this.span(e.span) };
      case 'Tuple':
        return { kind: 'Tuple', items: this.exprs(e.items), span: this.span(e.span) };
      case 'List':
        return this.list(e);
      case 'Unary':
        return { kind: 'Unary', op: e.op, operand: this.expr(e.operand), span: this.span(e.span) };
      case 'Binary':
        return {
          kind: 'Binary',
          op: e.op,
          opSpan: this.span(e.opSpan),
          left: this.expr(e.left),
          right: this.expr(e.right),
          span: this.span(e.span),
        };
      case 'Call':
        return {
          kind: 'Call',
          callee: this.ident(e.callee),
          args: this.args(e.args),
          argsSpan: this.span(e.argsSpan),
          span: this.span(e.span),
        };
    }
  }

  list(e: ListExpr): ListExpr {
    return { kind: 'List', items: this.exprs(e.items), span: this.span(e.span) };
  }

  args(as: readonly Arg[]): Arg[] {
    const out = new Array<Arg>(as.length);
    for (let i = 0; i < as.length; i++) {
      const a = as[i]!;
      out[i] = a.name
        ? { name: this.ident(a.name), value: this.expr(a.value), span: this.span(a.span) }
        : { value: this.expr(a.value), span: this.span(a.span) };
    }
    return out;
  }

  source(s: PipelineSource): PipelineSource {
    switch (s.kind) {
      case 'Name':
        return { kind: 'Name', name: s.name, span: this.span(s.span) };
      case 'Missing':
        return { kind: 'Missing', span: this.span(s.span) };
      case 'SourceTuple':
        return {
          kind: 'SourceTuple',
          items: s.items.map((p) => this.pipeline(p)),
          span: this.span(s.span),
        };
    }
  }

  pipeline(p: Pipeline): Pipeline {
    return {
      kind: 'Pipeline',
      source: this.source(p.source),
      stages: this.stages(p.stages),
      span: this.span(p.span),
    };
  }

  stages(ss: readonly Stage[]): Stage[] {
    const out = new Array<Stage>(ss.length);
    for (let i = 0; i < ss.length; i++) out[i] = this.stage(ss[i]!);
    return out;
  }

  /** The `frozen` keyword span of a stage, declaration or model, moved. */
  frozen(f: Span | undefined): { frozen?: Span } {
    return f ? { frozen: this.span(f) } : {};
  }

  layer(s: LayerStage): LayerStage {
    if (!('args' in s))
      return {
        kind: 'Layer',
        ...this.frozen(s.frozen),
        callee: this.ident(s.callee),
        span: this.span(s.span),
      };
    return {
      kind: 'Layer',
      ...this.frozen(s.frozen),
      callee: this.ident(s.callee),
      args: s.args && this.args(s.args),
      argsSpan: s.argsSpan && this.span(s.argsSpan),
      span: this.span(s.span),
    };
  }

  stage(s: Stage): Stage {
    switch (s.kind) {
      case 'Layer':
        return this.layer(s);
      case 'Repeat':
        return {
          kind: 'Repeat',
          ...this.frozen(s.frozen),
          count: this.expr(s.count),
          body: this.stage(s.body),
          span: this.span(s.span),
        };
      case 'Group':
        return {
          kind: 'Group',
          ...this.frozen(s.frozen),
          stages: this.stages(s.stages),
          span: this.span(s.span),
        };
      case 'MissingStage':
        return { kind: 'MissingStage', span: this.span(s.span) };
    }
  }

  body(b: Body): Body {
    const stmts = new Array<Stmt>(b.stmts.length);
    for (let i = 0; i < stmts.length; i++) stmts[i] = this.stmt(b.stmts[i]!);
    return { kind: 'Body', stmts, span: this.span(b.span) };
  }

  ifStmt(s: IfStmt): IfStmt {
    const cond = this.expr(s.cond);
    const then = this.body(s.then);
    if (!s.else) return { kind: 'If', cond, then, span: this.span(s.span) };
    const els = s.else.kind === 'If' ? this.ifStmt(s.else) : this.body(s.else);
    return { kind: 'If', cond, then, else: els, span: this.span(s.span) };
  }

  stmt(s: Stmt): Stmt {
    switch (s.kind) {
      case 'Bind':
        return {
          kind: 'Bind',
          name: this.ident(s.name),
          value: this.pipeline(s.value),
          span: this.span(s.span),
        };
      case 'BindTuple':
        return {
          kind: 'BindTuple',
          names: s.names.map((n) => this.ident(n)),
          pattern: this.span(s.pattern),
          value: this.pipeline(s.value),
          span: this.span(s.span),
        };
      case 'LayerDecl':
      case 'ParamDecl':
        return {
          kind: s.kind,
          ...(s.kind === 'LayerDecl' ? this.frozen(s.frozen) : {}),
          name: this.ident(s.name),
          value: this.layer(s.value),
          span: this.span(s.span),
        } as Stmt;
      case 'If':
        return this.ifStmt(s);
      case 'Return':
        return {
          kind: 'Return',
          values: s.values.map((p) => this.pipeline(p)),
          span: this.span(s.span),
        };
      case 'ExprStmt':
        return { kind: 'ExprStmt', value: this.pipeline(s.value), span: this.span(s.span) };
      case 'Setting':
        return {
          kind: 'Setting',
          key: this.ident(s.key),
          value: this.expr(s.value),
          span: this.span(s.span),
        };
      case 'Weights':
        return {
          kind: 'Weights',
          keywordSpan: this.span(s.keywordSpan),
          path: this.stringOrMissing(s.path),
          map: s.map.map((m) => ({
            from: this.expr(m.from) as StringLit,
            to: this.stringOrMissing(m.to),
            span: this.span(m.span),
          })),
          span: this.span(s.span),
        };
    }
  }

  stringOrMissing(e: StringLit | MissingExpr): StringLit | MissingExpr {
    return e.kind === 'String'
      ? (this.expr(e) as StringLit)
      : { kind: 'Missing', span: this.span(e.span) };
  }

  doc(d: DocComment): DocComment {
    return { span: this.span(d.span), text: d.text };
  }

  tensorParams(ps: readonly TensorParam[]): TensorParam[] {
    return ps.map((p) => ({
      name: this.ident(p.name),
      ...(p.dtype ? { dtype: this.ident(p.dtype) } : {}),
      ...(p.shape ? { shape: this.list(p.shape) } : {}),
      span: this.span(p.span),
    }));
  }

  blockParam(p: BlockParam): BlockParam {
    const name = this.ident(p.name);
    const span = this.span(p.span);
    if (p.type && p.default)
      return { name, type: this.ident(p.type), default: this.expr(p.default), span };
    if (p.type) return { name, type: this.ident(p.type), span };
    if (p.default) return { name, default: this.expr(p.default), span };
    return { name, span };
  }

  item(item: Item): Item {
    switch (item.kind) {
      case 'Import':
        return {
          kind: 'Import',
          path:
            item.path.kind === 'String'
              ? (this.expr(item.path) as typeof item.path)
              : { kind: 'Missing', span: this.span(item.path.span) },
          span: this.span(item.span),
        };
      case 'Model':
        return {
          kind: 'Model',
          ...(item.doc ? { doc: this.doc(item.doc) } : {}),
          ...this.frozen(item.frozen),
          name: this.ident(item.name),
          inputs: this.tensorParams(item.inputs),
          outputs: this.tensorParams(item.outputs),
          body: this.body(item.body),
          span: this.span(item.span),
        };
      case 'Block':
        return {
          kind: 'Block',
          ...(item.doc ? { doc: this.doc(item.doc) } : {}),
          name: this.ident(item.name),
          params: item.params.map((p) => this.blockParam(p)),
          inputs: this.tensorParams(item.inputs),
          outputs: this.tensorParams(item.outputs),
          body: this.body(item.body),
          span: this.span(item.span),
        };
      case 'Data':
        return {
          kind: 'Data',
          ...(item.doc ? { doc: this.doc(item.doc) } : {}),
          name: this.ident(item.name),
          value: this.expr(item.value),
          span: this.span(item.span),
        };
      case 'Train':
        return {
          kind: 'Train',
          model: this.ident(item.model),
          body: this.body(item.body),
          span: this.span(item.span),
        };
    }
  }
}

/** `items` with every span moved by `delta`. */
export function shiftItems(items: readonly Item[], delta: number): Item[] {
  const s = new Shifter(delta);
  return items.map((i) => s.item(i));
}

/** `comments` with their spans moved by `delta`. */
export function shiftComments(comments: readonly Comment[], delta: number): Comment[] {
  return comments.map((c) => ({
    span: { start: c.span.start + delta, end: c.span.end + delta },
    doc: c.doc,
  }));
}
