/**
 * Data file paths: relative to the .dlm file, and inside the workspace root. Absolute paths,
 * `..` escapes and symlinks that lead outside the workspace are rejected (realpath on both).
 */
import { realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DataError } from './types';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolve `rel` (as written in the .dlm file) against the directory of `baseFile`, and return
 * the real path of an existing regular file inside `root`.
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
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new DataError(`data file '${rel}' does not exist (looked for ${lexical})`);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(absRoot);
  } catch {
    throw new DataError(`workspace root ${absRoot} does not exist`);
  }
  if (!inside(realRoot, real))
    throw new DataError(
      `data file '${rel}' is a link that leads outside the workspace (to ${real}); copy the file into the workspace instead`,
    );
  if (!statSync(real).isFile()) throw new DataError(`data file '${rel}' is not a regular file`);
  return real;
}
