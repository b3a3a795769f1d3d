/**
 * Run directories: `.dlm/runs/<model>-<YYYYMMDD-HHMMSS>/` with
 * - `config.json`: the resolved train section, source SHA-256, dataset summary, versions;
 * - `metrics.jsonl`: one JSON object per event, appended;
 * - `last.safetensors`, `best.safetensors` (by validation loss): params + optimizer state +
 *   step/epoch + RNG state in one safetensors file with a CRC-32, written atomically (temp file in
 *   the same folder, fsync, rename, fsync the folder). Layout: see `encodeCheckpoint` and
 *   docs/decisions/0006-safetensors-checkpoints.md. Runs from before that keep their
 *   `last.ckpt`/`best.ckpt` (`DLMCKPT1`), which are still read.
 *
 * Every read and write goes through the confined host (src/engine/host.ts): run folders are
 * created only inside the workspace (never through a `.dlm` link that leads out of it), and run
 * files are read only when they are regular files inside it, under their size caps.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  readdirSync,
  constants as fsConstants,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import {
  ConfinedFs,
  FsError,
  MAX_CHECKPOINT_BYTES,
  MAX_CONFIG_BYTES,
  MAX_METRICS_BYTES,
} from './host';
import * as zlib from 'node:zlib';
import {
  crc32,
  decode,
  encode,
  f32Tensor,
  floatData,
  SafetensorsError,
  type Crc32,
} from '../interop/safetensors';
import type { RngState } from './rng';

export const RUNS_DIR = path.join('.dlm', 'runs');

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
  const base = new ConfinedFs(root).mkdirs(RUNS_DIR);
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
  const fd = openSync(tmp, 'wx', 0o644); // never through an existing file or link
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
 * (`.last.safetensors.<pid>.<hex>.tmp`): the next run in the folder cleans them up. Returns their names.
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

const APPEND_FLAGS =
  fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NOFOLLOW ?? 0);

/** Appends one JSON object per line to metrics.jsonl. */
export class MetricsLog {
  constructor(readonly file: string) {}
  append(event: object): void {
    const fd = openSync(this.file, APPEND_FLAGS, 0o644); // never through a link
    try {
      const buf = Buffer.from(JSON.stringify({ time: Date.now(), ...event }) + '\n', 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } finally {
      closeSync(fd);
    }
  }
  /**
   * Resuming from a checkpoint at `step`: drop the records of later steps (and a torn last line),
   * which the interrupted run logged after its checkpoint and the resumed run logs again.
   */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept = readMetrics(this.file, path.dirname(this.file)).filter(
      (r) => !(typeof r.step === 'number' && r.step > step),
    );
    writeFileAtomic(this.file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}

/** The records of a run's metrics.jsonl inside the workspace `root` ([] when it is missing). */
export function readMetrics(file: string, root: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = new ConfinedFs(root).readText(file, MAX_METRICS_BYTES);
  } catch (e) {
    if (e instanceof FsError && e.code === 'missing') return [];
    throw e;
  }
  return text
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

// ── checkpoint files: safetensors (docs/decisions/0006-safetensors-checkpoints.md) ──────────

/** The checkpoint files of a run folder. */
export const LAST_CHECKPOINT = 'last.safetensors';
export const BEST_CHECKPOINT = 'best.safetensors';
/** The files of runs trained before the safetensors move (still read, never written). */
const LEGACY_LAST = 'last.ckpt';
const LEGACY_BEST = 'best.ckpt';
/** The training state (counters, RNG, best, partial sums, state tensor names), as JSON. */
export const CHECKPOINT_METADATA_KEY = 'dlm.checkpoint';
/** Optimizer-state tensors are stored under this prefix, parameters under their own names. */
export const OPTIMIZER_PREFIX = 'optimizer.';
const CHECKPOINT_FORMAT = 2;

/** zlib's native CRC-32 where Node has it (20.15+, 22.2+; about 15× faster), else ours. */
const nativeCrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
/** CRC-32 with zlib's native implementation where Node has it. */
export const fastCrc32: Crc32 = nativeCrc
  ? (b) => (nativeCrc(b) >>> 0).toString(16).padStart(8, '0')
  : crc32;

/** The file key of an optimizer-state tensor (`dense0.weight.exp_avg` → `optimizer.dense0…`). */
export const stateKey = (name: string): string =>
  name.startsWith(OPTIMIZER_PREFIX) ? name : OPTIMIZER_PREFIX + name;

/** True for a checkpoint file name, current or legacy. */
export const isCheckpointFile = (f: string): boolean =>
  f.endsWith('.safetensors') || f.endsWith('.ckpt');

/**
 * A run folder's `last` or `best` checkpoint (safetensors, else a legacy .ckpt), if any; with
 * `root`, only a regular file inside that workspace.
 */
export function findCheckpoint(
  dir: string,
  which: 'last' | 'best',
  root?: string,
): string | undefined {
  const names = which === 'last' ? [LAST_CHECKPOINT, LEGACY_LAST] : [BEST_CHECKPOINT, LEGACY_BEST];
  // With the workspace root: only regular files inside it count (not links out, FIFOs, devices).
  const fsx = root === undefined ? undefined : new ConfinedFs(root);
  return names.map((f) => path.join(dir, f)).find((p) => (fsx ? fsx.isFile(p) : existsSync(p)));
}

interface CheckpointMetadata extends Omit<Checkpoint, 'tensors'> {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** Names of the optimizer-state tensors, in order (their file keys are `stateKey(name)`). */
  readonly state: readonly string[];
}

/**
 * A checkpoint as a safetensors file: parameters under their own names (a PyTorch state_dict),
 * optimizer state under `optimizer.<name>`, all float32; the rest of the training state as JSON
 * in `__metadata__["dlm.checkpoint"]`; a CRC-32 of the data in `__metadata__["dlm.crc32"]`.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const meta: CheckpointMetadata = {
    format: CHECKPOINT_FORMAT,
    step: c.step,
    epoch: c.epoch,
    batchInEpoch: c.batchInEpoch,
    rng: c.rng,
    ...(c.best ? { best: c.best } : {}),
    ...(c.partial ? { partial: c.partial } : {}),
    ...(c.model !== undefined ? { model: c.model } : {}),
    ...(c.program !== undefined ? { program: c.program } : {}),
    state: c.tensors.filter((t) => t.kind === 'state').map((t) => t.name),
  };
  return encode(
    c.tensors.map((t) => [
      t.kind === 'param' ? t.name : stateKey(t.name),
      f32Tensor(t.shape, t.data),
    ]),
    { format: 'pt', [CHECKPOINT_METADATA_KEY]: JSON.stringify(meta) },
    { crc: fastCrc32 },
  );
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isU32 = (v: unknown): v is number => isCount(v) && (v as number) <= 0xffffffff;

/** The training state of a checkpoint's metadata, validated (throws naming the file). */
function checkpointMetadata(raw: string | undefined, file: string): CheckpointMetadata {
  if (raw === undefined)
    throw new SafetensorsError(
      file,
      `holds weights but no training state (no __metadata__["${CHECKPOINT_METADATA_KEY}"]): it can be exported or used by predict, but it cannot resume a run`,
    );
  let m: Partial<CheckpointMetadata>;
  try {
    m = JSON.parse(raw) as Partial<CheckpointMetadata>;
  } catch {
    throw new SafetensorsError(
      file,
      `is damaged: __metadata__["${CHECKPOINT_METADATA_KEY}"] is not JSON`,
    );
  }
  const bad = (what: string) =>
    new SafetensorsError(file, `is damaged: the training state's ${what} is missing or invalid`);
  if (typeof m !== 'object' || m === null) throw bad('record');
  if (m.format !== CHECKPOINT_FORMAT)
    throw new SafetensorsError(
      file,
      `has checkpoint format ${JSON.stringify(m.format)}; this version reads format ${CHECKPOINT_FORMAT}`,
    );
  if (!isCount(m.step)) throw bad('step');
  if (!isCount(m.epoch)) throw bad('epoch');
  if (!isCount(m.batchInEpoch)) throw bad('batchInEpoch');
  const rng = m.rng as RngState | undefined;
  if (
    !rng ||
    !Array.isArray(rng.s) ||
    rng.s.length !== 4 ||
    !rng.s.every(isU32) ||
    (rng.spare !== undefined && typeof rng.spare !== 'number')
  )
    throw bad('RNG state');
  if (!Array.isArray(m.state) || !m.state.every((x) => typeof x === 'string'))
    throw bad('list of optimizer-state tensors');
  return m as CheckpointMetadata;
}

/**
 * Read a checkpoint: a safetensors file written by {@link encodeCheckpoint} (checksum verified)
 * or a legacy `DLMCKPT1` file. Every failure is a message naming the file (and the tensor).
 */
export function decodeCheckpoint(buf: Uint8Array, file = 'checkpoint'): Checkpoint {
  if (isLegacyCheckpoint(buf)) return decodeLegacyCheckpoint(buf, file);
  const st = decode(buf, file, { crc: fastCrc32 });
  const meta = checkpointMetadata(st.metadata[CHECKPOINT_METADATA_KEY], file);
  const stateOf = new Map(meta.state.map((n) => [stateKey(n), n]));
  for (const [key] of stateOf)
    if (!st.tensors.has(key))
      throw new SafetensorsError(file, 'is missing (the training state lists it)', key);
  const tensors: CheckpointTensor[] = [];
  for (const [key, t] of st.tensors) {
    const state = stateOf.get(key);
    tensors.push({
      name: state ?? key,
      kind: state !== undefined ? 'state' : 'param',
      shape: t.shape,
      data: floatData(t, file, key),
    });
  }
  const { format: _f, state: _s, ...rest } = meta;
  return { ...rest, tensors };
}

export function saveCheckpoint(file: string, c: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(c));
}

/** A checkpoint file inside the workspace `root`. */
export function loadCheckpoint(file: string, root: string): Checkpoint {
  return decodeCheckpoint(new ConfinedFs(root).readBytes(file, MAX_CHECKPOINT_BYTES), file);
}

/**
 * The parameter values a weights file inside the workspace `root` holds for the given
 * parameters, by name: a safetensors
 * file (ours, or a PyTorch state_dict saved elsewhere; other tensors are ignored) or a legacy
 * checkpoint. A missing tensor, another shape, a non-float dtype or a non-finite value is a
 * message naming the file and the tensor.
 */
export function readWeights(
  file: string,
  params: readonly { readonly name: string; readonly shape: readonly number[] }[],
  root: string,
  bytes: Uint8Array = new ConfinedFs(root).readBytes(file, MAX_CHECKPOINT_BYTES),
): Map<string, Float32Array> {
  const found = new Map<string, { shape: readonly number[]; data: () => Float32Array }>();
  if (isLegacyCheckpoint(bytes)) {
    for (const t of decodeLegacyCheckpoint(bytes, file).tensors)
      if (t.kind === 'param') found.set(t.name, { shape: t.shape, data: () => t.data });
  } else {
    const st = decode(bytes, file, { crc: fastCrc32 });
    for (const [name, t] of st.tensors)
      found.set(name, { shape: t.shape, data: () => floatData(t, file, name) });
  }
  const out = new Map<string, Float32Array>();
  for (const p of params) {
    const t = found.get(p.name);
    if (!t)
      throw new SafetensorsError(
        file,
        `is missing: the model needs this [${p.shape.join(', ')}] parameter (was the file saved from another model? it has ${found.size} tensors${found.size ? `, e.g. '${[...found.keys()][0]}'` : ''})`,
        p.name,
      );
    if (t.shape.join() !== p.shape.join())
      throw new SafetensorsError(
        file,
        `has shape [${t.shape.join(', ')}] but the model needs [${p.shape.join(', ')}]`,
        p.name,
      );
    out.set(p.name, t.data());
  }
  return out;
}

// ── legacy checkpoints (DLMCKPT1: read only) ───────────────────────────────────────────────
//
// `DLMCKPT1`, uint32 LE header length, JSON header, zero padding to a multiple of 4, then the
// float32 (little-endian) tensors at the offsets the header gives. No checksum.

const LEGACY_MAGIC = 'DLMCKPT1';

interface LegacyHeader extends Omit<Checkpoint, 'tensors'> {
  readonly format: 1;
  readonly tensors: {
    name: string;
    kind: 'param' | 'state';
    shape: number[];
    offset: number;
    length: number;
  }[];
}

function isLegacyCheckpoint(buf: Uint8Array): boolean {
  return (
    buf.byteLength >= 8 &&
    Buffer.from(buf.buffer, buf.byteOffset, 8).toString('latin1') === LEGACY_MAGIC
  );
}

/** A DLMCKPT1 file (runs trained before checkpoints became safetensors). */
export function decodeLegacyCheckpoint(buf: Uint8Array, file = 'checkpoint'): Checkpoint {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 8) !== LEGACY_MAGIC)
    throw new Error(`${file} is not a DLM checkpoint`);
  const hlen = b.readUInt32LE(8);
  if (12 + hlen > b.length) throw new Error(`${file} is truncated (header)`);
  let header: LegacyHeader;
  try {
    header = JSON.parse(b.toString('utf8', 12, 12 + hlen)) as LegacyHeader;
  } catch {
    throw new Error(`${file} is damaged: its header is not JSON`);
  }
  if (header.format !== 1)
    throw new Error(`${file}: unknown checkpoint format ${String(header.format)}`);
  const start = Math.ceil((12 + hlen) / 4) * 4;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tensors = header.tensors.map((t) => {
    const o = start + t.offset;
    if (o + t.length * 4 > b.length) throw new Error(`${file}: tensor '${t.name}': is truncated`);
    const data = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) data[i] = dv.getFloat32(o + 4 * i, true);
    return { name: t.name, kind: t.kind, shape: t.shape, data };
  });
  return { ...header, tensors };
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

