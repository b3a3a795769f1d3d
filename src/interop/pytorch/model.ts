/**
 * model.py for a checked model: one `nn.Module` class per block and one for the model, named
 * after them, translated from the source (bindings, pipelines, `if`, `repeat`, shared layers)
 * with the layer table of ./layers.ts. Everything numeric comes from the checked model: the
 * sizes a layer infers (input channels, features), the module names (the summary's parameter
 * names, so `state_dict` keys equal them) and the shape comment on each forward line (symbolic
 * dims stay symbolic). Nothing is re-derived here.
 *
 * A block class takes its parameters as constructor arguments, plus the concrete sizes of its
 * input signature that its layers need (`C` of `x: [B, C, H, W]`), passed by keyword. A size a
 * layer infers is written as the block parameter or signature size that equals it in every use
 * of the block, else as the constant it has in every use; a block whose uses need anything
 * else is not exported (the message names it).
 */
import type { Shape } from '../../core';
import { modelNames, nodeAttrs } from '../../compiler/forward';
import type {
  BlockItem,
  Body,
  Expr,
  LayerStage,
  ModelItem,
  Pipeline,
  SourceFile,
  Stage,
  Stmt,
} from '../../language/ast';
import type { CheckResult, CheckedModel, Group, LayerNode } from '../../language/checked';
import { evalExpr } from '../../language/eval';
import type { AttrValue } from '../../layers/types';
import {
  HELPERS,
  pyLiteral,
  TORCH_LAYERS,
  type HelperName,
  type PyArg,
  type TorchCtx,
} from './layers';

/** A model or layer configuration that has no PyTorch translation; the message says which. */
export class PytorchExportError extends Error {}

const PY_RESERVED = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
  'self',
  'torch',
  'nn',
  'F',
  'math',
  'super',
  'step',
]);

/** A DLM identifier as a Python identifier (`in` → `in_`). */
export function pyName(n: string): string {
  return PY_RESERVED.has(n) ? `${n}_` : n;
}

/** One use of a block (or the model itself): its group and the values of its names. */
interface Inst {
  readonly gid: number | undefined;
  readonly env: ReadonlyMap<string, AttrValue>;
}

/** Where generated code goes: the scope it is in, the __init__ and forward lines, and the indent. */
interface Emit {
  readonly scope: Scope;
  readonly init: string[];
  readonly fwd: string[];
  readonly ind: string;
}

/** Where modules built during a walk go: `self.name = ...` lines, or a repeat step's dict. */
interface Sink {
  readonly entries: [string, string][];
  readonly names: Set<string>;
}

interface Scope {
  readonly file: string;
  readonly insts: readonly Inst[];
  /** Block parameters and signature sizes, in constructor order (empty for the model). */
  readonly names: readonly string[];
  /** Names whose value `forward` needs (conditions), stored as attributes. */
  readonly forwardNames: Set<string>;
  /** Names the constructor arguments used (signature sizes not used are not arguments). */
  readonly used: Set<string>;
  /** How forward refers to modules of the current sink: `self` or a repeat step variable. */
  readonly owner: string;
  readonly sink: Sink;
  /** Names declared with `layer name = ...` in this body. */
  readonly sharedLayers: ReadonlySet<string>;
}

interface BlockClass {
  readonly name: string;
  /** Signature sizes the constructor takes (keyword arguments), in signature order. */
  readonly dims: readonly string[];
  readonly text: string;
}

const fmtShape = (s: Shape) => `[${s.map((d) => d.toString()).join(', ')}]`;

function docstring(doc: string | undefined, indent: string): string[] {
  if (!doc) return [];
  const text = doc.trim().replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  const lines = text.split('\n').map((l) => l.replace(/^ /, ''));
  if (lines.length === 1) return [`${indent}"""${lines[0]}"""`];
  return [
    `${indent}"""${lines[0]}`,
    ...lines.slice(1).map((l) => (l ? indent + l : '')),
    `${indent}"""`,
  ];
}

/** Generate model.py for `modelName` of a check result without errors. */
export function generateModelPy(check: CheckResult, modelName: string): string {
  return new Generator(check, modelName).run();
}

class Generator {
  private readonly model: CheckedModel;
  private readonly names: {
    readonly nodes: string[];
    readonly groups: ReadonlyMap<number, string>;
  };
  private readonly helpers = new Set<HelperName>();
  private readonly blocks = new Map<string, BlockClass>();
  private readonly order: string[] = [];
  private readonly stageShapes = new Map<string, string>();
  private readonly layerStages = new Map<string, LayerStage>();
  private readonly envs = new Map<number, Map<string, AttrValue>>();
  private taken = new Set<string>();
  /** Names for the outputs of the stage being emitted, set by a tuple binding. */
  private outNames?: readonly string[];

  constructor(
    private readonly check: CheckResult,
    modelName: string,
  ) {
    const m = check.models.find((x) => x.name === modelName);
    if (!m) throw new PytorchExportError(`no model '${modelName}'`);
    if (!m.ok)
      throw new PytorchExportError(`model ${modelName} has errors; fix them before exporting`);
    this.model = m;
    this.names = modelNames(m);
    for (const s of check.stageShapes) {
      const text = s.variants
        .map((v) => v.shapes.map(fmtShape).join(', '))
        .filter((t, i, all) => all.indexOf(t) === i)
        .join(' | ');
      this.stageShapes.set(`${s.file}:${s.span.start}:${s.span.end}`, text);
    }
    for (const [file, sf] of check.files) indexStages(sf, file, this.layerStages);
  }

