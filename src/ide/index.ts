/**
 * The symbol index of one source file: every identifier occurrence resolved to a symbol
 * (binding, block parameter, dim, shared layer, block, model, data declaration, catalog layer,
 * attribute, train setting, ...). Hover, navigation, rename and semantic tokens all read it.
 *
 * Pure: a function of the parsed files in a CheckResult. Bindings follow the language's scoping:
 * a rebinding shadows the earlier value; a rebinding inside an `if` branch joins the outer
 * binding (after the `if` the name may refer to either), so both are one symbol for rename.
 */
import type { Span } from '../core';
import { getLayer } from '../layers/catalog';
import type {
  Arg,
  BlockItem,
  Body,
  Expr,
  Item,
  LayerStage,
  ModelItem,
  Pipeline,
  SourceFile,
  Stage,
  TensorParam,
} from '../language/ast';
import type { CheckResult } from '../language/checked';
import { resolveRelative } from '../language/paths';
import {
  DATASETS,
  EARLY_STOPPING,
  LOSSES,
  OPTIMIZERS,
  SCHEDULES,
  SETTINGS,
} from '../language/training';

export type SymKind =
  | 'binding'
  | 'input'
  | 'shared'
  | 'param'
  | 'dim'
  | 'block'
  | 'model'
  | 'data'
  | 'layer'
  | 'import'
  | 'attr'
  | 'setting'
  | 'dataset'
  | 'loss'
  | 'optimizer'
  | 'schedule'
  | 'metric'
  | 'unknown';

export interface Sym {
  /** Unique key; equal keys are the same symbol. */
  readonly id: string;
  readonly kind: SymKind;
  readonly name: string;
  /** Where it is declared (absent for catalog entries). */
  readonly file?: string;
  readonly declSpan?: Span;
  /** For attrs: the callee name (layer, block, dataset, ...). For imports: the target file. */
  readonly owner?: string;
  /** The item (model/block) that owns a local symbol. */
  readonly item?: ModelItem | BlockItem;
}

export interface Occurrence {
  readonly span: Span;
  readonly sym: Sym;
  readonly decl: boolean;
}

export interface FileIndex {
  readonly file: string;
  readonly source: SourceFile;
  /** Sorted by span start. */
  readonly occurrences: readonly Occurrence[];
  /** Blocks, models and data visible in this file (own items win over imported ones). */
  readonly scope: ReadonlyMap<string, Sym>;
  /** Import targets that exist in the result. */
  readonly imports: readonly string[];
}

/**
 * Indexes per result, then per file: an index lives exactly as long as its result. (Keyed by the
 * parsed file instead, an index would keep its result alive for as long as that syntax tree is
 * reachable, and a newer result can reach an older tree.)
 */
const cache = new WeakMap<CheckResult, Map<string, FileIndex>>();

export function sourceOf(result: CheckResult, file: string): SourceFile | undefined {
  return result.files.get(file);
}

/** Index a file of the result (memoized per result and file). */
export function indexFile(result: CheckResult, file: string): FileIndex | undefined {
  const source = result.files.get(file);
  if (!source) return undefined;
  let m = cache.get(result);
  if (!m) {
    m = new Map();
    cache.set(result, m);
  }
  let ix = m.get(file);
  if (!ix || ix.source !== source) {
    ix = buildIndex(result, file, source);
    m.set(file, ix);
  }
  return ix;
}

/** The occurrence at `offset` (end-inclusive, preferring one that strictly contains it). */
export function occurrenceAt(ix: FileIndex, offset: number): Occurrence | undefined {
  let best: Occurrence | undefined;
  for (const o of ix.occurrences) {
    if (o.span.start > offset) break;
    if (offset <= o.span.end) {
      if (!best || (offset < o.span.end && !(offset < best.span.end))) best = o;
    }
  }
  return best;
}

export function itemSym(file: string, item: Item): Sym | undefined {
  if (item.kind === 'Block' || item.kind === 'Model' || item.kind === 'Data') {
    const kind = item.kind === 'Block' ? 'block' : item.kind === 'Model' ? 'model' : 'data';
    return {
      id: `${kind}:${file}:${item.name.name}`,
      kind,
      name: item.name.name,
      file,
      declSpan: item.name.span,
    };
  }
  return undefined;
}

export function importTargets(result: CheckResult, file: string): string[] {
  const out: string[] = [];
  for (const item of result.files.get(file)?.items ?? []) {
    if (item.kind !== 'Import' || item.path.kind !== 'String') continue;
    const t = resolveRelative(file, item.path.value);
    if (result.files.has(t)) out.push(t);
  }
  return out;
}

