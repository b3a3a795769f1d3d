/**
 * Elaboration: runs a model's body at compile time and builds its layer graph.
 *
 * Blocks are instantiated with their argument values, `if` picks a branch, `repeat` unrolls, and
 * every layer call runs its catalog shape rule on the incoming shapes. The output is a
 * CheckedModel (checked.ts) plus diagnostics. Errors never cascade: a value whose shape could not
 * be inferred is "unknown" and layers downstream of it stay quiet.
 */
import {
  Dim,
  DimLimitError,
  formatShape,
  unifyDim,
  type Diagnostic,
  type Fix,
  type Shape,
  type Span,
  type TextEdit,
} from '../core';
import type { Code } from '../core/codes';
import { didYouMean } from '../core/suggest';
import { splitMask } from '../layers/attention';
import { getLayer, layerNames } from '../layers/catalog';
import { type LayerDef, type LayerFix, type ParamSpec, type AttrValue } from '../layers/types';
import type {
  BlockItem,
  Body,
  DataItem,
  Expr,
  LayerStage,
  ModelItem,
  Pipeline,
  Stage,
  Stmt,
  TensorParam,
  WeightsStmt,
} from './ast';
import type {
  CheckedModel,
  GroupId,
  LayerNode,
  ModelIO,
  NodeId,
  TiedParam,
  ValueId,
  ValueInfo,
} from './checked';
import { resolveCallArgs } from './args';
import { bindBlockArgs } from './blockArgs';
import { inferShapes, memoizedArgs, shapeKey, valueKey, type ArgsEntry } from './elabMemo';

import {
  inputSpan,
  projectionFix,
  provenance,
  sizeOrigin,
  spatialOrigin,
  type TupleSource,
} from './provenance';
import { ModelGraph, type BlockTemplate } from './elabGraph';
import { BindingUses, ElabReporter, type Declaration } from './elabReport';
import type { DiagnosticExtra } from './sink';

export { clearElaborationMemo, elaborationMemoSize } from './elabMemo';
export type { Declaration } from './elabReport';
export { flattenFactors } from './provenance';
import { EvalError, describeValue, evalDim, evalExpr, type EvalEnv } from './eval';

export interface Defined<T> {
  readonly item: T;
  readonly file: string;
}

/** The names visible in one file: its own items plus those of the files it imports. */
export interface FileScope {
  readonly file: string;
  readonly blocks: ReadonlyMap<string, Defined<BlockItem>>;
  readonly models: ReadonlyMap<string, Defined<ModelItem>>;
  readonly data: ReadonlyMap<string, Defined<DataItem>>;
}

interface TensorBinding {
  readonly value: ValueId;
  readonly key: Span;
}

interface SharedLayer {
  readonly name: string;
  readonly def: LayerDef;
  readonly resolved: ArgsEntry;
  readonly stage: LayerStage;
  readonly file: string;
  readonly key: string;
  /** Key of the declaration in `declared`, marked used on every use. */
  readonly declKey: Span;
  /** Declared `frozen layer …`: every use is frozen. */
  readonly frozen: boolean;
  first?: { params: readonly ParamSpec[]; inputs: readonly Shape[]; node: NodeId };
  /** Whether the first use was frozen (a later use must agree: one parameter set). */
  firstFrozen?: { frozen: boolean; span: Span; file: string };
}

interface Scope {
  readonly file: string;
  readonly fileScope: FileScope;
  readonly consts: Map<string, AttrValue>;
  readonly tensors: Map<string, TensorBinding>;
  readonly layers: Map<string, SharedLayer | null>;
  readonly group?: GroupId;
  readonly blockStack: readonly string[];
  /** Inside a `frozen` stage, a frozen block use or a `frozen model`: parameters are not trained. */
  readonly frozen?: boolean;
}

/**
 * What elaborating one model contributed besides the CheckedModel itself. Kept so that the next
 * check of the same file can reuse an unchanged model (program.ts) and still produce the same
 * diagnostics, unused-binding results and stage shapes as a full check.
 */
export interface ModelCapture {
  /** Every diagnostic reported while elaborating the model, before deduplication. */
  readonly diagnostics: readonly Diagnostic[];
  readonly declared: readonly Declaration[];
  /** Declarations (by file and offset of the declaring name) that were used or shadowed. */
  readonly used: readonly { readonly file: string; readonly offset: number }[];
  readonly stages: readonly { file: string; span: Span; shapes: readonly Shape[] }[];
}

const tieStages = new WeakMap<LayerStage, LayerStage>();

/**
 * The stage with `tie=embed` written as the string `"embed"`: the attribute names a shared layer,
 * not a value, so it must not be evaluated as an expression. Cached per stage object.
 */
function tieStage(st: LayerStage): LayerStage {
  const hit = tieStages.get(st);
  if (hit) return hit;
  let out = st;
  const k = st.args?.findIndex((a) => a.name?.name === 'tie' && a.value.kind === 'Name') ?? -1;
  if (k >= 0) {
    const a = st.args![k]!;
    const v = a.value as Extract<Expr, { kind: 'Name' }>;
    const args = [...st.args!];
    args[k] = { ...a, value: { kind: 'String', value: v.name, span: v.span } };
    out = { ...st, args };
  }
  tieStages.set(st, out);
  return out;
}

export function declKey(file: string, span: Span): string {
  return `${file}:${span.start}`;
}

const MAX_REPEAT = 10_000;

/** Layer instances per model (docs/limits.md): expanding repeats and blocks stops here (DLM031). */
export const MAX_LAYER_INSTANCES = 10_000;
/** How deep block calls may nest (docs/limits.md, DLM032). */
export const MAX_BLOCK_DEPTH = 64;

export class Elaborator {
  private readonly reporter: ElabReporter;
  private readonly uses = new BindingUses();
  /** The `(a, b)` a pipeline's first stage receives, with the values its items produced. */
  private tupleSource?: TupleSource;
  /** Subgraphs of clean block instantiations, reused for identical calls (see applyBlock). */
  private readonly blockTemplates = new Map<string, BlockTemplate>();
  private cloneCounter = 0;
  // per-model state
  private graph = new ModelGraph();
  private sharedCounter = 0;
  /** Set once the model reached MAX_LAYER_INSTANCES: expansion stops everywhere. */
  private overLimit = false;
  /** The model body's own `weights from` statements (anywhere else they are an error). */
  private topWeights = new Set<WeightsStmt>();

