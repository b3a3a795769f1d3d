/**
 * The dashboard's panel state apart from the DOM: which model the panel shows, its run's status,
 * the banners, and what the controls allow. `apply(state, message)` is pure (unit-tested in Node,
 * test/unit/dashboard-state.test.ts); main.ts renders the result. The charts' series stay in
 * main.ts (they are appended to in place at hundreds of steps a second).
 *
 * Each model's state is its own: an `init` for another model or file starts from a clean panel
 * (no status, run or banners of the previous one), and run messages of another run are ignored.
 * A data problem disables Start until the settings change or the file is checked again.
 */
import type {
  DashFailure,
  DashRunStatus,
  DashStarter,
  DashTrainConfig,
  HostToDashboard,
} from '../protocol';

export interface DashBanner {
  readonly failure: DashFailure;
  readonly runId?: string;
}

export interface DashRunState {
  readonly runId: string;
  readonly model: string;
  readonly live: boolean;
  readonly status: DashRunStatus;
  readonly epochs?: number;
  /** 1-based, as people count (the host converts). */
  readonly bestEpoch?: number;
}

export interface DashState {
  readonly uri?: string;
  readonly model?: string;
  readonly train?: DashTrainConfig;
  readonly starter?: DashStarter;
  /** Why training is refused (untrusted workspace, nothing to train). */
  readonly disabled?: string;
  readonly untrusted: boolean;
  readonly run?: DashRunState;
  readonly banners: readonly DashBanner[];
  /** The last data problem (a `data` failure) until the settings or the file change. */
  readonly dataProblem?: string;
  /** A transient line from the host (`notice`) or the UI (`Starting…`). */
  readonly notice?: string;
  readonly initialized: boolean;
}

export const EMPTY_STATE: DashState = { banners: [], untrusted: false, initialized: false };

/** Messages the panel reacts to besides the host's: the UI's own events. */
export type DashEvent =
  | HostToDashboard
  | { readonly type: 'ui-settings-changed' }
  | { readonly type: 'ui-dismiss'; readonly index: number }
  | { readonly type: 'ui-note'; readonly text: string };

export function apply(s: DashState, m: DashEvent): DashState {
  switch (m.type) {
    case 'init': {
      const same = s.uri === m.uri && s.model === (m.model ?? m.train?.model);
      const untrusted = m.disabledReason === 'untrusted';
      const base: DashState = same ? s : { ...EMPTY_STATE };
      const banners = base.banners.filter((b) => b.failure.kind !== 'untrusted');
      return {
        ...base,
        uri: m.uri,
        ...((m.model ?? m.train?.model) ? { model: m.model ?? m.train?.model } : {}),
        ...(m.train ? { train: m.train } : { train: undefined }),
        ...(m.starter ? { starter: m.starter } : { starter: undefined }),
        ...(m.disabled ? { disabled: m.disabled } : { disabled: undefined }),
        untrusted,
        banners: untrusted
          ? [{ failure: { kind: 'untrusted', message: m.disabled ?? '' } }, ...banners]
          : banners,
        // the file was checked again: a data problem is reconsidered at the next Start
        dataProblem: undefined,
        notice: undefined,
        initialized: true,
      };
    }
    case 'reset':
      return {
        ...s,
        run: undefined,
        banners: s.banners.filter((b) => b.failure.kind === 'untrusted'),
        notice: undefined,
      };
    case 'run-started':
      return {
        ...s,
        model: m.model,
        run: {
          runId: m.runId,
          model: m.model,
          live: m.live,
          status: m.live ? 'running' : 'completed',
          epochs: m.config.epochs,
        },
        // a new run: earlier runs' banners go; the workspace-trust one stays
        banners: [
          ...s.banners.filter((b) => b.runId === undefined && b.failure.kind === 'untrusted'),
          ...(m.dataset.relabelled
            ? [
                {
                  failure: { kind: 'relabelled' as const, message: m.dataset.relabelled.message },
                  runId: m.runId,
                },
              ]
            : []),
        ],
        dataProblem: undefined,
        notice: undefined,
      };
    case 'status':
      return s.run && m.runId === s.run.runId
        ? { ...s, run: { ...s.run, status: m.status }, notice: undefined }
        : s;
    case 'run-ended':
      return s.run && m.runId === s.run.runId
        ? {
            ...s,
            run: {
              ...s.run,
              status: m.status,
              ...(m.bestEpoch !== undefined ? { bestEpoch: m.bestEpoch } : {}),
            },
            notice: undefined,
          }
        : s;
    case 'epoch':
      return s.run && m.runId === s.run.runId && m.epoch.best
        ? { ...s, run: { ...s.run, bestEpoch: m.epoch.epoch } }
        : s;
    case 'failure': {
      // another run's failure (a run of another model still reporting) is not this panel's
      if (m.runId && m.runId !== s.run?.runId) return s;
      const run = m.runId && s.run ? { ...s.run, status: 'failed' as const } : s.run;
      const duplicate = s.banners.some(
        (b) => b.failure.kind === m.failure.kind && b.failure.message === m.failure.message,
      );
      return {
        ...s,
        ...(run ? { run } : {}),
        banners: duplicate
          ? s.banners
          : [...s.banners, { failure: m.failure, ...(m.runId ? { runId: m.runId } : {}) }],
        ...(m.failure.kind === 'data' ? { dataProblem: m.failure.message } : {}),
        notice: undefined,
      };
    }
    case 'notice':
      return { ...s, notice: m.message };
    case 'ui-note':
      return { ...s, notice: m.text };
    case 'ui-settings-changed':
      return s.dataProblem ? { ...s, dataProblem: undefined } : s;
    case 'ui-dismiss': {
      const b = s.banners[m.index];
      if (!b) return s;
      return {
        ...s,
        banners: s.banners.filter((_, i) => i !== m.index),
        ...(b.failure.kind === 'data' ? { dataProblem: undefined } : {}),
      };
    }
    default:
      return s;
  }
}

