/**
 * Weights for the export graph: from a run's checkpoint (best, else last) or the program's
 * initial values. Shared by `dlm export` and the extension's "DLM: Export ONNX".
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetSummary } from './datasets/types';
import { ConfinedFs, MAX_CONFIG_BYTES } from './host';
import type { Standardization, StepProgram } from './program';
import { BEST_CHECKPOINT, findCheckpoint, LAST_CHECKPOINT, readWeights, RUNS_DIR } from './runs';

/**
 * A run folder or a weights file inside the workspace `root` → the file to read: the folder's
 * best checkpoint, else its last
 * (best.safetensors, best.ckpt, last.safetensors, last.ckpt: a legacy best stays the best until a
 * resumed run improves on it).
 */
export function checkpointOf(run: string, root: string): string {
  const fsx = new ConfinedFs(root);
  const st = fsx.probe(run);
  if (st === 'file') return run;
  if (st !== 'missing' && !fsx.isDirectory(run)) throw st;
  const f = findCheckpoint(run, 'best', root) ?? findCheckpoint(run, 'last', root);
  if (f) return f;
  if (!fsx.inside(run)) fsx.realpath(run); // throws why (outside the workspace)
  throw new Error(`${run} has no checkpoint (${BEST_CHECKPOINT} or ${LAST_CHECKPOINT})`);
}

/**
 * The parameter values of a weights file (a run checkpoint, or a safetensors state_dict saved
 * elsewhere with the same names), checked against the program's parameters.
 */
export function weightsFrom(
  program: StepProgram,
  file: string,
  root: string,
): Map<string, Float32Array> {
  return readWeights(file, program.params, root);
}

/**
 * The input standardization to bake into the export: the run's (config.json beside the weights
 * file), else the data's own (`prepare` splits and standardizes exactly as training did).
 */
export function standardizationOf(
  weightsFile: string | undefined,
  fromData: Standardization | undefined,
  root: string,
): Standardization | undefined {
  const cfg = weightsFile && path.join(path.dirname(weightsFile), 'config.json');
  if (!cfg || !existsSync(cfg)) return fromData;
  try {
    const c = JSON.parse(new ConfinedFs(root).readText(cfg, MAX_CONFIG_BYTES)) as {
      dataset?: DatasetSummary;
    };
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
  const fsx = new ConfinedFs(root);
  const dir = path.join(fsx.root, RUNS_DIR);
  let runs: string[];
  try {
    runs = fsx.list(dir);
  } catch {
    return undefined; // .dlm/runs is a link out of the workspace
  }
  runs = runs
    .filter((d) => d.startsWith(`${model}-`))
    .sort()
    .reverse();
  for (const r of runs) {
    const p = path.join(dir, r);
    if (findCheckpoint(p, 'best', root) ?? findCheckpoint(p, 'last', root)) return p;
  }
  return undefined;
}
