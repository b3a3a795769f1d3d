/**
 * The one file-system gate for everything outside the pure layers: the language server, the CLI,
 * the trainer, the run history and the extension host read and write workspace files through a
 * `ConfinedFs`. A path is accepted only when
 * - it lies inside the workspace root, also after resolving every symlink (realpath), and
 * - it names a regular file (FIFOs, devices, sockets and folders are refused): files are opened
 *   with O_NONBLOCK, so a FIFO cannot block the open, and the open descriptor is checked with
 *   fstat, so what is read is what was checked, and
 * - it is not larger than the cap of its kind (at most cap + 1 bytes are ever read).
 * Refusals carry a diagnostic code (DLM207 link out of the workspace, DLM208 not a regular file,
 * DLM209 too large) and a message that says what to do. docs/limits.md lists the caps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileProblem, Host } from '../language/program';
import type { WeightsHeader } from '../language/weights';
import { readWeightsHeader } from './weights';

/** A .dlm file read from disk (imports, the file checked by the CLI or the trainer). */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
/** A binary data file named by a train section (Idx, Npy). */
export const MAX_DATA_BYTES = 1024 * 1024 * 1024;
/** A text data file named by a train section (Csv, Text). */
export const MAX_TEXT_DATA_BYTES = 256 * 1024 * 1024;
/** A run's config.json. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** A run's metrics.jsonl. */
export const MAX_METRICS_BYTES = 256 * 1024 * 1024;
/** A checkpoint (.ckpt). */
export const MAX_CHECKPOINT_BYTES = 2 * 1024 * 1024 * 1024;
/** A file named by `weights from` (safetensors or ONNX): the checkpoint cap. */
export const MAX_WEIGHTS_BYTES = MAX_CHECKPOINT_BYTES;

/** `C:\a\b` → `C:/a/b`; POSIX paths are returned as they are. */
export function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

export function fromPosix(p: string): string {
  return path.sep === '/' ? p : p.split('/').join(path.sep);
}

/** An absolute, normalized POSIX path for a user-supplied path. */
export function absolutePosix(p: string, cwd = process.cwd()): string {
  return toPosix(path.resolve(cwd, p));
}

/** A refused or failed file access; `code` is the diagnostic code when it is a refusal. */
export class FsError extends Error {
  constructor(
    readonly code: 'DLM207' | 'DLM208' | 'DLM209' | 'missing' | 'outside' | 'io',
    message: string,
  ) {
    super(message);
  }
  /** The refusal as a checker diagnostic, when it is one. */
  get problem(): FileProblem | undefined {
    return this.code === 'DLM207' || this.code === 'DLM208' || this.code === 'DLM209'
      ? { code: this.code, message: this.message }
      : undefined;
  }
}

