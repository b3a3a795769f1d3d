/**
 * The message protocol between the extension/CLI (parent) and the trainer child process, over
 * Node's IPC channel. Versioned: every message carries `v: PROTOCOL_VERSION`; the child
 * announces its version in `ready`, and rejects requests of another version.
 *
 * Requests (parent → child): start, pause, resume, stop, shutdown, neurons.
 * Events (child → parent): ready, started, step, epoch, checkpoint, paused, resumed, finished,
 * error. Within a run, events arrive in this order: started, (step* epoch checkpoint?)*,
 * finished | error; paused/resumed may come between steps.
 * Optional dashboard extras (src/engine/extras.ts; added within version 1, a parent may ignore
 * them): boundary, confusion, histograms (with the dead-ReLU counts), neurons. Their fields are
 * the dashboard messages' (webview/protocol.ts) and their `epoch` is 1-based, unlike the 0-based
 * epoch of step/epoch. Also within version 1 (all optional): `started.neuronLayers`, and the
 * `neurons` request's `from` (answer from a finished run's checkpoint, with no run in progress).
 */
import type { AttrValue } from '../layers/types';
import type { DatasetSummary } from './datasets/types';
// The data the dashboard draws is declared once, in the shared webview types, and the trainer
// sends it in that shape.
import type {
  DashDeadRelu,
  DashGrid,
  DashHistogram,
  DashNeuronLayer,
  DashPoints,
} from '../../webview/protocol';

export const PROTOCOL_VERSION = 1;

/** An attribute or dataset argument value, as the language declares it. */
export type { AttrValue };

export interface CallOverride {
  readonly name: string;
  readonly args?: Readonly<Record<string, AttrValue>>;
}

/** A schedule: Warmup may name the schedule that follows it (`Warmup(500, after=Cosine(20))`). */
export interface ScheduleOverride extends CallOverride {
  readonly after?: CallOverride;
}

/** Options for the hand-written reference program (tests, `dlm doctor`). */
export interface ReferenceProgramOptions {
  readonly hidden?: readonly number[];
  readonly activation?: 'relu' | 'tanh';
  readonly momentum?: number;
}

export interface StartRequest {
  readonly type: 'start';
  readonly v: number;
  /** Workspace root: data paths and the run folder (`.dlm/runs`) live inside it. */
  readonly workspaceRoot: string;
  /** The .dlm file (absolute, or relative to the workspace root). */
  readonly modelPath: string;
  /** The model whose train section runs. */
  readonly model: string;
  readonly overrides?: {
    readonly epochs?: number;
    readonly batch?: number;
    readonly lr?: number;
    readonly optimizer?: CallOverride;
    readonly dataset?: CallOverride;
    readonly validation?: number;
    readonly seed?: number;
    readonly clip?: number;
    readonly schedule?: ScheduleOverride;
    readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
    readonly shuffle?: boolean;
    readonly dropLast?: boolean;
  };
  /** intra-op threads for onnxruntime (default 1). */
  readonly threads?: number;
  /** A checkpoint file to resume from (params, optimizer state, step, epoch, RNG state). */
  readonly resumeFrom?: string;
  /** Write a checkpoint every N steps (0 or absent: at the end of every epoch only). */
  readonly checkpointEvery?: number;
  /** Minimum milliseconds between `step` events (default 50; 0 sends every step). */
  readonly stepEventInterval?: number;
  /** Train the hand-written reference MLP instead of compiling the model (no .dlm needed). */
  readonly reference?: ReferenceProgramOptions;
}

export interface SimpleRequest {
  readonly type: 'pause' | 'resume' | 'stop' | 'shutdown';
  readonly v: number;
}

/**
 * Per-neuron maps of a layer for the dashboard (answered by a `neurons` event or a non-fatal
 * error). During a run the trainer uses the current parameters; with no run in progress it needs
 * `from`: the finished run's model and checkpoint (the trainer compiles the model again and loads
 * the checkpoint's parameters).
 */
export interface NeuronsRequest {
  readonly type: 'neurons';
  readonly v: number;
  /** A layer name of `started.neuronLayers` (default: the first hidden activation layer). */
  readonly layer?: string;
  readonly from?: NeuronsSource;
}

