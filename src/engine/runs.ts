/**
 * Run directories: `.dlm/runs/<model>-<YYYYMMDD-HHMMSS>/` with
 * - `config.json`: the resolved train section, source SHA-256, dataset summary, versions;
 * - `metrics.jsonl`: one JSON object per event, appended;
 * - `last.ckpt`, `best.ckpt` (by validation loss): params + optimizer state + step/epoch + RNG
 *   state, written atomically (temp file in the same folder, fsync, rename, fsync the folder).
 *
 * Checkpoint format: `DLMCKPT1`, uint32 LE header length, JSON header, zero padding to a multiple
 * of 4, then the float32 (little-endian) tensors at the offsets the header gives.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import type { RngState } from './rng';

export const RUNS_DIR = path.join('.dlm', 'runs');
const MAGIC = 'DLMCKPT1';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function timestamp(d: Date): string {
  return `${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}-${pad2(d.getHours())}${pad2(d.getMinutes())}${pad2(d.getSeconds())}`;
}

/** Create a fresh run folder; a second run in the same second gets `-2`, `-3`, ... */
export function createRunDir(
  root: string,
  model: string,
  now = new Date(),
): { dir: string; id: string } {
  const safe = model.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
  const base = path.join(root, RUNS_DIR);
  mkdirSync(base, { recursive: true });
  const stem = `${safe}-${timestamp(now)}`;
  for (let i = 1; i < 1000; i++) {
    const id = i === 1 ? stem : `${stem}-${i}`;
    const dir = path.join(base, id);
    try {
      mkdirSync(dir); // not recursive: fails when it exists, so two trainers never share one
      return { dir, id };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`cannot create a run folder for ${model} in ${base}`);
}

/** Write a file atomically: temp file in the same folder, fsync, rename over, fsync folder. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* folders cannot be fsynced on some platforms */
  }
}

/**
 * Remove the temp files that writeFileAtomic leaves when its process is killed mid-write
 * (`.last.ckpt.<pid>.<hex>.tmp`): the next run in the folder cleans them up. Returns their names.
 */
export function removeStaleTemps(dir: string): string[] {
  const stale = readdirSync(dir).filter((f) => {
    const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(f);
    return m !== null && Number(m[1]) !== process.pid;
  });
  for (const f of stale) unlinkSync(path.join(dir, f));
  return stale;
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Appends one JSON object per line to metrics.jsonl. */
export class MetricsLog {
  constructor(readonly file: string) {}
  append(event: object): void {
    appendFileSync(this.file, JSON.stringify({ time: Date.now(), ...event }) + '\n');
  }
  /**
   * Resuming from a checkpoint at `step`: drop the records of later steps (and a torn last line),
   * which the interrupted run logged after its checkpoint and the resumed run logs again.
   */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept = readMetrics(this.file).filter(
      (r) => !(typeof r.step === 'number' && r.step > step),
    );
    writeFileAtomic(this.file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}

export function readMetrics(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a torn last line after a crash
      }
    });
}

export interface CheckpointTensor {
  readonly name: string;
  readonly kind: 'param' | 'state';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Checkpoint {
  /** Optimizer steps done. */
  readonly step: number;
  /** The epoch this checkpoint is in (0-based). */
  readonly epoch: number;
  /** Batches of `epoch` already done (0 = at the start of `epoch`). */
  readonly batchInEpoch: number;
  /** Shuffle RNG state at the start of `epoch` (so its order is regenerated exactly). */
  readonly rng: RngState;
  readonly tensors: readonly CheckpointTensor[];
  /** Best validation loss so far and its epoch; epochs since it improved. */
  readonly best?: { readonly loss: number; readonly epoch: number; readonly stale: number };
  /** Running sums of the partial epoch (so resumed epoch averages match). */
  readonly partial?: Readonly<Record<string, number>>;
  readonly model?: string;
  readonly program?: string;
}

interface Header extends Omit<Checkpoint, 'tensors'> {
  readonly format: 1;
  readonly tensors: {
    name: string;
    kind: 'param' | 'state';
    shape: number[];
    offset: number;
    length: number;
  }[];
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  let offset = 0;
  const tensors = c.tensors.map((t) => {
    const e = { name: t.name, kind: t.kind, shape: [...t.shape], offset, length: t.data.length };
    offset += t.data.length * 4;
    return e;
  });
  const header: Header = { ...c, format: 1, tensors };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = 8 + 4 + json.length;
  const start = Math.ceil(pre / 4) * 4;
  const out = Buffer.alloc(start + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let k = 0; k < c.tensors.length; k++) {
    const d = c.tensors[k]!.data;
    const o = start + tensors[k]!.offset;
    for (let i = 0; i < d.length; i++) dv.setFloat32(o + 4 * i, d[i]!, true);
  }
  return out;
}

export function decodeCheckpoint(buf: Uint8Array, file = 'checkpoint'): Checkpoint {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 8) !== MAGIC)
    throw new Error(`${file} is not a DLM checkpoint`);
  const hlen = b.readUInt32LE(8);
  if (12 + hlen > b.length) throw new Error(`${file} is truncated (header)`);
  const header = JSON.parse(b.toString('utf8', 12, 12 + hlen)) as Header;
  if (header.format !== 1)
    throw new Error(`${file}: unknown checkpoint format ${String(header.format)}`);
  const start = Math.ceil((12 + hlen) / 4) * 4;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tensors = header.tensors.map((t) => {
    const o = start + t.offset;
    if (o + t.length * 4 > b.length) throw new Error(`${file} is truncated (tensor ${t.name})`);
    const data = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) data[i] = dv.getFloat32(o + 4 * i, true);
    return { name: t.name, kind: t.kind, shape: t.shape, data };
  });
  return { ...header, tensors };
}

export function saveCheckpoint(file: string, c: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(c));
}

export function loadCheckpoint(file: string): Checkpoint {
  return decodeCheckpoint(readFileSync(file), file);
}

export interface RunInfo {
  readonly id: string;
  readonly dir: string;
  readonly model?: string;
  readonly createdAt?: string;
  readonly config?: Record<string, unknown>;
  readonly checkpoints: readonly string[];
  /** The last `epoch` or `finished` record, if any. */
  readonly last?: Record<string, unknown>;
}

/** Runs under `<root>/.dlm/runs`, newest first (optionally only one model's). */
export function listRuns(root: string, model?: string): RunInfo[] {
  const base = path.join(root, RUNS_DIR);
  if (!existsSync(base)) return [];
  const out: RunInfo[] = [];
  for (const id of readdirSync(base)) {
    const dir = path.join(base, id);
    if (!statSync(dir).isDirectory()) continue;
    let config: Record<string, unknown> | undefined;
    try {
      config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      config = undefined;
    }
    const m = typeof config?.model === 'string' ? config.model : undefined;
    if (model !== undefined && m !== model) continue;
    const checkpoints = readdirSync(dir)
      .filter((f) => f.endsWith('.ckpt'))
      .map((f) => path.join(dir, f));
    const last = readMetrics(path.join(dir, 'metrics.jsonl'))
      .filter((r) => r.type === 'epoch' || r.type === 'finished')
      .pop();
    out.push({
      id,
      dir,
      model: m,
      createdAt: typeof config?.createdAt === 'string' ? config.createdAt : undefined,
      config,
      checkpoints,
      last,
    });
  }
  return out.sort((a, b) => (b.createdAt ?? b.id).localeCompare(a.createdAt ?? a.id));
}
