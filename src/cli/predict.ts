/**
 * `dlm predict FILE --weights RUN_DIR|FILE --input CSV [--model M]` (`--run` is the old name)
 *
 * Builds the export graph with the run's weights (its best checkpoint, else its last; or a
 * safetensors file saved elsewhere with the same parameter names), runs it in
 * onnxruntime-node on the rows of CSV and prints one CSV row per input row:
 * - classifiers (CrossEntropy, NLL, Hinge): `class,p_<name>…` with the softmax probabilities
 *   (NLL models output log-probabilities: exp; BCEWithLogits: the sigmoid);
 * - regression and other models: `y0,y1,…` (the flattened output per sample).
 *
 * The CSV's numeric columns are the model input in order (a header row is optional; non-numeric
 * columns, such as a label column, are skipped). When the run's dataset was standardized, the
 * export graph starts with that standardization (the training split's mean and std from the
 * run's config.json, else recomputed from the data as training did), so rows are raw features.
 */
import { existsSync } from 'node:fs';
import { ConfinedFs, MAX_TEXT_DATA_BYTES } from '../engine/host';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseCsvRecords } from '../engine/datasets/csv';
import { product, type DataPart } from '../engine/datasets/types';
import { didYouMean } from '../core/suggest';
import { standardizationOf } from '../engine/export';
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
import {
  checkpointOf,
  loadProgram,
  reportPrepareError,
  weightsFrom,
  type LoadedProgram,
} from './export';
import { resolveTarget } from './train';

const CLASS_LOSSES = new Set(['CrossEntropy', 'NLL', 'Hinge']);

/** Numeric rows of a CSV: non-numeric columns and a header row are skipped. */
export function numericRows(text: string, file: string): { rows: number[][]; columns: string[] } {
  const recs = parseCsvRecords(text, file);
  if (recs.length === 0) throw new Error(`${file} is empty`);
  const isNum = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));
  const first = recs[0]!.fields;
  const header = !first.every(isNum) && recs.length > 1;
  const body = header ? recs.slice(1) : recs;
  const width = first.length;
  const numericCol = Array.from({ length: width }, (_, c) =>
    body.every((r) => isNum(r.fields[c] ?? '')),
  );
  const columns = first
    .map((h, c) => (header ? h.trim() : `c${c}`))
    .filter((_, c) => numericCol[c]);
  const rows = body.map((r) => {
    if (r.fields.length !== width)
      throw new Error(`${file}:${r.line}: ${r.fields.length} fields, expected ${width}`);
    return r.fields.filter((_, c) => numericCol[c]).map(Number);
  });
  return { rows, columns };
}

function softmax(v: Float32Array | number[]): number[] {
  const m = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export interface Prediction {
  readonly header: string[];
  readonly rows: (string | number)[][];
}

/** Run the export graph with a run's weights on numeric rows. */
export async function predictRows(
  loaded: LoadedProgram,
  ckptFile: string,
  rows: number[][],
  threads = 1,
): Promise<Prediction> {
  const { program, prepared } = loaded;
  if (!program.exportGraph) throw new Error('this program has no export graph');
  const parts = prepared.dataset.parts;
  const sample = program.inputs.x.sampleShape;
  const k = product(sample);
  const bad = rows.findIndex((r) => r.length !== k);
  if (bad >= 0)
    throw new Error(
      parts
        ? `row ${bad + 1} has ${rows[bad]!.length} numeric values, but ${prepared.config.model} takes ${k} per sample: ${parts.map((p) => `${p.name} [${p.shape.join(', ')}]`).join(', ')}, in that order`
        : `row ${bad + 1} has ${rows[bad]!.length} numeric values, but ${prepared.config.model} takes ${k} per sample [${sample.join(', ')}]`,
    );
  // Raw features: the export graph applies the run's standardization itself.
  const st = standardizationOf(ckptFile, prepared.summary.standardization, loaded.root);
  const n = rows.length;
  const x = new Float32Array(n * k);
  rows.forEach((r, i) => r.forEach((v, j) => (x[i * k + j] = v)));
  const bytes = program.exportGraph(
    weightsFrom(program, ckptFile, loaded.root),
    st ? { standardize: st } : {},
  );
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads });
  try {
    const feeds = parts
      ? feedParts(x, n, k, parts)
      : { [session.inputNames[0]!]: new ort.Tensor('float32', x, [n, ...sample]) };
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]!]!;
    const data = y.data as Float32Array;
    const per = data.length / n;
    const loss = prepared.config.loss?.name ?? '';
    const names = prepared.summary.classNames;
    if (CLASS_LOSSES.has(loss) && y.dims.length === 2) {
      const header = ['class', ...Array.from({ length: per }, (_, c) => `p_${names?.[c] ?? c}`)];
      const table = Array.from({ length: n }, (_, i) => {
        const logits = data.subarray(i * per, (i + 1) * per);
        const p = loss === 'NLL' ? Array.from(logits, Math.exp) : softmax(logits);
        let best = 0;
        for (let c = 1; c < per; c++) if (p[c]! > p[best]!) best = c;
        return [names?.[best] ?? best, ...p.map((v) => +v.toPrecision(6))];
      });
      return { header, rows: table };
    }
    if (loss === 'BCEWithLogits') {
      const header = Array.from({ length: per }, (_, c) => `p${c}`);
      const table = Array.from({ length: n }, (_, i) =>
        Array.from(
          data.subarray(i * per, (i + 1) * per),
          (v) => +(1 / (1 + Math.exp(-v))).toPrecision(6),
        ),
      );
      return { header, rows: table };
    }
    const header = Array.from({ length: per }, (_, c) => `y${c}`);
    const table = Array.from({ length: n }, (_, i) =>
      Array.from(data.subarray(i * per, (i + 1) * per), (v) => +v.toPrecision(7)),
    );
    return { header, rows: table };
  } finally {
    await session.release();
  }
}

