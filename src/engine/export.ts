/**
 * Weights for the export graph: from a run's checkpoint (best, else last) or the program's
 * initial values. Shared by `dlm export` and the extension's "DLM: Export ONNX".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { StepProgram } from './program';
import { loadCheckpoint } from './runs';

/** A run folder or a checkpoint file → the checkpoint file to read (best, else last). */
export function checkpointOf(run: string): string {
  if (existsSync(run) && statSync(run).isFile()) return run;
  for (const f of ['best.ckpt', 'last.ckpt']) {
    const p = path.join(run, f);
    if (existsSync(p)) return p;
  }
  throw new Error(`${run} has no best.ckpt or last.ckpt`);
}

/** The run folder a checkpoint file belongs to (its folder holds the run's config.json), if any. */
export function runFolderOf(ckptFile: string): string | undefined {
  const dir = path.dirname(ckptFile);
  return existsSync(path.join(dir, 'config.json')) ? dir : undefined;
}

/** The parameter values of a checkpoint, checked against the program's parameters. */
export function weightsFrom(program: StepProgram, ckptFile: string): Map<string, Float32Array> {
  const ck = loadCheckpoint(ckptFile);
  const out = new Map<string, Float32Array>();
  for (const p of program.params) {
    const t = ck.tensors.find((x) => x.name === p.name && x.kind === 'param');
    if (!t)
      throw new Error(
        `${path.basename(ckptFile)} has no parameter '${p.name}' (was it trained from another model?)`,
      );
    if (t.shape.join() !== p.shape.join())
      throw new Error(
        `parameter '${p.name}' is [${t.shape.join(', ')}] in ${path.basename(ckptFile)} but the model now needs [${p.shape.join(', ')}]`,
      );
    out.set(p.name, t.data);
  }
  return out;
}

export function initialWeights(program: StepProgram): Map<string, Float32Array> {
  return new Map(program.params.map((p) => [p.name, p.init]));
}

/** The newest run folder of a model under `<root>/.dlm/runs/` that has a checkpoint. */
export function latestRun(root: string, model: string): string | undefined {
  const dir = path.join(root, '.dlm', 'runs');
  if (!existsSync(dir)) return undefined;
  const runs = readdirSync(dir)
    .filter((d) => d.startsWith(`${model}-`))
    .sort()
    .reverse();
  for (const r of runs) {
    const p = path.join(dir, r);
    if (existsSync(path.join(p, 'best.ckpt')) || existsSync(path.join(p, 'last.ckpt'))) return p;
  }
  return undefined;
}
