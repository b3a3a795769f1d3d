/**
 * Weights for the export graph: from a run's checkpoint (best, else last) or the program's
 * initial values. Shared by `dlm export` and the extension's "DLM: Export ONNX".
 */
import * as path from 'node:path';
import { ConfinedFs } from './host';
import type { StepProgram } from './program';
import { loadCheckpoint, RUNS_DIR } from './runs';

/**
 * A run folder or a checkpoint file → the checkpoint file to read (best, else last). Both must be
 * inside the workspace `root` (links out of it are refused when the checkpoint is read).
 */
export function checkpointOf(run: string, root: string): string {
  const fsx = new ConfinedFs(root);
  const st = fsx.probe(run);
  if (st === 'file') return run;
  if (st !== 'missing' && !fsx.isDirectory(run)) throw st;
  for (const f of ['best.ckpt', 'last.ckpt']) {
    const p = path.join(run, f);
    if (fsx.probe(p) !== 'missing') return p;
  }
  if (!fsx.inside(run)) fsx.realpath(run); // throws why (outside the workspace)
  throw new Error(`${run} has no best.ckpt or last.ckpt`);
}

/** The parameter values of a checkpoint, checked against the program's parameters. */
export function weightsFrom(
  program: StepProgram,
  ckptFile: string,
  root: string,
): Map<string, Float32Array> {
  const ck = loadCheckpoint(ckptFile, root);
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
    if (fsx.isFile(path.join(p, 'best.ckpt')) || fsx.isFile(path.join(p, 'last.ckpt'))) return p;
  }
  return undefined;
}
