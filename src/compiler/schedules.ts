/**
 * Learning-rate schedules (docs/conventions.md §6) as pure functions: the trainer asks for the rate
 * of each optimizer step and feeds it to the training-step graph's `lr` input, so the graph never
 * changes with the schedule. Values match `torch.optim.lr_scheduler` when the scheduler is
 * stepped once per epoch (Step, Exponential, Cosine) or once per optimizer step (Warmup):
 *
 * | schedule | rate | PyTorch |
 * |---|---|---|
 * | `Step(step_size, gamma=0.1)` | `lr·γ^⌊e/step_size⌋` | `StepLR` |
 * | `Exponential(gamma)` | `lr·γ^e` | `ExponentialLR` |
 * | `Cosine(t_max, eta_min=0)` | `η_min + ½(lr − η_min)(1 + cos(π·e/t_max))` | `CosineAnnealingLR` (closed form; past t_max it rises again, as PyTorch's does) |
 * | `Warmup(steps)` | `lr·min(1, (t+1)/steps)` | `LambdaLR(lambda t: min(1, (t+1)/steps))`, stepped per batch |
 *
 * `e` is the 0-based epoch in progress and `t` the 0-based optimizer step (over the whole run).
 */
import type { ResolvedCall } from '../language/checked';
import { SCHEDULES } from '../language/training';
import { callArgs } from './losses';

/**
 * The learning rate for the optimizer step `step` (0-based, counted over the run) taken during
 * epoch `epoch` (0-based). No schedule: `baseLr`. `stepsPerEpoch` is not needed by the four
 * schedules (each is defined per epoch or per step); it is accepted so that callers pass the whole
 * position and a per-step variant can be added without changing call sites.
 */
export function lrAt(
  spec: ResolvedCall | undefined,
  baseLr: number,
  epoch: number,
  step: number,
  _stepsPerEpoch?: number,
): number {
  if (!spec) return baseLr;
  const a = callArgs(SCHEDULES, spec);
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
    case 'Warmup':
      return baseLr * Math.min(1, (step + 1) / a.num('steps'));
    default:
      throw new Error(`unknown schedule '${spec.name}'`);
  }
}
