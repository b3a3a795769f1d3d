/**
 * CSV reader: a header row (optional), numeric feature columns, and one target column (by name,
 * default the last). Non-numeric targets (or `categorical=true`) become class ids, with the
 * sorted mapping kept in `classNames`. Problems name the line and the column.
 *
 * Files are read as a stream (`readCsvFile`: chunks of 1 MiB, progress after each) and every row
 * goes straight into typed arrays: the features into one Float32Array, the targets into a
 * Float64Array and an Int32Array of label ids. No file-sized string and no per-row objects are
 * kept, so memory is about 4 bytes per feature value and 12 per row (the dataset's own arrays,
 * stated in a note), whatever the size of the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { resolveColumnGroups, type ColumnGroup } from '../../language/columns';
import { DataError, type Dataset, type DataPart } from './types';

export interface CsvOptions {
  target?: string;
  categorical?: boolean;
  standardize?: boolean;
  header?: boolean;
  /** Column groups, one named input each (Csv's `inputs`, already parsed by the checker). */
  inputs?: readonly ColumnGroup[];
}

interface Row {
  line: number;
  fields: string[];
}

type RecordSink = (fields: string[], line: number) => void;

/**
 * Incremental RFC 4180 records with quotes: `push` text in pieces of any size, `end` at the end.
 * Each record is passed with the line it starts on (1-based); blank lines are skipped.
 */
export class CsvRecordStream {
  /** Text of a record that is not complete yet (it continues in the next piece). */
  private carry = '';
  private line = 1;
  private first = true;

  constructor(
    private readonly file: string,
    private readonly sink: RecordSink,
  ) {}

  push(text: string): void {
    if (this.first && text.length) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.parse(this.carry.length ? this.carry + text : text, false);
  }

  end(): void {
    this.parse(this.carry, true);
    this.carry = '';
  }

  /** Parse the complete records of `s`; keep an incomplete last one in `carry` unless `final`. */
  private parse(s: string, final: boolean): void {
    const n = s.length;
    let i = 0;
    let line = this.line;
    while (i < n) {
      const recStart = i;
      const recLine = line;
      const fields: string[] = [];
      let complete = false;
      for (;;) {
        // one field starting at i
        let j = i;
        while (j < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
        let field: string;
        if (j < n && s.charCodeAt(j) === 34) {
          // quoted: up to the closing quote ("" is a quote), then anything up to the separator
          let out = '';
          let k = j + 1;
          let closed = false;
          while (k < n) {
            const q = s.indexOf('"', k);
            if (q < 0) break;
            for (let p = s.indexOf('\n', k); p >= 0 && p < q; p = s.indexOf('\n', p + 1)) line++;
            out += s.slice(k, q);
            if (s.charCodeAt(q + 1) === 34) {
              out += '"';
              k = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break; // `""` may continue in the next piece
            k = q + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) {
              this.carry = s.slice(recStart);
              this.line = recLine;
              return;
            }
            throw new DataError(`${this.file} line ${recLine}: unterminated quoted field`);
          }
          let e = k;
          while (e < n) {
            const c = s.charCodeAt(e);
            if (c === 44 || c === 10 || c === 13) break;
            e++;
          }
          field = out + s.slice(k, e);
          i = e;
        } else {
          let e = j;
          while (e < n) {
            const c = s.charCodeAt(e);
            if (c === 44 || c === 10 || c === 13) break;
            e++;
          }
          field = s.slice(i, e);
          i = e;
        }
        fields.push(field);
        if (i >= n) break;
        const c = s.charCodeAt(i);
        if (c === 44) {
          i++;
          continue;
        }
        // end of line: \n, \r\n or \r (a lone \r at the end of a piece may be half of \r\n)
        if (c === 13) {
          if (i + 1 >= n && !final) break;
          i += s.charCodeAt(i + 1) === 10 ? 2 : 1;
        } else i++;
        line++;
        complete = true;
        break;
      }
      if (!complete && !final) {
        this.carry = s.slice(recStart);
        this.line = recLine;
        return;
      }
      if (!(fields.length === 1 && fields[0]!.trim() === '')) this.sink(fields, recLine);
    }
    this.carry = '';
    this.line = line;
  }
}

/** RFC 4180 records with quotes; each record remembers the line it starts on (1-based). */
export function parseCsvRecords(text: string, file = 'csv'): Row[] {
  const rows: Row[] = [];
  const p = new CsvRecordStream(file, (fields, line) => rows.push({ line, fields }));
  p.push(text);
  p.end();
  return rows;
}

const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null', 'none', '?']);
/**
 * A finite number in decimal notation (`-1.5`, `.5`, `1e-3`, surrounded by blanks), else undefined.
 * Unary `+` does the parsing; what it accepts beyond decimal notation (blanks → 0, `0x1f`, `0b1`,
 * `0o7`) is ruled out by hand, which is several times faster than a regular expression per field.
 */
function parseNumber(s: string): number | undefined {
  const v = +s;
  if (v !== v || v === Infinity || v === -Infinity) return undefined;
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  if (i === s.length) return undefined;
  if (s.charCodeAt(i) === 48 && i + 1 < s.length) {
    const c = s.charCodeAt(i + 1) | 32;
    if (c === 120 || c === 98 || c === 111) return undefined; // 0x, 0b, 0o
  }
  if (v === 0 && s.trim() === '') return undefined;
  return v;
}

/**
 * Does the first row look like data rather than column names? True when every field is a number
 * (a header of numbers is rare; a file without a header row is common).
 */
function looksLikeData(fields: readonly string[]): boolean {
  return fields.every((f) => parseNumber(f) !== undefined);
}

/** More distinct target values than this cannot be class labels (and are not kept as strings). */
export const MAX_CSV_CLASSES = 100_000;

const mib = (bytes: number): string =>
  bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;

/** Rows → typed arrays as they arrive; `finish` decides classification or regression. */
class CsvTable {
  private readonly notes: string[] = [];
  private header = true;
  private names: string[] = [];
  private width = 0;
  private t = 0;
  private featureCols: number[] = [];
  /** The column groups as named inputs, in row order (Csv `inputs`). */
  private parts?: DataPart[];
  private d = 0;
  private started = false;
  n = 0;
  private x = new Float32Array(0);
  /** Targets as numbers (NaN when not a number). */
  private tnum = new Float64Array(0);
  /** Targets as ids into `labels` (first-seen order), while there are at most MAX_CSV_CLASSES. */
  private tid = new Int32Array(0);
  private readonly labelIds = new Map<string, number>();
  private readonly labels: string[] = [];
  private tooManyLabels = false;
  /** The first target that is not a number (its line and text), if any. */
  private firstNonNumeric?: { line: number; text: string };

