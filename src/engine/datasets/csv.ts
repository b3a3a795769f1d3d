/**
 * CSV reader: a header row (optional), numeric feature columns, and one target column (by name,
 * default the last). Non-numeric targets (or `categorical=true`) become class ids, with the
 * sorted mapping kept in `classNames`. Problems name the line and the column.
 */
import { DataError, type Dataset } from './types';

export interface CsvOptions {
  target?: string;
  categorical?: boolean;
  standardize?: boolean;
  header?: boolean;
}

interface Row {
  line: number;
  fields: string[];
}

/** RFC 4180 records with quotes; each record remembers the line it starts on (1-based). */
export function parseCsvRecords(text: string, file = 'csv'): Row[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: Row[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: start, fields });
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += ch;
    i++;
  }
  if (quoted) throw new DataError(`${file} line ${start}: unterminated quoted field`);
  if (field !== '' || fields.length) endRecord();
  return rows;
}

const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null', 'none', '?']);

function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity)$/i.test(t))
    return undefined;
  const v = Number(/inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : t);
  return v;
}

/**
 * Does the first row look like data rather than column names? True when every field is a number
 * (a header of numbers is rare; a file without a header row is common).
 */
function looksLikeData(fields: readonly string[]): boolean {
  return fields.every((f) => {
    const v = parseNumber(f);
    return v !== undefined && Number.isFinite(v);
  });
}

export function readCsv(text: string, file: string, opts: CsvOptions = {}): Dataset {
  const rows = parseCsvRecords(text, file);
  const notes: string[] = [];
  const first0 = rows[0];
  let header = opts.header ?? true;
  const namesTarget =
    opts.target !== undefined && first0?.fields.some((f) => f.trim() === opts.target);
  if (first0 && !namesTarget && looksLikeData(first0.fields)) {
    const row = first0.fields.map((f) => f.trim()).join(',');
    const shown = row.length > 60 ? `${row.slice(0, 57)}...` : row;
    if (opts.header === undefined) {
      header = false;
      notes.push(
        `line ${first0.line} (${shown}) is all numbers, so ${file} is read as having no header row: line ${first0.line} is data and the columns are named 'column 1', 'column 2', ...; set header=true if it holds column names`,
      );
    } else if (opts.header)
      notes.push(
        `the header row, line ${first0.line} (${shown}), is all numbers; it is read as column names (header=true), so it is not a sample. If ${file} has no header row, set header=false`,
      );
  }
  if (rows.length < (header ? 2 : 1))
    throw new DataError(`${file} has no data rows${header ? ' after the header' : ''}`);
  const first = rows[0]!;
  const width = first.fields.length;
  if (width < 2)
    throw new DataError(
      `${file} line ${first.line} has ${width} column; need at least one feature and one target (is the separator a comma?)`,
    );
  const names = header
    ? first.fields.map((f, j) => f.trim() || `column ${j + 1}`)
    : Array.from({ length: width }, (_, j) => `column ${j + 1}`);
  const data = header ? rows.slice(1) : rows;
  let t = width - 1;
  if (opts.target !== undefined) {
    t = names.indexOf(opts.target);
    if (t < 0)
      throw new DataError(
        `${file} has no column '${opts.target}'; columns: ${names.map((n) => `'${n}'`).join(', ')}`,
      );
  }
  const featureCols = names.map((_, j) => j).filter((j) => j !== t);
  const n = data.length;
  const d = featureCols.length;
  const x = new Float32Array(n * d);
  const rawTargets: string[] = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    const row = data[r]!;
    if (row.fields.length !== width)
      throw new DataError(
        `${file} line ${row.line} has ${row.fields.length} fields, but the ${header ? 'header' : 'first row'} has ${width}`,
        { line: row.line },
      );
    for (let c = 0; c < d; c++) {
      const j = featureCols[c]!;
      const s = row.fields[j]!;
      if (MISSING.has(s.trim().toLowerCase()))
        throw new DataError(
          `${file} line ${row.line}, column '${names[j]}': missing value${s.trim() ? ` '${s.trim()}'` : ''}; fill it in or remove the row`,
          { line: row.line, column: names[j] },
        );
      const v = parseNumber(s);
      if (v === undefined || !Number.isFinite(v))
        throw new DataError(
          `${file} line ${row.line}, column '${names[j]}': '${s.trim()}' is not a number; feature columns must be numeric (encode categories as numbers or drop the column)`,
          { line: row.line, column: names[j] },
        );
      x[r * d + c] = v;
    }
    const tv = row.fields[t]!.trim();
    if (MISSING.has(tv.toLowerCase()))
      throw new DataError(
        `${file} line ${row.line}, column '${names[t]}' (target): missing value; fill it in or remove the row`,
        { line: row.line, column: names[t] },
      );
    rawTargets[r] = tv;
  }
  const numericTargets = rawTargets.map(parseNumber);
  const allNumeric = numericTargets.every((v) => v !== undefined && Number.isFinite(v));
  const categorical = opts.categorical ?? !allNumeric;
  const base = {
    name: `Csv '${file}'`,
    n,
    x,
    xShape: [d],
    featureNames: featureCols.map((j) => names[j]!),
    standardize: opts.standardize ?? true,
    featureDescription: `${d} feature column${d === 1 ? '' : 's'}`,
  };
  if (!categorical) {
    if (!allNumeric) {
      const r = numericTargets.findIndex((v) => v === undefined || !Number.isFinite(v));
      throw new DataError(
        `${file} line ${data[r]!.line}, column '${names[t]}' (target): '${rawTargets[r]}' is not a number, but categorical=false`,
      );
    }
    return {
      ...base,
      y: Float32Array.from(numericTargets as number[]),
      yShape: [1],
      task: 'regression',
      notes: [...notes, `target column '${names[t]}' (regression)`],
      ...(numericTargets.every((v) => Number.isInteger(v))
        ? { integerTargets: { column: names[t]!, fix: 'categorical=true' } }
        : {}),
    };
  }
  const uniq = [...new Set(rawTargets)];
  if (allNumeric) uniq.sort((a, b) => Number(a) - Number(b));
  else uniq.sort();
  const id = new Map(uniq.map((s, i) => [s, i]));
  // Numeric labels that are not already the class ids 0..k-1 ({1..10}, {0..8, 10}) are renumbered:
  // say so, and keep the mapping in the run (DatasetSummary.relabelled).
  const relabelled =
    allNumeric && uniq.some((s, i) => Number(s) !== i)
      ? { column: names[t]!, labels: uniq }
      : undefined;
  return {
    ...base,
    y: Int32Array.from(rawTargets, (s) => id.get(s)!),
    yShape: [],
    task: 'classification',
    classes: uniq.length,
    classNames: uniq,
    // a renumbering is reported as a warning from `relabelled`, not as a note
    notes: relabelled
      ? notes
      : [...notes, `target column '${names[t]}': ${uniq.map((s, i) => `${s}→${i}`).join(', ')}`],
    ...(relabelled ? { relabelled } : {}),
  };
}
