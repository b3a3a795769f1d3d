/**
 * `dlm export FILE --onnx OUT [--model M] [--weights RUN_DIR]`
 *
 * Writes the export graph (src/compiler/export.ts: native ONNX ops or one local function per
 * layer, dynamic batch) with the weights of a run (best.ckpt, else last.ckpt), or freshly
 * initialized weights (the train section's seed) with a warning when no run is given. With a run
 * (a run folder, or a checkpoint inside one), the model is also copied into the run folder as
 * `model.onnx`; a checkpoint outside a run folder gets only OUT.
 *
 * The per-sample input shape comes from the train section's data, exactly as for training, so
 * the model needs a train section.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import '../engine/compile';
import { DataError } from '../engine/datasets';
import { prepare, RunError } from '../engine/loop';
import type { StepProgram } from '../engine/program';
import { checkpointOf, initialWeights, runFolderOf, weightsFrom } from '../engine/export';
import { UsageError, type Command } from './main';
import {
  COMMON,
  EXIT_ERRORS,
  EXIT_OK,
  EXIT_USAGE,
  resolveTarget,
  type Ctx,
  type Target,
} from './train';

export interface LoadedProgram {
  readonly program: StepProgram;
  readonly prepared: ReturnType<typeof prepare>;
}

/** Check the file, load the data and compile the program (as the trainer does before step 1). */
export function loadProgram(target: Target): LoadedProgram {
  const prepared = prepare({
    type: 'start',
    v: 1,
    workspaceRoot: target.root,
    modelPath: target.file,
    model: target.model,
  });
  return { program: prepared.program, prepared };
}

export { checkpointOf, initialWeights, weightsFrom };

/** Print a prepare()/compile failure; returns the exit code. */
export function reportPrepareError(ctx: Ctx, e: unknown, cmd: string): number {
  if (e instanceof DataError) ctx.io.stderr(`dlm ${cmd}: data error: ${e.message}\n`);
  else if (e instanceof RunError)
    ctx.io.stderr(
      `dlm ${cmd}: ${e.message}\n${e.suggestion ? `  suggestion: ${e.suggestion}\n` : ''}`,
    );
  else ctx.io.stderr(`dlm ${cmd}: ${(e as Error).message}\n`);
  return EXIT_ERRORS;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a model to ONNX',
  usage: 'FILE --onnx OUT [--model NAME] [--weights RUN_DIR]',
  details:
    'Writes the inference graph (one node per layer, dynamic batch axis) with the trained weights\n' +
    "of RUN_DIR (its best.ckpt, else last.ckpt; a .ckpt file works too) and copies it to the run's\n" +
    'model.onnx (only OUT is written for a checkpoint outside a run folder). Without --weights the\n' +
    'weights are freshly initialized (a warning says so).',
  options: [
    { name: 'onnx', type: 'string', value: 'OUT', help: 'the .onnx file to write' },
    { name: 'model', type: 'string', value: 'NAME', help: 'the model to export' },
    {
      name: 'weights',
      type: 'string',
      value: 'RUN_DIR',
      help: 'a run folder (.dlm/runs/...) or a checkpoint file',
    },
    ...COMMON,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const [file, ...extra] = args.positionals;
    if (file === undefined) throw new UsageError('export needs a FILE');
    if (extra.length) throw new UsageError(`export takes one FILE, got ${args.positionals.length}`);
    const out = args.options['onnx'];
    if (typeof out !== 'string') throw new UsageError('export needs --onnx OUT');
    const target = resolveTarget(ctx, file);
    if (typeof target === 'number') return target;
    let loaded: LoadedProgram;
    try {
      loaded = loadProgram(target);
    } catch (e) {
      return reportPrepareError(ctx, e, 'export');
    }
    const { program } = loaded;
    if (!program.exportGraph) {
      io.stderr(`dlm export: this program has no export graph\n`);
      return EXIT_ERRORS;
    }
    const weightsOpt = args.options['weights'];
    let weights: Map<string, Float32Array>;
    let runDir: string | undefined;
    if (typeof weightsOpt === 'string') {
      const w = path.resolve(io.cwd, weightsOpt);
      if (!existsSync(w)) {
        io.stderr(`dlm export: no run folder or checkpoint '${weightsOpt}'\n`);
        return EXIT_USAGE;
      }
      try {
        const ck = checkpointOf(w);
        weights = weightsFrom(program, ck);
        // a copy goes into the run folder only: a checkpoint elsewhere gets no model.onnx beside it
        runDir = runFolderOf(ck);
        io.stderr(`weights: ${path.relative(io.cwd, ck) || ck}\n`);
      } catch (e) {
        io.stderr(`dlm export: ${(e as Error).message}\n`);
        return EXIT_ERRORS;
      }
    } else {
      weights = initialWeights(program);
      io.stderr(
        'warning: no --weights RUN_DIR given; exporting freshly initialized (untrained) weights\n',
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = program.exportGraph(weights);
    } catch (e) {
      io.stderr(`dlm export: cannot export ${target.model}: ${(e as Error).message}\n`);
      return EXIT_ERRORS;
    }
    const outAbs = path.resolve(io.cwd, out);
    mkdirSync(path.dirname(outAbs), { recursive: true });
    writeFileSync(outAbs, bytes);
    io.stderr(`wrote ${out} (${(bytes.length / 1024).toFixed(1)} KiB)\n`);
    if (runDir) {
      const copy = path.join(runDir, 'model.onnx');
      if (path.resolve(copy) !== outAbs) copyFileSync(outAbs, copy);
      io.stderr(`copied to ${path.relative(io.cwd, copy) || copy}\n`);
    }
    return EXIT_OK;
  },
};