/** Where a `neurons` request with no run in progress takes the model and parameters from. */
export interface NeuronsSource {
  readonly workspaceRoot: string;
  readonly modelPath: string;
  readonly model: string;
  /** A checkpoint file (`last.safetensors` of the run folder, or a legacy `last.ckpt`). */
  readonly checkpoint: string;
  /** The run's dataset, when it was not the train section's (the grid spans its points). */
  readonly dataset?: CallOverride;
}

export type TrainerRequest = StartRequest | SimpleRequest | NeuronsRequest;

export interface Timing {
  /** Milliseconds to create all onnxruntime sessions. */
  readonly sessionCreateMs?: number;
  /** Mean milliseconds per step spent copying data into input buffers and reading outputs. */
  readonly copyMsPerStep?: number;
  /** Mean milliseconds per step inside session.run. */
  readonly runMsPerStep?: number;
}

export interface ReadyEvent {
  readonly type: 'ready';
  readonly v: number;
  readonly pid: number;
  readonly versions: Readonly<Record<string, string>>;
}

export interface StartedEvent {
  readonly type: 'started';
  readonly v: number;
  readonly runDir: string;
  readonly runId: string;
  readonly dataset: DatasetSummary;
  readonly params: { readonly trainable: number; readonly total: number };
  readonly program: string;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly resumed?: { readonly from: string; readonly step: number; readonly epoch: number };
  readonly timing: Timing;
  readonly notes?: readonly string[];
  /** Layers that per-neuron maps can show (2-feature inputs, compiled models only). */
  readonly neuronLayers?: readonly DashNeuronLayer[];
  /** The shape of every trainable parameter tensor, by name (the Gradients tab's Shape column). */
  readonly paramShapes?: Readonly<Record<string, readonly number[]>>;
}

export interface StepEvent {
  readonly type: 'step';
  readonly v: number;
  /** Optimizer steps done (1-based). */
  readonly step: number;
  /** 0-based epoch. */
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm?: number;
  readonly gradNorms?: Readonly<Record<string, number>>;
  /** ‖Δθ‖/‖θ‖ per parameter for this step. */
  readonly updateRatios?: Readonly<Record<string, number>>;
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly v: number;
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly trainAcc?: number;
  readonly valLoss?: number;
  readonly valAcc?: number;
  /** Other metrics (`mae`, ...), train and validation. */
  readonly metrics?: Readonly<Record<string, number>>;
  readonly lr: number;
  /** Wall time of the epoch in ms. */
  readonly timeMs: number;
  readonly best: boolean;
  readonly timing: Timing;
}

export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly v: number;
  readonly path: string;
  readonly step: number;
  readonly epoch: number;
  readonly best: boolean;
}

export interface PausedEvent {
  readonly type: 'paused';
  readonly v: number;
  readonly step: number;
  readonly epoch: number;
}

export interface ResumedEvent {
  readonly type: 'resumed';
  readonly v: number;
  readonly step: number;
  readonly epoch: number;
}

export interface FinishedEvent {
  readonly type: 'finished';
  readonly v: number;
  readonly reason: 'completed' | 'early_stopping' | 'stopped';
  readonly step: number;
  readonly epoch: number;
  readonly bestEpoch?: number;
  readonly bestValLoss?: number;
  readonly runDir: string;
  readonly timeMs: number;
}

/** `io`: the run's files cannot be written (read-only file system, disk full, no permission). */
export type ErrorKind = 'data' | 'nan' | 'io' | 'crash' | 'internal';

export interface ErrorEvent {
  readonly type: 'error';
  readonly v: number;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly details?: {
    readonly parameter?: string;
    readonly step?: number;
    readonly epoch?: number;
    readonly exitCode?: number | null;
    readonly signal?: string | null;
    readonly stack?: string;
    readonly [k: string]: unknown;
  };
  readonly suggestion?: string;
  /** True when the run is over (no `finished` follows). */
  readonly fatal: boolean;
}