/**
 * Several named inputs: each packed row `[part 1 | part 2 | …]` split into one tensor per model
 * input, by name (ids as int64, as the export takes them).
 */
function feedParts(
  x: Float32Array,
  n: number,
  k: number,
  parts: readonly DataPart[],
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  let off = 0;
  for (const p of parts) {
    const size = product(p.shape);
    const v = new Float32Array(n * size);
    for (let i = 0; i < n; i++) v.set(x.subarray(i * k + off, i * k + off + size), i * size);
    feeds[p.name] = p.ids
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from(v, (a) => BigInt(Math.round(a))),
          [n, ...p.shape],
        )
      : new ort.Tensor('float32', v, [n, ...p.shape]);
    off += size;
  }
  return feeds;
}

/**
 * The rows of a model with several inputs. When it trained on CSV column groups, the input CSV
 * needs a header with the columns the groups took (by name, in any order: the training file's
 * header fixed which columns a range holds); otherwise its numeric columns are the named inputs
 * one after the other, in the data's order.
 */
export function packedRows(
  text: string,
  file: string,
  columns: readonly string[] | undefined,
): number[][] {
  if (!columns) return numericRows(text, file).rows;
  const recs = parseCsvRecords(text, file);
  if (recs.length < 2) throw new Error(`${file} needs a header row and at least one row`);
  const header = recs[0]!.fields.map((f) => f.trim());
  const cols = columns.map((c) => {
    const j = header.indexOf(c);
    if (j < 0) {
      const sug = didYouMean(c, header);
      throw new Error(
        `${file} has no column '${c}', which the model takes (its column groups hold ${columns.map((x) => `'${x}'`).join(', ')})${sug ? `; did you mean '${sug}'?` : ''}`,
      );
    }
    return j;
  });
  return recs.slice(1).map((rec) =>
    cols.map((c) => {
      const v = Number(rec.fields[c] ?? '');
      if ((rec.fields[c] ?? '').trim() === '' || !Number.isFinite(v))
        throw new Error(`${file}:${rec.line}: column '${header[c]}' is not a number`);
      return v;
    }),
  );
}

const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

async function predictAsync(ctx: Ctx, loaded: LoadedProgram, ckpt: string, rows: number[][]) {
  try {
    const p = await predictRows(loaded, ckpt, rows);
    ctx.io.stdout([p.header, ...p.rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
    return EXIT_OK;
  } catch (e) {
    ctx.io.stderr(`dlm predict: ${(e as Error).message}\n`);
    return EXIT_ERRORS;
  }
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Run a trained model on the rows of a CSV file',
  usage: 'FILE --weights RUN_DIR|FILE --input CSV [--model NAME]',
  details:
    'Runs the export graph with the weights of RUN_DIR (best.safetensors, else last.safetensors)\n' +
    'or of a weights FILE (a checkpoint, or a safetensors state_dict saved elsewhere with the\n' +
    "summary's parameter names) on each row of CSV\n" +
    '(its numeric columns, in order, are the model input; a header row is optional) and prints\n' +
    'CSV: `class,p_…` for classifiers, the output values otherwise.',
  options: [
    {
      name: 'weights',
      type: 'string',
      value: 'RUN_DIR|FILE',
      help: 'a run folder or a .safetensors (or legacy .ckpt) weights file',
    },
    { name: 'run', type: 'string', value: 'RUN_DIR', help: 'the same as --weights (older name)' },
    { name: 'input', type: 'string', value: 'CSV', help: 'the input rows' },
    { name: 'model', type: 'string', value: 'NAME', help: 'the model (default: the trained one)' },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { args, io } = ctx;
    const file = oneFile(args, 'predict');
    const run = args.options['weights'] ?? args.options['run'];
    const input = args.options['input'];
    if (typeof run !== 'string') throw new UsageError('predict needs --weights RUN_DIR|FILE');
    if (typeof input !== 'string') throw new UsageError('predict needs --input CSV');
    const inputAbs = path.resolve(io.cwd, input);
    if (!existsSync(inputAbs)) {
      io.stderr(`dlm predict: cannot read '${input}': no such file\n`);
      return EXIT_USAGE;
    }
    const target = resolveTarget(ctx, file);
    if (typeof target === 'number') return target;
    let ckpt: string;
    try {
      ckpt = checkpointOf(path.resolve(io.cwd, run), target.root);
    } catch (e) {
      io.stderr(`dlm predict: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    let loaded: LoadedProgram;
    try {
      loaded = loadProgram(target);
    } catch (e) {
      return reportPrepareError(ctx, e, 'predict');
    }
    let rows: number[][];
    try {
      const text = new ConfinedFs(target.root).readText(inputAbs, MAX_TEXT_DATA_BYTES);
      const data = loaded.prepared.config.data;
      const { dataset } = loaded.prepared;
      rows = dataset.parts
        ? packedRows(
            text,
            input,
            data.name === 'Csv' && data.args?.inputs !== undefined
              ? dataset.featureNames
              : undefined,
          )
        : numericRows(text, input).rows;
    } catch (e) {
      io.stderr(`dlm predict: ${(e as Error).message}\n`);
      return EXIT_ERRORS;
    }
    void predictAsync(ctx, loaded, ckpt, rows).then((code) => {
      process.exitCode = code;
    });
    return EXIT_OK;
  },
};