  constructor(
    private readonly file: string,
    private readonly opts: CsvOptions,
    /** Expected rows (from the file size), to size the arrays once. */
    private capacityHint = 1024,
  ) {}

  readonly record: RecordSink = (fields, line) => {
    if (!this.started) {
      this.start(fields, line);
      if (this.header) return;
    }
    this.row(fields, line);
  };

  private start(first: string[], line: number): void {
    const { opts, file } = this;
    this.started = true;
    const namesTarget = opts.target !== undefined && first.some((f) => f.trim() === opts.target);
    this.header = opts.header ?? true;
    if (!namesTarget && looksLikeData(first)) {
      const row = first.map((f) => f.trim()).join(',');
      const shown = row.length > 60 ? `${row.slice(0, 57)}...` : row;
      if (opts.header === undefined) {
        this.header = false;
        this.notes.push(
          `line ${line} (${shown}) is all numbers, so ${file} is read as having no header row: line ${line} is data and the columns are named 'column 1', 'column 2', ...; set header=true if it holds column names`,
        );
      } else if (opts.header)
        this.notes.push(
          `the header row, line ${line} (${shown}), is all numbers; it is read as column names (header=true), so it is not a sample. If ${file} has no header row, set header=false`,
        );
    }
    const width = first.length;
    this.width = width;
    if (width < 2)
      throw new DataError(
        `${file} line ${line} has ${width} column; need at least one feature and one target (is the separator a comma?)`,
      );
    this.names = this.header
      ? first.map((f, j) => f.trim() || `column ${j + 1}`)
      : Array.from({ length: width }, (_, j) => `column ${j + 1}`);
    this.t = width - 1;
    if (opts.target !== undefined) {
      this.t = this.names.indexOf(opts.target);
      if (this.t < 0)
        throw new DataError(
          `${file} has no column '${opts.target}'; columns: ${this.names.map((n) => `'${n}'`).join(', ')}`,
        );
    }
    this.featureCols = this.names.map((_, j) => j).filter((j) => j !== this.t);
    if (opts.inputs) {
      const r = resolveColumnGroups(opts.inputs, this.names, this.t, file);
      if (!r.ok) throw new DataError(r.message);
      this.parts = opts.inputs.map((g, k) => ({
        name: g.name,
        shape: [r.columns[k]!.length],
        ids: false,
      }));
      const used = new Set(r.columns.flat());
      const unused = this.featureCols.filter((j) => !used.has(j)).map((j) => `'${this.names[j]}'`);
      if (unused.length)
        this.notes.push(
          `column${unused.length === 1 ? '' : 's'} ${unused.length > 8 ? `${unused.slice(0, 8).join(', ')}, … (${unused.length} in all)` : unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} in no column group, so not used`,
        );
      this.featureCols = r.columns.flat();
    }
    this.d = this.featureCols.length;
    this.grow(Math.max(16, this.capacityHint));
  }