  constructor(
    private readonly root: string,
    private readonly texts: ReadonlyMap<string, string>,
    private readonly scopeOf: (file: string) => FileScope,
  ) {
    this.reporter = new ElabReporter(root, texts);
  }

  // ------------------------------------------------------------------ diagnostics

  report(code: Code, file: string, span: Span, message: string, opts: DiagnosticExtra = {}): void {
    this.reporter.report(code, file, span, message, opts);
  }

  /** Start recording what the next elaboration (or other reports) contribute. */
  beginCapture(): void {
    this.reporter.takeCaptured();
    this.uses.takeCaptured();
    this.graph.stageLog = [];
  }

  /** What was recorded since beginCapture(). */
  endCapture(): ModelCapture {
    // The log's entries themselves (immutable, shared with block templates), when complete.
    const stages: { file: string; span: Span; shapes: readonly Shape[] }[] = [];
    for (const e of this.graph.stageLog)
      if (e.shapes.every((x) => x !== undefined))
        stages.push(e as { file: string; span: Span; shapes: readonly Shape[] });
    return { diagnostics: this.reporter.takeCaptured(), ...this.uses.takeCaptured(), stages };
  }

  // ------------------------------------------------------------------ models

  elaborateModel(model: ModelItem, file: string): CheckedModel {
    this.graph = new ModelGraph();
    this.overLimit = false;
    this.reporter.beginModel({ file, span: model.name.span, label: `model ${model.name.name}` });
    const scope: Scope = {
      file,
      fileScope: this.scopeOf(file),
      consts: new Map(),
      tensors: new Map(),
      layers: new Map(),
      blockStack: [],
      ...(model.frozen ? { frozen: true } : {}),
    };
    this.topWeights = new Set(model.body.stmts.filter((s) => s.kind === 'Weights'));
    const inputs: ModelIO[] = [];
    const seen = new Set<string>();
    for (const p of model.inputs) {
      if (seen.has(p.name.name))
        this.report('DLM015', file, p.name.span, `input '${p.name.name}' is declared twice`);
      seen.add(p.name.name);
      let shape: Shape | undefined;
      if (!p.shape)
        this.report(
          'DLM022',
          file,
          p.name.span,
          `model input '${p.name.name}' needs a shape, e.g. ${p.name.name}: [B, 784]`,
        );
      else shape = this.shapeType(p.shape.items, scope, `input '${p.name.name}'`);
      const dt = p.dtype?.name;
      const v = this.graph.newValue(shape, file, p.span, undefined, p.name.name, {
        type: dt === 'int' || dt === 'float' ? dt : undefined,
        span: p.dtype?.span,
      });
      this.bindTensor(scope, p.name.name, v, file, p.name.span, 'input');
      inputs.push({ name: p.name.name, value: v, declared: shape, span: p.span });
    }
    let outputs: ModelIO[] = [];
    let totals: CheckedModel['totals'] = {
      trainable: 0,
      nonTrainable: 0,
      frozen: 0,
      macs: Dim.const(0),
    };
    try {
      const outs = this.body(model.body, scope);
      outputs = this.matchOutputs(
        model.outputs,
        outs,
        scope,
        file,
        model.body.span,
        `model ${model.name.name}`,
        model.name.span,
      );
      totals = this.graph.totals();
    } catch (err) {
      // A size that outgrew the checker's limits somewhere no stage reported it (e.g. the sum of
      // every layer's MACs): report it on the model instead of failing the whole check.
      if (!(err instanceof DimLimitError)) throw err;
      this.report(
        err.limit === 'terms' ? 'DLM030' : 'DLM036',
        file,
        model.name.span,
        `model ${model.name.name}: ${err.message}`,
      );
    }
    return {
      name: model.name.name,
      file,
      span: model.span,
      nameSpan: model.name.span,
      doc: model.doc?.text,
      inputs,
      outputs,
      nodes: this.graph.nodes,
      values: this.graph.values,
      groups: this.graph.groups,
      totals,
      receptiveField: this.graph.receptiveField(),
      ...(this.topWeights.size
        ? {
            weights: [...this.topWeights].map((w) => ({
              path: w.path.kind === 'String' ? w.path.value : undefined,
              span: w.path.kind === 'String' ? w.path.span : w.keywordSpan,
              stmtSpan: w.span,
              map: w.map.map((m) => ({
                from: m.from.value,
                to: m.to.kind === 'String' ? m.to.value : undefined,
                span: m.span,
              })),
            })),
          }
        : {}),
      ok: !this.reporter.errorSeen,
    };
  }

  /** Unify declared outputs with the values a body produced. */
  private matchOutputs(
    declared: readonly TensorParam[],
    outs: ValueId[] | undefined,
    scope: Scope,
    file: string,
    bodySpan: Span,
    what: string,
    nameSpan: Span,
  ): ModelIO[] {
    const result: ModelIO[] = [];
    if (!outs) {
      this.report(
        'DLM023',
        file,
        nameSpan,
        `${what} produces no output: end its body with a pipeline or a return statement`,
      );
      return result;
    }
    if (declared.length > 0 && declared.length !== outs.length) {
      this.report(
        'DLM023',
        file,
        bodySpan.end > bodySpan.start ? { start: bodySpan.end - 1, end: bodySpan.end } : bodySpan,
        `${what} declares ${declared.length} output${declared.length === 1 ? '' : 's'} but returns ${outs.length}`,
      );
    }
    const env = new Map<string, Dim>();
    // Input symbols bind to themselves so that B in the output means the same B.
    outs.forEach((v, i) => {
      const d = declared[i];
      const actual = this.graph.shapeOf(v);
      let declShape: Shape | undefined;
      if (d?.shape) declShape = this.shapeType(d.shape.items, scope);
      if (d?.shape && declShape && actual && !this.unifyShape(declShape, actual, env)) {
        const shapeText = formatShape(actual);
        this.report(
          'DLM106',
          file,
          d.shape.span,
          `${what} declares output ${d.name.name ? `'${d.name.name}' ` : ''}${formatShape(declShape)}, but the body produces ${shapeText}`,
          {
            related: provenance(this.graph, v, 2),
            fixes: [
              {
                title: `Change the declared shape to ${shapeText}`,
                edits: [{ span: d.shape.span, newText: shapeText }],
              },
            ],
          },
        );
      }
      result.push({
        name: d?.name.name || (outs.length === 1 ? 'output' : `output${i}`),
        value: v,
        declared: declShape,
        span: d?.span ?? nameSpan,
      });
    });
    return result;
  }

