/**
 * `dlm train FILE [--model M] [--epochs N] [--batch N] [--lr X] [--threads N] [--json]
 *  [--resume RUN]`
 *
 * Forks the trainer child process through the supervisor (src/engine/supervisor.ts), starts the
 * model's train section and renders the events: a live progress bar on a terminal (steps, loss,
 * accuracy, ETA), plain periodic lines otherwise, or the raw events as JSON lines (`--json`).
 * Ends with a result table. Ctrl-C asks the trainer to stop after the current step (it writes
 * last.safetensors and reports `finished`); a second Ctrl-C kills it.
 *
 * Exit codes: 0 the run finished (completed, early stopping or stopped by Ctrl-C); 1 the model or
 * the data has errors, the loss diverged or the trainer crashed; 2 usage error.
 *
 * `Command.run` is synchronous (src/cli/main.ts): arguments are checked synchronously (usage
 * errors throw UsageError there), the run itself continues asynchronously and sets
 * `process.exitCode` when it ends. `trainCli` is the awaitable form.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { relabelMessage } from '../engine/datasets/types';
import type { EventOf, StartRequest, TrainerEvent } from '../engine/protocol';
import { LAST_CHECKPOINT, resumePoint } from '../engine/runs';
import { TrainerSupervisor } from '../engine/supervisor';
import type { CheckResult } from '../language/checked';
import { checkFile } from '../language/program';
import { absolutePosix, DiskHost, fromPosix } from '../engine/host';
import {
  COMMON_OPTIONS,
  EXIT_ERRORS,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  oneFile,
  type Command,
  type Ctx,
} from './common';

type Io = Ctx['io'];

// ------------------------------------------------------------------------------ shared helpers

export interface Target {
  /** Absolute path of the .dlm file (native separators). */
  readonly file: string;
  /** Workspace root (native separators). */
  readonly root: string;
  readonly result: CheckResult;
  /** The chosen model (with a train section unless `needTrain` is false). */
  readonly model: string;
}

/**
 * Resolve FILE, the workspace root and the model (--model, else the first model of FILE with a
 * train section). Returns an exit code after printing why when it cannot.
 */
/** The workspace root for FILE: --root, else the current folder, or FILE's folder when outside it. */
export function workspaceRoot(ctx: Ctx, file: string): string {
  const { io, args } = ctx;
  const abs = absolutePosix(file, io.cwd);
  const rootOpt = args.options['root'];
  const root = typeof rootOpt === 'string' ? absolutePosix(rootOpt, io.cwd) : absolutePosix(io.cwd);
  const inside = (r: string, p: string) => p === r || p.startsWith(r.endsWith('/') ? r : r + '/');
  return typeof rootOpt !== 'string' && !inside(root, abs) ? path.posix.dirname(abs) : root;
}

export function resolveTarget(ctx: Ctx, file: string, needTrain = true): Target | number {
  const { io, args } = ctx;
  const abs = absolutePosix(file, io.cwd);
  const root = workspaceRoot(ctx, file);
  const host = new DiskHost(root);
  const why = host.unreadable(abs);
  if (why) {
    io.stderr(`dlm: cannot read '${file}': ${why}\n`);
    return EXIT_USAGE;
  }
  const result = checkFile(abs, host);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    for (const d of errors.slice(0, 5)) io.stderr(`${file}: error ${d.code} ${d.message}\n`);
    io.stderr(`dlm: ${file} has ${errors.length} error(s); run 'dlm check ${file}'\n`);
    return EXIT_ERRORS;
  }
  const models = result.models.filter((m) => m.file === abs);
  const trained = new Set(result.trains.map((t) => t.model));
  const wanted = args.options['model'];
  let model: string | undefined;
  if (typeof wanted === 'string') {
    if (!result.models.some((m) => m.name === wanted)) {
      io.stderr(
        `dlm: no model '${wanted}' in ${file}; available: ${models.map((m) => m.name).join(', ') || '(none)'}\n`,
      );
      return EXIT_USAGE;
    }
    model = wanted;
  } else
    model = (models.find((m) => trained.has(m.name)) ?? (needTrain ? undefined : models[0]))?.name;
  if (!model) {
    io.stderr(`dlm: ${file} has no model with a train section\n`);
    return EXIT_ERRORS;
  }
  if (needTrain && !trained.has(model)) {
    io.stderr(`dlm: model ${model} has no train section\n`);
    return EXIT_ERRORS;
  }
  return { file: fromPosix(abs), root: fromPosix(root), result, model };
}

