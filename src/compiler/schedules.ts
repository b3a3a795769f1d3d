/**
 * Learning-rate schedules (docs/training.md, Schedules) as pure functions: the trainer asks for
 * the rate of each optimizer step and feeds it to the training-step graph's `lr` input, so the
 * graph never changes with the schedule. Values match `torch.optim.lr_scheduler` when the
 * scheduler is stepped once per epoch (Step, Exponential, Cosine) or once per optimizer step
 * (Warmup):
 *
 * | schedule | rate | PyTorch |
 * |---|---|---|
 * | `Step(step_size, gamma=0.1)` | `lr·γ^⌊e/step_size⌋` | `StepLR` |
 * | `Exponential(gamma)` | `lr·γ^e` | `ExponentialLR` |
 * | `Cosine(t_max, eta_min=0)` | `η_min + ½(lr − η_min)(1 + cos(π·e/t_max))` | `CosineAnnealingLR` (closed form; past t_max it rises again, as PyTorch's does) |
 * | `Warmup(steps)` | `lr·min(1, (t+1)/steps)` | `LambdaLR(lambda t: min(1, (t+1)/steps))`, stepped per batch |
 * | `Warmup(steps, after=S)` | `S(e)·min(1, (t+1)/steps)` | `LambdaLR(lambda t: min(1, (t+1)/steps) · S_e/lr)`, `S_e` the rate of PyTorch's scheduler for S in epoch e |
 *
 * `e` is the 0-based epoch in progress and `t` the 0-based optimizer step (over the whole run).
 * This is the trainer's only schedule implementation (src/engine/loop.ts calls it every step).
 */
import type { AttrValue } from '../layers/types';
import { SCHEDULES } from '../language/training';
import { callArgs } from './losses';

/**
 * A schedule call: a resolved `schedule = …` setting (ResolvedCall) or a trainer override.
 * `after` is the schedule Warmup hands over to (`Warmup(steps, after=Cosine(10))`).
 */
export interface ScheduleCall {
  readonly name: string;
  readonly args?: Readonly<Record<string, AttrValue | undefined>>;
  readonly after?: ScheduleCall;
}

/**
 * The learning rate for the optimizer step `step` (0-based, counted over the run) taken during
 * epoch `epoch` (0-based). No schedule: `baseLr`. `stepsPerEpoch` is not needed by the
 * schedules (each is defined per epoch or per step); it is accepted so that callers pass the
 * whole position and a per-step variant can be added without changing call sites. Throws on an
 * unknown schedule or attribute, and on `after` anywhere but on Warmup (or naming Warmup).
 */
export function lrAt(
  spec: ScheduleCall | undefined,
  baseLr: number,
  epoch: number,
  step: number,
  _stepsPerEpoch?: number,
): number {
  if (!spec) return baseLr;
  const a = callArgs(SCHEDULES, { name: spec.name, args: spec.args ?? {} });
  if (spec.after && spec.name !== 'Warmup')
    throw new Error(`${spec.name}: unknown attribute 'after' (only Warmup takes one)`);
  switch (spec.name) {
    case 'Step':
      return baseLr * Math.pow(a.num('gamma'), Math.floor(epoch / a.num('step_size')));
    case 'Exponential':
      return baseLr * Math.pow(a.num('gamma'), epoch);
    case 'Cosine': {
      const etaMin = a.num('eta_min');
      const tMax = a.num('t_max');
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
    }
    case 'Warmup': {
      if (spec.after?.name === 'Warmup')
        throw new Error("Warmup: 'after' must be Step, Exponential or Cosine, not Warmup");
      const factor = Math.min(1, (step + 1) / a.num('steps'));
      return factor * lrAt(spec.after, baseLr, epoch, step, _stepsPerEpoch);
    }
    default:
      throw new Error(`unknown schedule '${spec.name}'`);
  }
}