  private unifyShape(pattern: Shape, actual: Shape, env: Map<string, Dim>): boolean {
    if (pattern.length !== actual.length) return false;
    return pattern.every((p, i) => unifyDim(p, actual[i]!, env));
  }

  /** A declared shape; `what` (e.g. `input 'x'`) names it when a size is below 1 (DLM109). */
  private shapeType(items: readonly Expr[], scope: Scope, what?: string): Shape | undefined {
    try {
      const shape = items.map((e) => evalDim(e, this.env(scope)));
      let bad = false;
      shape.forEach((d, i) => {
        if (d.value === undefined || d.value >= 1) return;
        bad = true;
        this.report(
          'DLM109',
          scope.file,
          items[i]!.span,
          `${what ?? 'a declared shape'} has a dimension of size ${d.value} (axis ${i}); every size must be at least 1, or the tensor is empty and the layers after it compute nothing`,
        );
      });
      return bad ? undefined : shape;
    } catch (err) {
      if (err instanceof EvalError) {
        this.report(err.code, scope.file, err.span, err.message);
        return undefined;
      }
      throw err;
    }
  }

  private env(scope: Scope): EvalEnv {
    return { lookup: (n) => scope.consts.get(n) };
  }

  // ------------------------------------------------------------------ statements

  private bindTensor(
    scope: Scope,
    name: string,
    value: ValueId,
    file: string,
    span: Span,
    what: string,
  ): void {
    const key = span;
    const prev = scope.tensors.get(name);
    // Rebinding shadows: the earlier binding is not reported as unused (the ResNet `skip` idiom).
    if (prev) this.uses.markUsed(prev.key);
    scope.tensors.set(name, { value, key });
    this.uses.declare({ file, span, name, what });
  }

  /** Runs a body; returns the output values (from `return`, or the last bare pipeline). */
  private body(body: Body, scope: Scope): ValueId[] | undefined {
    let last: ValueId[] | undefined;
    for (const stmt of body.stmts) {
      const r = this.stmt(stmt, scope);
      if (r && r.kind === 'return') return r.values;
      if (r && r.kind === 'value') last = r.values;
    }
    return last;
  }

  private stmt(
    stmt: Stmt,
    scope: Scope,
  ): { kind: 'return' | 'value'; values: ValueId[] } | undefined {
    switch (stmt.kind) {
      case 'Bind': {
        const vs = this.pipeline(stmt.value, scope);
        if (vs.length !== 1) {
          if (vs.length > 1)
            this.report(
              'DLM020',
              scope.file,
              stmt.value.span,
              `'${stmt.name.name}' would bind ${vs.length} tensors; bind one pipeline at a time`,
            );
          const v = this.graph.newValue(
            undefined,
            scope.file,
            stmt.value.span,
            undefined,
            stmt.name.name,
          );
          this.bindTensor(scope, stmt.name.name, v, scope.file, stmt.name.span, 'binding');
          return undefined;
        }
        const v = vs[0]!;
        const info = this.graph.values[v]!;
        this.graph.values[v] = { ...info, name: info.name ?? stmt.name.name };
        this.bindTensor(scope, stmt.name.name, v, scope.file, stmt.name.span, 'binding');
        return undefined;
      }
      case 'BindTuple': {
        const vs = this.pipeline(stmt.value, scope);
        const names = stmt.names;
        // After an upstream error the pipeline gives one unknown value: bind every name quietly.
        const quiet = vs.length === 1 && this.graph.values[vs[0]!]!.shape === undefined;
        if (vs.length !== names.length && !quiet)
          this.report(
            'DLM052',
            scope.file,
            stmt.pattern,
            `${names.length} name${names.length === 1 ? '' : 's'} for ${vs.length} tensor${vs.length === 1 ? '' : 's'}: the pipeline gives ${vs
              .map((v) => {
                const sh = this.graph.values[v]!.shape;
                return sh ? formatShape(sh) : '?';
              })
              .join(', ')}; write one name per tensor`,
          );
        names.forEach((id, k) => {
          let v = vs.length === names.length ? vs[k] : undefined;
          if (v === undefined)
            v = this.graph.newValue(undefined, scope.file, stmt.value.span, undefined, id.name);
          else {
            const info = this.graph.values[v]!;
            this.graph.values[v] = { ...info, name: info.name ?? id.name };
          }
          this.bindTensor(scope, id.name, v, scope.file, id.span, 'binding');
          // `(_enc, h) = …`: a leading underscore says the tensor is deliberately not used.
          if (id.name.startsWith('_')) this.uses.markUsed(id.span);
        });
        return undefined;
      }
      case 'LayerDecl': {
        const st = tieStage(stmt.value);
        const name = stmt.name.name;
        if (scope.layers.has(name) || scope.tensors.has(name))
          this.report(
            'DLM015',
            scope.file,
            stmt.name.span,
            `'${name}' is already defined in this body`,
          );
        const def = getLayer(st.callee.name);
        if (!def) {
          const isBlock = scope.fileScope.blocks.has(st.callee.name);
          this.report(
            'DLM010',
            scope.file,
            st.callee.span,
            isBlock
              ? `shared instances must be catalog layers; '${st.callee.name}' is a block (use it directly, or share the layers inside it)`
              : this.unknownLayerMessage(st.callee.name, scope),
            { fixes: this.unknownLayerFixes(st.callee.name, st.callee.span, scope) },
          );
          scope.layers.set(name, null);
          return undefined;
        }
        const resolved = this.resolveArgs(def, st, scope);
        if (!resolved) {
          scope.layers.set(name, null);
          return undefined;
        }
        const key = `${scope.file}:${stmt.name.span.start}#${this.sharedCounter++}`;
        const dkey = stmt.name.span;
        scope.layers.set(name, {
          name,
          def,
          resolved,
          stage: st,
          file: scope.file,
          key,
          declKey: dkey,
          frozen: stmt.frozen !== undefined,
        });
        this.uses.declare({ file: scope.file, span: stmt.name.span, name, what: 'shared layer' });
        return undefined;
      }
      case 'ParamDecl': {
        const st = stmt.value;
        const name = stmt.name.name;
        const unknown = () => {
          const v = this.graph.newValue(undefined, scope.file, stmt.span, undefined, name);
          this.bindTensor(scope, name, v, scope.file, stmt.name.span, 'learned tensor');
        };
        if (scope.layers.has(name) || scope.tensors.has(name))
          this.report(
            'DLM015',
            scope.file,
            stmt.name.span,
            `'${name}' is already defined in this body`,
          );
        if (!name) return undefined;
        if (st.callee.name !== 'Parameter') {
          if (st.callee.name)
            this.report(
              'DLM040',
              scope.file,
              st.callee.span,
              `'param ${name} = …' declares a learned tensor: write Parameter(shape, init=…), e.g. param ${name} = Parameter([1, 1, 64]); declare a shared layer with 'layer ${name} = ${st.callee.name}(…)'`,
              {
                fixes: [
                  {
                    title: 'Change to Parameter([...])',
                    edits: [{ span: st.span, newText: 'Parameter([1])' }],
                  },
                ],
              },
            );
          unknown();
          return undefined;
        }
        const def = getLayer('Parameter')!;
        const resolved = this.resolveArgs(def, st, scope);
        if (!resolved) {
          unknown();
          return undefined;
        }
        const [v] = this.applyLayer(def, st, [], scope, resolved, undefined, name);
        const info = this.graph.values[v!]!;
        this.graph.values[v!] = { ...info, name };
        this.bindTensor(scope, name, v!, scope.file, stmt.name.span, 'learned tensor');
        return undefined;
      }
      case 'If': {
        let cond: AttrValue;
        try {
          cond = evalExpr(stmt.cond, this.env(scope));
        } catch (err) {
          if (err instanceof EvalError) {
            this.report(
              err.code === 'DLM016' ? 'DLM022' : err.code,
              scope.file,
              err.span,
              err.code === 'DLM016'
                ? `${err.message}: conditions may use only block parameters and known dims`
                : err.message,
            );
            return undefined;
          }
          throw err;
        }
        if (typeof cond !== 'boolean') {
          this.report(
            'DLM022',
            scope.file,
            stmt.cond.span,
            `an if condition must be true or false, got ${describeValue(cond)}`,
          );
          return undefined;
        }
        if (cond) return this.bodyInline(stmt.then, scope);
        if (stmt.else) {
          if (stmt.else.kind === 'If') return this.stmt(stmt.else, scope);
          return this.bodyInline(stmt.else, scope);
        }
        return undefined;
      }
      case 'Return': {
        const values: ValueId[] = [];
        for (const p of stmt.values) {
          const vs = this.pipeline(p, scope);
          for (const v of vs) values.push(v);
        }
        return { kind: 'return', values };
      }
      case 'ExprStmt':
        return { kind: 'value', values: this.pipeline(stmt.value, scope) };
      case 'Setting':
        this.report(
          'DLM001',
          scope.file,
          stmt.span,
          `'${stmt.key.name} = …' settings belong in a train section`,
        );
        return undefined;
      case 'Weights':
        if (!this.topWeights.has(stmt))
          this.report(
            'DLM065',
            scope.file,
            stmt.keywordSpan,
            scope.blockStack.length > 0
              ? "'weights from' belongs in a model body, not in a block: the model that uses the block names the file, and a mapping can pick the block's weights"
              : "'weights from' must be a statement of the model body itself, not inside 'if'",
          );
        return undefined;
    }
  }