function insideOf(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const KIB = 1024;
function bytes(n: number): string {
  if (n >= KIB ** 3 && n % KIB ** 3 === 0) return `${n / KIB ** 3} GiB`;
  if (n >= KIB ** 2 && n % KIB ** 2 === 0) return `${n / KIB ** 2} MiB`;
  if (n >= KIB && n % KIB === 0) return `${n / KIB} KiB`;
  return `${n} bytes`;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const OPEN_FLAGS =
  fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0);

/**
 * Open an already resolved regular file: open without blocking (a FIFO cannot block), then fstat
 * the descriptor (regular files only, at most `cap` bytes). The caller reads and closes it.
 */
function openChecked(real: string, cap: number, shown: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(real, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new FsError('missing', `'${shown}' does not exist`);
    if (code === 'ELOOP')
      throw new FsError('DLM207', `'${shown}' changed into a link while it was read`);
    throw new FsError('io', `cannot read '${shown}': ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile())
      throw new FsError('DLM208', `'${shown}' is ${kindOf(st)}; only regular files are read`);
    if (st.size > cap) throw tooLarge(shown, st.size, cap);
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Read an already resolved regular file (see openChecked): at most `cap + 1` bytes. */
function readOpen(real: string, cap: number, shown: string): Buffer {
  const { fd, size } = openChecked(real, cap, shown);
  try {
    let buf = Buffer.allocUnsafe(Math.min(cap + 1, Math.max(size + 1, 64 * KIB)));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > cap) throw tooLarge(shown, n, cap);
        const grown = Buffer.allocUnsafe(Math.min(cap + 1, buf.length * 2));
        buf.copy(grown, 0, 0, n);
        buf = grown;
      }
      let got: number;
      try {
        got = fs.readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw new FsError('io', `cannot read '${shown}': ${(e as Error).message}`);
      }
      if (got === 0) break;
      n += got;
    }
    if (n > cap) throw tooLarge(shown, n, cap);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

export function tooLarge(shown: string, size: number, cap: number): FsError {
  return new FsError(
    'DLM209',
    `'${shown}' is larger than ${bytes(cap)} (${size > cap + 1 ? bytes(size) : 'over the cap'}); files of this kind are read up to ${bytes(cap)}`,
  );
}

/**
 * File access confined to one workspace root. Paths are native (absolute or relative to the
 * root); `shown` names in messages are relative to the root.
 */
export class ConfinedFs {
  readonly root: string;
  readonly realRoot: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    let real: string;
    try {
      real = fs.realpathSync(this.root);
    } catch {
      real = this.root;
    }
    this.realRoot = real;
  }

  private shown(p: string): string {
    const rel = path.relative(this.root, p);
    return rel === '' ? p : toPosix(rel);
  }

  /** The absolute path of `p` (relative paths are taken from the root). */
  abs(p: string): string {
    return path.resolve(this.root, p);
  }

  /**
   * The real path of `p` when it is inside the workspace after resolving links; throws FsError
   * (`outside` for a path outside the root as written, DLM207 for a link out of it, `missing`).
   */
  realpath(p: string): string {
    const abs = this.abs(p);
    if (!insideOf(this.root, abs) && !insideOf(this.realRoot, abs))
      throw new FsError(
        'outside',
        `'${abs}' is outside the workspace ${this.root}; only files inside it are read`,
      );
    let real: string;
    try {
      real = fs.realpathSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // Missing: still refuse when an existing parent is a link out of the workspace.
        const parent = path.dirname(abs);
        if (parent !== abs && insideOf(this.root, parent)) this.realpathOfExisting(parent);
        throw new FsError('missing', `'${this.shown(abs)}' does not exist`);
      }
      if (code === 'ELOOP')
        throw new FsError('DLM207', `'${this.shown(abs)}' is a link that loops`);
      throw new FsError('io', `cannot read '${this.shown(abs)}': ${(e as Error).message}`);
    }
    if (!insideOf(this.realRoot, real))
      throw new FsError(
        'DLM207',
        `'${this.shown(abs)}' is a link that leads outside the workspace (to ${real}); copy the file into the workspace instead`,
      );
    return real;
  }

  /** realpath of the nearest existing ancestor, checked; undefined when none exists. */
  private realpathOfExisting(p: string): string | undefined {
    try {
      return this.realpath(p);
    } catch (e) {
      if (e instanceof FsError && e.code === 'missing') return undefined;
      throw e;
    }
  }

  /** Whether `p` (after resolving links) is inside the workspace; missing files count by their folder. */
  inside(p: string): boolean {
    try {
      this.realpath(p);
      return true;
    } catch (e) {
      return e instanceof FsError && e.code === 'missing';
    }
  }

  /** The bytes of a regular file inside the workspace, at most `cap`; throws FsError. */
  readBytes(p: string, cap: number): Buffer {
    const real = this.realpath(p);
    return readOpen(real, cap, this.shown(this.abs(p)));
  }

  /**
   * Open a regular file inside the workspace for reading in chunks (large data files): the same
   * checks as readBytes (links, non-regular files, the size cap), and the caller reads and closes
   * the descriptor. Throws FsError.
   */
  openRegular(p: string, cap: number): { fd: number; size: number } {
    return openChecked(this.realpath(p), cap, this.shown(this.abs(p)));
  }

  readText(p: string, cap: number): string {
    return this.readBytes(p, cap).toString('utf8');
  }

  /** The status of `p` without reading it: 'file', 'missing', or the refusal. */
  probe(p: string): 'file' | 'missing' | FsError {
    try {
      const real = this.realpath(p);
      const st = fs.statSync(real);
      if (!st.isFile())
        return new FsError(
          'DLM208',
          `'${this.shown(this.abs(p))}' is ${kindOf(st)}; only regular files are read`,
        );
      return 'file';
    } catch (e) {
      if (e instanceof FsError) return e.code === 'missing' ? 'missing' : e;
      return 'missing';
    }
  }

  /** The size of a regular file inside the workspace (0 when it cannot be read). */
  size(p: string): number {
    try {
      return fs.statSync(this.realpath(p)).size;
    } catch {
      return 0;
    }
  }

  /** Whether `p` is a regular file inside the workspace. */
  isFile(p: string): boolean {
    return this.probe(p) === 'file';
  }

  /** Whether `p` is a folder inside the workspace (after resolving links). */
  isDirectory(p: string): boolean {
    try {
      return fs.statSync(this.realpath(p)).isDirectory();
    } catch {
      return false;
    }
  }

  /** Names in a folder inside the workspace; [] when it is missing or not a folder. */
  list(dir: string): string[] {
    try {
      return fs.readdirSync(this.realpath(dir));
    } catch (e) {
      if (e instanceof FsError && e.code !== 'missing' && e.code !== 'outside') throw e;
      return [];
    }
  }

  /**
   * Create `dir` and its missing parents inside the workspace, refusing to create anything
   * through a link that leads out of it. Returns the absolute path.
   */
  mkdirs(dir: string): string {
    const abs = this.abs(dir);
    if (!insideOf(this.root, abs))
      throw new FsError('outside', `'${abs}' is outside the workspace ${this.root}`);
    const parts = path.relative(this.root, abs).split(path.sep).filter(Boolean);
    let cur = this.root;
    for (const part of parts) {
      cur = path.join(cur, part);
      try {
        fs.mkdirSync(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const real = this.realpath(cur);
      if (!fs.statSync(real).isDirectory())
        throw new FsError('DLM208', `'${this.shown(cur)}' exists and is not a folder`);
    }
    return abs;
  }
}

/**
 * The checker's Host on the real file system, confined to the workspace root. Paths handed to
 * the checker are absolute POSIX paths (converted from and to native paths here). `openText`
 * (the editor's open documents) wins over the disk. With `cache`, disk reads are kept until
 * `invalidate` (the language server calls it on watched-file events).
 */
export class DiskHost implements Host {
  /** The workspace root as a POSIX path. */
  readonly root: string;
  readonly fs: ConfinedFs;
  private readonly disk = new Map<string, string | undefined>();
  /** Weights-file headers by path, valid while size and modification time are unchanged. */
  private readonly headers = new Map<
    string,
    { size: number; mtimeMs: number; header: WeightsHeader }
  >();

  constructor(
    root: string,
    private readonly openText: (path: string) => string | undefined = () => undefined,
    private readonly cache = false,
  ) {
    this.fs = new ConfinedFs(fromPosix(root));
    this.root = toPosix(this.fs.root);
  }

  readFile(p: string): string | undefined {
    const open = this.openText(p);
    if (open !== undefined) return open;
    if (this.cache && this.disk.has(p)) return this.disk.get(p);
    let text: string | undefined;
    try {
      text = this.fs.readText(fromPosix(p), MAX_SOURCE_BYTES);
    } catch {
      text = undefined;
    }
    if (this.cache) this.disk.set(p, text);
    return text;
  }

  exists(p: string): boolean {
    return this.openText(p) !== undefined || this.fs.isFile(fromPosix(p));
  }

  /**
   * Why `p` cannot be read although something is there (a link out of the workspace, not a
   * regular file, too large), else undefined. `source`: a .dlm file (after `readFile` gave
   * nothing); `data`: a data file named by a train section.
   */
  problem(p: string, kind: 'source' | 'data'): FileProblem | undefined {
    if (this.openText(p) !== undefined) return undefined;
    const st = this.fs.probe(fromPosix(p));
    if (st === 'missing') return undefined;
    if (st !== 'file') return st.problem;
    const cap = kind === 'source' ? MAX_SOURCE_BYTES : MAX_DATA_BYTES;
    const size = this.fs.size(fromPosix(p));
    return size > cap
      ? tooLarge(toPosix(path.relative(this.fs.root, fromPosix(p))), size, cap).problem
      : undefined;
  }

  /** Why the .dlm file `p` cannot be checked (missing, outside, refused), else undefined. */
  unreadable(p: string): string | undefined {
    if (this.openText(p) !== undefined) return undefined;
    const st = this.fs.probe(fromPosix(p));
    if (st === 'missing') return 'no such file';
    if (st !== 'file') return st.message;
    return this.problem(p, 'source')?.message;
  }

  /**
   * The tensor names and shapes of a weights file (`weights from`), read through the confined
   * file system: a safetensors file's header only, an ONNX file whole. Kept while the file's
   * size and modification time stay the same, so typing does not read it again.
   */
  weightsHeader(p: string): WeightsHeader {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.fs.realpath(fromPosix(p)));
    } catch {
      st = undefined;
    }
    const hit = this.headers.get(p);
    if (st && hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.header;
    const header = readWeightsHeader(this.fs, p);
    if (st) {
      if (this.headers.size >= 64) this.headers.clear();
      this.headers.set(p, { size: st.size, mtimeMs: st.mtimeMs, header });
    } else this.headers.delete(p);
    return header;
  }

  /** Whether `p` is inside the workspace after resolving links. */
  inside(p: string): boolean {
    return this.fs.inside(fromPosix(p));
  }

  invalidate(p?: string): void {
    if (p === undefined) this.disk.clear();
    else this.disk.delete(p);
  }
}
