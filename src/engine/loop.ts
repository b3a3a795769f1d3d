/**
 * The training loop, independent of the IPC transport: resolve the train config, load and split
 * the data, check that it fits, build the StepProgram, create the onnxruntime sessions once, and
 * run steps with reused input buffers, streaming events through `emit`. trainer.ts wires it to
 * the parent process.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ConfinedFs, DiskHost, FsError, MAX_CONFIG_BYTES, MAX_SOURCE_BYTES, toPosix } from './host';
import { formatShape, type Dim } from '../core';
import type { CheckedTrain, CheckResult } from '../language/checked';
import { lrAt } from '../compiler/schedules';
import { inputDType } from '../compiler/forward';
import { checkFile, type Host } from '../language/program';
import {
  callText,
  checkWithSection,
  dataChoices,
  lossFor,
  trainSectionText,
} from '../language/starter';
import { DATASETS, findSpec, LOSSES } from '../language/training';
import {
  batchRanges,
  checkDataFits,
  checkPartsFit,
  DataError,
  epochOrder,
  gatherBatch,
  loadDataset,
  product,
  splitDataset,
  summarize,
  type Dataset,
  type DatasetSummary,
  type LoadContext,
  type Split,
  type Task,
} from './datasets';
import {
  getProgramBuilder,
  paramCount,
  validateProgram,
  type BatchInput,
  type MetricOutput,
  type StepProgram,
} from './program';
import {
  PROTOCOL_VERSION,
  type CallOverride,
  type NeuronsSource,
  type ScheduleOverride,
  type StartRequest,
  type TrainerEvent,
  type AttrValue,
} from './protocol';
import { batchNormOnOne } from './batchnorm';
import { loadWeightSources } from './weights';
import { referenceProgram } from './reference';
import { Rng, type RngState } from './rng';
import {
  BEST_CHECKPOINT,
  createRunDir,
  LAST_CHECKPOINT,
  loadCheckpoint,
  MetricsLog,
  removeStaleTemps,
  RUNS_DIR,
  saveCheckpoint,
  sha256,
  writeJson,
  type Checkpoint,
  type CheckpointTensor,
} from './runs';
import { Extras } from './extras';

type Without<T> = T extends unknown ? Omit<T, 'v'> : never;
export type EmitEvent = Without<TrainerEvent>;

export interface Control {
  readonly paused: boolean;
  readonly stopRequested: boolean;
  /** Resolves when the run may continue (resume or stop). */
  waitWhilePaused(): Promise<void>;
}

/** The train settings after defaults and overrides: what config.json records. */
export interface TrainConfig {
  readonly model: string;
  readonly data: CallOverride;
  readonly loss?: CallOverride;
  readonly optimizer: CallOverride;
  readonly lr: number;
  readonly epochs: number;
  readonly batch: number;
  readonly validation: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly clip?: number;
  readonly schedule?: ScheduleOverride;
  readonly earlyStopping?: { readonly patience: number; readonly minDelta: number };
  readonly metrics: readonly string[];
  readonly target: 'labels' | 'input';
}