  /** A branch of `if` shares the enclosing scope: its bindings stay visible afterwards. */
  private bodyInline(
    body: Body,
    scope: Scope,
  ): { kind: 'return' | 'value'; values: ValueId[] } | undefined {
    let last: { kind: 'return' | 'value'; values: ValueId[] } | undefined;
    for (const s of body.stmts) {
      const r = this.stmt(s, scope);
      if (r?.kind === 'return') return r;
      if (r) last = r;
    }
    return last;
  }

  // ------------------------------------------------------------------ pipelines

  private pipeline(p: Pipeline, scope: Scope): ValueId[] {
    let vs = this.source(p, scope);
    const tuple =
      p.source.kind === 'SourceTuple' ? { values: vs, items: p.source.items } : undefined;
    p.stages.forEach((st, i) => {
      // The first stage after `(a, b)` may point into the tuple (the residual projection fix).
      this.tupleSource = i === 0 ? tuple : undefined;
      vs = this.stage(st, vs, scope);
    });
    this.tupleSource = undefined;
    return vs;
  }

  private source(p: Pipeline, scope: Scope): ValueId[] {
    const src = p.source;
    switch (src.kind) {
      case 'Name': {
        const b = scope.tensors.get(src.name);
        if (b) {
          this.uses.markUsed(b.key);
          return [b.value];
        }
        const candidates = [...scope.tensors.keys()];
        const sug = didYouMean(src.name, candidates);
        const isLayer =
          getLayer(src.name) || scope.fileScope.blocks.has(src.name) || scope.layers.has(src.name);
        this.report(
          'DLM016',
          scope.file,
          src.span,
          isLayer
            ? `'${src.name}' is a layer, not a tensor: a pipeline starts from a tensor, e.g. x |> ${src.name}`
            : `'${src.name}' is not defined${sug ? `; did you mean '${sug}'?` : ''}${candidates.length ? ` (tensors in scope: ${candidates.join(', ')})` : ''}`,
          {
            fixes: sug
              ? [
                  {
                    title: `Change to '${sug}'`,
                    edits: [{ span: src.span, newText: sug }],
                    preferred: true,
                  },
                ]
              : undefined,
          },
        );
        return [this.graph.newValue(undefined, scope.file, src.span)];
      }
      case 'SourceTuple': {
        const out: ValueId[] = [];
        for (const item of src.items) for (const v of this.pipeline(item, scope)) out.push(v);
        return out;
      }
      case 'Missing':
        return [this.graph.newValue(undefined, scope.file, src.span)];
    }
  }

