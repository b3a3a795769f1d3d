/**
 * `dlm import` on files: read an ONNX model through the confined host, convert it
 * (src/interop/onnx/import.ts) and write OUT.dlm plus OUT.safetensors beside it. One
 * implementation for the CLI (src/cli/import.ts) and the ONNX editor's "Convert to .dlm"
 * (the language server's `dlm/onnxImport`).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfinedFs, FsError } from './host';
import { MAX_ONNX_BYTES } from '../interop/onnx/graph';
import { importOnnx, type ImportResult } from '../interop/onnx/import';
import { encode } from '../interop/safetensors';

export interface OnnxFileImport {
  readonly result: ImportResult;
  /** Absolute paths written. */
  readonly dlm: string;
  readonly weights: string;
}

/** The .safetensors written beside OUT.dlm. */
export function weightsPathFor(out: string): string {
  return out.replace(/\.dlm$/i, '') + '.safetensors';
}

/**
 * Convert `src` (absolute) into `out` (absolute .dlm) and its weights. Throws FsError (outside
 * the workspace, not a regular file, too large), OnnxReadError or OnnxImportError.
 */
export function importOnnxFile(
  fsx: ConfinedFs,
  src: string,
  out: string,
  opts: { readonly show?: (p: string) => string; readonly modelName?: string } = {},
): OnnxFileImport {
  const show = opts.show ?? ((p: string) => p);
  const weights = weightsPathFor(out);
  for (const p of [out, weights])
    if (!fsx.inside(path.dirname(p)))
      throw new FsError('outside', `${show(p)} is outside the workspace ${fsx.root}`);
  const bytes = fsx.readBytes(src, MAX_ONNX_BYTES);
  const result = importOnnx(bytes, {
    file: show(src),
    modelName: opts.modelName,
    weightsFile: path.basename(weights),
  });
  writeFileSync(weights, encode(result.weights, { source: path.basename(src) }));
  writeFileSync(out, result.text);
  return { result, dlm: out, weights };
}
