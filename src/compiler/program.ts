/**
 * Assemble the three graphs of a model from (CheckedModel, CheckedTrain):
 *
 * - **step**: `(x, y, params…, optimizer state…, lr, random…) → (loss, metrics…, grad_norm,
 *   grad_norm:<p>…, update_ratio, update_ratio:<p>…, new:<p>…, new:<state>…)`: forward in
 *   training mode → loss (+ L1/L2 penalties) → our reverse-mode autodiff → global-norm clipping →
 *   optimizer update; BatchNorm running statistics come out as `new:<p>` of those buffers.
 * - **eval**: `(x, y, params…) → (loss, metrics…, output:<name>…)`: forward in eval mode
 *   (dropout off, BatchNorm on running statistics, Reparameterize returns μ), no update.
 * - **export**: the inference model with the weights as initializers (src/compiler/export.ts).
 *
 * The result is structurally the engine's `StepProgram` (src/engine/program.ts; the compiler may
 * not import the engine), plus `random`: the inputs the engine fills each step from its seeded
 * RNG (dropout masks U[0, 1), VAE ε ~ N(0, 1)). Graphs have a static batch axis.
 *
 * Input/output naming: parameters keep their qualified names (src/compiler/forward.ts); optimizer
 * state is `<param>.<key>` (`dense0.weight.exp_avg`) plus `optimizer.step`; every updated tensor
 * `t` comes back as `new:t`.
 */
import type { CheckedModel, CheckedTrain } from '../language/checked';
import type { ParamSpec } from '../layers/types';
import { ops, type Value } from '../primitives';
import { grad } from './autodiff';
import { exportModel, type Standardization } from './export';
import { CompileError, concreteShape, inputDType, lowerModel, type Forward } from './forward';
import { initParams } from './init';
import { Graph } from './ir';
import { buildLoss, buildMetrics } from './losses';
import { serialize } from './onnx';
import { fuseGemm } from './optimize';
import {
  buildOptimizerUpdate,
  clipByGlobalNorm,
  globalNorm,
  optimizerStateSpec,
  penalties,
} from './optimizers';

export const PROGRAM_VERSION = 1;

// ── the program (structurally src/engine/program.ts StepProgram, version 1) ─────────────────

export interface BatchInputSpec {
  readonly name: string;
  readonly dtype: 'float32' | 'int64';
  readonly sampleShape: readonly number[];
}

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Float32Array;
  readonly output: string;
}

export interface ParamTensorSpec extends TensorSpec {
  readonly trainable: boolean;
  readonly gradNorm?: string;
  /** Step-graph output: ‖Δθ‖/‖θ‖ of this tensor. */
  readonly updateRatio?: string;
  readonly layer?: string;
}

export interface StateSpec extends TensorSpec {
  readonly param?: string;
}

/** A random input: per-sample shape (axis 0 is the batch), filled by the engine every step. */
export interface RandomInputSpec {
  readonly name: string;
  readonly sampleShape: readonly number[];
  readonly kind: 'uniform' | 'normal';
}

export interface MetricSpec {
  readonly name: string;
  readonly output: string;
  readonly reduce: 'sum' | 'mean';
}

export interface CompiledProgram {
  readonly version: 1;
  readonly description: string;
  readonly batchAxis: 'static';
  readonly inputs: { readonly x: BatchInputSpec; readonly y?: BatchInputSpec };
  readonly params: readonly ParamTensorSpec[];
  readonly state: readonly StateSpec[];
  readonly hyper: readonly { readonly name: string; readonly role: 'lr' | 'step' | 'clip' }[];
  /** Step-graph random inputs (the eval and export graphs have none). */
  readonly random: readonly RandomInputSpec[];
  readonly step: {
    graph(batch: number): Uint8Array;
    readonly loss: string;
    readonly metrics: readonly MetricSpec[];
    readonly gradNorm: string;
    /** Global ‖Δθ‖/‖θ‖ over the trainable tensors. */
    readonly updateRatio: string;
  };
  readonly eval: {
    graph(batch: number): Uint8Array;
    readonly loss: string;
    readonly metrics: readonly MetricSpec[];
    /** Eval-graph outputs holding the model outputs, in model order. */
    readonly outputs: readonly string[];
  };
  exportGraph(
    params: ReadonlyMap<string, Float32Array>,
    opts?: { readonly standardize?: Standardization },
  ): Uint8Array;
}