  private stage(st: Stage, inputs: ValueId[], scope: Scope): ValueId[] {
    if (st.kind !== 'MissingStage' && st.frozen && !scope.frozen)
      scope = { ...scope, frozen: true };
    switch (st.kind) {
      case 'MissingStage':
        return inputs.map(() => this.graph.newValue(undefined, scope.file, st.span));
      case 'Group': {
        let vs = inputs;
        for (const s of st.stages) vs = this.stage(s, vs, scope);
        return vs;
      }
      case 'Repeat': {
        let count: AttrValue;
        try {
          count = evalExpr(st.count, this.env(scope));
        } catch (err) {
          if (err instanceof EvalError) {
            this.report(err.code, scope.file, err.span, err.message);
            return inputs.map(() => this.graph.newValue(undefined, scope.file, st.span));
          }
          throw err;
        }
        if (
          typeof count !== 'number' ||
          !Number.isInteger(count) ||
          count < 0 ||
          count > MAX_REPEAT
        ) {
          this.report(
            'DLM022',
            scope.file,
            st.count.span,
            `repeat needs a whole number from 0 to ${MAX_REPEAT}, got ${describeValue(count)}`,
          );
          return inputs.map(() => this.graph.newValue(undefined, scope.file, st.span));
        }
        let vs = inputs;
        const parent = scope.group;
        for (let i = 0; i < count; i++) {
          if (this.atLimit(scope.file, st.span)) break;
          const gid = this.graph.groups.length;
          this.graph.groups.push({
            id: gid,
            kind: 'repeat',
            label: `repeat ${i + 1}/${count}`,
            parent,
            file: scope.file,
            span: st.span,
            index: i,
          });
          vs = this.stage(st.body, vs, { ...scope, group: gid });
        }
        this.graph.recordStage(
          scope.file,
          st,
          vs.map((v) => this.graph.shapeOf(v)),
        );
        return vs;
      }
      case 'Layer':
        return this.layerStage(st, inputs, scope);
    }
  }

  /**
   * Whether the model reached MAX_LAYER_INSTANCES; the first time, reports DLM031 at the stage
   * that crossed it. Past the limit, stages produce unknown shapes without expanding.
   */
  private atLimit(file: string, span: Span): boolean {
    if (this.overLimit) return true;
    if (this.graph.nodes.length < MAX_LAYER_INSTANCES) return false;
    this.overLimit = true;
    this.report(
      'DLM031',
      file,
      span,
      `the model expands to more than ${MAX_LAYER_INSTANCES.toLocaleString('en-US')} layer instances here; it is checked only up to this point (use fewer repeats or shallower nesting)`,
    );
    return true;
  }

  private layerStage(st: LayerStage, inputs: ValueId[], scope: Scope): ValueId[] {
    if (this.atLimit(scope.file, st.span))
      return [this.graph.newValue(undefined, scope.file, st.span)];
    const name = st.callee.name;
    const shared = scope.layers.get(name);
    if (shared !== undefined) {
      if (shared === null) return [this.graph.newValue(undefined, scope.file, st.span)];
      this.uses.markUsed(shared.declKey);
      if (st.args)
        this.report(
          'DLM014',
          scope.file,
          st.argsSpan ?? st.span,
          `'${name}' is a shared layer instance; its attributes are set where it is declared`,
        );
      return this.applyLayer(shared.def, st, inputs, scope, shared.resolved, shared);
    }
    const block = scope.fileScope.blocks.get(name);
    if (block) return this.applyBlock(block, st, inputs, scope);
    const def = getLayer(name);
    if (!def) {
      this.report('DLM010', scope.file, st.callee.span, this.unknownLayerMessage(name, scope), {
        fixes: this.unknownLayerFixes(name, st.callee.span, scope),
      });
      return [this.graph.newValue(undefined, scope.file, st.span)];
    }
    const stage = tieStage(st);
    const resolved = this.resolveArgs(def, stage, scope);
    if (!resolved) return [this.graph.newValue(undefined, scope.file, st.span)];
    return this.applyLayer(def, stage, inputs, scope, resolved);
  }

  /**
   * `tie=embed`: the tied parameters of a node whose `weight` comes from the shared layer
   * `embed`, or undefined after reporting why it cannot (DLM041).
   */
  private tie(
    st: LayerStage,
    scope: Scope,
    name: string,
    params: readonly ParamSpec[],
  ): TiedParam[] | undefined {
    const span = this.attrSpanByName(st, 'tie') ?? st.span;
    const shared = scope.layers.get(name);
    const own = params.find((p) => p.name === 'weight');
    if (!shared) {
      const sug = didYouMean(
        name,
        [...scope.layers.keys()].filter((k) => scope.layers.get(k)),
      );
      this.report(
        'DLM041',
        scope.file,
        span,
        `tie=${name}: there is no shared layer '${name}' in this body; declare it with 'layer ${name} = Embedding(…)' and use it before the tied layer${sug ? `; did you mean '${sug}'?` : ''}`,
      );
      return undefined;
    }
    this.uses.markUsed(shared.declKey);
    if (!shared.first) {
      this.report(
        'DLM041',
        scope.file,
        span,
        `tie=${name}: the shared layer '${name}' is not used before this layer, so its weight has no shape yet; use it first (e.g. tokens |> ${name})`,
      );
      return undefined;
    }
    const theirs = shared.first.params.find((p) => p.name === 'weight');
    if (!own || !theirs) {
      this.report(
        'DLM041',
        scope.file,
        span,
        `tie=${name}: ${theirs ? 'this layer has' : `'${name}' (${shared.def.name}) has`} no weight to tie`,
      );
      return undefined;
    }
    if (own.shape.join(',') !== theirs.shape.join(',')) {
      const first = this.graph.nodes[shared.first.node]!;
      this.report(
        'DLM041',
        scope.file,
        span,
        `tie=${name}: this layer's weight is [${own.shape.join(', ')}] but ${name}.weight (${first.label}) is [${theirs.shape.join(', ')}]; tied weights need the same shape${
          shared.def.name === 'Embedding' && theirs.shape.length === 2
            ? ` (an output projection tied to Embedding(${theirs.shape[0]}, ${theirs.shape[1]}) is Dense(${theirs.shape[0]}) on ${theirs.shape[1]} features)`
            : ''
        }`,
        { related: [{ file: first.file, span: first.span, message: `${name} is used here` }] },
      );
      return undefined;
    }
    return [{ param: 'weight', key: shared.key, ownerParam: 'weight', owner: `${name}.weight` }];
  }

  /** The span of a keyword argument as written. */
  private attrSpanByName(st: LayerStage, attr: string): Span | undefined {
    return st.args?.find((a) => a.name?.name === attr)?.span;
  }

  private allCallables(scope: Scope): string[] {
    return [...layerNames(), ...scope.fileScope.blocks.keys(), ...[...scope.layers.keys()]];
  }

  private unknownLayerMessage(name: string, scope: Scope): string {
    if (scope.tensors.has(name))
      return `'${name}' is a tensor, not a layer; start a new pipeline from it: ${name} |> …`;
    const sug = didYouMean(name, this.allCallables(scope));
    return `unknown layer or block '${name}'${sug ? `; did you mean '${sug}'?` : ''}`;
  }

  private unknownLayerFixes(name: string, span: Span, scope: Scope): Fix[] | undefined {
    const sug = didYouMean(name, this.allCallables(scope));
    return sug
      ? [{ title: `Change to '${sug}'`, edits: [{ span, newText: sug }], preferred: true }]
      : undefined;
  }