/** The trainer entry: dist/trainer.js next to the bundle, else the TypeScript source under tsx. */
export function trainerEntry(): { entry: string; execArgv: string[]; cwd: string } {
  const bundled = path.join(__dirname, 'trainer.js');
  const pkgRoot = path.join(__dirname, '..', '..');
  if (existsSync(bundled)) return { entry: bundled, execArgv: [], cwd: path.dirname(bundled) };
  const src = path.join(__dirname, '..', 'engine', 'trainer.ts');
  if (existsSync(src)) return { entry: src, execArgv: ['--import', 'tsx'], cwd: pkgRoot };
  throw new Error(`cannot find the trainer (looked for ${bundled} and ${src})`);
}

export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : 2;
  return Math.max(1, Math.min(8, n));
}

// ------------------------------------------------------------------------------ formatting

const fmtNum = (v: number | undefined, digits = 4): string =>
  v === undefined || v === null ? '–' : Number.isFinite(v) ? v.toFixed(digits) : String(v);
const fmtPct = (v: number | undefined): string =>
  v === undefined || v === null ? '–' : `${(100 * v).toFixed(2)}%`;

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function bar(frac: number, width = 24): string {
  const f = Math.max(0, Math.min(1, frac));
  const full = Math.floor(f * width);
  return '█'.repeat(full) + (full < width ? '░'.repeat(width - full) : '');
}

function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

/** The result table printed after `finished`. */
export function resultTable(
  fin: EventOf<'finished'>,
  epochs: readonly EventOf<'epoch'>[],
  total: number,
  cwd: string,
  startStep = 0,
): string {
  const last = epochs[epochs.length - 1];
  const best = epochs.find((e) => e.epoch === fin.bestEpoch) ?? last;
  const secs = fin.timeMs / 1000;
  const trainMs = epochs.reduce((a, e) => a + e.timeMs, 0);
  const stepsRun = fin.step - startStep;
  const rel = path.relative(cwd, fin.runDir);
  const rows: [string, string][] = [
    ['epochs', `${fin.epoch} of ${total} (${fin.reason.replace('_', ' ')}), ${fin.step} steps`],
    ['best epoch', fin.bestEpoch === undefined ? '–' : String(fin.bestEpoch + 1)],
    ['train loss', `${fmtNum(best?.trainLoss)} (last ${fmtNum(last?.trainLoss)})`],
  ];
  if (best?.trainAcc !== undefined)
    rows.push(['train accuracy', `${fmtPct(best.trainAcc)} (last ${fmtPct(last?.trainAcc)})`]);
  if (best?.valLoss !== undefined)
    rows.push(['val loss', `${fmtNum(best.valLoss)} (last ${fmtNum(last?.valLoss)})`]);
  if (best?.valAcc !== undefined)
    rows.push(['val accuracy', `${fmtPct(best.valAcc)} (last ${fmtPct(last?.valAcc)})`]);
  for (const [k, v] of Object.entries(best?.metrics ?? {})) rows.push([k, fmtNum(v, 6)]);
  rows.push(['time', `${secs.toFixed(1)} s`]);
  rows.push([
    'steps/s',
    trainMs > 0 ? `${((1000 * stepsRun) / trainMs).toFixed(1)} (${fin.step} steps)` : '–',
  ]);
  rows.push(['run', rel && !rel.startsWith('..') ? rel : fin.runDir]);
  return table(rows);
}

