/**
 * The dashboard's data of one run (the series its charts draw) and of the runs overlaid from
 * History. Plain data, owned by main.ts and read by the tab modules.
 */
import type {
  DashDatasetInfo,
  DashEpoch,
  DashParam,
  DashRunStatus,
  DashStep,
  DashTrainConfig,
} from '../protocol';
import { Series } from './decimate';

export interface RunData {
  runId: string;
  model: string;
  config?: DashTrainConfig;
  dataset?: DashDatasetInfo;
  stepsPerEpoch: number;
  params: DashParam[];
  live: boolean;
  status: DashRunStatus;
  stepLoss: Series;
  stepLr: Series;
  globalGrad: Series;
  grads: Series[];
  latestGrads: (number | undefined)[];
  stepMetrics: Map<string, Series>;
  epochLoss: Series;
  valLoss: Series;
  best: Series;
  epochMetrics: Map<string, Series>;
  lastStep?: DashStep;
  lastEpoch?: DashEpoch;
  bestEpoch?: number;
}

export const newRun = (runId: string, model: string): RunData => ({
  runId,
  model,
  stepsPerEpoch: 0,
  params: [],
  live: true,
  status: 'running',
  stepLoss: new Series(),
  stepLr: new Series(),
  globalGrad: new Series(),
  grads: [],
  latestGrads: [],
  stepMetrics: new Map(),
  epochLoss: new Series(),
  valLoss: new Series(),
  best: new Series(),
  epochMetrics: new Map(),
});

/** The curves of an earlier run, overlaid on the metrics charts. */
export interface OverlayCurves {
  readonly loss: Series;
  readonly val: Series;
  readonly metrics: Map<string, Series>;
}

export function seriesFor(map: Map<string, Series>, key: string): Series {
  let s = map.get(key);
  if (!s) {
    s = new Series();
    map.set(key, s);
  }
  return s;
}

/** A run's steps into its series (per-step loss, learning rate, gradient norms, metrics). */
export function addSteps(r: RunData, steps: readonly DashStep[]): void {
  for (const st of steps) {
    r.stepLoss.push(st.epoch, st.loss);
    if (st.lr !== undefined) r.stepLr.push(st.epoch, st.lr);
    if (st.gradNorm !== undefined) r.globalGrad.push(st.epoch, st.gradNorm);
    if (st.grads) {
      for (let i = 0; i < st.grads.length; i++) {
        const s = (r.grads[i] ??= new Series());
        s.push(st.epoch, st.grads[i]!);
        r.latestGrads[i] = st.grads[i];
      }
    }
    if (st.metrics)
      for (const [k, v] of Object.entries(st.metrics))
        seriesFor(r.stepMetrics, k).push(st.epoch, v);
  }
  const last = steps[steps.length - 1];
  if (last) r.lastStep = last;
}

/** An epoch's end into the run's series (x: the epoch number on the fractional-epoch axis). */
export function addEpoch(r: RunData, e: DashEpoch): void {
  const x = e.epoch;
  r.epochLoss.push(x, e.trainLoss);
  if (e.valLoss !== undefined) r.valLoss.push(x, e.valLoss);
  for (const [k, v] of Object.entries(e.metrics)) seriesFor(r.epochMetrics, k).push(x, v);
  if (e.best) {
    r.best.clear();
    r.best.push(x, e.valLoss ?? e.trainLoss);
    r.bestEpoch = e.epoch;
  }
  r.lastEpoch = e;
}

/** An earlier run's epochs as overlay curves. */
export function overlayOf(epochs: readonly DashEpoch[]): OverlayCurves {
  const c: OverlayCurves = { loss: new Series(), val: new Series(), metrics: new Map() };
  for (const e of epochs) {
    c.loss.push(e.epoch, e.trainLoss);
    if (e.valLoss !== undefined) c.val.push(e.epoch, e.valLoss);
    for (const [k, v] of Object.entries(e.metrics)) seriesFor(c.metrics, k).push(e.epoch, v);
  }
  return c;
}