  run(): string {
    const item = this.findItem<ModelItem>('Model', this.model.name, this.model.file);
    const cls = this.emitClass(item, this.model.file, [{ gid: undefined, env: new Map() }], []);
    const helperText = [...Object.keys(HELPERS)]
      .filter((h) => this.helpers.has(h as HelperName))
      .map((h) => HELPERS[h as HelperName]);
    const header = [
      `"""PyTorch version of the model ${this.model.name}, generated by DLM Studio from ${baseName(this.model.file)}.`,
      '',
      'The state_dict keys are the parameter names of the DLM summary and checkpoints, so',
      "weights.safetensors loads with load_state_dict(strict=True). Each forward line's comment",
      'is the shape the DLM checker computed for that stage."""',
      'import json',
      'import math',
      'import struct',
      '',
      'import numpy as np',
      'import torch',
      'import torch.nn.functional as F',
      'from torch import nn',
    ];
    const parts = [
      header.join('\n'),
      ...helperText,
      ...this.order.map((b) => this.blocks.get(b)!.text),
      cls,
      SAFETENSORS_PY,
    ];
    return parts.join('\n\n\n') + '\n';
  }

  // ---------------------------------------------------------------- lookup

  private findItem<T extends ModelItem | BlockItem>(
    kind: T['kind'],
    name: string,
    file?: string,
  ): T {
    const files: [string, SourceFile][] = file
      ? [[file, this.check.files.get(file)!], ...[...this.check.files].filter(([f]) => f !== file)]
      : [...this.check.files];
    for (const [, sf] of files) {
      if (!sf) continue;
      for (const it of sf.items) if (it.kind === kind && it.name.name === name) return it as T;
    }
    throw new PytorchExportError(`cannot find the source of ${kind.toLowerCase()} ${name}`);
  }

  private fileOfBlock(name: string): string {
    for (const [f, sf] of this.check.files)
      for (const it of sf.items) if (it.kind === 'Block' && it.name.name === name) return f;
    throw new PytorchExportError(`cannot find the source of block ${name}`);
  }

  private nodeAt(inst: Inst, file: string, stage: Stage): LayerNode | undefined {
    return this.model.nodes.find(
      (n) => n.group === inst.gid && n.file === file && n.span.start === stage.span.start,
    );
  }

  private groupsAt(inst: Inst, file: string, stage: Stage, kind: Group['kind']): Group[] {
    return this.model.groups.filter(
      (g) =>
        g.parent === inst.gid &&
        g.kind === kind &&
        g.file === file &&
        g.span.start === stage.span.start,
    );
  }

  /** The module name of a node or group relative to its scope (`conv2d0`, `basicblock1`). */
  private relName(full: string, scopeGid: number | undefined): string {
    const scope = scopeGid === undefined ? '' : this.names.groups.get(scopeGid)!;
    return scope ? full.slice(scope.length + 1) : full;
  }

  private shapeComment(file: string, stage: { span: { start: number; end: number } }): string {
    const s = this.stageShapes.get(`${file}:${stage.span.start}:${stage.span.end}`);
    return s ? `  # ${s}` : '';
  }

  /** Names bound in a block use: its parameters (call-site arguments, defaults) and sizes. */
  private envOf(g: Group): Map<string, AttrValue> {
    const hit = this.envs.get(g.id);
    if (hit) return hit;
    let env: Map<string, AttrValue>;
    if (g.kind === 'repeat') {
      env = g.parent === undefined ? new Map() : this.envOf(this.model.groups[g.parent]!);
    } else {
      const parentEnv =
        g.parent === undefined
          ? new Map<string, AttrValue>()
          : this.envOf(this.model.groups[g.parent]!);
      const site = this.layerStages.get(`${g.file}:${g.span.start}`);
      const block = this.findItem<BlockItem>('Block', g.name!);
      env = new Map();
      const lookup = (m: ReadonlyMap<string, AttrValue>) => ({ lookup: (n: string) => m.get(n) });
      const args = site?.args ?? [];
      block.params.forEach((p, i) => {
        const a =
          args.find((x) => x.name?.name === p.name.name) ??
          (args[i] && !args[i].name ? args[i] : undefined);
        if (a) env.set(p.name.name, evalExpr(a.value, lookup(parentEnv)));
        else if (p.default) env.set(p.name.name, evalExpr(p.default, lookup(env)));
      });
      const ins = this.groupInputs(g.id);
      block.inputs.forEach((tp, k) => {
        const shape = ins[k] !== undefined ? this.model.values[ins[k]]!.shape : undefined;
        tp.shape?.items.forEach((d, j) => {
          const v = shape?.[j]?.value;
          if (d.kind === 'Name' && v !== undefined && !env.has(d.name)) env.set(d.name, v);
        });
      });
    }
    this.envs.set(g.id, env);
    return env;
  }

  /** The values a group's layers read from outside it, in order of first use. */
  private groupInputs(gid: number): number[] {
    const inside = (n: LayerNode) => {
      for (let g = n.group; g !== undefined; g = this.model.groups[g]!.parent)
        if (g === gid) return true;
      return false;
    };
    const nodes = this.model.nodes.filter(inside);
    const ids = new Set(nodes.map((n) => n.id));
    const out: number[] = [];
    for (const n of nodes)
      for (const v of n.inputs) {
        const p = this.model.values[v]!.producer;
        if ((p === undefined || !ids.has(p)) && !out.includes(v)) out.push(v);
      }
    return out;
  }