/** A one-line explanation of a fatal error event (with the suggestion). */
export function explainError(e: EventOf<'error'>): string {
  const lines: string[] = [];
  switch (e.kind) {
    case 'data':
      lines.push(`data error: ${e.message}`);
      break;
    case 'nan': {
      const p = e.details?.parameter;
      lines.push(
        `training diverged: ${e.message}${p && !e.message.includes(String(p)) ? ` (parameter ${String(p)})` : ''}`,
      );
      break;
    }
    case 'io':
      lines.push(`file error: ${e.message}`);
      break;
    case 'crash':
      lines.push(`the trainer crashed: ${e.message}`);
      if (typeof e.details?.stderr === 'string' && e.details.stderr.trim())
        lines.push(
          e.details.stderr
            .trim()
            .split('\n')
            .slice(-8)
            .map((l) => `    ${l}`)
            .join('\n'),
        );
      break;
    default:
      lines.push(`internal error: ${e.message}`);
  }
  if (e.suggestion) lines.push(`  suggestion: ${e.suggestion}`);
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------ the command

export interface TrainOptions {
  readonly target: Target;
  readonly overrides: NonNullable<StartRequest['overrides']>;
  readonly threads: number;
  readonly json: boolean;
  readonly io: Io;
  /** Install SIGINT handlers (the CLI); tests drive stop() themselves. */
  readonly signals?: boolean;
  /** Called with the supervisor once the child is forked (tests). */
  readonly onSupervisor?: (s: TrainerSupervisor) => void;
  /** Continue this checkpoint's run (`--resume`), in its folder, with its settings. */
  readonly resumeFrom?: string;
}

/** Runs one training job in a trainer child; resolves with the exit code. */
export async function trainCli(o: TrainOptions): Promise<number> {
  const { io, target } = o;
  const ent = trainerEntry();
  const sup = new TrainerSupervisor({
    entry: ent.entry,
    execArgv: ent.execArgv,
    cwd: ent.cwd,
    // The terminal's Ctrl-C reaches the whole process group: the trainer ignores it (see
    // src/engine/compile.ts) and we turn it into `stop`.
    env: { ...process.env, DLM_TRAINER_IGNORE_SIGINT: '1' },
  });
  o.onSupervisor?.(sup);
  const tty = io.isTTY && !o.json;
  const write = (s: string) => (o.json ? io.stderr(s) : io.stdout(s));
  let started: EventOf<'started'> | undefined;
  const epochs: EventOf<'epoch'>[] = [];
  let lastStep: EventOf<'step'> | undefined;
  let stepT0 = 0;
  let stepAtT0 = 0;
  let lastPlain = 0;
  let barShown = false;
  let interrupts = 0;
  const clearBar = () => {
    if (barShown) io.stderr('\r\x1b[2K');
    barShown = false;
  };
  const progress = () => {
    if (!started || !lastStep) return;
    const total = started.epochs * started.stepsPerEpoch;
    const done = lastStep.step;
    const now = performance.now();
    const rate = (done - stepAtT0) / Math.max(1e-9, now - stepT0);
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const acc = lastStep.metrics?.accuracy;
    const line =
      `epoch ${lastStep.epoch + 1}/${started.epochs} ${bar(done / total)} ${done}/${total} steps` +
      `  loss ${fmtNum(lastStep.loss)}${acc !== undefined ? `  acc ${fmtPct(acc)}` : ''}` +
      `  ETA ${fmtDuration(eta)}`;
    if (tty) {
      io.stderr(`\r\x1b[2K${line}`);
      barShown = true;
    } else if (!o.json && now - lastPlain > 5000) {
      lastPlain = now;
      io.stderr(line + '\n');
    }
  };

  let settle: ((code: number) => void) | undefined;
  // Nobody reads stdout any more (`dlm train --json | head -1`): end quietly and stop the trainer
  // (the `finally` below shuts it down: it stops at the next step and writes last.ckpt).
  let stdoutClosed = false;
  io.onStdoutClosed?.(() => {
    stdoutClosed = true;
    clearBar();
    settle?.(EXIT_OK);
  });
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      clearBar();
      io.stderr('stopping after the current step (Ctrl-C again to kill the trainer)\n');
      try {
        sup.stop();
      } catch {
        /* not running */
      }
    } else {
      clearBar();
      io.stderr('killing the trainer\n');
      void sup.dispose().then(() => {
        io.stderr(
          `the trainer was killed${started ? `; ${path.join(started.runDir, LAST_CHECKPOINT)} has the last completed epoch (or none yet)` : ''}\n`,
        );
        settle?.(EXIT_ERRORS);
      });
    }
  };
  if (o.signals) process.on('SIGINT', onSigint);

  try {
    const ready = await sup.ready;
    if (o.json) io.stdout(JSON.stringify(ready) + '\n');
    if (stdoutClosed) return EXIT_OK;
    const result = new Promise<number>((resolve) => {
      settle = resolve;
      sup.onEvent((e: TrainerEvent) => {
        if (o.json && e.type !== 'ready') io.stdout(JSON.stringify(e) + '\n');
        switch (e.type) {
          case 'progress': {
            if (o.json) break;
            const mb = (b: number) => (b / (1 << 20)).toFixed(1);
            const line = `reading ${e.file}: ${Math.floor((100 * e.done) / Math.max(1, e.total))}% (${mb(e.done)} of ${mb(e.total)} MiB)`;
            const now = performance.now();
            if (tty) {
              io.stderr(`\r\x1b[2K${line}`);
              barShown = true;
            } else if (now - lastPlain > 5000 || e.done === e.total) {
              lastPlain = now;
              io.stderr(line + '\n');
            }
            break;
          }
          case 'started':
            clearBar();
            started = e;
            stepT0 = performance.now();
            stepAtT0 = e.resumed?.step ?? 0;
            if (!o.json) {
              const ds = e.dataset as unknown as {
                name?: string;
                train?: number;
                validation?: number;
              };
              io.stderr(
                `training ${target.model}: ${e.program}\n` +
                  `  ${e.params.trainable.toLocaleString('en-US')} trainable parameters, ` +
                  `${ds.name ?? 'data'} (${ds.train ?? '?'} train / ${ds.validation ?? 0} validation), ` +
                  `${e.epochs} epochs × ${e.stepsPerEpoch} steps, sessions ${fmtNum(e.timing.sessionCreateMs, 0)} ms\n`,
              );
              for (const n of e.notes ?? []) io.stderr(`  note: ${n}\n`);
              if (e.dataset.relabelled)
                io.stderr(`warning: ${relabelMessage(e.dataset.relabelled)}\n`);
            }
            break;
          case 'step':
            lastStep = e;
            progress();
            break;
          case 'epoch':
            epochs.push(e);
            if (!o.json && (!tty || e.best || e.epoch + 1 === started?.epochs)) {
              clearBar();
              const parts = [
                `epoch ${e.epoch + 1}/${started?.epochs ?? '?'}`,
                `loss ${fmtNum(e.trainLoss)}`,
                ...(e.trainAcc !== undefined ? [`acc ${fmtPct(e.trainAcc)}`] : []),
                ...(e.valLoss !== undefined ? [`val_loss ${fmtNum(e.valLoss)}`] : []),
                ...(e.valAcc !== undefined ? [`val_acc ${fmtPct(e.valAcc)}`] : []),
                `${fmtNum(e.timeMs, 0)} ms`,
                ...(e.best ? ['*'] : []),
              ];
              if (!tty) io.stderr(parts.join('  ') + '\n');
            }
            progress();
            break;
          case 'finished':
            clearBar();
            if (!o.json)
              write(resultTable(e, epochs, started?.epochs ?? e.epoch, io.cwd, stepAtT0));
            resolve(EXIT_OK);
            break;
          case 'error':
            if (!e.fatal) {
              if (!o.json) io.stderr(`warning: ${e.message}\n`);
              break;
            }
            clearBar();
            if (interrupts > 1 && e.kind === 'crash') {
              io.stderr(
                `the trainer was killed; ${LAST_CHECKPOINT} in the run folder has the last epoch\n`,
              );
              resolve(EXIT_ERRORS);
              break;
            }
            io.stderr(explainError(e));
            if (started) io.stderr(`  run folder: ${started.runDir}\n`);
            resolve(EXIT_ERRORS);
            break;
          default:
            break;
        }
      });
    });
    sup.start({
      workspaceRoot: target.root,
      modelPath: target.file,
      model: target.model,
      overrides: o.overrides,
      threads: o.threads,
      stepEventInterval: o.json ? 0 : 100,
      ...(o.resumeFrom ? { resumeFrom: o.resumeFrom } : {}),
    });
    return await result;
  } catch (e) {
    clearBar();
    io.stderr(`dlm train: ${(e as Error).message}\n`);
    return EXIT_ERRORS;
  } finally {
    await sup.shutdown().catch(() => undefined);
    if (o.signals) process.off('SIGINT', onSigint);
  }
}

