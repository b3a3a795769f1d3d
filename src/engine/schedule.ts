/** Learning-rate schedules (see language/training.ts SCHEDULES): epoch-based, Warmup step-based. */

export interface ScheduleCall {
  readonly name: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** The learning rate for a 0-based `epoch` and 0-based optimizer `step`. */
export function learningRate(
  base: number,
  s: ScheduleCall | undefined,
  epoch: number,
  step: number,
): number {
  if (!s) return base;
  const a = s.args ?? {};
  switch (s.name) {
    case 'Step':
      return (
        base * Math.pow(num(a.gamma, 0.1), Math.floor(epoch / Math.max(1, num(a.step_size, 1))))
      );
    case 'Exponential':
      return base * Math.pow(num(a.gamma, 1), epoch);
    case 'Cosine': {
      const tMax = Math.max(1, num(a.t_max, 1));
      const etaMin = num(a.eta_min, 0);
      return (
        etaMin + 0.5 * (base - etaMin) * (1 + Math.cos((Math.PI * Math.min(epoch, tMax)) / tMax))
      );
    }
    case 'Warmup':
      return base * Math.min(1, (step + 1) / Math.max(1, num(a.steps, 1)));
    default:
      throw new Error(`unknown learning-rate schedule '${s.name}'`);
  }
}