  // ---------------------------------------------------------------- classes

  private block(name: string): BlockClass {
    const hit = this.blocks.get(name);
    if (hit) return hit;
    const file = this.fileOfBlock(name);
    const item = this.findItem<BlockItem>('Block', name, file);
    const insts = this.model.groups
      .filter((g) => g.kind === 'block' && g.name === name)
      .map((g) => ({ gid: g.id, env: this.envOf(g) }));
    const dims: string[] = [];
    for (const tp of item.inputs)
      for (const d of tp.shape?.items ?? [])
        if (
          d.kind === 'Name' &&
          !dims.includes(d.name) &&
          !item.params.some((p) => p.name.name === d.name)
        )
          if (insts.every((i) => typeof i.env.get(d.name) === 'number')) dims.push(d.name);
    const used = new Set<string>();
    const text = this.emitClass(item, file, insts, dims, used);
    const cls: BlockClass = { name, dims: dims.filter((d) => used.has(d)), text };
    this.blocks.set(name, cls);
    this.order.push(name);
    return cls;
  }

  private emitClass(
    item: ModelItem | BlockItem,
    file: string,
    insts: readonly Inst[],
    dims: readonly string[],
    used = new Set<string>(),
  ): string {
    const params = item.kind === 'Block' ? item.params : [];
    const scope: Scope = {
      file,
      insts,
      names: [...params.map((p) => p.name.name), ...dims],
      forwardNames: new Set(),
      used,
      owner: 'self',
      sink: { entries: [], names: new Set() },
      sharedLayers: new Set(
        item.body.stmts.filter((s) => s.kind === 'LayerDecl').map((s) => s.name.name),
      ),
    };
    const init: string[] = [];
    const fwd: string[] = [];
    const inputs = item.inputs.map((i) => pyName(i.name.name));
    this.taken = new Set([...inputs, ...boundNames(item.body)]);
    this.body(item.body, scope, init, fwd, 2, true, item);
    // Constructor signature: signature sizes (keyword-only) after the block parameters.
    const sig: string[] = ['self'];
    for (const p of params) {
      const dflt = p.default ? ` = ${this.pyExpr(p.default, (n) => pyName(n))}` : '';
      sig.push(`${pyName(p.name.name)}${p.type ? `: ${pyType(p.type.name)}` : ''}${dflt}`);
    }
    const usedDims = dims.filter((d) => used.has(d) || scope.forwardNames.has(d));
    if (usedDims.length) sig.push('*', ...usedDims.map((d) => `${pyName(d)}: int`));
    const lines: string[] = [`class ${pyName(item.name.name)}(nn.Module):`];
    lines.push(...docstring(item.doc?.text, '    '));
    if (item.doc) lines.push('');
    const frozen = item.kind === 'Model' ? this.frozenModules() : [];
    if (frozen.length)
      lines.push(
        '    # Frozen parts (`frozen` in the .dlm): not trained, and kept in eval mode (BatchNorm on',
        '    # its running statistics, no dropout), as in the usual fine-tuning recipe.',
        `    FROZEN = (${frozen.map((f) => JSON.stringify(f)).join(', ')}${frozen.length === 1 ? ',' : ''})`,
        '',
      );
    lines.push(`    def __init__(${sig.join(', ')}):`, '        super().__init__()');
    for (const n of scope.names)
      if (scope.forwardNames.has(n)) lines.push(`        self.${pyName(n)} = ${pyName(n)}`);
    lines.push(...init);
    if (frozen.length)
      lines.push(
        '        for name in self.FROZEN:',
        '            self.get_submodule(name).requires_grad_(False)',
        '',
        '    def train(self, mode: bool = True):',
        '        super().train(mode)',
        '        for name in self.FROZEN:',
        '            self.get_submodule(name).eval()',
        '        return self',
      );
    lines.push('', `    def forward(self, ${inputs.join(', ')}):`, ...fwd);
    return lines.join('\n');
  }

  /**
   * Module paths of the frozen parts, outermost first: a block instance or repeat iteration all
   * of whose layers are frozen, else each frozen layer that is a module (it has parameters or
   * buffers; parameterless layers are functions in forward).
   */
  private frozenModules(): string[] {
    const m = this.model;
    const all = new Map<number, boolean>(); // group → every node inside is frozen
    for (const n of m.nodes)
      for (let g = n.group; g !== undefined; g = m.groups[g]!.parent)
        all.set(g, (all.get(g) ?? true) && n.frozen);
    const out: string[] = [];
    const covered = (g: number | undefined): boolean => {
      for (; g !== undefined; g = m.groups[g]!.parent) if (all.get(g)) return true;
      return false;
    };
    for (const g of m.groups)
      if (all.get(g.id) && !covered(g.parent)) out.push(this.names.groups.get(g.id)!);
    for (const n of m.nodes)
      if (n.frozen && n.params.length > 0 && !n.sharedRepeat && !covered(n.group)) {
        const p = this.names.nodes[n.id]!;
        if (!out.includes(p)) out.push(p);
      }
    return out;
  }