function positiveNumber(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(v) || v <= 0)
    throw new UsageError(`--${name} needs a positive number, got '${String(raw)}'`);
  return v;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model with its train section',
  usage:
    'FILE [--model NAME] [--epochs N] [--batch N] [--lr X] [--threads N] [--seed N] [--json] [--resume RUN]',
  details:
    'Runs the train section of --model (default: the first model of FILE with one) in a trainer\n' +
    'child process. Shows a progress bar on a terminal and ends with a result table; --json\n' +
    'prints every trainer event as one JSON line instead. Ctrl-C stops after the current step\n' +
    '(the run folder keeps last.safetensors); a second Ctrl-C kills the trainer.\n' +
    'Runs go to <root>/.dlm/runs/<model>-<time>/. --resume RUN continues a stopped or crashed run\n' +
    '(a run folder, its id or a checkpoint) from its last checkpoint, in its folder and with the\n' +
    'settings it was started with; the continuation is bit-identical to an uninterrupted run.\n' +
    'Exit code 0 when the run finished, 1 on model\n' +
    'or data errors, a diverged loss or a crash, 2 on usage errors.',
  options: [
    { name: 'model', type: 'string', value: 'NAME', help: 'the model to train' },
    { name: 'epochs', type: 'int', value: 'N', help: 'override epochs' },
    { name: 'batch', type: 'int', value: 'N', help: 'override the batch size' },
    { name: 'lr', type: 'string', value: 'X', help: 'override the learning rate' },
    {
      name: 'threads',
      type: 'int',
      value: 'N',
      help: `onnxruntime intra-op threads (default ${defaultThreads()})`,
    },
    { name: 'seed', type: 'string', value: 'N', help: 'override the seed' },
    { name: 'json', type: 'boolean', help: 'print trainer events as JSON lines' },
    {
      name: 'resume',
      type: 'string',
      value: 'RUN',
      help: 'continue a run (folder, id or checkpoint) from its last checkpoint',
    },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const file = oneFile(args, 'train');
    const lr = positiveNumber(args.options['lr'], 'lr');
    const seedRaw = args.options['seed'];
    if (seedRaw !== undefined && !/^-?\d+$/.test(String(seedRaw)))
      throw new UsageError(`--seed needs an integer, got '${String(seedRaw)}'`);
    const resumeRef = args.options['resume'];
    let resume: ReturnType<typeof resumePoint> | undefined;
    if (typeof resumeRef === 'string') {
      try {
        resume = resumePoint(fromPosix(workspaceRoot(ctx, file)), resumeRef, io.cwd);
      } catch (e) {
        io.stderr(`dlm train: cannot resume: ${(e as Error).message}\n`);
        return EXIT_ERRORS;
      }
    }
    // A resumed run trains its own model (config.json), with or without a train section now.
    const target = resolveTarget(
      resume?.model && args.options['model'] === undefined
        ? { ...ctx, args: { ...args, options: { ...args.options, model: resume.model } } }
        : ctx,
      file,
      !resume,
    );
    if (typeof target === 'number') return target;
    const overrides: NonNullable<StartRequest['overrides']> = {
      ...(typeof args.options['epochs'] === 'number' ? { epochs: args.options['epochs'] } : {}),
      ...(typeof args.options['batch'] === 'number' ? { batch: args.options['batch'] } : {}),
      ...(lr !== undefined ? { lr } : {}),
      ...(seedRaw !== undefined ? { seed: Number(seedRaw) } : {}),
    };
    const threads =
      typeof args.options['threads'] === 'number' ? args.options['threads'] : defaultThreads();
    void trainCli({
      target,
      overrides,
      threads,
      json: args.options['json'] === true,
      io,
      signals: true,
      ...(resume ? { resumeFrom: resume.checkpoint } : {}),
    }).then((code) => {
      process.exitCode = code;
    });
    return EXIT_OK;
  },
};
