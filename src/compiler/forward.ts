/**
 * Lower a CheckedModel into the IR: model inputs → outputs, through each layer's
 * `LayerDef.lower`. Parameters become graph inputs with stable PyTorch-style qualified names;
 * randomness (dropout masks, VAE ε) becomes named graph inputs the engine fills from its seeded
 * RNG; BatchNorm's new running statistics are returned as state updates.
 *
 * Names: a path of scopes, then the layer, then the PyTorch parameter name. A layer is
 * `<type><k>` (lower-case type, k counting that type within its scope), a block instance
 * `<block><k>`, and iteration i of a `repeat` `repeat<k>.<i>`. So ResNet-18 has
 * `conv2d0.weight`, `basicblock0.batchnorm2d1.running_mean` and
 * `repeat0.1.basicblock0.conv2d0.weight` (iteration 1 of the first repeat). A tied layer (`layer enc = Dense(8)`) is named by its
 * binding, `enc.weight`, and every use reads that one parameter set.
 */
import { Dim } from '../core';
import type { CheckedModel, LayerNode } from '../language/checked';
import { makeAttrs } from '../layers/attrs';
import { LowerError, type InitSpec, type LowerCtx, type Value as AttrValue } from '../layers/types';
import '../primitives';
import type { DType, Value } from '../primitives';
import { Graph } from './ir';

export interface ForwardOptions {
  /** Training mode (batch statistics, dropout, sampling) or eval mode. */
  readonly training: boolean;
  /** Values of the symbolic dims: at least the batch (`B`), and e.g. `T`, `L`. */
  readonly dims: Readonly<Record<string, number>>;
  /** Floating-point type of activations and parameters (default float32). */
  readonly dtype?: 'float32' | 'float64';
}

export interface ParamInput {
  /** Qualified graph-input name, e.g. `basicblock0.conv2d0.weight`. */
  readonly name: string;
  readonly value: Value;
  readonly shape: readonly number[];
  readonly init: InitSpec;
  /** A row that starts at zero (Embedding's padding_idx; ParamSpec.zeroRow). */
  readonly zeroRow?: number;
  readonly trainable: boolean;
  /** The (first) node that owns it, and its label, for display. */
  readonly node: number;
  readonly layer: string;
}

export interface RandomInput {
  readonly name: string;
  readonly value: Value;
  readonly shape: readonly number[];
  readonly kind: 'uniform' | 'normal';
}

export interface StateUpdate {
  /** The qualified name of the non-trainable parameter this value replaces. */
  readonly param: string;
  readonly value: Value;
}

export interface Forward {
  readonly graph: Graph;
  readonly inputs: readonly { readonly name: string; readonly value: Value }[];
  readonly outputs: readonly { readonly name: string; readonly value: Value }[];
  readonly params: readonly ParamInput[];
  readonly random: readonly RandomInput[];
  readonly stateUpdates: readonly StateUpdate[];
}

/** A model the compiler cannot lower; the message names the layer and the reason. */
export class CompileError extends Error {}

/** The concrete value of a checked shape under `dims`; throws naming an unbound dim. */
export function concreteShape(
  shape: readonly Dim[],
  dims: Readonly<Record<string, number>>,
  what: string,
): number[] {
  const env = new Map(Object.entries(dims).map(([k, v]) => [k, Dim.const(v)]));
  return shape.map((d) => {
    const v = d.subst(env).value;
    if (v === undefined)
      throw new CompileError(
        `${what}: the dim ${d.toString()} has no value; the compiler needs ${[...d.symbols()].join(', ')} (the batch size and sequence lengths are fixed per graph)`,
      );
    return v;
  });
}

const lower = (s: string) => s.toLowerCase();

/**
 * Qualified parameter-name prefixes, one per node (`conv2d0`, `basicblock1.conv2d0`); shared
 * uses of a tied layer map to their first use's prefix.
 */
export function nodePrefixes(model: CheckedModel): string[] {
  return modelNames(model).nodes;
}

/**
 * The qualified prefixes of {@link nodePrefixes}, and the path of every group (`basicblock1`,
 * `repeat0.1`) by group id, from which the prefixes are built.
 */