  /** Emit a body; `last`: its final pipeline is the output (returned). */
  private body(
    body: Body,
    scope: Scope,
    init: string[],
    fwd: string[],
    depth: number,
    top: boolean,
    item?: ModelItem | BlockItem,
  ): void {
    const ind = '    '.repeat(depth);
    const stmts = body.stmts;
    stmts.forEach((st, i) => {
      const last = top && i === stmts.length - 1;
      this.stmt(st, { scope, init, fwd, ind }, depth, last, item);
    });
  }

  private stmt(
    st: Stmt,
    em: Emit,
    depth: number,
    last: boolean,
    item?: ModelItem | BlockItem,
  ): void {
    const { scope, fwd, ind } = em;
    switch (st.kind) {
      case 'Bind': {
        const name = pyName(st.name.name);
        const vals = this.pipeline(st.value, em, name);
        if (vals.length === 1 && vals[0] !== name) fwd.push(`${ind}${name} = ${vals[0]}`);
        else if (vals.length > 1) fwd.push(`${ind}${name} = (${vals.join(', ')})`);
        return;
      }
      case 'BindTuple': {
        const names = st.names.map((n) => pyName(n.name));
        const vals = this.pipeline(st.value, em, names[0] ?? 'out', names);
        if (vals.length !== names.length || vals.some((v, k) => v !== names[k]))
          fwd.push(`${ind}${names.join(', ')} = ${vals.join(', ')}`);
        return;
      }
      case 'LayerDecl':
        return; // built at its first use, under its own name
      case 'ParamDecl': {
        // `self.cls = learned_tensor(...)` in __init__, `cls = self.cls` in forward.
        const nodes = scope.insts.map((i) => this.nodeAt(i, scope.file, st.value));
        if (nodes.some((n) => n === undefined))
          throw new PytorchExportError(
            `cannot find the learned tensor ${st.name.name} of ${this.blockOf(scope)} in the checked model`,
          );
        const name = pyName(st.name.name);
        this.layerStage(st.value, em, [], name, nodes as LayerNode[]);
        return;
      }
      case 'ExprStmt': {
        const src = st.value.source;
        const base = src.kind === 'Name' ? pyName(src.name) : this.freshName('out');
        const vals = this.pipeline(st.value, em, base);
        if (last) fwd.push(`${ind}return ${vals.join(', ')}`);
        return;
      }
      case 'Return': {
        const outs = st.values.map((p, k) => {
          const src = p.source;
          const base =
            src.kind === 'Name' && p.stages.length === 0
              ? pyName(src.name)
              : this.freshName(item?.outputs[k]?.name.name || 'out');
          return this.pipeline(p, em, base).join(', ');
        });
        fwd.push(`${ind}return ${outs.join(', ')}`);
        return;
      }
      case 'If': {
        this.ifStmt(st, em, depth);
        return;
      }
      case 'Setting':
        return;
    }
  }

  private ifStmt(st: Extract<Stmt, { kind: 'If' }>, em: Emit, depth: number): void {
    const { scope, init, fwd, ind } = em;
    const lookup = (env: ReadonlyMap<string, AttrValue>) => ({ lookup: (n: string) => env.get(n) });
    const thenInsts = scope.insts.filter((i) => evalExpr(st.cond, lookup(i.env)) === true);
    const elseInsts = scope.insts.filter((i) => !thenInsts.includes(i));
    const condInit = this.pyExpr(st.cond, (n) => {
      scope.used.add(n);
      return pyName(n);
    });
    const condFwd = this.pyExpr(st.cond, (n) => {
      scope.forwardNames.add(n);
      return `self.${pyName(n)}`;
    });
    const branch = (
      insts: readonly Inst[],
      b: Body | Extract<Stmt, { kind: 'If' }> | undefined,
    ) => {
      const i2: string[] = [];
      const f2: string[] = [];
      const inner = '    '.repeat(depth + 1);
      if (!b) return { init: i2, fwd: f2 };
      if (!insts.length) {
        const msg = `${this.blockOf(scope)}: this branch is not used by the exported model, so it was not generated`;
        i2.push(`${inner}raise NotImplementedError(${JSON.stringify(msg)})`);
        f2.push(`${inner}raise NotImplementedError(${JSON.stringify(msg)})`);
        return { init: i2, fwd: f2 };
      }
      const sub: Emit = { scope: { ...scope, insts }, init: i2, fwd: f2, ind: inner };
      if (b.kind === 'If') this.ifStmt(b, sub, depth + 1);
      else for (const s of b.stmts) this.stmt(s, sub, depth + 1, false);
      return { init: i2, fwd: f2 };
    };
    const t = branch(thenInsts, st.then);
    const e = branch(elseInsts, st.else);
    if (t.init.length || e.init.length) {
      init.push(`${ind}if ${condInit}:`, ...(t.init.length ? t.init : [`${ind}    pass`]));
      if (e.init.length) init.push(`${ind}else:`, ...e.init);
    }
    fwd.push(`${ind}if ${condFwd}:`, ...(t.fwd.length ? t.fwd : [`${ind}    pass`]));
    if (e.fwd.length) fwd.push(`${ind}else:`, ...e.fwd);
  }

  private blockOf(scope: Scope): string {
    const g = scope.insts[0]?.gid;
    return g === undefined ? this.model.name : (this.model.groups[g]!.name ?? 'block');
  }