/** Class probabilities over the input plane (2-feature classification data). */
export interface BoundaryEvent {
  readonly type: 'boundary';
  readonly v: number;
  readonly step: number;
  /** 1-based: the epoch in progress, or the one just completed. */
  readonly epoch: number;
  readonly grid: DashGrid;
  /** Sent with the first boundary of a run only. */
  readonly points?: DashPoints;
}

/** The validation confusion matrix after an epoch (classification). */
export interface ConfusionEvent {
  readonly type: 'confusion';
  readonly v: number;
  /** 1-based. */
  readonly epoch: number;
  readonly classes: readonly string[];
  /** `matrix[actual][predicted]` counts. */
  readonly matrix: readonly (readonly number[])[];
}

/** Weight histograms per parameter tensor. */
export interface HistogramsEvent {
  readonly type: 'histograms';
  readonly v: number;
  readonly step: number;
  readonly weights: readonly DashHistogram[];
  /** Per ReLU layer, in model order (compiled models with at least one ReLU). */
  readonly deadRelu?: readonly DashDeadRelu[];
  /** How many samples the dead-ReLU probe ran on (validation set, or a sample of the train set). */
  readonly probeSamples?: number;
}

/** Per-unit maps of a layer over the boundary grid (reply to a `neurons` request). */
export interface NeuronsEvent {
  readonly type: 'neurons';
  readonly v: number;
  readonly layer: string;
  /** The names of every layer a request may ask for (`started.neuronLayers`). */
  readonly layers: readonly string[];
  readonly step: number;
  /** One channel per unit shown: the first `grid.channels` of `units` (at most 64). */
  readonly grid: DashGrid;
  /** The layer's number of units (more than `grid.channels` when capped). */
  readonly units?: number;
  readonly label?: string;
}

/** Reading a large data file before the run starts (not logged to metrics.jsonl). */
export interface ProgressEvent {
  readonly type: 'progress';
  readonly v: number;
  readonly stage: 'data';
  /** The file as the data call names it. */
  readonly file: string;
  /** Bytes read so far and in all. */
  readonly done: number;
  readonly total: number;
}

export type TrainerEvent =
  | ReadyEvent
  | ProgressEvent
  | StartedEvent
  | StepEvent
  | EpochEvent
  | CheckpointEvent
  | PausedEvent
  | ResumedEvent
  | FinishedEvent
  | ErrorEvent
  | BoundaryEvent
  | ConfusionEvent
  | HistogramsEvent
  | NeuronsEvent;

export type EventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isPosInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isStr = (v: unknown) => typeof v === 'string';
const isNumArr = (v: unknown) => Array.isArray(v) && v.every(isNum);
const isGrid = (v: unknown): boolean =>
  isObj(v) &&
  ['x0', 'x1', 'y0', 'y1'].every((k) => isNum(v[k])) &&
  ['nx', 'ny', 'channels'].every((k) => isPosInt(v[k])) &&
  Array.isArray(v.values) &&
  v.values.length === (v.nx as number) * (v.ny as number) * (v.channels as number) &&
  v.values.every((x) => typeof x === 'number');

function isValue(v: unknown): boolean {
  return (
    (typeof v === 'number' && Number.isFinite(v)) ||
    typeof v === 'boolean' ||
    typeof v === 'string' ||
    (Array.isArray(v) && v.every(isValue))
  );
}

function checkCall(v: unknown, where: string): string | undefined {
  if (!isObj(v) || !isStr(v.name)) return `${where} must be { name, args? }`;
  if (v.args !== undefined && (!isObj(v.args) || !Object.values(v.args).every(isValue)))
    return `${where}.args must map names to numbers, booleans, strings or lists`;
  return undefined;
}

