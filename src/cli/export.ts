/**
 * `dlm export FILE --onnx OUT [--model M] [--weights RUN_DIR]`
 * `dlm export FILE --pytorch OUT_DIR [--model M] [--weights RUN_DIR]`
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
 *
 * `--pytorch` writes a PyTorch project instead (src/interop/pytorch): model.py, weights.safetensors
 * (the run's weights, or the trainer's initial weights for the train section's seed), train.py
 * and README.md; it needs a train section (train.py is generated from it).
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
import type { CheckedModel } from '../language/checked';
import { loadWeightSources } from '../engine/weights';
import { exportPytorch, PytorchExportError } from '../interop/pytorch';
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
import { resolveTarget, type Target } from './train';

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
  const m = modelExport(model, 0, loadWeightSources(model, target.root));
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
  summary: 'Export a model to ONNX or to a PyTorch project',
  usage: 'FILE (--onnx OUT | --pytorch OUT_DIR) [--model NAME] [--weights RUN_DIR|FILE]',
  details:
    'Writes the inference graph (one node per layer, dynamic batch axis) with the trained weights\n' +
    'of RUN_DIR (its best.safetensors, else last.safetensors) or of a weights FILE (a checkpoint,\n' +
    'or a safetensors state_dict saved elsewhere, e.g. by PyTorch, with the parameter names of the\n' +
    "summary), and copies it to the run's model.onnx. Without --weights the weights are freshly\n" +
    'initialized (a warning says so).\n' +
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
      value: 'RUN_DIR|FILE',
      help: 'a run folder (.dlm/runs/...) or a .safetensors (or legacy .ckpt) weights file',
    },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const file = oneFile(args, 'export');
    const out = args.options['onnx'];
    const ptOut = args.options['pytorch'];
    if (typeof out === 'string' && typeof ptOut === 'string')
      throw new UsageError('export takes either --onnx OUT or --pytorch OUT_DIR, not both');
    if (typeof out !== 'string' && typeof ptOut !== 'string')
      throw new UsageError('export needs --onnx OUT or --pytorch OUT_DIR');
    const target = resolveTarget(ctx, file, false);
    if (typeof target === 'number') return target;
    if (typeof ptOut === 'string') {
      if (!target.result.trains.some((t) => t.model === target.model))
        return exportTorchUntrained(ctx, target, ptOut);
      let loaded: LoadedProgram;
      try {
        loaded = loadProgram(target);
      } catch (e) {
        return reportPrepareError(ctx, e, 'export');
      }
      return exportTorch(ctx, target, loaded, ptOut);
    }
    if (typeof out !== 'string') return EXIT_USAGE;
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
      const model = target.result.models.find((m) => m.name === target.model);
      io.stderr(
        model?.weights?.length
          ? `note: no --weights given; exporting the initial weights: from ${model.weights.map((w) => `'${w.path ?? ''}'`).join(', ')} where given, else freshly initialized (seed ${source.seed})\n`
          : `warning: no --weights given; exporting freshly initialized (untrained) weights (seed ${source.seed})\n`,
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

/** Resolve `--weights` (a run folder or checkpoint) or the initial weights; undefined on error. */
function chooseWeights(
  ctx: Ctx,
  program: StepProgram,
  root: string,
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
    const ck = checkpointOf(w, root);
    io.stderr(`weights: ${path.relative(io.cwd, ck) || ck}\n`);
    return { weights: weightsFrom(program, ck, root), source: `trained (${path.basename(ck)})` };
  } catch (e) {
    io.stderr(`dlm export: ${(e as Error).message}\n`);
    return EXIT_ERRORS;
  }
}