/** What the compiler needs besides the model and train section (the engine's ProgramRequest). */
export interface ProgramRequest {
  readonly model: CheckedModel;
  readonly train: CheckedTrain;
  /** Per-sample input shape the data is fed with (binds T, L, … of the signature). */
  readonly sampleShape: readonly number[];
  readonly classes?: number;
  /** Per-sample target shape (`[]` for class labels). */
  readonly targetShape: readonly number[];
  readonly seed: number;
  /** Initial values that replace the initializers (the model's `weights from` files), by name. */
  readonly initial?: ReadonlyMap<string, Float32Array>;
  /**
   * Several named inputs packed into one batch tensor (decision 0008): each sample row holds
   * the parts one after the other; each part feeds the model input of its name. `sampleShape`
   * is then `[Σ part sizes]`.
   */
  readonly inputParts?: readonly InputPart[];
}

/** One named input of a packed batch (structurally the engine's DataPart). */
export interface InputPart {
  readonly name: string;
  readonly shape: readonly number[];
}

const CLASS_LOSSES = new Set(['CrossEntropy', 'NLL', 'Hinge']);

/** Bindings of the signature's symbolic dims: batch and the per-sample dims. */
export function bindDims(
  model: CheckedModel,
  batch: number,
  sampleShape: readonly number[],
): Record<string, number> {
  const io = model.inputs[0];
  if (!io) throw new CompileError(`model ${model.name} has no input`);
  const shape = model.values[io.value]?.shape ?? io.declared;
  if (!shape) throw new CompileError(`input ${io.name} has no shape`);
  if (shape.length !== sampleShape.length + 1)
    throw new CompileError(
      `input ${io.name} is [${shape.join(', ')}] but the data gives samples of shape [${sampleShape.join(', ')}]`,
    );
  const dims: Record<string, number> = {};
  const bind = (d: (typeof shape)[number], v: number, what: string) => {
    const sym = d.asSymbol();
    if (sym !== undefined) {
      if (dims[sym] !== undefined && dims[sym] !== v)
        throw new CompileError(`${sym} is both ${dims[sym]} and ${v}`);
      dims[sym] = v;
    } else if (d.value !== undefined && d.value !== v)
      throw new CompileError(
        `input ${io.name}: ${what} is ${d.value} in the signature but ${v} in the data`,
      );
  };
  bind(shape[0]!, batch, 'the batch axis');
  sampleShape.forEach((v, i) => bind(shape[i + 1]!, v, `axis ${i + 1}`));
  return dims;
}

/** Dims bound by several named inputs: each part's shape against the model input of its name. */
function bindPartDims(
  model: CheckedModel,
  batch: number,
  parts: readonly InputPart[],
): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const io of model.inputs) {
    const part = parts.find((p) => p.name === io.name);
    if (!part) throw new CompileError(`model input ${io.name} gets no data`);
    const shape = model.values[io.value]?.shape ?? io.declared;
    if (!shape) throw new CompileError(`input ${io.name} has no shape`);
    if (shape.length !== part.shape.length + 1)
      throw new CompileError(
        `input ${io.name} is [${shape.join(', ')}] but the data gives samples of shape [${part.shape.join(', ')}]`,
      );
    [batch, ...part.shape].forEach((v, i) => {
      const d = shape[i]!;
      const sym = d.asSymbol();
      if (sym !== undefined) {
        if (dims[sym] !== undefined && dims[sym] !== v)
          throw new CompileError(`${sym} is both ${dims[sym]} and ${v}`);
        dims[sym] = v;
      } else if (d.value !== undefined && d.value !== v)
        throw new CompileError(
          `input ${io.name}: axis ${i} is ${d.value} in the signature but ${v} in the data`,
        );
    });
  }
  return dims;
}

/** The dims of a request at a batch size: from the one input, or from every named part. */
export function requestDims(req: ProgramRequest, batch: number): Record<string, number> {
  return req.inputParts
    ? bindPartDims(req.model, batch, req.inputParts)
    : bindDims(req.model, batch, req.sampleShape);
}

/** The name of the packed batch input: `inputs`, unless a model input already has that name. */
function packedName(model: CheckedModel): string {
  let name = 'inputs';
  while (model.inputs.some((io) => io.name === name)) name = `_${name}`;
  return name;
}

/**
 * Unpack several inputs from the packed float32 batch `[batch, Σ sizes]`: a column slice per
 * part, reshaped to `[batch, …shape]`, cast to int64 for ids (exact: ids are below 2^24).
 */
