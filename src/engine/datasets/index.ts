/**
 * loadDataset: a resolved dataset call (`Spiral(points=600)`, `Csv("houses.csv")`) → Dataset.
 * File paths are relative to the .dlm file and must stay inside the workspace.
 */
import * as path from 'node:path';
import { digits, iris } from './bundled';
import { readCsvFile, type ReadProgress } from './csv';
import { readIdx } from './idx';
import { parseColumnGroups, type ColumnGroup } from '../../language/columns';
import { readNpy } from './npy';
import { MAX_DATA_BYTES, MAX_TEXT_DATA_BYTES } from '../host';
import { openDataFile, readDataFile, resolveDataPath } from './paths';
import { SYNTHETIC, type SyntheticArgs } from './synthetic';
import { readText } from './text';
import { DataError, type Dataset } from './types';

export * from './types';
export { checkDataFits, checkPartsFit, type FitResult, type ModelShape } from './fit';
export * from './pipeline';
export { resolveDataPath } from './paths';
export { bundledDataDir } from './bundled';

export interface DatasetCall {
  readonly name: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface LoadContext {
  /** Workspace root: data files must resolve inside it. */
  readonly root: string;
  /** The .dlm file the call appears in (paths are relative to its folder). */
  readonly baseFile: string;
  /** Override the bundled data folder (tests). */
  readonly dataDir?: string;
  /** Progress of a large file being read (CSV): the file as the call names it, bytes so far and in all. */
  readonly onProgress?: (file: string, ...progress: Parameters<ReadProgress>) => void;
}

const str = (v: unknown, name: string, ds: string): string => {
  if (typeof v !== 'string') throw new DataError(`${ds} needs a file path in '${name}'`);
  return v;
};
const groupsOf = (v: unknown): readonly ColumnGroup[] => {
  const r = parseColumnGroups(v);
  if (!r.ok) throw new DataError(`Csv inputs: ${r.message}`);
  return r.groups;
};
const optBool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

export function loadDataset(call: DatasetCall, ctx: LoadContext): Dataset {
  const a = call.args ?? {};
  const synth = SYNTHETIC[call.name];
  if (synth) return synth(a as SyntheticArgs);
  const file = (attr: string) => {
    const rel = str(a[attr], attr, call.name);
    const abs = resolveDataPath(ctx.root, ctx.baseFile, rel);
    return { rel, abs, display: path.relative(ctx.root, abs) || rel };
  };
  const bytes = (f: { rel: string; abs: string }): Buffer =>
    readDataFile(ctx.root, f.abs, f.rel, MAX_DATA_BYTES);
  const text = (f: { rel: string; abs: string }): string =>
    readDataFile(ctx.root, f.abs, f.rel, MAX_TEXT_DATA_BYTES).toString('utf8');
  switch (call.name) {
    case 'Digits':
      return digits(ctx.dataDir);
    case 'Iris':
      return iris(ctx.dataDir);
    case 'Csv': {
      const f = file('path');
      const onProgress = ctx.onProgress;
      return readCsvFile(
        openDataFile(ctx.root, f.abs, f.rel, MAX_DATA_BYTES),
        f.rel,
        {
          target: typeof a.target === 'string' ? a.target : undefined,
          categorical: optBool(a.categorical),
          standardize: optBool(a.standardize),
          header: optBool(a.header),
          inputs: a.inputs === undefined ? undefined : groupsOf(a.inputs),
        },
        onProgress && ((done, total) => onProgress(f.rel, done, total)),
      );
    }
    case 'Idx': {
      const im = file('images');
      const lb = file('labels');
      return readIdx(bytes(im), bytes(lb), {
        images: im.rel,
        labels: lb.rel,
      });
    }
    case 'Npy': {
      const x = file('x');
      const y = file('y');
      return readNpy(bytes(x), bytes(y), { x: x.rel, y: y.rel });
    }
    case 'Text': {
      const f = file('path');
      const seqLen = a.seq_len === undefined ? 64 : Number(a.seq_len);
      return readText(text(f), f.rel, seqLen);
    }
    default:
      throw new DataError(`unknown dataset '${call.name}'`);
  }
}