/** A user-facing failure with a kind, raised before or during the run. */
export class RunError extends Error {
  constructor(
    readonly kind: 'data' | 'nan' | 'io' | 'internal',
    message: string,
    readonly details?: Record<string, unknown>,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

/** File-system failures the user can fix: what the code means and what to do about it. */
const FS_FAILURES: Readonly<Record<string, { readonly means: string; readonly fix: string }>> = {
  EROFS: {
    means: 'the file system is read-only',
    fix: 'open the workspace from a writable location, or make {dir} writable',
  },
  ENOSPC: {
    means: 'the disk is full',
    fix: 'free space on the disk that holds {dir} (old run folders under .dlm/runs can be deleted)',
  },
  EDQUOT: {
    means: 'the disk quota is exceeded',
    fix: 'free space or raise the quota for {dir} (old run folders under .dlm/runs can be deleted)',
  },
  EACCES: { means: 'permission denied', fix: 'make {dir} writable for this user' },
  EPERM: { means: 'permission denied', fix: 'make {dir} writable for this user' },
};

/**
 * A file-system failure while writing `what` in `dir` → a RunError of kind 'io' whose message
 * names the folder and the cause and whose suggestion says what to do; undefined for other errors.
 */
export function fsFailure(
  e: unknown,
  what: string,
  dir: string,
  resumeFrom?: string,
): RunError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const f = code === undefined ? undefined : FS_FAILURES[code];
  if (!f) return undefined;
  return new RunError(
    'io',
    `cannot write ${what} in ${dir}: ${f.means} (${code})`,
    { code, folder: dir, file: what },
    f.fix.replace('{dir}', dir) +
      (resumeFrom ? `; then resume the run from ${resumeFrom}` : '; then train again'),
  );
}

const VERSION: string = (() => {
  for (const p of [
    path.join(__dirname, '..', 'package.json'),
    path.join(__dirname, '..', '..', 'package.json'),
  ]) {
    try {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (j.name === 'dlm-studio' && j.version) return j.version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
})();

export function versions(): Record<string, string> {
  return {
    dlm: VERSION,
    protocol: String(PROTOCOL_VERSION),
    node: process.versions.node,
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown',
  };
}

/** A TrainConfig (config.json's `train`) as start overrides: every setting a run was trained with. */
export function configOverrides(c: TrainConfig): NonNullable<StartRequest['overrides']> {
  return {
    dataset: c.data,
    optimizer: c.optimizer,
    lr: c.lr,
    epochs: c.epochs,
    batch: c.batch,
    validation: c.validation,
    seed: c.seed,
    shuffle: c.shuffle,
    dropLast: c.dropLast,
    ...(c.clip !== undefined ? { clip: c.clip } : {}),
    ...(c.schedule ? { schedule: c.schedule } : {}),
    ...(c.earlyStopping ? { earlyStopping: c.earlyStopping } : {}),
  };
}

/**
 * A resumed run continues with the settings it was started with (its config.json), so that it is
 * bit-identical to an uninterrupted run even when the file's train section changed since, or the
 * model has none; the request's own overrides (`--epochs 30`) still apply on top.
 */
function withSavedSettings(req: StartRequest, root: string): StartRequest {
  if (!req.resumeFrom) return req;
  const dir = path.dirname(path.resolve(root, req.resumeFrom));
  let saved: { train?: TrainConfig } | undefined;
  try {
    saved = JSON.parse(
      new ConfinedFs(root).readText(path.join(dir, 'config.json'), MAX_CONFIG_BYTES),
    ) as { train?: TrainConfig };
  } catch {
    return req; // a checkpoint outside a run folder: the file's settings
  }
  if (!saved?.train || typeof saved.train !== 'object' || !saved.train.data) return req;
  return { ...req, overrides: { ...configOverrides(saved.train), ...req.overrides } };
}

function applyOverrides(base: TrainConfig, o: StartRequest['overrides']): TrainConfig {
  if (!o) return base;
  const optimizer = o.optimizer ?? base.optimizer;
  const lrFromOpt = typeof optimizer.args?.lr === 'number' ? optimizer.args.lr : undefined;
  return {
    ...base,
    data: o.dataset ?? base.data,
    optimizer,
    lr: o.lr ?? (o.optimizer ? (lrFromOpt ?? base.lr) : base.lr),
    epochs: o.epochs ?? base.epochs,
    batch: o.batch ?? base.batch,
    validation: o.validation ?? base.validation,
    seed: o.seed ?? base.seed,
    clip: o.clip ?? base.clip,
    schedule: o.schedule ?? base.schedule,
    earlyStopping: o.earlyStopping
      ? { patience: o.earlyStopping.patience, minDelta: o.earlyStopping.minDelta ?? 0 }
      : base.earlyStopping,
    shuffle: o.shuffle ?? base.shuffle,
    dropLast: o.dropLast ?? base.dropLast,
  };
}

/** The batch size nearest `batch` (above first) that leaves no last batch of one from `n`. */
function evenBatch(n: number, batch: number): number {
  for (let d = 1; d < batch + n; d++)
    for (const b of [batch + d, batch - d]) if (b >= 2 && n % b !== 1) return b;
  return batch;
}

/** A schedule override the checker has not seen (from the dashboard) must be one lrAt knows. */
function checkSchedule(config: TrainConfig): TrainConfig {
  try {
    lrAt(config.schedule, config.lr, 0, 0);
  } catch (e) {
    throw new RunError('data', `schedule: ${(e as Error).message}`);
  }
  return config;
}

function fromChecked(t: CheckedTrain): TrainConfig {
  const lr = t.optimizer.args.lr;
  const call = (c: { name: string; args: Readonly<Record<string, unknown>> }): CallOverride => ({
    name: c.name,
    args: Object.fromEntries(Object.entries(c.args).filter(([, v]) => v !== undefined)) as Record<
      string,
      AttrValue
    >,
  });
  if (!t.data) throw new RunError('data', `train ${t.model} has no data setting`);
  return {
    model: t.model,
    data: call(t.data),
    loss: t.loss && call(t.loss),
    optimizer: call(t.optimizer),
    lr: typeof lr === 'number' ? lr : 1e-3,
    epochs: t.epochs,
    batch: t.batch,
    validation: t.validation,
    seed: t.seed,
    shuffle: t.shuffle,
    dropLast: t.dropLast,
    clip: t.clip,
    schedule: t.schedule && {
      ...call(t.schedule),
      after: t.schedule.after && call(t.schedule.after),
    },
    earlyStopping: t.earlyStopping,
    metrics: t.metrics,
    target: t.target,
  };
}

const dimOut = (d: Dim): number | string => d.value ?? d.toString();

/**
 * A model without a train section trains with a starter section (src/language/starter.ts): on
 * the dataset the request names (the dashboard's choice), else the first that fits, with the
 * matching loss and the starter optimizer settings. The checker checks it like a written one.
 */
function starterTrain(
  result: CheckResult,
  file: string,
  req: StartRequest,
  host: Host,
): CheckedTrain {
  const model = result.models.find((m) => m.name === req.model)!;
  const ds = req.overrides?.dataset;
  const spec = ds && findSpec(DATASETS, ds.name);
  const choice = ds
    ? { text: callText(ds.name, ds.args ?? {}), loss: lossFor(spec?.task ?? 'unknown') }
    : dataChoices(result, file, req.model, host)[0];
  const io = (v: number | undefined) => formatShape(model.values[v ?? -1]?.shape ?? []);
  if (!choice)
    throw new RunError(
      'data',
      `model ${req.model} has no train section, and no bundled or synthetic dataset fits it (input ${io(model.inputs[0]?.value)}, output ${io(model.outputs[0]?.value)}); add a train section with your data, e.g. train ${req.model} { data = Npy("x.npy", "y.npy") }`,
    );
  const checked = checkWithSection(result, file, trainSectionText(req.model, choice), host);
  if (!checked.train || checked.error)
    throw new RunError(
      'data',
      `model ${req.model} has no train section, and ${choice.text} does not fit it: ${checked.error ?? 'the section did not check'}`,
    );
  return checked.train;
}

interface Prepared {
  config: TrainConfig;
  dataset: Dataset;
  split: Split;
  summary: DatasetSummary;
  program: StepProgram;
  sourceSha256?: string;
  modelPath: string;
  notes: string[];
}

/**
 * Everything before the first step; throws RunError/DataError with user-facing messages.
 * `onProgress` hears how far a large data file has been read.
 */
export function prepare(request: StartRequest, onProgress?: LoadContext['onProgress']): Prepared {
  const root = path.resolve(request.workspaceRoot);
  const req = withSavedSettings(request, root);
  const modelPath = path.resolve(root, req.modelPath);
  const notes: string[] = [];
  const host = new DiskHost(root);
  let source: Buffer | undefined;
  try {
    source = host.fs.readBytes(modelPath, MAX_SOURCE_BYTES);
  } catch (e) {
    if (!(e instanceof FsError && e.code === 'missing'))
      throw new RunError('data', `cannot read the model file: ${(e as Error).message}`);
  }
  if (req.reference) {
    const config = checkSchedule(
      applyOverrides(
        {
          model: req.model,
          data: { name: 'Spiral', args: {} },
          optimizer: { name: 'SGD', args: { lr: 0.1 } },
          lr: 0.1,
          epochs: 10,
          batch: 32,
          validation: 0.2,
          seed: 0,
          shuffle: true,
          dropLast: false,
          metrics: ['accuracy'],
          target: 'labels',
        },
        req.overrides,
      ),
    );
    if (config.optimizer.name !== 'SGD')
      throw new RunError(
        'internal',
        `the reference program trains with SGD only (got ${config.optimizer.name})`,
      );
    const dataset = loadDataset(config.data, { root, baseFile: modelPath, onProgress });
    if (dataset.task === 'sequence')
      throw new DataError(`${dataset.name} is sequence data; the reference MLP takes vectors`);
    const split = splitDataset(dataset, config.validation, config.seed);
    const momentum =
      req.reference.momentum ??
      (typeof config.optimizer.args?.momentum === 'number' ? config.optimizer.args.momentum : 0);
    const program = referenceProgram({
      inputs: product(dataset.xShape),
      outputs: dataset.task === 'classification' ? dataset.classes! : product(dataset.yShape),
      hidden: req.reference.hidden,
      activation: req.reference.activation,
      loss: dataset.task === 'classification' ? 'cross_entropy' : 'mse',
      momentum,
      seed: config.seed,
    });
    return {
      config,
      dataset,
      split,
      summary: summarize(dataset, split),
      program,
      sourceSha256: source && sha256(source),
      modelPath,
      notes,
    };
  }

  if (!source) throw new RunError('data', `model file ${modelPath} does not exist`);
  const result = checkFile(toPosix(modelPath), host);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new RunError(
      'data',
      `${path.basename(modelPath)} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before training: ${errors[0]!.message}`,
    );
  const model = result.models.find((m) => m.name === req.model);
  if (!model)
    throw new RunError('data', `no model named ${req.model} in ${path.basename(modelPath)}`);
  const train =
    result.trains.find((t) => t.model === req.model) ??
    starterTrain(result, toPosix(modelPath), req, host);
  const config = checkSchedule(applyOverrides(fromChecked(train), req.overrides));
  const loaded = loadDataset(config.data, { root, baseFile: modelPath, onProgress });
  // A named input holds ids when the model input it feeds does (`int[…]`, or read by an
  // Embedding): those values are cast, never standardized.
  const dataset: Dataset = loaded.parts
    ? {
        ...loaded,
        parts: loaded.parts.map((p) => {
          const io = model.inputs.find((i) => i.name === p.name);
          return io ? { ...p, ids: inputDType(model, io.value, 'float32') === 'int64' } : p;
        }),
      }
    : loaded;
  const shapeOf = (io: (typeof model.inputs)[number] | undefined): (number | string | null)[] => {
    const sh = io ? model.values[io.value]?.shape : undefined;
    return sh ? sh.map(dimOut) : [];
  };
  const parts = dataset.parts;
  if (model.outputs.length < 1 || (model.inputs.length !== 1 && !parts))
    throw new RunError(
      'data',
      `model ${model.name} has ${model.inputs.length} inputs (${model.inputs.map((io) => io.name).join(', ')}), but ${dataset.name} gives one input tensor; use a dataset with named inputs, such as Sequences(…), Csv(…, inputs=(…)) with a column group per input, or Npy(x="….npz"), bound to the model inputs by name`,
    );
  // Several named inputs: bound by name; the packed row is then checked like one input.
  const partErrors = parts
    ? checkPartsFit(
        { ...dataset, parts },
        model.inputs.map((io) => ({ name: io.name, shape: shapeOf(io) })),
        model.name,
      )
    : [];
  if (partErrors.length) throw new DataError(partErrors.join('\n'));
  const inShape = {
    input: parts ? ['B', ...dataset.xShape] : shapeOf(model.inputs[0]),
    output: shapeOf(model.outputs[0]),
  };
  const lossTask = config.loss ? findSpec(LOSSES, config.loss.name)?.task : undefined;
  const fit = checkDataFits(
    dataset,
    inShape.input,
    inShape.output,
    (lossTask ?? 'unknown') as Task | 'vae' | 'unknown',
    model.name,
    config.target,
    ignoreIndexOf(config.loss),
  );
  if (!fit.ok) throw new DataError(fit.errors.join('\n'));
  notes.push(...fit.notes);
  const build = getProgramBuilder();
  if (!build)
    throw new RunError(
      'internal',
      'this build of DLM Studio cannot compile training graphs yet (no StepProgram builder is registered)',
    );
  const split = splitDataset(dataset, config.validation, config.seed);
  const one = batchNormOnOne(model, split.train.n, config.batch, config.dropLast);
  if (one)
    throw new RunError(
      'data',
      one.last
        ? `${one.layer} would train on a batch of one: ${split.train.n} training samples in batches of ${config.batch} leave a last batch of 1, and BatchNorm cannot normalize a single value per channel (PyTorch raises "Expected more than 1 value per channel when training")`
        : `${one.layer} would train on batches of one value per channel (batch ${config.batch}); BatchNorm normalizes each channel over the batch, so it needs at least 2 (PyTorch raises "Expected more than 1 value per channel when training")`,
      { layer: one.layer, batch: one.batch, samples: split.train.n },
      one.last
        ? `set drop_last = true, or a batch size that does not leave one sample over (e.g. batch = ${evenBatch(split.train.n, config.batch)})`
        : 'use batch = 2 or more',
    );
  let initial: Map<string, Float32Array>;
  try {
    initial = loadWeightSources(model, root);
  } catch (e) {
    throw new RunError('data', `cannot read the weights of ${model.name}: ${(e as Error).message}`);
  }
  if (initial.size > 0)
    notes.push(
      `${initial.size} parameter tensor${initial.size === 1 ? '' : 's'} start${initial.size === 1 ? 's' : ''} from 'weights from' files`,
    );
  const program = build({
    model,
    initial,
    train: {
      ...train,
      epochs: config.epochs,
      batch: config.batch,
      validation: config.validation,
      seed: config.seed,
    },
    sampleShape: fit.sampleShape ?? dataset.xShape,
    classes: dataset.classes,
    targetShape: dataset.yShape,
    seed: config.seed,
    ...(parts ? { inputParts: parts } : {}),
  });
  return {
    config,
    dataset,
    split,
    summary: summarize(dataset, split),
    program,
    sourceSha256: sha256(source),
    modelPath,
    notes,
  };
}

type Feeds = Record<string, ort.Tensor>;

function ortType(d: BatchInput['dtype']): 'float32' | 'int64' | 'int32' {
  return d;
}

function makeYBuffer(spec: BatchInput, n: number): Float32Array | Int32Array | BigInt64Array {
  return spec.dtype === 'int64'
    ? new BigInt64Array(n)
    : spec.dtype === 'int32'
      ? new Int32Array(n)
      : new Float32Array(n);
}

const scalarOf = (t: ort.Tensor | undefined): number => {
  const v = t?.data[0];
  return typeof v === 'bigint' ? Number(v) : (v as number);
};

function l2(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

function l2diff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Sessions keyed by batch size (dynamic-batch programs use one session for every size). */
class SessionSet {
  private readonly byBatch = new Map<number, ort.InferenceSession>();
  createMs = 0;
  constructor(
    private readonly src: { graph(batch: number): Uint8Array },
    private readonly dynamic: boolean,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {}
  async prepare(sizes: Iterable<number>): Promise<void> {
    for (const b of new Set(sizes)) {
      const key = this.dynamic ? 0 : b;
      if (this.byBatch.has(key)) continue;
      const t0 = performance.now();
      this.byBatch.set(key, await ort.InferenceSession.create(this.src.graph(b), this.options));
      this.createMs += performance.now() - t0;
    }
  }
  get(b: number): ort.InferenceSession {
    const s = this.byBatch.get(this.dynamic ? 0 : b);
    if (!s) throw new Error(`no session for batch size ${b}`);
    return s;
  }
  async release(): Promise<void> {
    for (const s of this.byBatch.values()) await s.release();
    this.byBatch.clear();
  }
}

/** Reused batch buffers and tensors, one pair of tensors per batch size. */
class BatchFeeder {
  readonly x: Float32Array;
  /** int64 copy of x for programs whose input is integer ids (Embedding). */
  private readonly xi?: BigInt64Array;
  readonly y?: Float32Array | Int32Array | BigInt64Array;
  private readonly tensors = new Map<number, { x: ort.Tensor; y?: ort.Tensor }>();
  private readonly fx: number;
  private readonly fy: number;
  constructor(
    private readonly program: StepProgram,
    maxBatch: number,
  ) {
    this.fx = product(program.inputs.x.sampleShape);
    this.fy = program.inputs.y ? product(program.inputs.y.sampleShape) : 0;
    this.x = new Float32Array(maxBatch * this.fx);
    if (program.inputs.x.dtype === 'int64') this.xi = new BigInt64Array(maxBatch * this.fx);
    if (program.inputs.y) this.y = makeYBuffer(program.inputs.y, maxBatch * this.fy);
  }
  tensorsFor(b: number): { x: ort.Tensor; y?: ort.Tensor } {
    let t = this.tensors.get(b);
    if (!t) {
      const { x: xs, y: ys } = this.program.inputs;
      const shape = [b, ...xs.sampleShape];
      t = {
        x: this.xi
          ? new ort.Tensor('int64', this.xi.subarray(0, b * this.fx), shape)
          : new ort.Tensor('float32', this.x.subarray(0, b * this.fx), shape),
      };
      if (ys && this.y)
        t.y = new ort.Tensor(ortType(ys.dtype), this.y.subarray(0, b * this.fy), [
          b,
          ...ys.sampleShape,
        ]);
      this.tensors.set(b, t);
    }
    return t;
  }
  fill(
    ds: Dataset,
    order: ArrayLike<number>,
    s: number,
    e: number,
    target: 'labels' | 'input',
  ): void {
    if (target === 'input' && this.y instanceof Float32Array)
      gatherBatch({ ...ds, y: ds.x, yShape: ds.xShape }, order, s, e, this.x, this.y);
    else gatherBatch(ds, order, s, e, this.x, this.y ?? new Float32Array(0));
    if (this.xi) {
      const n = (e - s) * this.fx;
      for (let i = 0; i < n; i++) this.xi[i] = BigInt(Math.trunc(this.x[i]!));
    }
  }
}

export interface RunResult {
  readonly reason: 'completed' | 'early_stopping' | 'stopped' | 'error';
}

/** What a run in progress answers besides its control flow (trainer.ts keeps it while it runs). */
export interface LiveRun {
  /** Emit per-neuron maps of `layer` with the current params (rejects with a user message). */
  neurons(layer?: string): Promise<void>;
}

/** Run one training job to its end, emitting events; never throws (errors become events). */
export async function runTraining(
  req: StartRequest,
  ctl: Control,
  emit: (e: EmitEvent) => void,
  onLive?: (live: LiveRun | undefined) => void,
): Promise<RunResult> {
  const sessions: { release(): Promise<void> }[] = [];
  try {
    return await runInner(req, ctl, emit, sessions, onLive);
  } catch (e) {
    if (e instanceof DataError)
      emit({ type: 'error', kind: 'data', message: e.message, details: e.details, fatal: true });
    else if (e instanceof RunError)
      emit({
        type: 'error',
        kind: e.kind,
        message: e.message,
        details: e.details,
        suggestion: e.suggestion,
        fatal: true,
      });
    else {
      const err = e as Error;
      emit({
        type: 'error',
        kind: 'internal',
        message: err.message ?? String(e),
        details: { stack: err.stack },
        fatal: true,
      });
    }
    return { reason: 'error' };
  } finally {
    onLive?.(undefined);
    for (const s of sessions) await s.release().catch(() => undefined);
  }
}

/** onnxruntime session options of the trainer (`threads` intra-op threads). */
function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Intra-op threads sleep instead of spinning between ops: a training step is hundreds to
    // thousands of small kernels (an unrolled LSTM), and spinning workers compete with the main
    // thread for the cores (measured with bench/train.bench.ts on 2 cores: char-LSTM step 117 →
    // 68 ms, MLP 9.8 → 5.9 ms; see docs/training.md, Performance).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Per-neuron maps of a finished run (no run in progress): compile the model again, load the
 * parameters of `from.checkpoint` and emit one `neurons` event. Throws RunError/DataError/Error
 * with a user-facing message (the model changed since the run, no 2-feature input, …).
 */
export async function neuronsFromCheckpoint(
  from: NeuronsSource,
  layer: string | undefined,
  emit: (e: EmitEvent) => void,
): Promise<void> {
  const p = prepare({
    type: 'start',
    v: PROTOCOL_VERSION,
    workspaceRoot: from.workspaceRoot,
    modelPath: from.modelPath,
    model: from.model,
    ...(from.dataset ? { overrides: { dataset: from.dataset } } : {}),
  });
  const file = path.resolve(from.workspaceRoot, from.checkpoint);
  let ck: Checkpoint;
  try {
    ck = loadCheckpoint(file, from.workspaceRoot);
  } catch (e) {
    throw new RunError('data', `cannot read the run's checkpoint: ${(e as Error).message}`);
  }
  const params: Feeds = {};
  for (const t of p.program.params) {
    const c = ck.tensors.find((x) => x.name === t.name && x.kind === 'param');
    if (!c || c.shape.join() !== t.shape.join())
      throw new RunError(
        'data',
        `the model changed since this run (parameter '${t.name}' ${c ? `was [${c.shape.join(', ')}], now [${t.shape.join(', ')}]` : 'is new'}); train it again to see its neuron maps`,
      );
    params[t.name] = new ort.Tensor('float32', c.data, [...t.shape]);
  }
  const extras = new Extras(p.program, p.dataset, p.split, sessionOptions(1), (e) => emit(e));
  try {
    await extras.neurons(params, ck.step, layer);
  } finally {
    await extras.release();
  }
}

/** A fresh run folder; a read-only or full disk is an 'io' error naming `.dlm/runs`. */
function newRunDir(root: string, model: string): { dir: string; id: string } {
  try {
    return createRunDir(root, model);
  } catch (e) {
    throw fsFailure(e, 'a run folder', path.join(root, RUNS_DIR)) ?? e;
  }
}

async function runInner(
  req: StartRequest,
  ctl: Control,
  emit: (e: EmitEvent) => void,
  sessions: { release(): Promise<void> }[],
  onLive?: (live: LiveRun | undefined) => void,
): Promise<RunResult> {
  const t0 = performance.now();
  // files of 16 MiB or more: at most one progress event per 1% of the file
  let shown = -1;
  const p = prepare(req, (file, done, total) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    if (total < 16 << 20) return;
    if (pct === shown) return;
    shown = pct;
    emit({ type: 'progress', stage: 'data', file, done, total });
  });
  const { config, split, program } = p;
  const problems = validateProgram(program);
  if (problems.length)
    throw new RunError('internal', `invalid step program: ${problems.join('; ')}`);
  const train = split.train;
  const val = split.validation;
  const fxData = product(train.xShape);
  const fxProg = product(program.inputs.x.sampleShape);
  if (fxData !== fxProg)
    throw new DataError(
      `${train.name} samples have ${fxData} values, but the step program takes ${fxProg}`,
    );

  // Sessions, created once per needed batch size.
  const options = sessionOptions(req.threads ?? 1);
  const dynamic = program.batchAxis === 'dynamic';
  const stepSessions = new SessionSet(program.step, dynamic, options);
  const evalSessions = new SessionSet(program.eval, dynamic, options);
  sessions.push(stepSessions, evalSessions);
  const ranges = batchRanges(train.n, config.batch, config.dropLast);
  if (ranges.length === 0)
    throw new DataError(
      `${train.name} has ${train.n} training samples, fewer than one batch of ${config.batch} with drop_last = true`,
    );
  await stepSessions.prepare(ranges.map(([s, e]) => e - s));
  const evalBatch = Math.max(config.batch, 256);
  const evalRanges = val ? batchRanges(val.n, evalBatch, false) : [];
  await evalSessions.prepare(evalRanges.map(([s, e]) => e - s));
  const sessionCreateMs = stepSessions.createMs + evalSessions.createMs;

  // Parameters and optimizer state: from the program, or from the checkpoint.
  const feeds: Feeds = {};
  const tensorSpecs = [
    ...program.params.map((t) => ({ t, kind: 'param' as const })),
    ...program.state.map((t) => ({ t, kind: 'state' as const })),
  ];
  for (const { t } of tensorSpecs)
    feeds[t.name] = new ort.Tensor('float32', t.init.slice(), [...t.shape]);
  let step = 0;
  let startEpoch = 0;
  let startBatch = 0;
  let shuffleRng = new Rng((config.seed ^ 0x0badf00d) >>> 0);
  let best: { loss: number; epoch: number; stale: number } | undefined;
  let partial: Record<string, number> | undefined;
  let runDir: string;
  let runId: string;
  let resumed: { from: string; step: number; epoch: number } | undefined;
  const root = path.resolve(req.workspaceRoot);
  if (req.resumeFrom) {
    const from = path.resolve(root, req.resumeFrom);
    let ck: Checkpoint;
    try {
      ck = loadCheckpoint(from, root);
    } catch (e) {
      throw new RunError('data', `cannot resume: ${(e as Error).message}`);
    }
    for (const { t, kind } of tensorSpecs) {
      const c = ck.tensors.find((x) => x.name === t.name && x.kind === kind);
      const what = kind === 'param' ? `parameter '${t.name}'` : `optimizer state '${t.name}'`;
      if (!c || c.shape.join() !== t.shape.join())
        throw new RunError(
          'data',
          `cannot resume from ${from}: ${what} ${c ? `has shape [${c.shape.join(', ')}], the model now needs [${t.shape.join(', ')}]` : 'is missing (was the checkpoint saved from another model or optimizer?)'}`,
        );
      feeds[t.name] = new ort.Tensor('float32', c.data, [...t.shape]);
    }
    step = ck.step;
    startEpoch = ck.epoch;
    startBatch = ck.batchInEpoch;
    shuffleRng = new Rng(ck.rng);
    best = ck.best && { ...ck.best };
    partial = ck.partial && { ...ck.partial };
    resumed = { from, step, epoch: startEpoch };
    const dir = path.dirname(from);
    if (new ConfinedFs(root).isFile(path.join(dir, 'config.json'))) {
      runDir = dir;
      runId = path.basename(dir);
    } else ({ dir: runDir, id: runId } = newRunDir(root, config.model));
  } else ({ dir: runDir, id: runId } = newRunDir(root, config.model));

  const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  const lastPath = path.join(runDir, LAST_CHECKPOINT);
  // File-system failures (read-only, disk full) become 'io' errors that name the folder, recorded
  // in metrics.jsonl when it can still be written.
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const err = fsFailure(e, what, runDir, existsSync(lastPath) ? lastPath : undefined);
      if (!err) throw e;
      try {
        metrics.append({ type: 'error', kind: 'io', message: err.message, step, fatal: true });
      } catch {
        /* the log cannot be written either */
      }
      throw err;
    }
  };
  guard('stale temporary files', () => removeStaleTemps(runDir));
  if (resumed) guard('metrics.jsonl', () => metrics.truncateAfter(resumed.step));
  const counts = paramCount(program);
  if (!resumed)
    guard('config.json', () =>
      writeJson(path.join(runDir, 'config.json'), {
        model: config.model,
        modelPath: path.relative(root, p.modelPath),
        createdAt: new Date().toISOString(),
        train: config,
        sourceSha256: p.sourceSha256,
        dataset: p.summary,
        program: program.description,
        params: counts,
        threads: options.intraOpNumThreads,
        versions: versions(),
      }),
    );
  const send = (e: EmitEvent, log = true) => {
    if (log) guard('metrics.jsonl', () => metrics.append(e));
    emit(e);
  };
  // Dashboard extras (boundary, confusion, histograms, dead ReLUs, neuron maps): not logged to
  // metrics.jsonl unless asked.
  const extras = new Extras(program, p.dataset, split, options, (e, log) => send(e, log));
  sessions.push(extras);
  const neuronLayers = extras.neuronLayers;
  send({
    type: 'started',
    runDir,
    runId,
    dataset: p.summary,
    params: counts,
    program: program.description,
    epochs: config.epochs,
    stepsPerEpoch: ranges.length,
    resumed,
    timing: { sessionCreateMs },
    notes: [...p.notes, ...(p.dataset.notes ?? [])],
    ...(neuronLayers.length ? { neuronLayers } : {}),
    paramShapes: Object.fromEntries(program.params.map((t) => [t.name, [...t.shape]])),
  });

  const feeder = new BatchFeeder(program, Math.max(config.batch, evalBatch));
  // Neuron maps on request, between steps or while paused, with the params of the last step.
  onLive?.({
    neurons: (layer) => {
      const params: Feeds = {};
      for (const t of program.params) params[t.name] = feeds[t.name]!;
      return extras.neurons(params, step, layer);
    },
  });
  const hyper = (lr: number) => {
    for (const h of program.hyper) {
      const v = h.role === 'lr' ? lr : h.role === 'step' ? step + 1 : (config.clip ?? Infinity);
      feeds[h.name] = new ort.Tensor('float32', new Float32Array([v]), []);
    }
  };
  const yName = program.inputs.y?.name;
  // Random inputs (dropout masks, noise): one buffer per input and batch size, refilled per step
  // from a generator seeded by the run seed (resumed runs reseed from seed and step).
  const randomBufs = new Map<string, ort.Tensor>();
  const fillRandom = (b: number) => {
    if (!program.random?.length) return;
    const rng = new Rng(((config.seed * 0x9e3779b1) ^ step) >>> 0);
    for (const r of program.random) {
      const key = `${r.name}|${b}`;
      let t = randomBufs.get(key);
      if (!t) {
        t = new ort.Tensor('float32', new Float32Array(b * product(r.sampleShape)), [
          b,
          ...r.sampleShape,
        ]);
        randomBufs.set(key, t);
      }
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] = r.kind === 'normal' ? rng.normal() : rng.next();
      feeds[r.name] = t;
    }
  };
  const sumMetrics = (
    ms: readonly MetricOutput[],
    out: ort.InferenceSession.OnnxValueMapType,
    b: number,
    acc: Record<string, number>,
  ) => {
    for (const m of ms)
      acc[m.name] = (acc[m.name] ?? 0) + scalarOf(out[m.output]) * (m.reduce === 'mean' ? b : 1);
  };
  const interval = req.stepEventInterval ?? 50;
  let lastStepEvent = -Infinity;
  const ckptEvery = req.checkpointEvery ?? 0;
  const bestPath = path.join(runDir, BEST_CHECKPOINT);
  const snapshot = (
    epoch: number,
    batchInEpoch: number,
    rng: RngState,
    extra?: Record<string, number>,
  ): Checkpoint => ({
    step,
    epoch,
    batchInEpoch,
    rng,
    tensors: tensorSpecs.map(({ t, kind }): CheckpointTensor => ({
      name: t.name,
      kind,
      shape: t.shape,
      data: feeds[t.name]!.data as Float32Array,
    })),
    best,
    partial: extra,
    model: config.model,
    program: program.description,
  });
  const checkpoint = (file: string, c: Checkpoint, isBest: boolean) => {
    guard(path.basename(file), () => saveCheckpoint(file, c));
    send({ type: 'checkpoint', path: file, step: c.step, epoch: c.epoch, best: isBest });
  };

  let reason: 'completed' | 'early_stopping' | 'stopped' = 'completed';
  let epoch = startEpoch;
  outer: for (; epoch < config.epochs; epoch++) {
    const tEpoch = performance.now();
    const epochRng = shuffleRng.getState();
    const order = epochOrder(train.n, config.shuffle, shuffleRng);
    const acc: Record<string, number> =
      startBatch > 0 && partial ? { ...partial } : { loss: 0, n: 0 };
    let copyMs = 0;
    let runMs = 0;
    let steps = 0;
    let lr = lrAt(config.schedule, config.lr, epoch, step, ranges.length);
    for (let bi = startBatch; bi < ranges.length; bi++) {
      if (ctl.paused && !ctl.stopRequested) {
        send({ type: 'paused', step, epoch });
        await ctl.waitWhilePaused();
        if (!ctl.stopRequested) send({ type: 'resumed', step, epoch });
      }
      if (ctl.stopRequested) {
        reason = 'stopped';
        checkpoint(lastPath, snapshot(epoch, bi, epochRng, acc), false);
        break outer;
      }
      const [s, e] = ranges[bi]!;
      const b = e - s;
      const c0 = performance.now();
      feeder.fill(train, order, s, e, config.target);
      const bt = feeder.tensorsFor(b);
      feeds[program.inputs.x.name] = bt.x;
      if (yName && bt.y) feeds[yName] = bt.y;
      lr = lrAt(config.schedule, config.lr, epoch, step, ranges.length);
      hyper(lr);
      fillRandom(b);
      const c1 = performance.now();
      const out = await stepSessions.get(b).run(feeds);
      const c2 = performance.now();
      step++;
      const loss = scalarOf(out[program.step.loss]);
      // Non-finite check: the first parameter whose gradient norm is not finite.
      let badParam: string | undefined;
      for (const prm of program.params) {
        if (prm.gradNorm && !Number.isFinite(scalarOf(out[prm.gradNorm]))) {
          badParam = prm.name;
          break;
        }
      }
      if (!Number.isFinite(loss) && !badParam) {
        for (const prm of program.params) {
          const d = out[prm.output]?.data as Float32Array | undefined;
          if (d && !d.every(Number.isFinite)) {
            badParam = prm.name;
            break;
          }
        }
      }
      if (!Number.isFinite(loss) || badParam) {
        const layer = program.params.find((x) => x.name === badParam)?.layer;
        const what = badParam
          ? `the gradient of '${badParam}'${layer ? ` (${layer})` : ''} was the first to become non-finite`
          : 'the loss is not finite';
        const msg = `training diverged at step ${step} (epoch ${epoch + 1}): loss = ${loss}; ${what}`;
        metrics.append({ type: 'error', kind: 'nan', message: msg, step, epoch });
        throw new RunError(
          'nan',
          msg,
          { parameter: badParam, step, epoch, lr, loss: String(loss) },
          `lower the learning rate (lr = ${lr}; try ${+(lr / 10).toPrecision(3)} or less)${config.clip === undefined ? ' or add gradient clipping (clip = 1.0)' : ''}`,
        );
      }
      const emitNow = interval === 0 || c2 - lastStepEvent >= interval || bi === ranges.length - 1;
      let gradNorms: Record<string, number> | undefined;
      let updateRatios: Record<string, number> | undefined;
      if (emitNow) {
        gradNorms = {};
        updateRatios = {};
        for (const prm of program.params) {
          if (prm.gradNorm) gradNorms[prm.name] = scalarOf(out[prm.gradNorm]);
          const oldD = feeds[prm.name]!.data as Float32Array;
          const newD = out[prm.output]!.data as Float32Array;
          // ‖Δθ‖/‖θ‖ is undefined for a tensor that is still all zeros (a bias at its first
          // step): left out rather than reported as ~1e9.
          const norm = l2(oldD);
          if (norm > 0) updateRatios[prm.name] = l2diff(newD, oldD) / norm;
        }
      }
      for (const t of program.params) feeds[t.name] = out[t.output]!;
      for (const t of program.state) feeds[t.name] = out[t.output]!;
      acc.loss = acc.loss! + loss * b;
      acc.n = acc.n! + b;
      sumMetrics(program.step.metrics, out, b, acc);
      const c3 = performance.now();
      copyMs += c1 - c0 + (c3 - c2);
      runMs += c2 - c1;
      steps++;
      if (emitNow) {
        lastStepEvent = c2;
        const stepMetrics: Record<string, number> = {};
        for (const m of program.step.metrics)
          stepMetrics[m.name] = scalarOf(out[m.output]) / (m.reduce === 'sum' ? b : 1);
        send({
          type: 'step',
          step,
          epoch,
          loss,
          lr,
          gradNorm: program.step.gradNorm ? scalarOf(out[program.step.gradNorm]) : undefined,
          gradNorms,
          updateRatios,
          metrics: stepMetrics,
        });
      }
      if (extras.hasBoundary && bi < ranges.length - 1 && extras.boundaryDue())
        await extras.boundary(feeds, step, epoch + 1);
      if (ckptEvery > 0 && step % ckptEvery === 0 && bi < ranges.length - 1)
        checkpoint(lastPath, snapshot(epoch, bi + 1, epochRng, acc), false);
      // Let pause/stop/shutdown messages in between steps.
      await new Promise<void>((r) => setImmediate(r));
    }
    startBatch = 0;
    partial = undefined;

    // Validation.
    const trainLoss = acc.loss! / Math.max(1, acc.n!);
    const trainAcc = acc.accuracy !== undefined ? acc.accuracy / acc.n! : undefined;
    let valLoss: number | undefined;
    let valAcc: number | undefined;
    const extra: Record<string, number> = {};
    for (const m of program.step.metrics)
      if (m.name !== 'accuracy') extra[m.name] = acc[m.name]! / acc.n!;
    if (val) {
      const vacc: Record<string, number> = { loss: 0, n: 0 };
      const ident = Int32Array.from({ length: val.n }, (_, i) => i);
      const evalFeeds: Feeds = {};
      for (const t of program.params) evalFeeds[t.name] = feeds[t.name]!;
      extras.beginValidation();
      for (const [s, e] of evalRanges) {
        const b = e - s;
        feeder.fill(val, ident, s, e, config.target);
        const bt = feeder.tensorsFor(b);
        evalFeeds[program.inputs.x.name] = bt.x;
        if (yName && bt.y) evalFeeds[yName] = bt.y;
        const out = await evalSessions.get(b).run(evalFeeds);
        vacc.loss = vacc.loss! + scalarOf(out[program.eval.loss]) * b;
        vacc.n = vacc.n! + b;
        sumMetrics(program.eval.metrics, out, b, vacc);
        extras.validationBatch(out, val, s, e);
      }
      await extras.endValidation(feeds, val, epoch + 1);
      valLoss = vacc.loss! / vacc.n!;
      valAcc = vacc.accuracy !== undefined ? vacc.accuracy / vacc.n! : undefined;
      for (const m of program.eval.metrics)
        if (m.name !== 'accuracy') extra[`val_${m.name}`] = vacc[m.name]! / vacc.n!;
    }
    // Best by validation loss (training loss when there is no validation split).
    const monitored = valLoss ?? trainLoss;
    const minDelta = config.earlyStopping?.minDelta ?? 0;
    const improved = !best || monitored < best.loss - minDelta;
    if (improved) best = { loss: monitored, epoch, stale: 0 };
    else if (best) best = { ...best, stale: best.stale + 1 };
    send({
      type: 'epoch',
      epoch,
      step,
      trainLoss,
      trainAcc,
      valLoss,
      valAcc,
      metrics: Object.keys(extra).length ? extra : undefined,
      lr,
      timeMs: performance.now() - tEpoch,
      best: improved,
      timing: {
        sessionCreateMs,
        copyMsPerStep: steps ? copyMs / steps : 0,
        runMsPerStep: steps ? runMs / steps : 0,
      },
    });
    await extras.boundary(feeds, step, epoch + 1, { force: epoch === startEpoch });
    await extras.histograms(feeds, step);
    const next = snapshot(epoch + 1, 0, shuffleRng.getState());
    checkpoint(lastPath, next, false);
    if (improved) checkpoint(bestPath, snapshot(epoch, ranges.length, epochRng), true);
    if (config.earlyStopping && best && best.stale >= config.earlyStopping.patience) {
      reason = 'early_stopping';
      epoch++;
      break;
    }
  }
  // the final boundary, also logged so that a finished run shows it from metrics.jsonl
  await extras.boundary(feeds, step, Math.min(epoch, config.epochs), { force: true, log: true });
  send({
    type: 'finished',
    reason,
    step,
    epoch: Math.min(epoch, config.epochs),
    bestEpoch: best?.epoch,
    bestValLoss: val ? best?.loss : undefined,
    runDir,
    timeMs: performance.now() - t0,
  });
  return { reason };
}

/** The loss's `ignore_index`, when set. */
function ignoreIndexOf(loss: { readonly args?: Readonly<Record<string, unknown>> } | undefined) {
  const v = loss?.args?.['ignore_index'];
  return typeof v === 'number' ? v : undefined;
}