export function modelNames(model: CheckedModel): {
  readonly nodes: string[];
  readonly groups: ReadonlyMap<number, string>;
} {
  const groupPath = new Map<number, string>();
  const counters = new Map<string, number>(); // `${scope}|${kind}` → next index
  const next = (scope: string, kind: string) => {
    const k = `${scope}|${kind}`;
    const n = counters.get(k) ?? 0;
    counters.set(k, n + 1);
    return n;
  };
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  const repeats = new Map<string, number>();
  const pathOf = (gid: number | undefined): string => {
    if (gid === undefined) return '';
    const hit = groupPath.get(gid);
    if (hit !== undefined) return hit;
    const g = model.groups[gid]!;
    const parent = pathOf(g.parent);
    let seg: string;
    if (g.kind === 'repeat') {
      // Iterations of one `repeat` share its source span: `repeat<k>.<index>`.
      const key = `${parent}|${g.file}:${g.span.start}`;
      let k = repeats.get(key);
      if (k === undefined) repeats.set(key, (k = next(parent, '#repeat')));
      seg = g.index !== undefined ? `repeat${k}.${g.index}` : `repeat${k}`;
    } else {
      const name = lower(g.name ?? g.label.replace(/\(.*$/, ''));
      seg = `${name}${next(parent, `#block:${name}`)}`;
    }
    const p = join(parent, seg);
    groupPath.set(gid, p);
    return p;
  };
  // Create group paths in id order so that counters follow source order.
  model.groups.forEach((g) => pathOf(g.id));
  const shared = new Map<string, string>();
  const used = new Set<string>();
  const nodes = model.nodes.map((n) => {
    if (n.sharedKey !== undefined) {
      const hit = shared.get(n.sharedKey);
      if (hit !== undefined) return hit;
      const binding = /^([A-Za-z_]\w*):\s/.exec(n.label)?.[1];
      let p = join(
        pathOf(n.group),
        binding ?? `${lower(n.def.name)}${next(pathOf(n.group), n.def.name)}`,
      );
      while (used.has(p)) p += '_';
      used.add(p);
      shared.set(n.sharedKey, p);
      return p;
    }
    const scope = pathOf(n.group);
    let p = join(scope, n.binding ?? `${lower(n.def.name)}${next(scope, n.def.name)}`);
    while (used.has(p)) p += '_';
    used.add(p);
    return p;
  });
  return { nodes, groups: groupPath };
}

/**
 * The qualified name of a node's parameter: `<prefix>.<param>` (`conv2d0.weight`), or the prefix
 * alone for a learned tensor, whose one parameter has the empty name (`cls`, `block0.pos`).
 */
export function qualifiedParam(prefix: string, param: string): string {
  return param ? `${prefix}.${param}` : prefix;
}

/**
 * The qualified name of parameter `param` of node `n` (prefixes from {@link nodePrefixes}): its
 * own, or for a tied parameter (`Dense(V, tie=embed)`) the owner's, `embed.weight`.
 */
export function paramName(
  model: CheckedModel,
  prefixes: readonly string[],
  n: LayerNode,
  param: string,
): string {
  const t = n.tied?.find((x) => x.param === param);
  if (t) {
    const owner = model.nodes.find((m) => m.sharedKey === t.key);
    if (owner) return qualifiedParam(prefixes[owner.id]!, t.ownerParam);
  }
  return qualifiedParam(prefixes[n.id]!, param);
}

/**
 * The names a tied parameter also has in PyTorch: `self.dense0.weight = self.embed.weight` makes
 * `state_dict()` list both `dense0.weight` and `embed.weight` (one tensor), so a strict load
 * needs both keys. Alias → the parameter it stands for.
 */
export function tiedAliases(model: CheckedModel): Map<string, string> {
  const prefixes = nodePrefixes(model);
  const out = new Map<string, string>();
  for (const n of model.nodes)
    for (const t of n.tied ?? [])
      out.set(qualifiedParam(prefixes[n.id]!, t.param), paramName(model, prefixes, n, t.param));
  return out;
}

/**
 * Model inputs declared `int` are int64 ids, those declared `float` are float. An input declared
 * without an element type is int64 when an Embedding reads it directly, float otherwise.
 */
function inputDType(model: CheckedModel, valueId: number, float: DType): DType {
  const declared = model.values[valueId]?.dtype;
  if (declared) return declared === 'int' ? 'int64' : float;
  return model.nodes.some((n) => n.def.dtype === 'ids' && n.inputs.includes(valueId))
    ? 'int64'
    : float;
}

/** Attribute values without the undefined entries (omitted attributes with no default). */
export function nodeAttrs(n: LayerNode) {
  const vals: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(n.attrs)) if (v !== undefined) vals[k] = v;
  return makeAttrs(n.def, vals);
}

