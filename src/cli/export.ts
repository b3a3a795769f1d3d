/**
 * `dlm export FILE --onnx OUT [--model M] [--weights RUN_DIR]`
 *
 * Writes the export graph (src/compiler/export.ts: native ONNX ops or one local function per
 * layer, dynamic batch) with the weights of a run (its best checkpoint, else its last) or of a
 * safetensors file saved elsewhere with the same parameter names, or freshly
 * initialized weights (the train section's seed) with a warning when no run is given. With a run,
 * the model is also copied into the run folder as `model.onnx`.
 *
 * The per-sample input shape comes from the train section's data, exactly as for training, and
 * the data's input standardization (CSV `standardize`) becomes the graph's first two nodes. A
 * model without a train section exports too when its signature gives every input dim but the
 * batch (initial weights for seed 0, or --weights).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import '../engine/compile';
import { DataError } from '../engine/datasets';
import { prepare, RunError } from '../engine/loop';
import type { Standardization, StepProgram } from '../engine/program';
import { checkpointOf, initialWeights, standardizationOf, weightsFrom } from '../engine/export';
import { readWeights, writeFileAtomic } from '../engine/runs';
import { modelExport } from '../compiler/program';
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
  /** The workspace root: checkpoints and config files are read only inside it. */
  readonly root: string;
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
  return { program: prepared.program, prepared, root: target.root };
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

/** What `dlm export` needs of a model, with or without a train section. */
interface ExportSource {
  readonly sampleShape: readonly number[];
  readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly seed: number;
  initial(): Map<string, Float32Array>;
  standardize(weightsFile: string | undefined): Standardization | undefined;
  exportGraph(weights: Map<string, Float32Array>, st: Standardization | undefined): Uint8Array;
}

function trainedSource(target: Target): ExportSource {
  const { program, prepared } = loadProgram(target);
  const exportGraph = program.exportGraph;
  if (!exportGraph) throw new Error('this program has no export graph');
  return {
    sampleShape: program.inputs.x.sampleShape,
    params: program.params,
    seed: prepared.config.seed,
    initial: () => initialWeights(program),
    standardize: (f) => standardizationOf(f, prepared.summary.standardization, target.root),
    exportGraph: (w, st) => exportGraph.call(program, w, st ? { standardize: st } : {}),
  };
}

function untrainedSource(target: Target): ExportSource {
  const model = target.result.models.find((m) => m.name === target.model)!;
  const m = modelExport(model, 0);
  return {
    sampleShape: m.sampleShape,
    params: m.params,
    seed: 0,
    initial: () => m.initial,
    standardize: () => undefined,
    exportGraph: (w) => m.exportGraph(w),
  };
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a model to ONNX',
  usage: 'FILE --onnx OUT [--model NAME] [--weights RUN_DIR|FILE]',
  details:
    'Writes the inference graph (one node per layer, dynamic batch axis) with the trained weights\n' +
    'of RUN_DIR (its best.safetensors, else last.safetensors) or of a weights FILE (a checkpoint,\n' +
    'or a safetensors state_dict saved elsewhere, e.g. by PyTorch, with the parameter names of the\n' +
    "summary), and copies it to the run's model.onnx. Without --weights the weights are freshly\n" +
    'initialized (a warning says so).',
  options: [
    { name: 'onnx', type: 'string', value: 'OUT', help: 'the .onnx file to write' },
    { name: 'model', type: 'string', value: 'NAME', help: 'the model to export' },
    {
      name: 'weights',
      type: 'string',
      value: 'RUN_DIR|FILE',
      help: 'a run folder (.dlm/runs/...) or a .safetensors (or legacy .ckpt) weights file',
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
    const target = resolveTarget(ctx, file, false);
    if (typeof target === 'number') return target;
    const trained = target.result.trains.some((t) => t.model === target.model);
    // What to export: the trained program (its data fixes the input shape and standardization),
    // or, without a train section, the model on its own (the signature fixes the input shape).
    let source: ExportSource;
    try {
      source = trained ? trainedSource(target) : untrainedSource(target);
    } catch (e) {
      return reportPrepareError(ctx, e, 'export');
    }
    if (!trained)
      io.stderr(
        `note: ${target.model} has no train section; the input shape comes from its signature [B, ${source.sampleShape.join(', ')}]\n`,
      );
    const weightsOpt = args.options['weights'];
    let weights: Map<string, Float32Array>;
    let runDir: string | undefined;
    let weightsFile: string | undefined;
    if (typeof weightsOpt === 'string') {
      const w = path.resolve(io.cwd, weightsOpt);
      if (!existsSync(w)) {
        io.stderr(`dlm export: no run folder or weights file '${weightsOpt}'\n`);
        return EXIT_USAGE;
      }
      try {
        weightsFile = checkpointOf(w, target.root);
        weights = readWeights(weightsFile, source.params, target.root);
        if (existsSync(path.join(path.dirname(weightsFile), 'config.json')))
          runDir = path.dirname(weightsFile);
        io.stderr(`weights: ${path.relative(io.cwd, weightsFile) || weightsFile}\n`);
      } catch (e) {
        io.stderr(`dlm export: ${(e as Error).message}\n`);
        return EXIT_ERRORS;
      }
    } else {
      weights = source.initial();
      io.stderr(
        `warning: no --weights given; exporting freshly initialized (untrained) weights (seed ${source.seed})\n`,
      );
    }
    const standardize = source.standardize(weightsFile);
    if (standardize)
      io.stderr(
        "the graph standardizes its input with the training split's mean and std: feed it raw features\n",
      );
    let bytes: Uint8Array;
    try {
      bytes = source.exportGraph(weights, standardize);
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
      // a new file renamed into place: never written through a model.onnx link
      if (path.resolve(copy) !== outAbs) writeFileAtomic(copy, bytes);
      io.stderr(`copied to ${path.relative(io.cwd, copy) || copy}\n`);
    }
    return EXIT_OK;
  },
};
