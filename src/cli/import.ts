/**
 * `dlm import MODEL.onnx [-o OUT.dlm] [--model NAME]`: an ONNX model as a `.dlm` file plus its
 * weights as OUT.safetensors beside it (src/interop/onnx/import.ts). The model starts with
 * `weights from "OUT.safetensors"`, so training, predict and export start from those weights.
 * Both files must stay inside the workspace (--root), like every file DLM Studio touches.
 */
import * as path from 'node:path';
import { ConfinedFs, FsError } from '../engine/host';
import { importOnnxFile } from '../engine/onnxFile';
import { OnnxImportError } from '../interop/onnx/import';
import { OnnxReadError } from '../interop/onnx/initializers';
import { COMMON_OPTIONS, EXIT_ERRORS, EXIT_OK, UsageError, type Command } from './common';

export const importCommand: Command = {
  name: 'import',
  summary: 'Convert an ONNX model to a .dlm file and a safetensors weights file',
  usage: 'MODEL.onnx [-o OUT.dlm] [--model NAME]',
  details:
    'Maps the ONNX graph to catalog layers (docs/onnx-import.md) and writes OUT.dlm (default: the\n' +
    'model name with .dlm) and OUT.safetensors beside it, with the parameter names of the summary.\n' +
    'OUT.dlm initializes from them (`weights from "OUT.safetensors"`): `dlm predict`, `dlm train`\n' +
    'and `dlm export` start from the imported weights with no flag.\n' +
    'A node that maps to no layer stops the import with its name, op type and the reason.',
  options: [
    {
      name: 'output',
      short: 'o',
      type: 'string',
      value: 'OUT.dlm',
      help: 'the .dlm file to write (-o)',
    },
    { name: 'model', type: 'string', value: 'NAME', help: "the model's name in the .dlm" },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const [file, ...extra] = args.positionals;
    if (file === undefined) throw new UsageError('import needs a MODEL.onnx');
    if (extra.length)
      throw new UsageError(`import takes one MODEL.onnx, got ${args.positionals.length}`);
    const rootOpt = args.options['root'];
    const fsx = new ConfinedFs(path.resolve(io.cwd, typeof rootOpt === 'string' ? rootOpt : '.'));
    const src = path.resolve(io.cwd, file);
    const outOpt = args.options['output'];
    const out = path.resolve(
      io.cwd,
      typeof outOpt === 'string' ? outOpt : file.replace(/\.onnx$/i, '') + '.dlm',
    );
    const show = (p: string) => path.relative(io.cwd, p) || p;
    try {
      const model = args.options['model'];
      const { result: r, weights: weightsOut } = importOnnxFile(fsx, src, out, {
        show,
        modelName: typeof model === 'string' ? model : undefined,
      });
      const g = r.graph;
      io.stderr(
        `imported ${r.modelName}: ${r.layers} layers, ${g.totals.trainable.toLocaleString('en-US')} trainable + ${g.totals.buffers.toLocaleString('en-US')} non-trainable parameters\n` +
          `wrote ${show(out)} and ${show(weightsOut)}\n`,
      );
      return EXIT_OK;
    } catch (e) {
      if (e instanceof OnnxImportError || e instanceof OnnxReadError || e instanceof FsError) {
        io.stderr(`dlm import: ${e.message}\n`);
        return EXIT_ERRORS;
      }
      io.stderr(`dlm import: ${(e as Error).message}\n`);
      return EXIT_ERRORS;
    }
  },
};