/**
 * Lower `model` into `g` (a new graph by default). Model inputs become graph inputs named as in
 * the model; model outputs are returned (not marked as graph outputs: the caller decides).
 */
export function lowerModel(model: CheckedModel, opts: ForwardOptions, g = new Graph()): Forward {
  if (!model.ok) throw new CompileError(`model ${model.name} has errors; fix them before training`);
  const float = opts.dtype ?? 'float32';
  const vals = new Map<number, Value>();
  const inputs = model.inputs.map((io) => {
    const shape = model.values[io.value]!.shape ?? io.declared;
    if (!shape) throw new CompileError(`input ${io.name} has no shape`);
    const v = g.input(
      io.name,
      concreteShape(shape, opts.dims, `input ${io.name}`),
      inputDType(model, io.value, float),
    );
    vals.set(io.value, v);
    return { name: io.name, value: v };
  });

  const prefixes = nodePrefixes(model);
  const params: ParamInput[] = [];
  const byName = new Map<string, ParamInput>();
  const random: RandomInput[] = [];
  const stateUpdates: StateUpdate[] = [];
  const randomNames = new Set<string>();

  for (const n of model.nodes) {
    const prefix = prefixes[n.id]!;
    const where = `${n.label} (${n.def.name}, ${prefix})`;
    if (!n.def.lower)
      throw new CompileError(
        `${where} cannot be trained yet: the layer ${n.def.name} has no lowering to primitives`,
      );
    const pvals: Record<string, Value> = {};
    for (const spec of n.params) {
      const name = paramName(model, prefixes, n, spec.name);
      let p = byName.get(name);
      if (!p) {
        p = {
          name,
          value: g.input(name, spec.shape, float),
          shape: spec.shape,
          init: spec.init,
          zeroRow: spec.zeroRow,
          trainable: spec.trainable,
          node: n.id,
          layer: n.label,
        };
        byName.set(name, p);
        params.push(p);
      }
      pvals[spec.name] = p.value;
    }
    const rand = (kind: 'uniform' | 'normal') => (shape: readonly number[], tag?: string) => {
      let name = `${kind === 'uniform' ? 'rand' : 'randn'}.${prefix}.${tag ?? 'u'}`;
      for (let k = 1; randomNames.has(name); k++) name = `${name.replace(/#\d+$/, '')}#${k}`;
      randomNames.add(name);
      const value = g.input(name, shape, float);
      random.push({ name, value, shape: [...shape], kind });
      return value;
    };
    const ctx: LowerCtx = {
      b: g,
      inputs: n.inputs.map((id) => {
        const v = vals.get(id);
        if (!v) throw new CompileError(`${where}: its input was not computed`);
        return v;
      }),
      attrs: nodeAttrs(n),
      params: pvals,
      training: opts.training,
      randomUniform: rand('uniform'),
      randomNormal: rand('normal'),
      updateState(param, value) {
        if (!opts.training) return;
        if (!(param in pvals)) throw new CompileError(`${where}: no parameter ${param} to update`);
        stateUpdates.push({ param: qualifiedParam(prefix, param), value });
      },
    };
    let outs: Value[];
    try {
      outs = n.def.lower(ctx);
    } catch (e) {
      if (e instanceof LowerError) throw new CompileError(`${where}: ${e.message}`);
      throw new CompileError(`${where}: lowering failed: ${(e as Error).message}`);
    }
    if (outs.length !== n.outputs.length)
      throw new CompileError(
        `${where}: lowering gave ${outs.length} outputs, expected ${n.outputs.length}`,
      );
    n.outputs.forEach((id, i) => {
      const v = outs[i]!;
      const want = model.values[id]!.shape;
      if (want) {
        const s = concreteShape(want, opts.dims, where);
        if (s.length !== v.shape.length || s.some((d, k) => d !== v.shape[k]))
          throw new CompileError(
            `${where}: lowering gave [${v.shape.join(', ')}], the checker says [${s.join(', ')}] (internal error)`,
          );
      }
      vals.set(id, v);
    });
  }
  // A state updated by several uses of a shared layer keeps the last use's value.
  const lastUpdate = new Map<string, StateUpdate>();
  for (const u of stateUpdates) lastUpdate.set(u.param, u);
  const outputs = model.outputs.map((io) => {
    const v = vals.get(io.value);
    if (!v) throw new CompileError(`output ${io.name} was not computed`);
    return { name: io.name, value: v };
  });
  return { graph: g, inputs, outputs, params, random, stateUpdates: [...lastUpdate.values()] };
}
