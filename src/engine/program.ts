/**
 * StepProgram: the narrow interface between the compiler and the trainer.
 *
 * The compiler turns a checked model + train config into ONNX graphs; the trainer only needs to
 * know which named tensors to feed and read. A training step is one ordinary ONNX graph
 *
 *     (batch x, batch y, params…, optimizer state…, hyper-parameters…)
 *       → (loss, metrics…, new params…, new state…, per-parameter grad norms…)
 *
 * run with onnxruntime's InferenceSession; the trainer feeds each step's new params/state back as
 * the next step's inputs. The eval graph computes the loss and metrics without updating; the
 * export graph is the plain forward pass with the trained params baked in.
 *
 * Graphs with a static batch axis are requested per batch size (`graph(batch)`): the trainer asks
 * for at most two sizes per graph (the batch size and the last short batch) and creates each
 * session once. Programs with a dynamic batch axis (`batchAxis: 'dynamic'`) are asked once.
 */
import type { ProgramRequest } from '../compiler/program';
import type { ProbeSource } from './probe';

export const STEP_PROGRAM_VERSION = 1;

export type TensorDType = 'float32' | 'int64' | 'int32';

/** A batch input: dim 0 is the batch axis; the rest is the per-sample shape. */
export interface BatchInput {
  readonly name: string;
  readonly dtype: TensorDType;
  /** Per-sample shape (no batch axis). */
  readonly sampleShape: readonly number[];
}

/** A parameter or optimizer-state tensor, with its initial value (float32, C order). */
export interface StateTensor {
  /** Input name in the step graph. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Float32Array;
  /** Step-graph output that holds the updated value. */
  readonly output: string;
}

export interface ParamTensor extends StateTensor {
  /** False for non-trainable buffers (BatchNorm running statistics): no grad norm expected. */
  readonly trainable: boolean;
  /** Step-graph output with the L2 norm of this parameter's gradient (scalar), if provided. */
  readonly gradNorm?: string;
  /** The layer it belongs to, for display (`Dense_1`). */
  readonly layer?: string;
}

export interface OptimizerStateTensor extends StateTensor {
  /** The parameter this state belongs to (`W1` for `W1.m`), if any. */
  readonly param?: string;
}

/**
 * Scalar float32 inputs fed every step:
 * - `lr`: the learning rate after the schedule;
 * - `step`: the 1-based optimizer step t (Adam's bias correction);
 * - `clip`: the global gradient-norm limit (+∞ when clipping is off).
 */
export interface HyperInput {
  readonly name: string;
  readonly role: 'lr' | 'step' | 'clip';
}

/**
 * A scalar metric output. `sum` metrics are totals over the batch (e.g. the number of correct
 * predictions; the epoch value divides by the sample count); `mean` metrics are batch means
 * (the epoch value weights them by batch size). The loss output is always a batch mean.
 */
export interface MetricOutput {
  /** `accuracy`, `mae`, `mse`. */
  readonly name: string;
  readonly output: string;
  readonly reduce: 'sum' | 'mean';
}

/**
 * A random step-graph input (dropout masks, VAE noise): per-sample shape (axis 0 is the batch),
 * filled by the trainer every step from its seeded RNG, so runs stay reproducible.
 */
export interface RandomInput {
  readonly name: string;
  readonly sampleShape: readonly number[];
  readonly kind: 'uniform' | 'normal';
}

/** Per-value mean and std of a sample (C order), from the training split. */
export interface Standardization {
  readonly mean: ArrayLike<number>;
  readonly std: ArrayLike<number>;
}

export interface GraphSource {
  /** ONNX model bytes for this batch size (ignored when the batch axis is dynamic). */
  graph(batch: number): Uint8Array;
}

export interface StepProgram {
  readonly version: typeof STEP_PROGRAM_VERSION;
  /** One line for logs: `MLP 2→16→3, softmax CE, SGD(momentum=0.9)`. */
  readonly description: string;
  readonly batchAxis: 'static' | 'dynamic';
  readonly inputs: {
    readonly x: BatchInput;
    /** Absent when the target is the input itself (autoencoders). */
    readonly y?: BatchInput;
  };
  readonly params: readonly ParamTensor[];
  readonly state: readonly OptimizerStateTensor[];
  readonly hyper: readonly HyperInput[];
  /** Random inputs of the step graph (none in the eval and export graphs). */
  readonly random?: readonly RandomInput[];
  readonly step: GraphSource & {
    /** Scalar batch-mean loss. */
    readonly loss: string;
    readonly metrics: readonly MetricOutput[];
    /** Scalar global gradient norm (before clipping), if provided. */
    readonly gradNorm?: string;
  };
  readonly eval: GraphSource & {
    /** Inputs: x, y and the params (same names as in the step graph). */
    readonly loss: string;
    readonly metrics: readonly MetricOutput[];
  };
  /**
   * The inference model (input x, output the model output) with these params baked in; with
   * `standardize`, the graph starts with the data's input standardization `(x − mean) / std`.
   */
  exportGraph?(
    params: ReadonlyMap<string, Float32Array>,
    opts?: { readonly standardize?: Standardization },
  ): Uint8Array;
  /**
   * Hidden-layer outputs in eval mode (inputs: x and the params), for the dead-ReLU fraction and
   * per-neuron maps (src/engine/probe.ts). Absent for the hand-written reference program.
   */
  readonly probe?: ProbeSource;
}

/** What the compiler is given to build a program: declared once, by the compiler. */
export type { ProgramRequest };

export type ProgramBuilder = (req: ProgramRequest) => StepProgram;

let builder: ProgramBuilder | undefined;

/**
 * The compiler registers its builder here (one import in trainer.ts, once the compiler emits
 * training graphs). Until then the trainer reports that compiling a .dlm train section is not
 * available, and only the reference program runs.
 */
export function setProgramBuilder(b: ProgramBuilder | undefined): void {
  builder = b;
}

export function getProgramBuilder(): ProgramBuilder | undefined {
  return builder;
}

/** Structural checks of a program, so that a compiler bug surfaces as a clear message. */
export function validateProgram(p: StepProgram): string[] {
  const errs: string[] = [];
  if (p.version !== STEP_PROGRAM_VERSION)
    errs.push(`step program version ${String(p.version)}, trainer expects ${STEP_PROGRAM_VERSION}`);
  const names = new Set<string>();
  const claim = (n: string, what: string) => {
    if (names.has(n)) errs.push(`${what} '${n}' reuses an input name`);
    names.add(n);
  };
  claim(p.inputs.x.name, 'input');
  if (p.inputs.y) claim(p.inputs.y.name, 'input');
  for (const t of [...p.params, ...p.state]) {
    claim(t.name, 'tensor');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.init.length !== n)
      errs.push(
        `'${t.name}' has shape [${t.shape.join(', ')}] but ${t.init.length} initial values`,
      );
  }
  for (const h of p.hyper) claim(h.name, 'hyper-parameter');
  for (const r of p.random ?? []) claim(r.name, 'random input');
  const params = new Set(p.params.map((t) => t.name));
  for (const s of p.state)
    if (s.param !== undefined && !params.has(s.param))
      errs.push(`optimizer state '${s.name}' refers to unknown parameter '${s.param}'`);
  return errs;
}

export function paramCount(p: StepProgram): { trainable: number; total: number } {
  let trainable = 0;
  let total = 0;
  for (const t of p.params) {
    total += t.init.length;
    if (t.trainable) trainable += t.init.length;
  }
  return { trainable, total };
}