  /** A variable name not used by the class being written (`out`, then `out_1`, ...). */
  private freshName(base: string): string {
    const b = pyName(base);
    let name = b;
    for (let k = 1; this.taken.has(name); k++) name = `${b}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** Emit a pipeline; returns the Python names holding its outputs. */
  private pipeline(
    p: Pipeline,
    em: Emit,
    target: string,
    /** Names for the outputs of the last stage (a tuple binding `(out, h) = …`). */
    targets?: readonly string[],
  ): string[] {
    let cur: string[];
    const src = p.source;
    if (src.kind === 'Name') cur = [pyName(src.name)];
    else if (src.kind === 'SourceTuple')
      cur = src.items.map((it) => {
        if (it.source.kind === 'Name' && it.stages.length === 0) return pyName(it.source.name);
        const base = it.source.kind === 'Name' ? `${pyName(it.source.name)}` : 'branch';
        const name = this.freshName(base);
        const vals = this.pipeline(it, em, name);
        return vals.join(', ');
      });
    else throw new PytorchExportError('a pipeline has a missing source');
    p.stages.forEach((st, k) => {
      if (targets && k === p.stages.length - 1 && st.kind === 'Layer') this.outNames = targets;
      cur = this.stage(st, em, cur, target);
      this.outNames = undefined;
    });
    return cur;
  }

  private stage(st: Stage, em: Emit, xs: string[], target: string): string[] {
    const { scope } = em;
    const file = scope.file;
    switch (st.kind) {
      case 'Group': {
        let cur = xs;
        for (const s of st.stages) cur = this.stage(s, em, cur, target);
        return cur;
      }
      case 'Repeat':
        return this.repeat(st, em, xs, target);
      case 'MissingStage':
        throw new PytorchExportError('a pipeline has a missing stage');
      case 'Layer': {
        const name = st.callee.name;
        const groups = scope.insts.map((i) => this.groupsAt(i, file, st, 'block')[0]);
        if (groups.every((g) => g !== undefined) && groups.length) {
          return this.blockStage(st, em, xs, target, groups as Group[]);
        }
        const nodes = scope.insts.map((i) => this.nodeAt(i, file, st));
        if (nodes.some((n) => n === undefined))
          throw new PytorchExportError(
            `cannot find the layer ${name} of ${this.blockOf(scope)} in the checked model`,
          );
        return this.layerStage(st, em, xs, target, nodes as LayerNode[]);
      }
    }
  }

  private layerStage(
    st: LayerStage,
    em: Emit,
    xs: string[],
    target: string,
    nodes: LayerNode[],
  ): string[] {
    const { scope, init, fwd, ind } = em;
    const n0 = nodes[0]!;
    const def = n0.def;
    const table = TORCH_LAYERS[def.name];
    if (!table) throw new PytorchExportError(`${def.name} is not supported for PyTorch export`);
    const ctxs: TorchCtx[] = nodes.map((n) => ({
      attrs: nodeAttrs(n),
      inputs: n.inputs.map((v) => this.model.values[v]!.shape!),
      written: writtenAttrs(st, def.positional),
    }));
    const comment = this.shapeComment(scope.file, st);
    let expr: string;
    for (const c of ctxs) for (const h of table.helpers?.(c) ?? []) this.helpers.add(h);
    if (table.inline && n0.params.length === 0) {
      const texts = ctxs.map((c) => table.inline!(c, xs));
      if (texts.some((t) => t !== texts[0]))
        throw new PytorchExportError(
          `${def.name} in ${this.blockOf(scope)} has different settings in different uses of the block, which PyTorch export does not support yet`,
        );
      expr = texts[0]!;
    } else {
      if (!table.module)
        throw new PytorchExportError(`${def.name} is not supported for PyTorch export`);
      const full = this.names.nodes[n0.id]!;
      const mod = this.relName(full, n0.group);
      for (const n of nodes)
        if (this.relName(this.names.nodes[n.id]!, n.group) !== mod)
          throw new PytorchExportError(
            `${def.name} in ${this.blockOf(scope)} has different names in different uses`,
          );
      if (!scope.sink.names.has(mod)) {
        scope.sink.names.add(mod);
        const ctors = ctxs.map((c) => table.module!(c));
        const callee = ctors[0]!.callee;
        if (ctors.some((c) => c.callee !== callee || c.args.length !== ctors[0]!.args.length))
          throw new PytorchExportError(
            `${def.name} in ${this.blockOf(scope)} needs a different module in different uses of the block, which PyTorch export does not support yet`,
          );
        const args = ctors[0]!.args.map((a, k) =>
          this.unifyArg(
            ctors.map((c) => c.args[k]!),
            st,
            def.positional,
            scope,
            def.name,
          ),
        );
        let text = `${callee}(${args.join(', ')})`;
        if (ctors[0]!.wrap) text = `${ctors[0]!.wrap}(${text})`;
        scope.sink.entries.push([mod, text]);
        if (scope.owner === 'self') init.push(`${ind}self.${mod} = ${text}`);
        // Weight tying: one Parameter under two module attributes (state_dict lists both keys).
        for (const t of n0.tied ?? []) {
          if (scope.owner !== 'self')
            throw new PytorchExportError(
              `${def.name} in a repeat ties its ${t.param} to ${t.owner}, which PyTorch export does not support yet`,
            );
          const owner = this.model.nodes.find((x) => x.sharedKey === t.key);
          if (!owner) throw new PytorchExportError(`cannot find ${t.owner} in the checked model`);
          const ownerMod = this.relName(this.names.nodes[owner.id]!, owner.group);
          init.push(`${ind}self.${mod}.${t.param} = self.${ownerMod}.${t.ownerParam}`);
        }
      }
      const m = `${scope.owner}.${mod}`;
      expr = table.call ? table.call(ctxs[0]!, m, xs) : `${m}(${xs.join(', ')})`;
    }
    const outs = n0.outputs.length;
    if (outs === 1) {
      fwd.push(`${ind}${target} = ${expr}${comment}`);
      return [target];
    }
    let names = Array.from({ length: outs }, (_, k) => `${target}_${k}`);
    if (this.outNames?.length === outs) names = [...this.outNames];
    this.outNames = undefined;
    const lhs = table.pattern ? table.pattern(ctxs[0]!, names) : names.join(', ');
    fwd.push(`${ind}${lhs} = ${expr}${comment}`);
    return names;
  }

  /** One constructor argument over all uses: the source expression, a name, or a constant. */
  private unifyArg(
    args: PyArg[],
    st: LayerStage | undefined,
    positional: readonly string[],
    scope: Scope,
    what: string,
  ): string {
    const a0 = args[0]!;
    const prefix = a0.kw ? `${a0.kw}=` : '';
    const v0 = a0.value;
    if (typeof v0 === 'object' && !Array.isArray(v0) && 'code' in v0) return prefix + v0.code;
    const vals = args.map((a) => a.value as AttrValue);
    const same = vals.every((v) => JSON.stringify(v) === JSON.stringify(vals[0]));
    if (scope.insts.length === 1 && scope.insts[0]!.gid === undefined)
      return prefix + pyLiteral(vals[0]!);
    // The expression the user wrote, when it evaluates to the value in every use.
    const src = a0.attr && st ? attrExpr(st, a0.attr, positional) : undefined;
    if (src) {
      const ok = scope.insts.every((inst, k) => {
        try {
          return (
            JSON.stringify(evalExpr(src, { lookup: (n) => inst.env.get(n) })) ===
            JSON.stringify(vals[k])
          );
        } catch {
          return false;
        }
      });
      if (ok)
        return (
          prefix +
          this.pyExpr(src, (n) => {
            scope.used.add(n);
            return pyName(n);
          })
        );
    }
    if (vals.every((v) => typeof v === 'number')) {
      const cand = scope.names.find((n) =>
        scope.insts.every((inst, k) => inst.env.get(n) === vals[k]),
      );
      if (cand !== undefined) {
        scope.used.add(cand);
        return prefix + pyName(cand);
      }
    }
    if (same) return prefix + pyLiteral(vals[0]!);
    const label =
      a0.kw ??
      (a0.attr === 'in'
        ? 'input size'
        : a0.attr === 'num_features'
          ? 'number of features'
          : (a0.attr ?? 'a size'));
    throw new PytorchExportError(
      `${what} in ${this.blockOf(scope)}: its ${label} is ${vals.map((v) => pyLiteral(v)).join(', ')} in the uses of the block, which is neither one of its parameters or input sizes nor one constant; PyTorch export does not support that yet`,
    );
  }

  private blockStage(
    st: LayerStage,
    em: Emit,
    xs: string[],
    target: string,
    groups: Group[],
  ): string[] {
    const { scope, init, fwd, ind } = em;
    const cls = this.block(st.callee.name);
    const g0 = groups[0]!;
    const mod = this.relName(this.names.groups.get(g0.id)!, g0.parent);
    const comment = this.shapeComment(scope.file, st);
    if (!scope.sink.names.has(mod)) {
      scope.sink.names.add(mod);
      const args: string[] = (st.args ?? []).map((a) => {
        const v = this.pyExpr(a.value, (n) => {
          scope.used.add(n);
          return pyName(n);
        });
        return a.name ? `${pyName(a.name.name)}=${v}` : v;
      });
      for (const d of cls.dims) {
        const vals = groups.map((g) => ({ kw: d, value: this.envOf(g).get(d)! }) as PyArg);
        args.push(this.unifyArg(vals, undefined, [], scope, st.callee.name));
      }
      const text = `${pyName(st.callee.name)}(${args.join(', ')})`;
      scope.sink.entries.push([mod, text]);
      if (scope.owner === 'self') init.push(`${ind}self.${mod} = ${text}`);
    }
    const item = this.findItem<BlockItem>('Block', st.callee.name);
    const outs = Math.max(1, item.outputs.length);
    const call = `${scope.owner}.${mod}(${xs.join(', ')})`;
    if (outs === 1) {
      fwd.push(`${ind}${target} = ${call}${comment}`);
      return [target];
    }
    const names = Array.from({ length: outs }, (_, k) => `${target}_${k}`);
    fwd.push(`${ind}${names.join(', ')} = ${call}${comment}`);
    return names;
  }

  private repeat(
    st: Extract<Stage, { kind: 'Repeat' }>,
    em: Emit,
    xs: string[],
    target: string,
  ): string[] {
    const { scope, init, fwd, ind } = em;
    const iters = scope.insts.map((i) =>
      this.groupsAt(i, scope.file, st, 'repeat').sort((a, b) => (a.index ?? 0) - (b.index ?? 0)),
    );
    const count = Math.max(...iters.map((it) => it.length));
    const varying = iters.some((it) => it.length !== count);
    const first = iters.find((it) => it.length)?.[0];
    const mod = first
      ? this.relName(this.names.groups.get(first.id)!, first.parent).replace(/\.\d+$/, '')
      : 'repeat';
    const steps: { entries: [string, string][]; fwd: string[] }[] = [];
    if (xs.length !== 1)
      throw new PytorchExportError(
        `a repeat in ${this.blockOf(scope)} takes ${xs.length} inputs, which PyTorch export does not support yet`,
      );
    if (xs[0] !== target) fwd.push(`${ind}${target} = ${xs[0]}`);
    xs = [target];
    let cur = xs;
    for (let k = 0; k < count; k++) {
      const insts: Inst[] = [];
      iters.forEach((it, i) => {
        const g = it[k];
        if (g) insts.push({ gid: g.id, env: scope.insts[i]!.env });
      });
      const sub: Scope = {
        ...scope,
        insts,
        owner: 'step',
        sink: { entries: [], names: new Set() },
      };
      const f: string[] = [];
      const inner = ind + '    ';
      const out = this.stage(
        st.body,
        { scope: sub, init: [], fwd: f, ind: inner },
        [...xs],
        target,
      );
      steps.push({ entries: sub.sink.entries, fwd: f });
      cur = out;
    }
    const dict = (e: [string, string][]) =>
      `nn.ModuleDict({${e.map(([n, c]) => `${JSON.stringify(n)}: ${c}`).join(', ')}})`;
    const withModules = steps.some((s) => s.entries.length > 0);
    const sameSteps = steps.every((s) => dict(s.entries) === dict(steps[0]!.entries));
    const countPy = this.pyExpr(st.count, (n) => {
      scope.used.add(n);
      return pyName(n);
    });
    // Steps that differ only in the first one (its input size): `C if i == 0 else c`.
    const rest = steps.slice(1).map((s) => dict(s.entries));
    const firstOnly =
      !sameSteps && rest.every((t) => t === rest[0]) && rest.length
        ? mergeFirst(dict(steps[0]!.entries), rest[0]!)
        : undefined;
    if (varying && !sameSteps && !firstOnly)
      throw new PytorchExportError(
        `a repeat in ${this.blockOf(scope)} has a different count and different layers in different uses, which PyTorch export does not support yet`,
      );
    if (withModules) {
      let list = sameSteps
        ? `nn.ModuleList(${dict(steps[0]!.entries)} for _ in range(${countPy}))`
        : firstOnly
          ? `nn.ModuleList(${firstOnly} for i in range(${countPy}))`
          : `nn.ModuleList([\n${steps.map((s) => `${ind}    ${dict(s.entries)},\n`).join('')}${ind}])`;
      if ((sameSteps || firstOnly) && `${ind}self.${mod} = ${list}`.length > 100) {
        // One entry per line: nn.ModuleList(\n    nn.ModuleDict({\n        "conv2d0": ...,\n
        const loop = sameSteps ? '_' : 'i';
        const entries = sameSteps
          ? steps[0]!.entries.map(([n, c]) => `${JSON.stringify(n)}: ${c}`)
          : steps[0]!.entries.map(
              ([n, c], k) =>
                `${JSON.stringify(n)}: ${mergeFirst(c, steps[1]!.entries[k]![1]) ?? c}`,
            );
        list = [
          'nn.ModuleList(',
          `${ind}    nn.ModuleDict({`,
          ...entries.map((e) => `${ind}        ${e},`),
          `${ind}    })`,
          `${ind}    for ${loop} in range(${countPy})`,
          `${ind})`,
        ].join('\n');
      }
      if (scope.owner === 'self') init.push(`${ind}self.${mod} = ${list}`);
      else scope.sink.entries.push([mod, list]);
      fwd.push(`${ind}for step in ${scope.owner}.${mod}:`);
    } else fwd.push(`${ind}for _ in range(${countPy}):`);
    // One loop body: the first step's lines (every step runs the same code on its own modules).
    const body = steps[0]?.fwd ?? [`${ind}    pass`];
    fwd.push(
      ...mergeComments(
        steps.map((s) => s.fwd),
        body,
      ),
    );
    return cur;
  }

  // ---------------------------------------------------------------- expressions

  /** A DLM attribute/shape expression as Python; `name` maps identifiers. */
  private pyExpr(e: Expr, name: (n: string) => string): string {
    const float = hasFloat(e);
    const go = (x: Expr, prec: number): string => {
      switch (x.kind) {
        case 'Number':
          return pyLiteral(x.value);
        case 'String':
          return JSON.stringify(x.value);
        case 'Bool':
          return x.value ? 'True' : 'False';
        case 'Name':
          return name(x.name);
        case 'Tuple':
        case 'List':
          return x.items.length === 1
            ? `(${go(x.items[0]!, 0)},)`
            : `(${x.items.map((i) => go(i, 0)).join(', ')})`;
        case 'Unary':
          return x.op === 'not' ? `not ${go(x.operand, 6)}` : `${x.op}${go(x.operand, 9)}`;
        case 'Binary': {
          const p = PREC[x.op]!;
          const op = x.op === '/' && !float ? '//' : x.op;
          const t = `${go(x.left, p)} ${op} ${go(x.right, p + 1)}`;
          return p < prec ? `(${t})` : t;
        }
        case 'Call': {
          const f = x.callee.name;
          const args = x.args.map((a) => go(a.value, 0)).join(', ');
          return f === 'ceil' || f === 'floor' ? `math.${f}(${args})` : `${f}(${args})`;
        }
        case 'Missing':
          throw new PytorchExportError('missing value');
      }
    };
    return go(e, 0);
  }
}

const PREC: Record<string, number> = {
  or: 1,
  and: 2,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

function hasFloat(e: Expr): boolean {
  switch (e.kind) {
    case 'Number':
      return !e.isInt;
    case 'Unary':
      return hasFloat(e.operand);
    case 'Binary':
      return hasFloat(e.left) || hasFloat(e.right);
    default:
      return false;
  }
}

/** Every name bound in a body (`h = ...`), nested `if` bodies included. */
function boundNames(b: Body): string[] {
  const out: string[] = [];
  for (const s of b.stmts) {
    if (s.kind === 'Bind' || s.kind === 'ParamDecl') out.push(pyName(s.name.name));
    else if (s.kind === 'BindTuple') out.push(...s.names.map((n) => pyName(n.name)));
    else if (s.kind === 'If') {
      out.push(...boundNames(s.then));
      let e = s.else;
      while (e && e.kind === 'If') {
        out.push(...boundNames(e.then));
        e = e.else;
      }
      if (e) out.push(...boundNames(e));
    }
  }
  return out;
}

function pyType(t: string): string {
  return t === 'string' ? 'str' : t;
}

function baseName(f: string): string {
  return f.replace(/^.*[\\/]/, '');
}

/** `a` and `b` with each differing token `t` written `t if i == 0 else u`; undefined if they differ in structure. */
function mergeFirst(a: string, b: string): string | undefined {
  const split = (t: string) => t.split(/([(),{}:[\]\s=])/);
  const ta = split(a);
  const tb = split(b);
  if (ta.length !== tb.length) return undefined;
  return ta.map((t, i) => (t === tb[i] ? t : `${t} if i == 0 else ${tb[i]}`)).join('');
}

/** The loop body of a repeat with, on each line, the shape comments of every step (merged). */
function mergeComments(all: string[][], first: string[]): string[] {
  return first.map((line, i) => {
    const cut = line.indexOf('  # ');
    if (cut < 0) return line;
    const shapes: string[] = [];
    for (const s of all) {
      const l = s[i];
      const c = l?.indexOf('  # ') ?? -1;
      if (l && c >= 0)
        for (const t of l.slice(c + 4).split(' | ')) if (!shapes.includes(t)) shapes.push(t);
    }
    return `${line.slice(0, cut)}  # ${shapes.join(' | ')}`;
  });
}