/** Validate a request that arrived over IPC (the child calls this on every message). */
export function validateRequest(msg: unknown): Validation<TrainerRequest> {
  if (!isObj(msg)) return { ok: false, error: 'message must be an object' };
  if (msg.v !== PROTOCOL_VERSION)
    return {
      ok: false,
      error: `protocol version ${String(msg.v)} not supported (trainer speaks ${PROTOCOL_VERSION})`,
    };
  switch (msg.type) {
    case 'pause':
    case 'resume':
    case 'stop':
    case 'shutdown':
      return { ok: true, value: { type: msg.type, v: PROTOCOL_VERSION } };
    case 'neurons': {
      if (msg.layer !== undefined && !isStr(msg.layer))
        return { ok: false, error: 'neurons: layer must be a string' };
      const f = msg.from;
      if (f !== undefined) {
        if (
          !isObj(f) ||
          !(['workspaceRoot', 'modelPath', 'model', 'checkpoint'] as const).every(
            (k) => isStr(f[k]) && f[k] !== '',
          )
        )
          return {
            ok: false,
            error:
              'neurons: from must be { workspaceRoot, modelPath, model, checkpoint, dataset? }',
          };
        if (f.dataset !== undefined) {
          const e = checkCall(f.dataset, 'neurons: from.dataset');
          if (e) return { ok: false, error: e };
        }
      }
      return {
        ok: true,
        value: {
          type: 'neurons',
          v: PROTOCOL_VERSION,
          ...(msg.layer !== undefined ? { layer: msg.layer as string } : {}),
          ...(f !== undefined ? { from: f as unknown as NeuronsSource } : {}),
        },
      };
    }
    case 'start': {
      const err = (e: string): Validation<TrainerRequest> => ({ ok: false, error: `start: ${e}` });
      if (!isStr(msg.workspaceRoot) || msg.workspaceRoot === '')
        return err('workspaceRoot must be a non-empty string');
      if (!isStr(msg.modelPath)) return err('modelPath must be a string');
      if (!isStr(msg.model) || msg.model === '') return err('model must be a non-empty string');
      if (msg.threads !== undefined && !isPosInt(msg.threads))
        return err('threads must be a positive integer');
      if (msg.resumeFrom !== undefined && !isStr(msg.resumeFrom))
        return err('resumeFrom must be a path');
      if (
        msg.checkpointEvery !== undefined &&
        !(Number.isInteger(msg.checkpointEvery) && (msg.checkpointEvery as number) >= 0)
      )
        return err('checkpointEvery must be an integer ≥ 0');
      if (
        msg.stepEventInterval !== undefined &&
        !(isNum(msg.stepEventInterval) && (msg.stepEventInterval as number) >= 0)
      )
        return err('stepEventInterval must be a number ≥ 0');
      if (msg.reference !== undefined) {
        const r = msg.reference;
        if (!isObj(r)) return err('reference must be an object');
        if (r.hidden !== undefined && !(Array.isArray(r.hidden) && r.hidden.every(isPosInt)))
          return err('reference.hidden must be a list of positive integers');
        if (r.activation !== undefined && r.activation !== 'relu' && r.activation !== 'tanh')
          return err("reference.activation must be 'relu' or 'tanh'");
        if (
          r.momentum !== undefined &&
          !(isNum(r.momentum) && (r.momentum as number) >= 0 && (r.momentum as number) < 1)
        )
          return err('reference.momentum must be in [0, 1)');
      }
      if (msg.overrides !== undefined) {
        const o = msg.overrides;
        if (!isObj(o)) return err('overrides must be an object');
        for (const k of ['epochs', 'batch'] as const)
          if (o[k] !== undefined && !isPosInt(o[k]))
            return err(`overrides.${k} must be a positive integer`);
        if (o.lr !== undefined && !(isNum(o.lr) && (o.lr as number) > 0))
          return err('overrides.lr must be a positive number');
        if (
          o.validation !== undefined &&
          !(isNum(o.validation) && (o.validation as number) >= 0 && (o.validation as number) < 1)
        )
          return err('overrides.validation must be in [0, 1)');
        if (o.seed !== undefined && !Number.isInteger(o.seed))
          return err('overrides.seed must be an integer');
        if (o.clip !== undefined && !(isNum(o.clip) && (o.clip as number) > 0))
          return err('overrides.clip must be a positive number');
        for (const k of ['shuffle', 'dropLast'] as const)
          if (o[k] !== undefined && typeof o[k] !== 'boolean')
            return err(`overrides.${k} must be a boolean`);
        for (const k of ['optimizer', 'dataset', 'schedule'] as const)
          if (o[k] !== undefined) {
            const e = checkCall(o[k], `overrides.${k}`);
            if (e) return err(e);
          }
        if (isObj(o.schedule) && o.schedule.after !== undefined) {
          const e = checkCall(o.schedule.after, 'overrides.schedule.after');
          if (e) return err(e);
        }
        if (o.earlyStopping !== undefined) {
          const es = o.earlyStopping;
          if (!isObj(es) || !isPosInt(es.patience))
            return err('overrides.earlyStopping.patience must be a positive integer');
        }
      }
      return { ok: true, value: msg as unknown as StartRequest };
    }
    default:
      return { ok: false, error: `unknown request type '${String(msg.type)}'` };
  }
}

