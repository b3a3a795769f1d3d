/**
 * Registers the compiler (src/compiler/program.ts) as the trainer's StepProgram builder.
 *
 * The compiler may not import the engine, so its `CompiledProgram` is a structural copy of the
 * engine's `StepProgram` (plus extras the trainer ignores: per-tensor update-ratio outputs, the
 * eval graph's model outputs). `toStepProgram` adapts one to the other and keeps the compiler's
 * errors user-facing: a `CompileError` (the data does not bind the signature, a layer that does
 * not lower yet) becomes a `RunError` of kind 'data' raised before training starts.
 *
 * What the engine already does before calling the builder (src/engine/loop.ts `prepare`):
 * the dataset → input shape fitting (`checkDataFits`, e.g. Digits [64] → [1, 8, 8]), which gives
 * `sampleShape`; `target = input` (the compiler then feeds no y); the seed, which the compiler
 * uses for its initializers (src/compiler/init.ts `initParams(specs, seed)`).
 */
import { onnx } from 'onnx-proto';
import { CompileError } from '../compiler/forward';
import {
  compileProgram,
  requestDims,
  unpackInputs,
  type CompiledProgram,
} from '../compiler/program';
import { lossTarget } from '../language/training';
import { RunError } from './loop';
import { probeSource, type ProbeSource } from './probe';
import {
  setProgramBuilder,
  STEP_PROGRAM_VERSION,
  type ProgramRequest,
  type StepProgram,
} from './program';

/**
 * Drop graph outputs the trainer does not read, and the nodes only they needed. The compiler's
 * step graph returns ‖Δθ‖/‖θ‖ per tensor (`update_ratio:<p>`, `update_ratio`); the trainer
 * computes those ratios itself on the steps it reports (src/engine/loop.ts), so computing them
 * every step in the graph is waste: for the MLP 784-256-128-10 it is 81 of 175 nodes and about
 * 11% of the step time.
 */
export function dropOutputs(bytes: Uint8Array, drop: (name: string) => boolean): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  const outputs = g?.output ?? [];
  if (!g || !outputs.some((o) => drop(o.name ?? ''))) return bytes;
  const nodes = g.node ?? [];
  g.output = outputs.filter((o) => !drop(o.name ?? ''));
  const needed = new Set(g.output.map((o) => o.name ?? ''));
  const keep: onnx.INodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if ((n.output ?? []).some((o) => needed.has(o))) {
      keep.push(n);
      for (const x of n.input ?? []) needed.add(x);
    }
  }
  g.node = keep.reverse();
  return onnx.ModelProto.encode(m).finish();
}

const unread = (name: string) => name === 'update_ratio' || name.startsWith('update_ratio:');

/** CompiledProgram → StepProgram (the shapes agree; this pins it at compile time). */
export function toStepProgram(
  c: CompiledProgram,
  probe?: ProbeSource,
): StepProgram & { readonly compiled: CompiledProgram } {
  const stepGraphs = new Map<number, Uint8Array>();
  return {
    version: STEP_PROGRAM_VERSION,
    description: c.description,
    batchAxis: c.batchAxis,
    inputs: c.inputs,
    params: c.params,
    state: c.state,
    hyper: c.hyper,
    random: c.random,
    step: {
      loss: c.step.loss,
      metrics: c.step.metrics,
      gradNorm: c.step.gradNorm,
      graph: (b) => {
        let v = stepGraphs.get(b);
        if (!v) stepGraphs.set(b, (v = dropOutputs(c.step.graph(b), unread)));
        return v;
      },
    },
    eval: c.eval,
    exportGraph: (p, opts) => c.exportGraph(p, opts),
    ...(probe ? { probe } : {}),
    compiled: c,
  };
}

/** The ProgramBuilder: compile, with compiler errors turned into messages before training. */
export function buildProgram(
  req: ProgramRequest,
): StepProgram & { readonly compiled: CompiledProgram } {
  // VAELoss compares the reconstruction with the input (its KL term needs no target): feed no y.
  const target = lossTarget(req.train);
  const r: ProgramRequest =
    target !== req.train.target ? { ...req, train: { ...req.train, target } } : req;
  try {
    const compiled = compileProgram(r);
    let probe: ProbeSource | undefined;
    try {
      probe = probeSource(
        r.model,
        (b) => requestDims(r, b),
        r.inputParts ? (g, b) => unpackInputs(g, r, b) : undefined,
      );
    } catch {
      probe = undefined; // no dead-ReLU counts or neuron maps; training is unaffected
    }
    return toStepProgram(compiled, probe);
  } catch (e) {
    if (e instanceof CompileError)
      throw new RunError('data', `cannot compile ${req.model.name} for training: ${e.message}`);
    throw e;
  }
}

let registered = false;

/** Register the compiler with the trainer (idempotent). */
export function registerCompiler(): void {
  if (registered) return;
  registered = true;
  setProgramBuilder(buildProgram);
}

registerCompiler();

// In the trainer child started by `dlm train`: a terminal Ctrl-C reaches the whole process
// group, but the parent decides (first Ctrl-C: `stop` over IPC, second: kill), so ignore it here.
if (typeof process.send === 'function' && process.env.DLM_TRAINER_IGNORE_SIGINT === '1')
  process.on('SIGINT', () => undefined);