  private grow(rows: number): void {
    const x = new Float32Array(rows * this.d);
    x.set(this.x);
    this.x = x;
    const tn = new Float64Array(rows);
    tn.set(this.tnum);
    this.tnum = tn;
    const ti = new Int32Array(rows);
    ti.set(this.tid);
    this.tid = ti;
  }

  private row(fields: string[], line: number): void {
    const { file, names, d } = this;
    if (fields.length !== this.width)
      throw new DataError(
        `${file} line ${line} has ${fields.length} fields, but the ${this.header ? 'header' : 'first row'} has ${this.width}`,
        { line },
      );
    const r = this.n;
    if (r >= this.tnum.length) this.grow(Math.ceil(this.tnum.length * 1.5) + 16);
    const x = this.x;
    const base = r * d;
    for (let c = 0; c < d; c++) {
      const j = this.featureCols[c]!;
      const s = fields[j]!;
      const v = parseNumber(s);
      if (v === undefined) {
        if (MISSING.has(s.trim().toLowerCase()))
          throw new DataError(
            `${file} line ${line}, column '${names[j]}': missing value${s.trim() ? ` '${s.trim()}'` : ''}; fill it in or remove the row`,
            { line, column: names[j] },
          );
        throw new DataError(
          `${file} line ${line}, column '${names[j]}': '${s.trim()}' is not a number; feature columns must be numeric (encode categories as numbers or drop the column)`,
          { line, column: names[j] },
        );
      }
      x[base + c] = v;
    }
    const tv = fields[this.t]!.trim();
    if (MISSING.has(tv.toLowerCase()))
      throw new DataError(
        `${file} line ${line}, column '${names[this.t]}' (target): missing value; fill it in or remove the row`,
        { line, column: names[this.t] },
      );
    const num = parseNumber(tv);
    const ok = num !== undefined;
    this.tnum[r] = ok ? num : NaN;
    if (!ok && !this.firstNonNumeric) this.firstNonNumeric = { line, text: tv };
    if (!this.tooManyLabels) {
      let id = this.labelIds.get(tv);
      if (id === undefined) {
        if (this.labels.length >= MAX_CSV_CLASSES) this.tooManyLabels = true;
        else {
          id = this.labels.length;
          this.labelIds.set(tv, id);
          this.labels.push(tv);
        }
      }
      if (id !== undefined) this.tid[r] = id;
    }
    this.n++;
  }