/** The attributes written at a stage (positional ones by the layer's positional order). */
function writtenAttrs(st: LayerStage, positional: readonly string[]): Set<string> {
  const out = new Set<string>();
  let k = 0;
  for (const a of st.args ?? []) {
    if (a.name) out.add(a.name.name);
    else if (positional[k] !== undefined) out.add(positional[k++]!);
  }
  return out;
}

function attrExpr(st: LayerStage, attr: string, positional: readonly string[]): Expr | undefined {
  let k = 0;
  for (const a of st.args ?? []) {
    if (a.name) {
      if (a.name.name === attr) return a.value;
    } else if (positional[k++] === attr) return a.value;
  }
  return undefined;
}

/** Every layer/block use (a `Layer` stage) of a file by `${file}:${start}`. */
function indexStages(sf: SourceFile, file: string, out: Map<string, LayerStage>): void {
  const stage = (s: Stage): void => {
    if (s.kind === 'Layer') out.set(`${file}:${s.span.start}`, s);
    else if (s.kind === 'Repeat') stage(s.body);
    else if (s.kind === 'Group') s.stages.forEach(stage);
  };
  const pipe = (p: Pipeline): void => {
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(pipe);
    p.stages.forEach(stage);
  };
  const body = (b: Body): void => {
    for (const s of b.stmts) {
      if (s.kind === 'Bind' || s.kind === 'BindTuple' || s.kind === 'ExprStmt') pipe(s.value);
      else if (s.kind === 'Return') s.values.forEach(pipe);
      else if (s.kind === 'LayerDecl' || s.kind === 'ParamDecl') stage(s.value);
      else if (s.kind === 'If') {
        body(s.then);
        let e = s.else;
        while (e && e.kind === 'If') {
          body(e.then);
          e = e.else;
        }
        if (e) body(e);
      }
    }
  };
  for (const it of sf.items) if (it.kind === 'Model' || it.kind === 'Block') body(it.body);
}

/** Reads (and writes) safetensors with numpy alone when the safetensors package is absent. */
const SAFETENSORS_PY = `_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    """Tensors of a .safetensors file by name (the safetensors package is used when installed)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        return load_file(path)
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=_DTYPES[t["dtype"]]).reshape(t["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def save_safetensors(tensors, path, metadata=None):
    """Write tensors (a name → tensor dict) as .safetensors, F32 (or I64 for integer tensors)."""
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        a = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)
        raw = a.tobytes()
        header[name] = {"dtype": "I64" if a.dtype == np.int64 else "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header = {"__metadata__": dict(metadata), **header}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)`;
