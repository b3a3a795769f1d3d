/**
 * The host side of the training dashboard that needs no `vscode`: turns the trainer's events
 * (src/engine/protocol.ts) into dashboard messages (webview/protocol.ts), batches per-step points
 * (at most one `steps` message per flush interval), keeps what it sent so a panel that was hidden
 * or reloaded gets the whole run again (`replay`), and reads finished runs from `.dlm/runs/`.
 * Used by src/extension/training.ts and by the browser tests (recorded streams).
 */
import type { CheckedTrain } from '../language/checked';
import type { DataChoice } from '../language/starter';
import type {
  DashDatasetOption,
  DashEpoch,
  DashFailure,
  DashOverrides,
  DashParam,
  DashRunSummary,
  DashStep,
  DashTrainConfig,
  HostToDashboard,
} from '../../webview/protocol';
import { relabelMessage } from '../engine/datasets/types';
import type { CallOverride, StartRequest, TrainerEvent } from '../engine/protocol';

export const OPTIMIZERS: readonly string[] = ['SGD', 'Adam', 'AdamW', 'RMSProp', 'AdaGrad'];

type Scalar = number | boolean | string;
const scalarArgs = (args: Readonly<Record<string, unknown>>): Record<string, Scalar> => {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(args))
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
  return out;
};
const callText = (name: string, args: Readonly<Record<string, unknown>>): string => {
  const a = Object.entries(scalarArgs(args)).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`,
  );
  return `${name}(${a.join(', ')})`;
};

/** The dataset picker id of a train section's data. */
export function datasetId(t: CheckedTrain): string | undefined {
  if (!t.data) return undefined;
  return t.data.declName ? `decl:${t.data.declName}` : `builtin:${t.data.name}`;
}

/** The `train` section as the dashboard shows it. */
export function trainView(t: CheckedTrain): DashTrainConfig {
  const lr = t.optimizer.args.lr;
  const ds = datasetId(t);
  return {
    model: t.model,
    epochs: t.epochs,
    batch: t.batch,
    lr: typeof lr === 'number' ? lr : 1e-3,
    optimizer: { name: t.optimizer.name, args: scalarArgs(t.optimizer.args) },
    ...(ds ? { dataset: ds } : {}),
    ...(t.loss ? { loss: t.loss.name } : {}),
    validation: t.validation,
    metrics: [...t.metrics],
  };
}

/** Picker entries: the file's data declarations (from its train sections) then the built-ins. */
export function datasetOptions(
  train: (CheckedTrain & { readonly dataChoices?: readonly DataChoice[] }) | undefined,
): DashDatasetOption[] {
  if (!train) return [];
  const own = datasetId(train);
  const choices = choiceOptions(train.dataChoices ?? []);
  const mine = choices.find((c) => c.id === own);
  // the section's own data first (also when the checker offers nothing else for it)
  const first: DashDatasetOption[] =
    own && train.data && !mine
      ? [
          {
            id: own,
            label: train.data.declName ?? train.data.name,
            kind: train.data.declName ? 'declaration' : 'builtin',
            detail: callText(train.data.name, train.data.args),
          },
        ]
      : mine
        ? [mine]
        : [];
  return [...first, ...choices.filter((c) => c.id !== own)];
}

/**
 * Picker entries of a model without a train section: the datasets that fit it (the server's
 * starter choices, src/language/starter.ts), by the ids `datasetId` gives their sections.
 */
export function starterOptions(s: {
  readonly choices: readonly DataChoice[];
}): DashDatasetOption[] {
  return choiceOptions(s.choices);
}

/** Picker entries of the datasets the checker found to fit (src/language/starter.ts). */
function choiceOptions(choices: readonly DataChoice[]): DashDatasetOption[] {
  return choices.flatMap((c) => {
    const id = c.train && datasetId(c.train);
    if (!id) return [];
    return [
      {
        id,
        label: c.text,
        kind: c.declared ? ('declaration' as const) : ('builtin' as const),
        detail: c.summary,
        ...(c.twoD ? { twoD: true } : {}),
      },
    ];
  });
}

/** The overrides of a `start` message as the trainer's StartRequest overrides. */
export function startOverrides(
  o: DashOverrides,
  trains: readonly (CheckedTrain & { readonly dataChoices?: readonly DataChoice[] })[],
): NonNullable<StartRequest['overrides']> {
  const out: {
    -readonly [K in keyof NonNullable<StartRequest['overrides']>]: NonNullable<
      StartRequest['overrides']
    >[K];
  } = {};
  if (o.epochs !== undefined) out.epochs = o.epochs;
  if (o.batch !== undefined) out.batch = o.batch;
  if (o.lr !== undefined) out.lr = o.lr;
  if (o.optimizer) out.optimizer = { name: o.optimizer, args: {} };
  if (o.dataset) {
    const [kind, name] = o.dataset.split(':', 2) as [string, string];
    if (kind === 'decl') {
      const t = trains.find((x) => x.data?.declName === name);
      if (t?.data)
        out.dataset = { name: t.data.name, args: scalarArgs(t.data.args) } as CallOverride;
    } else if (kind === 'builtin' && name) {
      // with the arguments the checker fitted to the model (`Stripes(classes=4, size=28)`)
      const choice = trains
        .flatMap((t) => t.dataChoices ?? [])
        .find((c) => c.train && datasetId(c.train) === o.dataset);
      out.dataset = { name, args: scalarArgs(choice?.args ?? {}) } as CallOverride;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ events

export function failureOf(e: Extract<TrainerEvent, { type: 'error' }>): DashFailure {
  const d = e.details ?? {};
  const kind: DashFailure['kind'] = e.kind === 'internal' ? 'crash' : e.kind;
  const stderr = typeof d.stderr === 'string' ? d.stderr : undefined;
  const detail =
    stderr?.trim() || (e.kind === 'internal' && typeof d.stack === 'string' ? d.stack : undefined);
  return {
    kind,
    message: e.message,
    ...(typeof d.parameter === 'string' ? { parameter: d.parameter } : {}),
    ...(typeof d.step === 'number' ? { step: d.step } : {}),
    ...(typeof d.epoch === 'number' ? { epoch: d.epoch + 1 } : {}),
    ...(e.suggestion ? { suggestion: e.suggestion } : {}),
    ...(d.exitCode !== undefined ? { exitCode: d.exitCode } : {}),
    ...(d.signal !== undefined ? { signal: d.signal } : {}),
    ...(detail ? { detail } : {}),
  };
}

export function epochOf(e: {
  epoch: number;
  step: number;
  trainLoss: number | null;
  valLoss?: number | null;
  trainAcc?: number | null;
  valAcc?: number | null;
  metrics?: Readonly<Record<string, number>> | null;
  best?: boolean;
  timeMs?: number;
}): DashEpoch {
  const metrics: Record<string, number> = {};
  if (typeof e.trainAcc === 'number') metrics.accuracy = e.trainAcc;
  if (typeof e.valAcc === 'number') metrics.val_accuracy = e.valAcc;
  for (const [k, v] of Object.entries(e.metrics ?? {})) if (typeof v === 'number') metrics[k] = v;
  return {
    epoch: e.epoch + 1,
    step: e.step,
    trainLoss: typeof e.trainLoss === 'number' ? e.trainLoss : NaN,
    ...(typeof e.valLoss === 'number' ? { valLoss: e.valLoss } : {}),
    metrics,
    ...(e.best ? { best: true } : {}),
    ...(typeof e.timeMs === 'number' ? { seconds: e.timeMs / 1000 } : {}),
  };
}

/**
 * Optional events a trainer may send besides protocol.ts's (the dashboard's visual extras). They
 * carry exactly the dashboard message's fields without `runId`.
 */
export type ExtraEvent =
  | Omit<Extract<HostToDashboard, { type: 'boundary' }>, 'runId'>
  | Omit<Extract<HostToDashboard, { type: 'confusion' }>, 'runId'>
  | Omit<Extract<HostToDashboard, { type: 'histograms' }>, 'runId'>
  | Omit<Extract<HostToDashboard, { type: 'neurons' }>, 'runId'>;

export type FeedEvent = TrainerEvent | ExtraEvent;

export interface FeedRunInfo {
  readonly model: string;
  readonly config: DashTrainConfig;
  /** The .dlm file and the run folder, for "open config" and export. */
  readonly modelPath?: string;
}

/**
 * One run's message stream. `push` takes trainer events in order; `send` receives dashboard
 * messages (steps batched: call `flush` from a timer, or they go out every `maxBatch` steps).
 */
export class DashboardFeed {
  runId: string | undefined;
  runDir: string | undefined;
  status: 'idle' | 'running' | 'paused' | 'ended' = 'idle';
  private stepsPerEpoch = 1;
  private readonly params: DashParam[] = [];
  private readonly paramIndex = new Map<string, number>();
  private pending: DashStep[] = [];
  private pendingParams = false;
  private paramShapes: Readonly<Record<string, readonly number[]>> | undefined;
  private readonly log: HostToDashboard[] = [];
  private readonly allSteps: DashStep[] = [];
  private lastBoundaryPoints: Extract<HostToDashboard, { type: 'boundary' }>['points'];
  /** The latest of each "snapshot" message (only the last one matters on replay). */
  private readonly latest = new Map<string, HostToDashboard>();

  constructor(
    private readonly info: FeedRunInfo,
    private readonly send: (m: HostToDashboard) => void,
    private readonly maxBatch = 2000,
    private readonly live = true,
  ) {}

  private out(m: HostToDashboard, keep: 'log' | 'latest' | 'none' = 'log'): void {
    if (keep === 'log') this.log.push(m);
    else if (keep === 'latest') this.latest.set(m.type, m);
    this.send(m);
  }

  push(e: FeedEvent): void {
    switch (e.type) {
      case 'ready':
        return;
      case 'progress':
        this.out(
          {
            type: 'notice',
            level: 'info',
            message: `Reading ${e.file}: ${Math.floor((100 * e.done) / Math.max(1, e.total))}% of ${(e.total / (1 << 20)).toFixed(1)} MiB`,
          },
          'none',
        );
        return;
      case 'started': {
        this.runId = e.runId;
        this.runDir = e.runDir;
        this.paramShapes = e.paramShapes;
        this.status = 'running';
        this.stepsPerEpoch = Math.max(1, e.stepsPerEpoch);
        const ds = e.dataset;
        this.out({
          type: 'run-started',
          runId: e.runId,
          model: this.info.model,
          config: { ...this.info.config, epochs: e.epochs },
          dataset: {
            name: ds.name,
            task: ds.task,
            train: ds.train,
            validation: ds.validation,
            xShape: ds.xShape,
            ...(ds.classes !== undefined ? { classes: ds.classes } : {}),
            ...(ds.classNames ? { classNames: ds.classNames } : {}),
            ...(ds.relabelled
              ? {
                  relabelled: {
                    labels: ds.relabelled.labels,
                    message: relabelMessage(ds.relabelled),
                  },
                }
              : {}),
          },
          stepsPerEpoch: e.stepsPerEpoch,
          params: [],
          live: this.live,
          ...(e.neuronLayers?.length ? { neuronLayers: e.neuronLayers } : {}),
        });
        return;
      }
      case 'step': {
        if (!this.runId) return;
        let grads: number[] | undefined;
        if (e.gradNorms) {
          grads = [];
          for (const [name, v] of Object.entries(e.gradNorms)) {
            let i = this.paramIndex.get(name);
            if (i === undefined) {
              i = this.params.length;
              const shape = this.paramShapes?.[name];
              this.params.push({ name, ...(shape ? { shape } : {}) });
              this.paramIndex.set(name, i);
              this.pendingParams = true;
            }
            grads[i] = v;
          }
        }
        const metrics = e.metrics
          ? Object.fromEntries(Object.entries(e.metrics).filter(([k]) => k !== 'loss'))
          : undefined;
        const s: DashStep = {
          step: e.step,
          epoch: e.step / this.stepsPerEpoch,
          loss: typeof e.loss === 'number' ? e.loss : NaN,
          lr: e.lr,
          ...(typeof e.gradNorm === 'number' ? { gradNorm: e.gradNorm } : {}),
          ...(grads ? { grads: Array.from(grads, (v) => v ?? NaN) } : {}),
          ...(metrics && Object.keys(metrics).length ? { metrics } : {}),
        };
        this.pending.push(s);
        if (this.pending.length >= this.maxBatch) this.flush();
        return;
      }
      case 'epoch':
        this.flush();
        this.out({ type: 'epoch', runId: this.runId ?? '', epoch: epochOf(e) });
        return;
      case 'checkpoint':
        this.flush();
        this.out(
          {
            type: 'checkpoint',
            runId: this.runId ?? '',
            epoch: e.epoch + 1,
            step: e.step,
            best: e.best,
          },
          'none',
        );
        return;
      case 'paused':
      case 'resumed':
        this.flush();
        this.status = e.type === 'paused' ? 'paused' : 'running';
        this.out(
          {
            type: 'status',
            runId: this.runId ?? '',
            status: e.type === 'paused' ? 'paused' : 'running',
          },
          'latest',
        );
        return;
      case 'finished': {
        this.flush();
        this.status = 'ended';
        const status = e.reason === 'early_stopping' ? 'early-stopped' : e.reason;
        this.out({
          type: 'run-ended',
          runId: this.runId ?? '',
          status,
          ...(e.bestEpoch !== undefined ? { bestEpoch: e.bestEpoch + 1 } : {}),
        });
        return;
      }
      case 'error': {
        this.flush();
        if (e.fatal) this.status = 'ended';
        this.out({
          type: 'failure',
          ...(this.runId ? { runId: this.runId } : {}),
          failure: failureOf(e),
        });
        return;
      }
      case 'boundary': {
        if (!this.runId) return;
        this.flush();
        if (e.points) this.lastBoundaryPoints = e.points;
        const m = { ...e, runId: this.runId };
        this.send(m);
        // on replay, the latest grid goes with the points of the run
        this.latest.set(
          'boundary',
          this.lastBoundaryPoints ? { ...m, points: this.lastBoundaryPoints } : m,
        );
        return;
      }
      case 'confusion':
      case 'histograms':
        if (!this.runId) return;
        this.out({ ...e, runId: this.runId } as HostToDashboard, 'latest');
        return;
      case 'neurons':
        if (!this.runId) return;
        this.out({ ...e, runId: this.runId }, 'none');
        return;
    }
  }

  /** Send the steps gathered since the last flush as one message. */
  flush(): void {
    if (!this.pending.length || !this.runId) return;
    const steps = this.pending;
    this.pending = [];
    for (const s of steps) this.allSteps.push(s);
    this.send({
      type: 'steps',
      runId: this.runId,
      steps,
      ...(this.pendingParams ? { params: [...this.params] } : {}),
    });
    this.pendingParams = false;
  }

  /** Everything the run has produced so far, for a panel that (re)loaded: reset first. */
  replay(): HostToDashboard[] {
    this.flush();
    const out: HostToDashboard[] = [{ type: 'reset' }];
    const started = this.log.find((m) => m.type === 'run-started');
    if (!started) return out;
    out.push(started);
    // all steps in one message (the webview decimates), then the epoch-level log in order
    if (this.allSteps.length && this.runId)
      out.push({
        type: 'steps',
        runId: this.runId,
        steps: this.allSteps,
        params: [...this.params],
      });
    for (const m of this.log) if (m !== started) out.push(m);
    for (const m of this.latest.values()) out.push(m);
    return out;
  }
}

// ------------------------------------------------------------------------------- finished runs

/** A run folder's config.json and last record (src/engine/runs.ts `RunInfo`) for the history. */
export function runSummary(r: {
  id: string;
  model?: string;
  createdAt?: string;
  config?: Record<string, unknown>;
  last?: Record<string, unknown>;
  hasOnnx?: boolean;
  /** The run folder's checkpoint files (RunInfo.checkpoints). */
  checkpoints?: readonly string[];
}): DashRunSummary {
  const train = (r.config?.train ?? {}) as Record<string, unknown>;
  const opt = (train.optimizer ?? {}) as { name?: string; args?: Record<string, unknown> };
  const data = (train.data ?? {}) as { name?: string };
  const ds = (r.config?.dataset ?? {}) as { name?: string };
  const last = r.last ?? {};
  let status: DashRunSummary['status'] = 'unknown';
  if (last.type === 'finished')
    status =
      last.reason === 'early_stopping'
        ? 'early-stopped'
        : last.reason === 'stopped'
          ? 'stopped'
          : 'completed';
  else if (last.type === 'error') status = 'failed';
  const final: Record<string, number> = {};
  for (const k of ['trainLoss', 'valLoss', 'trainAcc', 'valAcc', 'bestValLoss'] as const)
    if (typeof last[k] === 'number') final[k] = last[k];
  const epochsDone =
    typeof last.epoch === 'number' ? (last.type === 'epoch' ? last.epoch + 1 : last.epoch) : 0;
  return {
    runId: r.id,
    model: r.model ?? String(r.config?.model ?? '?'),
    startedAt: r.createdAt ?? '',
    status,
    config: {
      epochs: typeof train.epochs === 'number' ? train.epochs : 0,
      batch: typeof train.batch === 'number' ? train.batch : 0,
      ...(typeof train.lr === 'number' ? { lr: train.lr } : {}),
      optimizer: opt.name ?? '?',
      dataset: ds.name ?? data.name ?? '?',
    },
    epochsDone,
    ...(Object.keys(final).length ? { final } : {}),
    ...(r.hasOnnx ? { hasOnnx: true } : {}),
    // stopped or crashed before its last epoch, with a last checkpoint: Resume continues it
    ...((status === 'stopped' || status === 'failed' || status === 'unknown') &&
    (r.checkpoints ?? []).some((f) => /(^|[\\/])last\.(safetensors|ckpt)$/.test(f)) &&
    (typeof train.epochs !== 'number' || epochsDone < train.epochs)
      ? { resumable: true }
      : {}),
  };
}

/** The epoch curves of a run from its metrics.jsonl records. */
export function curvesOf(records: readonly Record<string, unknown>[]): DashEpoch[] {
  return records
    .filter((r) => r.type === 'epoch' && typeof r.epoch === 'number')
    .map((r) => epochOf(r as unknown as Parameters<typeof epochOf>[0]));
}

/**
 * The messages that show a finished run from its metrics.jsonl (after the extension host
 * restarted, the trainer is gone but its log is not). Records are the trainer's events.
 */
export function replayRecords(
  records: readonly Record<string, unknown>[],
  info: FeedRunInfo,
): HostToDashboard[] {
  const out: HostToDashboard[] = [];
  const feed = new DashboardFeed(info, (m) => out.push(m), Number.MAX_SAFE_INTEGER, false);
  let sawEnd = false;
  for (const r of records) {
    if (typeof r.type !== 'string') continue;
    if (r.type === 'finished') sawEnd = true;
    if (r.type === 'error' && (r as { fatal?: unknown }).fatal === undefined) {
      // the trainer logs nan errors without `fatal`; they end the run
      feed.push({
        ...(r as unknown as Extract<TrainerEvent, { type: 'error' }>),
        fatal: true,
        details: { ...(r as Record<string, unknown>) } as never,
      });
      sawEnd = true;
      continue;
    }
    feed.push(r as unknown as FeedEvent);
  }
  feed.flush();
  if (!sawEnd && feed.runId)
    out.push({
      type: 'run-ended',
      runId: feed.runId,
      status: 'stopped',
      message:
        'The trainer ended without finishing (window reload or crash); showing what metrics.jsonl recorded.',
    });
  return out;
}
