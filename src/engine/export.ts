/**
 * Weights for the export graph: from a run's checkpoint (best, else last) or the program's
 * initial values. Shared by `dlm export` and the extension's "DLM: Export ONNX".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetSummary } from './datasets/types';
import type { Standardization, StepProgram } from './program';
import { BEST_CHECKPOINT, findCheckpoint, LAST_CHECKPOINT, readWeights } from './runs';

/**
 * A run folder or a weights file → the file to read: the folder's best checkpoint, else its last
 * (best.safetensors, best.ckpt, last.safetensors, last.ckpt: a legacy best stays the best until a
 * resumed run improves on it).
 */
export function checkpointOf(run: string): string {
  if (existsSync(run) && statSync(run).isFile()) return run;
  const f = findCheckpoint(run, 'best') ?? findCheckpoint(run, 'last');
  if (f) return f;
  throw new Error(`${run} has no checkpoint (${BEST_CHECKPOINT} or ${LAST_CHECKPOINT})`);
}

/**
 * The parameter values of a weights file (a run checkpoint, or a safetensors state_dict saved
 * elsewhere with the same names), checked against the program's parameters.
 */
export function weightsFrom(program: StepProgram, file: string): Map<string, Float32Array> {
  return readWeights(file, program.params);
}

/**
 * The input standardization to bake into the export: the run's (config.json beside the weights
 * file), else the data's own (`prepare` splits and standardizes exactly as training did).
 */
export function standardizationOf(
  weightsFile: string | undefined,
  fromData: Standardization | undefined,
): Standardization | undefined {
  const cfg = weightsFile && path.join(path.dirname(weightsFile), 'config.json');
  if (!cfg || !existsSync(cfg)) return fromData;
  try {
    const c = JSON.parse(readFileSync(cfg, 'utf8')) as { dataset?: DatasetSummary };
    return c.dataset ? c.dataset.standardization : fromData;
  } catch {
    return fromData;
  }
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
    if (findCheckpoint(p, 'best') ?? findCheckpoint(p, 'last')) return p;
  }
  return undefined;
}