/** The item (block/model/data) a scope symbol was declared by. */
export function itemOfSym(result: CheckResult, sym: Sym): Item | undefined {
  if (!sym.file || !sym.declSpan) return undefined;
  return result.files
    .get(sym.file)
    ?.items.find(
      (i) =>
        (i.kind === 'Block' || i.kind === 'Model' || i.kind === 'Data') &&
        i.name.span.start === sym.declSpan!.start,
    );
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x);
    if (p === undefined || p === x) return x;
    p = this.find(p);
    this.parent.set(x, p);
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

function buildIndex(result: CheckResult, file: string, source: SourceFile): FileIndex {
  const imports = importTargets(result, file);
  const scope = new Map<string, Sym>();
  for (const f of [...imports, file]) {
    for (const item of result.files.get(f)?.items ?? []) {
      const s = itemSym(f, item);
      if (!s || !s.name) continue;
      if (f !== file && scope.has(s.name)) continue;
      if (f === file && scope.get(s.name)?.file === file) continue; // duplicate: first wins
      scope.set(s.name, s);
    }
  }
  const raw: Occurrence[] = [];
  const uf = new UnionFind();
  const syms = new Map<string, Sym>();
  const add = (span: Span, sym: Sym, decl: boolean): void => {
    if (span.end <= span.start) return;
    syms.set(sym.id, sym);
    raw.push({ span, sym, decl });
  };

  for (const item of source.items) {
    switch (item.kind) {
      case 'Import':
        if (item.path.kind === 'String') {
          const target = resolveRelative(file, item.path.value);
          add(
            item.path.span,
            { id: `import:${target}`, kind: 'import', name: item.path.value, owner: target },
            false,
          );
        }
        break;
      case 'Data': {
        const s = itemSym(file, item)!;
        add(item.name.span, s, true);
        indexCallables(item.value, 'dataset', add, scope);
        break;
      }
      case 'Train': {
        const m = scope.get(item.model.name);
        add(
          item.model.span,
          m && m.kind === 'model'
            ? m
            : { id: `unknown:${item.model.name}`, kind: 'unknown', name: item.model.name },
          false,
        );
        for (const st of item.body.stmts) {
          if (st.kind !== 'Setting') continue;
          const spec = SETTINGS.find((s) => s.name === st.key.name);
          add(
            st.key.span,
            {
              id: `setting:${st.key.name}`,
              kind: spec ? 'setting' : 'unknown',
              name: st.key.name,
            },
            false,
          );
          indexSettingValue(st.key.name, st.value, add, scope);
        }
        break;
      }
      case 'Model':
      case 'Block':
        indexTensorItem(file, item, add, scope, uf);
        break;
    }
  }
  const occurrences = raw
    .map((o) => {
      const root = uf.find(o.sym.id);
      return root === o.sym.id ? o : { ...o, sym: syms.get(root) ?? o.sym };
    })
    .sort((a, b) => a.span.start - b.span.start);
  return { file, source, occurrences, scope, imports };
}

type Add = (span: Span, sym: Sym, decl: boolean) => void;

const CALLABLES: Record<string, { kind: SymKind; list: readonly { name: string }[] }> = {
  dataset: { kind: 'dataset', list: DATASETS },
  loss: { kind: 'loss', list: LOSSES },
  optimizer: { kind: 'optimizer', list: OPTIMIZERS },
  schedule: { kind: 'schedule', list: SCHEDULES },
  early_stopping: { kind: 'dataset', list: [EARLY_STOPPING] },
};

function indexSettingValue(key: string, value: Expr, add: Add, scope: Map<string, Sym>): void {
  if (key === 'data') {
    if (value.kind === 'Name') {
      const d = scope.get(value.name);
      if (d && d.kind === 'data') add(value.span, d, false);
      else indexCallables(value, 'dataset', add, scope);
    } else indexCallables(value, 'dataset', add, scope);
  } else if (key === 'metrics' && value.kind === 'List') {
    for (const it of value.items)
      if (it.kind === 'Name')
        add(it.span, { id: `metric:${it.name}`, kind: 'metric', name: it.name }, false);
  } else if (key in CALLABLES) indexCallables(value, key, add, scope);
}

/** `Adam(lr=1e-3)` or a bare `MSE`: the callee and its keyword arguments. */
function indexCallables(value: Expr, key: string, add: Add, _scope: Map<string, Sym>): void {
  const c = CALLABLES[key];
  if (!c) return;
  const kind = key === 'early_stopping' ? 'unknown' : c.kind;
  if (value.kind === 'Name') {
    if (c.list.some((s) => s.name === value.name))
      add(value.span, { id: `${kind}:${value.name}`, kind, name: value.name }, false);
  } else if (value.kind === 'Call') {
    const name = value.callee.name;
    const known = c.list.some((s) => s.name === name);
    add(
      value.callee.span,
      { id: `${known ? kind : 'unknown'}:${name}`, kind: known ? kind : 'unknown', name },
      false,
    );
    for (const a of value.args)
      if (a.name)
        add(
          a.name.span,
          { id: `attr:${name}:${a.name.name}`, kind: 'attr', name: a.name.name, owner: name },
          false,
        );
  }
}