  /**
   * Evaluate and type-check a call's arguments against a layer's attribute specs. A success
   * depends only on the layer, the arguments' content and the constants they name, so it is
   * memoized on those across checks (elabMemo.ts); a failure is reported at the current spans.
   */
  private resolveArgs(def: LayerDef, st: LayerStage, scope: Scope): ArgsEntry | undefined {
    return memoizedArgs(def, st, scope.consts, () => {
      const r = resolveCallArgs(
        def,
        st.args ?? [],
        this.env(scope),
        st.callee.span,
        (code, span, message, fixes) => this.report(code, scope.file, span, message, { fixes }),
      );
      return r && { ...r, label: this.label(def, st, r.values) };
    });
  }

  /** Builds a label like `Conv2d(64, 3, stride=2)` from resolved values. */
  private label(
    def: LayerDef,
    st: LayerStage,
    values: Record<string, AttrValue | undefined>,
  ): string {
    if (!st.args || st.args.length === 0) return def.name;
    const parts: string[] = [];
    let i = 0;
    for (const a of st.args) {
      if (a.name) {
        const v = values[a.name.name];
        // `tie=embed` names a shared layer: shown as written, not as the string it is stored as.
        const text = v === undefined ? '?' : a.name.name === 'tie' ? String(v) : describeValue(v);
        parts.push(`${a.name.name}=${text}`);
      } else {
        const attrName = def.positional[i++];
        const v = attrName ? values[attrName] : undefined;
        parts.push(v === undefined ? '?' : describeValue(v));
      }
    }
    return `${def.name}(${parts.join(', ')})`;
  }

  private applyLayer(
    def: LayerDef,
    st: LayerStage,
    inputs: ValueId[],
    scope: Scope,
    resolved: ArgsEntry,
    shared?: SharedLayer,
    binding?: string,
  ): ValueId[] {
    const file = scope.file;
    const fail = (n = 1): ValueId[] =>
      Array.from({ length: n }, () => this.graph.newValue(undefined, file, st.span));
    if (inputs.length < def.arity.min || inputs.length > def.arity.max) {
      const want =
        def.arity.min === def.arity.max
          ? `${def.arity.min}`
          : def.arity.max >= 1000
            ? `at least ${def.arity.min}`
            : `${def.arity.min} to ${def.arity.max}`;
      const hint =
        def.arity.min >= 2
          ? `; pass a tuple, e.g. (a, b) |> ${def.name}`
          : inputs.length > 1
            ? `; pipe one tensor at a time`
            : '';
      this.report(
        'DLM020',
        file,
        st.callee.span,
        `${def.name} takes ${want} input${want === '1' ? '' : 's'}, but receives ${inputs.length}${hint}`,
      );
      return fail();
    }
    const shapes: (Shape | undefined)[] = new Array(inputs.length);
    let unknown = false;
    for (let i = 0; i < inputs.length; i++) {
      const sh = this.graph.values[inputs[i]!]!.shape;
      shapes[i] = sh;
      if (!sh) unknown = true;
    }
    const id = this.graph.nodes.length;
    const owner = shared?.name ?? binding;
    const label = owner ? `${owner}: ${resolved.label}` : resolved.label;
    if (unknown) {
      // An upstream error: stay quiet, keep the node for the graph.
      const outs = [this.graph.newValue(undefined, file, st.span, id)];
      this.graph.pushNode(id, def, label, st, resolved, inputs, outs, scope.group, undefined);
      return outs;
    }
    const inDType = this.dtypeCheck(def, st, inputs, file, label);
    if (inDType === null) {
      const outs = [this.graph.newValue(undefined, file, st.span, id)];
      this.graph.pushNode(id, def, label, st, resolved, inputs, outs, scope.group, undefined, {
        error: 'element type',
      });
      return outs;
    }
    const inferred = inferShapes(def, resolved, shapes as Shape[]);
    const result = inferred.result;
    if (!result) {
      const err = inferred.error!;
      const outs = [this.graph.newValue(undefined, file, st.span, id)];
      let message: string;
      if (err.code !== undefined) {
        const span =
          this.attrSpan(def, st, err.opts.attr) ??
          inputSpan(this.tupleSource, err.opts.input, inputs) ??
          st.span;
        message = err.message;
        const origin =
          err.code === 'DLM100' && inputs.length === 1
            ? sizeOrigin(this.graph, inputs[0]!)
            : undefined;
        const collapse =
          err.code === 'DLM102' && inputs.length === 1
            ? spatialOrigin(this.graph, inputs[0]!)
            : undefined;
        const projection =
          err.code === 'DLM104' && def.name === 'Add'
            ? projectionFix(this.graph, this.tupleSource, inputs)
            : undefined;
        this.report(err.code, file, span, origin ? `${err.message} (${origin})` : err.message, {
          related: [
            ...(collapse ? [collapse] : []),
            ...inputs.flatMap((v) => provenance(this.graph, v, 3)),
          ],
          fixes: projection
            ? [projection, ...(this.layerFixes(err.opts.fixes, st, def) ?? [])]
            : this.layerFixes(err.opts.fixes, st, def),
        });
      } else if (err.limit !== undefined) {
        message = err.message;
        this.report(
          err.limit === 'terms' ? 'DLM030' : 'DLM036',
          file,
          st.span,
          `${def.name}: ${err.message}`,
          { related: inputs.flatMap((v) => provenance(this.graph, v, 1)) },
        );
      } else {
        message = err.message;
        this.report(
          'DLM900',
          file,
          st.span,
          `internal error in ${def.name}'s shape rule: ${message}`,
        );
      }
      this.graph.pushNode(id, def, label, st, resolved, inputs, outs, scope.group, undefined, {
        error: message,
      });
      return outs;
    }
    for (const w of inferred.warnings) {
      const span = this.attrSpan(def, st, w.opts?.attr) ?? st.span;
      this.report(w.code, file, span, w.message, {
        fixes: this.layerFixes(w.opts?.fixes, st, def),
      });
    }
    let sharedRepeat = false;
    const frozen = scope.frozen === true || shared?.frozen === true;
    if (shared) {
      if (!shared.firstFrozen) shared.firstFrozen = { frozen, span: st.span, file };
      else if (shared.firstFrozen.frozen !== frozen)
        this.report(
          'DLM066',
          file,
          st.span,
          `shared layer '${shared.name}' is ${frozen ? 'frozen' : 'trained'} here but ${shared.firstFrozen.frozen ? 'frozen' : 'trained'} at its first use; its weights are one set, so declare it 'frozen layer ${shared.name} = …' to freeze every use`,
          {
            related: [
              {
                file: shared.firstFrozen.file,
                span: shared.firstFrozen.span,
                message: 'first use',
              },
            ],
          },
        );
      if (!shared.first)
        shared.first = { params: result.params, inputs: shapes as Shape[], node: id };
      else {
        sharedRepeat = true;
        const a = shared.first.params;
        const b = result.params;
        const same =
          a.length === b.length && a.every((p, i) => p.shape.join(',') === b[i]!.shape.join(','));
        if (!same) {
          const first = this.graph.nodes[shared.first.node]!;
          this.report(
            'DLM100',
            file,
            st.span,
            `shared layer '${shared.name}' was first used with input ${formatShape(shared.first.inputs[0]!)} but here receives ${formatShape(shapes[0]!)}; tied weights need the same weight shapes`,
            { related: [{ file: first.file, span: first.span, message: 'first use' }] },
          );
        }
      }
    }
    const tieName = resolved.values['tie'];
    const tied =
      typeof tieName === 'string' ? this.tie(st, scope, tieName, result.params) : undefined;
    const outShapes = result.outputs;
    const outs: ValueId[] = new Array(outShapes.length);
    const outDType = def.dtype === 'preserve' ? inDType : 'float';
    for (let i = 0; i < outShapes.length; i++)
      outs[i] = this.graph.newValue(outShapes[i], file, st.span, id, undefined, { type: outDType });
    const rf = this.graph.propagateRf(result.receptive, inputs, shapes as Shape[], outs);
    this.graph.pushNode(id, def, label, st, resolved, inputs, outs, scope.group, result, {
      sharedKey: shared?.key,
      sharedRepeat,
      rf,
      frozen,
      binding,
      tied,
    });
    this.graph.recordStage(file, st, outShapes);
    return outs;
  }