function exportTorch(ctx: Ctx, target: Target, loaded: LoadedProgram, outDir: string): number {
  const { io } = ctx;
  const { program } = loaded;
  const chosen = chooseWeights(ctx, program, target.root);
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
    // x in the model input's shape (an Idx image [28, 28] for a [B, 784] input), as the trainer feeds it
    shape: [ds.n, ...(y ? ds.yShape : sampleShapeOf(ds.xShape, program.inputs.x.sampleShape))],
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
              ...(dataset.parts && model ? { parts: packedParts(dataset.parts, model) } : {}),
              task:
                dataset.task === 'sequence'
                  ? 'sequence'
                  : dataset.task === 'regression'
                    ? 'regression'
                    : 'classification',
              hasValidation: !!split.validation,
              random: program.random ?? [],
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
  return writeProject(ctx, files, outDir);
}

/** The program's per-sample input shape when it holds the same values as the data's, else the data's. */
function sampleShapeOf(data: readonly number[], input: readonly number[]): readonly number[] {
  const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  return size(data) === size(input) ? input : data;
}

function writeProject(ctx: Ctx, files: Map<string, string | Uint8Array>, outDir: string): number {
  const { io } = ctx;
  const dir = path.resolve(io.cwd, outDir);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of files) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  io.stderr(`wrote ${[...files.keys()].join(', ')} to ${outDir}\n`);
  return EXIT_OK;
}

/**
 * A model without a train section: model.py, weights.safetensors (its initial weights for seed 0,
 * or --weights) and README.md; no train.py, which is generated from a train section.
 */
function exportTorchUntrained(ctx: Ctx, target: Target, outDir: string): number {
  const { io } = ctx;
  const model = target.result.models.find((m) => m.name === target.model)!;
  let m: ReturnType<typeof modelExport>;
  try {
    m = modelExport(model, 0, loadWeightSources(model, target.root));
  } catch (e) {
    return reportPrepareError(ctx, e, 'export');
  }
  const weightsOpt = ctx.args.options['weights'];
  let values: Map<string, Float32Array> = m.initial;
  let source = 'initial (untrained, seed 0)';
  if (typeof weightsOpt === 'string') {
    try {
      const f = checkpointOf(path.resolve(io.cwd, weightsOpt), target.root);
      values = readWeights(f, m.params, target.root);
      source = `trained (${path.basename(f)})`;
    } catch (e) {
      io.stderr(`dlm export: ${(e as Error).message}\n`);
      return EXIT_ERRORS;
    }
  }
  io.stderr(
    `note: ${target.model} has no train section: writing model.py and the weights, without train.py\n`,
  );
  const shapes = new Map(m.params.map((p) => [p.name, p.shape]));
  let files: Map<string, string | Uint8Array>;
  try {
    files = exportPytorch({
      check: target.result,
      model: target.model,
      weights: new Map(
        [...values].map(([name, data]) => [
          name,
          { shape: shapes.get(name) ?? [data.length], data },
        ]),
      ),
      weightsSource: source,
      onNote: (n) => io.stderr(`note: ${n}\n`),
      train: undefined,
    });
  } catch (e) {
    if (!(e instanceof PytorchExportError)) throw e;
    io.stderr(`dlm export: cannot export ${target.model} to PyTorch: ${e.message}\n`);
    return EXIT_ERRORS;
  }
  return writeProject(ctx, files, outDir);
}

/** The packed data row's parts, in model-input order, with their column offsets (train.py). */
function packedParts(
  parts: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly ids: boolean;
  }[],
  model: CheckedModel,
) {
  const offsets = new Map<string, number>();
  let off = 0;
  for (const p of parts) {
    offsets.set(p.name, off);
    off += p.shape.reduce((a, b) => a * b, 1);
  }
  return model.inputs.map((io) => {
    const p = parts.find((q) => q.name === io.name)!;
    // As the compiler feeds it: ids when declared int, or read directly by an Embedding.
    const declared = model.values[io.value]?.dtype;
    const ids = declared
      ? declared === 'int'
      : model.nodes.some((n) => n.def.dtype === 'ids' && n.inputs.includes(io.value));
    return { name: io.name, offset: offsets.get(io.name)!, shape: p.shape, ids };
  });
}
