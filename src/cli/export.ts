/**
 * `dlm export FILE --onnx OUT [--model M] [--weights RUN_DIR]`
 * `dlm export FILE --pytorch OUT_DIR [--model M] [--weights RUN_DIR]`
 *
 * Writes the export graph (src/compiler/export.ts: native ONNX ops or one local function per
 * layer, dynamic batch) with the weights of a run (best.ckpt, else last.ckpt), or freshly
 * initialized weights (the train section's seed) with a warning when no run is given. With a run,
 * the model is also copied into the run folder as `model.onnx`.
 *
 * `--pytorch` writes a PyTorch project instead (src/interop/pytorch): model.py, weights.safetensors
 * (the run's weights, or the trainer's initial weights for the train section's seed), train.py
 * and README.md.
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
import { checkpointOf, initialWeights, weightsFrom } from '../engine/export';
import { exportPytorch, PytorchExportError } from '../interop/pytorch';
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
  summary: 'Export a model to ONNX or to a PyTorch project',
  usage: 'FILE (--onnx OUT | --pytorch OUT_DIR) [--model NAME] [--weights RUN_DIR]',
  details:
    'Writes the inference graph (one node per layer, dynamic batch axis) with the trained weights\n' +
    "of RUN_DIR (its best.ckpt, else last.ckpt; a .ckpt file works too) and copies it to the run's\n" +
    'model.onnx. Without --weights the weights are freshly initialized (a warning says so).\n' +
    'With --pytorch OUT_DIR it writes model.py (torch.nn), weights.safetensors, train.py and\n' +
    'README.md instead: train the model with PyTorch on a GPU or with torchrun on many.',
  options: [
    { name: 'onnx', type: 'string', value: 'OUT', help: 'the .onnx file to write' },
    {
      name: 'pytorch',
      type: 'string',
      value: 'OUT_DIR',
      help: 'the folder of the PyTorch project to write',
    },
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
    const ptOut = args.options['pytorch'];
    if (typeof out === 'string' && typeof ptOut === 'string')
      throw new UsageError('export takes either --onnx OUT or --pytorch OUT_DIR, not both');
    if (typeof out !== 'string' && typeof ptOut !== 'string')
      throw new UsageError('export needs --onnx OUT or --pytorch OUT_DIR');
    const target = resolveTarget(ctx, file);
    if (typeof target === 'number') return target;
    let loaded: LoadedProgram;
    try {
      loaded = loadProgram(target);
    } catch (e) {
      return reportPrepareError(ctx, e, 'export');
    }
    const { program } = loaded;
    if (typeof ptOut === 'string') return exportTorch(ctx, target, loaded, ptOut);
    if (typeof out !== 'string') return EXIT_USAGE;
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
        runDir = path.dirname(ck);
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

/** Resolve `--weights` (a run folder or checkpoint) or the initial weights; undefined on error. */
function chooseWeights(
  ctx: Ctx,
  program: StepProgram,
): { weights: Map<string, Float32Array>; source: string } | number {
  const { args, io } = ctx;
  const weightsOpt = args.options['weights'];
  if (typeof weightsOpt !== 'string') {
    io.stderr('note: no --weights RUN_DIR given; exporting the initial (untrained) weights\n');
    return { weights: initialWeights(program), source: 'initial (untrained)' };
  }
  const w = path.resolve(io.cwd, weightsOpt);
  if (!existsSync(w)) {
    io.stderr(`dlm export: no run folder or checkpoint '${weightsOpt}'\n`);
    return EXIT_USAGE;
  }
  try {
    const ck = checkpointOf(w);
    io.stderr(`weights: ${path.relative(io.cwd, ck) || ck}\n`);
    return { weights: weightsFrom(program, ck), source: `trained (${path.basename(ck)})` };
  } catch (e) {
    io.stderr(`dlm export: ${(e as Error).message}\n`);
    return EXIT_ERRORS;
  }
}

function exportTorch(ctx: Ctx, target: Target, loaded: LoadedProgram, outDir: string): number {
  const { io } = ctx;
  const { program } = loaded;
  const chosen = chooseWeights(ctx, program);
  if (typeof chosen === 'number') return chosen;
  const shapes = new Map(program.params.map((p) => [p.name, p.shape]));
  const weights = new Map(
    [...chosen.weights].map(([name, data]) => [
      name,
      { shape: shapes.get(name) ?? [data.length], data },
    ]),
  );
  const { split, config, dataset } = loaded.prepared;
  const train = target.result.trains.find((t) => t.model === target.model);
  const model = target.result.models.find((m) => m.name === target.model);
  const arrays = [
    { name: 'x_train' as const, ds: split.train, y: false },
    { name: 'y_train' as const, ds: split.train, y: true },
    ...(split.validation
      ? [
          { name: 'x_val' as const, ds: split.validation, y: false },
          { name: 'y_val' as const, ds: split.validation, y: true },
        ]
      : []),
  ].map(({ name, ds, y }) => ({
    name,
    data: y ? ds.y : ds.x,
    shape: [ds.n, ...(y ? ds.yShape : ds.xShape)],
  }));
  let files: Map<string, string | Uint8Array>;
  try {
    files = exportPytorch({
      check: target.result,
      model: target.model,
      weights,
      weightsSource: chosen.source,
      onNote: (m) => io.stderr(`note: ${m}\n`),
      train: train
        ? {
            settings: {
              model: target.model,
              train,
              lr: config.lr,
              idsInput: !!model?.nodes.some(
                (n) =>
                  n.def.name === 'Embedding' &&
                  model.inputs.some((i) => n.inputs.includes(i.value)),
              ),
              task:
                dataset.task === 'sequence'
                  ? 'sequence'
                  : dataset.task === 'regression'
                    ? 'regression'
                    : 'classification',
              hasValidation: !!split.validation,
            },
            arrays,
          }
        : undefined,
    });
  } catch (e) {
    if (!(e instanceof PytorchExportError)) throw e;
    io.stderr(`dlm export: cannot export ${target.model} to PyTorch: ${e.message}\n`);
    return EXIT_ERRORS;
  }
  const dir = path.resolve(io.cwd, outDir);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of files) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  io.stderr(`wrote ${[...files.keys()].join(', ')} to ${outDir}\n`);
  return EXIT_OK;
}