function unpackInputs(
  g: Graph,
  req: ProgramRequest,
  batch: number,
): ReadonlyMap<string, Value> | undefined {
  const parts = req.inputParts;
  if (!parts) return undefined;
  const o = ops(g);
  const size = (p: InputPart) => p.shape.reduce((a, b) => a * b, 1);
  const total = parts.reduce((a, p) => a + size(p), 0);
  const x = g.input(packedName(req.model), [batch, total], 'float32');
  const out = new Map<string, Value>();
  let off = 0;
  for (const p of parts) {
    const k = size(p);
    let v = o.reshape(o.slice(x, [off], [off + k], [1]), [batch, ...p.shape]);
    const io = req.model.inputs.find((i) => i.name === p.name);
    if (io && inputDType(req.model, io.value, 'float32') === 'int64') v = o.cast(v, 'int64');
    out.set(p.name, v);
    off += k;
  }
  return out;
}

interface Built {
  readonly graph: Graph;
  readonly fw: Forward;
}

function targetInput(
  g: Graph,
  req: ProgramRequest,
  fw: Forward,
  batch: number,
): { value: Value; spec?: BatchInputSpec } {
  if (req.train.target === 'input') return { value: fw.inputs[0]!.value };
  const loss = req.train.loss?.name ?? '';
  const cls = CLASS_LOSSES.has(loss);
  const taken = new Set(g.inputs.map((i) => i.name));
  const name = taken.has('y') ? 'target' : 'y';
  const spec: BatchInputSpec = {
    name,
    dtype: cls ? 'int64' : 'float32',
    sampleShape: [...req.targetShape],
  };
  return { value: g.input(name, [batch, ...req.targetShape], spec.dtype), spec };
}

function lossAndMetrics(g: Graph, req: ProgramRequest, fw: Forward, target: Value) {
  const spec = req.train.loss;
  if (!spec) throw new CompileError(`train ${req.train.model}: no loss`);
  const outs = fw.outputs.map((o) => o.value);
  const { loss } = buildLoss(g, spec, outs, target, { classes: req.classes });
  const m = buildMetrics(g, spec, outs, target);
  const metrics: [string, Value][] = [];
  if (m.accuracy) metrics.push(['accuracy', m.accuracy]);
  if (m.mae) metrics.push(['mae', m.mae]);
  if (m.mse) metrics.push(['mse', m.mse]);
  return { loss, metrics };
}

/** The training-step graph for one batch size. */
export function buildStepGraph(
  req: ProgramRequest,
  batch: number,
): Built & { stateNames: string[] } {
  const g = new Graph();
  const o = ops(g);
  const dims = requestDims(req, batch);
  const inputValues = unpackInputs(g, req, batch);
  const fw = lowerModel(req.model, { training: true, dims, inputValues }, g);
  const target = targetInput(g, req, fw, batch);
  const { loss, metrics } = lossAndMetrics(g, req, fw, target.value);
  const lr = g.input('lr', [], 'float32');
  const trainable = fw.params.filter((p) => p.trainable);
  if (trainable.length === 0)
    throw new CompileError(`model ${req.model.name} has no trainable parameters`);
  const P = trainable.map((p) => p.value);
  const { l1, l2 } = req.train;
  const objective = l1 || l2 ? o.add(loss, penalties(g, P, { l1, l2 })) : loss;
  const raw = grad(g, objective, P);
  const clipped =
    req.train.clip !== undefined
      ? clipByGlobalNorm(g, raw, req.train.clip)
      : { grads: raw, ...globalNorm(g, raw) };
  const stateSpec = optimizerStateSpec(
    req.train.optimizer,
    P.map((p) => p.shape),
  );
  const stateNames = stateSpec.map((s) =>
    s.param !== undefined ? `${trainable[s.param]!.name}.${s.key}` : `optimizer.${s.key}`,
  );
  const state = stateSpec.map((s, i) => g.input(stateNames[i]!, s.shape, 'float32'));
  const upd = buildOptimizerUpdate(g, req.train.optimizer, P, clipped.grads, state, { lr });

  g.output('loss', loss);
  for (const [name, v] of metrics) g.output(`metric:${name}`, v);
  g.output('grad_norm', clipped.norm);
  const dn = globalNorm(
    g,
    P.map((p, i) => o.sub(upd.newParams[i]!, p)),
  );
  const wn = globalNorm(g, P);
  const tiny = o.scalar(1e-12);
  g.output('update_ratio', o.div(dn.norm, o.maximum(wn.norm, tiny)));
  trainable.forEach((p, i) => {
    g.output(`grad_norm:${p.name}`, clipped.norms[i]!);
    g.output(`update_ratio:${p.name}`, o.div(dn.norms[i]!, o.maximum(wn.norms[i]!, tiny)));
    g.output(`new:${p.name}`, upd.newParams[i]!);
  });
  const updates = new Map(fw.stateUpdates.map((u) => [u.param, u.value]));
  for (const p of fw.params)
    if (!p.trainable) g.output(`new:${p.name}`, updates.get(p.name) ?? p.value);
  stateNames.forEach((n, i) => g.output(`new:${n}`, upd.newState[i]!));
  g.prune();
  return { graph: fuseGemm(g), fw, stateNames };
}