  finish(): Dataset {
    const { file, n, d, names, t } = this;
    const header = this.header;
    if (!this.started || n === 0)
      throw new DataError(
        `${file} has no data rows${this.started ? (header ? ' after the header' : '') : ''}`,
      );
    const x = this.x.length === n * d ? this.x : this.x.slice(0, n * d);
    const allNumeric = this.firstNonNumeric === undefined;
    const categorical = this.opts.categorical ?? !allNumeric;
    const base = {
      name: `Csv '${file}'`,
      n,
      x,
      xShape: [d],
      featureNames: this.featureCols.map((j) => names[j]!),
      standardize: this.opts.standardize ?? true,
      featureDescription: this.parts
        ? `inputs ${this.parts.map((p) => `${p.name} [${p.shape[0]}]`).join(', ')} (column groups)`
        : `${d} feature column${d === 1 ? '' : 's'}`,
      ...(this.parts ? { parts: this.parts } : {}),
    };
    const memory = (yBytes: number) =>
      `${n.toLocaleString('en-US')} rows × ${d} feature${d === 1 ? '' : 's'}: ${mib(x.byteLength + yBytes)} in memory`;
    if (!categorical) {
      if (!allNumeric) {
        const bad = this.firstNonNumeric!;
        throw new DataError(
          `${file} line ${bad.line}, column '${names[t]}' (target): '${bad.text}' is not a number, but categorical=false`,
        );
      }
      const y = new Float32Array(n);
      let integers = true;
      for (let i = 0; i < n; i++) {
        const v = this.tnum[i]!;
        y[i] = v;
        if (integers && !Number.isInteger(v)) integers = false;
      }
      return {
        ...base,
        y,
        yShape: [1],
        task: 'regression',
        notes: [...this.notes, `target column '${names[t]}' (regression)`, memory(y.byteLength)],
        ...(integers ? { integerTargets: { column: names[t]!, fix: 'categorical=true' } } : {}),
      };
    }
    if (this.tooManyLabels)
      throw new DataError(
        `${file} column '${names[t]}' (target) has more than ${MAX_CSV_CLASSES.toLocaleString('en-US')} distinct values; class labels need fewer (is target the right column?${allNumeric ? ' for real-valued targets, leave categorical unset' : ''})`,
      );
    const uniq = [...this.labels];
    if (allNumeric) uniq.sort((a, b) => Number(a) - Number(b));
    else uniq.sort();
    const rank = new Int32Array(uniq.length);
    uniq.forEach((s, i) => (rank[this.labelIds.get(s)!] = i));
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = rank[this.tid[i]!]!;
    // Numeric labels that are not already the class ids 0..k-1 ({1..10}, {0..8, 10}) are
    // renumbered: say so, and keep the mapping in the run (DatasetSummary.relabelled).
    const relabelled =
      allNumeric && uniq.some((s, i) => Number(s) !== i)
        ? { column: names[t]!, labels: uniq }
        : undefined;
    return {
      ...base,
      y,
      yShape: [],
      task: 'classification',
      classes: uniq.length,
      classNames: uniq,
      // a renumbering is reported as a warning from `relabelled`, not as a note
      notes: [
        ...this.notes,
        ...(relabelled
          ? []
          : [`target column '${names[t]}': ${uniq.map((s, i) => `${s}→${i}`).join(', ')}`]),
        memory(y.byteLength),
      ],
      ...(relabelled ? { relabelled } : {}),
    };
  }
}

export function readCsv(text: string, file: string, opts: CsvOptions = {}): Dataset {
  const table = new CsvTable(file, opts);
  const p = new CsvRecordStream(file, table.record);
  p.push(text);
  p.end();
  return table.finish();
}

/** Progress of a file being read: bytes so far and in all. */
export type ReadProgress = (done: number, total: number) => void;

export const CSV_CHUNK_BYTES = 1 << 20;

/**
 * Read a CSV file (a path, or an open descriptor) as a stream of chunks (any size: no file-sized
 * string is built), calling `onProgress` after each chunk.
 */
export function readCsvFile(
  source: string | number,
  file: string,
  opts: CsvOptions = {},
  onProgress?: ReadProgress,
  chunkBytes = CSV_CHUNK_BYTES,
): Dataset {
  // A descriptor (opened by the confined host, which checked it) is owned and closed here.
  const fd = typeof source === 'number' ? source : openSync(source, 'r');
  try {
    const total = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(1, total)));
    const decoder = new StringDecoder('utf8');
    let table: CsvTable | undefined;
    let p: CsvRecordStream | undefined;
    let done = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const text = decoder.write(buf.subarray(0, got));
      if (!table) {
        // size the arrays from the bytes per line of the first chunk
        const lines = Math.max(1, text.split('\n', 10_000).length - 1);
        const perLine = Math.max(1, got / lines);
        table = new CsvTable(file, opts, Math.ceil((total / perLine) * 1.05) + 16);
        p = new CsvRecordStream(file, table.record);
      }
      p!.push(text);
      done += got;
      onProgress?.(done, total);
    }
    if (!table) {
      table = new CsvTable(file, opts);
      p = new CsvRecordStream(file, table.record);
    }
    p!.push(decoder.end());
    p!.end();
    return table.finish();
  } finally {
    closeSync(fd);
  }
}