const EVENT_FIELDS: Record<TrainerEvent['type'], readonly [string, (v: unknown) => boolean][]> = {
  ready: [['pid', isNum]],
  progress: [
    ['file', isStr],
    ['done', isNum],
    ['total', isNum],
  ],
  started: [
    ['runDir', isStr],
    ['dataset', isObj],
    ['params', isObj],
  ],
  step: [
    ['step', isNum],
    ['epoch', isNum],
    ['loss', (v) => typeof v === 'number' || v === null],
    ['lr', isNum],
  ],
  epoch: [
    ['epoch', isNum],
    ['trainLoss', (v) => typeof v === 'number' || v === null],
    ['timeMs', isNum],
  ],
  checkpoint: [
    ['path', isStr],
    ['step', isNum],
  ],
  paused: [['step', isNum]],
  resumed: [['step', isNum]],
  finished: [
    ['reason', (v) => v === 'completed' || v === 'early_stopping' || v === 'stopped'],
    ['runDir', isStr],
  ],
  error: [
    ['kind', (v) => v === 'data' || v === 'nan' || v === 'io' || v === 'crash' || v === 'internal'],
    ['message', isStr],
  ],
  boundary: [
    ['step', isNum],
    ['epoch', isNum],
    ['grid', isGrid],
  ],
  confusion: [
    ['epoch', isNum],
    ['classes', (v) => Array.isArray(v) && v.every(isStr)],
    ['matrix', (v) => Array.isArray(v) && v.every((r) => Array.isArray(r) && r.every(isNum))],
  ],
  histograms: [
    ['step', isNum],
    [
      'weights',
      (v) =>
        Array.isArray(v) &&
        v.every(
          (w) => isObj(w) && isStr(w.name) && isNum(w.min) && isNum(w.max) && isNumArr(w.counts),
        ),
    ],
    [
      'deadRelu',
      (v) =>
        v === undefined ||
        (Array.isArray(v) &&
          v.every(
            (d) =>
              isObj(d) &&
              isStr(d.layer) &&
              isStr(d.label) &&
              isPosInt(d.units) &&
              Number.isInteger(d.dead) &&
              (d.dead as number) >= 0 &&
              (d.dead as number) <= (d.units as number),
          )),
    ],
  ],
  neurons: [
    ['layer', isStr],
    ['layers', (v) => Array.isArray(v) && v.every(isStr)],
    ['step', isNum],
    ['grid', isGrid],
  ],
};

/** Validate an event from the child (the parent calls this on every message). */
export function validateEvent(msg: unknown): Validation<TrainerEvent> {
  if (!isObj(msg)) return { ok: false, error: 'event must be an object' };
  if (msg.v !== PROTOCOL_VERSION)
    return {
      ok: false,
      error: `event protocol version ${String(msg.v)}, expected ${PROTOCOL_VERSION}`,
    };
  const fields = EVENT_FIELDS[msg.type as TrainerEvent['type']];
  if (!fields) return { ok: false, error: `unknown event type '${String(msg.type)}'` };
  for (const [k, ok] of fields)
    if (!ok(msg[k]))
      return { ok: false, error: `${String(msg.type)} event: bad or missing '${k}'` };
  return { ok: true, value: msg as unknown as TrainerEvent };
}

/** Build a request with the version filled in. */
export function request<T extends TrainerRequest>(r: Omit<T, 'v'>): T {
  return { ...r, v: PROTOCOL_VERSION } as T;
}