/**
 * Runs under `<root>/.dlm/runs`, newest first (optionally only one model's). Entries that are
 * links out of the workspace, non-regular files or over their size cap are skipped.
 */
export function listRuns(root: string, model?: string): RunInfo[] {
  const fsx = new ConfinedFs(root);
  const base = path.join(fsx.root, RUNS_DIR);
  const out: RunInfo[] = [];
  let ids: string[];
  try {
    ids = fsx.list(base);
  } catch {
    return []; // .dlm or .dlm/runs is a link out of the workspace
  }
  for (const id of ids) {
    const dir = path.join(base, id);
    if (!fsx.isDirectory(dir)) continue;
    let config: Record<string, unknown> | undefined;
    try {
      config = JSON.parse(fsx.readText(path.join(dir, 'config.json'), MAX_CONFIG_BYTES)) as Record<
        string,
        unknown
      >;
    } catch {
      config = undefined;
    }
    const m = typeof config?.model === 'string' ? config.model : undefined;
    if (model !== undefined && m !== model) continue;
    const checkpoints = fsx
      .list(dir)
      .filter((f) => isCheckpointFile(f) && fsx.isFile(path.join(dir, f)))
      .map((f) => path.join(dir, f));
    let last: Record<string, unknown> | undefined;
    try {
      last = readMetrics(path.join(dir, 'metrics.jsonl'), root)
        .filter((r) => r.type === 'epoch' || r.type === 'finished')
        .pop();
    } catch {
      last = undefined;
    }
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

/** What a resume continues: the run folder, its last checkpoint, and the model it trained. */
export interface ResumePoint {
  readonly dir: string;
  readonly id: string;
  readonly checkpoint: string;
  readonly model?: string;
  /** The .dlm file, relative to the workspace root, as config.json records it. */
  readonly modelPath?: string;
}

/**
 * The run that `dlm train --resume RUN` (and the dashboard's Resume) continues. RUN is a run
 * folder, a checkpoint file in one, or a run id under `<root>/.dlm/runs`; paths are relative to
 * `cwd`. Throws an Error whose message says what is missing.
 */
export function resumePoint(root: string, ref: string, cwd = root): ResumePoint {
  const fsx = new ConfinedFs(root);
  const asPath = path.resolve(cwd, ref);
  const byId = path.join(fsx.root, RUNS_DIR, path.basename(ref));
  let dir: string;
  let checkpoint: string | undefined;
  if (fsx.isFile(asPath) && isCheckpointFile(asPath)) {
    dir = path.dirname(asPath);
    checkpoint = asPath;
  } else if (fsx.isDirectory(asPath)) dir = asPath;
  else if (ref === path.basename(ref) && fsx.isDirectory(byId)) dir = byId;
  else
    throw new Error(
      `no run '${ref}': give a run folder (.dlm/runs/<model>-<time>), its id, or a checkpoint file`,
    );
  checkpoint ??= findCheckpoint(dir, 'last', root);
  if (!checkpoint)
    throw new Error(
      `${dir} has no checkpoint to resume from (${LAST_CHECKPOINT}); the run ended before its first checkpoint`,
    );
  let config: { model?: unknown; modelPath?: unknown } = {};
  try {
    config = JSON.parse(
      fsx.readText(path.join(dir, 'config.json'), MAX_CONFIG_BYTES),
    ) as typeof config;
  } catch {
    /* a checkpoint outside a run folder: the model comes from --model */
  }
  return {
    dir,
    id: path.basename(dir),
    checkpoint,
    ...(typeof config.model === 'string' ? { model: config.model } : {}),
    ...(typeof config.modelPath === 'string' ? { modelPath: config.modelPath } : {}),
  };
}

/**
 * Bring a run trained elsewhere (the `run/` folder that a generated `train.py` writes: the same
 * metrics.jsonl events, plus best/last.safetensors) into `<root>/.dlm/runs/`, so that the
 * dashboard's History lists it next to local runs and `--weights` can name it. The source folder
 * is the user's explicit choice and may lie outside the workspace; it is read through a host
 * confined to that folder (regular files only, size caps). The model is the one the run's
 * `started` event names, unless `model` is given. Returns the new run folder.
 */
export function importRun(
  root: string,
  source: string,
  model?: string,
  now = new Date(),
): { dir: string; id: string; model: string; records: number } {
  const src = new ConfinedFs(path.resolve(source));
  let text: string;
  try {
    text = src.readText('metrics.jsonl', MAX_METRICS_BYTES);
  } catch (e) {
    throw new Error(
      `${source} is not a run folder: ${e instanceof FsError && e.code === 'missing' ? 'it has no metrics.jsonl' : (e as Error).message}`,
    );
  }
  const records = text
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const r = JSON.parse(l) as unknown;
        return typeof r === 'object' && r !== null && !Array.isArray(r)
          ? [r as Record<string, unknown>]
          : [];
      } catch {
        return []; // a torn last line
      }
    });
  if (!records.some((r) => r.type === 'epoch' || r.type === 'step'))
    throw new Error(`${source}/metrics.jsonl has no step or epoch records to import`);
  const started = records.find((r) => r.type === 'started');
  const name = model ?? (typeof started?.model === 'string' ? started.model : undefined);
  if (!name)
    throw new Error(`${source}/metrics.jsonl does not name its model; give the model name`);
  const { dir, id } = createRunDir(root, name, now);
  writeFileAtomic(path.join(dir, 'metrics.jsonl'), text.endsWith('\n') ? text : text + '\n');
  for (const f of [BEST_CHECKPOINT, LAST_CHECKPOINT]) {
    let bytes: Buffer;
    try {
      bytes = src.readBytes(f, MAX_CHECKPOINT_BYTES);
    } catch (e) {
      if (e instanceof FsError && e.code === 'missing') continue;
      throw new Error(`${source}/${f}: ${(e as Error).message}`);
    }
    decode(bytes, `${source}/${f}`, { crc: fastCrc32 }); // a damaged file is refused here
    writeFileAtomic(path.join(dir, f), bytes);
  }
  writeJson(path.join(dir, 'config.json'), {
    model: name,
    createdAt: now.toISOString(),
    importedFrom: path.resolve(source),
    source: typeof started?.source === 'string' ? started.source : 'imported',
    train: typeof started?.epochs === 'number' ? { epochs: started.epochs } : {},
  });
  return { dir, id, model: name, records: records.length };
}
