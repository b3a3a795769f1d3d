/**
 * Data file paths: relative to the .dlm file, and inside the workspace root. Absolute paths and
 * `..` escapes are rejected here; links that lead outside the workspace, non-regular files and
 * files over the size cap are refused by the confined host (src/engine/host.ts).
 */
import * as path from 'node:path';
import { ConfinedFs, FsError } from '../host';
import { DataError } from './types';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The refusal or failure of a data file access as a DataError naming the file as written. */
function dataError(rel: string, e: unknown): DataError {
  if (e instanceof FsError) {
    if (e.code === 'missing')
      return new DataError(`data file '${rel}' does not exist (${e.message})`);
    return new DataError(`data file '${rel}': ${e.message}`);
  }
  return new DataError(`data file '${rel}': ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Resolve `rel` (as written in the .dlm file) against the directory of `baseFile`, and return
 * the absolute path (as written, links not resolved) of an existing regular file inside `root`.
 */
export function resolveDataPath(root: string, baseFile: string, rel: string): string {
  if (rel === '') throw new DataError('empty data file path');
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(rel))
    throw new DataError(
      `data file '${rel}' is an absolute path; paths must be relative to the .dlm file and stay inside the workspace`,
    );
  const absRoot = path.resolve(root);
  const lexical = path.resolve(path.dirname(path.resolve(absRoot, baseFile)), rel);
  if (!inside(absRoot, lexical))
    throw new DataError(
      `data file '${rel}' resolves outside the workspace (${lexical}); paths must stay inside ${absRoot}`,
    );
  const st = new ConfinedFs(absRoot).probe(lexical);
  if (st !== 'file') throw dataError(rel, st === 'missing' ? new FsError('missing', lexical) : st);
  return lexical;
}

/** The bytes of a data file (resolved by resolveDataPath), at most `cap`; throws DataError. */
/** Open a data file inside the workspace for chunked reading (see ConfinedFs.openRegular). */
export function openDataFile(root: string, abs: string, rel: string, cap: number): number {
  try {
    return new ConfinedFs(root).openRegular(abs, cap).fd;
  } catch (e) {
    throw dataError(rel, e);
  }
}

export function readDataFile(root: string, abs: string, rel: string, cap: number): Buffer {
  try {
    return new ConfinedFs(root).readBytes(abs, cap);
  } catch (e) {
    throw dataError(rel, e);
  }
}