/** A run in progress (live, running or paused). */
export const isActive = (s: DashState): boolean =>
  !!s.run && s.run.live && (s.run.status === 'running' || s.run.status === 'paused');

/** Start is offered: initialized, nothing refuses training, no run in progress, no data problem. */
export const canStart = (s: DashState): boolean =>
  s.initialized && !s.disabled && !isActive(s) && !s.dataProblem;

const STATUS_WORD: Record<DashRunStatus, string> = {
  running: 'Training',
  paused: 'Paused',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
  'early-stopped': 'Early-stopped',
};

/**
 * The status line's words before the run's live numbers: the refusal, the data problem, or
 * "Ready to train M" (with the starter dataset for a model without a train section).
 */
export function idleStatus(s: DashState): string {
  if (s.notice) return s.notice;
  if (s.disabled) return s.disabled;
  if (s.dataProblem) return 'Data problem: change the dataset or the data, then Start';
  if (!s.initialized) return 'Loading…';
  if (s.starter && s.model) return `Ready to train ${s.model} (no train section: starter settings)`;
  return s.train ? `Ready to train ${s.train.model}` : 'Nothing to train';
}

/** The run part of the status line: `Early-stopped · epoch 60/200`. Epochs are 1-based. */
export function runStatus(
  s: DashState,
  progress: { readonly stepEpoch?: number; readonly step?: number; readonly epochDone?: number },
): string {
  const r = s.run;
  if (!r) return idleStatus(s);
  const total = r.epochs;
  const parts = [`${STATUS_WORD[r.status]}${r.live ? '' : ' (from .dlm/runs)'}`];
  // a step's epoch is fractional (step / steps per epoch): step 900 of 15 a epoch is the end of
  // epoch 60, step 901 the start of epoch 61
  const epoch =
    progress.stepEpoch !== undefined
      ? Math.max(1, Math.ceil(progress.stepEpoch))
      : progress.epochDone;
  if (epoch !== undefined)
    parts.push(`epoch ${Math.min(total ?? Infinity, epoch)}${total ? `/${total}` : ''}`);
  if (progress.step !== undefined) parts.push(`step ${progress.step}`);
  return parts.join(' · ');
}

export { STATUS_WORD };
