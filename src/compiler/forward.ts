/**
 * Lower a CheckedModel into the IR: model inputs → outputs, through each layer's
 * `LayerDef.lower`. Parameters become graph inputs with stable PyTorch-style qualified names;
 * randomness (dropout masks, VAE ε) becomes named graph inputs the engine fills from its seeded
 * RNG; BatchNorm's new running statistics are returned as state updates.
 *
 * Parameter names (`conv2d0.weight`, `repeat0.1.basicblock0.conv2d0.weight`, a tied layer by its
 * binding) come from src/language/names.ts.
 */
import { Dim } from '../core';
import type { CheckedModel, LayerNode } from '../language/checked';
import { nodePrefixes, paramName, qualifiedParam } from '../language/names';
import { makeAttrs } from '../layers/attrs';
import { LowerError, type InitSpec, type LowerCtx, type AttrValue } from '../layers/types';
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
  /**
   * Values for model inputs by name, already in the graph (the training graphs unpack several
   * inputs from one packed batch tensor); inputs not given become graph inputs.
   */
  readonly inputValues?: ReadonlyMap<string, Value>;
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

export {
  modelNames,
  nodePrefixes,
  paramName,
  qualifiedParam,
  tiedAliases,
} from '../language/names';

/**
 * Model inputs declared `int` are int64 ids, those declared `float` are float. An input declared
 * without an element type is int64 when an Embedding reads it directly, float otherwise.
 */
export function inputDType(model: CheckedModel, valueId: number, float: DType): DType {
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
    const v =
      opts.inputValues?.get(io.name) ??
      g.input(
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
    // A frozen part is not trained and runs in eval mode (BatchNorm on its running statistics,
    // no dropout), as PyTorch's fine-tuning recipe does with requires_grad_(False) and .eval().
    const training = opts.training && !n.frozen;
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
          trainable: spec.trainable && !n.frozen,
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
      training,
      randomUniform: rand('uniform'),
      randomNormal: rand('normal'),
      updateState(param, value) {
        if (!training) return;
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