  /** The span of an attribute as written (keyword or positional), if it was written. */
  private attrSpan(def: LayerDef, st: LayerStage, attr: string | undefined): Span | undefined {
    if (!attr || !st.args) return undefined;
    let pos = 0;
    for (const a of st.args) {
      if (a.name) {
        if (a.name.name === attr) return a.span;
      } else {
        if (def.positional[pos] === attr) return a.span;
        pos++;
      }
    }
    return undefined;
  }

  private layerFixes(
    fixes: readonly LayerFix[] | undefined,
    st: LayerStage,
    def: LayerDef,
  ): Fix[] | undefined {
    if (!fixes?.length) return undefined;
    return fixes.map((f): Fix => {
      if (f.kind === 'insertBefore')
        return {
          title: f.title,
          edits: [{ span: { start: st.span.start, end: st.span.start }, newText: `${f.text} |> ` }],
          preferred: true,
        };
      const edits: TextEdit[] = [];
      const written = this.attrSpan(def, st, f.attr);
      const arg = st.args?.find((a) => a.span.start === written?.start);
      if (arg) edits.push({ span: arg.value.span, newText: f.value });
      else if (st.args && st.argsSpan) {
        const close = st.argsSpan.end - 1;
        edits.push({
          span: { start: close, end: close },
          newText: `${st.args.length ? ', ' : ''}${f.attr}=${f.value}`,
        });
      } else
        edits.push({
          span: { start: st.callee.span.end, end: st.callee.span.end },
          newText: `(${f.attr}=${f.value})`,
        });
      return { title: f.title, edits, preferred: true };
    });
  }

  /**
   * Element types (DLM110): an Embedding takes integer ids, every other layer but the
   * element-moving ones (`dtype: 'preserve'`) takes floats. Returns the input's type (undefined:
   * an input declared without one), or null after reporting a mismatch.
   */
  private dtypeCheck(
    def: LayerDef,
    st: LayerStage,
    inputs: readonly ValueId[],
    file: string,
    label: string,
  ): 'int' | 'float' | undefined | null {
    const types = inputs.map((v) => this.graph.values[v]!.dtype);
    const type = types[0];
    const what = (v: ValueId): string => {
      const info = this.graph.values[v]!;
      const n = info.producer === undefined ? undefined : this.graph.nodes[info.producer];
      return n
        ? `the output of ${n.label}, ${info.shape ? formatShape(info.shape) : '?'}`
        : `${info.name ?? 'the input'}, ${info.shape ? formatShape(info.shape) : '?'}`;
    };
    /** The model input a value is, through element-moving layers. */
    const declOf = (v: ValueId | undefined): ValueInfo | undefined => {
      while (v !== undefined && this.graph.values[v]!.producer !== undefined) {
        const n: LayerNode = this.graph.nodes[this.graph.values[v]!.producer!]!;
        v = n.def.dtype === 'preserve' ? n.inputs[0] : undefined;
      }
      return v === undefined ? undefined : this.graph.values[v];
    };
    if (def.dtype === 'ids') {
      if (type !== 'float') return type;
      const decl = declOf(inputs[0]);
      const declared = decl?.dtypeSpan && decl.file === file ? decl : undefined;
      this.report(
        'DLM110',
        file,
        st.span,
        declared
          ? `${label} looks up integer ids, but ${declared.name ?? 'its input'} is declared float; declare token ids as int, e.g. ${declared.name ?? 'x'}: int[B, T]`
          : `${label} looks up integer ids, but its input is float (${what(inputs[0]!)}); put the Embedding first, on the token ids (declared x: int[B, T])`,
        {
          related: provenance(this.graph, inputs[0]!, 3),
          fixes: declared && [
            {
              title: `Declare ${declared.name ?? 'the input'} as int ids`,
              edits: [{ span: declared.dtypeSpan!, newText: 'int' }],
              preferred: true,
            },
          ],
        },
      );
      return null;
    }
    // An attention layer's key-padding mask may hold ids: the layer's own rule finds it.
    const hasMask =
      def.masks &&
      splitMask(inputs, (v) => this.graph.values[v]!.shape?.length ?? -1).mask !== undefined;
    const maskSlot = hasMask ? inputs.length - 1 : -1;
    const i = types.findIndex((t, k) => t === 'int' && k !== maskSlot);
    if (i < 0 || def.dtype === 'preserve') return type;
    const decl = declOf(inputs[i]);
    const fixes: Fix[] = [
      {
        title: `Insert Embedding(vocab, 32) before ${def.name} (then set vocab to the number of ids)`,
        edits: [
          {
            span: { start: st.span.start, end: st.span.start },
            newText: 'Embedding(vocab, 32) |> ',
          },
        ],
      },
    ];
    if (decl?.dtypeSpan && decl.file === file)
      fixes.push({
        title: `Declare ${decl.name ?? 'the input'} as float features`,
        edits: [{ span: decl.dtypeSpan, newText: 'float' }],
      });
    this.report(
      'DLM110',
      file,
      st.span,
      `${label} computes on float features, but its input is integer ids (${what(inputs[i]!)}); map ids to vectors with an Embedding first, e.g. ${decl?.name ?? 'x'} |> Embedding(vocab, 32) |> ${label}`,
      { related: provenance(this.graph, inputs[i]!, 3), fixes },
    );
    return null;
  }

