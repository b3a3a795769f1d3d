/**
 * The checker's Host on the real file system (Node only). Paths handed to the checker are
 * absolute POSIX paths; on Windows they are converted from and to native paths here.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Host } from '../language/program';

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

export class NodeHost implements Host {
  readonly root: string;

  /** `root`: the workspace root; imports and data files must resolve inside it. */
  constructor(root: string) {
    this.root = absolutePosix(root);
  }

  readFile(file: string): string | undefined {
    try {
      return readFileSync(fromPosix(file), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** True when the path exists and is a regular file. */
  isFile(file: string): boolean {
    try {
      return statSync(fromPosix(file)).isFile();
    } catch {
      return false;
    }
  }
}
