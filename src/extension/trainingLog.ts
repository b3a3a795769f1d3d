/**
 * The "DLM Training" output channel: what a user would paste into a bug report about a run. The
 * request, the trainer's command line, what the trainer started (run folder, dataset, sizes,
 * session time), one line per epoch, notes and warnings, errors with their suggestion and the end
 * of the trainer's stderr, and how the run ended with its timings. Epochs are 1-based here, as
 * everywhere a person reads them (docs/training.md).
 *
 * Pure: no `vscode` import, so the lines are unit-tested in Node.
 */
import type { StartRequest, TrainerEvent } from '../engine/protocol';

const time = (d: Date): string => d.toISOString().slice(11, 19);
const ms = (x: number | undefined): string =>
  x === undefined ? '?' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
const num = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? String(x) : x.toPrecision(5);

/** The lines that open a run: the request and the trainer process it goes to. */
export function startLines(
  req: Omit<StartRequest, 'type' | 'v'>,
  trainer: { readonly execPath: string; readonly entry: string; readonly cwd: string },
  now = new Date(),
): string[] {
  const { workspaceRoot: _root, ...shown } = req;
  return [
    `[${time(now)}] ${req.resumeFrom ? 'Resume' : 'Train'} ${req.model} (${req.modelPath})`,
    `  trainer: ${trainer.execPath} ${trainer.entry} (cwd ${trainer.cwd})`,
    `  request: ${JSON.stringify(shown)}`,
  ];
}

/** The lines for one trainer event (none for steps and the dashboard extras). */
export function eventLines(e: TrainerEvent, now = new Date()): string[] {
  const at = `[${time(now)}]`;
  switch (e.type) {
    case 'started': {
      const out = [
        `${at} started ${e.runId}: ${e.dataset.name} (${e.dataset.train} train / ${e.dataset.validation} validation), ${e.params.trainable.toLocaleString('en-US')} trainable parameters, ${e.epochs} epochs × ${e.stepsPerEpoch} steps; sessions ${ms(e.timing.sessionCreateMs)}`,
        `  run folder: ${e.runDir}`,
      ];
      if (e.resumed)
        out.push(
          `  resumed at step ${e.resumed.step} (epoch ${e.resumed.epoch + 1}) from ${e.resumed.from}`,
        );
      for (const n of e.notes ?? []) out.push(`  note: ${n}`);
      return out;
    }
    case 'epoch':
      return [
        `${at} epoch ${e.epoch + 1}: train loss ${num(e.trainLoss)}` +
          (e.valLoss !== undefined ? `, validation loss ${num(e.valLoss)}` : '') +
          (e.valAcc !== undefined ? `, validation accuracy ${(100 * e.valAcc).toFixed(2)}%` : '') +
          `, ${ms(e.timeMs)}` +
          (e.timing.runMsPerStep !== undefined
            ? ` (${e.timing.runMsPerStep.toFixed(2)} ms/step in onnxruntime)`
            : '') +
          (e.best ? ', best so far' : ''),
      ];
    case 'paused':
    case 'resumed':
      return [`${at} ${e.type} at step ${e.step} (epoch ${e.epoch + 1})`];
    case 'finished':
      return [
        `${at} finished (${e.reason.replace('_', ' ')}) after ${e.epoch} epoch${e.epoch === 1 ? '' : 's'}, ${e.step} steps, ${ms(e.timeMs)}` +
          (e.bestEpoch !== undefined
            ? `; best epoch ${e.bestEpoch + 1}${e.bestValLoss !== undefined ? ` (validation loss ${num(e.bestValLoss)})` : ''}`
            : ''),
        `  run folder: ${e.runDir}`,
      ];
    case 'error': {
      const out = [`${at} ${e.fatal ? 'error' : 'warning'} (${e.kind}): ${e.message}`];
      if (e.suggestion) out.push(`  suggestion: ${e.suggestion}`);
      const d = e.details ?? {};
      if (d.exitCode !== undefined || d.signal)
        out.push(`  exit code ${String(d.exitCode)}, signal ${String(d.signal)}`);
      if (typeof d.stderr === 'string' && d.stderr.trim())
        out.push(
          '  trainer stderr (end):',
          ...d.stderr
            .trim()
            .split('\n')
            .slice(-20)
            .map((l) => `    ${l}`),
        );
      if (typeof d.stack === 'string')
        out.push(`  ${d.stack.split('\n').slice(0, 6).join('\n  ')}`);
      return out;
    }
    default:
      return [];
  }
}