  // ------------------------------------------------------------------ blocks

  private applyBlock(
    block: Defined<BlockItem>,
    st: LayerStage,
    inputs: ValueId[],
    scope: Scope,
  ): ValueId[] {
    const b = block.item;
    const name = b.name.name;
    const fail = (): ValueId[] => [this.graph.newValue(undefined, scope.file, st.span)];
    if (scope.blockStack.includes(name)) {
      this.report(
        'DLM021',
        scope.file,
        st.callee.span,
        `block '${name}' uses itself (${[...scope.blockStack, name].join(' → ')}); blocks cannot be recursive`,
      );
      return fail();
    }
    if (scope.blockStack.length >= MAX_BLOCK_DEPTH) {
      const chain = scope.blockStack;
      this.report(
        'DLM032',
        scope.file,
        st.callee.span,
        `blocks nest more than ${MAX_BLOCK_DEPTH} calls deep (${chain.slice(0, 3).join(' → ')} → … → ${chain.slice(-2).join(' → ')} → ${name}); flatten the chain, e.g. with repeat`,
      );
      return fail();
    }
    if (this.atLimit(scope.file, st.span)) return fail();
    // Arguments → parameter values, through the same resolution as layer arguments.
    const bound = bindBlockArgs(
      block,
      st,
      this.env(scope),
      scope.file,
      (code, file, span, message, fixes) => this.report(code, file, span, message, { fixes }),
    );
    if (!bound) return fail();
    const { consts, given } = bound;
    if (inputs.length !== b.inputs.length) {
      this.report(
        'DLM020',
        scope.file,
        st.callee.span,
        `block ${name} takes ${b.inputs.length} input${b.inputs.length === 1 ? '' : 's'} (${b.inputs.map((i) => i.name.name).join(', ')}), but receives ${inputs.length}`,
      );
      return fail();
    }
    // An identical call (same block, parameter values, input shapes and incoming receptive
    // field) yields the same subgraph: clone the template of an earlier clean instantiation.
    let tkey = `${block.file}|${b.span.start}|`;
    for (const [k, v] of consts) tkey += `${k}=${valueKey(v)},`;
    for (const v of inputs) {
      const sh = this.graph.shapeOf(v);
      tkey += `|${sh ? shapeKey(sh) : '?'}`;
      tkey += this.graph.rfKey(v);
    }
    const template = this.blockTemplates.get(tkey);
    // (A clone that would cross the layer-instance limit is elaborated afresh, which stops there.)
    if (template && this.graph.nodes.length + template.nodes.length <= MAX_LAYER_INSTANCES)
      return this.graph.cloneTemplate(
        template,
        inputs,
        { group: scope.group, file: scope.file, span: st.span, frozen: scope.frozen === true },
        ++this.cloneCounter,
      );
    const mark = this.graph.mark();
    const reports0 = this.reporter.count;
    const gid = mark.g0;
    const argText = given.map(([k, v]) => `${k}=${describeValue(v)}`).join(', ');
    this.graph.groups.push({
      id: gid,
      kind: 'block',
      name,
      label: argText ? `${name}(${argText})` : name,
      parent: scope.group,
      file: scope.file,
      span: st.span,
    });
    const inner: Scope = {
      file: block.file,
      fileScope: this.scopeOf(block.file),
      consts,
      tensors: new Map(),
      layers: new Map(),
      group: gid,
      blockStack: [...scope.blockStack, name],
    };
    // Bind inputs and unify their annotations; known dims become integer constants.
    const dimEnv = new Map<string, Dim>();
    let inputFailed = false;
    b.inputs.forEach((p, i) => {
      const v = inputs[i]!;
      const actual = this.graph.shapeOf(v);
      if (p.shape && actual) {
        const declared = this.shapeType(p.shape.items, { ...inner, consts: new Map(consts) });
        if (declared && !this.unifyShape(declared, actual, dimEnv)) {
          this.report(
            'DLM107',
            scope.file,
            st.span,
            `block ${name} expects ${p.name.name}: ${formatShape(declared)}, but receives ${formatShape(actual)}`,
            {
              related: [
                { file: block.file, span: p.span, message: `${name}'s input signature` },
                ...provenance(this.graph, v, 2),
              ],
            },
          );
          inputFailed = true;
        }
      }
      this.bindTensor(inner, p.name.name, v, block.file, p.name.span, 'input');
    });
    if (inputFailed) return fail();
    for (const [sym, d] of dimEnv)
      if (d.value !== undefined && !consts.has(sym)) consts.set(sym, d.value);
    const outs = this.reporter.within({ file: scope.file, span: st.span, label: `${name}` }, () =>
      this.body(b.body, inner),
    );
    if (!outs || outs.length === 0) {
      this.report(
        'DLM023',
        block.file,
        b.name.span,
        `block ${name} produces no output: end its body with a pipeline or a return statement`,
      );
      return fail();
    }
    if (b.outputs.length)
      this.matchOutputs(
        b.outputs,
        outs,
        inner,
        block.file,
        b.body.span,
        `block ${name}`,
        b.name.span,
      );
    this.graph.recordStage(
      scope.file,
      st,
      outs.map((v) => this.graph.shapeOf(v)),
    );
    if (
      this.reporter.count === reports0 &&
      outs.every((v) => this.graph.shapeOf(v) !== undefined)
    ) {
      this.blockTemplates.set(tkey, this.graph.template(mark, inputs, outs));
    }
    // A frozen use freezes the whole instance. The body was elaborated unfrozen so that its
    // template serves frozen and trained uses alike; mark this instance's nodes now.
    if (scope.frozen) this.graph.freezeFrom(mark.n0);
    return outs;
  }
}