/** The eval graph for one batch size: loss, metrics and the model outputs. */
export function buildEvalGraph(req: ProgramRequest, batch: number): Built {
  const g = new Graph();
  const dims = requestDims(req, batch);
  const inputValues = unpackInputs(g, req, batch);
  const fw = lowerModel(req.model, { training: false, dims, inputValues }, g);
  const target = targetInput(g, req, fw, batch);
  const { loss, metrics } = lossAndMetrics(g, req, fw, target.value);
  g.output('loss', loss);
  for (const [name, v] of metrics) g.output(`metric:${name}`, v);
  for (const out of fw.outputs) g.output(`output:${out.name}`, out.value);
  g.prune();
  return { graph: fuseGemm(g), fw };
}

/** Compile a model and its train section into the engine's program (a ProgramBuilder). */
export function compileProgram(req: ProgramRequest): CompiledProgram {
  const { model, train } = req;
  if (model.inputs.length !== 1 && !req.inputParts)
    throw new CompileError(
      `model ${model.name} has ${model.inputs.length} inputs, but the data gives one input tensor; use a dataset with named inputs (decision 0008)`,
    );
  const batch0 = Math.max(1, train.batch);
  // Build once for the metadata (names, shapes, init); graphs are rebuilt per batch size.
  const first = buildStepGraph(req, batch0);
  const fw = first.fw;
  const x = fw.inputs[0]!;
  const xSpec: BatchInputSpec = req.inputParts
    ? { name: packedName(model), dtype: 'float32', sampleShape: [...req.sampleShape] }
    : {
        name: x.name,
        dtype: x.value.dtype === 'int64' ? 'int64' : 'float32',
        sampleShape: [...req.sampleShape],
      };
  const ySpec =
    train.target === 'input'
      ? undefined
      : first.graph.inputs.find((i) => i.name === 'y' || i.name === 'target');
  const specs: ParamSpec[] = fw.params.map((p) => ({
    name: p.name,
    shape: p.shape,
    trainable: p.trainable,
    init: p.init,
    zeroRow: p.zeroRow,
  }));
  const inits = withInitial(specs, initParams(specs, req.seed), req.initial);
  const params: ParamTensorSpec[] = fw.params.map((p, i) => ({
    name: p.name,
    shape: [...p.shape],
    init: inits[i]!,
    output: `new:${p.name}`,
    trainable: p.trainable,
    ...(p.trainable
      ? { gradNorm: `grad_norm:${p.name}`, updateRatio: `update_ratio:${p.name}` }
      : {}),
    layer: p.layer,
  }));
  const trainableNames = fw.params.filter((p) => p.trainable).map((p) => p.name);
  const shapes = new Map(first.graph.inputs.map((i) => [i.name, i.value.shape]));
  const state: StateSpec[] = first.stateNames.map((n) => {
    const shape = shapes.get(n)!;
    const owner = trainableNames.find(
      (p) => n.startsWith(`${p}.`) && !n.slice(p.length + 1).includes('.'),
    );
    return {
      name: n,
      shape: [...shape],
      init: new Float32Array(shape.reduce((a, d) => a * d, 1)),
      output: `new:${n}`,
      ...(owner ? { param: owner } : {}),
    };
  });
  const random: RandomInputSpec[] = fw.random.map((r) => {
    if (r.shape[0] !== batch0)
      throw new CompileError(`random input ${r.name} [${r.shape.join(', ')}] has no batch axis`);
    return { name: r.name, sampleShape: r.shape.slice(1), kind: r.kind };
  });
  const metricNames = first.graph.outputs
    .filter((o) => o.name.startsWith('metric:'))
    .map((o) => ({ name: o.name.slice(7), output: o.name, reduce: 'mean' as const }));
  const cache = new Map<string, Uint8Array>();
  const cached = (key: string, make: () => Uint8Array) => {
    let v = cache.get(key);
    if (!v) cache.set(key, (v = make()));
    return v;
  };
  const stepBytes = (batch: number) =>
    cached(`step${batch}`, () =>
      serialize(batch === batch0 ? first.graph : buildStepGraph(req, batch).graph, {
        name: `${model.name}_step`,
      }),
    );
  const opt = train.optimizer;
  const optArgs = Object.entries(opt.args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return {
    version: PROGRAM_VERSION,
    description: `${model.name}, ${train.loss?.name ?? 'no loss'}, ${opt.name}(${optArgs})`,
    batchAxis: 'static',
    inputs: {
      x: xSpec,
      ...(ySpec
        ? {
            y: {
              name: ySpec.name,
              dtype: ySpec.value.dtype === 'int64' ? 'int64' : 'float32',
              sampleShape: ySpec.value.shape.slice(1),
            },
          }
        : {}),
    },
    params,
    state,
    hyper: [{ name: 'lr', role: 'lr' }],
    random,
    step: {
      graph: stepBytes,
      loss: 'loss',
      metrics: metricNames,
      gradNorm: 'grad_norm',
      updateRatio: 'update_ratio',
    },
    eval: {
      graph: (batch) =>
        cached(`eval${batch}`, () =>
          serialize(buildEvalGraph(req, batch).graph, { name: `${model.name}_eval` }),
        ),
      loss: 'loss',
      metrics: metricNames,
      outputs: model.outputs.map((o) => `output:${o.name}`),
    },
    exportGraph: (values, opts) =>
      exportModel(model, values, {
        sampleShape: req.inputParts ? [] : req.sampleShape,
        ...(req.inputParts ? { dims: requestDims(req, 1), parts: req.inputParts } : {}),
        ...opts,
      }),
  };
}

/**
 * The initializers' values with the given ones (from `weights from` files) in their place. A
 * given value must have the parameter's size; the engine matched names and shapes already.
 */
export function withInitial(
  specs: readonly { readonly name: string; readonly shape: readonly number[] }[],
  inits: Float32Array[],
  initial: ReadonlyMap<string, Float32Array> | undefined,
): Float32Array[] {
  if (!initial || initial.size === 0) return inits;
  return specs.map((s, i) => {
    const v = initial.get(s.name);
    if (!v) return inits[i]!;
    if (v.length !== inits[i]!.length)
      throw new CompileError(
        `initial value of ${s.name} has ${v.length} elements, the parameter [${s.shape.join(', ')}] has ${inits[i]!.length}`,
      );
    return v;
  });
}

/** Check the sample shape against the signature without building graphs (`bindDims`). */
export function concreteInputShape(
  model: CheckedModel,
  batch: number,
  sampleShape: readonly number[],
) {
  const dims = bindDims(model, batch, sampleShape);
  const io = model.inputs[0]!;
  return concreteShape(model.values[io.value]!.shape ?? io.declared ?? [], dims, io.name);
}

/**
 * The export of a model on its own, without a train section: the per-sample input shape is the
 * signature's apart from the batch axis (every other dim must be a number), and the weights are
 * the initial ones for `seed` (0, like a train section without `seed`).
 */
export function modelExport(
  model: CheckedModel,
  seed = 0,
  initial?: ReadonlyMap<string, Float32Array>,
): {
  readonly sampleShape: readonly number[];
  readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly initial: Map<string, Float32Array>;
  exportGraph(params: ReadonlyMap<string, Float32Array>): Uint8Array;
} {
  const io = model.inputs[0];
  if (!io) throw new CompileError(`model ${model.name} has no input`);
  const shape = model.values[io.value]?.shape ?? io.declared;
  if (!shape) throw new CompileError(`input ${io.name} has no shape`);
  const sampleShape = shape.slice(1).map((d) => {
    if (d.value === undefined)
      throw new CompileError(
        `input ${io.name} is [${shape.join(', ')}]: ${d.toString()} is only known from data, and ${model.name} has no train section; add one (its data fixes ${d.toString()}) or write the size in the signature`,
      );
    return d.value;
  });
  const fw = lowerModel(
    model,
    { training: false, dims: bindDims(model, 1, sampleShape) },
    new Graph(),
  );
  const specs = fw.params.map((p) => ({
    name: p.name,
    shape: p.shape,
    trainable: p.trainable,
    init: p.init,
    zeroRow: p.zeroRow,
  }));
  const inits = withInitial(specs, initParams(specs, seed), initial);
  return {
    sampleShape,
    params: fw.params.map((p) => ({ name: p.name, shape: [...p.shape] })),
    initial: new Map(fw.params.map((p, i) => [p.name, inits[i]!])),
    exportGraph: (values) => exportModel(model, values, { sampleShape }),
  };
}