interface LocalScope {
  readonly parent?: LocalScope;
  readonly names: Map<string, Sym>;
}

function lookup(s: LocalScope | undefined, name: string): Sym | undefined {
  for (let c = s; c; c = c.parent) {
    const v = c.names.get(name);
    if (v) return v;
  }
  return undefined;
}

function indexTensorItem(
  file: string,
  item: ModelItem | BlockItem,
  add: Add,
  scope: Map<string, Sym>,
  uf: UnionFind,
): void {
  const own = scope.get(item.name.name);
  const selfSym: Sym =
    own && own.file === file && own.declSpan?.start === item.name.span.start
      ? own
      : itemSym(file, item)!;
  add(item.name.span, selfSym, true);
  const key = `${file}:${item.span.start}`;
  // Block parameters.
  const params = new Map<string, Sym>();
  if (item.kind === 'Block')
    for (const p of item.params) {
      const s: Sym = {
        id: `param:${key}:${p.name.name}`,
        kind: 'param',
        name: p.name.name,
        file,
        declSpan: p.name.span,
        item,
      };
      if (!params.has(p.name.name)) params.set(p.name.name, s);
      add(p.name.span, params.get(p.name.name)!, true);
    }
  // Dims: first occurrence in the signature declares.
  const dims = new Map<string, Sym>();
  const dimExpr = (e: Expr): void => {
    switch (e.kind) {
      case 'Name': {
        if (params.has(e.name)) {
          add(e.span, params.get(e.name)!, false);
          return;
        }
        let s = dims.get(e.name);
        const decl = !s;
        if (!s) {
          s = {
            id: `dim:${key}:${e.name}`,
            kind: 'dim',
            name: e.name,
            file,
            declSpan: e.span,
            item,
          };
          dims.set(e.name, s);
        }
        add(e.span, s, decl);
        return;
      }
      case 'Binary':
        dimExpr(e.left);
        dimExpr(e.right);
        return;
      case 'Unary':
        dimExpr(e.operand);
        return;
      case 'Call':
        for (const a of e.args) dimExpr(a.value);
        return;
      case 'Tuple':
      case 'List':
        e.items.forEach(dimExpr);
        return;
      default:
        return;
    }
  };
  const sig = (ps: readonly TensorParam[]): void => {
    for (const p of ps) p.shape?.items.forEach(dimExpr);
  };
  sig(item.inputs);
  sig(item.outputs);
  // Inputs.
  const top: LocalScope = { names: new Map() };
  for (const p of item.inputs) {
    if (!p.name.name) continue;
    const s: Sym = {
      id: `input:${key}:${p.name.name}`,
      kind: 'input',
      name: p.name.name,
      file,
      declSpan: p.name.span,
      item,
    };
    top.names.set(p.name.name, s);
    add(p.name.span, s, true);
  }
  // Shared layers: visible in the whole item.
  const shared = new Map<string, Sym>();
  const collectShared = (b: Body): void => {
    for (const st of b.stmts) {
      if (st.kind === 'LayerDecl' && st.name.name && !shared.has(st.name.name))
        shared.set(st.name.name, {
          id: `shared:${key}:${st.name.name}`,
          kind: 'shared',
          name: st.name.name,
          file,
          declSpan: st.name.span,
          item,
        });
      else if (st.kind === 'If') {
        collectShared(st.then);
        for (let e = st.else; e; e = e.kind === 'If' ? e.else : undefined)
          collectShared(e.kind === 'If' ? e.then : e);
      }
    }
  };
  collectShared(item.body);

  // Expressions inside a body: parameters, dims (and shared/binding names are not expected).
  const valueExpr = (e: Expr): void => {
    switch (e.kind) {
      case 'Name': {
        const s = params.get(e.name) ?? dims.get(e.name);
        if (s) add(e.span, s, false);
        return;
      }
      case 'Binary':
        valueExpr(e.left);
        valueExpr(e.right);
        return;
      case 'Unary':
        valueExpr(e.operand);
        return;
      case 'Call':
        for (const a of e.args) valueExpr(a.value);
        return;
      case 'Tuple':
      case 'List':
        e.items.forEach(valueExpr);
        return;
      default:
        return;
    }
  };
  const args = (calleeSym: Sym, callee: string, list: readonly Arg[] | undefined): void => {
    for (const a of list ?? []) {
      if (a.name) {
        let s: Sym;
        if (calleeSym.kind === 'block') {
          s = {
            id: `bparam:${calleeSym.file}:${callee}:${a.name.name}`,
            kind: 'attr',
            name: a.name.name,
            owner: callee,
          };
        } else
          s = {
            id: `attr:${callee}:${a.name.name}`,
            kind: 'attr',
            name: a.name.name,
            owner: callee,
          };
        add(a.name.span, s, false);
      }
      valueExpr(a.value);
    }
  };
  const layerStage = (st: LayerStage): void => {
    const name = st.callee.name;
    let s: Sym | undefined = shared.get(name);
    if (!s) {
      const g = scope.get(name);
      if (g && g.kind === 'block') s = g;
    }
    if (!s && getLayer(name)) s = { id: `layer:${name}`, kind: 'layer', name };
    s ??= { id: `unknown:${name}`, kind: 'unknown', name };
    add(st.callee.span, s, false);
    args(s, name, st.args);
  };
  const stage = (st: Stage): void => {
    if (st.kind === 'Layer') layerStage(st);
    else if (st.kind === 'Repeat') {
      valueExpr(st.count);
      stage(st.body);
    } else if (st.kind === 'Group') st.stages.forEach(stage);
  };
  const pipeline = (p: Pipeline, sc: LocalScope): void => {
    const src = p.source;
    if (src.kind === 'Name') {
      const s = lookup(sc, src.name) ?? params.get(src.name) ?? dims.get(src.name);
      add(src.span, s ?? { id: `unknown:${src.name}`, kind: 'unknown', name: src.name }, false);
    } else if (src.kind === 'SourceTuple') for (const it of src.items) pipeline(it, sc);
    p.stages.forEach(stage);
  };
  let counter = 0;
  const body = (b: Body, sc: LocalScope): void => {
    for (const st of b.stmts) {
      switch (st.kind) {
        case 'Bind':
        case 'BindTuple':
        case 'ParamDecl': {
          if (st.kind === 'ParamDecl') stage(st.value);
          else pipeline(st.value, sc);
          const names = st.kind === 'BindTuple' ? st.names : [st.name];
          for (const name of names) {
            if (!name.name) continue;
            const s: Sym = {
              id: `binding:${file}:${name.span.start}`,
              kind: 'binding',
              name: name.name,
              file,
              declSpan: name.span,
              item,
            };
            // Inside a branch, the first rebinding of an outer name joins the outer symbol.
            if (sc.parent && !sc.names.has(name.name)) {
              const outer = lookup(sc.parent, name.name);
              if (outer) uf.union(outer.id, s.id);
            }
            sc.names.set(name.name, s);
            add(name.span, s, true);
          }
          break;
        }
        case 'LayerDecl': {
          const s = shared.get(st.name.name);
          if (s) add(st.name.span, s, true);
          layerStage(st.value);
          break;
        }
        case 'ExprStmt':
          pipeline(st.value, sc);
          break;
        case 'Return':
          st.values.forEach((p) => pipeline(p, sc));
          break;
        case 'If': {
          const branches: LocalScope[] = [];
          const visitIf = (s: typeof st): void => {
            valueExpr(s.cond);
            const t: LocalScope = { parent: sc, names: new Map() };
            body(s.then, t);
            branches.push(t);
            if (s.else?.kind === 'If') visitIf(s.else);
            else if (s.else) {
              const e: LocalScope = { parent: sc, names: new Map() };
              body(s.else, e);
              branches.push(e);
            }
          };
          visitIf(st);
          // After the if, a name set in a branch refers to any of the branch values.
          for (const br of branches)
            for (const [n, s] of br.names) {
              const outer = lookup(sc, n);
              if (outer) uf.union(outer.id, s.id);
              else sc.names.set(n, s);
            }
          counter++;
          break;
        }
        default:
          break;
      }
    }
  };
  body(item.body, top);
  void counter;
}

/** Keyword argument names refer to block parameters: map a `bparam:` symbol to the param. */
export function blockParamSym(result: CheckResult, sym: Sym): Sym | undefined {
  if (!sym.id.startsWith('bparam:')) return undefined;
  const rest = sym.id.slice('bparam:'.length);
  const parts = rest.split(':');
  const name = parts.pop()!;
  const block = parts.pop()!;
  const file = parts.join(':');
  const item = result.files
    .get(file)
    ?.items.find((i): i is BlockItem => i.kind === 'Block' && i.name.name === block);
  const p = item?.params.find((q) => q.name.name === name);
  if (!item || !p) return undefined;
  return {
    id: `param:${file}:${item.span.start}:${name}`,
    kind: 'param',
    name,
    file,
    declSpan: p.name.span,
    item,
  };
}

export const isIdent = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
