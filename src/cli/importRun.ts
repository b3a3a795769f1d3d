/**
 * `dlm import-run DIR [--model NAME]`: bring a run trained elsewhere (the `run/` folder of a
 * generated PyTorch project: metrics.jsonl in our event format, best/last.safetensors) into
 * `.dlm/runs/`, where the dashboard's History lists it next to local runs and `--weights` can name
 * it (src/engine/runs.ts `importRun`).
 */
import * as path from 'node:path';
import { importRun } from '../engine/runs';
import { COMMON_OPTIONS, EXIT_ERRORS, EXIT_OK, UsageError, type Command } from './common';

export const importRunCommand: Command = {
  name: 'import-run',
  summary: 'Import a run trained elsewhere (e.g. by an exported train.py) into .dlm/runs',
  usage: 'DIR [--model NAME]',
  details:
    'Copies DIR/metrics.jsonl and DIR/best.safetensors, DIR/last.safetensors (when present) into a\n' +
    'new folder under .dlm/runs of the workspace (--root, default the current directory), with a\n' +
    "config.json naming the model (the run's started event, or --model). The dashboard's History\n" +
    'then shows it, and `dlm predict --weights` / `dlm export --weights` take it.',
  options: [
    { name: 'model', type: 'string', value: 'NAME', help: 'the model the run trained' },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const [dir, ...extra] = args.positionals;
    if (dir === undefined) throw new UsageError('import-run needs a run folder DIR');
    if (extra.length)
      throw new UsageError(`import-run takes one DIR, got ${args.positionals.length}`);
    const rootOpt = args.options['root'];
    const root = path.resolve(io.cwd, typeof rootOpt === 'string' ? rootOpt : '.');
    const model = args.options['model'];
    try {
      const r = importRun(
        root,
        path.resolve(io.cwd, dir),
        typeof model === 'string' ? model : undefined,
      );
      io.stderr(
        `imported ${r.records} records of ${r.model} into ${path.relative(io.cwd, r.dir) || r.dir}\n`,
      );
      return EXIT_OK;
    } catch (e) {
      io.stderr(`dlm import-run: ${(e as Error).message}\n`);
      return EXIT_ERRORS;
    }
  },
};
